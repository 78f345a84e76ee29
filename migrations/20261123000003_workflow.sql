-- Staff workflow, part two: requests → inspections → appointments →
-- assessments (with their sections) → reports. Every document gets its
-- number from next_document_number in the transaction that inserts it.

CREATE TABLE requests (
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    number           text        NOT NULL,
    client_id        text        NOT NULL REFERENCES clients (id),
    vehicle_make     text        NOT NULL DEFAULT '',
    vehicle_model    text        NOT NULL DEFAULT '',
    registration     text        NOT NULL DEFAULT '',
    vin              text        NOT NULL DEFAULT '',
    claim_reference  text        NOT NULL DEFAULT '',
    notes            text        NOT NULL DEFAULT '',
    status           text        NOT NULL DEFAULT 'open',
    created_by       uuid        REFERENCES users (id) ON DELETE SET NULL,
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT requests_pkey PRIMARY KEY (id),
    CONSTRAINT requests_number_key UNIQUE (number),
    CONSTRAINT requests_status CHECK (status IN ('open', 'closed'))
);
CREATE INDEX requests_client ON requests (client_id, created_at DESC);

CREATE TABLE inspections (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    number      text        NOT NULL,
    request_id  uuid        NOT NULL REFERENCES requests (id),
    created_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inspections_pkey PRIMARY KEY (id),
    CONSTRAINT inspections_number_key UNIQUE (number),
    -- At most one inspection per request.
    CONSTRAINT inspections_request_key UNIQUE (request_id)
);

CREATE TABLE appointments (
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    number         text        NOT NULL,
    inspection_id  uuid        NOT NULL REFERENCES inspections (id),
    scheduled_at   timestamptz NOT NULL,
    location       text        NOT NULL DEFAULT '',
    assessor_id    uuid        REFERENCES users (id) ON DELETE SET NULL,
    status         text        NOT NULL DEFAULT 'scheduled',
    version        integer     NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointments_pkey PRIMARY KEY (id),
    CONSTRAINT appointments_number_key UNIQUE (number),
    CONSTRAINT appointments_status CHECK (status IN ('scheduled', 'completed', 'cancelled'))
);
CREATE INDEX appointments_inspection ON appointments (inspection_id);
CREATE INDEX appointments_scheduled ON appointments (scheduled_at);

CREATE TABLE assessments (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    number          text        NOT NULL,
    appointment_id  uuid        NOT NULL REFERENCES appointments (id),
    status          text        NOT NULL DEFAULT 'in_progress',
    current_tab     text        NOT NULL DEFAULT 'identification',
    tabs_completed  text[]      NOT NULL DEFAULT '{}',
    created_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assessments_pkey PRIMARY KEY (id),
    CONSTRAINT assessments_number_key UNIQUE (number),
    CONSTRAINT assessments_appointment_key UNIQUE (appointment_id),
    CONSTRAINT assessments_status CHECK (status IN ('in_progress', 'completed'))
);

-- The assessment's sections, created with it (start_assessment), each with
-- its own version so two people can edit different sections at once.
CREATE TABLE assessment_tyres (
    assessment_id  uuid    NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    position       text    NOT NULL,
    make           text    NOT NULL DEFAULT '',
    size           text    NOT NULL DEFAULT '',
    tread_depth_mm text    NOT NULL DEFAULT '',
    condition      text    NOT NULL DEFAULT '',
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT assessment_tyres_pkey PRIMARY KEY (assessment_id, position),
    CONSTRAINT assessment_tyres_position CHECK (position IN ('front_left', 'front_right', 'rear_left', 'rear_right', 'spare'))
);

CREATE TABLE assessment_damage (
    assessment_id uuid    NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    description   text    NOT NULL DEFAULT '',
    areas         text    NOT NULL DEFAULT '',
    severity      text    NOT NULL DEFAULT '',
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT assessment_damage_pkey PRIMARY KEY (assessment_id)
);

CREATE TABLE assessment_vehicle_values (
    assessment_id  uuid          NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    market_value   numeric(12,2) NOT NULL DEFAULT 0,
    salvage_value  numeric(12,2) NOT NULL DEFAULT 0,
    version        integer       NOT NULL DEFAULT 1,
    CONSTRAINT assessment_vehicle_values_pkey PRIMARY KEY (assessment_id)
);

CREATE TABLE assessment_pre_incident_estimates (
    assessment_id  uuid          NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    condition      text          NOT NULL DEFAULT '',
    value          numeric(12,2) NOT NULL DEFAULT 0,
    version        integer       NOT NULL DEFAULT 1,
    CONSTRAINT assessment_pre_incident_estimates_pkey PRIMARY KEY (assessment_id)
);

CREATE TABLE assessment_estimates (
    assessment_id  uuid          NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    labour         numeric(12,2) NOT NULL DEFAULT 0,
    parts          numeric(12,2) NOT NULL DEFAULT 0,
    paint          numeric(12,2) NOT NULL DEFAULT 0,
    other          numeric(12,2) NOT NULL DEFAULT 0,
    -- Computed by the database, never sent by a client.
    total          numeric(12,2) GENERATED ALWAYS AS (labour + parts + paint + other) STORED,
    version        integer       NOT NULL DEFAULT 1,
    CONSTRAINT assessment_estimates_pkey PRIMARY KEY (assessment_id)
);

CREATE TABLE reports (
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    number         text        NOT NULL,
    assessment_id  uuid        NOT NULL REFERENCES assessments (id),
    created_by     uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_pkey PRIMARY KEY (id),
    CONSTRAINT reports_number_key UNIQUE (number),
    CONSTRAINT reports_assessment_key UNIQUE (assessment_id)
);

-- Get-or-create of an appointment's assessment, in one transaction with
-- all its sections. The appointment row is locked first, so simultaneous
-- callers queue behind the first; each later one then finds the assessment
-- (a new snapshot per statement) and no second number is ever drawn.
-- Raises P0002 when the appointment does not exist.
CREATE FUNCTION start_assessment(p_appointment_id uuid, p_actor uuid, p_time_zone text)
RETURNS TABLE (out_assessment_id uuid, out_created boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM 1 FROM appointments WHERE id = p_appointment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no appointment %', p_appointment_id USING ERRCODE = 'P0002';
    END IF;
    SELECT a.id INTO v_id FROM assessments a WHERE a.appointment_id = p_appointment_id;
    IF FOUND THEN
        RETURN QUERY SELECT v_id, false;
        RETURN;
    END IF;
    INSERT INTO assessments (number, appointment_id, created_by)
    VALUES (next_document_number('ASM', now(), p_time_zone), p_appointment_id, p_actor)
    RETURNING id INTO v_id;
    INSERT INTO assessment_tyres (assessment_id, position)
    SELECT v_id, position FROM unnest(ARRAY['front_left', 'front_right', 'rear_left', 'rear_right', 'spare']) AS position;
    INSERT INTO assessment_damage (assessment_id) VALUES (v_id);
    INSERT INTO assessment_vehicle_values (assessment_id) VALUES (v_id);
    INSERT INTO assessment_pre_incident_estimates (assessment_id) VALUES (v_id);
    INSERT INTO assessment_estimates (assessment_id) VALUES (v_id);
    INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
    VALUES (p_actor, 'assessment', v_id::text, 'create', 1);
    RETURN QUERY SELECT v_id, true;
END
$$;

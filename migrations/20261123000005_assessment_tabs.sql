-- The assessment editor works in tabs: identification, tyres, damage,
-- vehicle values, pre-incident estimate, estimate, summary. Identification
-- gets a section of its own (prefilled from the request when the assessment
-- starts); a tab is marked complete by adding it to `tabs_completed`.

CREATE TABLE assessment_identification (
    assessment_id  uuid    NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    registration   text    NOT NULL DEFAULT '',
    vin            text    NOT NULL DEFAULT '',
    odometer_km    text    NOT NULL DEFAULT '',
    colour         text    NOT NULL DEFAULT '',
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT assessment_identification_pkey PRIMARY KEY (assessment_id)
);

INSERT INTO assessment_identification (assessment_id, registration, vin)
SELECT a.id, r.registration, r.vin
FROM assessments a
JOIN appointments ap ON ap.id = a.appointment_id
JOIN inspections i ON i.id = ap.inspection_id
JOIN requests r ON r.id = i.request_id;

ALTER TABLE assessments
    ADD CONSTRAINT assessments_current_tab CHECK (current_tab IN (
        'identification', 'tyres', 'damage', 'vehicle_values', 'pre_incident_estimate', 'estimate', 'summary')),
    ADD CONSTRAINT assessments_tabs_completed CHECK (tabs_completed <@ ARRAY[
        'identification', 'tyres', 'damage', 'vehicle_values', 'pre_incident_estimate', 'estimate', 'summary']);

-- As before, plus the identification section, and the API key when an
-- external system started it.
DROP FUNCTION start_assessment(uuid, uuid, text);
CREATE FUNCTION start_assessment(p_appointment_id uuid, p_actor uuid, p_time_zone text, p_api_key uuid DEFAULT NULL)
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
    INSERT INTO assessment_identification (assessment_id, registration, vin)
    SELECT v_id, r.registration, r.vin
    FROM appointments ap
    JOIN inspections i ON i.id = ap.inspection_id
    JOIN requests r ON r.id = i.request_id
    WHERE ap.id = p_appointment_id;
    INSERT INTO assessment_tyres (assessment_id, position)
    SELECT v_id, position FROM unnest(ARRAY['front_left', 'front_right', 'rear_left', 'rear_right', 'spare']) AS position;
    INSERT INTO assessment_damage (assessment_id) VALUES (v_id);
    INSERT INTO assessment_vehicle_values (assessment_id) VALUES (v_id);
    INSERT INTO assessment_pre_incident_estimates (assessment_id) VALUES (v_id);
    INSERT INTO assessment_estimates (assessment_id) VALUES (v_id);
    INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, new_version)
    VALUES (p_actor, p_api_key, 'assessment', v_id::text, 'create', 1);
    RETURN QUERY SELECT v_id, true;
END
$$;

-- Staff workflow, part one: clients and document numbers.

-- Clients, with an id the caller may choose (an external system's key), so
-- a resent create finds the client the first one made. Emails are unique
-- case-insensitively when present.
CREATE TABLE clients (
    id          text        NOT NULL,
    name        text        NOT NULL,
    email       text        NOT NULL DEFAULT '',
    phone       text        NOT NULL DEFAULT '',
    company     text        NOT NULL DEFAULT '',
    created_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_pkey PRIMARY KEY (id),
    CONSTRAINT clients_id_shape CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    CONSTRAINT clients_name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT clients_version_positive CHECK (version >= 1)
);

CREATE UNIQUE INDEX clients_email_key ON clients (lower(email)) WHERE email <> '';
CREATE INDEX clients_name ON clients (lower(name));

-- Document numbers (REQ-2026-0001): one counter row per kind and year.
-- Drawing a number increments the row inside the caller's transaction, so
-- the row stays locked until that transaction ends: concurrent drawers
-- queue, and a rollback gives the number back. No gaps, no duplicates among
-- committed documents, no count()+1 and no retries.
CREATE TABLE document_counters (
    kind        text    NOT NULL,
    year        integer NOT NULL,
    last_value  integer NOT NULL,
    CONSTRAINT document_counters_pkey PRIMARY KEY (kind, year),
    CONSTRAINT document_counters_kind CHECK (kind IN ('REQ', 'INS', 'APT', 'ASM', 'RPT')),
    CONSTRAINT document_counters_positive CHECK (last_value >= 1)
);

-- The next number of `p_kind` for a document created at `p_created_at`;
-- the year is the one in the business time zone `p_time_zone`.
CREATE FUNCTION next_document_number(p_kind text, p_created_at timestamptz, p_time_zone text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_year integer := extract(year FROM p_created_at AT TIME ZONE p_time_zone)::integer;
    v_value integer;
BEGIN
    INSERT INTO document_counters AS c (kind, year, last_value)
    VALUES (p_kind, v_year, 1)
    ON CONFLICT (kind, year) DO UPDATE SET last_value = c.last_value + 1
    RETURNING last_value INTO v_value;
    -- Four digits, growing past 9999 (lpad would cut 10000 to 1000).
    RETURN p_kind || '-' || v_year || '-' ||
        CASE WHEN v_value < 10000 THEN lpad(v_value::text, 4, '0') ELSE v_value::text END;
END
$$;

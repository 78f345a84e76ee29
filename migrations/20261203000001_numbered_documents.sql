-- How a document number is written, in one place: four digits, growing
-- past 9999 (lpad would cut 10000 to 1000).
CREATE FUNCTION document_number(p_kind text, p_year integer, p_value integer)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_kind || '-' || p_year || '-' ||
        CASE WHEN p_value < 10000 THEN lpad(p_value::text, 4, '0') ELSE p_value::text END
$$;

CREATE OR REPLACE FUNCTION next_document_number(p_kind text, p_created_at timestamptz, p_time_zone text)
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
    RETURN document_number(p_kind, v_year, v_value);
END
$$;

-- Every numbered document, with the kind its table gives it and its number
-- read back into year and sequence. `well_formed` is false for a number
-- that is not exactly what document_number would write for its kind (then
-- year and seq say nothing). Read by the invariant checks (`lockstep check`).
CREATE VIEW numbered_documents AS
SELECT kind, id, number, created_at, year, seq,
       COALESCE(seq >= 1 AND number = document_number(kind, year, seq), false) AS well_formed
FROM (
    SELECT kind, id, number, created_at, parts[1]::integer AS year, parts[2]::integer AS seq
    FROM (
        SELECT kind, id, number, created_at, regexp_match(number, '^' || kind || '-([0-9]{4})-([0-9]{4,9})$') AS parts
        FROM (
            SELECT 'REQ'::text AS kind, id, number, created_at FROM requests
            UNION ALL SELECT 'INS', id, number, created_at FROM inspections
            UNION ALL SELECT 'APT', id, number, created_at FROM appointments
            UNION ALL SELECT 'ASM', id, number, created_at FROM assessments
            UNION ALL SELECT 'RPT', id, number, created_at FROM reports
        ) documents
    ) matched
) parsed;

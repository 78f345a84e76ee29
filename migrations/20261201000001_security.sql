-- Safety against hostile users (SECURITY.md).

-- Throttling counts an attempt *before* its password is checked, in one
-- statement: parallel guesses queue on the subjects' rows, and once the
-- allowance is used up every further attempt is refused without being
-- evaluated. Whether a subject is blocked is derived from its count and
-- the time of its last attempt (the first `free` attempts in 15 minutes
-- cost nothing and one more is let through; past that each attempt must
-- wait 2, 4, 8 … up to 900 s after the previous one), so taking back an attempt that turned out
-- right (`throttle::Claim::succeeded`) also lifts the block it caused.
ALTER TABLE login_throttle DROP COLUMN blocked_until;
ALTER TABLE login_throttle RENAME COLUMN failures TO attempts;
ALTER TABLE login_throttle RENAME COLUMN last_failure TO last_attempt;
DROP FUNCTION record_login_failure(text, integer);

-- Seconds `subject` must still wait with `attempts` counted, the last at
-- `last_attempt`; 0 or less when it may try now.
CREATE FUNCTION login_throttle_wait(p_attempts integer, p_last_attempt timestamptz, p_free integer)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_attempts <= p_free THEN 0
        ELSE extract(epoch FROM p_last_attempt
                     + make_interval(secs => least(power(2, least(p_attempts - p_free, 10)), 900))
                     - statement_timestamp())
    END
$$;

-- Counts one attempt for every subject (an account, an address, …), each
-- with its own allowance, or for none of them: returns 0 when the attempt
-- may go ahead, else the whole seconds to wait (nothing is counted then).
CREATE FUNCTION claim_login_attempt(p_subjects text[], p_free integer[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_wait double precision;
BEGIN
    INSERT INTO login_throttle (subject, attempts, last_attempt)
    SELECT subject, 0, statement_timestamp() FROM unnest(p_subjects) AS s (subject) ORDER BY subject
    ON CONFLICT (subject) DO NOTHING;
    -- In a fixed order, so two claims sharing subjects cannot deadlock.
    PERFORM 1 FROM login_throttle WHERE subject = ANY (p_subjects) ORDER BY subject FOR UPDATE;
    -- A window of 15 quiet minutes forgets the count.
    UPDATE login_throttle SET attempts = 0
    WHERE subject = ANY (p_subjects) AND last_attempt < statement_timestamp() - interval '15 minutes';

    SELECT max(login_throttle_wait(t.attempts, t.last_attempt, s.free)) INTO v_wait
    FROM login_throttle t JOIN unnest(p_subjects, p_free) AS s (subject, free) USING (subject);
    IF v_wait > 0 THEN
        RETURN ceil(v_wait)::integer;
    END IF;

    UPDATE login_throttle SET attempts = attempts + 1, last_attempt = statement_timestamp()
    WHERE subject = ANY (p_subjects);
    RETURN 0;
END;
$$;

-- API keys carry scopes (what they may do) and may expire. Keys made
-- before scopes existed keep every scope they could use.
ALTER TABLE api_keys
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{workflow,assignments}',
    ADD COLUMN expires_at timestamptz,
    ADD CONSTRAINT api_keys_scopes_known CHECK (scopes <@ '{workflow,assignments}' AND cardinality(scopes) > 0);
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;

-- A signed-in session ends when its devices row goes (log out, revoke,
-- password change, account removal). Every instance hears it on the
-- notice channel and closes that session's live streams at once.
CREATE FUNCTION announce_device_end() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lockstep_changes', json_build_object(
        'entity', 'device',
        'id', OLD.id,
        'action', 'delete',
        'version', NULL,
        'by', '',
        'by_id', OLD.user_id
    )::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER devices_announce_end
AFTER DELETE ON devices
FOR EACH ROW
EXECUTE FUNCTION announce_device_end();

-- Accounts: one row per person who can sign in.
--
-- Email uniqueness is case-insensitive and decided by the database: the
-- unique index `users_email_key` on lower(email) is what turns twenty
-- simultaneous sign-ups with "Ada@x" / "ada@X" into exactly one account.
-- The application maps a violation of that named index to a field error.

CREATE TYPE user_role AS ENUM ('member', 'staff', 'counselor', 'admin');

CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL,
    display_name  text        NOT NULL,
    password_hash text        NOT NULL,
    role          user_role   NOT NULL DEFAULT 'member',
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_shape CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
    CONSTRAINT users_display_name_length CHECK (length(display_name) BETWEEN 1 AND 100)
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Failed sign-in attempts, per account ("account:<email>") and per address
-- ("ip:<addr>"). One row per subject, updated by a single upsert, so two
-- instances of Lockstep count the same failures.
CREATE TABLE login_throttle (
    subject       text        PRIMARY KEY,
    failures      integer     NOT NULL DEFAULT 0,
    last_failure  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz
);

-- Who did what, written in the same transaction as the change it records.
CREATE TABLE audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    uuid        REFERENCES users (id) ON DELETE SET NULL,
    entity      text        NOT NULL,
    entity_id   text        NOT NULL,
    action      text        NOT NULL,
    old_version integer,
    new_version integer,
    at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_action CHECK (action IN ('create', 'update', 'delete'))
);

CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- Records one failed sign-in for `p_subject` and returns until when it is
-- blocked (NULL when not). The first `p_free_failures` failures in a 15 minute
-- window cost nothing; each further one doubles the wait, up to 15 minutes.
-- One upsert, so concurrent failures on several instances all count.
CREATE FUNCTION record_login_failure(p_subject text, p_free_failures integer)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    v_failures integer;
    v_blocked_until timestamptz;
BEGIN
    INSERT INTO login_throttle AS t (subject, failures, last_failure)
    VALUES (p_subject, 1, now())
    ON CONFLICT (subject) DO UPDATE
    SET failures = CASE WHEN t.last_failure < now() - interval '15 minutes' THEN 1
                        ELSE t.failures + 1 END,
        last_failure = now()
    RETURNING failures INTO v_failures;

    IF v_failures > p_free_failures THEN
        v_blocked_until := now() + make_interval(
            secs => least(power(2, least(v_failures - p_free_failures, 10)), 900));
    END IF;

    UPDATE login_throttle SET blocked_until = v_blocked_until WHERE subject = p_subject;
    RETURN v_blocked_until;
END;
$$;

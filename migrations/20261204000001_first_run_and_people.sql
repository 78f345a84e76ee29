-- First run, and administrators managing people in the browser.

-- While no administrator exists, each starting instance adds a setup token
-- (only its SHA-256 is kept) and prints a link carrying it. Any of them
-- opens the setup page for 24 hours; all go once an administrator exists
-- (made here, or found by the next instance that starts).
CREATE TABLE setup_tokens (
    token_hash bytea       PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Creates the first administrator through the setup page, and closes it.
-- The advisory lock makes concurrent attempts run one after another, and
-- each statement below reads what the previous holder committed, so a
-- second attempt finds the administrator and fails (LS010) instead of
-- creating another. An unknown token is LS011.
CREATE FUNCTION create_first_admin(p_token_hash bytea, p_email text, p_display_name text, p_password_hash text)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('lockstep.create_first_admin'));
    IF EXISTS (SELECT 1 FROM users WHERE role = 'admin') THEN
        RAISE EXCEPTION 'an administrator exists already' USING ERRCODE = 'LS010';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM setup_tokens
                   WHERE token_hash = p_token_hash AND created_at > now() - interval '24 hours') THEN
        RAISE EXCEPTION 'unknown setup token' USING ERRCODE = 'LS011';
    END IF;
    INSERT INTO users (email, display_name, password_hash, role)
    VALUES (p_email, p_display_name, p_password_hash, 'admin')
    RETURNING id INTO v_id;
    DELETE FROM setup_tokens;
    INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
    VALUES (v_id, 'user', v_id::text, 'create', 1);
    RETURN v_id;
END;
$$;

-- A disabled account cannot sign in, and its sessions ended when it was
-- disabled (its devices rows were deleted in the same transaction).
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- One-time links an administrator hands to someone who forgot their
-- password. Only the SHA-256 of the token is kept; using it deletes it.
-- A new link for the same account replaces the old one.
CREATE TABLE password_resets (
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT password_resets_user_key UNIQUE (user_id)
);

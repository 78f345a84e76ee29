-- Profiles: one personal and one professional section per user, each with
-- its own version. A save is one statement: INSERT .. ON CONFLICT DO
-- NOTHING when the client saw no row (version 0), otherwise UPDATE .. WHERE
-- version = expected. No row back means someone else saved first; the
-- caller then reads the current row for the 409.
CREATE TABLE personal_info (
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    full_name     text        NOT NULL DEFAULT '',
    primary_email text        NOT NULL DEFAULT '',
    phone         text        NOT NULL DEFAULT '',
    date_of_birth date,
    address       text        NOT NULL DEFAULT '',
    city          text        NOT NULL DEFAULT '',
    country       text        NOT NULL DEFAULT '',
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT personal_info_pkey PRIMARY KEY (user_id),
    CONSTRAINT personal_info_version_positive CHECK (version >= 1)
);

CREATE TABLE professional_info (
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company       text        NOT NULL DEFAULT '',
    job_title     text        NOT NULL DEFAULT '',
    department    text        NOT NULL DEFAULT '',
    website       text        NOT NULL DEFAULT '',
    linkedin      text        NOT NULL DEFAULT '',
    bio           text        NOT NULL DEFAULT '',
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT professional_info_pkey PRIMARY KEY (user_id),
    CONSTRAINT professional_info_version_positive CHECK (version >= 1)
);

-- One row per signed-in device (browser or API client). The session itself
-- lives in tower-sessions' table and carries this row's id; a session whose
-- row is gone (revoked, or ended by a password change) is logged out at its
-- next request.
CREATE TABLE devices (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   text        NOT NULL DEFAULT '',
    ip           text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT devices_pkey PRIMARY KEY (id)
);

CREATE INDEX devices_user ON devices (user_id, last_seen DESC);

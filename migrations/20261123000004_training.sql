-- Training: scenarios, counselors' assignments, and the API keys external
-- systems use to create them.
--
-- The partial unique index `unique_active_assignment` is what guarantees one
-- active assignment per counselor and scenario: creates are
-- `INSERT … ON CONFLICT … DO NOTHING` against it, so a hundred simultaneous
-- requests insert one row and the rest learn which row exists.

-- Counselors are known to the external system by its own id for them.
ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD CONSTRAINT users_external_id_shape
    CHECK (external_id ~ '^[A-Za-z0-9_.:-]{1,64}$');
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);

CREATE TABLE api_keys (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL,
    -- The key's public part ("lsk_<prefix>_<secret>"): finds the row, is
    -- safe to show in lists, and proves nothing on its own.
    prefix       text        NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash     bytea       NOT NULL,
    created_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_name_length CHECK (length(name) BETWEEN 1 AND 100),
    CONSTRAINT api_keys_hash_length CHECK (length(key_hash) = 32)
);

-- Changes made with an API key name the key, as changes by people name them.
ALTER TABLE audit_log ADD COLUMN api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL;

CREATE TABLE scenarios (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    active      boolean     NOT NULL DEFAULT true,
    created_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scenarios_pkey PRIMARY KEY (id),
    CONSTRAINT scenarios_title_length CHECK (length(title) BETWEEN 1 AND 200)
);
CREATE UNIQUE INDEX scenarios_title_key ON scenarios (lower(title));

CREATE TABLE assignments (
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    counselor_id  uuid        NOT NULL REFERENCES users (id),
    scenario_id   uuid        NOT NULL REFERENCES scenarios (id),
    source        text        NOT NULL,
    assigned_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    api_key_id    uuid        REFERENCES api_keys (id) ON DELETE SET NULL,
    status        text        NOT NULL DEFAULT 'pending',
    due_date      date,
    started_at    timestamptz,
    completed_at  timestamptz,
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assignments_pkey PRIMARY KEY (id),
    CONSTRAINT assignments_source CHECK (source IN ('staff', 'external', 'bulk')),
    CONSTRAINT assignments_status CHECK (status IN ('pending', 'in_progress', 'completed')),
    CONSTRAINT assignments_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

CREATE UNIQUE INDEX unique_active_assignment ON assignments (counselor_id, scenario_id)
    WHERE status <> 'completed';
CREATE INDEX assignments_scenario ON assignments (scenario_id, created_at DESC);
CREATE INDEX assignments_counselor ON assignments (counselor_id, created_at DESC);

-- Idempotency keys: a repeated create (double click, refresh, network resend)
-- gets the stored response of the first one instead of a second record.
--
-- The row is written in the same transaction as the record it protects, so
-- it exists exactly when that record does. While the first request is still
-- running, a repeat is recognised by a transaction-scoped advisory lock on the
-- key (pg_try_advisory_xact_lock), which answers at once instead of queueing
-- behind the first transaction's row lock.
CREATE TABLE idempotency_keys (
    scope       text        NOT NULL,  -- whose key: a user id, or 'sign-up'
    key         text        NOT NULL,
    fingerprint text        NOT NULL,  -- SHA-256 of the request payload
    status      smallint    NOT NULL,
    response    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key),
    CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 255)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

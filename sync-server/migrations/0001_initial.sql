-- StackSmart sync server schema. The server stores only ciphertext, hashes and KDF parameters.

-- Server-wide secrets shared by every instance (e.g. the key that makes fake KDF salts for
-- unknown emails stable across restarts and replicas).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE accounts (
    id              BIGSERIAL PRIMARY KEY,
    -- Normalised (trimmed, lower-case) email.
    email           TEXT NOT NULL UNIQUE,
    -- Argon2id PHC string of the client-derived authentication key.
    auth_hash       TEXT NOT NULL,
    -- Client key-derivation parameters and salt, returned before login.
    kdf_algorithm   TEXT NOT NULL,
    kdf_m_kib       INTEGER NOT NULL,
    kdf_t           INTEGER NOT NULL,
    kdf_p           INTEGER NOT NULL,
    kdf_salt        BYTEA NOT NULL,
    -- The account's one increasing version counter (last version handed out).
    last_version    BIGINT NOT NULL DEFAULT 0,
    -- Tombstones with version <= tombstone_floor may have been purged: a changes cursor
    -- below it is too old (410).
    tombstone_floor BIGINT NOT NULL DEFAULT 0,
    -- Quota accounting, kept in step with `records` inside each write transaction.
    used_bytes      BIGINT NOT NULL DEFAULT 0,
    live_records    BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per logged-in device. Only the SHA-256 of the bearer token is stored.
CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   BYTEA NOT NULL UNIQUE,
    device_name  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sessions_account ON sessions (account_id);

-- The latest state of every record; `version` comes from accounts.last_version.
CREATE TABLE records (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    collection  TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     BIGINT NOT NULL,
    deleted     BOOLEAN NOT NULL,
    -- Ciphertext made by the client; NULL for tombstones.
    payload     BYTEA,
    modified_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, collection, id)
);
-- The change feed: records of one account in version order.
CREATE UNIQUE INDEX records_feed ON records (account_id, version);
-- Tombstone purge.
CREATE INDEX records_tombstones ON records (modified_at) WHERE deleted;

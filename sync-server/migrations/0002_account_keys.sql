-- The account's data key, wrapped on the client (ciphertext only): by the password's wrap key
-- and by the recovery key's. The recovery key's authentication key is kept as an Argon2id
-- hash, like the password's. NULL for accounts made by clients without key wrapping.
ALTER TABLE accounts
    ADD COLUMN wrapped_key          BYTEA,
    ADD COLUMN recovery_wrapped_key BYTEA,
    ADD COLUMN recovery_auth_hash   TEXT;

-- A write of a single change (the commonest batch: the extension pushes each edit as it is
-- saved) in one round trip: `stacksmart_write_records_batch` (0003) for one change, with the
-- same checks and the same answers, in simpler statements. `db.rs` `Store::apply_batch` calls
-- it for batches of one; larger batches, and servers of the previous release, keep calling
-- the batch function, which this migration leaves as it is (so a rolling upgrade works both
-- ways).
--
-- Why: in the batch function a third of Postgres' time per single-record write went to
-- starting the executor for its statements (the base check is an aggregate over a join of
-- `unnest` with `records`, the write an INSERT … ON CONFLICT over `unnest`), and some to
-- switching six settings in and out around every call. Here every statement is an index
-- lookup by a whole key, the session check and the account's lock are one statement, and
-- only two settings are switched. Measured CPU per single-record write (server and all
-- Postgres backends, sync-server/README.md "Figures").
--
-- Same semantics as the batch function: a VOLATILE PL/pgSQL function takes a fresh snapshot
-- for every statement, so everything after the `FOR UPDATE` sees every write committed before
-- the account's lock was granted; all of it is the one statement's implicit transaction.
--
-- Returns one row: ('ok', the new version) or ('unauthorized') or ('quota_bytes') or
-- ('quota_records') or ('conflict', the server's version/deleted/payload, or NULLs when the
-- record does not exist).
CREATE OR REPLACE FUNCTION stacksmart_write_record(
    p_token_hash    BYTEA,
    p_account       BIGINT,
    p_collection    TEXT,
    p_id            TEXT,
    p_base          BIGINT,
    p_deleted       BOOLEAN,
    p_payload       BYTEA,
    p_quota_bytes   BIGINT,
    p_quota_records BIGINT,
    OUT o_status    TEXT,
    OUT o_version   BIGINT,
    OUT o_deleted   BOOLEAN,
    OUT o_payload   BYTEA
)
LANGUAGE plpgsql VOLATILE
-- Plans are made once per connection and kept (see 0003), and they must be index lookups at
-- any table size: with sequential scans off, every statement here has one sensible plan (a
-- lookup by a unique key; the session-account join is one row against one row), so the other
-- planner switches the batch function needs for its joins over `unnest` are not set.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_session BIGINT;
    v_stale   BOOLEAN;
    v_last    BIGINT;
    v_floor   BIGINT;
    v_used    BIGINT;
    v_live    BIGINT;
    v_version BIGINT;
    v_rdel    BOOLEAN;
    v_rlen    BIGINT;
    v_bytes   BIGINT;
    v_records BIGINT;
BEGIN
    -- The session behind the token (it must belong to p_account, the account the caller
    -- rate-limited), and the account's writer lock (waits at most lock_timeout: 55P03 → 409).
    SELECT s.id, s.last_seen_at < now() - interval '60 seconds',
           a.last_version, a.tombstone_floor, a.used_bytes, a.live_records
      INTO v_session, v_stale, v_last, v_floor, v_used, v_live
      FROM sessions s JOIN accounts a ON a.id = s.account_id
     WHERE s.token_hash = p_token_hash AND s.account_id = p_account
       FOR UPDATE OF a;
    IF NOT FOUND THEN
        o_status := 'unauthorized';
        RETURN;
    END IF;
    IF v_stale THEN
        UPDATE sessions SET last_seen_at = now() WHERE id = v_session;
    END IF;

    -- The base version: stale if the record exists with another version, or does not exist
    -- and the base is neither 0 nor a purged tombstone's version (<= floor).
    SELECT r.version, r.deleted, octet_length(r.payload)
      INTO v_version, v_rdel, v_rlen
      FROM records r
     WHERE r.account_id = p_account AND r.collection = p_collection AND r.id = p_id;
    IF (v_version IS NOT NULL AND v_version <> p_base)
       OR (v_version IS NULL AND p_base <> 0 AND p_base > v_floor) THEN
        o_status := 'conflict';
        SELECT r.version, r.deleted, r.payload INTO o_version, o_deleted, o_payload
          FROM records r
         WHERE r.account_id = p_account AND r.collection = p_collection AND r.id = p_id;
        RETURN;
    END IF;
    -- Changes that shrink or delete are always accepted.
    v_bytes := COALESCE(octet_length(p_payload), 0) - COALESCE(v_rlen, 0);
    v_records := (NOT p_deleted)::int - (v_version IS NOT NULL AND NOT v_rdel)::int;
    IF v_bytes > 0 AND v_used + v_bytes > p_quota_bytes THEN
        o_status := 'quota_bytes';
        RETURN;
    END IF;
    IF v_records > 0 AND v_live + v_records > p_quota_records THEN
        o_status := 'quota_records';
        RETURN;
    END IF;

    -- A plain UPDATE or INSERT (no ON CONFLICT: the account's lock keeps every other writer
    -- of this account out). Only the tombstone purge deletes rows without that lock: if it
    -- took this record since the lookup, the UPDATE finds nothing and the record is inserted.
    IF v_version IS NOT NULL THEN
        UPDATE records SET version = v_last + 1, deleted = p_deleted, payload = p_payload,
                           modified_at = now()
         WHERE account_id = p_account AND collection = p_collection AND id = p_id;
    END IF;
    IF v_version IS NULL OR NOT FOUND THEN
        INSERT INTO records (account_id, collection, id, version, deleted, payload, modified_at)
        VALUES (p_account, p_collection, p_id, v_last + 1, p_deleted, p_payload, now());
    END IF;
    UPDATE accounts
       SET last_version = v_last + 1, used_bytes = v_used + v_bytes,
           live_records = v_live + v_records
     WHERE id = p_account;
    o_status := 'ok';
    o_version := v_last + 1;
END
$$;

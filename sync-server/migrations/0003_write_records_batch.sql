-- A write batch in one round trip (db.rs `Store::apply_batch`): authenticate the bearer
-- token's session, lock the account row, check every base version, check the quotas, hand out
-- versions, write the records and the account's counters — all inside the one statement's
-- implicit transaction, so it is all-or-nothing.
--
-- Why a function and not one data-modifying CTE: in READ COMMITTED a single statement reads
-- with the snapshot taken when it started, i.e. before it waited for the account's lock, so it
-- could miss a batch committed while it waited (a lost update). A VOLATILE PL/pgSQL function
-- takes a fresh snapshot for every statement it runs: everything after the `FOR UPDATE` sees
-- every batch committed before the lock was granted.
--
-- `p_account` is the account the caller expects the token to belong to (it rate-limits by
-- account before calling); the token is checked here regardless, so a revoked token fails.
--
-- Returns one row: ('ok', latest version) or ('unauthorized') or ('quota_bytes') or
-- ('quota_records'); or one row per stale change, in request order:
-- ('conflict', collection, id, base, the server's version/deleted/payload or NULLs).
CREATE OR REPLACE FUNCTION stacksmart_write_records_batch(
    p_token_hash    BYTEA,
    p_account       BIGINT,
    p_collections   TEXT[],
    p_ids           TEXT[],
    p_bases         BIGINT[],
    p_deleted       BOOLEAN[],
    p_payloads      BYTEA[],
    p_quota_bytes   BIGINT,
    p_quota_records BIGINT
) RETURNS TABLE (o_status TEXT, o_collection TEXT, o_id TEXT, o_base BIGINT,
                 o_version BIGINT, o_deleted BOOLEAN, o_payload BYTEA)
LANGUAGE plpgsql VOLATILE
-- Plans. Every statement below finds rows by a whole unique key (sessions.token_hash,
-- accounts.id, records' primary key for each change of the batch), so the right plan is
-- index lookups in a nested loop at any table size. The plans are made once per connection
-- and kept (force_generic_plan: left to the plan cache, the statements were planned afresh on
-- every call, a third of the function's time), and the planner is kept from choosing plans
-- that are cheaper only while a table or an account is small: a plan made on a fresh
-- database (a hash join, or a nested loop over a materialised scan of the account's records
-- by records_feed) was kept while the tables grew, and writes got slower with every record
-- (Postgres CPU per single-record write 0.4 ms → 1.3 ms within a minute of the bench; test
-- `batch_plans_stay_index_lookups_as_tables_grow`). Measured back to back, 4 runs of 5 s each
-- on one database: ≈ 300 µs of Postgres CPU per write and steady, against ≈ 430 µs with
-- the plan cache's default (custom plans) and ≈ 550-600 µs with the lookups EXECUTEd.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_material = off
AS $$
DECLARE
    v_session BIGINT;
    v_owner   BIGINT;
    v_stale   BOOLEAN;
    v_last    BIGINT;
    v_floor   BIGINT;
    v_used    BIGINT;
    v_live    BIGINT;
    v_n_stale BIGINT;
    v_bytes   BIGINT;
    v_records BIGINT;
    v_n       BIGINT := cardinality(p_ids);
    v_written BIGINT;
BEGIN
    -- The session behind the token (as `Store::authenticate`), marked seen once a minute.
    SELECT s.id, s.account_id, s.last_seen_at < now() - interval '60 seconds'
      INTO v_session, v_owner, v_stale
      FROM sessions s WHERE s.token_hash = p_token_hash;
    IF NOT FOUND OR v_owner <> p_account THEN
        o_status := 'unauthorized';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_stale THEN
        UPDATE sessions SET last_seen_at = now() WHERE id = v_session;
    END IF;

    -- The account's writer lock (waits at most lock_timeout: 55P03 → 409 busy).
    SELECT a.last_version, a.tombstone_floor, a.used_bytes, a.live_records
      INTO v_last, v_floor, v_used, v_live
      FROM accounts a WHERE a.id = p_account FOR UPDATE;
    IF NOT FOUND THEN
        o_status := 'unauthorized';
        RETURN NEXT;
        RETURN;
    END IF;

    -- Base versions (a fresh snapshot from here on) and the quota deltas. A change is stale if
    -- the record exists with another version, or does not exist and its base is neither 0 nor
    -- a purged tombstone's version (<= floor).
    SELECT count(*) FILTER (WHERE CASE WHEN r.version IS NOT NULL THEN r.version <> k.base
                                       ELSE k.base <> 0 AND k.base > v_floor END),
           COALESCE(sum(COALESCE(octet_length(k.payload), 0)
                        - COALESCE(octet_length(r.payload), 0)), 0),
           COALESCE(sum((NOT k.deleted)::int
                        - (r.version IS NOT NULL AND NOT r.deleted)::int), 0)
      INTO v_n_stale, v_bytes, v_records
      FROM unnest(p_collections, p_ids, p_bases, p_deleted, p_payloads)
           AS k(collection, id, base, deleted, payload)
      LEFT JOIN records r
        ON r.account_id = p_account AND r.collection = k.collection AND r.id = k.id;

    IF v_n_stale > 0 THEN
        RETURN QUERY
        SELECT 'conflict'::text, k.collection, k.id, k.base, r.version, r.deleted, r.payload
          FROM unnest(p_collections, p_ids, p_bases) WITH ORDINALITY AS k(collection, id, base, ord)
          LEFT JOIN records r
            ON r.account_id = p_account AND r.collection = k.collection AND r.id = k.id
         WHERE CASE WHEN r.version IS NOT NULL THEN r.version <> k.base
                    ELSE k.base <> 0 AND k.base > v_floor END
         ORDER BY k.ord;
        RETURN;
    END IF;
    -- Changes that shrink or delete are always accepted.
    IF v_bytes > 0 AND v_used + v_bytes > p_quota_bytes THEN
        o_status := 'quota_bytes';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_records > 0 AND v_live + v_records > p_quota_records THEN
        o_status := 'quota_records';
        RETURN NEXT;
        RETURN;
    END IF;

    -- Versions last+1 … last+n in request order.
    INSERT INTO records (account_id, collection, id, version, deleted, payload, modified_at)
    SELECT p_account, k.collection, k.id, v_last + k.ord, k.deleted, k.payload, now()
      FROM unnest(p_collections, p_ids, p_deleted, p_payloads) WITH ORDINALITY
           AS k(collection, id, deleted, payload, ord)
    ON CONFLICT (account_id, collection, id) DO UPDATE
       SET version = EXCLUDED.version, deleted = EXCLUDED.deleted,
           payload = EXCLUDED.payload, modified_at = EXCLUDED.modified_at;
    GET DIAGNOSTICS v_written = ROW_COUNT;
    IF v_written <> v_n THEN
        RAISE EXCEPTION 'batch wrote % of % records', v_written, v_n;
    END IF;
    UPDATE accounts
       SET last_version = v_last + v_n, used_bytes = used_bytes + v_bytes,
           live_records = live_records + v_records
     WHERE id = p_account;
    o_status := 'ok';
    o_version := v_last + v_n;
    RETURN NEXT;
END
$$;

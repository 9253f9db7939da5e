//! Postgres storage: every SQL statement of the server lives here (runtime-checked queries,
//! exercised by the tests against a real Postgres).
//!
//! Writers of one account are serialised by `SELECT … FOR UPDATE` on the account row, inside the
//! one transaction that checks base versions, checks quotas, hands out versions and writes the
//! records. Versions therefore become visible in increasing order, so a reader paging the change
//! feed by `version > cursor` never skips a committed change.

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection as _, PgConnection, PgPool, Postgres, Row};

use crate::config::Config;
use crate::error::ApiError;
use crate::model::{AccountKeys, Conflict, Device, KdfParams, Record};

/// Embedded migrations (`sync-server/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Applies the embedded migrations. Migrations that a newer release applied and this build
/// does not know are left alone: migrations are additive, so a server of an older release
/// works on the newer schema, and it must be able to restart on it during a rolling upgrade
/// (or a rollback). The checksums of the migrations it knows are still checked.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await
}

/// A pooled connection idle for longer than this is pinged before it is handed out (sqlx's
/// `test_before_acquire` pings before *every* use: one more round trip per request under
/// load). A connection that died less than this ago fails its next statement instead: the
/// idempotent statements of the hot paths (token lookup, change reads) are retried on a fresh
/// connection ([`connection_lost`]), other requests get 503 + `Retry-After`, and the dead
/// connection is closed when it goes back to the pool (sqlx pings on release).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// How many connections an idempotent statement tries when connections turn out to be dead
/// (e.g. right after a Postgres restart).
const ATTEMPTS: u32 = 3;

/// True if the statement failed because the connection is gone (or was refused) before the
/// statement could have taken effect, so running it again on another connection is safe for
/// idempotent statements.
fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

/// Opens the pool (lazily: the server starts even if Postgres is still coming up).
pub fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = config.database_url.parse()?;
    let options = options.application_name("stacksmart-sync-server").options([
        ("statement_timeout", "15s".to_string()),
        // Bounds the wait for an account's writer lock: then 55P03 → 409 busy.
        (
            "lock_timeout",
            format!("{}ms", config.lock_timeout.as_millis().max(1)),
        ),
    ]);
    Ok(PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(config.db_acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(300)))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options))
}

/// An account row needed for login.
pub struct AccountAuth {
    pub id: i64,
    pub auth_hash: String,
    pub recovery_auth_hash: Option<String>,
    pub keys: Option<AccountKeys>,
}

/// Wrapped keys and the recovery key's hash, as stored at registration.
pub struct StoredKeys {
    pub wrapped_key: Vec<u8>,
    pub recovery_wrapped_key: Vec<u8>,
    pub recovery_auth_hash: String,
}

/// The session behind a bearer token.
pub struct SessionRow {
    pub session_id: i64,
    pub account_id: i64,
    pub stale: bool,
}

/// One change after validation and base64 decoding.
pub struct NewChange {
    pub collection: String,
    pub id: String,
    pub base_version: i64,
    pub deleted: bool,
    pub payload: Option<Vec<u8>>,
}

/// A data-key rotation ([`Store::rotate_data_key`]): what the handler checked and what to
/// write.
pub struct Rotation<'a> {
    pub account_id: i64,
    /// The session that asked: the only one left signed in.
    pub keep_session: i64,
    /// The hashes the proof was checked against (a concurrent change gives `Busy`).
    pub expected_auth_hash: &'a str,
    pub expected_recovery_hash: Option<&'a str>,
    pub wrapped_key: &'a [u8],
    pub recovery_wrapped_key: &'a [u8],
    pub recovery_auth_hash: &'a str,
    pub base_latest: i64,
    /// The re-sealed live records (`deleted` false, a payload each).
    pub records: &'a [NewChange],
    pub quota_bytes: i64,
}

/// Limits a batch is checked against.
pub struct WriteLimits {
    pub quota_bytes: i64,
    pub quota_records: i64,
}

/// A changes page as read, before encoding: the rows are decoded only while the answer is
/// written ([`Page::records`]), straight from the database's buffers.
pub struct Page {
    pub session: SessionRow,
    rows: Vec<PgRow>,
    pub more: bool,
    pub latest: i64,
}

/// A record borrowed from a database row.
pub struct RecordRef<'a> {
    pub collection: &'a str,
    pub id: &'a str,
    pub version: i64,
    pub deleted: bool,
    /// Ciphertext bytes (not base64); `None` for tombstones.
    pub payload: Option<&'a [u8]>,
}

impl Page {
    /// The page's records in version order.
    pub fn records(&self) -> impl Iterator<Item = Result<RecordRef<'_>, sqlx::Error>> {
        // Columns of the changes statement: see `Store::changes`.
        self.rows.iter().map(|row| {
            Ok(RecordRef {
                collection: row.try_get(5)?,
                id: row.try_get(6)?,
                version: row.try_get(7)?,
                deleted: row.try_get(8)?,
                payload: row.try_get(9)?,
            })
        })
    }
}

/// The error for a write function's status other than `ok` and `conflict`.
fn write_refused(status: &str, limits: &WriteLimits) -> ApiError {
    match status {
        "quota_bytes" => ApiError::QuotaExceeded(format!(
            "storage quota of {} bytes exceeded",
            limits.quota_bytes
        )),
        "quota_records" => ApiError::QuotaExceeded(format!(
            "quota of {} records exceeded",
            limits.quota_records
        )),
        "unauthorized" => ApiError::Unauthorized,
        other => ApiError::Internal(format!("the write function answered {other:?}")),
    }
}

#[derive(Clone)]
pub struct Store {
    pub pool: PgPool,
}

fn account_auth_from_row(r: &sqlx::postgres::PgRow) -> Result<AccountAuth, ApiError> {
    use base64::Engine as _;
    let b64 = |v: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(v);
    let wrapped: Option<Vec<u8>> = r.try_get("wrapped_key")?;
    let recovery: Option<Vec<u8>> = r.try_get("recovery_wrapped_key")?;
    Ok(AccountAuth {
        id: r.try_get("id")?,
        auth_hash: r.try_get("auth_hash")?,
        recovery_auth_hash: r.try_get("recovery_auth_hash")?,
        keys: match (wrapped, recovery) {
            (Some(w), Some(rw)) => Some(AccountKeys {
                wrapped_key: b64(w),
                recovery_wrapped_key: b64(rw),
            }),
            _ => None,
        },
    })
}

/// A device's session (registration's inside its transaction, login's and recovery's alone).
async fn insert_session(
    db: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    token_hash: &[u8],
    device_name: &str,
) -> Result<i64, ApiError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sessions (account_id, token_hash, device_name) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account_id)
    .bind(token_hash)
    .bind(device_name)
    .fetch_one(db)
    .await?)
}

fn rfc3339(col: &str) -> String {
    format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Returns the named server secret, creating it from `fresh` the first time (shared by all
    /// instances on this database).
    pub async fn server_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, sqlx::Error> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
    }

    pub async fn kdf_params(&self, email: &str) -> Result<Option<(KdfParams, Vec<u8>)>, ApiError> {
        let row = sqlx::query(
            "SELECT kdf_algorithm, kdf_m_kib, kdf_t, kdf_p, kdf_salt FROM accounts WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let salt: Vec<u8> = row.try_get("kdf_salt")?;
        let int = |name: &str| -> Result<u32, ApiError> {
            let v: i32 = row.try_get(name)?;
            u32::try_from(v).map_err(|_| ApiError::Internal(format!("negative {name}")))
        };
        Ok(Some((
            KdfParams {
                algorithm: row.try_get("kdf_algorithm")?,
                m_kib: int("kdf_m_kib")?,
                t: int("kdf_t")?,
                p: int("kdf_p")?,
                salt: String::new(),
            },
            salt,
        )))
    }

    /// Creates the account and its first session; `None` if the email is taken, else the
    /// account's and the session's ids.
    // One row's columns: a struct for them would only rename the parameters.
    #[allow(clippy::too_many_arguments)]
    pub async fn register(
        &self,
        email: &str,
        auth_hash: &str,
        kdf: &KdfParams,
        salt: &[u8],
        token_hash: &[u8],
        device_name: &str,
        keys: Option<&StoredKeys>,
    ) -> Result<Option<(i64, i64)>, ApiError> {
        let to_i32 =
            |v: u32| i32::try_from(v).map_err(|_| ApiError::BadRequest("kdf out of range".into()));
        let mut tx = self.pool.begin().await?;
        let account: Option<i64> = sqlx::query_scalar(
            "INSERT INTO accounts (email, auth_hash, kdf_algorithm, kdf_m_kib, kdf_t, kdf_p, kdf_salt,
                                   wrapped_key, recovery_wrapped_key, recovery_auth_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(auth_hash)
        .bind(&kdf.algorithm)
        .bind(to_i32(kdf.m_kib)?)
        .bind(to_i32(kdf.t)?)
        .bind(to_i32(kdf.p)?)
        .bind(salt)
        .bind(keys.map(|k| &k.wrapped_key))
        .bind(keys.map(|k| &k.recovery_wrapped_key))
        .bind(keys.map(|k| &k.recovery_auth_hash))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(account) = account else {
            return Ok(None);
        };
        let session = insert_session(&mut *tx, account, token_hash, device_name).await?;
        tx.commit().await?;
        Ok(Some((account, session)))
    }

    pub async fn account_auth(&self, email: &str) -> Result<Option<AccountAuth>, ApiError> {
        let row = sqlx::query(
            "SELECT id, auth_hash, recovery_auth_hash, wrapped_key, recovery_wrapped_key
             FROM accounts WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_auth_from_row(&r)).transpose()
    }

    /// The login row of an account by id (password change).
    pub async fn account_auth_by_id(&self, id: i64) -> Result<Option<AccountAuth>, ApiError> {
        let row = sqlx::query(
            "SELECT id, auth_hash, recovery_auth_hash, wrapped_key, recovery_wrapped_key
             FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| account_auth_from_row(&r)).transpose()
    }

    /// Swaps the authentication key hash, KDF parameters and password-wrapped data key in one
    /// statement, but only if the hash is still `expected_hash` (a concurrent change wins once).
    pub async fn change_password(
        &self,
        account_id: i64,
        expected_hash: &str,
        new_hash: &str,
        kdf: &KdfParams,
        salt: &[u8],
        wrapped_key: &[u8],
    ) -> Result<bool, ApiError> {
        let to_i32 =
            |v: u32| i32::try_from(v).map_err(|_| ApiError::BadRequest("kdf out of range".into()));
        let done = sqlx::query(
            "UPDATE accounts SET auth_hash = $3, kdf_algorithm = $4, kdf_m_kib = $5, kdf_t = $6,
                 kdf_p = $7, kdf_salt = $8, wrapped_key = $9
             WHERE id = $1 AND auth_hash = $2",
        )
        .bind(account_id)
        .bind(expected_hash)
        .bind(new_hash)
        .bind(&kdf.algorithm)
        .bind(to_i32(kdf.m_kib)?)
        .bind(to_i32(kdf.t)?)
        .bind(to_i32(kdf.p)?)
        .bind(salt)
        .bind(wrapped_key)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Swaps the recovery-wrapped data key and the recovery key's hash in one statement, but
    /// only if neither the password nor the recovery key changed since they were read (of two
    /// concurrent replacements one wins; the other's key, never stored, is never shown).
    pub async fn replace_recovery_key(
        &self,
        account_id: i64,
        expected_auth_hash: &str,
        expected_recovery_hash: Option<&str>,
        new_recovery_hash: &str,
        recovery_wrapped_key: &[u8],
    ) -> Result<bool, ApiError> {
        let done = sqlx::query(
            "UPDATE accounts SET recovery_auth_hash = $4, recovery_wrapped_key = $5
             WHERE id = $1 AND auth_hash = $2 AND recovery_auth_hash IS NOT DISTINCT FROM $3",
        )
        .bind(account_id)
        .bind(expected_auth_hash)
        .bind(expected_recovery_hash)
        .bind(new_recovery_hash)
        .bind(recovery_wrapped_key)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Rotates the account's data key (see [`Rotation`]): in one transaction that holds the
    /// account's writer lock, checks that nothing changed since the client's read (the
    /// password, the recovery key, the latest version and the live-record count), replaces
    /// every record with its re-sealed copy (versions `base_latest + 1 …` in request order),
    /// swaps the wrapped keys and the recovery key's hash, raises the tombstone floor past
    /// every old version (so any older cursor gets 410) and signs out every other session.
    /// Returns the new versions and the account's latest version.
    pub async fn rotate_data_key(&self, r: &Rotation<'_>) -> Result<(Vec<i64>, i64), ApiError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT last_version, used_bytes, live_records, auth_hash, recovery_auth_hash
             FROM accounts WHERE id = $1 FOR UPDATE",
        )
        .bind(r.account_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ApiError::Unauthorized)?;
        let (last, used, live): (i64, i64, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let auth_hash: String = row.try_get(3)?;
        let recovery_hash: Option<String> = row.try_get(4)?;
        if auth_hash != r.expected_auth_hash || recovery_hash.as_deref() != r.expected_recovery_hash
        {
            // The password or the recovery key changed since the proof was checked.
            return Err(ApiError::Busy);
        }
        if last != r.base_latest {
            // A write since the client's read: it must read (and merge) again.
            return Err(ApiError::Conflict(Vec::new()));
        }
        let n = i64::try_from(r.records.len()).unwrap_or(i64::MAX);
        if n != live {
            return Err(ApiError::BadRequest(format!(
                "a new data key must re-seal every live record: the account has {live}, the request {n}"
            )));
        }
        let bytes: i64 = r
            .records
            .iter()
            .map(|c| c.payload.as_ref().map_or(0, |p| p.len() as i64))
            .sum();
        // Re-sealing never has to fit a quota it already exceeded; it must not grow past it.
        if bytes > used && bytes > r.quota_bytes {
            return Err(ApiError::QuotaExceeded(format!(
                "storage quota of {} bytes exceeded",
                r.quota_bytes
            )));
        }
        sqlx::query("DELETE FROM records WHERE account_id = $1")
            .bind(r.account_id)
            .execute(&mut *tx)
            .await?;
        let collections: Vec<&str> = r.records.iter().map(|c| c.collection.as_str()).collect();
        let ids: Vec<&str> = r.records.iter().map(|c| c.id.as_str()).collect();
        let payloads: Vec<Option<&[u8]>> = r.records.iter().map(|c| c.payload.as_deref()).collect();
        sqlx::query(
            "INSERT INTO records (account_id, collection, id, version, deleted, payload, modified_at)
             SELECT $1, k.collection, k.id, $2 + k.ord, false, k.payload, now()
             FROM unnest($3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY
                  AS k(collection, id, payload, ord)",
        )
        .bind(r.account_id)
        .bind(last)
        .bind(&collections)
        .bind(&ids)
        .bind(&payloads)
        .execute(&mut *tx)
        .await?;
        // Versions go on from the old ones (never reused); at least one is used, so the floor
        // is above every old version even when the account holds no record.
        let latest = last + n.max(1);
        sqlx::query(
            "UPDATE accounts SET wrapped_key = $2, recovery_wrapped_key = $3,
                 recovery_auth_hash = $4, last_version = $5, tombstone_floor = $6,
                 used_bytes = $7, live_records = $8
             WHERE id = $1",
        )
        .bind(r.account_id)
        .bind(r.wrapped_key)
        .bind(r.recovery_wrapped_key)
        .bind(r.recovery_auth_hash)
        .bind(latest)
        .bind(last + 1)
        .bind(bytes)
        .bind(n)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
            .bind(r.account_id)
            .bind(r.keep_session)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(((1..=n).map(|i| last + i).collect(), latest))
    }

    pub async fn auth_hash_by_id(&self, account_id: i64) -> Result<Option<String>, ApiError> {
        Ok(
            sqlx::query_scalar("SELECT auth_hash FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn create_session(
        &self,
        account_id: i64,
        token_hash: &[u8],
        device_name: &str,
    ) -> Result<i64, ApiError> {
        insert_session(&self.pool, account_id, token_hash, device_name).await
    }

    /// The session behind a token hash, on a pooled connection that the lookup has just shown
    /// to be alive (the caller can go on using it); `Unauthorized` if there is none. Marks the
    /// session seen (at most once a minute).
    pub async fn authenticate(
        &self,
        token_hash: &[u8],
    ) -> Result<(PoolConnection<Postgres>, SessionRow), ApiError> {
        let mut attempt = 1;
        loop {
            let found = async {
                let mut conn = self.pool.acquire().await?;
                let row = sqlx::query(
                    "SELECT id, account_id, last_seen_at < now() - interval '60 seconds' AS stale
                     FROM sessions WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&mut *conn)
                .await?;
                Ok::<_, sqlx::Error>((conn, row))
            }
            .await;
            let (mut conn, row) = match found {
                Err(e) if attempt < ATTEMPTS && connection_lost(&e) => {
                    attempt += 1;
                    continue;
                }
                other => other?,
            };
            let row = row.ok_or(ApiError::Unauthorized)?;
            let session = SessionRow {
                session_id: row.try_get(0)?,
                account_id: row.try_get(1)?,
                stale: row.try_get(2)?,
            };
            if session.stale {
                Self::touch_session(&mut conn, session.session_id).await?;
            }
            return Ok((conn, session));
        }
    }

    /// A pooled connection (for a statement that authenticates by itself).
    pub async fn acquire(&self) -> Result<PoolConnection<Postgres>, ApiError> {
        Ok(self.pool.acquire().await?)
    }

    async fn touch_session(conn: &mut PgConnection, session_id: i64) -> Result<(), ApiError> {
        sqlx::query("UPDATE sessions SET last_seen_at = now() WHERE id = $1")
            .bind(session_id)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub async fn list_devices(
        &self,
        account_id: i64,
        current: i64,
    ) -> Result<Vec<Device>, ApiError> {
        let sql = format!(
            "SELECT id, device_name, {} AS created, {} AS seen FROM sessions
             WHERE account_id = $1 ORDER BY id",
            rfc3339("created_at"),
            rfc3339("last_seen_at")
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                Ok(Device {
                    id,
                    name: r.try_get("device_name")?,
                    created_at: r.try_get("created")?,
                    last_seen_at: r.try_get("seen")?,
                    current: id == current,
                })
            })
            .collect()
    }

    /// Deletes one session of the account; false if there was none.
    pub async fn delete_session(&self, account_id: i64, session_id: i64) -> Result<bool, ApiError> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the account; sessions and records go with it (ON DELETE CASCADE).
    pub async fn delete_account(&self, account_id: i64) -> Result<(), ApiError> {
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A page of the change feed after `since`, for the session behind `token_hash`
    /// (`Unauthorized` if there is none): authentication and the page in one statement.
    pub async fn changes(
        &self,
        token_hash: &[u8],
        since: i64,
        limit: i64,
        collection: Option<&str>,
        resync: bool,
    ) -> Result<Page, ApiError> {
        // One statement, one snapshot: a tombstone purge deletes rows and raises the floor
        // atomically, so if this page misses purged tombstones it also sees the raised floor.
        // Column indexes are used by `Page::records`.
        let query = || {
            sqlx::query(
                "SELECT s.id, s.account_id, s.last_seen_at < now() - interval '60 seconds',
                        a.tombstone_floor, a.last_version,
                        r.collection, r.id, r.version, r.deleted, r.payload
                 FROM sessions s
                 JOIN accounts a ON a.id = s.account_id
                 LEFT JOIN LATERAL (
                     SELECT collection, id, version, deleted, payload FROM records
                     WHERE account_id = a.id AND version > $2
                       AND ($4::text IS NULL OR collection = $4)
                     ORDER BY version LIMIT $3
                 ) r ON true
                 WHERE s.token_hash = $1",
            )
            .bind(token_hash)
            .bind(since)
            .bind(limit + 1)
            .bind(collection)
        };
        let mut attempt = 1;
        let (mut conn, mut rows) = loop {
            let read = async {
                let mut conn = self.pool.acquire().await?;
                let rows = query().fetch_all(&mut *conn).await?;
                Ok::<_, sqlx::Error>((conn, rows))
            }
            .await;
            match read {
                Err(e) if attempt < ATTEMPTS && connection_lost(&e) => attempt += 1,
                other => break other?,
            }
        };
        let (session, floor, latest, no_records) = {
            let first = rows.first().ok_or(ApiError::Unauthorized)?;
            let session = SessionRow {
                session_id: first.try_get(0)?,
                account_id: first.try_get(1)?,
                stale: first.try_get(2)?,
            };
            let floor: i64 = first.try_get(3)?;
            let latest: i64 = first.try_get(4)?;
            let version: Option<i64> = first.try_get(7)?;
            (session, floor, latest, version.is_none())
        };
        if session.stale {
            Self::touch_session(&mut conn, session.session_id).await?;
        }
        drop(conn);
        // A full resync (read from 0, deletions known by absence) pages past the floor.
        if since > 0 && since < floor && !resync {
            return Err(ApiError::CursorTooOld);
        }
        if no_records {
            rows.clear();
        }
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(Page {
            session,
            rows,
            more,
            latest,
        })
    }

    /// Authenticates `token_hash` (its session must belong to `account_id`, else
    /// `Unauthorized`) and applies a batch all-or-nothing on `conn` (one statement: see
    /// migrations/0003_write_records_batch.sql). Returns the new versions (in request order)
    /// and the account's latest version, or `Conflict` with the server's copies of stale
    /// records.
    pub async fn apply_batch(
        conn: &mut PgConnection,
        token_hash: &[u8],
        account_id: i64,
        changes: &[NewChange],
        limits: &WriteLimits,
    ) -> Result<(Vec<i64>, i64), ApiError> {
        if let [change] = changes {
            return Self::apply_one(conn, token_hash, account_id, change, limits).await;
        }
        let collections: Vec<&str> = changes.iter().map(|c| c.collection.as_str()).collect();
        let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
        let bases: Vec<i64> = changes.iter().map(|c| c.base_version).collect();
        let deleted: Vec<bool> = changes.iter().map(|c| c.deleted).collect();
        let payloads: Vec<Option<&[u8]>> = changes.iter().map(|c| c.payload.as_deref()).collect();
        let rows = sqlx::query(
            "SELECT o_status, o_collection, o_id, o_base, o_version, o_deleted, o_payload
             FROM stacksmart_write_records_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(&collections)
        .bind(&ids)
        .bind(&bases)
        .bind(&deleted)
        .bind(&payloads)
        .bind(limits.quota_bytes)
        .bind(limits.quota_records)
        .fetch_all(conn)
        .await?;
        let status: &str = rows
            .first()
            .ok_or_else(|| {
                ApiError::Internal("stacksmart_write_records_batch returned no row".into())
            })?
            .try_get(0)?;
        match status {
            "ok" => {
                let latest: i64 = rows[0].try_get(4)?;
                let first = latest - changes.len() as i64;
                let versions = (1..=changes.len() as i64).map(|i| first + i).collect();
                Ok((versions, latest))
            }
            "conflict" => {
                use base64::Engine as _;
                let conflicts = rows
                    .iter()
                    .map(|r| {
                        let collection: String = r.try_get(1)?;
                        let id: String = r.try_get(2)?;
                        let version: Option<i64> = r.try_get(4)?;
                        let current = match version {
                            Some(version) => Some(Record {
                                collection: collection.clone(),
                                id: id.clone(),
                                version,
                                deleted: r.try_get(5)?,
                                payload: r
                                    .try_get::<Option<&[u8]>, _>(6)?
                                    .map(|p| base64::engine::general_purpose::STANDARD.encode(p)),
                            }),
                            None => None,
                        };
                        Ok(Conflict {
                            collection,
                            id,
                            base_version: r.try_get(3)?,
                            current,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                metrics::counter!("sync_conflicts_total").increment(conflicts.len() as u64);
                Err(ApiError::Conflict(conflicts))
            }
            other => Err(write_refused(other, limits)),
        }
    }

    /// [`apply_batch`](Self::apply_batch) of a single change: `stacksmart_write_record`
    /// (migration 0004), the same checks in simpler statements.
    async fn apply_one(
        conn: &mut PgConnection,
        token_hash: &[u8],
        account_id: i64,
        change: &NewChange,
        limits: &WriteLimits,
    ) -> Result<(Vec<i64>, i64), ApiError> {
        let row = sqlx::query(
            "SELECT o_status, o_version, o_deleted, o_payload
             FROM stacksmart_write_record($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(&change.collection)
        .bind(&change.id)
        .bind(change.base_version)
        .bind(change.deleted)
        .bind(change.payload.as_deref())
        .bind(limits.quota_bytes)
        .bind(limits.quota_records)
        .fetch_one(conn)
        .await?;
        let status: &str = row.try_get(0)?;
        match status {
            "ok" => {
                let version: i64 = row.try_get(1)?;
                Ok((vec![version], version))
            }
            "conflict" => {
                use base64::Engine as _;
                let version: Option<i64> = row.try_get(1)?;
                let current = match version {
                    Some(version) => Some(Record {
                        collection: change.collection.clone(),
                        id: change.id.clone(),
                        version,
                        deleted: row.try_get(2)?,
                        payload: row
                            .try_get::<Option<&[u8]>, _>(3)?
                            .map(|p| base64::engine::general_purpose::STANDARD.encode(p)),
                    }),
                    None => None,
                };
                metrics::counter!("sync_conflicts_total").increment(1);
                Err(ApiError::Conflict(vec![Conflict {
                    collection: change.collection.clone(),
                    id: change.id.clone(),
                    base_version: change.base_version,
                    current,
                }]))
            }
            other => Err(write_refused(other, limits)),
        }
    }

    /// Deletes tombstones last modified before `older_than` ago and raises each affected
    /// account's floor, so cursors below it get 410. Returns how many were purged.
    pub async fn purge_tombstones(&self, older_than: Duration) -> Result<u64, ApiError> {
        let secs = older_than.as_secs_f64();
        let purged: i64 = sqlx::query_scalar(
            "WITH purged AS (
                 DELETE FROM records
                 WHERE deleted AND modified_at <= now() - make_interval(secs => $1)
                 RETURNING account_id, version
             ), floors AS (
                 SELECT account_id, max(version) AS floor, count(*) AS n FROM purged GROUP BY account_id
             ), raised AS (
                 UPDATE accounts a SET tombstone_floor = GREATEST(a.tombstone_floor, f.floor)
                 FROM floors f WHERE a.id = f.account_id RETURNING f.n
             )
             SELECT COALESCE(sum(n), 0)::bigint FROM raised",
        )
        .bind(secs)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }
}

//! Configuration: one struct read from the environment, every value with a documented default.
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `DATABASE_URL` | *(required)* | Postgres connection string |
//! | `STACKSMART_BIND` | `127.0.0.1:8787` | address to listen on |
//! | `STACKSMART_DB_MAX_CONNECTIONS` | `16` | connection pool size |
//! | `STACKSMART_DB_ACQUIRE_TIMEOUT_MS` | `3000` | wait for a pooled connection before 503 |
//! | `STACKSMART_LOCK_TIMEOUT_MS` | `2000` | wait for the account's writer lock before 409 |
//! | `STACKSMART_MIGRATE` | `true` | run embedded migrations at start-up |
//! | `STACKSMART_ARGON2_M_KIB` / `_T` / `_P` | `19456` / `2` / `1` | server-side Argon2id of the auth key |
//! | `STACKSMART_CLIENT_KDF_M_KIB` / `_T` / `_P` | `65536` / `3` / `1` | parameters returned for unknown emails |
//! | `STACKSMART_MAX_PAYLOAD_BYTES` | `65536` | largest ciphertext of one record (decoded) |
//! | `STACKSMART_MAX_BATCH` | `100` | most changes in one POST |
//! | `STACKSMART_MAX_BODY_BYTES` | `10485760` | largest request body |
//! | `STACKSMART_QUOTA_BYTES` | `26214400` | payload bytes per account |
//! | `STACKSMART_QUOTA_RECORDS` | `20000` | live records per account |
//! | `STACKSMART_PAGE_DEFAULT` / `_MAX` | `100` / `1000` | records per changes page |
//! | `STACKSMART_TOMBSTONE_RETENTION_SECS` | `7776000` (90 days) | keep tombstones this long |
//! | `STACKSMART_PURGE_INTERVAL_SECS` | `3600` | how often to purge old tombstones (0 = never) |
//! | `STACKSMART_COLLECTIONS` | `wallet,settings` | accepted collection names |
//! | `STACKSMART_RATE_AUTH_PER_IP` | `30` | auth requests per IP per minute (burst the same) |
//! | `STACKSMART_RATE_LOGIN_PER_EMAIL` | `10` | login attempts per email per minute |
//! | `STACKSMART_RATE_WRITES_PER_ACCOUNT` | `120` | write requests per account per second (burst 2×) |
//! | `STACKSMART_RATE_WRITES_PER_IP` | `240` | write requests per IP per second (burst 2×) |
//! | `STACKSMART_TRUST_FORWARDED_FOR` | `false` | take the client IP from `X-Forwarded-For` (behind a proxy) |
//! | `STACKSMART_LOG_FORMAT` | `json` | `json` or `text` logs (`RUST_LOG` filters) |

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Parameters of an Argon2id derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

/// The server configuration.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    pub lock_timeout: Duration,
    pub migrate: bool,
    pub server_argon2: Argon2Params,
    pub default_client_kdf: Argon2Params,
    pub max_payload_bytes: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub quota_bytes: i64,
    pub quota_records: i64,
    pub page_default: i64,
    pub page_max: i64,
    pub tombstone_retention: Duration,
    pub purge_interval: Duration,
    pub collections: Vec<String>,
    pub rate_auth_per_ip_per_min: u32,
    pub rate_login_per_email_per_min: u32,
    pub rate_writes_per_account_per_sec: u32,
    pub rate_writes_per_ip_per_sec: u32,
    pub trust_forwarded_for: bool,
    pub log_json: bool,
}

// The database URL may carry a password: keep it out of logs.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<redacted>")
            .field("bind", &self.bind)
            .field("db_max_connections", &self.db_max_connections)
            .field("lock_timeout", &self.lock_timeout)
            .field("server_argon2", &self.server_argon2)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("max_batch", &self.max_batch)
            .field("quota_bytes", &self.quota_bytes)
            .field("quota_records", &self.quota_records)
            .field("collections", &self.collections)
            .finish_non_exhaustive()
    }
}

/// A configuration value that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is required")]
    MissingDatabaseUrl,
    #[error("{name}={value:?} is not valid")]
    Invalid { name: String, value: String },
}

impl Config {
    /// Defaults for everything but the database URL.
    pub fn with_database_url(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8787)),
            db_max_connections: 16,
            db_acquire_timeout: Duration::from_millis(3000),
            lock_timeout: Duration::from_millis(2000),
            migrate: true,
            server_argon2: Argon2Params {
                m_kib: 19456,
                t: 2,
                p: 1,
            },
            default_client_kdf: Argon2Params {
                m_kib: 65536,
                t: 3,
                p: 1,
            },
            max_payload_bytes: 64 * 1024,
            max_batch: 100,
            max_body_bytes: 10 * 1024 * 1024,
            quota_bytes: 25 * 1024 * 1024,
            quota_records: 20_000,
            page_default: 100,
            page_max: 1000,
            tombstone_retention: Duration::from_secs(90 * 24 * 3600),
            purge_interval: Duration::from_secs(3600),
            collections: vec!["wallet".into(), "settings".into()],
            rate_auth_per_ip_per_min: 30,
            rate_login_per_email_per_min: 10,
            rate_writes_per_account_per_sec: 120,
            rate_writes_per_ip_per_sec: 240,
            trust_forwarded_for: false,
            log_json: true,
        }
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = lookup("DATABASE_URL")
            .filter(|u| !u.trim().is_empty())
            .ok_or(ConfigError::MissingDatabaseUrl)?;
        let mut c = Config::with_database_url(url);
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        fn parse<T: FromStr>(
            name: &str,
            value: Option<String>,
            into: &mut T,
        ) -> Result<(), ConfigError> {
            if let Some(v) = value {
                *into = v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: name.to_string(),
                    value: v.clone(),
                })?;
            }
            Ok(())
        }
        macro_rules! p {
            ($name:literal, $field:expr) => {
                parse($name, get($name), &mut $field)?
            };
        }
        p!("STACKSMART_BIND", c.bind);
        p!("STACKSMART_DB_MAX_CONNECTIONS", c.db_max_connections);
        let mut ms = 0u64;
        if get("STACKSMART_DB_ACQUIRE_TIMEOUT_MS").is_some() {
            p!("STACKSMART_DB_ACQUIRE_TIMEOUT_MS", ms);
            c.db_acquire_timeout = Duration::from_millis(ms);
        }
        if get("STACKSMART_LOCK_TIMEOUT_MS").is_some() {
            p!("STACKSMART_LOCK_TIMEOUT_MS", ms);
            c.lock_timeout = Duration::from_millis(ms);
        }
        p!("STACKSMART_MIGRATE", c.migrate);
        p!("STACKSMART_ARGON2_M_KIB", c.server_argon2.m_kib);
        p!("STACKSMART_ARGON2_T", c.server_argon2.t);
        p!("STACKSMART_ARGON2_P", c.server_argon2.p);
        p!("STACKSMART_CLIENT_KDF_M_KIB", c.default_client_kdf.m_kib);
        p!("STACKSMART_CLIENT_KDF_T", c.default_client_kdf.t);
        p!("STACKSMART_CLIENT_KDF_P", c.default_client_kdf.p);
        p!("STACKSMART_MAX_PAYLOAD_BYTES", c.max_payload_bytes);
        p!("STACKSMART_MAX_BATCH", c.max_batch);
        p!("STACKSMART_MAX_BODY_BYTES", c.max_body_bytes);
        p!("STACKSMART_QUOTA_BYTES", c.quota_bytes);
        p!("STACKSMART_QUOTA_RECORDS", c.quota_records);
        p!("STACKSMART_PAGE_DEFAULT", c.page_default);
        p!("STACKSMART_PAGE_MAX", c.page_max);
        let mut secs = 0u64;
        if get("STACKSMART_TOMBSTONE_RETENTION_SECS").is_some() {
            p!("STACKSMART_TOMBSTONE_RETENTION_SECS", secs);
            c.tombstone_retention = Duration::from_secs(secs);
        }
        if get("STACKSMART_PURGE_INTERVAL_SECS").is_some() {
            p!("STACKSMART_PURGE_INTERVAL_SECS", secs);
            c.purge_interval = Duration::from_secs(secs);
        }
        if let Some(v) = get("STACKSMART_COLLECTIONS") {
            let names: Vec<String> = v.split(',').map(|s| s.trim().to_string()).collect();
            if names.iter().any(|n| !valid_collection_name(n)) {
                return Err(ConfigError::Invalid {
                    name: "STACKSMART_COLLECTIONS".into(),
                    value: v,
                });
            }
            c.collections = names;
        }
        p!("STACKSMART_RATE_AUTH_PER_IP", c.rate_auth_per_ip_per_min);
        p!(
            "STACKSMART_RATE_LOGIN_PER_EMAIL",
            c.rate_login_per_email_per_min
        );
        p!(
            "STACKSMART_RATE_WRITES_PER_ACCOUNT",
            c.rate_writes_per_account_per_sec
        );
        p!(
            "STACKSMART_RATE_WRITES_PER_IP",
            c.rate_writes_per_ip_per_sec
        );
        p!("STACKSMART_TRUST_FORWARDED_FOR", c.trust_forwarded_for);
        if let Some(v) = get("STACKSMART_LOG_FORMAT") {
            c.log_json = match v.trim() {
                "json" => true,
                "text" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "STACKSMART_LOG_FORMAT".into(),
                        value: v,
                    })
                }
            };
        }
        let positive = [
            ("STACKSMART_ARGON2_M_KIB", c.server_argon2.m_kib),
            ("STACKSMART_ARGON2_T", c.server_argon2.t),
            ("STACKSMART_ARGON2_P", c.server_argon2.p),
            ("STACKSMART_DB_MAX_CONNECTIONS", c.db_max_connections),
            ("STACKSMART_RATE_AUTH_PER_IP", c.rate_auth_per_ip_per_min),
            (
                "STACKSMART_RATE_LOGIN_PER_EMAIL",
                c.rate_login_per_email_per_min,
            ),
            (
                "STACKSMART_RATE_WRITES_PER_ACCOUNT",
                c.rate_writes_per_account_per_sec,
            ),
            (
                "STACKSMART_RATE_WRITES_PER_IP",
                c.rate_writes_per_ip_per_sec,
            ),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid {
                name: (*name).to_string(),
                value: v.to_string(),
            });
        }
        if c.page_default < 1 || c.page_max < c.page_default || c.max_batch == 0 {
            return Err(ConfigError::Invalid {
                name: "STACKSMART_PAGE_DEFAULT/STACKSMART_PAGE_MAX/STACKSMART_MAX_BATCH".into(),
                value: format!("{}/{}/{}", c.page_default, c.page_max, c.max_batch),
            });
        }
        Ok(c)
    }
}

/// Collection names: 1–32 of `a-z`, `0-9`, `_`, `-`, starting with a letter.
pub fn valid_collection_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 32
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn database_url_is_required() {
        assert!(matches!(cfg(&[]), Err(ConfigError::MissingDatabaseUrl)));
    }

    #[test]
    fn defaults_apply_and_values_override() {
        let c = cfg(&[("DATABASE_URL", "postgres://x/y")]).expect("defaults");
        assert_eq!(c.bind.port(), 8787);
        assert_eq!(c.max_payload_bytes, 65536);
        let c = cfg(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("STACKSMART_BIND", "0.0.0.0:9000"),
            ("STACKSMART_COLLECTIONS", "wallet,settings,lists"),
            ("STACKSMART_LOCK_TIMEOUT_MS", "50"),
        ])
        .expect("overrides");
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.collections.len(), 3);
        assert_eq!(c.lock_timeout, Duration::from_millis(50));
    }

    #[test]
    fn invalid_values_are_rejected_by_name() {
        let err = cfg(&[("DATABASE_URL", "x"), ("STACKSMART_MAX_BATCH", "lots")])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("STACKSMART_MAX_BATCH=\"lots\" is not valid")
        );
        assert!(cfg(&[("DATABASE_URL", "x"), ("STACKSMART_COLLECTIONS", "Wallet")]).is_err());
        assert!(cfg(&[("DATABASE_URL", "x"), ("STACKSMART_ARGON2_T", "0")]).is_err());
    }

    #[test]
    fn debug_redacts_the_database_url() {
        let c = Config::with_database_url("postgres://u:hunter2@h/d");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

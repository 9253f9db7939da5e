//! In-process rate limits (GCRA buckets from `governor`), keyed by client IP, email or account.
//! These are the only state a server instance keeps outside the database; behind a load
//! balancer each instance enforces its own share.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::error::ApiError;
use crate::AppState;

/// A keyed limiter that answers with `RateLimited(retry_after_secs)`.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
    name: &'static str,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(name: &'static str, quota: Quota) -> Self {
        Limiter {
            inner: RateLimiter::keyed(quota),
            name,
        }
    }

    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            metrics::counter!("rate_limited_total", "limit" => self.name).increment(1);
            ApiError::RateLimited(wait.as_secs() + 1)
        })
    }

    fn forget_idle(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// Which account a bearer token (its SHA-256) belongs to, remembered only so that a write can
/// be charged to its account's limit *before* its one statement runs: that statement checks
/// the token itself (`stacksmart_write_records_batch`), so a revoked token still fails at once.
/// A session never moves to another account, so an entry can be missing but never wrong.
/// Bounded: emptied when full and at every upkeep tick (a missing entry costs one extra
/// session lookup).
pub struct TokenAccounts {
    map: Mutex<HashMap<Vec<u8>, i64>>,
}

impl TokenAccounts {
    const MAX_ENTRIES: usize = 100_000;

    fn new() -> Self {
        TokenAccounts {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, i64>> {
        // The map holds no invariant a panicking holder could break.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, token_hash: &[u8]) -> Option<i64> {
        self.map().get(token_hash).copied()
    }

    pub fn insert(&self, token_hash: &[u8], account_id: i64) {
        let mut map = self.map();
        if map.len() >= Self::MAX_ENTRIES {
            map.clear();
        }
        map.insert(token_hash.to_vec(), account_id);
    }

    pub fn remove(&self, token_hash: &[u8]) {
        self.map().remove(token_hash);
    }

    fn clear(&self) {
        let mut map = self.map();
        map.clear();
        map.shrink_to_fit();
    }
}

/// All limiters of one server instance.
pub struct Limits {
    pub auth_per_ip: Limiter<IpAddr>,
    pub login_per_email: Limiter<String>,
    pub writes_per_account: Limiter<i64>,
    pub writes_per_ip: Limiter<IpAddr>,
    pub token_accounts: TokenAccounts,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(c: &Config) -> Self {
        let per_min = |n: u32| Quota::per_minute(nz(n)).allow_burst(nz(n));
        let per_sec = |n: u32| Quota::per_second(nz(n)).allow_burst(nz(n.saturating_mul(2)));
        Limits {
            auth_per_ip: Limiter::new("auth_per_ip", per_min(c.rate_auth_per_ip_per_min)),
            login_per_email: Limiter::new(
                "login_per_email",
                per_min(c.rate_login_per_email_per_min),
            ),
            writes_per_account: Limiter::new(
                "writes_per_account",
                per_sec(c.rate_writes_per_account_per_sec),
            ),
            writes_per_ip: Limiter::new("writes_per_ip", per_sec(c.rate_writes_per_ip_per_sec)),
            token_accounts: TokenAccounts::new(),
        }
    }

    /// Drops buckets that are full again (called periodically) so memory stays bounded.
    pub fn forget_idle(&self) {
        self.auth_per_ip.forget_idle();
        self.login_per_email.forget_idle();
        self.writes_per_account.forget_idle();
        self.writes_per_ip.forget_idle();
        self.token_accounts.clear();
    }
}

/// The client's IP: the peer address, or the right-most `X-Forwarded-For` entry (the one the
/// trusted proxy appended) when `STACKSMART_TRUST_FORWARDED_FOR` is set.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|ip| ip.trim().parse().ok());
            if let Some(ip) = forwarded {
                return Ok(ClientIp(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited_with_retry_after() {
        let l: Limiter<u8> = Limiter::new("t", Quota::per_minute(nz(3)).allow_burst(nz(3)));
        for _ in 0..3 {
            assert!(l.check(&1).is_ok());
        }
        match l.check(&1) {
            Err(ApiError::RateLimited(secs)) => assert!((1..=21).contains(&secs), "{secs}"),
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(l.check(&2).is_ok(), "other keys have their own bucket");
    }

    #[test]
    fn token_accounts_are_remembered_forgotten_and_bounded() {
        let t = TokenAccounts::new();
        assert_eq!(t.get(b"a"), None);
        t.insert(b"a", 7);
        assert_eq!(t.get(b"a"), Some(7));
        t.remove(b"a");
        assert_eq!(t.get(b"a"), None);
        for i in 0..TokenAccounts::MAX_ENTRIES + 1 {
            t.insert(&i.to_le_bytes(), 1);
        }
        assert!(t.map().len() <= TokenAccounts::MAX_ENTRIES);
        t.clear();
        assert_eq!(t.map().len(), 0);
    }
}

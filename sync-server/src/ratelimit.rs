//! In-process rate limits (GCRA buckets from `governor`), keyed by client IP, email or account.
//! These are the only state a server instance keeps outside the database; behind a load
//! balancer each instance enforces its own share.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

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

/// All limiters of one server instance.
pub struct Limits {
    pub auth_per_ip: Limiter<IpAddr>,
    pub login_per_email: Limiter<String>,
    pub writes_per_account: Limiter<i64>,
    pub writes_per_ip: Limiter<IpAddr>,
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
        }
    }

    /// Drops buckets that are full again (called periodically) so memory stays bounded.
    pub fn forget_idle(&self) {
        self.auth_per_ip.forget_idle();
        self.login_per_email.forget_idle();
        self.writes_per_account.forget_idle();
        self.writes_per_ip.forget_idle();
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
}

//! When the server asks to be left alone: `Retry-After` on 409 (`busy`), 429 and 503, as
//! delay-seconds or an HTTP-date, and the time before which no round may start. The
//! background stores that time with the sync state and skips every round (after an edit, on
//! the alarm, on "Sync now") until it has passed.

use std::time::UNIX_EPOCH;

use crate::client::SyncError;

/// The longest wait a server can impose: a wrong header must not stop sync for days.
pub const MAX_WAIT_SECS: u32 = 3600;
/// The wait when a 429 comes without `Retry-After`.
const DEFAULT_RATE_LIMITED_SECS: u32 = 60;
/// The wait when a busy 409 or a 503 comes without `Retry-After`.
const DEFAULT_BUSY_SECS: u32 = 5;

/// Seconds to wait from `now_ms`, read from a `Retry-After` value: delay-seconds (`120`) or an
/// HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, and the two obsolete forms HTTP still allows).
/// A date already past is 0 s; anything else is `None`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u32> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u32 is a very long wait: capped where it is used.
        return Some(v.parse().unwrap_or(u32::MAX));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = u64::try_from(at.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
    let secs = at_ms.saturating_sub(now_ms).div_ceil(1000);
    Some(u32::try_from(secs).unwrap_or(u32::MAX))
}

/// How long the failure asks this device to stay away, in seconds (at most
/// [`MAX_WAIT_SECS`]): 429, 503 and a busy 409, with the server's `Retry-After` or a short
/// default. `None` for every other failure (the next round may go at once).
pub fn wait_secs(error: &SyncError) -> Option<u32> {
    let SyncError::Http {
        status,
        code,
        retry_after,
        ..
    } = error
    else {
        return None;
    };
    let default = match status {
        429 => DEFAULT_RATE_LIMITED_SECS,
        503 => DEFAULT_BUSY_SECS,
        // 409 also means "email taken" at sign-up: only a busy account is a reason to wait.
        409 if code == "busy" || retry_after.is_some() => DEFAULT_BUSY_SECS,
        _ => return None,
    };
    Some(retry_after.unwrap_or(default).min(MAX_WAIT_SECS))
}

/// The time (ms since the epoch) before which no round may start after `error` at `now_ms`.
pub fn not_before_ms(error: &SyncError, now_ms: u64) -> Option<u64> {
    wait_secs(error).map(|s| now_ms.saturating_add(u64::from(s) * 1000))
}

/// Whole seconds still to wait at `now_ms` (rounded up), or `None` when a round may go.
pub fn seconds_left(not_before_ms: Option<u64>, now_ms: u64) -> Option<u64> {
    not_before_ms
        .filter(|&t| t > now_ms)
        .map(|t| (t - now_ms).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-21T10:00:00Z.
    const NOW_MS: u64 = 1_795_255_200_000;

    fn http(status: u16, code: &str, retry_after: Option<u32>) -> SyncError {
        SyncError::Http {
            status,
            code: code.into(),
            message: "the server's words".into(),
            retry_after,
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        assert_eq!(parse_retry_after("120", NOW_MS), Some(120));
        assert_eq!(parse_retry_after(" 0 ", NOW_MS), Some(0));
        assert_eq!(parse_retry_after("99999999999", NOW_MS), Some(u32::MAX));
        for bad in ["", "-5", "1.5", "soon", "12 s"] {
            assert_eq!(parse_retry_after(bad, NOW_MS), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_is_read_as_an_http_date_in_all_three_forms() {
        // 90 s after NOW_MS.
        for date in [
            "Sat, 21 Nov 2026 10:01:30 GMT",
            "Saturday, 21-Nov-26 10:01:30 GMT",
            "Sat Nov 21 10:01:30 2026",
        ] {
            assert_eq!(parse_retry_after(date, NOW_MS), Some(90), "{date}");
        }
        // Part of a second still to go counts as a whole one.
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 10:01:30 GMT", NOW_MS + 500),
            Some(90)
        );
        // A date already past: go now.
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 09:00:00 GMT", NOW_MS),
            Some(0)
        );
        assert_eq!(parse_retry_after("21 Nov 2026 10:01:30", NOW_MS), None);
    }

    #[test]
    fn busy_rate_limited_and_unavailable_ask_for_a_wait() {
        assert_eq!(wait_secs(&http(429, "rate_limited", Some(42))), Some(42));
        assert_eq!(wait_secs(&http(429, "rate_limited", None)), Some(60));
        assert_eq!(wait_secs(&http(503, "unavailable", Some(7))), Some(7));
        assert_eq!(wait_secs(&http(503, "", None)), Some(5));
        assert_eq!(wait_secs(&http(409, "busy", Some(2))), Some(2));
        assert_eq!(wait_secs(&http(409, "busy", None)), Some(5));
        // A server asking for a week gets an hour.
        assert_eq!(
            wait_secs(&http(429, "rate_limited", Some(604_800))),
            Some(MAX_WAIT_SECS)
        );
        for other in [
            http(409, "email_taken", None),
            http(401, "unauthorized", Some(30)),
            http(500, "internal", None),
            SyncError::Network("connection refused".into()),
            SyncError::Conflict(Vec::new()),
        ] {
            assert_eq!(wait_secs(&other), None, "{other:?}");
        }
    }

    #[test]
    fn rounds_are_held_back_until_the_time_has_passed() {
        let until = not_before_ms(&http(429, "rate_limited", Some(30)), NOW_MS);
        assert_eq!(until, Some(NOW_MS + 30_000));
        assert_eq!(seconds_left(until, NOW_MS), Some(30));
        assert_eq!(seconds_left(until, NOW_MS + 29_001), Some(1));
        assert_eq!(seconds_left(until, NOW_MS + 30_000), None);
        assert_eq!(seconds_left(until, NOW_MS + 90_000), None);
        assert_eq!(seconds_left(None, NOW_MS), None);
        assert_eq!(
            not_before_ms(&http(401, "unauthorized", None), NOW_MS),
            None
        );
    }
}

//! Authentication: Argon2id hashes of client-derived keys, opaque bearer tokens stored as
//! SHA-256, stable fake KDF parameters for unknown emails, and the [`AuthSession`] extractor —
//! a handler that takes an `AuthSession` cannot forget to check the token.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::config::Argon2Params;
use crate::error::ApiError;
use crate::model::KdfParams;
use crate::AppState;

/// Length of the client-derived authentication key.
pub const AUTH_KEY_LEN: usize = 32;
/// Length of the client KDF salt.
pub const SALT_LEN: usize = 16;

/// An authenticated request: the session (device) and its account.
#[derive(Clone, Copy, Debug)]
pub struct AuthSession {
    pub account_id: i64,
    pub session_id: i64,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let BearerToken(hash) = BearerToken::from_request_parts(parts, state).await?;
        let (_conn, session) = state.store.authenticate(&hash).await?;
        tracing::Span::current().record("account", session.account_id);
        Ok(AuthSession {
            account_id: session.account_id,
            session_id: session.session_id,
        })
    }
}

/// The SHA-256 of a well-formed bearer token, not yet checked against the sessions: only
/// store methods that look the session up themselves take it (`Store::changes`,
/// `Store::authenticate`), so the hot paths authenticate in the same round trip as their work.
pub struct BearerToken(pub Vec<u8>);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ApiError::Unauthorized)?;
        Ok(BearerToken(token_hash(token)))
    }
}

/// A fresh opaque bearer token (32 random bytes, base64url).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("ss1_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Hashes and verifies authentication keys with the server's Argon2id parameters.
#[derive(Clone)]
pub struct KeyHasher {
    params: Params,
    /// A hash of a random key: verified against for unknown emails so that login takes the
    /// same time whether or not the account exists.
    dummy_hash: String,
}

impl KeyHasher {
    pub fn new(p: Argon2Params) -> Result<Self, ApiError> {
        let params = Params::new(p.m_kib, p.t, p.p, None)
            .map_err(|e| ApiError::Internal(format!("argon2 params: {e}")))?;
        let mut hasher = KeyHasher {
            params,
            dummy_hash: String::new(),
        };
        let mut random = [0u8; AUTH_KEY_LEN];
        OsRng.fill_bytes(&mut random);
        hasher.dummy_hash = hasher.hash(&random)?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// PHC string of the key with a random salt.
    pub fn hash(&self, key: &[u8]) -> Result<String, ApiError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(key, &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
    }

    /// Checks `key` against `hash` (or against the dummy hash when `hash` is `None`, which
    /// always fails but costs the same).
    pub fn verify(&self, key: &[u8], hash: Option<&str>) -> bool {
        let known = hash.is_some();
        let phc = hash.unwrap_or(&self.dummy_hash);
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        // Verification uses the parameters stored in the PHC string.
        let ok = Argon2::default().verify_password(key, &parsed).is_ok();
        ok && known
    }
}

/// Runs a CPU-heavy hash off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("hash task: {e}")))
}

/// Normalises an email (trim, lower-case) and checks its shape.
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.contains('@')
        })
        && !e.chars().any(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(ApiError::BadRequest("email is not valid".into()))
    }
}

/// Decodes a base64 authentication key of exactly [`AUTH_KEY_LEN`] bytes.
pub fn decode_auth_key(b64: &str) -> Result<Vec<u8>, ApiError> {
    match STANDARD.decode(b64.trim()) {
        Ok(k) if k.len() == AUTH_KEY_LEN => Ok(k),
        _ => Err(ApiError::BadRequest(format!(
            "auth_key must be {AUTH_KEY_LEN} bytes of base64"
        ))),
    }
}

/// Validates client KDF parameters sent at registration; returns the decoded salt.
pub fn validate_kdf(kdf: &KdfParams) -> Result<Vec<u8>, ApiError> {
    let bad = |m: &str| Err(ApiError::BadRequest(format!("kdf: {m}")));
    if kdf.algorithm != "argon2id" {
        return bad("algorithm must be argon2id");
    }
    if !(8 * 1024..=4 * 1024 * 1024).contains(&kdf.m_kib) {
        return bad("m_kib must be 8192..=4194304");
    }
    if !(1..=64).contains(&kdf.t) {
        return bad("t must be 1..=64");
    }
    if !(1..=16).contains(&kdf.p) {
        return bad("p must be 1..=16");
    }
    match STANDARD.decode(kdf.salt.trim()) {
        Ok(s) if s.len() == SALT_LEN => Ok(s),
        _ => bad("salt must be 16 bytes of base64"),
    }
}

/// Stable fake parameters for an email without an account: the default parameters and a salt
/// derived from the email with a server secret (same answer every time, on every instance).
pub fn fake_kdf(secret: &[u8], email: &str, defaults: Argon2Params) -> KdfParams {
    // HMAC accepts keys of any length, so this cannot fail.
    let salt = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(b"stacksmart fake kdf salt\0");
            mac.update(email.as_bytes());
            mac.finalize().into_bytes()[..SALT_LEN].to_vec()
        }
        Err(_) => Sha256::digest(email.as_bytes())[..SALT_LEN].to_vec(),
    };
    KdfParams {
        algorithm: "argon2id".into(),
        m_kib: defaults.m_kib,
        t: defaults.t,
        p: defaults.p,
        salt: STANDARD.encode(salt),
    }
}

/// The opaque reference to an account that sessions carry (`SessionResponse::account`): an HMAC
/// of its id under a server secret, so it says nothing about how many accounts there are.
pub fn account_ref(secret: &[u8], account_id: i64) -> String {
    let tag = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(b"stacksmart account ref\0");
            mac.update(&account_id.to_be_bytes());
            mac.finalize().into_bytes()
        }
        // HMAC takes keys of any length.
        Err(_) => Sha256::digest(account_id.to_be_bytes()),
    };
    tag[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Random bytes (server secrets).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    OsRng.fill_bytes(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Argon2Params = Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    #[test]
    fn hash_verifies_only_the_right_key() {
        let h = KeyHasher::new(SMALL).expect("params");
        let hash = h.hash(b"right key").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify(b"right key", Some(&hash)));
        assert!(!h.verify(b"wrong key", Some(&hash)));
        assert!(!h.verify(b"right key", None));
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn fake_kdf_is_stable_per_email_and_secret() {
        let d = Argon2Params {
            m_kib: 65536,
            t: 3,
            p: 1,
        };
        let a = fake_kdf(b"secret", "a@example.com", d);
        assert_eq!(a, fake_kdf(b"secret", "a@example.com", d));
        assert_ne!(a.salt, fake_kdf(b"secret", "b@example.com", d).salt);
        assert_ne!(a.salt, fake_kdf(b"other", "a@example.com", d).salt);
        assert!(
            validate_kdf(&a).is_ok(),
            "fake params must look like real ones"
        );
    }

    #[test]
    fn account_refs_are_stable_opaque_and_per_secret() {
        let a = account_ref(b"secret", 7);
        assert_eq!(a, account_ref(b"secret", 7));
        assert_eq!(a.len(), 32);
        assert_ne!(a, account_ref(b"secret", 8));
        assert_ne!(a, account_ref(b"other", 7));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email(" A@Example.COM ").ok().as_deref(),
            Some("a@example.com")
        );
        for bad in ["", "no-at", "@x.y", "a@b", "a b@c.d", "a@b@c.d"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}

//! The key scheme (docs/sync-protocol.md, "Keys"):
//!
//! ```text
//! password ──Argon2id(salt, m, t, p)──▶ master ──HKDF─┬─▶ auth_key   (sent; the server hashes it)
//!                                                     └─▶ wrap_key   (never sent)
//! recovery key (32 random bytes) ──HKDF─┬─▶ recovery auth key (sent at sign-up; hashed)
//!                                       └─▶ recovery wrap key (never sent)
//! data key (32 random bytes): wrapped by wrap_key and by the recovery wrap key; the two
//! wrapped copies live on the server. Records are sealed with the data key.
//! ```
//!
//! A password change re-wraps the data key only, so no record has to be sealed again. A new
//! recovery key comes with a new data key ([`new_data_key`]), and every record is sealed
//! again under it (`client::rotate_data_key`): the old recovery key may have been seen.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Length of every symmetric key here.
pub const KEY_LEN: usize = 32;
/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the key-derivation parameters are not usable: {0}")]
    Params(String),
    /// Wrong key, wrong associated data, or tampered bytes: AEAD cannot tell which.
    #[error("decryption failed (wrong key or tampered data)")]
    Open,
    #[error("not a valid recovery key: {0}")]
    RecoveryKey(&'static str),
    #[error("the browser gave no random bytes: {0}")]
    Random(String),
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// Argon2id parameters and salt of an account (the server keeps them; `POST /v1/auth/params`).
pub use engine::protocol::KdfParams;

/// The server's cost with a fresh random salt (sign-up and password change).
pub fn fresh_kdf(m_kib: u32, t: u32, p: u32) -> Result<KdfParams, CryptoError> {
    Ok(KdfParams {
        algorithm: "argon2id".into(),
        m_kib,
        t,
        p,
        salt: STANDARD.encode(random::<SALT_LEN>()?),
    })
}

/// A 32-byte secret. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub [u8; KEY_LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn random() -> Result<Self, CryptoError> {
        random().map(Key)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::Malformed("key"))?;
        bytes
            .try_into()
            .map(Key)
            .map_err(|_| CryptoError::Malformed("key"))
    }
}

/// What the password gives: the key the server checks and the key that wraps the data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordKeys {
    pub auth: Key,
    pub wrap: Key,
}

/// Argon2id(password) → HKDF → the two password keys. This is the expensive step: it runs
/// in the options page, never in the service worker (which the browser may stop mid-way).
pub fn password_keys(password: &str, kdf: &KdfParams) -> Result<PasswordKeys, CryptoError> {
    if kdf.algorithm != "argon2id" {
        return Err(CryptoError::Params(format!(
            "unknown algorithm {}",
            kdf.algorithm
        )));
    }
    let salt = STANDARD
        .decode(kdf.salt.trim())
        .map_err(|_| CryptoError::Malformed("salt"))?;
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(KEY_LEN))
        .map_err(|e| CryptoError::Params(e.to_string()))?;
    let mut master = [0u8; KEY_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), &salt, &mut master)
        .map_err(|e| CryptoError::Params(e.to_string()))?;
    Ok(PasswordKeys {
        auth: expand(&master, b"stacksmart auth v1"),
        wrap: expand(&master, b"stacksmart wrap v1"),
    })
}

fn expand(ikm: &[u8], info: &[u8]) -> Key {
    let mut out = [0u8; KEY_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, ikm).expand(info, &mut out);
    Key(out)
}

/// The recovery key: 32 random bytes shown once at sign-up as 13 groups of 4 base32
/// characters. It replaces the password when that is lost.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryKey(Key);

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(…)")
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl RecoveryKey {
    pub fn random() -> Result<Self, CryptoError> {
        Key::random().map(RecoveryKey)
    }

    /// `ABCD-EFGH-…` (52 characters of RFC 4648 base32 in groups of 4).
    pub fn display(&self) -> String {
        let mut bits = 0u32;
        let mut n = 0;
        let mut chars = Vec::with_capacity(52);
        for byte in self.0 .0 {
            bits = (bits << 8) | u32::from(byte);
            n += 8;
            while n >= 5 {
                n -= 5;
                chars.push(B32[((bits >> n) & 31) as usize]);
            }
        }
        if n > 0 {
            chars.push(B32[((bits << (5 - n)) & 31) as usize]);
        }
        chars
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Reads what [`display`](Self::display) wrote; case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::with_capacity(KEY_LEN);
        let mut count = 0;
        for c in text
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t' | '\n'))
        {
            let c = c.to_ascii_uppercase();
            let v = B32
                .iter()
                .position(|&b| char::from(b) == c)
                .ok_or(CryptoError::RecoveryKey("only letters A–Z and digits 2–7"))?;
            count += 1;
            bits = (bits << 5) | u32::try_from(v).unwrap_or(0);
            n += 5;
            if n >= 8 {
                n -= 8;
                out.push(u8::try_from((bits >> n) & 0xff).unwrap_or(0));
            }
        }
        if count != 52 || out.len() != KEY_LEN {
            return Err(CryptoError::RecoveryKey("it has 52 characters"));
        }
        out.try_into()
            .map(|k| RecoveryKey(Key(k)))
            .map_err(|_| CryptoError::RecoveryKey("it has 52 characters"))
    }

    /// The recovery key's own auth and wrap keys (no Argon2: the key is already random).
    pub fn keys(&self) -> PasswordKeys {
        PasswordKeys {
            auth: expand(&self.0 .0, b"stacksmart recovery auth v1"),
            wrap: expand(&self.0 .0, b"stacksmart recovery wrap v1"),
        }
    }
}

/// Which key wrapped a data key (bound into the associated data, so a copy wrapped for one
/// purpose cannot be passed off as the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapPurpose {
    Password,
    Recovery,
}

fn wrap_ad(email: &str, purpose: WrapPurpose) -> Vec<u8> {
    let p = match purpose {
        WrapPurpose::Password => "password",
        WrapPurpose::Recovery => "recovery",
    };
    format!("stacksmart data key v1\0{email}\0{p}").into_bytes()
}

/// Wraps the data key (base64 of nonce ‖ ciphertext).
pub fn wrap_data_key(
    wrap: &Key,
    email: &str,
    purpose: WrapPurpose,
    data: &Key,
) -> Result<String, CryptoError> {
    seal(wrap, &wrap_ad(email, purpose), &data.0).map(|b| STANDARD.encode(b))
}

pub fn unwrap_data_key(
    wrap: &Key,
    email: &str,
    purpose: WrapPurpose,
    wrapped: &str,
) -> Result<Key, CryptoError> {
    let bytes = STANDARD
        .decode(wrapped.trim())
        .map_err(|_| CryptoError::Malformed("wrapped key"))?;
    let plain = open(wrap, &wrap_ad(email, purpose), &bytes)?;
    plain
        .try_into()
        .map(Key)
        .map_err(|_| CryptoError::Malformed("data key"))
}

/// A fresh recovery key for an account's data key (sign-up, and "New recovery key"): the key
/// to show once, the data key wrapped by it, and its authentication key for the server.
pub struct NewRecovery {
    pub key: RecoveryKey,
    /// `recovery_wrapped_key` on the wire.
    pub wrapped: String,
    /// `recovery_auth_key` on the wire (the server keeps its Argon2id hash).
    pub auth: Key,
}

/// Makes a recovery key for `data` and checks that it opens what it wrapped before anyone
/// is shown it (a key that cannot unlock the account must never replace a working one).
pub fn new_recovery(email: &str, data: &Key) -> Result<NewRecovery, CryptoError> {
    let key = RecoveryKey::random()?;
    let PasswordKeys { auth, wrap } = key.keys();
    let wrapped = wrap_data_key(&wrap, email, WrapPurpose::Recovery, data)?;
    if unwrap_data_key(&wrap, email, WrapPurpose::Recovery, &wrapped)? != *data {
        return Err(CryptoError::Open);
    }
    Ok(NewRecovery { key, wrapped, auth })
}

/// A fresh data key for an account ("New recovery key" rotates it): the key, its copy wrapped
/// by the password's wrap key, and a new recovery key for it.
pub struct NewDataKey {
    pub data: Key,
    /// `wrapped_key` on the wire.
    pub wrapped: String,
    pub recovery: NewRecovery,
}

/// Makes a new random data key wrapped by `wrap` (the password's) and by a new recovery key,
/// and checks that both copies open before anything is sent: a key that cannot be unwrapped
/// again must never replace a working one.
pub fn new_data_key(email: &str, wrap: &Key) -> Result<NewDataKey, CryptoError> {
    let data = Key::random()?;
    let wrapped = wrap_data_key(wrap, email, WrapPurpose::Password, &data)?;
    if unwrap_data_key(wrap, email, WrapPurpose::Password, &wrapped)? != data {
        return Err(CryptoError::Open);
    }
    let recovery = new_recovery(email, &data)?;
    Ok(NewDataKey {
        data,
        wrapped,
        recovery,
    })
}

/// Associated data of a record: the account, collection and record id, so the server cannot
/// move a ciphertext to another record, collection or account undetected.
pub fn record_ad(email: &str, collection: &str, id: &str) -> Vec<u8> {
    format!("stacksmart record v1\0{email}\0{collection}\0{id}").into_bytes()
}

/// Smallest padded record plaintext: every short entry (a setting, a membership) is as long
/// as every other.
const MIN_PADDED: usize = 256;

/// The length a record plaintext of `len` bytes is padded to: at least [`MIN_PADDED`], then
/// Padmé (Nikitin et al., PETS 2019): the length is rounded up so that only its top
/// ⌊log₂ log₂ len⌋ + 1 bits are kept, at most 12 % more bytes. The server then learns the
/// size class of an entry, not its exact size (how long a gift-card code or a note is).
pub fn padded_len(len: usize) -> usize {
    let len = len.max(MIN_PADDED);
    let e = usize::BITS - 1 - len.leading_zeros(); // ⌊log₂ len⌋
    let s = u32::BITS - e.leading_zeros(); // ⌊log₂ e⌋ + 1
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// Pads a JSON record plaintext with spaces to [`padded_len`], never past `max` bytes. JSON
/// ignores trailing whitespace, so padded records open in clients that do not pad, and
/// unpadded ones in clients that do.
pub fn pad_json(mut plain: Vec<u8>, max: usize) -> Vec<u8> {
    let target = padded_len(plain.len()).min(max.max(plain.len()));
    plain.resize(target, b' ');
    plain
}

/// What [`seal`] adds to a plaintext: the nonce and the 16-byte tag.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + 16;

/// XChaCha20-Poly1305 with a random 24-byte nonce: `nonce ‖ ciphertext ‖ tag`.
pub fn seal(key: &Key, ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce = random::<NONCE_LEN>()?;
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .map_err(|_| CryptoError::Open)?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(out)
}

pub fn open(key: &Key, ad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError::Open);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new((&key.0).into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: ad })
        .map_err(|_| CryptoError::Open)
}

/// The server-visible id of a wallet entry: an HMAC of its key (`cards/amex-gold`) under a key
/// derived from the data key, so record ids do not say which cards a person holds.
pub fn record_id(data: &Key, entry_key: &str) -> String {
    let id_key = expand(&data.0, b"stacksmart record ids v1");
    let tag = match <Hmac<Sha256> as Mac>::new_from_slice(&id_key.0) {
        Ok(mut mac) => {
            mac.update(entry_key.as_bytes());
            mac.finalize().into_bytes()
        }
        // HMAC takes keys of any length.
        Err(_) => Default::default(),
    };
    tag[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small enough for tests (Argon2's floor is 8 KiB); real accounts use the server's.
    pub fn small(salt_byte: u8) -> KdfParams {
        KdfParams {
            algorithm: "argon2id".into(),
            m_kib: 8,
            t: 1,
            p: 1,
            salt: STANDARD.encode([salt_byte; SALT_LEN]),
        }
    }

    #[test]
    fn the_password_gives_stable_distinct_keys() {
        let a = password_keys("hunter2", &small(1)).expect("keys");
        assert_eq!(a, password_keys("hunter2", &small(1)).expect("keys"));
        assert_ne!(a.auth, a.wrap, "auth and wrap keys are independent");
        assert_ne!(a, password_keys("hunter3", &small(1)).expect("keys"));
        assert_ne!(a, password_keys("hunter2", &small(2)).expect("keys"));
    }

    #[test]
    fn unusable_params_are_refused() {
        let mut p = small(1);
        p.m_kib = 1;
        assert!(matches!(
            password_keys("x", &p),
            Err(CryptoError::Params(_))
        ));
        p = small(1);
        p.algorithm = "scrypt".into();
        assert!(password_keys("x", &p).is_err());
    }

    #[test]
    fn a_data_key_unwraps_only_with_its_wrap_key_email_and_purpose() {
        let pw = password_keys("pw", &small(3)).expect("keys");
        let data = Key::random().expect("random");
        let w = wrap_data_key(&pw.wrap, "a@x.io", WrapPurpose::Password, &data).expect("wrap");
        let back = unwrap_data_key(&pw.wrap, "a@x.io", WrapPurpose::Password, &w).expect("ok");
        assert_eq!(back, data);
        assert_eq!(
            unwrap_data_key(&pw.auth, "a@x.io", WrapPurpose::Password, &w),
            Err(CryptoError::Open)
        );
        assert!(unwrap_data_key(&pw.wrap, "b@x.io", WrapPurpose::Password, &w).is_err());
        assert!(unwrap_data_key(&pw.wrap, "a@x.io", WrapPurpose::Recovery, &w).is_err());
    }

    #[test]
    fn the_recovery_key_reads_back_and_unwraps_the_data_key() {
        let rk = RecoveryKey::random().expect("random");
        let shown = rk.display();
        assert_eq!(shown.len(), 52 + 12);
        let typed = shown.to_lowercase().replace('-', " ");
        let parsed = RecoveryKey::parse(&typed).expect("parse");
        assert_eq!(parsed, rk);
        let data = Key::random().expect("random");
        let w =
            wrap_data_key(&rk.keys().wrap, "a@x.io", WrapPurpose::Recovery, &data).expect("wrap");
        let back = unwrap_data_key(&parsed.keys().wrap, "a@x.io", WrapPurpose::Recovery, &w)
            .expect("unwrap");
        assert_eq!(back, data);
        assert!(RecoveryKey::parse("ABCD-1234").is_err());
        assert!(RecoveryKey::parse(&shown[..50]).is_err());
    }

    #[test]
    fn a_new_recovery_key_unwraps_the_data_key_and_the_old_one_does_not() {
        let data = Key::random().expect("random");
        let old = new_recovery("a@x.io", &data).expect("old");
        let new = new_recovery("a@x.io", &data).expect("new");
        assert_ne!(old.key, new.key, "a fresh key each time");
        assert_ne!(old.auth, new.auth, "so the server can tell them apart");
        // What the user types back in reads as the key shown, and opens the new copy.
        let typed = RecoveryKey::parse(&new.key.display()).expect("parse");
        let opened = unwrap_data_key(
            &typed.keys().wrap,
            "a@x.io",
            WrapPurpose::Recovery,
            &new.wrapped,
        )
        .expect("the new key unwraps the data key");
        assert_eq!(opened, data);
        assert_eq!(new.auth, typed.keys().auth);
        // The old key opens neither the new copy nor (once the server swapped it) anything.
        assert_eq!(
            unwrap_data_key(
                &old.key.keys().wrap,
                "a@x.io",
                WrapPurpose::Recovery,
                &new.wrapped
            ),
            Err(CryptoError::Open)
        );
        assert_eq!(
            unwrap_data_key(
                &new.key.keys().wrap,
                "a@x.io",
                WrapPurpose::Recovery,
                &old.wrapped
            ),
            Err(CryptoError::Open)
        );
        // Bound to the account and purpose like every wrapped copy.
        assert!(unwrap_data_key(
            &new.key.keys().wrap,
            "b@x.io",
            WrapPurpose::Recovery,
            &new.wrapped
        )
        .is_err());
    }

    #[test]
    fn a_new_data_key_opens_with_the_password_and_the_new_recovery_key_only() {
        let pw = password_keys("pw", &small(6)).expect("keys");
        let old = Key::random().expect("random");
        let old_recovery = new_recovery("a@x.io", &old).expect("old recovery");
        let new = new_data_key("a@x.io", &pw.wrap).expect("new data key");
        assert_ne!(new.data, old, "a fresh key");
        let by_password = unwrap_data_key(&pw.wrap, "a@x.io", WrapPurpose::Password, &new.wrapped)
            .expect("the password opens it");
        let typed = RecoveryKey::parse(&new.recovery.key.display()).expect("parse");
        let by_recovery = unwrap_data_key(
            &typed.keys().wrap,
            "a@x.io",
            WrapPurpose::Recovery,
            &new.recovery.wrapped,
        )
        .expect("the new recovery key opens it");
        assert_eq!(
            (by_password, by_recovery),
            (new.data.clone(), new.data.clone())
        );
        // The old recovery key opens neither copy, and what it did open no longer seals
        // anything the new key reads.
        for (wrapped, purpose) in [
            (&new.wrapped, WrapPurpose::Password),
            (&new.recovery.wrapped, WrapPurpose::Recovery),
        ] {
            assert_eq!(
                unwrap_data_key(&old_recovery.key.keys().wrap, "a@x.io", purpose, wrapped),
                Err(CryptoError::Open)
            );
        }
        let ad = record_ad("a@x.io", "wallet", "r1");
        let sealed = seal(&new.data, &ad, b"card").expect("seal");
        assert_eq!(open(&old, &ad, &sealed), Err(CryptoError::Open));
        // Ids change with the key, so the old key cannot tell which entry a new id is.
        assert_ne!(record_id(&old, "cards/x"), record_id(&new.data, "cards/x"));
    }

    #[test]
    fn a_password_change_rewraps_the_same_data_key() {
        let old = password_keys("old", &small(4)).expect("keys");
        let new = password_keys("new", &small(5)).expect("keys");
        let data = Key::random().expect("random");
        let w_old = wrap_data_key(&old.wrap, "a@x.io", WrapPurpose::Password, &data).expect("w");
        let unwrapped =
            unwrap_data_key(&old.wrap, "a@x.io", WrapPurpose::Password, &w_old).expect("unwrap");
        let w_new =
            wrap_data_key(&new.wrap, "a@x.io", WrapPurpose::Password, &unwrapped).expect("w");
        // Records sealed before the change still open: the data key did not change.
        let sealed = seal(&data, &record_ad("a@x.io", "wallet", "r1"), b"card").expect("seal");
        let data2 =
            unwrap_data_key(&new.wrap, "a@x.io", WrapPurpose::Password, &w_new).expect("new");
        assert_eq!(
            open(&data2, &record_ad("a@x.io", "wallet", "r1"), &sealed).expect("open"),
            b"card"
        );
        assert!(unwrap_data_key(&old.wrap, "a@x.io", WrapPurpose::Password, &w_new).is_err());
    }

    #[test]
    fn record_ids_are_opaque_and_stable_per_data_key() {
        let k = Key::random().expect("random");
        let id = record_id(&k, "cards/amex-gold");
        assert_eq!(id, record_id(&k, "cards/amex-gold"));
        assert_eq!(id.len(), 32);
        assert!(!id.contains("amex"));
        assert_ne!(id, record_id(&k, "cards/amex-green"));
        assert_ne!(id, record_id(&Key::random().expect("r"), "cards/amex-gold"));
    }

    #[test]
    fn padding_hides_exact_lengths_and_stays_valid_json() {
        // Short entries all look alike; longer ones fall into few classes, ≤ 12 % larger.
        assert_eq!(padded_len(0), 256);
        assert_eq!(padded_len(20), 256);
        assert_eq!(padded_len(256), 256);
        let mut classes = std::collections::BTreeSet::new();
        for len in 257..=65_536 {
            let p = padded_len(len);
            assert!(p >= len && p * 100 <= len * 112 + 100, "{len} → {p}");
            assert!(padded_len(len - 1) <= p, "monotone at {len}");
            classes.insert(p);
        }
        assert!(classes.len() < 400, "{} size classes", classes.len());
        // Two gift-card codes of different lengths seal to the same size.
        let k = Key::random().expect("random");
        let ad = record_ad("a@x.io", "wallet", "id");
        let a = br#"{"k":"gift_cards/0","v":{"code":"1234"}}"#.to_vec();
        let b = br#"{"k":"gift_cards/0","v":{"code":"1234-5678-9012-3456"}}"#.to_vec();
        let sa = seal(&k, &ad, &pad_json(a.clone(), 65_536)).expect("seal");
        let sb = seal(&k, &ad, &pad_json(b, 65_536)).expect("seal");
        assert_eq!(sa.len(), sb.len());
        assert_eq!(sa.len(), 256 + SEAL_OVERHEAD);
        // The padded plaintext is the same JSON value.
        let opened = open(&k, &ad, &sa).expect("open");
        let v: serde_json::Value = serde_json::from_slice(&opened).expect("padded JSON parses");
        assert_eq!(
            v,
            serde_json::from_slice::<serde_json::Value>(&a).expect("json")
        );
        // Never past the cap, never truncated.
        assert_eq!(pad_json(vec![b'x'; 300], 290).len(), 300);
        assert_eq!(pad_json(vec![b'x'; 300], 302).len(), 302);
        assert_eq!(pad_json(vec![b'x'; 300], 65_536).len(), 304);
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let k = Key([7; KEY_LEN]);
        assert_eq!(format!("{k:?}"), "Key(…)");
        assert_eq!(Key::from_base64(&k.to_base64()), Ok(k));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn seal_then_open_round_trips(plain in proptest::collection::vec(any::<u8>(), 0..600),
                                          coll in "[a-z]{1,8}", id in "[a-z0-9]{1,16}") {
                let k = Key::random().expect("random");
                let ad = record_ad("a@x.io", &coll, &id);
                let sealed = seal(&k, &ad, &plain).expect("seal");
                prop_assert_eq!(open(&k, &ad, &sealed).expect("open"), plain.clone());
                // Another record's associated data, another key, or a flipped bit: refused.
                let other = record_ad("a@x.io", &coll, &format!("{id}x"));
                prop_assert_eq!(open(&k, &other, &sealed), Err(CryptoError::Open));
                let other_coll = record_ad("a@x.io", &format!("{coll}x"), &id);
                prop_assert_eq!(open(&k, &other_coll, &sealed), Err(CryptoError::Open));
                let other_account = record_ad("b@x.io", &coll, &id);
                prop_assert_eq!(open(&k, &other_account, &sealed), Err(CryptoError::Open));
                let k2 = Key::random().expect("random");
                prop_assert_eq!(open(&k2, &ad, &sealed), Err(CryptoError::Open));
                let mut bad = sealed.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                prop_assert_eq!(open(&k, &ad, &bad), Err(CryptoError::Open));
            }

            #[test]
            fn recovery_keys_display_and_parse(bytes in any::<[u8; 32]>()) {
                let rk = RecoveryKey(Key(bytes));
                prop_assert_eq!(RecoveryKey::parse(&rk.display()).expect("parse"), rk);
            }
        }
    }
}

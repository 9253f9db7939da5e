//! Typed messages between the extension's parts. The JS side only forwards these objects;
//! both ends that interpret them are Rust (background wasm, popup wasm), so a change here
//! is checked by the compiler on both.
//!
//! Wire format: JSON-compatible objects tagged by `type`; decimals travel as strings.

use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::snapshot::PageSnapshot;
use crate::stack::catalogue::CatalogueEntry;
use crate::stack::page::{Badge, PageStack};
use crate::stack::{StackRequest, StackResult};
use crate::wallet::WalletDoc;

/// A request to the background.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Content script → background: what the page in the sender's tab shows, and whether
    /// the tab already runs the badge (`content/badge.js`, loaded with the first badge).
    PageSnapshot {
        snapshot: Box<PageSnapshot>,
        #[serde(default)]
        badge_loaded: bool,
    },
    /// Popup → background: what was detected in a tab.
    GetTabResult { tab_id: i64 },
    /// Any extension page → background: the background's state, for diagnostics and tests.
    Status,
    /// Popup → background: the exact best stack for a cart and wallet (docs/engine-api.md).
    Stack { request: Box<StackRequest> },
    /// Options → background: the stored wallet and settings (an empty one before the first
    /// save).
    GetWallet,
    /// Options → background: replace the wallet with this one (checked first; a refused wallet
    /// leaves the stored one untouched).
    SaveWallet { wallet: Box<WalletDoc> },
    /// Options → background: replace the wallet with an export file's contents and merge the
    /// price history it carries (`engine::backup`); a bare wallet document also imports.
    ImportWallet { text: String },
    /// Options → background: the export file to save: the wallet, and the price history when
    /// asked for.
    ExportWallet {
        #[serde(default)]
        include_history: bool,
    },
    /// Options → background: the bundled card catalogue, for picking cards.
    GetCatalogue,
    /// Options → background: whether sync is on, and how the last round went.
    SyncStatus,
    /// Options → background: an account's key-derivation parameters (before its password is
    /// turned into keys on the options page; for a new account, the server's cost).
    SyncKdf { server: String, email: String },
    /// Options → background: create an account. The keys are the options page's Argon2id
    /// output (base64); the background makes the data key and the recovery key.
    SyncSignUp {
        server: String,
        email: String,
        kdf: KdfParams,
        auth_key: String,
        wrap_key: String,
        device_name: String,
    },
    /// Options → background: sign this device in.
    SyncSignIn {
        server: String,
        email: String,
        auth_key: String,
        wrap_key: String,
        device_name: String,
    },
    /// Options → background: sign in with the recovery key and set a new password.
    SyncRecover {
        server: String,
        email: String,
        recovery_key: String,
        kdf: KdfParams,
        auth_key: String,
        wrap_key: String,
        device_name: String,
    },
    /// Options → background: a new password (`auth_key` proves the current one).
    SyncChangePassword {
        auth_key: String,
        kdf: KdfParams,
        new_auth_key: String,
        new_wrap_key: String,
    },
    /// Options → background: sync now.
    SyncNow,
    /// Options → background: sign this device out (the wallet stays on the device).
    SyncSignOut,
    /// Options → background: the account's devices.
    SyncDevices,
    /// Options → background: revoke another device's sign-in.
    SyncRevokeDevice { id: i64 },
    /// Options → background: delete the account on the server (its records and every
    /// device's sign-in; `auth_key` proves the password), then sign this device out. The
    /// wallet stays on the device.
    SyncDeleteAccount { auth_key: String },
    /// Options → background: replace the recovery key, and with it the account's data key
    /// (`auth_key` proves the password; `wrap_key`, from the same password, wraps the new data
    /// key). The background makes both keys and re-seals every record; the old recovery key
    /// opens nothing afterwards, and other devices sign in again.
    SyncNewRecoveryKey { auth_key: String, wrap_key: String },
}

/// An account's Argon2id parameters (the sync server's `kdf` object; salt in base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub algorithm: String,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    pub salt: String,
}

/// Where sync stands, for the options page. Never carries a key or token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The account this device is signed in to (`None`: sync is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SyncAccount>,
    /// When the last round succeeded (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_ms: Option<u64>,
    /// Why the last round failed, for people (local changes are kept and retried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Local changes not yet on the server.
    #[serde(default)]
    pub pending: bool,
    /// Conflicts the last rounds resolved, in words (most recent first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The server asked this device to wait (409/429/503 with `Retry-After`): no round starts
    /// before this time (ms since the epoch); one is set to run then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at_ms: Option<u64>,
    /// Only a new sign-in lets this device sync again: the last round got 401 (signed out
    /// elsewhere, or the account's data key was replaced on another device) or could not open
    /// the server's records with this device's data key. Signing in again with the password
    /// keeps this device's sync state for the same account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_sign_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAccount {
    pub server: String,
    pub email: String,
    pub device_id: i64,
}

/// A signed-in device of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDevice {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

/// The background's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The snapshot was read; says whether a product was found, and what the in-page badge
    /// shows (none: no saving, or the shopper turned the badge off).
    SnapshotAccepted {
        has_product: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        badge: Option<Badge>,
    },
    /// The stored result for a tab, or `None` if its page was never analysed (not an http(s)
    /// page, opened before the extension could read it, or still loading); with `None`, why
    /// StackSmart may not read the page, when the browser shows the tab's address.
    TabResult {
        result: Option<Box<TabResult>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocked: Option<Blocked>,
    },
    Status(Status),
    /// The best stack, its receipt and the reasons for every offer left out.
    Stack {
        result: Box<StackResult>,
    },
    /// The wallet as stored (after a save or import: as saved).
    Wallet {
        wallet: Box<WalletDoc>,
    },
    /// The export file's text (`engine::backup`).
    WalletExport {
        text: String,
    },
    /// An import went through: the wallet as stored, and how many price points it added to
    /// the history (points already known are not added twice).
    WalletImported {
        wallet: Box<WalletDoc>,
        price_points_added: u64,
    },
    Catalogue {
        cards: Vec<CatalogueEntry>,
    },
    SyncStatus {
        status: Box<SyncStatus>,
    },
    SyncKdf {
        kdf: KdfParams,
    },
    /// A new account: the recovery key, shown once and never stored.
    SyncSignedUp {
        recovery_key: String,
        status: Box<SyncStatus>,
    },
    SyncDevices {
        devices: Vec<SyncDevice>,
    },
    /// A replaced recovery key: the new one, shown once and never stored.
    SyncRecoveryKey {
        recovery_key: String,
    },
    /// The request could not be served.
    Error(ErrorBody),
}

/// A typed error crossing into JS: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With [`ErrorCode::RetryLater`]: the seconds the server asked to wait before the next
    /// request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message was not one of [`Request`]'s shapes.
    BadRequest,
    /// The snapshot broke its format or caps.
    BadSnapshot,
    /// The stack request was refused; the message names the field.
    BadStackRequest,
    /// A wallet to save or import was refused; the message says what and where
    /// (`cards[1].catalogue: …`). The stored wallet is unchanged.
    BadWallet,
    /// A snapshot arrived from something that is not a tab.
    NoTab,
    /// Browser storage failed.
    Storage,
    /// A sync request failed; the message says why and what to do (local data is kept).
    Sync,
    /// Wrong email or password (or recovery key).
    InvalidCredentials,
    /// Not signed in to sync.
    NotSignedIn,
    /// The sync server asked to be left alone for a while (429 rate limit, a busy 409, 503):
    /// nothing was changed, and `retry_after_secs` says when to try again.
    RetryLater,
    /// The background's wasm failed to load or panicked.
    Internal,
}

/// The background's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// When this instance of the background's wasm handled its first event (ms since the
    /// epoch). It changes whenever the browser stopped the worker and a new one started.
    pub instance_started_at_ms: u64,
    /// Events this instance has handled.
    pub events_handled: u64,
}

/// Why StackSmart does not read a tab's page (`engine::sites::may_read`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Blocked {
    /// The shopper's settings leave the site out (other sites only, or none).
    NotInSettings { site: String },
    /// The settings include the site, but the browser has not allowed StackSmart to read it.
    NotAllowed { site: String },
    /// Banking and webmail: never read, whatever the settings.
    Excluded,
}

/// What the background keeps per tab (in `storage.session`, so it survives the service
/// worker being stopped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TabResult {
    /// The page the result is for.
    pub url: String,
    /// When it was detected, in milliseconds since the Unix epoch (from the JS clock).
    pub detected_at_ms: u64,
    pub detection: Detection,
    /// The deal score from the product's price history on this device (`None`: no priced
    /// product, or the history could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Box<crate::score::ScoreResponse>>,
    /// The best stack for the product with the wallet as it is now. Worked out when asked for
    /// (never stored), so wallet edits show at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Box<PageStack>>,
}

impl Response {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error(ErrorBody {
            code,
            message: message.into(),
            retry_after_secs: None,
        })
    }

    /// The server's "come back in `seconds`" (already capped by the caller).
    pub fn retry_later(seconds: u32, message: impl Into<String>) -> Self {
        Self::Error(ErrorBody {
            code: ErrorCode::RetryLater,
            message: message.into(),
            retry_after_secs: Some(seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_objects() {
        let r: Request = serde_json::from_str(r#"{"type":"get_tab_result","tab_id":7}"#)
            .expect("tagged request");
        assert!(matches!(r, Request::GetTabResult { tab_id: 7 }));
        assert!(serde_json::from_str::<Request>(r#"{"type":"launch_missiles"}"#).is_err());
    }

    #[test]
    fn a_snapshot_says_whether_the_tab_runs_the_badge() {
        let loaded = |json: &str| match serde_json::from_str::<Request>(json).expect("snapshot") {
            Request::PageSnapshot { badge_loaded, .. } => badge_loaded,
            other => panic!("not a snapshot: {other:?}"),
        };
        let snapshot = r#""snapshot":{"version":2,"url":"https://a.example/"}"#;
        // Collectors from before the badge was loaded on demand do not say: not loaded.
        assert!(!loaded(&format!(
            r#"{{"type":"page_snapshot",{snapshot}}}"#
        )));
        assert!(loaded(&format!(
            r#"{{"type":"page_snapshot",{snapshot},"badge_loaded":true}}"#
        )));
        assert!(!loaded(&format!(
            r#"{{"type":"page_snapshot",{snapshot},"badge_loaded":false}}"#
        )));
    }

    #[test]
    fn errors_carry_a_stable_code() {
        let json = serde_json::to_value(Response::error(ErrorCode::BadSnapshot, "too big"))
            .expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"type": "error", "code": "bad_snapshot", "message": "too big"})
        );
        let json = serde_json::to_value(Response::retry_later(42, "wait")).expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"type": "error", "code": "retry_later", "message": "wait",
                               "retry_after_secs": 42})
        );
    }
}

//! Request and response bodies of the HTTP API (also the OpenAPI schemas).
//!
//! Binary values (salts, authentication keys, ciphertext payloads) travel as standard base64
//! with padding.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Client-side key-derivation parameters (the client derives its keys with these).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Memory in KiB (8 192 – 4 194 304).
    pub m_kib: u32,
    /// Iterations (1 – 64).
    pub t: u32,
    /// Parallelism (1 – 16).
    pub p: u32,
    /// 16-byte salt, base64.
    pub salt: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ParamsRequest {
    pub email: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParamsResponse {
    pub kdf: KdfParams,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub email: String,
    /// The 32-byte authentication key derived on the client, base64. Never the password.
    pub auth_key: String,
    pub kdf: KdfParams,
    /// A label for this device, e.g. "Firefox on laptop" (≤ 100 characters).
    pub device_name: String,
    /// The data key wrapped on the client, and the recovery key's authentication key.
    /// Optional for older clients; StackSmart's client always sends it.
    #[serde(default)]
    pub keys: Option<NewKeys>,
}

/// Made by the client at sign-up (docs/sync-protocol.md, "Keys").
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKeys {
    /// The data key wrapped by the password's wrap key (base64 ciphertext, ≤ 256 bytes).
    pub wrapped_key: String,
    /// The data key wrapped by the recovery key's wrap key (base64 ciphertext, ≤ 256 bytes).
    pub recovery_wrapped_key: String,
    /// The 32-byte authentication key derived from the recovery key, base64.
    pub recovery_auth_key: String,
}

/// The account's wrapped data key (ciphertext), returned at login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountKeys {
    pub wrapped_key: String,
    pub recovery_wrapped_key: String,
}

/// Logs a new device in with the recovery key instead of the password (the password was
/// lost); the answer carries the wrapped keys, and the client then sets a new password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecoverRequest {
    pub email: String,
    /// The 32-byte authentication key derived from the recovery key, base64.
    pub recovery_auth_key: String,
    pub device_name: String,
}

/// A new password: proof of the current password (`auth_key`) or of the recovery key
/// (`recovery_auth_key`), and the new authentication key, KDF parameters and wrapped data key,
/// swapped in one transaction.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[serde(default)]
    pub auth_key: Option<String>,
    #[serde(default)]
    pub recovery_auth_key: Option<String>,
    pub new_auth_key: String,
    pub kdf: KdfParams,
    pub wrapped_key: String,
}

/// A new recovery key (the old one was lost or seen by someone else): proof of the password,
/// and the new key's wrapped data key and authentication key, swapped in one statement. The
/// old recovery key stops working at once; the data key and the records stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRecoveryKeyRequest {
    /// The password's 32-byte authentication key, base64 (proof, as for a password change).
    pub auth_key: String,
    /// The data key wrapped by the new recovery key's wrap key (base64 ciphertext, ≤ 256 bytes).
    pub recovery_wrapped_key: String,
    /// The 32-byte authentication key derived from the new recovery key, base64.
    pub recovery_auth_key: String,
}

/// A new data key, with a new recovery key (`POST /v1/account/data-key`): every record
/// re-sealed with the new key, the two wrapped copies of it and the new recovery key's
/// authentication key, swapped in one transaction. Records sealed with the old data key, the
/// old wrapped copies and the old recovery key are gone afterwards, and every other device is
/// signed out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RotateKeyRequest {
    /// The password's 32-byte authentication key, base64 (proof, as for a password change).
    pub auth_key: String,
    /// The new data key wrapped by the password's wrap key (base64 ciphertext, ≤ 256 bytes).
    pub wrapped_key: String,
    /// The new data key wrapped by the new recovery key's wrap key.
    pub recovery_wrapped_key: String,
    /// The 32-byte authentication key derived from the new recovery key, base64.
    pub recovery_auth_key: String,
    /// The account's `latest` version at the end of the client's full read: the precondition
    /// for every record at once (any write since gives 412, nothing changed).
    pub base_latest: i64,
    /// Every live record of the account, re-sealed with the new data key (new ids).
    pub records: Vec<SealedRecord>,
}

/// A live record as a data-key rotation writes it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SealedRecord {
    pub collection: String,
    /// 1–128 characters of `A-Z a-z 0-9 - _ . :`.
    pub id: String,
    /// Ciphertext, base64 (≤ 64 KiB decoded).
    pub payload: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    /// The 32-byte authentication key derived on the client, base64.
    pub auth_key: String,
    pub device_name: String,
}

/// A new session: one opaque bearer token per device.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its SHA-256.
    pub token: String,
    pub device_id: i64,
    /// An opaque reference to the account: the same at every sign-in to it, another for an
    /// account deleted and made again with the same email. A device signed out by the server
    /// tells by it that a new sign-in is to the account it synced before.
    pub account: String,
    /// The wrapped data key (login and recovery; absent at registration and for accounts
    /// without keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<AccountKeys>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: i64,
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC (updated at most once a minute).
    pub last_seen_at: String,
    /// True for the device making this request.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// The authentication key again, to confirm.
    pub auth_key: String,
}

/// A record as stored: `payload` is client-made ciphertext, `null` for tombstones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Record {
    pub collection: String,
    pub id: String,
    /// Assigned by the server from the account's one increasing counter.
    pub version: i64,
    pub deleted: bool,
    #[schema(nullable)]
    pub payload: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Return changes with a version greater than this (0 = everything).
    #[serde(default)]
    pub since: i64,
    /// Page size (default 100, at most 1000).
    pub limit: Option<i64>,
    /// Only this collection.
    pub collection: Option<String>,
    /// This read is part of a full resync that started at `since=0`: the client treats
    /// records missing from it as deleted, so purged tombstones do not matter and later pages
    /// of it are not refused with 410.
    #[serde(default)]
    pub resync: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    /// In increasing version order; includes tombstones.
    pub changes: Vec<Record>,
    /// Pass as `since` for the next page (the last version in this page, or `since`).
    pub cursor: i64,
    /// True if more changes follow this page.
    pub more: bool,
    /// The account's latest version when the page was read.
    pub latest: i64,
}

/// One change to write.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Change {
    pub collection: String,
    /// 1–128 characters of `A-Z a-z 0-9 - _ . :`.
    pub id: String,
    /// The version this change was based on: 0 for a new record.
    pub base_version: i64,
    #[serde(default)]
    pub deleted: bool,
    /// Ciphertext, base64 (≤ 64 KiB decoded). Must be absent or null when `deleted`.
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchRequest {
    pub changes: Vec<Change>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Written {
    pub collection: String,
    pub id: String,
    pub version: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    /// The new version of every change, in request order.
    pub written: Vec<Written>,
    /// The account's latest version after this batch.
    pub latest: i64,
}

/// A change whose base version was stale, with the server's current copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Conflict {
    pub collection: String,
    pub id: String,
    pub base_version: i64,
    /// The server's current copy (`null` if the record does not exist).
    #[schema(nullable)]
    pub current: Option<Record>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

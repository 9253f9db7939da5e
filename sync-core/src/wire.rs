//! The sync server's HTTP bodies as the client sends and reads them (docs/sync-protocol.md;
//! the server's own copies, with their OpenAPI annotations, are in `sync-server/src/model.rs`).

use serde::{Deserialize, Serialize};

use crate::keys::KdfParams;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsRequest {
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsResponse {
    pub kdf: KdfParams,
}

/// The wrapped copies of the data key made at sign-up, and the recovery key's auth key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewKeys {
    pub wrapped_key: String,
    pub recovery_wrapped_key: String,
    pub recovery_auth_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub email: String,
    pub auth_key: String,
    pub kdf: KdfParams,
    pub device_name: String,
    pub keys: NewKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub auth_key: String,
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoverRequest {
    pub email: String,
    pub recovery_auth_key: String,
    pub device_name: String,
}

/// The data key as the server keeps it: wrapped by the password's and the recovery key's
/// wrap keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountKeys {
    pub wrapped_key: String,
    pub recovery_wrapped_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionResponse {
    pub token: String,
    pub device_id: i64,
    /// The server's opaque reference to the account (absent from servers of an earlier
    /// release).
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub keys: Option<AccountKeys>,
}

/// `POST /v1/account/password`: proves the old password (or the recovery key) and swaps in the
/// new auth key, parameters and wrapped data key in one transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_auth_key: Option<String>,
    pub new_auth_key: String,
    pub kdf: KdfParams,
    pub wrapped_key: String,
}

/// `POST /v1/account/recovery-key`: proves the password and swaps in a new recovery key's
/// wrapped data key and authentication key (the old recovery key stops working).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewRecoveryKeyRequest {
    pub auth_key: String,
    pub recovery_wrapped_key: String,
    pub recovery_auth_key: String,
}

/// `POST /v1/account/data-key`: a new data key (and recovery key) with every live record
/// re-sealed under it; applies only if the account's latest version is still `base_latest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RotateKeyRequest {
    pub auth_key: String,
    pub wrapped_key: String,
    pub recovery_wrapped_key: String,
    pub recovery_auth_key: String,
    pub base_latest: i64,
    pub records: Vec<SealedRecord>,
}

/// A live record re-sealed under a new data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRecord {
    pub collection: String,
    pub id: String,
    pub payload: String,
}

/// `DELETE /v1/account`: the authentication key again, as proof of the password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteAccountRequest {
    pub auth_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub collection: String,
    pub id: String,
    pub version: i64,
    pub deleted: bool,
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<Record>,
    pub cursor: i64,
    pub more: bool,
    pub latest: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub collection: String,
    pub id: String,
    pub base_version: i64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRequest {
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Written {
    pub collection: String,
    pub id: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResponse {
    pub written: Vec<Written>,
    pub latest: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub collection: String,
    pub id: String,
    pub base_version: i64,
    #[serde(default)]
    pub current: Option<Record>,
}

/// Every error body: `{code, message}` (412 adds `conflicts`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

//! Sync in the background: the HTTP transport (reqwest's fetch-based wasm client), the
//! account and sync state in `storage.local`, and the rounds run after every local change and
//! on the periodic alarm. All the logic (keys, sealing, merge, the round) is `sync_core`'s.
//!
//! Storage (never exported with the wallet, never synced):
//! - `sync-account`: server, email, device id, bearer token and the data key. The data key
//!   unlocks only what `storage.local["wallet"]` already holds in clear on this device.
//! - `sync-state`: the change cursor and the last synced copy of each entry (the merge base),
//!   the status shown on the options page, and the time before which no round may start
//!   (the server's `Retry-After`).
//!
//! Argon2id never runs here: the options page sends the keys it derived.

use std::cell::Cell;

use engine::protocol::{ErrorCode, KdfParams, Response, SyncAccount, SyncDevice, SyncStatus};
use engine::wallet::WalletDoc;
use serde::{Deserialize, Serialize};
use sync_core::client::{sync_round, Session, SyncError, SyncState, Transport};
use sync_core::keys::{self, Key, RecoveryKey, WrapPurpose};
use sync_core::{retry, wire};

use wasm_bindgen::JsValue;

use crate::{browser, to_js, wallet_store, web_log};

const ACCOUNT_KEY: &str = "sync-account";
const STATE_KEY: &str = "sync-state";
/// The one-off alarm for the first round the server allows after a `Retry-After`.
pub const RETRY_ALARM: &str = "stacksmart-sync-retry";
/// Conflict notes kept for the options page.
const MAX_NOTES: usize = 20;

#[derive(Clone, Serialize, Deserialize)]
struct Account {
    server: String,
    email: String,
    device_id: i64,
    token: String,
    data_key: String,
    /// The server's opaque reference to the account (servers of an earlier release send
    /// none): a new sign-in to the same account keeps this device's sync state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<String>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    sync: SyncState,
    #[serde(default)]
    last_sync_ms: Option<u64>,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
    /// No round starts before this time (ms since the epoch): the server answered 409, 429 or
    /// 503 and said when to come back.
    #[serde(default)]
    not_before_ms: Option<u64>,
    /// The last round got 401 (the server no longer accepts this device's token) or could not
    /// open what the server holds (its data key was replaced, and the answer never reached
    /// this device): signing in again with the password fetches the account's key.
    #[serde(default)]
    signed_out: bool,
}

/// The server API for one base address (and token, once signed in).
struct Api {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Option<String>,
}

/// Checks a server address typed by the shopper: http(s), no path beyond `/`.
pub fn server_url(text: &str) -> Result<reqwest::Url, String> {
    let t = text.trim();
    let url = reqwest::Url::parse(t).map_err(|e| {
        format!("“{t}” is not a server address ({e}); e.g. https://sync.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "“{t}” must start with https:// (or http:// for a server on this computer)"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("“{t}” must be just the server's address"));
    }
    let mut url = url;
    // A server under a path (`https://host/sync`) keeps it when API paths are joined on.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl Api {
    fn new(server: &str, token: Option<String>) -> Result<Self, SyncError> {
        let base = server_url(server).map_err(SyncError::Network)?;
        Ok(Api {
            http: reqwest::Client::new(),
            base,
            token,
        })
    }

    /// The signed-in account's API (its server, its token).
    fn for_account(acct: &Account) -> Result<Self, SyncError> {
        Api::new(&acct.server, Some(acct.token.clone()))
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, SyncError> {
        self.base
            .join(path)
            .map_err(|e| SyncError::Network(e.to_string()))
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let resp = self.authed(req).send().await.map_err(|e| {
            SyncError::Network(format!(
                "{} did not answer: {e}",
                self.base.as_str().trim_end_matches('/')
            ))
        })?;
        let status = resp.status().as_u16();
        if status < 300 {
            return Ok(resp);
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            // An HTTP-date counts from now, the moment of the answer.
            .and_then(|v| retry::parse_retry_after(v, millis_now()));
        let body: wire::ErrorBody = resp.json().await.unwrap_or_default();
        if status == 412 {
            return Err(SyncError::Conflict(body.conflicts));
        }
        Err(SyncError::Http {
            status,
            code: if body.code.is_empty() {
                "unknown".into()
            } else {
                body.code
            },
            message: if body.message.is_empty() {
                format!("HTTP {status}")
            } else {
                body.message
            },
            retry_after,
        })
    }

    async fn post<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let resp = self
            .send(self.http.post(self.url(path)?).json(body))
            .await?;
        resp.json()
            .await
            .map_err(|e| SyncError::Network(format!("unreadable answer: {e}")))
    }

    async fn post_empty<B: Serialize>(&self, path: &str, body: &B) -> Result<(), SyncError> {
        self.send(self.http.post(self.url(path)?).json(body))
            .await
            .map(drop)
    }

    /// `DELETE`, with a JSON body if one is given.
    async fn delete<B: Serialize>(&self, path: &str, body: Option<&B>) -> Result<(), SyncError> {
        let req = self.http.delete(self.url(path)?);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        self.send(req).await.map(drop)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        let resp = self.send(self.http.get(self.url(path)?)).await?;
        resp.json()
            .await
            .map_err(|e| SyncError::Network(format!("unreadable answer: {e}")))
    }
}

impl Transport for Api {
    async fn changes(&self, since: i64, resync: bool) -> Result<wire::ChangesPage, SyncError> {
        self.get(&format!(
            "v1/records/changes?since={since}&limit=500&resync={resync}"
        ))
        .await
    }

    async fn batch(&self, changes: Vec<wire::Change>) -> Result<wire::BatchResponse, SyncError> {
        self.post("v1/records/batch", &wire::BatchRequest { changes })
            .await
    }

    async fn rotate(
        &self,
        request: wire::RotateKeyRequest,
    ) -> Result<wire::BatchResponse, SyncError> {
        self.post("v1/account/data-key", &request).await
    }
}

/// An account action's failure, for the options page. A server that asks to be left alone
/// (429, a busy 409, 503) gets `RetryLater` with its wait: the page holds the action back
/// until then instead of sending again.
fn fail(e: &SyncError) -> Response {
    if let Some(secs) = retry::wait_secs(e) {
        return Response::retry_later(
            secs,
            format!("The sync server asked to wait {secs} s before the next try."),
        );
    }
    match e {
        SyncError::Http {
            status: 401, code, ..
        } if code == "invalid_credentials" => Response::error(
            ErrorCode::InvalidCredentials,
            "Wrong email or password (or recovery key).",
        ),
        SyncError::Http {
            status: 409, code, ..
        } if code == "email_taken" => Response::error(
            ErrorCode::Sync,
            "An account with this email already exists on that server: sign in instead.",
        ),
        SyncError::Http {
            status: 400,
            message,
            ..
        } => Response::error(
            ErrorCode::Sync,
            format!("The server refused the request: {message}"),
        ),
        e => Response::error(ErrorCode::Sync, e.for_people()),
    }
}

fn storage_error(e: String) -> Response {
    Response::error(ErrorCode::Storage, e)
}

/// The API of a server typed on the options page (before sign-in): a bad address is
/// answered with the address check's own words.
fn server_api(server: &str) -> Result<Api, Response> {
    Api::new(server, None).map_err(|e| Response::error(ErrorCode::Sync, e.to_string()))
}

/// What every signed-in action starts from: the stored account and its API. Signed out is
/// `NotSignedIn`.
async fn account_api() -> Result<(Account, Api), Response> {
    let acct = signed_in().await?;
    let api =
        Api::for_account(&acct).map_err(|e| Response::error(ErrorCode::Sync, e.to_string()))?;
    Ok((acct, api))
}

async fn account() -> Result<Option<Account>, String> {
    browser::local_get(ACCOUNT_KEY).await
}

/// The sync state is stored as JSON text: through a JS object every number would come back
/// as a float, and `1` ≠ `1.0` to the merge (spurious edits and conflicts).
async fn stored() -> Stored {
    browser::local_get::<String>(STATE_KEY)
        .await
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

async fn save_stored(s: &Stored) -> Result<(), String> {
    let text = serde_json::to_string(s).map_err(|e| e.to_string())?;
    browser::local_set(&[(STATE_KEY, JsValue::from(text))]).await
}

/// The status for the options page (no secrets in it).
pub async fn status() -> Response {
    let acct = match account().await {
        Ok(a) => a,
        Err(e) => return storage_error(e),
    };
    let s = stored().await;
    let pending = match (&acct, wallet_store::load().await) {
        (Some(_), Ok(doc)) => has_pending(&doc, &s.sync),
        _ => false,
    };
    Response::SyncStatus {
        status: Box::new(SyncStatus {
            account: acct.map(|a| SyncAccount {
                server: a.server,
                email: a.email,
                device_id: a.device_id,
            }),
            last_sync_ms: s.last_sync_ms,
            last_error: s.last_error,
            pending,
            notes: s.notes,
            retry_at_ms: s.not_before_ms,
            needs_sign_in: s.signed_out,
        }),
    }
}

/// Whether the wallet holds changes the server has not seen.
fn has_pending(doc: &WalletDoc, state: &SyncState) -> bool {
    let Ok(local) = sync_core::records::entries(doc) else {
        return false;
    };
    let defaults = sync_core::records::defaults();
    local.iter().any(|(k, v)| match state.base.get(k) {
        Some(b) => b.value.as_ref() != Some(v),
        None => defaults.get(k) != Some(v),
    }) || state
        .base
        .iter()
        .any(|(k, b)| b.value.is_some() && sync_core::records::known(k) && !local.contains_key(k))
}

pub async fn kdf(server: &str, email: &str) -> Response {
    let api = match server_api(server) {
        Ok(a) => a,
        Err(e) => return e,
    };
    match api
        .post::<_, wire::ParamsResponse>(
            "v1/auth/params",
            &wire::ParamsRequest {
                email: email.into(),
            },
        )
        .await
    {
        Ok(p) => Response::SyncKdf { kdf: p.kdf },
        Err(e) => fail(&e),
    }
}

fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn key_arg(b64: &str) -> Result<Key, Response> {
    Key::from_base64(b64).map_err(|e| Response::error(ErrorCode::BadRequest, e.to_string()))
}

/// Creates the account: a fresh data key and recovery key, both wrappings sent, the first
/// round run. Answers with the recovery key (shown once; it is not stored anywhere).
#[allow(clippy::too_many_arguments)]
pub async fn sign_up(
    server: &str,
    email: &str,
    kdf: KdfParams,
    auth_key: &str,
    wrap_key: &str,
    device_name: &str,
    now_ms: u64,
) -> Response {
    let email = normalise_email(email);
    let wrap = match key_arg(wrap_key) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let api = match server_api(server) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let made = (|| {
        let data = Key::random()?;
        let recovery = keys::new_recovery(&email, &data)?;
        let keys = wire::NewKeys {
            wrapped_key: keys::wrap_data_key(&wrap, &email, WrapPurpose::Password, &data)?,
            recovery_wrapped_key: recovery.wrapped,
            recovery_auth_key: recovery.auth.to_base64(),
        };
        Ok::<_, keys::CryptoError>((data, recovery.key, keys))
    })();
    let (data, recovery, new_keys) = match made {
        Ok(m) => m,
        Err(e) => return Response::error(ErrorCode::Sync, e.to_string()),
    };
    let session: wire::SessionResponse = match api
        .post(
            "v1/auth/register",
            &wire::RegisterRequest {
                email: email.clone(),
                auth_key: auth_key.into(),
                kdf,
                device_name: device_name.into(),
                keys: new_keys,
            },
        )
        .await
    {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Err(e) = start(&api, email, session, &data, now_ms).await {
        return e;
    }
    match status().await {
        Response::SyncStatus { status } => Response::SyncSignedUp {
            recovery_key: recovery.display(),
            status,
        },
        other => other,
    }
}

/// Signs in with the password's keys: login, unwrap the data key, first round.
pub async fn sign_in(
    server: &str,
    email: &str,
    auth_key: &str,
    wrap_key: &str,
    device_name: &str,
    now_ms: u64,
) -> Response {
    let email = normalise_email(email);
    let wrap = match key_arg(wrap_key) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let api = match server_api(server) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let session: wire::SessionResponse = match api
        .post(
            "v1/auth/login",
            &wire::LoginRequest {
                email: email.clone(),
                auth_key: auth_key.into(),
                device_name: device_name.into(),
            },
        )
        .await
    {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let Some(k) = &session.keys else {
        return Response::error(
            ErrorCode::Sync,
            "This account has no encryption key on the server (made by another client).",
        );
    };
    let data = match keys::unwrap_data_key(&wrap, &email, WrapPurpose::Password, &k.wrapped_key) {
        Ok(d) => d,
        Err(e) => {
            return Response::error(
                ErrorCode::Sync,
                format!("Could not unlock the account's key: {e}"),
            )
        }
    };
    if let Err(e) = start(&api, email, session, &data, now_ms).await {
        return e;
    }
    status().await
}

/// The password was lost: sign in with the recovery key, set the new password, first round.
#[allow(clippy::too_many_arguments)]
pub async fn recover(
    server: &str,
    email: &str,
    recovery_key: &str,
    kdf: KdfParams,
    auth_key: &str,
    wrap_key: &str,
    device_name: &str,
    now_ms: u64,
) -> Response {
    let email = normalise_email(email);
    let rk = match RecoveryKey::parse(recovery_key) {
        Ok(k) => k.keys(),
        Err(e) => return Response::error(ErrorCode::InvalidCredentials, e.to_string()),
    };
    let wrap = match key_arg(wrap_key) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let api = match server_api(server) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let session: wire::SessionResponse = match api
        .post(
            "v1/auth/recover",
            &wire::RecoverRequest {
                email: email.clone(),
                recovery_auth_key: rk.auth.to_base64(),
                device_name: device_name.into(),
            },
        )
        .await
    {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let Some(k) = &session.keys else {
        return Response::error(
            ErrorCode::Sync,
            "This account has no recovery copy of its key.",
        );
    };
    let data = match keys::unwrap_data_key(
        &rk.wrap,
        &email,
        WrapPurpose::Recovery,
        &k.recovery_wrapped_key,
    ) {
        Ok(d) => d,
        Err(e) => {
            return Response::error(
                ErrorCode::Sync,
                format!("The recovery key did not unlock the account: {e}"),
            )
        }
    };
    let wrapped = match keys::wrap_data_key(&wrap, &email, WrapPurpose::Password, &data) {
        Ok(w) => w,
        Err(e) => return Response::error(ErrorCode::Sync, e.to_string()),
    };
    let authed = Api {
        token: Some(session.token.clone()),
        ..api
    };
    if let Err(e) = authed
        .post_empty(
            "v1/account/password",
            &wire::ChangePasswordRequest {
                auth_key: None,
                recovery_auth_key: Some(rk.auth.to_base64()),
                new_auth_key: auth_key.into(),
                kdf,
                wrapped_key: wrapped,
            },
        )
        .await
    {
        return fail(&e);
    }
    if let Err(e) = start(&authed, email, session, &data, now_ms).await {
        return e;
    }
    status().await
}

/// Stores a new sign-in and runs the first round. The sync state is fresh (the first round
/// merges this device's wallet with the account's), unless this device was signed in to the
/// same account until the server stopped accepting it (it signed in again after a new data key
/// was made elsewhere, or after its device was revoked): then its state is kept, re-keyed for
/// `data`, so that the account's deletions and edits since are merged, not undone.
async fn start(
    api: &Api,
    email: String,
    session: wire::SessionResponse,
    data: &Key,
    now_ms: u64,
) -> Result<(), Response> {
    let acct = Account {
        server: api.base.to_string(),
        email,
        device_id: session.device_id,
        token: session.token,
        data_key: data.to_base64(),
        account: session.account,
    };
    let previous = account().await.ok().flatten();
    let same_account = previous.is_some_and(|p| {
        p.server == acct.server
            && p.email == acct.email
            && p.account.is_some()
            && p.account == acct.account
    });
    let state = if same_account {
        Stored {
            sync: sync_core::client::rekeyed(&stored().await.sync, data),
            ..Stored::default()
        }
    } else {
        Stored::default()
    };
    browser::local_set(&[
        (ACCOUNT_KEY, to_js(&acct)),
        (
            STATE_KEY,
            JsValue::from(serde_json::to_string(&state).unwrap_or_default()),
        ),
    ])
    .await
    .map_err(storage_error)?;
    run(now_ms).await;
    Ok(())
}

pub async fn change_password(
    auth_key: &str,
    kdf: KdfParams,
    new_auth_key: &str,
    new_wrap_key: &str,
) -> Response {
    let (acct, api) = match account_api().await {
        Ok(a) => a,
        Err(e) => return e,
    };
    let (wrap, data) = match (key_arg(new_wrap_key), key_arg(&acct.data_key)) {
        (Ok(w), Ok(d)) => (w, d),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let wrapped = match keys::wrap_data_key(&wrap, &acct.email, WrapPurpose::Password, &data) {
        Ok(w) => w,
        Err(e) => return Response::error(ErrorCode::Sync, e.to_string()),
    };
    match api
        .post_empty(
            "v1/account/password",
            &wire::ChangePasswordRequest {
                auth_key: Some(auth_key.into()),
                recovery_auth_key: None,
                new_auth_key: new_auth_key.into(),
                kdf,
                wrapped_key: wrapped,
            },
        )
        .await
    {
        Ok(()) => status().await,
        Err(e) => fail(&e),
    }
}

async fn signed_in() -> Result<Account, Response> {
    match account().await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(Response::error(
            ErrorCode::NotSignedIn,
            "Sync is off: sign in first.",
        )),
        Err(e) => Err(storage_error(e)),
    }
}

/// Signs out: the server forgets this device's token (best effort: offline still signs out
/// locally), and the account, key and sync state leave this device. The wallet stays.
pub async fn sign_out() -> Response {
    if let Ok((_, api)) = account_api().await {
        if let Err(e) = api
            .post_empty("v1/auth/logout", &serde_json::json!({}))
            .await
        {
            web_log(&format!(
                "StackSmart: sign-out not confirmed by the server: {e}"
            ));
        }
    }
    if let Err(e) = browser::local_remove(&[ACCOUNT_KEY.into(), STATE_KEY.into()]).await {
        return storage_error(e);
    }
    status().await
}

/// Deletes the account on the server (`auth_key` proves the password): its records and every
/// device's sign-in go. Then this device forgets the account and its sync state, as sign-out
/// does; the wallet stays.
pub async fn delete_account(auth_key: &str) -> Response {
    let (_, api) = match account_api().await {
        Ok(a) => a,
        Err(e) => return e,
    };
    let body = wire::DeleteAccountRequest {
        auth_key: auth_key.into(),
    };
    if let Err(e) = api.delete("v1/account", Some(&body)).await {
        return fail(&e);
    }
    if let Err(e) = browser::local_remove(&[ACCOUNT_KEY.into(), STATE_KEY.into()]).await {
        return storage_error(e);
    }
    status().await
}

/// Replaces the recovery key because the old one may be known to someone else, and with it
/// the data key the old one unwrapped (`auth_key` proves the password; `wrap_key`, derived
/// from it, wraps the new data key): a round first, so that this device has merged
/// everything the server holds, then every record re-sealed under a fresh data key and sent
/// in one all-or-nothing request (`sync_core::client::rotate_data_key`; if another device
/// wrote in between, again, at most three times). The server signs every other device out;
/// they sign in again with the password. Answers with the new recovery key (shown once; it is
/// not stored anywhere).
///
/// No round of this device runs meanwhile: one that read the old key could otherwise push
/// records sealed with it after the rotation.
pub async fn new_recovery_key(auth_key: &str, wrap_key: &str, now_ms: u64) -> Response {
    let wrap = match key_arg(wrap_key) {
        Ok(w) => w,
        Err(e) => return e,
    };
    if !hold_rounds().await {
        return Response::retry_later(1, "A sync is still running; try again in a moment.");
    }
    let answer = rotate_key(auth_key, &wrap, now_ms).await;
    RUNNING.with(|r| r.set(false));
    if AGAIN.with(|a| a.replace(false)) {
        wasm_bindgen_futures::spawn_local(run(now_ms));
    }
    answer
}

async fn rotate_key(auth_key: &str, wrap: &Key, now_ms: u64) -> Response {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        let (acct, api) = match account_api().await {
            Ok(a) => a,
            Err(e) => return e,
        };
        let old = match key_arg(&acct.data_key) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let mut s = stored().await;
        if let Some(secs) = retry::seconds_left(s.not_before_ms, now_ms) {
            let secs = u32::try_from(secs).unwrap_or(retry::MAX_WAIT_SECS);
            return Response::retry_later(
                secs,
                format!("The sync server asked to wait {secs} s before the next try."),
            );
        }
        if let Err(Failed {
            message, wait_secs, ..
        }) = round_saved(&acct, &mut s, now_ms).await
        {
            return match wait_secs {
                Some(secs) => Response::retry_later(
                    secs,
                    format!("The sync server asked to wait {secs} s before the next try."),
                ),
                None => Response::error(ErrorCode::Sync, message),
            };
        }
        let new = match keys::new_data_key(&acct.email, wrap) {
            Ok(n) => n,
            Err(e) => return Response::error(ErrorCode::Sync, e.to_string()),
        };
        let session = Session {
            email: &acct.email,
            data_key: &old,
        };
        match sync_core::client::rotate_data_key(&api, &session, &new, auth_key, &s.sync).await {
            Ok(state) => {
                s.sync = state;
                s.last_sync_ms = Some(now_ms);
                s.last_error = None;
                let acct = Account {
                    data_key: new.data.to_base64(),
                    ..acct
                };
                // The new key and the state that goes with it in one write.
                let text = serde_json::to_string(&s).unwrap_or_default();
                if let Err(e) = browser::local_set(&[
                    (ACCOUNT_KEY, to_js(&acct)),
                    (STATE_KEY, JsValue::from(text)),
                ])
                .await
                {
                    return storage_error(e);
                }
                return Response::SyncRecoveryKey {
                    recovery_key: new.recovery.key.display(),
                };
            }
            // Another device wrote between the round and the rotation: merge, then again.
            Err(SyncError::Conflict(_)) if attempt < ATTEMPTS => {}
            Err(e) => return fail(&e),
        }
    }
    Response::error(
        ErrorCode::Sync,
        "Another device kept changing the wallet; nothing was changed. Try again in a moment.",
    )
}

/// Marks this device's rounds as running, once the one running (if any) is done; false if
/// it is still running after 30 s.
async fn hold_rounds() -> bool {
    for _ in 0..600 {
        if !RUNNING.with(|r| r.replace(true)) {
            return true;
        }
        sleep_ms(50).await;
    }
    false
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = set_timeout(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    // The global scope's timer: a window's and a service worker's alike.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> Result<JsValue, JsValue>;
}

pub async fn devices() -> Response {
    let (_, api) = match account_api().await {
        Ok(a) => a,
        Err(e) => return e,
    };
    match api.get::<wire::DeviceList>("v1/devices").await {
        Ok(list) => Response::SyncDevices {
            devices: list
                .devices
                .into_iter()
                .map(|d| SyncDevice {
                    id: d.id,
                    name: d.name,
                    created_at: d.created_at,
                    last_seen_at: d.last_seen_at,
                    current: d.current,
                })
                .collect(),
        },
        Err(e) => fail(&e),
    }
}

pub async fn revoke(id: i64) -> Response {
    let (_, api) = match account_api().await {
        Ok(a) => a,
        Err(e) => return e,
    };
    match api.delete::<()>(&format!("v1/devices/{id}"), None).await {
        Ok(()) => devices().await,
        Err(e) => fail(&e),
    }
}

thread_local! {
    // One round at a time; a change during a round asks for another one after it.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

/// Runs rounds until no change arrived during the last one. Returns when done (callers that
/// must not wait spawn it). A no-op when signed out.
pub async fn run(now_ms: u64) {
    if RUNNING.with(|r| r.replace(true)) {
        AGAIN.with(|a| a.set(true));
        return;
    }
    loop {
        AGAIN.with(|a| a.set(false));
        round(now_ms).await;
        if !AGAIN.with(Cell::get) {
            break;
        }
    }
    RUNNING.with(|r| r.set(false));
}

/// One round with the stored account; the outcome goes into the stored status. None while
/// the server's `Retry-After` has not passed: the round waits for the alarm set for then.
async fn round(now_ms: u64) {
    let Ok(Some(acct)) = account().await else {
        return;
    };
    let mut s = stored().await;
    if retry::seconds_left(s.not_before_ms, now_ms).is_some() {
        return;
    }
    let _ = round_saved(&acct, &mut s, now_ms).await;
}

/// A round of `acct` on `s`, its outcome noted in `s` (status, notes, the server's wait)
/// and stored. Returns the failure's wait, if any, for callers that go on.
async fn round_saved(acct: &Account, s: &mut Stored, now_ms: u64) -> Result<(), Failed> {
    let result = round_with(acct, s).await;
    let outcome = match result {
        Ok(notes) => {
            s.last_sync_ms = Some(now_ms);
            s.last_error = None;
            s.not_before_ms = None;
            s.signed_out = false;
            for n in notes.into_iter().rev() {
                s.notes.insert(0, n);
            }
            s.notes.truncate(MAX_NOTES);
            Ok(())
        }
        Err(failed) => {
            s.last_error = Some(failed.message.clone());
            s.signed_out = failed.needs_sign_in;
            s.not_before_ms = failed
                .wait_secs
                .map(|secs| now_ms.saturating_add(u64::from(secs) * 1000));
            if let Some(at) = s.not_before_ms {
                if let Err(e) = browser::alarm_at(RETRY_ALARM, at) {
                    web_log(&format!("StackSmart: sync retry not scheduled: {e}"));
                }
            }
            Err(failed)
        }
    };
    save_round(acct, s).await;
    outcome
}

/// Stores the state a round of `acct` left, unless the device was signed out (or into
/// another account) while the round was on the network: the state belongs to nobody then,
/// and sign-out promised to leave none behind.
async fn save_round(acct: &Account, s: &Stored) {
    match account().await {
        Ok(Some(now)) if now.token == acct.token => {}
        _ => return,
    }
    if let Err(e) = save_stored(s).await {
        web_log(&format!("StackSmart: sync state not saved: {e}"));
    }
}

/// Why a round failed, for people, and how long the server asked this device to wait.
struct Failed {
    message: String,
    wait_secs: Option<u32>,
    /// Only a new sign-in helps: 401 (the server no longer accepts this device's token), or
    /// records this device's data key cannot open (a newer key replaced it).
    needs_sign_in: bool,
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Failed {
            message,
            wait_secs: None,
            needs_sign_in: false,
        }
    }
}

impl From<SyncError> for Failed {
    fn from(e: SyncError) -> Self {
        Failed {
            message: e.for_people(),
            wait_secs: retry::wait_secs(&e),
            needs_sign_in: e.unauthorized() || matches!(e, SyncError::Crypto(_)),
        }
    }
}

async fn round_with(acct: &Account, s: &mut Stored) -> Result<Vec<String>, Failed> {
    let data = Key::from_base64(&acct.data_key).map_err(|e| e.to_string())?;
    let api = Api::for_account(acct)?;
    let start = wallet_store::load().await.map_err(describe)?;
    let session = Session {
        email: &acct.email,
        data_key: &data,
    };
    let mut state = s.sync.clone();
    let out = sync_round(&api, &session, &mut state, &start).await?;
    // The wallet may have been edited while the round was on the network: apply the round's
    // changes (start → merged) to the wallet as it is now, so neither side is lost.
    let now = wallet_store::load().await.map_err(describe)?;
    let next = if now == start {
        out.doc.clone()
    } else {
        rebase(&start, &now, &out.doc)?
    };
    if next != now {
        if let Response::Error(e) = wallet_store::save(next, now.updated_at_ms).await {
            return Err(e.message.into());
        }
        crate::after_wallet_change().await;
    }
    s.sync = state;
    Ok(out
        .notes
        .into_iter()
        .map(|n| {
            let field = if n.field.is_empty() {
                String::new()
            } else {
                format!(" ({})", n.field)
            };
            format!("{}{field}: {}", n.entry, n.message)
        })
        .collect())
}

fn rebase(start: &WalletDoc, now: &WalletDoc, merged: &WalletDoc) -> Result<WalletDoc, String> {
    use sync_core::records;
    let (b, l, r) = (
        records::entries(start)?,
        records::entries(now)?,
        records::entries(merged)?,
    );
    let mut notes = Vec::new();
    let m = sync_core::merge::merge_entries(&b, &l, &r, &mut notes);
    records::document(now, &m).map_err(|e| e.to_string())
}

/// The clock, for an HTTP-date `Retry-After` (the rest of sync gets the event's time).
fn millis_now() -> u64 {
    crate::millis(js_sys::Date::now())
}

fn describe(r: Response) -> String {
    match r {
        Response::Error(e) => e.message,
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_checked_with_a_clear_message() {
        assert!(server_url("https://sync.example.com").is_ok());
        assert!(server_url(" http://127.0.0.1:8787/ ").is_ok());
        for bad in [
            "",
            "sync.example.com",
            "ftp://x.y",
            "https://x.y/?a=1",
            "http://",
        ] {
            let e = server_url(bad).expect_err(bad);
            assert!(e.contains('“'), "{e}");
        }
    }

    fn http(status: u16, code: &str, retry_after: Option<u32>) -> SyncError {
        SyncError::Http {
            status,
            code: code.into(),
            message: "the server's words".into(),
            retry_after,
        }
    }

    fn retry_after_secs(r: &Response) -> Option<u32> {
        match r {
            Response::Error(e) if e.code == ErrorCode::RetryLater => e.retry_after_secs,
            _ => None,
        }
    }

    #[test]
    fn account_actions_told_to_wait_answer_retry_later_with_the_wait() {
        // Rate-limited sign-in: the server's Retry-After.
        assert_eq!(
            retry_after_secs(&fail(&http(429, "rate_limited", Some(17)))),
            Some(17)
        );
        assert_eq!(
            fail(&http(429, "rate_limited", Some(17))),
            Response::retry_later(
                17,
                "The sync server asked to wait 17 s before the next try."
            )
        );
        // Without the header: the defaults sync rounds use; a silly one is capped.
        assert_eq!(
            retry_after_secs(&fail(&http(429, "rate_limited", None))),
            Some(60)
        );
        assert_eq!(
            retry_after_secs(&fail(&http(409, "busy", Some(2)))),
            Some(2)
        );
        assert_eq!(
            retry_after_secs(&fail(&http(503, "unavailable", None))),
            Some(5)
        );
        assert_eq!(
            retry_after_secs(&fail(&http(429, "rate_limited", Some(86_400)))),
            Some(retry::MAX_WAIT_SECS)
        );
    }

    #[test]
    fn only_a_refused_sign_in_or_an_unopenable_record_asks_for_a_new_sign_in() {
        assert!(Failed::from(http(401, "unauthorized", None)).needs_sign_in);
        assert!(
            Failed::from(SyncError::Crypto(sync_core::keys::CryptoError::Open)).needs_sign_in,
            "a replaced data key: only the password fetches the new one"
        );
        for other in [
            http(503, "unavailable", Some(5)),
            http(409, "busy", None),
            http(412, "conflict", None),
            SyncError::Network("down".into()),
            SyncError::Wallet("invalid".into()),
        ] {
            assert!(!Failed::from(other.clone()).needs_sign_in, "{other:?}");
        }
        assert!(!Failed::from("storage failed".to_string()).needs_sign_in);
    }

    #[test]
    fn other_failures_keep_their_own_answers() {
        // A taken email is a 409 too, but nothing to wait for.
        assert_eq!(
            fail(&http(409, "email_taken", None)),
            Response::error(
                ErrorCode::Sync,
                "An account with this email already exists on that server: sign in instead."
            )
        );
        assert_eq!(
            fail(&http(401, "invalid_credentials", None)),
            Response::error(
                ErrorCode::InvalidCredentials,
                "Wrong email or password (or recovery key)."
            )
        );
        assert_eq!(
            fail(&http(400, "invalid_request", None)),
            Response::error(
                ErrorCode::Sync,
                "The server refused the request: the server's words"
            )
        );
        assert_eq!(
            retry_after_secs(&fail(&SyncError::Network("down".into()))),
            None
        );
    }
}

//! HTTP handlers. Each one is annotated for the OpenAPI document (`/openapi.json`), takes an
//! [`AuthSession`] when it needs a user, and returns `Result<_, ApiError>`.

use std::collections::HashSet;

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use crate::auth::{self, AuthSession, BearerToken};
use crate::db::{AccountAuth, NewChange, Rotation, Store, StoredKeys, WriteLimits};
use crate::error::{ApiError, ErrorBody};
use crate::model::*;
use crate::ratelimit::ClientIp;
use crate::AppState;

/// `Json` whose rejections are `ApiError`s (so bad bodies get `{code, message}` too).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "StackSmart sync",
        description = "End-to-end encrypted sync of wallet and settings records. See docs/sync-protocol.md."
    ),
    paths(
        healthz, auth_params, register, login, logout, list_devices, revoke_device,
        delete_account, changes, post_batch, recover, change_password, new_recovery_key,
        rotate_data_key
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "devices"), (name = "records"), (name = "ops"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Checks the database.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

/// Key-derivation parameters and salt for an email. Unknown emails get stable fake ones, so
/// the answer does not reveal whether an account exists.
#[utoipa::path(post, path = "/v1/auth/params", tag = "auth", request_body = ParamsRequest,
    responses((status = 200, body = ParamsResponse), (status = 400, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn auth_params(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ParamsRequest>,
) -> Result<Json<ParamsResponse>, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let email = auth::normalize_email(&req.email)?;
    let kdf = match state.store.kdf_params(&email).await? {
        Some((mut kdf, salt)) => {
            kdf.salt = STANDARD.encode(salt);
            kdf
        }
        None => auth::fake_kdf(
            &state.fake_salt_key,
            &email,
            state.config.default_client_kdf,
        ),
    };
    Ok(Json(ParamsResponse { kdf }))
}

fn device_name(name: &str) -> Result<String, ApiError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "device_name must be 1–100 printable characters".into(),
        ));
    }
    Ok(n.to_string())
}

/// Creates an account and logs this device in.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = SessionResponse), (status = 400, body = ErrorBody),
              (status = 409, description = "email_taken", body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionResponse>), ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let email = auth::normalize_email(&req.email)?;
    let key = auth::decode_auth_key(&req.auth_key)?;
    let salt = auth::validate_kdf(&req.kdf)?;
    let device = device_name(&req.device_name)?;
    let keys = match &req.keys {
        Some(k) => {
            let wrapped_key = decode_wrapped(&k.wrapped_key, "wrapped_key")?;
            let recovery_wrapped_key =
                decode_wrapped(&k.recovery_wrapped_key, "recovery_wrapped_key")?;
            let recovery_key = auth::decode_auth_key(&k.recovery_auth_key)?;
            let recovery_auth_hash = hash_key(&state, recovery_key).await?;
            Some(StoredKeys {
                wrapped_key,
                recovery_wrapped_key,
                recovery_auth_hash,
            })
        }
        None => None,
    };
    let hash = hash_key(&state, key).await?;
    let token = auth::new_token();
    let (account_id, device_id) = state
        .store
        .register(
            &email,
            &hash,
            &req.kdf,
            &salt,
            &auth::token_hash(&token),
            &device,
            keys.as_ref(),
        )
        .await?
        .ok_or(ApiError::EmailTaken)?;
    metrics::counter!("accounts_registered_total").increment(1);
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            token,
            device_id,
            account: auth::account_ref(&state.fake_salt_key, account_id),
            keys: None,
        }),
    ))
}

/// Logs a new device in with the email and authentication key.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let email = auth::normalize_email(&req.email)?;
    state.limits.login_per_email.check(&email)?;
    let key = auth::decode_auth_key(&req.auth_key)?;
    let device = device_name(&req.device_name)?;
    sign_in_device(&state, &email, key, &device, |a| Some(a.auth_hash.clone())).await
}

/// Login and recovery: checks `key` against the hash `proof` picks from the account (an
/// unknown email costs the same Argon2id work and gets the same answer as a wrong key), then
/// opens a session for the new device and hands back the wrapped keys.
async fn sign_in_device(
    state: &AppState,
    email: &str,
    key: Vec<u8>,
    device: &str,
    proof: fn(&AccountAuth) -> Option<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    let account = state.store.account_auth(email).await?;
    let stored = account.as_ref().and_then(proof);
    let ok = verify_key(state, key, stored).await?;
    let account = match account {
        Some(a) if ok => a,
        _ => {
            metrics::counter!("login_failures_total").increment(1);
            return Err(ApiError::InvalidCredentials);
        }
    };
    let token = auth::new_token();
    let device_id = state
        .store
        .create_session(account.id, &auth::token_hash(&token), device)
        .await?;
    Ok(Json(SessionResponse {
        token,
        device_id,
        account: auth::account_ref(&state.fake_salt_key, account.id),
        keys: account.keys,
    }))
}

/// Checks `key` against `stored` (`None`: an equally slow miss) off the async workers.
async fn verify_key(
    state: &AppState,
    key: Vec<u8>,
    stored: Option<String>,
) -> Result<bool, ApiError> {
    let hasher = state.hasher.clone();
    auth::blocking(move || hasher.verify(&key, stored.as_deref())).await
}

/// [`verify_key`] for a signed-in device proving the password (or recovery key) again: a
/// wrong key counts as a failed login.
async fn require_key(
    state: &AppState,
    key: Vec<u8>,
    stored: Option<String>,
) -> Result<(), ApiError> {
    if verify_key(state, key, stored).await? {
        Ok(())
    } else {
        metrics::counter!("login_failures_total").increment(1);
        Err(ApiError::InvalidCredentials)
    }
}

/// Hashes a new authentication (or recovery) key off the async workers.
async fn hash_key(state: &AppState, key: Vec<u8>) -> Result<String, ApiError> {
    let hasher = state.hasher.clone();
    auth::blocking(move || hasher.hash(&key)).await?
}

/// The session's account with its hashes; gone since the token was checked is 401.
async fn session_account(state: &AppState, session: AuthSession) -> Result<AccountAuth, ApiError> {
    state
        .store
        .account_auth_by_id(session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// Refuses, with `refusal`, an account that keeps no wrapped data key (it has no recovery
/// key and nothing to re-wrap).
fn require_wrapped_keys(account: &AccountAuth, refusal: &str) -> Result<(), ApiError> {
    if account.keys.is_none() {
        return Err(ApiError::BadRequest(refusal.into()));
    }
    Ok(())
}

/// A wrapped data key: base64 of nonce ‖ ciphertext ‖ tag (a 32-byte key makes 72 bytes).
fn decode_wrapped(b64: &str, field: &str) -> Result<Vec<u8>, ApiError> {
    match STANDARD.decode(b64.trim()) {
        Ok(k) if (40..=256).contains(&k.len()) => Ok(k),
        _ => Err(ApiError::BadRequest(format!(
            "{field} must be 40–256 bytes of base64"
        ))),
    }
}

/// Logs a new device in with the recovery key (the password was lost). The answer carries
/// the wrapped keys; the client unwraps the data key with the recovery key and then sets a
/// new password (`POST /v1/account/password` with `recovery_auth_key`).
#[utoipa::path(post, path = "/v1/auth/recover", tag = "auth", request_body = RecoverRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn recover(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RecoverRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let email = auth::normalize_email(&req.email)?;
    state.limits.login_per_email.check(&email)?;
    let key = auth::decode_auth_key(&req.recovery_auth_key)?;
    let device = device_name(&req.device_name)?;
    sign_in_device(&state, &email, key, &device, |a| {
        a.recovery_auth_hash.clone()
    })
    .await
}

/// Sets a new password: checks the current authentication key (or the recovery key's), then
/// swaps the authentication key hash, KDF parameters and password-wrapped data key in one
/// statement. Records are not touched (the data key stays the same); other devices stay
/// signed in.
#[utoipa::path(post, path = "/v1/account/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, description = "changed concurrently: retry", body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: AuthSession,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let (proof, by_recovery) = match (&req.auth_key, &req.recovery_auth_key) {
        (Some(k), None) => (auth::decode_auth_key(k)?, false),
        (None, Some(k)) => (auth::decode_auth_key(k)?, true),
        _ => {
            return Err(ApiError::BadRequest(
                "send exactly one of auth_key and recovery_auth_key".into(),
            ))
        }
    };
    let new_key = auth::decode_auth_key(&req.new_auth_key)?;
    let salt = auth::validate_kdf(&req.kdf)?;
    let wrapped = decode_wrapped(&req.wrapped_key, "wrapped_key")?;
    let account = session_account(&state, session).await?;
    let stored = if by_recovery {
        account.recovery_auth_hash.clone()
    } else {
        Some(account.auth_hash.clone())
    };
    require_key(&state, proof, stored).await?;
    let new_hash = hash_key(&state, new_key).await?;
    let swapped = state
        .store
        .change_password(
            account.id,
            &account.auth_hash,
            &new_hash,
            &req.kdf,
            &salt,
            &wrapped,
        )
        .await?;
    if swapped {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::Busy)
    }
}

/// Replaces the recovery key (the old one was lost or seen by someone else): checks the
/// password's authentication key, then swaps the recovery-wrapped data key and the recovery
/// key's hash in one statement. The old recovery key stops working at once; the data key, the
/// records, the password and every device's sign-in stay as they are.
#[utoipa::path(post, path = "/v1/account/recovery-key", tag = "auth", security(("bearer" = [])),
    request_body = NewRecoveryKeyRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, description = "changed concurrently: retry", body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn new_recovery_key(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: AuthSession,
    ApiJson(req): ApiJson<NewRecoveryKeyRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let proof = auth::decode_auth_key(&req.auth_key)?;
    let wrapped = decode_wrapped(&req.recovery_wrapped_key, "recovery_wrapped_key")?;
    let new_key = auth::decode_auth_key(&req.recovery_auth_key)?;
    let account = session_account(&state, session).await?;
    // Without a password-wrapped copy a recovery key could never set a new password.
    require_wrapped_keys(
        &account,
        "this account keeps no wrapped data key, so it has no recovery key",
    )?;
    require_key(&state, proof, Some(account.auth_hash.clone())).await?;
    let new_hash = hash_key(&state, new_key).await?;
    let swapped = state
        .store
        .replace_recovery_key(
            account.id,
            &account.auth_hash,
            account.recovery_auth_hash.as_deref(),
            &new_hash,
            &wrapped,
        )
        .await?;
    if swapped {
        metrics::counter!("recovery_keys_replaced_total").increment(1);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::Busy)
    }
}

/// Replaces the account's data key, and with it the recovery key (the old recovery key may
/// have been seen by someone else): checks the password's authentication key, then in one
/// transaction replaces every record with its copy re-sealed under the new data key, swaps
/// both wrapped copies of the key and the recovery key's hash, and signs out every other
/// device (they sign in again with the password, which unwraps the new key). Precondition:
/// `base_latest` is still the account's latest version (else 412, nothing changed). Old
/// cursors get 410 afterwards.
#[utoipa::path(post, path = "/v1/account/data-key", tag = "auth", security(("bearer" = [])),
    request_body = RotateKeyRequest,
    responses((status = 200, body = BatchResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 409, description = "busy, or the password or recovery key changed concurrently: retry", body = ErrorBody),
              (status = 412, description = "the account changed since `base_latest`: read again", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn rotate_data_key(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: AuthSession,
    ApiJson(req): ApiJson<RotateKeyRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let proof = auth::decode_auth_key(&req.auth_key)?;
    let wrapped = decode_wrapped(&req.wrapped_key, "wrapped_key")?;
    let recovery_wrapped = decode_wrapped(&req.recovery_wrapped_key, "recovery_wrapped_key")?;
    let new_recovery = auth::decode_auth_key(&req.recovery_auth_key)?;
    if req.base_latest < 0 {
        return Err(ApiError::BadRequest("base_latest must be ≥ 0".into()));
    }
    let mut seen = HashSet::with_capacity(req.records.len());
    let mut records = Vec::with_capacity(req.records.len());
    for r in req.records {
        check_record_name(&state, &r.collection, &r.id)?;
        check_once(&mut seen, &r.collection, &r.id, "")?;
        let payload = decode_payload(&state, &r.payload)?;
        records.push(NewChange {
            collection: r.collection,
            id: r.id,
            base_version: 0,
            deleted: false,
            payload: Some(payload),
        });
    }
    let account = session_account(&state, session).await?;
    require_wrapped_keys(
        &account,
        "this account keeps no wrapped data key to replace",
    )?;
    require_key(&state, proof, Some(account.auth_hash.clone())).await?;
    let recovery_auth_hash = hash_key(&state, new_recovery).await?;
    let (versions, latest) = state
        .store
        .rotate_data_key(&Rotation {
            account_id: account.id,
            keep_session: session.session_id,
            expected_auth_hash: &account.auth_hash,
            expected_recovery_hash: account.recovery_auth_hash.as_deref(),
            wrapped_key: &wrapped,
            recovery_wrapped_key: &recovery_wrapped,
            recovery_auth_hash: &recovery_auth_hash,
            base_latest: req.base_latest,
            records: &records,
            quota_bytes: state.config.quota_bytes,
        })
        .await?;
    metrics::counter!("data_keys_rotated_total").increment(1);
    Ok(Json(batch_response(records, versions, latest)))
}

/// Ends this device's session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn logout(
    State(state): State<AppState>,
    session: AuthSession,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_session(session.account_id, session.session_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's devices (sessions).
#[utoipa::path(get, path = "/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = DeviceList), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn list_devices(
    State(state): State<AppState>,
    session: AuthSession,
) -> Result<Json<DeviceList>, ApiError> {
    let devices = state
        .store
        .list_devices(session.account_id, session.session_id)
        .await?;
    Ok(Json(DeviceList { devices }))
}

/// Revokes a device: its token stops working at once.
#[utoipa::path(delete, path = "/v1/devices/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = i64, Path, description = "device id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn revoke_device(
    State(state): State<AppState>,
    session: AuthSession,
    path: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = path?;
    if state.store.delete_session(session.account_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("device"))
    }
}

/// Deletes the account, all its devices and all its records. Needs the authentication key.
#[utoipa::path(delete, path = "/v1/account", tag = "auth", security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn delete_account(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: AuthSession,
    ApiJson(req): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.auth_per_ip.check(&ip)?;
    let key = auth::decode_auth_key(&req.auth_key)?;
    let stored = state.store.auth_hash_by_id(session.account_id).await?;
    // Unlike `require_key`, a wrong key here is not counted in `login_failures_total`.
    if !verify_key(&state, key, stored).await? {
        return Err(ApiError::InvalidCredentials);
    }
    state.store.delete_account(session.account_id).await?;
    metrics::counter!("accounts_deleted_total").increment(1);
    Ok(StatusCode::NO_CONTENT)
}

fn check_collection(state: &AppState, name: &str) -> Result<(), ApiError> {
    if state.config.collections.iter().any(|c| c == name) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!("unknown collection {name:?}")))
    }
}

/// Changes since a cursor, in version order, tombstones included. 410 if the cursor is older
/// than the kept tombstones: start again from 0.
#[utoipa::path(get, path = "/v1/records/changes", tag = "records", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 401, body = ErrorBody),
              (status = 410, body = ErrorBody)))]
// No handler span: `account` is recorded on the request span (as `AuthSession` does).
pub async fn changes(
    State(state): State<AppState>,
    BearerToken(token_hash): BearerToken,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    if q.since < 0 {
        return Err(ApiError::BadRequest("since must be ≥ 0".into()));
    }
    let limit = q.limit.unwrap_or(state.config.page_default);
    if !(1..=state.config.page_max).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1..={}",
            state.config.page_max
        )));
    }
    if let Some(c) = &q.collection {
        check_collection(&state, c)?;
    }
    // Authentication and the page in one statement (a revoked token gets 401 as before).
    let page = state
        .store
        .changes(
            &token_hash,
            q.since,
            limit,
            q.collection.as_deref(),
            q.resync,
        )
        .await?;
    tracing::Span::current().record("account", page.session.account_id);
    let body = crate::json::changes_page(&page, q.since)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

fn valid_record_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Writes a batch of changes all-or-nothing. Each change names the version it was based on;
/// if any is stale nothing is written and the answer is 412 with the server's copies.
#[utoipa::path(post, path = "/v1/records/batch", tag = "records", security(("bearer" = [])),
    request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 409, description = "busy: retry after Retry-After", body = ErrorBody),
              (status = 412, description = "conflict: server copies in `conflicts`", body = ErrorBody),
              (status = 413, description = "payload_too_large or quota_exceeded", body = ErrorBody),
              (status = 429, body = ErrorBody)))]
// No handler span: `account` and `changes` are recorded on the request span.
pub async fn post_batch(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    BearerToken(token_hash): BearerToken,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    // One statement per write: the batch statement authenticates the token itself. The
    // per-account limit needs the account first: a token seen before is looked up in memory
    // (`TokenAccounts`), a new one costs a session lookup, whose connection the batch reuses.
    let limits = &state.limits;
    let (mut conn, account_id) = match limits.token_accounts.get(&token_hash) {
        Some(account_id) => (None, account_id),
        None => {
            let (conn, session) = state.store.authenticate(&token_hash).await?;
            limits
                .token_accounts
                .insert(&token_hash, session.account_id);
            (Some(conn), session.account_id)
        }
    };
    let span = tracing::Span::current();
    span.record("account", account_id);
    limits.writes_per_ip.check(&ip)?;
    limits.writes_per_account.check(&account_id)?;
    span.record("changes", req.changes.len());
    let cfg = &state.config;
    if req.changes.is_empty() {
        return Err(ApiError::BadRequest("changes must not be empty".into()));
    }
    if req.changes.len() > cfg.max_batch {
        return Err(ApiError::PayloadTooLarge(format!(
            "at most {} changes per batch",
            cfg.max_batch
        )));
    }
    // A single change (the commonest batch) cannot repeat a record: no set to build.
    let mut seen = HashSet::with_capacity(if req.changes.len() > 1 {
        req.changes.len()
    } else {
        0
    });
    let mut decoded = Vec::with_capacity(req.changes.len());
    let single = req.changes.len() == 1;
    for c in req.changes {
        check_record_name(&state, &c.collection, &c.id)?;
        if c.base_version < 0 {
            return Err(ApiError::BadRequest("base_version must be ≥ 0".into()));
        }
        if !single {
            check_once(&mut seen, &c.collection, &c.id, " in the batch")?;
        }
        let payload = match (c.deleted, c.payload) {
            (true, None) => None,
            (true, Some(_)) => {
                return Err(ApiError::BadRequest(
                    "a deleted record carries no payload".into(),
                ))
            }
            (false, None) => {
                return Err(ApiError::BadRequest(format!(
                    "record {}/{} needs a payload",
                    c.collection, c.id
                )))
            }
            (false, Some(p)) => Some(decode_payload(&state, &p)?),
        };
        decoded.push(NewChange {
            collection: c.collection,
            id: c.id,
            base_version: c.base_version,
            deleted: c.deleted,
            payload,
        });
    }
    let quotas = WriteLimits {
        quota_bytes: cfg.quota_bytes,
        quota_records: cfg.quota_records,
    };
    let mut conn = match conn.take() {
        Some(conn) => conn,
        None => state.store.acquire().await?,
    };
    let written = Store::apply_batch(&mut conn, &token_hash, account_id, &decoded, &quotas).await;
    drop(conn);
    if matches!(written, Err(ApiError::Unauthorized)) {
        limits.token_accounts.remove(&token_hash);
    }
    let (versions, latest) = written?;
    metrics::counter!("sync_records_written_total").increment(decoded.len() as u64);
    Ok(Json(batch_response(decoded, versions, latest)))
}

/// A record's ciphertext from base64, within the payload limit.
fn decode_payload(state: &AppState, b64: &str) -> Result<Vec<u8>, ApiError> {
    let max = state.config.max_payload_bytes;
    // Cheap size check before decoding.
    if b64.len() > max.div_ceil(3) * 4 + 4 {
        return Err(too_large(max));
    }
    let bytes = STANDARD
        .decode(b64)
        .map_err(|_| ApiError::BadRequest("payload is not base64".into()))?;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

/// A record's collection and id as a write names them.
fn check_record_name(state: &AppState, collection: &str, id: &str) -> Result<(), ApiError> {
    check_collection(state, collection)?;
    if valid_record_id(id) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!("invalid record id {id:?}")))
    }
}

/// Refuses a record that one write names twice; `context` ends the message.
fn check_once(
    seen: &mut HashSet<(String, String)>,
    collection: &str,
    id: &str,
    context: &str,
) -> Result<(), ApiError> {
    if seen.insert((collection.to_string(), id.to_string())) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "record {collection}/{id} appears twice{context}"
        )))
    }
}

/// The answer to a write: each change with the version it got, in request order.
fn batch_response(changes: Vec<NewChange>, versions: Vec<i64>, latest: i64) -> BatchResponse {
    let written = changes
        .into_iter()
        .zip(versions)
        .map(|(c, version)| Written {
            collection: c.collection,
            id: c.id,
            version,
        })
        .collect();
    BatchResponse { written, latest }
}

fn too_large(max: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("a record payload is limited to {max} bytes"))
}

//! StackSmart sync server: accounts, device sessions and end-to-end encrypted records over
//! HTTP (axum) on Postgres (sqlx). The protocol is described in `docs/sync-protocol.md`.
//!
//! Modules: [`config`] (environment), [`db`] (all SQL), [`auth`] (keys, tokens, the
//! `AuthSession` extractor), [`ratelimit`], [`routes`] (handlers + OpenAPI), [`error`]
//! (JSON errors), [`model`] (request/response bodies).
//!
//! The server keeps no state of its own beyond the database (rate-limit buckets aside), so
//! any number of instances can share one Postgres.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod json;
pub mod model;
pub mod ratelimit;
pub mod routes;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use metrics::SharedString;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::KeyHasher;
use crate::config::Config;
use crate::db::Store;
use crate::error::ApiError;
use crate::ratelimit::Limits;

/// Shared by all handlers of one instance. One `Arc`: axum clones the state for every
/// request, and a clone of the fields (a `String` in the hasher, six reference counts) was a
/// measurable part of a request's CPU.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
pub struct Shared {
    pub config: Config,
    pub store: Store,
    pub hasher: KeyHasher,
    pub limits: Limits,
    /// Key for the stable fake KDF salts of unknown emails (from the database).
    pub fake_salt_key: Vec<u8>,
    pub metrics: PrometheusHandle,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The process-wide Prometheus recorder (installed once; every app in the process shares it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed: keep a private one so /metrics still answers.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

impl AppState {
    /// Connects (lazily), runs migrations if configured and loads the shared secrets.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let pool = db::connect(&config)?;
        let store = Store::new(pool);
        if config.migrate {
            db::migrate(&store.pool).await?;
        }
        let fake_salt_key = store
            .server_secret("fake_kdf_salt_key", &auth::random_bytes(32))
            .await?;
        let hasher = KeyHasher::new(config.server_argon2)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(AppState(Arc::new(Shared {
            limits: Limits::new(&config),
            config,
            store,
            hasher,
            fake_salt_key,
            metrics: metrics_handle(),
        })))
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// Every route of [`app`], so that its label is a static string (no allocation per request).
const ROUTES: [&str; 16] = [
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/v1/auth/params",
    "/v1/auth/register",
    "/v1/auth/login",
    "/v1/auth/logout",
    "/v1/auth/recover",
    "/v1/account/password",
    "/v1/account/recovery-key",
    "/v1/account/data-key",
    "/v1/devices",
    "/v1/devices/{id}",
    "/v1/account",
    "/v1/records/changes",
    "/v1/records/batch",
];

/// `text` as a metric label: one of `known` (static, no allocation per request) or a copy.
fn label(known: &[&'static str], text: &str) -> SharedString {
    known.iter().find(|k| **k == text).map_or_else(
        || SharedString::from_owned(text.to_owned()),
        |k| SharedString::const_str(k),
    )
}

/// Counts requests and their latency per route.
async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(SharedString::const_str("unmatched"), |p| {
            label(&ROUTES, p.as_str())
        });
    let method = label(&["GET", "POST", "DELETE", "OPTIONS"], req.method().as_str());
    let response = next.run(req).await;
    let status = label(
        &[
            "200", "201", "204", "400", "401", "404", "409", "410", "412", "413", "429", "503",
        ],
        response.status().as_str(),
    );
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Gives error responses made outside the handlers (405, CORS, …) a JSON `{code, message}`.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    };
    let body = serde_json::json!({
        "code": code,
        "message": status.canonical_reason().unwrap_or("error"),
    });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| {
            let o = origin.as_bytes();
            o.starts_with(b"chrome-extension://") || o.starts_with(b"moz-extension://")
        }))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// The largest body of a data-key rotation: a full account in base64 (4/3 of the byte quota)
/// plus ~200 bytes of JSON per record, and never less than any other request may send.
fn rotation_body_limit(config: &Config) -> usize {
    let quota = usize::try_from(config.quota_bytes).unwrap_or(usize::MAX);
    let records = usize::try_from(config.quota_records).unwrap_or(usize::MAX);
    (quota / 3)
        .saturating_mul(4)
        .saturating_add(records.saturating_mul(256))
        .saturating_add(64 * 1024)
        .max(config.max_body_bytes)
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(routes::openapi_json))
        .route("/v1/auth/params", post(routes::auth_params))
        .route("/v1/auth/register", post(routes::register))
        .route("/v1/auth/login", post(routes::login))
        .route("/v1/auth/logout", post(routes::logout))
        .route("/v1/auth/recover", post(routes::recover))
        .route("/v1/account/password", post(routes::change_password))
        .route("/v1/account/recovery-key", post(routes::new_recovery_key))
        // Carries every record of the account at once.
        .route(
            "/v1/account/data-key",
            post(routes::rotate_data_key)
                .layer(DefaultBodyLimit::max(rotation_body_limit(&state.config))),
        )
        .route("/v1/devices", get(routes::list_devices))
        .route("/v1/devices/{id}", delete(routes::revoke_device))
        .route("/v1/account", delete(routes::delete_account))
        .route("/v1/records/changes", get(routes::changes))
        .route("/v1/records/batch", post(routes::post_batch))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(track_metrics))
        .layer(cors())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = req.uri().path(),
                        request_id = id, account = tracing::field::Empty,
                        changes = tracing::field::Empty)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Periodic upkeep of one instance: purge old tombstones, forget idle rate-limit buckets, fold
/// histogram samples into their buckets.
pub fn spawn_maintenance(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut last_purge: Option<Instant> = None;
        loop {
            tick.tick().await;
            state.limits.forget_idle();
            // The recorder keeps every histogram sample until this (or a scrape of /metrics)
            // folds them into the buckets: without it an unscraped server's memory grows by
            // 8 bytes a request.
            state.metrics.run_upkeep();
            let interval = state.config.purge_interval;
            let due = !interval.is_zero() && last_purge.is_none_or(|t| t.elapsed() >= interval);
            if due {
                last_purge = Some(Instant::now());
                match state
                    .store
                    .purge_tombstones(state.config.tombstone_retention)
                    .await
                {
                    Ok(n) => tracing::info!(purged = n, "tombstone purge"),
                    Err(e) => tracing::warn!(error = %e, "tombstone purge failed"),
                }
            }
        }
    })
}

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let maintenance = spawn_maintenance(&state);
    let result = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    maintenance.abort();
    result
}

/// Logs to stdout: JSON lines (default) or text, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

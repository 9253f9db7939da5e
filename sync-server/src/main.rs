//! `stacksmart-sync-server [serve|migrate]` — configuration comes from the environment (see
//! `config.rs` and docs/sync-protocol.md); `DATABASE_URL` is required.

use anyhow::Context as _;
use stacksmart_sync_server::{config::Config, db, init_tracing, serve, AppState};

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let config = Config::from_env()?;
    init_tracing(config.log_json);
    match command.as_str() {
        "migrate" => {
            let pool = db::connect(&config)?;
            db::migrate(&pool).await.context("running migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        "serve" => {
            let bind = config.bind;
            let state = AppState::new(config).await.context("starting")?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "listening on http://{addr}");
            serve(state, listener, shutdown_signal()).await?;
            Ok(())
        }
        other => anyhow::bail!("unknown command {other:?}: use `serve` (default) or `migrate`"),
    }
}

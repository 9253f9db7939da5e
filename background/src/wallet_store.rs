//! The wallet in `storage.local["wallet"]`: read with migrations, written only after the
//! engine accepted it, and never lost: a stored wallet this build cannot read is copied aside
//! (`wallet-unreadable`) before anything replaces it.

use engine::protocol::{ErrorCode, Response};
use engine::wallet::{self, WalletDoc, STORAGE_KEY};
use serde_json::Value;

use crate::{browser, to_js, web_log};

/// Where an unreadable stored wallet is kept for the shopper (or a later build) to recover.
pub const UNREADABLE_KEY: &str = "wallet-unreadable";

/// The stored wallet (migrated to the current schema), or an empty one before the first save.
pub async fn load() -> Result<WalletDoc, Response> {
    match raw().await? {
        None => Ok(WalletDoc::default()),
        Some(value) => wallet::from_value(value).map_err(|e| {
            Response::error(
                ErrorCode::BadWallet,
                format!(
                    "The stored wallet could not be read ({e}). It is kept as it is; import a saved copy to replace it."
                ),
            )
        }),
    }
}

async fn raw() -> Result<Option<Value>, Response> {
    browser::local_get::<Value>(STORAGE_KEY)
        .await
        .map_err(|e| Response::error(ErrorCode::Storage, e))
}

/// Checks and stores `doc`, stamped with `now_ms`; answers with the wallet as stored.
pub async fn save(doc: WalletDoc, now_ms: u64) -> Response {
    let mut doc = match wallet::validate(doc) {
        Ok(d) => d,
        Err(e) => return Response::error(ErrorCode::BadWallet, e.to_string()),
    };
    doc.updated_at_ms = now_ms;
    let mut items = vec![(STORAGE_KEY, to_js(&doc))];
    // Replacing a wallet this build cannot read: keep the old one aside first.
    match raw().await {
        Ok(Some(old)) if wallet::from_value(old.clone()).is_err() => {
            items.push((UNREADABLE_KEY, to_js(&old)));
        }
        Ok(_) => {}
        Err(e) => return e,
    }
    match browser::local_set(&items).await {
        Ok(()) => Response::Wallet {
            wallet: Box::new(doc),
        },
        Err(e) => Response::error(ErrorCode::Storage, e),
    }
}

/// On install or update: brings a stored wallet of an older schema to the current one.
/// A wallet that cannot be read is left where it is (and reported), never dropped.
pub async fn migrate() {
    let Ok(Some(value)) = raw().await else {
        return;
    };
    let schema = value.get("schema").and_then(Value::as_u64);
    if schema == Some(u64::from(wallet::SCHEMA)) {
        return;
    }
    match wallet::from_value(value) {
        Ok(doc) => {
            if let Err(e) = browser::local_set(&[(STORAGE_KEY, to_js(&doc))]).await {
                web_log(&format!("StackSmart: migrated wallet not saved: {e}"));
            }
        }
        Err(e) => web_log(&format!(
            "StackSmart: stored wallet unreadable, kept as is: {e}"
        )),
    }
}

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
    /// Content script → background: what the page in the sender's tab shows.
    PageSnapshot { snapshot: Box<PageSnapshot> },
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
    /// page, opened before the extension could read it, or still loading).
    TabResult {
        result: Option<Box<TabResult>>,
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
    /// The request could not be served.
    Error(ErrorBody),
}

/// A typed error crossing into JS: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
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
    fn errors_carry_a_stable_code() {
        let json = serde_json::to_value(Response::error(ErrorCode::BadSnapshot, "too big"))
            .expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"type": "error", "code": "bad_snapshot", "message": "too big"})
        );
    }
}

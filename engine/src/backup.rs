//! The export file: the wallet and, when the shopper includes it, the price history, so a
//! new browser starts with both. Importing replaces the wallet and *merges* the history
//! (points already there are not added twice), so importing the same file twice, or a file
//! from another browser, never loses a point.
//!
//! A bare wallet document (what earlier builds exported, or a hand-written one) is still a
//! valid file: it carries no history.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::score::{parse_history_value, History, ScoreError};
use crate::wallet::{self, ImportError, WalletDoc, MAX_IMPORT_BYTES};

/// Marks a file as a StackSmart export (as opposed to a bare wallet document).
pub const FORMAT: &str = "stacksmart-export";
/// The export format's version; importing a newer one is refused.
pub const VERSION: u32 = 1;
/// The largest file read: the wallet's own cap plus a full price history (the history's
/// total cap of observations at about 150 bytes each), with room to spare.
pub const MAX_EXPORT_BYTES: usize = 16 * 1024 * 1024;

/// What an export file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub exported_at_ms: u64,
    pub wallet: WalletDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_history: Option<History>,
}

/// The export file's text: pretty JSON when it holds only the wallet (people read and edit
/// it), compact once a price history is in it (that part is for machines, and large).
pub fn export(wallet: &WalletDoc, price_history: Option<History>, now_ms: u64) -> String {
    let file = Export {
        format: FORMAT.into(),
        version: VERSION,
        exported_at_ms: now_ms,
        wallet: wallet.clone(),
        price_history,
    };
    let text = if file.price_history.is_some() {
        serde_json::to_string(&file)
    } else {
        serde_json::to_string_pretty(&file)
    };
    text.unwrap_or_else(|_| "{}".into())
}

/// A file read and checked: the wallet to store and the history to merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub wallet: WalletDoc,
    pub price_history: Option<History>,
}

/// Reads an export file (or a bare wallet document). Everything is checked before the
/// caller changes anything; errors name the place (`wallet.cards[1].catalogue`,
/// `price_history.products["gtin:…"][3].price`).
pub fn import(text: &str) -> Result<Imported, ImportError> {
    if text.len() > MAX_EXPORT_BYTES {
        return Err(too_big(text.len(), MAX_EXPORT_BYTES, "an export"));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::new(
            "document",
            format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
        )
    })?;
    let is_export = value.get("format").and_then(Value::as_str) == Some(FORMAT);
    if !is_export {
        if text.len() > MAX_IMPORT_BYTES {
            return Err(too_big(text.len(), MAX_IMPORT_BYTES, "a wallet"));
        }
        return Ok(Imported {
            wallet: wallet::from_value(value)?,
            price_history: None,
        });
    }
    let Value::Object(mut object) = value else {
        unreachable_object()?
    };
    match object.get("version").and_then(Value::as_u64) {
        Some(v) if v >= 1 && v <= u64::from(VERSION) => {}
        Some(v) => {
            return Err(ImportError::new(
                "version",
                format!("this file is from a newer StackSmart (export version {v}; this build reads up to {VERSION}): update the extension first"),
            ))
        }
        None => return Err(ImportError::new("version", "missing or not a number")),
    }
    let wallet = match object.remove("wallet") {
        Some(w) => wallet::from_value(w).map_err(|e| e.within("wallet"))?,
        None => return Err(ImportError::new("wallet", "missing")),
    };
    let price_history = match object.remove("price_history") {
        None | Some(Value::Null) => None,
        Some(h) => Some(parse_history_value(h).map_err(|e| {
            let ScoreError::BadRequest { field, message } = e;
            ImportError::new(format!("price_history.{field}"), message)
        })?),
    };
    Ok(Imported {
        wallet,
        price_history,
    })
}

fn too_big(len: usize, max: usize, what: &str) -> ImportError {
    ImportError::new(
        "document",
        format!(
            "the file is {} KB; {what} is at most {} KB",
            len / 1024,
            max / 1024
        ),
    )
}

// `format` was read from an object, so the value is one; kept as an error, not a panic.
fn unreachable_object<T>() -> Result<T, ImportError> {
    Err(ImportError::new("document", "expected a JSON object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{merge, Observation, ProductKey};

    fn wallet() -> WalletDoc {
        wallet::import(r#"{"schema": 2, "cards": [{"id": "m", "catalogue": "hdfc-millennia"}], "gift_cards": [{"id": "g", "merchant": "amazon.in", "balance": "300"}]}"#)
            .expect("wallet")
    }

    fn history() -> History {
        let mut h = History::default();
        let key = ProductKey::parse("gtin:00012345678905").expect("key");
        for (i, price) in ["12999", "11999"].iter().enumerate() {
            h.products
                .entry(key.clone())
                .or_default()
                .push(Observation {
                    at_ms: 1_760_000_000_000 + i64::try_from(i).expect("small") * 86_400_000,
                    price: price.parse().expect("decimal"),
                    list_price: None,
                    currency: crate::money::Currency::from_code("INR").expect("INR"),
                    availability: None,
                    merchant: "amazon.in".into(),
                });
        }
        h
    }

    #[test]
    fn wallet_and_history_round_trip() {
        let text = export(&wallet(), Some(history()), 1_763_700_000_000);
        let back = import(&text).expect("import");
        assert_eq!(back.wallet, wallet());
        assert_eq!(back.price_history, Some(history()));
    }

    #[test]
    fn a_wallet_only_export_is_readable_pretty_json() {
        let text = export(&wallet(), None, 1);
        assert!(
            text.contains("\n  \"format\": \"stacksmart-export\""),
            "{text}"
        );
        let back = import(&text).expect("import");
        assert_eq!(back.wallet, wallet());
        assert_eq!(back.price_history, None);
    }

    #[test]
    fn a_bare_wallet_document_still_imports() {
        let bare = wallet::export(&wallet());
        let back = import(&bare).expect("bare wallet");
        assert_eq!(back.wallet, wallet());
        assert!(back.price_history.is_none());
    }

    #[test]
    fn errors_name_the_part_of_the_file() {
        let mut file: Value =
            serde_json::from_str(&export(&wallet(), Some(history()), 1)).expect("json");
        file["wallet"]["cards"][0]["catalogue"] = "no-such-card".into();
        let e = import(&file.to_string()).expect_err("bad card");
        assert!(e.path.starts_with("wallet.cards[0]"), "{e}");

        let mut file: Value =
            serde_json::from_str(&export(&wallet(), Some(history()), 1)).expect("json");
        file["price_history"]["products"]["gtin:00012345678905"][1]["price"] = "-3".into();
        let e = import(&file.to_string()).expect_err("bad price");
        assert_eq!(
            e.path, "price_history.products[\"gtin:00012345678905\"][1].price",
            "{e}"
        );

        let mut file: Value = serde_json::from_str(&export(&wallet(), None, 1)).expect("json");
        file["version"] = 99.into();
        let e = import(&file.to_string()).expect_err("newer");
        assert_eq!(e.path, "version");
        assert!(e.message.contains("newer"), "{e}");
    }

    #[test]
    fn size_caps_depend_on_what_the_file_is() {
        // A bare wallet keeps the wallet's cap; an export may be bigger (it carries history).
        let padding = " ".repeat(MAX_IMPORT_BYTES);
        let bare = format!("{}{padding}", wallet::export(&wallet()));
        assert!(import(&bare)
            .expect_err("too big")
            .message
            .contains("a wallet"));
        let big_export = format!("{}{padding}", export(&wallet(), None, 1));
        assert!(import(&big_export).is_ok());
        let huge = " ".repeat(MAX_EXPORT_BYTES + 1);
        assert!(import(&huge)
            .expect_err("huge")
            .message
            .contains("an export"));
    }

    #[test]
    fn importing_a_history_twice_adds_nothing_the_second_time() {
        let back = import(&export(&wallet(), Some(history()), 1)).expect("import");
        let mut mine = History::default();
        let first = merge(&mut mine, back.price_history.clone().expect("history")).expect("merge");
        let second = merge(&mut mine, back.price_history.expect("history")).expect("merge");
        assert_eq!((first, second), (2, 0));
    }
}

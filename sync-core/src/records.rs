//! The wallet document as sync records ("entries"), and back.
//!
//! Granularity (docs/sync-protocol.md, "What StackSmart syncs"): one entry per list item, keyed
//! by its list and id (`cards/<id>`, `gift_cards/<id>`, `loyalty/<id>`, `card_offers/<id>`,
//! `portals/<id>`, `gift_card_sources/<id>`, `memberships/<name>`), one for the point
//! `valuation`, and one per settings field (`settings/badge`, …). So two devices that edit
//! different cards, or different settings, never conflict at all; the server sees only an
//! HMAC of each key ([`crate::keys::record_id`]).
//!
//! `updated_at_ms` is this device's own stamp and is not synced.

use std::collections::BTreeMap;

use engine::wallet::{self, WalletDoc};
use serde_json::{Map, Value};

/// Lists whose items have an `id`.
pub const LISTS: [&str; 6] = [
    "cards",
    "gift_cards",
    "loyalty",
    "card_offers",
    "portals",
    "gift_card_sources",
];
/// The settings fields, one entry each (an absent optional field is `null`).
pub const SETTINGS: [&str; 7] = [
    "display_currency",
    "locale",
    "delayed_payout_haircut_percent",
    "badge",
    "emi",
    "sites",
    "merchant_trust_percent",
];

pub type Entries = BTreeMap<String, Value>;

/// The server collection an entry belongs to.
pub fn collection(key: &str) -> &'static str {
    if key.starts_with("settings/") {
        "settings"
    } else {
        "wallet"
    }
}

/// Whether this build knows what the entry is (entries written by a newer build are kept on
/// the server and left alone).
pub fn known(key: &str) -> bool {
    key == "valuation"
        || key.split_once('/').is_some_and(|(list, rest)| match list {
            "settings" => SETTINGS.contains(&rest),
            "memberships" => true,
            l => LISTS.contains(&l),
        })
}

fn object(doc: &WalletDoc) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(doc) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err("the wallet is not an object".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The document's entries.
pub fn entries(doc: &WalletDoc) -> Result<Entries, String> {
    let o = object(doc)?;
    let mut out = Entries::new();
    for list in LISTS {
        for item in o.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(id) = item.get("id").and_then(Value::as_str) {
                out.insert(format!("{list}/{id}"), item.clone());
            }
        }
    }
    for m in o
        .get("memberships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(m) = m.as_str() {
            out.insert(format!("memberships/{m}"), Value::Bool(true));
        }
    }
    out.insert(
        "valuation".into(),
        o.get("valuation").cloned().unwrap_or(Value::Null),
    );
    let settings = o.get("settings").and_then(Value::as_object);
    for field in SETTINGS {
        let v = settings
            .and_then(|s| s.get(field))
            .cloned()
            .unwrap_or(Value::Null);
        out.insert(format!("settings/{field}"), v);
    }
    Ok(out)
}

/// The entries of an empty wallet: what a device that never changed a setting holds. Merges
/// use them as the base of entries a device has never synced, so a new device's defaults do
/// not override the account's settings.
pub fn defaults() -> Entries {
    entries(&WalletDoc::default()).unwrap_or_default()
}

/// Builds the document from `merged` entries, keeping `order`'s order for items it has and
/// putting new ones after them (by key, so every device gets the same order). The result is
/// migrated and validated by the engine, as an import would be.
pub fn document(order: &WalletDoc, merged: &Entries) -> Result<WalletDoc, wallet::ImportError> {
    let mut o = object(order).map_err(|e| wallet::ImportError {
        path: "document".into(),
        message: e,
    })?;
    let placed = |list: &str, o: &Map<String, Value>| -> Vec<String> {
        o.get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| match list {
                "memberships" => i.as_str().map(|m| format!("memberships/{m}")),
                _ => i
                    .get("id")
                    .and_then(Value::as_str)
                    .map(|id| format!("{list}/{id}")),
            })
            .collect()
    };
    for list in LISTS.iter().chain(&["memberships"]) {
        let prefix = format!("{list}/");
        let mut keys = placed(list, &o);
        keys.retain(|k| merged.get(k).is_some_and(|v| !v.is_null()));
        for k in merged.keys().filter(|k| k.starts_with(&prefix)) {
            if !keys.contains(k) && !merged[k].is_null() {
                keys.push(k.clone());
            }
        }
        let items: Vec<Value> = keys
            .iter()
            .map(|k| match *list {
                "memberships" => Value::String(k[prefix.len()..].to_owned()),
                _ => merged[k].clone(),
            })
            .collect();
        o.insert((*list).to_owned(), Value::Array(items));
    }
    match merged.get("valuation") {
        Some(v) if !v.is_null() => o.insert("valuation".into(), v.clone()),
        _ => o.remove("valuation"),
    };
    let mut settings = Map::new();
    for field in SETTINGS {
        if let Some(v) = merged
            .get(&format!("settings/{field}"))
            .filter(|v| !v.is_null())
        {
            settings.insert(field.to_owned(), v.clone());
        }
    }
    o.insert("settings".into(), Value::Object(settings));
    wallet::from_value(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: Value) -> WalletDoc {
        wallet::from_value(json).expect("valid wallet")
    }

    #[test]
    fn a_wallet_round_trips_through_its_entries() {
        let d = doc(serde_json::json!({
            "schema": 2,
            "cards": [{"id": "c1", "catalogue": "amex-gold"}],
            "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "25.50", "code": "SECRET"}],
            "memberships": ["amazon-prime"],
            "settings": {"badge": false, "locale": "en-IN"}
        }));
        let e = entries(&d).expect("entries");
        assert_eq!(e["cards/c1"]["catalogue"], "amex-gold");
        assert_eq!(e["memberships/amazon-prime"], Value::Bool(true));
        assert_eq!(e["settings/badge"], Value::Bool(false));
        assert_eq!(e["settings/display_currency"], Value::Null);
        assert!(e.keys().all(|k| known(k)));
        assert_eq!(document(&WalletDoc::default(), &e).expect("back"), d);
    }

    #[test]
    fn new_items_go_after_the_local_ones_in_key_order() {
        let local = doc(serde_json::json!({"schema": 2,
            "cards": [{"id": "z", "catalogue": "amex-gold"}]}));
        let mut e = entries(&local).expect("entries");
        for id in ["b", "a"] {
            e.insert(
                format!("cards/{id}"),
                serde_json::json!({"id": id, "catalogue": "amex-gold"}),
            );
        }
        let d = document(&local, &e).expect("doc");
        let ids: Vec<_> = d.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["z", "a", "b"]);
    }

    #[test]
    fn every_settings_field_syncs() {
        // A settings field missing from SETTINGS would silently stay on one device.
        let mut settings = engine::wallet::UserSettings {
            locale: Some("en-IN".into()),
            display_currency: engine::money::Currency::from_code("INR").ok(),
            ..Default::default()
        };
        settings
            .merchant_trust_percent
            .insert("ebay".into(), rust_decimal::Decimal::ONE_HUNDRED);
        let Ok(Value::Object(fields)) = serde_json::to_value(&settings) else {
            panic!("settings serialise to an object");
        };
        for field in fields.keys() {
            assert!(
                SETTINGS.contains(&field.as_str()),
                "settings.{field} is not synced"
            );
        }
    }

    #[test]
    fn unknown_entries_are_recognised() {
        assert!(!known("settings/future_toggle"));
        assert!(!known("wishlist/1"));
        assert!(known("cards/x"));
        assert_eq!(collection("settings/badge"), "settings");
        assert_eq!(collection("cards/x"), "wallet");
    }
}

//! The page snapshot: what the content script read off a page, as documented in
//! `docs/snapshot.md`. The content script does no interpretation (it never parses JSON-LD
//! itself, so malformed markup cannot throw on the page); the engine does all of it.

use serde::{Deserialize, Serialize};

/// The version collectors write. Version 1 (JSON-LD only) is a subset and still read; other
/// versions are refused with a clear error.
pub const SNAPSHOT_VERSION: u32 = 2;
/// Caps the content script honours; the engine re-checks them so a misbehaving page cannot
/// make the background hold megabytes per tab.
pub const MAX_JSON_LD_BLOCKS: usize = 32;
pub const MAX_JSON_LD_BLOCK_BYTES: usize = 256 * 1024;
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;
pub const MAX_TEXT_FIELD_BYTES: usize = 2048;
/// Version 2 caps: meta tags, microdata/RDFa items and their properties, price candidates,
/// label/value facts, short texts (stock notices, buttons, offers).
pub const MAX_META: usize = 64;
pub const MAX_ITEMS: usize = 64;
pub const MAX_ITEM_PROPS: usize = 512;
pub const MAX_PRICES: usize = 48;
pub const MAX_FACTS: usize = 128;
pub const MAX_TEXTS: usize = 32;
/// Entries of the breadcrumb trail.
pub const MAX_CRUMBS: usize = 10;
/// Values of meta tags, properties, facts and short texts are clipped to this many bytes.
pub const MAX_VALUE_BYTES: usize = 512;

/// Currency signs and codes that make a short text with a digit a price candidate.
pub const CURRENCY_SIGNS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₽', '₩', '₪', '₫', '₴', '₦', '₱', '฿', '₸', '₺', '元', '円',
];
pub const CURRENCY_WORDS: &[&str] = &[
    "zł", "kč", "лв", "руб", "грн", "р.", "kr", "kn", "lei", "ft", "rs", "inr", "usd", "eur",
    "gbp", "chf", "cad", "aud", "clp", "ars", "brl", "mxn", "pln", "ron", "czk", "huf", "sek",
    "nok", "dkk", "twd", "byn", "rub", "uah", "jpy", "cny", "try", "tl",
];
/// A currency sign anywhere, or a currency word standing alone (not inside a longer word).
pub fn has_currency(text: &str) -> bool {
    if text.contains(CURRENCY_SIGNS) {
        return true;
    }
    let (_, lower) = crate::price_text::chars_and_lower(text);
    CURRENCY_WORDS
        .iter()
        .any(|w| crate::price_text::contains_word(&lower, w))
}

/// The page snapshot (version 2; version 1 lacks everything after `truncated`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSnapshot {
    /// Always [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// `location.href` of the top frame.
    pub url: String,
    /// `document.title`.
    #[serde(default)]
    pub title: String,
    /// `<html lang>`, if any.
    #[serde(default)]
    pub lang: Option<String>,
    /// `<link rel=canonical href>`, resolved against the page URL.
    #[serde(default)]
    pub canonical_url: Option<String>,
    /// Raw text of every `<script type="application/ld+json">`, in document order.
    #[serde(default)]
    pub json_ld: Vec<String>,
    /// True when the collector dropped blocks or truncated text to stay within the caps.
    #[serde(default)]
    pub truncated: bool,
    /// `<meta>` tags the detector reads, as `[key, content]`: Open Graph (`og:`), `product:`,
    /// Twitter (`twitter:`) properties and a few product names (`price`, `brand` …); keys
    /// lower-cased, in document order.
    #[serde(default)]
    pub meta: Vec<(String, String)>,
    /// Microdata (`itemscope`) and RDFa (`typeof`) items, in document order.
    #[serde(default)]
    pub items: Vec<Item>,
    /// Text of the first visible `<h1>`.
    #[serde(default)]
    pub heading: Option<String>,
    /// The visible breadcrumb trail (`Home`, `Phones`, `Apple`), from the first element marked
    /// as one that shows at least two entries; empty without one (and in older snapshots).
    #[serde(default)]
    pub breadcrumbs: Vec<String>,
    /// Visible texts that look like prices, with the layout evidence that tells the real price
    /// from others; in document order.
    #[serde(default)]
    pub prices: Vec<PriceCandidate>,
    /// Label/value pairs the page shows (`<dt>/<dd>`, two-cell table rows, `Label: value`
    /// list items): where product details tables put SKU, model, EAN and brand.
    #[serde(default)]
    pub facts: Vec<(String, String)>,
    /// Short texts of elements the page marks as about stock or availability, and of buy
    /// buttons.
    #[serde(default)]
    pub stock: Vec<String>,
    /// Short texts that look like offers (coupon, bank offer, "use code", subscribe & save).
    #[serde(default)]
    pub offers: Vec<String>,
    /// False when the collector found no sign of a product (no structured data, no price,
    /// no buy button) and skipped the rest of the page. Version 1 snapshots count as true.
    #[serde(default = "yes")]
    pub signals: bool,
    /// Milliseconds the collector spent on the page's main thread building this snapshot
    /// (null from the static-HTML collector). Never leaves the browser; the page evaluation
    /// reports its distribution.
    #[serde(default)]
    pub cost_ms: Option<f64>,
}

fn yes() -> bool {
    true
}

/// Which markup an [`Item`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    #[default]
    Microdata,
    Rdfa,
}

/// One microdata or RDFa item: its type, where it hangs in its parent item, and its own
/// properties with their values read as the microdata standard says (`content`, `href`,
/// `src`, `datetime`, `value`, else the text).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(default)]
    pub syntax: Syntax,
    /// `itemtype` / `typeof` as written (`https://schema.org/Product`, `schema:Offer`).
    #[serde(default)]
    pub r#type: String,
    /// Index of the enclosing item in `items`, when this item is a property value.
    #[serde(default)]
    pub parent: Option<usize>,
    /// The property this item is the value of in its parent (`offers`, `brand`).
    #[serde(default)]
    pub prop: Option<String>,
    /// `[name, value]` pairs; a name may repeat.
    #[serde(default)]
    pub props: Vec<(String, String)>,
}

/// A visible text that looks like a price.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceCandidate {
    /// The element's text (whitespace collapsed), e.g. `£1,234.56` or `Was 49,99 €`.
    pub text: String,
    /// Lower-cased `id`, `class`, `itemprop` and `data-*` names of the element and its two
    /// nearest ancestors: `price`, `old`, `was`, `sale` … are strong hints.
    #[serde(default)]
    pub hint: String,
    /// Drawn struck through (`line-through`, `<del>`, `<s>`): a "was" price.
    #[serde(default)]
    pub struck: bool,
    /// Font size in CSS pixels (layout only; null from the static-HTML collector).
    #[serde(default)]
    pub size: Option<f64>,
    /// Vertical distance in CSS pixels from the main heading (layout only).
    #[serde(default)]
    pub from_heading: Option<f64>,
    /// Elements between the main heading and this one in document order (negative: before
    /// it); null when the page has no heading.
    #[serde(default)]
    pub order: Option<i64>,
}

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "snapshot version {found} is not supported (this engine reads version {SNAPSHOT_VERSION})"
    )]
    UnsupportedVersion { found: u32 },
    #[error("snapshot field `{field}` is {size} bytes, over the {limit}-byte cap")]
    TooLarge {
        field: &'static str,
        size: usize,
        limit: usize,
    },
    #[error("snapshot has {count} JSON-LD blocks, over the cap of {MAX_JSON_LD_BLOCKS}")]
    TooManyBlocks { count: usize },
    #[error("snapshot url `{0}` is not an http(s) address")]
    BadUrl(String),
    #[error("snapshot has {count} entries in `{field}`, over the cap of {limit}")]
    TooMany {
        field: &'static str,
        count: usize,
        limit: usize,
    },
    #[error("snapshot item {index} names a parent that does not come before it")]
    BadItemParent { index: usize },
}

impl PageSnapshot {
    /// Checks the version and the size caps.
    pub fn validate(&self) -> Result<(), SnapshotError> {
        if !(1..=SNAPSHOT_VERSION).contains(&self.version) {
            return Err(SnapshotError::UnsupportedVersion {
                found: self.version,
            });
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(SnapshotError::BadUrl(truncate(&self.url, 80)));
        }
        for (field, value) in [("url", &self.url), ("title", &self.title)] {
            check_len(field, value.len(), MAX_TEXT_FIELD_BYTES)?;
        }
        if let Some(c) = &self.canonical_url {
            check_len("canonical_url", c.len(), MAX_TEXT_FIELD_BYTES)?;
        }
        if self.json_ld.len() > MAX_JSON_LD_BLOCKS {
            return Err(SnapshotError::TooManyBlocks {
                count: self.json_ld.len(),
            });
        }
        let mut total = self.url.len() + self.title.len();
        for block in &self.json_ld {
            check_len("json_ld[]", block.len(), MAX_JSON_LD_BLOCK_BYTES)?;
            total += block.len();
        }
        check_count("meta", self.meta.len(), MAX_META)?;
        check_count("items", self.items.len(), MAX_ITEMS)?;
        check_count("prices", self.prices.len(), MAX_PRICES)?;
        check_count("facts", self.facts.len(), MAX_FACTS)?;
        check_count("stock", self.stock.len(), MAX_TEXTS)?;
        check_count("offers", self.offers.len(), MAX_TEXTS)?;
        check_count("breadcrumbs", self.breadcrumbs.len(), MAX_CRUMBS)?;
        let props: usize = self.items.iter().map(|i| i.props.len()).sum();
        check_count("items[].props", props, MAX_ITEM_PROPS)?;
        let pairs = self
            .meta
            .iter()
            .chain(&self.facts)
            .chain(self.items.iter().flat_map(|i| &i.props));
        for (k, v) in pairs {
            check_len("pair", k.len().max(v.len()), MAX_VALUE_BYTES)?;
        }
        let texts = self
            .stock
            .iter()
            .chain(&self.offers)
            .chain(&self.breadcrumbs)
            .chain(self.heading.iter())
            .chain(self.prices.iter().map(|p| &p.text))
            .chain(self.prices.iter().map(|p| &p.hint))
            .chain(self.items.iter().map(|i| &i.r#type));
        // Counts × the value cap bound the version 2 parts (under 1 MiB together); the
        // total below is the JSON-LD's, as in version 1.
        for t in texts {
            check_len("text", t.len(), MAX_VALUE_BYTES)?;
        }
        for (i, item) in self.items.iter().enumerate() {
            if item.parent.is_some_and(|p| p >= i) {
                return Err(SnapshotError::BadItemParent { index: i });
            }
        }
        check_len("snapshot", total, MAX_SNAPSHOT_BYTES)
    }
}

fn check_count(field: &'static str, count: usize, limit: usize) -> Result<(), SnapshotError> {
    if count > limit {
        Err(SnapshotError::TooMany {
            field,
            count,
            limit,
        })
    } else {
        Ok(())
    }
}

fn check_len(field: &'static str, size: usize, limit: usize) -> Result<(), SnapshotError> {
    if size > limit {
        Err(SnapshotError::TooLarge { field, size, limit })
    } else {
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> PageSnapshot {
        PageSnapshot {
            version: 1,
            url: "https://shop.example/p/1".into(),
            title: "A thing".into(),
            lang: Some("en".into()),
            canonical_url: None,
            json_ld: vec!["{}".into()],
            ..PageSnapshot::default()
        }
    }

    #[test]
    fn accepts_a_valid_snapshot() {
        assert_eq!(snapshot().validate(), Ok(()));
    }

    #[test]
    fn refuses_other_versions_bad_urls_and_oversized_parts() {
        let mut s = snapshot();
        s.version = 3;
        assert_eq!(
            s.validate(),
            Err(SnapshotError::UnsupportedVersion { found: 3 })
        );
        s.version = 2;
        assert_eq!(s.validate(), Ok(()));

        let mut s = snapshot();
        s.prices = vec![PriceCandidate::default(); MAX_PRICES + 1];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooMany {
                field: "prices",
                ..
            })
        ));

        let mut s = snapshot();
        s.items = vec![Item {
            parent: Some(0),
            ..Item::default()
        }];
        assert_eq!(s.validate(), Err(SnapshotError::BadItemParent { index: 0 }));

        let mut s = snapshot();
        s.url = "javascript:alert(1)".into();
        assert!(matches!(s.validate(), Err(SnapshotError::BadUrl(_))));

        let mut s = snapshot();
        s.json_ld = vec!["x".repeat(MAX_JSON_LD_BLOCK_BYTES + 1)];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooLarge {
                field: "json_ld[]",
                ..
            })
        ));

        let mut s = snapshot();
        s.json_ld = vec!["x".repeat(200 * 1024); 6];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooLarge {
                field: "snapshot",
                ..
            })
        ));

        let mut s = snapshot();
        s.json_ld = vec![String::new(); MAX_JSON_LD_BLOCKS + 1];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooManyBlocks { .. })
        ));
    }

    #[test]
    fn unknown_fields_are_refused_so_version_drift_is_loud() {
        let json = r#"{"version":1,"url":"https://a.example/","surprise":true}"#;
        assert!(serde_json::from_str::<PageSnapshot>(json).is_err());
        let json = r#"{"version":1,"url":"https://a.example/"}"#;
        let s: PageSnapshot = serde_json::from_str(json).expect("minimal snapshot");
        assert!(s.json_ld.is_empty());
    }
}

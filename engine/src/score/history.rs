//! Price history as the extension stores it: a stable product identity, observations,
//! de-duplication on reloads, compaction with size caps, and export/import with validation.
//!
//! Time is unix milliseconds (`i64`); a "day" is a UTC day (`at_ms.div_euclid(DAY_MS)`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ScoreError;
use crate::merchant;
use crate::money::{Currency, Money};
use crate::product::{Availability, Product};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Latest accepted time (2100-01-01): keeps day arithmetic far from overflow.
pub const MAX_MS: i64 = 4_102_444_800_000;
/// Largest accepted price, as in the stack optimizer's limits.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Version of the exported history format.
pub const HISTORY_VERSION: u32 = 1;

/// The UTC day of a time.
pub fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS)
}

/// A product's stable identity: GTIN when known, else merchant + SKU, else canonical URL.
/// Serialised as one string (`gtin:00012345678905`, `sku:amazon.com:B0C1XYZ`,
/// `url:https://shop.example/p/1`) so it can be a storage key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProductKey {
    /// GTIN-14 (GTIN-8/12/13 left-padded with zeros), check digit verified.
    Gtin(String),
    /// Registrable domain of the merchant and its SKU.
    MerchantSku { merchant: String, sku: String },
    /// Canonical URL (see [`canonical_url`]).
    Url(String),
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gtin(g) => write!(f, "gtin:{g}"),
            Self::MerchantSku { merchant, sku } => write!(f, "sku:{merchant}:{sku}"),
            Self::Url(u) => write!(f, "url:{u}"),
        }
    }
}

impl ProductKey {
    /// Reads the string form; the value must already be normalised (it is what
    /// [`fmt::Display`] wrote), so a key read back is the key written.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(g) = text.strip_prefix("gtin:") {
            return match normalize_gtin(g) {
                Some(n) if n == g => Ok(Self::Gtin(n)),
                _ => Err(format!("`{g}` is not a normalised GTIN-14")),
            };
        }
        if let Some(rest) = text.strip_prefix("sku:") {
            return match rest.split_once(':') {
                Some((m, s)) if !m.is_empty() && !s.is_empty() => Ok(Self::MerchantSku {
                    merchant: m.to_owned(),
                    sku: s.to_owned(),
                }),
                _ => Err("expected `sku:MERCHANT:SKU`".into()),
            };
        }
        if let Some(u) = text.strip_prefix("url:") {
            return match canonical_url(u) {
                Some(c) if c == u => Ok(Self::Url(c)),
                _ => Err(format!("`{u}` is not a canonical URL")),
            };
        }
        Err(format!(
            "`{text}` is not a product key (`gtin:…`, `sku:…:…`, `url:…`)"
        ))
    }
}

impl Serialize for ProductKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProductKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The identity fields a page gives (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Merchant domain or URL; defaults to the registrable domain of `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// GTIN when it is valid, else merchant + SKU, else the canonical URL; `None` when none
/// of them is usable.
pub fn identity(r: &ProductRef) -> Option<ProductKey> {
    if let Some(g) = r.gtin.as_deref().and_then(normalize_gtin) {
        return Some(ProductKey::Gtin(g));
    }
    let merchant = r
        .merchant
        .as_deref()
        .and_then(normalize_merchant)
        // The page's host goes through the same `:` rule (an IPv6 address in the URL).
        .or_else(|| r.url.as_deref().and_then(normalize_merchant));
    let sku = r
        .sku
        .as_deref()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty());
    if let (Some(merchant), Some(sku)) = (merchant, sku) {
        return Some(ProductKey::MerchantSku { merchant, sku });
    }
    r.url
        .as_deref()
        .and_then(canonical_url)
        .map(ProductKey::Url)
}

/// The identity of a detected product.
pub fn identity_of(p: &Product) -> Option<ProductKey> {
    identity(&ProductRef {
        gtin: p.gtin.clone(),
        merchant: None,
        sku: p.sku.clone(),
        url: Some(p.url.clone()),
    })
}

/// A merchant as a registrable domain (`www.Amazon.com` → `amazon.com`); text that is not
/// a host is kept lower-cased so a name still identifies the merchant. `:` becomes `_` (an
/// IPv6 host, a name with a colon), because `:` ends the merchant in a `sku:` key.
pub fn normalize_merchant(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let m = merchant::registrable_domain(t).unwrap_or_else(|| t.to_lowercase());
    Some(m.replace(':', "_"))
}

/// GTIN-8/12/13/14 → 14 digits with a valid check digit. Spaces and hyphens are ignored;
/// anything else, a wrong length, all zeros or a bad check digit gives `None` (a bad GTIN
/// would merge unrelated products, so the next identity is used instead).
pub fn normalize_gtin(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !matches!(digits.len(), 8 | 12 | 13 | 14) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{digits:0>14}");
    let d: Vec<u32> = padded.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.iter().all(|&x| x == 0) {
        return None;
    }
    // Weights 3,1,3,… from the digit left of the check digit.
    let sum: u32 = d[..13]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 0 { 3 * x } else { x })
        .sum();
    ((10 - sum % 10) % 10 == d[13]).then_some(padded)
}

/// Query parameters that track the visit, not the product.
const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ref",
    "ref_",
    "tag",
    "ascsubtag",
    "linkcode",
    "linkid",
    "creative",
    "creativeasin",
    "camp",
    "psc",
    "th",
    "qid",
    "sr",
    "crid",
    "sprefix",
    "keywords",
    "spm",
    "scm",
    "srsltid",
    "cmpid",
    "affid",
    "aff_id",
    "clickid",
    "irclickid",
    "irgwc",
    "cjevent",
    "ranmid",
    "raneaid",
    "ransiteid",
    "s_kwcid",
    "si",
    "trk",
    "trkid",
    "wt.mc_id",
    "athcpid",
    "athpgid",
    "athznid",
    "adid",
];

fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["utm_", "pf_rd_", "pd_rd_", "hsa_", "_branch"]
        .iter()
        .any(|p| n.starts_with(p))
        || TRACKING_PARAMS.contains(&n.as_str())
}

/// The URL without what varies between visits of the same product page: the fragment,
/// tracking parameters (`utm_*`, `gclid`, Amazon's `ref=` path segment and `pf_rd_*` …),
/// default ports, a trailing slash and the order of the remaining parameters; scheme and
/// host lower-cased. `None` for text without `scheme://host`.
pub fn canonical_url(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.split('#').next().unwrap_or_default();
    let (scheme, rest) = t.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (host_port, ""),
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let valid = !host.is_empty()
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return None;
    }
    let default_port = matches!((scheme.as_str(), port), ("http", "80") | ("https", "443"));
    let host = if port.is_empty() || default_port {
        host
    } else {
        format!("{host}:{port}")
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    // Whitespace around segments and parameters is noise (and would not survive a re-read).
    let segments: Vec<&str> = path
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("ref="))
        .collect();
    let mut params: Vec<&str> = query
        .split('&')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !is_tracking(p.split('=').next().unwrap_or_default()))
        .collect();
    params.sort_unstable();
    params.dedup();
    let mut out = format!("{scheme}://{host}/{}", segments.join("/"));
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    Some(out)
}

/// One sighting of a product's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// When it was seen (unix ms).
    pub at_ms: i64,
    pub price: Decimal,
    /// The list / "was" / RRP price the page showed next to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Decimal>,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// Registrable domain (normalised by [`record`] and the score request).
    pub merchant: String,
}

impl Observation {
    pub fn price_money(&self) -> Money {
        Money::new(self.price, self.currency)
    }

    /// Same price, list price, currency, availability and merchant (time aside).
    pub fn same_reading(&self, other: &Self) -> bool {
        self.price == other.price
            && self.list_price == other.list_price
            && self.currency == other.currency
            && self.availability == other.availability
            && self.merchant == other.merchant
    }

    /// Checks bounds; `field` gives the error path's prefix (`observations[3]`), built only
    /// when there is an error (validation runs on every observation of every request).
    pub fn validate(&self, field: impl Fn() -> String) -> Result<(), ScoreError> {
        if !(0..=MAX_MS).contains(&self.at_ms) {
            return Err(ScoreError::bad(
                format!("{}.at_ms", field()),
                format!("must be between 0 and {MAX_MS} (got {})", self.at_ms),
            ));
        }
        if let Some(m) = amount_problem(self.price) {
            return Err(ScoreError::bad(format!("{}.price", field()), m));
        }
        if let Some(m) = self.list_price.and_then(amount_problem) {
            return Err(ScoreError::bad(format!("{}.list_price", field()), m));
        }
        if self.merchant.trim().is_empty() {
            return Err(ScoreError::bad(
                format!("{}.merchant", field()),
                "must not be empty",
            ));
        }
        Ok(())
    }
}

pub(crate) fn amount_problem(d: Decimal) -> Option<String> {
    (d <= Decimal::ZERO || d > MAX_AMOUNT)
        .then(|| format!("must be above 0 and at most {MAX_AMOUNT} (got {d})"))
}

pub(crate) fn check_amount(d: Decimal, field: &str) -> Result<(), ScoreError> {
    amount_problem(d).map_or(Ok(()), |m| Err(ScoreError::bad(field, m)))
}

/// Everything the extension keeps: observations per product, each list sorted by time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    pub version: u32,
    pub products: BTreeMap<ProductKey, Vec<Observation>>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            version: HISTORY_VERSION,
            products: BTreeMap::new(),
        }
    }
}

impl History {
    pub fn len(&self) -> usize {
        self.products.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.products.values().all(Vec::is_empty)
    }
}

/// What [`record`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    Added,
    /// The same reading at the same merchant less than an hour after the previous one: a
    /// reload, not a new point.
    Duplicate,
}

/// Adds an observation (merchant normalised, kept in time order). It is a duplicate, and
/// not added, when the same merchant already has the same reading (price, list price,
/// currency, availability) at a time in `(at_ms − 1 hour, at_ms]`: reloads and repeated
/// visits within the hour add nothing, and recording or importing the same observations
/// again never adds a point (a kept point is never removed by `record`).
pub fn record(h: &mut History, key: ProductKey, obs: Observation) -> Result<Recorded, ScoreError> {
    obs.validate(|| "observation".into())?;
    let mut obs = obs;
    obs.merchant = normalize_merchant(&obs.merchant).unwrap_or_default();
    let list = h.products.entry(key).or_default();
    // Insert after every observation at the same time, so equal times keep arrival order.
    let at = list.partition_point(|o| o.at_ms <= obs.at_ms);
    let duplicate = list[..at]
        .iter()
        .rev()
        .take_while(|o| obs.at_ms - o.at_ms < HOUR_MS)
        .any(|o| o.same_reading(&obs));
    if duplicate {
        return Ok(Recorded::Duplicate);
    }
    list.insert(at, obs);
    Ok(Recorded::Added)
}

/// Size caps and the age after which only daily points are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Observations per product (default 2,000: two years of daily points plus a busy month).
    pub per_product: usize,
    /// Observations in the whole history (default 50,000: about 6 MB of JSON, inside Chrome's
    /// 10 MB `storage.local` quota with the wallet beside it).
    pub total: usize,
    /// Days kept at full resolution (default 30).
    pub full_resolution_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_product: 2_000,
            total: 50_000,
            full_resolution_days: 30,
        }
    }
}

/// Compacts the history in place:
///
/// 1. Observations on UTC days before `day(now) − full_resolution_days` become one point per
///    (merchant, currency, day): the day's lowest price (earliest on a tie) with its time and
///    list price, and the day's last availability.
/// 2. A product over `per_product` loses its oldest points first, except each
///    (merchant, currency) series' all-time-low point, which is pinned.
/// 3. While the history is over `total`, whole products are dropped, least recently seen
///    first (a product not seen for long is the one least likely to be scored again).
///
/// Compacting twice gives the same result as once.
pub fn compact(h: &mut History, now_ms: i64, limits: &Limits) {
    let cutoff = day_of(now_ms) - limits.full_resolution_days;
    for list in h.products.values_mut() {
        compact_days(list, cutoff);
        cap_product(list, limits.per_product);
    }
    h.products.retain(|_, l| !l.is_empty());
    let mut total = h.len();
    if total > limits.total {
        let mut by_age: Vec<(i64, ProductKey)> = h
            .products
            .iter()
            .map(|(k, l)| (l.iter().map(|o| o.at_ms).max().unwrap_or(0), k.clone()))
            .collect();
        by_age.sort();
        for (_, k) in by_age {
            if total <= limits.total {
                break;
            }
            total -= h.products.remove(&k).map_or(0, |l| l.len());
        }
    }
}

fn compact_days(list: &mut Vec<Observation>, cutoff_day: i64) {
    let split = list.partition_point(|o| day_of(o.at_ms) < cutoff_day);
    if split == 0 {
        return;
    }
    let recent = list.split_off(split);
    let mut days: BTreeMap<(i64, String, &'static str), (Observation, Option<Availability>)> =
        BTreeMap::new();
    for o in list.drain(..) {
        let k = (day_of(o.at_ms), o.merchant.clone(), o.currency.code());
        match days.get_mut(&k) {
            None => {
                let a = o.availability;
                days.insert(k, (o, a));
            }
            Some((low, last_availability)) => {
                // Time order: the later observation's availability is the day's last one.
                *last_availability = o.availability;
                if o.price < low.price {
                    *low = o;
                }
            }
        }
    }
    let mut daily: Vec<Observation> = days
        .into_values()
        .map(|(mut o, a)| {
            o.availability = a;
            o
        })
        .collect();
    daily.sort_by_key(|o| o.at_ms);
    daily.extend(recent);
    *list = daily;
}

fn cap_product(list: &mut Vec<Observation>, cap: usize) {
    if list.len() <= cap {
        return;
    }
    // The all-time low of each series is pinned (the earliest one on a tie).
    let mut lows: BTreeMap<(&str, &str), (Decimal, usize)> = BTreeMap::new();
    for (i, o) in list.iter().enumerate() {
        let e = lows
            .entry((o.merchant.as_str(), o.currency.code()))
            .or_insert((o.price, i));
        if o.price < e.0 {
            *e = (o.price, i);
        }
    }
    let pinned: BTreeSet<usize> = lows.values().map(|&(_, i)| i).collect();
    let mut excess = list.len() - cap;
    let mut keep = vec![true; list.len()];
    for (i, k) in keep.iter_mut().enumerate() {
        if excess == 0 {
            break;
        }
        if !pinned.contains(&i) {
            *k = false;
            excess -= 1;
        }
    }
    let mut i = 0;
    list.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// Reads an exported history: JSON errors and invalid observations name the field
/// (`products["gtin:…"][3].price`). Observations are put in time order and merchants
/// normalised, so an edited file is still usable.
pub fn parse_history(json: &str) -> Result<History, ScoreError> {
    checked(super::from_json(json)?)
}

/// [`parse_history`] for a history already read as JSON (part of an export file).
pub fn parse_history_value(value: serde_json::Value) -> Result<History, ScoreError> {
    checked(serde_path_to_error::deserialize(value).map_err(ScoreError::from_path)?)
}

fn checked(mut h: History) -> Result<History, ScoreError> {
    if h.version != HISTORY_VERSION {
        return Err(ScoreError::bad(
            "version",
            format!(
                "unsupported version {} (expected {HISTORY_VERSION})",
                h.version
            ),
        ));
    }
    for (k, list) in &mut h.products {
        for (i, o) in list.iter_mut().enumerate() {
            o.validate(|| format!("products[\"{k}\"][{i}]"))?;
            o.merchant = normalize_merchant(&o.merchant).unwrap_or_default();
        }
        list.sort_by_key(|o| o.at_ms);
    }
    Ok(h)
}

/// Imports another history into this one through [`record`], so re-importing the same
/// export adds nothing. Returns the number of observations added.
pub fn merge(h: &mut History, other: History) -> Result<usize, ScoreError> {
    let mut added = 0;
    for (k, list) in other.products {
        for o in list {
            if record(h, k.clone(), o)? == Recorded::Added {
                added += 1;
            }
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_history_fits_the_browser_storage_quota() {
        // Chrome's storage.local holds 10 MB without `unlimitedStorage`; keep the history,
        // stored one series per key, under 8 MB so the wallet and the index fit beside it.
        let limits = Limits::default();
        let per_product = 100;
        let mut bytes = 0;
        for p in 0..limits.total / per_product {
            let key = format!("hist:sku:some-merchant.co.uk:SKU-{p:08}");
            let series: Vec<Observation> = (0..per_product)
                .map(|i| Observation {
                    at_ms: 1_763_700_000_000 + i64::try_from(i).expect("small") * DAY_MS,
                    price: Decimal::new(1_234_599, 2),
                    list_price: Some(Decimal::new(1_599_900, 2)),
                    currency: crate::money::Currency::from_code("INR").expect("INR"),
                    availability: Some(crate::product::Availability::InStock),
                    merchant: "some-merchant.co.uk".into(),
                })
                .collect();
            bytes += key.len() + serde_json::to_string(&series).expect("json").len();
        }
        assert!(bytes < 8 * 1024 * 1024, "{bytes} bytes");
    }

    #[test]
    fn gtins_are_padded_and_check_digits_verified() {
        assert_eq!(
            normalize_gtin("0 12345 67890 5").as_deref(),
            Some("00012345678905")
        );
        assert_eq!(
            normalize_gtin("4006381333931").as_deref(),
            Some("04006381333931")
        );
        assert_eq!(
            normalize_gtin("96385074").as_deref(),
            Some("00000096385074")
        );
        assert_eq!(normalize_gtin("4006381333932"), None, "bad check digit");
        assert_eq!(normalize_gtin("12345"), None, "bad length");
        assert_eq!(normalize_gtin("00000000"), None, "all zeros");
        assert_eq!(normalize_gtin("40063813339x1"), None);
    }

    #[test]
    fn urls_lose_tracking_but_keep_product_parameters() {
        assert_eq!(
            canonical_url(
                "HTTPS://WWW.Amazon.com:443/Echo-Dot/dp/B09B8V1LZ3/ref=sr_1_1?keywords=echo&qid=1&th=1#reviews"
            )
            .as_deref(),
            Some("https://www.amazon.com/Echo-Dot/dp/B09B8V1LZ3")
        );
        assert_eq!(
            canonical_url("https://shop.example/p/1/?variant=2&utm_source=x&color=red").as_deref(),
            Some("https://shop.example/p/1?color=red&variant=2")
        );
        assert_eq!(canonical_url("not a url"), None);
    }

    #[test]
    fn identity_prefers_gtin_then_sku_then_url() {
        let mut r = ProductRef {
            gtin: Some("4006381333931".into()),
            merchant: Some("www.amazon.com".into()),
            sku: Some(" B0 ABC ".into()),
            url: Some("https://www.amazon.com/dp/B0ABC?tag=x".into()),
        };
        assert_eq!(
            identity(&r).map(|k| k.to_string()).as_deref(),
            Some("gtin:04006381333931")
        );
        r.gtin = Some("123".into());
        assert_eq!(
            identity(&r).map(|k| k.to_string()).as_deref(),
            Some("sku:amazon.com:B0 ABC")
        );
        r.sku = None;
        assert_eq!(
            identity(&r).map(|k| k.to_string()).as_deref(),
            Some("url:https://www.amazon.com/dp/B0ABC")
        );
        r.url = None;
        assert_eq!(identity(&r), None);
    }

    #[test]
    fn keys_round_trip_as_strings() {
        for k in [
            ProductKey::Gtin("04006381333931".into()),
            ProductKey::MerchantSku {
                merchant: "walmart.com".into(),
                sku: "a:b".into(),
            },
            ProductKey::Url("https://shop.example/p/1".into()),
        ] {
            assert_eq!(ProductKey::parse(&k.to_string()), Ok(k.clone()));
        }
        assert!(
            ProductKey::parse("gtin:4006381333931").is_err(),
            "not padded"
        );
        assert!(ProductKey::parse("isbn:1").is_err());
    }
}

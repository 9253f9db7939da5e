//! The score's JSON types. Amounts are decimal strings; times unix milliseconds; the
//! statistics and the score itself are plain numbers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::history::{Observation, ProductRef};
use crate::money::Currency;
use crate::product::Availability;

/// Everything the score needs, including "now": the engine never reads a clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    pub now_ms: i64,
    /// The merchant whose page is scored (domain or URL).
    pub merchant: String,
    /// Identity fields; only used to report the product key.
    #[serde(default)]
    pub product: ProductRef,
    /// The product's stored history (every merchant). The newest observation at `merchant`
    /// at or before `now_ms` is today's price.
    #[serde(default)]
    pub observations: Vec<Observation>,
    #[serde(default)]
    pub page_claims: PageClaims,
    /// What the best stack saves on this product (`engine::stack` total savings); the net
    /// price is today's price minus it.
    #[serde(default)]
    pub stack_saving: Option<Decimal>,
    /// Prices seen elsewhere for the same GTIN, in addition to other merchants'
    /// observations in `observations`.
    #[serde(default)]
    pub other_merchants: Vec<MarketPrice>,
    /// Source reliability overrides (0–1), by domain (`ebay.de`) or by name (`ebay`).
    #[serde(default)]
    pub reliability: BTreeMap<String, f64>,
}

/// What the page itself states about earlier prices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageClaims {
    /// The struck-through "was", list or RRP price; overrides today's observation's
    /// `list_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Decimal>,
    /// A "lowest price in the last 30 days" line (EU Omnibus wording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowest_30d: Option<Decimal>,
}

/// Another merchant's price for the same product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketPrice {
    pub merchant: String,
    pub price: Decimal,
    pub currency: Currency,
    /// When it was seen; absent means "now".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreState {
    /// Enough history at this merchant: every component that has data is used.
    Scored,
    /// Fewer than a handful of observed days: the score rests on page claims, other
    /// merchants and the stack only, as `based_on` says.
    LimitedHistory,
    /// Nothing to judge the price against: no score.
    NotEnoughHistory,
}

/// What the score rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// `history`, `page_claims`, `other_merchants`, `stack`.
    pub source: String,
    pub detail: String,
}

/// One line of the score. `points` of all components add up to the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub key: String,
    /// Nominal weight out of 100 (`null` for the reliability adjustment).
    pub weight: Option<f64>,
    /// How good this aspect is, 0–1.
    pub value: f64,
    /// Contribution to the score, one decimal.
    pub points: f64,
    pub explanation: String,
}

/// A component left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceRule {
    /// Lowest daily price of the 30 days before a reduction still running (progressive
    /// reductions count from their first step).
    LowestBeforeDrop,
    /// Most common daily price of the last 90 days, capped by the lowest of the last 30.
    MostCommon,
    /// The page's "lowest price in the last 30 days" line.
    #[serde(rename = "page_lowest_30d")]
    PageLowest30d,
    /// The page's list / "was" price, capped by any lower price seen in the last 30 days.
    PageListPrice,
}

/// The price a discount is measured against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HonestReference {
    pub amount: Decimal,
    pub rule: ReferenceRule,
    /// False when it is an unchecked page claim (counted at half weight).
    pub verified: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagReason {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeDiscount {
    pub list_price: Decimal,
    pub reasons: Vec<FlagReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// `below` or `above` the moving average.
    pub direction: String,
    pub moving_average_30d: Decimal,
    pub standard_deviation: f64,
    /// Distance from the average in standard deviations.
    pub z: f64,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fake_discount: Option<FakeDiscount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<Anomaly>,
}

/// Figures behind the components (this merchant, today's currency, days before today).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub observations: usize,
    pub observed_days: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_time_low: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_90d: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowest_30d: Option<Decimal>,
    /// Share of the last 365 days that were dearer than today (ties half).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheaper_than_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketEntry {
    pub merchant: String,
    pub price: Decimal,
    pub at_ms: i64,
    pub reliability: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartPoint {
    pub at_ms: i64,
    pub value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartSeries {
    /// `price`, `list_price`, `moving_average_30d`, `merchant:DOMAIN`.
    pub key: String,
    pub label: String,
    pub points: Vec<ChartPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartLine {
    /// `honest_reference`, `all_time_low`, `average_90d`, `net_price`.
    pub key: String,
    pub label: String,
    pub value: Decimal,
}

/// The popup's chart: the last 365 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub currency: Currency,
    pub series: Vec<ChartSeries>,
    pub lines: Vec<ChartLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResponse {
    /// 0–100, or `null` when `state` is `not_enough_history`.
    pub score: Option<u8>,
    pub state: ScoreState,
    /// One sentence for the popup.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_key: Option<String>,
    pub merchant: String,
    pub currency: Currency,
    pub price: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_price: Option<Decimal>,
    pub based_on: Vec<Basis>,
    pub components: Vec<Component>,
    pub skipped: Vec<Skipped>,
    pub flags: Flags,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honest_reference: Option<HonestReference>,
    pub stats: Stats,
    pub market: Vec<MarketEntry>,
    pub chart: Chart,
}

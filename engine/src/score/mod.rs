//! The deal score: should the shopper buy now? One pure function, [`score`], takes a
//! [`ScoreRequest`] (the product's stored observations, what the page claims, the best
//! stack's saving, other merchants' prices and "now") and returns a 0–100 score with every
//! component in plain words, the honesty flags and the chart series. The format, weights,
//! thresholds and their reasons are in `docs/score.md`.
//!
//! - [`history`]: product identity, recording with de-duplication, compaction, export/import.
//! - [`stats`]: the daily price series and its statistics.
//! - [`model`]: the request and response types.
//! - [`sighting`]: one detection → the product's stored series, recorded and scored.
//! - `reference`: the honest reference (Omnibus, most common price, page claims).
//! - `flags`: fake-discount and anomaly flags; `chart`: the popup's series.
//!
//! Money stays `Decimal` (references, averages and chart points are exact or rounded to the
//! currency's minor unit); ratios, the statistics and the score are `f64`.

mod chart;
mod flags;
pub mod history;
pub mod model;
mod reference;
pub mod sample;
pub mod sighting;
pub mod stats;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};
use history::{
    amount_problem, check_amount, day_of, normalize_merchant, DAY_MS, MAX_AMOUNT, MAX_MS,
};
pub use history::{
    canonical_url, compact, identity, identity_of, merge, normalize_gtin, parse_history,
    parse_history_value, record, History, Limits, Observation, ProductKey, ProductRef, Recorded,
};
pub use model::*;
use stats::{cheaper_than_share, to_f64, DailySeries};

/// A request or history the engine refused, naming the field (`observations[3].price`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ScoreError {
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
}

impl ScoreError {
    pub(crate) fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn from_path(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = e.path().to_string();
        Self::bad(
            if path == "." { "request".into() } else { path },
            e.into_inner().to_string(),
        )
    }
}

/// Parses JSON; only when that fails is it parsed again while tracking the path, to name the
/// bad field (tracking it costs more than the parse itself on a 1,000-observation history).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ScoreError> {
    serde_json::from_str(json).or_else(|_| {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(ScoreError::from_path)
    })
}

/// Observed days at the merchant (today included) below which history is "not enough".
pub const MIN_HISTORY_DAYS: usize = 5;
/// Nominal weights out of 100; components without data are left out and the rest scaled up.
pub const W_PERCENTILE: f64 = 20.0;
pub const W_ALL_TIME_LOW: f64 = 10.0;
pub const W_AVERAGE_90D: f64 = 15.0;
pub const W_NET_POSITION: f64 = 10.0;
pub const W_DISCOUNT: f64 = 20.0;
pub const W_STACK: f64 = 10.0;
pub const W_MARKET: f64 = 15.0;
/// A discount of this share of the honest reference earns full discount points.
pub const DISCOUNT_FULL: f64 = 0.30;
/// A stack saving of this share of the price earns full stack points.
pub const STACK_FULL: f64 = 0.15;
/// 20 % below the 90-day average earns full points, 20 % above none.
pub const AVERAGE_SPAN: f64 = 0.20;
/// 10 % below the cheapest other merchant earns full points, 10 % above none.
pub const MARKET_SPAN: f64 = 0.10;
/// Other merchants' prices older than this are not compared.
pub const MARKET_FRESH_DAYS: i64 = 7;
/// A list price that first appears this soon after a price rise is flagged.
pub const RISE_WINDOW_DAYS: i64 = 14;
/// Anomaly: distance from the 30-day moving average, in standard deviations…
pub const ANOMALY_Z: f64 = 2.0;
/// …with the deviation floored at this share of the average, so a price that never moved
/// does not make a one-cent change an anomaly.
pub const ANOMALY_MIN_SD_SHARE: f64 = 0.025;

/// Default source reliability by merchant name (the registrable domain without its public
/// suffix: `amazon.co.uk` → `amazon`); others get [`DEFAULT_RELIABILITY`].
pub const RELIABILITY: &[(&str, f64)] = &[
    ("amazon", 0.95),
    ("walmart", 0.90),
    ("bestbuy", 0.85),
    ("target", 0.85),
    ("ebay", 0.75),
];
pub const DEFAULT_RELIABILITY: f64 = 0.60;

/// Reads a request from JSON; errors name the path of the bad field.
pub fn parse_request(json: &str) -> Result<ScoreRequest, ScoreError> {
    let req: ScoreRequest = from_json(json)?;
    validate(&req)?;
    Ok(req)
}

/// JSON in, response out: the entry point for the wasm shell and the command line.
pub fn score_json(json: &str) -> Result<ScoreResponse, ScoreError> {
    score_valid(&parse_request(json)?)
}

fn validate(req: &ScoreRequest) -> Result<(), ScoreError> {
    if !(0..=MAX_MS).contains(&req.now_ms) {
        return Err(ScoreError::bad(
            "now_ms",
            format!("must be between 0 and {MAX_MS}"),
        ));
    }
    if req.merchant.trim().is_empty() {
        return Err(ScoreError::bad("merchant", "must not be empty"));
    }
    if req.observations.len() > 100_000 {
        return Err(ScoreError::bad("observations", "more than 100000"));
    }
    for (i, o) in req.observations.iter().enumerate() {
        o.validate(|| format!("observations[{i}]"))?;
    }
    if let Some(l) = req.page_claims.list_price {
        check_amount(l, "page_claims.list_price")?;
    }
    if let Some(l) = req.page_claims.lowest_30d {
        check_amount(l, "page_claims.lowest_30d")?;
    }
    if let Some(s) = req.stack_saving {
        if s < Decimal::ZERO || s > MAX_AMOUNT {
            return Err(ScoreError::bad(
                "stack_saving",
                format!("must be between 0 and {MAX_AMOUNT} (got {s})"),
            ));
        }
    }
    for (i, m) in req.other_merchants.iter().enumerate() {
        if let Some(msg) = amount_problem(m.price) {
            return Err(ScoreError::bad(format!("other_merchants[{i}].price"), msg));
        }
        if m.at_ms.is_some_and(|t| !(0..=MAX_MS).contains(&t)) {
            return Err(ScoreError::bad(
                format!("other_merchants[{i}].at_ms"),
                format!("must be between 0 and {MAX_MS}"),
            ));
        }
        if m.merchant.trim().is_empty() {
            return Err(ScoreError::bad(
                format!("other_merchants[{i}].merchant"),
                "must not be empty",
            ));
        }
    }
    for (k, v) in &req.reliability {
        if !(0.0..=1.0).contains(v) {
            return Err(ScoreError::bad(
                format!("reliability.{k}"),
                format!("must be between 0 and 1 (got {v})"),
            ));
        }
    }
    Ok(())
}

/// The reliability of a merchant: an override by domain, then by name, then the default
/// table, then [`DEFAULT_RELIABILITY`].
pub fn reliability(merchant: &str, overrides: &BTreeMap<String, f64>) -> f64 {
    let domain = normalize_merchant(merchant).unwrap_or_default();
    let name = psl::suffix_str(&domain)
        .and_then(|s| domain.strip_suffix(s))
        .and_then(|d| d.strip_suffix('.'))
        .map_or(domain.as_str(), |n| n.rsplit('.').next().unwrap_or(n))
        .to_owned();
    let over = |k: &str| {
        overrides
            .iter()
            .find(|(o, _)| o.trim().eq_ignore_ascii_case(k))
            .map(|(_, v)| *v)
    };
    over(&domain)
        .or_else(|| over(&name))
        .or_else(|| {
            RELIABILITY
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        })
        .unwrap_or(DEFAULT_RELIABILITY)
}

/// `YYYY-MM-DD` of a UTC day number (days since 1970-01-01).
pub fn date_of_day(day: i64) -> String {
    crate::stack::Date::from_unix_day(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The component scores before weighting, for one request.
struct Part {
    key: &'static str,
    weight: f64,
    value: f64,
    explanation: String,
}

/// Scores today's price at `req.merchant`: components, flags, chart (see `docs/score.md`).
pub fn score(req: &ScoreRequest) -> Result<ScoreResponse, ScoreError> {
    validate(req)?;
    score_valid(req)
}

fn score_valid(req: &ScoreRequest) -> Result<ScoreResponse, ScoreError> {
    let merchant = normalize_merchant(&req.merchant).unwrap_or_default();
    // A history names a handful of merchants: normalise each spelling once.
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    let mut obs: Vec<Observation> = Vec::with_capacity(req.observations.len());
    for o in req.observations.iter().filter(|o| o.at_ms <= req.now_ms) {
        let name = names
            .entry(o.merchant.as_str())
            .or_insert_with(|| normalize_merchant(&o.merchant).unwrap_or_default());
        obs.push(Observation {
            at_ms: o.at_ms,
            price: o.price,
            list_price: o.list_price,
            currency: o.currency,
            availability: o.availability,
            merchant: name.clone(),
        });
    }
    obs.sort_by_key(|o| o.at_ms);
    let current = obs
        .iter()
        .rev()
        .find(|o| o.merchant == merchant)
        .cloned()
        .ok_or_else(|| {
            ScoreError::bad(
                "observations",
                format!(
                    "no observation at {merchant} at or before now_ms: record today's price first"
                ),
            )
        })?;
    let price = current.price;
    let currency = current.currency;
    let c = to_f64(price);
    let today = day_of(current.at_ms);
    let mine: Vec<&Observation> = obs
        .iter()
        .filter(|o| o.merchant == merchant && o.currency == currency)
        .collect();
    let before: Vec<&Observation> = mine
        .iter()
        .copied()
        .filter(|o| day_of(o.at_ms) < today)
        .collect();
    let mut observed: Vec<i64> = before.iter().map(|o| day_of(o.at_ms)).collect();
    observed.dedup();
    let observed_days = observed.len() + 1;
    let enough = observed_days >= MIN_HISTORY_DAYS;
    let series = DailySeries::build(&mine, today);
    let last365 = series.window(today - 365, today);
    let window30 = series.window(today - 30, today);
    let stats = Stats {
        observations: mine.len(),
        observed_days,
        first_seen_ms: mine.first().map(|o| o.at_ms),
        all_time_low: before.iter().map(|o| o.price).min(),
        average_90d: stats::mean(&series.window(today - 90, today))
            .map(|m| Money::new(m, currency).round_to_minor().amount),
        lowest_30d: stats::min(&window30),
        cheaper_than_share: cheaper_than_share(&last365, price),
    };
    let net_price = req.stack_saving.map(|s| (price - s).max(Decimal::ZERO));
    let list_price = req
        .page_claims
        .list_price
        .or(current.list_price)
        .filter(|&l| l > price);
    let reduction = reference::reduction_in_progress(&series, today);

    let mut parts: Vec<Part> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut skip = |key: &str, reason: String| {
        skipped.push(Skipped {
            key: key.into(),
            reason,
        })
    };
    let thin = format!(
        "only {observed_days} day(s) of prices seen at {merchant}; {MIN_HISTORY_DAYS} are needed"
    );

    // History position: percentile, all-time low, 90-day average, net price.
    if enough {
        if let Some(share) = stats.cheaper_than_share {
            parts.push(Part {
                key: "percentile",
                weight: W_PERCENTILE,
                value: share,
                explanation: format!(
                    "Today's {price} is cheaper than {} of the last {} days' prices at {merchant}.",
                    pct(share),
                    last365.len()
                ),
            });
        } else {
            skip("percentile", "no prices in the last 365 days".into());
        }
        if let Some(low) = stats.all_time_low {
            let above = to_f64(price) / to_f64(low) - 1.0;
            let (value, words) = if price <= low {
                (
                    1.0,
                    format!("Today's {price} is the lowest price seen here (previous low {low})."),
                )
            } else if above <= 0.05 {
                (
                    0.75,
                    format!(
                        "Today's {price} is within 5 % of the all-time low {low} ({} above).",
                        pct(above)
                    ),
                )
            } else {
                (
                    (0.5 * (1.0 - (above - 0.05) / 0.15)).max(0.0),
                    format!(
                        "Today's {price} is {} above the all-time low {low}.",
                        pct(above)
                    ),
                )
            };
            parts.push(Part {
                key: "all_time_low",
                weight: W_ALL_TIME_LOW,
                value,
                explanation: words,
            });
        }
        if let Some(avg) = stats.average_90d {
            let d = (to_f64(avg) - c) / to_f64(avg);
            let words = if d >= 0.0 {
                format!("{} below the 90-day average of {avg}.", pct(d))
            } else {
                format!("{} above the 90-day average of {avg}.", pct(-d))
            };
            parts.push(Part {
                key: "average_90d",
                weight: W_AVERAGE_90D,
                value: (0.5 + d / (2.0 * AVERAGE_SPAN)).clamp(0.0, 1.0),
                explanation: words,
            });
        } else {
            skip("average_90d", "no prices in the last 90 days".into());
        }
        match (net_price, cheaper_than_share(&last365, net_price.unwrap_or(price))) {
            (Some(net), Some(share)) => parts.push(Part {
                key: "net_price_position",
                weight: W_NET_POSITION,
                value: share,
                explanation: format!(
                    "After the best stack you pay {net}, cheaper than {} of the last {} days' prices.",
                    pct(share),
                    last365.len()
                ),
            }),
            (None, _) => skip("net_price_position", "no stack saving given".into()),
            (Some(_), None) => skip("net_price_position", "no prices in the last 365 days".into()),
        }
    } else {
        for k in [
            "percentile",
            "all_time_low",
            "average_90d",
            "net_price_position",
        ] {
            skip(k, thin.clone());
        }
    }

    // The honest reference: history first, then what the page states, judged by history.
    let history_ref = if enough {
        reference::from_history(&series, today, reduction.as_ref())
    } else {
        None
    };
    let honest = history_ref
        .or_else(|| reference::from_page(&req.page_claims, current.list_price, stats.lowest_30d));
    match &honest {
        Some(r) => {
            let d = (to_f64(r.amount) - c) / to_f64(r.amount);
            parts.push(Part {
                key: "honest_discount",
                weight: if r.verified {
                    W_DISCOUNT
                } else {
                    W_DISCOUNT / 2.0
                },
                value: (d / DISCOUNT_FULL).clamp(0.0, 1.0),
                explanation: if d > 0.0 {
                    format!(
                        "{} off the honest reference {} ({}); {} off earns full points.",
                        pct(d),
                        r.amount,
                        r.explanation,
                        pct(DISCOUNT_FULL)
                    )
                } else {
                    format!(
                        "No discount: today's {price} is not below the honest reference {} ({}).",
                        r.amount, r.explanation
                    )
                },
            });
        }
        None => skip(
            "honest_discount",
            "no reference price: too little history and no list price or 30-day low on the page"
                .into(),
        ),
    }

    // The stack's saving.
    match req.stack_saving {
        Some(s) => {
            let share = (to_f64(s) / c).min(1.0);
            parts.push(Part {
                key: "stack_saving",
                weight: W_STACK,
                value: (share / STACK_FULL).clamp(0.0, 1.0),
                explanation: format!(
                    "The best stack saves {s} ({} of the price); {} earns full points.",
                    pct(share),
                    pct(STACK_FULL)
                ),
            });
        }
        None => skip("stack_saving", "no stack saving given".into()),
    }

    // Other merchants, same product and currency, seen in the last week, buyable.
    let market = market_entries(req, &obs, &merchant, currency);
    match market.first() {
        Some(best) => {
            let d = (to_f64(best.price) - c) / to_f64(best.price);
            parts.push(Part {
                key: "market",
                weight: W_MARKET,
                value: (0.5 + d / (2.0 * MARKET_SPAN)).clamp(0.0, 1.0),
                explanation: if d >= 0.0 {
                    format!(
                        "{} cheaper than the cheapest of {} other merchant(s), {} at {}.",
                        pct(d),
                        market.len(),
                        best.merchant,
                        best.price
                    )
                } else {
                    format!(
                        "{} dearer than {} at {} (cheapest of {} other merchant(s)).",
                        pct(-d),
                        best.merchant,
                        best.price,
                        market.len()
                    )
                },
            });
        }
        None => skip(
            "market",
            format!(
                "no other merchant's price in {currency} from the last {MARKET_FRESH_DAYS} days"
            ),
        ),
    }

    let flags = Flags {
        fake_discount: flags::fake_discount(
            req,
            &series,
            &mine,
            today,
            reduction.as_ref(),
            list_price,
            stats.lowest_30d,
        ),
        // Carried-forward days from one or two sightings are no spread to measure against.
        anomaly: if enough {
            flags::anomaly(&window30, price, currency)
        } else {
            None
        },
    };

    let has_reference = enough || honest.is_some() || !market.is_empty();
    let state = if enough {
        ScoreState::Scored
    } else if has_reference {
        ScoreState::LimitedHistory
    } else {
        ScoreState::NotEnoughHistory
    };
    let r = reliability(&merchant, &req.reliability);
    let mut components = Vec::new();
    let mut score = None;
    if state != ScoreState::NotEnoughHistory {
        let total_weight: f64 = parts.iter().map(|p| p.weight).sum();
        let mut raw = 0.0;
        for p in &parts {
            let points = 100.0 * p.weight * p.value / total_weight;
            raw += points;
            components.push(Component {
                key: p.key.into(),
                weight: Some(p.weight),
                value: p.value,
                points: one_decimal(points),
                explanation: p.explanation.clone(),
            });
        }
        // A less reliable source gets a less confident verdict either way.
        let final_score = 50.0 + (raw - 50.0) * r;
        components.push(Component {
            key: "reliability".into(),
            weight: None,
            value: r,
            points: one_decimal(final_score - raw),
            explanation: format!(
                "Prices read from {merchant} are trusted at {r:.2}: the score moves {} of the way towards a neutral 50.",
                pct(1.0 - r)
            ),
        });
        score = Some(to_score(final_score));
    }

    let based_on = based_on(req, &stats, &merchant, enough, honest.as_ref(), &market);
    let summary = summary(score, state, observed_days, &merchant, &flags, &based_on);
    let chart = chart::chart(
        &obs,
        &mine,
        &series,
        today,
        currency,
        &merchant,
        &stats,
        honest.as_ref(),
        net_price,
    );
    Ok(ScoreResponse {
        score,
        state,
        summary,
        product_key: identity(&req.product).map(|k| k.to_string()),
        merchant,
        currency,
        price,
        net_price,
        based_on,
        components,
        skipped,
        flags,
        honest_reference: honest,
        stats,
        market,
        chart,
    })
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_score(x: f64) -> u8 {
    // Clamped to 0–100 first, so the cast is exact.
    x.round().clamp(0.0, 100.0) as u8
}

fn market_entries(
    req: &ScoreRequest,
    obs: &[Observation],
    merchant: &str,
    currency: Currency,
) -> Vec<MarketEntry> {
    let since = req.now_ms - MARKET_FRESH_DAYS * DAY_MS;
    let mut latest: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    let mut consider = |m: String, at: i64, p: Decimal, buyable: bool| {
        if m == merchant || at < since || at > req.now_ms {
            return;
        }
        let e = latest.entry(m).or_insert((i64::MIN, p));
        if at >= e.0 {
            // The newest sighting wins; an unbuyable one hides the merchant.
            *e = (at, if buyable { p } else { Decimal::ZERO });
        }
    };
    for o in obs.iter().filter(|o| o.currency == currency) {
        let buyable = o.availability.is_none_or(|a| a.can_buy());
        consider(o.merchant.clone(), o.at_ms, o.price, buyable);
    }
    for m in req
        .other_merchants
        .iter()
        .filter(|m| m.currency == currency)
    {
        let buyable = m.availability.is_none_or(|a| a.can_buy());
        let name = normalize_merchant(&m.merchant).unwrap_or_default();
        consider(name, m.at_ms.unwrap_or(req.now_ms), m.price, buyable);
    }
    let mut out: Vec<MarketEntry> = latest
        .into_iter()
        .filter(|(_, (_, p))| *p > Decimal::ZERO)
        .map(|(m, (at, p))| MarketEntry {
            reliability: reliability(&m, &req.reliability),
            merchant: m,
            price: p,
            at_ms: at,
        })
        .collect();
    // Cheapest first; the merchant name breaks ties.
    out.sort_by(|a, b| a.price.cmp(&b.price).then(a.merchant.cmp(&b.merchant)));
    out
}

fn based_on(
    req: &ScoreRequest,
    stats: &Stats,
    merchant: &str,
    enough: bool,
    honest: Option<&HonestReference>,
    market: &[MarketEntry],
) -> Vec<Basis> {
    let mut out = Vec::new();
    let since = stats
        .first_seen_ms
        .map(|t| date_of_day(day_of(t)))
        .unwrap_or_default();
    out.push(Basis {
        source: "history".into(),
        detail: if enough {
            format!(
                "{} observation(s) on {} day(s) at {merchant} since {since}",
                stats.observations, stats.observed_days
            )
        } else {
            format!(
                "not enough history: {} observation(s) on {} day(s) at {merchant} (fewer than {MIN_HISTORY_DAYS}), used only to check the page's claims",
                stats.observations, stats.observed_days
            )
        },
    });
    if let Some(h) = honest.filter(|h| {
        matches!(
            h.rule,
            ReferenceRule::PageLowest30d | ReferenceRule::PageListPrice
        )
    }) {
        out.push(Basis {
            source: "page_claims".into(),
            detail: h.explanation.clone(),
        });
    }
    if !market.is_empty() {
        out.push(Basis {
            source: "other_merchants".into(),
            detail: format!(
                "{} other merchant(s)' prices from the last {MARKET_FRESH_DAYS} days",
                market.len()
            ),
        });
    }
    if let Some(s) = req.stack_saving {
        out.push(Basis {
            source: "stack".into(),
            detail: format!("the best stack's saving of {s}"),
        });
    }
    out
}

fn summary(
    score: Option<u8>,
    state: ScoreState,
    days: usize,
    merchant: &str,
    flags: &Flags,
    based_on: &[Basis],
) -> String {
    let limited = state == ScoreState::LimitedHistory;
    // Name only what the verdict actually rests on.
    let grounds: Vec<&str> = based_on
        .iter()
        .filter_map(|b| match b.source.as_str() {
            "page_claims" => Some("the page's claims"),
            "other_merchants" => Some("other merchants' prices"),
            "stack" => Some("the stack's saving"),
            _ => None,
        })
        .collect();
    let grounds = match grounds.as_slice() {
        [] => "what little there is".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let band = |great: &str, good: &str, fair: &str, poor: &str| match score {
        Some(80..) => great.to_owned(),
        Some(60..=79) => good.to_owned(),
        Some(40..=59) => fair.to_owned(),
        _ => poor.to_owned(),
    };
    let mut s = match score {
        None => {
            return format!(
                "Not enough history to judge this price yet: {days} day(s) seen at {merchant}, and the page states no earlier price."
            )
        }
        // Without history the verdict is about the deal as shown, not about the price's past.
        Some(_) if limited => band(
            "Looks like a great deal.",
            "Looks like a good deal.",
            "Looks like an ordinary price.",
            "Looks like a weak deal.",
        ) + &format!(
            " Judged from {grounds}: only {days} day(s) of history here."
        ),
        Some(_) => band(
            "Great price: a good time to buy.",
            "Good price.",
            "Fair price: nothing special.",
            "Poor price: it has been cheaper; consider waiting.",
        ),
    };
    if flags.fake_discount.is_some() {
        s.push_str(" The \"was\" price looks inflated.");
    }
    if let Some(a) = &flags.anomaly {
        s.push_str(&format!(
            " Unusual price ({} the recent average).",
            a.direction
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_days() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(20_413), "2025-11-21");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(11_016), "2000-02-29");
    }

    #[test]
    fn reliability_defaults_and_overrides() {
        let none = BTreeMap::new();
        assert_eq!(reliability("www.amazon.co.uk", &none), 0.95);
        assert_eq!(reliability("walmart.com", &none), 0.90);
        assert_eq!(reliability("https://www.ebay.de/itm/1", &none), 0.75);
        assert_eq!(reliability("shop.example", &none), DEFAULT_RELIABILITY);
        let over: BTreeMap<String, f64> =
            [("ebay".to_owned(), 0.5), ("ebay.de".to_owned(), 0.4)].into();
        assert_eq!(reliability("ebay.com", &over), 0.5);
        assert_eq!(reliability("ebay.de", &over), 0.4);
    }
}

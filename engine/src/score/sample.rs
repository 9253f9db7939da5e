//! A deterministic synthetic history for benchmarks (native criterion and wasm in the
//! browser measure the same input): one product with `n` observations over about
//! `0.7 n` days, 70 % at amazon.com, the rest at walmart.com and target.com.

use rust_decimal::Decimal;

use super::history::{DAY_MS, HOUR_MS};
use super::{Observation, PageClaims, ProductRef, ScoreRequest};
use crate::money::Currency;
use crate::product::Availability;

/// The day the sample history ends (2026-11-21) and the time it is scored.
pub const TODAY: i64 = 20_778;
pub const NOW_MS: i64 = TODAY * DAY_MS + 12 * HOUR_MS;

/// `n` observations: 70 % at amazon.com, the rest at walmart.com and target.com, spread
/// over `0.7 n` days; prices wander around 200 with a sale one period in three.
pub fn observations(n: usize) -> Vec<Observation> {
    let usd = Currency::from_code("USD").expect("USD");
    let mut out = Vec::with_capacity(n);
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        // xorshift: deterministic noise without a dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..n {
        let back = i64::try_from(n - i).unwrap_or(0);
        let (merchant, day) = match i % 10 {
            0..=6 => ("amazon.com", TODAY - back * 7 / 10),
            7 | 8 => ("walmart.com", TODAY - back * 7 / 10 - 1),
            _ => ("target.com", TODAY - back * 7 / 10 - 2),
        };
        let sale = (day / 45) % 3 == 0;
        let noise = i64::try_from(next() % 1_500).unwrap_or(0);
        let cents = if sale { 16_999 } else { 19_999 } + noise - 750;
        out.push(Observation {
            at_ms: day * DAY_MS + i64::try_from(i % 24).unwrap_or(0) * HOUR_MS,
            price: Decimal::new(cents, 2),
            list_price: Some(Decimal::new(24_999, 2)),
            currency: usd,
            availability: Some(Availability::InStock),
            merchant: merchant.into(),
        });
    }
    out.sort_by_key(|o| o.at_ms);
    // Today's price at the scored merchant is the newest observation.
    if let Some(last) = out.iter_mut().rev().find(|o| o.merchant == "amazon.com") {
        last.at_ms = TODAY * DAY_MS + 11 * HOUR_MS;
    }
    out.sort_by_key(|o| o.at_ms);
    out
}

/// The benchmark request: `n` observations, page claims and a stack saving.
pub fn request(n: usize) -> ScoreRequest {
    ScoreRequest {
        now_ms: NOW_MS,
        merchant: "amazon.com".into(),
        product: ProductRef {
            gtin: Some("4006381333931".into()),
            ..ProductRef::default()
        },
        observations: observations(n),
        page_claims: PageClaims {
            list_price: Some(Decimal::new(24_999, 2)),
            lowest_30d: Some(Decimal::new(16_999, 2)),
        },
        stack_saving: Some(Decimal::new(1_250, 2)),
        other_merchants: vec![],
        reliability: Default::default(),
    }
}

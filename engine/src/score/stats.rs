//! Statistics over a daily price series. Prices stay `Decimal` where they are shown
//! (minimum, average, most common price); ratios and deviations are `f64`.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::history::{day_of, Observation};

/// An observed day's price is carried forward over at most this many unobserved days: a
/// price seen on Monday is still a fair guess on Friday, not two months later.
pub const CARRY_FORWARD_DAYS: i64 = 14;
/// The series looks back at most this far (two years); older points still count for the
/// all-time low, which is taken from the raw observations.
pub const SERIES_DAYS: i64 = 730;

pub fn to_f64(d: Decimal) -> f64 {
    // Amounts are validated to at most 10⁹, which always converts.
    d.to_f64().unwrap_or(0.0)
}

/// One price per UTC day: the day's lowest observed price, or the last observed price carried
/// forward over a gap of at most [`CARRY_FORWARD_DAYS`]. Counting days instead of
/// observations keeps a product reloaded twenty times on one sale day from outweighing the
/// month around it.
#[derive(Debug, Clone, Default)]
pub struct DailySeries {
    /// `(day, price, observed that day)`, ascending by day, no gaps beyond the carry limit.
    pub days: Vec<(i64, Decimal, bool)>,
}

impl DailySeries {
    /// Builds the series from time-ordered observations of one merchant and currency, for
    /// the days before `end_day` (exclusive).
    pub fn build(obs: &[&Observation], end_day: i64) -> Self {
        let start = end_day - SERIES_DAYS;
        let mut lows: BTreeMap<i64, Decimal> = BTreeMap::new();
        for o in obs {
            let d = day_of(o.at_ms);
            if d < start || d >= end_day {
                continue;
            }
            lows.entry(d)
                .and_modify(|p| *p = (*p).min(o.price))
                .or_insert(o.price);
        }
        let mut days = Vec::new();
        let mut last: Option<(i64, Decimal)> = None;
        for (&d, &p) in &lows {
            if let Some((ld, lp)) = last {
                let fill_to = (ld + CARRY_FORWARD_DAYS).min(d - 1);
                days.extend((ld + 1..=fill_to).map(|x| (x, lp, false)));
            }
            days.push((d, p, true));
            last = Some((d, p));
        }
        if let Some((ld, lp)) = last {
            let fill_to = (ld + CARRY_FORWARD_DAYS).min(end_day - 1);
            days.extend((ld + 1..=fill_to).map(|x| (x, lp, false)));
        }
        Self { days }
    }

    /// Prices of the days in `[from, to)`.
    pub fn window(&self, from: i64, to: i64) -> Vec<Decimal> {
        let a = self.days.partition_point(|&(d, _, _)| d < from);
        let b = self.days.partition_point(|&(d, _, _)| d < to);
        self.days[a..b].iter().map(|&(_, p, _)| p).collect()
    }

    /// The days where the price changed from the previous known day, with the direction
    /// (`true` = a decrease), oldest first.
    pub fn changes(&self) -> Vec<(i64, bool)> {
        self.days
            .windows(2)
            .filter(|w| w[0].1 != w[1].1)
            .map(|w| (w[1].0, w[1].1 < w[0].1))
            .collect()
    }
}

pub fn min(values: &[Decimal]) -> Option<Decimal> {
    values.iter().copied().min()
}

/// Exact mean, rounded to 10 decimal places (the caller rounds for display).
pub fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let sum: Decimal = values.iter().sum();
    Some((sum / Decimal::from(values.len())).round_dp(10))
}

/// Population standard deviation.
pub fn std_dev(values: &[Decimal]) -> Option<f64> {
    let m = to_f64(mean(values)?);
    let n = values.len() as f64;
    let var = values.iter().map(|&v| (to_f64(v) - m).powi(2)).sum::<f64>() / n;
    Some(var.sqrt())
}

/// The most common value; on a tie the lowest (the reference that claims the smaller
/// discount).
pub fn mode(values: &[Decimal]) -> Option<Decimal> {
    let mut counts: BTreeMap<Decimal, usize> = BTreeMap::new();
    for &v in values {
        *counts.entry(v).or_default() += 1;
    }
    // Ascending keys, and `>` keeps the first (lowest) of equal counts.
    let mut best: Option<(Decimal, usize)> = None;
    for (v, c) in counts {
        if best.is_none_or(|(_, bc)| c > bc) {
            best = Some((v, c));
        }
    }
    best.map(|(v, _)| v)
}

/// Share of `values` above `x`, counting equal values as half: 1.0 means `x` is below every
/// value, 0.5 that it sits in the middle (or equals them all).
pub fn cheaper_than_share(values: &[Decimal], x: Decimal) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let above = values.iter().filter(|&&v| v > x).count() as f64;
    let equal = values.iter().filter(|&&v| v == x).count() as f64;
    Some((above + equal / 2.0) / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn d(x: i64) -> Decimal {
        Decimal::from(x)
    }

    #[test]
    fn mode_prefers_the_lower_price_on_a_tie() {
        assert_eq!(mode(&[d(5), d(3), d(5), d(3), d(9)]), Some(d(3)));
        assert_eq!(mode(&[d(5), d(3), d(5)]), Some(d(5)));
        assert_eq!(mode(&[]), None);
    }

    #[test]
    fn share_counts_ties_as_half() {
        assert_eq!(
            cheaper_than_share(&[d(1), d(2), d(3), d(4)], d(2)),
            Some(0.625)
        );
        assert_eq!(cheaper_than_share(&[d(5)], d(1)), Some(1.0));
        assert_eq!(cheaper_than_share(&[d(5)], d(5)), Some(0.5));
    }

    #[test]
    fn mean_and_deviation() {
        assert_eq!(mean(&[d(2), d(4)]), Some(d(3)));
        let sd = std_dev(&[d(2), d(4), d(4), d(4), d(5), d(5), d(7), d(9)]).unwrap_or(-1.0);
        assert!((sd - 2.0).abs() < 1e-12, "{sd}");
    }

    #[test]
    fn daily_series_takes_the_day_low_and_carries_over_short_gaps_only() {
        let usd = Currency::from_code("USD").expect("USD");
        let o = |day: i64, hour: i64, p: i64| Observation {
            at_ms: day * 86_400_000 + hour * 3_600_000,
            price: d(p),
            list_price: None,
            currency: usd,
            availability: None,
            merchant: "shop.example".into(),
        };
        let obs = [
            o(0, 1, 10),
            o(0, 5, 8),
            o(2, 0, 9),
            o(40, 0, 7),
            o(50, 0, 7),
        ];
        let refs: Vec<&Observation> = obs.iter().collect();
        let s = DailySeries::build(&refs, 50);
        assert_eq!(s.days[0], (0, d(8), true));
        assert_eq!(s.days[1], (1, d(8), false));
        assert_eq!(s.days[2], (2, d(9), true));
        // Day 2 carries to day 16; days 17–39 are unknown; day 50 is not before `end_day`.
        assert_eq!(s.window(17, 40), Vec::<Decimal>::new());
        assert_eq!(s.window(0, 100).len(), 17 + 10);
        assert_eq!(s.changes(), vec![(2, false), (40, true)]);
    }
}

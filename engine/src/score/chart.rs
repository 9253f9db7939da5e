//! The popup's chart: this merchant's prices, the list price shown, the 30-day moving
//! average, other merchants' prices (the last 365 days), and reference lines.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::history::{Observation, DAY_MS};
use super::stats::DailySeries;
use super::{Chart, ChartLine, ChartPoint, ChartSeries, HonestReference, Stats};
use crate::money::{Currency, Money};

#[allow(clippy::too_many_arguments)]
pub(crate) fn chart(
    obs: &[Observation],
    mine: &[&Observation],
    series: &DailySeries,
    today: i64,
    currency: Currency,
    merchant: &str,
    stats: &Stats,
    honest: Option<&HonestReference>,
    net_price: Option<Decimal>,
) -> Chart {
    let from_ms = (today - 365) * DAY_MS;
    let point = |o: &&Observation| ChartPoint {
        at_ms: o.at_ms,
        value: o.price,
    };
    let mut series_out = vec![ChartSeries {
        key: "price".into(),
        label: format!("Price at {merchant}"),
        points: mine
            .iter()
            .filter(|o| o.at_ms >= from_ms)
            .map(point)
            .collect(),
    }];
    let list: Vec<ChartPoint> = mine
        .iter()
        .filter(|o| o.at_ms >= from_ms)
        .filter_map(|o| {
            o.list_price.map(|l| ChartPoint {
                at_ms: o.at_ms,
                value: l,
            })
        })
        .collect();
    if !list.is_empty() {
        series_out.push(ChartSeries {
            key: "list_price".into(),
            label: "List / \"was\" price shown".into(),
            points: list,
        });
    }
    // Trailing 30-day mean per known day, from a running sum over the series.
    let days: Vec<(i64, Decimal)> = series.days.iter().map(|&(d, p, _)| (d, p)).collect();
    let mut ma = Vec::new();
    let (mut lo, mut sum) = (0, Decimal::ZERO);
    for (hi, &(d, p)) in days.iter().enumerate() {
        sum += p;
        while days[lo].0 <= d - 30 {
            sum -= days[lo].1;
            lo += 1;
        }
        if d >= today - 365 {
            let n = Decimal::from(hi + 1 - lo);
            ma.push(ChartPoint {
                at_ms: d * DAY_MS,
                value: Money::new(sum / n, currency).round_to_minor().amount,
            });
        }
    }
    if !ma.is_empty() {
        series_out.push(ChartSeries {
            key: "moving_average_30d".into(),
            label: "30-day average".into(),
            points: ma,
        });
    }
    let mut others: BTreeMap<&str, Vec<ChartPoint>> = BTreeMap::new();
    for o in obs
        .iter()
        .filter(|o| o.merchant != merchant && o.currency == currency && o.at_ms >= from_ms)
    {
        others.entry(&o.merchant).or_default().push(ChartPoint {
            at_ms: o.at_ms,
            value: o.price,
        });
    }
    for (m, points) in others {
        series_out.push(ChartSeries {
            key: format!("merchant:{m}"),
            label: format!("Price at {m}"),
            points,
        });
    }
    let mut lines = Vec::new();
    let mut line = |key: &str, label: &str, v: Option<Decimal>| {
        if let Some(value) = v {
            lines.push(ChartLine {
                key: key.into(),
                label: label.into(),
                value,
            });
        }
    };
    line(
        "honest_reference",
        "Honest reference",
        honest.map(|h| h.amount),
    );
    line("all_time_low", "All-time low", stats.all_time_low);
    line("average_90d", "90-day average", stats.average_90d);
    line("net_price", "Net price after the stack", net_price);
    Chart {
        currency,
        series: series_out,
        lines,
    }
}

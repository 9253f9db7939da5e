//! The honesty flags: a fake discount (an inflated "was" price) and an anomalous price.
//! Neither changes the score; both are shown with their reasons.

use rust_decimal::Decimal;

use super::history::{day_of, Observation, DAY_MS};
use super::reference::Reduction;
use super::stats::{self, to_f64, DailySeries};
use super::{
    date_of_day, Anomaly, FakeDiscount, FlagReason, ScoreRequest, ANOMALY_MIN_SD_SHARE, ANOMALY_Z,
    MIN_HISTORY_DAYS, RISE_WINDOW_DAYS,
};
use crate::money::{Currency, Money};

/// The page shows a list price above today's price that the history does not support:
/// every reason found is listed.
pub(crate) fn fake_discount(
    req: &ScoreRequest,
    series: &DailySeries,
    mine: &[&Observation],
    today: i64,
    reduction: Option<&Reduction>,
    list_price: Option<Decimal>,
    lowest_30d_seen: Option<Decimal>,
) -> Option<FakeDiscount> {
    let list = list_price?;
    let mut reasons = Vec::new();
    let (from, to, before_what) = match reduction {
        Some(r) => (
            r.start - 30,
            r.start,
            format!("the 30 days before the drop on {}", date_of_day(r.start)),
        ),
        None => (today - 30, today, "the last 30 days".to_owned()),
    };
    if let Some(low) = stats::min(&series.window(from, to)) {
        if list > low {
            reasons.push(FlagReason {
                code: "list_above_30d_low".into(),
                message: format!(
                    "The page's was/list price {list} is above {low}, the lowest price seen here in {before_what}."
                ),
            });
        }
    }
    if let Some(p) = req.page_claims.lowest_30d {
        if list > p {
            reasons.push(FlagReason {
                code: "list_above_page_lowest_30d".into(),
                message: format!(
                    "The page's was/list price {list} is above its own \"lowest price in 30 days\", {p}."
                ),
            });
        }
        if let Some(seen) = lowest_30d_seen.filter(|&s| s < p) {
            reasons.push(FlagReason {
                code: "page_lowest_30d_too_high".into(),
                message: format!(
                    "The page says the lowest price in 30 days was {p}, but {seen} was seen here."
                ),
            });
        }
    }
    // The start of the trailing run of observations showing this list price; when the list
    // price comes from the page claims only, it appears today.
    let run_start = mine
        .iter()
        .rposition(|o| o.list_price != Some(list))
        .map_or(0, |i| i + 1);
    let last = mine.len().saturating_sub(1);
    let appeared = mine
        .get(run_start)
        .or(mine.last())
        .map_or(req.now_ms, |o| o.at_ms);
    // Since the first observation it is unknown when the list price appeared: no rise check.
    let rise = (1..=run_start.min(last))
        .rev()
        .map(|j| (mine[j - 1], mine[j]))
        .find(|(a, b)| b.price > a.price && b.at_ms >= appeared - RISE_WINDOW_DAYS * DAY_MS);
    if let Some((a, b)) = rise {
        reasons.push(FlagReason {
            code: "list_appeared_with_rise".into(),
            message: format!(
                "The was/list price {list} appeared on {}, {} day(s) after the price rose from {} to {}.",
                date_of_day(day_of(appeared)),
                (appeared - b.at_ms) / DAY_MS,
                a.price,
                b.price
            ),
        });
    }
    (!reasons.is_empty()).then_some(FakeDiscount {
        list_price: list,
        reasons,
    })
}

pub(crate) fn anomaly(window30: &[Decimal], price: Decimal, currency: Currency) -> Option<Anomaly> {
    if window30.len() < MIN_HISTORY_DAYS {
        return None;
    }
    let avg = stats::mean(window30)?;
    let sd = stats::std_dev(window30)?;
    let sd_used = sd.max(ANOMALY_MIN_SD_SHARE * to_f64(avg));
    let z = (to_f64(price) - to_f64(avg)) / sd_used;
    if z.abs() <= ANOMALY_Z || !z.is_finite() {
        return None;
    }
    let avg = Money::new(avg, currency).round_to_minor().amount;
    let direction = if z < 0.0 { "below" } else { "above" };
    Some(Anomaly {
        direction: direction.into(),
        moving_average_30d: avg,
        standard_deviation: sd,
        z,
        message: format!(
            "Today's {price} is {:.1} standard deviations {direction} the 30-day average of {avg}: {}",
            z.abs(),
            if z < 0.0 {
                "possibly a pricing error or a short flash sale; check before relying on it."
            } else {
                "an unusual spike; waiting is likely to pay."
            }
        ),
    })
}

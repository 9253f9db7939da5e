//! The honest reference a discount is measured against (docs/score.md, "The honest
//! reference"): the EU Omnibus rule while a reduction runs, else the most common price capped
//! by the 30-day low; with too little history, the page's own claims, judged by what was seen.
//! None of it depends on today's price, which keeps the score monotone in it.

use rust_decimal::Decimal;

use super::stats::{self, DailySeries};
use super::{date_of_day, HonestReference, PageClaims, ReferenceRule};

/// A price reduction still running at the end of the history.
pub(crate) struct Reduction {
    /// First day of a reduction still running (progressive steps count from the first).
    pub start: i64,
}

/// A reduction in progress at the end of the series: the last price change was a decrease,
/// it began at most 30 days before `today`; progressive steps count from the first.
pub(crate) fn reduction_in_progress(series: &DailySeries, today: i64) -> Option<Reduction> {
    let changes = series.changes();
    let mut start = None;
    for &(day, decrease) in changes.iter().rev() {
        if !decrease {
            break;
        }
        start = Some(day);
    }
    start
        .filter(|&s| today - s <= 30)
        .map(|start| Reduction { start })
}

/// Omnibus when a reduction is running; else the most common price of 90 days, capped by
/// the lowest of the last 30 (so a cut today is still judged by the Omnibus rule). Neither
/// depends on today's price, which keeps the score monotone in it.
pub(crate) fn from_history(
    series: &DailySeries,
    today: i64,
    reduction: Option<&Reduction>,
) -> Option<HonestReference> {
    if let Some(r) = reduction {
        if let Some(low) = stats::min(&series.window(r.start - 30, r.start)) {
            return Some(HonestReference {
                amount: low,
                rule: ReferenceRule::LowestBeforeDrop,
                verified: true,
                explanation: format!(
                    "the lowest price in the 30 days before the drop on {}",
                    date_of_day(r.start)
                ),
            });
        }
    }
    let common = stats::mode(&series.window(today - 90, today));
    let low30 = stats::min(&series.window(today - 30, today));
    let (amount, explanation) = match (common, low30) {
        (Some(m), Some(l)) if l < m => (
            l,
            format!("the most common price {m}, capped by the 30-day low"),
        ),
        (Some(m), _) => (m, "the most common price of the last 90 days".to_owned()),
        (None, Some(l)) => (l, "the lowest price of the last 30 days".to_owned()),
        (None, None) => return None,
    };
    Some(HonestReference {
        amount,
        rule: ReferenceRule::MostCommon,
        verified: true,
        explanation,
    })
}

/// With too little history: the page's "lowest price in 30 days" line, else its list price,
/// each capped by the lowest price seen here in the last 30 days (`lowest_seen`). A list
/// price that no history can check is marked unverified (half weight).
pub(crate) fn from_page(
    claims: &PageClaims,
    observed_list_price: Option<Decimal>,
    lowest_seen: Option<Decimal>,
) -> Option<HonestReference> {
    let cap = |claim: Decimal| lowest_seen.map_or(claim, |l| l.min(claim));
    if let Some(p) = claims.lowest_30d {
        return Some(HonestReference {
            amount: cap(p),
            rule: ReferenceRule::PageLowest30d,
            verified: true,
            explanation: match lowest_seen {
                Some(l) if l < p => format!(
                    "the page says the lowest price in 30 days was {p}, but {l} was seen here"
                ),
                _ => format!("the page's \"lowest price in the last 30 days\" ({p})"),
            },
        });
    }
    let l = claims.list_price.or(observed_list_price)?;
    Some(HonestReference {
        amount: cap(l),
        rule: ReferenceRule::PageListPrice,
        verified: lowest_seen.is_some(),
        explanation: match lowest_seen {
            Some(s) if s < l => format!(
                "the page's list price {l} capped by the lowest price seen here in 30 days, {s}"
            ),
            Some(_) => {
                format!("the page's list price {l}, at or below every price seen here in 30 days")
            }
            None => format!("the page's list price {l}, which no history confirms (half weight)"),
        },
    })
}

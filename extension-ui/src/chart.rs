//! The price-history chart as SVG geometry, drawn by the extension itself (no chart library,
//! no CDN). Pure and tested natively: the popup only puts the paths into an `<svg>`.
//! Coordinates are display geometry (f64); the money labels stay exact decimals.

use engine::score::Chart;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// One polyline or reference line, ready for the `<svg>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub key: String,
    pub label: String,
    /// SVG path data (`M x y L x y …`).
    pub d: String,
}

/// The chart laid out in a `width × height` box (with a margin for the axis labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    pub series: Vec<Line>,
    pub lines: Vec<Line>,
    /// The lowest and highest value drawn, for the axis labels.
    pub low: Decimal,
    pub high: Decimal,
    /// Points in the main price series (a single point is drawn as a dot).
    pub points: usize,
}

const LEFT: f64 = 4.0;
const RIGHT: f64 = 4.0;
const TOP: f64 = 6.0;
const BOTTOM: f64 = 6.0;

/// Lays out `chart`; `None` when it has no points to draw.
pub fn layout(chart: &Chart, width: f64, height: f64) -> Option<Geometry> {
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.value))
        .chain(chart.lines.iter().map(|l| l.value));
    let (low, high) = values.fold(None, |acc: Option<(Decimal, Decimal)>, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })?;
    let times = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.at_ms));
    let (t0, t1) = times.fold(None, |acc: Option<(i64, i64)>, t| match acc {
        None => Some((t, t)),
        Some((a, b)) => Some((a.min(t), b.max(t))),
    })?;
    let span_t = (t1 - t0).max(1) as f64;
    let low_f = low.to_f64().unwrap_or(0.0);
    let high_f = high.to_f64().unwrap_or(0.0);
    // A flat history sits in the middle rather than on an edge.
    let (lo_f, span_v) = if high_f > low_f {
        (low_f, high_f - low_f)
    } else {
        (low_f - 1.0, 2.0)
    };
    let plot_w = width - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    let x = |t: i64| LEFT + (t - t0) as f64 / span_t * plot_w;
    let y = |v: Decimal| TOP + (1.0 - (v.to_f64().unwrap_or(lo_f) - lo_f) / span_v) * plot_h;
    let series = chart
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| {
            let d = s
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    format!(
                        "{}{:.1} {:.1}",
                        if i == 0 { "M" } else { "L" },
                        x(p.at_ms),
                        y(p.value)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            Line {
                key: s.key.clone(),
                label: s.label.clone(),
                d,
            }
        })
        .collect();
    let lines = chart
        .lines
        .iter()
        .map(|l| Line {
            key: l.key.clone(),
            label: l.label.clone(),
            d: format!(
                "M{:.1} {:.1} L{:.1} {:.1}",
                LEFT,
                y(l.value),
                width - RIGHT,
                y(l.value)
            ),
        })
        .collect();
    let points = chart
        .series
        .iter()
        .find(|s| s.key == "price")
        .map_or(0, |s| s.points.len());
    Some(Geometry {
        width,
        height,
        series,
        lines,
        low,
        high,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::money::Currency;
    use engine::score::{ChartLine, ChartPoint, ChartSeries};

    fn chart(points: &[(i64, &str)]) -> Chart {
        Chart {
            currency: Currency::from_code("EUR").expect("EUR"),
            series: vec![ChartSeries {
                key: "price".into(),
                label: "Price".into(),
                points: points
                    .iter()
                    .map(|(t, v)| ChartPoint {
                        at_ms: *t,
                        value: v.parse().expect("decimal"),
                    })
                    .collect(),
            }],
            lines: vec![ChartLine {
                key: "all_time_low".into(),
                label: "All-time low".into(),
                value: "10".parse().expect("decimal"),
            }],
        }
    }

    #[test]
    fn the_lowest_price_is_drawn_lowest_and_time_runs_left_to_right() {
        let g = layout(&chart(&[(0, "20"), (50, "10"), (100, "30")]), 200.0, 100.0).expect("drawn");
        assert_eq!(g.series[0].d, "M4.0 50.0 L100.0 94.0 L196.0 6.0");
        assert_eq!(
            g.lines[0].d, "M4.0 94.0 L196.0 94.0",
            "the all-time low line is at the bottom"
        );
        assert_eq!(
            (g.low.to_string().as_str(), g.high.to_string().as_str()),
            ("10", "30")
        );
        assert_eq!(g.points, 3);
    }

    #[test]
    fn a_flat_or_single_point_history_is_drawn_mid_height_and_nothing_is_none() {
        let g = layout(&chart(&[(5, "10")]), 100.0, 50.0).expect("drawn");
        assert_eq!(g.series[0].d, "M4.0 25.0");
        let mut empty = chart(&[]);
        empty.lines.clear();
        assert_eq!(layout(&empty, 100.0, 50.0), None);
    }
}

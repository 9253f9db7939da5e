//! Scoring detected products against labelled pages (`shared/data/product-pages`): the
//! prediction row a product becomes, the ground truth's shape, and per-field precision /
//! recall / F1. Pure (strings in, numbers out), so the native CLI and the browser-based
//! evaluation score with the same code.
//!
//! Per page and field: a right value is a true positive; a wrong value is both a false
//! positive and a false negative; a missing value is a false negative; a value where the
//! page shows none is a false positive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::product::Product;

/// One page's prediction, in the format `detect-batch` prints and `eval` reads. Fields are
/// in alphabetical order so the printed JSON is sorted; absent fields are omitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    /// `InStock` or `OutOfStock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// ISO 4217 code of `price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The price before a discount, where the page shows one (not scored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// The current price as a plain decimal string (`"1234.56"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The prediction row for a detected product. Availability is reduced to what the labels
/// distinguish: anything a shopper can buy now is `InStock`, the rest `OutOfStock`.
pub fn prediction_from_product(product: &Product) -> Prediction {
    Prediction {
        availability: product.availability.map(|a| {
            if a.can_buy() {
                "InStock".to_owned()
            } else {
                "OutOfStock".to_owned()
            }
        }),
        brand: product.brand.clone(),
        currency: product.price.map(|m| m.currency.code().to_owned()),
        gtin: product.gtin.clone(),
        image: product.image.clone(),
        list_price: product.list_price.map(|m| m.amount.normalize().to_string()),
        mpn: product.mpn.clone(),
        // Plain decimals: "978.0" and "50.00" are 978 and 50.
        price: product.price.map(|m| m.amount.normalize().to_string()),
        sku: product.sku.clone(),
        title: Some(product.title.clone()).filter(|t| !t.is_empty()),
    }
}

/// The scored fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Price,
    Sku,
    Gtin,
    Mpn,
    Brand,
    Availability,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Price,
        Field::Sku,
        Field::Gtin,
        Field::Mpn,
        Field::Brand,
        Field::Availability,
    ];

    /// The key in the ground truth and in predictions.
    pub fn name(self) -> &'static str {
        match self {
            Field::Price => "price",
            Field::Sku => "sku",
            Field::Gtin => "gtin",
            Field::Mpn => "mpn",
            Field::Brand => "brand",
            Field::Availability => "availability",
        }
    }

    fn predicted(self, p: &Prediction) -> Option<&str> {
        let value = match self {
            Field::Price => &p.price,
            Field::Sku => &p.sku,
            Field::Gtin => &p.gtin,
            Field::Mpn => &p.mpn,
            Field::Brand => &p.brand,
            Field::Availability => &p.availability,
        };
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// Whether `predicted` is one of the acceptable `expected` values.
    fn matches(self, predicted: &str, expected: &str) -> bool {
        let expected = expected.trim();
        match self {
            // Decimals, so "1234.5" == "1234.50"; text equality if either is not a number.
            Field::Price => match (Decimal::from_str(predicted), Decimal::from_str(expected)) {
                (Ok(p), Ok(e)) => p == e,
                _ => predicted == expected,
            },
            Field::Brand => predicted.to_lowercase() == expected.to_lowercase(),
            Field::Sku | Field::Gtin | Field::Mpn | Field::Availability => predicted == expected,
        }
    }
}

/// What a person read off one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageTruth {
    /// The address the page was saved from.
    pub url: String,
    /// Acceptable values per scored field; a field absent (or empty) is not on the page.
    pub values: BTreeMap<Field, Vec<String>>,
}

/// Reads `ground-truth.json`: `{KEY: {"url": …, "price": [..], "sku": [..], …}}`. Each field
/// may be a list or a single value; `null` and `[]` mean the page does not show it.
pub fn parse_ground_truth(json: &str) -> Result<BTreeMap<String, PageTruth>, String> {
    let pages: BTreeMap<String, serde_json::Map<String, Value>> =
        serde_json::from_str(json).map_err(|e| format!("ground truth: {e}"))?;
    let mut out = BTreeMap::new();
    for (key, page) in pages {
        let url = page
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("ground truth: page {key} has no `url`"))?
            .to_owned();
        let mut values = BTreeMap::new();
        for field in Field::ALL {
            let list = page.get(field.name()).map(values_of).unwrap_or_default();
            if !list.is_empty() {
                values.insert(field, list);
            }
        }
        out.insert(key, PageTruth { url, values });
    }
    Ok(out)
}

/// Reads predictions: `{KEY: {"price": "12.50", …}}`. Keys other than the prediction
/// fields are ignored; numbers are accepted where strings are expected (a browser-side
/// writer may emit `12.5`), `null` counts as absent.
pub fn parse_predictions(json: &str) -> Result<BTreeMap<String, Prediction>, String> {
    let pages: BTreeMap<String, Value> =
        serde_json::from_str(json).map_err(|e| format!("predictions: {e}"))?;
    let mut out = BTreeMap::new();
    for (key, page) in pages {
        let row = match page {
            Value::Null => Prediction::default(),
            Value::Object(map) => {
                let get = |name: &str| map.get(name).and_then(scalar_text);
                Prediction {
                    availability: get("availability"),
                    brand: get("brand"),
                    currency: get("currency"),
                    gtin: get("gtin"),
                    image: get("image"),
                    list_price: get("list_price"),
                    mpn: get("mpn"),
                    price: get("price"),
                    sku: get("sku"),
                    title: get("title"),
                }
            }
            other => {
                return Err(format!(
                    "predictions: page {key} is {other}, not an object or null"
                ))
            }
        };
        out.insert(key, row);
    }
    Ok(out)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn values_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    }
}

/// Counts for one field over all pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldScore {
    pub field: Field,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl FieldScore {
    /// TP / (TP + FP); 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN); 0 when nothing was expected.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The result of scoring a prediction set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Pages in the ground truth.
    pub pages: usize,
    /// Ground-truth pages with no prediction at all (scored as predicting nothing).
    pub missing: Vec<String>,
    /// One entry per field, in [`Field::ALL`] order.
    pub fields: Vec<FieldScore>,
}

/// Scores `predictions` against `truth`. Predictions for pages not in the truth are ignored.
pub fn score(
    truth: &BTreeMap<String, PageTruth>,
    predictions: &BTreeMap<String, Prediction>,
) -> Report {
    let empty = Prediction::default();
    let mut fields: Vec<FieldScore> = Field::ALL
        .iter()
        .map(|&field| FieldScore {
            field,
            tp: 0,
            fp: 0,
            fn_: 0,
        })
        .collect();
    let mut missing = Vec::new();
    for (key, page) in truth {
        let prediction = predictions.get(key).unwrap_or_else(|| {
            missing.push(key.clone());
            &empty
        });
        for score in &mut fields {
            let expected = page.values.get(&score.field).map_or(&[][..], Vec::as_slice);
            match (score.field.predicted(prediction), expected.is_empty()) {
                (None, true) => {}
                (None, false) => score.fn_ += 1,
                (Some(_), true) => score.fp += 1,
                (Some(p), false) => {
                    if expected.iter().any(|e| score.field.matches(p, e)) {
                        score.tp += 1;
                    } else {
                        score.fp += 1;
                        score.fn_ += 1;
                    }
                }
            }
        }
    }
    Report {
        pages: truth.len(),
        missing,
        fields,
    }
}

impl Report {
    /// A fixed-width table for people.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<13} {:>9} {:>7} {:>6} {:>4} {:>4} {:>4}\n",
            "field", "precision", "recall", "F1", "TP", "FP", "FN"
        );
        for s in &self.fields {
            let _ = writeln!(
                out,
                "{:<13} {:>9.3} {:>7.3} {:>6.3} {:>4} {:>4} {:>4}",
                s.field.name(),
                s.precision(),
                s.recall(),
                s.f1(),
                s.tp,
                s.fp,
                s.fn_
            );
        }
        let _ = write!(out, "{} pages", self.pages);
        if !self.missing.is_empty() {
            let _ = write!(
                out,
                ", {} without a prediction (scored as empty)",
                self.missing.len()
            );
        }
        out
    }

    /// Machine-readable form: `{"pages", "missing", "fields": {NAME: {tp, fp, fn,
    /// precision, recall, f1}}}`.
    pub fn to_json(&self) -> Value {
        let fields: serde_json::Map<String, Value> = self
            .fields
            .iter()
            .map(|s| {
                (
                    s.field.name().to_owned(),
                    serde_json::json!({
                        "tp": s.tp,
                        "fp": s.fp,
                        "fn": s.fn_,
                        "precision": s.precision(),
                        "recall": s.recall(),
                        "f1": s.f1(),
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "pages": self.pages,
            "missing": self.missing,
            "fields": fields,
        })
    }
}

//! `stacksmart to-predictions PRODUCTS.json`: `{KEY: product | null}` (products as the
//! extension stores them) → `{KEY: prediction row}`, the format `eval` scores. Used by the
//! in-browser page evaluation, so the row format is defined once, here in Rust.

use std::collections::BTreeMap;

use engine::eval::{prediction_from_product, Prediction};
use engine::product::Product;

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart to-predictions PRODUCTS.json";
    let [path] = args else {
        return Err(USAGE.into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let products: BTreeMap<String, Option<Product>> =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let rows: BTreeMap<String, Prediction> = products
        .into_iter()
        .map(|(key, product)| {
            let row = product
                .as_ref()
                .map(prediction_from_product)
                .unwrap_or_default();
            (key, row)
        })
        .collect();
    serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())
}

//! The price history in `storage.local`: one key per product (`hist:<product key>`, its
//! observations in time order) and an index (`hist-index`: last sighting and point count per
//! key) that evicts the least recently seen products past the product and point caps. History
//! is a nicety: a failure is logged and the page's result goes on without a score.

use std::collections::BTreeMap;

use engine::product::Product;
use engine::score::sighting::{
    key_of_storage_key, observe, rescore, storage_key, touch_index, Index, MAX_PRODUCTS,
};
use engine::score::{compact, merge, History, Limits, Observation, PageClaims, ScoreResponse};
use rust_decimal::Decimal;

use crate::{browser, to_js, web_log};

/// Storage key of the index of products with a stored price history.
const INDEX_KEY: &str = "hist-index";

async fn index() -> Index {
    browser::local_get(INDEX_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

async fn series(key: &str) -> Result<Vec<Observation>, String> {
    Ok(browser::local_get(key).await?.unwrap_or_default())
}

/// Writes the series and the index together, then deletes what the index evicted.
async fn store(
    index: &Index,
    series: &[(&str, &[Observation])],
    evicted: &[String],
) -> Result<(), String> {
    let mut items: Vec<(&str, wasm_bindgen::JsValue)> =
        series.iter().map(|(k, s)| (*k, to_js(s))).collect();
    items.push((INDEX_KEY, to_js(index)));
    browser::local_set(&items).await?;
    if evicted.is_empty() {
        Ok(())
    } else {
        browser::local_remove(evicted).await
    }
}

/// Records the sighting in the product's series and scores it.
pub async fn record_and_score(
    product: &Product,
    page_url: &str,
    claims: PageClaims,
    reliability: &BTreeMap<String, f64>,
    now_ms: i64,
) -> Option<Box<ScoreResponse>> {
    let key = storage_key(product)?;
    let stored = match series(&key).await {
        Ok(s) => s,
        Err(e) => {
            web_log(&format!("StackSmart: price history unreadable: {e}"));
            return None;
        }
    };
    let limits = Limits::default();
    let sighting = match observe(
        product,
        page_url,
        claims,
        reliability,
        stored,
        now_ms,
        &limits,
    )? {
        Ok(s) => s,
        Err(e) => {
            web_log(&format!("StackSmart: could not score: {e}"));
            return None;
        }
    };
    let mut index = index().await;
    let points = sighting.observations.len();
    let evicted = touch_index(&mut index, &key, now_ms, points, MAX_PRODUCTS, limits.total);
    if let Err(e) = store(&index, &[(&key, &sighting.observations)], &evicted).await {
        web_log(&format!("StackSmart: price history not saved: {e}"));
    }
    Some(Box::new(sighting.score))
}

/// The product's score from its stored series, with the best stack's saving: the score the
/// popup shows once the net price is known. Records nothing.
pub async fn score_with_saving(
    product: &Product,
    page_url: &str,
    claims: PageClaims,
    reliability: &BTreeMap<String, f64>,
    now_ms: i64,
    saving: Decimal,
) -> Option<Box<ScoreResponse>> {
    let stored = series(&storage_key(product)?).await.ok()?;
    match rescore(
        product,
        page_url,
        claims,
        reliability,
        stored,
        now_ms,
        Some(saving),
    )? {
        Ok(score) => Some(Box::new(score)),
        Err(e) => {
            web_log(&format!("StackSmart: could not score: {e}"));
            None
        }
    }
}

/// Every stored series, for the export file.
pub async fn export() -> Result<History, String> {
    let index = index().await;
    let mut history = History::default();
    for key in index.keys() {
        let Some(product) = key_of_storage_key(key) else {
            continue;
        };
        let list = series(key).await?;
        if !list.is_empty() {
            history.products.insert(product, list);
        }
    }
    Ok(history)
}

/// Merges an imported history into the stored one, product by product: points already
/// there are not added again, and the caps and compaction apply as for a sighting. Returns
/// the number of points added.
pub async fn import(imported: History, now_ms: i64) -> Result<usize, String> {
    let limits = Limits::default();
    let mut index = index().await;
    let mut evicted = Vec::new();
    let mut added = 0;
    for (product, list) in imported.products {
        let key = format!("hist:{product}");
        let mut history = History::default();
        history
            .products
            .insert(product.clone(), series(&key).await?);
        let mut incoming = History::default();
        incoming.products.insert(product.clone(), list);
        added += merge(&mut history, incoming).map_err(|e| e.to_string())?;
        compact(&mut history, now_ms, &limits);
        let merged = history.products.remove(&product).unwrap_or_default();
        let Some(seen) = merged.last().map(|o| o.at_ms) else {
            continue;
        };
        let points = merged.len();
        evicted.extend(touch_index(
            &mut index,
            &key,
            seen,
            points,
            MAX_PRODUCTS,
            limits.total,
        ));
        if index.contains_key(&key) {
            browser::local_set(&[(key.as_str(), to_js(&merged))]).await?;
        }
    }
    // Keys evicted after they were written go too.
    store(&index, &[], &evicted).await?;
    Ok(added)
}

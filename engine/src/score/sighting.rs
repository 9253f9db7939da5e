//! What the extension does each time it detects a priced product: record the sighting in
//! the product's stored series (de-duplicated, compacted) and score it. Pure: the background
//! reads the series from storage, calls [`observe`], and writes the series back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    compact, identity_of, record, score, History, Limits, Observation, PageClaims, ProductKey,
    ProductRef, Recorded, ScoreError, ScoreRequest, ScoreResponse,
};
use crate::product::Product;

/// Products whose series the extension keeps; the least recently seen go first.
pub const MAX_PRODUCTS: usize = 2_000;

/// The outcome of one sighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// The product's identity (`gtin:…`, `sku:merchant:…`, `url:…`): its storage key.
    pub key: String,
    /// The product's series after this sighting, to store back.
    pub observations: Vec<Observation>,
    pub recorded: Recorded,
    pub score: ScoreResponse,
}

/// The storage key of a product's stored series.
pub fn storage_key(product: &Product) -> Option<String> {
    identity_of(product).map(|k| format!("hist:{k}"))
}

/// Records `product`, seen on `page_url` at `now_ms`, into its stored series and scores it.
/// `None` when there is nothing to record: no price, or no identity.
pub fn observe(
    product: &Product,
    page_url: &str,
    stored: Vec<Observation>,
    now_ms: i64,
    limits: &Limits,
) -> Option<Result<Sighting, ScoreError>> {
    let price = product.price?;
    let key: ProductKey = identity_of(product)?;
    let merchant = super::history::normalize_merchant(page_url)?;
    Some(observe_priced(
        product, price, key, merchant, stored, now_ms, limits,
    ))
}

fn observe_priced(
    product: &Product,
    price: crate::money::Money,
    key: ProductKey,
    merchant: String,
    stored: Vec<Observation>,
    now_ms: i64,
    limits: &Limits,
) -> Result<Sighting, ScoreError> {
    let mut history = History::default();
    history.products.insert(key.clone(), stored);
    let observation = Observation {
        at_ms: now_ms,
        price: price.amount,
        list_price: product.list_price.map(|l| l.amount),
        currency: price.currency,
        availability: product.availability,
        merchant: merchant.clone(),
    };
    let recorded = record(&mut history, key.clone(), observation)?;
    compact(&mut history, now_ms, limits);
    let observations = history.products.remove(&key).unwrap_or_default();
    let request = ScoreRequest {
        now_ms,
        merchant,
        product: ProductRef {
            gtin: product.gtin.clone(),
            merchant: None,
            sku: product.sku.clone(),
            url: Some(product.url.clone()),
        },
        observations: observations.clone(),
        page_claims: PageClaims {
            list_price: product.list_price.map(|l| l.amount),
            lowest_30d: None,
        },
        stack_saving: None,
        other_merchants: Vec::new(),
        reliability: BTreeMap::new(),
    };
    let score = score(&request)?;
    Ok(Sighting {
        key: key.to_string(),
        observations,
        recorded,
        score,
    })
}

/// Marks `key` seen at `now_ms` in the index of stored products and returns the keys to
/// delete so that at most `max_products` remain (least recently seen first; ties by key).
pub fn touch_index(
    index: &mut BTreeMap<String, i64>,
    key: &str,
    now_ms: i64,
    max_products: usize,
) -> Vec<String> {
    index.insert(key.to_owned(), now_ms);
    let excess = index.len().saturating_sub(max_products);
    if excess == 0 {
        return Vec::new();
    }
    let mut by_age: Vec<(i64, String)> = index.iter().map(|(k, t)| (*t, k.clone())).collect();
    by_age.sort();
    let evicted: Vec<String> = by_age.into_iter().take(excess).map(|(_, k)| k).collect();
    for k in &evicted {
        index.remove(k);
    }
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};

    fn product(price: &str) -> Product {
        Product {
            title: "Kettle".into(),
            price: Some(Money::new(
                price.parse().expect("decimal"),
                Currency::from_code("GBP").expect("GBP"),
            )),
            list_price: None,
            availability: None,
            brand: None,
            sku: Some("K-1".into()),
            gtin: None,
            mpn: None,
            image: None,
            url: "https://www.shop.example/p/k-1".into(),
            evidence: Vec::new(),
        }
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_reload_adds_no_point_and_days_of_sightings_build_a_scored_history() {
        let p = product("30.00");
        let url = "https://www.shop.example/p/k-1";
        let first = observe(&p, url, Vec::new(), 10 * DAY, &Limits::default())
            .expect("priced")
            .expect("valid");
        assert_eq!(first.recorded, Recorded::Added);
        assert_eq!(first.key, "sku:shop.example:K-1");
        assert_eq!(first.score.score, None, "one sighting is not a history");
        let reload = observe(
            &p,
            url,
            first.observations.clone(),
            10 * DAY + 60_000,
            &Limits::default(),
        )
        .expect("priced")
        .expect("valid");
        assert_eq!(reload.recorded, Recorded::Duplicate);
        assert_eq!(reload.observations.len(), 1);

        let mut stored = reload.observations;
        for day in 11..40 {
            let price = if day < 39 { "30.00" } else { "24.00" };
            let s = observe(&product(price), url, stored, day * DAY, &Limits::default())
                .expect("priced")
                .expect("valid");
            stored = s.observations;
            if day == 39 {
                let score = s.score.score.expect("a month of history is scored");
                assert!(score > 50, "a real 20 % drop scores well, got {score}");
            }
        }
    }

    #[test]
    fn products_without_price_or_identity_are_not_recorded() {
        let mut p = product("1.00");
        p.price = None;
        assert!(observe(
            &p,
            "https://a.example/",
            Vec::new(),
            DAY,
            &Limits::default()
        )
        .is_none());
        assert_eq!(
            storage_key(&product("1.00")).as_deref(),
            Some("hist:sku:shop.example:K-1")
        );
    }

    #[test]
    fn the_index_keeps_the_most_recently_seen_products() {
        let mut index = BTreeMap::new();
        assert!(touch_index(&mut index, "a", 1, 2).is_empty());
        assert!(touch_index(&mut index, "b", 2, 2).is_empty());
        assert!(touch_index(&mut index, "a", 3, 2).is_empty());
        assert_eq!(touch_index(&mut index, "c", 4, 2), ["b"]);
        assert_eq!(index.keys().collect::<Vec<_>>(), ["a", "c"]);
    }
}

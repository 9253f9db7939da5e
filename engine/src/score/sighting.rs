//! What the extension does each time it detects a priced product: record the sighting in
//! the product's stored series (de-duplicated, compacted) and score it. Pure: the background
//! reads the series from storage, calls [`observe`], and writes the series back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;

use super::{
    compact, identity_of, record, score, History, Limits, Observation, PageClaims, ProductKey,
    ProductRef, Recorded, ScoreError, ScoreRequest, ScoreResponse,
};
use crate::offer_text::{is_recent_low_claim, Offer, OfferKind};
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

/// The product key inside a storage key (`hist:gtin:…` → `gtin:…`).
pub fn key_of_storage_key(storage_key: &str) -> Option<ProductKey> {
    ProductKey::parse(storage_key.strip_prefix("hist:")?).ok()
}

/// What the page states about earlier prices: its "was" price and, when one of its offer
/// texts is a "lowest price in the last 30 days" line (the EU Omnibus wording), that price.
pub fn page_claims(product: &Product, offers: &[Offer]) -> PageClaims {
    let lowest_30d = offers
        .iter()
        .filter(|o| o.kind == OfferKind::ReferencePrice && is_recent_low_claim(&o.raw))
        .find_map(|o| o.reference_price);
    PageClaims {
        // A "was" price equal to the stated 30-day low is that line read twice, not a claim.
        list_price: product
            .list_price
            .map(|l| l.amount)
            .filter(|l| Some(*l) != lowest_30d),
        lowest_30d,
    }
}

/// Records `product`, seen on `page_url` at `now_ms`, into its stored series and scores it.
/// `None` when there is nothing to record: no price, or no identity.
pub fn observe(
    product: &Product,
    page_url: &str,
    claims: PageClaims,
    reliability: &BTreeMap<String, f64>,
    stored: Vec<Observation>,
    now_ms: i64,
    limits: &Limits,
) -> Option<Result<Sighting, ScoreError>> {
    let price = product.price?;
    let key: ProductKey = identity_of(product)?;
    let merchant = super::history::normalize_merchant(page_url)?;
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
    let recorded = match record(&mut history, key.clone(), observation) {
        Ok(r) => r,
        Err(e) => return Some(Err(e)),
    };
    compact(&mut history, now_ms, limits);
    let observations = history.products.remove(&key).unwrap_or_default();
    let mut request = request(product, merchant, claims, observations, now_ms, None);
    request.reliability.clone_from(reliability);
    Some(score(&request).map(|score| Sighting {
        key: key.to_string(),
        observations: request.observations,
        recorded,
        score,
    }))
}

/// Scores `product` from its stored series without recording anything: the popup's score
/// once the best stack, and so the net price, is known. `None` as for [`observe`].
pub fn rescore(
    product: &Product,
    page_url: &str,
    claims: PageClaims,
    reliability: &BTreeMap<String, f64>,
    stored: Vec<Observation>,
    now_ms: i64,
    stack_saving: Option<Decimal>,
) -> Option<Result<ScoreResponse, ScoreError>> {
    product.price?;
    identity_of(product)?;
    let merchant = super::history::normalize_merchant(page_url)?;
    let mut request = request(product, merchant, claims, stored, now_ms, stack_saving);
    request.reliability.clone_from(reliability);
    Some(score(&request))
}

fn request(
    product: &Product,
    merchant: String,
    page_claims: PageClaims,
    observations: Vec<Observation>,
    now_ms: i64,
    stack_saving: Option<Decimal>,
) -> ScoreRequest {
    ScoreRequest {
        now_ms,
        merchant,
        product: ProductRef {
            gtin: product.gtin.clone(),
            merchant: None,
            sku: product.sku.clone(),
            url: Some(product.url.clone()),
        },
        observations,
        page_claims,
        stack_saving: stack_saving.filter(|s| *s > Decimal::ZERO),
        other_merchants: Vec::new(),
        reliability: BTreeMap::new(),
    }
}

/// One stored product in the index: when it was last seen and how many points its series
/// holds, so eviction needs no read of every series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EntryRepr")]
pub struct IndexEntry {
    pub seen_ms: i64,
    pub points: usize,
}

/// Index entries as stored: earlier builds kept only the time (their point count is learnt
/// at the product's next sighting).
#[derive(Deserialize)]
#[serde(untagged)]
enum EntryRepr {
    Seen(i64),
    Full {
        seen_ms: i64,
        #[serde(default)]
        points: usize,
    },
}

impl From<EntryRepr> for IndexEntry {
    fn from(r: EntryRepr) -> Self {
        match r {
            EntryRepr::Seen(seen_ms) => Self { seen_ms, points: 0 },
            EntryRepr::Full { seen_ms, points } => Self { seen_ms, points },
        }
    }
}

/// The index of stored series, by storage key.
pub type Index = BTreeMap<String, IndexEntry>;

/// Records that `key` now holds `points` points, last seen at `seen_ms`, and returns the keys
/// to delete (least recently seen first; ties by key) so that at most `max_products` products
/// and `max_points` points remain. The browser's storage has a quota (10 MB in Chrome without
/// the `unlimitedStorage` permission, which the extension does not ask for): the point cap
/// keeps the history well inside it, whatever the number of products.
pub fn touch_index(
    index: &mut Index,
    key: &str,
    seen_ms: i64,
    points: usize,
    max_products: usize,
    max_points: usize,
) -> Vec<String> {
    let seen_ms = index.get(key).map_or(seen_ms, |e| e.seen_ms.max(seen_ms));
    index.insert(key.to_owned(), IndexEntry { seen_ms, points });
    let mut total: usize = index.values().map(|e| e.points).sum();
    if index.len() <= max_products && total <= max_points {
        return Vec::new();
    }
    let mut by_age: Vec<(i64, String)> =
        index.iter().map(|(k, e)| (e.seen_ms, k.clone())).collect();
    by_age.sort();
    let mut evicted = Vec::new();
    for (_, k) in by_age {
        if index.len() <= max_products && total <= max_points {
            break;
        }
        if let Some(e) = index.remove(&k) {
            total -= e.points;
            evicted.push(k);
        }
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
            category: Vec::new(),
            url: "https://www.shop.example/p/k-1".into(),
            evidence: Vec::new(),
        }
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_reload_adds_no_point_and_days_of_sightings_build_a_scored_history() {
        let p = product("30.00");
        let url = "https://www.shop.example/p/k-1";
        let first = observe(
            &p,
            url,
            PageClaims::default(),
            &BTreeMap::new(),
            Vec::new(),
            10 * DAY,
            &Limits::default(),
        )
        .expect("priced")
        .expect("valid");
        assert_eq!(first.recorded, Recorded::Added);
        assert_eq!(first.key, "sku:shop.example:K-1");
        assert_eq!(first.score.score, None, "one sighting is not a history");
        let reload = observe(
            &p,
            url,
            PageClaims::default(),
            &BTreeMap::new(),
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
            let s = observe(
                &product(price),
                url,
                PageClaims::default(),
                &BTreeMap::new(),
                stored,
                day * DAY,
                &Limits::default(),
            )
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
            PageClaims::default(),
            &BTreeMap::new(),
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
        let mut index = Index::new();
        assert!(touch_index(&mut index, "a", 1, 1, 2, 100).is_empty());
        assert!(touch_index(&mut index, "b", 2, 1, 2, 100).is_empty());
        assert!(touch_index(&mut index, "a", 3, 1, 2, 100).is_empty());
        assert_eq!(touch_index(&mut index, "c", 4, 1, 2, 100), ["b"]);
        assert_eq!(index.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn the_index_keeps_the_points_under_their_cap() {
        let mut index = Index::new();
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            let seen = i64::try_from(i).expect("small");
            assert!(touch_index(&mut index, k, seen, 30, 10, 100).is_empty());
        }
        assert!(touch_index(&mut index, "d", 9, 0, 10, 100).is_empty());
        // 110 points > 100: the least recently seen product goes, and only it.
        assert_eq!(touch_index(&mut index, "d", 9, 20, 10, 100), ["a"]);
        assert_eq!(index.values().map(|e| e.points).sum::<usize>(), 80);
        // An import of an older product never makes it look freshly seen.
        touch_index(&mut index, "c", 1, 31, 10, 1_000);
        assert_eq!(index["c"].seen_ms, 2);
    }

    #[test]
    fn an_index_from_an_earlier_build_still_reads() {
        let old: Index =
            serde_json::from_str(r#"{"hist:url:https://a.example/p": 17}"#).expect("old index");
        assert_eq!(
            old["hist:url:https://a.example/p"],
            IndexEntry {
                seen_ms: 17,
                points: 0
            }
        );
        let new = serde_json::to_string(&old).expect("json");
        assert_eq!(serde_json::from_str::<Index>(&new).expect("new index"), old);
    }

    fn offer(text: &str) -> Offer {
        crate::offer_text::parse_offer(text, &crate::offer_text::OfferContext::default())
    }

    #[test]
    fn the_page_s_thirty_day_low_is_a_claim_and_not_a_was_price() {
        let mut p = product("49.99");
        p.list_price = Some(Money::new(
            "59.99".parse().expect("decimal"),
            Currency::from_code("GBP").expect("GBP"),
        ));
        let claims = page_claims(
            &p,
            &[
                offer("Was £79.99"),
                offer("Lowest price in the last 30 days: £59.99"),
            ],
        );
        assert_eq!(claims.lowest_30d, Some("59.99".parse().expect("decimal")));
        assert_eq!(
            claims.list_price, None,
            "the same line, read as a was price"
        );
        let plain = page_claims(&p, &[offer("Was £79.99")]);
        assert_eq!(plain.lowest_30d, None);
        assert_eq!(plain.list_price, Some("59.99".parse().expect("decimal")));
    }

    #[test]
    fn a_rescore_with_the_stack_saving_scores_the_net_price_and_records_nothing() {
        let url = "https://www.shop.example/p/k-1";
        let mut stored = Vec::new();
        for day in 1..20 {
            stored = observe(
                &product("30.00"),
                url,
                PageClaims::default(),
                &BTreeMap::new(),
                stored,
                day * DAY,
                &Limits::default(),
            )
            .expect("priced")
            .expect("valid")
            .observations;
        }
        let plain = rescore(
            &product("30.00"),
            url,
            PageClaims::default(),
            &BTreeMap::new(),
            stored.clone(),
            20 * DAY,
            None,
        )
        .expect("priced")
        .expect("valid");
        let stacked = rescore(
            &product("30.00"),
            url,
            PageClaims::default(),
            &BTreeMap::new(),
            stored,
            20 * DAY,
            Some("6.00".parse().expect("decimal")),
        )
        .expect("priced")
        .expect("valid");
        let (a, b) = (plain.score.expect("scored"), stacked.score.expect("scored"));
        assert!(b > a, "a 20 % stack saving lifts the score: {a} → {b}");
        assert!(stacked.components.iter().any(|c| c.key == "stack_saving"));
    }
}

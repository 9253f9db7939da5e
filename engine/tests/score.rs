//! The deal score on timelines written for the purpose (an inflated "was" price, a real
//! drop, a progressive reduction, thin history …), the history's record/compact/import, and
//! property tests (score bounds, monotonicity, compaction keeps the low and is idempotent,
//! recording is idempotent on reloads).

mod common;

use std::collections::BTreeMap;

use engine::money::Currency;
use engine::product::Availability;
use engine::score::history::{day_of, DAY_MS, HOUR_MS};
use engine::score::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const TODAY: i64 = 20_778; // 2026-11-21
const NOW: i64 = TODAY * DAY_MS + 12 * HOUR_MS;

fn dec(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

fn usd() -> Currency {
    Currency::from_code("USD").expect("USD")
}

fn obs(day: i64, price: &str, merchant: &str) -> Observation {
    Observation {
        at_ms: day * DAY_MS + 10 * HOUR_MS,
        price: dec(price),
        list_price: None,
        currency: usd(),
        availability: Some(Availability::InStock),
        merchant: merchant.into(),
    }
}

fn with_list(mut o: Observation, list: &str) -> Observation {
    o.list_price = Some(dec(list));
    o
}

fn request(merchant: &str, observations: Vec<Observation>) -> ScoreRequest {
    ScoreRequest {
        now_ms: NOW,
        merchant: merchant.into(),
        product: ProductRef::default(),
        observations,
        page_claims: PageClaims::default(),
        stack_saving: None,
        other_merchants: vec![],
        reliability: BTreeMap::new(),
    }
}

/// `price` every `step` days over `[from, to)` days before today.
fn flat(merchant: &str, price: &str, from: i64, to: i64, step: usize) -> Vec<Observation> {
    (TODAY - from..TODAY - to)
        .step_by(step)
        .map(|d| obs(d, price, merchant))
        .collect()
}

fn component<'a>(r: &'a ScoreResponse, key: &str) -> Option<&'a Component> {
    r.components.iter().find(|c| c.key == key)
}

fn reasons(r: &ScoreResponse) -> Vec<String> {
    r.flags
        .fake_discount
        .as_ref()
        .map(|f| f.reasons.iter().map(|x| x.code.clone()).collect())
        .unwrap_or_default()
}

/// The components' points add up to the score (each is rounded to one decimal).
fn assert_points_add_up(r: &ScoreResponse) {
    let sum: f64 = r.components.iter().map(|c| c.points).sum();
    let score = f64::from(r.score.expect("scored"));
    let slack = 0.5 + 0.05 * r.components.len() as f64;
    assert!(
        (sum - score).abs() <= slack,
        "points {sum} vs score {score}"
    );
}

#[test]
fn inflated_was_price_is_flagged_and_earns_no_discount() {
    // 79.99 for two months, raised to 119.99 ten days ago, today "99.99, was 119.99".
    let mut o = flat("bestbuy.com", "79.99", 70, 10, 3);
    o.extend(flat("bestbuy.com", "119.99", 10, 0, 2));
    o.push(with_list(obs(TODAY, "99.99", "bestbuy.com"), "119.99"));
    let r = score(&request("bestbuy.com", o)).expect("scores");
    assert_eq!(r.state, ScoreState::Scored);
    let why = reasons(&r);
    assert!(why.contains(&"list_above_30d_low".to_owned()), "{why:?}");
    assert!(
        why.contains(&"list_appeared_with_rise".to_owned()),
        "{why:?}"
    );
    let honest = r.honest_reference.as_ref().expect("reference");
    assert_eq!(honest.amount, dec("79.99"));
    assert_eq!(component(&r, "honest_discount").map(|c| c.value), Some(0.0));
    assert!(r.score.expect("scored") < 40, "{:?}", r.score);
    assert_points_add_up(&r);
}

#[test]
fn real_drop_after_a_stable_price_is_a_good_deal_without_flags() {
    let mut o = flat("amazon.com", "249.99", 90, 0, 2)
        .into_iter()
        .map(|x| with_list(x, "249.99"))
        .collect::<Vec<_>>();
    o.push(with_list(obs(TODAY, "199.99", "amazon.com"), "249.99"));
    let r = score(&request("amazon.com", o)).expect("scores");
    assert_eq!(r.flags.fake_discount, None);
    assert_eq!(
        r.honest_reference.as_ref().map(|h| h.amount),
        Some(dec("249.99"))
    );
    assert_eq!(component(&r, "all_time_low").map(|c| c.value), Some(1.0));
    // A 20 % cut from a price that never moved is far outside its spread.
    assert_eq!(
        r.flags.anomaly.as_ref().map(|a| a.direction.as_str()),
        Some("below")
    );
    assert!(r.score.expect("scored") >= 75, "{:?}", r.score);
    assert_points_add_up(&r);
}

#[test]
fn a_drop_some_days_ago_is_measured_against_the_30_days_before_it() {
    // 100 for two months, 80 since ten days ago; today still 80 "was 100".
    let mut o = flat("shop.example", "100.00", 70, 10, 2);
    o.extend(flat("shop.example", "80.00", 10, 0, 2));
    o.push(with_list(obs(TODAY, "80.00", "shop.example"), "100.00"));
    let r = score(&request("shop.example", o)).expect("scores");
    let h = r.honest_reference.as_ref().expect("reference");
    assert_eq!(h.rule, ReferenceRule::LowestBeforeDrop);
    assert_eq!(h.amount, dec("100.00"));
    assert_eq!(r.flags.fake_discount, None);
    let v = component(&r, "honest_discount").map_or(-1.0, |c| c.value);
    assert!((v - 0.2 / DISCOUNT_FULL).abs() < 1e-9, "{v}");
}

#[test]
fn progressive_reductions_count_from_their_first_step() {
    let mut o = flat("shop.example", "100.00", 60, 8, 2);
    o.extend(flat("shop.example", "90.00", 8, 3, 1));
    o.extend(flat("shop.example", "80.00", 3, 0, 1));
    o.push(with_list(obs(TODAY, "80.00", "shop.example"), "100.00"));
    let r = score(&request("shop.example", o)).expect("scores");
    let h = r.honest_reference.as_ref().expect("reference");
    assert_eq!(
        (h.rule, h.amount),
        (ReferenceRule::LowestBeforeDrop, dec("100.00"))
    );
    assert_eq!(r.flags.fake_discount, None);
}

#[test]
fn a_flash_sale_within_30_days_before_the_drop_lowers_the_reference() {
    // 120, one day at 80 twenty days ago, back to 120, then 100 since five days ago.
    let mut o = flat("shop.example", "120.00", 60, 21, 2);
    o.push(obs(TODAY - 20, "80.00", "shop.example"));
    o.extend(flat("shop.example", "120.00", 19, 5, 1));
    o.extend(flat("shop.example", "100.00", 5, 0, 1));
    o.push(with_list(obs(TODAY, "100.00", "shop.example"), "120.00"));
    let r = score(&request("shop.example", o)).expect("scores");
    assert_eq!(
        r.honest_reference.as_ref().map(|h| h.amount),
        Some(dec("80.00"))
    );
    assert!(reasons(&r).contains(&"list_above_30d_low".to_owned()));
    assert_eq!(component(&r, "honest_discount").map(|c| c.value), Some(0.0));
}

#[test]
fn thin_history_uses_the_page_claims_and_says_so() {
    let o = vec![
        obs(TODAY - 3, "59.99", "shop.example"),
        with_list(obs(TODAY, "49.99", "shop.example"), "79.99"),
    ];
    let mut req = request("shop.example", o.clone());
    req.page_claims.lowest_30d = Some(dec("54.99"));
    let r = score(&req).expect("scores");
    assert_eq!(r.state, ScoreState::LimitedHistory);
    assert!(r.based_on.iter().any(|b| b.source == "page_claims"));
    let h = r.honest_reference.as_ref().expect("reference");
    assert_eq!(
        (h.rule, h.amount),
        (ReferenceRule::PageLowest30d, dec("54.99"))
    );
    assert!(reasons(&r).contains(&"list_above_page_lowest_30d".to_owned()));
    assert!(component(&r, "percentile").is_none());
    assert!(r.skipped.iter().any(|s| s.key == "percentile"));
    assert!(
        r.summary.contains("only 2 day(s) of history"),
        "{}",
        r.summary
    );
    // 59.99 carried over three days is no spread to call 49.99 an anomaly against.
    assert_eq!(r.flags.anomaly, None);

    // A "lowest in 30 days" line above a price seen here is capped and flagged.
    let o = vec![
        obs(TODAY - 3, "50.00", "shop.example"),
        with_list(obs(TODAY, "52.00", "shop.example"), "54.99"),
    ];
    let mut req = request("shop.example", o);
    req.page_claims.lowest_30d = Some(dec("54.99"));
    let r = score(&req).expect("scores");
    assert_eq!(
        r.honest_reference.as_ref().map(|h| h.amount),
        Some(dec("50.00"))
    );
    assert!(reasons(&r).contains(&"page_lowest_30d_too_high".to_owned()));

    // A list price alone, with no price seen in 30 days, counts at half weight.
    let req = request(
        "shop.example",
        vec![with_list(obs(TODAY, "49.99", "shop.example"), "79.99")],
    );
    let r = score(&req).expect("scores");
    let h = r.honest_reference.as_ref().expect("reference");
    assert!(!h.verified);
    assert_eq!(
        component(&r, "honest_discount").and_then(|c| c.weight),
        Some(W_DISCOUNT / 2.0)
    );
}

#[test]
fn nothing_to_compare_with_is_a_state_not_a_guess() {
    let r = score(&request(
        "shop.example",
        vec![obs(TODAY, "34.50", "shop.example")],
    ))
    .expect("scores");
    assert_eq!(r.state, ScoreState::NotEnoughHistory);
    assert_eq!(r.score, None);
    assert!(r.components.is_empty());
    assert!(r.summary.contains("Not enough history"));
}

#[test]
fn other_merchants_compare_fresh_buyable_prices_in_the_same_currency() {
    let mut o = flat("amazon.com", "100.00", 40, 0, 2);
    o.push(obs(TODAY, "100.00", "amazon.com"));
    o.push(obs(TODAY - 2, "90.00", "walmart.com"));
    o.push(obs(TODAY - 20, "50.00", "target.com")); // too old
    let mut sold_out = obs(TODAY - 1, "60.00", "bestbuy.com");
    sold_out.availability = Some(Availability::SoldOut);
    o.push(sold_out);
    let mut req = request("amazon.com", o);
    req.other_merchants.push(MarketPrice {
        merchant: "www.ebay.com".into(),
        price: dec("70.00"),
        currency: Currency::from_code("EUR").expect("EUR"),
        at_ms: None,
        availability: None,
    });
    let r = score(&req).expect("scores");
    let names: Vec<&str> = r.market.iter().map(|m| m.merchant.as_str()).collect();
    assert_eq!(names, ["walmart.com"]);
    let v = component(&r, "market").map_or(-1.0, |c| c.value);
    assert!(v < 0.5, "dearer than walmart: {v}");
}

#[test]
fn stack_saving_lowers_the_net_price_and_earns_points() {
    let mut o = flat("amazon.com", "100.00", 40, 0, 2);
    o.push(obs(TODAY, "100.00", "amazon.com"));
    let base = score(&request("amazon.com", o.clone())).expect("scores");
    let mut req = request("amazon.com", o);
    req.stack_saving = Some(dec("15.00"));
    let r = score(&req).expect("scores");
    assert_eq!(r.net_price, Some(dec("85.00")));
    assert_eq!(component(&r, "stack_saving").map(|c| c.value), Some(1.0));
    assert_eq!(
        component(&r, "net_price_position").map(|c| c.value),
        Some(1.0)
    );
    assert!(r.score > base.score);
}

#[test]
fn anomaly_needs_two_standard_deviations() {
    let mut o: Vec<Observation> = (1..=30)
        .map(|i| {
            let p = if i % 2 == 0 { "100.00" } else { "90.00" };
            obs(TODAY - i, p, "shop.example")
        })
        .collect();
    o.push(obs(TODAY, "92.00", "shop.example"));
    let r = score(&request("shop.example", o.clone())).expect("scores");
    assert_eq!(r.flags.anomaly, None);
    o.pop();
    o.push(obs(TODAY, "70.00", "shop.example"));
    let r = score(&request("shop.example", o)).expect("scores");
    let a = r.flags.anomaly.expect("anomaly");
    assert_eq!(a.direction, "below");
    assert!(a.z < -ANOMALY_Z);
}

#[test]
fn reliability_pulls_the_score_towards_50() {
    let mut o = flat("shop.example", "100.00", 40, 0, 2);
    o.push(obs(TODAY, "70.00", "shop.example"));
    let mut req = request("shop.example", o);
    req.reliability.insert("shop.example".into(), 1.0);
    let sure = score(&req).expect("scores").score.expect("scored");
    req.reliability.insert("shop.example".into(), 0.5);
    let unsure = score(&req).expect("scores").score.expect("scored");
    assert!(sure > unsure && unsure >= 50, "{sure} {unsure}");
}

#[test]
fn errors_name_the_field() {
    let field = |json: &str| match parse_request(json) {
        Err(ScoreError::BadRequest { field, .. }) => field,
        Ok(_) => "accepted".into(),
    };
    let o = r#"{"at_ms":1,"price":"1.00","currency":"USD","merchant":"a.com"}"#;
    assert_eq!(
        field(&format!(
            r#"{{"now_ms":5,"merchant":"a.com","observations":[{o},{{"at_ms":1,"price":"-1","currency":"USD","merchant":"a.com"}}]}}"#
        )),
        "observations[1].price"
    );
    assert_eq!(
        field(r#"{"now_ms":5,"merchant":"a.com","observations":[{"at_ms":"x"}]}"#),
        "observations[0].at_ms"
    );
    assert_eq!(
        field(&format!(
            r#"{{"now_ms":5,"merchant":"a.com","observations":[{o}],"reliability":{{"ebay":1.5}}}}"#
        )),
        "reliability.ebay"
    );
    assert_eq!(
        field(r#"{"now_ms":5,"merchant":"a.com","colour":"red"}"#),
        "colour"
    );
    let no_current = score_json(&format!(
        r#"{{"now_ms":5,"merchant":"b.com","observations":[{o}]}}"#
    ));
    assert!(
        matches!(no_current, Err(ScoreError::BadRequest { ref field, .. }) if field == "observations"),
        "{no_current:?}"
    );
}

// ---- history: record, compact, import ----

fn key() -> ProductKey {
    ProductKey::Gtin("04006381333931".into())
}

#[test]
fn reloads_within_the_hour_add_no_point() {
    let mut h = History::default();
    let mut o = obs(TODAY, "10.00", "www.shop.example");
    assert_eq!(record(&mut h, key(), o.clone()), Ok(Recorded::Added));
    o.at_ms += 30 * 60_000;
    assert_eq!(record(&mut h, key(), o.clone()), Ok(Recorded::Duplicate));
    o.at_ms += 40 * 60_000; // 70 minutes after the first point
    assert_eq!(record(&mut h, key(), o.clone()), Ok(Recorded::Added));
    o.at_ms += 1;
    o.price = dec("9.00");
    assert_eq!(record(&mut h, key(), o.clone()), Ok(Recorded::Added));
    let list = &h.products[&key()];
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|x| x.merchant == "shop.example"));
    // Out of order: kept sorted.
    record(&mut h, key(), obs(TODAY - 5, "12.00", "shop.example")).expect("valid");
    let times: Vec<i64> = h.products[&key()].iter().map(|o| o.at_ms).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let mut bad = obs(TODAY, "0", "shop.example");
    bad.price = Decimal::ZERO;
    assert!(matches!(
        record(&mut h, key(), bad),
        Err(ScoreError::BadRequest { ref field, .. }) if field == "observation.price"
    ));
}

#[test]
fn compaction_keeps_daily_lows_after_30_days() {
    let mut h = History::default();
    let old = TODAY - 40;
    for (hour, price, avail) in [
        (1, "12.00", Availability::InStock),
        (5, "9.00", Availability::InStock),
        (9, "11.00", Availability::OutOfStock),
    ] {
        let mut o = obs(old, price, "shop.example");
        o.at_ms = old * DAY_MS + hour * HOUR_MS;
        o.availability = Some(avail);
        record(&mut h, key(), o).expect("valid");
    }
    for hour in [1, 2, 3] {
        let mut o = obs(TODAY - 2, &format!("{hour}0.00"), "shop.example");
        o.at_ms += hour * HOUR_MS;
        record(&mut h, key(), o).expect("valid");
    }
    compact(&mut h, NOW, &Limits::default());
    let list = &h.products[&key()];
    assert_eq!(list.len(), 4, "one old daily point and three recent ones");
    assert_eq!(list[0].price, dec("9.00"));
    assert_eq!(list[0].at_ms, old * DAY_MS + 5 * HOUR_MS);
    assert_eq!(list[0].availability, Some(Availability::OutOfStock));
}

#[test]
fn caps_drop_oldest_points_but_keep_the_low_and_then_least_recent_products() {
    let mut h = History::default();
    for d in 0..10 {
        let price = if d == 0 { "1.00" } else { "5.00" };
        let mut o = obs(TODAY - 10 + d, price, "shop.example");
        o.price = dec(price) + Decimal::from(d);
        record(&mut h, key(), o).expect("valid");
    }
    let other = ProductKey::Url("https://shop.example/p/2".into());
    record(
        &mut h,
        other.clone(),
        obs(TODAY - 20, "3.00", "shop.example"),
    )
    .expect("valid");
    let limits = Limits {
        per_product: 4,
        total: 4,
        full_resolution_days: 30,
    };
    compact(&mut h, NOW, &limits);
    assert!(
        !h.products.contains_key(&other),
        "least recently seen product dropped"
    );
    let list = &h.products[&key()];
    assert_eq!(list.len(), 4);
    assert_eq!(list[0].price, dec("1.00"), "the all-time low is pinned");
    assert_eq!(day_of(list[1].at_ms), TODAY - 3, "then the newest points");
}

#[test]
fn export_import_round_trips_and_names_bad_fields() {
    let mut h = History::default();
    record(&mut h, key(), obs(TODAY, "10.00", "shop.example")).expect("valid");
    let json = serde_json::to_string(&h).expect("serialise");
    assert!(json.contains(r#""gtin:04006381333931""#), "{json}");
    assert!(json.contains(r#""price":"10.00""#), "{json}");
    let back = parse_history(&json).expect("parses");
    assert_eq!(back, h);
    assert_eq!(merge(&mut h, back), Ok(0), "re-importing adds nothing");

    let bad = json.replace(r#""10.00""#, r#""-3""#);
    let err = parse_history(&bad).expect_err("negative price");
    assert!(
        matches!(&err, ScoreError::BadRequest { field, .. } if field == r#"products["gtin:04006381333931"][0].price"#),
        "{err:?}"
    );
    let err = parse_history(&json.replace("gtin:0400", "gtin:9400")).expect_err("bad GTIN");
    assert!(matches!(&err, ScoreError::BadRequest { field, .. } if field.starts_with("products")));
    let err = parse_history(&json.replace(r#""version":1"#, r#""version":7"#)).expect_err("v7");
    assert!(matches!(&err, ScoreError::BadRequest { field, .. } if field == "version"));
}

#[test]
fn every_score_example_runs() {
    let mut states = Vec::new();
    for (name, text) in common::examples("score-") {
        let r = score_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            r.score.is_none(),
            r.state == ScoreState::NotEnoughHistory,
            "{name}"
        );
        if r.score.is_some() {
            assert_points_add_up(&r);
        }
        assert!(!r.based_on.is_empty() && !r.summary.is_empty(), "{name}");
        assert!(!r.chart.series.is_empty(), "{name}");
        states.push(r.state);
    }
    assert!(states.len() >= 3, "only {} examples found", states.len());
    assert!(states.contains(&ScoreState::Scored));
    assert!(states.contains(&ScoreState::NotEnoughHistory));
}

// ---- properties ----

/// A random history at up to three merchants over 200 days, plus today's price at
/// `shop.example`.
fn history_strategy() -> impl Strategy<Value = Vec<Observation>> {
    prop::collection::vec(
        (
            0..200_i64,
            0..24_i64,
            100..20_000_i64,
            0..3_usize,
            prop::option::of(100..30_000_i64),
        ),
        0..120,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(d, h, cents, m, list)| Observation {
                at_ms: (TODAY - 1 - d) * DAY_MS + h * HOUR_MS,
                price: Decimal::new(cents, 2),
                list_price: list.map(|l| Decimal::new(l, 2)),
                currency: usd(),
                availability: Some(Availability::InStock),
                merchant: ["shop.example", "walmart.com", "amazon.com"][m].into(),
            })
            .collect()
    })
}

fn scored(
    mut o: Vec<Observation>,
    cents: i64,
    list: Option<i64>,
    saving: Option<i64>,
) -> Option<u8> {
    let mut today = obs(TODAY, "1", "shop.example");
    today.price = Decimal::new(cents, 2);
    today.list_price = list.map(|l| Decimal::new(l, 2));
    o.push(today);
    let mut req = request("shop.example", o);
    req.stack_saving = saving.map(|s| Decimal::new(s, 2));
    let r = score(&req).expect("valid request");
    if let Some(s) = r.score {
        assert!(s <= 100);
        assert_points_add_up(&r);
    }
    r.score
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn score_is_bounded_and_lower_prices_never_score_lower(
        o in history_strategy(),
        cents in 100..20_000_i64,
        cut in 1..5_000_i64,
        list in prop::option::of(100..30_000_i64),
        saving in prop::option::of(0..5_000_i64),
    ) {
        let lower = (cents - cut).max(1);
        let saving = saving.map(|s| s.min(lower));
        let hi = scored(o.clone(), cents, list, saving);
        let lo = scored(o, lower, list, saving);
        prop_assert_eq!(hi.is_some(), lo.is_some());
        prop_assert!(lo >= hi, "{:?} at {} vs {:?} at {}", lo, lower, hi, cents);
    }

    #[test]
    fn compaction_keeps_each_series_low_and_is_idempotent(
        o in history_strategy(),
        per_product in 1..80_usize,
    ) {
        let mut h = History::default();
        for x in o {
            record(&mut h, key(), x).expect("valid");
        }
        let lows = |h: &History| {
            let mut m: BTreeMap<String, Decimal> = BTreeMap::new();
            for x in h.products.values().flatten() {
                let e = m.entry(x.merchant.clone()).or_insert(x.price);
                *e = (*e).min(x.price);
            }
            m
        };
        let before = lows(&h);
        let limits = Limits { per_product, total: 10_000, full_resolution_days: 30 };
        compact(&mut h, NOW, &limits);
        prop_assert_eq!(lows(&h), before);
        let once = h.clone();
        compact(&mut h, NOW, &limits);
        prop_assert_eq!(h, once);
    }

    #[test]
    fn recording_the_same_visits_again_changes_nothing(o in history_strategy()) {
        let mut h = History::default();
        for x in &o {
            record(&mut h, key(), x.clone()).expect("valid");
        }
        let once = h.clone();
        for x in &o {
            record(&mut h, key(), x.clone()).expect("valid");
        }
        prop_assert_eq!(h, once);
    }
}

const URL_PIECES: &[&str] = &[
    "https://",
    "http://",
    "HTTP://",
    "a",
    "B",
    "shop",
    ".",
    ":",
    ":443",
    ":80",
    "@",
    "/",
    "//",
    "?",
    "&",
    "=",
    "#",
    "ref=x",
    "utm_source=y",
    "tag=z",
    "id=1",
    "İ",
    "ß",
    " ",
    "%20",
    "[",
    "]",
    "-",
    "\u{a0}",
    "ö",
];

fn url_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(URL_PIECES), 0..14).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// A key is a storage key: whatever the page gives, the key written reads back as itself.
    #[test]
    fn identity_keys_read_back_as_written(
        url in url_text(),
        merchant in prop::option::of(url_text()),
        sku in prop::option::of("[ a-zA-Z0-9:]{0,8}"),
        gtin in prop::option::of("[0-9 -]{0,16}"),
    ) {
        let r = ProductRef { gtin, merchant, sku, url: Some(url.clone()) };
        if let Some(k) = identity(&r) {
            prop_assert_eq!(ProductKey::parse(&k.to_string()), Ok(k.clone()));
        }
        if let Some(c) = canonical_url(&url) {
            prop_assert_eq!(canonical_url(&c), Some(c.clone()), "from {:?}", url);
        }
    }
}

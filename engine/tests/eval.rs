//! The scorer on hand-made truth / prediction sets whose P/R/F1 are computed by hand.

use std::collections::BTreeMap;

use engine::eval::{parse_ground_truth, parse_predictions, score, Field, FieldScore};

fn field(report: &engine::eval::Report, f: Field) -> FieldScore {
    *report
        .fields
        .iter()
        .find(|s| s.field == f)
        .expect("every field is scored")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

const TRUTH: &str = r#"{
  "a": {"url": "https://a.example/p", "price": ["1234.50"], "brand": ["Acme"], "sku": ["S1"],
        "availability": ["InStock"], "currency": ["$"]},
  "b": {"url": "https://b.example/p", "price": ["10", "12.00"], "sku": ["S2", "S2-alt"],
        "availability": ["OutOfStock"]},
  "c": {"url": "https://c.example/p", "price": ["99"], "gtin": ["0123456789012"]},
  "d": {"url": "https://d.example/p", "price": "5", "mpn": null, "brand": []}
}"#;

#[test]
fn right_wrong_missing_and_unexpected_values_count_as_specified() {
    let truth = parse_ground_truth(TRUTH).expect("truth");
    let predictions = parse_predictions(
        r#"{
      "a": {"price": "1234.5", "brand": "ACME", "sku": "S1", "availability": "InStock",
            "title": "ignored", "extra": [1, 2]},
      "b": {"price": 12, "sku": "S3", "availability": "InStock", "mpn": "M9"},
      "c": {"price": "100", "gtin": "0123456789012"},
      "d": {"brand": "Nobody", "price": null},
      "zz": {"price": "1"}
    }"#,
    )
    .expect("predictions");
    let r = score(&truth, &predictions);
    assert_eq!(r.pages, 4);
    assert!(r.missing.is_empty());

    // price: a (1234.5 == 1234.50) TP; b (12 == 12.00, any listed value) TP; c wrong → FP+FN;
    // d missing → FN. P = 2/3, R = 2/4, F1 = 2·(2/3)(1/2)/(2/3+1/2) = 4/7.
    let price = field(&r, Field::Price);
    assert_eq!((price.tp, price.fp, price.fn_), (2, 1, 2));
    assert!(close(price.precision(), 2.0 / 3.0));
    assert!(close(price.recall(), 0.5));
    assert!(close(price.f1(), 4.0 / 7.0));

    // brand: a "ACME" vs "Acme" TP (case-insensitive); d has none expected → FP.
    let brand = field(&r, Field::Brand);
    assert_eq!((brand.tp, brand.fp, brand.fn_), (1, 1, 0));
    assert!(close(brand.precision(), 0.5));
    assert!(close(brand.recall(), 1.0));
    assert!(close(brand.f1(), 2.0 / 3.0));

    // sku: a TP, b wrong (S3) → FP+FN. P = R = F1 = 1/2.
    let sku = field(&r, Field::Sku);
    assert_eq!((sku.tp, sku.fp, sku.fn_), (1, 1, 1));
    assert!(close(sku.f1(), 0.5));

    // availability: a TP, b wrong → FP+FN.
    let av = field(&r, Field::Availability);
    assert_eq!((av.tp, av.fp, av.fn_), (1, 1, 1));

    // gtin: c TP only. P = R = F1 = 1.
    let gtin = field(&r, Field::Gtin);
    assert_eq!((gtin.tp, gtin.fp, gtin.fn_), (1, 0, 0));
    assert!(close(gtin.f1(), 1.0));

    // mpn: b predicted where none is expected → FP; nothing right: all zero.
    let mpn = field(&r, Field::Mpn);
    assert_eq!((mpn.tp, mpn.fp, mpn.fn_), (0, 1, 0));
    assert!(close(mpn.precision(), 0.0) && close(mpn.recall(), 0.0) && close(mpn.f1(), 0.0));
}

#[test]
fn pages_without_a_prediction_are_scored_as_empty_and_listed() {
    let truth = parse_ground_truth(TRUTH).expect("truth");
    let r = score(&truth, &BTreeMap::new());
    assert_eq!(r.missing, ["a", "b", "c", "d"]);
    let price = field(&r, Field::Price);
    assert_eq!((price.tp, price.fp, price.fn_), (0, 0, 4));
    // Nothing predicted: precision is reported as 0, not NaN.
    assert!(close(price.precision(), 0.0) && close(price.f1(), 0.0));
    let empty_page = parse_predictions(r#"{"a": {}, "b": null}"#).expect("predictions");
    let r = score(&truth, &empty_page);
    assert_eq!(r.missing, ["c", "d"]);
}

#[test]
fn decimal_equality_ignores_trailing_zeros_but_not_value() {
    let truth = parse_ground_truth(r#"{"k": {"url": "https://x.example/", "price": ["1234.50"]}}"#)
        .expect("truth");
    for (predicted, right) in [
        ("1234.5", true),
        ("1234.500", true),
        (" 1234.50 ", true),
        ("1234.51", false),
        ("1,234.50", false),
    ] {
        let p = parse_predictions(&format!(r#"{{"k": {{"price": "{predicted}"}}}}"#))
            .expect("predictions");
        let s = field(&score(&truth, &p), Field::Price);
        assert_eq!(s.tp == 1, right, "{predicted}");
    }
}

#[test]
fn report_renders_as_a_table_and_as_json() {
    let truth = parse_ground_truth(TRUTH).expect("truth");
    let p = parse_predictions(r#"{"a": {"price": "1234.5"}}"#).expect("predictions");
    let r = score(&truth, &p);
    let table = r.table();
    assert!(table.starts_with("field"), "{table}");
    assert!(table.contains("price"), "{table}");
    assert!(table.contains("3 without a prediction"), "{table}");
    let json = r.to_json();
    assert_eq!(json["fields"]["price"]["tp"], 1);
    assert_eq!(json["fields"]["price"]["fn"], 3);
    assert_eq!(json["pages"], 4);
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    assert!(parse_ground_truth("[]").is_err());
    assert!(
        parse_ground_truth(r#"{"k": {"price": ["1"]}}"#).is_err(),
        "url required"
    );
    assert!(parse_predictions(r#"{"k": "1"}"#).is_err());
}

#[test]
fn a_product_becomes_a_row_with_plain_decimal_price_and_two_availabilities() {
    use engine::money::{Currency, Money};
    use engine::product::{Availability, Product};
    let mut product = Product {
        title: "Thing".into(),
        price: Some(Money::new(
            "1234.56".parse().expect("decimal"),
            Currency::from_code("EUR").expect("EUR"),
        )),
        availability: Some(Availability::PreOrder),
        brand: Some("Acme".into()),
        sku: None,
        gtin: None,
        mpn: None,
        image: None,
        category: Vec::new(),
        url: "https://x.example/".into(),
        list_price: None,
        evidence: Vec::new(),
    };
    let row = engine::eval::prediction_from_product(&product);
    assert_eq!(row.price.as_deref(), Some("1234.56"));
    assert_eq!(row.currency.as_deref(), Some("EUR"));
    assert_eq!(row.availability.as_deref(), Some("InStock"));
    let json = serde_json::to_string(&row).expect("json");
    assert_eq!(
        json,
        r#"{"availability":"InStock","brand":"Acme","currency":"EUR","price":"1234.56","title":"Thing"}"#
    );
    product.availability = Some(Availability::SoldOut);
    let row = engine::eval::prediction_from_product(&product);
    assert_eq!(row.availability.as_deref(), Some("OutOfStock"));
}

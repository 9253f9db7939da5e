//! Price strings as shown on real pages (fixtures/price-texts.jsonl) read into the right
//! amount, currency and range / from / per-unit flags. Each fixture lists the fields it
//! checks; `null` means the field must be absent.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use engine::price_text::{parse_price, PriceHint};
use rust_decimal::Decimal;
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/price-texts.jsonl");

fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(w), Value::String(g)) => {
            match (Decimal::from_str(w), Decimal::from_str(g)) {
                (Ok(w), Ok(g)) => w == g,
                _ => w == g,
            }
        }
        _ => want == got,
    }
}

#[test]
fn price_fixture_texts_read_the_right_amount_and_currency() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (n, line) in FIXTURES
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        total += 1;
        let fixture: Value = serde_json::from_str(line).unwrap();
        let text = fixture["text"].as_str().unwrap();
        let hint = fixture["hint"]
            .as_str()
            .map(PriceHint::from_free_text)
            .unwrap_or_default();
        let got = serde_json::to_value(parse_price(text, &hint)).unwrap();
        let wrong: Vec<String> = fixture["expected"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, want)| !same(want, &got[k.as_str()]))
            .map(|(k, want)| format!("{k}: want {want}, got {}", got[k.as_str()]))
            .collect();
        if !wrong.is_empty() {
            failures.push(format!(
                "line {}: {text:?}\n    {}",
                n + 1,
                wrong.join("\n    ")
            ));
        }
    }
    println!(
        "{} of {total} price texts read into the right amount and currency",
        total - failures.len()
    );
    assert!(total >= 60, "at least 60 fixtures");
    assert!(failures.is_empty(), "mis-read:\n{}", failures.join("\n"));
}

#[test]
fn an_explicit_sign_beats_the_hint() {
    let hint = PriceHint::from_free_text("https://www.ebay.ca/itm/1");
    let p = parse_price("GBP 11.19 + C $2.00 shipping", &hint);
    assert_eq!(p.currency.map(|c| c.code()), Some("GBP"));
    assert_eq!(p.amount, Decimal::from_str("11.19").ok());
}

#[test]
fn a_dollar_with_a_hint_outside_the_dollar_family_stays_unknown() {
    let p = parse_price("$12.99", &PriceHint::from_free_text("EUR"));
    assert_eq!(p.currency, None);
    assert_eq!(p.amount, Decimal::from_str("12.99").ok());
}

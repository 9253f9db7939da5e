//! Offer wording from real retailers (fixtures/offer-texts.jsonl) parses into the right kind
//! with the right numbers. Each fixture lists only the fields it checks; `null` means the
//! field must be absent.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use engine::offer_text::{parse_offer, OfferContext};
use rust_decimal::Decimal;
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/offer-texts.jsonl");

/// Decimal strings compare by value (`"5"` = `"5.00"`), everything else exactly.
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
fn offer_fixture_texts_parse_into_the_right_offer() {
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
        let ctx = OfferContext {
            url: fixture["url"].as_str().map(str::to_owned),
            lang: None,
        };
        let got = serde_json::to_value(parse_offer(text, &ctx)).unwrap();
        assert_eq!(got["raw"], Value::String(text.to_owned()), "raw text kept");
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
        "{} of {total} fixture texts parsed into the right offer with the right numbers",
        total - failures.len()
    );
    assert!(total >= 40, "at least 40 fixtures");
    assert!(failures.is_empty(), "mis-parsed:\n{}", failures.join("\n"));
}

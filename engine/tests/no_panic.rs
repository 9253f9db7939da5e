//! Price, offer and URL parsing never panic, whatever the page throws at them.

use engine::merchant::registrable_domain;
use engine::offer_text::{parse_offer, OfferContext};
use engine::price_text::{find_amounts, parse_price, PriceHint};

const PIECES: &[&str] = &[
    "1", "9", "0", ".", ",", " ", "\u{a0}", "\u{202f}", "'", "’", "-", "–", "/", "%", "+", "$",
    "€", "£", "₹", "¥", "元", "R$", "NT$", "kr", "zł", "Kč", "руб.", "б.р.", "Rs.", "CHF", "USD",
    "ALL", "R", "Ft", "from", "up to", "min", "code", "SAVE20", "buy", "get", "for", "free", "was",
    "now", "off", "x", "(", ")", "İ", "ß", "\u{0301}", "🙂", "\n", ":", "@", "http://", "[", "]",
    "..", "emi", "non-emi", "per", "100g", "起", "ends", "3/31",
];

/// A small deterministic generator (xorshift) so the test needs no extra crates.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn parsers_survive_random_and_hostile_text() {
    let hints = [
        PriceHint::default(),
        PriceHint::from_free_text("https://www.paris.cl/x"),
        PriceHint::from_free_text("KWD"),
        PriceHint::from_free_text("pl-PL"),
        PriceHint::from_free_text("https://www.takealot.com.za/"),
    ];
    let ctx = OfferContext {
        url: Some("https://www.amazon.in/x".into()),
        lang: None,
    };
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut parsed = 0;
    for round in 0..4000 {
        let len = usize::try_from(next(&mut state) % 14).unwrap_or(0);
        let text: String = (0..len)
            .map(|_| PIECES[usize::try_from(next(&mut state)).unwrap_or(0) % PIECES.len()])
            .collect();
        let hint = &hints[round % hints.len()];
        let p = parse_price(&text, hint);
        if let Some(a) = p.amount {
            assert!(!a.is_sign_negative(), "{text:?} gave a negative amount");
            parsed += 1;
        }
        for a in find_amounts(&text, hint) {
            assert!(
                a.start <= a.end && a.end <= text.chars().count(),
                "{text:?}"
            );
        }
        let o = parse_offer(&text, &ctx);
        assert_eq!(o.raw, text);
        let _ = registrable_domain(&text);
    }
    assert!(
        parsed > 100,
        "the generator should produce readable prices too"
    );
    for weird in [
        "9".repeat(200),
        "1,".repeat(100),
        "$".repeat(50),
        "\u{0}\u{ffff}".into(),
        "99999999999999999999999999999999999 €".into(),
        "http://[::1".into(),
        "://".into(),
        "@:".into(),
    ] {
        let _ = parse_price(&weird, &PriceHint::default());
        let _ = parse_offer(&weird, &OfferContext::default());
        let _ = registrable_domain(&weird);
    }
}

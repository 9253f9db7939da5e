//! The shipped data parses and keeps its promises: every card and merchant names its source,
//! a "valid as of" date and `verified: false` (nobody has checked them against the source yet).

use engine::stack::model::{Date, Valuation};
use engine::stack::{catalogue, merchants};

#[test]
fn card_catalogue_has_25_plus_sourced_unverified_cards() {
    let cat = catalogue::load().expect("engine/data/cards.json parses");
    assert!(cat.cards.len() >= 25, "{} cards", cat.cards.len());
    for country in ["US", "IN"] {
        assert!(
            cat.cards.iter().filter(|c| c.country == country).count() >= 8,
            "{country}"
        );
    }
    for c in &cat.cards {
        assert!(
            c.source.starts_with("https://"),
            "{}: source {}",
            c.id,
            c.source
        );
        assert!(
            Date::parse(&c.valid_as_of).is_some(),
            "{}: valid_as_of",
            c.id
        );
        assert!(
            !c.verified,
            "{}: marked verified without a person checking",
            c.id
        );
        assert_eq!(
            cat.cards.iter().filter(|o| o.id == c.id).count(),
            1,
            "{}: duplicate",
            c.id
        );
        assert!(
            c.rules.earn.block > rust_decimal::Decimal::ZERO,
            "{}: block",
            c.id
        );
        for v in [
            Valuation::Conservative,
            Valuation::PointsGuy,
            Valuation::FrequentMiler,
        ] {
            assert!(
                catalogue::point_value(&c.rules.points_program, v).is_some(),
                "{}: programme {} has no valuation",
                c.id,
                c.rules.points_program
            );
        }
        assert!(catalogue::card(&c.id).is_some());
    }
    for p in &cat.programs {
        assert!(p.source.starts_with("https://") && !p.verified, "{}", p.id);
        assert!(Date::parse(&p.valid_as_of).is_some(), "{}", p.id);
    }
}

#[test]
fn published_valuations_match_the_notes_table() {
    // stacking-rules.md: TPG Jan 2026 / Frequent Miler, cents per point.
    let rows = [
        ("amex_mr", "0.02", "0.015"),
        ("chase_ur", "0.0205", "0.015"),
        ("capital_one_miles", "0.0185", "0.0145"),
        ("citi_thankyou", "0.019", "0.0145"),
        ("bilt", "0.022", "0.0155"),
    ];
    for (program, tpg, fm) in rows {
        let v = |val| catalogue::point_value(program, val).map(|d| d.to_string());
        assert_eq!(v(Valuation::PointsGuy).as_deref(), Some(tpg), "{program}");
        assert_eq!(
            v(Valuation::FrequentMiler).as_deref(),
            Some(fm),
            "{program}"
        );
    }
}

#[test]
fn merchant_profiles_cover_50_plus_us_and_indian_shops() {
    let data = merchants::load().expect("engine/data/merchants.json parses");
    assert!(data.merchants.len() >= 50, "{}", data.merchants.len());
    for country in ["US", "IN"] {
        let n = data
            .merchants
            .iter()
            .filter(|m| m.country.as_deref() == Some(country))
            .count();
        assert!(n >= 20, "{country}: {n}");
    }
    for m in &data.merchants {
        let src = m.source.as_deref().unwrap_or_default();
        assert!(src.starts_with("https://"), "{}: source", m.domain);
        assert!(
            m.valid_as_of.as_deref().and_then(Date::parse).is_some(),
            "{}: valid_as_of",
            m.domain
        );
        assert!(!m.verified, "{}", m.domain);
        assert_eq!(m.domain, m.domain.to_ascii_lowercase(), "{}", m.domain);
        assert_eq!(
            data.merchants
                .iter()
                .filter(|o| o.domain == m.domain)
                .count(),
            1,
            "{}: duplicate",
            m.domain
        );
    }
}

#[test]
fn profile_lookup_by_registrable_domain_with_default() {
    assert_eq!(
        merchants::profile_for_domain("amazon.in").reward_category,
        "amazon.in"
    );
    assert_eq!(
        merchants::profile_for_domain("WWW.Flipkart.com").domain,
        "flipkart.com"
    );
    let other = merchants::profile_for_domain("corner-shop.example");
    assert_eq!(other.domain, "corner-shop.example");
    assert_eq!(other.reward_category, "general");
    assert!(other.outside_coupon_voids_portal);
}

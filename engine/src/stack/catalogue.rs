//! The card catalogue shipped as data (`engine/data/cards.json`): popular US and Indian cards
//! with their reward rules, and default point valuations. Every entry names the issuer's page
//! it was taken from, a "valid as of" date and `verified: false` until a person has checked it
//! against that page. Users add their own cards in the request (`wallet.cards[].rules`).

use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{CardRules, Earn, Valuation};

const CARDS_JSON: &str = include_str!("../../data/cards.json");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub about: String,
    pub programs: Vec<Program>,
    pub cards: Vec<CatalogueCard>,
}

/// A points programme and what one point is worth, in `currency`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub id: String,
    pub name: String,
    pub currency: String,
    /// Cash-redemption floor.
    pub conservative: Decimal,
    #[serde(default)]
    pub points_guy: Option<Decimal>,
    #[serde(default)]
    pub frequent_miler: Option<Decimal>,
    pub source: String,
    pub valid_as_of: String,
    pub verified: bool,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueCard {
    pub id: String,
    pub country: String,
    pub rules: CardRules,
    pub source: String,
    pub valid_as_of: String,
    pub verified: bool,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The parsed catalogue, or the parse error (tests/stack_data.rs keeps it parseable).
pub fn load() -> Result<&'static Catalogue, &'static str> {
    static CATALOGUE: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| serde_json::from_str(CARDS_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

pub fn card(id: &str) -> Option<&'static CatalogueCard> {
    load().ok()?.cards.iter().find(|c| c.id == id)
}

/// Value of one point of `program` under `valuation`; published valuations fall back to the
/// conservative one where none is published. `cash` is always worth one unit.
pub fn point_value(program: &str, valuation: Valuation) -> Option<Decimal> {
    if program == "cash" {
        return Some(Decimal::ONE);
    }
    let p = load().ok()?.programs.iter().find(|p| p.id == program)?;
    Some(match valuation {
        Valuation::Conservative => p.conservative,
        Valuation::PointsGuy => p.points_guy.unwrap_or(p.conservative),
        Valuation::FrequentMiler => p.frequent_miler.unwrap_or(p.conservative),
    })
}

/// One card of the bundled catalogue, as the options page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub network: String,
    /// ISO 3166 country code (`US`, `IN`).
    pub country: String,
    /// The reward rules in a line: "5 per 100 on online_shopping (cap 20000/…), 1 per 100".
    pub summary: String,
    /// `false` until a person checked the rules against `source`.
    pub verified: bool,
    pub source: String,
}

/// The catalogue as the options page lists it, in file order.
pub fn entries() -> Vec<CatalogueEntry> {
    let Ok(cat) = load() else {
        return Vec::new();
    };
    cat.cards
        .iter()
        .map(|c| CatalogueEntry {
            id: c.id.clone(),
            name: c.rules.name.clone(),
            issuer: c.rules.issuer.clone(),
            network: c.rules.network.clone(),
            country: c.country.clone(),
            summary: summary(&c.rules),
            verified: c.verified,
            source: c.source.clone(),
        })
        .collect()
}

/// The reward rules in words: "5 % back on online_shopping (up to 20000 a statement
/// month); 1 % back on everything else".
pub fn summary(rules: &CardRules) -> String {
    let earn = |rate: Decimal| {
        let e = Earn { rate, ..rules.earn };
        if rules.points_program == "cash" && !e.block.is_zero() {
            format!(
                "{} % back",
                (e.rate / e.block * Decimal::ONE_HUNDRED).normalize()
            )
        } else {
            format!("{} points per {}", e.rate.normalize(), e.block.normalize())
        }
    };
    let mut parts: Vec<String> = rules
        .categories
        .iter()
        .map(|c| {
            let mut s = format!("{} on {}", earn(c.rate), c.category.replace('_', " "));
            if let Some(cap) = c.cap {
                s.push_str(&format!(" (up to {} spend", cap.normalize()));
                if let Some(period) = &c.period {
                    s.push_str(&format!(" a {}", period.replace('_', " ")));
                }
                s.push(')');
            }
            s
        })
        .collect();
    let base = earn(rules.earn.rate);
    parts.push(if parts.is_empty() {
        base
    } else {
        format!("{base} on everything else")
    });
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_is_listed_with_its_rules_in_words() {
        let list = entries();
        assert_eq!(list.len(), load().expect("catalogue").cards.len());
        let millennia = list
            .iter()
            .find(|e| e.id == "hdfc-millennia")
            .expect("Millennia is in the catalogue");
        assert_eq!(millennia.issuer, "HDFC Bank");
        assert!(
            millennia.summary.contains("% back on"),
            "{}",
            millennia.summary
        );
        assert!(
            millennia.summary.ends_with("on everything else"),
            "{}",
            millennia.summary
        );
        assert!(
            list.iter().all(|e| !e.verified),
            "nobody has checked them yet"
        );
    }
}

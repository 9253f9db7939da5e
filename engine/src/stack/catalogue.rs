//! The card catalogue shipped as data (`engine/data/cards.json`): popular US and Indian cards
//! with their reward rules, and default point valuations. Every entry names the issuer's page
//! it was taken from, a "valid as of" date and `verified: false` until a person has checked it
//! against that page. Users add their own cards in the request (`wallet.cards[].rules`).

use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{CardRules, Valuation};

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

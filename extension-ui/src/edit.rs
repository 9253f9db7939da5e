//! Pure helpers of the options page (and the popup's one-click card): reading form text into
//! wallet types and making ids.
//! Whether a wallet is acceptable is the engine's call (`engine::wallet::validate`, run by the
//! background on every save); these only turn typed text into values, with errors that name
//! the field.

use std::collections::BTreeSet;
use std::str::FromStr;

use engine::money::Currency;
use engine::stack::catalogue::CatalogueEntry;
use engine::stack::{CardRules, CardType, CategoryEarn, Date, Earn, EarnRounding};
use engine::wallet::Card;
use rust_decimal::Decimal;

use crate::i18n::{t, tr};

/// A decimal typed by a person (`12.50`). Commas are refused rather than guessed: `1,250`
/// and `12,50` mean different things in different countries.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(tr("editEnterNumber", "$1: enter a number", &[field]));
    }
    if t.contains(',') {
        return Err(tr(
            "editComma",
            "$1: `$2` has a comma; write the number with a dot for decimals and no separators (1250.50)",
            &[field, t],
        ));
    }
    Decimal::from_str(t).map_err(|_| {
        tr(
            "editNotNumber",
            "$1: `$2` is not a number (for example 12.50)",
            &[field, t],
        )
    })
}

/// Like [`parse_decimal`], but an empty field means "none".
pub fn parse_optional_decimal(field: &str, text: &str) -> Result<Option<Decimal>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_decimal(field, text).map(Some)
    }
}

/// A whole number of days (`0` when empty).
pub fn parse_days(field: &str, text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse().map_err(|_| {
        tr(
            "editNotDays",
            "$1: `$2` is not a whole number of days",
            &[field, t],
        )
    })
}

/// A date from `<input type="date">` (`YYYY-MM-DD`); empty means none.
pub fn parse_optional_date(field: &str, text: &str) -> Result<Option<Date>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Date::parse(t).map(Some).ok_or_else(|| {
        tr(
            "editNotDate",
            "$1: `$2` is not a date (YYYY-MM-DD)",
            &[field, t],
        )
    })
}

/// An ISO 4217 code (`inr` → INR).
pub fn parse_currency(field: &str, text: &str) -> Result<Currency, String> {
    let t = text.trim().to_ascii_uppercase();
    Currency::from_code(&t).map_err(|_| {
        tr(
            "editNotCurrency",
            "$1: `$2` is not an ISO currency code (INR, USD)",
            &[field, &t],
        )
    })
}

/// A text field that may be left empty.
pub fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Lower-case letters, digits and single dashes: `My Amex Gold!` → `my-amex-gold`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(60);
    out
}

/// `base` (as a slug, `fallback` when that is empty), or `base-2`, `base-3`… when taken, so ids
/// stay readable in exports and unique within their list.
pub fn unique_id<'a>(
    base: &str,
    fallback: &str,
    taken: impl IntoIterator<Item = &'a str>,
) -> String {
    let taken: BTreeSet<&str> = taken.into_iter().collect();
    let mut stem = slug(base);
    if stem.is_empty() {
        stem = fallback.to_owned();
    }
    if !taken.contains(stem.as_str()) {
        return stem;
    }
    (2..)
        .map(|n| format!("{stem}-{n}"))
        .find(|id| !taken.contains(id.as_str()))
        .unwrap_or(stem)
}

/// A catalogue card for the wallet: its id is the catalogue id, numbered when held twice.
pub fn catalogue_card(catalogue_id: &str, wallet: &[Card]) -> Card {
    Card {
        id: unique_id(catalogue_id, "card", wallet.iter().map(|c| c.id.as_str())),
        nickname: String::new(),
        catalogue: Some(catalogue_id.to_owned()),
        rules: None,
        cap_used: Default::default(),
    }
}

/// Catalogue entries whose name or issuer holds every word of `query` (any case).
pub fn search<'a>(entries: &'a [CatalogueEntry], query: &str) -> Vec<&'a CatalogueEntry> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    entries
        .iter()
        .filter(|e| {
            let hay = format!("{} {}", e.name, e.issuer).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

/// The custom-card form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomCardForm {
    pub name: String,
    pub issuer: String,
    pub network: String,
    pub debit: bool,
    pub currency: String,
    /// `true`: points in `programme`; `false`: cash back.
    pub points: bool,
    pub programme: String,
    pub rate: String,
    pub block: String,
    pub whole_blocks: bool,
    pub bonus_category: String,
    pub bonus_rate: String,
    pub bonus_cap: String,
    pub bonus_period: String,
}

/// Builds a card with its own rules from the form (the id from its name, unique in `wallet`).
pub fn custom_card(form: &CustomCardForm, wallet: &[Card]) -> Result<Card, String> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(t("editCardName", "Name: enter the card's name"));
    }
    let required = |text: &str, missing: fn() -> String| optional_text(text).ok_or_else(missing);
    let points_program = if form.points {
        let p = slug(&form.programme).replace('-', "_");
        if p.is_empty() {
            return Err(t(
                "editCardProgramme",
                "Points programme: enter its name (for example hdfc_rp)",
            ));
        }
        p
    } else {
        "cash".to_owned()
    };
    let block = match optional_text(&form.block) {
        None => Decimal::ONE,
        Some(b) => parse_decimal(&t("cardsPerAmount", "Per amount spent"), &b)?,
    };
    let mut categories = Vec::new();
    if let Some(category) = optional_text(&form.bonus_category) {
        categories.push(CategoryEarn {
            category: category.to_lowercase().replace(' ', "_"),
            rate: parse_decimal(&t("editBonusRate", "Bonus rate"), &form.bonus_rate)?,
            cap: parse_optional_decimal(&t("editBonusCap", "Bonus cap"), &form.bonus_cap)?,
            period: optional_text(&form.bonus_period).map(|p| p.to_lowercase().replace(' ', "_")),
        });
    } else if [&form.bonus_rate, &form.bonus_cap, &form.bonus_period]
        .iter()
        .any(|t| !t.trim().is_empty())
    {
        return Err(t(
            "editBonusCategory",
            "Bonus category: name the category the bonus rate is for, or clear the bonus fields",
        ));
    }
    let rules = CardRules {
        name: name.to_owned(),
        issuer: required(&form.issuer, || {
            t("editCardIssuer", "Issuer: enter the card's issuer")
        })?,
        network: required(&form.network, || {
            t("editCardNetwork", "Network: enter the card's network")
        })?,
        card_type: if form.debit {
            CardType::Debit
        } else {
            CardType::Credit
        },
        home_currency: parse_currency(&t("cardsCurrency", "Home currency"), &form.currency)?,
        points_program,
        earn: Earn {
            rate: parse_decimal(&t("cardsBaseRate", "Base earn rate"), &form.rate)?,
            block,
            rounding: if form.whole_blocks {
                EarnRounding::PerBlock
            } else {
                EarnRounding::Exact
            },
        },
        categories,
    };
    Ok(Card {
        id: unique_id(name, "card", wallet.iter().map(|c| c.id.as_str())),
        nickname: String::new(),
        catalogue: None,
        rules: Some(rules),
        cap_used: Default::default(),
    })
}

/// Domains typed one per line or separated by commas or spaces.
pub fn parse_sites(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The background's refusal (`cards[0].catalogue: no card …`) split into where and what;
/// messages without a path come back whole.
pub fn split_error(message: &str) -> (Option<&str>, &str) {
    match message.split_once(": ") {
        Some((path, rest))
            if !path.is_empty()
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]-".contains(c)) =>
        {
            (Some(path), rest)
        }
        _ => (None, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn decimals_are_read_exactly_and_commas_are_refused_with_a_reason() {
        assert_eq!(parse_decimal("Balance", " 300 "), Ok(dec("300")));
        assert_eq!(parse_decimal("Balance", "12.50"), Ok(dec("12.50")));
        let e = parse_decimal("Balance", "12,50").expect_err("comma");
        assert!(e.starts_with("Balance: ") && e.contains("comma"), "{e}");
        let e = parse_decimal("Balance", "abc").expect_err("text");
        assert!(e.contains("`abc` is not a number"), "{e}");
        assert!(parse_decimal("Balance", "  ")
            .expect_err("empty")
            .contains("enter a number"));
        assert_eq!(parse_optional_decimal("Cap", ""), Ok(None));
        assert_eq!(parse_optional_decimal("Cap", "1000"), Ok(Some(dec("1000"))));
    }

    #[test]
    fn days_dates_and_currencies() {
        assert_eq!(parse_days("Delay", ""), Ok(0));
        assert_eq!(parse_days("Delay", "90"), Ok(90));
        assert!(parse_days("Delay", "1.5").is_err());
        assert_eq!(parse_optional_date("Expiry", ""), Ok(None));
        assert_eq!(
            parse_optional_date("Expiry", "2027-01-31").map(|d| d.map(|d| d.to_string())),
            Ok(Some("2027-01-31".into()))
        );
        assert!(parse_optional_date("Expiry", "31/01/2027").is_err());
        assert_eq!(
            parse_currency("Currency", "inr").map(Currency::code),
            Ok("INR")
        );
        assert!(parse_currency("Currency", "rupees").is_err());
    }

    #[test]
    fn shops_are_read_one_per_line_or_comma_separated() {
        assert_eq!(
            parse_sites("amazon.in\n  flipkart.com, www.myntra.com\n\n"),
            vec!["amazon.in", "flipkart.com", "www.myntra.com"]
        );
        assert!(parse_sites(" \n ").is_empty());
    }

    #[test]
    fn ids_are_readable_and_numbered_when_taken() {
        assert_eq!(slug("  My Amex Gold! "), "my-amex-gold");
        assert_eq!(slug("amazon.in"), "amazon-in");
        assert_eq!(unique_id("hdfc-millennia", "card", []), "hdfc-millennia");
        assert_eq!(
            unique_id(
                "hdfc-millennia",
                "card",
                ["hdfc-millennia", "hdfc-millennia-2"]
            ),
            "hdfc-millennia-3"
        );
        assert_eq!(unique_id("!!!", "gift", ["gift"]), "gift-2");
    }

    #[test]
    fn a_catalogue_card_added_twice_gets_a_suffix() {
        let first = catalogue_card("hdfc-millennia", &[]);
        assert_eq!(first.id, "hdfc-millennia");
        assert_eq!(first.catalogue.as_deref(), Some("hdfc-millennia"));
        let second = catalogue_card("hdfc-millennia", &[first]);
        assert_eq!(second.id, "hdfc-millennia-2");
    }

    #[test]
    fn search_matches_every_word_in_name_or_issuer() {
        let entry = |id: &str, name: &str, issuer: &str| CatalogueEntry {
            id: id.into(),
            name: name.into(),
            issuer: issuer.into(),
            network: "Visa".into(),
            country: "IN".into(),
            summary: String::new(),
            verified: false,
            source: String::new(),
        };
        let all = vec![
            entry("hdfc-millennia", "HDFC Bank Millennia", "HDFC Bank"),
            entry("icici-amazon-pay", "Amazon Pay ICICI", "ICICI Bank"),
        ];
        let ids = |q: &str| {
            search(&all, q)
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("millennia"), vec!["hdfc-millennia"]);
        assert_eq!(ids("icici amazon"), vec!["icici-amazon-pay"]);
        assert_eq!(ids("bank"), vec!["hdfc-millennia", "icici-amazon-pay"]);
        assert!(ids("  ").is_empty());
    }

    fn form() -> CustomCardForm {
        CustomCardForm {
            name: "Shop Card".into(),
            issuer: "Some Bank".into(),
            network: "Visa".into(),
            currency: "inr".into(),
            rate: "1".into(),
            block: "100".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_custom_card_is_built_from_the_form() {
        let card = custom_card(&form(), &[]).expect("valid");
        assert_eq!(card.id, "shop-card");
        let rules = card.rules.expect("rules");
        assert_eq!(rules.points_program, "cash");
        assert_eq!(rules.home_currency.code(), "INR");
        assert_eq!(rules.earn.rate, dec("1"));
        assert_eq!(rules.earn.block, dec("100"));
        assert!(rules.categories.is_empty());

        let bonus = CustomCardForm {
            points: true,
            programme: "Shop Points".into(),
            debit: true,
            whole_blocks: true,
            bonus_category: "Online Shopping".into(),
            bonus_rate: "5".into(),
            bonus_cap: "20000".into(),
            bonus_period: "statement month".into(),
            ..form()
        };
        let taken = custom_card(&form(), &[]).expect("valid");
        let card = custom_card(&bonus, &[taken]).expect("valid");
        assert_eq!(card.id, "shop-card-2");
        let rules = card.rules.expect("rules");
        assert_eq!(rules.points_program, "shop_points");
        assert_eq!(rules.card_type, CardType::Debit);
        assert_eq!(rules.earn.rounding, EarnRounding::PerBlock);
        assert_eq!(
            rules.categories,
            vec![CategoryEarn {
                category: "online_shopping".into(),
                rate: dec("5"),
                cap: Some(dec("20000")),
                period: Some("statement_month".into()),
            }]
        );
    }

    #[test]
    fn a_custom_card_form_names_the_field_it_cannot_read() {
        let e = |f: CustomCardForm| custom_card(&f, &[]).expect_err("refused");
        assert!(e(CustomCardForm {
            name: " ".into(),
            ..form()
        })
        .starts_with("Name:"));
        assert!(e(CustomCardForm {
            issuer: String::new(),
            ..form()
        })
        .starts_with("Issuer:"));
        assert!(e(CustomCardForm {
            rate: "1,5".into(),
            ..form()
        })
        .starts_with("Base earn rate:"));
        assert!(e(CustomCardForm {
            currency: "XX".into(),
            ..form()
        })
        .starts_with("Home currency:"));
        assert!(e(CustomCardForm {
            bonus_rate: "5".into(),
            ..form()
        })
        .starts_with("Bonus category:"));
        assert!(e(CustomCardForm {
            points: true,
            ..form()
        })
        .starts_with("Points programme:"));
    }

    #[test]
    fn sites_and_errors_are_split_for_display() {
        assert_eq!(
            parse_sites("amazon.in, flipkart.com\nmyntra.com "),
            vec!["amazon.in", "flipkart.com", "myntra.com"]
        );
        assert_eq!(
            split_error("cards[0].catalogue: no card `x` in the catalogue"),
            (Some("cards[0].catalogue"), "no card `x` in the catalogue")
        );
        assert_eq!(
            split_error("document: not JSON"),
            (Some("document"), "not JSON")
        );
        assert_eq!(
            split_error("the background did not answer"),
            (None, "the background did not answer")
        );
        assert_eq!(
            split_error("The stored wallet could not be read (x: y)."),
            (None, "The stored wallet could not be read (x: y).")
        );
    }
}

//! Pure helpers of the options page (and the popup's one-click card): reading form text into
//! wallet types and making ids.
//! Whether a wallet is acceptable is the engine's call (`engine::wallet::validate`, run by the
//! background on every save); these only turn typed text into values, with errors that name
//! the field.

use std::collections::BTreeSet;
use std::str::FromStr;

use engine::money::Currency;
use engine::stack::catalogue::CatalogueEntry;
use engine::stack::{CardRules, CardType, CategoryEarn, Date, Earn, EarnRounding, LinkedValue};
use engine::wallet::{Card, EnrolledOffer};
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

/// The enrolled-offer form as typed: the add form, and each offer's edit form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferForm {
    /// The wallet card enrolled (`cards[].id`); empty means the wallet's first card.
    pub card: String,
    pub merchant: String,
    /// `true`: a percentage back; `false`: spend an amount, get a credit.
    pub percent_kind: bool,
    pub min_spend: String,
    pub credit: String,
    pub percent: String,
    pub cap: String,
    pub expires: String,
    pub delay: String,
    pub terms: String,
}

impl OfferForm {
    /// The form as a stored offer fills it (to edit the offer).
    pub fn from_offer(offer: &EnrolledOffer) -> Self {
        let text = |d: Decimal| d.normalize().to_string();
        let mut form = Self {
            card: offer.card.clone(),
            merchant: offer.merchant.clone(),
            expires: offer.expires.map(|d| d.to_string()).unwrap_or_default(),
            delay: match offer.payout_delay_days {
                0 => String::new(),
                n => n.to_string(),
            },
            terms: offer.terms.clone(),
            ..Self::default()
        };
        match offer.value {
            LinkedValue::SpendGet { min_spend, credit } => {
                form.min_spend = text(min_spend);
                form.credit = text(credit);
            }
            LinkedValue::PercentBack { percent, cap } => {
                form.percent_kind = true;
                form.percent = text(percent);
                form.cap = cap.map(text).unwrap_or_default();
            }
        }
        form
    }
}

/// An amount that must be above zero, named by its field when it is not.
fn above_zero(field: &str, value: Decimal) -> Result<Decimal, String> {
    if value > Decimal::ZERO {
        Ok(value)
    } else {
        Err(tr(
            "editAboveZero",
            "$1: enter an amount above zero",
            &[field],
        ))
    }
}

/// An enrolled offer from the form, for the wallet's `cards`. Its `id` is left empty and
/// `used` false: the caller keeps the edited offer's, or makes them for a new one. Amounts
/// are checked here so the message names the field; the engine still has the last word.
pub fn offer_from_form(form: &OfferForm, cards: &[Card]) -> Result<EnrolledOffer, String> {
    let card = match form.card.trim() {
        "" => cards.first().map(|c| c.id.clone()).ok_or_else(|| {
            t(
                "cardOffersNoCard",
                "Card: add the card you enrolled first (Cards, above)",
            )
        })?,
        id if cards.iter().any(|c| c.id == id) => id.to_owned(),
        id => {
            return Err(tr(
                "cardOffersCardGone",
                "Enrolled card: `$1` is no longer in the wallet; choose another card",
                &[id],
            ))
        }
    };
    let merchant = optional_text(&form.merchant).ok_or_else(|| {
        t(
            "cardOffersEnterShop",
            "Shop: enter the shop's domain (amazon.com)",
        )
    })?;
    let value = if form.percent_kind {
        let field = t("cardOffersPercent", "Percent back");
        let percent = parse_decimal(&field, &form.percent)?;
        if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
            return Err(tr(
                "editPercentRange",
                "$1: `$2` is not a percentage above 0 and at most 100",
                &[&field, form.percent.trim()],
            ));
        }
        let cap_field = t("cardOffersUpTo", "Up to");
        let cap = parse_optional_decimal(&cap_field, &form.cap)?
            .map(|c| above_zero(&cap_field, c))
            .transpose()?;
        LinkedValue::PercentBack { percent, cap }
    } else {
        let spend_field = t("cardOffersSpendAtLeast", "Spend at least");
        let min_spend = parse_decimal(&spend_field, &form.min_spend)?;
        if min_spend < Decimal::ZERO {
            return Err(tr(
                "editNotNegative",
                "$1: `$2` is negative; enter 0 or more",
                &[&spend_field, form.min_spend.trim()],
            ));
        }
        let credit_field = t("cardOffersGetBack", "Get back");
        let credit = above_zero(&credit_field, parse_decimal(&credit_field, &form.credit)?)?;
        LinkedValue::SpendGet { min_spend, credit }
    };
    Ok(EnrolledOffer {
        id: String::new(),
        card,
        merchant,
        value,
        expires: parse_optional_date(&t("optionsExpires", "Expires"), &form.expires)?,
        payout_delay_days: parse_days(
            &t("cardOffersDelayField", "Credit arrives after"),
            &form.delay,
        )?,
        used: false,
        terms: form.terms.trim().to_owned(),
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

    fn offer_form() -> OfferForm {
        OfferForm {
            card: "shop-card".into(),
            merchant: "www.amazon.in".into(),
            min_spend: "1000".into(),
            credit: "100".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_enrolled_offer_is_read_from_the_form_and_fills_it_back() {
        let cards = [custom_card(&form(), &[]).expect("valid")];
        let offer = offer_from_form(&offer_form(), &cards).expect("valid");
        assert_eq!(offer.card, "shop-card");
        assert_eq!(
            offer.value,
            LinkedValue::SpendGet {
                min_spend: dec("1000"),
                credit: dec("100")
            }
        );
        assert_eq!((offer.expires, offer.payout_delay_days), (None, 0));
        let edited = OfferForm {
            card: String::new(),
            percent_kind: true,
            percent: "7.5".into(),
            cap: "250".into(),
            expires: "2027-03-31".into(),
            delay: "30".into(),
            terms: "  Once per card. ".into(),
            ..offer_form()
        };
        // An empty card is the wallet's first one.
        let offer = offer_from_form(&edited, &cards).expect("valid");
        assert_eq!(offer.card, "shop-card");
        assert_eq!(
            offer.value,
            LinkedValue::PercentBack {
                percent: dec("7.5"),
                cap: Some(dec("250"))
            }
        );
        assert_eq!(offer.terms, "Once per card.");
        // The stored offer fills the edit form with what the shopper typed (trimmed).
        let back = OfferForm::from_offer(&EnrolledOffer {
            id: "o".into(),
            merchant: "amazon.in".into(),
            ..offer
        });
        assert_eq!(
            back,
            OfferForm {
                card: "shop-card".into(),
                merchant: "amazon.in".into(),
                terms: "Once per card.".into(),
                min_spend: String::new(),
                credit: String::new(),
                ..edited
            }
        );
    }

    #[test]
    fn an_offer_form_names_the_field_it_cannot_use() {
        let cards = [custom_card(&form(), &[]).expect("valid")];
        let e = |f: OfferForm| offer_from_form(&f, &cards).expect_err("refused");
        assert!(e(OfferForm {
            card: "gone".into(),
            ..offer_form()
        })
        .starts_with("Enrolled card: `gone`"));
        let no_card_chosen = OfferForm {
            card: String::new(),
            ..offer_form()
        };
        assert!(offer_from_form(&no_card_chosen, &[])
            .expect_err("no cards")
            .starts_with("Card: add the card you enrolled first"));
        assert!(e(OfferForm {
            merchant: " ".into(),
            ..offer_form()
        })
        .starts_with("Shop:"));
        assert_eq!(
            e(OfferForm {
                credit: "0".into(),
                ..offer_form()
            }),
            "Get back: enter an amount above zero"
        );
        assert!(e(OfferForm {
            min_spend: "-5".into(),
            ..offer_form()
        })
        .starts_with("Spend at least: `-5` is negative"));
        assert!(e(OfferForm {
            credit: "1,00".into(),
            ..offer_form()
        })
        .starts_with("Get back:"));
        let percent = |p: &str, cap: &str| {
            e(OfferForm {
                percent_kind: true,
                percent: p.into(),
                cap: cap.into(),
                ..offer_form()
            })
        };
        assert!(percent("120", "").starts_with("Percent back: `120`"));
        assert!(percent("0", "").starts_with("Percent back:"));
        assert_eq!(percent("5", "0"), "Up to: enter an amount above zero");
        assert!(e(OfferForm {
            expires: "31/03/2027".into(),
            ..offer_form()
        })
        .starts_with("Expires:"));
        assert!(e(OfferForm {
            delay: "two".into(),
            ..offer_form()
        })
        .starts_with("Credit arrives after:"));
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

//! What the page visibly shows: price texts with their layout evidence, product-details
//! tables, stock notices and buy buttons. Word lists cover the languages of the shops the
//! extension is developed against; they are data, kept short and generic (no site names).

use rust_decimal::Decimal;

use crate::jsonld::normalise_gtin;
use crate::money::Currency;
use crate::price_text::{self, chars_and_lower, contains_word, PriceHint};
use crate::product::Availability;
use crate::snapshot::PriceCandidate;

/// A scored visible price.
#[derive(Debug, Clone, PartialEq)]
pub struct Visible {
    pub amount: Decimal,
    pub currency: Option<Currency>,
    pub score: i32,
    /// Looks like a "was" / list price (struck, or marked old/was/RRP).
    pub is_list: bool,
}

/// Hints in id/class names that a text is a former or reference price.
const LIST_HINTS: &[&str] = &[
    "old", "was", "strike", "regular", "list", "before", "original", "rrp", "uvp", "crossed",
    "compare", "previous", "antes", "ancien", "barr", "retail", "msrp", "normal",
];
/// Words that make a price text something other than this item's price.
const NOT_THE_PRICE: &[&str] = &[
    "save",
    "économisez",
    "sparen",
    "ahorra",
    "risparmi",
    "you save",
    "shipping",
    "livraison",
    "delivery",
    "versand",
    "envío",
    "envio",
    "spedizione",
    "doprava",
    "dostawa",
    "per month",
    "/mo",
    "month",
    "mois",
    "monat",
    "mes",
    "期",
    "installment",
    "cuotas",
    "x de",
    "points",
    "點",
    "積點",
    "cashback",
    "coupon",
    "折價券",
    "from",
    "dès",
    "ab ",
    "desde",
    "à partir",
    "free",
    "gratuit",
    "gratis",
    "total",
    "subtotal",
    "over ",
    "min",
    "spend",
];
/// Words that make a price text a reference ("was", RRP) price.
const LIST_WORDS: &[&str] = &[
    "was",
    "rrp",
    "msrp",
    "uvp",
    "list price",
    "建議售價",
    "原價",
    "suggested",
    "prix conseillé",
    "prezzo consigliato",
    "precio de lista",
    "antes",
    "statt",
    "vorher",
    "regular",
    "original",
    "zamiast",
    "bežná cena",
    "pôvodná cena",
    "reg.",
    "typical price",
    "m.r.p",
    "mrp",
];
/// Words that make a price text this item's price.
const PRICE_WORDS: &[&str] = &[
    "price", "prix", "preis", "precio", "preço", "prezzo", "cena", "hind", "цена", "售價", "特價",
    "價", "sale", "offer",
];

/// Scores every candidate; best first. `hint` is the page's language/domain.
pub fn prices(candidates: &[PriceCandidate], hint: &PriceHint) -> Vec<Visible> {
    let mut out: Vec<Visible> = candidates.iter().filter_map(|c| score(c, hint)).collect();
    // Stable: equal scores keep document order.
    out.sort_by_key(|v| std::cmp::Reverse(v.score));
    out
}

fn score(c: &PriceCandidate, hint: &PriceHint) -> Option<Visible> {
    let parsed = price_text::parse_price(&c.text, hint);
    let amount = parsed.amount.filter(|a| *a > Decimal::ZERO)?;
    let lower = c.text.to_lowercase();
    let lower_chars = chars_and_lower(&c.text).1;
    let is_list = c.struck
        || LIST_HINTS.iter().any(|w| has_word(&c.hint, w))
        || LIST_WORDS.iter().any(|w| contains_word(&lower_chars, w));
    let mut s = 0i32;
    if c.hint.contains("price") || PRICE_WORDS.iter().any(|w| c.hint.contains(w)) {
        s += 30;
    }
    if crate::snapshot::has_currency(&c.text) {
        s += 20;
    }
    if PRICE_WORDS.iter().any(|w| lower.contains(w)) {
        s += 5;
    }
    // "Save 22,24 €", "delivery 4,99 €", "4 x 12 €/month": words before the amount say it
    // is not the item's price ("2320 元 coupon applies" after it does not).
    let at = price_text::find_amounts(&c.text, hint)
        .into_iter()
        .find(|a| a.amount == amount)
        .map_or(0, |a| a.start);
    let before: String = lower.chars().take(at).collect();
    if NOT_THE_PRICE.iter().any(|w| before.contains(w)) {
        s -= 40;
    }
    if parsed.is_per_unit || parsed.is_range || parsed.is_from {
        s -= 35;
    }
    if is_list {
        s -= 60;
    }
    // Short texts are prices; long ones are sentences with a price in them.
    let digits_and_signs = c
        .text
        .chars()
        .filter(|ch| ch.is_ascii_digit() || matches!(ch, '.' | ',' | ' '))
        .count();
    let letters = c.text.chars().filter(|ch| ch.is_alphabetic()).count();
    if letters > digits_and_signs + 6 {
        s -= 20;
    }
    match c.order {
        Some(o) if (0..=150).contains(&o) => s += 25 - i32::try_from(o / 10).unwrap_or(15),
        Some(o) if (151..=600).contains(&o) => s += 5,
        Some(o) if o < -300 => s -= 15,
        Some(_) => {}
        None => {}
    }
    if let Some(size) = c.size {
        // Layout: the real price is drawn large; 13–16 px is body text.
        if size >= 20.0 {
            s += 15;
        } else if size < 13.0 {
            s -= 10;
        }
    }
    if let Some(d) = c.from_heading {
        if (-100.0..=600.0).contains(&d) {
            s += 10;
        }
    }
    Some(Visible {
        amount,
        currency: parsed.currency,
        score: s,
        is_list,
    })
}

/// `word` in a class/id string as a whole token or token prefix/suffix (`old-price`,
/// `price--was`, `priceWas` lower-cased to `pricewas` still counts via the suffix).
fn has_word(hint: &str, word: &str) -> bool {
    hint.split(|c: char| !c.is_alphanumeric())
        .any(|tok| tok == word || tok.starts_with(word) || tok.ends_with(word))
}

/// Identity fields read from a product-details table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub sku: Option<String>,
    pub mpn: Option<String>,
    pub gtin: Option<String>,
    pub brand: Option<String>,
}

/// Label spellings, compared after lower-casing and dropping everything but letters.
const SKU_LABELS: &[&str] = &[
    "sku",
    "asin",
    "itemnumber",
    "itemno",
    "articlenumber",
    "artikelnummer",
    "artnr",
    "référence",
    "reference",
    "ref",
    "réf",
    "código",
    "codigo",
    "cod",
    "codprodus",
    "kód",
    "kod",
    "katalógovéčíslo",
    "productcode",
    "code",
    "productid",
    "itemid",
    "item",
    "numerartykułu",
    "kodproduktu",
    "tootekood",
    "артикул",
    "商品編號",
];
const MPN_LABELS: &[&str] = &[
    "mpn",
    "model",
    "modelnumber",
    "itemmodelnumber",
    "modelnamenumber",
    "manufacturerpartnumber",
    "partnumber",
    "numéroducmodèledelarticle",
    "numérodumodèledelarticle",
    "numérodemodèle",
    "référencefabricant",
    "modelo",
    "modello",
    "modelnummer",
    "herstellernummer",
    "herstellerartikelnummer",
    "typovéoznačenie",
    "mudel",
    "модель",
    "型號",
];
const GTIN_LABELS: &[&str] = &[
    "ean",
    "gtin",
    "upc",
    "isbn",
    "ean13",
    "barcode",
    "eancode",
    "kódean",
    "códigodebarras",
    "codiceean",
    "isbn13",
];
const BRAND_LABELS: &[&str] = &[
    "brand",
    "marque",
    "marca",
    "marke",
    "merk",
    "značka",
    "znacka",
    "producent",
    "fabricant",
    "hersteller",
    "manufacturer",
    "kaubamärk",
    "makemanufacturer",
    "výrobca",
    "vyrobca",
    "výrobce",
    "tootja",
    "бренд",
    "производитель",
    "品牌",
    "marchio",
];

pub fn details(facts: &[(String, String)]) -> Details {
    let mut d = Details::default();
    for (label, value) in facts {
        let key: String = label
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphabetic() || c.is_ascii_digit())
            .collect();
        // Brackets around a value (`〈商品編號：M14876706〉`) belong to the layout.
        let value = value
            .trim_matches(|c: char| {
                c.is_whitespace() || matches!(c, ':' | '\u{200e}' | '\u{200f}') || is_bracket(c)
            })
            .to_owned();
        // A details value is a code or a name, not a paragraph; "N/A" says there is none.
        if value.is_empty() || value.chars().count() > 60 || is_placeholder(&value) {
            continue;
        }
        let is = |labels: &[&str]| labels.contains(&key.as_str());
        if is(GTIN_LABELS) {
            if d.gtin.is_none() {
                d.gtin = normalise_gtin(&value);
            }
        } else if is(SKU_LABELS) {
            if d.sku.is_none() && looks_like_code(&value) {
                d.sku = Some(value);
            }
        } else if is(MPN_LABELS) {
            if d.mpn.is_none() && value.chars().any(|c| c.is_ascii_alphanumeric()) {
                d.mpn = Some(value);
            }
        } else if is(BRAND_LABELS) && d.brand.is_none() && value.chars().count() <= 40 {
            d.brand = Some(value);
        }
    }
    d
}

/// A product code: one token, or two (`PU 106160`), with a digit. Three or more words are
/// a description that quotes a code (`CARD ANP AG-M22PCIE4`), not the shop's code itself.
fn looks_like_code(v: &str) -> bool {
    v.chars().any(|c| c.is_ascii_digit())
        && v.split_whitespace().count() <= 2
        && v.chars().count() <= 40
}

fn is_bracket(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '〈'
            | '〉'
            | '《'
            | '》'
            | '「'
            | '」'
            | '『'
            | '』'
            | '【'
            | '】'
            | '（'
            | '）'
    )
}

/// What marketplaces and shop templates print where a field has no value ("Does Not
/// Apply", "N/A", "-"): never an identifier or a brand.
pub(crate) fn is_placeholder(v: &str) -> bool {
    let key: String = v
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    matches!(
        key.as_str(),
        "" | "na"
            | "none"
            | "null"
            | "undefined"
            | "doesnotapply"
            | "notapplicable"
            | "nonapplicable"
            | "nichtzutreffend"
            | "nonapplicabile"
            | "noaplica"
            | "naoaplicavel"
            | "unknown"
            | "0"
    )
}

/// Buy buttons: a page that lets you add the product to the cart sells it now, whatever a
/// notice about store pickup or another size says.
pub(crate) const BUY: &[&str] = &[
    "add to cart",
    "add to basket",
    "add to bag",
    "add to trolley",
    "add to your basket",
    "buy now",
    "buy it now",
    "ajouter au panier",
    "in den warenkorb",
    "añadir al carrito",
    "añadir al carro",
    "agregar al carrito",
    "agregar al carro",
    "aggiungi al carrello",
    "dodaj do koszyka",
    "do košíka",
    "do košíku",
    "в корзину",
    "adicionar ao carrinho",
    "comprar",
    "lisa ostukorvi",
    "kosárba",
    "加入購物車",
    "立即購買",
    "adaugă în coș",
    "adauga in cos",
    "place bid",
    "contact seller",
];
/// Out-of-stock wording, checked before in-stock words ("indisponible" ⊃ "disponible").
pub(crate) const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "currently unavailable",
    "sold out",
    "unavailable",
    "no longer available",
    "not available",
    "indisponible",
    "épuisé",
    "rupture",
    "nicht verfügbar",
    "ausverkauft",
    "nicht lieferbar",
    "agotado",
    "sin stock",
    "no disponible",
    "esaurito",
    "non disponibile",
    "niedostępny",
    "brak w magazynie",
    "vypredané",
    "nedostupné",
    "nie je skladom",
    "není skladem",
    "нет в наличии",
    "отсутствует",
    "indisponível",
    "esgotado",
    "otsas",
    "pole laos",
    "缺貨",
    "售完",
    "sold",
    "stoc epuizat",
    "indisponibil",
];
pub(crate) const IN_STOCK: &[&str] = &[
    "in stock",
    "en stock",
    "auf lager",
    "disponible",
    "available",
    "add to cart",
    "add to basket",
    "add to bag",
    "add to trolley",
    "buy now",
    "buy it now",
    "ajouter au panier",
    "in den warenkorb",
    "añadir al carrito",
    "agregar al carrito",
    "aggiungi al carrello",
    "dodaj do koszyka",
    "do košíka",
    "do košíku",
    "в корзину",
    "купить",
    "adicionar ao carrinho",
    "comprar",
    "lisa ostukorvi",
    "ostukorvi",
    "laos",
    "kosárba",
    "加入購物車",
    "立即購買",
    "skladom",
    "na sklade",
    "skladem",
    "disponibil",
    "adaugă în coș",
    "adauga in cos",
    "in stoc",
    "dostępny",
    "w magazynie",
    "disponibile",
    "verfügbar",
    "lieferbar",
    "contact seller",
    "place bid",
    "bid",
    "в наличии",
];

/// Every stock and buy-button phrase, each once, in list order (BUY, OUT_OF_STOCK,
/// IN_STOCK): what the collectors look for in short texts (only the static-HTML collector
/// calls it in Rust; the content script carries a checked copy).
#[cfg(feature = "cli")]
pub(crate) fn stock_phrases() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for w in BUY.iter().chain(OUT_OF_STOCK).chain(IN_STOCK) {
        if !out.contains(w) {
            out.push(w);
        }
    }
    out
}

/// What the page's stock notices and buttons say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stock {
    /// A buy button or "add to cart" text.
    pub buy: bool,
    /// An out-of-stock notice.
    pub out: bool,
    /// In-stock wording.
    pub in_stock: bool,
}

impl Stock {
    /// Availability: a buy button, else an out-of-stock notice, else in-stock wording.
    pub fn availability(self) -> Option<Availability> {
        if self.buy {
            Some(Availability::InStock)
        } else if self.out {
            Some(Availability::OutOfStock)
        } else {
            self.in_stock.then_some(Availability::InStock)
        }
    }
}

/// Reads stock notices and buy buttons (the snapshot's `stock` texts).
pub fn stock(texts: &[String]) -> Stock {
    let lower: Vec<Vec<char>> = texts.iter().map(|t| chars_and_lower(t).1).collect();
    let says = |phrases: &[&str]| {
        lower
            .iter()
            .any(|t| phrases.iter().any(|w| contains_word(t, w)))
    };
    Stock {
        buy: says(BUY),
        out: says(OUT_OF_STOCK),
        in_stock: says(IN_STOCK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(text: &str, hint: &str, order: Option<i64>) -> PriceCandidate {
        PriceCandidate {
            text: text.into(),
            hint: hint.into(),
            order,
            ..PriceCandidate::default()
        }
    }

    #[test]
    fn the_price_beats_savings_unit_prices_and_was_prices() {
        let hint = PriceHint::from_free_text("amazon.fr");
        let cs = vec![
            cand(
                "88,99 €",
                "priceblockstrikepricestring a-text-strike",
                Some(68),
            ),
            cand("66,75 €", "priceblock_dealprice a-size-medium", Some(91)),
            cand("(66,75 € / unité)", "a-size-small", Some(93)),
            cand(
                "Économisez : 22,24 € (25 %)",
                "dealprice_savings",
                Some(108),
            ),
            cand(
                "Payez en 4 fois dès 75 € d’achats",
                "maple-banner",
                Some(136),
            ),
            cand("63,06 €", "olp-text-box", Some(-323)),
        ];
        let ranked = prices(&cs, &hint);
        assert_eq!(ranked[0].amount.to_string(), "66.75");
        assert!(ranked
            .iter()
            .any(|v| v.is_list && v.amount.to_string() == "88.99"));
    }

    #[test]
    fn details_tables_name_codes_in_many_languages() {
        let facts: Vec<(String, String)> = [
            ("ASIN", "B082QBCYY8"),
            ("Numéro du modèle de l'article", "PTV17-16912"),
            ("Marque", "PetSafe"),
            ("EAN", "0000000000000"),
            (
                "Description",
                "A long paragraph that is not a code at all, with 3 numbers in it and more words",
            ),
        ]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
        let d = details(&facts);
        assert_eq!(d.sku.as_deref(), Some("B082QBCYY8"));
        assert_eq!(d.mpn.as_deref(), Some("PTV17-16912"));
        assert_eq!(d.brand.as_deref(), Some("PetSafe"));
        assert_eq!(d.gtin, None, "a zero placeholder is not a GTIN");
    }

    #[test]
    fn stock_notices_win_over_buttons_and_words_stay_whole() {
        let t = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let availability = |texts: &[String]| stock(texts).availability();
        assert_eq!(
            availability(&t(&["Actuellement indisponible.", "Ajouter à la liste"])),
            Some(Availability::OutOfStock)
        );
        assert_eq!(
            availability(&t(&["En stock.", "Ajouter au panier"])),
            Some(Availability::InStock)
        );
        assert_eq!(
            availability(&t(&["Unavailable for store pickup", "Add to Cart"])),
            Some(Availability::InStock)
        );
        assert_eq!(availability(&t(&["Soldier figures"])), None);
        assert_eq!(
            availability(&t(&["加入購物車"])),
            Some(Availability::InStock)
        );
    }

    #[test]
    fn details_values_lose_brackets_and_fillers_and_descriptions_are_no_sku() {
        let facts = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        let d = details(&facts(&[
            ("〈商品編號", "M14876706〉"),
            ("MPN", "Does Not Apply"),
            ("Brand", "N/A"),
        ]));
        assert_eq!(d.sku.as_deref(), Some("M14876706"));
        assert_eq!(d.mpn, None);
        assert_eq!(d.brand, None);
        // Three words quoting a code are a description; the next labelled code is the SKU.
        let d = details(&facts(&[
            ("Kód", "CARD ANP AG-M22PCIE4"),
            ("Item number", "PU 106160"),
        ]));
        assert_eq!(d.sku.as_deref(), Some("PU 106160"));
    }

    #[test]
    fn stock_reports_buttons_and_notices_separately() {
        let s = stock(&["Add to basket".to_owned(), "Sold out".to_owned()]);
        assert!(s.buy && s.out);
        assert_eq!(s.availability(), Some(Availability::InStock));
        assert_eq!(stock(&[]).availability(), None);
    }
}

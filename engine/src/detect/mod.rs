//! Snapshot → product: the call the background makes for every page.
//!
//! Every source the snapshot carries is read on its own — JSON-LD, microdata, RDFa, meta
//! tags, the visible page (heading, price texts, details tables, stock notices) — and then
//! reconciled field by field: structured data first, checked against what the page shows.
//! Each field of the result says where it came from and how sure the detector is.

mod breadcrumbs;
mod structured;
pub(crate) mod visible;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::jsonld::{self, Partial};
use crate::merchant;
use crate::money::{Currency, Money};
use crate::offer_text::{self, Offer, OfferContext};
use crate::price_text::PriceHint;
use crate::product::{Availability, Evidence, Product, Source};
use crate::snapshot::{PageSnapshot, SnapshotError, Syntax};

/// What the engine made of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The page's product, or `None` for a page without one (home, search, cart, article).
    pub product: Option<Product>,
    /// Offers printed on the page (coupon codes, bank offers, subscribe & save …), each with
    /// its raw text; ones the engine could not read have kind `other`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<Offer>,
    /// Problems met on the way (unreadable JSON-LD, a listing page), for the popup's details
    /// and for debugging; never fatal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// A visible price needs at least this score (see `visible::score`) to stand on its own.
const VISIBLE_PRICE_MIN_SCORE: i32 = 30;
/// A page showing more distinct prices than this, with no structured product and no
/// details table, is a listing (search, category, home page).
const LISTING_PRICES: usize = 14;

/// Detects the product on a page. Refuses only snapshots that break the format or its caps;
/// anything inside the page's markup, however broken, yields a result.
pub fn detect(snapshot: &PageSnapshot) -> Result<Detection, SnapshotError> {
    snapshot.validate()?;
    let url = snapshot.url.as_str();
    let canonical = snapshot.canonical_url.as_deref();
    let (values, mut problems) = jsonld::parse_blocks(&snapshot.json_ld);
    if snapshot.truncated {
        problems
            .push("the page was larger than the collector's caps; some markup was skipped".into());
    }
    let offers = snapshot
        .offers
        .iter()
        .map(|t| {
            offer_text::parse_offer(
                t,
                &OfferContext {
                    url: Some(snapshot.url.clone()),
                    lang: snapshot.lang.clone(),
                },
            )
        })
        .collect();

    let mut structured: Vec<(Source, Partial)> = Vec::new();
    let headlines: Vec<&str> = snapshot
        .heading
        .iter()
        .map(String::as_str)
        .chain([snapshot.title.as_str()])
        .collect();
    let json_ld = jsonld::find(&values, url, canonical, &headlines);
    let microdata = structured::from_items(
        &snapshot.items,
        Syntax::Microdata,
        url,
        canonical,
        &headlines,
    );
    let rdfa = structured::from_items(&snapshot.items, Syntax::Rdfa, url, canonical, &headlines);
    for (source, found) in [
        (Source::JsonLd, json_ld),
        (Source::Microdata, microdata),
        (Source::Rdfa, rdfa),
    ] {
        if let Some(n) = found.listing {
            problems.push(format!(
                "{n} different priced products in {}: treated as a listing page",
                source_name(source)
            ));
            return Ok(Detection {
                product: None,
                offers,
                problems,
            });
        }
        if let Some(first) = found.partials.into_iter().next() {
            structured.push((source, first));
        }
    }
    if let Some(meta) = structured::from_meta(&snapshot.meta, url) {
        structured.push((Source::Meta, meta));
    }

    let hint = PriceHint {
        lang: snapshot.lang.clone(),
        domain: Some(snapshot.url.clone()),
        currency: None,
    };
    let page = Page {
        prices: visible::prices(&snapshot.prices, &hint),
        details: visible::details(&snapshot.facts),
        stock: visible::stock(&snapshot.stock),
        heading: snapshot.heading.clone().filter(|h| !h.trim().is_empty()),
        fallback_currency: merchant::currency_hint(url),
    };
    let mut product = reconcile(snapshot, &structured, &page);
    if let Some(p) = product.as_mut() {
        let found = breadcrumbs::category(
            &values,
            &snapshot.items,
            &snapshot.breadcrumbs,
            &p.title,
            url,
        );
        if let Some((source, trail, confidence)) = found {
            p.category = trail;
            p.evidence.push(Evidence {
                field: "category".into(),
                source,
                confidence,
            });
        }
    }
    Ok(Detection {
        product,
        offers,
        problems,
    })
}

struct Page {
    prices: Vec<visible::Visible>,
    details: visible::Details,
    stock: visible::Stock,
    heading: Option<String>,
    fallback_currency: Option<Currency>,
}

/// Not empty, not an unrendered template placeholder (`$metabrand`, `{{ brand }}`) and not
/// a "no value" filler (`Does Not Apply`, `N/A`).
fn is_real_value(v: &str) -> bool {
    let t = v.trim();
    let placeholder = t.starts_with('$') && t[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        || ["{{", "${", "[[", "%%", "<%"].iter().any(|m| t.contains(m));
    !t.is_empty() && !placeholder && !visible::is_placeholder(t)
}

/// A brand is a name: one holding a title separator (`Théâtre X | ShopName`) is the page's
/// title pasted into the field.
fn is_brand_name(v: &str) -> bool {
    !v.contains(['|', '｜'])
}

/// A product id in the page address: an `id`-like query parameter, else the last path
/// segment or its last `-`/`_` token, when it is a code with at least four digits
/// (`/itm/123808916008`, `/7235216655.html`, `?pid=262388`, `_36029524`, `M14876706.htm`).
fn id_from_url(url: &str) -> Option<String> {
    let is_code = |t: &str| {
        t.len() >= 5
            && t.len() <= 24
            && t.chars().all(|c| c.is_ascii_alphanumeric())
            && t.chars().filter(char::is_ascii_digit).count() >= 4
    };
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    for pair in query.split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            let k = k.to_ascii_lowercase();
            let named = matches!(
                k.as_str(),
                "id" | "pid" | "productid" | "product_id" | "itemid" | "item_id" | "sku" | "item"
            );
            if named && is_code(v) {
                return Some(v.to_owned());
            }
        }
    }
    let after_host = path.splitn(4, '/').nth(3).unwrap_or("");
    let last = after_host.trim_end_matches('/').rsplit('/').next()?;
    let stem = last.split('.').next().unwrap_or(last);
    if is_code(stem) {
        return Some(stem.to_owned());
    }
    let token = stem.rsplit(['-', '_']).next()?;
    (token.chars().all(|c| c.is_ascii_digit()) && is_code(token)).then(|| token.to_owned())
}

/// The same code, ignoring case and the leading zeros GTINs gain when padded to 13 or 14
/// digits.
fn same_code(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.trim().trim_start_matches('0').to_ascii_lowercase();
    strip(a) == strip(b)
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::JsonLd => "JSON-LD",
        Source::Microdata => "microdata",
        Source::Rdfa => "RDFa",
        Source::Meta => "meta tags",
        Source::Page => "the page",
        Source::Details => "the details table",
        Source::Inferred => "inference",
        Source::Url => "the address",
    }
}

/// Confidence of a structured source's field before cross-checks.
fn base_confidence(s: Source) -> u8 {
    match s {
        Source::JsonLd | Source::Microdata | Source::Rdfa => 90,
        Source::Meta => 80,
        Source::Details => 75,
        Source::Page => 60,
        Source::Inferred | Source::Url => 40,
    }
}

fn reconcile(
    snapshot: &PageSnapshot,
    structured: &[(Source, Partial)],
    page: &Page,
) -> Option<Product> {
    let mut evidence = Vec::new();
    let mut note = |field: &str, source: Source, confidence: u8| {
        evidence.push(Evidence {
            field: field.into(),
            source,
            confidence,
        });
    };
    // Fields from structured data: the first source (JSON-LD, microdata, RDFa, meta) that
    // has them.
    let first = |get: &dyn Fn(&Partial) -> Option<String>| -> Option<(Source, String)> {
        structured
            .iter()
            .find_map(|(s, p)| get(p).filter(|v| is_real_value(v)).map(|v| (*s, v)))
    };
    let structured_title = first(&|p| p.title.clone());
    let has_structured_product = structured
        .iter()
        .any(|(s, p)| *s != Source::Meta || !p.offers.is_empty());
    let has_details =
        page.details.sku.is_some() || page.details.gtin.is_some() || page.details.mpn.is_some();
    let visible_main = page
        .prices
        .iter()
        .find(|v| !v.is_list && v.score >= VISIBLE_PRICE_MIN_SCORE);
    let mut distinct: Vec<Decimal> = page.prices.iter().map(|v| v.amount.normalize()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let listing_like = distinct.len() > LISTING_PRICES && !has_details;

    // Is there a product at all?
    let title = if has_structured_product {
        structured_title
            .clone()
            .or_else(|| page.heading.clone().map(|h| (Source::Page, h)))
    } else if page.heading.is_some() && !listing_like && (visible_main.is_some() || has_details) {
        page.heading.clone().map(|h| (Source::Page, h))
    } else {
        None
    }?;
    note("title", title.0, base_confidence(title.0));

    // Price: the structured offer, unless the page visibly shows another of its offers
    // (a variant) as the price; visible evidence alone otherwise.
    let offers: Vec<(Source, &jsonld::OfferPrice)> = structured
        .iter()
        .flat_map(|(s, p)| p.offers.iter().map(move |o| (*s, o)))
        .collect();
    let shown = |amount: Decimal| page.prices.iter().any(|v| !v.is_list && v.amount == amount);
    let mut price: Option<(Source, Decimal, Option<Currency>, u8)> = None;
    if let Some((source, offer)) = offers.first() {
        let variant = visible_main
            .filter(|v| v.amount != offer.amount)
            .and_then(|v| offers.iter().find(|(_, o)| o.amount == v.amount));
        let (source, offer) = variant.copied().unwrap_or((*source, offer));
        let confidence = if shown(offer.amount) {
            98
        } else if page.prices.is_empty() {
            base_confidence(source)
        } else {
            70
        };
        price = Some((source, offer.amount, offer.currency, confidence));
    } else if let Some(v) = visible_main {
        let runner_up = page
            .prices
            .iter()
            .filter(|o| !o.is_list && o.amount != v.amount)
            .map(|o| o.score)
            .max()
            .unwrap_or(0);
        let margin = u8::try_from((v.score - runner_up).clamp(0, 30)).unwrap_or(0);
        price = Some((Source::Page, v.amount, v.currency, 45 + margin));
    }
    let price = price.and_then(|(source, amount, currency, confidence)| {
        // The currency: the offer's, else the visible price text's, else the domain's.
        let currency = currency
            .or_else(|| {
                page.prices
                    .iter()
                    .find(|v| v.amount == amount && v.currency.is_some())
                    .and_then(|v| v.currency)
            })
            .or(page.fallback_currency)?;
        note("price", source, confidence);
        Some(Money::new(amount, currency))
    });

    let list_price = price.and_then(|p| {
        let structured_list = structured
            .iter()
            .find_map(|(s, part)| part.list_amount.map(|l| (*s, l)))
            .filter(|(_, l)| *l > p.amount);
        let visible_list = page
            .prices
            .iter()
            .filter(|v| v.is_list && v.amount > p.amount && v.amount < p.amount * Decimal::from(10))
            .max_by_key(|v| v.score)
            .map(|v| (Source::Page, v.amount));
        let (source, amount) = structured_list.or(visible_list)?;
        note("list_price", source, base_confidence(source));
        Some(Money::new(amount, p.currency))
    });

    // Structured data often describes one default variant (a size that is gone) as out of
    // stock; a page that offers a buy button and shows no out-of-stock notice sells it.
    let sells_now = page.stock.buy && !page.stock.out;
    let availability = offers
        .iter()
        .find_map(|(s, o)| o.availability.map(|a| (*s, a)))
        .map(|(s, a)| {
            if !a.can_buy() && sells_now {
                (Source::Page, Availability::InStock)
            } else {
                (s, a)
            }
        })
        .or_else(|| page.stock.availability().map(|a| (Source::Page, a)))
        .or_else(|| price.map(|_| (Source::Inferred, Availability::InStock)));
    if let Some((s, _)) = availability {
        note("availability", s, base_confidence(s));
    }

    let mut pick = |field: &str,
                    from_structured: Option<(Source, String)>,
                    from_details: Option<String>|
     -> Option<String> {
        let (source, value) =
            from_structured.or_else(|| from_details.map(|v| (Source::Details, v)))?;
        note(field, source, base_confidence(source));
        Some(value)
    };
    // The code the page shows in its details ("Product code: …") is the one shoppers and
    // shop staff use; structured data often carries an internal id instead.
    let gtin_found = first(&|p| p.gtin.clone())
        .or_else(|| page.details.gtin.clone().map(|g| (Source::Details, g)));
    let url_id = id_from_url(&snapshot.url);
    let structured_sku = first(&|p| p.sku.clone()).map(|(source, sku)| {
        // A structured "SKU" that is only the barcode again, where the address carries the
        // shop's own product id: that id is the shop's code.
        let is_barcode = gtin_found.as_ref().is_some_and(|(_, g)| same_code(g, &sku));
        match &url_id {
            Some(id) if is_barcode && !same_code(id, &sku) => (Source::Url, id.clone()),
            _ => (source, sku),
        }
    });
    let sku_found = page
        .details
        .sku
        .clone()
        .map(|s| (Source::Details, s))
        .or(structured_sku)
        .or_else(|| url_id.clone().map(|s| (Source::Url, s)));
    let sku = pick("sku", sku_found, None);
    let gtin = pick("gtin", gtin_found, None);
    // Shops often repeat the SKU as the MPN — the one shown or the one in their structured
    // data (an internal id in both fields); a repeat says nothing more.
    let structured_sku_raw = first(&|p| p.sku.clone()).map(|(_, s)| s);
    let mpn_structured = first(&|p| p.mpn.clone())
        .filter(|(_, m)| Some(m) != sku.as_ref() && Some(m) != structured_sku_raw.as_ref());
    let mpn = pick(
        "mpn",
        mpn_structured,
        page.details.mpn.clone().filter(|m| Some(m) != sku.as_ref()),
    );
    let brand = pick(
        "brand",
        first(&|p| p.brand.clone().filter(|b| is_brand_name(b))),
        page.details.brand.clone().filter(|b| is_brand_name(b)),
    );
    let image = first(&|p| p.image.clone()).map(|(s, i)| {
        note("image", s, base_confidence(s));
        i
    });
    let product_url = structured
        .iter()
        .find(|(s, _)| *s != Source::Meta)
        .map(|(_, p)| p.url.clone())
        .or_else(|| snapshot.canonical_url.clone())
        .unwrap_or_else(|| snapshot.url.clone());

    Some(Product {
        title: title.1,
        price,
        list_price,
        availability: availability.map(|(_, a)| a),
        brand,
        sku,
        gtin,
        mpn,
        image,
        category: Vec::new(),
        url: product_url,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SNAPSHOT_VERSION;

    /// A page with one JSON-LD product (`extra` adds its fields, and may replace its
    /// offer), the given details facts and stock texts.
    fn page(url: &str, extra: &str, facts: &[(&str, &str)], stock: &[&str]) -> PageSnapshot {
        let offer = if extra.contains(r#""offers""#) {
            ""
        } else {
            r#""offers":{"@type":"Offer","price":"20.00","priceCurrency":"EUR"},"#
        };
        let json = format!(
            r#"{{"@context":"https://schema.org","@type":"Product",{extra}{offer}"name":"Desk lamp"}}"#
        );
        PageSnapshot {
            version: SNAPSHOT_VERSION,
            url: url.into(),
            title: "Desk lamp".into(),
            json_ld: vec![json],
            heading: Some("Desk lamp".into()),
            facts: facts
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            stock: stock.iter().map(|s| (*s).to_owned()).collect(),
            signals: true,
            ..PageSnapshot::default()
        }
    }

    fn product(s: &PageSnapshot) -> Product {
        detect(s).expect("valid").product.expect("a product")
    }

    #[test]
    fn an_mpn_repeating_the_structured_sku_is_dropped_even_when_the_shown_code_wins() {
        let s = page(
            "https://shop.example/p/lamp",
            r#""sku":"238887908","mpn":"238887908","#,
            &[("Product code", "76730204")],
            &[],
        );
        let p = product(&s);
        assert_eq!(p.sku.as_deref(), Some("76730204"));
        assert_eq!(p.mpn, None);
        let s = page(
            "https://shop.example/p/lamp",
            r#""sku":"238887908","mpn":"LMP-20","#,
            &[],
            &[],
        );
        assert_eq!(product(&s).mpn.as_deref(), Some("LMP-20"));
    }

    #[test]
    fn a_title_pasted_into_the_brand_and_fillers_are_no_values() {
        let s = page(
            "https://shop.example/p/lamp",
            r#""brand":"Lamp Theatre (North) | DealSite","mpn":"Does not apply","#,
            &[],
            &[],
        );
        let p = product(&s);
        assert_eq!(p.brand, None);
        assert_eq!(p.mpn, None);
        let s = page(
            "https://shop.example/p/lamp",
            r#""brand":"Lumo","#,
            &[],
            &[],
        );
        assert_eq!(product(&s).brand.as_deref(), Some("Lumo"));
    }

    #[test]
    fn a_sku_that_is_only_the_barcode_gives_way_to_the_shops_id_in_the_address() {
        let isbn = r#""sku":"9789724084985","gtin13":"9789724084985","#;
        let s = page(
            "https://books.example/some-title-1589482272.html",
            isbn,
            &[],
            &[],
        );
        let p = product(&s);
        assert_eq!(p.sku.as_deref(), Some("1589482272"));
        assert_eq!(p.gtin.as_deref(), Some("9789724084985"));
        // No id in the address: the barcode is all the page has.
        let s = page("https://books.example/some-title.html", isbn, &[], &[]);
        assert_eq!(product(&s).sku.as_deref(), Some("9789724084985"));
        // A code the page shows as its product code stays, barcode or not.
        let s = page(
            "https://books.example/some-title-1589482272.html",
            isbn,
            &[("Product code", "9789724084985")],
            &[],
        );
        assert_eq!(product(&s).sku.as_deref(), Some("9789724084985"));
    }

    #[test]
    fn a_buy_button_without_a_stock_notice_outweighs_an_out_of_stock_default_offer() {
        let oos = r#""offers":{"@type":"Offer","price":"20.00","priceCurrency":"EUR","availability":"https://schema.org/OutOfStock"},"#;
        let s = page(
            "https://shop.example/p/lamp",
            oos,
            &[],
            &["Add to your basket", "Size guide"],
        );
        assert_eq!(product(&s).availability, Some(Availability::InStock));
        let s = page(
            "https://shop.example/p/lamp",
            oos,
            &[],
            &["Add to your basket", "Out of stock"],
        );
        assert_eq!(product(&s).availability, Some(Availability::OutOfStock));
        let s = page("https://shop.example/p/lamp", oos, &[], &[]);
        assert_eq!(product(&s).availability, Some(Availability::OutOfStock));
    }
}

//! schema.org product extraction from JSON-LD blocks as real shops write them: single
//! objects, arrays, `@graph`, `mainEntity`, `ProductGroup` + `hasVariant`, `AggregateOffer`,
//! `priceSpecification`, prices as numbers or localised strings, and blocks that are not
//! quite JSON (HTML comments, CDATA, raw newlines inside strings, trailing commas).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::money::{parse_structured_number, Currency, Money};
use crate::price_text::{self, PriceHint};
use crate::product::{Availability, Product};

type Object = Map<String, Value>;

/// How deep the walk goes into nested containers; real pages need 3–4 levels.
const MAX_DEPTH: usize = 8;
/// More distinct priced products than this, none of them the page's own, is a listing page.
const MAX_PRODUCTS_ON_A_PRODUCT_PAGE: usize = 3;

/// What JSON-LD says about the page's product, with the problems met on the way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extraction {
    pub product: Option<Product>,
    /// One line per block that could not be read or product that was set aside.
    pub problems: Vec<String>,
}

/// Finds the page's product in its JSON-LD blocks. Never panics on any input.
pub fn extract(blocks: &[String], page_url: &str, canonical_url: Option<&str>) -> Extraction {
    let (values, mut problems) = parse_blocks(blocks);
    let found = find(&values, page_url, canonical_url, &[]);
    if let Some(n) = found.listing {
        problems.push(format!(
            "{n} different priced products in JSON-LD: treated as a listing page"
        ));
    }
    let product = found
        .partials
        .into_iter()
        .next()
        .and_then(|p| p.into_product());
    Extraction { product, problems }
}

/// Parses every block leniently: the values, and one problem line per unreadable block.
pub(crate) fn parse_blocks(blocks: &[String]) -> (Vec<Value>, Vec<String>) {
    let mut problems = Vec::new();
    let mut values = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        match parse_block(block) {
            Ok(mut vs) => values.append(&mut vs),
            Err(e) => problems.push(format!("JSON-LD block {}: {e}", i + 1)),
        }
    }
    (values, problems)
}

/// The products schema.org data describes, the page's own first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// Best first: the first product with a price, then the others in document order.
    pub partials: Vec<Partial>,
    /// Set (to the number of distinct priced products) when the data describes a listing.
    pub listing: Option<usize>,
}

/// What one schema.org product node says, before it is reconciled with the rest of the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Partial {
    pub title: Option<String>,
    /// Every offer's price, the chosen (buyable) one first.
    pub offers: Vec<OfferPrice>,
    /// A list / strike-through price from a `priceSpecification`.
    pub list_amount: Option<Decimal>,
    pub brand: Option<String>,
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub mpn: Option<String>,
    pub image: Option<String>,
    pub url: String,
}

impl Partial {
    /// A product when the node has a name; the price only when its currency is known.
    pub fn into_product(self) -> Option<Product> {
        let offer = self.offers.first();
        let price = offer.and_then(|o| Some(Money::new(o.amount, o.currency?)));
        Some(Product {
            title: self.title?,
            list_price: price
                .and(self.list_amount)
                .zip(price)
                .filter(|(l, p)| *l > p.amount)
                .map(|(l, p)| Money::new(l, p.currency)),
            price,
            availability: offer.and_then(|o| o.availability),
            brand: self.brand,
            sku: self.sku,
            gtin: self.gtin,
            mpn: self.mpn,
            image: self.image,
            category: Vec::new(),
            url: self.url,
            evidence: Vec::new(),
        })
    }
}

/// Products in parsed schema.org values (JSON-LD, or microdata/RDFa items rebuilt as JSON).
/// `headlines` (the page's heading and title) pick the page's own product out of several,
/// so recommendation carousels beside it do not make the page a listing.
pub(crate) fn find(
    values: &[Value],
    page_url: &str,
    canonical_url: Option<&str>,
    headlines: &[&str],
) -> Found {
    let mut nodes = Vec::new();
    for v in values {
        collect_product_nodes(v, 0, &mut nodes);
    }
    let mut partials: Vec<Partial> = nodes
        .iter()
        .filter_map(|n| product_from_node(n, page_url, canonical_url))
        .collect();
    let mut names: Vec<&str> = partials
        .iter()
        .filter(|p| !p.offers.is_empty())
        .filter_map(|p| p.title.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let own = partials.iter().position(|p| {
        p.title
            .as_deref()
            .is_some_and(|t| headlines.iter().any(|h| same_name(t, h)))
    });
    if let Some(own) = own {
        let chosen = partials.remove(own);
        partials.insert(0, chosen);
        return Found {
            partials,
            listing: None,
        };
    }
    if names.len() > MAX_PRODUCTS_ON_A_PRODUCT_PAGE {
        return Found {
            partials: Vec::new(),
            listing: Some(names.len()),
        };
    }
    // The page's product is the first one with a price; else the first one named.
    if let Some(best) = partials.iter().position(|p| !p.offers.is_empty()) {
        let chosen = partials.remove(best);
        partials.insert(0, chosen);
    }
    Found {
        partials,
        listing: None,
    }
}

/// A product name and a headline name the same thing: equal, or one contains the other
/// (titles add the shop's name), compared without case and extra spaces.
pub(crate) fn same_name(name: &str, headline: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let (n, h) = (norm(name), norm(headline));
    n.chars().count() >= 8 && h.chars().count() >= 8 && (n == h || h.contains(&n) || n.contains(&h))
}

/// Parses one block leniently. A block may hold several concatenated JSON values.
fn parse_block(raw: &str) -> Result<Vec<Value>, String> {
    let text = strip_wrappers(raw);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    match parse_all(text) {
        Ok(v) => Ok(v),
        Err(first_error) => parse_all(&repair(text)).map_err(|_| first_error),
    }
}

fn parse_all(text: &str) -> Result<Vec<Value>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not valid JSON ({e})"))
}

fn strip_wrappers(raw: &str) -> &str {
    let mut t = raw.trim();
    for prefix in ["<!--", "//<![CDATA[", "/*<![CDATA[*/", "<![CDATA["] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.trim_start();
        }
    }
    for suffix in ["-->", "//]]>", "/*]]>*/", "]]>"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.trim_end();
        }
    }
    t.trim_end_matches(';').trim()
}

/// Fixes the two mistakes browsers forgive and JSON does not: raw control characters inside
/// strings and trailing commas before `}` or `]`.
fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if c.is_control() {
                out.push(' ');
                continue;
            }
            out.push(c);
            continue;
        }
        match c {
            '"' => in_string = true,
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if matches!(next, Some('}') | Some(']')) {
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

pub(crate) fn type_names(node: &Object) -> Vec<&str> {
    let names: Vec<&str> = match node.get("@type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(|t| t.rsplit(['/', ':', '#']).next().unwrap_or(t))
        .collect()
}

fn is_product_type(node: &Object) -> bool {
    type_names(node).iter().any(|t| {
        matches!(
            *t,
            "Product" | "ProductGroup" | "IndividualProduct" | "ProductModel" | "SomeProducts"
        )
    })
}

/// Other typed things sold with an offer (books, cars, tickets) count when they carry a price.
fn is_sold_thing(node: &Object) -> bool {
    !type_names(node).is_empty()
        && node.contains_key("name")
        && node.get("offers").is_some_and(|o| !offers_of(o).is_empty())
        && !type_names(node)
            .iter()
            .any(|t| matches!(*t, "Organization" | "WebSite" | "Store" | "LocalBusiness"))
}

fn collect_product_nodes<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Object>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => {
            for v in items {
                collect_product_nodes(v, depth + 1, out);
            }
        }
        Value::Object(node) => {
            if is_product_type(node) || is_sold_thing(node) {
                out.push(node);
                return;
            }
            // Containers a page's own product hides in. Lists (`itemListElement`) are
            // deliberately not entered: products there are a listing, not this page's product.
            for key in ["@graph", "mainEntity", "mainEntityOfPage", "about"] {
                if let Some(v) = node.get(key) {
                    collect_product_nodes(v, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// A price read from one offer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OfferPrice {
    pub amount: Decimal,
    pub currency: Option<Currency>,
    pub availability: Option<Availability>,
}

fn offers_of(value: &Value) -> Vec<OfferPrice> {
    let mut out = Vec::new();
    collect_offers(value, None, 0, &mut out);
    out
}

fn collect_offers(value: &Value, inherited: Option<&str>, depth: usize, out: &mut Vec<OfferPrice>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => {
            for v in items {
                collect_offers(v, inherited, depth + 1, out);
            }
        }
        Value::Object(o) => {
            let currency = o
                .get("priceCurrency")
                .and_then(text_of)
                .or_else(|| inherited.map(str::to_owned));
            let availability = o
                .get("availability")
                .and_then(text_of)
                .and_then(|t| Availability::parse(&t));
            let code = currency
                .as_deref()
                .and_then(|c| Currency::from_code(c.trim()).ok());
            let minor = code.map(Currency::minor_units);
            let own = o
                .get("price")
                .and_then(|p| number_of(p, minor))
                .or_else(|| price_from_specification(o.get("priceSpecification"), minor))
                .or_else(|| o.get("lowPrice").and_then(|p| number_of(p, minor)));
            if let Some((amount, text_currency)) = own {
                let spec_currency = spec_currency(o.get("priceSpecification"))
                    .and_then(|c| Currency::from_code(c.trim()).ok());
                out.push(OfferPrice {
                    amount,
                    currency: code.or(spec_currency).or(text_currency),
                    availability,
                });
            }
            // AggregateOffer nests its offers.
            if let Some(nested) = o.get("offers") {
                collect_offers(nested, currency.as_deref(), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// The selling price in a `priceSpecification`, skipping list/strike-through prices.
fn price_from_specification(
    spec: Option<&Value>,
    minor: Option<u32>,
) -> Option<(Decimal, Option<Currency>)> {
    let specs: Vec<&Object> = match spec? {
        Value::Object(o) => vec![o],
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        _ => return None,
    };
    specs
        .into_iter()
        .filter(|s| !is_list_price(s))
        .find_map(|s| s.get("price").and_then(|p| number_of(p, minor)))
}

fn spec_currency(spec: Option<&Value>) -> Option<String> {
    match spec? {
        Value::Object(o) => o.get("priceCurrency").and_then(text_of),
        Value::Array(a) => a
            .iter()
            .find_map(|s| s.get("priceCurrency").and_then(text_of)),
        _ => None,
    }
}

/// A `priceSpecification` of a list / strike-through / suggested retail price.
fn is_list_price(spec: &Object) -> bool {
    let kind = spec.get("priceType").and_then(text_of).unwrap_or_default();
    kind.contains("ListPrice") || kind.contains("Strikethrough") || kind.contains("SRP")
}

/// A number, or a string holding one; strings shops fill with display text (`C $11.19`,
/// `24,99 €`) are read as price text, which may also name the currency.
fn number_of(value: &Value, minor: Option<u32>) -> Option<(Decimal, Option<Currency>)> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => return a.iter().find_map(|v| number_of(v, minor)),
        _ => return None,
    };
    if let Some(d) = parse_structured_number(&text, minor) {
        return (!d.is_sign_negative()).then_some((d, None));
    }
    let parsed = price_text::parse_price(&text, &PriceHint::default());
    parsed
        .amount
        .filter(|d| !d.is_sign_negative() && !parsed.is_per_unit)
        .map(|d| (d, parsed.currency))
}

/// The list / strike-through price in a `priceSpecification`, if one is given.
fn list_price_of(value: &Value) -> Option<Decimal> {
    let specs: Vec<&Object> = match value {
        Value::Object(o) => match o.get("priceSpecification") {
            Some(Value::Object(s)) => vec![s],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
            _ => return None,
        },
        Value::Array(a) => return a.iter().find_map(list_price_of),
        _ => return None,
    };
    specs.into_iter().find_map(|s| {
        let is_list = is_list_price(s);
        is_list
            .then(|| s.get("price").and_then(|p| number_of(p, None)))
            .flatten()
            .map(|(d, _)| d)
    })
}

fn product_from_node(node: &Object, page_url: &str, canonical: Option<&str>) -> Option<Partial> {
    // A ProductGroup's variants are products of their own: prefer the one this URL shows.
    let variants: Vec<&Object> = match node.get("hasVariant") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) => vec![o],
        _ => Vec::new(),
    };
    let chosen_variant = variants
        .iter()
        .find(|v| {
            v.get("url")
                .and_then(text_of)
                .is_some_and(|u| resolve_url(page_url, &u) == page_url)
        })
        .or_else(|| variants.iter().find(|v| v.get("offers").is_some()))
        .copied();

    let field = |key: &str| -> Option<String> {
        chosen_variant
            .and_then(|v| v.get(key))
            .and_then(text_of)
            .or_else(|| node.get(key).and_then(text_of))
    };

    let title = node
        .get("name")
        .and_then(text_of)
        .or_else(|| chosen_variant.and_then(|v| v.get("name")).and_then(text_of))?;

    let offers_value = chosen_variant
        .and_then(|v| v.get("offers"))
        .filter(|o| !offers_of(o).is_empty())
        .or_else(|| node.get("offers"));
    let mut offers = offers_value.map(offers_of).unwrap_or_default();
    if let Some(buyable) = offers
        .iter()
        .position(|o| o.availability.is_some_and(Availability::can_buy))
    {
        let chosen = offers.remove(buyable);
        offers.insert(0, chosen);
    }

    let gtin = ["gtin13", "gtin", "gtin12", "gtin14", "gtin8", "isbn"]
        .iter()
        .find_map(|k| field(k).and_then(|g| normalise_gtin(&g)));
    let brand = chosen_variant
        .and_then(|v| v.get("brand"))
        .or_else(|| node.get("brand"))
        .and_then(text_of);
    let image = chosen_variant
        .and_then(|v| v.get("image"))
        .or_else(|| node.get("image"))
        .and_then(image_of)
        .map(|u| resolve_url(page_url, &u));
    let url = field("url")
        .map(|u| resolve_url(page_url, &u))
        .or_else(|| canonical.map(str::to_owned))
        .unwrap_or_else(|| page_url.to_owned());

    Some(Partial {
        title: Some(title),
        list_amount: offers_value.and_then(list_price_of),
        offers,
        brand,
        // `productID` stands in for a missing SKU only when it is one code: shops also fill
        // it with a label (`Ca304103-0000 Montre`) or a URL-like `isbn:…` reference.
        sku: field("sku").or_else(|| {
            field("productID").filter(|id| !id.contains(char::is_whitespace) && !id.contains(':'))
        }),
        gtin,
        mpn: field("mpn"),
        image,
        url,
    })
}

/// A field's text: strings (entity-decoded, trimmed), numbers, `{"name"}`/`{"@value"}`
/// objects, or the first usable item of an array.
pub(crate) fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => decode_entities(s.trim()),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => {
            return ["name", "@value", "@id"]
                .iter()
                .find_map(|k| o.get(*k).and_then(text_of))
        }
        Value::Array(a) => return a.iter().find_map(text_of),
        _ => return None,
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn image_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Object(o) => ["url", "contentUrl", "@id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(image_of)),
        Value::Array(a) => a.iter().find_map(image_of),
        _ => None,
    }
}

/// GTINs are 8, 12, 13 or 14 digits with a valid check digit (ISBN-10 aside, whose check
/// character may be X); anything else — `0000000000000` placeholders included — is not one.
pub(crate) fn normalise_gtin(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() == 10 {
        let ok = digits
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 9 && matches!(c, 'X' | 'x')));
        return ok.then(|| digits.to_ascii_uppercase());
    }
    let ok = digits.chars().all(|c| c.is_ascii_digit()) && matches!(digits.len(), 8 | 12 | 13 | 14);
    if !ok || digits.chars().all(|c| c == '0') {
        return None;
    }
    // GS1 check digit: weights 3,1,3,… from the right, excluding the check digit itself.
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let (body, check) = values.split_at(values.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    ((10 - sum % 10) % 10 == check[0]).then_some(digits)
}

/// Resolves a possibly relative URL against the page's as a browser's `link.href` does for
/// the links shops publish: an empty href is the page itself (less its fragment), and `.`/`..`
/// path segments are removed.
pub fn resolve_url(base: &str, href: &str) -> String {
    if href.trim().is_empty() {
        return base.split('#').next().unwrap_or(base).to_owned();
    }
    remove_dot_segments(join_url(base, href))
}

fn join_url(base: &str, href: &str) -> String {
    let href = href.trim();
    if href.starts_with("http://") || href.starts_with("https://") || href.starts_with("data:") {
        return href.to_owned();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let scheme = &base[..scheme_end.saturating_sub(3)];
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let origin_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| scheme_end + i);
    let origin = &base[..origin_end];
    if href.starts_with('/') {
        return format!("{origin}{href}");
    }
    let path_end = base[origin_end..]
        .find(['?', '#'])
        .map_or(base.len(), |i| origin_end + i);
    let dir_end = base[origin_end..path_end]
        .rfind('/')
        .map_or(origin_end, |i| origin_end + i + 1);
    if dir_end == origin_end {
        format!("{origin}/{href}")
    } else {
        format!("{}{href}", &base[..dir_end])
    }
}

fn remove_dot_segments(url: String) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url;
    };
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let path_end = url[path_start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| path_start + i);
    let path = &url[path_start..path_end];
    if !path.split('/').any(|seg| seg == "." || seg == "..") {
        return url;
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." | ".." => {
                if *seg == ".." {
                    out.pop();
                }
                // A trailing `.`/`..` leaves a directory: keep the final slash.
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    format!(
        "{}/{}{}",
        &url[..path_start],
        out.join("/"),
        &url[path_end..]
    )
}

/// Decodes the HTML entities that leak into JSON-LD text (`&amp;`, `&#39;`, `&#x2F;`, …).
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some(' '),
                "reg" => Some('®'),
                "trade" => Some('™'),
                "copy" => Some('©'),
                "euro" => Some('€'),
                "pound" => Some('£'),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                _ => name.strip_prefix('#').and_then(|num| {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

//! Saved HTML page → [`PageSnapshot`] v2, natively, with the semantics of the extension's
//! content-script collector (`content-scripts/collector.js`), so pages on disk can be run
//! through the same detection as live pages. Native tooling only (feature `cli`): the HTML
//! parser must not end up in the extension's wasm.
//!
//! Differences from the browser that are inherent to working offline: no script runs (the
//! snapshot is of the served HTML, not of the page after it rendered), and the caps count
//! UTF-8 bytes, as the engine's own checks do, where the collector counts UTF-16 units.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use ego_tree::NodeRef;
use encoding_rs::Encoding;
use scraper::{ElementRef, Html, Node};

use crate::eval::{self, Prediction};
use crate::jsonld::resolve_url;
use crate::product::Product;
use crate::snapshot::{
    has_currency, Item, PageSnapshot, PriceCandidate, Syntax, MAX_FACTS, MAX_ITEMS, MAX_ITEM_PROPS,
    MAX_JSON_LD_BLOCKS, MAX_JSON_LD_BLOCK_BYTES, MAX_META, MAX_PRICES, MAX_SNAPSHOT_BYTES,
    MAX_TEXTS, MAX_TEXT_FIELD_BYTES, MAX_VALUE_BYTES, SNAPSHOT_VERSION,
};

/// How far into the bytes a `<meta charset>` is looked for. The HTML standard's prescan
/// reads 1024 bytes; browsers look a little further, and so do we.
pub const CHARSET_PRESCAN_BYTES: usize = 4096;

const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Builds the snapshot the collector would send for `html` served at `url`.
pub fn snapshot_from_html(html: &str, url: &str) -> PageSnapshot {
    let document = Html::parse_document(html);
    let mut json_ld = Vec::new();
    let mut truncated = false;
    let mut total = 0usize;
    let mut title: Option<String> = None;
    let mut canonical_href: Option<String> = None;
    let mut base_href: Option<String> = None;
    let mut root: Option<ElementRef<'_>> = None;

    // One pass in document order: the collector's `querySelector`s take the first match.
    for node in document.tree.root().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        if root.is_none() {
            root = Some(el);
        }
        let name = el.value().name();
        let wanted = matches!(name, "script" | "title" | "link" | "base");
        // Selectors do not see into <template> contents, which html5ever keeps in the tree.
        if !wanted || in_template(el) {
            continue;
        }
        match name {
            "script" => {
                let is_json_ld = el
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json"));
                if !is_json_ld {
                    continue;
                }
                if json_ld.len() >= MAX_JSON_LD_BLOCKS {
                    truncated = true;
                    continue;
                }
                let text: String = el.text().collect();
                if text.len() > MAX_JSON_LD_BLOCK_BYTES || total + text.len() > MAX_SNAPSHOT_BYTES {
                    truncated = true;
                    continue;
                }
                total += text.len();
                json_ld.push(text);
            }
            // `document.title` is the first *HTML* <title>; an SVG <title> does not count.
            "title" if title.is_none() && &*el.value().name.ns == XHTML_NS => {
                title = Some(strip_and_collapse(&el.text().collect::<String>()));
            }
            "link" if canonical_href.is_none() => {
                let canonical = el.attr("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("canonical"))
                });
                if let (true, Some(href)) = (canonical, el.attr("href")) {
                    canonical_href = Some(href.to_owned());
                }
            }
            // `link.href` resolves against the document's base URL, which <base> can move.
            "base" if base_href.is_none() => {
                base_href = el.attr("href").map(str::to_owned);
            }
            _ => {}
        }
    }

    let base = base_href.map_or_else(|| url.to_owned(), |b| resolve_url(url, &b));
    let lang = root
        .and_then(|r| r.attr("lang"))
        .filter(|l| !l.is_empty())
        .map(clip);
    let mut snapshot = PageSnapshot {
        version: SNAPSHOT_VERSION,
        url: clip(url),
        title: clip(title.as_deref().unwrap_or_default()),
        lang,
        canonical_url: canonical_href.map(|h| clip(&resolve_url(&base, &h))),
        json_ld,
        truncated,
        signals: true,
        ..PageSnapshot::default()
    };
    if let Some(root) = root {
        collect_v2(root, &mut snapshot);
    }
    snapshot
}

// ---- Version 2: the same rules as collector.js, on a static tree. Keep the two in step:
// a Chromium test compares them on the fixture pages.

/// Words in an element's id/class/itemprop that mark prices, stock notices and offers.
const PRICE_HINTS: &[&str] = &[
    "price", "prix", "preis", "prec", "preç", "prezz", "cena", "hind", "цен", "價", "价", "amount",
];
const OFFER_WORDS: &[&str] = &[
    "coupon",
    "use code",
    "promo code",
    "voucher",
    "bank offer",
    "instant discount",
    "cashback",
    "cash back",
    "subscribe & save",
    "subscribe and save",
    "no cost emi",
    "no-cost emi",
    "clip ",
    "% off",
    // The EU's "lowest price in the last 30 days" line, for the deal score's honest reference.
    "last 30 days",
    "letzten 30 tage",
    "30 derniers jours",
    "ultimi 30 giorni",
    "últimos 30 días",
    "afgelopen 30 dagen",
    "30 dni",
];
/// Parents whose text nodes are never candidates.
const TEXT_PARENTS_SKIPPED: &[&str] = &[
    "script", "style", "noscript", "textarea", "option", "optgroup", "title",
];
/// Subtrees whose text is never shown as page text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "select", "textarea", "svg", "head",
];
/// Price candidates: the element's text at most this many characters; climbing stops at an
/// element with more children than this or more levels than `MAX_CLIMB`.
const MAX_PRICE_TEXT: usize = 48;
const MAX_CLIMB: usize = 4;
const MAX_CHILDREN: usize = 6;
const MAX_STOCK_TEXT: usize = 120;
const MAX_OFFER_TEXT: usize = 300;
const MAX_FACT_TEXT: usize = 200;
/// A details row of label/value cells: at most this many cells (three pairs).
const MAX_ROW_CELLS: usize = 6;
const MAX_CRUMB_TEXT: usize = 100;
const MAX_TRAILS: usize = 4;
/// Levels the text walk goes on reading outward once it has found the price.
const LEVELS_AFTER_PRICE: usize = 1;
/// The walk's budget: text nodes looked at.
const MAX_TEXT_NODES: usize = 4_000;
/// The facts pass's budget: details elements looked at after the heading. On every
/// development page the facts the engine uses are among the first 100 (50 lose two); the
/// cap leaves five times that.
const MAX_FACT_ELEMENTS: usize = 500;
/// An element whose raw text is longer than this is too long for any candidate, whatever
/// its collapsed length (the collector stops reading there to stay linear).
const MAX_RAW_TEXT: usize = 4_096;
/// Text nodes longer than this (raw) are never price or stock candidates.
const MAX_SHORT_NODE: usize = 512;
/// Inline facts (`Product code: 141677` in a `<p>` or `<span>`, outside any table): the
/// element's text, and a value taken from the next element, at most this many characters;
/// the label at most [`MAX_INLINE_LABEL`]; at most [`MAX_INLINE_FACTS`] of them, appended
/// after the table facts.
const MAX_INLINE_FACT_TEXT: usize = 80;
const MAX_INLINE_LABEL: usize = 40;
const MAX_INLINE_FACTS: usize = 32;

fn collect_v2(root: ElementRef<'_>, snap: &mut PageSnapshot) {
    collect_meta(root, snap);
    collect_items(root, snap);
    snap.signals = has_signals(root, snap);
    if !snap.signals {
        return;
    }
    let heading = root
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "h1" && !hidden(*e) && !collapse(&text(*e)).is_empty());
    snap.heading = heading.map(|h| clip_to(&collapse(&text(h)), MAX_VALUE_BYTES));
    let (region, inline) = collect_texts(root, heading, snap);
    collect_facts(root, heading, snap);
    append_inline_facts(snap, inline);
    if let Some(region) = region {
        collect_buttons(region, snap);
    }
    // The engine takes a schema.org trail before the visible one: no need to look for it.
    if !structured_trail(snap) {
        collect_breadcrumbs(root, snap);
    }
}

/// Whether the page's structured data holds a `BreadcrumbList` (the collector's
/// `structuredTrail`).
fn structured_trail(snap: &PageSnapshot) -> bool {
    snap.json_ld.iter().any(|t| t.contains("BreadcrumbList"))
        || snap
            .items
            .iter()
            .any(|i| i.r#type.contains("BreadcrumbList"))
}

/// The breadcrumb trail: the entries (list items, else links) of the first visible element
/// marked as one (`aria-label`, class or id) that shows at least two, separators left out; at
/// most [`MAX_TRAILS`] elements tried. The collector's `collectBreadcrumbs`.
fn collect_breadcrumbs(root: ElementRef<'_>, snap: &mut PageSnapshot) {
    // `rumb` as written and `breadcrumb` in any case: the collector's cheap selector, then
    // its test.
    let has = |el: ElementRef<'_>, attr: &str| {
        el.attr(attr)
            .is_some_and(|v| v.contains("rumb") && v.to_lowercase().contains("breadcrumb"))
    };
    let trails =
        elements(root).filter(|e| has(*e, "aria-label") || has(*e, "class") || has(*e, "id"));
    for trail in trails.take(MAX_TRAILS) {
        let below = || elements(trail).filter(move |e| e.id() != trail.id());
        let mut entries: Vec<ElementRef<'_>> =
            below().filter(|e| e.value().name() == "li").collect();
        if entries.is_empty() {
            entries = below().filter(|e| e.value().name() == "a").collect();
        }
        let crumbs: Vec<String> = entries
            .into_iter()
            .filter_map(bounded_text)
            .filter(|t| char_len(t) <= MAX_CRUMB_TEXT && !is_separator(t))
            .take(crate::snapshot::MAX_CRUMBS)
            .map(|t| clip_to(&t, MAX_VALUE_BYTES))
            .collect();
        if crumbs.len() >= 2 && !hidden(trail) {
            snap.breadcrumbs = crumbs;
            return;
        }
    }
}

/// Nothing but separators and spaces (`›`, ` / `): no breadcrumb entry.
fn is_separator(t: &str) -> bool {
    t.chars()
        .all(|c| is_js_space(c) || "/\\|>›»·•→-".contains(c))
}

fn collect_meta(root: ElementRef<'_>, snap: &mut PageSnapshot) {
    for el in elements(root).filter(|e| e.value().name() == "meta") {
        let Some(key) = el.attr("property").or_else(|| el.attr("name")) else {
            continue;
        };
        let key = js_trim(key).to_lowercase();
        let wanted = ["og:", "product:", "twitter:"]
            .iter()
            .any(|p| key.starts_with(p))
            || matches!(key.as_str(), "price" | "brand" | "sku" | "gtin" | "mpn");
        let Some(content) = el.attr("content") else {
            continue;
        };
        if !wanted {
            continue;
        }
        if snap.meta.len() >= MAX_META {
            snap.truncated = true;
            break;
        }
        snap.meta.push((
            clip_to(&key, MAX_VALUE_BYTES),
            clip_to(&collapse(content), MAX_VALUE_BYTES),
        ));
    }
}

fn collect_items(root: ElementRef<'_>, snap: &mut PageSnapshot) {
    // Node → item index, for parents found by walking up.
    let mut index: BTreeMap<ego_tree::NodeId, usize> = BTreeMap::new();
    let mut props = 0usize;
    for el in elements(root) {
        for syntax in [Syntax::Microdata, Syntax::Rdfa] {
            let (scope_attr, prop_attr) = match syntax {
                Syntax::Microdata => ("itemscope", "itemprop"),
                Syntax::Rdfa => ("typeof", "property"),
            };
            let starts_item = el.attr(scope_attr).is_some();
            let prop = el.attr(prop_attr).and_then(|p| js_words(p).next());
            let owner = el
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.attr(scope_attr).is_some())
                .and_then(|a| index.get(&a.id()).copied());
            if starts_item {
                if snap.items.len() >= MAX_ITEMS {
                    snap.truncated = true;
                    continue;
                }
                index.insert(el.id(), snap.items.len());
                let r#type = match syntax {
                    Syntax::Microdata => el.attr("itemtype"),
                    Syntax::Rdfa => el.attr("typeof"),
                };
                snap.items.push(Item {
                    syntax,
                    r#type: clip_to(
                        r#type.and_then(|t| js_words(t).next()).unwrap_or(""),
                        MAX_VALUE_BYTES,
                    ),
                    parent: owner,
                    prop: prop.map(|p| clip_to(p, MAX_VALUE_BYTES)),
                    props: Vec::new(),
                });
            } else if let (Some(owner), Some(_)) = (owner, prop) {
                let names = el.attr(prop_attr).unwrap_or_default();
                let value = clip_to(&prop_value(el, syntax), MAX_VALUE_BYTES);
                for name in js_words(names) {
                    if props >= MAX_ITEM_PROPS {
                        snap.truncated = true;
                        break;
                    }
                    props += 1;
                    snap.items[owner]
                        .props
                        .push((clip_to(name, MAX_VALUE_BYTES), value.clone()));
                }
            }
        }
    }
}

/// A property's value as the microdata standard reads it (RDFa: `content`, then the link,
/// then the text). A `content` attribute wins on any element, as shops use it that way.
fn prop_value(el: ElementRef<'_>, syntax: Syntax) -> String {
    if let Some(c) = el.attr("content") {
        return collapse(c);
    }
    let name = el.value().name();
    let attr = match (syntax, name) {
        (_, "a" | "area" | "link") => Some("href"),
        (_, "img" | "audio" | "embed" | "iframe" | "source" | "track" | "video") => Some("src"),
        (Syntax::Microdata, "object") => Some("data"),
        (Syntax::Microdata, "data" | "meter") => Some("value"),
        (_, "time") if el.attr("datetime").is_some() => Some("datetime"),
        (_, "meta") => return String::new(),
        _ => None,
    };
    match attr {
        Some(a) => js_trim(el.attr(a).unwrap_or_default()).to_owned(),
        None => collapse(&text(el)),
    }
}

/// Whether the page may show a product (the collector's `hasSignals`); without a sign the
/// collector stops early. JSON-LD or items for the site, its organisation or an article alone
/// are no sign.
fn has_signals(root: ElementRef<'_>, snap: &PageSnapshot) -> bool {
    let product_or_offer = |t: &str| t.contains("Product") || t.contains("Offer");
    if snap.json_ld.iter().any(|t| product_or_offer(t))
        || snap.items.iter().any(|i| product_or_offer(&i.r#type))
    {
        return true;
    }
    let meta = snap.meta.iter().any(|(k, v)| {
        k.starts_with("product:")
            || k.starts_with("og:price")
            || (k == "og:type" && v.contains("product"))
    });
    meta || elements(root).any(|e| {
        if e.attr("itemprop") == Some("price") {
            return true;
        }
        let id = e.attr("id").unwrap_or_default().to_lowercase();
        let class = e.attr("class").unwrap_or_default();
        let name = e.attr("name").unwrap_or_default().to_lowercase();
        ["price", "cart", "basket"].iter().any(|w| id.contains(w))
            || SIGNAL_CLASS_WORDS.iter().any(|w| class.contains(w))
            || name.contains("cart")
    })
}

/// Class substrings that mark price or cart markup, each as written: a case-insensitive test
/// of every element's class costs the collector's selector three times as much (`priceBox`,
/// `ProductPrice`, `miniCart`, `BASKET` match; `pRice` does not).
const SIGNAL_CLASS_WORDS: [&str; 9] = [
    "price", "Price", "PRICE", "cart", "Cart", "CART", "basket", "Basket", "BASKET",
];

/// The text-node walk: price candidates, stock and offer texts, inline facts.
///
/// With a heading, the walk reads outward from it, one ancestor at a time (the heading's
/// text, then its following siblings' subtrees in document order, then its preceding
/// siblings' nearest first, then the same around its parent, …) until it holds a price with
/// a currency sign that is not struck, and then [`LEVELS_AFTER_PRICE`] more, for the buy box
/// and offers beside the price: the product's own block is read, the rest of the page
/// (menus, footers, recommendations) is not. Without a heading it reads the whole body in document
/// order. Returns the element whose subtree was read (the buy buttons are looked for there)
/// and the inline facts, which go after the table facts. The candidates are put back in
/// document order at the end.
fn collect_texts<'a>(
    root: ElementRef<'a>,
    heading: Option<ElementRef<'a>>,
    snap: &mut PageSnapshot,
) -> (Option<ElementRef<'a>>, Vec<(String, String)>) {
    let body = elements(root).find(|e| e.value().name() == "body");
    let Some(body) = body else {
        return (None, Vec::new());
    };
    let mut walk = TextWalk::new(snap);
    let heading = heading.filter(|h| h.ancestors().any(|a| a.id() == body.id()));
    let region = match heading {
        None => {
            for node in text_nodes(*body) {
                if !walk.visit(node, None) {
                    break;
                }
            }
            body
        }
        Some(h) => walk_outward(h, body, &mut walk),
    };
    (Some(region), walk.finish())
}

/// The region walk of [`collect_texts`]; returns the outermost element read.
fn walk_outward<'a>(
    heading: ElementRef<'a>,
    body: ElementRef<'a>,
    walk: &mut TextWalk<'_>,
) -> ElementRef<'a> {
    // Text nodes read before the heading's first one (`lo`) and from it on (`hi`): `order` is
    // the signed distance in text nodes, as a whole-page walk would count it.
    let mut lo: i64 = 0;
    let mut hi: i64 = 0;
    for node in text_nodes(*heading) {
        if !walk.visit(node, Some(hi)) {
            return heading;
        }
        hi += 1;
    }
    let mut region = heading;
    let mut margin = LEVELS_AFTER_PRICE;
    while region.id() != body.id() {
        if walk.priced {
            if margin == 0 {
                break;
            }
            margin -= 1;
        }
        let Some(parent) = region.parent().and_then(ElementRef::wrap) else {
            break;
        };
        for sibling in region.next_siblings() {
            for node in text_nodes(sibling) {
                if !walk.visit(node, Some(hi)) {
                    return parent;
                }
                hi += 1;
            }
        }
        for sibling in region.prev_siblings() {
            let nodes = text_nodes(sibling);
            let m = i64::try_from(nodes.len()).unwrap_or(i64::MAX);
            for (i, node) in (0..).zip(nodes) {
                if !walk.visit(node, Some(-(lo + m - i))) {
                    return parent;
                }
            }
            lo += m;
        }
        region = parent;
    }
    region
}

/// What the text walk has found so far, each candidate with its place in the document.
struct TextWalk<'s> {
    snap: &'s mut PageSnapshot,
    phrases: Vec<&'static str>,
    read: usize,
    /// Document position of each pushed price, stock text, offer and inline fact.
    price_at: Vec<i64>,
    stock_at: Vec<i64>,
    offer_at: Vec<i64>,
    inline: Vec<(i64, (String, String))>,
    seen_inline: std::collections::BTreeSet<ego_tree::NodeId>,
    seen_prices: std::collections::BTreeSet<ego_tree::NodeId>,
    seen_offers: std::collections::BTreeSet<String>,
    seen_stock: std::collections::BTreeSet<String>,
    /// A price with a currency sign that is not struck.
    priced: bool,
}

impl<'s> TextWalk<'s> {
    fn new(snap: &'s mut PageSnapshot) -> Self {
        Self {
            snap,
            phrases: crate::detect::visible::stock_phrases(),
            read: 0,
            price_at: Vec::new(),
            stock_at: Vec::new(),
            offer_at: Vec::new(),
            inline: Vec::new(),
            seen_inline: Default::default(),
            seen_prices: Default::default(),
            seen_offers: Default::default(),
            seen_stock: Default::default(),
            priced: false,
        }
    }

    /// Looks at one text node; `order` is its distance from the heading's first text node
    /// (`None` without a heading). False when the budget is spent.
    fn visit(&mut self, node: NodeRef<'_, Node>, order: Option<i64>) -> bool {
        self.read += 1;
        if self.read > MAX_TEXT_NODES {
            self.snap.truncated = true;
            return false;
        }
        let at = order.unwrap_or(i64::try_from(self.read).unwrap_or(i64::MAX));
        let Some(data) = node.value().as_text() else {
            return true;
        };
        let Some(parent) = node.parent().and_then(ElementRef::wrap) else {
            return true;
        };
        // Never a candidate: text of scripts, styles, form options and SVG (a parent test,
        // as the collector does it), and text inside noscript or an svg icon (HTML in its
        // foreignObject), which is not page text.
        if TEXT_PARENTS_SKIPPED.contains(&parent.value().name())
            || &*parent.value().name.ns != XHTML_NS
            || parent
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| matches!(a.value().name(), "noscript" | "svg"))
        {
            return true;
        }
        let snap = &mut *self.snap;
        // Text nodes over MAX_SHORT_NODE raw characters are never price or stock candidates.
        let short = data.encode_utf16().count() <= MAX_SHORT_NODE;
        if short && snap.stock.len() < MAX_TEXTS {
            let collapsed = collapse(data);
            let lower = data.to_lowercase();
            if char_len(&collapsed) <= MAX_STOCK_TEXT
                && self.phrases.iter().any(|w| lower.contains(w))
            {
                // The notice as its element shows it, else the text itself.
                let t = bounded_text(parent)
                    .filter(|t| char_len(t) <= MAX_STOCK_TEXT)
                    .unwrap_or(collapsed);
                if !t.is_empty() && !self.seen_stock.contains(&t) && !hidden(parent) {
                    self.seen_stock.insert(t.clone());
                    snap.stock.push(clip_to(&t, MAX_VALUE_BYTES));
                    self.stock_at.push(at);
                }
            }
        }
        if short && data.chars().any(|c| c.is_ascii_digit()) && snap.prices.len() < MAX_PRICES {
            if let Some(el) = climb(parent, MAX_PRICE_TEXT, true) {
                if self.seen_prices.insert(el.id()) && !hidden(el) {
                    let t = collapse(&text(el));
                    let hint = hint_of(el);
                    let currency = has_currency(&t);
                    if currency || PRICE_HINTS.iter().any(|w| hint.contains(w)) {
                        let struck = struck(el);
                        self.priced |= currency && !struck;
                        self.price_at.push(at);
                        snap.prices.push(PriceCandidate {
                            text: clip_to(&t, MAX_VALUE_BYTES),
                            hint: clip_to(&hint, MAX_VALUE_BYTES),
                            struck,
                            order,
                            ..PriceCandidate::default()
                        });
                    }
                }
            }
        }
        if short
            && self.inline.len() < MAX_INLINE_FACTS
            && data.contains([':', '：', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
            && char_len(&collapse(data)) <= MAX_INLINE_FACT_TEXT
            && self.seen_inline.insert(parent.id())
            && parent.children().filter_map(ElementRef::wrap).count() <= MAX_CHILDREN
            && !in_menu(parent)
        {
            if let Some(fact) = element_fact(parent) {
                self.inline.push((at, fact));
            }
        }
        let lower = data.to_lowercase();
        if snap.offers.len() < MAX_TEXTS && OFFER_WORDS.iter().any(|w| lower.contains(w)) {
            if let Some(el) = climb(parent, MAX_OFFER_TEXT, false) {
                let t = collapse(&text(el));
                if !hidden(el) && self.seen_offers.insert(t.clone()) {
                    snap.offers.push(clip_to(&t, MAX_VALUE_BYTES));
                    self.offer_at.push(at);
                }
            }
        }
        true
    }

    /// Puts every list back in document order; returns the inline facts.
    fn finish(self) -> Vec<(String, String)> {
        fn in_order<T>(items: &mut Vec<T>, at: &[i64]) {
            let mut keyed: Vec<(i64, T)> = at.iter().copied().zip(items.drain(..)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            items.extend(keyed.into_iter().map(|(_, v)| v));
        }
        in_order(&mut self.snap.prices, &self.price_at);
        in_order(&mut self.snap.stock, &self.stock_at);
        in_order(&mut self.snap.offers, &self.offer_at);
        let mut inline = self.inline;
        inline.sort_by_key(|(k, _)| *k);
        inline.into_iter().map(|(_, f)| f).collect()
    }
}

/// A visible short element's inline fact (the text walk's candidates, and paragraphs).
fn element_fact(el: ElementRef<'_>) -> Option<(String, String)> {
    let next = || {
        el.next_siblings()
            .find_map(ElementRef::wrap)
            .and_then(bounded_text)
            .filter(|v| char_len(v) <= MAX_INLINE_FACT_TEXT)
    };
    bounded_text(el)
        .filter(|t| char_len(t) <= MAX_INLINE_FACT_TEXT)
        .and_then(|t| inline_fact(&t, next))
        .filter(|_| !hidden(el))
}

/// An inline fact in a short element's text `t`: `Label: value` (the value, when nothing
/// follows the colon, is `next()`: the next element's text, as in `<b>Model:</b>
/// <span>X1</span>` or a label cell beside its value cell), else `Label CODE` — one to three
/// words of letters, then one code with a digit (`SKU MKI6IKW1N4`, `Ref. 4501-B`). Shops
/// print product codes and brands this way outside any table; the engine keeps only the
/// labels it knows.
fn inline_fact(t: &str, next: impl FnOnce() -> Option<String>) -> Option<(String, String)> {
    if let Some(at) = t.find([':', '：']) {
        let label = js_trim(&t[..at]);
        let colon = t[at..].chars().next().map_or(1, char::len_utf8);
        let mut value = js_trim(&t[at + colon..]).to_owned();
        if value.is_empty() {
            value = next()?;
        }
        let ok = char_len(label) <= MAX_INLINE_LABEL
            && label.chars().any(char::is_alphabetic)
            && !value.is_empty()
            && char_len(&value) <= MAX_INLINE_FACT_TEXT;
        return ok.then(|| (label.to_owned(), value));
    }
    let (label, value) = t.rsplit_once(' ')?;
    let value = value.trim_start_matches('#');
    let label_ok = char_len(label) <= 30
        && label.split(' ').count() <= 3
        && label.chars().any(char::is_alphabetic)
        && label
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '.' | '#' | '-' | '/' | ' '));
    let value_ok = char_len(value) >= 3
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '/' | '_'))
        && value.chars().any(|c| c.is_ascii_digit());
    (label_ok && value_ok).then(|| (label.to_owned(), value.to_owned()))
}

/// Inline facts after the table facts, each pair once, within the facts cap.
fn append_inline_facts(snap: &mut PageSnapshot, inline: Vec<(String, String)>) {
    for (k, v) in inline {
        if snap.facts.len() >= MAX_FACTS {
            break;
        }
        let pair = (clip_to(&k, MAX_VALUE_BYTES), clip_to(&v, MAX_VALUE_BYTES));
        if !snap.facts.contains(&pair) {
            snap.facts.push(pair);
        }
    }
}

/// From a text node's element, the outermost ancestor (at most [`MAX_CLIMB`] levels up,
/// below `<body>`, none with more than [`MAX_CHILDREN`] element children) whose text is at
/// most `max` characters — and, for prices (`one_number`), holds a single number unless the
/// element is a bare amount, so `€` + `66` + `,75` in three spans join, `2320` climbs to
/// `特價 72 折 2320 元`, but a price and its "was" price stay apart; for offers, never a
/// whole list.
/// `None` when the element's own text is already longer.
fn climb(start: ElementRef<'_>, max: usize, one_number: bool) -> Option<ElementRef<'_>> {
    if bounded_text(start).is_none_or(|t| char_len(&t) > max) {
        return None;
    }
    let mut el = start;
    for _ in 0..MAX_CLIMB {
        let Some(parent) = el.parent().and_then(ElementRef::wrap) else {
            break;
        };
        // An offer is one list item or row, not the whole list of offers.
        let list = matches!(
            parent.value().name(),
            "ul" | "ol" | "dl" | "table" | "tbody"
        );
        if parent.value().name() == "body"
            || (!one_number && list)
            || parent.children().filter_map(ElementRef::wrap).count() > MAX_CHILDREN
        {
            break;
        }
        let Some(t) = bounded_text(parent) else {
            break;
        };
        // A second number stops the climb, unless the element is a bare amount (`2320`)
        // still looking for its currency sign.
        let bare = || bounded_text(el).is_some_and(|own| is_bare_number(&own));
        if char_len(&t) > max || (one_number && number_groups(&t) > 1 && !bare()) {
            break;
        }
        el = parent;
    }
    Some(el)
}

/// Label/value pairs of details tables and lists: `<dt>`/`<dd>`, two-cell rows, rows of
/// two or three label/value pairs whose labels end in a colon (`Brand: | X | Colour: | Y`),
/// list items that read `Label: value` or `Label - value`, and paragraphs that hold an
/// inline fact. Only those after the main heading in document order (the whole page without
/// one): what precedes the product's title is the site's header, its menus and the trail, which
/// hold half of the development pages' list items and none of their facts.
fn collect_facts(root: ElementRef<'_>, heading: Option<ElementRef<'_>>, snap: &mut PageSnapshot) {
    let mut looked = 0usize;
    let after = elements(root).skip_while(|e| heading.is_some_and(|h| *e != h));
    for el in after {
        let name = el.value().name();
        if !matches!(name, "dt" | "tr" | "li" | "p") || (name == "li" && in_menu(el)) {
            continue;
        }
        looked += 1;
        if looked > MAX_FACT_ELEMENTS || snap.facts.len() >= MAX_FACTS {
            snap.truncated |= looked > MAX_FACT_ELEMENTS;
            break;
        }
        if in_skipped(el) {
            continue;
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        match name {
            "dt" => {
                let dd = el
                    .next_siblings()
                    .filter_map(ElementRef::wrap)
                    .next()
                    .filter(|d| d.value().name() == "dd");
                pairs.extend(dd.and_then(|d| Some((bounded_text(el)?, bounded_text(d)?))));
            }
            "tr" => {
                let cells: Vec<ElementRef<'_>> = el
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|c| matches!(c.value().name(), "td" | "th"))
                    .take(MAX_ROW_CELLS + 1)
                    .collect();
                if cells.len() == 2 {
                    pairs.extend(bounded_text(cells[0]).zip(bounded_text(cells[1])));
                } else if cells.len() % 2 == 0 && cells.len() <= MAX_ROW_CELLS {
                    for pair in cells.chunks(2) {
                        let (Some(k), Some(v)) = (bounded_text(pair[0]), bounded_text(pair[1]))
                        else {
                            continue;
                        };
                        if let Some(label) = k.strip_suffix([':', '：']) {
                            pairs.push((js_trim(label).to_owned(), v));
                        }
                    }
                }
            }
            // A list item holding a menu is no fact.
            _ if el.children().filter_map(ElementRef::wrap).count() > MAX_CHILDREN => {}
            // A paragraph is read as an inline fact (`Product code: 141677`, `SKU X1`), as the
            // text walk reads short elements in the product's block: the description and
            // details below it are outside that block.
            "p" => {
                pairs.extend(element_fact(el));
            }
            _ => pairs.extend(
                bounded_text(el)
                    .filter(|t| char_len(t) <= MAX_FACT_TEXT)
                    .and_then(|t| {
                        // `Label: value`, else `Label - value`.
                        t.split_once(':')
                            .or_else(|| t.split_once(" - "))
                            .map(|(k, v)| (js_trim(k).to_owned(), js_trim(v).to_owned()))
                    }),
            ),
        }
        for (k, v) in pairs {
            if snap.facts.len() < MAX_FACTS
                && !k.is_empty()
                && !v.is_empty()
                && char_len(&k) <= MAX_FACT_TEXT
            {
                snap.facts
                    .push((clip_to(&k, MAX_VALUE_BYTES), clip_to(&v, MAX_VALUE_BYTES)));
            }
        }
    }
}

/// Buy buttons (enabled, visible), after the stock notices the text walk found.
fn collect_buttons(root: ElementRef<'_>, snap: &mut PageSnapshot) {
    let mut seen: std::collections::BTreeSet<String> = snap.stock.iter().cloned().collect();
    for el in elements(root) {
        if snap.stock.len() >= MAX_TEXTS {
            break;
        }
        let name = el.value().name();
        let is_button = name == "button"
            || (name == "input"
                && el
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("submit")));
        if !is_button || el.attr("disabled").is_some() {
            continue;
        }
        let t = if name == "input" {
            collapse(el.attr("value").unwrap_or_default())
        } else {
            bounded_text(el).unwrap_or_default()
        };
        if t.is_empty()
            || char_len(&t) > MAX_STOCK_TEXT
            || seen.contains(&t)
            || in_skipped(el)
            || hidden(el)
        {
            continue;
        }
        seen.insert(t.clone());
        snap.stock.push(clip_to(&t, MAX_VALUE_BYTES));
    }
}

/// Every element under `root` in document order, except inside subtrees never shown.
fn elements(root: ElementRef<'_>) -> impl Iterator<Item = ElementRef<'_>> {
    root.descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() != "template" && !in_template(*e))
}

/// Text nodes under `root` in document order (all of them, as a DOM walker sees them:
/// `<template>` contents aside).
fn text_nodes(root: NodeRef<'_, Node>) -> Vec<NodeRef<'_, Node>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(_) => out.push(node),
            Node::Element(e) if e.name() == "template" => {}
            _ => {
                // Reverse so the stack pops children in document order.
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
        }
    }
    out
}

/// In a site's navigation (`<nav>`, or a navigation, menu or menubar role): its entries are
/// no details (the collector's `FACT_ELEMENTS` and `MENUS` selectors).
fn in_menu(el: ElementRef<'_>) -> bool {
    let mut chain = std::iter::once(el).chain(el.ancestors().filter_map(ElementRef::wrap));
    chain.any(|a| {
        a.value().name() == "nav"
            || a.attr("role").is_some_and(|r| {
                ["navigation", "menu", "menubar"]
                    .iter()
                    .any(|m| r.eq_ignore_ascii_case(m))
            })
    })
}

fn in_skipped(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| SKIPPED.contains(&a.value().name()))
}

/// [`text`] collapsed, or `None` when the raw text is over [`MAX_RAW_TEXT`] characters
/// (UTF-16 units in the collector; the same for the text shops use).
fn bounded_text(el: ElementRef<'_>) -> Option<String> {
    let mut n = 0;
    let mut out = String::new();
    for t in el.text() {
        n += t.encode_utf16().count();
        if n > MAX_RAW_TEXT {
            return None;
        }
        out.push_str(t);
    }
    Some(collapse(&out))
}

/// `textContent`: all descendant text, scripts and styles included, as the DOM has it.
fn text(el: ElementRef<'_>) -> String {
    el.text().collect()
}

/// Hidden without layout: the `hidden` attribute or an inline `display:none` /
/// `visibility:hidden` on the element or an ancestor.
fn hidden(el: ElementRef<'_>) -> bool {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .any(|e| {
            e.attr("hidden").is_some()
                || e.attr("style").is_some_and(|s| {
                    let s: String = s.to_lowercase().split_whitespace().collect();
                    s.contains("display:none") || s.contains("visibility:hidden")
                })
        })
}

/// Struck through without layout: inside `<del>`, `<s>` or `<strike>` (three levels up),
/// or an inline `line-through`.
fn struck(el: ElementRef<'_>) -> bool {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .take(4)
        .any(|e| {
            matches!(e.value().name(), "del" | "s" | "strike")
                || e.attr("style")
                    .is_some_and(|s| s.to_lowercase().contains("line-through"))
        })
}

/// Lower-cased id, class and itemprop of the element and its two nearest ancestors.
fn hint_of(el: ElementRef<'_>) -> String {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .take(3)
        .flat_map(|e| [e.attr("id"), e.attr("class"), e.attr("itemprop")])
        .flatten()
        .map(js_trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The collector's `s.replace(/\s+/g, ' ').trim()`.
fn collapse(s: &str) -> String {
    js_words(s).collect::<Vec<_>>().join(" ")
}

/// JavaScript's whitespace (`\s`, `trim()`): Unicode's `White_Space` without U+0085, plus
/// U+FEFF (the byte-order mark some shops leave inside their text). The collector's
/// definition wins so both collectors read such text alike.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// `s.trim().split(/\s+/)` without empty words.
fn js_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_js_space).filter(|w| !w.is_empty())
}

/// Digits, then only digits, `.`, `,`, `'` and spaces: an amount without its currency.
fn is_bare_number(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | ' '))
}

/// Runs of digits joined by `.` `,` `'` (`1,234.56` is one, `34.99 49.99` two).
fn number_groups(s: &str) -> usize {
    let chars: Vec<char> = s.chars().collect();
    let mut groups = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            groups += 1;
            i += 1;
            // Separators continue the group only when a digit follows them.
            while i < chars.len() {
                if chars[i].is_ascii_digit() {
                    i += 1;
                } else if matches!(chars[i], '.' | ',' | '\'')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                {
                    i += 2;
                } else {
                    break;
                }
            }
        } else {
            i += 1;
        }
    }
    groups
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn clip_to(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Decodes page bytes as a browser would: a byte-order mark wins, then the charset declared
/// in a `<meta>` within the first [`CHARSET_PRESCAN_BYTES`], else UTF-8. Malformed bytes
/// become U+FFFD; this never fails.
pub fn decode_html(bytes: &[u8]) -> String {
    let encoding = sniff_charset(bytes).unwrap_or(encoding_rs::UTF_8);
    // `decode` lets a BOM override the declared charset, as browsers do.
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

/// Reads a saved page, gunzipping it when it is gzip data (by its magic bytes, whatever the
/// file is called).
pub fn read_page(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: gzip: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// A saved page (`.html` or `.html.gz`) → snapshot → detected product, for `url`.
/// A saved page (`.html` or `.html.gz`) → the snapshot the collector would send for `url`.
pub fn snapshot_page_file(path: &Path, url: &str) -> Result<PageSnapshot, String> {
    let bytes = read_page(path)?;
    Ok(snapshot_from_html(&decode_html(&bytes), url))
}

pub fn detect_page_file(path: &Path, url: &str) -> Result<Option<Product>, String> {
    let snapshot = snapshot_page_file(path, url)?;
    crate::detect::detect(&snapshot)
        .map(|d| d.product)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs detection over a page set laid out like `shared/data/product-pages`
/// (`DIR/ground-truth.json` for the URLs, `DIR/html/KEY.html.gz`): one prediction per key,
/// empty for pages without a product. Fails listing every page that could not be processed.
pub fn detect_dir(dir: &Path) -> Result<BTreeMap<String, Prediction>, String> {
    let truth_path = dir.join("ground-truth.json");
    let truth_text = std::fs::read_to_string(&truth_path)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let truth = eval::parse_ground_truth(&truth_text)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let mut predictions = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, page) in &truth {
        let html = dir.join("html");
        let gz = html.join(format!("{key}.html.gz"));
        let path = if gz.exists() {
            gz
        } else {
            html.join(format!("{key}.html"))
        };
        match detect_page_file(&path, &page.url) {
            Ok(product) => {
                let row = product
                    .as_ref()
                    .map(eval::prediction_from_product)
                    .unwrap_or_default();
                predictions.insert(key.clone(), row);
            }
            Err(e) => errors.push(format!("{key}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(predictions)
    } else {
        Err(errors.join("\n"))
    }
}

fn in_template(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "template")
}

/// `document.title`'s whitespace rule: strip and collapse ASCII whitespace.
fn strip_and_collapse(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Clips to [`MAX_TEXT_FIELD_BYTES`] on a char boundary (the collector clips too).
fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT_FIELD_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The HTML standard's meta prescan, simplified: walks tags in the first bytes (skipping
/// comments and quoted attribute values) and returns the first `<meta charset>` or
/// `<meta http-equiv=content-type content="…charset=…">` that names a known encoding.
fn sniff_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(CHARSET_PRESCAN_BYTES)];
    let mut i = 0;
    while i < head.len() {
        if head[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            i += find(&rest[4..], b"-->").map_or(head.len(), |j| 4 + j + 3);
            continue;
        }
        let after = rest.get(1).copied().unwrap_or(b' ');
        if !(after.is_ascii_alphabetic() || after == b'/') {
            i += 1;
            continue;
        }
        let (tag, attrs, len) = parse_tag(rest);
        i += len.max(1);
        if !tag.eq_ignore_ascii_case(b"meta") {
            continue;
        }
        let attr = |name: &[u8]| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
        };
        let label = match (attr(b"charset"), attr(b"http-equiv"), attr(b"content")) {
            (Some(cs), _, _) => Some(cs.to_vec()),
            (None, Some(eq), Some(content)) if eq.eq_ignore_ascii_case(b"content-type") => {
                charset_from_content(content)
            }
            _ => None,
        };
        if let Some(encoding) = label.and_then(|l| Encoding::for_label(&l)) {
            // The standard: a page cannot declare itself UTF-16 in ASCII-compatible bytes,
            // and x-user-defined reads as windows-1252.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else if encoding == encoding_rs::X_USER_DEFINED {
                    encoding_rs::WINDOWS_1252
                } else {
                    encoding
                },
            );
        }
    }
    None
}

type Attr = (Vec<u8>, Vec<u8>);

/// Parses `<name attr=value …>` at the start of `s`: returns the tag name, its attributes
/// and the bytes consumed (up to and including `>`, or all of `s` if it never closes).
fn parse_tag(s: &[u8]) -> (&[u8], Vec<Attr>, usize) {
    let mut i = 1;
    if s.get(i) == Some(&b'/') {
        i += 1;
    }
    let name_start = i;
    while i < s.len() && !s[i].is_ascii_whitespace() && s[i] != b'>' && s[i] != b'/' {
        i += 1;
    }
    let name = &s[name_start..i];
    let mut attrs = Vec::new();
    loop {
        while i < s.len() && (s[i].is_ascii_whitespace() || s[i] == b'/') {
            i += 1;
        }
        if i >= s.len() {
            return (name, attrs, s.len());
        }
        if s[i] == b'>' {
            return (name, attrs, i + 1);
        }
        let key_start = i;
        while i < s.len() && !s[i].is_ascii_whitespace() && !matches!(s[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = s[key_start..i].to_vec();
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Vec::new();
        if s.get(i) == Some(&b'=') {
            i += 1;
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            match s.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = s[i + 1..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(s.len(), |j| i + 1 + j);
                    value = s[i + 1..end].to_vec();
                    i = (end + 1).min(s.len());
                }
                _ => {
                    let start = i;
                    while i < s.len() && !s[i].is_ascii_whitespace() && s[i] != b'>' {
                        i += 1;
                    }
                    value = s[start..i].to_vec();
                }
            }
        }
        attrs.push((key, value));
    }
}

/// `text/html; charset=windows-1251` → `windows-1251` (quotes allowed).
fn charset_from_content(content: &[u8]) -> Option<Vec<u8>> {
    let lower = content.to_ascii_lowercase();
    let at = find(&lower, b"charset")?;
    let rest = content[at + 7..].trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let (quote, rest) = match rest.first() {
        Some(&q) if q == b'"' || q == b'\'' => (Some(q), &rest[1..]),
        _ => (None, rest),
    };
    let end = rest
        .iter()
        .position(|&c| match quote {
            Some(q) => c == q,
            None => c.is_ascii_whitespace() || c == b';',
        })
        .unwrap_or(rest.len());
    let label = &rest[..end];
    (!label.is_empty()).then(|| label.to_vec())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prescan_reads_both_declaration_forms_and_skips_comments() {
        let cases: [(&[u8], Option<&str>); 7] = [
            (b"<meta charset=\"windows-1251\">", Some("windows-1251")),
            (b"<META CHARSET=windows-1250>", Some("windows-1250")),
            (
                b"<meta http-equiv='Content-Type' content='text/html; charset=ISO-8859-2'>",
                Some("ISO-8859-2"),
            ),
            (b"<!-- <meta charset=koi8-r> --><p>", None),
            (b"<meta charset=utf-16le>", Some("UTF-8")),
            (b"<meta name=x content='charset=koi8-r'>", None),
            (
                b"<meta charset=nonsense><meta charset=koi8-r>",
                Some("KOI8-R"),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                sniff_charset(bytes).map(Encoding::name),
                want.map(|w| Encoding::for_label(w.as_bytes()).map_or("?", Encoding::name)),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    /// The quoted strings of the array `const NAME = [ … ];` in collector.js.
    fn collector_list(name: &str) -> Vec<&'static str> {
        let js = include_str!("../../content-scripts/collector.js");
        let decl = format!("const {name} = [");
        let start = js
            .find(&decl)
            .unwrap_or_else(|| panic!("{name} in collector.js"));
        let end = start
            + js[start..]
                .find("];")
                .unwrap_or_else(|| panic!("end of {name}"));
        js[start..end].split('\'').skip(1).step_by(2).collect()
    }

    /// The content script carries a copy of the engine's stock phrases (it must pick the
    /// same candidates without calling into wasm): the copy must not drift.
    #[test]
    fn the_collector_looks_for_the_engines_stock_phrases() {
        assert_eq!(
            collector_list("STOCK_PHRASES"),
            crate::detect::visible::stock_phrases()
        );
    }

    /// The same for the offer words: the two collectors pick the same offer texts.
    #[test]
    fn the_collector_looks_for_the_same_offer_words() {
        assert_eq!(collector_list("OFFER_PHRASES"), OFFER_WORDS);
    }

    /// The collector's `\s` decides what is whitespace: U+FEFF is, U+0085 is not.
    #[test]
    fn whitespace_is_javascripts() {
        assert_eq!(collapse("\u{feff} Price:\u{feff}\u{a0}12 \n"), "Price: 12");
        assert_eq!(collapse("a\u{85}b"), "a\u{85}b");
        assert_eq!(js_trim("\u{feff}SKU\u{3000}"), "SKU");
        assert_eq!(js_words(" a\u{feff}b ").collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn clip_never_splits_a_character() {
        let s = format!("{}é", "a".repeat(MAX_TEXT_FIELD_BYTES - 1));
        assert_eq!(clip(&s).len(), MAX_TEXT_FIELD_BYTES - 1);
        assert_eq!(clip("short"), "short");
    }
}

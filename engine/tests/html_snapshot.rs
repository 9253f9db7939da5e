//! Saved HTML → page snapshot, with the collector's semantics (content-scripts/collector.js).
#![cfg(feature = "cli")]

use engine::html_snapshot::{decode_html, snapshot_from_html};
use engine::snapshot::{
    MAX_JSON_LD_BLOCKS, MAX_JSON_LD_BLOCK_BYTES, MAX_SNAPSHOT_BYTES, MAX_TEXT_FIELD_BYTES,
};

const URL: &str = "https://shop.example/c/shoes/item.html?id=7#top";

#[test]
fn reads_json_ld_title_lang_and_canonical() {
    let html = r#"<!doctype html><html lang="pl-PL"><head>
        <title>
          Red   shoe &amp; lace
        </title>
        <link rel="Alternate Canonical" href="../p/7">
        <link rel="canonical" href="/second">
        <script type="application/LD+JSON">{"@type":"Product","name":"A"}</script>
        <script type="application/json">{"not":"ld"}</script>
        <script type=" application/ld+json">{"padded":"type is not the exact value"}</script>
        </head><body>
        <svg><title>not the document title</title></svg>
        <template><script type="application/ld+json">{"in":"template"}</script></template>
        <script type="application/ld+json">{"@type":"Offer"}</script>
        </body></html>"#;
    let s = snapshot_from_html(html, URL);
    assert_eq!(s.version, 2);
    assert_eq!(s.url, URL);
    assert_eq!(s.title, "Red shoe & lace");
    assert_eq!(s.lang.as_deref(), Some("pl-PL"));
    // rel is a token list matched case-insensitively; the first matching link wins, and a
    // relative href resolves against the page URL.
    assert_eq!(
        s.canonical_url.as_deref(),
        Some("https://shop.example/c/p/7")
    );
    assert_eq!(
        s.json_ld,
        [r#"{"@type":"Product","name":"A"}"#, r#"{"@type":"Offer"}"#]
    );
    assert!(!s.truncated);
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn canonical_resolution_and_missing_parts() {
    let s = snapshot_from_html(
        r#"<html><head><link rel=canonical href="//cdn.example/x"></head></html>"#,
        URL,
    );
    assert_eq!(s.canonical_url.as_deref(), Some("https://cdn.example/x"));
    assert_eq!(s.lang, None);
    assert_eq!(s.title, "");

    let s = snapshot_from_html(
        r#"<html lang=""><link rel=canonical href="https://other.example/a"></html>"#,
        URL,
    );
    assert_eq!(s.canonical_url.as_deref(), Some("https://other.example/a"));
    assert_eq!(
        s.lang, None,
        "an empty lang is no lang, as in the collector"
    );

    let s = snapshot_from_html(
        r#"<head><base href="https://mirror.example/shop/"><link rel=canonical href="p/1"></head>"#,
        URL,
    );
    assert_eq!(
        s.canonical_url.as_deref(),
        Some("https://mirror.example/shop/p/1"),
        "link.href resolves against <base>"
    );

    let s = snapshot_from_html(r#"<link rel=canonical>"#, URL);
    assert_eq!(s.canonical_url, None, "a canonical link needs an href");
}

#[test]
fn caps_drop_blocks_and_set_truncated() {
    // Over the block count: the first 32 are kept.
    let many: String = (0..MAX_JSON_LD_BLOCKS + 3)
        .map(|i| format!(r#"<script type="application/ld+json">{{"n":{i}}}</script>"#))
        .collect();
    let s = snapshot_from_html(&many, URL);
    assert_eq!(s.json_ld.len(), MAX_JSON_LD_BLOCKS);
    assert_eq!(s.json_ld[0], r#"{"n":0}"#);
    assert!(s.truncated);

    // An oversized block is skipped, later ones still read.
    let big = "x".repeat(MAX_JSON_LD_BLOCK_BYTES + 1);
    let html = format!(
        r#"<script type="application/ld+json">{big}</script><script type="application/ld+json">{{}}</script>"#
    );
    let s = snapshot_from_html(&html, URL);
    assert_eq!(s.json_ld, ["{}"]);
    assert!(s.truncated);

    // The total: blocks that would take it over 1 MiB are skipped.
    let block = "y".repeat(MAX_JSON_LD_BLOCK_BYTES);
    let html: String = (0..5)
        .map(|_| format!(r#"<script type="application/ld+json">{block}</script>"#))
        .collect();
    let s = snapshot_from_html(&html, URL);
    assert_eq!(
        s.json_ld.len(),
        MAX_SNAPSHOT_BYTES / MAX_JSON_LD_BLOCK_BYTES
    );
    assert!(s.truncated);

    // Title and URL are clipped at 2048 bytes on a character boundary.
    let long_title = "é".repeat(MAX_TEXT_FIELD_BYTES);
    let long_url = format!("https://shop.example/{}", "ü".repeat(MAX_TEXT_FIELD_BYTES));
    let s = snapshot_from_html(&format!("<title>{long_title}</title>"), &long_url);
    assert_eq!(s.title.len(), MAX_TEXT_FIELD_BYTES);
    assert!(s.url.len() <= MAX_TEXT_FIELD_BYTES && s.url.len() > MAX_TEXT_FIELD_BYTES - 2);
    assert!(long_url.starts_with(&s.url));
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn decodes_the_declared_charset_and_defaults_to_utf8() {
    // "Привет" in windows-1251.
    let mut page = b"<html><head><meta charset=\"windows-1251\"><title>".to_vec();
    page.extend_from_slice(&[0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]);
    page.extend_from_slice(b"</title></head></html>");
    let s = snapshot_from_html(&decode_html(&page), URL);
    assert_eq!(s.title, "Привет");

    // "Łódź" in windows-1250, declared through http-equiv.
    let mut page =
        b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1250\"><title>"
            .to_vec();
    page.extend_from_slice(&[0xA3, 0xF3, 0x64, 0x9F]);
    page.extend_from_slice(b"</title>");
    assert_eq!(snapshot_from_html(&decode_html(&page), URL).title, "Łódź");

    // No declaration: UTF-8. The first declaration wins over a later, contradicting one
    // (some dev pages carry `<meta charset=utf-8>` and then an iso-8859-1 http-equiv).
    let page = "<title>Grüße</title>".as_bytes();
    assert_eq!(snapshot_from_html(&decode_html(page), URL).title, "Grüße");
    let page = "<meta charset=utf-8><meta http-equiv=content-type content='text/html; charset=iso-8859-1'><title>Grüße</title>";
    assert_eq!(
        snapshot_from_html(&decode_html(page.as_bytes()), URL).title,
        "Grüße"
    );

    // A BOM overrides the declaration; bad bytes become U+FFFD, never a panic.
    let mut page = vec![0xEF, 0xBB, 0xBF];
    page.extend_from_slice("<meta charset=windows-1251><title>Grüße</title>".as_bytes());
    assert_eq!(snapshot_from_html(&decode_html(&page), URL).title, "Grüße");
    let page = b"<title>a\xFF\xFEb\xC3</title>";
    assert_eq!(
        snapshot_from_html(&decode_html(page), URL).title,
        "a\u{FFFD}\u{FFFD}b\u{FFFD}"
    );
}

#[test]
fn version_2_reads_meta_items_heading_prices_facts_stock_and_offers() {
    let html = r#"<!doctype html><html lang="en-GB"><head>
        <meta property="og:title" content="Steel Kettle">
        <meta property="product:price:amount" content="34.99">
        <meta name="description" content="not collected">
        </head><body>
        <nav><a href="/">Home</a> <span class="cart-count">2</span></nav>
        <div itemscope itemtype="https://schema.org/Product">
          <h1 itemprop="name">Steel   Kettle 1.7 L</h1>
          <span itemprop="brand" itemscope itemtype="https://schema.org/Brand"><span itemprop="name">Kettleco</span></span>
          <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
            <span class="price-now" itemprop="price" content="34.99">£34.99</span>
            <del class="price-was">£49.99</del>
            <link itemprop="availability" href="https://schema.org/InStock">
          </div>
        </div>
        <p class="promo">Use code KETTLE10 for 10% off orders over £30</p>
        <p style="display:none" class="price">£1.00</p>
        <table><tr><th>EAN</th><td>5012345678900</td></tr><tr><td>a</td><td>b</td><td>c</td></tr></table>
        <dl><dt>Model</dt><dd>SK-17</dd></dl>
        <ul><li>SKU: K-1234</li><li>No colon here</li></ul>
        <p class="stock-status">In stock</p>
        <button type="submit">Add to basket</button>
        <button disabled>Notify me</button>
        <script>var price = "£99.99";</script>
        </body></html>"#;
    let s = snapshot_from_html(html, URL);
    assert!(s.signals);
    assert_eq!(
        s.meta,
        [
            ("og:title".to_owned(), "Steel Kettle".to_owned()),
            ("product:price:amount".to_owned(), "34.99".to_owned())
        ]
    );
    assert_eq!(s.heading.as_deref(), Some("Steel Kettle 1.7 L"));
    assert_eq!(s.items.len(), 3);
    assert_eq!(s.items[1].parent, Some(0));
    assert_eq!(s.items[1].prop.as_deref(), Some("brand"));
    assert_eq!(s.items[2].prop.as_deref(), Some("offers"));
    assert!(s.items[2].props.contains(&(
        "availability".to_owned(),
        "https://schema.org/InStock".to_owned()
    )));
    assert!(s.items[2]
        .props
        .contains(&("price".to_owned(), "34.99".to_owned())));
    let texts: Vec<(&str, bool)> = s
        .prices
        .iter()
        .map(|p| (p.text.as_str(), p.struck))
        .collect();
    // The hidden £1.00 and the script's £99.99 are not candidates; the was price is struck;
    // the short promo line is one too (the engine ranks it low: "over £30").
    assert_eq!(
        texts,
        [
            ("£34.99", false),
            ("£49.99", true),
            ("Use code KETTLE10 for 10% off orders over £30", false)
        ]
    );
    assert!(s.prices[0].order.is_some_and(|o| o > 0));
    assert_eq!(s.offers, ["Use code KETTLE10 for 10% off orders over £30"]);
    assert!(s
        .facts
        .contains(&("EAN".to_owned(), "5012345678900".to_owned())));
    assert!(s.facts.contains(&("Model".to_owned(), "SK-17".to_owned())));
    assert!(s.facts.contains(&("SKU".to_owned(), "K-1234".to_owned())));
    assert_eq!(s.stock, ["In stock", "Add to basket"]);
    assert_eq!(s.validate(), Ok(()));

    let d = engine::detect::detect(&s).expect("valid");
    let p = d.product.expect("a product");
    assert_eq!(p.title, "Steel Kettle 1.7 L");
    assert_eq!(
        p.price.map(|m| m.amount.to_string()).as_deref(),
        Some("34.99")
    );
    assert_eq!(
        p.list_price.map(|m| m.amount.to_string()).as_deref(),
        Some("49.99")
    );
    assert_eq!(p.brand.as_deref(), Some("Kettleco"));
    assert_eq!(p.gtin.as_deref(), Some("5012345678900"));
    assert_eq!(p.sku.as_deref(), Some("K-1234"));
    assert_eq!(d.offers.len(), 1);
    assert_eq!(d.offers[0].code.as_deref(), Some("KETTLE10"));
}

#[test]
fn pages_without_product_signals_stop_early_and_listings_give_no_product() {
    let article =
        r#"<html><body><h1>News</h1><p>Prices rose 3% in 2024, to $5 a loaf.</p></body></html>"#;
    let s = snapshot_from_html(article, URL);
    assert!(!s.signals);
    assert!(s.prices.is_empty() && s.heading.is_none());
    assert_eq!(engine::detect::detect(&s).expect("valid").product, None);

    // JSON-LD and microdata for the site, the organisation and the article are no sign; JSON-LD
    // or an item that names a product or an offer is.
    let ld = |json: &str| format!(r#"<script type="application/ld+json">{json}</script>"#);
    let site = ld(r#"{"@type":"WebSite","name":"Daily","url":"/"}"#)
        + &ld(
            r#"{"@type":["NewsArticle"],"headline":"News","publisher":{"@type":"Organization"}}"#,
        );
    let crumbs = r#"<ol itemscope itemtype="https://schema.org/BreadcrumbList"><li>Home</li></ol>"#;
    let page = |head: &str, body: &str| {
        format!(
            "<html><head>{head}</head><body>{body}<h1>News</h1><p>Prices rose.</p></body></html>"
        )
    };
    let s = snapshot_from_html(&page(&site, crumbs), URL);
    assert!(!s.signals);
    assert_eq!((s.json_ld.len(), s.items.len()), (2, 1));
    assert!(s.heading.is_none());
    let offer = ld(r#"{"@type":"Thing","offers":{"@type":"AggregateOffer","lowPrice":"5"}}"#);
    assert!(snapshot_from_html(&page(&(site.clone() + &offer), ""), URL).signals);
    let item = r#"<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">Loaf</span></div>"#;
    let s = snapshot_from_html(&page(&site, item), URL);
    assert!(s.signals);
    assert_eq!(s.heading.as_deref(), Some("News"));

    // Price or cart markup: ids in any case, classes as written in three casings.
    for (markup, signals) in [
        (r#"<b class="ProductPrice">"#, true),
        (r#"<b class="mini-cart">"#, true),
        (r#"<b id="BasketLink">"#, true),
        (r#"<b class="pRiCe">"#, false),
    ] {
        let html = format!("<html><body>{markup}</b><h1>News</h1></body></html>");
        assert_eq!(snapshot_from_html(&html, URL).signals, signals, "{markup}");
    }

    let tiles: String = (1..=20)
        .map(|i| format!(r#"<div class="tile"><a href="/p/{i}">Shoe {i}</a><span class="price">£{i}.99</span></div>"#))
        .collect();
    let listing = format!("<html><body><h1>Shoes</h1>{tiles}</body></html>");
    let s = snapshot_from_html(&listing, URL);
    assert!(s.signals);
    assert_eq!(s.prices.len(), 20);
    assert_eq!(engine::detect::detect(&s).expect("valid").product, None);
}

#[test]
fn inline_facts_read_labelled_codes_and_names_outside_tables() {
    let html = r#"<html><body><nav><ul><li>Brand: Sale</li></ul></nav>
        <div role="menu"><ul><li>SKU: all-lamps</li></ul></div><h1>Desk lamp</h1>
        <span class="price">€20.00</span>
        <table><tr><th>Colour</th><td>Black</td></tr></table>
        <p class="code">Product code: 141677</p>
        <div><strong>Model Number: </strong><span>LMP-20X</span></div>
        <table><tr><td>Brand:</td><td><span>Lumo Lights</span></td><td>Theme:</td><td>Classic</td></tr></table>
        <p class="pull-right">SKU MKI6IKW1N4</p>
        <p>Windows 10 ready</p>
        <p>Ships in 2 days</p>
        <p style="display:none">EAN: 4006381333931</p>
        <ul><li>Colour: Black</li></ul>
        <p>Delivery: this sentence is far too long to be a label and a value printed side by side on a page</p>
        </body></html>"#;
    let s = snapshot_from_html(html, URL);
    let facts: Vec<(&str, &str)> = s
        .facts
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Details facts in document order (the table row, the paragraphs, the row of two pairs
    // with its colons dropped, the list item), then the inline ones the text walk found
    // (`Model Number`; the row's `Brand:` and `Theme:` cells are not repeated). "Windows 10
    // ready" and "Ships in 2 days" are no `Label CODE`; the hidden EAN, the sentence and the
    // menus' entries are skipped.
    assert_eq!(
        facts,
        [
            ("Colour", "Black"),
            ("Product code", "141677"),
            ("Brand", "Lumo Lights"),
            ("Theme", "Classic"),
            ("SKU", "MKI6IKW1N4"),
            ("Colour", "Black"),
            ("Model Number", "LMP-20X"),
        ]
    );
    let p = engine::detect::detect(&s)
        .expect("valid")
        .product
        .expect("a product");
    assert_eq!(p.sku.as_deref(), Some("141677"));
    assert_eq!(p.mpn.as_deref(), Some("LMP-20X"));
    assert_eq!(p.brand.as_deref(), Some("Lumo Lights"));
}

#[test]
fn facts_and_texts_inside_noscript_and_svg_icons_are_not_page_text() {
    let html = r#"<html><head><title>Mug</title><meta property="og:type" content="product"></head>
        <body><h1>Mug</h1>
        <noscript><ul><li>Brand: Hidden Noscript</li></ul></noscript>
        <svg><foreignObject><ul><li>Brand: Hidden Svg</li><li>Price: €9.99</li></ul>
        <table><tr><td>EAN</td><td>4006381333931</td></tr></table></foreignObject></svg>
        <ul><li>Material: Stoneware</li></ul></body></html>"#;
    let s = snapshot_from_html(html, URL);
    assert_eq!(
        s.facts,
        vec![("Material".to_owned(), "Stoneware".to_owned())]
    );
    assert!(s.prices.is_empty(), "{:?}", s.prices);
}

/// Facts are read from the main heading on: the header's lists before it (a mega-menu outside
/// any `nav`, a store picker) are the site's, not the product's; the text walk, which stops
/// at the product's block here, does not read them either. Without a heading the whole page
/// is read.
#[test]
fn facts_are_read_from_the_heading_on() {
    let body = r#"<div class="header"><ul><li>Store: Camden</li><li>Delivery - 2 days</li></ul>
        <table><tr><td>Hotline</td><td>0800 123</td></tr></table></div>
        <div class="product"><div class="gallery"><img src="lamp.jpg"></div>
          <div class="info"><h1>Desk lamp <span><dl><dt>Model</dt><dd>DL-2</dd></dl></span></h1>
          <p>£20.00</p><ul><li>Brand: Lumo</li></ul></div></div>
        <table><tr><th>EAN</th><td>5012345678900</td></tr></table>"#;
    let head =
        r#"<head><title>Desk lamp</title><meta property="og:type" content="product"></head>"#;
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let s = snapshot_from_html(&format!("<html>{head}<body>{body}</body></html>"), URL);
    assert_eq!(
        s.facts,
        [
            pair("Model", "DL-2"),
            pair("Brand", "Lumo"),
            pair("EAN", "5012345678900")
        ]
    );
    let no_heading = body.replace("<h1>", "<div>").replace("</h1>", "</div>");
    let s = snapshot_from_html(
        &format!("<html>{head}<body>{no_heading}</body></html>"),
        URL,
    );
    assert_eq!(
        s.facts,
        [
            pair("Store", "Camden"),
            pair("Delivery", "2 days"),
            pair("Hotline", "0800 123"),
            pair("Model", "DL-2"),
            pair("Brand", "Lumo"),
            pair("EAN", "5012345678900")
        ]
    );
}

/// The text walk reads outward from the heading until it holds a price, and one level more:
/// the recommendations and the footer are never read, `order` still counts text nodes from
/// the heading as a whole-page walk would, and the lists are in document order.
#[test]
fn the_text_walk_reads_the_products_block_and_stops() {
    let product = r#"<div class="crumbs"><a href="/">Home</a> <span>Price drop: £5</span></div>
        <main><div class="product">
          <div class="gallery"><img src="a.jpg"></div>
          <div class="info"><h1>Desk lamp</h1><p class="price">£20.00</p><p>Was £25.00</p>
            <button>Add to basket</button></div>
        </div>
        <section class="recs"><div>Floor lamp <span class="price">£45.00</span></div>
          <button>Add to basket</button><div>Out of stock</div><ul><li>Use code SAVE10 for 10% off</li></ul></section>
        </main>"#;
    let s = snapshot_from_html(&format!("<html><body>{product}</body></html>"), URL);
    let prices: Vec<(&str, Option<i64>)> = s
        .prices
        .iter()
        .map(|p| (p.text.as_str(), p.order))
        .collect();
    // The lamp's prices, one and two text nodes after the heading's; nothing before it.
    assert_eq!(prices, [("£20.00", Some(1)), ("Was £25.00", Some(2))]);
    assert_eq!(s.stock, ["Add to basket"]);
    assert!(s.offers.is_empty(), "{:?}", s.offers);

    // Without a price in the product's block the walk goes on, here to the whole page.
    let no_price = product.replace(r#"<p class="price">£20.00</p><p>Was £25.00</p>"#, "");
    let s = snapshot_from_html(&format!("<html><body>{no_price}</body></html>"), URL);
    let prices: Vec<&str> = s.prices.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(prices, ["Home Price drop: £5", "Floor lamp £45.00"]);
    // `Price drop: £5`, then a space and `Home` back to `Desk lamp`; the whitespace between
    // `</div>` and `<main>` and between the tags inside count too.
    assert!(
        s.prices[0].order.is_some_and(|o| o < -2),
        "{:?}",
        s.prices[0]
    );
    assert!(
        s.prices[1].order.is_some_and(|o| o > 0),
        "{:?}",
        s.prices[1]
    );
    assert_eq!(s.stock, ["Add to basket", "Out of stock"]);
    assert_eq!(s.offers, ["Use code SAVE10 for 10% off"]);
}

/// The breadcrumb trail: the first marked element that shows two entries, its list items
/// (separators left out), else its links; a hidden or one-entry trail is passed over.
#[test]
fn breadcrumbs_are_read_from_the_first_trail_that_shows_two_entries() {
    let page = r#"<html><body>
      <div class="breadcrumb-mobile" style="display:none"><a href="/">Home</a><a href="/x">Hidden</a></div>
      <div id="breadcrumb-top"><a href="/">Only one</a></div>
      <nav aria-label="breadcrumb"><ol>
        <li><a href="/">Home</a></li><li>›</li><li><a href="/t">Tools  &amp; DIY</a></li><li>Drills</li>
      </ol></nav>
      <h1>Drill X1</h1><p class="price">€ 49,99</p>
    </body></html>"#;
    let snap = snapshot_from_html(page, "https://shop.example/p/x1");
    assert_eq!(snap.breadcrumbs, ["Home", "Tools & DIY", "Drills"]);
    let links = r#"<html><body><p class="breadcrumbs"><a href="/">Start</a> / <a href="/g">Garten</a></p>
      <h1>Spaten</h1><p class="price">€ 19,99</p></body></html>"#;
    assert_eq!(
        snapshot_from_html(links, "https://shop.example/p/s").breadcrumbs,
        ["Start", "Garten"]
    );
    let none = r#"<html><body><h1>Spaten</h1><p class="price">€ 19,99</p></body></html>"#;
    assert!(snapshot_from_html(none, "https://shop.example/p/s")
        .breadcrumbs
        .is_empty());
}

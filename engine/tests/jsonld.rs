//! Product extraction from JSON-LD in the shapes real shops publish.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use engine::detect::detect;
use engine::jsonld::{decode_entities, extract, resolve_url};
use engine::product::Availability;
use engine::snapshot::PageSnapshot;
use rust_decimal::Decimal;

const PAGE: &str = "https://shop.example/p/kettle-123?ref=nav";

fn run(blocks: &[&str]) -> engine::jsonld::Extraction {
    let blocks: Vec<String> = blocks.iter().map(|s| (*s).to_owned()).collect();
    extract(&blocks, PAGE, None)
}

fn price(e: &engine::jsonld::Extraction) -> (String, &'static str) {
    let p = e.product.as_ref().unwrap().price.unwrap();
    (p.amount.to_string(), p.currency.code())
}

#[test]
fn plain_product_with_offer() {
    let e = run(&[r#"{
        "@context": "https://schema.org", "@type": "Product",
        "name": "Steel Kettle 1.7 L", "sku": "KT-17", "gtin13": "4006381333931",
        "mpn": "K17", "brand": {"@type": "Brand", "name": "Acme"},
        "image": ["/img/kettle.jpg", "/img/kettle-2.jpg"],
        "offers": {"@type": "Offer", "price": "34.99", "priceCurrency": "GBP",
                   "availability": "https://schema.org/InStock"}
    }"#]);
    let p = e.product.as_ref().unwrap();
    assert_eq!(p.title, "Steel Kettle 1.7 L");
    assert_eq!(price(&e), ("34.99".into(), "GBP"));
    assert_eq!(p.availability, Some(Availability::InStock));
    assert_eq!(p.brand.as_deref(), Some("Acme"));
    assert_eq!(p.sku.as_deref(), Some("KT-17"));
    assert_eq!(p.gtin.as_deref(), Some("4006381333931"));
    assert_eq!(p.mpn.as_deref(), Some("K17"));
    assert_eq!(
        p.image.as_deref(),
        Some("https://shop.example/img/kettle.jpg")
    );
    assert_eq!(p.url, PAGE);
    assert!(e.problems.is_empty());
}

#[test]
fn product_inside_graph_and_arrays_and_main_entity() {
    let graph = r#"{"@context":"https://schema.org","@graph":[
        {"@type":"WebSite","name":"Shop"},
        {"@type":"BreadcrumbList","itemListElement":[]},
        {"@type":["Product","Thing"],"name":"Graph Lamp",
         "offers":[{"@type":"Offer","price":12,"priceCurrency":"EUR"}]}]}"#;
    assert_eq!(run(&[graph]).product.unwrap().title, "Graph Lamp");

    let array = r#"[{"@type":"Organization","name":"Shop"},
        {"@type":"http://schema.org/Product","name":"Array Lamp",
         "offers":{"price":"1.299,00","priceCurrency":"EUR"}}]"#;
    let e = run(&[array]);
    assert_eq!(price(&e), ("1299.00".into(), "EUR"));

    let main_entity = r#"{"@type":"ItemPage","mainEntity":{"@type":"Product","name":"Nested Lamp",
        "offers":{"@type":"Offer","price":"5","priceCurrency":"USD"}}}"#;
    assert_eq!(run(&[main_entity]).product.unwrap().title, "Nested Lamp");
}

#[test]
fn aggregate_offer_and_price_specification() {
    let agg = r#"{"@type":"Product","name":"Agg","offers":{"@type":"AggregateOffer",
        "lowPrice":"19.50","highPrice":"25","priceCurrency":"USD","offerCount":3}}"#;
    assert_eq!(price(&run(&[agg])), ("19.50".into(), "USD"));

    let spec = r#"{"@type":"Product","name":"Spec","offers":{"@type":"Offer",
        "priceSpecification":[
          {"@type":"UnitPriceSpecification","priceType":"https://schema.org/ListPrice","price":99,"priceCurrency":"USD"},
          {"@type":"UnitPriceSpecification","price":79,"priceCurrency":"USD"}]}}"#;
    assert_eq!(price(&run(&[spec])), ("79".into(), "USD"));
}

#[test]
fn in_stock_offer_is_preferred_over_a_sold_out_one() {
    let block = r#"{"@type":"Product","name":"Shoe","offers":[
        {"price":"50","priceCurrency":"USD","availability":"http://schema.org/OutOfStock"},
        {"price":"55","priceCurrency":"USD","availability":"http://schema.org/InStock"}]}"#;
    let e = run(&[block]);
    assert_eq!(price(&e), ("55".into(), "USD"));
    assert_eq!(e.product.unwrap().availability, Some(Availability::InStock));
}

#[test]
fn product_group_picks_the_variant_this_url_shows() {
    let block = r#"{"@type":"ProductGroup","name":"T-shirt","brand":"Knit",
        "hasVariant":[
          {"@type":"Product","sku":"TS-S","url":"https://shop.example/p/ts?size=s",
           "offers":{"price":"10","priceCurrency":"EUR"}},
          {"@type":"Product","sku":"TS-M","url":"https://shop.example/p/kettle-123?ref=nav",
           "offers":{"price":"12","priceCurrency":"EUR"}}]}"#;
    let e = run(&[block]);
    let p = e.product.as_ref().unwrap();
    assert_eq!(p.title, "T-shirt");
    assert_eq!(p.sku.as_deref(), Some("TS-M"));
    assert_eq!(price(&e), ("12".into(), "EUR"));
}

#[test]
fn malformed_blocks_are_reported_and_the_rest_still_read() {
    let broken = r#"{"@type": "Product", "name": "#;
    let repaired = "<!--\n{\"@type\":\"Product\",\"name\":\"Line\nBreak\",\"offers\":{\"price\":\"3\",\"priceCurrency\":\"USD\",},}\n-->";
    let e = run(&[broken, "", "null", "42", repaired]);
    assert_eq!(e.product.as_ref().unwrap().title, "Line Break");
    assert_eq!(e.problems.len(), 1, "{:?}", e.problems);
    assert!(e.problems[0].starts_with("JSON-LD block 1"));
}

#[test]
fn pages_without_a_product_yield_none() {
    assert_eq!(run(&[]).product, None);
    assert_eq!(
        run(&[r#"{"@type":"WebSite","name":"Shop","potentialAction":{"@type":"SearchAction"}}"#])
            .product,
        None
    );
    // A category page lists products inside an ItemList: not this page's product.
    let listing = r#"{"@type":"ItemList","itemListElement":[
        {"@type":"ListItem","position":1,"item":{"@type":"Product","name":"A","offers":{"price":"1","priceCurrency":"USD"}}}]}"#;
    assert_eq!(run(&[listing]).product, None);
    // Many separate priced products: a listing page too.
    let many: Vec<String> = (0..6)
        .map(|i| format!(r#"{{"@type":"Product","name":"P{i}","offers":{{"price":"{i}","priceCurrency":"USD"}}}}"#))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let e = run(&refs);
    assert_eq!(e.product, None);
    assert!(e.problems.iter().any(|p| p.contains("listing")));
}

#[test]
fn unknown_currency_keeps_the_product_without_a_price() {
    let e =
        run(&[r#"{"@type":"Product","name":"Odd","offers":{"price":"3","priceCurrency":"ZZZ"}}"#]);
    let p = e.product.unwrap();
    assert_eq!(p.title, "Odd");
    assert_eq!(p.price, None);
}

#[test]
fn text_fields_are_decoded_and_trimmed() {
    assert_eq!(
        decode_entities("Tom &amp; Jerry&#39;s &#x2F; &bogus; & co"),
        "Tom & Jerry's / &bogus; & co"
    );
    let e = run(&[
        r#"{"@type":"Product","name":"  Salt &amp; Pepper\n Mill ","offers":{"price":"1","priceCurrency":"USD"}}"#,
    ]);
    assert_eq!(e.product.unwrap().title, "Salt & Pepper Mill");
}

#[test]
fn relative_urls_resolve_against_the_page() {
    let base = "https://shop.example/a/b/c.html?x=1";
    assert_eq!(
        resolve_url(base, "https://cdn.example/i.jpg"),
        "https://cdn.example/i.jpg"
    );
    assert_eq!(
        resolve_url(base, "//cdn.example/i.jpg"),
        "https://cdn.example/i.jpg"
    );
    assert_eq!(resolve_url(base, "/i.jpg"), "https://shop.example/i.jpg");
    assert_eq!(resolve_url(base, "i.jpg"), "https://shop.example/a/b/i.jpg");
    assert_eq!(
        resolve_url("https://shop.example", "i.jpg"),
        "https://shop.example/i.jpg"
    );
}

#[test]
fn resolution_removes_dot_segments_like_link_href() {
    let base = "https://a.example/x/y/z.html?q=1#f";
    for (href, want) in [
        ("../p/7", "https://a.example/x/p/7"),
        ("./p", "https://a.example/x/y/p"),
        ("../../../../p?a=b", "https://a.example/p?a=b"),
        ("..", "https://a.example/x/"),
        ("", "https://a.example/x/y/z.html?q=1"),
        ("/plain/path", "https://a.example/plain/path"),
    ] {
        assert_eq!(resolve_url(base, href), want, "{href}");
    }
}

#[test]
fn detect_validates_the_snapshot_then_extracts() {
    let snap = PageSnapshot {
        version: 1,
        url: PAGE.into(),
        title: "Kettle".into(),
        lang: None,
        canonical_url: Some("https://shop.example/p/kettle-123".into()),
        json_ld: vec![
            r#"{"@type":"Product","name":"K","offers":{"price":"9.99","priceCurrency":"USD"}}"#
                .into(),
        ],
        truncated: true,
        ..PageSnapshot::default()
    };
    let d = detect(&snap).unwrap();
    let p = d.product.unwrap();
    assert_eq!(p.price.unwrap().amount, Decimal::from_str("9.99").unwrap());
    assert_eq!(p.url, "https://shop.example/p/kettle-123");
    assert!(d.problems.iter().any(|m| m.contains("caps")));

    let bad = PageSnapshot { version: 9, ..snap };
    assert!(detect(&bad).is_err());
}

#[test]
fn arbitrary_text_never_panics() {
    let nasty = [
        "{", "}", "[[[[", "\"", "{\"@type\":\"Product\"}", "{\"@type\":[1,2]}",
        "{\"@type\":\"Product\",\"name\":{\"x\":[]},\"offers\":[[[[[]]]]]}",
        "{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@graph\":{\"@type\":\"Product\",\"name\":\"deep\"}}}}}}}}}}",
        "&#xFFFFFFFF; &#99999999999;", "\u{0}\u{1}", "-->", "<!--",
    ];
    for text in nasty {
        let _ = run(&[text]);
        let _ = decode_entities(text);
        let _ = resolve_url(text, text);
    }
    // The deep one is past the depth cap: not found, and no stack overflow.
    assert_eq!(run(&[nasty[7]]).product, None);
}

#[test]
fn product_id_stands_in_for_the_sku_only_when_it_is_one_code() {
    let sku_of = |id: &str| {
        let block = format!(r#"{{"@type":"Product","name":"Watch","productID":"{id}"}}"#);
        extract(&[block], "https://shop.example/p/1", None)
            .product
            .and_then(|p| p.sku)
    };
    assert_eq!(sku_of("CA-304103").as_deref(), Some("CA-304103"));
    assert_eq!(sku_of("Ca304103-0000 Montre"), None);
    assert_eq!(sku_of("isbn:9780141036144"), None);
}

//! `stacksmart detect --url URL PAGE.html[.gz]`: a saved page → the product as one
//! prediction row (the `detect-batch` format), or `null` when the page has none.

use std::path::Path;

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart detect --url URL PAGE.html[.gz]";
    let (url, page) = crate::url_and_page(args).ok_or(USAGE)?;
    let product = engine::html_snapshot::detect_page_file(Path::new(page), url)?;
    let row = product.as_ref().map(engine::eval::prediction_from_product);
    serde_json::to_string_pretty(&row).map_err(|e| e.to_string())
}

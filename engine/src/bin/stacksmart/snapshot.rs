//! `stacksmart snapshot --url URL PAGE.html[.gz]`: the page snapshot the static-HTML
//! collector builds for a saved page, as JSON (what `detect` then reads). The end-to-end
//! tests compare it with what the content script sends for the same page.

use std::path::Path;

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart snapshot --url URL PAGE.html[.gz]";
    let (url, page) = crate::url_and_page(args).ok_or(USAGE)?;
    let snapshot = engine::html_snapshot::snapshot_page_file(Path::new(page), url)?;
    serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())
}

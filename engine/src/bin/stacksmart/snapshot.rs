//! `stacksmart snapshot --url URL PAGE.html[.gz]`: the page snapshot the static-HTML
//! collector builds for a saved page, as JSON (what `detect` then reads). The end-to-end
//! tests compare it with what the content script sends for the same page.

use std::path::Path;

use engine::html_snapshot::{decode_html, read_page, snapshot_from_html};

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart snapshot --url URL PAGE.html[.gz]";
    let (url, page) = match args {
        [flag, url, page] if flag == "--url" => (url, page),
        [page, flag, url] if flag == "--url" => (url, page),
        _ => return Err(USAGE.into()),
    };
    let bytes = read_page(Path::new(page))?;
    let snapshot = snapshot_from_html(&decode_html(&bytes), url);
    serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())
}

//! The native pipeline (saved page → snapshot → detection → prediction row) over the 40
//! development pages. Checks that every page goes through, not how well: scores belong in
//! `stacksmart eval`, not in assertions that would freeze today's detector.
#![cfg(feature = "cli")]

use std::path::PathBuf;

#[test]
fn every_dev_page_is_processed_and_some_yield_a_price() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/product-pages");
    // A missing data set must fail loudly: a skipped test would look like a pass.
    assert!(
        dir.join("ground-truth.json").is_file(),
        "development pages not found at {} (expected shared/data/product-pages beside the \
         repository, with ground-truth.json and html/KEY.html.gz)",
        dir.display()
    );
    let predictions = engine::html_snapshot::detect_dir(&dir)
        .unwrap_or_else(|e| panic!("pages that could not be processed:\n{e}"));
    assert_eq!(predictions.len(), 40, "one row per labelled page");
    assert!(
        predictions.values().any(|p| p.price.is_some()),
        "no page yielded a price"
    );
}

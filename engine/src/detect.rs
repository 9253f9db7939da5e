//! Snapshot → product: the call the background makes for every page.

use serde::{Deserialize, Serialize};

use crate::jsonld;
use crate::product::Product;
use crate::snapshot::{PageSnapshot, SnapshotError};

/// What the engine made of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The page's product, or `None` for a page without one (home, search, cart, article).
    pub product: Option<Product>,
    /// Problems met on the way (unreadable JSON-LD, a listing page), for the popup's details
    /// and for debugging; never fatal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// Detects the product on a page. Refuses only snapshots that break the format or its caps;
/// anything inside the page's markup, however broken, yields a result.
pub fn detect(snapshot: &PageSnapshot) -> Result<Detection, SnapshotError> {
    snapshot.validate()?;
    let extraction = jsonld::extract(
        &snapshot.json_ld,
        &snapshot.url,
        snapshot.canonical_url.as_deref(),
    );
    let mut problems = extraction.problems;
    if snapshot.truncated {
        problems
            .push("the page was larger than the collector's caps; some markup was skipped".into());
    }
    Ok(Detection {
        product: extraction.product,
        problems,
    })
}

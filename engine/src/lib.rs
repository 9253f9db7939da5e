//! StackSmart's engine: everything the extension decides, in pure Rust with no web
//! dependencies, so it is tested natively and compiled unchanged into the extension's wasm.
//!
//! - [`money`]: exact amounts (`rust_decimal`) tied to ISO 4217 currencies.
//! - [`snapshot`]: the versioned page snapshot the content script sends (docs/snapshot.md).
//! - [`product`]: the typed product the extension shows.
//! - [`jsonld`]: schema.org `Product` extraction from JSON-LD blocks.
//! - [`detect`]: snapshot → product, the entry point used by the background.
//! - [`offer_text`]: on-page offer wording → structured offers (bank, coupon, was/RRP …).
//! - [`price_text`]: price strings as shown on pages → amount, currency, range/from/per-unit.
//! - [`merchant`]: registrable domain of a URL and its country's currency.
//! - [`stack`]: the exact best stack of offers for a cart and wallet, with its receipt
//!   (docs/engine-api.md).
//! - [`score`]: the 0–100 deal score from the price history, page claims, stack and other
//!   merchants, and the history's identity, de-duplication and compaction (docs/score.md).
//! - [`sites`]: extension match patterns (the sites the collector stays off).
//! - [`wallet`]: the stored wallet and settings: schema, migrations, import/export.
//! - [`backup`]: the export file (the wallet and the price history) and its import.
//! - [`protocol`]: the typed messages between content script, background and popup.
//! - [`eval`]: scoring detected products against labelled pages.
//! - `html_snapshot` (feature `cli`, native only): saved HTML page → snapshot.

pub mod backup;
pub mod detect;
pub mod eval;
#[cfg(feature = "cli")]
pub mod html_snapshot;
pub mod jsonld;
pub mod merchant;
pub mod money;
pub mod offer_text;
pub mod price_text;
pub mod product;
pub mod protocol;
pub mod score;
pub mod sites;
pub mod snapshot;
pub mod stack;
pub mod wallet;

//! The extension's pages in Leptos (CSR); the page's `<body data-page="…">` says which one to
//! mount. The build makes two modules of this crate: `popup` (feature `popup`: the popup
//! alone, so the shopper's most used page loads the least code) and `pages` (feature
//! `options`: the options and welcome pages). Native tests build both (the default).

use wasm_bindgen::prelude::*;

pub mod bridge;
pub mod edit;
pub mod format;
pub mod i18n;

#[cfg(feature = "popup")]
pub mod chart;
#[cfg(feature = "options")]
pub mod onboarding;
#[cfg(feature = "options")]
pub mod options;
#[cfg(feature = "popup")]
pub mod popup;
#[cfg(feature = "popup")]
pub mod receipt;
#[cfg(feature = "options")]
pub mod site_access;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    let page = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .and_then(|b| b.dataset().get("page"));
    match page.as_deref() {
        #[cfg(feature = "popup")]
        Some("popup") => leptos::mount::mount_to_body(popup::Popup),
        #[cfg(feature = "options")]
        Some("onboarding") => leptos::mount::mount_to_body(onboarding::Onboarding),
        #[cfg(feature = "options")]
        Some("options") => leptos::mount::mount_to_body(options::Options),
        other => web_sys_warn(&format!(
            "StackSmart: no page called {other:?} in this module"
        )),
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn web_sys_warn(message: &str);
}

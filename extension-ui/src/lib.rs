//! The extension's pages in Leptos (CSR). One wasm module serves every page; the page's
//! `<body data-page="…">` says which one to mount.

use wasm_bindgen::prelude::*;

mod bridge;
pub mod chart;
mod format;
pub mod onboarding;
pub mod options;
pub mod popup;
pub mod receipt;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    let page = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .and_then(|b| b.dataset().get("page"));
    match page.as_deref() {
        Some("popup") => leptos::mount::mount_to_body(popup::Popup),
        Some("onboarding") => leptos::mount::mount_to_body(onboarding::Onboarding),
        Some("options") => leptos::mount::mount_to_body(options::Options),
        other => web_sys_warn(&format!("StackSmart: no page called {other:?}")),
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn web_sys_warn(message: &str);
}

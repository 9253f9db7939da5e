//! Import and export of the wallet as a JSON file. Export downloads the background's text
//! through a Blob and `<a download>` (no downloads permission); import sends a file's or a
//! pasted text to the background, which replaces the wallet only when the engine accepts it.

use engine::protocol::{Request, Response};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlInputElement, Url};

use super::{Ctx, FormNote, Note, NoteSig};
use crate::bridge;

pub const FILE_NAME: &str = "stacksmart-wallet.json";

fn js_error(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Offers `text` as a file to save, as a plain link click would.
fn download(name: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(js_error)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.set_hidden(true);
    if let Some(body) = document.body() {
        let _ = body.append_child(&link);
    }
    link.click();
    link.remove();
    // Revoking at once can cancel the download in Firefox; a minute later it is long done.
    set_timeout(
        move || {
            let _ = Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

async fn export() -> Result<(), String> {
    match bridge::request(&Request::ExportWallet).await? {
        Response::WalletExport { text } => download(FILE_NAME, &text),
        Response::Error(e) => Err(e.message),
        other => Err(format!("unexpected answer: {other:?}")),
    }
}

/// Sends a wallet file's text to the background; the stored wallet changes only on success.
fn import(ctx: Ctx, note: NoteSig, text: String) {
    spawn_local(async move {
        let _saving = super::Saving::start();
        match bridge::wallet_answer(bridge::request(&Request::ImportWallet { text }).await) {
            Ok(wallet) => {
                let summary = format!(
                    "Imported: {} cards, {} gift cards.",
                    wallet.cards.len(),
                    wallet.gift_cards.len()
                );
                ctx.wallet.set(wallet);
                ctx.generation.update(|g| *g += 1);
                note.set(Some(Note::Saved(summary)));
            }
            Err(e) => note.set(Some(Note::Refused(e))),
        }
    });
}

#[component]
pub fn TransferSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let export_note: NoteSig = RwSignal::new(None);
    let import_note: NoteSig = RwSignal::new(None);
    let pasted = RwSignal::new(String::new());
    let on_export = move |_| {
        spawn_local(async move {
            let outcome = match export().await {
                Ok(()) => Note::Saved(format!("Downloaded {FILE_NAME}.")),
                Err(e) => Note::Invalid(format!("Export failed: {e}")),
            };
            export_note.set(Some(outcome));
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Let the same file be chosen again after fixing it.
        input.set_value("");
        spawn_local(async move {
            match JsFuture::from(file.text()).await {
                Ok(text) => import(ctx, import_note, text.as_string().unwrap_or_default()),
                Err(e) => import_note.set(Some(Note::Invalid(format!(
                    "The file could not be read: {}",
                    js_error(e)
                )))),
            }
        });
    };
    let on_paste = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        import(ctx, import_note, pasted.get_untracked());
    };
    view! {
        <section class="section" id="import-export" aria-labelledby="transfer-h">
            <h2 id="transfer-h">"Import and export"</h2>
            <p class="muted">"The file holds your cards' names and rules, balances, offers and settings (and gift-card codes you chose to store); never card numbers."</p>
            <div class="actions">
                <button type="button" data-testid="export" on:click=on_export>"Export wallet (" {FILE_NAME} ")"</button>
            </div>
            <FormNote note=export_note testid="export-error"/>
            <h3>"Import"</h3>
            <p class="muted">"Importing replaces the wallet in this browser. A file that cannot be used changes nothing."</p>
            <div class="field">
                <label for="import-file">"Wallet file (.json)"</label>
                <input type="file" id="import-file" data-testid="import-file" accept=".json,application/json" on:change=on_file/>
            </div>
            <form on:submit=on_paste aria-label="Import pasted text">
                <div class="field">
                    <label for="import-text">"Or paste a wallet file's text"</label>
                    <textarea id="import-text" data-testid="import-text" rows="4" spellcheck="false" bind:value=pasted></textarea>
                </div>
                <div class="actions"><button type="submit" data-testid="import-submit">"Import pasted text"</button></div>
            </form>
            <FormNote note=import_note testid="import-error" refused="Not imported. "/>
        </section>
    }
}

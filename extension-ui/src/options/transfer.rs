//! Import and export of the wallet (and, if the shopper wants, the price history) as a JSON
//! file. Export downloads the background's text through a Blob and `<a download>` (no
//! downloads permission); import sends a file's or a pasted text to the background, which
//! replaces the wallet and merges the history only when the engine accepts all of the file.

use engine::protocol::{Request, Response};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlInputElement, Url};

use super::settings::align_sites;
use super::{Check, Ctx, FormNote, Note, NoteSig};
use crate::bridge;
use crate::i18n::{t, tr};
use crate::site_access::SiteAccessNote;

pub const FILE_NAME: &str = "stacksmart-wallet.json";
pub const FILE_NAME_WITH_HISTORY: &str = "stacksmart-wallet-and-prices.json";

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

async fn export(include_history: bool) -> Result<&'static str, String> {
    let name = if include_history {
        FILE_NAME_WITH_HISTORY
    } else {
        FILE_NAME
    };
    match bridge::request(&Request::ExportWallet { include_history }).await? {
        Response::WalletExport { text } => download(name, &text).map(|()| name),
        Response::Error(e) => Err(e.message),
        other => Err(format!("unexpected answer: {other:?}")),
    }
}

/// Sends a wallet file's text to the background; the stored wallet changes only on success.
fn import(ctx: Ctx, note: NoteSig, text: String) {
    ctx.save_started();
    spawn_local(async move {
        let reply = bridge::request(&Request::ImportWallet { text }).await;
        ctx.save_ended();
        let answer = match reply {
            Ok(Response::WalletImported {
                wallet,
                price_points_added,
            }) => Ok((*wallet, price_points_added)),
            other => bridge::wallet_answer(other).map(|w| (w, 0)),
        };
        match answer {
            Ok((wallet, points)) => {
                let summary = import_summary(wallet.cards.len(), wallet.gift_cards.len(), points);
                ctx.wallet.set(wallet);
                ctx.generation.update(|g| *g += 1);
                note.set(Some(Note::Saved(summary)));
            }
            Err(e) => note.set(Some(Note::Refused(e))),
        }
    });
}

fn import_summary(cards: usize, gift_cards: usize, points: u64) -> String {
    let cards = match cards {
        1 => t("transferOneCard", "1 card"),
        n => tr("transferCards", "$1 cards", &[&n.to_string()]),
    };
    let gift_cards = match gift_cards {
        1 => t("transferOneGiftCard", "1 gift card"),
        n => tr("transferGiftCards", "$1 gift cards", &[&n.to_string()]),
    };
    match points {
        0 => tr(
            "transferImported",
            "Imported: $1, $2.",
            &[&cards, &gift_cards],
        ),
        1 => tr(
            "transferImportedOnePoint",
            "Imported: $1, $2, 1 price point added to your price history.",
            &[&cards, &gift_cards],
        ),
        n => tr(
            "transferImportedPoints",
            "Imported: $1, $2, $3 price points added to your price history.",
            &[&cards, &gift_cards, &n.to_string()],
        ),
    }
}

#[component]
pub fn TransferSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let export_note: NoteSig = RwSignal::new(None);
    let import_note: NoteSig = RwSignal::new(None);
    let pasted = RwSignal::new(String::new());
    let with_history = RwSignal::new(true);
    let on_export = move |_| {
        spawn_local(async move {
            let outcome = match export(with_history.get_untracked()).await {
                Ok(name) => Note::Saved(tr("transferDownloaded", "Downloaded $1.", &[name])),
                Err(e) => Note::Invalid(tr("transferExportFailed", "Export failed: $1", &[&e])),
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
                Err(e) => import_note.set(Some(Note::Invalid(tr(
                    "transferUnreadable",
                    "The file could not be read: $1",
                    &[&js_error(e)],
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
            <h2 id="transfer-h">{t("transferTitle", "Import and export")}</h2>
            <p class="muted">{t("transferIntro", "The file holds your cards' names and rules, balances, offers and settings (and gift-card codes you chose to store); never card numbers.")}</p>
            <Check label=t("transferWithHistory", "Include my price history (the prices this browser has seen, for the deal score)") id="export-history".into() value=with_history/>
            <div class="actions">
                <button type="button" data-testid="export" on:click=on_export>{t("transferExport", "Export")}</button>
            </div>
            <FormNote note=export_note testid="export-error"/>
            <h3>{t("transferImport", "Import")}</h3>
            <p class="muted">{t("transferImportIntro", "Importing replaces the wallet in this browser and adds the file's price history to this browser's (prices already here are not added twice). A file that cannot be used changes nothing.")}</p>
            <div class="field">
                <label for="import-file">{t("transferFile", "Wallet file (.json)")}</label>
                <input type="file" id="import-file" data-testid="import-file" accept=".json,application/json" on:change=on_file/>
            </div>
            <form on:submit=on_paste aria-label=t("transferImportPasted", "Import pasted text")>
                <div class="field">
                    <label for="import-text">{t("transferPaste", "Or paste a wallet file's text")}</label>
                    <textarea id="import-text" data-testid="import-text" rows="4" spellcheck="false" bind:value=pasted></textarea>
                </div>
                <div class="actions"><button type="submit" data-testid="import-submit">{t("transferImportPasted", "Import pasted text")}</button></div>
            </form>
            <FormNote note=import_note testid="import-error" refused=t("transferNotImported", "Not imported.")/>
            // An imported file's sites setting came without a click: when the browser does not
            // allow what it asks for, say so here, where the shopper is looking.
            {move || import_note.with(|n| matches!(n, Some(Note::Saved(_)))).then(|| view! {
                <SiteAccessNote access=Signal::derive(move || Some(ctx.wallet.with(|w| w.settings.sites.clone())))
                    grants=ctx.grants testid="import-sites" on_align=align_sites(ctx, import_note)/>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::import_summary;

    #[test]
    fn the_import_summary_counts_in_words() {
        assert_eq!(import_summary(1, 0, 0), "Imported: 1 card, 0 gift cards.");
        assert_eq!(
            import_summary(2, 1, 37),
            "Imported: 2 cards, 1 gift card, 37 price points added to your price history."
        );
    }
}

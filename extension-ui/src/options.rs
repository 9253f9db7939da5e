//! The options page: the shopper's wallet and settings. Every edit sends the whole edited
//! wallet to the background (`SaveWallet`), which validates it with the engine and answers
//! with the wallet as stored; the page then shows that. A refused save leaves the stored
//! wallet and the form's input as they were, with the reason next to the form.

use engine::protocol::{Request, Response};
use engine::stack::catalogue::CatalogueEntry;
use engine::wallet::WalletDoc;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::bridge;
use crate::i18n::{t, tr};
use crate::site_access::{Grants, SiteAccessNote};
// The pure helpers are shared with the popup (adding a catalogue card from a bank offer).
use crate::edit;

mod cards;
mod lists;
mod settings;
mod sync;
mod transfer;
mod trust;

/// What every section shares.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The wallet as the background last answered with it.
    pub wallet: RwSignal<WalletDoc>,
    pub catalogue: RwSignal<Vec<CatalogueEntry>>,
    /// Bumped when the wallet was replaced from outside a form (load, import, another tab or
    /// device), so forms that start from the stored values (settings, point values) start
    /// again.
    pub generation: RwSignal<u32>,
    /// Saves of this page still on their way: their own storage change is not news.
    pub saving: RwSignal<u32>,
    /// Bumped to redraw the settings form alone: its sites changed from outside the form.
    pub settings_redraw: RwSignal<u32>,
    /// The host permissions the browser grants now.
    pub grants: Grants,
}

impl Ctx {
    pub fn save_started(self) {
        self.saving.update(|n| *n += 1);
    }

    pub fn save_ended(self) {
        self.saving.update(|n| *n = n.saturating_sub(1));
    }

    /// The stored wallet changed: take it when it was changed elsewhere (another options
    /// tab, the popup's one-click card, a sync round), redrawing the forms; a change this
    /// page made is already here.
    fn follow_storage(self) {
        if self.saving.get_untracked() > 0 {
            return;
        }
        spawn_local(async move {
            let Ok(stored) = bridge::get_wallet().await else {
                return;
            };
            // The same wallet stamped anew (a sync round that changed nothing) is no news.
            let same = self.wallet.with_untracked(|old| {
                WalletDoc {
                    updated_at_ms: stored.updated_at_ms,
                    ..old.clone()
                } == stored
            });
            if self.saving.get_untracked() == 0 && !same {
                self.wallet.set(stored);
                self.generation.update(|g| *g += 1);
            }
        });
    }
}

/// A form's last outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Saved(String),
    /// The form's text could not be read (a number, a date): the page's own message.
    Invalid(String),
    /// The background refused the wallet: `path: message` from the engine.
    Refused(String),
}

pub type NoteSig = RwSignal<Option<Note>>;

/// Edits a copy of the stored wallet and saves it. `refused` gets a reason when the form's
/// text cannot be read or the background refuses; `saved` gets `message` on success, and then
/// `after` runs (to clear an add form).
pub fn apply(
    ctx: Ctx,
    refused: NoteSig,
    saved: NoteSig,
    message: String,
    edit: impl FnOnce(&mut WalletDoc) -> Result<(), String>,
    after: impl FnOnce() + 'static,
) {
    let mut next = ctx.wallet.get_untracked();
    if let Err(e) = edit(&mut next) {
        refused.set(Some(Note::Invalid(e)));
        return;
    }
    ctx.save_started();
    spawn_local(async move {
        let answer = bridge::save_wallet(next).await;
        ctx.save_ended();
        match answer {
            Ok(stored) => {
                // A row's own note may be gone once the list redraws; saved notes live on
                // the section, so clear the refusal first.
                refused.try_set(None);
                saved.try_set(Some(Note::Saved(message)));
                ctx.wallet.set(stored);
                after();
            }
            Err(e) => {
                refused.try_set(Some(Note::Refused(e)));
            }
        }
    });
}

/// A form's outcome: a polite status when saved, an alert with the engine's path when not.
#[component]
pub fn FormNote(
    note: NoteSig,
    #[prop(optional)] testid: &'static str,
    /// Leads a refusal ("Not saved.", "Not imported.").
    #[prop(optional, into)]
    refused: Option<String>,
) -> impl IntoView {
    let testid = if testid.is_empty() {
        "form-note"
    } else {
        testid
    };
    let refused = refused.unwrap_or_else(|| t("optionsNotSaved", "Not saved."));
    view! {
        <div class="note-slot" aria-live="polite">
            {move || note.get().map(|n| match n {
                Note::Saved(m) => view! { <p class="note saved" data-testid="saved">{m}</p> }.into_any(),
                Note::Invalid(m) => view! {
                    <p class="note refused" role="alert" data-testid=testid>{m}</p>
                }.into_any(),
                Note::Refused(m) => {
                    let (path, what) = edit::split_error(&m);
                    let what = what.to_owned();
                    view! {
                        <p class="note refused" role="alert" data-testid=testid>
                            <strong>{refused.clone()}</strong>" "
                            {path.map(|p| view! { <code class="path">{p.to_owned()}</code>": " })}
                            {what}
                        </p>
                    }.into_any()
                }
            })}
        </div>
    }
}

/// A labelled text input bound to `value`; its id doubles as its test id.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    id: String,
    value: RwSignal<String>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] decimal: bool,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id.clone() data-testid=id.clone() type=kind.unwrap_or("text") bind:value=value
                placeholder=placeholder required=required
                inputmode=decimal.then_some("decimal")
                disabled=move || disabled.is_some_and(|d| d.get())
                aria-describedby=hint.as_ref().map(|_| hint_id.clone())/>
            {hint.map(|h| view! { <small id=hint_id.clone() class="hint">{h}</small> })}
        </div>
    }
}

/// A labelled checkbox bound to `value`.
#[component]
pub fn Check(#[prop(into)] label: String, id: String, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="check">
            <input type="checkbox" id=id.clone() data-testid=id.clone() bind:checked=value/>
            <label for=id>{label}</label>
        </div>
    }
}

fn catalogue_error(why: &str) -> String {
    tr(
        "optionsCatalogueError",
        "The card catalogue did not load: $1",
        &[why],
    )
}

/// An amount as the shopper typed it (no currency: gift cards and caps have none stored).
pub fn money_text(d: rust_decimal::Decimal) -> String {
    d.normalize().to_string()
}

#[component]
pub fn Options() -> impl IntoView {
    let ctx = Ctx {
        wallet: RwSignal::new(WalletDoc::default()),
        catalogue: RwSignal::new(Vec::new()),
        generation: RwSignal::new(0),
        saving: RwSignal::new(0),
        settings_redraw: RwSignal::new(0),
        grants: Grants::follow(),
    };
    provide_context(ctx);
    bridge::on_local_change(engine::wallet::STORAGE_KEY, move || ctx.follow_storage());
    let loaded = RwSignal::new(false);
    let aligned: NoteSig = RwSignal::new(None);
    let load_error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match bridge::get_wallet().await {
            Ok(w) => ctx.wallet.set(w),
            Err(e) => load_error.set(Some(e)),
        }
        ctx.generation.update(|g| *g += 1);
        loaded.set(true);
        match bridge::request(&Request::GetCatalogue).await {
            Ok(Response::Catalogue { cards }) => ctx.catalogue.set(cards),
            Ok(other) => load_error.set(Some(catalogue_error(&format!("{other:?}")))),
            Err(e) => load_error.set(Some(catalogue_error(&e))),
        }
    });

    view! {
        <main class="options" data-testid="options">
            <header class="page-head">
                <p class="brand">"StackSmart"</p>
                <h1>{t("optionsTitle", "Wallet and settings")}</h1>
                <p class="muted">
                    {t("optionsIntro", "What you hold and how StackSmart should count it. Everything here stays in this browser's extension storage (and, if you turn on sync, goes end-to-end encrypted to your sync server); no card numbers, ever.")}
                </p>
                <nav aria-label=t("optionsSections", "Sections")>
                    <ul class="toc">
                        <li><a href="#cards">{t("optionsTocCards", "Cards")}</a></li>
                        <li><a href="#gift-cards">{t("optionsTocGiftCards", "Gift cards")}</a></li>
                        <li><a href="#memberships">{t("optionsTocMemberships", "Memberships")}</a></li>
                        <li><a href="#loyalty">{t("optionsTocLoyalty", "Loyalty")}</a></li>
                        <li><a href="#card-offers">{t("optionsTocCardOffers", "Card offers")}</a></li>
                        <li><a href="#portals">{t("optionsTocPortals", "Portals")}</a></li>
                        <li><a href="#gift-card-sources">{t("optionsTocSellers", "Gift-card sellers")}</a></li>
                        <li><a href="#points">{t("optionsTocPoints", "Point values")}</a></li>
                        <li><a href="#trust">{t("optionsTocTrust", "Trust in shops")}</a></li>
                        <li><a href="#settings">{t("optionsTocSettings", "Settings")}</a></li>
                        <li><a href="#import-export">{t("optionsTocTransfer", "Import / export")}</a></li>
                        <li><a href="#sync">{t("optionsTocSync", "Sync")}</a></li>
                    </ul>
                </nav>
            </header>
            {move || load_error.get().map(|e| view! {
                <p class="note refused" role="alert" data-testid="load-error">{e}</p>
            })}
            // Settings that came without a click (an import, sync) can ask for sites the
            // browser has not allowed: said first, with the click that fixes it either way.
            <SiteAccessNote access=Signal::derive(move || loaded.get().then(|| ctx.wallet.with(|w| w.settings.sites.clone())))
                grants=ctx.grants testid="sites-mismatch" on_align=settings::align_sites(ctx, aligned) banner=true/>
            <FormNote note=aligned testid="align-error"/>
            <Show when=move || loaded.get() fallback=|| view! { <p class="muted" data-testid="loading">{t("optionsLoading", "Loading your wallet…")}</p> }>
                <div data-testid="ready">
                    <cards::CardsSection/>
                    <lists::GiftCardsSection/>
                    <lists::MembershipsSection/>
                    <lists::LoyaltySection/>
                    <lists::CardOffersSection/>
                    <lists::PortalsSection/>
                    <lists::SourcesSection/>
                    <settings::PointsSection/>
                    <trust::TrustSection/>
                    <settings::SettingsSection/>
                    <transfer::TransferSection/>
                    <sync::SyncSection/>
                </div>
            </Show>
        </main>
    }
}

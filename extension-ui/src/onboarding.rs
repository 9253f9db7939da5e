//! The first-run page, opened once on install: what StackSmart does, what it never does, the
//! explicit choice of where it may read pages (saved as the wallet's `settings.sites`; the
//! same click asks the browser for that site access, an optional host permission, and the
//! background registers the collector where both agree), and the way to the wallet.

use engine::wallet::SiteAccess;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{t, tr};
use crate::site_access::{self, Grants, SiteAccessNote};
use crate::{bridge, edit};

/// Saves the sites choice into the stored wallet; the message to show.
async fn save_sites(access: SiteAccess) -> Result<String, String> {
    let mut wallet = bridge::get_wallet().await?;
    wallet.settings.sites = access;
    Ok(match bridge::save_wallet(wallet).await?.settings.sites {
        SiteAccess::All => t(
            "welcomeSavedAll",
            "Saved: StackSmart reads product pages on every shop.",
        ),
        SiteAccess::List { sites } => tr(
            "welcomeSavedList",
            "Saved: StackSmart reads pages on $1 only.",
            &[&sites.join(", ")],
        ),
        SiteAccess::None => t(
            "welcomeSavedNone",
            "Saved: StackSmart reads no pages until you choose sites.",
        ),
    })
}

#[component]
pub fn Onboarding() -> impl IntoView {
    let choice = RwSignal::new("all".to_owned());
    let sites = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    // The choice as saved, against which the browser's grants are shown.
    let saved = RwSignal::new(None::<SiteAccess>);
    let grants = Grants::follow();

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let access = match choice.get_untracked().as_str() {
            "list" => SiteAccess::List {
                sites: edit::parse_sites(&sites.get_untracked()),
            },
            "none" => SiteAccess::None,
            _ => SiteAccess::All,
        };
        // The explicit ask: the browser's prompt for these sites, on this click.
        let asked = site_access::ask(&access, &grants.0.get_untracked());
        spawn_local(async move {
            let result = save_sites(access.clone()).await;
            if result.is_ok() {
                saved.set(Some(access));
            }
            outcome.set(Some(result));
            if let Some(request) = asked {
                bridge::permission_answer(request).await;
            }
        });
    };
    let radio = move |value: &'static str, label: String, hint: String| {
        view! {
            <label class="choice">
                <input type="radio" name="sites" value=value data-testid=format!("sites-{value}")
                    prop:checked=move || choice.get() == value
                    on:change=move |_| choice.set(value.to_owned())/>
                <span><strong>{label}</strong><br/><span class="muted">{hint}</span></span>
            </label>
        }
    };

    view! {
        <main class="page onboarding">
            <header class="brand">"StackSmart"</header>
            <h1>{t("welcomeTitle", "Welcome. StackSmart finds the cheapest way to pay.")}</h1>
            <p>{t("welcomeWhat", "On a product page it reads the price and the offers printed there (coupon codes, bank offers, clip coupons), adds what your wallet holds (cards and their rewards, gift cards, memberships) and works out the best stack, with the arithmetic shown step by step.")}</p>
            <section class="panel" data-testid="never">
                <h2>{t("welcomeNever", "What it never does")}</h2>
                <ul>
                    <li>{t("welcomeNeverTelemetry", "No telemetry, no analytics: nothing about you or your browsing leaves this browser.")}</li>
                    <li>{t("welcomeNeverPages", "The pages you visit are read here, never sent anywhere.")}</li>
                    <li>{t("welcomeNeverAffiliate", "No affiliate links: it never rewrites links or touches cookies.")}</li>
                    <li>{t("welcomeNeverCards", "No card numbers: a card is its name and reward rules.")}</li>
                    <li>{t("welcomeNeverBanks", "It stays off webmail and banking sites.")}</li>
                </ul>
            </section>
            <form class="panel" on:submit=save data-testid="sites-form">
                <fieldset>
                    <legend><h2>{t("welcomeWhere", "Where may StackSmart read pages?")}</h2></legend>
                    {radio("all", t("welcomeAll", "Every shop"), t("welcomeAllHint", "Recommended: it only acts on pages that show a product."))}
                    {radio("list", t("welcomeList", "Only these shops"), t("welcomeListHint", "One per line, e.g. amazon.in"))}
                    <textarea aria-label=t("welcomeShops", "Shops StackSmart may read") rows="3" data-testid="shops"
                        prop:value=move || sites.get()
                        on:input=move |ev| sites.set(event_target_value(&ev))
                        on:focus=move |_| choice.set("list".to_owned())></textarea>
                    {radio("none", t("welcomeNone", "Nowhere for now"), t("welcomeNoneHint", "Choose later in the options."))}
                </fieldset>
                <p class="hint" data-testid="ask">{t("welcomeAsk", "When you save, your browser asks you to allow StackSmart on the sites you chose. It reads no page until you allow it, and you can take the permission back in the browser's extension settings at any time.")}</p>
                <button type="submit" class="primary" data-testid="save-sites">{t("welcomeSave", "Save my choice")}</button>
                {move || outcome.get().map(|o| match o {
                    Ok(m) => view! { <p class="ok" role="status" data-testid="sites-saved">{m}</p> }.into_any(),
                    Err(m) => view! { <p class="bad" role="alert" data-testid="sites-error">{m}</p> }.into_any(),
                })}
                <SiteAccessNote access=saved grants=grants testid="grant"/>
            </form>
            <section class="panel">
                <h2>{t("welcomeNext", "Next: your wallet")}</h2>
                <p>{t("welcomeNextWhat", "Add the cards you carry (from a catalogue of popular US and Indian cards, or your own), gift-card balances and memberships. They stay in this browser.")}</p>
                <button type="button" class="primary" data-testid="open-wallet" on:click=|_| bridge::open_options()>{t("welcomeAddCards", "Add your cards")}</button>
            </section>
        </main>
    }
}

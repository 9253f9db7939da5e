//! Point values (the published tables and the shopper's own values) and the settings. Both
//! forms start from the stored wallet and save as a whole; they redraw only when the wallet
//! was replaced (load, import), so typing elsewhere never resets them.

use std::collections::BTreeMap;

use engine::stack::{catalogue, Valuation};
use engine::wallet::SiteAccess;
use leptos::prelude::*;

use super::edit::{self, optional_text};
use super::{apply, money_text, Check, Ctx, Field, FormNote, NoteSig};
use crate::i18n::{t, tr};
use crate::site_access::{self, Grants, SiteAccessNote};

const TABLES: [(Valuation, &str); 3] = [
    (Valuation::Conservative, "conservative"),
    (Valuation::PointsGuy, "points_guy"),
    (Valuation::FrequentMiler, "frequent_miler"),
];

fn table_label(v: Valuation) -> String {
    match v {
        Valuation::Conservative => t(
            "pointsConservative",
            "Conservative (what a point fetches as cash)",
        ),
        Valuation::PointsGuy => t("pointsPointsGuy", "The Points Guy's published values"),
        Valuation::FrequentMiler => t("pointsFrequentMiler", "Frequent Miler's published values"),
    }
}

#[component]
pub fn PointsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Redraws this form alone after its save (a new programme becomes a row of its own).
    let redraw = RwSignal::new(0u32);
    let note: NoteSig = RwSignal::new(None);
    view! {
        <section class="section" id="points" aria-labelledby="points-h">
            <h2 id="points-h">{t("pointsTitle", "Point values")}</h2>
            {move || {
                ctx.generation.get();
                redraw.get();
                view! { <PointsForm redraw=redraw note=note/> }
            }}
        </section>
    }
}

#[component]
fn PointsForm(redraw: RwSignal<u32>, note: NoteSig) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let stored = ctx.wallet.get_untracked().valuation;
    let table = RwSignal::new(stored.table);
    let programs = catalogue::load()
        .map(|c| c.programs.clone())
        .unwrap_or_default();
    // One input per catalogue programme, then the shopper's own programmes.
    let mut rows: Vec<(String, String, RwSignal<String>)> = programs
        .iter()
        .map(|p| {
            let v = stored
                .custom
                .get(&p.id)
                .map(|d| money_text(*d))
                .unwrap_or_default();
            (p.id.clone(), p.name.clone(), RwSignal::new(v))
        })
        .collect();
    for (id, v) in &stored.custom {
        if !programs.iter().any(|p| &p.id == id) {
            rows.push((id.clone(), id.clone(), RwSignal::new(money_text(*v))));
        }
    }
    let (new_id, new_value) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let rows_for_save = rows.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rows = rows_for_save.clone();
        apply(
            ctx,
            note,
            note,
            t("pointsSaved", "Point values saved."),
            move |w| {
                let mut custom = BTreeMap::new();
                for (id, name, value) in &rows {
                    if let Some(v) = edit::parse_optional_decimal(name, &value.get_untracked())? {
                        custom.insert(id.clone(), v);
                    }
                }
                if let Some(id) = optional_text(&new_id.get_untracked()) {
                    let v = edit::parse_decimal(
                        &t("pointsValueOfOne", "Value of one point"),
                        &new_value.get_untracked(),
                    )?;
                    custom.insert(edit::slug(&id).replace('-', "_"), v);
                }
                w.valuation.table = table.get_untracked();
                w.valuation.custom = custom;
                Ok(())
            },
            move || redraw.update(|g| *g += 1),
        );
    };
    let cell = |v: Option<rust_decimal::Decimal>| v.map(money_text).unwrap_or_else(|| "—".into());
    view! {
        <form on:submit=submit aria-label=t("pointsTitle", "Point values")>
            <fieldset>
                <legend>{t("pointsValueWith", "Value points with")}</legend>
                {TABLES.into_iter().map(|(v, key)| view! {
                    <label class="choice block"><input type="radio" name="valuation" value=key data-testid=format!("valuation-{key}")
                        prop:checked=move || table.get() == v on:change=move |_| table.set(v)/>" "{table_label(v)}</label>
                }).collect_view()}
            </fieldset>
            // Said above the table, not as its caption: a narrow window scrolls the table
            // sideways, and a caption would scroll (and be cut) with it.
            <p class="muted" id="point-values-about">{t("pointsCaption", "Value of one point, in the programme's currency. Your value, when given, wins.")}</p>
            <div class="table-wrap">
                <table class="values" data-testid="point-values" aria-describedby="point-values-about">
                    <thead><tr>
                        <th scope="col">{t("pointsProgramme", "Programme")}</th><th scope="col">{t("pointsColConservative", "Conservative")}</th>
                        <th scope="col">{t("pointsColPointsGuy", "Points Guy")}</th><th scope="col">{t("pointsColFrequentMiler", "Frequent Miler")}</th>
                        <th scope="col">{t("pointsYourValue", "Your value")}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(id, name, value)| {
                            let p = programs.iter().find(|p| p.id == id);
                            let input_id = format!("point-{id}");
                            view! {
                                <tr>
                                    <th scope="row">{name.clone()}{p.map(|p| view! { <span class="muted">{format!(" ({})", p.currency)}</span> })}</th>
                                    <td>{cell(p.map(|p| p.conservative))}</td>
                                    <td>{cell(p.and_then(|p| p.points_guy))}</td>
                                    <td>{cell(p.and_then(|p| p.frequent_miler))}</td>
                                    <td><input id=input_id.clone() data-testid=input_id class="narrow" inputmode="decimal"
                                        aria-label=tr("pointsYourValueFor", "Your value for $1", &[&name]) bind:value=value placeholder="—"/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="row">
                <Field label=t("pointsAnother", "Another programme") id="point-new-id".into() value=new_id placeholder="shop_points"/>
                <Field label=t("pointsValueOfOne", "Value of one point") id="point-new-value".into() value=new_value decimal=true placeholder="0.25"/>
            </div>
            <div class="actions"><button type="submit" data-testid="points-save">{t("pointsSave", "Save point values")}</button></div>
            <FormNote note=note testid="points-error"/>
        </form>
    }
}

#[component]
pub fn SettingsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <section class="section" id="settings" aria-labelledby="settings-h">
            <h2 id="settings-h">{t("settingsTitle", "Settings")}</h2>
            {move || {
                ctx.generation.get();
                ctx.settings_redraw.get();
                view! { <SettingsForm grants=ctx.grants/> }
            }}
        </section>
    }
}

/// Narrows the sites setting to what the browser allows (the shopper keeps the browser's
/// answer rather than asking again), gives back any grant it then leaves unused, and shows
/// the new choice in the settings form; `note` says how the save went.
pub fn align_sites(ctx: Ctx, note: NoteSig) -> Callback<SiteAccess> {
    Callback::new(move |next: SiteAccess| {
        site_access::give_back(&next, &ctx.grants.0.get_untracked());
        apply(
            ctx,
            note,
            note,
            t(
                "settingsAligned",
                "Settings changed to the sites your browser allows.",
            ),
            move |w| {
                w.settings.sites = next;
                Ok(())
            },
            move || ctx.settings_redraw.update(|g| *g += 1),
        );
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Sites {
    All,
    List,
    None,
}

#[component]
fn SettingsForm(grants: Grants) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let s = ctx.wallet.get_untracked().settings;
    let currency = RwSignal::new(
        s.display_currency
            .map(|c| c.code().to_owned())
            .unwrap_or_default(),
    );
    let locale = RwSignal::new(s.locale.clone().unwrap_or_default());
    let haircut = RwSignal::new(money_text(s.delayed_payout_haircut_percent));
    let badge = RwSignal::new(s.badge);
    let emi = RwSignal::new(s.emi);
    let (mode, list) = match &s.sites {
        SiteAccess::All => (Sites::All, String::new()),
        SiteAccess::List { sites } => (Sites::List, sites.join("\n")),
        SiteAccess::None => (Sites::None, String::new()),
    };
    let sites = RwSignal::new(mode);
    let site_list = RwSignal::new(list);
    let form_sites = move || match sites.get_untracked() {
        Sites::All => SiteAccess::All,
        Sites::None => SiteAccess::None,
        Sites::List => SiteAccess::List {
            sites: edit::parse_sites(&site_list.get_untracked()),
        },
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The browser's site access follows the choice: asked for on this click (browsers
        // only prompt on a gesture), given back when no longer used. The settings are saved
        // without waiting for the prompt.
        if let Some(request) = site_access::ask(&form_sites(), &grants.0.get_untracked()) {
            leptos::task::spawn_local(async move {
                crate::bridge::permission_answer(request).await;
            });
        }
        apply(
            ctx,
            note,
            note,
            t("settingsSaved", "Settings saved."),
            move |w| {
                let st = &mut w.settings;
                st.display_currency = match optional_text(&currency.get_untracked()) {
                    None => None,
                    Some(c) => Some(edit::parse_currency(
                        &t("settingsCurrencyField", "Display currency"),
                        &c,
                    )?),
                };
                st.locale = optional_text(&locale.get_untracked());
                st.delayed_payout_haircut_percent = match optional_text(&haircut.get_untracked()) {
                    None => rust_decimal::Decimal::ZERO,
                    Some(h) => edit::parse_decimal(&t("settingsHaircutField", "Haircut"), &h)?,
                };
                st.badge = badge.get_untracked();
                st.emi = emi.get_untracked();
                st.sites = form_sites();
                Ok(())
            },
            || {},
        );
    };
    let radio = move |value: Sites, key: &'static str, label: String| {
        view! {
            <label class="choice block"><input type="radio" name="sites" value=key data-testid=format!("sites-{key}")
                prop:checked=move || sites.get() == value on:change=move |_| sites.set(value)/>" "{label}</label>
        }
    };
    view! {
        <form on:submit=submit aria-label=t("settingsTitle", "Settings") data-testid="settings-form">
            <div class="row">
                <Field label=t("settingsCurrency", "Display currency (optional)") id="settings-currency".into() value=currency placeholder="INR"
                    hint=t("settingsCurrencyHint", "Empty: each product's own currency")/>
                <Field label=t("settingsLocale", "Locale for numbers (optional)") id="settings-locale".into() value=locale placeholder="en-IN"
                    hint=t("settingsLocaleHint", "Empty: this browser's")/>
                <Field label=t("settingsHaircut", "Haircut on delayed payouts (%)") id="settings-haircut".into() value=haircut decimal=true placeholder="0"
                    hint=t("settingsHaircutHint", "Portal cashback and later credits count this much less")/>
            </div>
            <Check label=t("settingsBadge", "Show the saving badge on product pages") id="settings-badge".into() value=badge/>
            <Check label=t("settingsEmi", "I pay by EMI (use EMI bank offers)") id="settings-emi".into() value=emi/>
            <fieldset>
                <legend>{t("settingsSites", "Sites StackSmart reads")}</legend>
                {radio(Sites::All, "all", t("settingsSitesAll", "All shopping sites"))}
                {radio(Sites::List, "list", t("settingsSitesList", "Only these sites:"))}
                <label for="settings-sites" class="visually-hidden">{t("settingsSitesField", "Sites, one per line")}</label>
                <textarea id="settings-sites" data-testid="settings-sites" rows="3" placeholder="amazon.in\nflipkart.com"
                    bind:value=site_list prop:disabled=move || sites.get() != Sites::List></textarea>
                {radio(Sites::None, "none", t("settingsSitesNone", "None (StackSmart stays off every page)"))}
                <p class="hint">{t("settingsSitesAsk", "Saving asks your browser to allow the sites you chose and gives back access to the others.")}</p>
                <SiteAccessNote access=Signal::derive(move || Some(ctx.wallet.with(|w| w.settings.sites.clone()))) grants=grants testid="sites-grant"
                    on_align=align_sites(ctx, note)/>
            </fieldset>
            <div class="actions"><button type="submit" data-testid="settings-save">{t("settingsSave", "Save settings")}</button></div>
            <FormNote note=note testid="settings-error"/>
        </form>
    }
}

//! How far the deal score trusts prices read from each shop: the published defaults
//! (`engine::score::RELIABILITY`) beside the shopper's own percentages, which win.

use std::collections::BTreeMap;

use engine::score::{DEFAULT_RELIABILITY, RELIABILITY};
use leptos::prelude::*;

use super::edit::{self, optional_text};
use super::{apply, money_text, Ctx, Field, FormNote, NoteSig};
use crate::i18n::{t, tr};

/// A 0–1 reliability as a whole percentage for people.
fn percent(r: f64) -> String {
    format!("{:.0} %", r * 100.0)
}

#[component]
pub fn TrustSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let redraw = RwSignal::new(0u32);
    let note: NoteSig = RwSignal::new(None);
    view! {
        <section class="section" id="trust" aria-labelledby="trust-h">
            <h2 id="trust-h">{t("trustTitle", "Trust in shops' prices")}</h2>
            <p class="muted">{t("trustIntro", "The deal score leans towards a neutral 50 for shops whose prices and \"was\" prices are less reliable (marketplaces, many sellers). Your value, when given, wins.")}</p>
            {move || {
                ctx.generation.get();
                redraw.get();
                view! { <TrustForm redraw=redraw note=note/> }
            }}
        </section>
    }
}

#[component]
fn TrustForm(redraw: RwSignal<u32>, note: NoteSig) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let stored = ctx.wallet.get_untracked().settings.merchant_trust_percent;
    // One row per shop of the default table, then the shopper's own shops.
    let mut rows: Vec<(String, Option<f64>, RwSignal<String>)> = RELIABILITY
        .iter()
        .map(|(name, r)| {
            let v = stored
                .get(*name)
                .map(|d| money_text(*d))
                .unwrap_or_default();
            ((*name).to_owned(), Some(*r), RwSignal::new(v))
        })
        .collect();
    for (shop, v) in &stored {
        if !RELIABILITY.iter().any(|(n, _)| n == shop) {
            rows.push((shop.clone(), None, RwSignal::new(money_text(*v))));
        }
    }
    let (new_shop, new_value) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let rows_for_save = rows.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rows = rows_for_save.clone();
        apply(
            ctx,
            note,
            note,
            t("trustSaved", "Trust values saved."),
            move |w| {
                let mut trust = BTreeMap::new();
                for (shop, _, value) in &rows {
                    let label = tr("trustIn", "Trust in $1", &[shop]);
                    if let Some(v) = edit::parse_optional_decimal(&label, &value.get_untracked())? {
                        trust.insert(shop.clone(), v);
                    }
                }
                if let Some(shop) = optional_text(&new_shop.get_untracked()) {
                    let v = edit::parse_decimal(
                        &t("trustPercent", "Trust (%)"),
                        &new_value.get_untracked(),
                    )?;
                    trust.insert(shop, v);
                }
                w.settings.merchant_trust_percent = trust;
                Ok(())
            },
            move || redraw.update(|g| *g += 1),
        );
    };
    view! {
        <form on:submit=submit aria-label=t("trustTitle", "Trust in shops' prices")>
            <div class="table-wrap">
                <table class="values" data-testid="trust-values">
                    <caption class="muted">{tr("trustOthers", "Every other shop: $1.", &[&percent(DEFAULT_RELIABILITY)])}</caption>
                    <thead><tr>
                        <th scope="col">{t("trustShop", "Shop")}</th><th scope="col">{t("trustDefault", "Default")}</th>
                        <th scope="col">{t("trustYourValue", "Your value (%)")}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(shop, default, value)| {
                            let input_id = format!("trust-{}", edit::slug(&shop));
                            view! {
                                <tr>
                                    <th scope="row">{shop.clone()}</th>
                                    <td>{default.map_or_else(|| "—".to_owned(), percent)}</td>
                                    <td><input id=input_id.clone() data-testid=input_id class="narrow" inputmode="decimal"
                                        aria-label=tr("trustYourValueFor", "Your trust in $1, in percent", &[&shop]) bind:value=value placeholder="—"/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="row">
                <Field label=t("trustAnother", "Another shop (name or domain)") id="trust-new-shop".into() value=new_shop placeholder="flipkart.com"/>
                <Field label=t("trustPercent", "Trust (%)") id="trust-new-value".into() value=new_value decimal=true placeholder="80"/>
            </div>
            <div class="actions"><button type="submit" data-testid="trust-save">{t("trustSave", "Save trust values")}</button></div>
            <FormNote note=note testid="trust-error"/>
        </form>
    }
}

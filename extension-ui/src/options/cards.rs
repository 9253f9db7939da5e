//! Cards: the wallet's cards (nickname, cap used per bonus category, remove), the catalogue
//! search, and a form for a card of the shopper's own rules.

use engine::stack::catalogue;
use engine::wallet::Card;
use leptos::prelude::*;

use super::edit::{self, CustomCardForm};
use super::{apply, money_text, Check, Ctx, Field, FormNote, NoteSig};
use crate::i18n::{t, tr};

/// At most this many search results are drawn; more words narrow the list.
const MAX_RESULTS: usize = 8;

#[component]
pub fn CardsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let query = RwSignal::new(String::new());
    let note: NoteSig = RwSignal::new(None);
    let add = move |catalogue_id: String, name: String| {
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[&name]),
            move |w| {
                let card = edit::catalogue_card(&catalogue_id, &w.cards);
                w.cards.push(card);
                Ok(())
            },
            || {},
        );
    };

    view! {
        <section class="section" id="cards" aria-labelledby="cards-h">
            <h2 id="cards-h">{t("cardsTitle", "Cards")}</h2>
            <p class="muted">{t("cardsIntro", "A card here is only its reward rules: StackSmart never asks for card numbers.")}</p>
            <h3>{t("cardsYours", "Your cards")}</h3>
            {move || {
                let cards = ctx.wallet.with(|w| w.cards.clone());
                if cards.is_empty() {
                    view! { <p class="empty" data-testid="no-cards">{t("cardsNone", "No cards yet. Find yours below.")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="items" data-testid="wallet-cards">
                            {cards.into_iter().map(|c| view! { <CardRow card=c section_note=note/> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <FormNote note=note testid="cards-error"/>

            <h3>{t("cardsFromCatalogue", "Add from the catalogue")}</h3>
            <form class="search" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="catalogue-search">{t("cardsSearch", "Search by card name or bank")}</label>
                <input id="catalogue-search" data-testid="catalogue-search" type="search"
                    placeholder="Millennia, Amazon Pay, Chase…" autocomplete="off" bind:value=query/>
            </form>
            <div aria-live="polite">
                {move || {
                    let q = query.get();
                    if q.trim().is_empty() {
                        return view! { <p class="muted">{t("cardsSearchHint", "Type part of a card's name or its bank.")}</p> }.into_any();
                    }
                    let entries = ctx.catalogue.get();
                    let hits = edit::search(&entries, &q);
                    if hits.is_empty() {
                        return view! {
                            <p class="muted" data-testid="no-results">{t("cardsNoMatch", "No catalogue card matches. Add it as your own card below.")}</p>
                        }.into_any();
                    }
                    let more = hits.len().saturating_sub(MAX_RESULTS);
                    view! {
                        <ul class="items results">
                            {hits.into_iter().take(MAX_RESULTS).map(|e| {
                                let (id, name) = (e.id.clone(), e.name.clone());
                                view! {
                                    <li class="item result" data-testid="catalogue-result" data-card=e.id.clone()>
                                        <div class="item-main">
                                            <strong>{e.name.clone()}</strong>
                                            <span class="muted">{format!(" · {} · {} · {}", e.issuer, e.network, e.country)}</span>
                                            <p class="summary">{e.summary.clone()}</p>
                                            {(!e.verified).then(|| view! {
                                                <p class="unverified" data-testid="unverified">
                                                    {t("cardsUnverified", "Not verified against the issuer's page:")}" "
                                                    <a href=e.source.clone() target="_blank" rel="noopener noreferrer">{t("cardsCheckTerms", "check the terms")}</a>
                                                </p>
                                            })}
                                        </div>
                                        <button type="button" data-testid="add-card"
                                            aria-label=tr("cardsAddNamed", "Add $1", &[&e.name])
                                            on:click=move |_| add(id.clone(), name.clone())>{t("optionsAdd", "Add")}</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {(more > 0).then(|| view! { <p class="muted">{tr("cardsMore", "$1 more: type more of the name.", &[&more.to_string()])}</p> })}
                    }.into_any()
                }}
            </div>
            <CustomCard/>
        </section>
    }
}

/// One wallet card: what it earns, its nickname and caps used, remove.
#[component]
fn CardRow(card: Card, section_note: NoteSig) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let name = card.display_name();
    let rules = card.rules().cloned();
    let nickname = RwSignal::new(card.nickname.clone());
    let caps: Vec<(String, String, RwSignal<String>)> = rules
        .iter()
        .flat_map(|r| r.categories.iter())
        .filter(|c| c.cap.is_some())
        .map(|c| {
            let cap = c.cap.map(money_text).unwrap_or_default();
            let label = match &c.period {
                Some(p) => tr("cardsCapPer", "of $1 a $2", &[&cap, &p.replace('_', " ")]),
                None => tr("cardsCap", "of $1", &[&cap]),
            };
            let used = card
                .cap_used
                .get(&c.category)
                .map(|d| money_text(*d))
                .unwrap_or_default();
            (c.category.clone(), label, RwSignal::new(used))
        })
        .collect();
    let id = card.id.clone();
    let source = if card.catalogue.is_some() {
        t("cardsFromCatalogueSource", "catalogue card")
    } else {
        t("cardsOwnRules", "your own rules")
    };
    let summary = rules.as_ref().map(catalogue::summary).unwrap_or_default();
    let caps_for_save = caps.clone();
    let id_for_save = id.clone();
    let name_for_save = name.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, caps) = (id_for_save.clone(), caps_for_save.clone());
        apply(
            ctx,
            note,
            section_note,
            tr("cardsSaved", "Saved $1.", &[&name_for_save]),
            move |w| {
                let card = w.cards.iter_mut().find(|c| c.id == id).ok_or_else(|| {
                    t(
                        "cardsGone",
                        "This card is no longer in the wallet; reload the page.",
                    )
                })?;
                card.nickname = nickname.get_untracked().trim().to_owned();
                for (category, _, used) in &caps {
                    let field = tr(
                        "cardsCapUsed",
                        "Cap used on $1",
                        &[&category.replace('_', " ")],
                    );
                    match edit::parse_optional_decimal(&field, &used.get_untracked())? {
                        Some(v) => card.cap_used.insert(category.clone(), v),
                        None => card.cap_used.remove(category),
                    };
                }
                Ok(())
            },
            || {},
        );
    };
    let id_for_remove = id.clone();
    let name_for_remove = name.clone();
    let remove = move |_| {
        let id = id_for_remove.clone();
        let offers = ctx
            .wallet
            .with_untracked(|w| w.card_offers.iter().filter(|o| o.card == id).count());
        let message = match offers {
            0 => tr("optionsRemoved", "Removed $1.", &[&name_for_remove]),
            1 => tr(
                "cardsRemovedWithOffer",
                "Removed $1 and its enrolled offer.",
                &[&name_for_remove],
            ),
            n => tr(
                "cardsRemovedWithOffers",
                "Removed $1 and its $2 enrolled offers.",
                &[&name_for_remove, &n.to_string()],
            ),
        };
        apply(
            ctx,
            note,
            section_note,
            message,
            move |w| {
                // An enrolled offer cannot outlive its card (the engine refuses the wallet).
                w.card_offers.retain(|o| o.card != id);
                w.cards.retain(|c| c.id != id);
                Ok(())
            },
            || {},
        );
    };
    let nick_id = format!("nickname-{id}");
    view! {
        <li class="item" data-testid="wallet-card" data-card=id.clone()>
            <form class="item-main" on:submit=save aria-label=tr("cardsCardNamed", "Card $1", &[&name])>
                <p><strong data-testid="card-name">{name.clone()}</strong>
                    <span class="muted">" · "{source}</span></p>
                <p class="summary">{summary}</p>
                <div class="row">
                    <Field label=t("cardsNickname", "Nickname") id=nick_id value=nickname placeholder=t("optionsOptional", "optional")/>
                    {caps.into_iter().map(|(category, label, used)| view! {
                        <div class="field">
                            <label for=format!("cap-{id}-{category}")>
                                {tr("cardsSpent", "Spent on $1 this period", &[&category.replace('_', " ")])}
                            </label>
                            <input id=format!("cap-{id}-{category}") data-testid="cap-used" inputmode="decimal"
                                bind:value=used placeholder="0"/>
                            <small class="hint">{label}</small>
                        </div>
                    }).collect_view()}
                </div>
                <div class="actions">
                    <button type="submit">{t("cardsSaveChanges", "Save changes")}</button>
                    <button type="button" class="danger" data-testid="remove-card"
                        aria-label=tr("optionsRemoveNamed", "Remove $1", &[&name]) on:click=remove>{t("optionsRemove", "Remove")}</button>
                </div>
                <FormNote note=note testid="card-error"/>
            </form>
        </li>
    }
}

/// A card that is not in the catalogue, described by its rules.
#[component]
fn CustomCard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let s = || RwSignal::new(String::new());
    let (name, issuer, network, currency, programme) = (s(), s(), s(), s(), s());
    let (rate, block) = (s(), s());
    let (bonus_category, bonus_rate, bonus_cap, bonus_period) = (s(), s(), s(), s());
    let debit = RwSignal::new(false);
    let points = RwSignal::new(false);
    let whole_blocks = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = CustomCardForm {
            name: name.get_untracked(),
            issuer: issuer.get_untracked(),
            network: network.get_untracked(),
            debit: debit.get_untracked(),
            currency: currency.get_untracked(),
            points: points.get_untracked(),
            programme: programme.get_untracked(),
            rate: rate.get_untracked(),
            block: block.get_untracked(),
            whole_blocks: whole_blocks.get_untracked(),
            bonus_category: bonus_category.get_untracked(),
            bonus_rate: bonus_rate.get_untracked(),
            bonus_cap: bonus_cap.get_untracked(),
            bonus_period: bonus_period.get_untracked(),
        };
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[form.name.trim()]),
            move |w| {
                let card = edit::custom_card(&form, &w.cards)?;
                w.cards.push(card);
                Ok(())
            },
            move || {
                for f in [name, issuer, network, currency, programme, rate, block] {
                    f.set(String::new());
                }
                for f in [bonus_category, bonus_rate, bonus_cap, bonus_period] {
                    f.set(String::new());
                }
            },
        );
    };
    view! {
        <details class="subform">
            <summary>{t("cardsCustom", "Add a card that is not in the catalogue")}</summary>
            <form on:submit=submit data-testid="custom-card-form">
                <div class="row">
                    <Field label=t("cardsName", "Name") id="custom-name".into() value=name required=true
                        placeholder=t("cardsNameExample", "Shop Rewards Card")/>
                    <Field label=t("cardsIssuer", "Issuer") id="custom-issuer".into() value=issuer required=true
                        placeholder=t("cardsIssuerExample", "Some Bank")/>
                    <Field label=t("cardsNetwork", "Network") id="custom-network".into() value=network required=true placeholder="Visa, Mastercard, RuPay…"/>
                    <Field label=t("cardsCurrency", "Home currency") id="custom-currency".into() value=currency required=true placeholder="INR"
                        hint=t("cardsCurrencyHint", "ISO code: INR, USD, EUR")/>
                </div>
                <fieldset>
                    <legend>{t("cardsType", "Type")}</legend>
                    <label class="choice"><input type="radio" name="custom-type" prop:checked=move || !debit.get()
                        on:change=move |_| debit.set(false)/>" "{t("cardsCredit", "Credit")}</label>
                    <label class="choice"><input type="radio" name="custom-type" prop:checked=move || debit.get()
                        on:change=move |_| debit.set(true)/>" "{t("cardsDebit", "Debit")}</label>
                </fieldset>
                <fieldset>
                    <legend>{t("cardsRewards", "Rewards")}</legend>
                    <label class="choice"><input type="radio" name="custom-rewards" prop:checked=move || !points.get()
                        on:change=move |_| points.set(false)/>" "{t("cardsCashBack", "Cash back")}</label>
                    <label class="choice"><input type="radio" name="custom-rewards" prop:checked=move || points.get()
                        on:change=move |_| points.set(true)/>" "{t("cardsPoints", "Points")}</label>
                    <Field label=t("cardsProgramme", "Points programme") id="custom-programme".into() value=programme placeholder="hdfc_rp"
                        disabled=Signal::derive(move || !points.get())/>
                </fieldset>
                <fieldset>
                    <legend>{t("cardsBaseRate", "Base earn rate")}</legend>
                    <div class="row">
                        <Field label=t("cardsEarns", "Earns (cash or points)") id="custom-rate".into() value=rate decimal=true required=true placeholder="1"/>
                        <Field label=t("cardsPerAmount", "Per amount spent") id="custom-block".into() value=block decimal=true placeholder="100"
                            hint=t("cardsPerAmountHint", "1 per 100 is 1 % back; empty means per 1")/>
                    </div>
                    <Check label=t("cardsWholeBlocks", "Only whole blocks earn (4 per 150: 449 earns 8)") id="custom-whole".into() value=whole_blocks/>
                </fieldset>
                <fieldset>
                    <legend>{t("cardsBonus", "One bonus category (optional)")}</legend>
                    <div class="row">
                        <Field label=t("cardsBonusCategory", "Category or shop") id="custom-bonus-category".into() value=bonus_category
                            placeholder=t("cardsBonusCategoryExample", "online_shopping or amazon.in")/>
                        <Field label=t("cardsBonusRate", "Earns per the same amount") id="custom-bonus-rate".into() value=bonus_rate decimal=true placeholder="5"/>
                        <Field label=t("cardsBonusCap", "Cap on bonus spend") id="custom-bonus-cap".into() value=bonus_cap decimal=true
                            placeholder=t("optionsOptional", "optional")/>
                        <Field label=t("cardsBonusPeriod", "Cap period") id="custom-bonus-period".into() value=bonus_period placeholder="statement_month"/>
                    </div>
                </fieldset>
                <div class="actions"><button type="submit" data-testid="custom-add">{t("cardsAddCard", "Add card")}</button></div>
                <FormNote note=note testid="custom-card-error"/>
            </form>
        </details>
    }
}

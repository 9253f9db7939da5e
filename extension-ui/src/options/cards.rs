//! Cards: the wallet's cards (nickname, cap used per bonus category, remove), the catalogue
//! search, and a form for a card of the shopper's own rules.

use engine::stack::catalogue;
use engine::wallet::Card;
use leptos::prelude::*;

use super::edit::{self, CustomCardForm};
use super::{apply, money_text, Check, Ctx, Field, FormNote, NoteSig};

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
            format!("Added {name}."),
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
            <h2 id="cards-h">"Cards"</h2>
            <p class="muted">"A card here is only its reward rules: StackSmart never asks for card numbers."</p>
            <h3>"Your cards"</h3>
            {move || {
                let cards = ctx.wallet.with(|w| w.cards.clone());
                if cards.is_empty() {
                    view! { <p class="empty" data-testid="no-cards">"No cards yet. Find yours below."</p> }.into_any()
                } else {
                    view! {
                        <ul class="items" data-testid="wallet-cards">
                            {cards.into_iter().map(|c| view! { <CardRow card=c section_note=note/> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <FormNote note=note testid="cards-error"/>

            <h3>"Add from the catalogue"</h3>
            <form class="search" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="catalogue-search">"Search by card name or bank"</label>
                <input id="catalogue-search" data-testid="catalogue-search" type="search"
                    placeholder="Millennia, Amazon Pay, Chase…" autocomplete="off" bind:value=query/>
            </form>
            <div aria-live="polite">
                {move || {
                    let q = query.get();
                    if q.trim().is_empty() {
                        return view! { <p class="muted">"Type part of a card's name or its bank."</p> }.into_any();
                    }
                    let entries = ctx.catalogue.get();
                    let hits = edit::search(&entries, &q);
                    if hits.is_empty() {
                        return view! {
                            <p class="muted" data-testid="no-results">"No catalogue card matches. Add it as your own card below."</p>
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
                                                    "Not verified against the issuer's page: "
                                                    <a href=e.source.clone() target="_blank" rel="noopener noreferrer">"check the terms"</a>
                                                </p>
                                            })}
                                        </div>
                                        <button type="button" data-testid="add-card"
                                            aria-label=format!("Add {}", e.name)
                                            on:click=move |_| add(id.clone(), name.clone())>"Add"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {(more > 0).then(|| view! { <p class="muted">{format!("{more} more: type more of the name.")}</p> })}
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
                Some(p) => format!("of {cap} a {}", p.replace('_', " ")),
                None => format!("of {cap}"),
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
        "catalogue card"
    } else {
        "your own rules"
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
            format!("Saved {name_for_save}."),
            move |w| {
                let card = w
                    .cards
                    .iter_mut()
                    .find(|c| c.id == id)
                    .ok_or("This card is no longer in the wallet; reload the page.")?;
                card.nickname = nickname.get_untracked().trim().to_owned();
                for (category, _, used) in &caps {
                    let field = format!("Cap used on {}", category.replace('_', " "));
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
            0 => format!("Removed {name_for_remove}."),
            1 => format!("Removed {name_for_remove} and its enrolled offer."),
            n => format!("Removed {name_for_remove} and its {n} enrolled offers."),
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
            <form class="item-main" on:submit=save aria-label=format!("Card {name}")>
                <p><strong data-testid="card-name">{name.clone()}</strong>
                    <span class="muted">{format!(" · {source} · id {id}")}</span></p>
                <p class="summary">{summary}</p>
                <div class="row">
                    <Field label="Nickname" id=nick_id value=nickname placeholder="optional"/>
                    {caps.into_iter().map(|(category, label, used)| view! {
                        <div class="field">
                            <label for=format!("cap-{id}-{category}")>
                                {format!("Spent on {} this period", category.replace('_', " "))}
                            </label>
                            <input id=format!("cap-{id}-{category}") data-testid="cap-used" inputmode="decimal"
                                bind:value=used placeholder="0"/>
                            <small class="hint">{label}</small>
                        </div>
                    }).collect_view()}
                </div>
                <div class="actions">
                    <button type="submit">"Save changes"</button>
                    <button type="button" class="danger" data-testid="remove-card"
                        aria-label=format!("Remove {name}") on:click=remove>"Remove"</button>
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
            format!("Added {}.", form.name.trim()),
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
            <summary>"Add a card that is not in the catalogue"</summary>
            <form on:submit=submit data-testid="custom-card-form">
                <div class="row">
                    <Field label="Name" id="custom-name".into() value=name required=true placeholder="Shop Rewards Card"/>
                    <Field label="Issuer" id="custom-issuer".into() value=issuer required=true placeholder="Some Bank"/>
                    <Field label="Network" id="custom-network".into() value=network required=true placeholder="Visa, Mastercard, RuPay…"/>
                    <Field label="Home currency" id="custom-currency".into() value=currency required=true placeholder="INR"
                        hint="ISO code: INR, USD, EUR"/>
                </div>
                <fieldset>
                    <legend>"Type"</legend>
                    <label class="choice"><input type="radio" name="custom-type" prop:checked=move || !debit.get()
                        on:change=move |_| debit.set(false)/>" Credit"</label>
                    <label class="choice"><input type="radio" name="custom-type" prop:checked=move || debit.get()
                        on:change=move |_| debit.set(true)/>" Debit"</label>
                </fieldset>
                <fieldset>
                    <legend>"Rewards"</legend>
                    <label class="choice"><input type="radio" name="custom-rewards" prop:checked=move || !points.get()
                        on:change=move |_| points.set(false)/>" Cash back"</label>
                    <label class="choice"><input type="radio" name="custom-rewards" prop:checked=move || points.get()
                        on:change=move |_| points.set(true)/>" Points"</label>
                    <Field label="Points programme" id="custom-programme".into() value=programme placeholder="hdfc_rp"
                        disabled=Signal::derive(move || !points.get())/>
                </fieldset>
                <fieldset>
                    <legend>"Base earn rate"</legend>
                    <div class="row">
                        <Field label="Earns (cash or points)" id="custom-rate".into() value=rate decimal=true required=true placeholder="1"/>
                        <Field label="Per amount spent" id="custom-block".into() value=block decimal=true placeholder="100"
                            hint="1 per 100 is 1 % back; empty means per 1"/>
                    </div>
                    <Check label="Only whole blocks earn (4 per 150: 449 earns 8)" id="custom-whole".into() value=whole_blocks/>
                </fieldset>
                <fieldset>
                    <legend>"One bonus category (optional)"</legend>
                    <div class="row">
                        <Field label="Category or shop" id="custom-bonus-category".into() value=bonus_category placeholder="online_shopping or amazon.in"/>
                        <Field label="Earns per the same amount" id="custom-bonus-rate".into() value=bonus_rate decimal=true placeholder="5"/>
                        <Field label="Cap on bonus spend" id="custom-bonus-cap".into() value=bonus_cap decimal=true placeholder="optional"/>
                        <Field label="Cap period" id="custom-bonus-period".into() value=bonus_period placeholder="statement_month"/>
                    </div>
                </fieldset>
                <div class="actions"><button type="submit" data-testid="custom-add">"Add card"</button></div>
                <FormNote note=note testid="custom-card-error"/>
            </form>
        </details>
    }
}

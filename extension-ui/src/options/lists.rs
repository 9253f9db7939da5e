//! The wallet's simple lists: gift cards, memberships, loyalty accounts, enrolled card
//! offers, cashback portals and discounted gift-card sellers. Each is an add form and a list
//! with remove buttons.

use engine::stack::{LinkedValue, Rate};
use engine::wallet::{
    EnrolledOffer, GiftCard, GiftCardSource, LoyaltyAccount, PortalRate, WalletDoc,
};
use leptos::prelude::*;

use super::edit::{self, optional_text, unique_id, OfferForm};
use super::{apply, money_text, Check, Ctx, Field, FormNote, NoteSig};
use crate::i18n::{t, tr};

/// Removes one entry through a save; `what` names it in the note.
fn remove_entry(
    ctx: Ctx,
    note: NoteSig,
    what: String,
    drop: impl Fn(&mut WalletDoc) + Clone + 'static,
) -> impl Fn(leptos::ev::MouseEvent) + 'static {
    move |_| {
        let drop = drop.clone();
        apply(
            ctx,
            note,
            note,
            tr("optionsRemoved", "Removed $1.", &[&what]),
            move |w| {
                drop(w);
                Ok(())
            },
            || {},
        );
    }
}

fn clear(fields: &[RwSignal<String>]) {
    for f in fields {
        f.set(String::new());
    }
}

#[component]
pub fn GiftCardsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let (merchant, balance, expires, code) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let keep_code = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = merchant.get_untracked();
        apply(
            ctx,
            note,
            note,
            tr("giftAdded", "Added the gift card for $1.", &[m.trim()]),
            move |w| {
                let card = GiftCard {
                    id: unique_id(
                        &format!("gift-{}", m),
                        "gift",
                        w.gift_cards.iter().map(|g| g.id.as_str()),
                    ),
                    merchant: m.trim().to_owned(),
                    balance: edit::parse_decimal(
                        &t("giftBalance", "Balance"),
                        &balance.get_untracked(),
                    )?,
                    expires: edit::parse_optional_date(
                        &t("optionsExpires", "Expires"),
                        &expires.get_untracked(),
                    )?,
                    // The code is kept only when the shopper ticked the box.
                    code: if keep_code.get_untracked() {
                        optional_text(&code.get_untracked())
                    } else {
                        None
                    },
                    note: String::new(),
                };
                w.gift_cards.push(card);
                Ok(())
            },
            move || {
                clear(&[merchant, balance, expires, code]);
                keep_code.set(false);
            },
        );
    };
    view! {
        <section class="section" id="gift-cards" aria-labelledby="gift-cards-h">
            <h2 id="gift-cards-h">{t("giftTitle", "Gift cards")}</h2>
            {move || {
                let list = ctx.wallet.with(|w| w.gift_cards.clone());
                if list.is_empty() {
                    return view! { <p class="empty">{t("giftNone", "No gift cards yet.")}</p> }.into_any();
                }
                view! {
                    <ul class="items" data-testid="gift-cards">
                        {list.into_iter().map(|g| {
                            let what = tr("giftWhat", "the $1 gift card", &[&g.merchant]);
                            let id = g.id.clone();
                            view! {
                                <li class="item" data-testid="gift-card" data-merchant=g.merchant.clone()>
                                    <div class="item-main">
                                        <strong>{g.merchant.clone()}</strong>
                                        " · "{tr("giftBalanceOf", "balance $1", &[&money_text(g.balance)])}
                                        {g.expires.map(|e| format!(" · {}", tr("optionsExpiresOn", "expires $1", &[&e.to_string()])))}
                                        {g.code.clone().map(|c| view! {
                                            <details class="code-kept"><summary>{t("giftCodeStored", "Code stored in this browser")}</summary><code>{c}</code></details>
                                        })}
                                    </div>
                                    <button type="button" class="danger" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&what])
                                        on:click=remove_entry(ctx, note, what.clone(), move |w| w.gift_cards.retain(|x| x.id != id))>
                                        {t("optionsRemove", "Remove")}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form on:submit=submit data-testid="gift-form" aria-label=t("giftAddForm", "Add a gift card")>
                <div class="row">
                    <Field label=t("optionsShop", "Shop (domain)") id="gift-merchant".into() value=merchant required=true placeholder="amazon.in"/>
                    <Field label=t("giftBalance", "Balance") id="gift-balance".into() value=balance decimal=true required=true placeholder="500"/>
                    <Field label=t("optionsExpiresOptional", "Expires (optional)") id="gift-expires".into() value=expires kind="date"/>
                </div>
                <Check label=t("giftKeepCode", "Store the code too") id="gift-keep-code".into() value=keep_code/>
                <Show when=move || keep_code.get()>
                    <Field label=t("giftCode", "Code") id="gift-code".into() value=code/>
                </Show>
                <p class="hint" id="gift-code-where">
                    {t("giftCodeWhere", "StackSmart only needs the balance. If you store the code, it is kept in this browser's extension storage (and in the encrypted sync if you turn sync on).")}
                </p>
                <div class="actions"><button type="submit" data-testid="gift-add">{t("giftAdd", "Add gift card")}</button></div>
                <FormNote note=note testid="gift-error"/>
            </form>
        </section>
    }
}

#[component]
pub fn MembershipsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let membership = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = edit::slug(&membership.get_untracked());
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[&m]),
            move |w| {
                if m.is_empty() {
                    return Err(t(
                        "membershipsEnterId",
                        "Membership: enter its id (amazon-prime)",
                    ));
                }
                if !w.memberships.contains(&m) {
                    w.memberships.push(m);
                }
                Ok(())
            },
            move || membership.set(String::new()),
        );
    };
    view! {
        <section class="section" id="memberships" aria-labelledby="memberships-h">
            <h2 id="memberships-h">{t("membershipsTitle", "Memberships")}</h2>
            <p class="muted">{t("membershipsIntro", "Member prices and loyalty offers check these (amazon-prime, flipkart-plus, walmart-plus, target-circle).")}</p>
            {move || {
                let list = ctx.wallet.with(|w| w.memberships.clone());
                (!list.is_empty()).then(|| view! {
                    <ul class="chips" data-testid="memberships">
                        {list.into_iter().map(|m| {
                            let gone = m.clone();
                            view! {
                                <li class="chip" data-testid="membership">{m.clone()}" "
                                    <button type="button" class="danger small" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&m])
                                        on:click=remove_entry(ctx, note, m.clone(), move |w| w.memberships.retain(|x| *x != gone))>"×"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <form on:submit=submit class="inline" aria-label=t("membershipsAddForm", "Add a membership")>
                <Field label=t("membershipsId", "Membership id") id="membership-id".into() value=membership required=true placeholder="amazon-prime"/>
                <div class="actions"><button type="submit" data-testid="membership-add">{t("optionsAdd", "Add")}</button></div>
            </form>
            <FormNote note=note testid="membership-error"/>
        </section>
    }
}

#[component]
pub fn LoyaltySection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let (merchant, programme, percent) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = programme.get_untracked().trim().to_owned();
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[&p]),
            move |w| {
                let account = LoyaltyAccount {
                    id: unique_id(&p, "loyalty", w.loyalty.iter().map(|l| l.id.as_str())),
                    merchant: merchant.get_untracked().trim().to_owned(),
                    programme: p,
                    percent: edit::parse_optional_decimal(
                        &t("loyaltyValueBack", "Value back"),
                        &percent.get_untracked(),
                    )?,
                    points_balance: None,
                };
                w.loyalty.push(account);
                Ok(())
            },
            move || clear(&[merchant, programme, percent]),
        );
    };
    view! {
        <section class="section" id="loyalty" aria-labelledby="loyalty-h">
            <h2 id="loyalty-h">{t("loyaltyTitle", "Loyalty accounts")}</h2>
            {move || {
                let list = ctx.wallet.with(|w| w.loyalty.clone());
                (!list.is_empty()).then(|| view! {
                    <ul class="items" data-testid="loyalty">
                        {list.into_iter().map(|l| {
                            let what = tr("loyaltyWhat", "$1 at $2", &[&l.programme, &l.merchant]);
                            let id = l.id.clone();
                            view! {
                                <li class="item" data-testid="loyalty-account">
                                    <div class="item-main"><strong>{l.programme.clone()}</strong>
                                        {format!(" · {}", l.merchant)}
                                        {l.percent.map(|p| format!(" · {}", tr("optionsPercentBack", "$1 % back", &[&money_text(p)])))}
                                    </div>
                                    <button type="button" class="danger" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&what])
                                        on:click=remove_entry(ctx, note, what.clone(), move |w| w.loyalty.retain(|x| x.id != id))>{t("optionsRemove", "Remove")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <form on:submit=submit aria-label=t("loyaltyAddForm", "Add a loyalty account")>
                <div class="row">
                    <Field label=t("optionsShop", "Shop (domain)") id="loyalty-merchant".into() value=merchant required=true placeholder="target.com"/>
                    <Field label=t("loyaltyProgramme", "Programme") id="loyalty-programme".into() value=programme required=true placeholder="target-circle"/>
                    <Field label=t("loyaltyPercent", "Value back in % (optional)") id="loyalty-percent".into() value=percent decimal=true placeholder="1"/>
                </div>
                <div class="actions"><button type="submit" data-testid="loyalty-add">{t("loyaltyAdd", "Add loyalty account")}</button></div>
                <FormNote note=note testid="loyalty-error"/>
            </form>
        </section>
    }
}

/// An enrolled offer's value in words.
fn linked_text(v: &LinkedValue) -> String {
    match v {
        LinkedValue::SpendGet { min_spend, credit } => tr(
            "cardOffersSpendGet",
            "spend $1 get $2 back",
            &[&money_text(*min_spend), &money_text(*credit)],
        ),
        LinkedValue::PercentBack { percent, cap: None } => {
            tr("optionsPercentBack", "$1 % back", &[&money_text(*percent)])
        }
        LinkedValue::PercentBack {
            percent,
            cap: Some(cap),
        } => tr(
            "cardOffersPercentBackUpTo",
            "$1 % back up to $2",
            &[&money_text(*percent), &money_text(*cap)],
        ),
    }
}

/// An enrolled offer's form fields as signals, for the add form and each offer's edit form.
#[derive(Clone, Copy)]
struct OfferSignals {
    card: RwSignal<String>,
    merchant: RwSignal<String>,
    percent_kind: RwSignal<bool>,
    min_spend: RwSignal<String>,
    credit: RwSignal<String>,
    percent: RwSignal<String>,
    cap: RwSignal<String>,
    expires: RwSignal<String>,
    delay: RwSignal<String>,
    terms: RwSignal<String>,
}

impl OfferSignals {
    fn new(form: &OfferForm) -> Self {
        let s = |v: &String| RwSignal::new(v.clone());
        Self {
            card: s(&form.card),
            merchant: s(&form.merchant),
            percent_kind: RwSignal::new(form.percent_kind),
            min_spend: s(&form.min_spend),
            credit: s(&form.credit),
            percent: s(&form.percent),
            cap: s(&form.cap),
            expires: s(&form.expires),
            delay: s(&form.delay),
            terms: s(&form.terms),
        }
    }

    fn form(self) -> OfferForm {
        OfferForm {
            card: self.card.get_untracked(),
            merchant: self.merchant.get_untracked(),
            percent_kind: self.percent_kind.get_untracked(),
            min_spend: self.min_spend.get_untracked(),
            credit: self.credit.get_untracked(),
            percent: self.percent.get_untracked(),
            cap: self.cap.get_untracked(),
            expires: self.expires.get_untracked(),
            delay: self.delay.get_untracked(),
            terms: self.terms.get_untracked(),
        }
    }

    /// Back to `form` (an add form cleared, an edit form cancelled).
    fn reset(self, form: &OfferForm) {
        self.card.set(form.card.clone());
        self.merchant.set(form.merchant.clone());
        self.percent_kind.set(form.percent_kind);
        for (signal, text) in [
            (self.min_spend, &form.min_spend),
            (self.credit, &form.credit),
            (self.percent, &form.percent),
            (self.cap, &form.cap),
            (self.expires, &form.expires),
            (self.delay, &form.delay),
            (self.terms, &form.terms),
        ] {
            signal.set(text.clone());
        }
    }
}

/// The fields of an enrolled offer. Their ids start with `prefix`, so the add form and the
/// edit forms on the page never share one; `first` is the card choice (focused on edit).
#[component]
fn OfferFields(
    prefix: String,
    f: OfferSignals,
    first: NodeRef<leptos::html::Select>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let id = |part: &str| format!("{prefix}-{part}");
    let (card_id, terms_id, kind) = (id("card"), id("terms"), id("kind"));
    let (percent_id, cap_id) = (id("percent"), id("cap"));
    let (spend_id, credit_id) = (id("spend"), id("credit"));
    view! {
        <div class="row">
            <div class="field">
                <label for=card_id.clone()>{t("cardOffersCard", "Enrolled card")}</label>
                <select id=card_id.clone() data-testid=card_id node_ref=first
                    on:change=move |ev| f.card.set(event_target_value(&ev))>
                    {move || ctx.wallet.with(|w| w.cards.iter().map(|c| {
                        let id = c.id.clone();
                        let selected = f.card.get_untracked() == id;
                        view! { <option value=id selected=selected>{c.display_name()}</option> }
                    }).collect_view())}
                </select>
            </div>
            <Field label=t("optionsShop", "Shop (domain)") id=id("merchant") value=f.merchant required=true placeholder="amazon.com"/>
        </div>
        <fieldset>
            <legend>{t("cardOffersValue", "Value")}</legend>
            <label class="choice"><input type="radio" name=kind.clone() prop:checked=move || !f.percent_kind.get()
                on:change=move |_| f.percent_kind.set(false)/>" "{t("cardOffersKindSpend", "Spend an amount, get a credit")}</label>
            <label class="choice"><input type="radio" name=kind prop:checked=move || f.percent_kind.get()
                on:change=move |_| f.percent_kind.set(true)/>" "{t("cardOffersKindPercent", "A percentage back")}</label>
            <Show when=move || !f.percent_kind.get()
                fallback=move || view! {
                    <div class="row">
                        <Field label=t("cardOffersPercent", "Percent back") id=percent_id.clone() value=f.percent decimal=true placeholder="10"/>
                        <Field label=t("cardOffersUpToOptional", "Up to (optional)") id=cap_id.clone() value=f.cap decimal=true placeholder="50"/>
                    </div>
                }>
                <div class="row">
                    <Field label=t("cardOffersSpendAtLeast", "Spend at least") id=spend_id.clone() value=f.min_spend decimal=true placeholder="250"/>
                    <Field label=t("cardOffersGetBack", "Get back") id=credit_id.clone() value=f.credit decimal=true placeholder="50"/>
                </div>
            </Show>
        </fieldset>
        <div class="row">
            <Field label=t("optionsExpiresOptional", "Expires (optional)") id=id("expires") value=f.expires kind="date"/>
            <Field label=t("cardOffersDelay", "Credit arrives after (days)") id=id("delay") value=f.delay placeholder="0"/>
        </div>
        <div class="field">
            <label for=terms_id.clone()>{t("cardOffersTerms", "Terms (as the issuer wrote them, optional)")}</label>
            <textarea id=terms_id.clone() data-testid=terms_id rows="2" bind:value=f.terms></textarea>
        </div>
    }
}

/// The shop as the engine will store it, for messages (`www.Amazon.in` → `amazon.in`).
fn shop_name(typed: &str) -> String {
    engine::wallet::normalise_merchant(typed).unwrap_or_else(|| typed.trim().to_owned())
}

#[component]
pub fn CardOffersSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    // Each offer's outcomes (saved, marked used, removed) show under the list.
    let list_note: NoteSig = RwSignal::new(None);
    let fields = OfferSignals::new(&OfferForm::default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = fields.form();
        apply(
            ctx,
            note,
            note,
            tr(
                "cardOffersAdded",
                "Added the offer at $1.",
                &[&shop_name(&form.merchant)],
            ),
            move |w| {
                let offer = edit::offer_from_form(&form, &w.cards)?;
                let id = unique_id(
                    &format!("{}-{}", offer.card, offer.merchant),
                    "offer",
                    w.card_offers.iter().map(|o| o.id.as_str()),
                );
                w.card_offers.push(EnrolledOffer { id, ..offer });
                Ok(())
            },
            // The card stays chosen: several offers are often enrolled on one card.
            move || {
                fields.reset(&OfferForm {
                    card: fields.card.get_untracked(),
                    percent_kind: fields.percent_kind.get_untracked(),
                    ..OfferForm::default()
                })
            },
        );
    };
    view! {
        <section class="section" id="card-offers" aria-labelledby="card-offers-h">
            <h2 id="card-offers-h">{t("cardOffersTitle", "Card-linked offers")}</h2>
            <p class="muted">{t("cardOffersIntro", "Offers you enrolled a card in (Amex Offers, Chase Offers, bank app offers).")}</p>
            {move || {
                let (list, names): (Vec<EnrolledOffer>, Vec<(String, String)>) = ctx.wallet.with(|w| {
                    (w.card_offers.clone(), w.cards.iter().map(|c| (c.id.clone(), c.display_name())).collect())
                });
                (!list.is_empty()).then(|| view! {
                    <ul class="items" data-testid="card-offers">
                        {list.into_iter().map(|o| {
                            let card_name = names.iter().find(|(id, _)| *id == o.card).map_or(o.card.clone(), |(_, n)| n.clone());
                            view! { <OfferRow offer=o card_name=card_name section_note=list_note/> }
                        }).collect_view()}
                    </ul>
                })
            }}
            <FormNote note=list_note testid="offers-error"/>
            <form on:submit=submit aria-label=t("cardOffersAddForm", "Add an enrolled offer")>
                <OfferFields prefix="offer".into() f=fields first=NodeRef::new()/>
                <div class="actions"><button type="submit" data-testid="offer-add">{t("cardOffersAdd", "Add offer")}</button></div>
                <FormNote note=note testid="offer-error"/>
            </form>
        </section>
    }
}

/// One enrolled offer: what it is worth, used or not, and its edit form (card, shop, value,
/// expiry, delay, terms), opened in place.
#[component]
fn OfferRow(offer: EnrolledOffer, card_name: String, section_note: NoteSig) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let editing = RwSignal::new(false);
    let stored = OfferForm::from_offer(&offer);
    let fields = OfferSignals::new(&stored);
    let first = NodeRef::<leptos::html::Select>::new();
    let edit_button = NodeRef::<leptos::html::Button>::new();
    // The edit form opens on its first field, so keyboard users land where they type.
    Effect::new(move || {
        if let Some(select) = first.get() {
            let _ = select.focus();
        }
    });
    let what = tr(
        "cardOffersWhat",
        "the $1 offer at $2",
        &[&card_name, &offer.merchant],
    );
    let used = offer.used;
    let id = offer.id.clone();
    let form_id = format!("offer-edit-{id}");
    // Its one credit earned, the offer stops counting in stacks; kept (not removed) so the
    // shopper sees it was used.
    let toggled = id.clone();
    let toggle = move |_| {
        let id = toggled.clone();
        let message = if used {
            t("cardOffersMarkedUnused", "Marked as not used yet.")
        } else {
            t(
                "cardOffersMarkedUsed",
                "Marked as used: it no longer counts in stacks.",
            )
        };
        apply(
            ctx,
            section_note,
            section_note,
            message,
            move |w| {
                for x in w.card_offers.iter_mut().filter(|x| x.id == id) {
                    x.used = !used;
                }
                Ok(())
            },
            || {},
        );
    };
    let cancel_to = StoredValue::new(stored);
    let cancel = move || {
        cancel_to.with_value(|form| fields.reset(form));
        note.set(None);
        editing.set(false);
        if let Some(button) = edit_button.get_untracked() {
            let _ = button.focus();
        }
    };
    let saved_id = StoredValue::new(id.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = fields.form();
        let id = saved_id.get_value();
        apply(
            ctx,
            note,
            section_note,
            tr(
                "cardOffersSaved",
                "Saved the offer at $1.",
                &[&shop_name(&form.merchant)],
            ),
            move |w| {
                let edited = edit::offer_from_form(&form, &w.cards)?;
                let offer = w
                    .card_offers
                    .iter_mut()
                    .find(|o| o.id == id)
                    .ok_or_else(|| {
                        t(
                            "cardOffersGone",
                            "This offer is no longer in the wallet; reload the page.",
                        )
                    })?;
                // The id and whether it was used are the offer's own, not the form's.
                *offer = EnrolledOffer {
                    id: offer.id.clone(),
                    used: offer.used,
                    ..edited
                };
                Ok(())
            },
            || {},
        );
    };
    let removed = id.clone();
    let edit_label = tr("cardOffersEditNamed", "Edit $1", &[&what]);
    let form_label = edit_label.clone();
    view! {
        <li class="item" data-testid="card-offer" data-offer=id.clone() data-used=used.to_string()>
            <div class="item-main">
                <strong>{offer.merchant.clone()}</strong>
                {format!(" · {} · {}", card_name, linked_text(&offer.value))}
                {offer.expires.map(|e| format!(" · {}", tr("optionsExpiresOn", "expires $1", &[&e.to_string()])))}
                {(offer.payout_delay_days > 0).then(|| format!(" · {}", tr("cardOffersArrivesAfter", "credit after $1 days", &[&offer.payout_delay_days.to_string()])))}
                {used.then(|| format!(" · {}", t("cardOffersUsed", "used")))}
                {(!offer.terms.is_empty()).then(|| view! { <p class="summary" data-testid="offer-terms">{offer.terms.clone()}</p> })}
                <Show when=move || editing.get()>
                    <form id=form_id.clone() data-testid="offer-edit-form" class="subform"
                        aria-label=form_label.clone()
                        on:submit=save
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { cancel() }>
                        <OfferFields prefix=form_id.clone() f=fields first=first/>
                        <div class="actions">
                            <button type="submit" data-testid="offer-save">{t("cardsSaveChanges", "Save changes")}</button>
                            <button type="button" class="link" data-testid="offer-cancel" on:click=move |_| cancel()>{t("optionsCancel", "Cancel")}</button>
                        </div>
                        <FormNote note=note testid="offer-edit-error"/>
                    </form>
                </Show>
            </div>
            <button type="button" data-testid="offer-used" aria-pressed=used.to_string()
                aria-label=if used {
                    tr("cardOffersMarkUnusedNamed", "Mark as not used: $1", &[&what])
                } else {
                    tr("cardOffersMarkUsedNamed", "Mark as used: $1", &[&what])
                }
                on:click=toggle>{if used {
                    t("cardOffersMarkUnused", "Not used yet")
                } else {
                    t("cardOffersMarkUsed", "Mark used")
                }}</button>
            <button type="button" data-testid="offer-edit" node_ref=edit_button
                aria-expanded=move || editing.get().to_string() aria-controls=format!("offer-edit-{id}")
                aria-label=edit_label
                on:click=move |_| editing.update(|e| *e = !*e)>{t("cardOffersEdit", "Edit")}</button>
            <button type="button" class="danger" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&what])
                on:click=remove_entry(ctx, section_note, what.clone(), move |w| w.card_offers.retain(|x| x.id != removed))>{t("optionsRemove", "Remove")}</button>
        </li>
    }
}

#[component]
pub fn PortalsSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let s = || RwSignal::new(String::new());
    let (name, merchant, rate, delay) = (s(), s(), s(), s());
    let fixed = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_owned();
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[&n]),
            move |w| {
                let m = merchant.get_untracked().trim().to_owned();
                let value = edit::parse_decimal(&t("portalsRate", "Rate"), &rate.get_untracked())?;
                let portal = PortalRate {
                    id: unique_id(
                        &format!("{n}-{m}"),
                        "portal",
                        w.portals.iter().map(|p| p.id.as_str()),
                    ),
                    name: n,
                    merchant: m,
                    rate: if fixed.get_untracked() {
                        Rate::Fixed(value)
                    } else {
                        Rate::Percent(value)
                    },
                    payout_delay_days: edit::parse_days(
                        &t("portalsDelayField", "Pays out after"),
                        &delay.get_untracked(),
                    )?,
                };
                w.portals.push(portal);
                Ok(())
            },
            move || clear(&[name, merchant, rate, delay]),
        );
    };
    view! {
        <section class="section" id="portals" aria-labelledby="portals-h">
            <h2 id="portals-h">{t("portalsTitle", "Cashback portals")}</h2>
            {move || {
                let list = ctx.wallet.with(|w| w.portals.clone());
                (!list.is_empty()).then(|| view! {
                    <ul class="items" data-testid="portals">
                        {list.into_iter().map(|p| {
                            let what = tr("optionsWhatFor", "$1 for $2", &[&p.name, &p.merchant]);
                            let id = p.id.clone();
                            let rate = match p.rate {
                                Rate::Percent(r) => format!("{} %", money_text(r)),
                                Rate::Fixed(r) => tr("portalsFixed", "$1 fixed", &[&money_text(r)]),
                            };
                            view! {
                                <li class="item" data-testid="portal">
                                    <div class="item-main"><strong>{p.name.clone()}</strong>
                                        {format!(" · {} · {rate}", p.merchant)}
                                        {(p.payout_delay_days > 0).then(|| format!(" · {}", tr("portalsPaysAfter", "pays after $1 days", &[&p.payout_delay_days.to_string()])))}
                                    </div>
                                    <button type="button" class="danger" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&what])
                                        on:click=remove_entry(ctx, note, what.clone(), move |w| w.portals.retain(|x| x.id != id))>{t("optionsRemove", "Remove")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <form on:submit=submit aria-label=t("portalsAddForm", "Add a cashback portal")>
                <div class="row">
                    <Field label=t("portalsPortal", "Portal") id="portal-name".into() value=name required=true placeholder="CashKaro, Rakuten"/>
                    <Field label=t("optionsShop", "Shop (domain)") id="portal-merchant".into() value=merchant required=true placeholder="myntra.com"/>
                    <Field label=t("portalsRate", "Rate") id="portal-rate".into() value=rate decimal=true required=true placeholder="5"/>
                    <Field label=t("portalsDelay", "Pays out after (days)") id="portal-delay".into() value=delay placeholder="90"/>
                </div>
                <fieldset>
                    <legend>{t("portalsRateIs", "The rate is")}</legend>
                    <label class="choice"><input type="radio" name="portal-kind" prop:checked=move || !fixed.get()
                        on:change=move |_| fixed.set(false)/>" "{t("portalsPercentage", "a percentage")}</label>
                    <label class="choice"><input type="radio" name="portal-kind" prop:checked=move || fixed.get()
                        on:change=move |_| fixed.set(true)/>" "{t("portalsFixedAmount", "a fixed amount per order")}</label>
                </fieldset>
                <div class="actions"><button type="submit" data-testid="portal-add">{t("portalsAdd", "Add portal")}</button></div>
                <FormNote note=note testid="portal-error"/>
            </form>
        </section>
    }
}

#[component]
pub fn SourcesSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let note: NoteSig = RwSignal::new(None);
    let s = || RwSignal::new(String::new());
    let (seller, merchant, discount, max_face) = (s(), s(), s(), s());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sl = seller.get_untracked().trim().to_owned();
        apply(
            ctx,
            note,
            note,
            tr("optionsAdded", "Added $1.", &[&sl]),
            move |w| {
                let m = merchant.get_untracked().trim().to_owned();
                let source = GiftCardSource {
                    id: unique_id(
                        &format!("{sl}-{m}"),
                        "source",
                        w.gift_card_sources.iter().map(|s| s.id.as_str()),
                    ),
                    seller: sl,
                    merchant: m,
                    discount_percent: edit::parse_decimal(
                        &t("sellersDiscountField", "Discount"),
                        &discount.get_untracked(),
                    )?,
                    max_face: edit::parse_optional_decimal(
                        &t("sellersMaxField", "Largest card"),
                        &max_face.get_untracked(),
                    )?,
                };
                w.gift_card_sources.push(source);
                Ok(())
            },
            move || clear(&[seller, merchant, discount, max_face]),
        );
    };
    view! {
        <section class="section" id="gift-card-sources" aria-labelledby="sources-h">
            <h2 id="sources-h">{t("sellersTitle", "Discounted gift-card sellers")}</h2>
            <p class="muted">{t("sellersIntro", "Where you buy a shop's gift cards below face value (Gyftr, Raise, Costco).")}</p>
            {move || {
                let list = ctx.wallet.with(|w| w.gift_card_sources.clone());
                (!list.is_empty()).then(|| view! {
                    <ul class="items" data-testid="gift-card-sources">
                        {list.into_iter().map(|s| {
                            let what = tr("optionsWhatFor", "$1 for $2", &[&s.seller, &s.merchant]);
                            let id = s.id.clone();
                            view! {
                                <li class="item" data-testid="gift-card-source">
                                    <div class="item-main"><strong>{s.seller.clone()}</strong>
                                        {format!(" · {} · {}", s.merchant, tr("sellersOff", "$1 % off", &[&money_text(s.discount_percent)]))}
                                        {s.max_face.map(|m| format!(" · {}", tr("sellersUpTo", "cards up to $1", &[&money_text(m)])))}
                                    </div>
                                    <button type="button" class="danger" aria-label=tr("optionsRemoveNamed", "Remove $1", &[&what])
                                        on:click=remove_entry(ctx, note, what.clone(), move |w| w.gift_card_sources.retain(|x| x.id != id))>{t("optionsRemove", "Remove")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <form on:submit=submit aria-label=t("sellersAddForm", "Add a gift-card seller")>
                <div class="row">
                    <Field label=t("sellersSeller", "Seller") id="source-seller".into() value=seller required=true placeholder="Gyftr"/>
                    <Field label=t("optionsShop", "Shop (domain)") id="source-merchant".into() value=merchant required=true placeholder="amazon.in"/>
                    <Field label=t("sellersDiscount", "Discount %") id="source-discount".into() value=discount decimal=true required=true placeholder="3"/>
                    <Field label=t("sellersMax", "Largest card (optional)") id="source-max".into() value=max_face decimal=true placeholder="10000"/>
                </div>
                <div class="actions"><button type="submit" data-testid="source-add">{t("sellersAdd", "Add seller")}</button></div>
                <FormNote note=note testid="source-error"/>
            </form>
        </section>
    }
}

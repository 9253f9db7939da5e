//! The stack optimizer: given a cart, the offers around it and the shopper's wallet, find the
//! combination with the lowest **net effective cost** = amount paid − portal cashback − card
//! rewards value − statement credits (a bank instant discount or a discounted gift card lowers
//! the amount paid). Delayed payouts can be counted at a haircut (`settings`).
//!
//! One pure function, [`optimize`], takes a [`StackRequest`] (which carries today's date: the
//! engine never reads a clock) and returns a [`StackResult`]; the extension, the CLI and the
//! tests all go through it. The JSON format is documented in `docs/engine-api.md`.
//!
//! # Decision space (searched exactly)
//! - a set of coupon codes allowed by their classes: at most one free-shipping code; among
//!   discount codes of one funding (store / manufacturer, merged when
//!   `manufacturer_coupons_stack_with_store` is off) either one code or only combinable ones;
//! - at most one discounted gift card bought first (`discounted_gift_card` offers);
//! - at most one cashback portal;
//! - the payment after gift-card balances: one wallet card (or a method outside the wallet)
//!   with at most one bank or card-linked offer on it; or, where the merchant allows two
//!   cards, a split exactly at the first card's remaining bonus cap, the rest on a second card,
//!   each with at most one card-linked offer (bank offers need the whole payment on the card).
//!
//! Automatic sales are not a choice: they always apply. Gift-card balances for the merchant are
//! spent first when `settings.use_gift_card_balances` is on (the default), unless keeping them
//! for another order unlocks an offer on this one (a bank offer that needs the whole payment
//! on the card, a portal that gift-card payment voids, a card-linked minimum) and makes it
//! cheaper (`settings.keep_gift_card_balance_for_offers`, default on). Card rewards alone never
//! justify keeping a balance: the balance would be spent on a later order instead, a wash.
//!
//! # Tie-break (deterministic)
//! Among stacks with the same net cost: fewer offers used; then the coupon list (ascending
//! request order, compared lexicographically); then no gift-card deal before a deal, earlier
//! deal first; the same for the portal; then the payment: earlier wallet card first (a method
//! outside the wallet last), no offer before an offer and earlier offer first, no split before
//! a split, earlier second card first. "Earlier" is the order of the request's `offers` and
//! `wallet.cards`.
//!
//! # Proof of exactness
//! [`oracle::brute_force`] enumerates the whole space and is compared with
//! [`search::optimize`] on 10,000 random instances (tests/stack_oracle.rs).
//! Suggestions (one more unit, a small add-on) are searched separately by re-running the
//! optimizer on the changed cart, and are only ever reported, never applied.

pub mod catalogue;
pub mod eval;
pub mod merchants;
pub mod model;
pub mod oracle;
pub mod page;
pub mod problem;
pub mod receipt;
pub mod search;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;
pub use model::*;
pub use receipt::{explain, Reason, Step, StepKind, Unused};

/// A request the engine refused, naming the field (`cart.items[2].price`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum StackError {
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
}

/// Reads a request from JSON; errors name the path of the bad field.
pub fn parse_request(json: &str) -> Result<StackRequest, StackError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        StackError::BadRequest {
            field: if path == "." { "request".into() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// The chosen offers, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackSummary {
    pub coupons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gift_card_deal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub portal: Option<String>,
    /// Wallet card id; absent when paying with something outside the wallet.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card_offer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub split: Option<SplitSummary>,
    /// Gift-card balance left unspent because paying by card makes this order cheaper.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gift_card_balance_kept: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitSummary {
    /// Charged to `card` (its remaining bonus cap).
    pub first_card_amount: Decimal,
    pub second_card: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub second_card_offer: Option<String>,
}

impl StackSummary {
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.coupons.is_empty() {
            parts.push(format!("codes {}", self.coupons.join(" + ")));
        }
        if let Some(d) = &self.gift_card_deal {
            parts.push(format!("buy discounted gift card {d}"));
        }
        if let Some(x) = &self.portal {
            parts.push(format!("portal {x}"));
        }
        let mut pay = match &self.card {
            Some(c) => format!("pay with {c}"),
            None => "pay outside the wallet".to_owned(),
        };
        if let Some(o) = &self.card_offer {
            pay.push_str(&format!(" + {o}"));
        }
        if let Some(s) = &self.split {
            pay.push_str(&format!(
                " for {}, the rest with {}",
                s.first_card_amount, s.second_card
            ));
            if let Some(o) = &s.second_card_offer {
                pay.push_str(&format!(" + {o}"));
            }
        }
        parts.push(pay);
        if let Some(kept) = self.gift_card_balance_kept {
            parts.push(format!(
                "keep the gift-card balance ({kept}) for another order"
            ));
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alternative {
    pub net_cost: Decimal,
    /// How much more than the best stack.
    pub extra_cost: Decimal,
    pub stack: StackSummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    AddOneMore,
    AddItem,
}

/// A cart change worth considering. Never applied to the result above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub item: String,
    pub item_price: Decimal,
    pub new_net_cost: Decimal,
    /// Net cost increase; below `item_price` because the change unlocks something.
    pub extra_cost: Decimal,
    /// Offer ids the new best stack uses that the current one does not, and/or `free_shipping`.
    pub unlocks: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackResult {
    pub merchant: String,
    pub currency: Currency,
    pub net_cost: Decimal,
    pub paid_at_checkout: Decimal,
    /// Order total with automatic sales only: no codes, cashback, rewards or credits.
    pub baseline: Decimal,
    pub total_savings: Decimal,
    pub stack: StackSummary,
    pub steps: Vec<Step>,
    pub alternatives: Vec<Alternative>,
    pub unused: Vec<Unused>,
    pub suggestions: Vec<Suggestion>,
}

fn summary(
    p: &problem::Problem,
    ids: &[String],
    c: &eval::Choice,
    e: &eval::Evaluation,
) -> StackSummary {
    let id = |i: usize| ids[i].clone();
    StackSummary {
        coupons: c.coupons.iter().map(|&i| id(p.coupons[i].offer)).collect(),
        gift_card_deal: c.deal.map(|d| id(p.deals[d].offer)),
        portal: c.portal.map(|x| id(p.portals[x].offer)),
        card: c.payment.card.map(|a| p.cards[a].id.clone()),
        card_offer: c.payment.offer.map(|k| id(p.card_offers[k].offer)),
        split: c.payment.split.map(|(b, ob)| SplitSummary {
            first_card_amount: e.primary.charge,
            second_card: p.cards[b].id.clone(),
            second_card_offer: ob.map(|k| id(p.card_offers[k].offer)),
        }),
        gift_card_balance_kept: None,
    }
}

fn internal(what: &str) -> StackError {
    StackError::BadRequest {
        field: "request".into(),
        message: format!("internal error: {what}"),
    }
}

/// The best stack, its receipt, alternatives, reasons for unused offers and suggestions.
pub fn optimize(req: &StackRequest) -> Result<StackResult, StackError> {
    let mut result = optimize_core(req, req.settings.alternatives)?;
    let mut chosen = std::borrow::Cow::Borrowed(req);
    let balance_spent = result
        .steps
        .iter()
        .any(|s| s.kind == StepKind::GiftCardBalance);
    if balance_spent && req.settings.keep_gift_card_balance_for_offers {
        let mut keep = req.clone();
        keep.settings.use_gift_card_balances = false;
        let kept = optimize_core(&keep, req.settings.alternatives)?;
        // Only an offer this order alone can have justifies keeping the balance: the card
        // rewards it would earn are a wash (the balance is spent on a later order instead).
        let spent_offers = used_ids(&result.stack);
        let unlocks = used_ids(&kept.stack)
            .iter()
            .any(|o| !spent_offers.contains(o));
        if unlocks && kept.net_cost < result.net_cost {
            let balance = problem::resolve(req)?.gift_card_balance;
            result = kept;
            result.stack.gift_card_balance_kept = Some(balance);
            chosen = std::borrow::Cow::Owned(keep);
        }
    }
    if req.settings.suggestions {
        result.suggestions = suggestions(&chosen, &result);
    }
    Ok(result)
}

fn optimize_core(
    req: &StackRequest,
    alternatives_wanted: usize,
) -> Result<StackResult, StackError> {
    let p = problem::resolve(req)?;
    let ids: Vec<String> = req.offers.iter().map(|o| o.id.clone()).collect();
    // Ask for spare groups: alternatives that only add offers doing nothing are dropped below.
    let priced = search::priced_sets(&p);
    let (best, alts) = search::optimize_priced(&p, &priced, alternatives_wanted * 2);
    let e = eval::evaluate(&p, &best.choice, true).ok_or_else(|| internal("best stack invalid"))?;
    let mut steps = e.steps.clone().unwrap_or_default();
    receipt::finish_steps(&p, &ids, &mut steps);
    let baseline = priced.order_or_price(&p, &[]).total;
    let best_stack = summary(&p, &ids, &best.choice, &e);
    let mut shown: Vec<(Decimal, Vec<String>)> = vec![(best.net, used_ids(&best_stack))];
    let mut alternatives = Vec::new();
    for a in &alts {
        if alternatives.len() == alternatives_wanted {
            break;
        }
        let Some(ea) = eval::evaluate_with(&p, &a.choice, false, Some(&priced)) else {
            continue;
        };
        let stack = summary(&p, &ids, &a.choice, &ea);
        let offers = used_ids(&stack);
        // Same cost as a stack already shown, using the same offers and more: noise.
        let padded = shown
            .iter()
            .any(|(net, o)| *net == a.net && o.iter().all(|x| offers.contains(x)));
        if padded {
            continue;
        }
        shown.push((a.net, offers));
        alternatives.push(Alternative {
            net_cost: a.net,
            extra_cost: a.net - best.net,
            stack,
        });
    }
    Ok(StackResult {
        merchant: p.merchant.domain.clone(),
        currency: p.currency,
        net_cost: e.net,
        paid_at_checkout: e.paid(),
        baseline,
        total_savings: baseline - e.net,
        stack: best_stack,
        steps,
        alternatives,
        unused: receipt::unused_reasons(&p, &ids, &priced, &best.choice, best.net),
        suggestions: Vec::new(),
    })
}

fn used_ids(s: &StackSummary) -> Vec<String> {
    let mut v = s.coupons.clone();
    v.extend(s.gift_card_deal.iter().cloned());
    v.extend(s.portal.iter().cloned());
    v.extend(s.card_offer.iter().cloned());
    v.extend(s.split.iter().filter_map(|x| x.second_card_offer.clone()));
    v
}

fn shipping_paid(r: &StackResult) -> bool {
    r.steps
        .iter()
        .any(|s| s.kind == StepKind::Shipping && s.amount > Decimal::ZERO)
}

/// Tries one more unit of each line and each `suggestion_items` entry; keeps those whose
/// net cost rises by less than the added price because they unlock an offer or free shipping.
fn suggestions(req: &StackRequest, base: &StackResult) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let before = used_ids(&base.stack);
    let mut candidates: Vec<(SuggestionKind, LineItem)> = req
        .cart
        .items
        .iter()
        .map(|it| {
            let mut one = it.clone();
            one.quantity = 1;
            (SuggestionKind::AddOneMore, one)
        })
        .collect();
    candidates.extend(
        req.suggestion_items
            .iter()
            .map(|it| (SuggestionKind::AddItem, it.clone())),
    );
    for (kind, item) in candidates {
        let mut changed = req.clone();
        let price = item.price * Decimal::from(item.quantity);
        match kind {
            SuggestionKind::AddOneMore => {
                if let Some(line) = changed.cart.items.iter_mut().find(|l| l.id == item.id) {
                    line.quantity += 1;
                }
            }
            SuggestionKind::AddItem => changed.cart.items.push(item.clone()),
        }
        // A change the engine refuses (e.g. a quantity over the limit) is simply not suggested.
        let Ok(r) = optimize_core(&changed, 0) else {
            continue;
        };
        let extra = r.net_cost - base.net_cost;
        let mut unlocks: Vec<String> = used_ids(&r.stack)
            .into_iter()
            .filter(|i| !before.contains(i))
            .collect();
        if shipping_paid(base) && !shipping_paid(&r) {
            unlocks.push("free_shipping".into());
        }
        if extra < price && !unlocks.is_empty() {
            let what = match kind {
                SuggestionKind::AddOneMore => format!("one more {}", item.id),
                SuggestionKind::AddItem => format!("{} ({price})", item.id),
            };
            out.push(Suggestion {
                kind,
                message: format!(
                    "Suggestion: add {what}: it unlocks {} and raises the net cost by only {extra} {} (new net {}).",
                    unlocks.join(", "),
                    base.currency,
                    r.net_cost
                ),
                item: item.id,
                item_price: price,
                new_net_cost: r.net_cost,
                extra_cost: extra,
                unlocks,
            });
        }
    }
    out
}

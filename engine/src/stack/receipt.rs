//! Receipts: the ordered steps of the chosen stack, why each unused offer was not used (a
//! machine-readable [`Reason`] plus a sentence), and the plain-text rendering for `--explain`.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::eval::{
    card_part, coupon_set_valid, evaluate_with, tender, Choice, CouponOutcome, Payment, PortalVoid,
    PricedSets, Trace,
};
use super::model::Date;
use super::problem::Problem;
use super::search::best_payment;
use super::StackResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Subtotal,
    Sale,
    Coupon,
    Shipping,
    Tax,
    GiftCardBalance,
    GiftCardDeal,
    BankDiscount,
    CardRewards,
    CardLinkedCredit,
    Portal,
    Loyalty,
}

/// One line of the receipt. `amount` is the step's effect on the net cost (discounts and
/// payouts negative); `running_total` is the net cost so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    #[serde(skip)]
    pub offer_index: Option<usize>,
    /// The offer's id, when the step comes from an offer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offer: Option<String>,
    pub description: String,
    /// The amount the rate was applied to, or the threshold's tested base.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rate: Option<String>,
    pub amount: Decimal,
    pub running_total: Decimal,
}

/// Why an offer is not in the chosen stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    Expired {
        on: Date,
    },
    Currency {
        offer_currency: String,
        cart_currency: String,
    },
    CardNotInWallet {
        card: String,
    },
    NoMatchingCard {
        issuer: String,
    },
    /// The offer's cap for this period is used up, or its one credit already earned.
    CapExhausted,
    /// A loyalty programme the wallet has no membership for.
    NotAMember {
        membership: String,
    },
    /// EMI offer while paying in full, or the reverse.
    PaymentMode {
        emi: bool,
    },
    MinimumNotMet {
        shortfall: Decimal,
    },
    /// No line is eligible (categories, sale items), or nothing left to discount.
    NothingEligible,
    /// Cannot combine with this offer of the chosen stack.
    ExcludedBy {
        offer: String,
    },
    /// Using it would void the chosen portal's cashback.
    WouldVoidPortal {
        portal: String,
        extra_cost: Decimal,
    },
    /// A portal voided by a chosen coupon the portal does not list.
    VoidedByCoupon {
        offer: String,
    },
    /// A portal voided because part of the order is paid by gift card.
    VoidedByGiftCard,
    /// A bank offer that needs the whole payment on the card, but gift cards or a split pay part.
    NeedsFullCardPayment,
    /// Only one portal tracks an order / one offer per card / one gift-card deal.
    OnlyOne {
        chosen: String,
    },
    /// The offer is for a card the stack does not pay with.
    CardNotChosen {
        card: String,
        extra_cost: Decimal,
    },
    /// It applies, but the stack with it costs this much more (0: no better, so left out).
    NotWorthIt {
        extra_cost: Decimal,
    },
}

impl Reason {
    pub fn sentence(&self, currency: &str) -> String {
        match self {
            Reason::Expired { on } => format!("It expired on {on}."),
            Reason::Currency {
                offer_currency,
                cart_currency,
            } => format!("It is only valid in {offer_currency}; this order is in {cart_currency}."),
            Reason::CardNotInWallet { card } => {
                format!("It is enrolled on card `{card}`, which is not in your wallet.")
            }
            Reason::NoMatchingCard { issuer } => {
                format!("It needs a {issuer} card of the right network and type, and your wallet has none.")
            }
            Reason::CapExhausted => {
                "Its cap for this period is used up (or its one credit was already earned).".into()
            }
            Reason::NotAMember { membership } => {
                format!("It needs the `{membership}` membership, which is not in your wallet.")
            }
            Reason::PaymentMode { emi: true } => {
                "It is for EMI payments, and you are paying in full.".into()
            }
            Reason::PaymentMode { emi: false } => {
                "It is for full payments, and you are paying by EMI.".into()
            }
            Reason::MinimumNotMet { shortfall } => {
                format!("The order is {shortfall} {currency} short of its minimum spend.")
            }
            Reason::NothingEligible => {
                "Nothing in the cart is eligible (category, sale-item exclusions, or already free)."
                    .into()
            }
            Reason::ExcludedBy { offer } => format!("It cannot be combined with {offer}."),
            Reason::WouldVoidPortal { portal, extra_cost } => format!(
                "The portal {portal} does not list it, so it would void the cashback ({extra_cost} {currency} worse)."
            ),
            Reason::VoidedByCoupon { offer } => {
                format!("The code {offer} in this stack is not listed by the portal, which voids its cashback.")
            }
            Reason::VoidedByGiftCard => {
                "The merchant pays no portal cashback when a gift card pays for the order.".into()
            }
            Reason::NeedsFullCardPayment => {
                "It needs the whole payment on that card, but gift cards or a second card pay part."
                    .into()
            }
            Reason::OnlyOne { chosen } => {
                format!("Only one of its kind applies and {chosen} is worth more.")
            }
            Reason::CardNotChosen { card, extra_cost } => format!(
                "It is on card `{card}`; paying with that card instead costs {extra_cost} {currency} more."
            ),
            Reason::NotWorthIt { extra_cost } if extra_cost.is_zero() => {
                "It would not lower the cost, so the simpler stack was kept.".into()
            }
            Reason::NotWorthIt { extra_cost } => {
                format!("Adding it makes the stack {extra_cost} {currency} more expensive.")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unused {
    pub offer: String,
    pub reason: Reason,
    pub message: String,
}

/// Fills in offer ids and running totals. The last running total is the net cost.
pub fn finish_steps(p: &Problem, ids: &[String], steps: &mut [Step]) {
    let minor = p.currency.minor_units();
    let show = |x: Decimal| {
        let mut x = super::eval::round(p, x, super::model::RoundingMode::HalfUp);
        x.rescale(minor);
        x
    };
    let mut run = Decimal::ZERO;
    for s in steps {
        run += s.amount;
        s.amount = show(s.amount);
        s.running_total = show(run);
        s.base = s.base.map(show);
        s.offer = s.offer_index.map(|i| ids[i].clone());
    }
}

/// Net of `choice`, repairing the payment when the change made it invalid.
fn net_of(p: &Problem, ps: &PricedSets, choice: &Choice) -> Option<Decimal> {
    if let Some(e) = evaluate_with(p, choice, false, Some(ps)) {
        return Some(e.net);
    }
    let os = ps.order_or_price(p, &choice.coupons);
    let t = tender(p, os.total, choice.deal, &mut Trace::off());
    let (_, payment) = best_payment(p, &t);
    evaluate_with(
        p,
        &Choice {
            payment,
            ..choice.clone()
        },
        false,
        Some(ps),
    )
    .map(|e| e.net)
}

/// A reason for every offer that is not part of `best`.
pub fn unused_reasons(
    p: &Problem,
    ids: &[String],
    ps: &PricedSets,
    best: &Choice,
    best_net: Decimal,
) -> Vec<Unused> {
    let cur = p.currency.code();
    let mut out: Vec<(usize, Reason)> = p.unusable.clone();
    let extra = |c: &Choice| net_of(p, ps, c).map_or(Decimal::ZERO, |n| n - best_net);

    for (ci, c) in p.coupons.iter().enumerate() {
        if best.coupons.contains(&ci) {
            continue;
        }
        let mut set = best.coupons.clone();
        set.push(ci);
        set.sort_unstable();
        let reason = if !coupon_set_valid(p, &set) {
            let other = best
                .coupons
                .iter()
                .find(|&&o| !coupon_set_valid(p, &[o.min(ci), o.max(ci)]))
                .or(best.coupons.first())
                .map_or_else(String::new, |&o| ids[p.coupons[o].offer].clone());
            Reason::ExcludedBy { offer: other }
        } else {
            let os = ps.order_or_price(p, &set);
            match os.coupons.iter().find(|(i, _)| *i == ci).map(|(_, o)| *o) {
                Some(CouponOutcome::MinNotMet { shortfall }) => Reason::MinimumNotMet { shortfall },
                Some(CouponOutcome::NothingEligible | CouponOutcome::NoShippingToWaive) => {
                    Reason::NothingEligible
                }
                _ => {
                    let with = Choice {
                        coupons: set.clone(),
                        ..best.clone()
                    };
                    let e = extra(&with);
                    let voids = best.portal.and_then(|x| {
                        let t = tender(p, os.total, best.deal, &mut Trace::off());
                        let (_, _, v) = super::eval::portal_value(p, &os, &set, x, &t);
                        (v == Some(PortalVoid::Coupon(ci))).then_some(x)
                    });
                    match voids {
                        Some(x) => Reason::WouldVoidPortal {
                            portal: ids[p.portals[x].offer].clone(),
                            extra_cost: e,
                        },
                        None => Reason::NotWorthIt { extra_cost: e },
                    }
                }
            }
        };
        out.push((c.offer, reason));
    }

    for (x, po) in p.portals.iter().enumerate() {
        if best.portal == Some(x) {
            continue;
        }
        let with = Choice {
            portal: Some(x),
            ..best.clone()
        };
        let reason = match evaluate_with(p, &with, false, Some(ps)) {
            Some(e) if e.portal_void == Some(PortalVoid::GiftCard) => Reason::VoidedByGiftCard,
            Some(e) => match e.portal_void {
                Some(PortalVoid::Coupon(ci)) => Reason::VoidedByCoupon {
                    offer: ids[p.coupons[ci].offer].clone(),
                },
                _ if e.portal_base.is_zero() => Reason::NothingEligible,
                _ => match best.portal {
                    Some(y) => Reason::OnlyOne {
                        chosen: ids[p.portals[y].offer].clone(),
                    },
                    None => Reason::NotWorthIt {
                        extra_cost: e.net - best_net,
                    },
                },
            },
            None => Reason::NotWorthIt {
                extra_cost: Decimal::ZERO,
            },
        };
        out.push((po.offer, reason));
    }

    for (d, deal) in p.deals.iter().enumerate() {
        if best.deal == Some(d) {
            continue;
        }
        let reason = match best.deal {
            Some(o) => Reason::OnlyOne {
                chosen: ids[p.deals[o].offer].clone(),
            },
            None => Reason::NotWorthIt {
                extra_cost: extra(&Choice {
                    deal: Some(d),
                    ..best.clone()
                }),
            },
        };
        out.push((deal.offer, reason));
    }

    let used_offers = [best.payment.offer, best.payment.split.and_then(|(_, o)| o)];
    for (k, co) in p.card_offers.iter().enumerate() {
        if used_offers.contains(&Some(k)) {
            continue;
        }
        let chosen_card = best.payment.card;
        let reason = match chosen_card {
            Some(a) if p.cards[a].offers.contains(&k) => {
                let with = Choice {
                    payment: Payment {
                        offer: Some(k),
                        ..best.payment
                    },
                    ..best.clone()
                };
                match evaluate_with(p, &with, false, Some(ps)) {
                    None if co.is_bank() => Reason::NeedsFullCardPayment,
                    None => Reason::NotWorthIt {
                        extra_cost: Decimal::ZERO,
                    },
                    Some(e) => match e.primary.shortfall {
                        Some(s) => Reason::MinimumNotMet { shortfall: s },
                        None => match best.payment.offer {
                            Some(o) => Reason::OnlyOne {
                                chosen: ids[p.card_offers[o].offer].clone(),
                            },
                            None => Reason::NotWorthIt {
                                extra_cost: e.net - best_net,
                            },
                        },
                    },
                }
            }
            _ => {
                // The first wallet card the offer works with, paying the whole amount.
                let a = (0..p.cards.len()).find(|&a| p.cards[a].offers.contains(&k));
                match a {
                    None => Reason::NothingEligible,
                    Some(a) => {
                        let os = ps.order_or_price(p, &best.coupons);
                        let t = tender(p, os.total, best.deal, &mut Trace::off());
                        if co.is_bank() && !t.gift_paid().is_zero() {
                            Reason::NeedsFullCardPayment
                        } else {
                            let part = card_part(p, a, Some(k), t.at_merchant, t.deal_cost);
                            match part.shortfall {
                                Some(s) => Reason::MinimumNotMet { shortfall: s },
                                None => Reason::CardNotChosen {
                                    card: p.cards[a].id.clone(),
                                    extra_cost: extra(&Choice {
                                        payment: Payment {
                                            card: Some(a),
                                            offer: Some(k),
                                            split: None,
                                        },
                                        ..best.clone()
                                    }),
                                },
                            }
                        }
                    }
                }
            }
        };
        out.push((co.offer, reason));
    }

    out.sort_by_key(|(i, _)| *i);
    out.into_iter()
        .map(|(i, reason)| Unused {
            offer: ids[i].clone(),
            message: reason.sentence(cur),
            reason,
        })
        .collect()
}

/// The receipt for people (`stacksmart stack --explain`).
pub fn explain(r: &StackResult) -> String {
    let cur = r.currency.code();
    let mut s = String::new();
    let _ = writeln!(s, "StackSmart receipt: {} ({cur})", r.merchant);
    let _ = writeln!(s, "Best stack: {}", r.stack.describe());
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:>3}  {:<62} {:>12} {:>12}",
        "#", "step", "amount", "running"
    );
    for (i, st) in r.steps.iter().enumerate() {
        let mut d = st.description.clone();
        if let Some(rate) = &st.rate {
            let _ = write!(d, " @ {rate}");
        }
        if let Some(b) = st.base {
            let _ = write!(d, " on {b}");
        }
        let _ = writeln!(
            s,
            "{:>3}  {:<62} {:>12} {:>12}",
            i + 1,
            d,
            st.amount,
            st.running_total
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Net effective cost: {} {cur}", r.net_cost);
    let _ = writeln!(s, "Paid at checkout:   {} {cur}", r.paid_at_checkout);
    let _ = writeln!(
        s,
        "Savings:            {} {cur} (against {} {cur} with no coupons, cashback or rewards)",
        r.total_savings, r.baseline
    );
    if !r.alternatives.is_empty() {
        let _ = writeln!(s, "\nAlternatives:");
        for a in &r.alternatives {
            let _ = writeln!(s, "  +{} {cur}: {}", a.extra_cost, a.stack.describe());
        }
    }
    if !r.unused.is_empty() {
        let _ = writeln!(s, "\nNot used:");
        for u in &r.unused {
            let _ = writeln!(s, "  {}: {}", u.offer, u.message);
        }
    }
    if !r.suggestions.is_empty() {
        let _ = writeln!(s, "\nSuggestions (not applied):");
        for g in &r.suggestions {
            let _ = writeln!(s, "  {}", g.message);
        }
    }
    s
}

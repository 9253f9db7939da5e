//! The optimizer: an exact search over the decision space (see the module doc of
//! [`crate::stack`]), made fast by separation rather than by approximation.
//!
//! 1. Only coupon sets allowed by the class rules are generated (the oracle filters all
//!    2ⁿ subsets).
//! 2. The order is priced once per coupon set, the tender once per (set, gift-card deal).
//! 3. For a fixed (set, deal), portal cashback and payment value do not depend on each other,
//!    so the best portal and the best payment are found separately: P + C·K work instead of
//!    P·C·K. The tie-break is lexicographic over components in the same order, so the
//!    component-wise minimum is the minimum of the product (proof sketch in docs/engine-api.md).
//! 4. For a split, the first card's part and the second card's part are independent too.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::eval::{
    card_part, finish_order, payment_value, pct, portal_value, price_merch, split_point, tender,
    tie_order, Choice, Merch, OrderState, Payment, PricedSets, Tender, Trace,
};
use super::model::{LinkedValue, Rate};
use super::problem::{CardOfferKind, Problem};

/// Every coupon set allowed by the class rules, each sorted ascending.
pub fn valid_coupon_sets(p: &Problem) -> Vec<Vec<usize>> {
    let idx = |f: &dyn Fn(usize) -> bool| -> Vec<usize> {
        (0..p.coupons.len()).filter(|&i| f(i)).collect()
    };
    let fs = idx(&|i| p.coupons[i].is_free_shipping());
    let groups: Vec<Vec<usize>> = if p.manufacturer_stacks {
        vec![
            idx(&|i| !p.coupons[i].is_free_shipping() && !p.coupons[i].manufacturer),
            idx(&|i| !p.coupons[i].is_free_shipping() && p.coupons[i].manufacturer),
        ]
    } else {
        vec![idx(&|i| !p.coupons[i].is_free_shipping())]
    };
    // Options per group: nothing, any single code, or two or more combinable codes.
    let mut options_per_group: Vec<Vec<Vec<usize>>> = Vec::new();
    for g in &groups {
        let mut opts: Vec<Vec<usize>> = vec![vec![]];
        opts.extend(g.iter().map(|&i| vec![i]));
        let comb: Vec<usize> = g
            .iter()
            .copied()
            .filter(|&i| p.coupons[i].combinable)
            .collect();
        for mask in 0u64..(1u64 << comb.len()) {
            if mask.count_ones() >= 2 {
                opts.push(
                    (0..comb.len())
                        .filter(|b| mask >> b & 1 == 1)
                        .map(|b| comb[b])
                        .collect(),
                );
            }
        }
        options_per_group.push(opts);
    }
    let mut fs_opts: Vec<Vec<usize>> = vec![vec![]];
    fs_opts.extend(fs.iter().map(|&i| vec![i]));
    options_per_group.push(fs_opts);

    let mut sets: Vec<Vec<usize>> = vec![vec![]];
    for opts in &options_per_group {
        let mut next = Vec::with_capacity(sets.len() * opts.len());
        for s in &sets {
            for o in opts {
                let mut v = s.clone();
                v.extend_from_slice(o);
                next.push(v);
            }
        }
        sets = next;
    }
    for s in &mut sets {
        s.sort_unstable();
    }
    sets
}

/// Lower is better: value descending, then fewer offers, then the key.
fn better<K: Ord>(a: (Decimal, usize, K), b: &(Decimal, usize, K)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && (a.1, &a.2) < (b.1, &b.2))
}

/// Best portal for a fixed coupon set and tender: highest cashback, then none before a
/// portal (fewer offers), then the lower index.
fn best_portal(
    p: &Problem,
    os: &OrderState,
    set: &[usize],
    t: &Tender,
) -> (Decimal, Option<usize>) {
    let mut best = (Decimal::ZERO, 0usize, 0usize);
    for x in 0..p.portals.len() {
        let (v, _, _) = portal_value(p, os, set, x, t);
        let cand = (v, 1, x + 1);
        if better(cand, &best) {
            best = cand;
        }
    }
    (best.0, best.2.checked_sub(1))
}

/// Slack for pruning comparisons: bounds are computed with 28-digit division, so one may sit
/// a hair below the value it bounds. Values themselves are whole minor units.
const SLACK: Decimal = Decimal::from_parts(1, 0, 0, false, 12);

/// Upper bound of what offer `k` can be worth on a charge of at most `amount`.
fn offer_bound(p: &Problem, k: usize, amount: Decimal, full_on_card: bool) -> Decimal {
    let capped = |v: Decimal, cap: Option<Decimal>| cap.map_or(v, |c| v.min(c));
    match p.card_offers[k].kind {
        CardOfferKind::Bank { .. } if !full_on_card => Decimal::ZERO,
        CardOfferKind::Bank {
            value,
            cap,
            min_spend,
        } => {
            if min_spend.is_some_and(|m| amount < m) {
                return Decimal::ZERO;
            }
            let v = match value {
                Rate::Percent(x) => pct(amount, x),
                Rate::Fixed(x) => x.min(amount),
            };
            capped(v, cap)
        }
        CardOfferKind::Linked { value, .. } => match value {
            LinkedValue::SpendGet { min_spend, credit } if amount >= min_spend => credit,
            LinkedValue::SpendGet { .. } => Decimal::ZERO,
            LinkedValue::PercentBack { percent, cap } => capped(pct(amount, percent), cap),
        },
    }
}

/// What the payment bounds depend on: the amount charged at the merchant, the cost of a
/// bought gift card (charged to the card too), whether a gift card was bought (no split then)
/// and whether the whole charge is on the card (bank offers need it). Every bound below only
/// grows with `at_merchant` and `deal_cost` and with `full` (offers are worth more on a larger
/// charge, and a split point exists once the charge passes it), so the bound of the largest
/// charge bounds every smaller one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Charge {
    at_merchant: Decimal,
    deal_cost: Decimal,
    deal: bool,
    full: bool,
}

impl Charge {
    fn of(t: &Tender) -> Self {
        Charge {
            at_merchant: t.at_merchant,
            deal_cost: t.deal_cost,
            deal: t.deal,
            full: t.gift_paid().is_zero(),
        }
    }

    /// A charge at least as large as both, in every component.
    fn envelope(self, o: Charge) -> Charge {
        Charge {
            at_merchant: self.at_merchant.max(o.at_merchant),
            deal_cost: self.deal_cost.max(o.deal_cost),
            deal: self.deal && o.deal,
            full: self.full || o.full,
        }
    }
}

/// Upper bound of card `a` paying the whole charge (rewards at its best rate + its best offer).
fn card_bound(p: &Problem, a: usize, c: &Charge) -> Decimal {
    let best_offer = p.cards[a]
        .offers
        .iter()
        .map(|&k| offer_bound(p, k, c.at_merchant, c.full))
        .max()
        .unwrap_or(Decimal::ZERO);
    p.cards[a].max_value_rate * (c.at_merchant + c.deal_cost) + best_offer
}

/// Upper bound of card `a` taking the first `r` of a split, and the best other card the rest.
fn split_bound(p: &Problem, a: usize, r: Decimal, c: &Charge) -> Decimal {
    let part = |card: usize, amount: Decimal| {
        let linked = p.cards[card]
            .offers
            .iter()
            .filter(|&&k| !p.card_offers[k].is_bank())
            .map(|&k| offer_bound(p, k, amount, false))
            .max()
            .unwrap_or(Decimal::ZERO);
        p.cards[card].max_value_rate * amount + linked
    };
    let rest = c.at_merchant - r;
    let second = (0..p.cards.len())
        .filter(|&b| b != a)
        .map(|b| part(b, rest))
        .max()
        .unwrap_or(Decimal::ZERO);
    part(a, r) + second
}

/// Upper bound of the best split with `a` first, when the merchant and charge allow one.
fn split_bound_for(p: &Problem, a: usize, c: &Charge) -> Option<Decimal> {
    if !p.merchant.allows_split_payment || c.deal {
        return None;
    }
    split_point(p, a, c.at_merchant).map(|r| split_bound(p, a, r, c))
}

/// Per card: upper bounds of paying it all with that card, and of a split with it first.
type CardBounds = Vec<(Decimal, Option<Decimal>)>;

fn card_bounds(p: &Problem, c: &Charge) -> CardBounds {
    (0..p.cards.len())
        .map(|a| (card_bound(p, a, c), split_bound_for(p, a, c)))
        .collect()
}

/// Upper bound of the best payment's value, from the per-card bounds.
fn payment_bound_of(bounds: &CardBounds) -> Decimal {
    bounds
        .iter()
        .map(|&(whole, split)| split.map_or(whole, |s| s.max(whole)))
        .max()
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ZERO)
}

/// Upper bound of the best payment's value for a tender.
pub fn payment_bound(p: &Problem, t: &Tender) -> Decimal {
    payment_bound_of(&card_bounds(p, &Charge::of(t)))
}

/// Best payment for a tender: highest value, then fewer offers, then [`Payment::key`].
/// Cards whose upper bound is below the best value so far are skipped (they cannot tie).
pub fn best_payment(p: &Problem, t: &Tender) -> (Decimal, Payment) {
    best_payment_with(p, t, &card_bounds(p, &Charge::of(t)))
}

fn best_payment_with(p: &Problem, t: &Tender, bounds: &CardBounds) -> (Decimal, Payment) {
    struct Best {
        rank: (Decimal, usize, (usize, usize, usize, usize)),
        pay: Payment,
    }
    impl Best {
        fn consider(&mut self, v: Decimal, pay: Payment) {
            let cand = (v, pay.offers_used(), pay.key());
            if better(cand, &self.rank) {
                self.rank = cand;
                self.pay = pay;
            }
        }
    }
    let none = Payment {
        card: None,
        offer: None,
        split: None,
    };
    let mut best = Best {
        rank: (Decimal::ZERO, 0, none.key()),
        pay: none,
    };
    let full_on_card = t.gift_paid().is_zero();
    let amount = t.at_merchant;
    let top_bound = |a: usize| bounds[a].1.map_or(bounds[a].0, |s| s.max(bounds[a].0));
    // The most promising card first, so the others are likely pruned.
    let first = (0..p.cards.len()).max_by_key(|&a| top_bound(a));
    let order = first
        .into_iter()
        .chain((0..p.cards.len()).filter(|&a| Some(a) != first));
    for a in order {
        if top_bound(a) + SLACK < best.rank.0 {
            continue;
        }
        best.consider(
            card_part(p, a, None, amount, t.deal_cost).value(),
            Payment {
                card: Some(a),
                offer: None,
                split: None,
            },
        );
        for &k in &p.cards[a].offers {
            if p.card_offers[k].is_bank() && !full_on_card {
                continue;
            }
            best.consider(
                card_part(p, a, Some(k), amount, t.deal_cost).value(),
                Payment {
                    card: Some(a),
                    offer: Some(k),
                    split: None,
                },
            );
        }
        if bounds[a].1.is_none_or(|ub| ub + SLACK < best.rank.0) {
            continue;
        }
        let Some(r) = split_point(p, a, amount) else {
            continue;
        };
        // Both halves are independent: best linked offer for the capped part, then the best
        // (card, offer) for the rest.
        let linked = |c: usize| {
            std::iter::once(None).chain(
                p.cards[c]
                    .offers
                    .iter()
                    .filter(|&&k| !p.card_offers[k].is_bank())
                    .map(|&k| Some(k)),
            )
        };
        let mut first = (Decimal::MIN, usize::MAX, 0usize);
        let mut first_offer = None;
        for oa in linked(a) {
            let v = card_part(p, a, oa, r, Decimal::ZERO).value();
            let cand = (v, usize::from(oa.is_some()), oa.map_or(0, |k| k + 1));
            if better(cand, &first) {
                first = cand;
                first_offer = oa;
            }
        }
        let mut second = (Decimal::MIN, usize::MAX, (0usize, 0usize));
        let mut second_choice = None;
        for b in (0..p.cards.len()).filter(|&b| b != a) {
            for ob in linked(b) {
                let v = card_part(p, b, ob, amount - r, Decimal::ZERO).value();
                let cand = (v, usize::from(ob.is_some()), (b, ob.map_or(0, |k| k + 1)));
                if better(cand, &second) {
                    second = cand;
                    second_choice = Some((b, ob));
                }
            }
        }
        if let Some(split) = second_choice {
            best.consider(
                first.0 + second.0,
                Payment {
                    card: Some(a),
                    offer: first_offer,
                    split: Some(split),
                },
            );
        }
    }
    (best.rank.0, best.pay)
}

/// A priced candidate: net cost and the stack.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub net: Decimal,
    pub choice: Choice,
}

pub fn cmp_candidates(a: &Candidate, b: &Candidate) -> Ordering {
    a.net
        .cmp(&b.net)
        .then_with(|| tie_order(&a.choice, &b.choice))
}

/// Finds the optimum and, per (coupon set, gift-card deal), that group's best stack (the
/// alternatives shown to people: `keep` of them, best first).
///
/// Groups are visited by a lower bound of their net cost (exact order total, deal saving and
/// portal cashback, minus an upper bound of the payment), and the search stops once the bound
/// exceeds the net cost of the `keep + 1`-th best group found: nothing after can enter the list.
/// The payment bound used for the order is the one of the largest charge of the group's deal
/// option (one per option, see [`Charge`]); a group that passes it gets its own, tighter bound
/// before its best payment is searched.
pub fn optimize(p: &Problem, keep: usize) -> (Candidate, Vec<Candidate>) {
    optimize_priced(p, &priced_sets(p), keep)
}

pub fn priced_sets(p: &Problem) -> PricedSets {
    let sets = valid_coupon_sets(p);
    // Sets come out with the free-shipping option varying fastest: neighbours that differ only
    // in it share their merchandise.
    let mut orders = Vec::with_capacity(sets.len());
    let mut last: Option<(Vec<usize>, Merch)> = None;
    for set in &sets {
        let key: Vec<usize> = set
            .iter()
            .copied()
            .filter(|&i| !p.coupons[i].is_free_shipping())
            .collect();
        let m = match &last {
            Some((k, m)) if *k == key => m.clone(),
            _ => {
                let m = price_merch(p, set, &mut Trace::off());
                last = Some((key, m.clone()));
                m
            }
        };
        orders.push(finish_order(p, m, set, &mut Trace::off()));
    }
    PricedSets { sets, orders }
}

pub fn optimize_priced(
    p: &Problem,
    priced: &PricedSets,
    keep: usize,
) -> (Candidate, Vec<Candidate>) {
    let PricedSets { sets, orders } = priced;
    struct Group {
        /// Net cost before the payment's value (order − loyalty − deal saving − portal).
        base: Decimal,
        /// Index into `options`: no deal, or deal `d` at `d + 1`.
        option: usize,
        set: usize,
        deal: Option<usize>,
        tender: Tender,
        portal_value: Decimal,
        portal: Option<usize>,
    }
    let mut options: Vec<Option<Charge>> = vec![None; 1 + p.deals.len()];
    let mut groups: Vec<Group> = Vec::with_capacity(sets.len() * options.len());
    for (si, os) in orders.iter().enumerate() {
        for deal in std::iter::once(None).chain((0..p.deals.len()).map(Some)) {
            let t = tender(p, os.total, deal, &mut Trace::off());
            let (pv, portal) = best_portal(p, os, &sets[si], &t);
            let option = deal.map_or(0, |d| d + 1);
            let c = Charge::of(&t);
            options[option] = Some(options[option].map_or(c, |o| o.envelope(c)));
            groups.push(Group {
                base: os.total - os.loyalty - t.deal_saving() - pv,
                option,
                set: si,
                deal,
                tender: t,
                portal_value: pv,
                portal,
            });
        }
    }
    let option_bounds: Vec<Decimal> = options
        .iter()
        .map(|c| c.map_or(Decimal::ZERO, |c| payment_bound_of(&card_bounds(p, &c))))
        .collect();
    let bound = |g: &Group| g.base - option_bounds[g.option];
    // By bound, ties in creation order (what a stable sort gives), sorting indices rather
    // than moving the groups themselves.
    let bounds: Vec<Decimal> = groups.iter().map(bound).collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_unstable_by(|&a, &b| bounds[a].cmp(&bounds[b]).then(a.cmp(&b)));

    // The payment part depends on the charge alone, and coupon sets whose extra codes do
    // nothing give equal charges: compute each charge's bounds and best payment once.
    let mut per_charge: BTreeMap<Charge, (CardBounds, Decimal)> = BTreeMap::new();
    let mut payments: BTreeMap<Charge, (Decimal, Payment)> = BTreeMap::new();
    let mut top: Vec<Candidate> = Vec::with_capacity(keep + 2);
    let want = keep + 1;
    for &gi in &order {
        let g = &groups[gi];
        let full = top.len() == want;
        if full && bounds[gi] - SLACK > top[want - 1].net {
            break;
        }
        let charge = Charge::of(&g.tender);
        let (card_b, ub) = per_charge.entry(charge).or_insert_with(|| {
            let b = card_bounds(p, &charge);
            let ub = payment_bound_of(&b);
            (b, ub)
        });
        if full && g.base - *ub - SLACK > top[want - 1].net {
            continue;
        }
        let os = &orders[g.set];
        let (payv, payment) = *payments
            .entry(charge)
            .or_insert_with(|| best_payment_with(p, &g.tender, card_b));
        let cand = Candidate {
            net: os.total - os.loyalty - g.tender.deal_saving() - g.portal_value - payv,
            choice: Choice {
                coupons: sets[g.set].clone(),
                deal: g.deal,
                portal: g.portal,
                payment,
            },
        };
        debug_assert!(payment_value(p, &cand.choice.payment, &g.tender).is_some());
        insert_top(&mut top, cand, want);
    }
    // The empty coupon set without a deal always exists, so `top` is not empty.
    let best = if top.is_empty() {
        Candidate {
            net: Decimal::MAX,
            choice: Choice {
                coupons: vec![],
                deal: None,
                portal: None,
                payment: Payment {
                    card: None,
                    offer: None,
                    split: None,
                },
            },
        }
    } else {
        top.remove(0)
    };
    top.truncate(keep);
    (best, top)
}

fn insert_top(v: &mut Vec<Candidate>, c: Candidate, n: usize) {
    let pos = v
        .iter()
        .position(|x| cmp_candidates(&c, x) == Ordering::Less)
        .unwrap_or(v.len());
    if pos < n {
        v.insert(pos, c);
        v.truncate(n);
    }
}

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
    card_part, payment_value, pct, portal_value, price_order, split_point, tender, tie_order,
    Choice, OrderState, Payment, Tender, Trace,
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

/// Upper bound of card `a` paying the whole tender (rewards at its best rate + its best offer).
fn card_bound(p: &Problem, a: usize, t: &Tender) -> Decimal {
    let full = t.gift_paid().is_zero();
    let best_offer = p.cards[a]
        .offers
        .iter()
        .map(|&k| offer_bound(p, k, t.at_merchant, full))
        .max()
        .unwrap_or(Decimal::ZERO);
    p.cards[a].max_value_rate * (t.at_merchant + t.deal_cost) + best_offer
}

/// Upper bound of card `a` taking the first `r` of a split, and the best other card the rest.
fn split_bound(p: &Problem, a: usize, r: Decimal, t: &Tender) -> Decimal {
    let part = |c: usize, amount: Decimal| {
        let linked = p.cards[c]
            .offers
            .iter()
            .filter(|&&k| !p.card_offers[k].is_bank())
            .map(|&k| offer_bound(p, k, amount, false))
            .max()
            .unwrap_or(Decimal::ZERO);
        p.cards[c].max_value_rate * amount + linked
    };
    let rest = t.at_merchant - r;
    let second = (0..p.cards.len())
        .filter(|&b| b != a)
        .map(|b| part(b, rest))
        .max()
        .unwrap_or(Decimal::ZERO);
    part(a, r) + second
}

/// Upper bound of the best split with `a` first, when the merchant and tender allow one.
fn split_bound_for(p: &Problem, a: usize, t: &Tender) -> Option<Decimal> {
    if !p.merchant.allows_split_payment || t.deal {
        return None;
    }
    split_point(p, a, t.at_merchant).map(|r| split_bound(p, a, r, t))
}

/// Upper bound of the best payment's value for a tender.
pub fn payment_bound(p: &Problem, t: &Tender) -> Decimal {
    (0..p.cards.len())
        .map(|a| {
            let whole = card_bound(p, a, t);
            split_bound_for(p, a, t).map_or(whole, |s| s.max(whole))
        })
        .max()
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ZERO)
}

/// Best payment for a tender: highest value, then fewer offers, then [`Payment::key`].
/// Cards whose upper bound is below the best value so far are skipped (they cannot tie).
pub fn best_payment(p: &Problem, t: &Tender) -> (Decimal, Payment) {
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
    let bounds: Vec<(Decimal, Option<Decimal>)> = (0..p.cards.len())
        .map(|a| (card_bound(p, a, t), split_bound_for(p, a, t)))
        .collect();
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
pub fn optimize(p: &Problem, keep: usize) -> (Candidate, Vec<Candidate>) {
    let sets = valid_coupon_sets(p);
    let orders: Vec<OrderState> = sets
        .iter()
        .map(|set| price_order(p, set, &mut Trace::off()))
        .collect();
    struct Group {
        bound: Decimal,
        set: usize,
        deal: Option<usize>,
        tender: Tender,
        portal_value: Decimal,
        portal: Option<usize>,
    }
    // The payment part depends on the tender alone, and coupon sets whose extra codes do
    // nothing give equal tenders: compute each tender's bound and best payment once.
    type TenderKey = (Decimal, Decimal, bool, bool);
    let key = |t: &Tender| (t.at_merchant, t.deal_cost, t.deal, t.gift_paid().is_zero());
    let mut bounds: BTreeMap<TenderKey, Decimal> = BTreeMap::new();
    let mut payments: BTreeMap<TenderKey, (Decimal, Payment)> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::with_capacity(sets.len() * (1 + p.deals.len()));
    for (si, os) in orders.iter().enumerate() {
        for deal in std::iter::once(None).chain((0..p.deals.len()).map(Some)) {
            let t = tender(p, os.total, deal, &mut Trace::off());
            let (pv, portal) = best_portal(p, os, &sets[si], &t);
            let ub = *bounds
                .entry(key(&t))
                .or_insert_with(|| payment_bound(p, &t));
            groups.push(Group {
                bound: os.total - os.loyalty - t.deal_saving() - pv - ub,
                set: si,
                deal,
                tender: t,
                portal_value: pv,
                portal,
            });
        }
    }
    // By bound, ties in creation order (what a stable sort gives), sorting indices rather
    // than moving the groups themselves.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_unstable_by(|&a, &b| groups[a].bound.cmp(&groups[b].bound).then(a.cmp(&b)));

    let mut top: Vec<Candidate> = Vec::with_capacity(keep + 2);
    let want = keep + 1;
    for g in order.iter().map(|&i| &groups[i]) {
        if top.len() == want && g.bound - SLACK > top[want - 1].net {
            break;
        }
        let os = &orders[g.set];
        let (payv, payment) = *payments
            .entry(key(&g.tender))
            .or_insert_with(|| best_payment(p, &g.tender));
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

//! The brute-force oracle: enumerates the whole decision space as a plain Cartesian product,
//! throws away what [`evaluate`] rejects, prices every remaining stack from scratch and keeps
//! the minimum under the documented order. Obviously correct, exponentially slow; it exists
//! to check [`super::search::optimize`] (tests/stack_oracle.rs) and for the benchmark ratio.

use std::cmp::Ordering;

use super::eval::{evaluate, tie_order, Choice, Payment};
use super::problem::Problem;
use super::search::Candidate;

/// Every payment the space contains, valid or not (validity is [`evaluate`]'s job).
fn all_payments(p: &Problem) -> Vec<Payment> {
    let cards = std::iter::once(None).chain((0..p.cards.len()).map(Some));
    let offers: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..p.card_offers.len()).map(Some))
        .collect();
    let mut splits: Vec<Option<(usize, Option<usize>)>> = vec![None];
    for b in 0..p.cards.len() {
        for &o in &offers {
            splits.push(Some((b, o)));
        }
    }
    let mut out = Vec::new();
    for card in cards {
        for &offer in &offers {
            for &split in &splits {
                let pay = Payment { card, offer, split };
                if shape_ok(p, &pay) {
                    out.push(pay);
                }
            }
        }
    }
    out
}

/// The static part of the payment rules (which offers belong to which card), checked once
/// so the oracle does not price the same order thousands of times for nothing. `evaluate`
/// checks all of it again.
fn shape_ok(p: &Problem, pay: &Payment) -> bool {
    let owns = |c: usize, o: Option<usize>| o.is_none_or(|k| p.cards[c].offers.contains(&k));
    let not_bank = |o: Option<usize>| o.is_none_or(|k| !p.card_offers[k].is_bank());
    match (pay.card, pay.split) {
        (None, _) => pay.offer.is_none() && pay.split.is_none(),
        (Some(a), None) => owns(a, pay.offer),
        (Some(a), Some((b, ob))) => {
            p.merchant.allows_split_payment
                && a != b
                && owns(a, pay.offer)
                && owns(b, ob)
                && not_bank(pay.offer)
                && not_bank(ob)
        }
    }
}

/// The optimum by exhaustive search. Panics only if the space has more than 2⁶³ coupon
/// subsets, which no caller can afford anyway.
pub fn brute_force(p: &Problem) -> Candidate {
    brute_force_groups(p)
        .into_iter()
        .next()
        .expect("paying with no offers and no card is always in the space")
}

/// Every (coupon set, gift-card deal) group's best stack, best first under the documented
/// order: what [`super::search::optimize`] returns as the optimum and its alternatives.
pub fn brute_force_groups(p: &Problem) -> Vec<Candidate> {
    let n = p.coupons.len();
    assert!(n < 64, "the oracle enumerates 2^n coupon subsets");
    let payments = all_payments(p);
    let better = |a: &Candidate, b: &Candidate| {
        a.net
            .cmp(&b.net)
            .then_with(|| tie_order(&a.choice, &b.choice))
            == Ordering::Less
    };
    let mut groups: Vec<Candidate> = Vec::new();
    for mask in 0u64..(1u64 << n) {
        let coupons: Vec<usize> = (0..n).filter(|i| mask >> i & 1 == 1).collect();
        for deal in std::iter::once(None).chain((0..p.deals.len()).map(Some)) {
            let mut best: Option<Candidate> = None;
            for portal in std::iter::once(None).chain((0..p.portals.len()).map(Some)) {
                for payment in &payments {
                    let choice = Choice {
                        coupons: coupons.clone(),
                        deal,
                        portal,
                        payment: *payment,
                    };
                    let Some(e) = evaluate(p, &choice, false) else {
                        continue;
                    };
                    let c = Candidate { net: e.net, choice };
                    if best.as_ref().is_none_or(|b| better(&c, b)) {
                        best = Some(c);
                    }
                }
            }
            groups.extend(best);
        }
    }
    groups.sort_by(|a, b| {
        a.net
            .cmp(&b.net)
            .then_with(|| tie_order(&a.choice, &b.choice))
    });
    groups
}

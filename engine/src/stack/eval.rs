//! Prices one stack. The optimizer and the oracle share these functions, so the property test
//! checks the *search*; the hand-worked tests check the arithmetic.
//!
//! A stack's net cost splits into independent parts once the coupon set and the gift-card
//! purchase are fixed: `order total − gift-card saving − portal cashback − payment value`.
//! The optimizer relies on that separation; [`evaluate`] simply adds the parts up.

use rust_decimal::{Decimal, RoundingStrategy};

use super::model::{
    CouponValue, EarnRounding, GiftCardPortalPolicy, LinkedValue, Rate, RoundingAllocation,
    RoundingMode, ThresholdBase,
};
use super::problem::{CardOfferKind, CardP, Problem, HUNDRED};
use super::receipt::{Step, StepKind};

/// One point in the decision space. Indices refer to the [`Problem`]'s vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Indices into [`Problem::coupons`], ascending.
    pub coupons: Vec<usize>,
    /// Index into [`Problem::deals`]: buy that discounted gift card first.
    pub deal: Option<usize>,
    pub portal: Option<usize>,
    pub payment: Payment,
}

/// How the amount due at the merchant is paid after gift cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// `None`: a payment method outside the wallet (no rewards).
    pub card: Option<usize>,
    /// Index into [`Problem::card_offers`], usable with `card`.
    pub offer: Option<usize>,
    /// Split at `card`'s bonus-cap boundary: the rest goes on this card, with its offer.
    pub split: Option<(usize, Option<usize>)>,
}

fn opt_key(o: Option<usize>) -> usize {
    o.map_or(0, |i| i + 1)
}

impl Payment {
    pub fn offers_used(&self) -> usize {
        usize::from(self.offer.is_some()) + usize::from(matches!(self.split, Some((_, Some(_)))))
    }

    /// Tie-break order: lower card index first (no card last), no offer before an offer,
    /// no split before a split.
    pub fn key(&self) -> (usize, usize, usize, usize) {
        (
            self.card.unwrap_or(usize::MAX),
            opt_key(self.offer),
            self.split.map_or(0, |(b, _)| b + 1),
            self.split.map_or(0, |(_, o)| opt_key(o)),
        )
    }
}

impl Choice {
    pub fn offers_used(&self) -> usize {
        self.coupons.len()
            + usize::from(self.deal.is_some())
            + usize::from(self.portal.is_some())
            + self.payment.offers_used()
    }
}

/// The full deterministic order between two stacks with equal net cost: fewer offers, then
/// the coupon index list, the gift-card deal, the portal, the payment (see [`Payment::key`]).
pub fn tie_order(a: &Choice, b: &Choice) -> std::cmp::Ordering {
    a.offers_used()
        .cmp(&b.offers_used())
        .then_with(|| a.coupons.cmp(&b.coupons))
        .then_with(|| opt_key(a.deal).cmp(&opt_key(b.deal)))
        .then_with(|| opt_key(a.portal).cmp(&opt_key(b.portal)))
        .then_with(|| a.payment.key().cmp(&b.payment.key()))
}

/// Collects receipt steps only when asked, so the search pays nothing for them.
pub struct Trace(pub Option<Vec<Step>>);

impl Trace {
    pub fn off() -> Self {
        Self(None)
    }

    pub fn on() -> Self {
        Self(Some(Vec::new()))
    }

    #[inline]
    fn add(&mut self, f: impl FnOnce() -> Step) {
        if let Some(v) = &mut self.0 {
            v.push(f());
        }
    }
}

fn step(
    kind: StepKind,
    offer: Option<usize>,
    description: String,
    base: Option<Decimal>,
    rate: Option<String>,
    amount: Decimal,
) -> Step {
    Step {
        kind,
        offer_index: offer,
        offer: None,
        description,
        base,
        rate,
        amount,
        running_total: Decimal::ZERO,
    }
}

pub(crate) fn round(p: &Problem, x: Decimal, mode: RoundingMode) -> Decimal {
    let s = match mode {
        RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundingMode::Down => RoundingStrategy::ToZero,
        RoundingMode::Up => RoundingStrategy::AwayFromZero,
    };
    x.round_dp_with_strategy(p.currency.minor_units(), s)
}

/// Store-side rounding (sales, coupons): the merchant's mode.
fn store_round(p: &Problem, x: Decimal) -> Decimal {
    round(p, x, p.merchant.rounding.mode)
}

/// Payouts from third parties (bank discounts, cashback, rewards, credits) are floored to the
/// minor unit: nobody pays out fractions of a cent.
fn floor(p: &Problem, x: Decimal) -> Decimal {
    round(p, x, RoundingMode::Down)
}

/// 0.01: `x * p * 0.01` is exactly `x * p / 100` (both are exact), and multiplying is faster.
const ONE_PERCENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

pub(crate) fn pct(x: Decimal, percent: Decimal) -> Decimal {
    x * percent * ONE_PERCENT
}

/// What happened to one chosen coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponOutcome {
    Applied(Decimal),
    MinNotMet {
        shortfall: Decimal,
    },
    NothingEligible,
    /// A free-shipping code that was met but had nothing to waive.
    NoShippingToWaive,
}

#[derive(Debug, Clone)]
pub struct OrderState {
    /// Merchandise after automatic sales, before coupons.
    pub pre_subtotal: Decimal,
    /// Merchandise after every discount.
    pub subtotal: Decimal,
    /// Each line's share of `subtotal` (unrounded; used for proportional bases).
    pub line_net: Vec<Decimal>,
    pub shipping: Decimal,
    pub tax: Decimal,
    /// subtotal + shipping + tax
    pub total: Decimal,
    /// Outcome of each chosen coupon, by coupon index.
    pub coupons: Vec<(usize, CouponOutcome)>,
    /// Loyalty value earned (pre-tax, post-coupon merchandise), after any haircut.
    pub loyalty: Decimal,
}

/// Class rules for coupon codes: at most one free-shipping code; within each funding group
/// (store, manufacturer: merged when they do not stack) either one code or only combinable
/// codes.
pub fn coupon_set_valid(p: &Problem, set: &[usize]) -> bool {
    // (count, all combinable) for free shipping, store codes, manufacturer codes.
    let mut free_shipping = 0;
    let mut groups = [(0usize, true); 2];
    for &i in set {
        let c = &p.coupons[i];
        if c.is_free_shipping() {
            free_shipping += 1;
            continue;
        }
        let g = usize::from(p.manufacturer_stacks && c.manufacturer);
        groups[g].0 += 1;
        groups[g].1 &= c.combinable;
    }
    free_shipping <= 1 && groups.iter().all(|&(n, comb)| n <= 1 || comb)
}

/// Order of computation (stacking-rules.md §1–6): sales, product coupons per line, order
/// coupons on the running subtotal, free shipping, shipping, tax.
pub fn price_order(p: &Problem, set: &[usize], t: &mut Trace) -> OrderState {
    finish_order(p, price_merch(p, set, t), set, t)
}

/// The merchandise after sales and the set's product and order coupons: everything up to the
/// free-shipping code, so coupon sets that differ only in that code share it.
#[derive(Debug, Clone)]
pub struct Merch {
    pre_subtotal: Decimal,
    subtotal: Decimal,
    taxable: Decimal,
    net: Vec<Decimal>,
    outcomes: Vec<(usize, CouponOutcome)>,
}

/// Sales, then the set's product coupons, then its order coupons (index order within each);
/// a free-shipping code in `set` is left to [`finish_order`].
pub fn price_merch(p: &Problem, set: &[usize], t: &mut Trace) -> Merch {
    let per_line = p.merchant.rounding.allocation == RoundingAllocation::PerLine;
    let n = p.lines.len();
    let mut net: Vec<Decimal> = p.lines.iter().map(|l| l.gross).collect();
    let mut on_sale: Vec<bool> = p.lines.iter().map(|l| l.on_sale).collect();
    let mut sale_taken = vec![false; n];
    let mut product_taken = vec![false; n];
    let mut subtotal: Decimal = net.iter().copied().sum();
    t.add(|| {
        step(
            StepKind::Subtotal,
            None,
            format!("Cart subtotal ({} line(s))", n),
            None,
            None,
            subtotal,
        )
    });

    for (oi, percent, cats) in &p.sales {
        let mut sum = Decimal::ZERO;
        let mut base = Decimal::ZERO;
        for l in 0..n {
            let line = &p.lines[l];
            if sale_taken[l] || !cats.as_ref().is_none_or(|c| c.contains(&line.category)) {
                continue;
            }
            base += net[l];
            let mut d = pct(net[l], *percent);
            if per_line {
                d = store_round(p, d);
            }
            net[l] -= d;
            sum += d;
            sale_taken[l] = true;
            on_sale[l] = true;
        }
        let total = if per_line { sum } else { store_round(p, sum) };
        subtotal -= total;
        t.add(|| {
            step(
                StepKind::Sale,
                Some(*oi),
                "Automatic sale".into(),
                Some(base),
                Some(format!("{percent} %")),
                -total,
            )
        });
    }
    let pre_subtotal = subtotal;
    let mut taxable = subtotal;
    let mut outcomes = Vec::with_capacity(set.len());

    // Product coupons, then order coupons: index order within each.
    for pass in 0..2 {
        for &ci in set {
            let c = &p.coupons[ci];
            if c.is_free_shipping() || usize::from(!c.item_level) != pass {
                continue;
            }
            let tested = match p.merchant.min_spend_base {
                ThresholdBase::PreDiscount => pre_subtotal,
                ThresholdBase::PostDiscount => subtotal,
            };
            if let Some(m) = c.min_spend {
                if tested < m {
                    outcomes.push((
                        ci,
                        CouponOutcome::MinNotMet {
                            shortfall: m - tested,
                        },
                    ));
                    continue;
                }
            }
            // One product discount per line (§1): a line another product code already
            // discounted is not covered again.
            let covered = |l: usize, taken: &[bool]| {
                let line = &p.lines[l];
                c.categories
                    .as_ref()
                    .is_none_or(|cs| cs.contains(&line.category))
                    && !c.excluded_categories.contains(&line.category)
                    && (!c.excludes_sale_items || !on_sale[l])
                    && (pass != 0 || !taken[l])
            };
            let mut base = Decimal::ZERO;
            let mut sum = Decimal::ZERO;
            for (l, &v) in net.iter().enumerate() {
                if !covered(l, &product_taken) {
                    continue;
                }
                base += v;
                let d = match c.value {
                    CouponValue::Percent(x) => pct(v, x),
                    CouponValue::PerItem(x) => (x * Decimal::from(p.lines[l].quantity)).min(v),
                    _ => Decimal::ZERO,
                };
                sum += if per_line { store_round(p, d) } else { d };
            }
            let mut total = match c.value {
                CouponValue::Fixed(x) => store_round(p, x.min(base)),
                _ if per_line => sum,
                _ => store_round(p, sum),
            };
            if let Some(cap) = c.cap {
                total = total.min(cap);
            }
            total = total.min(subtotal);
            if total <= Decimal::ZERO {
                outcomes.push((ci, CouponOutcome::NothingEligible));
                continue;
            }
            // Spread the discount over the covered lines in proportion to their value.
            for l in 0..n {
                if covered(l, &product_taken) && !base.is_zero() {
                    let share = net[l] * total / base;
                    net[l] -= share;
                    if pass == 0 && !share.is_zero() {
                        product_taken[l] = true;
                    }
                }
            }
            subtotal -= total;
            if !c.manufacturer {
                taxable -= total;
            }
            outcomes.push((ci, CouponOutcome::Applied(total)));
            t.add(|| {
                let rate = match c.value {
                    CouponValue::Percent(x) => format!("{x} %"),
                    CouponValue::Fixed(x) => format!("{x} off"),
                    CouponValue::PerItem(x) => format!("{x} off per item"),
                    CouponValue::FreeShipping => String::new(),
                };
                let level = if pass == 0 { "product" } else { "order" };
                let funding = if c.manufacturer {
                    "manufacturer-funded"
                } else {
                    "store-funded"
                };
                step(
                    StepKind::Coupon,
                    Some(c.offer),
                    format!("Coupon {} ({level} level, {funding})", c.code),
                    Some(base),
                    Some(rate),
                    -total,
                )
            });
        }
    }

    Merch {
        pre_subtotal,
        subtotal,
        taxable,
        net,
        outcomes,
    }
}

/// The free-shipping code of `set` (if any), shipping, tax and loyalty, on `m` (the rest of
/// `set` priced by [`price_merch`]).
pub fn finish_order(p: &Problem, m: Merch, set: &[usize], t: &mut Trace) -> OrderState {
    let Merch {
        pre_subtotal,
        subtotal,
        mut taxable,
        net,
        mut outcomes,
    } = m;
    let mut free_shipping_code = None;
    for &ci in set {
        let c = &p.coupons[ci];
        if !c.is_free_shipping() {
            continue;
        }
        let tested = match p.merchant.min_spend_base {
            ThresholdBase::PreDiscount => pre_subtotal,
            ThresholdBase::PostDiscount => subtotal,
        };
        match c.min_spend {
            Some(m) if tested < m => outcomes.push((
                ci,
                CouponOutcome::MinNotMet {
                    shortfall: m - tested,
                },
            )),
            _ => free_shipping_code = Some(ci),
        }
    }

    let threshold_tested = match p.shipping_base {
        ThresholdBase::PreDiscount => pre_subtotal,
        ThresholdBase::PostDiscount => subtotal,
    };
    let threshold_met = p.free_threshold.is_some_and(|th| threshold_tested >= th);
    let shipping = if threshold_met || free_shipping_code.is_some() {
        Decimal::ZERO
    } else {
        p.shipping_fee
    };
    if let Some(ci) = free_shipping_code {
        let outcome = if threshold_met || p.shipping_fee.is_zero() {
            CouponOutcome::NoShippingToWaive
        } else {
            CouponOutcome::Applied(p.shipping_fee)
        };
        outcomes.push((ci, outcome));
    }
    t.add(|| {
        let why = if threshold_met {
            "free: threshold met".to_owned()
        } else if let Some(ci) = free_shipping_code {
            format!("free: code {}", p.coupons[ci].code)
        } else {
            "fee".to_owned()
        };
        step(
            StepKind::Shipping,
            free_shipping_code.map(|ci| p.coupons[ci].offer),
            format!("Shipping ({why})"),
            Some(threshold_tested),
            None,
            shipping,
        )
    });
    if p.tax_on_shipping {
        taxable += shipping;
    }
    let tax = round(p, pct(taxable, p.tax_rate), RoundingMode::HalfUp);
    if !p.tax_rate.is_zero() {
        t.add(|| {
            step(
                StepKind::Tax,
                None,
                "Sales tax (store-funded discounts lower the base; manufacturer coupons do not)"
                    .into(),
                Some(taxable),
                Some(format!("{} %", p.tax_rate)),
                tax,
            )
        });
    }
    let mut loyalty = Decimal::ZERO;
    for &(_, percent) in &p.loyalty {
        loyalty += floor(p, floor(p, pct(subtotal, percent)) * p.delayed_keep);
    }
    OrderState {
        pre_subtotal,
        subtotal,
        line_net: net,
        shipping,
        tax,
        total: subtotal + shipping + tax,
        coupons: outcomes,
        loyalty,
    }
}

/// Every valid coupon set with its priced order (the receipt reuses them).
pub struct PricedSets {
    pub sets: Vec<Vec<usize>>,
    pub orders: Vec<OrderState>,
}

impl PricedSets {
    /// The priced order of a valid coupon set (sorted ascending).
    pub fn order(&self, set: &[usize]) -> Option<&OrderState> {
        self.sets
            .iter()
            .position(|s| s == set)
            .map(|i| &self.orders[i])
    }

    /// The priced order of a coupon set: the search's when it priced it, else priced now.
    pub fn order_or_price(&self, p: &Problem, set: &[usize]) -> std::borrow::Cow<'_, OrderState> {
        self.order(set).map_or_else(
            || std::borrow::Cow::Owned(price_order(p, set, &mut Trace::off())),
            std::borrow::Cow::Borrowed,
        )
    }
}

/// Tender order (§7): gift-card balances first, then a bought discounted gift card, then cards.
#[derive(Debug, Clone, Copy)]
pub struct Tender {
    pub balance_used: Decimal,
    /// Face value of the discounted gift card bought (0 without a deal).
    pub face: Decimal,
    /// What that gift card cost (charged to the payment card, earning its base rate).
    pub deal_cost: Decimal,
    /// Left to pay at the merchant by card.
    pub at_merchant: Decimal,
    pub deal: bool,
}

impl Tender {
    pub fn gift_paid(&self) -> Decimal {
        self.balance_used + self.face
    }

    pub fn deal_saving(&self) -> Decimal {
        self.face - self.deal_cost
    }
}

pub fn tender(p: &Problem, total: Decimal, deal: Option<usize>, t: &mut Trace) -> Tender {
    let balance_used = p.gift_card_balance.min(total);
    let due = total - balance_used;
    if !balance_used.is_zero() {
        t.add(|| {
            step(
                StepKind::GiftCardBalance,
                None,
                format!("Gift-card balance pays {balance_used} (no effect on cost)"),
                Some(total),
                None,
                Decimal::ZERO,
            )
        });
    }
    let Some(d) = deal else {
        return Tender {
            balance_used,
            face: Decimal::ZERO,
            deal_cost: Decimal::ZERO,
            at_merchant: due,
            deal: false,
        };
    };
    let deal = &p.deals[d];
    let face = deal.max_face.map_or(due, |m| m.min(due));
    let deal_cost = round(
        p,
        pct(face, HUNDRED - deal.discount_percent),
        RoundingMode::HalfUp,
    );
    t.add(|| {
        step(
            StepKind::GiftCardDeal,
            Some(deal.offer),
            format!("Buy a {face} gift card for {deal_cost} and pay with it"),
            Some(face),
            Some(format!("{} % off", deal.discount_percent)),
            -(face - deal_cost),
        )
    });
    Tender {
        balance_used,
        face,
        deal_cost,
        at_merchant: due - face,
        deal: true,
    }
}

/// Why a portal paid nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalVoid {
    /// This coupon (index into `Problem::coupons`) is not listed by the portal.
    Coupon(usize),
    GiftCard,
}

/// Portal cashback (§10): pre-tax, post-discount merchandise, no shipping or tax, minus
/// excluded categories and (per merchant) the gift-card-paid share.
pub fn portal_value(
    p: &Problem,
    os: &OrderState,
    set: &[usize],
    portal: usize,
    tender: &Tender,
) -> (Decimal, Decimal, Option<PortalVoid>) {
    let po = &p.portals[portal];
    if p.merchant.outside_coupon_voids_portal {
        if let Some(&ci) = set.iter().find(|&&ci| {
            !po.listed_coupons
                .iter()
                .any(|l| l.eq_ignore_ascii_case(&p.coupons[ci].code))
        }) {
            return (Decimal::ZERO, Decimal::ZERO, Some(PortalVoid::Coupon(ci)));
        }
    }
    let gift = tender.gift_paid();
    let policy = p.merchant.gift_card_portal_policy;
    if policy == GiftCardPortalPolicy::VoidWholeOrder && gift > Decimal::ZERO {
        return (Decimal::ZERO, Decimal::ZERO, Some(PortalVoid::GiftCard));
    }
    let mut base: Decimal = p
        .lines
        .iter()
        .zip(&os.line_net)
        .filter(|(l, _)| !po.excluded_categories.contains(&l.category))
        .map(|(_, v)| *v)
        .sum();
    if policy == GiftCardPortalPolicy::ExcludeGiftCardPart
        && gift > Decimal::ZERO
        && os.total > Decimal::ZERO
    {
        base = base * (os.total - gift) / os.total;
    }
    let base = floor(p, base);
    let mut v = match po.rate {
        Rate::Percent(x) => floor(p, pct(base, x)),
        Rate::Fixed(x) if base > Decimal::ZERO => floor(p, x),
        Rate::Fixed(_) => Decimal::ZERO,
    };
    if po.delayed {
        v = floor(p, v * p.delayed_keep);
    }
    (v, base, None)
}

fn points(card: &CardP, amount: Decimal, rate: Decimal) -> Decimal {
    if amount.is_zero() {
        return Decimal::ZERO;
    }
    let e = &card.rules.earn;
    let blocks = match card.inv_block {
        Some(inv) => amount * inv,
        None => amount / e.block,
    };
    match e.rounding {
        EarnRounding::Exact => blocks * rate,
        EarnRounding::PerBlock => blocks.floor() * rate,
    }
}

/// Points on a charge at the merchant: the category rate up to the remaining cap, the base
/// rate above it (§ rounding: capped rewards).
fn merchant_points(card: &CardP, amount: Decimal) -> Decimal {
    match card.bonus {
        Some((rate, cap)) => {
            let bonus = cap.map_or(amount, |c| c.min(amount));
            points(card, bonus, rate) + points(card, amount - bonus, card.rules.earn.rate)
        }
        None => points(card, amount, card.rules.earn.rate),
    }
}

/// Value of one card's part of the payment.
#[derive(Debug, Clone, Copy, Default)]
pub struct CardPart {
    pub charge: Decimal,
    pub bank_discount: Decimal,
    pub points: Decimal,
    pub rewards: Decimal,
    pub credit: Decimal,
    /// The offer's minimum that was not reached, by how much.
    pub shortfall: Option<Decimal>,
}

impl CardPart {
    pub fn value(&self) -> Decimal {
        self.bank_discount + self.rewards + self.credit
    }
}

/// One card paying `amount` at the merchant (plus `deal_cost` for a bought gift card, which
/// earns the base rate and counts for no offer), with an optional offer.
pub fn card_part(
    p: &Problem,
    card: usize,
    offer: Option<usize>,
    amount: Decimal,
    deal_cost: Decimal,
) -> CardPart {
    let c = &p.cards[card];
    let mut part = CardPart::default();
    let mut charge = amount;
    if let Some(k) = offer {
        if let CardOfferKind::Bank {
            value,
            cap,
            min_spend,
        } = p.card_offers[k].kind
        {
            // §5: on the net order value at payment.
            match min_spend {
                Some(m) if amount < m => part.shortfall = Some(m - amount),
                _ => {
                    let mut d = match value {
                        Rate::Percent(x) => floor(p, pct(amount, x)),
                        Rate::Fixed(x) => floor(p, x.min(amount)),
                    };
                    if let Some(cap) = cap {
                        d = d.min(cap);
                    }
                    part.bank_discount = d;
                    charge -= d;
                }
            }
        }
    }
    part.charge = charge;
    part.points = merchant_points(c, charge) + points(c, deal_cost, c.rules.earn.rate);
    part.rewards = floor(p, part.points * c.point_value);
    if let Some(k) = offer {
        if let CardOfferKind::Linked { value, delayed } = p.card_offers[k].kind {
            let mut credit = match value {
                LinkedValue::SpendGet { min_spend, credit } => {
                    if charge >= min_spend {
                        floor(p, credit)
                    } else {
                        part.shortfall = Some(min_spend - charge);
                        Decimal::ZERO
                    }
                }
                LinkedValue::PercentBack { percent, cap } => {
                    let v = floor(p, pct(charge, percent));
                    cap.map_or(v, |cap| v.min(cap))
                }
            };
            if delayed {
                credit = floor(p, credit * p.delayed_keep);
            }
            part.credit = credit;
        }
    }
    part
}

/// The bonus cap left on `card` when it is strictly inside (0, amount): the only place a
/// split is considered.
pub fn split_point(p: &Problem, card: usize, amount: Decimal) -> Option<Decimal> {
    match p.cards[card].bonus {
        Some((_, Some(r))) if r > Decimal::ZERO && r < amount => Some(r),
        _ => None,
    }
}

/// Value of a payment, or `None` when the payment is not allowed (offer not for that card,
/// bank offer without full payment on the card, split not allowed…).
pub fn payment_value(
    p: &Problem,
    pay: &Payment,
    tender: &Tender,
) -> Option<(CardPart, Option<CardPart>)> {
    let Some(a) = pay.card else {
        return (pay.offer.is_none() && pay.split.is_none()).then(|| (CardPart::default(), None));
    };
    if a >= p.cards.len() {
        return None;
    }
    if let Some(k) = pay.offer {
        if !p.cards[a].offers.contains(&k) {
            return None;
        }
        // §Indian bank offers: need the whole payment on that card.
        if p.card_offers[k].is_bank() && (tender.gift_paid() > Decimal::ZERO || pay.split.is_some())
        {
            return None;
        }
    }
    let amount = tender.at_merchant;
    match pay.split {
        None => Some((card_part(p, a, pay.offer, amount, tender.deal_cost), None)),
        Some((b, ob)) => {
            if !p.merchant.allows_split_payment || tender.deal || b == a || b >= p.cards.len() {
                return None;
            }
            let r = split_point(p, a, amount)?;
            if let Some(k) = ob {
                if !p.cards[b].offers.contains(&k) || p.card_offers[k].is_bank() {
                    return None;
                }
            }
            Some((
                card_part(p, a, pay.offer, r, Decimal::ZERO),
                Some(card_part(p, b, ob, amount - r, Decimal::ZERO)),
            ))
        }
    }
}

/// A fully priced stack.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub net: Decimal,
    pub order: OrderState,
    pub tender: Tender,
    pub portal: Decimal,
    pub portal_base: Decimal,
    pub portal_void: Option<PortalVoid>,
    pub primary: CardPart,
    pub secondary: Option<CardPart>,
    pub steps: Option<Vec<Step>>,
}

impl Evaluation {
    /// What leaves the shopper's pocket at checkout (gift-card balances count as money).
    pub fn paid(&self) -> Decimal {
        self.order.total
            - self.tender.deal_saving()
            - self.primary.bank_discount
            - self.secondary.map_or(Decimal::ZERO, |s| s.bank_discount)
    }
}

/// Prices a whole stack from scratch. `None` when the choice is outside the decision space.
pub fn evaluate(p: &Problem, choice: &Choice, trace: bool) -> Option<Evaluation> {
    evaluate_with(p, choice, trace, None)
}

/// [`evaluate`], taking the order from `priced` when no receipt is wanted (the search priced
/// every valid coupon set already).
pub fn evaluate_with(
    p: &Problem,
    choice: &Choice,
    trace: bool,
    priced: Option<&PricedSets>,
) -> Option<Evaluation> {
    if !choice.coupons.windows(2).all(|w| w[0] < w[1])
        || choice.coupons.iter().any(|&c| c >= p.coupons.len())
        || choice.deal.is_some_and(|d| d >= p.deals.len())
        || choice.portal.is_some_and(|x| x >= p.portals.len())
        || !coupon_set_valid(p, &choice.coupons)
    {
        return None;
    }
    let mut t = if trace { Trace::on() } else { Trace::off() };
    let order = match priced
        .filter(|_| !trace)
        .and_then(|ps| ps.order(&choice.coupons))
    {
        Some(o) => o.clone(),
        None => price_order(p, &choice.coupons, &mut t),
    };
    let tender = tender(p, order.total, choice.deal, &mut t);
    let (primary, secondary) = payment_value(p, &choice.payment, &tender)?;
    let (portal, portal_base, portal_void) = match choice.portal {
        Some(x) => portal_value(p, &order, &choice.coupons, x, &tender),
        None => (Decimal::ZERO, Decimal::ZERO, None),
    };
    let pay_value = primary.value() + secondary.map_or(Decimal::ZERO, |s| s.value());
    let net = order.total - order.loyalty - tender.deal_saving() - portal - pay_value;
    if trace {
        payment_steps(
            p,
            choice,
            tender.deal_cost,
            &primary,
            secondary.as_ref(),
            &mut t,
        );
        if let Some(x) = choice.portal {
            let po = &p.portals[x];
            let why = match portal_void {
                Some(PortalVoid::Coupon(ci)) => {
                    format!(" (voided: code {} is not listed)", p.coupons[ci].code)
                }
                Some(PortalVoid::GiftCard) => " (voided: gift-card payment)".into(),
                None if po.delayed => " (after the delayed-payout haircut)".into(),
                None => String::new(),
            };
            t.add(|| {
                step(
                    StepKind::Portal,
                    Some(po.offer),
                    format!("Portal cashback on pre-tax merchandise{why}"),
                    Some(portal_base),
                    Some(match po.rate {
                        Rate::Percent(x) => format!("{x} %"),
                        Rate::Fixed(x) => format!("{x} fixed"),
                    }),
                    -portal,
                )
            });
        }
    }
    if trace {
        for &(oi, percent) in &p.loyalty {
            let v = floor(p, floor(p, pct(order.subtotal, percent)) * p.delayed_keep);
            t.add(|| {
                step(
                    StepKind::Loyalty,
                    Some(oi),
                    "Store loyalty value on pre-tax merchandise (delayed payout)".into(),
                    Some(order.subtotal),
                    Some(format!("{percent} %")),
                    -v,
                )
            });
        }
    }
    Some(Evaluation {
        net,
        order,
        tender,
        portal,
        portal_base,
        portal_void,
        primary,
        secondary,
        steps: t.0,
    })
}

fn rate_text(r: Rate) -> String {
    match r {
        Rate::Percent(x) => format!("{x} %"),
        Rate::Fixed(x) => format!("{x} flat"),
    }
}

fn offer_rate_text(kind: &CardOfferKind) -> String {
    let cap = |c: Option<Decimal>| c.map_or_else(String::new, |c| format!(", cap {c}"));
    match kind {
        CardOfferKind::Bank { value, cap: c, .. } => format!("{}{}", rate_text(*value), cap(*c)),
        CardOfferKind::Linked { value, .. } => match value {
            LinkedValue::SpendGet { min_spend, credit } => {
                format!("spend {min_spend}, get {credit}")
            }
            LinkedValue::PercentBack { percent, cap: c } => format!("{percent} % back{}", cap(*c)),
        },
    }
}

/// "5 per 100 on the first 100.00 (bonus cap), then 1 per 100".
fn earn_text(c: &CardP) -> String {
    let e = &c.rules.earn;
    let per = |r: Decimal| format!("{} per {}", r.normalize(), e.block.normalize());
    match c.bonus {
        Some((r, Some(cap))) => format!(
            "{} on up to {} (cap left), then {}",
            per(r),
            cap.normalize(),
            per(e.rate)
        ),
        Some((r, None)) => per(r),
        None => per(e.rate),
    }
}

fn payment_steps(
    p: &Problem,
    choice: &Choice,
    deal_cost: Decimal,
    primary: &CardPart,
    secondary: Option<&CardPart>,
    t: &mut Trace,
) {
    let Some(a) = choice.payment.card else {
        return;
    };
    let mut one = |card: usize, offer: Option<usize>, part: &CardPart, extra: Decimal| {
        let c = &p.cards[card];
        if part.bank_discount > Decimal::ZERO {
            if let Some(k) = offer {
                t.add(|| {
                    step(
                        StepKind::BankDiscount,
                        Some(p.card_offers[k].offer),
                        format!("Instant bank discount on {}", c.id),
                        Some(part.charge + part.bank_discount),
                        Some(offer_rate_text(&p.card_offers[k].kind)),
                        -part.bank_discount,
                    )
                });
            }
        }
        t.add(|| {
            let what = if c.rules.points_program == "cash" {
                "cash back".to_owned()
            } else {
                format!(
                    "{} {} points at {} each",
                    part.points.round_dp(4).normalize(),
                    c.rules.points_program,
                    c.point_value.normalize()
                )
            };
            let gift = if extra.is_zero() {
                String::new()
            } else {
                format!(", incl. the gift-card purchase of {extra} at the base rate")
            };
            step(
                StepKind::CardRewards,
                None,
                format!("{} rewards: {what}{gift}", c.id),
                Some(part.charge + extra),
                Some(earn_text(c)),
                -part.rewards,
            )
        });
        if let Some(k) = offer {
            if !p.card_offers[k].is_bank() {
                t.add(|| {
                    step(
                        StepKind::CardLinkedCredit,
                        Some(p.card_offers[k].offer),
                        format!("Card-linked statement credit on {}", c.id),
                        Some(part.charge),
                        Some(offer_rate_text(&p.card_offers[k].kind)),
                        -part.credit,
                    )
                });
            }
        }
    };
    one(a, choice.payment.offer, primary, deal_cost);
    if let (Some((b, ob)), Some(s)) = (choice.payment.split, secondary) {
        one(b, ob, s, Decimal::ZERO);
    }
}

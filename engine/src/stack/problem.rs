//! Validates a [`StackRequest`] and resolves it into a [`Problem`]: offers sorted by what they
//! are, cards with their catalogue rules and point values, and the offers that cannot be used
//! at all (expired, wrong currency, no matching card) set aside with their reason.

use rust_decimal::Decimal;

use super::catalogue;
use super::merchants;
use super::model::*;
use super::receipt::Reason;
use super::StackError;
use crate::money::Currency;

pub(crate) const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    /// price × quantity
    pub gross: Decimal,
    pub quantity: u32,
    pub category: String,
    pub on_sale: bool,
}

#[derive(Debug, Clone)]
pub struct CouponP {
    pub offer: usize,
    pub code: String,
    pub value: CouponValue,
    pub item_level: bool,
    pub min_spend: Option<Decimal>,
    pub cap: Option<Decimal>,
    pub categories: Option<Vec<String>>,
    pub excluded_categories: Vec<String>,
    pub excludes_sale_items: bool,
    pub combinable: bool,
    pub manufacturer: bool,
}

impl CouponP {
    pub fn is_free_shipping(&self) -> bool {
        matches!(self.value, CouponValue::FreeShipping)
    }

    pub fn covers(&self, line: &Line) -> bool {
        self.categories
            .as_ref()
            .is_none_or(|c| c.iter().any(|x| x == &line.category))
            && !self.excluded_categories.contains(&line.category)
            && !(self.excludes_sale_items && line.on_sale)
    }
}

#[derive(Debug, Clone)]
pub struct PortalP {
    pub offer: usize,
    pub rate: Rate,
    pub excluded_categories: Vec<String>,
    pub listed_coupons: Vec<String>,
    pub delayed: bool,
}

#[derive(Debug, Clone)]
pub enum CardOfferKind {
    Bank {
        value: Rate,
        cap: Option<Decimal>,
        min_spend: Option<Decimal>,
    },
    Linked {
        value: LinkedValue,
        delayed: bool,
    },
}

#[derive(Debug, Clone)]
pub struct CardOfferP {
    pub offer: usize,
    pub kind: CardOfferKind,
}

impl CardOfferP {
    pub fn is_bank(&self) -> bool {
        matches!(self.kind, CardOfferKind::Bank { .. })
    }
}

#[derive(Debug, Clone)]
pub struct DealP {
    pub offer: usize,
    pub discount_percent: Decimal,
    pub max_face: Option<Decimal>,
}

/// A wallet card with everything the optimizer needs precomputed for this merchant.
#[derive(Debug, Clone)]
pub struct CardP {
    pub id: String,
    pub name: String,
    pub rules: CardRules,
    /// The merchant's category rate, if the card has one: (rate, remaining bonus cap).
    pub bonus: Option<(Decimal, Option<Decimal>)>,
    pub point_value: Decimal,
    /// `1 / block` when it is an exact decimal (1, 100, …): multiplying is faster than dividing
    /// and gives the same value.
    pub inv_block: Option<Decimal>,
    /// Upper bound of reward value per unit charged (best rate × point value / block), for
    /// pruning only.
    pub max_value_rate: Decimal,
    /// Indices into [`Problem::card_offers`] usable with this card.
    pub offers: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub currency: Currency,
    pub merchant: MerchantProfile,
    pub lines: Vec<Line>,
    pub shipping_fee: Decimal,
    pub free_threshold: Option<Decimal>,
    pub shipping_base: ThresholdBase,
    pub tax_rate: Decimal,
    pub tax_on_shipping: bool,
    /// (offer index, percent, categories) of automatic sales, in request order.
    pub sales: Vec<(usize, Decimal, Option<Vec<String>>)>,
    /// (offer index, percent) of loyalty programmes the shopper belongs to.
    pub loyalty: Vec<(usize, Decimal)>,
    pub coupons: Vec<CouponP>,
    pub portals: Vec<PortalP>,
    pub card_offers: Vec<CardOfferP>,
    pub deals: Vec<DealP>,
    pub cards: Vec<CardP>,
    /// Gift-card balance usable at this merchant (0 when the setting is off).
    pub gift_card_balance: Decimal,
    /// Fraction of a delayed payout that is counted (1 − haircut).
    pub delayed_keep: Decimal,
    pub manufacturer_stacks: bool,
    /// Offers that cannot be part of any stack, with why.
    pub unusable: Vec<(usize, Reason)>,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> StackError {
    StackError::BadRequest {
        field: field.into(),
        message: message.into(),
    }
}

/// Limits that keep every product of amounts, rates and point values far inside `Decimal`'s
/// range (≈ 7.9 × 10²⁸), so the engine can never overflow (a panic is an abort in wasm).
const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
const MAX_RATE: Decimal = Decimal::from_parts(1_000, 0, 0, false, 0);
const MIN_BLOCK: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
const MAX_QUANTITY: u32 = 100_000;
const MAX_ITEMS: usize = 1_000;
/// Combinable codes of one funding are searched as all their subsets (2ⁿ).
pub const MAX_COMBINABLE: usize = 16;

fn non_negative(field: impl Fn() -> String, v: Decimal) -> Result<Decimal, StackError> {
    if v.is_sign_negative() && !v.is_zero() {
        Err(bad(field(), format!("must not be negative (got {v})")))
    } else if v > MAX_AMOUNT {
        Err(bad(
            field(),
            format!("must be at most {MAX_AMOUNT} (got {v})"),
        ))
    } else {
        Ok(v)
    }
}

fn small_rate(field: impl Fn() -> String, v: Decimal) -> Result<Decimal, StackError> {
    let v = non_negative(&field, v)?;
    if v > MAX_RATE {
        Err(bad(
            field(),
            format!("must be at most {MAX_RATE} (got {v})"),
        ))
    } else {
        Ok(v)
    }
}

fn percent(field: impl Fn() -> String, v: Decimal) -> Result<Decimal, StackError> {
    if v < Decimal::ZERO || v > HUNDRED {
        Err(bad(
            field(),
            format!("must be a percentage from 0 to 100 (got {v})"),
        ))
    } else {
        Ok(v)
    }
}

fn rate(field: impl Fn() -> String, r: Rate) -> Result<Rate, StackError> {
    match r {
        Rate::Percent(p) => percent(field, p).map(Rate::Percent),
        Rate::Fixed(v) => non_negative(field, v).map(Rate::Fixed),
    }
}

fn opt_nn(field: impl Fn() -> String, v: Option<Decimal>) -> Result<Option<Decimal>, StackError> {
    v.map(|x| non_negative(&field, x)).transpose()
}

/// `wallet.cards[i]` / `offers[i].kind`, formatted only when an error names them.
#[derive(Clone, Copy)]
struct Indexed(&'static str, usize, &'static str);

impl std::fmt::Display for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]{}", self.0, self.1, self.2)
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Resolves a wallet card to its rules: its own, or the catalogue entry it names.
fn card_rules(i: usize, card: &WalletCard) -> Result<CardRules, StackError> {
    let field = Indexed("wallet.cards", i, "");
    match (&card.rules, &card.catalogue) {
        (Some(rules), _) => Ok(rules.clone()),
        (None, Some(id)) => catalogue::card(id).map(|c| c.rules.clone()).ok_or_else(|| {
            bad(
                format!("{field}.catalogue"),
                format!("no catalogue card `{id}`"),
            )
        }),
        (None, None) => Err(bad(field.to_string(), "needs `rules` or a `catalogue` id")),
    }
}

pub fn resolve(req: &StackRequest) -> Result<Problem, StackError> {
    let cart = &req.cart;
    let currency = cart.currency;
    let merchant = match &req.merchant {
        Some(m) => m.clone(),
        None => merchants::profile_for_domain(&cart.merchant),
    };
    if cart.items.is_empty() {
        return Err(bad("cart.items", "the cart has no items"));
    }
    let mut lines = Vec::with_capacity(cart.items.len());
    if cart.items.len() > MAX_ITEMS {
        return Err(bad(
            "cart.items",
            format!("at most {MAX_ITEMS} lines are supported"),
        ));
    }
    for (i, it) in cart.items.iter().enumerate() {
        let price = non_negative(|| format!("cart.items[{i}].price"), it.price)?;
        if it.quantity == 0 || it.quantity > MAX_QUANTITY {
            return Err(bad(
                format!("cart.items[{i}].quantity"),
                format!("must be from 1 to {MAX_QUANTITY}"),
            ));
        }
        if price.normalize().scale() > currency.minor_units() {
            return Err(bad(
                format!("cart.items[{i}].price"),
                format!("{price} has more decimals than {currency} allows"),
            ));
        }
        lines.push(Line {
            id: it.id.clone(),
            gross: price * Decimal::from(it.quantity),
            quantity: it.quantity,
            category: it.category.clone(),
            on_sale: it.on_sale,
        });
    }
    let shipping_fee = non_negative(|| "cart.shipping.fee".into(), cart.shipping.fee)?;
    if shipping_fee.normalize().scale() > currency.minor_units() {
        return Err(bad(
            "cart.shipping.fee",
            format!("{shipping_fee} has more decimals than {currency} allows"),
        ));
    }
    let free_threshold = opt_nn(
        || "cart.shipping.free_threshold".into(),
        cart.shipping.free_threshold,
    )?;
    let tax_rate = percent(|| "cart.tax.rate_percent".into(), cart.tax.rate_percent)?;
    let haircut = percent(
        || "settings.delayed_payout_haircut_percent".into(),
        req.settings.delayed_payout_haircut_percent,
    )?;

    // Cards first: offers refer to them.
    let mut cards = Vec::with_capacity(req.wallet.cards.len());
    for (i, wc) in req.wallet.cards.iter().enumerate() {
        if req.wallet.cards[..i].iter().any(|c| c.id == wc.id) {
            return Err(bad(
                format!("wallet.cards[{i}].id"),
                format!("duplicate card id `{}`", wc.id),
            ));
        }
        let rules = card_rules(i, wc)?;
        let field = Indexed("wallet.cards", i, "");
        small_rate(|| format!("{field}.earn.rate"), rules.earn.rate)?;
        if rules.earn.block < MIN_BLOCK || rules.earn.block > MAX_AMOUNT {
            return Err(bad(
                format!("{field}.earn.block"),
                format!("must be from {MIN_BLOCK} to {MAX_AMOUNT}"),
            ));
        }
        for (j, c) in rules.categories.iter().enumerate() {
            small_rate(|| format!("{field}.categories[{j}].rate"), c.rate)?;
            opt_nn(|| format!("{field}.categories[{j}].cap"), c.cap)?;
        }
        for (cat, used) in &wc.cap_used {
            non_negative(|| format!("{field}.cap_used.{cat}"), *used)?;
        }
        let point_value = match req.wallet.point_values.get(&rules.points_program) {
            Some(v) => small_rate(
                || format!("wallet.point_values.{}", rules.points_program),
                *v,
            )?,
            None => catalogue::point_value(&rules.points_program, req.settings.valuation)
                .ok_or_else(|| {
                    bad(
                        format!("{field}.points_program"),
                        format!(
                            "no valuation for programme `{}`: add wallet.point_values.{}",
                            rules.points_program, rules.points_program
                        ),
                    )
                })?,
        };
        let bonus = rules
            .categories
            .iter()
            .find(|c| c.category == merchant.domain)
            .or_else(|| {
                rules
                    .categories
                    .iter()
                    .find(|c| c.category == merchant.reward_category)
            })
            .map(|c| {
                let used = wc
                    .cap_used
                    .get(&c.category)
                    .copied()
                    .unwrap_or(Decimal::ZERO);
                (c.rate, c.cap.map(|cap| (cap - used).max(Decimal::ZERO)))
            });
        let block = rules.earn.block;
        let inv = Decimal::ONE / block;
        let best_rate = bonus.map_or(rules.earn.rate, |(r, _)| r.max(rules.earn.rate));
        cards.push(CardP {
            id: wc.id.clone(),
            name: rules.name.clone(),
            inv_block: (inv * block == Decimal::ONE).then_some(inv),
            max_value_rate: best_rate * point_value / block,
            rules,
            bonus,
            point_value,
            offers: Vec::new(),
        });
    }

    let mut p = Problem {
        currency,
        lines,
        shipping_fee,
        free_threshold,
        shipping_base: cart
            .shipping
            .threshold_base
            .unwrap_or(merchant.free_shipping_base),
        tax_rate,
        tax_on_shipping: cart.tax.applies_to == TaxBase::GoodsAndShipping,
        sales: Vec::new(),
        loyalty: Vec::new(),
        coupons: Vec::new(),
        portals: Vec::new(),
        card_offers: Vec::new(),
        deals: Vec::new(),
        gift_card_balance: Decimal::ZERO,
        delayed_keep: (HUNDRED - haircut) / HUNDRED,
        manufacturer_stacks: req.settings.manufacturer_coupons_stack_with_store,
        unusable: Vec::new(),
        cards,
        merchant,
    };
    if req.settings.use_gift_card_balances {
        for (i, g) in req.wallet.gift_cards.iter().enumerate() {
            let bal = non_negative(|| format!("wallet.gift_cards[{i}].balance"), g.balance)?;
            if eq_ignore_case(&g.merchant, &cart.merchant) {
                p.gift_card_balance += bal;
            }
        }
    }

    for (i, offer) in req.offers.iter().enumerate() {
        let f = Indexed("offers", i, ".kind");
        if req.offers[..i].iter().any(|o| o.id == offer.id) {
            return Err(bad(
                format!("offers[{i}].id"),
                format!("duplicate offer id `{}`", offer.id),
            ));
        }
        // Validate every offer, even unusable ones: bad input is an error either way.
        let resolved = resolve_offer(i, f, &offer.kind)?;
        if let Some(exp) = offer.expires {
            if exp < req.now {
                p.unusable.push((i, Reason::Expired { on: exp }));
                continue;
            }
        }
        if let Some(c) = offer.currency {
            if c != currency {
                p.unusable.push((
                    i,
                    Reason::Currency {
                        offer_currency: c.code().to_owned(),
                        cart_currency: currency.code().to_owned(),
                    },
                ));
                continue;
            }
        }
        match resolved {
            Resolved::Sale(pct, cats) => p.sales.push((i, pct, cats)),
            Resolved::Loyalty(pct, membership) => match membership {
                Some(m) if !req.wallet.memberships.iter().any(|w| eq_ignore_case(w, &m)) => {
                    p.unusable.push((i, Reason::NotAMember { membership: m }))
                }
                _ => p.loyalty.push((i, pct)),
            },
            Resolved::Coupon(c) => p.coupons.push(c),
            Resolved::Portal(x) => p.portals.push(x),
            Resolved::Deal(x) => p.deals.push(x),
            Resolved::Bank(b, kind) => {
                if matches!(kind, CardOfferKind::Bank { cap: Some(c), .. } if c.is_zero()) {
                    p.unusable.push((i, Reason::CapExhausted));
                    continue;
                }
                if b.emi != req.settings.emi {
                    p.unusable.push((i, Reason::PaymentMode { emi: b.emi }));
                    continue;
                }
                let matching: Vec<usize> = p
                    .cards
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        eq_ignore_case(&c.rules.issuer, &b.issuer)
                            && b.network
                                .as_ref()
                                .is_none_or(|n| eq_ignore_case(n, &c.rules.network))
                            && b.card_type.is_none_or(|t| t == c.rules.card_type)
                            && c.rules.home_currency == currency
                    })
                    .map(|(k, _)| k)
                    .collect();
                if matching.is_empty() {
                    p.unusable.push((
                        i,
                        Reason::NoMatchingCard {
                            issuer: b.issuer.clone(),
                        },
                    ));
                    continue;
                }
                let k = p.card_offers.len();
                p.card_offers.push(CardOfferP { offer: i, kind });
                for c in matching {
                    p.cards[c].offers.push(k);
                }
            }
            Resolved::Linked(_, _) if matches!(&offer.kind, OfferKind::CardLinked(l) if l.used) => {
                p.unusable.push((i, Reason::CapExhausted));
            }
            Resolved::Linked(card_id, kind) => {
                let Some(c) = p.cards.iter().position(|c| c.id == card_id) else {
                    p.unusable
                        .push((i, Reason::CardNotInWallet { card: card_id }));
                    continue;
                };
                if p.cards[c].rules.home_currency != currency {
                    p.unusable.push((
                        i,
                        Reason::Currency {
                            offer_currency: p.cards[c].rules.home_currency.code().to_owned(),
                            cart_currency: currency.code().to_owned(),
                        },
                    ));
                    continue;
                }
                let k = p.card_offers.len();
                p.card_offers.push(CardOfferP { offer: i, kind });
                p.cards[c].offers.push(k);
            }
        }
    }
    // Exact search enumerates every subset of combinable codes of one funding group.
    for manufacturer in [false, true] {
        let n = p
            .coupons
            .iter()
            .filter(|c| {
                c.combinable
                    && !c.is_free_shipping()
                    && (c.manufacturer == manufacturer || !p.manufacturer_stacks)
            })
            .count();
        if n > MAX_COMBINABLE {
            return Err(bad(
                "offers",
                format!(
                    "{n} combinable coupon codes of one funding; at most {MAX_COMBINABLE} are searched exactly"
                ),
            ));
        }
    }
    Ok(p)
}

enum Resolved {
    Sale(Decimal, Option<Vec<String>>),
    Loyalty(Decimal, Option<String>),
    Coupon(CouponP),
    Portal(PortalP),
    Deal(DealP),
    Bank(BankOffer, CardOfferKind),
    Linked(String, CardOfferKind),
}

fn resolve_offer(i: usize, f: Indexed, kind: &OfferKind) -> Result<Resolved, StackError> {
    Ok(match kind {
        OfferKind::Sale(s) => Resolved::Sale(
            percent(|| format!("{f}.percent"), s.percent)?,
            s.categories.clone(),
        ),
        OfferKind::Loyalty(l) => Resolved::Loyalty(
            percent(|| format!("{f}.percent"), l.percent)?,
            l.membership.clone(),
        ),
        OfferKind::Coupon(c) => {
            let value = match c.value {
                CouponValue::Percent(x) => {
                    CouponValue::Percent(percent(|| format!("{f}.value"), x)?)
                }
                CouponValue::Fixed(x) => {
                    CouponValue::Fixed(non_negative(|| format!("{f}.value"), x)?)
                }
                CouponValue::PerItem(x) => {
                    CouponValue::PerItem(non_negative(|| format!("{f}.value"), x)?)
                }
                CouponValue::FreeShipping => CouponValue::FreeShipping,
            };
            let item_level = match value {
                CouponValue::PerItem(_) => true,
                CouponValue::Percent(_) => c.scope == CouponScope::Item,
                _ => false,
            };
            Resolved::Coupon(CouponP {
                offer: i,
                code: c.code.clone(),
                value,
                item_level,
                min_spend: opt_nn(|| format!("{f}.min_spend"), c.min_spend)?,
                cap: opt_nn(|| format!("{f}.cap"), c.cap)?,
                categories: c.categories.clone(),
                excluded_categories: c.excluded_categories.clone(),
                excludes_sale_items: c.excludes_sale_items,
                combinable: c.combinable,
                manufacturer: c.funded_by == FundedBy::Manufacturer,
            })
        }
        OfferKind::Portal(x) => Resolved::Portal(PortalP {
            offer: i,
            rate: rate(|| format!("{f}.rate"), x.rate)?,
            excluded_categories: x.excluded_categories.clone(),
            listed_coupons: x.listed_coupons.clone(),
            delayed: x.payout_delay_days > 0,
        }),
        OfferKind::DiscountedGiftCard(d) => Resolved::Deal(DealP {
            offer: i,
            discount_percent: percent(|| format!("{f}.discount_percent"), d.discount_percent)?,
            max_face: opt_nn(|| format!("{f}.max_face"), d.max_face)?,
        }),
        OfferKind::BankOffer(b) => {
            let used = non_negative(|| format!("{f}.cap_used"), b.cap_used)?;
            let kind = CardOfferKind::Bank {
                value: rate(|| format!("{f}.value"), b.value)?,
                // What is left of the cap this period.
                cap: opt_nn(|| format!("{f}.cap"), b.cap)?.map(|c| (c - used).max(Decimal::ZERO)),
                min_spend: opt_nn(|| format!("{f}.min_spend"), b.min_spend)?,
            };
            Resolved::Bank(b.clone(), kind)
        }
        OfferKind::CardLinked(l) => {
            let value = match l.value {
                LinkedValue::SpendGet { min_spend, credit } => LinkedValue::SpendGet {
                    min_spend: non_negative(|| format!("{f}.value.min_spend"), min_spend)?,
                    credit: non_negative(|| format!("{f}.value.credit"), credit)?,
                },
                LinkedValue::PercentBack { percent: pc, cap } => LinkedValue::PercentBack {
                    percent: percent(|| format!("{f}.value.percent"), pc)?,
                    cap: opt_nn(|| format!("{f}.value.cap"), cap)?,
                },
            };
            Resolved::Linked(
                l.card.clone(),
                CardOfferKind::Linked {
                    value,
                    delayed: l.payout_delay_days > 0,
                },
            )
        }
    })
}

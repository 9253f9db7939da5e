//! The request's JSON types: cart, merchant profile, offers, wallet and settings.
//! Amounts are decimal strings in the cart's currency (never floats); percentages are
//! decimal strings too (`"12.5"` means 12.5 %).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// Everything the optimizer needs, including "now": the engine never reads a clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackRequest {
    /// Today's date (`YYYY-MM-DD`, or an RFC 3339 timestamp whose date part is used).
    pub now: Date,
    pub cart: Cart,
    /// The merchant's profile; when absent it is looked up by `cart.merchant` in the shipped
    /// profiles, falling back to the documented default profile.
    #[serde(default)]
    pub merchant: Option<MerchantProfile>,
    #[serde(default)]
    pub offers: Vec<Offer>,
    #[serde(default)]
    pub wallet: Wallet,
    #[serde(default)]
    pub settings: Settings,
    /// Small items the shopper might add; each is tried as a suggestion.
    #[serde(default)]
    pub suggestion_items: Vec<LineItem>,
}

/// A calendar date. Only the date matters for expiry, so the engine keeps no time of day.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, or the date part of `YYYY-MM-DDThh:mm:ss…`.
    pub fn parse(text: &str) -> Option<Self> {
        let head = text.get(..10)?;
        let rest = &text[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        let b = head.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: u16 = head[..4].parse().ok()?;
        let month: u8 = head[5..7].parse().ok()?;
        let day: u8 = head[8..10].parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Self { year, month, day })
    }
}

impl Date {
    /// The UTC date of a day number (days since 1970-01-01), for years 0–9999.
    pub fn from_unix_day(day: i64) -> Option<Self> {
        // Howard Hinnant's civil_from_days.
        let z = day.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Some(Self {
            year: u16::try_from(y).ok().filter(|y| *y <= 9999)?,
            month: u8::try_from(m).ok()?,
            day: u8::try_from(d).ok()?,
        })
    }

    /// The UTC date of a JS timestamp (ms since the Unix epoch).
    pub fn from_unix_ms(ms: i64) -> Option<Self> {
        Self::from_unix_day(ms.div_euclid(86_400_000))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a date (expected YYYY-MM-DD)"))
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cart {
    /// The merchant's registrable domain, e.g. `amazon.in`.
    pub merchant: String,
    pub currency: Currency,
    pub items: Vec<LineItem>,
    #[serde(default)]
    pub shipping: Shipping,
    #[serde(default)]
    pub tax: Tax,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub id: String,
    /// Unit price as shown (before any coupon; after a sale already reflected in the price).
    pub price: Decimal,
    pub quantity: u32,
    #[serde(default)]
    pub category: String,
    /// The price is already a sale price (matters for coupons that exclude sale items).
    #[serde(default)]
    pub on_sale: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    #[serde(default)]
    pub fee: Decimal,
    /// Shipping is free when the threshold base reaches this amount.
    #[serde(default)]
    pub free_threshold: Option<Decimal>,
    /// Which subtotal the threshold tests; defaults to the merchant profile's.
    #[serde(default)]
    pub threshold_base: Option<ThresholdBase>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// Sales tax added at checkout (US). Zero when prices include tax.
    #[serde(default)]
    pub rate_percent: Decimal,
    #[serde(default)]
    pub applies_to: TaxBase,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxBase {
    #[default]
    Goods,
    GoodsAndShipping,
}

/// Which subtotal a threshold (minimum spend, free shipping) is tested on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBase {
    /// Cart prices after automatic sales, before any coupon.
    PreDiscount,
    /// After product coupons and any earlier order coupons (Amazon.in's convention).
    #[default]
    PostDiscount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantProfile {
    pub domain: String,
    #[serde(default)]
    pub name: String,
    /// Card-reward category the merchant codes as (`online_shopping`, `grocery`, …).
    pub reward_category: String,
    #[serde(default)]
    pub rounding: Rounding,
    /// A coupon the portal does not list voids the portal's cashback.
    #[serde(default)]
    pub outside_coupon_voids_portal: bool,
    #[serde(default)]
    pub gift_card_portal_policy: GiftCardPortalPolicy,
    #[serde(default)]
    pub min_spend_base: ThresholdBase,
    #[serde(default)]
    pub free_shipping_base: ThresholdBase,
    /// The checkout accepts two cards (needed for a split at a cap boundary).
    #[serde(default)]
    pub allows_split_payment: bool,
    /// Catalogue bookkeeping; ignored by the optimizer.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub valid_as_of: Option<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    #[serde(default)]
    pub allocation: RoundingAllocation,
    #[serde(default)]
    pub mode: RoundingMode,
}

/// Whether a percentage discount is rounded on each line or once on the order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingAllocation {
    PerLine,
    #[default]
    PerOrder,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    #[default]
    HalfUp,
    HalfEven,
    Down,
    Up,
}

/// What a merchant does to portal cashback when part of the order is paid by gift card.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GiftCardPortalPolicy {
    /// Gift-card payment does not affect cashback.
    #[default]
    Ignore,
    /// No cashback on the share of the order paid by gift card.
    ExcludeGiftCardPart,
    /// Any gift-card payment voids the order's cashback.
    VoidWholeOrder,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Unique within the request; receipts and reasons refer to it.
    pub id: String,
    /// Last day the offer is valid (inclusive).
    #[serde(default)]
    pub expires: Option<Date>,
    /// The offer only works for orders in this currency.
    #[serde(default)]
    pub currency: Option<Currency>,
    pub kind: OfferKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfferKind {
    Coupon(Coupon),
    Sale(Sale),
    Portal(Portal),
    BankOffer(BankOffer),
    CardLinked(CardLinked),
    DiscountedGiftCard(GiftCardDeal),
    Loyalty(Loyalty),
}

/// A store loyalty programme (§11): applied automatically when the shopper is a member,
/// worth `percent` of the pre-tax, post-coupon merchandise. Counted as a delayed payout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loyalty {
    pub programme: String,
    pub percent: Decimal,
    /// Membership needed (matched against `wallet.memberships`); none: open to everyone.
    #[serde(default)]
    pub membership: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub code: String,
    pub value: CouponValue,
    /// `item`: a product discount applied per line; `order`: on the order subtotal.
    /// Per-item values are always item-level; free shipping is its own class.
    #[serde(default)]
    pub scope: CouponScope,
    #[serde(default)]
    pub min_spend: Option<Decimal>,
    /// Largest discount the code gives on one order.
    #[serde(default)]
    pub cap: Option<Decimal>,
    /// Only these categories are eligible (all when absent).
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    #[serde(default)]
    pub excluded_categories: Vec<String>,
    #[serde(default)]
    pub excludes_sale_items: bool,
    /// Combines with other combinable codes of the same funding.
    #[serde(default)]
    pub combinable: bool,
    #[serde(default)]
    pub funded_by: FundedBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponValue {
    Percent(Decimal),
    Fixed(Decimal),
    PerItem(Decimal),
    FreeShipping,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponScope {
    Item,
    #[default]
    Order,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundedBy {
    #[default]
    Store,
    /// Reimbursed by a manufacturer or third party: does not lower the tax base.
    Manufacturer,
}

/// An automatic sale: always applied to matching lines, before coupons.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    pub percent: Decimal,
    #[serde(default)]
    pub categories: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    pub name: String,
    pub rate: Rate,
    #[serde(default)]
    pub excluded_categories: Vec<String>,
    /// Coupon codes the portal lists; others may void cashback (merchant profile).
    #[serde(default)]
    pub listed_coupons: Vec<String>,
    #[serde(default)]
    pub payout_delay_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    Percent(Decimal),
    Fixed(Decimal),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankOffer {
    pub issuer: String,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub card_type: Option<CardType>,
    pub value: Rate,
    #[serde(default)]
    pub cap: Option<Decimal>,
    /// Tested on the net order value (after coupons, shipping and tax).
    #[serde(default)]
    pub min_spend: Option<Decimal>,
    /// EMI variant: only usable when `settings.emi` is set (and the non-EMI one only when not).
    #[serde(default)]
    pub emi: bool,
    /// Part of `cap` already used this period (bank offers often cap per card per month).
    #[serde(default)]
    pub cap_used: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardLinked {
    /// The wallet card id the offer is enrolled on.
    pub card: String,
    pub value: LinkedValue,
    #[serde(default)]
    pub payout_delay_days: u32,
    /// The one credit per offer was already earned.
    #[serde(default)]
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LinkedValue {
    /// Spend at least `min_spend`, get `credit` back.
    SpendGet { min_spend: Decimal, credit: Decimal },
    /// `percent` back, at most `cap`.
    PercentBack {
        percent: Decimal,
        #[serde(default)]
        cap: Option<Decimal>,
    },
}

/// A gift card for this merchant sold at a discount (bought first, then used to pay).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GiftCardDeal {
    pub seller: String,
    pub discount_percent: Decimal,
    /// Largest face value that can be bought.
    #[serde(default)]
    pub max_face: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardType {
    #[default]
    Credit,
    Debit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wallet {
    #[serde(default)]
    pub cards: Vec<WalletCard>,
    #[serde(default)]
    pub gift_cards: Vec<GiftCardBalance>,
    /// Loyalty programmes and memberships the shopper has (`target-circle`, `amazon-prime`).
    #[serde(default)]
    pub memberships: Vec<String>,
    /// Value of one point per programme, overriding the catalogue's defaults.
    #[serde(default)]
    pub point_values: BTreeMap<String, Decimal>,
}

/// A card the shopper holds: either a catalogue entry or rules of their own. Never a number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletCard {
    pub id: String,
    #[serde(default)]
    pub catalogue: Option<String>,
    #[serde(default)]
    pub rules: Option<CardRules>,
    /// Spend already counted against each category's cap this period.
    #[serde(default)]
    pub cap_used: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardRules {
    #[serde(default)]
    pub name: String,
    pub issuer: String,
    pub network: String,
    #[serde(default)]
    pub card_type: CardType,
    pub home_currency: Currency,
    /// Points programme (`cash` for cashback cards: one point is worth one unit).
    pub points_program: String,
    pub earn: Earn,
    #[serde(default)]
    pub categories: Vec<CategoryEarn>,
}

/// `rate` points per `block` of spend. `per_block` floors to whole blocks (4 points per
/// ₹150: ₹449 earns 8); `exact` is proportional.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Earn {
    pub rate: Decimal,
    #[serde(default = "one")]
    pub block: Decimal,
    #[serde(default)]
    pub rounding: EarnRounding,
}

fn one() -> Decimal {
    Decimal::ONE
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarnRounding {
    #[default]
    Exact,
    PerBlock,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEarn {
    pub category: String,
    /// Points per `block` (the card's base block and rounding apply).
    pub rate: Decimal,
    /// Bonus spend per period; above it the base rate applies.
    #[serde(default)]
    pub cap: Option<Decimal>,
    #[serde(default)]
    pub period: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GiftCardBalance {
    /// Registrable domain the balance can be spent at.
    pub merchant: String,
    pub balance: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub valuation: Valuation,
    /// Percent taken off payouts that arrive later (portals, card-linked credits with a delay).
    #[serde(default)]
    pub delayed_payout_haircut_percent: Decimal,
    /// Spend gift-card balances for this merchant first (the usual tender order).
    #[serde(default = "yes")]
    pub use_gift_card_balances: bool,
    /// Keep the balance for another order when paying this one by card unlocks an offer and
    /// makes it cheaper (see the optimizer's documentation).
    #[serde(default = "yes")]
    pub keep_gift_card_balance_for_offers: bool,
    /// **[conv]** A manufacturer coupon and a store coupon can both apply.
    #[serde(default = "yes")]
    pub manufacturer_coupons_stack_with_store: bool,
    /// The shopper pays by EMI (selects EMI bank-offer variants).
    #[serde(default)]
    pub emi: bool,
    /// How many alternative stacks to list.
    #[serde(default = "three")]
    pub alternatives: usize,
    /// Search quantity/add-on suggestions (costs one optimisation per candidate).
    #[serde(default = "yes")]
    pub suggestions: bool,
}

fn yes() -> bool {
    true
}

fn three() -> usize {
    3
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            valuation: Valuation::default(),
            delayed_payout_haircut_percent: Decimal::ZERO,
            use_gift_card_balances: true,
            keep_gift_card_balance_for_offers: true,
            manufacturer_coupons_stack_with_store: true,
            emi: false,
            alternatives: 3,
            suggestions: true,
        }
    }
}

/// Which default point valuations to use (stacking-rules.md); wallet overrides win.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Valuation {
    /// The cash-redemption floor.
    #[default]
    Conservative,
    /// The Points Guy, January 2026.
    PointsGuy,
    /// Frequent Miler.
    FrequentMiler,
}

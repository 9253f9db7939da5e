//! The stack for the product a page shows: a one-item cart at the page's price, the offers
//! printed on the page (as `offer_text` read them) and the shopper's wallet for this merchant.
//! On-page offers the optimizer cannot price are listed with the reason, never dropped.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{
    BankOffer, CardType, Cart, Coupon, CouponScope, CouponValue, FundedBy, LineItem, Offer,
    OfferKind, Rate, StackRequest,
};
use super::{optimize, StackResult};
use crate::offer_text::{self, OfferKind as TextKind};
use crate::product::Product;
use crate::stack::Date;
use crate::wallet::{dedupe_ids, stack_parts, WalletDoc};

/// What the popup and the badge show about paying for this page's product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageStack {
    /// The best stack; `None` when the page gives no price to stack on (see `problem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<StackResult>,
    /// Why there is no result, or what the shopper should know about it (an unreadable wallet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// On-page offers the optimizer could not use at all, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_considered: Vec<NotConsidered>,
    /// Cards in the wallet: the popup invites the shopper to add one when there are none.
    pub wallet_cards: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotConsidered {
    /// The offer as the page words it.
    pub text: String,
    pub reason: String,
}

/// The in-page badge's message: the saving, and how ("with HDFC Bank Millennia + code
/// CLEAN500"). The content script formats the amount in the shopper's locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    pub saving: Decimal,
    pub currency: crate::money::Currency,
    pub how: String,
}

/// The badge for a page's stack: only when the stack saves something.
pub fn badge(stack: &PageStack) -> Option<Badge> {
    let r = stack.result.as_ref()?;
    if r.total_savings <= Decimal::ZERO {
        return None;
    }
    let s = &r.stack;
    let mut parts: Vec<String> = Vec::new();
    if let Some(card) = &s.card {
        parts.push(format!("your {card}"));
    }
    parts.extend(s.coupons.iter().cloned());
    parts.extend(s.portal.iter().cloned());
    parts.extend(s.gift_card_deal.iter().cloned());
    Some(Badge {
        saving: r.total_savings,
        currency: r.currency,
        how: if parts.is_empty() {
            "with the offers on this page".into()
        } else {
            format!("with {}", parts.join(" + "))
        },
    })
}

/// Stacks the page's offers and the wallet on one unit of `product` bought at `merchant`
/// (registrable domain of the page) on `today`.
pub fn for_page(
    product: &Product,
    page_offers: &[offer_text::Offer],
    merchant: &str,
    doc: &WalletDoc,
    today: Date,
) -> PageStack {
    let mut out = PageStack {
        result: None,
        problem: None,
        not_considered: Vec::new(),
        wallet_cards: doc.cards.len(),
    };
    let Some(price) = product.price.as_ref() else {
        out.problem = Some("The page shows no price to work from.".into());
        return out;
    };
    let parts = stack_parts(doc, merchant, today);
    let mut offers = Vec::new();
    for o in page_offers {
        match from_text(o) {
            Ok(Some(offer)) => offers.push(offer),
            Ok(None) => {}
            Err(reason) => out.not_considered.push(NotConsidered {
                text: o.raw.clone(),
                reason: reason.into(),
            }),
        }
    }
    offers.extend(parts.offers);
    dedupe_ids(&mut offers);
    let mut amount = price.amount;
    amount.rescale(price.currency.minor_units());
    let request = StackRequest {
        now: today,
        cart: Cart {
            merchant: merchant.to_owned(),
            currency: price.currency,
            items: vec![LineItem {
                id: short_title(&product.title),
                price: amount,
                quantity: 1,
                category: String::new(),
                on_sale: product
                    .list_price
                    .as_ref()
                    .is_some_and(|l| l.amount > price.amount),
            }],
            shipping: Default::default(),
            tax: Default::default(),
        },
        merchant: None,
        offers,
        wallet: parts.wallet,
        settings: parts.settings,
        suggestion_items: Vec::new(),
    };
    match optimize(&request) {
        Ok(result) => out.result = Some(result),
        Err(e) => out.problem = Some(format!("Could not work out the stack: {e}")),
    }
    out
}

/// An on-page offer in the optimizer's terms: `Ok(None)` for texts that are not offers
/// (a "was" price), `Err` with the reason for offers it cannot price.
fn from_text(o: &offer_text::Offer) -> Result<Option<Offer>, &'static str> {
    let rate = || match (o.percent, o.flat_amount) {
        (Some(p), _) => Some(Rate::Percent(p)),
        (None, Some(f)) => Some(Rate::Fixed(f)),
        (None, None) => None,
    };
    let kind = match o.kind {
        TextKind::ReferencePrice => return Ok(None),
        TextKind::BankInstantDiscount | TextKind::CardCashback => {
            let issuer = o
                .issuer
                .clone()
                .ok_or("The page does not say which bank's cards it is for.")?;
            let value = rate().ok_or("The page does not say how much it takes off.")?;
            OfferKind::BankOffer(BankOffer {
                issuer,
                network: o.network.clone(),
                card_type: match o.card_type {
                    Some(offer_text::CardType::Credit) => Some(CardType::Credit),
                    Some(offer_text::CardType::Debit) => Some(CardType::Debit),
                    _ => None,
                },
                value,
                cap: o.cap,
                min_spend: o.min_spend,
                emi: o.emi == Some(true),
                cap_used: Decimal::ZERO,
            })
        }
        TextKind::CouponCode | TextKind::ClipCoupon => {
            let clip = o.kind == TextKind::ClipCoupon;
            let code = match (&o.code, clip) {
                (Some(c), _) => c.clone(),
                (None, true) => "clip coupon".to_owned(),
                (None, false) => return Err("The page does not show the code."),
            };
            let value = match rate() {
                Some(Rate::Percent(p)) => CouponValue::Percent(p),
                Some(Rate::Fixed(f)) => CouponValue::Fixed(f),
                None => {
                    return Err(
                        "The page does not say what the code takes off; try it at checkout.",
                    )
                }
            };
            OfferKind::Coupon(Coupon {
                code,
                value,
                // A clip coupon is a product discount paid for by the brand (it stacks with
                // the shop's own codes, stacking-rules.md); a code is an order discount.
                scope: if clip {
                    CouponScope::Item
                } else {
                    CouponScope::Order
                },
                min_spend: o.min_spend,
                cap: o.cap,
                categories: None,
                excluded_categories: Vec::new(),
                excludes_sale_items: false,
                combinable: false,
                funded_by: if clip {
                    FundedBy::Manufacturer
                } else {
                    FundedBy::Store
                },
            })
        }
        TextKind::SubscribeSave => {
            return Err(
                "Needs a repeat-delivery subscription; the stack prices a one-time purchase.",
            )
        }
        TextKind::NoCostEmi => {
            return Err("No-cost EMI spreads the payment over months; it does not lower the price.")
        }
        TextKind::FreeShippingThreshold => {
            return Err("The page does not show a shipping fee for this item to save.")
        }
        TextKind::Multibuy => return Err("Needs more than one of this item."),
        TextKind::Other => {
            return Err("StackSmart could not read this offer; it is shown as the page words it.")
        }
    };
    Ok(Some(Offer {
        id: offer_id(o),
        expires: None,
        currency: o.currency,
        kind,
    }))
}

/// A short, readable id: receipts and reasons name offers by it.
fn offer_id(o: &offer_text::Offer) -> String {
    match (o.kind, &o.code, &o.issuer) {
        (TextKind::CouponCode, Some(code), _) => format!("code {code}"),
        (TextKind::ClipCoupon, _, _) => "clip coupon".into(),
        (TextKind::CardCashback, _, Some(issuer)) => format!("{issuer} cashback"),
        (_, _, Some(issuer)) => format!("{issuer} offer"),
        _ => "page offer".into(),
    }
}

fn short_title(title: &str) -> String {
    let t = title.trim();
    match t.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", t[..i].trim_end()),
        None if t.is_empty() => "this item".into(),
        None => t.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::money::{Currency, Money};
    use crate::offer_text::{parse_offer, OfferContext};
    use crate::wallet::import;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn product(price: &str, currency: &str) -> Product {
        let currency = Currency::from_code(currency).expect("currency");
        Product {
            title: "Aero Blender 600 W".into(),
            price: Some(Money::new(dec(price), currency)),
            list_price: Some(Money::new(dec("7495"), currency)),
            availability: None,
            brand: None,
            sku: None,
            gtin: None,
            mpn: None,
            image: None,
            category: Vec::new(),
            url: "https://shop.example.in/aero-blender".into(),
            evidence: Vec::new(),
        }
    }

    fn offers(texts: &[&str]) -> Vec<offer_text::Offer> {
        let ctx = OfferContext {
            url: Some("https://www.amazon.in/dp/B0TEST".into()),
            lang: Some("en".into()),
        };
        texts.iter().map(|t| parse_offer(t, &ctx)).collect()
    }

    fn today() -> Date {
        Date::parse("2026-11-21").expect("date")
    }

    #[test]
    fn a_bank_offer_and_a_code_stack_with_the_wallet_card() {
        let page = offers(&[
            "10% Instant Discount up to ₹1,250 on HDFC Bank Credit Card transactions. Minimum purchase value ₹4,000",
            "Use code BLEND200 to get ₹200 off",
            "No Cost EMI available on select cards",
        ]);
        let wallet = import(
            r#"{"schema": 2, "cards": [{"id": "m", "catalogue": "hdfc-millennia"}],
                "gift_cards": [{"id": "g", "merchant": "amazon.in", "balance": "300"}]}"#,
        )
        .expect("wallet");
        let stack = for_page(
            &product("4999", "INR"),
            &page,
            "amazon.in",
            &wallet,
            today(),
        );
        let r = stack.result.expect("a stack");
        // 4999 − 200 (code) = 4799 − 479.90 (10 % bank discount, under its cap; it needs the
        // whole order on the card, so the ₹300 balance is kept) = 4319.10 paid; the Millennia
        // earns 5 % cash back on it: 215.95 → net 4103.15.
        assert_eq!(r.baseline, dec("4999.00"));
        assert_eq!(r.stack.coupons, vec!["code BLEND200".to_owned()]);
        assert_eq!(r.stack.card_offer.as_deref(), Some("HDFC Bank offer"));
        assert_eq!(r.stack.gift_card_balance_kept, Some(dec("300")));
        assert_eq!(r.paid_at_checkout, dec("4319.10"));
        assert_eq!(r.net_cost, dec("4103.15"));
        assert_eq!(stack.not_considered.len(), 1);
        assert!(stack.not_considered[0].reason.contains("EMI"));
        assert_eq!(stack.wallet_cards, 1);
    }

    #[test]
    fn the_badge_says_how_much_and_how() {
        let page = offers(&["Use code BLEND200 to get ₹200 off"]);
        let wallet =
            import(r#"{"schema": 2, "cards": [{"id": "m", "catalogue": "hdfc-millennia"}]}"#)
                .expect("wallet");
        let stack = for_page(
            &product("4999", "INR"),
            &page,
            "amazon.in",
            &wallet,
            today(),
        );
        let b = badge(&stack).expect("a saving");
        // 200 off, then 5 % back on 4799 at amazon.in = 239.95.
        assert_eq!(b.saving, dec("439.95"));
        assert_eq!(b.how, "with your HDFC Bank Millennia + code BLEND200");
        let nothing = for_page(
            &product("4999", "INR"),
            &[],
            "amazon.in",
            &WalletDoc::default(),
            today(),
        );
        assert_eq!(badge(&nothing), None, "no saving, no badge");
    }

    #[test]
    fn without_a_card_from_the_bank_the_offer_is_explained() {
        let page = offers(&["10% Instant Discount up to ₹1,250 on HDFC Bank Credit Cards"]);
        let stack = for_page(
            &product("4999", "INR"),
            &page,
            "amazon.in",
            &WalletDoc::default(),
            today(),
        );
        let r = stack.result.expect("a stack");
        assert_eq!(r.net_cost, dec("4999.00"));
        let why = r
            .unused
            .iter()
            .find(|u| u.offer == "HDFC Bank offer")
            .expect("explained");
        assert!(why.message.contains("HDFC"), "{}", why.message);
        assert_eq!(stack.wallet_cards, 0);
    }

    #[test]
    fn no_price_no_stack_but_a_reason() {
        let mut p = product("1", "USD");
        p.price = None;
        let stack = for_page(&p, &[], "example.com", &WalletDoc::default(), today());
        assert!(stack.result.is_none());
        assert!(stack.problem.expect("a reason").contains("no price"));
    }

    #[test]
    fn codes_without_a_value_are_kept_with_a_reason() {
        let page = offers(&["Use code WELCOME at checkout"]);
        let stack = for_page(
            &product("4999", "INR"),
            &page,
            "amazon.in",
            &WalletDoc::default(),
            today(),
        );
        assert_eq!(stack.not_considered.len(), 1, "{stack:?}");
        assert_eq!(stack.not_considered[0].text, "Use code WELCOME at checkout");
    }

    #[test]
    fn long_titles_are_cut_on_a_character_boundary() {
        let t = "é".repeat(80);
        let s = short_title(&t);
        assert_eq!(s.chars().count(), 61);
        assert_eq!(short_title("  "), "this item");
    }
}

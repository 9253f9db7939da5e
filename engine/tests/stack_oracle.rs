//! The optimizer against the brute-force oracle on random small instances (≤ 8 offers,
//! ≤ 4 cards, ≤ 3 lines): same net cost (Decimal equality) and the same stack under the
//! documented tie-break.

use engine::money::Currency;
use engine::stack::eval::evaluate;
use engine::stack::model::*;
use engine::stack::{oracle, problem, search};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

const CATS: [&str; 3] = ["a", "b", "c"];

fn category() -> impl Strategy<Value = String> {
    select(&CATS[..]).prop_map(str::to_owned)
}

fn opt_cents(values: &'static [i64]) -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of(select(values).prop_map(cents))
}

fn line() -> impl Strategy<Value = LineItem> {
    (100i64..15_000, 1u32..=3, category(), any::<bool>()).prop_map(|(p, q, c, s)| LineItem {
        id: String::new(),
        price: cents(p),
        quantity: q,
        category: c,
        on_sale: s,
    })
}

fn coupon_value() -> impl Strategy<Value = CouponValue> {
    prop_oneof![
        select(&[500i64, 1000, 1500, 2500][..]).prop_map(|x| CouponValue::Percent(cents(x))),
        select(&[200i64, 500, 1000, 2000][..]).prop_map(|x| CouponValue::Fixed(cents(x))),
        select(&[100i64, 250][..]).prop_map(|x| CouponValue::PerItem(cents(x))),
        Just(CouponValue::FreeShipping),
    ]
}

fn coupon() -> impl Strategy<Value = Coupon> {
    (
        coupon_value(),
        any::<bool>(),
        opt_cents(&[2000, 5000, 10_000]),
        opt_cents(&[500, 1500]),
        prop::option::of(category().prop_map(|c| vec![c])),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(value, item, min, cap, cats, excl_sale, comb, mfr)| Coupon {
                code: String::new(),
                value,
                scope: if item {
                    CouponScope::Item
                } else {
                    CouponScope::Order
                },
                min_spend: min,
                cap,
                categories: cats,
                excluded_categories: vec![],
                excludes_sale_items: excl_sale,
                combinable: comb,
                funded_by: if mfr {
                    FundedBy::Manufacturer
                } else {
                    FundedBy::Store
                },
            },
        )
}

fn rate() -> impl Strategy<Value = Rate> {
    prop_oneof![
        select(&[100i64, 250, 500, 1000][..]).prop_map(|x| Rate::Percent(cents(x))),
        select(&[100i64, 300, 500][..]).prop_map(|x| Rate::Fixed(cents(x))),
    ]
}

fn offer_kind() -> impl Strategy<Value = OfferKind> {
    prop_oneof![
        4 => coupon().prop_map(OfferKind::Coupon),
        1 => (select(&[1000i64, 2000][..]), prop::option::of(category().prop_map(|c| vec![c])))
            .prop_map(|(p, c)| OfferKind::Sale(Sale { percent: cents(p), categories: c })),
        2 => (rate(), prop::option::of(category()), prop::collection::vec(0usize..8, 0..3), any::<bool>())
            .prop_map(|(rate, ex, listed, delay)| OfferKind::Portal(Portal {
                name: "P".into(),
                rate,
                excluded_categories: ex.into_iter().collect(),
                listed_coupons: listed.iter().map(|i| format!("C{i}")).collect(),
                payout_delay_days: if delay { 45 } else { 0 },
            })),
        2 => (0usize..2, prop::option::of(select(&["Visa", "Amex"][..])), rate(),
              opt_cents(&[1000, 2500]), opt_cents(&[3000, 8000]))
            .prop_map(|(iss, net, value, cap, min)| OfferKind::BankOffer(BankOffer {
                issuer: format!("I{iss}"),
                network: net.map(str::to_owned),
                card_type: None,
                value,
                cap,
                min_spend: min,
                emi: false,
                cap_used: Decimal::ZERO,
            })),
        2 => (0usize..4, prop_oneof![
                (select(&[2000i64, 5000, 10_000][..]), select(&[500i64, 1000][..]))
                    .prop_map(|(m, c)| LinkedValue::SpendGet { min_spend: cents(m), credit: cents(c) }),
                (select(&[500i64, 1000][..]), opt_cents(&[300, 800]))
                    .prop_map(|(p, cap)| LinkedValue::PercentBack { percent: cents(p), cap }),
             ], any::<bool>())
            .prop_map(|(k, value, delay)| OfferKind::CardLinked(CardLinked {
                card: format!("k{k}"),
                value,
                payout_delay_days: if delay { 30 } else { 0 },
                used: false,
            })),
        1 => (select(&[100i64, 200][..]), prop::option::of(Just("m1".to_owned())))
            .prop_map(|(p, m)| OfferKind::Loyalty(Loyalty {
                programme: "L".into(),
                percent: cents(p),
                membership: m,
            })),
        1 => (select(&[300i64, 500, 800][..]), opt_cents(&[2000, 5000]))
            .prop_map(|(d, m)| OfferKind::DiscountedGiftCard(GiftCardDeal {
                seller: "S".into(),
                discount_percent: cents(d),
                max_face: m,
            })),
    ]
}

fn card(currency: Currency) -> impl Strategy<Value = CardRules> {
    (
        0usize..2,
        select(&["Visa", "Amex"][..]),
        any::<bool>(),
        select(&[(100i64, 1i64), (150, 1), (400, 150), (200, 100), (150, 100)][..]),
        any::<bool>(),
        prop::option::of((
            select(&["a", "b", "m.example"][..]),
            select(&[300i64, 500][..]),
            opt_cents(&[2000, 6000, 20_000]),
        )),
    )
        .prop_map(
            move |(iss, net, cash, (r, block), per_block, bonus)| CardRules {
                name: String::new(),
                issuer: format!("I{iss}"),
                network: net.into(),
                card_type: CardType::Credit,
                home_currency: currency,
                points_program: if cash { "cash".into() } else { "pts".into() },
                earn: Earn {
                    rate: cents(r),
                    block: Decimal::from(block),
                    rounding: if per_block {
                        EarnRounding::PerBlock
                    } else {
                        EarnRounding::Exact
                    },
                },
                categories: bonus
                    .into_iter()
                    .map(|(c, r, cap)| CategoryEarn {
                        category: c.into(),
                        rate: cents(r),
                        cap,
                        period: None,
                    })
                    .collect(),
            },
        )
}

fn merchant() -> impl Strategy<Value = MerchantProfile> {
    (
        any::<bool>(),
        select(
            &[
                RoundingMode::HalfUp,
                RoundingMode::HalfEven,
                RoundingMode::Down,
                RoundingMode::Up,
            ][..],
        ),
        any::<bool>(),
        select(
            &[
                GiftCardPortalPolicy::Ignore,
                GiftCardPortalPolicy::ExcludeGiftCardPart,
                GiftCardPortalPolicy::VoidWholeOrder,
            ][..],
        ),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        select(&["a", "b", "general"][..]),
    )
        .prop_map(
            |(per_line, mode, voids, gc, pre_min, pre_ship, split, cat)| {
                let base = |pre: bool| {
                    if pre {
                        ThresholdBase::PreDiscount
                    } else {
                        ThresholdBase::PostDiscount
                    }
                };
                MerchantProfile {
                    domain: "m.example".into(),
                    name: String::new(),
                    reward_category: cat.into(),
                    rounding: Rounding {
                        allocation: if per_line {
                            RoundingAllocation::PerLine
                        } else {
                            RoundingAllocation::PerOrder
                        },
                        mode,
                    },
                    outside_coupon_voids_portal: voids,
                    gift_card_portal_policy: gc,
                    min_spend_base: base(pre_min),
                    free_shipping_base: base(pre_ship),
                    allows_split_payment: split,
                    country: None,
                    source: None,
                    valid_as_of: None,
                    verified: false,
                    notes: None,
                }
            },
        )
}

prop_compose! {
    fn request()(
        currency in select(&["USD", "INR", "JPY"][..]),
        merchant in merchant(),
        lines in prop::collection::vec(line(), 1..=3),
        fee in select(&[0i64, 499, 999][..]),
        threshold in opt_cents(&[2000, 5000, 10_000]),
        tax in select(&[0i64, 825, 1000][..]),
        tax_ship in any::<bool>(),
        kinds in prop::collection::vec((offer_kind(), any::<bool>()), 1..=8),
        n_cards in 0usize..=4,
        cards in prop::collection::vec(card(Currency::from_code("USD").expect("USD")), 4),
        cap_used in prop::collection::vec(opt_cents(&[1000, 5000]), 4),
        point_value in select(&[1i64, 50, 125][..]),
        haircut in select(&[0i64, 1000][..]),
        balance in opt_cents(&[1000, 3000]),
        use_balance in any::<bool>(),
        mfr_stacks in any::<bool>(),
        member in any::<bool>(),
    ) -> StackRequest {
        let currency = Currency::from_code(currency).expect("known currency");
        let items = lines.into_iter().enumerate().map(|(i, mut l)| {
            l.id = format!("L{i}");
            if currency.minor_units() == 0 {
                l.price = l.price.round();
            }
            l
        }).collect();
        let offers = kinds.into_iter().enumerate().map(|(i, (mut kind, expired))| {
            if let OfferKind::Coupon(c) = &mut kind {
                c.code = format!("C{i}");
            }
            Offer {
                id: format!("o{i}"),
                // A few offers are expired, to exercise the static filter.
                expires: (expired && i % 3 == 0).then(|| Date::parse("2026-01-01").expect("date")),
                currency: None,
                kind,
            }
        }).collect();
        let cards = cards.into_iter().zip(cap_used).take(n_cards).enumerate().map(|(k, (mut rules, used))| {
            rules.home_currency = currency;
            WalletCard {
                id: format!("k{k}"),
                catalogue: None,
                cap_used: used.iter().flat_map(|u| rules.categories.iter().map(move |c| (c.category.clone(), *u))).collect(),
                rules: Some(rules),
            }
        }).collect();
        StackRequest {
            now: Date::parse("2026-06-01").expect("date"),
            cart: Cart {
                merchant: "m.example".into(),
                currency,
                items,
                shipping: Shipping {
                    fee: if currency.minor_units() == 0 { cents(fee).round() } else { cents(fee) },
                    free_threshold: threshold,
                    threshold_base: None,
                },
                tax: Tax {
                    rate_percent: cents(tax),
                    applies_to: if tax_ship { TaxBase::GoodsAndShipping } else { TaxBase::Goods },
                },
            },
            merchant: Some(merchant),
            offers,
            wallet: Wallet {
                cards,
                gift_cards: balance.into_iter().map(|b| GiftCardBalance { merchant: "m.example".into(), balance: b }).collect(),
                point_values: [("pts".to_owned(), cents(point_value))].into_iter().collect(),
                memberships: if member { vec!["m1".into()] } else { vec![] },
            },
            settings: Settings {
                delayed_payout_haircut_percent: cents(haircut),
                use_gift_card_balances: use_balance,
                manufacturer_coupons_stack_with_store: mfr_stacks,
                alternatives: 3,
                suggestions: false,
                ..Settings::default()
            },
            suggestion_items: vec![],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn optimizer_matches_brute_force_oracle(req in request()) {
        let p = problem::resolve(&req).expect("generated requests are valid");
        let (fast, _) = search::optimize(&p, 0);
        let groups = oracle::brute_force_groups(&p);
        let slow = groups.first().expect("the space is never empty").clone();
        prop_assert_eq!(fast.net, slow.net, "net cost differs");
        prop_assert_eq!(&fast.choice, &slow.choice, "tie-break differs");
        // The optimizer's separated sum equals pricing the stack from scratch.
        let whole = evaluate(&p, &fast.choice, false).expect("chosen stack is in the space");
        prop_assert_eq!(whole.net, fast.net);
        // Asking for alternatives prunes less but must not change the optimum; alternatives
        // come best first and never beat it.
        let (with_alts, alts) = search::optimize(&p, 3);
        prop_assert_eq!(&with_alts.choice, &fast.choice);
        prop_assert!(alts.windows(2).all(|w| w[0].net <= w[1].net));
        prop_assert!(alts.iter().all(|a| a.net >= fast.net && a.choice != fast.choice));
        // They are exactly the next best groups' best stacks, in order.
        let expected: Vec<_> = groups[1..].iter().take(3).map(|c| (c.net, &c.choice)).collect();
        let got: Vec<_> = alts.iter().map(|c| (c.net, &c.choice)).collect();
        prop_assert_eq!(got, expected, "alternatives differ");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The receipt adds up: its last running total is the net cost, and every offer is
    /// either used or has a reason.
    #[test]
    fn receipt_adds_up_and_explains_every_offer(req in request()) {
        let r = engine::stack::optimize(&req).expect("generated requests are valid");
        let last = r.steps.last().map(|s| s.running_total);
        prop_assert_eq!(last, Some(r.net_cost));
        // Every offer is used, applied automatically (sales, loyalty) or explained, once.
        let mut used: Vec<&str> = r.stack.coupons.iter().map(String::as_str).collect();
        used.extend(r.stack.portal.as_deref());
        used.extend(r.stack.gift_card_deal.as_deref());
        used.extend(r.stack.card_offer.as_deref());
        used.extend(r.stack.split.as_ref().and_then(|s| s.second_card_offer.as_deref()));
        for o in &req.offers {
            let automatic = matches!(o.kind, OfferKind::Sale(_) | OfferKind::Loyalty(_));
            let explained = r.unused.iter().filter(|u| u.offer == o.id).count();
            let in_stack = used.iter().filter(|u| **u == o.id).count();
            if automatic {
                prop_assert!(in_stack == 0 && explained <= 1, "{}", o.id);
            } else {
                prop_assert_eq!(in_stack + explained, 1, "offer {}", &o.id);
            }
        }
        for a in &r.alternatives {
            prop_assert!(a.net_cost >= r.net_cost);
        }
    }
}

//! Stack optimizer benchmarks (`make bench` / `cargo bench -p stacksmart-engine --bench stack`).
//!
//! A realistic wallet (10 cards, 5 gift-card balances) against 20 offers, and growth at 30 and
//! 60 offers; the brute-force oracle where it finishes, and the oracle/optimizer ratio. After
//! the criterion runs it prints the p50/p99 of the full API call (`engine::stack::optimize`,
//! receipts and reasons included, suggestions off) for the realistic case.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion};
use engine::money::Currency;
use engine::stack::model::*;
use engine::stack::{oracle, problem, search};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().expect("bench decimal")
}

fn coupon(
    code: String,
    value: CouponValue,
    min: Option<&str>,
    combinable: bool,
    mfr: bool,
) -> OfferKind {
    OfferKind::Coupon(Coupon {
        code,
        value,
        scope: CouponScope::Order,
        min_spend: min.map(dec),
        cap: None,
        categories: None,
        excluded_categories: vec![],
        excludes_sale_items: false,
        combinable,
        funded_by: if mfr {
            FundedBy::Manufacturer
        } else {
            FundedBy::Store
        },
    })
}

/// `n` offers in a realistic mix, repeating with different values: per 10 offers three
/// coupons (one combinable), one portal, three bank offers, two card-linked offers, one
/// gift-card deal or free-shipping code.
fn offers(n: usize) -> Vec<Offer> {
    let issuers = [
        "Chase",
        "American Express",
        "Citi",
        "Capital One",
        "Wells Fargo",
    ];
    let cards = [
        "csp",
        "amex-gold",
        "double-cash",
        "venture-x",
        "active-cash",
        "bce",
        "freedom",
        "savor",
        "custom",
        "bofa",
    ];
    (0..n)
        .map(|i| {
            let r = i / 10;
            let pct = |base: usize| Decimal::from(base + i % 7);
            let kind = match i % 10 {
                0 => coupon(
                    format!("SAVE{i}"),
                    CouponValue::Percent(pct(5)),
                    Some("50"),
                    false,
                    false,
                ),
                1 => coupon(
                    format!("OFF{i}"),
                    CouponValue::Fixed(pct(8)),
                    Some("100"),
                    true,
                    false,
                ),
                2 => coupon(
                    format!("MFR{i}"),
                    CouponValue::PerItem(Decimal::from(1 + r)),
                    None,
                    r % 2 == 0,
                    true,
                ),
                3 => OfferKind::Portal(Portal {
                    name: format!("portal{i}"),
                    rate: Rate::Percent(pct(1)),
                    excluded_categories: vec!["grocery".into()],
                    listed_coupons: vec![format!("SAVE{}", i - 3)],
                    payout_delay_days: 60,
                }),
                4..=6 => OfferKind::BankOffer(BankOffer {
                    issuer: issuers[(i + r) % issuers.len()].into(),
                    network: None,
                    card_type: None,
                    value: if i % 2 == 0 {
                        Rate::Percent(pct(5))
                    } else {
                        Rate::Fixed(pct(10))
                    },
                    cap: Some(dec("40")),
                    min_spend: Some(Decimal::from(100 + 50 * (i % 4))),
                    emi: false,
                    cap_used: Decimal::ZERO,
                }),
                7 | 8 => OfferKind::CardLinked(CardLinked {
                    card: cards[(i + r) % cards.len()].into(),
                    value: if i % 2 == 1 {
                        LinkedValue::SpendGet {
                            min_spend: dec("150"),
                            credit: pct(15),
                        }
                    } else {
                        LinkedValue::PercentBack {
                            percent: pct(5),
                            cap: Some(dec("25")),
                        }
                    },
                    payout_delay_days: 30,
                    used: false,
                }),
                _ if r % 2 == 0 => OfferKind::DiscountedGiftCard(GiftCardDeal {
                    seller: format!("seller{i}"),
                    discount_percent: Decimal::from(3 + r),
                    max_face: Some(dec("200")),
                }),
                _ => coupon(
                    format!("SHIP{i}"),
                    CouponValue::FreeShipping,
                    None,
                    false,
                    false,
                ),
            };
            Offer {
                id: format!("o{i}"),
                expires: None,
                currency: None,
                kind,
            }
        })
        .collect()
}

fn request(n_offers: usize) -> StackRequest {
    let usd = Currency::from_code("USD").expect("USD");
    let cat = |id: &str, catalogue: &str| WalletCard {
        id: id.into(),
        catalogue: Some(catalogue.into()),
        rules: None,
        cap_used: Default::default(),
    };
    let mut bofa = cat("bofa", "bofa-customized-cash");
    bofa.cap_used.insert("online_shopping".into(), dec("2400"));
    StackRequest {
        now: Date::parse("2026-11-21").expect("date"),
        cart: Cart {
            merchant: "walmart.com".into(),
            currency: usd,
            items: vec![
                LineItem {
                    id: "tv".into(),
                    price: dec("229.99"),
                    quantity: 1,
                    category: "electronics".into(),
                    on_sale: false,
                },
                LineItem {
                    id: "coffee".into(),
                    price: dec("12.49"),
                    quantity: 3,
                    category: "grocery".into(),
                    on_sale: true,
                },
                LineItem {
                    id: "towels".into(),
                    price: dec("24.00"),
                    quantity: 2,
                    category: "home".into(),
                    on_sale: false,
                },
            ],
            shipping: Shipping {
                fee: dec("6.99"),
                free_threshold: Some(dec("35")),
                threshold_base: None,
            },
            tax: Tax {
                rate_percent: dec("8.25"),
                applies_to: TaxBase::Goods,
            },
        },
        merchant: None,
        offers: offers(n_offers),
        wallet: Wallet {
            cards: vec![
                cat("csp", "chase-sapphire-preferred"),
                cat("amex-gold", "amex-gold"),
                cat("double-cash", "citi-double-cash"),
                cat("venture-x", "capital-one-venture-x"),
                cat("active-cash", "wells-fargo-active-cash"),
                cat("bce", "amex-blue-cash-everyday"),
                cat("freedom", "chase-freedom-unlimited"),
                cat("savor", "capital-one-savor"),
                cat("custom", "citi-custom-cash"),
                bofa,
            ],
            // Balances at other shops: the request carries them, only matching ones count.
            gift_cards: [
                "target.com",
                "amazon.com",
                "bestbuy.com",
                "costco.com",
                "ebay.com",
            ]
            .iter()
            .map(|m| GiftCardBalance {
                merchant: (*m).into(),
                balance: dec("25"),
            })
            .collect(),
            point_values: Default::default(),
            memberships: vec![],
        },
        settings: Settings {
            suggestions: false,
            ..Settings::default()
        },
        suggestion_items: vec![],
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("stack");
    for n in [20, 30, 60] {
        let req = request(n);
        let p = problem::resolve(&req).expect("bench request is valid");
        g.bench_with_input(BenchmarkId::new("search", n), &p, |b, p| {
            b.iter(|| search::optimize(black_box(p), 3))
        });
        g.bench_with_input(BenchmarkId::new("optimize_api", n), &req, |b, r| {
            b.iter(|| engine::stack::optimize(black_box(r)).expect("ok"))
        });
    }
    g.sample_size(10);
    let p = problem::resolve(&request(20)).expect("valid");
    g.bench_function(BenchmarkId::new("oracle", 20), |b| {
        b.iter(|| oracle::brute_force(black_box(&p)))
    });
    g.finish();
}

criterion_group!(stack, benches);

/// The `per`-th percentile (0–100) of sorted durations.
fn percentile(sorted: &[Duration], per: usize) -> Duration {
    sorted[(sorted.len() - 1) * per / 100]
}

fn main() {
    stack();
    Criterion::default().configure_from_args().final_summary();

    // p50/p99 of the realistic full call, and the oracle/optimizer ratio where the oracle
    // finishes in reasonable time (it is skipped when it would enumerate > 2^14 coupon sets).
    let req = request(20);
    let mut times: Vec<Duration> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            black_box(engine::stack::optimize(black_box(&req)).expect("ok"));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "realistic (10 cards, 20 offers, 5 gift cards), native full API call: p50 {:?}, p99 {:?}",
        percentile(&times, 50),
        percentile(&times, 99)
    );
    for n in [20, 30, 60] {
        let p = problem::resolve(&request(n)).expect("valid");
        let t = Instant::now();
        let runs = 200;
        for _ in 0..runs {
            black_box(search::optimize(black_box(&p), 3));
        }
        let fast = t.elapsed() / runs;
        if p.coupons.len() > 14 {
            println!(
                "{n} offers: search {fast:?}; oracle skipped ({} coupons → 2^{} subsets)",
                p.coupons.len(),
                p.coupons.len()
            );
            continue;
        }
        let t = Instant::now();
        let slow_result = oracle::brute_force(&p);
        let slow = t.elapsed();
        let fast_result = search::optimize(&p, 0).0;
        assert_eq!(
            fast_result.net, slow_result.net,
            "optimizer and oracle disagree at {n} offers"
        );
        println!(
            "{n} offers: search {fast:?}, oracle {slow:?}, ratio {:.0}×",
            slow.as_secs_f64() / fast.as_secs_f64()
        );
    }
}

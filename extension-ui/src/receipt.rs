//! The best stack in the popup: the headline (net price, saved, percent), what to do at
//! checkout, the receipt step by step, the alternatives, and every offer left out with why.

use engine::money::{Currency, Money};
use engine::protocol::{Request, Response};
use engine::stack::catalogue::CatalogueEntry;
use engine::stack::page::PageStack;
use engine::stack::{Reason, StackResult, StackSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::i18n::{t, tr};
use crate::{bridge, format};

/// Percent of the baseline saved, to one decimal (`None` when there is no baseline).
pub fn percent_saved(r: &StackResult) -> Option<Decimal> {
    if r.baseline <= Decimal::ZERO || r.total_savings <= Decimal::ZERO {
        return None;
    }
    Some(
        (r.total_savings * Decimal::ONE_HUNDRED / r.baseline)
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

/// What to do at checkout, one instruction a line, in the order the shopper does them.
pub fn plan(s: &StackSummary, currency: Currency) -> Vec<String> {
    let money = |d: Decimal| format::money(&Money::new(d, currency));
    let mut lines = Vec::new();
    if let Some(portal) = &s.portal {
        lines.push(tr(
            "planPortal",
            "Start from the $1 link before you buy",
            &[portal],
        ));
    }
    if let Some(deal) = &s.gift_card_deal {
        lines.push(tr(
            "planGiftCardDeal",
            "Buy the $1 and pay with it",
            &[deal],
        ));
    }
    for code in &s.coupons {
        let code = code.strip_prefix("code ").unwrap_or(code);
        lines.push(tr("planApplyCode", "Apply $1", &[code]));
    }
    let mut pay = match &s.card {
        Some(card) => tr("planPayWith", "Pay with $1", &[card]),
        None => t(
            "planPayAnyWay",
            "Pay any way you like: no card in your wallet earns more here",
        ),
    };
    if let Some(offer) = &s.card_offer {
        pay.push_str(&tr("planToGetOffer", " to get the $1", &[offer]));
    }
    if let Some(split) = &s.split {
        pay = tr(
            "planSplit",
            "$1 for $2, and the rest with $3",
            &[&pay, &money(split.first_card_amount), &split.second_card],
        );
        if let Some(o) = &split.second_card_offer {
            pay.push_str(&format!(" ({o})"));
        }
    }
    lines.push(pay);
    if let Some(kept) = s.gift_card_balance_kept {
        lines.push(tr(
            "planKeepBalance",
            "Keep your $1 gift-card balance for another order: paying this one by card is worth more",
            &[&money(kept)],
        ));
    }
    lines
}

/// Another way to pay, in the plan's own words, and what it leaves out of the best stack's
/// plan (a code), so two ways that pay with the same card read apart.
pub fn alternative_text(best: &StackSummary, other: &StackSummary, currency: Currency) -> String {
    let mut parts = plan(other, currency);
    for code in best.coupons.iter().filter(|c| !other.coupons.contains(c)) {
        let code = code.strip_prefix("code ").unwrap_or(code);
        parts.push(tr("stackWithoutCode", "without $1", &[code]));
    }
    parts.join("; ")
}

/// The rate and the amount it was applied to, under a receipt line ("10 %, cap 1500 on
/// ₹12,499.00"); nothing when the step has neither.
pub fn step_detail(rate: Option<&str>, base: Option<String>) -> Option<String> {
    match (rate, base) {
        (Some(r), Some(b)) => Some(tr("stepRateOn", "$1 on $2", &[r, &b])),
        (Some(r), None) => Some(r.to_owned()),
        (None, Some(b)) => Some(tr("stepOn", "on $1", &[&b])),
        (None, None) => None,
    }
}

#[component]
pub fn BestStack(stack: PageStack) -> impl IntoView {
    let PageStack {
        result,
        problem,
        not_considered,
        wallet_cards,
    } = stack;
    let no_cards = (wallet_cards == 0).then(|| {
        view! {
            <p class="hint" data-testid="no-cards">
                {t("stackAddCards", "Add your cards to see their rewards and the bank offers they unlock.")}" "
                <button type="button" class="link" data-testid="open-wallet"
                    on:click=|_| bridge::open_options()>{t("stackOpenWallet", "Open your wallet")}</button>
            </p>
        }
    });
    let problem = problem.map(|p| view! { <p class="muted" data-testid="stack-problem">{p}</p> });
    let Some(r) = result else {
        return view! {
            <section class="stack" data-testid="best-stack" aria-label=t("stackTitle", "Best way to pay")>
                <h2>{t("stackTitle", "Best way to pay")}</h2>
                {problem}
                {no_cards}
            </section>
        }
        .into_any();
    };
    let money = move |d: Decimal| format::money(&Money::new(d, r.currency));
    let saved = (r.total_savings > Decimal::ZERO).then(|| {
        let pct = percent_saved(&r)
            .map(|p| format!(" ({p} %)"))
            .unwrap_or_default();
        format!(
            "{}{pct}",
            tr("stackYouSave", "You save $1", &[&money(r.total_savings)])
        )
    });
    let paid_differs = r.paid_at_checkout != r.net_cost;
    let plan_lines = plan(&r.stack, r.currency);
    let best = r.stack.clone();
    let steps = r.steps.clone();
    let alternatives = r.alternatives.clone();
    let unused = r.unused.clone();
    let suggestions = r.suggestions.clone();
    let left_out = unused.len() + not_considered.len();
    view! {
        <section class="stack" data-testid="best-stack" aria-label=t("stackTitle", "Best way to pay")>
            <h2>{t("stackTitle", "Best way to pay")}</h2>
            <p class="net">
                <span data-testid="net-cost">{money(r.net_cost)}</span>
                <span class="muted">" "{t("stackNet", "net")}</span>
            </p>
            {saved.map(|s| view! { <p class="saved" data-testid="saved">{s}</p> })}
            {paid_differs.then(|| view! {
                <p class="muted" data-testid="paid-at-checkout">
                    {tr("stackPaidAtCheckout", "$1 at checkout; the rest comes back as cashback, rewards or credits.", &[&money(r.paid_at_checkout)])}
                </p>
            })}
            <ol class="plan" data-testid="plan">
                {plan_lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ol>
            {suggestions.into_iter().map(|s| view! {
                <p class="hint" data-testid="suggestion">{s.message}</p>
            }).collect_view()}
            {problem}
            {no_cards}
            <details class="receipt-box">
                <summary>{t("stackArithmetic", "The arithmetic, step by step")}</summary>
                <table class="receipt" data-testid="receipt">
                    <thead><tr><th scope="col">{t("stackStep", "Step")}</th><th scope="col">{t("stackAmount", "Amount")}</th><th scope="col">{t("stackTotal", "Total")}</th></tr></thead>
                    <tbody>
                        {steps.into_iter().map(|s| {
                            let detail = step_detail(s.rate.as_deref(), s.base.map(money));
                            view! {
                            <tr data-testid="step">
                                <td>{s.description}{detail.map(|d| view! { <div class="muted">{d}</div> })}</td>
                                <td class="num">{money(s.amount)}</td>
                                <td class="num">{money(s.running_total)}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </details>
            {(!alternatives.is_empty()).then(|| view! {
                <details>
                    <summary>{t("stackAlternatives", "Other ways to pay")}</summary>
                    <ul class="alternatives" data-testid="alternatives">
                        {alternatives.into_iter().map(|a| view! {
                            <li>{tr("stackAlternative", "$1 net (+$2): $3", &[&money(a.net_cost), &money(a.extra_cost), &alternative_text(&best, &a.stack, r.currency)])}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
            {(left_out > 0).then(|| view! {
                <details data-testid="left-out">
                    <summary>{tr("stackNotUsed", "Not used ($1)", &[&left_out.to_string()])}</summary>
                    <ul class="unused">
                        {unused.into_iter().map(|u| {
                            let issuer = match &u.reason {
                                Reason::NoMatchingCard { issuer } => Some(issuer.clone()),
                                _ => None,
                            };
                            view! {
                                <li data-testid="unused"><strong>{u.offer}</strong>": "{u.message}
                                    {issuer.map(|i| view! { <IssuerCards issuer=i/> })}
                                </li>
                            }
                        }).collect_view()}
                        {not_considered.into_iter().map(|n| view! {
                            <li data-testid="unused"><strong>{n.text}</strong>": "{n.reason}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
    }
    .into_any()
}

/// The catalogue cards `issuer` issues (same name, any case), in catalogue order.
pub fn cards_of(entries: &[CatalogueEntry], issuer: &str) -> Vec<CatalogueEntry> {
    entries
        .iter()
        .filter(|e| e.issuer.trim().eq_ignore_ascii_case(issuer.trim()))
        .cloned()
        .collect()
}

/// Adds a catalogue card to the stored wallet. The popup follows the wallet, so the stack is
/// worked out anew once the save lands.
async fn add_card(catalogue_id: String) -> Result<(), String> {
    let mut wallet = bridge::get_wallet().await?;
    let card = crate::edit::catalogue_card(&catalogue_id, &wallet.cards);
    wallet.cards.push(card);
    bridge::save_wallet(wallet).await.map(drop)
}

/// "I have a card from this bank": a bank offer left out for want of a card becomes one click
/// away, picked from that issuer's catalogue cards.
#[component]
fn IssuerCards(issuer: String) -> impl IntoView {
    let choices = RwSignal::new(None::<Result<Vec<CatalogueEntry>, String>>);
    let wanted = issuer.clone();
    let open = move |_| {
        let wanted = wanted.clone();
        spawn_local(async move {
            let answer = match bridge::request(&Request::GetCatalogue).await {
                Ok(Response::Catalogue { cards }) => Ok(cards_of(&cards, &wanted)),
                Ok(Response::Error(e)) => Err(e.message),
                Ok(other) => Err(format!("unexpected answer: {other:?}")),
                Err(e) => Err(e),
            };
            choices.set(Some(answer));
        });
    };
    view! {
        <div class="issuer-cards">
            {move || match choices.get() {
                None => view! {
                    <button type="button" class="link" data-testid="have-issuer-card" on:click=open.clone()>
                        {tr("stackHaveIssuerCard", "I have a $1 card", &[&issuer])}
                    </button>
                }.into_any(),
                Some(Err(e)) => view! { <span class="bad" role="alert">{e}</span> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <span class="muted">{t("stackNoIssuerCard", "No card of this bank in the catalogue yet: add yours in the wallet.")}" "
                        <button type="button" class="link" on:click=|_| bridge::open_options()>{t("stackOpenWallet", "Open your wallet")}</button>
                    </span>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <span class="muted">{t("stackWhichOne", "Which one?")}" "</span>
                    {list.into_iter().map(|e| {
                        let id = e.id.clone();
                        view! {
                            <button type="button" class="code" data-testid="add-issuer-card"
                                on:click=move |_| {
                                    let id = id.clone();
                                    spawn_local(async move {
                                        if let Err(err) = add_card(id).await {
                                            choices.set(Some(Err(err)));
                                        }
                                    });
                                }>{e.name}</button>" "
                        }
                    }).collect_view()}
                }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use engine::stack::SplitSummary;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn summary() -> StackSummary {
        StackSummary {
            coupons: vec!["code BLEND200".into()],
            gift_card_deal: None,
            portal: Some("CashKaro cashback".into()),
            card: Some("HDFC Bank Millennia".into()),
            card_offer: Some("HDFC Bank offer".into()),
            split: None,
            gift_card_balance_kept: None,
        }
    }

    #[test]
    fn the_plan_follows_checkout_order() {
        // No browser here: amounts only appear in the split and kept-balance lines.
        let lines = plan(&summary(), Currency::from_code("INR").expect("INR"));
        assert_eq!(
            lines,
            vec![
                "Start from the CashKaro cashback link before you buy",
                "Apply BLEND200",
                "Pay with HDFC Bank Millennia to get the HDFC Bank offer",
            ]
        );
        let mut s = summary();
        s.card = None;
        s.card_offer = None;
        s.split = None::<SplitSummary>;
        let lines = plan(&s, Currency::from_code("INR").expect("INR"));
        assert!(lines
            .last()
            .expect("a payment line")
            .starts_with("Pay any way"));
    }

    #[test]
    fn an_alternative_says_what_it_leaves_out() {
        let inr = Currency::from_code("INR").expect("INR");
        let mut other = summary();
        other.coupons.clear();
        other.portal = None;
        assert_eq!(
            alternative_text(&summary(), &other, inr),
            "Pay with HDFC Bank Millennia to get the HDFC Bank offer; without BLEND200"
        );
        assert_eq!(
            alternative_text(&summary(), &summary(), inr),
            "Start from the CashKaro cashback link before you buy; Apply BLEND200; Pay with HDFC Bank Millennia to get the HDFC Bank offer"
        );
    }

    #[test]
    fn an_issuers_cards_are_found_by_name_in_any_case() {
        let entry = |id: &str, issuer: &str| CatalogueEntry {
            id: id.into(),
            name: id.into(),
            issuer: issuer.into(),
            network: "Visa".into(),
            country: "IN".into(),
            summary: String::new(),
            verified: false,
            source: String::new(),
        };
        let all = vec![
            entry("a", "HDFC Bank"),
            entry("b", "ICICI Bank"),
            entry("c", "HDFC Bank"),
        ];
        let ids: Vec<_> = cards_of(&all, "hdfc bank ")
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, vec!["a", "c"]);
        assert!(cards_of(&all, "Chase").is_empty());
    }

    #[test]
    fn step_details_name_the_rate_and_its_base() {
        assert_eq!(
            step_detail(Some("10 %, cap 1500"), Some("₹12,499.00".into())).as_deref(),
            Some("10 %, cap 1500 on ₹12,499.00")
        );
        assert_eq!(step_detail(None, Some("x".into())).as_deref(), Some("on x"));
        assert_eq!(step_detail(None, None), None);
    }

    #[test]
    fn percent_saved_is_rounded_half_away_from_zero() {
        let r = |baseline: &str, saved: &str| StackResult {
            merchant: "amazon.in".into(),
            currency: Currency::from_code("INR").expect("INR"),
            net_cost: d(baseline) - d(saved),
            paid_at_checkout: d(baseline),
            baseline: d(baseline),
            total_savings: d(saved),
            stack: summary(),
            steps: Vec::new(),
            alternatives: Vec::new(),
            unused: Vec::new(),
            suggestions: Vec::new(),
        };
        assert_eq!(percent_saved(&r("4999.00", "895.85")), Some(d("17.9")));
        assert_eq!(percent_saved(&r("200", "1")), Some(d("0.5")));
        assert_eq!(percent_saved(&r("100", "0")), None);
        assert_eq!(percent_saved(&r("0", "0")), None);
    }
}

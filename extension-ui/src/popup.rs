//! The popup: what StackSmart found on the current tab.

use engine::money::Money;
use engine::offer_text::{CardType, Offer, OfferKind};
use engine::product::{Availability, Product};
use engine::protocol::{Blocked, Request, Response, TabResult};
use engine::score::{ScoreResponse, ScoreState};
use engine::sites::{domain_matches, ungranted, with_site};
use engine::stack::page::PageStack;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{t, tr};
use crate::receipt::BestStack;
use crate::{bridge, chart, format};

/// Everything the popup can be showing.
#[derive(Debug, Clone, PartialEq)]
pub enum PopupState {
    Detecting,
    /// The page was read and holds no product.
    NoProduct {
        problems: Vec<String>,
    },
    /// The page has not been read (browser page, opened before the extension, still loading).
    NotAnalysed,
    /// StackSmart may not read the page: why, and for a shop, the one click that allows it.
    Blocked(Blocked),
    /// A product, the offers printed on its page, and its deal score.
    Found {
        product: Box<Product>,
        offers: Vec<Offer>,
        score: Option<Box<ScoreResponse>>,
        stack: Option<Box<PageStack>>,
    },
    Failed(String),
}

impl PopupState {
    pub fn from_result(result: Option<Box<TabResult>>) -> Self {
        match result {
            None => Self::NotAnalysed,
            Some(r) => {
                let TabResult {
                    detection,
                    score,
                    stack,
                    ..
                } = *r;
                match detection.product {
                    Some(p) => Self::Found {
                        product: Box::new(p),
                        offers: detection.offers,
                        score,
                        stack,
                    },
                    None => Self::NoProduct {
                        problems: detection.problems,
                    },
                }
            }
        }
    }
}

async fn load() -> PopupState {
    let tab_id = match bridge::current_tab_id().await {
        Ok(id) => id,
        Err(e) => return PopupState::Failed(e),
    };
    match bridge::request(&Request::GetTabResult { tab_id }).await {
        Ok(Response::TabResult {
            result: None,
            blocked: Some(blocked),
        }) => PopupState::Blocked(blocked),
        Ok(Response::TabResult { result, .. }) => PopupState::from_result(result),
        Ok(Response::Error(e)) => PopupState::Failed(e.message),
        Ok(other) => PopupState::Failed(format!("unexpected answer: {other:?}")),
        Err(e) => PopupState::Failed(e),
    }
}

#[component]
pub fn Popup() -> impl IntoView {
    let state = RwSignal::new(PopupState::Detecting);
    spawn_local(async move { state.set(load().await) });
    // A wallet edited in the options page shows here at once: the stack is worked out anew.
    bridge::on_local_change(engine::wallet::STORAGE_KEY, move || {
        spawn_local(async move { state.set(load().await) });
    });

    view! {
        <main class="popup" aria-live="polite">
            <header class="brand">"StackSmart"</header>
            {move || match state.get() {
                PopupState::Detecting => view! {
                    <p class="state" data-testid="detecting">{t("popupDetecting", "Looking at this page…")}</p>
                }.into_any(),
                PopupState::NotAnalysed => view! {
                    <section class="state" data-testid="not-analysed">
                        <h1>{t("popupNotAnalysedTitle", "Nothing read on this page yet")}</h1>
                        <p>{t("popupNotAnalysedHelp", "StackSmart reads shop pages as they load. Reload the page, then open StackSmart again.")}</p>
                    </section>
                }.into_any(),
                PopupState::Blocked(blocked) => view! { <NotRead blocked=blocked state=state/> }.into_any(),
                PopupState::NoProduct { problems } => view! {
                    <section class="state" data-testid="no-product">
                        <h1>{t("popupNoProductTitle", "No product found on this page")}</h1>
                        <p>{t("popupNoProductHelp", "Open a product's own page (not a search or category page) to see its price and offers.")}</p>
                        {(!problems.is_empty()).then(|| view! {
                            <details><summary>{t("popupDetails", "Details")}</summary>
                                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                            </details>
                        })}
                    </section>
                }.into_any(),
                PopupState::Found { product, offers, score, stack } => {
                    let currency = product.price.map(|p| p.currency);
                    view! {
                        <ProductCard product=*product/>
                        {stack.map(|s| view! { <BestStack stack=*s/> })}
                        <DealScore score=score.map(|s| *s)/>
                        <OffersFound offers=offers currency=currency/>
                    }.into_any()
                }
                PopupState::Failed(message) => view! {
                    <section class="state error" role="alert" data-testid="error">
                        <h1>{t("popupErrorTitle", "Something went wrong")}</h1>
                        <p>{message}</p>
                        <p>{t("popupErrorHelp", "Close and reopen the popup; if it persists, reload the page.")}</p>
                    </section>
                }.into_any(),
            }}
        </main>
    }
}

/// Where the shopper stands with the browser's answer to "Allow on <site>".
#[derive(Debug, Clone, PartialEq)]
enum Asking {
    Not,
    Waiting,
    Refused,
    Failed(String),
}

/// A page StackSmart may not read: why, and for a shop, "Allow on <site>", which asks the
/// browser for the site on this click, adds it to the settings once allowed, and shows the
/// page's result here without reopening the popup.
#[component]
fn NotRead(blocked: Blocked, state: RwSignal<PopupState>) -> impl IntoView {
    let (site, why, help) = match blocked {
        Blocked::Excluded => {
            return view! {
                <section class="state" data-testid="excluded">
                    <h1>{t("popupExcludedTitle", "StackSmart stays off this page")}</h1>
                    <p>{t("popupExcludedHelp", "It never reads banking and webmail sites, whatever the settings say.")}</p>
                </section>
            }
            .into_any();
        }
        Blocked::NotInSettings { site } => {
            let why = tr(
                "popupSiteNotInSettings",
                "Your settings leave $1 out of the sites StackSmart reads.",
                &[&site],
            );
            let help = tr(
                "popupAllowAdds",
                "Allowing it adds $1 to those sites; you can change them in the settings.",
                &[&site],
            );
            (site, why, Some(help))
        }
        Blocked::NotAllowed { site } => {
            let why = tr(
                "popupSiteNotAllowed",
                "Your settings include $1, but your browser has not allowed StackSmart to read it.",
                &[&site],
            );
            (site, why, None)
        }
    };
    let asking = RwSignal::new(Asking::Not);
    // What the browser grants, read before the click: a site it already covers (every site
    // allowed, the settings naming others) is not asked for again, since Chromium would
    // prompt for a `*://` pattern that only the two every-site grants together cover.
    let granted = RwSignal::new(Vec::<String>::new());
    spawn_local(async move {
        granted.try_set(bridge::granted_origins().await);
    });
    let wanted = site.clone();
    let allow = move |_| {
        let patterns = domain_matches(&wanted);
        let missing = ungranted(&patterns, &granted.get_untracked());
        // On the click itself, before any await: browsers only ask on a gesture.
        let request = if missing.is_empty() {
            Ok(None)
        } else {
            bridge::request_origins(&missing).map(Some).ok_or(())
        };
        asking.set(Asking::Waiting);
        let site = wanted.clone();
        spawn_local(async move {
            let granted = match request {
                Ok(None) => true,
                Ok(Some(request)) => bridge::permission_answer(request).await,
                Err(()) => false,
            };
            if !granted {
                asking.set(Asking::Refused);
                return;
            }
            // The settings follow the browser's answer, so the two agree.
            if let Err(e) = add_to_settings(&site).await {
                asking.set(Asking::Failed(e));
                return;
            }
            state.set(PopupState::Detecting);
            state.set(load().await);
        });
    };
    view! {
        <section class="state blocked" data-testid="not-read">
            <h1>{t("popupNotReadTitle", "StackSmart can't read this page yet")}</h1>
            <p data-testid="not-read-why">{why}</p>
            {help.map(|h| view! { <p>{h}</p> })}
            <button type="button" class="primary" data-testid="allow-site"
                disabled=move || asking.get() == Asking::Waiting on:click=allow>
                {tr("popupAllowOn", "Allow on $1", &[&site])}
            </button>
            {move || match asking.get() {
                Asking::Not => None,
                Asking::Waiting => Some(view! {
                    <p class="muted" role="status" data-testid="allow-waiting">{t("popupAllowWaiting", "Waiting for your browser's answer…")}</p>
                }.into_any()),
                Asking::Refused => Some(view! {
                    <p class="bad" role="alert" data-testid="allow-refused">{t("popupAllowRefused", "Your browser did not allow it, so StackSmart still does not read this site.")}</p>
                }.into_any()),
                Asking::Failed(e) => Some(view! {
                    <p class="bad" role="alert" data-testid="allow-failed">{tr("popupAllowFailed", "Allowed, but the settings could not be saved: $1", &[&e])}</p>
                }.into_any()),
            }}
        </section>
    }
    .into_any()
}

/// Adds `site` to the sites setting (nothing to change when it already holds it).
async fn add_to_settings(site: &str) -> Result<(), String> {
    let mut wallet = bridge::get_wallet().await?;
    let next = with_site(&wallet.settings.sites, site);
    if next == wallet.settings.sites {
        return Ok(());
    }
    wallet.settings.sites = next;
    bridge::save_wallet(wallet).await.map(drop)
}

#[component]
fn ProductCard(product: Product) -> impl IntoView {
    let price = product.price.as_ref().map(format::money);
    let was = product.list_price.as_ref().map(format::money);
    let availability = product.availability.map(availability_text);
    let ids: Vec<(String, String)> = [
        (t("popupBrand", "Brand"), product.brand.clone()),
        ("SKU".to_owned(), product.sku.clone()),
        ("GTIN".to_owned(), product.gtin.clone()),
        ("MPN".to_owned(), product.mpn.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();

    view! {
        <article class="product" data-testid="product">
            {product.image.clone().map(|src| view! {
                <img class="thumb" src=src alt="" width="72" height="72"/>
            })}
            <div class="facts">
                <h1 class="title" data-testid="product-title">{product.title.clone()}</h1>
                <p class="price">
                    <span data-testid="product-price">{price.unwrap_or_else(|| t("popupPriceNotShown", "Price not shown"))}</span>
                    {was.map(|w| view! { " " <s class="was" data-testid="list-price" aria-label=t("popupWas", "was")>{w}</s> })}
                </p>
                {availability.map(|a| view! { <p class="availability" data-testid="availability">{a}</p> })}
                <dl class="ids">
                    {ids.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </div>
        </article>
    }
}

/// The deal score: the number and its sentence, the honesty flags, the chart, and every
/// component folded; or, honestly, that there is not enough history yet.
#[component]
fn DealScore(score: Option<ScoreResponse>) -> impl IntoView {
    let Some(score) = score else {
        return ().into_any();
    };
    let number = score.score.map(|n| n.to_string());
    let fake = score.flags.fake_discount.clone();
    let geometry = chart::layout(&score.chart, 320.0, 90.0);
    let currency = score.chart.currency;
    let state_class = match score.state {
        ScoreState::Scored => "score scored",
        ScoreState::LimitedHistory => "score limited",
        ScoreState::NotEnoughHistory => "score none",
    };
    view! {
        <section class=state_class data-testid="deal-score" aria-label=t("popupDealScore", "Deal score")>
            <h2>
                {t("popupDealScore", "Deal score")}" "
                {match number {
                    Some(n) => view! { <span class="score-number" data-testid="score-number">{n}" / 100"</span> }.into_any(),
                    None => view! { <span class="score-number" data-testid="score-number">{t("popupNotEnoughHistory", "not enough history yet")}</span> }.into_any(),
                }}
            </h2>
            <p data-testid="score-summary">{score.summary.clone()}</p>
            {fake.map(|f| view! {
                <div class="flag" role="note" data-testid="fake-discount">
                    <strong>{t("popupFakeDiscount", "The “was” price looks inflated. ")}</strong>
                    {f.reasons.into_iter().map(|r| view! { <span>{r.message}" "</span> }).collect_view()}
                </div>
            })}
            {geometry.filter(|g| g.points > 1).map(|g| {
                let low = format::money(&Money::new(g.low, currency));
                let high = format::money(&Money::new(g.high, currency));
                view! {
                    <figure class="chart" data-testid="price-chart">
                        <svg viewBox=format!("0 0 {} {}", g.width, g.height) role="img"
                            aria-label=tr("popupChartLabel", "Price history from $1 to $2", &[&low, &high])>
                            {g.lines.into_iter().map(|l| view! {
                                <path class=format!("ref {}", l.key) d=l.d><title>{l.label}</title></path>
                            }).collect_view()}
                            {g.series.into_iter().map(|s| view! {
                                <path class=format!("series {}", s.key.replace(':', "-")) d=s.d><title>{s.label}</title></path>
                            }).collect_view()}
                        </svg>
                        <figcaption>{tr("popupChartCaption", "$1 – $2, last 12 months", &[&low, &high])}</figcaption>
                    </figure>
                }
            })}
            {(!score.components.is_empty()).then(|| view! {
                <details>
                    <summary>{t("popupHowScoreIsMade", "How this score is made")}</summary>
                    <ul class="components">
                        {score.components.into_iter().map(|c| view! {
                            <li>{c.explanation}" "<span class="points">{format!("({:+.1})", c.points)}</span></li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
            {(!score.based_on.is_empty() && score.state != ScoreState::Scored).then(|| view! {
                <p class="muted">{t("popupBasedOn", "Based on:")}" "{score.based_on.iter().map(|b| b.detail.clone()).collect::<Vec<_>>().join("; ")}</p>
            })}
        </section>
    }
    .into_any()
}

/// Offers printed on the page, read into plain words; text the engine could not read is
/// shown as written.
#[component]
fn OffersFound(offers: Vec<Offer>, currency: Option<engine::money::Currency>) -> impl IntoView {
    if offers.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="offers" data-testid="offers" aria-label={t("popupOffersTitle", "Offers on this page")}>
            <h2>{t("popupOffersTitle", "Offers on this page")}</h2>
            <ul>
                {offers.into_iter().map(|o| {
                    let headline = offer_headline(&o, currency);
                    let code = o.code.clone();
                    view! {
                        <li data-testid="offer">
                            <strong>{headline}</strong>
                            {code.map(|c| view! { " " <CopyCode code=c/> })}
                            <div class="raw">{o.raw.clone()}</div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn CopyCode(code: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = code.clone();
    view! {
        <button class="code" type="button" data-testid="copy-code"
            aria-label=tr("popupCopyCode", "Copy code $1", &[&code])
            on:click=move |_| {
                bridge::copy_text(&text);
                copied.set(true);
            }>
            <code>{code.clone()}</code>
            {move || if copied.get() { format!(" ✓ {}", t("popupCopied", "copied")) } else { format!(" {}", t("popupCopy", "copy")) }}
        </button>
    }
}

/// One line for an offer: what it is and its numbers.
pub fn offer_headline(o: &Offer, currency: Option<engine::money::Currency>) -> String {
    let money = |d: rust_decimal::Decimal| {
        o.currency
            .or(currency)
            .map_or_else(|| d.to_string(), |c| format::money(&Money::new(d, c)))
    };
    let amount = match (o.percent, o.flat_amount) {
        (Some(p), _) => tr("offerPercentOff", "$1% off", &[&p.normalize().to_string()]),
        (None, Some(f)) => tr("offerAmountOff", "$1 off", &[&money(f)]),
        _ => String::new(),
    };
    let mut parts = vec![match o.kind {
        OfferKind::BankInstantDiscount => t("offerBank", "Bank offer"),
        OfferKind::CardCashback => t("offerCardCashback", "Card cashback"),
        OfferKind::NoCostEmi => t("offerNoCostEmi", "No-cost EMI"),
        OfferKind::CouponCode => t("offerCouponCode", "Coupon code"),
        OfferKind::ClipCoupon => t("offerClipCoupon", "Clip coupon"),
        OfferKind::SubscribeSave => t("offerSubscribeSave", "Subscribe & Save"),
        // The page's earlier price: the EU "lowest in 30 days" line, or a "was" price.
        OfferKind::ReferencePrice => match o.reference_price {
            Some(r) if engine::offer_text::is_recent_low_claim(&o.raw) => tr(
                "offerLowest30d",
                "Lowest price in the last 30 days: $1",
                &[&money(r)],
            ),
            Some(r) => tr("offerEarlierPrice", "Earlier price: $1", &[&money(r)]),
            None => t("offerReferencePrice", "Reference price"),
        },
        OfferKind::FreeShippingThreshold => t("offerFreeShipping", "Free shipping"),
        OfferKind::Multibuy => t("offerMultibuy", "Multibuy"),
        OfferKind::Other => t("offerOther", "Offer"),
    }];
    if !amount.is_empty() {
        parts.push(amount);
    }
    if let Some(issuer) = &o.issuer {
        let card = match o.card_type {
            Some(CardType::Credit) => tr("offerWithCredit", "with $1 credit cards", &[issuer]),
            Some(CardType::Debit) => tr("offerWithDebit", "with $1 debit cards", &[issuer]),
            _ => tr("offerWithCards", "with $1 cards", &[issuer]),
        };
        parts.push(card);
    }
    if let Some(cap) = o.cap {
        parts.push(tr("offerUpTo", "up to $1", &[&money(cap)]));
    }
    if let Some(min) = o.min_spend {
        parts.push(tr("offerMinSpend", "on $1 or more", &[&money(min)]));
    }
    match o.emi {
        Some(true) => parts.push(t("offerEmiOnly", "EMI only")),
        Some(false) => parts.push(t("offerNotEmi", "not on EMI")),
        None => {}
    }
    parts.join(", ").replacen(", ", ": ", 1)
}

fn availability_text(a: Availability) -> String {
    match a {
        Availability::InStock => t("availInStock", "In stock"),
        Availability::OutOfStock => t("availOutOfStock", "Out of stock"),
        Availability::PreOrder => t("availPreOrder", "Pre-order"),
        Availability::BackOrder => t("availBackOrder", "Back-order"),
        Availability::LimitedAvailability => t("availLimited", "Limited availability"),
        Availability::InStoreOnly => t("availInStoreOnly", "In store only"),
        Availability::OnlineOnly => t("availOnlineOnly", "Online only"),
        Availability::Discontinued => t("availDiscontinued", "Discontinued"),
        Availability::SoldOut => t("availSoldOut", "Sold out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::detect::Detection;

    fn result(product: Option<Product>) -> TabResult {
        TabResult {
            url: "https://a.example/".into(),
            detected_at_ms: 1,
            detection: Detection {
                product,
                offers: Vec::new(),
                problems: vec!["x".into()],
            },
            score: None,
            stack: None,
        }
    }

    #[test]
    fn earlier_prices_say_which_kind_they_are() {
        use engine::offer_text::{parse_offer, OfferContext};
        // Without a currency the amount is shown as is (formatting needs the browser's Intl).
        let read = |text: &str| {
            let mut o = parse_offer(text, &OfferContext::default());
            o.currency = None;
            offer_headline(&o, None)
        };
        assert_eq!(
            read("Niedrigster Preis der letzten 30 Tage: 49,99 €"),
            "Lowest price in the last 30 days: 49.99"
        );
        assert_eq!(read("Statt 79,99 €"), "Earlier price: 79.99");
    }

    #[test]
    fn state_follows_the_stored_result() {
        assert_eq!(PopupState::from_result(None), PopupState::NotAnalysed);
        assert_eq!(
            PopupState::from_result(Some(Box::new(result(None)))),
            PopupState::NoProduct {
                problems: vec!["x".into()]
            }
        );
        let p = Product {
            title: "T".into(),
            price: None,
            availability: None,
            brand: None,
            sku: None,
            gtin: None,
            mpn: None,
            image: None,
            category: Vec::new(),
            url: "https://a.example/".into(),
            list_price: None,
            evidence: Vec::new(),
        };
        assert_eq!(
            PopupState::from_result(Some(Box::new(result(Some(p.clone()))))),
            PopupState::Found {
                product: Box::new(p),
                offers: Vec::new(),
                score: None,
                stack: None,
            }
        );
    }
}

//! The popup: what StackSmart found on the current tab.

use engine::product::{Availability, Product};
use engine::protocol::{Request, Response, TabResult};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{bridge, format};

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
    Found(Box<Product>),
    Failed(String),
}

impl PopupState {
    pub fn from_result(result: Option<Box<TabResult>>) -> Self {
        match result {
            None => Self::NotAnalysed,
            Some(r) => match r.detection.product {
                Some(p) => Self::Found(Box::new(p)),
                None => Self::NoProduct {
                    problems: r.detection.problems,
                },
            },
        }
    }
}

async fn load() -> PopupState {
    let tab_id = match bridge::current_tab_id().await {
        Ok(id) => id,
        Err(e) => return PopupState::Failed(e),
    };
    match bridge::request(&Request::GetTabResult { tab_id }).await {
        Ok(Response::TabResult { result }) => PopupState::from_result(result),
        Ok(Response::Error(e)) => PopupState::Failed(e.message),
        Ok(other) => PopupState::Failed(format!("unexpected answer: {other:?}")),
        Err(e) => PopupState::Failed(e),
    }
}

#[component]
pub fn Popup() -> impl IntoView {
    let state = RwSignal::new(PopupState::Detecting);
    spawn_local(async move { state.set(load().await) });

    view! {
        <main class="popup" aria-live="polite">
            <header class="brand">"StackSmart"</header>
            {move || match state.get() {
                PopupState::Detecting => view! {
                    <p class="state" data-testid="detecting">"Looking at this page…"</p>
                }.into_any(),
                PopupState::NotAnalysed => view! {
                    <section class="state" data-testid="not-analysed">
                        <h1>"Nothing read on this page yet"</h1>
                        <p>"StackSmart reads shop pages as they load. Reload the page, then open StackSmart again."</p>
                    </section>
                }.into_any(),
                PopupState::NoProduct { problems } => view! {
                    <section class="state" data-testid="no-product">
                        <h1>"No product found on this page"</h1>
                        <p>"Open a product's own page (not a search or category page) to see its price and offers."</p>
                        {(!problems.is_empty()).then(|| view! {
                            <details><summary>"Details"</summary>
                                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                            </details>
                        })}
                    </section>
                }.into_any(),
                PopupState::Found(product) => view! { <ProductCard product=*product/> }.into_any(),
                PopupState::Failed(message) => view! {
                    <section class="state error" role="alert" data-testid="error">
                        <h1>"Something went wrong"</h1>
                        <p>{message}</p>
                        <p>"Close and reopen the popup; if it persists, reload the page."</p>
                    </section>
                }.into_any(),
            }}
        </main>
    }
}

#[component]
fn ProductCard(product: Product) -> impl IntoView {
    let price = product.price.as_ref().map(format::money);
    let availability = product.availability.map(availability_text);
    let ids: Vec<(&'static str, String)> = [
        ("Brand", product.brand.clone()),
        ("SKU", product.sku.clone()),
        ("GTIN", product.gtin.clone()),
        ("MPN", product.mpn.clone()),
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
                <p class="price" data-testid="product-price">
                    {price.unwrap_or_else(|| "Price not shown".to_owned())}
                </p>
                {availability.map(|a| view! { <p class="availability" data-testid="availability">{a}</p> })}
                <dl class="ids">
                    {ids.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </div>
        </article>
    }
}

fn availability_text(a: Availability) -> &'static str {
    match a {
        Availability::InStock => "In stock",
        Availability::OutOfStock => "Out of stock",
        Availability::PreOrder => "Pre-order",
        Availability::BackOrder => "Back-order",
        Availability::LimitedAvailability => "Limited availability",
        Availability::InStoreOnly => "In store only",
        Availability::OnlineOnly => "Online only",
        Availability::Discontinued => "Discontinued",
        Availability::SoldOut => "Sold out",
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
        }
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
            url: "https://a.example/".into(),
            list_price: None,
            evidence: Vec::new(),
        };
        assert_eq!(
            PopupState::from_result(Some(Box::new(result(Some(p.clone()))))),
            PopupState::Found(Box::new(p))
        );
    }
}

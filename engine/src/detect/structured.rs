//! Microdata and RDFa items, and Open Graph / `product:` meta tags, turned into what the
//! JSON-LD reader already understands, so every schema.org syntax goes through one reader.

use serde_json::{Map, Value};

use crate::jsonld::{self, Found, OfferPrice, Partial};
use crate::money::Currency;
use crate::price_text::{self, PriceHint};
use crate::product::Availability;
use crate::snapshot::{Item, Syntax};

/// Rebuilds the items of one syntax as JSON-LD-shaped trees: `{"@type": …, prop: value}`,
/// child items nested under the property they are the value of, repeated properties as
/// arrays. Returns the top-level items.
pub fn items_as_json(items: &[Item], syntax: Syntax) -> Vec<Value> {
    let mut objects: Vec<Option<Map<String, Value>>> = items
        .iter()
        .map(|item| {
            (item.syntax == syntax).then(|| {
                let mut o = Map::new();
                if !item.r#type.is_empty() {
                    o.insert("@type".into(), Value::String(item.r#type.clone()));
                }
                for (name, value) in &item.props {
                    add(&mut o, local_name(name), Value::String(value.clone()));
                }
                o
            })
        })
        .collect();
    let mut roots = Vec::new();
    // Children come after their parents (the snapshot guarantees it): attach from the end.
    for i in (0..items.len()).rev() {
        let Some(object) = objects[i].take() else {
            continue;
        };
        let item = &items[i];
        let parent = item
            .parent
            .filter(|&p| p < i && objects[p].is_some() && item.prop.is_some());
        match (parent, &item.prop) {
            (Some(p), Some(prop)) => {
                if let Some(parent) = objects[p].as_mut() {
                    add_first(parent, local_name(prop), Value::Object(object));
                }
            }
            _ => roots.push(Value::Object(object)),
        }
    }
    roots.reverse();
    roots
}

/// [`add`] for child items, which are attached last one first: in front, so repeated child
/// items (a trail's entries, a product's offers) keep the page's order.
fn add_first(o: &mut Map<String, Value>, key: &str, value: Value) {
    match o.get_mut(key) {
        None => {
            o.insert(key.to_owned(), value);
        }
        Some(Value::Array(a)) => a.insert(0, value),
        Some(existing) => {
            let last = existing.take();
            *existing = Value::Array(vec![value, last]);
        }
    }
}

/// `schema:price`, `http://schema.org/price` → `price`.
fn local_name(name: &str) -> &str {
    name.rsplit(['/', ':', '#']).next().unwrap_or(name)
}

fn add(o: &mut Map<String, Value>, key: &str, value: Value) {
    match o.get_mut(key) {
        None => {
            o.insert(key.to_owned(), value);
        }
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// The products the page's microdata or RDFa describe.
pub fn from_items(
    items: &[Item],
    syntax: Syntax,
    page_url: &str,
    canonical: Option<&str>,
    headlines: &[&str],
) -> Found {
    let roots = items_as_json(items, syntax);
    jsonld::find(&roots, page_url, canonical, headlines)
}

/// What the page's meta tags say: Open Graph (`og:title`, `og:image`, `og:price:amount`),
/// Facebook's `product:` tags (`product:price:amount`, `product:availability`,
/// `product:brand`, `product:retailer_item_id`) and a few bare names.
pub fn from_meta(meta: &[(String, String)], page_url: &str) -> Option<Partial> {
    let get = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| {
            meta.iter()
                .find(|(key, v)| key == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let is_product = get(&["og:type"]).is_some_and(|t| t.to_lowercase().contains("product"));
    let amount_text = get(&[
        "product:price:amount",
        "og:price:amount",
        "product:sale_price:amount",
        "price",
    ]);
    let currency = get(&["product:price:currency", "og:price:currency"])
        .and_then(|c| Currency::from_code(c.trim()).ok());
    let parsed = amount_text
        .as_deref()
        .map(|t| price_text::parse_price(t, &PriceHint::default()));
    let amount = parsed.as_ref().and_then(|p| p.amount);
    let availability = get(&["product:availability", "og:availability"]).and_then(|a| {
        Availability::parse(&a).or_else(|| match a.to_lowercase().as_str() {
            "oos" | "out of stock" | "sold out" => Some(Availability::OutOfStock),
            "in stock" | "available for order" => Some(Availability::InStock),
            "pending" | "preorder" => Some(Availability::PreOrder),
            _ => None,
        })
    });
    let brand = get(&["product:brand", "og:brand", "brand"]);
    let sku = get(&["product:retailer_item_id", "product:sku", "sku"]);
    let gtin = get(&[
        "product:ean",
        "product:gtin",
        "product:upc",
        "product:isbn",
        "gtin",
    ])
    .and_then(|g| jsonld::normalise_gtin(&g));
    let mpn = get(&["product:mfr_part_no", "mpn"]);
    if amount.is_none() && !is_product && brand.is_none() && sku.is_none() {
        return None;
    }
    let offers = amount
        .map(|amount| OfferPrice {
            amount,
            currency: currency.or(parsed.and_then(|p| p.currency)),
            availability,
        })
        .into_iter()
        .collect();
    Some(Partial {
        title: get(&["og:title", "twitter:title"]),
        offers,
        list_amount: get(&["product:original_price:amount"])
            .and_then(|t| price_text::parse_price(&t, &PriceHint::default()).amount),
        brand,
        sku,
        gtin,
        mpn,
        image: get(&[
            "og:image",
            "og:image:url",
            "og:image:secure_url",
            "twitter:image",
        ])
        .map(|u| jsonld::resolve_url(page_url, &u)),
        url: get(&["og:url"])
            .map(|u| jsonld::resolve_url(page_url, &u))
            .unwrap_or_else(|| page_url.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(
        syntax: Syntax,
        t: &str,
        parent: Option<usize>,
        prop: Option<&str>,
        props: &[(&str, &str)],
    ) -> Item {
        Item {
            syntax,
            r#type: t.into(),
            parent,
            prop: prop.map(Into::into),
            props: props
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn microdata_items_nest_and_read_as_schema_org() {
        let items = vec![
            item(
                Syntax::Microdata,
                "https://schema.org/Product",
                None,
                None,
                &[("name", "Casio watch"), ("sku", "14347")],
            ),
            item(
                Syntax::Microdata,
                "https://schema.org/Brand",
                Some(0),
                Some("brand"),
                &[("name", "Casio")],
            ),
            item(
                Syntax::Microdata,
                "https://schema.org/Offer",
                Some(0),
                Some("offers"),
                &[
                    ("price", "259,00 €"),
                    ("availability", "http://schema.org/InStock"),
                ],
            ),
            item(
                Syntax::Rdfa,
                "schema:Product",
                None,
                None,
                &[("schema:name", "Other")],
            ),
        ];
        let found = from_items(
            &items,
            Syntax::Microdata,
            "https://shop.example/p",
            None,
            &[],
        );
        let p = found.partials.first().expect("a product");
        assert_eq!(p.title.as_deref(), Some("Casio watch"));
        assert_eq!(p.brand.as_deref(), Some("Casio"));
        assert_eq!(p.sku.as_deref(), Some("14347"));
        assert_eq!(p.offers[0].amount.to_string(), "259.00");
        assert_eq!(p.offers[0].currency.map(Currency::code), Some("EUR"));
        assert_eq!(p.offers[0].availability, Some(Availability::InStock));
        let rdfa = from_items(&items, Syntax::Rdfa, "https://shop.example/p", None, &[]);
        assert_eq!(rdfa.partials[0].title.as_deref(), Some("Other"));
    }

    #[test]
    fn meta_tags_give_a_priced_product() {
        let meta: Vec<(String, String)> = [
            ("og:type", "product"),
            ("og:title", "Kettle"),
            ("product:price:amount", "34.99"),
            ("product:price:currency", "GBP"),
            ("product:availability", "oos"),
        ]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
        let p = from_meta(&meta, "https://shop.example/k").expect("product");
        assert_eq!(p.offers[0].amount.to_string(), "34.99");
        assert_eq!(p.offers[0].availability, Some(Availability::OutOfStock));
        assert!(from_meta(&[("og:title".into(), "Home".into())], "https://a.example/").is_none());
    }
}

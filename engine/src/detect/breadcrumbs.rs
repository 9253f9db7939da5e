//! The product's category as the page's breadcrumb trail shows it (`Electronics › Mobiles ›
//! Smartphones`): schema.org `BreadcrumbList` in JSON-LD, microdata or RDFa first, else the
//! trail the page shows. The home link in front (`Home`, or the shop's own name) and the
//! product itself at the end are no category, and are left out.

use serde_json::Value;

use crate::jsonld::{self, type_names};
use crate::merchant;
use crate::product::Source;
use crate::snapshot::{Item, Syntax, MAX_CRUMBS};

use super::structured::items_as_json;

/// Deepest JSON nesting searched for a trail.
const MAX_DEPTH: usize = 8;
/// Longer entries are sentences or product names, not categories.
const MAX_ENTRY_CHARS: usize = 100;
/// What a trail's first entry says when it is the shop's home page or its whole catalogue.
#[rustfmt::skip]
const HOME: &[&str] = &[
    "home", "homepage", "home page", "start", "startseite", "accueil", "inicio", "início",
    "pagina iniziale", "strona główna", "главная", "hem", "forside", "etusivu", "úvod", "首页",
    "首頁", "ホーム", "products", "all products", "categories", "all categories", "shop",
    "produkte", "produits", "productos", "prodotti", "produkty", "categorías", "kategorie",
];
/// What shops put between entries, sometimes inside an entry's text (`Fashion›`).
const SEPARATORS: &[char] = &[
    '/', '\\', '|', '>', '›', '»', '‹', '«', '·', '•', '→', '-', '…',
];

/// The trail and where it came from, with the detector's confidence in it.
pub(super) fn category(
    json_ld: &[Value],
    items: &[Item],
    visible: &[String],
    title: &str,
    url: &str,
) -> Option<(Source, Vec<String>, u8)> {
    let clean = |raw: Vec<String>| clean(raw, title, url);
    let structured = [
        (Source::JsonLd, json_ld.to_vec()),
        (Source::Microdata, items_as_json(items, Syntax::Microdata)),
        (Source::Rdfa, items_as_json(items, Syntax::Rdfa)),
    ];
    for (source, values) in structured {
        let mut lists = Vec::new();
        for v in &values {
            find_lists(v, 0, &mut lists);
        }
        if let Some(trail) = lists
            .into_iter()
            .map(|l| clean(entries(l)))
            .find(|t| !t.is_empty())
        {
            return Some((source, trail, 90));
        }
    }
    let trail = clean(visible.to_vec());
    (!trail.is_empty()).then_some((Source::Page, trail, 70))
}

/// Every `BreadcrumbList` object, where pages put them: top level, `@graph`, a page's
/// `breadcrumb`.
fn find_lists<'a>(
    value: &'a Value,
    depth: usize,
    out: &mut Vec<&'a serde_json::Map<String, Value>>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(a) => a.iter().for_each(|v| find_lists(v, depth + 1, out)),
        Value::Object(o) => {
            if type_names(o).contains(&"BreadcrumbList") {
                out.push(o);
                return;
            }
            for key in ["@graph", "breadcrumb", "mainEntityOfPage", "isPartOf"] {
                if let Some(v) = o.get(key) {
                    find_lists(v, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// A list's entry names in `position` order (entries without one keep their place after
/// those with one).
fn entries(list: &serde_json::Map<String, Value>) -> Vec<String> {
    let elements = match list.get("itemListElement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let mut named: Vec<(Option<f64>, String)> = elements
        .into_iter()
        .filter_map(|e| {
            let name = e.get("name").and_then(jsonld::text_of).or_else(|| {
                e.get("item")
                    .and_then(|i| i.get("name"))
                    .and_then(jsonld::text_of)
            })?;
            let position = match e.get("position") {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            Some((position, name))
        })
        .collect();
    // Positions only order the entries; they are small whole numbers in practice.
    named.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    named.into_iter().map(|(_, n)| n).collect()
}

/// Trimmed, entities decoded, separators at the ends cut off; without empty or overlong
/// entries, repeats, the home link in front and the product at the end.
fn clean(raw: Vec<String>, title: &str, url: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in raw {
        let e = jsonld::decode_entities(&e)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let e = e
            .trim_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(&c))
            .to_owned();
        if e.is_empty() || e.chars().count() > MAX_ENTRY_CHARS || out.last() == Some(&e) {
            continue;
        }
        out.push(e);
    }
    if out.first().is_some_and(|f| is_home(f, url)) {
        out.remove(0);
    }
    let is_product =
        |e: &String| e.eq_ignore_ascii_case(title.trim()) || jsonld::same_name(e, title);
    if out.last().is_some_and(is_product) {
        out.pop();
    }
    out.truncate(MAX_CRUMBS);
    out
}

/// `Home`, or the shop's own name (`Leroy Merlin` on leroymerlin.pl, `Nay.sk` on nay.sk).
fn is_home(entry: &str, url: &str) -> bool {
    let lower = entry.to_lowercase();
    if HOME.contains(&lower.as_str()) {
        return true;
    }
    let letters: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    let shop = merchant::registrable_domain(url)
        .and_then(|d| d.split('.').next().map(str::to_owned))
        .map(|label| label.replace('-', ""))
        .filter(|label| label.len() >= 3);
    shop.is_some_and(|label| letters.contains(&label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn json_ld_lists_are_read_in_position_order_without_home_and_product() {
        let page = json!({"@context": "https://schema.org", "@graph": [
            {"@type": "WebPage", "name": "x"},
            {"@type": "BreadcrumbList", "itemListElement": [
                {"@type": "ListItem", "position": 3, "name": "Smartphones"},
                {"@type": "ListItem", "position": "1", "item": {"@id": "/", "name": "Home"}},
                {"@type": "ListItem", "position": 2, "name": "Mobiles &amp; Accessories"},
                {"@type": "ListItem", "position": 4, "name": "Apple iPhone 15 (128 GB) - Black"}
            ]}
        ]});
        let got = category(
            &[page],
            &[],
            &strings(&["Shop", "Other"]),
            "Apple iPhone 15 (128 GB) - Black",
            "https://www.shop.example/p/1",
        );
        assert_eq!(
            got,
            Some((
                Source::JsonLd,
                strings(&["Mobiles & Accessories", "Smartphones"]),
                90
            ))
        );
    }

    #[test]
    fn the_visible_trail_stands_in_when_there_is_no_list() {
        let visible = strings(&[
            "Startseite",
            "Garten",
            "Garten  Werkzeug",
            "Garten  Werkzeug",
        ]);
        let got = category(
            &[json!({"@type": "Product", "name": "Spaten"})],
            &[],
            &visible,
            "Spaten",
            "https://garten.example/spaten",
        );
        assert_eq!(
            got,
            Some((Source::Page, strings(&["Garten", "Garten Werkzeug"]), 70))
        );
        assert_eq!(
            category(&[], &[], &strings(&["Home"]), "x", "https://a.example/"),
            None,
            "nothing left"
        );
        let shop = strings(&["‹ Leroy Merlin", "Łazienka ›", "WC…", "…"]);
        let got = category(&[], &[], &shop, "Miska", "https://www.leroymerlin.pl/p/1");
        assert_eq!(
            got,
            Some((Source::Page, strings(&["Łazienka", "WC"]), 70)),
            "the shop's own name is its home link"
        );
    }

    #[test]
    fn microdata_lists_count_as_structured() {
        use crate::snapshot::Item;
        let list = Item {
            syntax: Syntax::Microdata,
            r#type: "https://schema.org/BreadcrumbList".into(),
            ..Item::default()
        };
        let entry = |pos: &str, name: &str| Item {
            syntax: Syntax::Microdata,
            r#type: "https://schema.org/ListItem".into(),
            parent: Some(0),
            prop: Some("itemListElement".into()),
            props: vec![
                ("position".into(), pos.into()),
                ("name".into(), name.into()),
            ],
        };
        // Without positions, the page's order holds.
        let unnumbered = |name: &str| Item {
            props: vec![("name".into(), name.into())],
            ..entry("", name)
        };
        let items = vec![
            list.clone(),
            unnumbered("Libri"),
            unnumbered("Ragazzi"),
            unnumbered("10-13 anni"),
        ];
        let got = category(&[], &items, &[], "Gnone", "https://books.example/g");
        assert_eq!(
            got,
            Some((
                Source::Microdata,
                strings(&["Libri", "Ragazzi", "10-13 anni"]),
                90
            ))
        );
        let items = vec![list, entry("2", "Books"), entry("1", "Home")];
        let got = category(&[], &items, &[], "A novel", "https://books.example/n");
        assert_eq!(got, Some((Source::Microdata, strings(&["Books"]), 90)));
    }
}

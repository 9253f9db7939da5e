//! The typed product the extension shows for a page.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// schema.org `ItemAvailability`, reduced to the values shops use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Availability {
    InStock,
    OutOfStock,
    PreOrder,
    BackOrder,
    LimitedAvailability,
    InStoreOnly,
    OnlineOnly,
    Discontinued,
    SoldOut,
}

impl Availability {
    /// Reads `https://schema.org/InStock`, `http://schema.org/InStock`, `InStock`,
    /// `schema:InStock`, `in stock`, … case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let last = t.rsplit(['/', ':']).next().unwrap_or(t);
        let key: String = last
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "instock" => Self::InStock,
            "outofstock" => Self::OutOfStock,
            "preorder" | "presale" => Self::PreOrder,
            "backorder" => Self::BackOrder,
            "limitedavailability" => Self::LimitedAvailability,
            "instoreonly" => Self::InStoreOnly,
            "onlineonly" => Self::OnlineOnly,
            "discontinued" => Self::Discontinued,
            "soldout" => Self::SoldOut,
            _ => return None,
        })
    }

    /// Whether a shopper can buy it now (online or in a shop).
    pub fn can_buy(self) -> bool {
        matches!(
            self,
            Self::InStock
                | Self::LimitedAvailability
                | Self::InStoreOnly
                | Self::OnlineOnly
                | Self::PreOrder
                | Self::BackOrder
        )
    }
}

/// A product as detected on a page. Every field but the title may be unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// The "was" / list / RRP price the page shows beside the price (always above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The category trail the page's breadcrumbs show (`Mobiles`, `Smartphones`), the home
    /// link and the product itself left out; empty when the page shows none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// The product's own address (JSON-LD `url`, else the canonical URL, else the page URL).
    pub url: String,
    /// Where each field came from and how sure the detector is of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// Which part of the page a field was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    JsonLd,
    Microdata,
    Rdfa,
    /// Open Graph / `product:` meta tags.
    Meta,
    /// The visible page: heading, price texts, stock notices, buy buttons.
    Page,
    /// A product-details table (`SKU: …`, `EAN: …`).
    Details,
    /// Not stated, inferred (a price and a buy button, no out-of-stock notice → in stock).
    Inferred,
    /// The page address (a product id in the URL).
    Url,
}

/// One field's provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `title`, `price`, `list_price`, `availability`, `brand`, `sku`, `gtin`, `mpn`, `image`,
    /// `category`.
    pub field: String,
    pub source: Source,
    /// 0–100: how sure the detector is (structured data agreeing with the visible page is
    /// near 100; a lone visible guess is low).
    pub confidence: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_reads_every_spelling_sites_use() {
        for text in [
            "https://schema.org/InStock",
            "http://schema.org/InStock",
            "InStock",
            "schema:InStock",
            "in stock",
            " IN_STOCK ",
        ] {
            assert_eq!(
                Availability::parse(text),
                Some(Availability::InStock),
                "{text}"
            );
        }
        assert_eq!(
            Availability::parse("http://schema.org/OutOfStock"),
            Some(Availability::OutOfStock)
        );
        assert_eq!(Availability::parse("maybe"), None);
        assert!(!Availability::SoldOut.can_buy());
        assert!(Availability::PreOrder.can_buy());
    }
}

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
    /// The product's own address (JSON-LD `url`, else the canonical URL, else the page URL).
    pub url: String,
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

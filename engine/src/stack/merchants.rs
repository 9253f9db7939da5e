//! Merchant profiles shipped as data (`engine/data/merchants.json`), keyed by registrable
//! domain (`amazon.in`; the URL → domain step lives in `crate::merchant`), and the documented
//! default profile for every other shop.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::model::{
    GiftCardPortalPolicy, MerchantProfile, Rounding, RoundingAllocation, RoundingMode,
    ThresholdBase,
};

const MERCHANTS_JSON: &str = include_str!("../../data/merchants.json");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantData {
    pub about: String,
    pub merchants: Vec<MerchantProfile>,
}

pub fn load() -> Result<&'static MerchantData, &'static str> {
    static DATA: OnceLock<Result<MerchantData, String>> = OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(MERCHANTS_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// The profile for a shop without one. Cautious where terms vary: a code the portal does not
/// list voids portal cashback, gift-card-paid parts earn no cashback, minimums and free
/// shipping test the post-discount subtotal, one card per order, discounts rounded half-up on
/// the order, and no category bonus (`general`).
pub fn default_profile(domain: &str) -> MerchantProfile {
    MerchantProfile {
        domain: domain.to_owned(),
        name: String::new(),
        reward_category: "general".into(),
        rounding: Rounding {
            allocation: RoundingAllocation::PerOrder,
            mode: RoundingMode::HalfUp,
        },
        outside_coupon_voids_portal: true,
        gift_card_portal_policy: GiftCardPortalPolicy::ExcludeGiftCardPart,
        min_spend_base: ThresholdBase::PostDiscount,
        free_shipping_base: ThresholdBase::PostDiscount,
        allows_split_payment: false,
        country: None,
        source: None,
        valid_as_of: None,
        verified: false,
        notes: Some("default profile: no shipped data for this domain".into()),
    }
}

/// The shipped profile for a registrable domain (case-insensitive, `www.` ignored), else the
/// default profile.
pub fn profile_for_domain(domain: &str) -> MerchantProfile {
    let lower = domain.trim().to_ascii_lowercase();
    let d = lower.trim_start_matches("www.");
    load()
        .ok()
        .and_then(|m| m.merchants.iter().find(|p| p.domain == d))
        .cloned()
        .unwrap_or_else(|| default_profile(d))
}

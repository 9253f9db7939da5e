//! The shopper's wallet and settings as the extension stores them (`storage.local["wallet"]`,
//! and later synced end-to-end encrypted): one versioned document, its migrations, import and
//! export with errors that say what is wrong and where, and what the stack optimizer needs
//! from it for one merchant. Never card numbers: a card is a catalogue entry or its rules.
//!
//! Schema history (`schema`):
//! - 1: the `wallet` object of a stack request (docs/engine-api.md): `cards`, `gift_cards`,
//!   `memberships`, `point_values`, no `schema` field. Accepted on import and migrated.
//! - 2: this module's [`WalletDoc`]: names, expiry dates, enrolled card offers, portals,
//!   gift-card sellers, loyalty accounts, the point valuation and the settings.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::merchant::registrable_domain;
use crate::money::Currency;
use crate::stack::{
    self, catalogue, CardRules, Date, GiftCardDeal, LinkedValue, Loyalty, Offer, OfferKind, Portal,
    Rate, Valuation,
};

/// The schema this build writes.
pub const SCHEMA: u32 = 2;
/// The `storage.local` key of the document.
pub const STORAGE_KEY: &str = "wallet";
/// Largest import accepted: a wallet is a few KB; this refuses pasted junk early.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024;
/// Entries per list: far above any real wallet, low enough to keep storage and sync small.
pub const MAX_ENTRIES: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletDoc {
    pub schema: u32,
    #[serde(default)]
    pub cards: Vec<Card>,
    #[serde(default)]
    pub gift_cards: Vec<GiftCard>,
    /// Memberships held (`amazon-prime`, `target-circle`); loyalty offers check them.
    #[serde(default)]
    pub memberships: Vec<String>,
    #[serde(default)]
    pub loyalty: Vec<LoyaltyAccount>,
    /// Card-linked offers the shopper enrolled a card in.
    #[serde(default)]
    pub card_offers: Vec<EnrolledOffer>,
    /// Cashback portals the shopper uses, with their rate per merchant.
    #[serde(default)]
    pub portals: Vec<PortalRate>,
    /// Where the shopper buys discounted gift cards for a merchant.
    #[serde(default)]
    pub gift_card_sources: Vec<GiftCardSource>,
    #[serde(default)]
    pub valuation: PointValuation,
    #[serde(default)]
    pub settings: UserSettings,
    /// Last change, in ms since the Unix epoch (sync keeps the newer document).
    #[serde(default)]
    pub updated_at_ms: u64,
}

impl Default for WalletDoc {
    fn default() -> Self {
        Self {
            schema: SCHEMA,
            cards: Vec::new(),
            gift_cards: Vec::new(),
            memberships: Vec::new(),
            loyalty: Vec::new(),
            card_offers: Vec::new(),
            portals: Vec::new(),
            gift_card_sources: Vec::new(),
            valuation: PointValuation::default(),
            settings: UserSettings::default(),
            updated_at_ms: 0,
        }
    }
}

/// A card: a catalogue entry (`catalogue`) or rules of the shopper's own (`rules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub id: String,
    /// What the shopper calls it; the catalogue name when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<CardRules>,
    /// Spend already counted against each bonus category's cap this period.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cap_used: BTreeMap<String, Decimal>,
}

impl Card {
    /// The card's rules: its own, else the catalogue's.
    pub fn rules(&self) -> Option<&CardRules> {
        self.rules
            .as_ref()
            .or_else(|| Some(&catalogue::card(self.catalogue.as_deref()?)?.rules))
    }

    /// The name to show: nickname, else the rules' name, else the id.
    pub fn display_name(&self) -> String {
        if !self.nickname.trim().is_empty() {
            return self.nickname.trim().to_owned();
        }
        match self.rules() {
            Some(r) if !r.name.is_empty() => r.name.clone(),
            _ => self.id.clone(),
        }
    }
}

/// A gift card's balance for one merchant. The code is kept only when the shopper asks for it,
/// and then only in this document (storage.local on this device, and the encrypted sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GiftCard {
    pub id: String,
    /// Registrable domain it is spent at (`amazon.in`).
    pub merchant: String,
    pub balance: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A store loyalty account: a membership, and what it returns where the shopper knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyAccount {
    pub id: String,
    pub merchant: String,
    pub programme: String,
    /// Value back in percent of pre-tax merchandise (e.g. "1" for 1 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_balance: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolledOffer {
    pub id: String,
    /// The wallet card enrolled (`cards[].id`).
    pub card: String,
    pub merchant: String,
    pub value: LinkedValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    #[serde(default)]
    pub payout_delay_days: u32,
    /// Its one credit was already earned.
    #[serde(default)]
    pub used: bool,
    /// The terms as the shopper copied them, shown beside the offer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub terms: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalRate {
    pub id: String,
    /// The portal's name (`Rakuten`, `CashKaro`).
    pub name: String,
    pub merchant: String,
    pub rate: Rate,
    #[serde(default)]
    pub payout_delay_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GiftCardSource {
    pub id: String,
    pub seller: String,
    pub merchant: String,
    pub discount_percent: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_face: Option<Decimal>,
}

/// What a point is worth: a published table (or the conservative floor), with the shopper's
/// own values per programme on top.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointValuation {
    #[serde(default)]
    pub table: Valuation,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    /// Currency to show totals in when it differs from the product's (none: the product's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_currency: Option<Currency>,
    /// BCP 47 locale for numbers (none: the browser's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Percent taken off payouts that arrive later (portal cashback, delayed credits).
    #[serde(default)]
    pub delayed_payout_haircut_percent: Decimal,
    /// Show the saving badge on product pages.
    #[serde(default = "yes")]
    pub badge: bool,
    /// The shopper pays by EMI (picks EMI bank-offer variants).
    #[serde(default)]
    pub emi: bool,
    #[serde(default)]
    pub sites: SiteAccess,
    /// How far the deal score trusts prices read from a shop, in percent, by domain
    /// (`ebay.de`) or name (`ebay`); shops not listed keep the defaults of
    /// `engine::score::RELIABILITY` (docs/score.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub merchant_trust_percent: BTreeMap<String, Decimal>,
}

impl UserSettings {
    /// The trust settings as the score's reliability overrides (0–1).
    pub fn reliability_overrides(&self) -> BTreeMap<String, f64> {
        use rust_decimal::prelude::ToPrimitive;
        self.merchant_trust_percent
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), (v / Decimal::ONE_HUNDRED).to_f64()?)))
            .collect()
    }
}

impl Default for UserSettings {
    fn default() -> Self {
        Self {
            display_currency: None,
            locale: None,
            delayed_payout_haircut_percent: Decimal::ZERO,
            badge: true,
            emi: false,
            sites: SiteAccess::default(),
            merchant_trust_percent: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Which sites the extension reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum SiteAccess {
    #[default]
    All,
    /// Only these registrable domains.
    List {
        sites: Vec<String>,
    },
    None,
}

/// An import or a stored document that cannot be used: what is wrong and where (a JSON path
/// such as `cards[1].catalogue`, or `document` for the whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{path}: {message}")]
pub struct ImportError {
    pub path: String,
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error inside a larger document (`cards[1]` → `wallet.cards[1]`).
    pub(crate) fn within(self, part: &str) -> Self {
        let path = if self.path == "document" {
            part.to_owned()
        } else {
            format!("{part}.{}", self.path)
        };
        Self { path, ..self }
    }
}

/// Reads a wallet file (any schema this build knows), migrates and validates it. The caller
/// replaces its wallet only on `Ok`, so a bad file changes nothing.
pub fn import(text: &str) -> Result<WalletDoc, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::new(
            "document",
            format!(
                "the file is {} KB; a wallet is at most {} KB",
                text.len() / 1024,
                MAX_IMPORT_BYTES / 1024
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::new(
            "document",
            format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
        )
    })?;
    from_value(value)
}

/// Reads a stored or imported document: migrates older schemas, then checks it.
pub fn from_value(value: Value) -> Result<WalletDoc, ImportError> {
    let Value::Object(object) = value else {
        return Err(ImportError::new(
            "document",
            "expected a JSON object (a StackSmart wallet export)",
        ));
    };
    let migrated = migrate(object)?;
    let doc: WalletDoc =
        serde_path_to_error::deserialize(Value::Object(migrated)).map_err(|e| {
            let path = e.path().to_string();
            ImportError::new(
                if path == "." { "document".into() } else { path },
                e.into_inner().to_string(),
            )
        })?;
    validate(doc)
}

/// The document as a file: pretty JSON, the current schema.
pub fn export(doc: &WalletDoc) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into())
}

/// Brings an object of any known schema to [`SCHEMA`], one step at a time.
fn migrate(mut object: Map<String, Value>) -> Result<Map<String, Value>, ImportError> {
    let schema = match object.get("schema") {
        None => 1,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| ImportError::new("schema", format!("`{v}` is not a schema number")))?,
    };
    if schema > SCHEMA {
        return Err(ImportError::new(
            "schema",
            format!(
                "this wallet was written by a newer StackSmart (schema {schema}; this one reads up to {SCHEMA}): update the extension first"
            ),
        ));
    }
    if schema == 1 {
        object = migrate_1_to_2(object)?;
    }
    Ok(object)
}

/// Schema 1 (a stack request's `wallet`) → 2: gift cards get ids, `point_values` become the
/// custom valuation; the rest keeps its shape.
fn migrate_1_to_2(mut v1: Map<String, Value>) -> Result<Map<String, Value>, ImportError> {
    const KNOWN: [&str; 4] = ["cards", "gift_cards", "memberships", "point_values"];
    if let Some(unknown) = v1.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ImportError::new(
            unknown.clone(),
            format!(
                "unknown field in a wallet without `schema` (expected {}, or a StackSmart export with `schema`)",
                KNOWN.join(", ")
            ),
        ));
    }
    let mut v2 = Map::new();
    v2.insert("schema".into(), Value::from(2));
    if let Some(cards) = v1.remove("cards") {
        v2.insert("cards".into(), cards);
    }
    if let Some(gift_cards) = v1.remove("gift_cards") {
        let Value::Array(list) = gift_cards else {
            return Err(ImportError::new("gift_cards", "expected a list"));
        };
        let mut out = Vec::with_capacity(list.len());
        for (i, g) in list.into_iter().enumerate() {
            let Value::Object(mut g) = g else {
                return Err(ImportError::new(
                    format!("gift_cards[{i}]"),
                    "expected an object",
                ));
            };
            g.entry("id")
                .or_insert_with(|| Value::from(format!("gift-{}", i + 1)));
            out.push(Value::Object(g));
        }
        v2.insert("gift_cards".into(), Value::Array(out));
    }
    if let Some(m) = v1.remove("memberships") {
        v2.insert("memberships".into(), m);
    }
    if let Some(pv) = v1.remove("point_values") {
        v2.insert("valuation".into(), serde_json::json!({ "custom": pv }));
    }
    Ok(v2)
}

/// Checks what the types cannot: ids unique and referenced ones present, catalogue cards
/// known, amounts sensible, merchants real domains (normalised to registrable domains).
pub fn validate(mut doc: WalletDoc) -> Result<WalletDoc, ImportError> {
    if doc.schema != SCHEMA {
        return Err(ImportError::new(
            "schema",
            format!("expected {SCHEMA}, found {}", doc.schema),
        ));
    }
    let lists = [
        ("cards", doc.cards.len()),
        ("gift_cards", doc.gift_cards.len()),
        ("memberships", doc.memberships.len()),
        ("loyalty", doc.loyalty.len()),
        ("card_offers", doc.card_offers.len()),
        ("portals", doc.portals.len()),
        ("gift_card_sources", doc.gift_card_sources.len()),
    ];
    for (name, len) in lists {
        if len > MAX_ENTRIES {
            return Err(ImportError::new(
                name,
                format!("{len} entries; at most {MAX_ENTRIES}"),
            ));
        }
    }
    let mut ids = BTreeSet::new();
    for (i, card) in doc.cards.iter().enumerate() {
        let at = |f: &str| format!("cards[{i}].{f}");
        check_id(&card.id, &at("id"))?;
        if !ids.insert(card.id.as_str()) {
            return Err(ImportError::new(
                at("id"),
                format!("`{}` is used by two cards", card.id),
            ));
        }
        match (&card.catalogue, &card.rules) {
            (None, None) => {
                return Err(ImportError::new(
                    format!("cards[{i}]"),
                    "a card needs `catalogue` (a catalogue card id) or `rules`",
                ))
            }
            (Some(c), _) if catalogue::card(c).is_none() => {
                return Err(ImportError::new(
                    at("catalogue"),
                    format!("no card `{c}` in the catalogue"),
                ))
            }
            _ => {}
        }
        for (category, used) in &card.cap_used {
            non_negative(*used, &format!("cards[{i}].cap_used.{category}"))?;
        }
    }
    for (i, g) in doc.gift_cards.iter_mut().enumerate() {
        check_id(&g.id, &format!("gift_cards[{i}].id"))?;
        g.merchant = merchant(&g.merchant, &format!("gift_cards[{i}].merchant"))?;
        non_negative(g.balance, &format!("gift_cards[{i}].balance"))?;
    }
    unique(doc.gift_cards.iter().map(|g| &g.id), "gift_cards")?;
    for (i, m) in doc.memberships.iter().enumerate() {
        check_id(m, &format!("memberships[{i}]"))?;
    }
    for (i, l) in doc.loyalty.iter_mut().enumerate() {
        check_id(&l.id, &format!("loyalty[{i}].id"))?;
        l.merchant = merchant(&l.merchant, &format!("loyalty[{i}].merchant"))?;
        check_id(&l.programme, &format!("loyalty[{i}].programme"))?;
        if let Some(p) = l.percent {
            percent(p, &format!("loyalty[{i}].percent"))?;
        }
    }
    unique(doc.loyalty.iter().map(|l| &l.id), "loyalty")?;
    for (i, o) in doc.card_offers.iter_mut().enumerate() {
        check_id(&o.id, &format!("card_offers[{i}].id"))?;
        if !ids.contains(o.card.as_str()) {
            return Err(ImportError::new(
                format!("card_offers[{i}].card"),
                format!("no card `{}` in this wallet", o.card),
            ));
        }
        o.merchant = merchant(&o.merchant, &format!("card_offers[{i}].merchant"))?;
        let at = format!("card_offers[{i}].value");
        match o.value {
            LinkedValue::SpendGet { min_spend, credit } => {
                non_negative(min_spend, &at)?;
                positive(credit, &at)?;
            }
            LinkedValue::PercentBack { percent: p, cap } => {
                percent(p, &at)?;
                if let Some(c) = cap {
                    positive(c, &at)?;
                }
            }
        }
    }
    unique(doc.card_offers.iter().map(|o| &o.id), "card_offers")?;
    for (i, p) in doc.portals.iter_mut().enumerate() {
        check_id(&p.id, &format!("portals[{i}].id"))?;
        p.merchant = merchant(&p.merchant, &format!("portals[{i}].merchant"))?;
        match p.rate {
            Rate::Percent(r) => percent(r, &format!("portals[{i}].rate"))?,
            Rate::Fixed(r) => positive(r, &format!("portals[{i}].rate"))?,
        }
    }
    unique(doc.portals.iter().map(|p| &p.id), "portals")?;
    for (i, s) in doc.gift_card_sources.iter_mut().enumerate() {
        check_id(&s.id, &format!("gift_card_sources[{i}].id"))?;
        s.merchant = merchant(&s.merchant, &format!("gift_card_sources[{i}].merchant"))?;
        percent(
            s.discount_percent,
            &format!("gift_card_sources[{i}].discount_percent"),
        )?;
    }
    unique(
        doc.gift_card_sources.iter().map(|s| &s.id),
        "gift_card_sources",
    )?;
    for (program, value) in &doc.valuation.custom {
        positive(*value, &format!("valuation.custom.{program}"))?;
    }
    let s = &mut doc.settings;
    percent(
        s.delayed_payout_haircut_percent,
        "settings.delayed_payout_haircut_percent",
    )?;
    if let SiteAccess::List { sites } = &mut s.sites {
        for (i, site) in sites.iter_mut().enumerate() {
            *site = merchant(site, &format!("settings.sites.sites[{i}]"))?;
        }
    }
    if s.merchant_trust_percent.len() > MAX_ENTRIES {
        return Err(ImportError::new(
            "settings.merchant_trust_percent",
            format!("at most {MAX_ENTRIES} shops"),
        ));
    }
    let mut trust = BTreeMap::new();
    for (shop, value) in &s.merchant_trust_percent {
        let path = format!("settings.merchant_trust_percent.{shop}");
        percent(*value, &path)?;
        // A name (`ebay`) stays a name; anything with a dot is read as a shop's address.
        let key = if shop.contains('.') {
            merchant(shop, &path)?
        } else {
            let name = shop.trim().to_lowercase();
            if name.is_empty() || name.len() > 100 {
                return Err(ImportError::new(path, "a shop's name or domain is needed"));
            }
            name
        };
        trust.insert(key, *value);
    }
    s.merchant_trust_percent = trust;
    Ok(doc)
}

fn check_id(id: &str, path: &str) -> Result<(), ImportError> {
    if id.trim().is_empty() || id.len() > 100 {
        return Err(ImportError::new(path, "must be 1 to 100 characters"));
    }
    Ok(())
}

fn unique<'a>(ids: impl Iterator<Item = &'a String>, list: &str) -> Result<(), ImportError> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(ImportError::new(
                format!("{list}[{i}].id"),
                format!("`{id}` is used twice"),
            ));
        }
    }
    Ok(())
}

fn non_negative(x: Decimal, path: &str) -> Result<(), ImportError> {
    if x.is_sign_negative() && !x.is_zero() {
        return Err(ImportError::new(path, format!("{x} is negative")));
    }
    Ok(())
}

fn positive(x: Decimal, path: &str) -> Result<(), ImportError> {
    if x <= Decimal::ZERO {
        return Err(ImportError::new(path, format!("{x} must be above zero")));
    }
    Ok(())
}

fn percent(x: Decimal, path: &str) -> Result<(), ImportError> {
    if x < Decimal::ZERO || x > Decimal::ONE_HUNDRED {
        return Err(ImportError::new(
            path,
            format!("{x} is not a percentage between 0 and 100"),
        ));
    }
    Ok(())
}

/// A shop as the shopper typed it (`www.Amazon.in/`, `https://amazon.in/x`) → `amazon.in`.
pub fn normalise_merchant(text: &str) -> Option<String> {
    registrable_domain(text.trim())
}

fn merchant(text: &str, path: &str) -> Result<String, ImportError> {
    normalise_merchant(text).ok_or_else(|| {
        ImportError::new(path, format!("`{text}` is not a shop's domain (amazon.in)"))
    })
}

/// What one merchant's checkout can use from the wallet, in the optimizer's types.
#[derive(Debug, Clone)]
pub struct StackParts {
    pub wallet: stack::Wallet,
    pub offers: Vec<Offer>,
    pub settings: stack::Settings,
}

/// The wallet's cards, balances and offers for `merchant` (a registrable domain). Expired
/// gift cards are left out (they hold no money); expired enrolled offers are passed with their
/// date so the receipt says why they were not used. Cards are named by what the shopper sees
/// (nickname or catalogue name, numbered when two share one), so receipts read as sentences.
pub fn stack_parts(doc: &WalletDoc, merchant: &str, today: Date) -> StackParts {
    let here = |m: &str| m.eq_ignore_ascii_case(merchant);
    let shown = numbered(doc.cards.iter().map(Card::display_name));
    let names: BTreeMap<&str, String> =
        doc.cards.iter().map(|c| c.id.as_str()).zip(shown).collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut memberships = doc.memberships.clone();
    let mut offers = Vec::new();
    for l in doc.loyalty.iter().filter(|l| here(&l.merchant)) {
        memberships.push(l.programme.clone());
        if let Some(percent) = l.percent {
            offers.push(Offer {
                id: format!("{} (loyalty)", l.programme),
                expires: None,
                currency: None,
                kind: OfferKind::Loyalty(Loyalty {
                    programme: l.programme.clone(),
                    percent,
                    membership: Some(l.programme.clone()),
                }),
            });
        }
    }
    let linked: Vec<&EnrolledOffer> = doc
        .card_offers
        .iter()
        .filter(|o| here(&o.merchant))
        .collect();
    for o in &linked {
        let card = name_of(&o.card);
        // Named as the shopper knows it (receipts and reasons show this name; the wallet's
        // own id is internal): by its card, and by what it gives when that card has two.
        let twins = linked.iter().filter(|other| other.card == o.card).count();
        let id = if twins > 1 {
            format!("{card} offer ({})", linked_value_words(&o.value))
        } else {
            format!("{card} offer")
        };
        offers.push(Offer {
            id,
            expires: o.expires,
            currency: None,
            kind: OfferKind::CardLinked(stack::CardLinked {
                card,
                value: o.value,
                payout_delay_days: o.payout_delay_days,
                used: o.used,
            }),
        });
    }
    for p in doc.portals.iter().filter(|p| here(&p.merchant)) {
        offers.push(Offer {
            id: format!("{} cashback", p.name),
            expires: None,
            currency: None,
            kind: OfferKind::Portal(Portal {
                name: p.name.clone(),
                rate: p.rate,
                excluded_categories: Vec::new(),
                listed_coupons: Vec::new(),
                payout_delay_days: p.payout_delay_days,
            }),
        });
    }
    for s in doc.gift_card_sources.iter().filter(|s| here(&s.merchant)) {
        offers.push(Offer {
            id: format!("{} gift card from {}", s.merchant, s.seller),
            expires: None,
            currency: None,
            kind: OfferKind::DiscountedGiftCard(GiftCardDeal {
                seller: s.seller.clone(),
                discount_percent: s.discount_percent,
                max_face: s.max_face,
            }),
        });
    }
    dedupe_ids(&mut offers);
    StackParts {
        wallet: stack::Wallet {
            cards: doc
                .cards
                .iter()
                .map(|c| stack::WalletCard {
                    id: name_of(&c.id),
                    catalogue: c.catalogue.clone(),
                    rules: c.rules.clone(),
                    cap_used: c.cap_used.clone(),
                })
                .collect(),
            gift_cards: doc
                .gift_cards
                .iter()
                .filter(|g| here(&g.merchant) && g.expires.is_none_or(|e| e >= today))
                .map(|g| stack::GiftCardBalance {
                    merchant: g.merchant.clone(),
                    balance: g.balance,
                })
                .collect(),
            memberships,
            point_values: doc.valuation.custom.clone(),
        },
        offers,
        settings: stack::Settings {
            valuation: doc.valuation.table,
            delayed_payout_haircut_percent: doc.settings.delayed_payout_haircut_percent,
            emi: doc.settings.emi,
            ..stack::Settings::default()
        },
    }
}

/// What a card-linked offer gives, in a few words: `spend 1000, get 100 back`, `5 % back up
/// to 500`.
fn linked_value_words(value: &LinkedValue) -> String {
    match value {
        LinkedValue::SpendGet { min_spend, credit } => format!(
            "spend {}, get {} back",
            min_spend.normalize(),
            credit.normalize()
        ),
        LinkedValue::PercentBack { percent, cap: None } => {
            format!("{} % back", percent.normalize())
        }
        LinkedValue::PercentBack {
            percent,
            cap: Some(cap),
        } => format!("{} % back up to {}", percent.normalize(), cap.normalize()),
    }
}

/// Makes offer ids unique by numbering repeats (`X`, `X (2)`), keeping order.
pub fn dedupe_ids(offers: &mut [Offer]) {
    let ids = numbered(offers.iter().map(|o| o.id.clone()));
    for (o, id) in offers.iter_mut().zip(ids) {
        o.id = id;
    }
}

/// Names made unique by numbering repeats in order: `X`, `Y`, `X (2)`, `X (3)`.
fn numbered(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    names
        .map(|name| {
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                name
            } else {
                format!("{name} ({n})")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn today() -> Date {
        Date::parse("2026-11-21").expect("date")
    }

    fn err(text: &str) -> ImportError {
        import(text).expect_err("should be refused")
    }

    #[test]
    fn an_export_imports_back_unchanged() {
        let doc = import(
            r#"{"schema": 2,
                "cards": [{"id": "millennia", "catalogue": "hdfc-millennia", "cap_used": {"online_shopping": "300"}}],
                "gift_cards": [{"id": "g1", "merchant": "https://www.Amazon.in/gp", "balance": "500", "expires": "2027-01-31"}],
                "settings": {"badge": false, "sites": {"mode": "list", "sites": ["www.flipkart.com"]}}}"#,
        )
        .expect("valid");
        assert_eq!(
            doc.gift_cards[0].merchant, "amazon.in",
            "merchants are normalised"
        );
        assert_eq!(
            doc.settings.sites,
            SiteAccess::List {
                sites: vec!["flipkart.com".into()]
            }
        );
        assert!(!doc.settings.badge);
        let again = import(&export(&doc)).expect("round trip");
        assert_eq!(again, doc);
    }

    #[test]
    fn a_stack_request_wallet_is_migrated_from_schema_1() {
        let doc = import(
            r#"{"cards": [{"id": "amzn", "catalogue": "icici-amazon-pay"}],
                "gift_cards": [{"merchant": "amazon.in", "balance": "250.50"}, {"merchant": "flipkart.com", "balance": "100"}],
                "memberships": ["amazon-prime"],
                "point_values": {"edge_miles": "0.5"}}"#,
        )
        .expect("schema 1 reads");
        assert_eq!(doc.schema, SCHEMA);
        assert_eq!(doc.gift_cards[0].id, "gift-1");
        assert_eq!(doc.gift_cards[1].id, "gift-2");
        assert_eq!(doc.gift_cards[0].balance, dec("250.50"));
        assert_eq!(doc.memberships, vec!["amazon-prime".to_owned()]);
        assert_eq!(doc.valuation.custom["edge_miles"], dec("0.5"));
        assert_eq!(doc.valuation.table, Valuation::Conservative);
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = err(
            r#"{"schema": 2, "cards": [{"id": "a", "catalogue": "hdfc-millennia"}, {"id": "b", "catalogue": "no_such_card"}]}"#,
        );
        assert_eq!(e.path, "cards[1].catalogue");
        assert!(e.message.contains("no_such_card"), "{e}");

        let e = err(
            r#"{"schema": 2, "gift_cards": [{"id": "g", "merchant": "amazon.in", "balance": "12,50"}]}"#,
        );
        assert_eq!(e.path, "gift_cards[0].balance");

        let e = err(
            r#"{"schema": 2, "gift_cards": [{"id": "g", "merchant": "amazon.in", "balance": "-5"}]}"#,
        );
        assert_eq!(e.path, "gift_cards[0].balance");
        assert!(e.message.contains("negative"));

        let e = err(
            r#"{"schema": 2, "cards": [{"id": "a", "catalogue": "hdfc-millennia"}],
                        "card_offers": [{"id": "o", "card": "zz", "merchant": "amazon.com", "value": {"percent_back": {"percent": "10"}}}]}"#,
        );
        assert_eq!(e.path, "card_offers[0].card");

        let e = err(r#"{"schema": 2, "cards": [{"id": "a"}]}"#);
        assert_eq!(e.path, "cards[0]");

        let e = err(
            r#"{"schema": 2, "cards": [{"id": "a", "catalogue": "hdfc-millennia", "pin": "1234"}]}"#,
        );
        assert!(e.path.starts_with("cards[0]"), "{e}");
        assert!(e.message.contains("pin"), "{e}");

        let e = err(
            r#"{"schema": 2, "portals": [{"id": "p", "name": "X", "merchant": "not a domain", "rate": {"percent": "3"}}]}"#,
        );
        assert_eq!(e.path, "portals[0].merchant");

        let trust = import(
            r#"{"schema": 2, "settings": {"merchant_trust_percent": {"https://www.eBay.de/itm/1": "40", " Walmart ": "100"}}}"#,
        )
        .expect("trust");
        let overrides = trust.settings.reliability_overrides();
        assert_eq!(overrides.get("ebay.de"), Some(&0.4));
        assert_eq!(overrides.get("walmart"), Some(&1.0));
        let e = err(r#"{"schema": 2, "settings": {"merchant_trust_percent": {"ebay": "101"}}}"#);
        assert_eq!(e.path, "settings.merchant_trust_percent.ebay");
        let e = err(r#"{"schema": 2, "settings": {"delayed_payout_haircut_percent": "120"}}"#);
        assert_eq!(e.path, "settings.delayed_payout_haircut_percent");
    }

    #[test]
    fn files_that_are_not_wallets_are_refused_as_a_whole() {
        assert_eq!(err("not json").path, "document");
        assert!(err("{\"schema\": 2,").message.contains("line 1"));
        assert_eq!(err("[1, 2]").path, "document");
        assert_eq!(err(r#"{"schema": 9}"#).path, "schema");
        assert!(err(r#"{"schema": 9}"#).message.contains("newer"));
        assert_eq!(err(r#"{"schema": "two"}"#).path, "schema");
        assert_eq!(
            err(r#"{"favourite_colour": "red"}"#).path,
            "favourite_colour"
        );
        let big = format!(
            "{{\"schema\": 2, \"note\": \"{}\"}}",
            "x".repeat(MAX_IMPORT_BYTES)
        );
        assert_eq!(err(&big).path, "document");
    }

    #[test]
    fn stack_parts_keep_what_this_merchant_takes() {
        let doc = import(
            r#"{"schema": 2,
                "cards": [{"id": "c1", "catalogue": "hdfc-millennia"}, {"id": "c2", "nickname": "My Amex", "catalogue": "amex-blue-cash-preferred"}],
                "gift_cards": [
                    {"id": "g1", "merchant": "amazon.in", "balance": "500"},
                    {"id": "g2", "merchant": "amazon.in", "balance": "900", "expires": "2026-11-20"},
                    {"id": "g3", "merchant": "flipkart.com", "balance": "100"}],
                "loyalty": [{"id": "l1", "merchant": "amazon.in", "programme": "amazon-prime", "percent": "1"}],
                "card_offers": [{"id": "o1", "card": "c2", "merchant": "amazon.in", "value": {"spend_get": {"min_spend": "1000", "credit": "100"}}, "expires": "2026-12-31"},
                                {"id": "o2", "card": "c2", "merchant": "walmart.com", "value": {"spend_get": {"min_spend": "10", "credit": "1"}}}],
                "portals": [{"id": "p1", "name": "CashKaro", "merchant": "amazon.in", "rate": {"percent": "2"}, "payout_delay_days": 90}],
                "gift_card_sources": [{"id": "s1", "seller": "Gyftr", "merchant": "amazon.in", "discount_percent": "3"}],
                "valuation": {"table": "points_guy"},
                "settings": {"delayed_payout_haircut_percent": "10", "emi": true}}"#,
        )
        .expect("valid");
        let parts = stack_parts(&doc, "amazon.in", today());
        let cards: Vec<_> = parts.wallet.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(cards, vec!["HDFC Bank Millennia", "My Amex"]);
        let balances: Vec<_> = parts.wallet.gift_cards.iter().map(|g| g.balance).collect();
        assert_eq!(
            balances,
            vec![dec("500")],
            "expired and other shops' cards stay out"
        );
        assert_eq!(parts.wallet.memberships, vec!["amazon-prime".to_owned()]);
        let ids: Vec<_> = parts.offers.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "amazon-prime (loyalty)",
                "My Amex offer",
                "CashKaro cashback",
                "amazon.in gift card from Gyftr"
            ]
        );
        assert_eq!(parts.settings.valuation, Valuation::PointsGuy);
        assert_eq!(parts.settings.delayed_payout_haircut_percent, dec("10"));
        assert!(parts.settings.emi);
    }

    #[test]
    fn two_cards_of_one_kind_get_distinct_names() {
        let doc = import(
            r#"{"schema": 2, "cards": [{"id": "a", "catalogue": "hdfc-millennia"}, {"id": "b", "catalogue": "hdfc-millennia"}],
                "card_offers": [{"id": "o", "card": "b", "merchant": "amazon.in", "value": {"percent_back": {"percent": "5"}}}]}"#,
        )
        .expect("valid");
        let parts = stack_parts(&doc, "amazon.in", today());
        let cards: Vec<_> = parts.wallet.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            cards,
            vec!["HDFC Bank Millennia", "HDFC Bank Millennia (2)"]
        );
        let OfferKind::CardLinked(linked) = &parts.offers[0].kind else {
            panic!("card-linked offer expected");
        };
        assert_eq!(
            linked.card, "HDFC Bank Millennia (2)",
            "the offer follows its card"
        );
    }

    #[test]
    fn card_linked_offers_are_named_without_the_wallets_ids() {
        let doc = import(
            r#"{"schema": 2, "cards": [{"id": "card-x1", "catalogue": "hdfc-millennia"}, {"id": "card-x2", "nickname": "My Amex", "catalogue": "amex-blue-cash-preferred"}],
                "card_offers": [
                    {"id": "offer-7f3a", "card": "card-x1", "merchant": "amazon.in", "value": {"spend_get": {"min_spend": "10000.00", "credit": "100"}}},
                    {"id": "offer-9b1c", "card": "card-x1", "merchant": "amazon.in", "value": {"percent_back": {"percent": "5", "cap": "500"}}},
                    {"id": "offer-0d2e", "card": "card-x1", "merchant": "amazon.in", "value": {"percent_back": {"percent": "5", "cap": "500"}}},
                    {"id": "offer-4c5d", "card": "card-x2", "merchant": "amazon.in", "value": {"percent_back": {"percent": "2"}}}]}"#,
        )
        .expect("valid");
        let parts = stack_parts(&doc, "amazon.in", today());
        let ids: Vec<_> = parts.offers.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "HDFC Bank Millennia offer (spend 10000, get 100 back)",
                "HDFC Bank Millennia offer (5 % back up to 500)",
                "HDFC Bank Millennia offer (5 % back up to 500) (2)",
                "My Amex offer",
            ]
        );
        for id in ["offer-", "card-x"] {
            assert!(ids.iter().all(|name| !name.contains(id)), "{id} in {ids:?}");
        }
    }

    #[test]
    fn repeated_offer_ids_are_numbered() {
        let mut offers: Vec<Offer> = ["A", "B", "A", "A"]
            .iter()
            .map(|id| Offer {
                id: (*id).into(),
                expires: None,
                currency: None,
                kind: OfferKind::Sale(stack::Sale {
                    percent: dec("1"),
                    categories: None,
                }),
            })
            .collect();
        dedupe_ids(&mut offers);
        let ids: Vec<_> = offers.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, vec!["A", "B", "A (2)", "A (3)"]);
    }
}

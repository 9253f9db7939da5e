//! On-page offer texts ("10% Instant Discount up to ₹1,250 on HDFC Bank Credit Card…",
//! "Use code SAVE20 for 20% off orders $50+", "Was £49.99, now £29.99") → a structured
//! [`Offer`]. English first, with a few French/German/Spanish/Hinglish forms.
//!
//! How it reads: every amount in the text is found by [`find_amounts`]; each money amount
//! gets a role (cap, minimum, flat discount, reference, current price) from the nearest
//! keyword before it or the words right after it; the kind comes from wording. Text that
//! matches no kind is kept as [`OfferKind::Other`] with its raw text, never dropped.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::merchant;
use crate::money::Currency;
use crate::price_text::{chars_and_lower, find_amounts, find_word, word_at, Amount, PriceHint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    BankInstantDiscount,
    CardCashback,
    NoCostEmi,
    CouponCode,
    ClipCoupon,
    SubscribeSave,
    ReferencePrice,
    FreeShippingThreshold,
    Multibuy,
    Other,
}

/// Whether the offer is about this product or the whole shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Product,
    SiteWide,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardType {
    Credit,
    Debit,
    CreditOrDebit,
}

/// One offer read from text. Amounts are in `currency`; fields the text does not give are
/// `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Offer {
    pub kind: OfferKind,
    pub percent: Option<Decimal>,
    pub flat_amount: Option<Decimal>,
    pub cap: Option<Decimal>,
    pub min_spend: Option<Decimal>,
    pub currency: Option<Currency>,
    /// Card issuer, canonical name ("HDFC Bank", "American Express").
    pub issuer: Option<String>,
    /// Card network ("visa", "mastercard", "rupay", "amex").
    pub network: Option<String>,
    pub card_type: Option<CardType>,
    /// `Some(true)` for EMI-only offers, `Some(false)` for "non-EMI", `None` when unsaid.
    pub emi: Option<bool>,
    pub code: Option<String>,
    pub reference_price: Option<Decimal>,
    pub current_price: Option<Decimal>,
    /// Multibuy: items paid for, and items free on top ("buy 2 get 1 free" → 2, 1).
    pub buy_quantity: Option<u32>,
    pub free_quantity: Option<u32>,
    /// Multibuy at a set price ("2 for £5" → 5).
    pub bundle_price: Option<Decimal>,
    /// The end date as written ("3/31", "31st March 2025").
    pub expiry: Option<String>,
    pub scope: Scope,
    pub raw: String,
}

/// Context for reading an offer: the page URL (its domain settles `$`, `kr` …) and, where
/// known, the page language.
#[derive(Debug, Clone, Default)]
pub struct OfferContext {
    pub url: Option<String>,
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Cap,
    Min,
    Flat,
    Reference,
    Current,
    Unknown,
}

/// Keywords right before a money amount, and the role they give it. The keyword nearest
/// to the amount wins.
const BEFORE: &[(&str, Role)] = &[
    ("up to", Role::Cap),
    ("upto", Role::Cap),
    ("max", Role::Cap),
    ("max.", Role::Cap),
    ("maximum", Role::Cap),
    ("maximum discount", Role::Cap),
    ("maximum discount of", Role::Cap),
    ("max discount of", Role::Cap),
    ("max. discount of", Role::Cap),
    ("maximum cashback", Role::Cap),
    ("maximum cashback of", Role::Cap),
    ("max cashback of", Role::Cap),
    ("capped at", Role::Cap),
    ("limited to", Role::Cap),
    ("jusqu'à", Role::Cap),
    ("jusqu’à", Role::Cap),
    ("bis zu", Role::Cap),
    ("hasta", Role::Cap),
    ("até", Role::Cap),
    ("min", Role::Min),
    ("min.", Role::Min),
    ("minimum", Role::Min),
    ("order", Role::Min),
    ("orders", Role::Min),
    ("orders of", Role::Min),
    ("order of", Role::Min),
    ("order value", Role::Min),
    ("purchase", Role::Min),
    ("purchases", Role::Min),
    ("purchase value", Role::Min),
    ("purchase of", Role::Min),
    ("purchase above", Role::Min),
    ("transactions of", Role::Min),
    ("transaction of", Role::Min),
    ("txn of", Role::Min),
    ("superiores a", Role::Min),
    ("superior a", Role::Min),
    ("compra mínima", Role::Min),
    ("mínimo", Role::Min),
    ("cart value", Role::Min),
    ("transaction value", Role::Min),
    ("txn value", Role::Min),
    ("spend", Role::Min),
    ("spends", Role::Min),
    ("spending", Role::Min),
    ("above", Role::Min),
    ("over", Role::Min),
    ("at least", Role::Min),
    ("between", Role::Min),
    // "benefits worth ₹20,000": a value, not a discount; stops "get" further back.
    ("worth", Role::Unknown),
    ("off", Role::Min),
    ("dès", Role::Min),
    ("ab", Role::Min),
    ("à partir de", Role::Min),
    ("a partir de", Role::Min),
    ("desde", Role::Min),
    ("mindestbestellwert", Role::Min),
    ("bestellwert", Role::Min),
    ("flat", Role::Flat),
    ("save", Role::Flat),
    ("get", Role::Flat),
    ("extra", Role::Flat),
    ("additional", Role::Flat),
    ("apply", Role::Flat),
    ("instant discount of", Role::Flat),
    ("discount of", Role::Flat),
    ("cashback of", Role::Flat),
    ("receive", Role::Flat),
    ("earn", Role::Flat),
    ("take", Role::Flat),
    ("enjoy", Role::Flat),
    ("économisez", Role::Flat),
    ("sparen sie", Role::Flat),
    ("ahorra", Role::Flat),
    ("ahorras", Role::Flat),
    ("spare", Role::Flat),
    ("sparen", Role::Flat),
    ("remise de", Role::Flat),
    ("réduction de", Role::Flat),
    ("was", Role::Reference),
    ("rrp", Role::Reference),
    ("list price", Role::Reference),
    ("list", Role::Reference),
    ("typical", Role::Reference),
    ("m.r.p", Role::Reference),
    ("m.r.p.", Role::Reference),
    ("mrp", Role::Reference),
    ("typical price", Role::Reference),
    ("previous price", Role::Reference),
    ("previously", Role::Reference),
    ("regular price", Role::Reference),
    ("reg.", Role::Reference),
    ("compare at", Role::Reference),
    ("original price", Role::Reference),
    ("statt", Role::Reference),
    ("uvp", Role::Reference),
    ("prix conseillé", Role::Reference),
    ("prix de référence", Role::Reference),
    ("ancien prix", Role::Reference),
    ("antes", Role::Reference),
    ("msrp", Role::Reference),
    ("orig.", Role::Reference),
    ("before", Role::Reference),
    ("au lieu de", Role::Reference),
    ("prix barré", Role::Reference),
    ("vorher", Role::Reference),
    ("bisher", Role::Reference),
    ("ursprünglich", Role::Reference),
    ("precio anterior", Role::Reference),
    ("lowest price", Role::Reference),
    ("prezzo più basso", Role::Reference),
    ("ultimi 30 giorni", Role::Reference),
    ("precio más bajo", Role::Reference),
    ("laagste prijs", Role::Reference),
    ("afgelopen 30 dagen", Role::Reference),
    ("najniższa cena", Role::Reference),
    ("30 dni", Role::Reference),
    ("last 30 days", Role::Reference),
    ("30 derniers jours", Role::Reference),
    ("letzten 30 tage", Role::Reference),
    ("últimos 30 días", Role::Reference),
    ("now", Role::Current),
    ("price", Role::Current),
    ("now only", Role::Current),
    ("deal price", Role::Current),
    ("sale price", Role::Current),
    ("offer price", Role::Current),
    ("special price", Role::Current),
    ("our price", Role::Current),
    ("you pay", Role::Current),
    ("jetzt", Role::Current),
    ("maintenant", Role::Current),
    ("ahora", Role::Current),
];

/// Words right after a money amount.
const AFTER: &[(&str, Role)] = &[
    ("+", Role::Min),
    ("and above", Role::Min),
    ("& above", Role::Min),
    ("or above", Role::Min),
    ("or more", Role::Min),
    ("and more", Role::Min),
    ("and over", Role::Min),
    // Hinglish: "₹5,000 se upar", "₹1,250 tak".
    ("se upar", Role::Min),
    ("se zyada", Role::Min),
    ("ya usse zyada", Role::Min),
    ("ya zyada", Role::Min),
    ("tak", Role::Cap),
    ("max", Role::Cap),
    ("d'achat", Role::Min),
    ("d’achat", Role::Min),
    ("off", Role::Flat),
    ("instant discount", Role::Flat),
    ("discount", Role::Flat),
    ("cashback", Role::Flat),
    ("cash back", Role::Flat),
    ("back", Role::Flat),
    ("statement credit", Role::Flat),
    ("coupon", Role::Flat),
    ("de réduction", Role::Flat),
    ("de remise", Role::Flat),
    ("rabatt", Role::Flat),
    ("de descuento", Role::Flat),
    ("ka cashback", Role::Flat),
    ("ka discount", Role::Flat),
    ("ki bachat", Role::Flat),
    ("ki chhoot", Role::Flat),
];

const ISSUERS: &[(&str, &str)] = &[
    ("hdfc", "HDFC Bank"),
    ("icici", "ICICI Bank"),
    ("sbi", "SBI"),
    ("state bank of india", "SBI"),
    ("axis", "Axis Bank"),
    ("kotak", "Kotak Mahindra Bank"),
    ("idfc", "IDFC FIRST Bank"),
    ("idbi", "IDBI Bank"),
    ("bank of india", "Bank of India"),
    ("bank of baroda", "Bank of Baroda"),
    ("bobcard", "Bank of Baroda"),
    ("au small finance bank", "AU Small Finance Bank"),
    ("au bank", "AU Small Finance Bank"),
    ("yes bank", "Yes Bank"),
    ("indusind", "IndusInd Bank"),
    ("rbl", "RBL Bank"),
    ("federal bank", "Federal Bank"),
    ("canara", "Canara Bank"),
    ("punjab national bank", "Punjab National Bank"),
    ("pnb", "Punjab National Bank"),
    ("union bank", "Union Bank of India"),
    ("bajaj finserv", "Bajaj Finserv"),
    ("onecard", "OneCard"),
    ("dbs", "DBS Bank"),
    ("hsbc", "HSBC"),
    ("standard chartered", "Standard Chartered"),
    ("citibank", "Citi"),
    ("citi", "Citi"),
    ("american express", "American Express"),
    ("amex", "American Express"),
    ("chase", "Chase"),
    ("capital one", "Capital One"),
    ("barclays", "Barclays"),
    ("barclaycard", "Barclays"),
    ("bank of america", "Bank of America"),
    ("wells fargo", "Wells Fargo"),
    ("discover card", "Discover"),
    ("synchrony", "Synchrony"),
];

const NETWORKS: &[(&str, &str)] = &[
    ("visa", "visa"),
    ("mastercard", "mastercard"),
    ("master card", "mastercard"),
    ("rupay", "rupay"),
    ("american express", "amex"),
    ("amex", "amex"),
    ("diners", "diners"),
    ("discover card", "discover"),
    ("maestro", "maestro"),
];

/// Whether a reference-price text is the page's "lowest price in the last 30 days" (the EU
/// Omnibus rule makes shops print it next to a reduction), not a "was" or list price.
pub fn is_recent_low_claim(text: &str) -> bool {
    let lower = text.to_lowercase();
    let lowest = [
        "lowest",
        "niedrigste",
        "plus bas",
        "más bajo",
        "mas bajo",
        "più basso",
        "piu basso",
        "laagste",
        "najniższa",
        "lägsta",
        "laveste",
        "alhaisin",
    ];
    let recent = [
        "30 day",
        "30-day",
        "30 tage",
        "30 jours",
        "30 derniers jours",
        "30 días",
        "30 dias",
        "30 giorni",
        "30 dagen",
        "30 dni",
        "30 dagar",
        "30 dage",
        "30 päivän",
    ];
    lowest.iter().any(|w| lower.contains(w)) && recent.iter().any(|w| lower.contains(w))
}

/// Parses one offer text. Never panics; unreadable text gives kind `other`.
pub fn parse_offer(text: &str, ctx: &OfferContext) -> Offer {
    let hint = offer_hint(ctx);
    let (chars, lower) = chars_and_lower(text);
    let t = Text { lower: &lower };
    let amounts = find_amounts(text, &hint);
    let percent = amounts.iter().find(|a| a.is_percent).map(|a| a.amount);
    let signed: Vec<&Amount> = amounts
        .iter()
        .filter(|a| a.has_sign && !a.is_percent)
        .collect();
    let money: Vec<(&Amount, Role)> = signed
        .iter()
        .map(|&a| {
            // Keywords are looked for only after the previous money amount.
            let prev_end = signed
                .iter()
                .filter(|b| b.end <= a.start)
                .map(|b| b.end)
                .max()
                .unwrap_or(0);
            (a, role_of(&lower, a, prev_end))
        })
        .collect();
    // "orders priced between 25000 to 39999": a bare number after a minimum keyword is
    // money when the text names a currency elsewhere.
    let bare_min = if signed.is_empty() {
        None
    } else {
        amounts
            .iter()
            .filter(|a| !a.has_sign && !a.is_percent && !a.per_unit)
            .find(|a| before_role(&lower, a, 0) == Some(Role::Min))
            .map(|a| a.amount)
    };
    let first = |role: Role| {
        money
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(a, _)| a.amount)
    };
    let unknown: Vec<Decimal> = money
        .iter()
        .filter(|(_, r)| *r == Role::Unknown)
        .map(|(a, _)| a.amount)
        .collect();

    let issuer = earliest(&t, ISSUERS).map(str::to_owned);
    let network = earliest(&t, NETWORKS).map(str::to_owned);
    let credit = t.any(&[
        "credit card",
        "credit cards",
        "credit and debit",
        "credit & debit",
        "credit/debit",
        "credit or debit",
        "credit emi",
        "creditcard",
        "carte de crédit",
        "kreditkarte",
        "tarjeta de crédito",
    ]);
    let debit = t.any(&[
        "debit card",
        "debit cards",
        "debit",
        "carte de débit",
        "tarjeta de débito",
    ]);
    let card_type = match (credit, debit) {
        (true, true) => Some(CardType::CreditOrDebit),
        (true, false) => Some(CardType::Credit),
        (false, true) => Some(CardType::Debit),
        (false, false) => None,
    };
    let no_cost_emi = t.any(&[
        "no cost emi",
        "no-cost emi",
        "zero cost emi",
        "0% emi",
        "emi interest savings",
    ]);
    let emi = if t.any(&["non-emi", "non emi", "non - emi"]) {
        Some(false)
    } else if t.any(&["emi"]) {
        Some(true)
    } else {
        None
    };
    let card_ctx = issuer.is_some()
        || network.is_some()
        || card_type.is_some()
        || emi.is_some()
        || t.any(&["bank offer", "bank", "card offer"]);
    let code = find_code(&chars, &lower);
    let multibuy = find_multibuy(&t, &amounts);

    let mut offer = Offer {
        kind: OfferKind::Other,
        percent,
        flat_amount: first(Role::Flat),
        cap: first(Role::Cap),
        min_spend: first(Role::Min).or(bare_min),
        currency: money.iter().find_map(|(a, _)| a.currency),
        issuer,
        network,
        card_type,
        emi,
        code,
        reference_price: first(Role::Reference),
        current_price: first(Role::Current),
        buy_quantity: None,
        free_quantity: None,
        bundle_price: None,
        expiry: find_expiry(&chars, &lower),
        scope: Scope::Unknown,
        raw: text.to_owned(),
    };

    let discount_words = t.any(&[
        "off",
        "discount",
        "cashback",
        "cash back",
        "save",
        "back",
        "réduction",
        "rabatt",
        "descuento",
        "bachat",
        "chhoot",
        "chhut",
    ]);
    offer.kind = if t.any(&[
        "subscribe & save",
        "subscribe and save",
        "subscribe + save",
        "subscribe &amp; save",
        "spar-abo",
        "abonnez-vous et économisez",
        "autoship",
        "auto-delivery",
        "auto-deliveries",
    ]) {
        OfferKind::SubscribeSave
    } else if free_shipping(&lower)
        || t.any(&[
            "ships free",
            "livraison gratuite",
            "livraison offerte",
            "kostenloser versand",
            "kostenlose lieferung",
            "versandkostenfrei",
            "envío gratis",
            "envío gratuito",
            "spedizione gratuita",
        ]) && (offer.min_spend.is_some() || !unknown.is_empty())
    {
        if offer.min_spend.is_none() {
            offer.min_spend = unknown.first().copied();
        }
        offer.flat_amount = None;
        OfferKind::FreeShippingThreshold
    } else if let Some(m) = multibuy {
        offer.buy_quantity = m.buy;
        offer.free_quantity = m.free;
        offer.bundle_price = m.bundle;
        if m.bundle.is_some() && offer.flat_amount == m.bundle {
            offer.flat_amount = None;
        }
        OfferKind::Multibuy
    } else if offer.code.is_some() {
        OfferKind::CouponCode
    } else if !card_ctx
        && (t.any(&["clip", "clipped"])
            || (t.any(&["coupon", "coupons"])
                && t.any(&[
                    "with coupon",
                    "apply",
                    "coupon:",
                    "coupon applied",
                    "digital coupon",
                    "save",
                ])))
    {
        OfferKind::ClipCoupon
    } else if offer.reference_price.is_some()
        || (offer.current_price.is_some() && !card_ctx && !discount_words)
    {
        if offer.current_price.is_none() {
            offer.current_price = unknown.first().copied();
        }
        OfferKind::ReferencePrice
    } else if t.any(&[
        "upon approval",
        "on approval",
        "when approved",
        "once approved",
        "after approval",
    ]) {
        // A card sign-up bonus, not a discount on this purchase.
        OfferKind::Other
    } else if no_cost_emi
        && offer.percent.is_none()
        && offer.flat_amount.is_none()
        && !t.any(&["cashback", "instant discount"])
    {
        offer.emi = Some(true);
        OfferKind::NoCostEmi
    } else if card_ctx
        && !t.any(&["instant discount", "instant off"])
        && t.any(&["cashback", "cash back", "back", "statement credit"])
    {
        OfferKind::CardCashback
    } else if card_ctx && (offer.percent.is_some() || offer.flat_amount.is_some() || discount_words)
    {
        OfferKind::BankInstantDiscount
    } else {
        OfferKind::Other
    };
    // An amount with no keyword in a discount offer is the discount itself.
    if matches!(
        offer.kind,
        OfferKind::BankInstantDiscount
            | OfferKind::CardCashback
            | OfferKind::CouponCode
            | OfferKind::ClipCoupon
    ) && offer.flat_amount.is_none()
        && offer.percent.is_none()
    {
        offer.flat_amount = unknown.first().copied();
    }
    offer.scope = scope_of(&t, offer.kind);
    offer
}

/// Hint for amounts: the URL's domain and the page language. On a generic `.com`/`.us`
/// domain a bare `$` is taken as USD — good for offer wording (US coupon and card texts);
/// price parsing stays strict because Latin American shops also use `.com` with `$`.
fn offer_hint(ctx: &OfferContext) -> PriceHint {
    let mut hint = PriceHint {
        lang: ctx.lang.clone(),
        domain: ctx.url.clone(),
        currency: None,
    };
    let host = ctx.url.as_deref().and_then(merchant::host_of);
    let generic = host
        .as_deref()
        .and_then(|h| h.rsplit('.').next())
        .is_some_and(|tld| matches!(tld, "com" | "us"));
    let domain_says = ctx.url.as_deref().and_then(merchant::currency_hint);
    if generic && domain_says.is_none() && ctx.lang.is_none() {
        hint.currency = Currency::from_code("USD").ok();
    }
    hint
}

struct Text<'a> {
    lower: &'a [char],
}

impl Text<'_> {
    fn any(&self, words: &[&str]) -> bool {
        words
            .iter()
            .any(|w| !find_word(self.lower, w, 0, self.lower.len()).is_empty())
    }
}

/// The canonical name of the table entry found earliest in the text.
fn earliest(t: &Text<'_>, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .filter_map(|(needle, name)| {
            find_word(t.lower, needle, 0, t.lower.len())
                .first()
                .map(|&i| (i, *name))
        })
        .min_by_key(|(i, _)| *i)
        .map(|(_, name)| name)
}

fn before_role(lower: &[char], a: &Amount, prev_end: usize) -> Option<Role> {
    let from = prev_end.max(a.start.saturating_sub(48));
    // Nearest keyword before the amount: the one ending last, and the longest on a tie.
    BEFORE
        .iter()
        .flat_map(|(kw, role)| {
            let len = kw.chars().count();
            find_word(lower, kw, from, a.start)
                .into_iter()
                .map(move |i| (i + len, len, *role))
        })
        .max_by_key(|(end, len, _)| (*end, *len))
        .map(|(_, _, role)| role)
}

fn role_of(lower: &[char], a: &Amount, prev_end: usize) -> Role {
    let before = before_role(lower, a, prev_end);
    let mut p = a.end;
    while p < lower.len() && lower[p] == ' ' {
        p += 1;
    }
    let after = AFTER
        .iter()
        .find(|(kw, _)| word_at(lower, p, kw))
        .map(|(_, role)| *role);
    match (before, after) {
        (Some(r @ (Role::Cap | Role::Min | Role::Reference | Role::Current)), _) => r,
        (_, Some(r @ (Role::Min | Role::Cap))) => r,
        (Some(Role::Flat), _) | (_, Some(Role::Flat)) => Role::Flat,
        _ => Role::Unknown,
    }
}

/// A promo code: the first all-capitals token (with a letter, 3–24 chars) after "code",
/// "coupon", "voucher" … or, failing that, after "use" / "enter".
fn find_code(chars: &[char], lower: &[char]) -> Option<String> {
    const STRONG: &[&str] = &[
        "code",
        "code:",
        "codes",
        "promocode",
        "coupon",
        "voucher",
        "código",
        "codice",
        "gutscheincode",
        "rabattcode",
        "cupón",
    ];
    const WEAK: &[&str] = &["use", "enter", "apply"];
    for (rank, group) in [STRONG, WEAK].into_iter().enumerate() {
        let mut hits: Vec<usize> = group
            .iter()
            .flat_map(|kw| {
                let len = kw.chars().count();
                find_word(lower, kw, 0, lower.len())
                    .into_iter()
                    .map(move |i| i + len)
            })
            .collect();
        hits.sort_unstable();
        for end in hits {
            if let Some(code) = code_token_at(chars, end, rank == 0) {
                return Some(code);
            }
        }
    }
    None
}

/// After "code" a mixed-case token with a digit (`Spring15`) also counts; after "use" only
/// capitals do, so "use it at checkout" yields nothing.
fn code_token_at(chars: &[char], mut p: usize, strong: bool) -> Option<String> {
    while p < chars.len() && matches!(chars[p], ' ' | ':' | '"' | '\'' | '“' | '‘' | '«') {
        p += 1;
    }
    let token: String = chars[p.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    const STOP: &[&str] = &[
        "CODE", "PROMO", "COUPON", "VOUCHER", "AT", "FOR", "THE", "AND", "ON", "OFF", "TO", "IN",
        "CHECKOUT", "GET", "SAVE", "WITH", "YOUR", "EMI", "CODES",
    ];
    let ok = (3..=24).contains(&token.len())
        && token.chars().any(|c| c.is_ascii_alphabetic())
        && (!token.chars().any(|c| c.is_ascii_lowercase())
            || (strong && token.chars().any(|c| c.is_ascii_digit())))
        && !STOP.contains(&token.as_str());
    ok.then_some(token)
}

fn find_expiry(chars: &[char], lower: &[char]) -> Option<String> {
    const KEYS: &[&str] = &[
        "ends",
        "ending",
        "expires",
        "expiring",
        "expiry",
        "valid till",
        "valid until",
        "valid through",
        "valid thru",
        "valid up to",
        "until",
        "till",
        "through",
        "offer ends",
        "gültig bis",
        "endet am",
        "nur bis",
        "jusqu'au",
        "jusqu’au",
        "valable jusqu'au",
        "hasta el",
    ];
    let best = KEYS
        .iter()
        .flat_map(|kw| {
            let len = kw.chars().count();
            find_word(lower, kw, 0, lower.len())
                .into_iter()
                .map(move |i| i + len)
        })
        .min()?;
    let mut p = best;
    while p < chars.len() && matches!(chars[p], ' ' | ':') {
        p += 1;
    }
    if word_at(lower, p, "on") {
        p += 2;
    }
    let rest: String = chars[p.min(chars.len())..].iter().take(40).collect();
    let end = rest
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, ',' | ';' | '!' | '(' | ')' | '|')
                || (c == '.' && rest[i + 1..].starts_with([' ']))
                || (c == '.' && i + 1 == rest.len())
        })
        .map_or(rest.len(), |(i, _)| i);
    let phrase = rest[..end].trim().to_owned();
    let lower_phrase = phrase.to_lowercase();
    const MONTHS: &[&str] = &[
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
        "today",
        "tonight",
        "midnight",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let datey = phrase.chars().any(|c| c.is_ascii_digit())
        || MONTHS.iter().any(|m| lower_phrase.contains(m));
    (datey && !phrase.is_empty()).then_some(phrase)
}

/// "free delivery", "FREE UK delivery", "free next-day shipping": `free` followed within
/// three words by a delivery word.
fn free_shipping(lower: &[char]) -> bool {
    let words = tokens(lower);
    words.iter().enumerate().any(|(i, (w, _))| {
        w == "free"
            && words.iter().skip(i + 1).take(4).any(|(n, _)| {
                matches!(
                    n.as_str(),
                    "delivery" | "shipping" | "postage" | "deliveries"
                )
            })
    })
}

struct Multibuy {
    buy: Option<u32>,
    free: Option<u32>,
    bundle: Option<Decimal>,
}

/// "Buy 2, get 1 free", "3 for 2", "2 for £5", "Buy 2 save 10%", "2+1 gratis", "2x1",
/// "BOGO".
fn find_multibuy(t: &Text<'_>, amounts: &[Amount]) -> Option<Multibuy> {
    let words = tokens(t.lower);
    let num = |w: &str| -> Option<u32> {
        match w {
            "one" | "un" | "une" | "ein" | "eins" | "uno" => Some(1),
            "two" | "deux" | "zwei" | "dos" => Some(2),
            "three" | "trois" | "drei" | "tres" => Some(3),
            "four" => Some(4),
            _ => w.parse().ok().filter(|n| (1..=50).contains(n)),
        }
    };
    if t.any(&["bogo", "b1g1"]) {
        // "BOGO 50% off" discounts the second item instead of giving it away.
        let discounted = amounts.iter().any(|a| a.is_percent) || t.any(&["half price", "half off"]);
        return Some(Multibuy {
            buy: Some(1),
            free: (!discounted).then_some(1),
            bundle: None,
        });
    }
    for (i, (w, _)) in words.iter().enumerate() {
        let at = |k: usize| words.get(i + k).map(|(s, _)| s.as_str());
        // buy N [,] get M free / buy N save …
        if matches!(w.as_str(), "buy" | "kaufe" | "achetez" | "compra") {
            let Some(n) = at(1).and_then(num) else {
                continue;
            };
            let mut k = 2;
            while matches!(at(k), Some("," | "and" | "&")) {
                k += 1;
            }
            let free = (at(k) == Some("get"))
                .then(|| at(k + 1).and_then(num))
                .flatten()
                .filter(|_| {
                    matches!(
                        at(k + 2),
                        Some("free" | "gratis" | "offert" | "offerts" | "gratuit")
                    )
                });
            // "buy 3 for the price of 2"
            if let (Some("for"), Some("the"), Some("price"), Some("of")) =
                (at(k), at(k + 1), at(k + 2), at(k + 3))
            {
                if let Some(m) = at(k + 4).and_then(num).filter(|&m| m < n) {
                    return Some(Multibuy {
                        buy: Some(m),
                        free: Some(n - m),
                        bundle: None,
                    });
                }
            }
            return Some(Multibuy {
                buy: Some(n),
                free,
                bundle: None,
            });
        }
        // Amazon's "Save 30% on 2 select item(s)"
        if w == "on" {
            if let (Some(n), Some("select" | "selected" | "qualifying" | "eligible")) =
                (at(1).and_then(num), at(2))
            {
                if matches!(at(3), Some("item" | "items" | "products")) {
                    return Some(Multibuy {
                        buy: Some(n),
                        free: None,
                        bundle: None,
                    });
                }
            }
        }
        // "1 acheté = 1 offert"
        if let (Some(n), Some("acheté" | "achetés")) = (num(w), at(1)) {
            let m = at(2).filter(|s| *s == "=").and(at(3)).and_then(num);
            if let (Some(m), Some("offert" | "offerts")) = (m, at(4)) {
                return Some(Multibuy {
                    buy: Some(n),
                    free: Some(m),
                    bundle: None,
                });
            }
        }
        // N for M / N for £X
        if let Some(n) = num(w) {
            if matches!(at(1), Some("for" | "für" | "pour" | "por")) {
                if let Some(m) = at(2).and_then(num).filter(|&m| m < n) {
                    let next_start = words.get(i + 2).map_or(0, |(_, s)| *s);
                    let priced = amounts
                        .iter()
                        .any(|a| a.has_sign && a.start <= next_start && a.end > next_start);
                    if !priced {
                        return Some(Multibuy {
                            buy: Some(m),
                            free: Some(n - m),
                            bundle: None,
                        });
                    }
                }
                let for_end = words.get(i + 1).map_or(0, |(_, s)| *s);
                if let Some(a) = amounts
                    .iter()
                    .find(|a| a.has_sign && !a.is_percent && a.start > for_end)
                    .filter(|a| a.start <= for_end + 6)
                {
                    return Some(Multibuy {
                        buy: Some(n),
                        free: None,
                        bundle: Some(a.amount),
                    });
                }
            }
            // US shelf tags: "2/$5"
            if at(1) == Some("/") {
                let slash = words.get(i + 1).map_or(0, |(_, s)| *s);
                if let Some(a) = amounts
                    .iter()
                    .find(|a| a.has_sign && !a.is_percent && a.start == slash + 1)
                {
                    return Some(Multibuy {
                        buy: Some(n),
                        free: None,
                        bundle: Some(a.amount),
                    });
                }
            }
            // N+M free
            if at(1) == Some("+") {
                if let Some(m) = at(2).and_then(num) {
                    if matches!(at(3), Some("free" | "gratis" | "offert" | "offerts")) {
                        return Some(Multibuy {
                            buy: Some(n),
                            free: Some(m),
                            bundle: None,
                        });
                    }
                }
            }
        }
        // 2x1, 3x2 (Spanish / Latin American)
        if let Some((a, b)) = w.split_once('x') {
            if let (Some(n), Some(m)) = (num(a), num(b)) {
                if m < n && a.chars().all(|c| c.is_ascii_digit()) {
                    return Some(Multibuy {
                        buy: Some(m),
                        free: Some(n - m),
                        bundle: None,
                    });
                }
            }
        }
        // "… when you buy 2", "on 3 or more"
        if matches!(w.as_str(), "when") && at(1) == Some("you") && at(2) == Some("buy") {
            if let Some(n) = at(3).and_then(num) {
                return Some(Multibuy {
                    buy: Some(n),
                    free: None,
                    bundle: None,
                });
            }
        }
    }
    None
}

/// Words (letters/digits) and single punctuation marks, with their char positions.
fn tokens(lower: &[char]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        let c = lower[i];
        if c.is_alphanumeric() {
            let start = i;
            while i < lower.len() && lower[i].is_alphanumeric() {
                i += 1;
            }
            out.push((lower[start..i].iter().collect(), start));
        } else {
            if c != ' ' {
                out.push((c.to_string(), i));
            }
            i += 1;
        }
    }
    out
}

fn scope_of(t: &Text<'_>, kind: OfferKind) -> Scope {
    if t.any(&[
        "sitewide",
        "site-wide",
        "site wide",
        "storewide",
        "store-wide",
        "store wide",
        "all orders",
        "on everything",
        "everything",
        "entire order",
        "entire site",
        "entire purchase",
        "your order",
        "your purchase",
        "on all products",
        "on all items",
        "all purchases",
        "sur tout le site",
        "auf alles",
        "gesamte sortiment",
        "en toda la tienda",
    ]) {
        return Scope::SiteWide;
    }
    if t.any(&[
        "this item",
        "this product",
        "this book",
        "on this",
        "for this",
        "dieses produkt",
        "ce produit",
        "cet article",
        "este producto",
    ]) {
        return Scope::Product;
    }
    match kind {
        OfferKind::ClipCoupon
        | OfferKind::SubscribeSave
        | OfferKind::ReferencePrice
        | OfferKind::Multibuy => Scope::Product,
        OfferKind::FreeShippingThreshold => Scope::SiteWide,
        _ => Scope::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_day_low_lines_are_told_from_was_prices() {
        for text in [
            "Lowest price in the last 30 days: £59.99",
            "Niedrigster Gesamtpreis der letzten 30 Tage: 49,99 €",
            "Prix le plus bas des 30 derniers jours : 49,99 €",
            "Prezzo più basso degli ultimi 30 giorni: 49,99 €",
            "Laagste prijs van de afgelopen 30 dagen: € 49,99",
            "Najniższa cena z 30 dni przed obniżką: 199,99 zł",
        ] {
            assert!(is_recent_low_claim(text), "{text}");
            let o = parse_offer(text, &OfferContext::default());
            assert_eq!(o.kind, OfferKind::ReferencePrice, "{text}");
            assert!(o.reference_price.is_some(), "{text}");
        }
        for text in [
            "Was £79.99",
            "RRP £99",
            "Lowest price guaranteed",
            "30-day returns",
        ] {
            assert!(!is_recent_low_claim(text), "{text}");
        }
    }

    #[test]
    fn unknown_text_is_kept_as_other() {
        let o = parse_offer("Lorem ipsum", &OfferContext::default());
        assert_eq!(o.kind, OfferKind::Other);
        assert_eq!(o.raw, "Lorem ipsum");
    }

    #[test]
    fn codes_skip_keywords() {
        let (chars, lower) = chars_and_lower("USE CODE SAVE20 AT CHECKOUT");
        assert_eq!(find_code(&chars, &lower).as_deref(), Some("SAVE20"));
        let (chars, lower) = chars_and_lower("Clip coupon: Save 15%");
        assert_eq!(find_code(&chars, &lower), None);
    }
}

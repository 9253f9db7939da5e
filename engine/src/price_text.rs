//! Price text as people read it on a page (`1.234,56 €`, `₹1,23,456`, `CHF 12.–`,
//! `from £12`, `£1.20/100g`) → an exact amount, its currency where the text (or a hint for
//! ambiguous signs such as `$` and `kr`) says it, and flags for ranges, "from" prices and
//! per-unit prices.
//!
//! The scanner works on `char`s with a 1:1 lowercased copy, so positions found in the
//! lowercased text are valid in the original (needed for case-sensitive signs like `Ft`).
//! [`find_amounts`] is shared with offer-text parsing.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::merchant;
use crate::money::{parse_structured_number, Currency};

/// What the page tells us beyond the price text itself. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceHint {
    /// The page language, e.g. `pl-PL` or `en`.
    pub lang: Option<String>,
    /// The page's URL or host; its country-code TLD suggests a currency.
    pub domain: Option<String>,
    /// A currency known from elsewhere (structured data, the caller).
    pub currency: Option<Currency>,
}

impl PriceHint {
    /// Reads a free-form hint: a currency code (`EUR`), a locale (`pl-PL`, `en`), or a
    /// domain / URL (`amazon.co.uk`, `https://www.paris.cl/x`). Anything else is no hint.
    pub fn from_free_text(text: &str) -> Self {
        let t = text.trim();
        let mut hint = Self::default();
        if t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic()) {
            if let Ok(c) = Currency::from_code(t) {
                hint.currency = Some(c);
                return hint;
            }
        }
        if is_locale(t) {
            hint.lang = Some(t.to_owned());
        } else if t.contains('.') && merchant::host_of(t).is_some() {
            hint.domain = Some(t.to_owned());
        }
        hint
    }

    /// Currencies this hint suggests, strongest first: the explicit currency, the domain's,
    /// then the locale's.
    fn candidates(&self) -> Vec<Currency> {
        let mut out = Vec::new();
        out.extend(self.currency);
        out.extend(self.domain.as_deref().and_then(merchant::currency_hint));
        out.extend(self.lang.as_deref().and_then(locale_currency));
        out
    }
}

/// `en`, `pl-PL`, `pt_BR`, `es-419`.
fn is_locale(t: &str) -> bool {
    let mut parts = t.split(['-', '_']);
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let rest: Vec<&str> = parts.collect();
    lang_ok
        && rest.len() <= 2
        && rest
            .iter()
            .all(|p| (2..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The currency a locale implies: its region (`es-CL` → CLP), else a language spoken in one
/// currency area (`pl` → PLN). `en`, `es`, `fr`, `de`, `zh` alone say nothing.
fn locale_currency(lang: &str) -> Option<Currency> {
    let mut parts = lang.trim().split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    if let Some(region) = parts.find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return merchant::currency_for_country(region);
    }
    let iso = match language.as_str() {
        "pl" => "PLN",
        "cs" => "CZK",
        "hu" => "HUF",
        "ro" => "RON",
        "bg" => "BGN",
        "ru" => "RUB",
        "be" => "BYN",
        "uk" => "UAH",
        "sv" => "SEK",
        "da" => "DKK",
        "nb" | "nn" | "no" => "NOK",
        "is" => "ISK",
        "ja" => "JPY",
        "ko" => "KRW",
        "th" => "THB",
        "vi" => "VND",
        "id" => "IDR",
        "tr" => "TRY",
        "he" => "ILS",
        "hi" => "INR",
        "et" | "lv" | "lt" | "sk" | "sl" | "fi" | "el" | "mt" => "EUR",
        _ => return None,
    };
    Currency::from_code(iso).ok()
}

/// A price read from text. `amount` is `None` when the text holds no price; `currency` is
/// `None` when neither the text nor the hint settles it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedPrice {
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    /// `$10 – $20`: `amount` is the low end.
    pub is_range: bool,
    /// `from £12`, `ab 12,99 €`, `$960 起`.
    pub is_from: bool,
    /// `£1.20/100g`, `($0.25 / count)`: a price per measure, not the item's price.
    pub is_per_unit: bool,
}

/// Parses one price text. Never panics; unreadable text gives `amount: None`.
pub fn parse_price(text: &str, hint: &PriceHint) -> ParsedPrice {
    let scan = Scan::new(text, hint);
    let amounts = scan.amounts();
    let usable: Vec<&Amount> = amounts.iter().filter(|a| !a.is_percent).collect();
    // With any signed number present, unsigned ones are quantities, dates or counts.
    let pool: Vec<&Amount> = if usable.iter().any(|a| a.has_sign) {
        usable.iter().copied().filter(|a| a.has_sign).collect()
    } else {
        usable.clone()
    };
    // The item price is neither a per-unit price nor a "was"/"save" figure; fall back to
    // those only when nothing else is there.
    let chosen = pool
        .iter()
        .find(|a| !a.per_unit && !scan.is_aside(a))
        .or_else(|| pool.iter().find(|a| !a.per_unit))
        .or_else(|| pool.first())
        .copied();
    let fallback_currency = amounts
        .iter()
        .find_map(|a| a.currency)
        .or(hint.currency)
        .or_else(|| {
            // A sign with no number next to it (`€ —`) still names the currency.
            scan.signs.first().and_then(|s| scan.resolve(s.spec))
        });
    let Some(chosen) = chosen else {
        return ParsedPrice {
            currency: fallback_currency,
            ..ParsedPrice::default()
        };
    };
    let mut amount = chosen.amount;
    let mut currency = chosen.currency;
    let mut is_range = false;
    let prev = usable.iter().rev().find(|a| a.end <= chosen.start);
    let next = usable.iter().find(|a| a.start >= chosen.end);
    let pairs = [
        prev.filter(|p| scan.is_range_gap(p.end, chosen.start)),
        // `$12.99 - 2 pack` is no range: after a signed price the other end needs a sign.
        next.filter(|n| scan.is_range_gap(chosen.end, n.start) && (n.has_sign || !chosen.has_sign)),
    ];
    if let Some(other) = pairs.into_iter().flatten().find(|o| !o.per_unit) {
        is_range = true;
        amount = amount.min(other.amount);
        currency = currency.or(other.currency);
    }
    // A sign the hints cannot settle (`$` on a euro page) leaves the currency unknown rather
    // than borrowing the hint's.
    let currency = if chosen.has_sign {
        currency.or_else(|| amounts.iter().find_map(|a| a.currency))
    } else {
        currency.or(fallback_currency)
    };
    ParsedPrice {
        amount: Some(amount),
        currency,
        is_range,
        is_from: scan.says_from(chosen),
        is_per_unit: chosen.per_unit || scan.unit_price_label(chosen),
    }
}

/// One number found in a text, with what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// Char span of the number together with its currency sign(s).
    pub start: usize,
    pub end: usize,
    pub amount: Decimal,
    pub currency: Option<Currency>,
    /// A currency sign or code is attached to the number.
    pub has_sign: bool,
    /// Followed by `%`.
    pub is_percent: bool,
    /// Followed by `/100g`, `per kg`, `/ count` …
    pub per_unit: bool,
}

/// Every readable number in `text` with its currency: prices, percentages and plain
/// numbers (quantities such as `100g` or `H9811` inside words are left out). Spans are in
/// chars of `text`.
pub fn find_amounts(text: &str, hint: &PriceHint) -> Vec<Amount> {
    Scan::new(text, hint).amounts()
}

/// Normalises space-like characters to ' ' and lowercases one char for one char.
pub(crate) fn chars_and_lower(text: &str) -> (Vec<char>, Vec<char>) {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{a0}'
            | '\u{2000}'..='\u{200a}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\t'
            | '\n'
            | '\r' => ' ',
            '\u{2212}' => '-',
            c => c,
        })
        .collect();
    let lower = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    (chars, lower)
}

/// Whether `needle` (lower-case) occurs anywhere in `hay` (a text through
/// [`chars_and_lower`]) as a word: see [`word_at`] (so "sold" ≠ "soldier", "kr" ≠ "krone";
/// CJK has no word boundaries).
pub(crate) fn contains_word(hay: &[char], needle: &str) -> bool {
    (0..hay.len()).any(|at| word_at(hay, at, needle))
}

/// Whether `needle` (lowercase) occurs in `hay` at `at`, not glued to letters on either
/// side where the needle itself starts or ends with a letter.
pub(crate) fn word_at(hay: &[char], at: usize, needle: &str) -> bool {
    // Compared char by char without collecting: this runs for every sign at every position.
    let mut end = at;
    for nc in needle.chars() {
        if hay.get(end) != Some(&nc) {
            return false;
        }
        end += 1;
    }
    if end == at {
        return false;
    }
    let is_letter = |c: &char| c.is_alphabetic() && is_word_char(*c);
    let starts_alpha = is_letter(&hay[at]);
    let ends_alpha = is_letter(&hay[end - 1]);
    let left_ok = !starts_alpha || at == 0 || !is_letter(&hay[at - 1]);
    let right_ok = !ends_alpha || end == hay.len() || !is_letter(&hay[end]);
    left_ok && right_ok
}

/// Positions where `needle` occurs as a word wholly inside `hay[from..to]`.
pub(crate) fn find_word(hay: &[char], needle: &str, from: usize, to: usize) -> Vec<usize> {
    let len = needle.chars().count();
    let to = to.min(hay.len());
    if len == 0 || to < len {
        return Vec::new();
    }
    (from..=to - len)
        .filter(|&i| word_at(hay, i, needle))
        .collect()
}

/// How a sign maps to a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// One currency.
    Fixed(&'static str),
    /// Several share the sign: a hint picks one of `members`, else `default`.
    Family {
        members: &'static [&'static str],
        default: Option<&'static str>,
    },
    /// An ISO code written in the text (validated when found).
    Code(Currency),
}

const DOLLAR: Spec = Spec::Family {
    members: &[
        "USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN", "CLP", "ARS", "COP", "UYU", "DOP",
        "JMD", "TTD", "BSD", "BBD", "BZD", "FJD", "NAD", "LRD", "GYD", "SRD", "BND", "XCD", "KYD",
        "BMD",
    ],
    default: None,
};
const KRONE: Spec = Spec::Family {
    members: &["SEK", "NOK", "DKK", "ISK"],
    default: None,
};
const YEN_YUAN: Spec = Spec::Family {
    members: &["JPY", "CNY"],
    default: None,
};
const YUAN: Spec = Spec::Family {
    members: &["CNY", "TWD", "HKD", "MOP"],
    default: None,
};
const RUPEE: Spec = Spec::Family {
    members: &["INR", "PKR", "LKR", "NPR", "MUR", "SCR"],
    default: Some("INR"),
};
const POUND: Spec = Spec::Family {
    members: &["GBP", "EGP", "GIP", "FKP", "SHP", "LBP"],
    default: Some("GBP"),
};
const RUBLE: Spec = Spec::Family {
    members: &["RUB", "BYN"],
    default: Some("RUB"),
};
const LEU: Spec = Spec::Family {
    members: &["RON", "MDL"],
    default: Some("RON"),
};
const FRANC: Spec = Spec::Family {
    members: &["CHF", "XOF", "XAF", "XPF"],
    default: Some("CHF"),
};
const RAND: Spec = Spec::Family {
    members: &["ZAR"],
    default: None,
};

/// Signs matched case-insensitively (longest first wins at a position).
const SIGNS: &[(&str, Spec)] = &[
    ("r$", Spec::Fixed("BRL")),
    ("us$", Spec::Fixed("USD")),
    ("us $", Spec::Fixed("USD")),
    ("u$s", Spec::Fixed("USD")),
    ("c$", Spec::Fixed("CAD")),
    ("c $", Spec::Fixed("CAD")),
    ("ca$", Spec::Fixed("CAD")),
    ("can$", Spec::Fixed("CAD")),
    ("cad$", Spec::Fixed("CAD")),
    ("a$", Spec::Fixed("AUD")),
    ("au$", Spec::Fixed("AUD")),
    ("au $", Spec::Fixed("AUD")),
    ("nz$", Spec::Fixed("NZD")),
    ("hk$", Spec::Fixed("HKD")),
    ("s$", Spec::Fixed("SGD")),
    ("sg$", Spec::Fixed("SGD")),
    ("nt$", Spec::Fixed("TWD")),
    ("mx$", Spec::Fixed("MXN")),
    ("rd$", Spec::Fixed("DOP")),
    ("clp$", Spec::Fixed("CLP")),
    ("col$", Spec::Fixed("COP")),
    ("ar$", Spec::Fixed("ARS")),
    ("s/.", Spec::Fixed("PEN")),
    ("s/", Spec::Fixed("PEN")),
    ("$", DOLLAR),
    ("＄", DOLLAR),
    ("€", Spec::Fixed("EUR")),
    ("euros", Spec::Fixed("EUR")),
    ("euro", Spec::Fixed("EUR")),
    ("£", POUND),
    ("₹", Spec::Fixed("INR")),
    ("rs.", RUPEE),
    ("rs", RUPEE),
    ("₨", RUPEE),
    ("rupees", RUPEE),
    ("¥", YEN_YUAN),
    ("￥", YEN_YUAN),
    ("円", Spec::Fixed("JPY")),
    ("元", YUAN),
    ("₩", Spec::Fixed("KRW")),
    ("원", Spec::Fixed("KRW")),
    ("₽", Spec::Fixed("RUB")),
    ("руб.", RUBLE),
    ("руб", RUBLE),
    ("р.", RUBLE),
    ("рублей", RUBLE),
    ("рубля", RUBLE),
    ("рубль", RUBLE),
    ("б.р.", Spec::Fixed("BYN")),
    ("бел. руб.", Spec::Fixed("BYN")),
    ("₴", Spec::Fixed("UAH")),
    ("грн.", Spec::Fixed("UAH")),
    ("грн", Spec::Fixed("UAH")),
    ("₸", Spec::Fixed("KZT")),
    ("лв.", Spec::Fixed("BGN")),
    ("лв", Spec::Fixed("BGN")),
    ("дин.", Spec::Fixed("RSD")),
    ("zł", Spec::Fixed("PLN")),
    ("zl", Spec::Fixed("PLN")),
    ("kč", Spec::Fixed("CZK")),
    ("lei", LEU),
    ("kr.", KRONE),
    ("kr", KRONE),
    ("chf", FRANC),
    ("sfr.", FRANC),
    ("fr.", FRANC),
    ("₺", Spec::Fixed("TRY")),
    ("₪", Spec::Fixed("ILS")),
    ("₫", Spec::Fixed("VND")),
    ("₱", Spec::Fixed("PHP")),
    ("฿", Spec::Fixed("THB")),
    ("₦", Spec::Fixed("NGN")),
    ("₵", Spec::Fixed("GHS")),
    ("₡", Spec::Fixed("CRC")),
    ("₲", Spec::Fixed("PYG")),
    ("₼", Spec::Fixed("AZN")),
    ("₾", Spec::Fixed("GEL")),
];

/// Signs that are ordinary words or units in lowercase, so matched only as written.
const CASED_SIGNS: &[(&str, Spec)] = &[
    ("Ft", Spec::Fixed("HUF")),
    ("RM", Spec::Fixed("MYR")),
    ("Rp", Spec::Fixed("IDR")),
    ("TL", Spec::Fixed("TRY")),
    ("Br", Spec::Fixed("BYN")),
    ("KSh", Spec::Fixed("KES")),
    ("R", RAND),
];

/// Valid ISO codes that are common English words in capitals ("ALL ITEMS", "TOP 10").
const CODE_DENYLIST: &[&str] = &[
    "ALL", "TOP", "CUP", "GEL", "MOP", "BOB", "SOS", "TRY", "PEN",
];

#[derive(Debug, Clone, Copy)]
struct Sign {
    start: usize,
    end: usize,
    spec: Spec,
}

#[derive(Debug, Clone)]
struct Num {
    start: usize,
    end: usize,
    text: String,
}

struct Scan {
    chars: Vec<char>,
    lower: Vec<char>,
    signs: Vec<Sign>,
    nums: Vec<Num>,
    hint_currencies: Vec<Currency>,
}

impl Scan {
    fn new(text: &str, hint: &PriceHint) -> Self {
        let (chars, lower) = chars_and_lower(text);
        let mut scan = Self {
            signs: Vec::new(),
            nums: Vec::new(),
            hint_currencies: hint.candidates(),
            chars,
            lower,
        };
        scan.signs = scan.find_signs();
        scan.nums = scan.find_numbers();
        scan
    }

    fn find_signs(&self) -> Vec<Sign> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.chars.len() {
            if let Some(sign) = self.sign_at(i) {
                i = sign.end;
                out.push(sign);
            } else {
                i += 1;
            }
        }
        out
    }

    fn sign_at(&self, i: usize) -> Option<Sign> {
        let mut found: Vec<(usize, Spec)> = SIGNS
            .iter()
            .filter(|(pat, _)| word_at(&self.lower, i, pat))
            .map(|(pat, spec)| (pat.chars().count(), *spec))
            .collect();
        for (pat, spec) in CASED_SIGNS {
            // The lone `R` (rand) is too common a letter to trust without a ZA hint.
            if *spec == RAND && self.resolve(RAND).is_none() {
                continue;
            }
            if word_at(&self.chars, i, pat) {
                found.push((pat.chars().count(), *spec));
            }
        }
        if found.is_empty() && self.is_code_at(i) {
            let code: String = self.chars[i..i + 3].iter().collect();
            if let Ok(c) = Currency::from_code(&code) {
                found.push((3, Spec::Code(c)));
            }
        }
        // Longest match wins: `R$` over `$`, `руб.` over `руб`.
        found
            .into_iter()
            .max_by_key(|(len, _)| *len)
            .map(|(len, spec)| Sign {
                start: i,
                end: i + len,
                spec,
            })
    }

    /// Three capitals standing alone, forming an ISO code that is not a common word.
    fn is_code_at(&self, i: usize) -> bool {
        let c = &self.chars;
        if i + 3 > c.len() || !c[i..i + 3].iter().all(char::is_ascii_uppercase) {
            return false;
        }
        let left_ok = i == 0 || !c[i - 1].is_alphabetic();
        let right_ok = i + 3 == c.len() || !c[i + 3].is_alphabetic();
        let code: String = c[i..i + 3].iter().collect();
        left_ok && right_ok && !CODE_DENYLIST.contains(&code.as_str())
    }

    fn resolve(&self, spec: Spec) -> Option<Currency> {
        match spec {
            Spec::Fixed(code) => Currency::from_code(code).ok(),
            Spec::Code(c) => Some(c),
            Spec::Family { members, default } => self
                .hint_currencies
                .iter()
                .copied()
                .find(|c| members.contains(&c.code()))
                .or_else(|| default.and_then(|d| Currency::from_code(d).ok())),
        }
    }

    fn find_numbers(&self) -> Vec<Num> {
        let c = &self.chars;
        let mut out = Vec::new();
        let mut i = 0;
        while i < c.len() {
            if !c[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            let mut j = i;
            while j < c.len() && c[j].is_ascii_digit() {
                j += 1;
            }
            let mut text: String = c[start..j].iter().collect();
            while let Some(&sep) = c.get(j) {
                let digits = c[j + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
                let grouping = matches!(sep, ' ' | '\'' | '’');
                let ok = match sep {
                    // A space or apostrophe only groups thousands: `1 234,56`, `1'234.50`.
                    ' ' | '\'' | '’' => digits == 3,
                    '.' | ',' => digits >= 1,
                    _ => false,
                };
                if !ok {
                    break;
                }
                if !grouping {
                    text.push(sep);
                }
                text.extend(&c[j + 1..j + 1 + digits]);
                j += 1 + digits;
            }
            // `12.–`, `12,-`: whole units written with a dash for the decimals.
            let mut end = j;
            if matches!(c.get(j), Some('.' | ','))
                && matches!(c.get(j + 1), Some('-' | '–' | '—'))
                && !c.get(j + 2).is_some_and(char::is_ascii_digit)
            {
                end = j + 2;
            }
            out.push(Num { start, end, text });
            i = end.max(j);
        }
        out
    }

    fn skip_spaces_back(&self, mut i: usize) -> usize {
        while i > 0 && self.chars[i - 1] == ' ' {
            i -= 1;
        }
        i
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while i < self.chars.len() && self.chars[i] == ' ' {
            i += 1;
        }
        i
    }

    fn amounts(&self) -> Vec<Amount> {
        let mut out = Vec::new();
        for num in &self.nums {
            let left_pos = self.skip_spaces_back(num.start);
            let left = self.signs.iter().find(|s| s.end == left_pos && s.end > 0);
            let right_pos = self.skip_spaces(num.end);
            let right = self.signs.iter().find(|s| s.start == right_pos);
            let glued_left = num.start > 0
                && is_word_char(self.chars[num.start - 1])
                && left.is_none_or(|s| s.end != num.start);
            let glued_right = num.end < self.chars.len()
                && is_word_char(self.chars[num.end])
                && !self.chars[num.end].is_ascii_digit()
                && right.is_none_or(|s| s.start != num.end);
            // UK pence: `99p` is £0.99.
            let pence = glued_right
                && left.is_none()
                && self.chars.get(num.end) == Some(&'p')
                && !self
                    .chars
                    .get(num.end + 1)
                    .is_some_and(|c| c.is_alphabetic())
                && num.text.len() <= 2
                && num.text.chars().all(|c| c.is_ascii_digit());
            if pence && !glued_left {
                if let Ok(minor) = num.text.parse::<i64>() {
                    let end = num.end + 1;
                    out.push(Amount {
                        start: num.start,
                        end,
                        amount: Decimal::new(minor, 2),
                        currency: Currency::from_code("GBP").ok(),
                        has_sign: true,
                        is_percent: false,
                        per_unit: self.per_unit_after(end, num.start),
                    });
                }
                continue;
            }
            // A percentage glued to a label survives (`Bank Offer10% off`, copied text).
            let glued_percent = glued_left && self.chars.get(num.end) == Some(&'%');
            // Inside a word or a code (`H9811`, `B00P17Y73I`) or a quantity (`100g`, `2x`).
            if (glued_left && !glued_percent) || (glued_right && left.is_none()) {
                continue;
            }
            if left.is_none() && right.is_none() && self.is_denominator(num.start) {
                continue;
            }
            let sign = left.or(right);
            // `$1,299.00 MXN`: the sign that settles the currency wins over a bare `$`.
            let currency = left
                .and_then(|s| self.resolve(s.spec))
                .or_else(|| right.and_then(|s| self.resolve(s.spec)));
            let is_percent = self.chars.get(right_pos) == Some(&'%')
                || word_at(&self.lower, right_pos, "percent")
                || word_at(&self.lower, right_pos, "per cent");
            let minor = currency.map(Currency::minor_units);
            let Some(amount) = display_number(&num.text, minor) else {
                continue;
            };
            let start = left.map_or(num.start, |s| s.start);
            let end = right.map_or(num.end, |s| s.end);
            out.push(Amount {
                start,
                end,
                amount,
                currency,
                has_sign: sign.is_some(),
                is_percent,
                per_unit: !is_percent && self.per_unit_after(end, start),
            });
        }
        out
    }

    /// The `100` of `/100g` or `per 100 ml`.
    fn is_denominator(&self, at: usize) -> bool {
        let p = self.skip_spaces_back(at);
        p > 0 && self.chars[p - 1] == '/'
            || ["per", "pro", "par", "por", "je"]
                .iter()
                .any(|w| p >= w.len() && word_at(&self.lower, p - w.len(), w))
    }

    /// `/100g`, `/ count`, `per kg`, `/mo` after a price. Per-piece units (`/szt`, `/ea`)
    /// only count inside parentheses: standing alone they label the item price.
    fn per_unit_after(&self, end: usize, start: usize) -> bool {
        let mut p = self.skip_spaces(end);
        if self.chars.get(p) == Some(&'/') {
            p += 1;
        } else if let Some(w) = ["per", "pro", "par", "por", "je", "le", "la"]
            .iter()
            .find(|w| word_at(&self.lower, p, w))
        {
            p += w.len();
        } else {
            return false;
        }
        p = self.skip_spaces(p);
        while p < self.chars.len() && (self.chars[p].is_ascii_digit() || self.chars[p] == ' ') {
            p += 1;
        }
        let unit: String = self.lower[p..]
            .iter()
            .take_while(|c| c.is_alphabetic())
            .collect();
        if unit.is_empty() || unit.chars().count() > 12 {
            return false;
        }
        const PIECES: &[&str] = &[
            "szt", "tk", "ks", "st", "stk", "stück", "pc", "pcs", "piece", "ea", "each", "item",
            "unit", "unité", "unidad", "unità", "kpl", "шт", "pièce", "pezzo", "sztuka",
        ];
        if PIECES.contains(&unit.as_str()) {
            let open = self.chars[..start].iter().filter(|&&c| c == '(').count();
            let close = self.chars[..start].iter().filter(|&&c| c == ')').count();
            return open > close;
        }
        true
    }

    /// A reference or saving figure: `was £49.99`, `RRP £80`, `Save £20`, `statt 79,99 €`.
    fn is_aside(&self, a: &Amount) -> bool {
        const WORDS: &[&str] = &[
            "was",
            "was:",
            "rrp",
            "list price",
            "list",
            "m.r.p",
            "m.r.p.",
            "mrp",
            "typical price",
            "regular price",
            "reg.",
            "statt",
            "uvp",
            "antes",
            "before",
            "previously",
            "compare at",
            "msrp",
            "orig.",
            "original price",
            "au lieu de",
            "prix barré",
            "prix conseillé",
            "save",
            "you save",
            "sparen",
            "économisez",
            "ahorra",
        ];
        let from = a.start.saturating_sub(20);
        WORDS.iter().any(|w| {
            let len = w.chars().count();
            find_word(&self.lower, w, from, a.start).iter().any(|&i| {
                self.lower[i + len..a.start]
                    .iter()
                    .all(|c| matches!(c, ' ' | ':' | '.'))
            })
        })
    }

    /// A label before the price saying it is per measure: `Price per 100g: £1.20`,
    /// `Grundpreis: 2,99 €/l`.
    fn unit_price_label(&self, a: &Amount) -> bool {
        const LABELS: &[&str] = &[
            "unit price",
            "price per",
            "grundpreis",
            "prix au kg",
            "prix au kilo",
            "prix au litre",
            "precio por",
            "pro kg",
            "pro 100",
            "per 100",
            "per kg",
            "je kg",
            "cena za",
        ];
        LABELS
            .iter()
            .any(|w| !find_word(&self.lower, w, 0, a.start).is_empty())
    }

    /// A dash, "to", "bis", "à" … between two numbers.
    fn is_range_gap(&self, from: usize, to: usize) -> bool {
        let gap: String = self.lower[from..to].iter().collect();
        matches!(
            gap.trim(),
            "-" | "–"
                | "—"
                | "~"
                | "to"
                | "à"
                | "a"
                | "bis"
                | "до"
                | "do"
                | "hasta"
                | "até"
                | "till"
        )
    }

    fn says_from(&self, chosen: &Amount) -> bool {
        const BEFORE: &[&str] = &[
            "from",
            "starting at",
            "starts at",
            "as low as",
            "ab",
            "à partir de",
            "a partir de",
            "dès",
            "desde",
            "od",
            "от",
            "vanaf",
            "fra",
            "från",
            "alkaen",
            "da",
        ];
        const AFTER: &[&str] = &["起", "~", "and up", "alkaen", "& up"];
        let before = BEFORE
            .iter()
            .any(|w| !find_word(&self.lower, w, 0, chosen.start).is_empty());
        let after_pos = self.skip_spaces(chosen.end);
        let after = AFTER.iter().any(|w| word_at(&self.lower, after_pos, w));
        before || after
    }
}

/// A letter or digit of a script written with spaces between words. Chinese, Japanese and
/// Korean run numbers into the text (`只要960元起`), so their characters do not glue.
fn is_word_char(c: char) -> bool {
    let cjk = matches!(c,
        '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{ac00}'..='\u{d7af}'
        | '\u{ff00}'..='\u{ffef}');
    c.is_alphanumeric() && !cjk
}

/// Reads a number as shown to people. Unlike structured data, a lone separator followed by
/// exactly three digits (`1.299`, `24.990`, `1,299`) groups thousands, unless the currency
/// has three minor digits (KWD `12.500`) or the whole part is zero (`0.125`).
fn display_number(text: &str, minor_units: Option<u32>) -> Option<Decimal> {
    let seps: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| matches!(c, '.' | ','))
        .collect();
    let ambiguous = match seps.as_slice() {
        [(i, _)] => text.len() - i - 1 == 3,
        _ => false,
    };
    let minor = if ambiguous {
        let whole_zero = text.trim_start_matches('0').starts_with(['.', ',']);
        if whole_zero || minor_units == Some(3) {
            Some(3)
        } else {
            Some(0)
        }
    } else {
        minor_units
    };
    parse_structured_number(text, minor).filter(|d| !d.is_sign_negative())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn thousands_and_decimals_as_displayed() {
        assert_eq!(display_number("1.299", Some(2)), Some(d("1299")));
        assert_eq!(display_number("12.500", Some(3)), Some(d("12.5")));
        assert_eq!(display_number("0.125", None), Some(d("0.125")));
        assert_eq!(display_number("12,99", Some(2)), Some(d("12.99")));
        assert_eq!(display_number("1,23,456", None), Some(d("123456")));
    }

    #[test]
    fn free_text_hints() {
        let h = PriceHint::from_free_text("EUR");
        assert_eq!(h.currency.map(Currency::code), Some("EUR"));
        assert_eq!(
            PriceHint::from_free_text("pl-PL").lang.as_deref(),
            Some("pl-PL")
        );
        let h = PriceHint::from_free_text("https://www.paris.cl/x");
        assert_eq!(h.candidates().first().map(|c| c.code()), Some("CLP"));
        assert_eq!(PriceHint::from_free_text("???"), PriceHint::default());
    }
}

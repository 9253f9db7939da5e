//! Exact money: a `Decimal` amount tied to an ISO 4217 currency and its minor unit.
//! Floats never appear on a money path.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Why a currency or amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("`{0}` is not a decimal amount")]
    BadAmount(String),
}

/// A validated ISO 4217 currency code such as `USD` or `INR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses a three-letter code, case-insensitively.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&upper)
            .map(Self)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point in the currency's minor unit (JPY 0, USD 2, BHD 3).
    /// Currencies without a minor unit (gold, SDR, …) count as 0.
    pub fn minor_units(self) -> u32 {
        self.0.exponent().map_or(0, u32::from)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount in a currency. Serialised as `{"amount": "12.99", "currency": "USD"}`:
/// the amount is a string so no JSON reader turns it into a float.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Rounds to the currency's minor unit, half away from zero (the common retail rule;
    /// merchants with other conventions say so in their profile).
    pub fn round_to_minor(self) -> Self {
        self.round_with(RoundingStrategy::MidpointAwayFromZero)
    }

    pub fn round_with(self, strategy: RoundingStrategy) -> Self {
        Self {
            amount: self
                .amount
                .round_dp_with_strategy(self.currency.minor_units(), strategy),
            currency: self.currency,
        }
    }

    /// The amount in minor units (cents, paise), or `None` if it has finer digits than the
    /// currency allows or does not fit an `i64`.
    pub fn to_minor_units(self) -> Option<i64> {
        let scaled = self.amount * Decimal::from(10_i64.pow(self.currency.minor_units()));
        if scaled.fract().is_zero() {
            i64::try_from(scaled).ok()
        } else {
            None
        }
    }

    pub fn from_minor_units(minor: i64, currency: Currency) -> Self {
        Self {
            amount: Decimal::new(minor, currency.minor_units()),
            currency,
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Reads a machine-written number as found in structured data (`"1299.00"`, `"1,299.00"`,
/// `"1.299,00"`, `1299`), where the decimal separator is not guaranteed to be `.`.
///
/// With one kind of separator appearing once followed by exactly three digits the text is
/// ambiguous (`"1.299"`); `minor_units` settles it: a currency without a minor unit (CLP, JPY)
/// or with fewer than three digits reads it as a thousands separator only when the separator
/// is `,` or the currency has no minor unit.
pub fn parse_structured_number(text: &str, minor_units: Option<u32>) -> Option<Decimal> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '_'))
        .collect();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let normalised = match (last_dot, last_comma) {
        (None, None) => body.to_owned(),
        (Some(d), Some(c)) => {
            // Both appear: the later one is the decimal separator.
            let (dec, thou) = if d > c { ('.', ',') } else { (',', '.') };
            if body.matches(dec).count() != 1 {
                return None;
            }
            body.replace(thou, "").replace(dec, ".")
        }
        (Some(_), None) => single_separator(body, '.', minor_units)?,
        (None, Some(_)) => single_separator(body, ',', minor_units)?,
    };
    let value = Decimal::from_str(&normalised).ok()?;
    Some(if negative { -value } else { value })
}

fn single_separator(body: &str, sep: char, minor_units: Option<u32>) -> Option<String> {
    let groups: Vec<&str> = body.split(sep).collect();
    if groups.len() > 2 {
        // Repeated: only a grouping separator repeats. Western groups are all 3 digits;
        // Indian grouping (1,23,45,678) has 2-digit groups before the last 3.
        let (first, rest) = (groups[0], &groups[1..]);
        let western = first.len() <= 3 && rest.iter().all(|g| g.len() == 3);
        let indian = first.len() <= 2
            && rest.last().is_some_and(|g| g.len() == 3)
            && rest[..rest.len() - 1].iter().all(|g| g.len() == 2);
        let well_formed = !first.is_empty() && (western || indian);
        return well_formed.then(|| groups.concat());
    }
    let (int, frac) = (groups[0], groups[1]);
    if frac.is_empty() {
        return Some(int.to_owned());
    }
    let thousands = frac.len() == 3
        && int.len() <= 3
        && match minor_units {
            Some(0) => true,
            // `1,299` in structured data is far more often a thousands group than 1.299.
            _ => sep == ',' && minor_units.is_none_or(|m| m < 3),
        };
    Some(if thousands {
        format!("{int}{frac}")
    } else {
        format!("{int}.{frac}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn currency_codes_are_validated_and_know_their_minor_units() {
        assert_eq!(Currency::from_code("usd").map(Currency::code), Ok("USD"));
        assert_eq!(Currency::from_code("JPY").map(Currency::minor_units), Ok(0));
        assert_eq!(Currency::from_code("INR").map(Currency::minor_units), Ok(2));
        assert_eq!(Currency::from_code("BHD").map(Currency::minor_units), Ok(3));
        assert!(matches!(
            Currency::from_code("XYZ"),
            Err(MoneyError::UnknownCurrency(_))
        ));
    }

    #[test]
    fn money_serialises_amount_as_string() {
        let m = Money::new(d("1234.50"), Currency::from_code("EUR").expect("EUR"));
        let json = serde_json::to_string(&m).expect("serialise");
        assert_eq!(json, r#"{"amount":"1234.50","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ABC"}"#).is_err());
    }

    #[test]
    fn minor_units_round_trip_and_rounding() {
        let usd = Currency::from_code("USD").expect("USD");
        let jpy = Currency::from_code("JPY").expect("JPY");
        assert_eq!(Money::new(d("12.34"), usd).to_minor_units(), Some(1234));
        assert_eq!(Money::new(d("12.345"), usd).to_minor_units(), None);
        assert_eq!(
            Money::new(d("12.345"), usd).round_to_minor().amount,
            d("12.35")
        );
        assert_eq!(
            Money::new(d("-12.345"), usd).round_to_minor().amount,
            d("-12.35")
        );
        assert_eq!(
            Money::new(d("1299.5"), jpy).round_to_minor().amount,
            d("1300")
        );
        assert_eq!(Money::from_minor_units(199, usd).amount, d("1.99"));
        assert_eq!(Money::from_minor_units(199, jpy).amount, d("199"));
    }

    #[test]
    fn structured_numbers_in_the_formats_sites_emit() {
        let cases = [
            ("1299.00", None, Some("1299.00")),
            ("1299", None, Some("1299")),
            ("1,299.00", None, Some("1299.00")),
            ("1.299,00", None, Some("1299.00")),
            ("1 299,00", None, Some("1299.00")),
            ("12,5", None, Some("12.5")),
            ("1,299", None, Some("1299")),
            ("1.299", Some(2), Some("1.299")),
            ("24.990", Some(0), Some("24990")),
            ("1.234.567", None, Some("1234567")),
            ("1,23,456", None, Some("123456")),
            ("1,2,3", None, None),
            ("", None, None),
            ("abc", None, None),
            ("12.3.4,5,6", None, None),
            ("-5.00", None, Some("-5.00")),
        ];
        for (text, minor, want) in cases {
            assert_eq!(
                parse_structured_number(text, minor),
                want.map(d),
                "parsing {text:?} with minor units {minor:?}"
            );
        }
    }
}

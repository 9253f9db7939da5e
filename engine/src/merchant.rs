//! Merchant identity: the registrable domain of a page's address (`www.amazon.co.uk` →
//! `amazon.co.uk`, via the public-suffix list) and the currency its country-code domain
//! suggests. Hosts are cut out of the URL by hand so the wasm build does not carry the `url`
//! crate and its IDNA tables.

use crate::money::Currency;

/// The registrable domain ("eTLD+1") of a URL or bare host, lowercased. An IP host is
/// returned as is; a URL without a host, or a host that is itself a public suffix, gives
/// `None`.
pub fn registrable_domain(url: &str) -> Option<String> {
    let host = host_of(url)?;
    if is_ip(&host) {
        return Some(host);
    }
    psl::domain_str(&host).map(str::to_owned)
}

/// The host of a URL (`https://user@Shop.Example.com:8080/x` → `shop.example.com`), or of a
/// bare `host/path` string, lowercased, without port or trailing dot. IPv6 hosts lose their
/// brackets. `None` when there is no host (`mailto:`, `file:///`, empty text).
pub fn host_of(url: &str) -> Option<String> {
    let s = url.trim();
    let rest = match s.find("://") {
        Some(i) if is_scheme(&s[..i]) => &s[i + 3..],
        _ => match s.strip_prefix("//") {
            Some(r) => r,
            // `mailto:x@y`, `about:blank`, `data:…`: a scheme without an authority.
            None if s.split_once(':').is_some_and(|(scheme, after)| {
                is_scheme(scheme) && !after.starts_with(|c: char| c.is_ascii_digit())
            }) =>
            {
                return None
            }
            None => s,
        },
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let valid = !host.is_empty()
        && !host.starts_with('.')
        && !host.contains("..")
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    valid.then_some(host)
}

fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// The currency a page's domain suggests from its country-code TLD (`amazon.co.uk` → GBP,
/// `paris.cl` → CLP, `pcstore.com.tw` → TWD). Generic TLDs (`.com`, and ccTLDs used as
/// generic ones such as `.co`, `.me`, `.io`) give `None`.
pub fn currency_hint(url_or_host: &str) -> Option<Currency> {
    let host = host_of(url_or_host)?;
    if is_ip(&host) {
        return None;
    }
    let tld = host.rsplit('.').next()?;
    // `.co`, `.me`, `.io` … alone are sold as generic names; under a country's own
    // second level (`.com.co`) they do mean the country.
    let second_level = psl::suffix_str(&host).is_some_and(|s| s.contains('.'));
    if !second_level
        && matches!(
            tld,
            "co" | "me" | "io" | "tv" | "ai" | "fm" | "cc" | "ws" | "to"
        )
    {
        return None;
    }
    currency_for_country(tld)
}

/// The currency of a country, by ISO 3166 alpha-2 code or ccTLD (`uk` and `gb` both give
/// GBP). Only countries whose shops we are likely to see; others give `None`.
pub fn currency_for_country(code: &str) -> Option<Currency> {
    let code = code.to_ascii_lowercase();
    let iso = match code.as_str() {
        "uk" | "gb" | "gg" | "je" | "im" => "GBP",
        "us" => "USD",
        "ca" => "CAD",
        "au" => "AUD",
        "nz" => "NZD",
        "in" => "INR",
        "pk" => "PKR",
        "lk" => "LKR",
        "np" => "NPR",
        "bd" => "BDT",
        "pl" => "PLN",
        "cz" => "CZK",
        "hu" => "HUF",
        "ro" => "RON",
        "md" => "MDL",
        "bg" => "BGN",
        "ru" => "RUB",
        "by" => "BYN",
        "ua" => "UAH",
        "kz" => "KZT",
        "rs" => "RSD",
        "ch" | "li" => "CHF",
        "se" => "SEK",
        "no" => "NOK",
        "dk" => "DKK",
        "is" => "ISK",
        "jp" => "JPY",
        "cn" => "CNY",
        "tw" => "TWD",
        "hk" => "HKD",
        "mo" => "MOP",
        "sg" => "SGD",
        "my" => "MYR",
        "id" => "IDR",
        "th" => "THB",
        "vn" => "VND",
        "ph" => "PHP",
        "kr" => "KRW",
        "br" => "BRL",
        "ar" => "ARS",
        "cl" => "CLP",
        "co" => "COP",
        "mx" => "MXN",
        "pe" => "PEN",
        "uy" => "UYU",
        "py" => "PYG",
        "bo" => "BOB",
        "ec" | "sv" | "pa" => "USD",
        "cr" => "CRC",
        "gt" => "GTQ",
        "do" => "DOP",
        "tr" => "TRY",
        "il" => "ILS",
        "ae" => "AED",
        "sa" => "SAR",
        "qa" => "QAR",
        "kw" => "KWD",
        "bh" => "BHD",
        "om" => "OMR",
        "jo" => "JOD",
        "eg" => "EGP",
        "ma" => "MAD",
        "za" => "ZAR",
        "ng" => "NGN",
        "ke" => "KES",
        "gh" => "GHS",
        "de" | "fr" | "it" | "es" | "nl" | "be" | "at" | "ie" | "pt" | "fi" | "gr" | "sk"
        | "si" | "ee" | "lv" | "lt" | "lu" | "mt" | "cy" | "hr" | "me" | "mc" | "sm" | "va"
        | "ad" => "EUR",
        _ => return None,
    };
    Currency::from_code(iso).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_cut_out_of_urls() {
        assert_eq!(
            host_of("https://user:pw@WWW.Example.COM.:8080/a?b#c").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            host_of("amazon.co.uk/dp/X").as_deref(),
            Some("amazon.co.uk")
        );
        assert_eq!(
            host_of("//cdn.example.org/x").as_deref(),
            Some("cdn.example.org")
        );
        assert_eq!(host_of("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(host_of("mailto:someone@example.com"), None);
        assert_eq!(host_of("file:///etc/passwd"), None);
        assert_eq!(host_of(""), None);
    }
}

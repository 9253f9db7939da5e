//! Browser extension match patterns (`*://*.chase.com/*`): where the collector runs (the
//! shopper's "which sites" setting, registered with the browser by the background) and where
//! it never runs (banking and webmail), for the browser's matching and for the background
//! injecting the collector into tabs already open at install.

use crate::merchant::registrable_domain;
use crate::protocol::Blocked;
use crate::wallet::SiteAccess;

/// The content scripts the background registers on the sites the shopper allows.
pub const COLLECTOR_FILES: [&str; 1] = ["content/collector.js"];

/// The in-page badge, loaded into a tab with the first badge the background answers there:
/// most pages never show one, and compiling it on each of them cost about a millisecond.
pub const BADGE_FILE: &str = "content/badge.js";

/// Sites the collector stays off whatever the settings say: webmail and banking.
pub const ALWAYS_EXCLUDED: &[&str] = &[
    "*://mail.google.com/*",
    "*://outlook.live.com/*",
    "*://outlook.office.com/*",
    "*://mail.yahoo.com/*",
    "*://*.mail.yahoo.com/*",
    "*://mail.proton.me/*",
    "*://*.icloud.com/*",
    "*://*.chase.com/*",
    "*://*.bankofamerica.com/*",
    "*://*.wellsfargo.com/*",
    "*://*.citi.com/*",
    "*://*.capitalone.com/*",
    "*://*.americanexpress.com/*",
    "*://*.hdfcbank.com/*",
    "*://*.icicibank.com/*",
    "*://*.onlinesbi.sbi/*",
    "*://*.axisbank.com/*",
    "*://*.paypal.com/*",
];

/// Where the collector runs for a "which sites" setting: every http(s) page, a list of shops
/// (each domain and its subdomains), or nowhere.
pub fn collector_matches(access: &SiteAccess) -> Vec<String> {
    match access {
        SiteAccess::All => vec!["http://*/*".into(), "https://*/*".into()],
        SiteAccess::None => Vec::new(),
        SiteAccess::List { sites } => {
            let mut out: Vec<String> = sites
                .iter()
                .filter_map(|site| registrable_domain(site))
                .flat_map(|domain| domain_matches(&domain))
                .collect();
            out.sort();
            out.dedup();
            out
        }
    }
}

/// The patterns for one site already reduced to its registrable domain (as the background
/// names it): the domain and its subdomains. Callers that have a domain use this rather than
/// `collector_matches`, whose public-suffix list would double the popup's module.
pub fn domain_matches(domain: &str) -> Vec<String> {
    let mut out = vec![format!("*://{domain}/*")];
    // An IP address has no subdomains (and `*.` before one is not a pattern).
    if !domain
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ':')
    {
        out.push(format!("*://*.{domain}/*"));
    }
    out
}

/// The match patterns of host permissions the browser has granted (`permissions.getAll()`'s
/// `origins`) that the collector may run on, for a setting's `wanted` patterns: each wanted
/// pattern a grant covers, and each grant a wanted pattern covers (all sites wanted, two shops
/// granted: those two shops). Sorted, without duplicates.
pub fn granted_matches<S: AsRef<str>, G: AsRef<str>>(wanted: &[S], granted: &[G]) -> Vec<String> {
    let granted = site_grants(granted);
    let mut out = Vec::new();
    for w in wanted.iter().map(AsRef::as_ref) {
        if covered(&granted, w) {
            out.push(w.to_owned());
        }
    }
    let narrower: Vec<String> = granted
        .iter()
        .copied()
        .filter(|g| covered(wanted, g) && !covered(&out, g))
        .map(str::to_owned)
        .collect();
    out.extend(narrower);
    out.sort();
    out.dedup();
    out
}

/// The `wanted` patterns no grant covers: what the browser still has to allow.
pub fn ungranted<S: AsRef<str>, G: AsRef<str>>(wanted: &[S], granted: &[G]) -> Vec<String> {
    wanted
        .iter()
        .map(AsRef::as_ref)
        .filter(|w| !covered(granted, w))
        .map(str::to_owned)
        .collect()
}

/// The site-access grants no `wanted` pattern covers: access the setting does not use, to
/// give back (the sync server's own origin is not site access and stays).
pub fn unused_grants<S: AsRef<str>, G: AsRef<str>>(wanted: &[S], granted: &[G]) -> Vec<String> {
    site_grants(granted)
        .into_iter()
        .filter(|g| !covered(wanted, g))
        .map(str::to_owned)
        .collect()
}

/// The grants that are site access as the settings ask for it (every site, or `*://shop/*`):
/// not the sync server's `https://host/*`, which the sync settings ask for.
fn site_grants<G: AsRef<str>>(granted: &[G]) -> Vec<&str> {
    granted
        .iter()
        .map(AsRef::as_ref)
        .filter(|g| {
            g.starts_with("*://") || matches!(*g, "http://*/*" | "https://*/*" | "<all_urls>")
        })
        .collect()
}

/// Whether `patterns` together cover `pattern`: `*://host/*` is covered by an http pattern
/// and an https one (the "all sites" pair) as well as by one `*://` pattern.
pub fn covered<S: AsRef<str>>(patterns: &[S], pattern: &str) -> bool {
    let by = |p: &str| patterns.iter().any(|o| covers(o.as_ref(), p));
    match pattern.strip_prefix("*://") {
        Some(rest) => {
            by(pattern)
                || ["http", "https"]
                    .iter()
                    .all(|s| by(&format!("{s}://{rest}")))
        }
        None => by(pattern),
    }
}

/// The site a grant pattern names, as people say it: `*://*.amazon.in/*` → `amazon.in`;
/// `None` for a pattern of every host (`https://*/*`).
pub fn pattern_site(pattern: &str) -> Option<String> {
    let rest = pattern.split_once("://").map_or(pattern, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.strip_prefix("*.").unwrap_or(host);
    (host != "*" && !host.is_empty()).then(|| host.to_owned())
}

/// The setting with `site` added, for a shopper who allowed StackSmart on that site: a list
/// gains it, "none" becomes that one site, and "all" already holds it.
pub fn with_site(access: &SiteAccess, site: &str) -> SiteAccess {
    match access {
        SiteAccess::All => SiteAccess::All,
        SiteAccess::None => SiteAccess::List {
            sites: vec![site.to_owned()],
        },
        SiteAccess::List { sites } => {
            let mut sites = sites.clone();
            if !sites.iter().any(|s| s.eq_ignore_ascii_case(site)) {
                sites.push(site.to_owned());
            }
            SiteAccess::List { sites }
        }
    }
}

/// The setting narrowed to what the browser grants, for a shopper who keeps the browser's
/// answer instead of asking again: every site when both schemes are granted for every host,
/// else the sites of the setting (or, for "all", the sites granted) whose patterns are all
/// granted, else none. Its collector patterns are all granted (`ungranted` is empty).
pub fn granted_access<G: AsRef<str>>(access: &SiteAccess, granted: &[G]) -> SiteAccess {
    let candidates: Vec<String> = match access {
        SiteAccess::None => return SiteAccess::None,
        SiteAccess::All => {
            if ungranted(&collector_matches(&SiteAccess::All), granted).is_empty() {
                return SiteAccess::All;
            }
            site_grants(granted)
                .into_iter()
                .filter_map(pattern_site)
                .collect()
        }
        SiteAccess::List { sites } => sites.clone(),
    };
    let mut sites: Vec<String> = Vec::new();
    for site in candidates {
        let one = SiteAccess::List {
            sites: vec![site.clone()],
        };
        let patterns = collector_matches(&one);
        if !patterns.is_empty()
            && ungranted(&patterns, granted).is_empty()
            && !sites.contains(&site)
        {
            sites.push(site);
        }
    }
    if sites.is_empty() {
        SiteAccess::None
    } else {
        SiteAccess::List { sites }
    }
}

/// Whether StackSmart may read the page at `url` (an http(s) address) with the setting
/// `access` and the browser's `granted` host permissions: `Ok` with the page's site, or why
/// not. `None` when the address names no site StackSmart could ever read.
pub fn may_read<G: AsRef<str>>(
    access: &SiteAccess,
    granted: &[G],
    url: &str,
) -> Option<Result<String, Blocked>> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    if matches_any(ALWAYS_EXCLUDED, url) {
        return Some(Err(Blocked::Excluded));
    }
    let site = registrable_domain(url)?;
    let wanted = collector_matches(access);
    if !matches_any(&wanted, url) {
        return Some(Err(Blocked::NotInSettings { site }));
    }
    if !matches_any(&granted_matches(&wanted, granted), url) {
        return Some(Err(Blocked::NotAllowed { site }));
    }
    Some(Ok(site))
}

/// Whether the match pattern `outer` matches every URL `inner` matches (both `scheme://host/path`
/// with `*` wildcards as browsers write them; `<all_urls>` covers every http(s) pattern).
pub fn covers(outer: &str, inner: &str) -> bool {
    if outer == "<all_urls>" {
        return inner == "<all_urls>" || inner.starts_with("http") || inner.starts_with("*://");
    }
    let (Some((o_scheme, o_rest)), Some((i_scheme, i_rest))) =
        (outer.split_once("://"), inner.split_once("://"))
    else {
        return false;
    };
    let scheme_ok =
        o_scheme == i_scheme || (o_scheme == "*" && matches!(i_scheme, "http" | "https"));
    let split = |rest: &str| {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        (host.to_ascii_lowercase(), path.to_owned())
    };
    let ((o_host, o_path), (i_host, i_path)) = (split(o_rest), split(i_rest));
    let host_ok = o_host == "*"
        || o_host == i_host
        || o_host.strip_prefix("*.").is_some_and(|d| {
            let i = i_host.strip_prefix("*.").unwrap_or(&i_host);
            i == d || i.ends_with(&format!(".{d}"))
        });
    // Paths: the collector's patterns all end in `/*`; a narrower path is covered by it.
    let path_ok = o_path == "/*" || o_path == i_path;
    scheme_ok && host_ok && path_ok
}

/// Whether `url` matches the match pattern `pattern` (`<scheme>://<host><path>`; scheme `*`
/// is http or https; host `*` is any host and `*.example.com` is example.com and its
/// subdomains; `*` in the path matches any run of characters). A malformed pattern matches
/// nothing.
pub fn matches(pattern: &str, url: &str) -> bool {
    let Some((p_scheme, p_rest)) = pattern.split_once("://") else {
        return false;
    };
    let Some((u_scheme, u_rest)) = url.split_once("://") else {
        return false;
    };
    let scheme_ok = match p_scheme {
        "*" => matches!(u_scheme, "http" | "https"),
        s => s.eq_ignore_ascii_case(u_scheme),
    };
    if !scheme_ok {
        return false;
    }
    let (p_host, p_path) = p_rest.split_at(p_rest.find('/').unwrap_or(p_rest.len()));
    let (u_authority, u_path) =
        u_rest.split_at(u_rest.find(['/', '?', '#']).unwrap_or(u_rest.len()));
    // Userinfo and port are not part of the host a pattern names.
    let u_host = u_authority.rsplit('@').next().unwrap_or(u_authority);
    let u_host = u_host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(u_host, |(h, _)| h)
        .to_ascii_lowercase();
    let p_host = p_host.to_ascii_lowercase();
    let host_ok = if p_host == "*" {
        true
    } else if let Some(domain) = p_host.strip_prefix("*.") {
        u_host == domain || u_host.ends_with(&format!(".{domain}"))
    } else {
        u_host == p_host
    };
    let u_path = if u_path.is_empty() || !u_path.starts_with('/') {
        format!("/{u_path}")
    } else {
        u_path.to_owned()
    };
    let u_path = u_path.split('#').next().unwrap_or("/");
    host_ok && glob(p_path.as_bytes(), u_path.as_bytes())
}

/// Whether `url` matches any of `patterns`.
pub fn matches_any<S: AsRef<str>>(patterns: &[S], url: &str) -> bool {
    patterns.iter().any(|p| matches(p.as_ref(), url))
}

/// `*` matches any run of bytes; everything else literally.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sites_setting_becomes_match_patterns() {
        assert_eq!(collector_matches(&SiteAccess::None), Vec::<String>::new());
        assert!(collector_matches(&SiteAccess::All).contains(&"https://*/*".to_owned()));
        let list = SiteAccess::List {
            sites: vec![
                "www.amazon.in".into(),
                "amazon.in".into(),
                "127.0.0.1".into(),
            ],
        };
        let patterns = collector_matches(&list);
        assert_eq!(
            patterns,
            vec!["*://*.amazon.in/*", "*://127.0.0.1/*", "*://amazon.in/*"]
        );
        assert!(matches_any(&patterns, "https://www.amazon.in/dp/B0X"));
        assert!(!matches_any(&patterns, "https://www.flipkart.com/p"));
        // The popup's patterns for a site the background named are the setting's own.
        for site in ["amazon.in", "www.amazon.co.uk", "127.0.0.1"] {
            let domain = registrable_domain(site).unwrap_or_default();
            let mut one = domain_matches(&domain);
            one.sort();
            let setting = SiteAccess::List {
                sites: vec![site.into()],
            };
            assert_eq!(one, collector_matches(&setting), "{site}");
        }
        assert!(ALWAYS_EXCLUDED.iter().all(|p| !p.is_empty()));
        assert!(matches_any(
            ALWAYS_EXCLUDED,
            "https://mail.google.com/mail/u/0/"
        ));
    }

    use super::*;

    #[test]
    fn what_the_browser_granted_bounds_where_the_collector_runs() {
        let all = collector_matches(&SiteAccess::All);
        let shops = collector_matches(&SiteAccess::List {
            sites: vec!["amazon.in".into()],
        });
        let none: [&str; 0] = [];
        // Everything granted: the setting decides.
        assert_eq!(granted_matches(&shops, &all), shops);
        assert_eq!(granted_matches(&all, &all), all);
        // All sites wanted, one shop granted: that shop only.
        assert_eq!(granted_matches(&all, &shops), shops);
        assert_eq!(granted_matches(&all, &["<all_urls>"]), all);
        assert!(granted_matches(&all, &none).is_empty());
        assert!(granted_matches(&shops, &["*://*.flipkart.com/*"]).is_empty());
        // What to ask for, and what to give back.
        assert_eq!(ungranted(&all, &shops), all);
        assert!(ungranted(&shops, &all).is_empty());
        assert_eq!(ungranted(&shops, &none), shops);
        assert_eq!(unused_grants(&shops, &all), all);
        assert!(unused_grants(&all, &shops).is_empty());
        assert_eq!(unused_grants(&none, &shops), shops);
        // The sync server's origin is not site access: never given back, never read.
        let sync = "https://sync.example.org/*";
        assert!(unused_grants(&none, &[sync]).is_empty());
        assert!(granted_matches(&all, &[sync]).is_empty());
    }

    #[test]
    fn a_site_allowed_from_the_popup_joins_the_setting() {
        let list = |s: &[&str]| SiteAccess::List {
            sites: s.iter().map(|x| (*x).to_owned()).collect(),
        };
        assert_eq!(
            with_site(&SiteAccess::None, "amazon.in"),
            list(&["amazon.in"])
        );
        assert_eq!(
            with_site(&list(&["flipkart.com"]), "amazon.in"),
            list(&["flipkart.com", "amazon.in"])
        );
        assert_eq!(
            with_site(&list(&["amazon.in"]), "Amazon.in"),
            list(&["amazon.in"])
        );
        assert_eq!(with_site(&SiteAccess::All, "amazon.in"), SiteAccess::All);
        assert_eq!(
            pattern_site("*://*.amazon.in/*").as_deref(),
            Some("amazon.in")
        );
        assert_eq!(pattern_site("https://*/*"), None);
    }

    #[test]
    fn the_setting_narrows_to_what_the_browser_grants() {
        let list = |s: &[&str]| SiteAccess::List {
            sites: s.iter().map(|x| (*x).to_owned()).collect(),
        };
        let amazon = collector_matches(&list(&["amazon.in"]));
        let all = collector_matches(&SiteAccess::All);
        let none: [&str; 0] = [];
        assert_eq!(granted_access(&SiteAccess::All, &all), SiteAccess::All);
        assert_eq!(
            granted_access(&SiteAccess::All, &["*://*/*"]),
            SiteAccess::All
        );
        assert_eq!(
            granted_access(&SiteAccess::All, &amazon),
            list(&["amazon.in"])
        );
        assert_eq!(granted_access(&SiteAccess::All, &none), SiteAccess::None);
        // Only one of the two schemes for every host: not every site.
        assert_eq!(
            granted_access(&SiteAccess::All, &["https://*/*"]),
            SiteAccess::None
        );
        let two = list(&["amazon.in", "flipkart.com"]);
        assert_eq!(granted_access(&two, &amazon), list(&["amazon.in"]));
        assert_eq!(granted_access(&two, &all), two);
        // A shop granted without its subdomains is not wholly granted.
        assert_eq!(granted_access(&two, &["*://amazon.in/*"]), SiteAccess::None);
        // The sync server's origin is no site access.
        assert_eq!(
            granted_access(&SiteAccess::All, &["https://sync.example.org/*"]),
            SiteAccess::None
        );
        for (access, granted) in [
            (SiteAccess::All, amazon.clone()),
            (two.clone(), amazon.clone()),
            (SiteAccess::All, all.clone()),
        ] {
            let narrowed = granted_access(&access, &granted);
            assert!(ungranted(&collector_matches(&narrowed), &granted).is_empty());
        }
    }

    #[test]
    fn a_page_is_read_where_the_setting_and_the_browser_agree() {
        let list = SiteAccess::List {
            sites: vec!["amazon.in".into()],
        };
        let amazon = collector_matches(&list);
        let all = collector_matches(&SiteAccess::All);
        let none: [&str; 0] = [];
        let page = "https://www.amazon.in/dp/B0X";
        assert_eq!(may_read(&list, &amazon, page), Some(Ok("amazon.in".into())));
        assert_eq!(
            may_read(&SiteAccess::All, &amazon, page),
            Some(Ok("amazon.in".into()))
        );
        assert_eq!(
            may_read(&list, &none, page),
            Some(Err(Blocked::NotAllowed {
                site: "amazon.in".into()
            }))
        );
        assert_eq!(
            may_read(&SiteAccess::None, &all, page),
            Some(Err(Blocked::NotInSettings {
                site: "amazon.in".into()
            }))
        );
        assert_eq!(
            may_read(&list, &all, "http://127.0.0.1:8080/p"),
            Some(Err(Blocked::NotInSettings {
                site: "127.0.0.1".into()
            }))
        );
        assert_eq!(
            may_read(&SiteAccess::All, &all, "https://mail.google.com/mail/u/0/"),
            Some(Err(Blocked::Excluded))
        );
        assert_eq!(
            may_read(&SiteAccess::All, &all, "chrome://extensions"),
            None
        );
        assert_eq!(may_read(&SiteAccess::All, &all, "about:blank"), None);
    }

    #[test]
    fn patterns_cover_patterns() {
        assert!(covers("https://*/*", "https://*.amazon.in/*"));
        assert!(covers("*://*.amazon.in/*", "https://www.amazon.in/*"));
        assert!(covers("*://*.amazon.in/*", "*://amazon.in/*"));
        assert!(covers("*://*.amazon.in/*", "*://*.smile.amazon.in/*"));
        assert!(!covers("*://amazon.in/*", "*://*.amazon.in/*"));
        assert!(!covers("https://*/*", "http://a.example/*"));
        assert!(!covers("https://*/*", "*://a.example/*"));
        assert!(!covers("*://*.amazon.in/*", "*://notamazon.in/*"));
        assert!(covers("*://127.0.0.1/*", "http://127.0.0.1/*"));
        assert!(!covers("nonsense", "https://*/*"));
        // The sync server's origin, port and all.
        assert!(covered(&["http://*/*"], "http://127.0.0.1:8787/*"));
        assert!(!covered(&["https://*/*"], "http://127.0.0.1:8787/*"));
    }

    #[test]
    fn patterns_match_as_browsers_do() {
        let bank = "*://*.chase.com/*";
        assert!(matches(bank, "https://secure.chase.com/web/auth"));
        assert!(matches(bank, "https://chase.com/"));
        assert!(matches(bank, "http://chase.com"));
        assert!(!matches(bank, "https://notchase.com/"));
        assert!(!matches(bank, "https://chase.com.evil.example/"));
        assert!(!matches(bank, "ftp://chase.com/"));
        assert!(matches(
            "*://mail.google.com/*",
            "https://mail.google.com:443/mail/u/0/#inbox"
        ));
        assert!(!matches("*://mail.google.com/*", "https://www.google.com/"));
        assert!(matches("https://*/*", "https://a.example/x?y=1"));
        assert!(!matches("https://*/*", "http://a.example/"));
        assert!(matches(
            "*://a.example/p/*/buy",
            "https://a.example/p/12/buy"
        ));
        assert!(!matches(
            "*://a.example/p/*/buy",
            "https://a.example/p/12/sell"
        ));
        assert!(!matches("nonsense", "https://a.example/"));
        assert!(matches_any(
            &["*://*.paypal.com/*", bank],
            "https://www.paypal.com/signin"
        ));
    }
}

//! Site access as the browser grants it: the "which sites" setting asks the browser for the
//! matching host permissions (optional in the manifest) and gives back what it no longer
//! uses; the background registers the collector only where both agree. The welcome page and
//! the settings share this.

use engine::sites::{collector_matches, ungranted, unused_grants};
use engine::wallet::SiteAccess;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::bridge;
use crate::i18n::{t, tr};

/// The host permissions the browser grants now, kept current (the shopper can also grant or
/// take them back in the browser's own extension settings).
#[derive(Clone, Copy)]
pub struct Grants(pub RwSignal<Vec<String>>);

impl Grants {
    pub fn follow() -> Self {
        let grants = Self(RwSignal::new(Vec::new()));
        grants.refresh();
        bridge::on_permissions_change(move || grants.refresh());
        grants
    }

    pub fn refresh(self) {
        spawn_local(async move {
            let origins = bridge::granted_origins().await;
            self.0.try_set(origins);
        });
    }
}

/// Makes the browser's grants match `access`: gives back the site access it does not use,
/// then asks for what it lacks. Call it from the click that chose `access`, before any await
/// (browsers only prompt on a gesture). The request's promise, when there is one: the
/// caller does not wait for it before saving (a prompt may stay open a long time).
pub fn ask(access: &SiteAccess, granted: &[String]) -> Option<js_sys::Promise> {
    let wanted = collector_matches(access);
    let unused = unused_grants(&wanted, granted);
    if let Some(removal) = bridge::remove_origins(&unused) {
        spawn_local(async move {
            bridge::permission_answer(removal).await;
        });
    }
    // Asked after the removal, so narrowing "every site" to a list asks for the list itself
    // instead of finding it covered by the grant being given back: Chromium applies the
    // removal before it reads the request. Firefox applies it later, but a shop's `*://`
    // patterns are covered by neither of the every-site grants (`http://*/*`,
    // `https://*/*`) on its own, so it asks for them too. (Firefox refuses a pattern no
    // single declared one covers, hence the manifest's one `*://*/*`.)
    let kept: Vec<&String> = granted.iter().filter(|g| !unused.contains(g)).collect();
    bridge::request_origins(&ungranted(&wanted, &kept))
}

/// A grant pattern as people say it: `*://*.amazon.in/*` → `amazon.in`; `https://*/*` →
/// every site.
fn site_name(pattern: &str) -> Option<String> {
    let rest = pattern.split_once("://").map_or(pattern, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.strip_prefix("*.").unwrap_or(host);
    (host != "*" && !host.is_empty()).then(|| host.to_owned())
}

/// What the browser still has to allow for `access`, in words (`None`: nothing).
fn missing_in_words(access: &SiteAccess, granted: &[String]) -> Option<String> {
    let missing = ungranted(&collector_matches(access), granted);
    if missing.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for name in missing.iter().map(|p| site_name(p)) {
        let Some(name) = name else {
            return Some(t("siteAccessEverySite", "every site"));
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(names.join(", "))
}

/// Says when the browser does not (or no longer) allow what `access` asks for, with the one
/// click that asks it; `testid` names the note.
#[component]
pub fn SiteAccessNote(
    #[prop(into)] access: Signal<Option<SiteAccess>>,
    grants: Grants,
    testid: &'static str,
) -> impl IntoView {
    move || {
        let access = access.get()?;
        let granted = grants.0.get();
        let missing = missing_in_words(&access, &granted)?;
        let allow = move |_| {
            let wanted = collector_matches(&access);
            // On the click itself: browsers only prompt on a gesture.
            if let Some(request) = bridge::request_origins(&ungranted(&wanted, &granted)) {
                spawn_local(async move {
                    bridge::permission_answer(request).await;
                });
            }
        };
        Some(view! {
            <p class="hint access-missing" role="status" data-testid=testid>
                {tr("siteAccessMissing", "Your browser has not allowed StackSmart to read $1, so it reads no page there.", &[&missing])}" "
                <button type="button" class="link" data-testid="allow-access" on:click=allow>
                    {t("siteAccessAllow", "Allow access")}
                </button>
            </p>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_named_as_people_say_them() {
        assert_eq!(site_name("*://*.amazon.in/*").as_deref(), Some("amazon.in"));
        assert_eq!(site_name("*://127.0.0.1/*").as_deref(), Some("127.0.0.1"));
        assert_eq!(site_name("https://*/*"), None);
        let list = SiteAccess::List {
            sites: vec!["www.amazon.in".into(), "flipkart.com".into()],
        };
        assert_eq!(
            missing_in_words(&list, &[]).as_deref(),
            Some("amazon.in, flipkart.com")
        );
        let granted = vec!["*://*.amazon.in/*".into(), "*://amazon.in/*".into()];
        assert_eq!(
            missing_in_words(&list, &granted).as_deref(),
            Some("flipkart.com")
        );
        assert_eq!(
            missing_in_words(&SiteAccess::All, &granted).as_deref(),
            Some("every site")
        );
        let all = vec!["http://*/*".into(), "https://*/*".into()];
        assert_eq!(missing_in_words(&list, &all), None);
        assert_eq!(missing_in_words(&SiteAccess::None, &[]), None);
    }
}

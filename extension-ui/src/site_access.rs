//! Site access as the browser grants it: the "which sites" setting asks the browser for the
//! matching host permissions (optional in the manifest) and gives back what it no longer
//! uses; the background registers the collector only where both agree. The welcome page and
//! the settings share this.

use engine::sites::{collector_matches, granted_access, pattern_site, ungranted, unused_grants};
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

/// Sites as people say them, for grant patterns: `*://*.amazon.in/*` → `amazon.in`; a pattern
/// of every host → "every site".
fn in_words(patterns: &[String]) -> Option<String> {
    if patterns.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for name in patterns.iter().map(|p| pattern_site(p)) {
        let Some(name) = name else {
            return Some(t("siteAccessEverySite", "every site"));
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(names.join(", "))
}

/// What the browser still has to allow for `access`, in words (`None`: nothing).
fn missing_in_words(access: &SiteAccess, granted: &[String]) -> Option<String> {
    in_words(&ungranted(&collector_matches(access), granted))
}

/// The site access the browser grants that `access` does not use, in words (`None`: none).
fn unused_in_words(access: &SiteAccess, granted: &[String]) -> Option<String> {
    in_words(&unused_grants(&collector_matches(access), granted))
}

/// A setting as a short phrase: "every site", "amazon.in, flipkart.com", "no site".
fn access_in_words(access: &SiteAccess) -> String {
    match access {
        SiteAccess::All => t("siteAccessEverySite", "every site"),
        SiteAccess::None => t("siteAccessNoSite", "no site"),
        SiteAccess::List { sites } => sites.join(", "),
    }
}

/// Gives back the site access `access` does not use (no prompt: giving back needs no
/// gesture).
pub fn give_back(access: &SiteAccess, granted: &[String]) {
    let unused = unused_grants(&collector_matches(access), granted);
    if let Some(removal) = bridge::remove_origins(&unused) {
        spawn_local(async move {
            bridge::permission_answer(removal).await;
        });
    }
}

/// Says when the settings and the browser's grants disagree, which happens when settings
/// arrive without a click (an import, sync from another browser) or the shopper changes
/// access in the browser's own settings. When the browser lacks what the settings ask for:
/// "Allow access" (asked on that click) and, with `on_align`, a click that narrows the
/// settings to what the browser allows instead. When the browser grants more than the
/// settings use: a click that gives the rest back. `testid` names the note; a `banner` stands
/// out at the top of a page.
#[component]
pub fn SiteAccessNote(
    #[prop(into)] access: Signal<Option<SiteAccess>>,
    grants: Grants,
    testid: &'static str,
    #[prop(optional, into)] on_align: Option<Callback<SiteAccess>>,
    #[prop(optional)] banner: bool,
) -> impl IntoView {
    let class = move |kind: &str| {
        if banner {
            format!("access-note {kind} banner")
        } else {
            format!("access-note {kind}")
        }
    };
    move || {
        let access = access.get()?;
        let granted = grants.0.get();
        if let Some(missing) = missing_in_words(&access, &granted) {
            let allow = {
                let (access, granted) = (access.clone(), granted.clone());
                move |_| {
                    // On the click itself: browsers only prompt on a gesture.
                    if let Some(request) = ask(&access, &granted) {
                        spawn_local(async move {
                            bridge::permission_answer(request).await;
                        });
                    }
                }
            };
            let narrowed = granted_access(&access, &granted);
            let align = on_align.map(|on_align| {
                let words = access_in_words(&narrowed);
                view! {
                    " "<button type="button" class="link" data-testid="align-settings"
                        on:click=move |_| on_align.run(narrowed.clone())>
                        {tr("siteAccessAlign", "Change the settings to $1 instead", &[&words])}
                    </button>
                }
            });
            return Some(view! {
                <div class=class("access-missing") role="status" data-testid=testid data-mismatch="missing">
                    <p>{tr("siteAccessMissing", "Your browser has not allowed StackSmart to read $1, so it reads no page there.", &[&missing])}</p>
                    <p class="access-actions">
                        <button type="button" class="link" data-testid="allow-access" on:click=allow>
                            {t("siteAccessAllow", "Allow access")}
                        </button>
                        {align}
                    </p>
                </div>
            }.into_any());
        }
        let unused = unused_in_words(&access, &granted)?;
        let settings = access_in_words(&access);
        Some(view! {
            <div class=class("access-extra") role="status" data-testid=testid data-mismatch="extra">
                <p>{tr("siteAccessExtra", "Your browser still lets StackSmart read $1, more than your settings use ($2).", &[&unused, &settings])}</p>
                <p class="access-actions">
                    <button type="button" class="link" data-testid="give-back"
                        on:click=move |_| give_back(&access, &granted)>
                        {t("siteAccessGiveBack", "Give that back")}
                    </button>
                </p>
            </div>
        }.into_any())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_named_as_people_say_them() {
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
        // More granted than used: every site granted, two shops used.
        assert_eq!(unused_in_words(&list, &all).as_deref(), Some("every site"));
        assert_eq!(unused_in_words(&SiteAccess::All, &all), None);
        assert_eq!(
            unused_in_words(&SiteAccess::None, &granted).as_deref(),
            Some("amazon.in")
        );
        assert_eq!(access_in_words(&list), "www.amazon.in, flipkart.com");
        assert_eq!(access_in_words(&SiteAccess::None), "no site");
    }
}

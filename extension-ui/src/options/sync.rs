//! The options page's sync section: sign up (the recovery key shown once), sign in, recover
//! with the recovery key, change the password, make a new recovery key (shown once), sync now
//! (or the wait the server asked for), devices, sign out, delete the account.
//!
//! The password is turned into keys here (Argon2id, sync-core) and never leaves the page; the
//! background gets only the derived authentication and wrap keys, and does the HTTP.
//!
//! When the server answers an account action with "wait" (429, a busy 409, 503 and their
//! `Retry-After`), the section says how long, and the account actions stay disabled until
//! then: nothing is retried on its own, and a click cannot send again early. The end of the
//! wait is kept in `storage.session` (else `storage.local`), so a reload of the page keeps it.

use engine::protocol::{
    ErrorBody, ErrorCode, KdfParams, Request, Response, SyncDevice, SyncStatus,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use sync_core::keys::{self, PasswordKeys};
use sync_core::retry;

use super::Field;
use crate::i18n::{t, tr};
use crate::site_access::Grants;
use crate::{bridge, format};

/// What the section shows.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    SignIn,
    Recover,
}

#[derive(Clone, Copy)]
struct SyncCtx {
    status: RwSignal<Option<SyncStatus>>,
    busy: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    info: RwSignal<Option<String>>,
    /// The recovery key right after sign-up, until the shopper says it is saved.
    recovery: RwSignal<Option<String>>,
    /// Milliseconds the last Argon2id derivation took (also on the section as `data-kdf-ms`).
    kdf_ms: RwSignal<Option<f64>>,
    /// A clock ticking each second, for the countdowns of the server's waits.
    now: RwSignal<u64>,
    /// The server asked account actions to wait until then (ms since the epoch).
    wait_until: RwSignal<Option<u64>>,
}

impl SyncCtx {
    /// Whole seconds left of the server's wait for account actions (tracked: follows the
    /// clock).
    fn wait_left(self) -> Option<u64> {
        retry::seconds_left(self.wait_until.get(), self.now.get())
    }

    /// Account actions (they all reach the server's rate-limited auth endpoints) are off
    /// while another action runs and while the server's wait lasts.
    fn account_blocked(self) -> Signal<bool> {
        Signal::derive(move || self.busy.get().is_some() || self.wait_left().is_some())
    }
}

/// Why an action stopped: words for the alert, or the server's "try again in N s".
enum Failed {
    Said(String),
    Wait(u32),
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Failed::Said(message)
    }
}

impl From<ErrorBody> for Failed {
    fn from(e: ErrorBody) -> Self {
        match (e.code, e.retry_after_secs) {
            (ErrorCode::RetryLater, Some(secs)) => Failed::Wait(secs),
            _ => Failed::Said(e.message),
        }
    }
}

fn device_name() -> String {
    let ua = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    let browser = if ua.contains("Firefox") {
        "Firefox"
    } else {
        "Chrome"
    };
    let os = ["Windows", "Mac OS", "Android", "Linux", "CrOS"]
        .into_iter()
        .find(|o| ua.contains(o))
        .map_or_else(
            || t("syncThisComputer", "this computer"),
            |o| o.replace("Mac OS", "macOS"),
        );
    tr("syncDeviceName", "$1 on $2", &[browser, &os])
}

async fn status_of(reply: Result<Response, String>) -> Result<SyncStatus, Failed> {
    match reply {
        Ok(Response::SyncStatus { status }) => Ok(*status),
        Ok(Response::Error(e)) => Err(e.into()),
        Ok(other) => Err(format!("unexpected answer: {other:?}").into()),
        Err(e) => Err(e.into()),
    }
}

async fn refresh(c: SyncCtx) {
    match status_of(bridge::request(&Request::SyncStatus).await).await {
        Ok(s) => {
            c.status.try_set(Some(s));
        }
        Err(Failed::Said(e)) => {
            c.error.try_set(Some(e));
        }
        Err(Failed::Wait(_)) => {}
    }
}

/// Lets the page paint ("Deriving keys…") before Argon2 holds the thread.
async fn yield_to_page() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Argon2id of the password, timed.
async fn derive(c: SyncCtx, password: &str, kdf: &KdfParams) -> Result<PasswordKeys, String> {
    c.busy
        .set(Some(t("syncDeriving", "Deriving keys from the password…")));
    yield_to_page().await;
    let start = js_sys::Date::now();
    let keys = keys::password_keys(password, kdf).map_err(|e| e.to_string());
    c.kdf_ms.set(Some(js_sys::Date::now() - start));
    keys
}

async fn params(server: &str, email: &str) -> Result<KdfParams, Failed> {
    match bridge::request(&Request::SyncKdf {
        server: server.into(),
        email: email.into(),
    })
    .await
    {
        Ok(Response::SyncKdf { kdf }) => Ok(kdf),
        Ok(Response::Error(e)) => Err(e.into()),
        Ok(other) => Err(format!("unexpected answer: {other:?}").into()),
        Err(e) => Err(e.into()),
    }
}

/// Runs `work` with the section marked busy; its error (if any) shows in the alert, and a
/// wait the server asked for holds back the account actions until it has passed.
fn act(
    c: SyncCtx,
    label: String,
    work: impl std::future::Future<Output = Result<(), Failed>> + 'static,
) {
    if c.busy.get_untracked().is_some() {
        return;
    }
    c.error.set(None);
    c.info.set(None);
    c.busy.set(Some(label));
    spawn_local(async move {
        let result = work.await;
        c.busy.try_set(None);
        match result {
            Ok(()) => {}
            Err(Failed::Said(e)) => {
                c.error.try_set(Some(e));
            }
            Err(Failed::Wait(secs)) => {
                let until = now_ms().saturating_add(u64::from(secs) * 1000);
                c.now.try_set(now_ms());
                c.wait_until.try_set(Some(until));
                // A reload of the page must not forget it (and let the actions go early).
                #[allow(clippy::cast_precision_loss)] // ms since the epoch fit f64 exactly
                bridge::set_session_number(WAIT_KEY, until as f64).await;
            }
        }
    });
}

/// Where the end of the server's wait for account actions is kept across reloads of the page
/// (`storage.session`, else `storage.local`): ms since the epoch.
const WAIT_KEY: &str = "sync-account-wait-until";

/// The wait a previous load of this page was told about, if it has not passed (at most the
/// longest wait a server can impose from now, whatever was stored).
async fn restore_wait(c: SyncCtx) {
    let Some(stored) = bridge::session_number(WAIT_KEY).await else {
        return;
    };
    if !(stored.is_finite() && stored > 0.0) {
        return;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole ms, in range
    let until = stored as u64;
    let now = now_ms();
    let until = until.min(now.saturating_add(u64::from(retry::MAX_WAIT_SECS) * 1000));
    if until > now && c.wait_until.get_untracked().is_none() {
        c.now.try_set(now);
        c.wait_until.try_set(Some(until));
    }
}

/// [`act`] for an account action: nothing is sent while the server's wait lasts (a form
/// can still be submitted with Enter, or from a script, while its button is disabled).
fn act_on_account(
    c: SyncCtx,
    label: String,
    work: impl std::future::Future<Output = Result<(), Failed>> + 'static,
) {
    if retry::seconds_left(c.wait_until.get_untracked(), now_ms()).is_some() {
        return;
    }
    act(c, label, work);
}

/// The origin pattern the extension needs to reach `server`, if it reads as an address.
fn origin_pattern(server: &str) -> Option<String> {
    let url = web_sys::Url::new(server.trim()).ok()?;
    matches!(url.protocol().as_str(), "http:" | "https:").then(|| format!("{}/*", url.origin()))
}

#[component]
pub fn SyncSection() -> impl IntoView {
    let c = SyncCtx {
        status: RwSignal::new(None),
        busy: RwSignal::new(None),
        error: RwSignal::new(None),
        info: RwSignal::new(None),
        recovery: RwSignal::new(None),
        kdf_ms: RwSignal::new(None),
        now: RwSignal::new(now_ms()),
        wait_until: RwSignal::new(None),
    };
    if let Ok(tick) = set_interval_with_handle(
        move || {
            c.now.try_set(now_ms());
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || tick.clear());
    }
    spawn_local(refresh(c));
    spawn_local(restore_wait(c));
    // Rounds run in the background (after edits, on the alarm): follow their outcome.
    bridge::on_local_change("sync-state", move || spawn_local(refresh(c)));
    let signed_in = move || c.status.get().is_some_and(|s| s.account.is_some());
    view! {
        <section class="section" id="sync" aria-labelledby="sync-h" data-testid="sync"
            data-kdf-ms=move || c.kdf_ms.get().map(|m| format!("{m:.0}"))>
            <h2 id="sync-h">{t("syncTitle", "Sync")}</h2>
            <p class="muted">
                {t("syncIntro", "Keep this wallet and its settings the same in every browser you sign in to. End-to-end encrypted: the password never leaves this page, and the server (ours or your own) stores only ciphertext it cannot read.")}
            </p>
            {move || c.recovery.get().map(|key| view! { <RecoveryKeyBox c key/> })}
            <Show when=signed_in fallback=move || view! { <SignedOut c/> }>
                <SignedIn c/>
            </Show>
            <div class="note-slot" aria-live="polite">
                {move || c.busy.get().map(|b| view! { <p class="muted" data-testid="sync-busy">{b}</p> })}
                {move || c.wait_left().map(|s| view! {
                    <p class="note refused" role="alert" data-testid="sync-wait">
                        {tr("syncWaitBeforeRetry", "The sync server is busy or limiting requests: try again in $1 s. Nothing was changed.", &[&s.to_string()])}
                    </p>
                })}
                {move || c.info.get().map(|m| view! { <p class="note saved" data-testid="sync-info">{m}</p> })}
                {move || c.error.get().map(|e| view! {
                    <p class="note refused" role="alert" data-testid="sync-error">{e}</p>
                })}
            </div>
        </section>
    }
}

#[component]
fn RecoveryKeyBox(c: SyncCtx, key: String) -> impl IntoView {
    view! {
        <div class="recovery" role="region" aria-label=t("syncRecoveryKey", "Recovery key") data-testid="recovery">
            <p><strong>{t("syncYourRecoveryKey", "Your recovery key.")}</strong>" "
                {t("syncRecoveryKeyHelp", "Write it down or store it in a password manager now: it is shown only this once. If you forget your password, it is the only way back to your synced wallet; nobody, not even the server's operator, can reset it.")}</p>
            <p><code class="recovery-key" data-testid="recovery-key">{key}</code></p>
            <button type="button" data-testid="recovery-saved" on:click=move |_| c.recovery.set(None)>
                {t("syncRecoverySaved", "I have saved it")}
            </button>
        </div>
    }
}

#[component]
fn SignedOut(c: SyncCtx) -> impl IntoView {
    let mode = RwSignal::new(Mode::SignIn);
    let server = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let recovery_key = RwSignal::new(String::new());
    let busy = c.account_blocked();

    // Browsers want a click for a permission prompt: ask first, before any await. Not when a
    // grant already covers the server (every site allowed): Chromium prompts again for an
    // origin a broader optional grant covers.
    let grants = Grants::follow();
    let ask_permission = move || -> Option<js_sys::Promise> {
        origin_pattern(&server.get_untracked())
            .filter(|p| !engine::sites::covered(&grants.0.get_untracked(), p))
            .and_then(|p| bridge::request_origin(&p))
    };
    let checked = move || -> Result<(String, String, String), String> {
        let s = server.get_untracked().trim().to_owned();
        let e = email.get_untracked().trim().to_owned();
        let p = password.get_untracked();
        if origin_pattern(&s).is_none() {
            return Err(tr(
                "syncBadServer",
                "“$1” is not a server address: e.g. https://sync.example.com (or http://127.0.0.1:8787 for one on this computer).",
                &[&s],
            ));
        }
        if !e.contains('@') {
            return Err(t("syncBadEmail", "Enter the account's email address."));
        }
        if p.chars().count() < 8 {
            return Err(t(
                "syncShortPassword",
                "The password needs at least 8 characters.",
            ));
        }
        Ok((s, e, p))
    };
    let sign_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let permission = ask_permission();
        let (s, e, p) = match checked() {
            Ok(v) => v,
            Err(m) => return c.error.set(Some(m)),
        };
        let signing_in = t("syncSigningIn", "Signing in…");
        act_on_account(c, signing_in.clone(), async move {
            granted(permission, &s).await?;
            let kdf = params(&s, &e).await?;
            let keys = derive(c, &p, &kdf).await?;
            c.busy.set(Some(signing_in));
            let reply = bridge::request(&Request::SyncSignIn {
                server: s,
                email: e,
                auth_key: keys.auth.to_base64(),
                wrap_key: keys.wrap.to_base64(),
                device_name: device_name(),
            })
            .await;
            let st = status_of(reply).await?;
            c.status.set(Some(st));
            Ok(())
        });
    };
    let sign_up = move |_| {
        let permission = ask_permission();
        let (s, e, p) = match checked() {
            Ok(v) => v,
            Err(m) => return c.error.set(Some(m)),
        };
        let creating = t("syncCreating", "Creating the account…");
        act_on_account(c, creating.clone(), async move {
            granted(permission, &s).await?;
            // An unknown email gets the server's cost; the salt is made fresh here.
            let cost = params(&s, &e).await?;
            let kdf = keys::fresh_kdf(cost.m_kib, cost.t, cost.p).map_err(|e| e.to_string())?;
            let keys = derive(c, &p, &kdf).await?;
            c.busy.set(Some(creating));
            match bridge::request(&Request::SyncSignUp {
                server: s,
                email: e,
                kdf,
                auth_key: keys.auth.to_base64(),
                wrap_key: keys.wrap.to_base64(),
                device_name: device_name(),
            })
            .await
            {
                Ok(Response::SyncSignedUp {
                    recovery_key,
                    status,
                }) => {
                    c.recovery.set(Some(recovery_key));
                    c.status.set(Some(*status));
                    Ok(())
                }
                other => status_of(other).await.map(|_| ()),
            }
        });
    };
    let recover = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let permission = ask_permission();
        let (s, e, p) = match checked() {
            Ok(v) => v,
            Err(m) => return c.error.set(Some(m)),
        };
        let rk = recovery_key.get_untracked();
        let recovering = t("syncRecovering", "Recovering the account…");
        act_on_account(c, recovering.clone(), async move {
            granted(permission, &s).await?;
            keys::RecoveryKey::parse(&rk).map_err(|e| e.to_string())?;
            let cost = params(&s, &e).await?;
            let kdf = keys::fresh_kdf(cost.m_kib, cost.t, cost.p).map_err(|e| e.to_string())?;
            let keys = derive(c, &p, &kdf).await?;
            c.busy.set(Some(recovering));
            let reply = bridge::request(&Request::SyncRecover {
                server: s,
                email: e,
                recovery_key: rk,
                kdf,
                auth_key: keys.auth.to_base64(),
                wrap_key: keys.wrap.to_base64(),
                device_name: device_name(),
            })
            .await;
            c.status.set(Some(status_of(reply).await?));
            c.info.set(Some(t(
                "syncRecovered",
                "Recovered: the new password is set.",
            )));
            Ok(())
        });
    };
    view! {
        // novalidate: the page's own messages say what is wrong, in words the browser lacks.
        <form aria-label=t("syncAccountForm", "Sync account") data-testid="sync-form" novalidate=true
            on:submit=move |ev| if mode.get_untracked() == Mode::SignIn { sign_in(ev) } else { recover(ev) }>
            <div class="row">
                <Field label=t("syncServer", "Sync server") id="sync-server".into() value=server kind="url"
                    placeholder="https://sync.example.com" hint=t("syncServerHint", "Yours or a self-hosted one") required=true/>
                <Field label=t("syncEmail", "Email") id="sync-email".into() value=email kind="email" required=true/>
                <Field label=t("syncPassword", "Password") id="sync-password".into() value=password kind="password"
                    hint=t("syncPasswordHint", "At least 8 characters; it never leaves this page") required=true/>
            </div>
            <Show when=move || mode.get() == Mode::Recover>
                <Field label=t("syncRecoveryKey", "Recovery key") id="sync-recovery-key".into() value=recovery_key
                    placeholder="ABCD-EFGH-…" hint=t("syncRecoveryKeyHint", "The key shown when the account was created")/>
            </Show>
            <div class="actions">
                <Show when=move || mode.get() == Mode::SignIn fallback=move || view! {
                    <button type="submit" data-testid="sync-recover" disabled=busy>{t("syncRecover", "Recover and set this password")}</button>
                    <button type="button" class="link" on:click=move |_| mode.set(Mode::SignIn)>{t("syncBackToSignIn", "Back to sign in")}</button>
                }>
                    <button type="submit" data-testid="sync-signin" disabled=busy>{t("syncSignIn", "Sign in")}</button>
                    <button type="button" data-testid="sync-signup" disabled=busy on:click=sign_up>{t("syncSignUp", "Create account")}</button>
                    <button type="button" class="link" data-testid="sync-lost" on:click=move |_| mode.set(Mode::Recover)>
                        {t("syncLost", "Lost the password?")}
                    </button>
                </Show>
            </div>
        </form>
    }
}

/// Waits for the host permission asked for on click; a refusal is a clear error.
async fn granted(permission: Option<js_sys::Promise>, server: &str) -> Result<(), String> {
    let Some(p) = permission else {
        return Ok(());
    };
    match wasm_bindgen_futures::JsFuture::from(p).await {
        Ok(v) if v.as_bool() == Some(true) => Ok(()),
        Ok(_) => Err(tr(
            "syncNoPermission",
            "StackSmart needs your permission to reach $1; nothing was sent.",
            &[server],
        )),
        // Browsers without the prompt may refuse the call itself; the request then shows
        // whether the server can be reached.
        Err(_) => Ok(()),
    }
}

/// "Signed in as <email> on <server>." with the two parts marked up, in the message's order.
fn signed_in_as(email: String, server: String) -> impl IntoView {
    // Markers the translated sentence keeps in place of the parts.
    const EMAIL: &str = "\u{1}";
    const SERVER: &str = "\u{2}";
    let sentence = tr("syncSignedInAs", "Signed in as $1 on $2.", &[EMAIL, SERVER]);
    let (before, rest) = sentence.split_once(EMAIL).unwrap_or((&sentence, ""));
    let (middle, after) = rest.split_once(SERVER).unwrap_or((rest, ""));
    let (before, middle, after) = (before.to_owned(), middle.to_owned(), after.to_owned());
    view! {
        {before}<strong data-testid="sync-account">{email}</strong>{middle}<code>{server}</code>{after}
    }
}

/// The page's clock in ms since the epoch.
fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole ms, in range
        let ms = now as u64;
        ms
    } else {
        0
    }
}

/// The wait the server asked for, as the status says it.
fn retry_text(seconds: u64) -> String {
    tr(
        "syncRetryIn",
        "Server busy, retrying in $1 s.",
        &[&seconds.to_string()],
    )
}

fn when(ms: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // ms since the epoch fit f64 exactly
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[component]
fn SignedIn(c: SyncCtx) -> impl IntoView {
    let devices = RwSignal::new(None::<Vec<SyncDevice>>);
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let deleting = RwSignal::new(false);
    let delete_password = RwSignal::new(String::new());
    let renewing = RwSignal::new(false);
    let renew_password = RwSignal::new(String::new());
    let again_password = RwSignal::new(String::new());
    let busy = Signal::derive(move || c.busy.get().is_some());
    let account_busy = c.account_blocked();
    let retry_left = move || {
        let at = c.status.with(|s| s.as_ref().and_then(|s| s.retry_at_ms));
        retry::seconds_left(at, c.now.get())
    };
    let sync_now = move |_| {
        act(c, t("syncSyncing", "Syncing…"), async move {
            // Within the server's wait the background sends nothing; say how long is left.
            let st = status_of(bridge::request(&Request::SyncNow).await).await?;
            let wait = retry::seconds_left(st.retry_at_ms, now_ms());
            let failed = st.last_error.clone();
            c.status.set(Some(st));
            match wait {
                Some(seconds) => {
                    c.info.set(Some(retry_text(seconds)));
                    Ok(())
                }
                None => failed.map_or(Ok(()), |e| Err(e.into())),
            }
        });
    };
    let sign_out = move |_| {
        act(c, t("syncSigningOut", "Signing out…"), async move {
            let st = status_of(bridge::request(&Request::SyncSignOut).await).await?;
            c.status.set(Some(st));
            c.info.set(Some(t(
                "syncSignedOut",
                "Signed out. The wallet stays in this browser; sync is off.",
            )));
            Ok(())
        });
    };
    let show_devices = move |_| {
        act(c, t("syncLoadingDevices", "Loading devices…"), async move {
            match bridge::request(&Request::SyncDevices).await {
                Ok(Response::SyncDevices { devices: d }) => {
                    devices.set(Some(d));
                    Ok(())
                }
                other => status_of(other).await.map(|_| ()),
            }
        });
    };
    let revoke = move |id: i64| {
        act(c, t("syncRevoking", "Revoking…"), async move {
            match bridge::request(&Request::SyncRevokeDevice { id }).await {
                Ok(Response::SyncDevices { devices: d }) => {
                    devices.set(Some(d));
                    Ok(())
                }
                other => status_of(other).await.map(|_| ()),
            }
        });
    };
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (old, new) = (current.get_untracked(), new_password.get_untracked());
        if new.chars().count() < 8 {
            c.error.set(Some(t(
                "syncShortNewPassword",
                "The new password needs at least 8 characters.",
            )));
            return;
        }
        let Some(acct) = c.status.get_untracked().and_then(|s| s.account) else {
            return;
        };
        let changing = t("syncChanging", "Changing the password…");
        act_on_account(c, changing.clone(), async move {
            let kdf_old = params(&acct.server, &acct.email).await?;
            let old_keys = derive(c, &old, &kdf_old).await?;
            let kdf =
                keys::fresh_kdf(kdf_old.m_kib, kdf_old.t, kdf_old.p).map_err(|e| e.to_string())?;
            let new_keys = derive(c, &new, &kdf).await?;
            c.busy.set(Some(changing));
            let reply = bridge::request(&Request::SyncChangePassword {
                auth_key: old_keys.auth.to_base64(),
                kdf,
                new_auth_key: new_keys.auth.to_base64(),
                new_wrap_key: new_keys.wrap.to_base64(),
            })
            .await;
            c.status.set(Some(status_of(reply).await?));
            current.set(String::new());
            new_password.set(String::new());
            c.info.set(Some(t(
                "syncPasswordChanged",
                "Password changed. Other devices stay signed in.",
            )));
            Ok(())
        });
    };
    // The server stopped accepting this device (signed out elsewhere, or a new data key made
    // on another device): the password signs it in again; the background keeps its sync state
    // for the same account.
    let sign_in_again = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = again_password.get_untracked();
        if password.is_empty() {
            c.error.set(Some(t(
                "syncAgainNeedsPassword",
                "Enter the account's password to sign in again.",
            )));
            return;
        }
        let Some(acct) = c.status.get_untracked().and_then(|s| s.account) else {
            return;
        };
        let signing_in = t("syncSigningIn", "Signing in…");
        act_on_account(c, signing_in.clone(), async move {
            let kdf = params(&acct.server, &acct.email).await?;
            let keys = derive(c, &password, &kdf).await?;
            c.busy.set(Some(signing_in));
            let reply = bridge::request(&Request::SyncSignIn {
                server: acct.server,
                email: acct.email,
                auth_key: keys.auth.to_base64(),
                wrap_key: keys.wrap.to_base64(),
                device_name: device_name(),
            })
            .await;
            c.status.set(Some(status_of(reply).await?));
            again_password.set(String::new());
            c.info.set(Some(t(
                "syncSignedInAgain",
                "Signed in again: this browser's wallet was merged with the account's.",
            )));
            Ok(())
        });
    };
    let renew = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = renew_password.get_untracked();
        if password.is_empty() {
            c.error.set(Some(t(
                "syncNewRecoveryNeedsPassword",
                "Enter the account's password to make a new recovery key.",
            )));
            return;
        }
        let Some(acct) = c.status.get_untracked().and_then(|s| s.account) else {
            return;
        };
        let label = t(
            "syncMakingRecoveryKey",
            "Encrypting the wallet with a new key…",
        );
        act_on_account(c, label.clone(), async move {
            // The server wants the password's authentication key as proof; its wrap key
            // wraps the new data key.
            let kdf = params(&acct.server, &acct.email).await?;
            let keys = derive(c, &password, &kdf).await?;
            c.busy.set(Some(label));
            match bridge::request(&Request::SyncNewRecoveryKey {
                auth_key: keys.auth.to_base64(),
                wrap_key: keys.wrap.to_base64(),
            })
            .await
            {
                Ok(Response::SyncRecoveryKey { recovery_key }) => {
                    c.recovery.set(Some(recovery_key));
                    renewing.set(false);
                    renew_password.set(String::new());
                    c.info.set(Some(t(
                        "syncRecoveryKeyReplaced",
                        "New recovery key made, with a new encryption key for the synced wallet: the old recovery key opens nothing any more. Save the new one now. Other devices were signed out: sign them in again with the password.",
                    )));
                    Ok(())
                }
                other => status_of(other).await.map(|_| ()),
            }
        });
    };
    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = delete_password.get_untracked();
        if password.is_empty() {
            c.error.set(Some(t(
                "syncDeleteNeedsPassword",
                "Enter the account's password to delete it.",
            )));
            return;
        }
        let Some(acct) = c.status.get_untracked().and_then(|s| s.account) else {
            return;
        };
        let label = t("syncDeleting", "Deleting the account…");
        act_on_account(c, label.clone(), async move {
            // The server wants the password's authentication key as proof.
            let kdf = params(&acct.server, &acct.email).await?;
            let keys = derive(c, &password, &kdf).await?;
            c.busy.set(Some(label));
            let reply = bridge::request(&Request::SyncDeleteAccount {
                auth_key: keys.auth.to_base64(),
            })
            .await;
            c.status.set(Some(status_of(reply).await?));
            c.info.set(Some(t(
                "syncDeleted",
                "Account deleted: the server no longer holds your wallet, and every device is signed out. The wallet stays in this browser.",
            )));
            Ok(())
        });
    };
    view! {
        {move || c.status.get().map(|s| {
            let acct = s.account.clone();
            let state = if s.last_error.is_some() {
                "error"
            } else if s.pending {
                "pending"
            } else if s.last_sync_ms.is_some() {
                "synced"
            } else {
                "waiting"
            };
            let said = match (s.last_sync_ms, s.pending) {
                (Some(ms), false) => tr("syncUpToDate", "Up to date (last sync $1).", &[&when(ms)]),
                (Some(ms), true) => tr(
                    "syncWaiting",
                    "Changes waiting to go out (last sync $1).",
                    &[&when(ms)],
                ),
                (None, _) => t("syncNotYet", "Not synced yet."),
            };
            let last_error = s.last_error.clone();
            view! {
                // While the server's wait lasts, the status is that wait (the error behind it
                // says the same).
                <div class="sync-status" data-testid="sync-status"
                    data-state=move || if retry_left().is_some() { "retrying" } else { state }>
                    {acct.map(|a| view! {
                        <p>{signed_in_as(a.email, a.server)}</p>
                    })}
                    <p data-testid="sync-state">{move || retry_left().map_or_else(|| said.clone(), retry_text)}</p>
                    {move || retry_left().is_none().then(|| last_error.clone().map(|e| view! {
                        <p class="note refused" role="alert" data-testid="sync-last-error">{e}</p>
                    }))}
                    {(!s.notes.is_empty()).then(|| view! {
                        <details data-testid="sync-notes">
                            <summary>{t("syncConflicts", "Conflicts resolved by the last syncs")}</summary>
                            <ul>{s.notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                        </details>
                    })}
                </div>
            }
        })}
        <Show when=move || c.status.with(|s| s.as_ref().is_some_and(|s| s.needs_sign_in))>
            <form aria-label=t("syncAgainForm", "Sign in again") data-testid="sign-in-again-form"
                novalidate=true on:submit=sign_in_again>
                <p>{t("syncAgainExplain", "This browser can no longer sync: it was signed out on another device, or a new recovery key replaced the account's encryption key. Type the password to sign in again; the wallet in this browser is kept and merged with the account's.")}</p>
                <Field label=t("syncAgainPassword", "Password") id="sync-again-password".into()
                    value=again_password kind="password" required=true/>
                <div class="actions">
                    <button type="submit" data-testid="sync-sign-in-again" disabled=account_busy>
                        {t("syncSignInAgain", "Sign in again")}
                    </button>
                </div>
            </form>
        </Show>
        <div class="actions">
            <button type="button" data-testid="sync-now" disabled=busy on:click=sync_now>{t("syncNow", "Sync now")}</button>
            <button type="button" data-testid="sync-devices" disabled=busy on:click=show_devices>{t("syncDevices", "Devices")}</button>
            <button type="button" data-testid="sync-signout" disabled=busy on:click=sign_out>{t("syncSignOut", "Sign out")}</button>
        </div>
        {move || devices.get().map(|list| view! {
            <ul class="devices" data-testid="device-list">
                {list.into_iter().map(|d| {
                    let id = d.id;
                    view! {
                        // Name, dates and the action as separate boxes: the action never runs
                        // into the text before it, at any width.
                        <li data-testid="device" class="device">
                            <span class="device-name">{d.name}</span>
                            <span class="muted device-dates">
                                {tr("syncDeviceSince", "since $1", &[&format::when(&d.created_at)])}
                                " · "{tr("syncDeviceLastSeen", "last seen $1", &[&format::when(&d.last_seen_at)])}
                            </span>
                            {if d.current {
                                view! { <strong class="device-action">{t("syncThisBrowser", "(this browser)")}</strong> }.into_any()
                            } else {
                                view! { <button type="button" class="link device-action" data-testid="revoke-device" on:click=move |_| revoke(id)>{t("syncRevoke", "Revoke")}</button> }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
        <form aria-label=t("syncChangeForm", "Change the password") data-testid="password-form" novalidate=true on:submit=change>
            <div class="row">
                <Field label=t("syncCurrentPassword", "Current password") id="sync-current-password".into() value=current kind="password" required=true/>
                <Field label=t("syncNewPassword", "New password") id="sync-new-password".into() value=new_password kind="password" required=true/>
            </div>
            <div class="actions"><button type="submit" data-testid="sync-change-password" disabled=account_busy>{t("syncChangePassword", "Change password")}</button></div>
        </form>
        <Show when=move || renewing.get() fallback=move || view! {
            <div class="actions">
                <button type="button" data-testid="sync-new-recovery" disabled=account_busy
                    on:click=move |_| renewing.set(true)>{t("syncNewRecoveryKey", "New recovery key…")}</button>
            </div>
        }>
            <form aria-label=t("syncNewRecoveryForm", "Make a new recovery key") data-testid="new-recovery-form"
                novalidate=true on:submit=renew>
                <p>{t("syncNewRecoveryExplain", "Lost the recovery key, or has someone else seen it? Make a new one: the synced wallet is encrypted again with a new key, and the old recovery key stops working at once and opens nothing, not even a copy taken earlier. The password stays; every other device is signed out and signs in again with it.")}</p>
                <Field label=t("syncNewRecoveryPassword", "Type the account's password to confirm") id="sync-new-recovery-password".into()
                    value=renew_password kind="password" required=true/>
                <div class="actions">
                    <button type="submit" data-testid="sync-new-recovery-confirm" disabled=account_busy>
                        {t("syncNewRecoveryConfirm", "Make a new recovery key")}
                    </button>
                    <button type="button" class="link" on:click=move |_| {
                        renewing.set(false);
                        renew_password.set(String::new());
                    }>{t("syncNewRecoveryCancel", "Cancel")}</button>
                </div>
            </form>
        </Show>
        <Show when=move || deleting.get() fallback=move || view! {
            <div class="actions">
                <button type="button" class="danger" data-testid="sync-delete" disabled=account_busy
                    on:click=move |_| deleting.set(true)>{t("syncDeleteAccount", "Delete account…")}</button>
            </div>
        }>
            <form class="danger-zone" aria-label=t("syncDeleteForm", "Delete the sync account") data-testid="delete-form"
                novalidate=true on:submit=delete>
                <p><strong>{t("syncDeleteWarning", "This deletes the encrypted copy of your wallet on the server and signs out every device, this one too. It cannot be undone.")}</strong></p>
                <p>{t("syncDeleteKeeps", "The wallet on this device stays, and so does every other device's own copy.")}</p>
                <Field label=t("syncDeletePassword", "Type the account's password to confirm") id="sync-delete-password".into()
                    value=delete_password kind="password" required=true/>
                <div class="actions">
                    <button type="submit" class="danger" data-testid="sync-delete-confirm" disabled=account_busy>
                        {t("syncDeleteConfirm", "Delete the account")}
                    </button>
                    <button type="button" class="link" on:click=move |_| {
                        deleting.set(false);
                        delete_password.set(String::new());
                    }>{t("syncDeleteCancel", "Cancel")}</button>
                </div>
            </form>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: ErrorCode, retry_after_secs: Option<u32>) -> ErrorBody {
        ErrorBody {
            code,
            message: "the background's words".into(),
            retry_after_secs,
        }
    }

    #[test]
    fn the_servers_wait_holds_actions_back_and_other_errors_are_said() {
        assert!(matches!(
            Failed::from(body(ErrorCode::RetryLater, Some(12))),
            Failed::Wait(12)
        ));
        for other in [
            body(ErrorCode::Sync, None),
            body(ErrorCode::InvalidCredentials, None),
            // A wait without its length is not one the page could count down.
            body(ErrorCode::RetryLater, None),
        ] {
            assert!(matches!(
                Failed::from(other),
                Failed::Said(m) if m == "the background's words"
            ));
        }
    }
}

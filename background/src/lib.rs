//! The background's wasm: the brain of Chrome's service worker and Firefox's event page.
//!
//! It only converts at the JS boundary and calls the engine: JS (`background/js/background.js`)
//! registers the listeners and forwards each event here with the current time (wasm has no
//! clock of its own in a worker). Per-tab results live in `storage.session`, never only in
//! wasm memory: Chrome stops an idle service worker after ~30 s and that memory goes with it.

use std::cell::Cell;

use engine::protocol::{Blocked, ErrorCode, Request, Response, Status, TabResult};
use engine::snapshot::PageSnapshot;
use serde::Serialize;
use wasm_bindgen::prelude::*;

mod browser;
mod content_scripts;
mod history_store;
pub mod sync;
mod wallet_store;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Serialises for the JS side: plain objects and arrays only (a JS `Map` arrives empty
/// through Chrome's message passing), 64-bit integers as numbers.
pub fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or_else(|e| JsValue::from_str(&format!("serialisation failed: {e}")))
}

/// Answers one `runtime.onMessage` message. `sender_tab_id` is `sender.tab.id` (absent for
/// messages from extension pages). Always resolves to a [`Response`], never rejects.
#[wasm_bindgen(js_name = handleMessage)]
pub async fn handle_message(message: JsValue, sender_tab_id: Option<i32>, now_ms: f64) -> JsValue {
    count_event(now_ms);
    let response = match serde_wasm_bindgen::from_value::<Request>(message) {
        Ok(request) => dispatch(request, sender_tab_id, now_ms).await,
        Err(e) => Response::error(ErrorCode::BadRequest, format!("unreadable message: {e}")),
    };
    to_js(&response)
}

async fn dispatch(request: Request, sender_tab_id: Option<i32>, now_ms: f64) -> Response {
    match request {
        Request::PageSnapshot {
            snapshot,
            badge_loaded,
        } => {
            let Some(tab_id) = sender_tab_id else {
                return Response::error(ErrorCode::NoTab, "snapshots must come from a tab");
            };
            let mut wallet = LazyWallet::default();
            match detect_and_store(i64::from(tab_id), *snapshot, &mut wallet, now_ms).await {
                Ok(result) => {
                    let has_product = result.detection.product.is_some();
                    let mut badge = badge_for(result, &mut wallet, now_ms).await;
                    // The badge script first, so the collector finds it with this answer.
                    if badge.is_some()
                        && !badge_loaded
                        && !browser::inject_badge(f64::from(tab_id)).await
                    {
                        badge = None;
                    }
                    Response::SnapshotAccepted { has_product, badge }
                }
                Err(e) => e,
            }
        }
        Request::GetTabResult { tab_id } => tab_result(tab_id, now_ms).await,
        Request::Status => Response::Status(INSTANCE.with(Cell::get)),
        Request::Stack { request } => match engine::stack::optimize(&request) {
            Ok(result) => Response::Stack {
                result: Box::new(result),
            },
            Err(e) => Response::error(ErrorCode::BadStackRequest, e.to_string()),
        },
        Request::GetWallet => match wallet_store::load().await {
            Ok(wallet) => Response::Wallet {
                wallet: Box::new(wallet),
            },
            Err(e) => e,
        },
        Request::SaveWallet { wallet } => {
            let saved = wallet_store::save(*wallet, millis(now_ms)).await;
            follow_sites(&saved).await;
            sync_soon(&saved, now_ms);
            saved
        }
        Request::ImportWallet { text } => {
            let saved = import(&text, now_ms).await;
            follow_sites(&saved).await;
            sync_soon(&saved, now_ms);
            saved
        }
        Request::ExportWallet { include_history } => export(include_history, now_ms).await,
        Request::GetCatalogue => Response::Catalogue {
            cards: engine::stack::catalogue::entries(),
        },
        Request::SyncStatus => sync::status().await,
        Request::SyncKdf { server, email } => sync::kdf(&server, &email).await,
        Request::SyncSignUp {
            server,
            email,
            kdf,
            auth_key,
            wrap_key,
            device_name,
        } => {
            sync::sign_up(
                &server,
                &email,
                kdf,
                &auth_key,
                &wrap_key,
                &device_name,
                millis(now_ms),
            )
            .await
        }
        Request::SyncSignIn {
            server,
            email,
            auth_key,
            wrap_key,
            device_name,
        } => {
            sync::sign_in(
                &server,
                &email,
                &auth_key,
                &wrap_key,
                &device_name,
                millis(now_ms),
            )
            .await
        }
        Request::SyncRecover {
            server,
            email,
            recovery_key,
            kdf,
            auth_key,
            wrap_key,
            device_name,
        } => {
            sync::recover(
                &server,
                &email,
                &recovery_key,
                kdf,
                &auth_key,
                &wrap_key,
                &device_name,
                millis(now_ms),
            )
            .await
        }
        Request::SyncChangePassword {
            auth_key,
            kdf,
            new_auth_key,
            new_wrap_key,
        } => sync::change_password(&auth_key, kdf, &new_auth_key, &new_wrap_key).await,
        Request::SyncNow => {
            sync::run(millis(now_ms)).await;
            sync::status().await
        }
        Request::SyncSignOut => sync::sign_out().await,
        Request::SyncDevices => sync::devices().await,
        Request::SyncRevokeDevice { id } => sync::revoke(id).await,
        Request::SyncDeleteAccount { auth_key } => sync::delete_account(&auth_key).await,
        Request::SyncNewRecoveryKey { auth_key, wrap_key } => {
            sync::new_recovery_key(&auth_key, &wrap_key, millis(now_ms)).await
        }
    }
}

/// After a saved local change: a sync round, without making the page wait for the network.
fn sync_soon(saved: &Response, now_ms: f64) {
    if matches!(
        saved,
        Response::Wallet { .. } | Response::WalletImported { .. }
    ) {
        wasm_bindgen_futures::spawn_local(sync::run(millis(now_ms)));
    }
}

/// After sync changed the wallet: the collector follows the (possibly new) sites setting.
pub(crate) async fn after_wallet_change() {
    follow_settings().await;
}

/// The periodic sync alarm (background.js creates it; the name says what it is for), and the
/// one-off alarm for when the server said it may be asked again.
#[wasm_bindgen(js_name = onAlarm)]
pub async fn on_alarm(name: String, now_ms: f64) {
    count_event(now_ms);
    if name == SYNC_ALARM || name == sync::RETRY_ALARM {
        sync::run(millis(now_ms)).await;
    }
}

/// The name of the periodic sync alarm.
pub const SYNC_ALARM: &str = "stacksmart-sync";

/// The stored wallet, read at most once per event and only when a product needs it (the
/// score's trust settings, the badge, the stack all read the same copy).
#[derive(Default)]
struct LazyWallet(Option<Result<engine::wallet::WalletDoc, Response>>);

impl LazyWallet {
    async fn get(&mut self) -> &Result<engine::wallet::WalletDoc, Response> {
        if self.0.is_none() {
            self.0 = Some(wallet_store::load().await);
        }
        self.0.get_or_insert_with(unreachable_load)
    }
}

// `get` fills the cell just above; an empty one is read as an unreadable wallet, not a panic.
fn unreachable_load() -> Result<engine::wallet::WalletDoc, Response> {
    Err(Response::error(ErrorCode::Internal, "wallet not loaded"))
}

async fn detect_and_store(
    tab_id: i64,
    snapshot: PageSnapshot,
    wallet: &mut LazyWallet,
    now_ms: f64,
) -> Result<TabResult, Response> {
    let detection = engine::detect::detect(&snapshot)
        .map_err(|e| Response::error(ErrorCode::BadSnapshot, e.to_string()))?;
    let score = match &detection.product {
        Some(product) => {
            let claims = engine::score::sighting::page_claims(product, &detection.offers);
            // The shopper's trust in shops' prices; an unreadable wallet means the defaults.
            let trust = wallet
                .get()
                .await
                .as_ref()
                .map(|w| w.settings.reliability_overrides())
                .unwrap_or_default();
            history_store::record_and_score(product, &snapshot.url, claims, &trust, ms(now_ms))
                .await
        }
        None => None,
    };
    let result = TabResult {
        url: snapshot.url,
        detected_at_ms: millis(now_ms),
        detection,
        score,
        stack: None,
    };
    browser::store_tab_result(tab_id, &result)
        .await
        .map_err(|e| Response::error(ErrorCode::Storage, e))?;
    Ok(result)
}

/// Reads an export file; only when all of it is good, merges its price history (additive,
/// so it is safe to do first) and then replaces the wallet.
async fn import(text: &str, now_ms: f64) -> Response {
    let imported = match engine::backup::import(text) {
        Ok(i) => i,
        Err(e) => return Response::error(ErrorCode::BadWallet, e.to_string()),
    };
    let added = match imported.price_history {
        Some(h) => match history_store::import(h, ms(now_ms)).await {
            Ok(n) => n,
            Err(e) => return Response::error(ErrorCode::Storage, e),
        },
        None => 0,
    };
    match wallet_store::save(imported.wallet, millis(now_ms)).await {
        Response::Wallet { wallet } => Response::WalletImported {
            wallet,
            price_points_added: u64::try_from(added).unwrap_or(u64::MAX),
        },
        other => other,
    }
}

async fn export(include_history: bool, now_ms: f64) -> Response {
    let wallet = match wallet_store::load().await {
        Ok(w) => w,
        Err(e) => return e,
    };
    let history = if include_history {
        match history_store::export().await {
            Ok(h) => Some(h),
            Err(e) => return Response::error(ErrorCode::Storage, e),
        }
    } else {
        None
    };
    Response::WalletExport {
        text: engine::backup::export(&wallet, history, millis(now_ms)),
    }
}

/// The result for what the tab shows *now*: the tab's collector reports its page; the stored
/// result serves when it is for that page, else the page is detected afresh. A tab without a
/// collector gets one when the settings and the browser allow its site (a site allowed a
/// moment ago, a tab opened before the extension); otherwise there is no result, with why
/// when the browser shows the tab's address.
async fn tab_result(tab_id: i64, now_ms: f64) -> Response {
    let stored = match browser::load_tab_result(tab_id).await {
        Ok(stored) => stored,
        Err(e) => return Response::error(ErrorCode::Storage, e),
    };
    let live = match browser::collect_from_tab(tab_id).await {
        Some(live) => live,
        None => match reach_tab(tab_id).await {
            Ok(live) => live,
            Err(blocked) => {
                return Response::TabResult {
                    result: None,
                    blocked,
                }
            }
        },
    };
    let mut wallet = LazyWallet::default();
    let result = match stored.filter(|s| s.url == live.url) {
        Some(stored) => stored,
        None => match detect_and_store(tab_id, live, &mut wallet, now_ms).await {
            Ok(result) => result,
            Err(e) => return e,
        },
    };
    Response::TabResult {
        result: Some(Box::new(with_stack(result, &mut wallet, now_ms).await)),
        blocked: None,
    }
}

/// A tab without a collector: puts one in and asks it for the page when StackSmart may read
/// the tab's site; else why not (`None`: the address is hidden or is no web page).
async fn reach_tab(tab_id: i64) -> Result<engine::snapshot::PageSnapshot, Option<Blocked>> {
    let url = browser::tab_url(tab_id).await.ok_or(None)?;
    let access = wallet_store::load().await.map_err(|_| None)?.settings.sites;
    let granted = content_scripts::granted_origins().await.map_err(|_| None)?;
    match engine::sites::may_read(&access, &granted, &url) {
        None => Err(None),
        Some(Err(blocked)) => Err(Some(blocked)),
        Some(Ok(_)) => {
            #[allow(clippy::cast_precision_loss)] // tab ids are small integers
            let injected = browser::inject_into_tab(tab_id as f64).await;
            if !injected {
                return Err(None);
            }
            browser::collect_from_tab(tab_id).await.ok_or(None)
        }
    }
}

/// After a save: the collector runs where the new settings say.
async fn follow_sites(saved: &Response) {
    if matches!(
        saved,
        Response::Wallet { .. } | Response::WalletImported { .. }
    ) {
        follow_settings().await;
    }
}

/// The collector follows the stored settings, and goes into the tabs already open on the
/// sites they newly allow (a site allowed from the popup is granted before it is saved, so
/// the grant's own injection did not cover it yet).
async fn follow_settings() {
    if let Some(registration) = register_collector().await {
        browser::inject_into_open_tabs(&registration.added).await;
    }
}

/// The in-page badge for a freshly read page, unless the shopper turned it off. No badge
/// when the wallet cannot be read: the popup explains that.
async fn badge_for(
    result: TabResult,
    wallet: &mut LazyWallet,
    now_ms: f64,
) -> Option<engine::stack::page::Badge> {
    let product = result.detection.product.as_ref()?;
    let doc = wallet.get().await.as_ref().ok()?;
    if !doc.settings.badge {
        return None;
    }
    let stack = page_stack(product, &result, doc, now_ms)?;
    engine::stack::page::badge(&stack)
}

/// Adds the best stack for the tab's product with the wallet as it is now. An unreadable
/// wallet gives the stack of an empty one, and says so.
async fn with_stack(mut result: TabResult, wallet: &mut LazyWallet, now_ms: f64) -> TabResult {
    let Some(product) = &result.detection.product else {
        return result;
    };
    let empty = engine::wallet::WalletDoc::default();
    let (doc, wallet_problem) = match wallet.get().await {
        Ok(doc) => (doc, None),
        Err(Response::Error(e)) => (&empty, Some(e.message.clone())),
        Err(_) => (&empty, None),
    };
    let mut stack = page_stack(product, &result, doc, now_ms);
    if let Some(stack) = stack.as_mut().filter(|s| s.problem.is_none()) {
        stack.problem = wallet_problem;
    }
    // The score counts the stack's saving (the net price), which depends on the wallet as it
    // is now: score again from the stored series rather than keep a stale one.
    let saving = stack
        .as_ref()
        .and_then(|s| s.result.as_ref())
        .filter(|r| Some(r.currency) == product.price.map(|p| p.currency))
        .map(|r| r.total_savings)
        .filter(|s| *s > rust_decimal::Decimal::ZERO);
    if let (Some(saving), Some(_)) = (saving, &result.score) {
        let claims = engine::score::sighting::page_claims(product, &result.detection.offers);
        let trust = doc.settings.reliability_overrides();
        let rescored = history_store::score_with_saving(
            product,
            &result.url,
            claims,
            &trust,
            ms(now_ms),
            saving,
        )
        .await;
        if let Some(score) = rescored {
            result.score = Some(score);
        }
    }
    result.stack = stack.map(Box::new);
    result
}

fn page_stack(
    product: &engine::product::Product,
    result: &TabResult,
    doc: &engine::wallet::WalletDoc,
    now_ms: f64,
) -> Option<engine::stack::page::PageStack> {
    let merchant = engine::merchant::registrable_domain(&result.url).unwrap_or_default();
    let today = engine::stack::Date::from_unix_ms(ms(now_ms))?;
    Some(engine::stack::page::for_page(
        product,
        &result.detection.offers,
        &merchant,
        doc,
        today,
    ))
}

thread_local! {
    // wasm in a worker is single-threaded; this lives exactly as long as the instance.
    static INSTANCE: Cell<Status> = const { Cell::new(Status { instance_started_at_ms: 0, events_handled: 0 }) };
}

fn count_event(now_ms: f64) {
    INSTANCE.with(|cell| {
        let mut s = cell.get();
        if s.events_handled == 0 {
            s.instance_started_at_ms = millis(now_ms);
        }
        s.events_handled += 1;
        cell.set(s);
    });
}

/// Forgets a tab's result when the tab closes.
#[wasm_bindgen(js_name = forgetTab)]
pub async fn forget_tab(tab_id: i32, now_ms: f64) {
    count_event(now_ms);
    if let Err(e) = browser::remove_tab_result(i64::from(tab_id)).await {
        web_log(&format!("StackSmart: could not forget tab {tab_id}: {e}"));
    }
}

/// On install or update: migrate the wallet, register the collector where the settings allow,
/// and put it into tabs that were already open, so the shopper does not have to reload them
/// (tabs the extension may not touch are skipped).
#[wasm_bindgen(js_name = onInstalled)]
pub async fn on_installed(now_ms: f64, reason: Option<String>) -> u32 {
    count_event(now_ms);
    wallet_store::migrate().await;
    let matches = registered_matches().await;
    let injected = browser::inject_into_open_tabs(&matches).await;
    // A first install opens the welcome page (what it does, what it never does, where it may
    // read); updates do not.
    if reason.as_deref() == Some("install") {
        if let Err(e) = browser::open_extension_page("onboarding.html").await {
            web_log(&format!("StackSmart: welcome page not opened: {e}"));
        }
    }
    injected
}

/// The browser granted or took back host permissions (the welcome page, the settings, or the
/// shopper in the browser's own extension settings): the collector follows, and a grant puts
/// it into the tabs already open on the sites just allowed, as an install does.
#[wasm_bindgen(js_name = onPermissionsChanged)]
pub async fn on_permissions_changed(now_ms: f64, added: bool) -> u32 {
    count_event(now_ms);
    let matches = registered_matches().await;
    if added {
        browser::inject_into_open_tabs(&matches).await
    } else {
        0
    }
}

/// On browser start: the registration persists, but is checked against the settings anyway
/// (cheap, and it repairs a registration lost to an update).
#[wasm_bindgen(js_name = onStartup)]
pub async fn on_startup(now_ms: f64) {
    count_event(now_ms);
    register_collector().await;
}

/// Registers the collector where the stored settings and the browser's grants agree, after
/// any change already under way (`None` when the wallet cannot be read: the collector then
/// keeps its current registration).
async fn register_collector() -> Option<content_scripts::Registration> {
    content_scripts::in_turn(async {
        let doc = wallet_store::load().await.ok()?;
        match content_scripts::sync(&doc.settings.sites).await {
            Ok(registration) => Some(registration),
            Err(e) => {
                web_log(&format!("StackSmart: content scripts not registered: {e}"));
                None
            }
        }
    })
    .await
}

/// [`register_collector`]'s patterns, none when it could not register.
async fn registered_matches() -> Vec<String> {
    register_collector()
        .await
        .map(|r| r.matches)
        .unwrap_or_default()
}

/// The time as the engine's signed milliseconds.
fn ms(now_ms: f64) -> i64 {
    i64::try_from(millis(now_ms)).unwrap_or(i64::MAX)
}

fn millis(now_ms: f64) -> u64 {
    // JS time is a non-negative integer number of ms well inside f64's exact range.
    if now_ms.is_finite() && now_ms > 0.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = now_ms as u64;
        ms
    } else {
        0
    }
}

pub(crate) fn web_log(message: &str) {
    web_sys_log(message);
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn web_sys_log(message: &str);
}

/// Storage keys for per-tab results; one key per tab so writes never race across tabs.
pub fn tab_key(tab_id: i64) -> String {
    format!("tab:{tab_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_keys_are_distinct_per_tab() {
        assert_eq!(tab_key(7), "tab:7");
        assert_ne!(tab_key(7), tab_key(70));
    }

    #[test]
    fn bad_clock_values_do_not_wrap() {
        assert_eq!(millis(-5.0), 0);
        assert_eq!(millis(f64::NAN), 0);
        assert_eq!(millis(1_700_000_000_123.0), 1_700_000_000_123);
    }
}

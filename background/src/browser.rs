//! The few browser APIs the background uses, bound through wasm-bindgen. Both browsers
//! expose the promise-returning `chrome.*` namespace, so one binding serves both.

use engine::protocol::TabResult;
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::{tab_key, to_js};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = get)]
    fn session_get(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = set)]
    fn session_set(items: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = remove)]
    fn session_remove(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = get)]
    fn local_get_raw(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = set)]
    fn local_set_raw(items: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = remove)]
    fn local_remove_raw(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = get)]
    fn tabs_get(tab_id: f64) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = create)]
    fn tabs_create(properties: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = getURL)]
    fn runtime_get_url(path: &str) -> Result<String, JsValue>;
    // Defined by background/js/background.js: scripting.executeScript needs a JS function.
    #[wasm_bindgen(catch, js_name = stackSmartCollect)]
    fn collect_in_tab(tab_id: f64) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = executeScript)]
    fn execute_script(injection: &JsValue) -> Result<Promise, JsValue>;
    // A promise in Chrome, nothing in Firefox: the answer is not needed.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = create)]
    fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;
}

/// Wakes the background once at `when_ms` (ms since the epoch) with the alarm `name`; an
/// alarm of that name set earlier is replaced.
pub fn alarm_at(name: &str, when_ms: u64) -> Result<(), String> {
    let info = Object::new();
    #[allow(clippy::cast_precision_loss)] // ms since the epoch fit f64 exactly
    Reflect::set(&info, &"when".into(), &JsValue::from_f64(when_ms as f64)).map_err(describe)?;
    alarms_create(name, &info).map(drop).map_err(describe)
}

pub(crate) async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, String> {
    let promise = promise.map_err(describe)?;
    JsFuture::from(promise).await.map_err(describe)
}

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Reads one `storage.local` value; `Ok(None)` when absent.
pub async fn local_get<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, String> {
    let key = JsValue::from(key);
    let items = call(local_get_raw(&key)).await?;
    read_item(&items, &key)
}

/// One value out of a `storage.*.get` answer. A value written in a shape this build no
/// longer reads (an older build's) is logged and treated as absent, never fatal.
fn read_item<T: serde::de::DeserializeOwned>(
    items: &JsValue,
    key: &JsValue,
) -> Result<Option<T>, String> {
    let value = Reflect::get(items, key).map_err(describe)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match serde_wasm_bindgen::from_value(value) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            crate::web_log(&format!(
                "StackSmart: discarding unreadable stored value {key:?}: {e}"
            ));
            Ok(None)
        }
    }
}

/// Writes several `storage.local` values in one call (one write, so they land together).
pub async fn local_set(items: &[(&str, JsValue)]) -> Result<(), String> {
    let object = Object::new();
    for (key, value) in items {
        Reflect::set(&object, &JsValue::from(*key), value).map_err(describe)?;
    }
    call(local_set_raw(&object)).await.map(drop)
}

pub async fn local_remove(keys: &[String]) -> Result<(), String> {
    let array: Array = keys.iter().map(|k| JsValue::from(k.as_str())).collect();
    call(local_remove_raw(&array)).await.map(drop)
}

pub async fn store_tab_result(tab_id: i64, result: &TabResult) -> Result<(), String> {
    let items = Object::new();
    Reflect::set(&items, &tab_key(tab_id).into(), &to_js(result)).map_err(describe)?;
    call(session_set(&items)).await.map(drop)
}

pub async fn load_tab_result(tab_id: i64) -> Result<Option<TabResult>, String> {
    let key = JsValue::from(tab_key(tab_id));
    let items = call(session_get(&key)).await?;
    read_item(&items, &key)
}

pub async fn remove_tab_result(tab_id: i64) -> Result<(), String> {
    call(session_remove(&JsValue::from(tab_key(tab_id))))
        .await
        .map(drop)
}

/// Asks the tab's collector for a snapshot of the page as it is now. `None` when the tab
/// has no collector (it cannot be read) or answers with something that is not a snapshot.
pub async fn collect_from_tab(tab_id: i64) -> Option<engine::snapshot::PageSnapshot> {
    #[allow(clippy::cast_precision_loss)] // tab ids are small integers
    let answer = call(collect_in_tab(tab_id as f64)).await.ok()?;
    serde_wasm_bindgen::from_value(answer).ok()
}

/// The address of the page a tab shows, when the browser lets StackSmart see it: for tabs
/// its host permissions cover, and for the tab the shopper opened the popup on (`activeTab`).
pub async fn tab_url(tab_id: i64) -> Option<String> {
    #[allow(clippy::cast_precision_loss)] // tab ids are small integers
    let tab = call(tabs_get(tab_id as f64)).await.ok()?;
    Reflect::get(&tab, &"url".into()).ok()?.as_string()
}

/// Runs the collector in one tab; whether the tab took it (tabs the extension may not
/// script, such as web stores and other extensions' pages, refuse).
pub async fn inject_into_tab(tab_id: f64) -> bool {
    inject_files(tab_id, &engine::sites::COLLECTOR_FILES).await
}

/// Loads the in-page badge into a tab's top frame, where its collector runs.
pub async fn inject_badge(tab_id: f64) -> bool {
    inject_files(tab_id, &[engine::sites::BADGE_FILE]).await
}

async fn inject_files(tab_id: f64, files: &[&str]) -> bool {
    let files: Array = files.iter().map(|f| JsValue::from(*f)).collect();
    let target = Object::new();
    let injection = Object::new();
    let ok = Reflect::set(&target, &"tabId".into(), &tab_id.into()).is_ok()
        && Reflect::set(&injection, &"target".into(), &target).is_ok()
        && Reflect::set(&injection, &"files".into(), &files).is_ok();
    ok && call(execute_script(&injection)).await.is_ok()
}

/// Runs the collector in every open tab that `matches` covers (and no always-excluded site
/// does); returns how many tabs took it. A tab that already runs it gets a fresh one (the
/// collector stops the copy it replaces).
pub async fn inject_into_open_tabs(matches: &[String]) -> u32 {
    use engine::sites::{matches_any, ALWAYS_EXCLUDED};
    if matches.is_empty() {
        return 0;
    }
    // No URL filter in the query (that needs the `tabs` permission); the host permissions
    // reveal the URL of every tab injection could reach, checked below.
    let Ok(tabs) = call(tabs_query(&Object::new())).await else {
        return 0;
    };
    let mut injected = 0;
    for tab in Array::from(&tabs).iter() {
        let Some(tab_id) = Reflect::get(&tab, &"id".into())
            .ok()
            .and_then(|v| v.as_f64())
        else {
            continue;
        };
        // `url` is present for the tabs our host permissions cover, which are the only ones
        // injection could reach: skip what the setting leaves out, the excluded sites, and
        // tabs whose address is hidden.
        let url = Reflect::get(&tab, &"url".into())
            .ok()
            .and_then(|v| v.as_string());
        if url.is_none_or(|u| !matches_any(matches, &u) || matches_any(ALWAYS_EXCLUDED, &u)) {
            continue;
        }
        if inject_into_tab(tab_id).await {
            injected += 1;
        }
    }
    injected
}

/// Opens one of the extension's own pages in a new tab.
pub async fn open_extension_page(path: &str) -> Result<(), String> {
    let url = runtime_get_url(path).map_err(describe)?;
    let properties = Object::new();
    Reflect::set(&properties, &"url".into(), &url.into()).map_err(describe)?;
    call(tabs_create(&properties)).await.map(drop)
}

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
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = sendMessage)]
    fn tabs_send_message(tab_id: f64, message: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = executeScript)]
    fn execute_script(injection: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = getManifest)]
    fn get_manifest() -> Result<JsValue, JsValue>;
}

async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, String> {
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

pub async fn store_tab_result(tab_id: i64, result: &TabResult) -> Result<(), String> {
    let items = Object::new();
    Reflect::set(&items, &tab_key(tab_id).into(), &to_js(result)).map_err(describe)?;
    call(session_set(&items)).await.map(drop)
}

pub async fn load_tab_result(tab_id: i64) -> Result<Option<TabResult>, String> {
    let key = JsValue::from(tab_key(tab_id));
    let items = call(session_get(&key)).await?;
    let value = Reflect::get(&items, &key).map_err(describe)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    // A result written by an older build that no longer reads is dropped, not fatal.
    match serde_wasm_bindgen::from_value(value) {
        Ok(result) => Ok(Some(result)),
        Err(e) => {
            crate::web_log(&format!(
                "StackSmart: discarding unreadable tab result: {e}"
            ));
            Ok(None)
        }
    }
}

pub async fn remove_tab_result(tab_id: i64) -> Result<(), String> {
    call(session_remove(&JsValue::from(tab_key(tab_id))))
        .await
        .map(drop)
}

/// Asks the tab's collector for a snapshot of the page as it is now. `None` when the tab
/// has no collector (it cannot be read) or answers with something that is not a snapshot.
pub async fn collect_from_tab(tab_id: i64) -> Option<engine::snapshot::PageSnapshot> {
    let message = Object::new();
    Reflect::set(&message, &"type".into(), &"collect".into()).ok()?;
    #[allow(clippy::cast_precision_loss)] // tab ids are small integers
    let answer = call(tabs_send_message(tab_id as f64, &message))
        .await
        .ok()?;
    serde_wasm_bindgen::from_value(answer).ok()
}

/// Runs the manifest's content scripts in every open tab they match; returns how many tabs
/// took them. The file list comes from the manifest, so it cannot drift from it.
pub async fn inject_into_open_tabs() -> u32 {
    let Some(files) = content_script_files() else {
        return 0;
    };
    // No URL filter: filtering by URL needs the `tabs` permission. Tabs the script may not
    // run in refuse below.
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
        let target = Object::new();
        let injection = Object::new();
        let ok = Reflect::set(&target, &"tabId".into(), &tab_id.into()).is_ok()
            && Reflect::set(&injection, &"target".into(), &target).is_ok()
            && Reflect::set(&injection, &"files".into(), &files).is_ok();
        // Tabs the extension may not script (web stores, other extensions) refuse: skip them.
        if ok && call(execute_script(&injection)).await.is_ok() {
            injected += 1;
        }
    }
    injected
}

fn content_script_files() -> Option<Array> {
    let manifest = get_manifest().ok()?;
    let scripts = Reflect::get(&manifest, &"content_scripts".into()).ok()?;
    let first = Array::from(&scripts).get(0);
    let files = Reflect::get(&first, &"js".into()).ok()?;
    files.is_array().then(|| Array::from(&files))
}

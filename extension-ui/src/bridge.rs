//! Talking to the background: typed requests in, typed responses out. The wire format is
//! `engine::protocol`; serde-wasm-bindgen's JSON-compatible serializer keeps it plain objects.

use engine::protocol::{Request, Response};
use engine::wallet::WalletDoc;
use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = sendMessage)]
    fn send_message(message: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["navigator", "clipboard"], js_name = writeText)]
    fn clipboard_write_text(text: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = openOptionsPage)]
    fn open_options_page() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = getAll)]
    fn permissions_get_all() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = request)]
    fn permissions_request(permissions: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = remove)]
    fn permissions_remove(permissions: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions", "onAdded"], js_name = addListener)]
    fn permissions_on_added(listener: &Closure<dyn FnMut(JsValue)>) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions", "onRemoved"], js_name = addListener)]
    fn permissions_on_removed(listener: &Closure<dyn FnMut(JsValue)>) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "onChanged"], js_name = addListener)]
    fn storage_on_changed(listener: &Closure<dyn FnMut(JsValue, JsValue)>) -> Result<(), JsValue>;
}

/// `{origins: [...]}` for the permissions API.
fn origins_object<S: AsRef<str>>(origins: &[S]) -> Option<JsValue> {
    let list: js_sys::Array = origins.iter().map(|o| JsValue::from(o.as_ref())).collect();
    let permissions = Object::new();
    Reflect::set(&permissions, &"origins".into(), &list).ok()?;
    Some(permissions.into())
}

/// Asks for the host permission `pattern` (e.g. the sync server's `https://host/*`) and returns
/// the browser's promise. Call it from a click, before any await: browsers require a gesture.
pub fn request_origin(pattern: &str) -> Option<Promise> {
    request_origins(&[pattern])
}

/// Asks the browser for host permissions (its prompt); `None` when there is nothing to ask
/// for. Call it from a click, before any await: browsers require a gesture.
pub fn request_origins<S: AsRef<str>>(origins: &[S]) -> Option<Promise> {
    if origins.is_empty() {
        return None;
    }
    permissions_request(&origins_object(origins)?).ok()
}

/// Gives host permissions back to the browser; `None` when there is nothing to give back.
pub fn remove_origins<S: AsRef<str>>(origins: &[S]) -> Option<Promise> {
    if origins.is_empty() {
        return None;
    }
    permissions_remove(&origins_object(origins)?).ok()
}

/// Whether a permission request or removal went through (`false` when refused or failed).
pub async fn permission_answer(promise: Promise) -> bool {
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The host permissions the browser grants the extension now.
pub async fn granted_origins() -> Vec<String> {
    let Ok(promise) = permissions_get_all() else {
        return Vec::new();
    };
    let Ok(all) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Reflect::get(&all, &"origins".into())
        .map(|o| {
            js_sys::Array::from(&o)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Calls `on_change` whenever the browser grants or takes back a permission (this page, the
/// background, or the shopper in the browser's own settings), for as long as the page lives.
pub fn on_permissions_change(on_change: impl Fn() + Clone + 'static) {
    let added = on_change.clone();
    let added = Closure::<dyn FnMut(JsValue)>::new(move |_| added());
    let removed = Closure::<dyn FnMut(JsValue)>::new(move |_| on_change());
    if permissions_on_added(&added).is_ok() {
        // The listeners must outlive this call; the page's lifetime bounds them.
        added.forget();
    }
    if permissions_on_removed(&removed).is_ok() {
        removed.forget();
    }
}

/// Opens the options page (the wallet) in a tab.
pub fn open_options() {
    if let Ok(promise) = open_options_page() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

/// Calls `on_change` whenever `storage.local[key]` changes (the wallet edited in the options
/// page), for as long as the page lives.
pub fn on_local_change(key: &'static str, mut on_change: impl FnMut() + 'static) {
    let listener =
        Closure::<dyn FnMut(JsValue, JsValue)>::new(move |changes: JsValue, area: JsValue| {
            let local = area.as_string().as_deref() == Some("local");
            if local && Reflect::has(&changes, &key.into()).unwrap_or(false) {
                on_change();
            }
        });
    if storage_on_changed(&listener).is_ok() {
        // The listener must outlive this call; the page's lifetime bounds it.
        listener.forget();
    }
}

/// `storage.session` where the browser has it (gone when the browser closes), else
/// `storage.local`.
fn session_area() -> Option<JsValue> {
    let chrome = Reflect::get(&js_sys::global(), &"chrome".into()).ok()?;
    let storage = Reflect::get(&chrome, &"storage".into()).ok()?;
    ["session", "local"]
        .into_iter()
        .filter_map(|area| Reflect::get(&storage, &area.into()).ok())
        .find(JsValue::is_object)
}

/// Calls `area.<method>(arg)` and waits for its promise.
async fn call_area(area: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = Reflect::get(area, &method.into())?.dyn_into()?;
    let promise: Promise = f.call1(area, arg)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// A number kept for this browser session (see [`session_area`]); `None` if there is none.
pub async fn session_number(key: &str) -> Option<f64> {
    let area = session_area()?;
    let items = call_area(&area, "get", &key.into()).await.ok()?;
    Reflect::get(&items, &key.into()).ok()?.as_f64()
}

/// Keeps a number for this browser session (best effort: a page that cannot store it just
/// forgets it on reload).
pub async fn set_session_number(key: &str, value: f64) {
    let Some(area) = session_area() else { return };
    let items = Object::new();
    if Reflect::set(&items, &key.into(), &value.into()).is_ok() {
        let _ = call_area(&area, "set", &items).await;
    }
}

/// Copies text to the clipboard (the popup is focused and the click is the user's gesture,
/// so no permission is needed). Failures are ignored: the code stays visible to copy by hand.
pub fn copy_text(text: &str) {
    if let Ok(promise) = clipboard_write_text(text) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

/// Sends a request to the background and reads its typed answer.
pub async fn request(request: &Request) -> Result<Response, String> {
    let message = request
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())?;
    let promise = send_message(&message).map_err(describe)?;
    let answer = JsFuture::from(promise).await.map_err(describe)?;
    if answer.is_undefined() {
        return Err("the background did not answer".into());
    }
    serde_wasm_bindgen::from_value(answer).map_err(|e| format!("unreadable answer: {e}"))
}

/// The stored wallet.
pub async fn get_wallet() -> Result<WalletDoc, String> {
    wallet_answer(request(&Request::GetWallet).await)
}

/// Saves `next` as the wallet; the wallet as stored, or the background's reason for refusing
/// it (the stored one is then unchanged).
pub async fn save_wallet(next: WalletDoc) -> Result<WalletDoc, String> {
    wallet_answer(
        request(&Request::SaveWallet {
            wallet: Box::new(next),
        })
        .await,
    )
}

/// A `wallet` answer (to a get, save or import) as the wallet, or the reason it is not one.
pub fn wallet_answer(reply: Result<Response, String>) -> Result<WalletDoc, String> {
    match reply {
        Ok(Response::Wallet { wallet }) => Ok(*wallet),
        Ok(Response::Error(e)) => Err(e.message),
        Ok(other) => Err(format!("unexpected answer: {other:?}")),
        Err(e) => Err(e),
    }
}

/// The tab the popup is about: `?tab=ID` when given (tests open the popup as a tab of its
/// own, which would otherwise be the active tab), else the active tab of this window.
pub async fn current_tab_id() -> Result<i64, String> {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    if let Some(id) = tab_from_query(&search) {
        return Ok(id);
    }
    let query = Object::new();
    Reflect::set(&query, &"active".into(), &true.into()).map_err(describe)?;
    Reflect::set(&query, &"currentWindow".into(), &true.into()).map_err(describe)?;
    let tabs = JsFuture::from(tabs_query(&query).map_err(describe)?)
        .await
        .map_err(describe)?;
    js_sys::Array::from(&tabs)
        .get(0)
        .dyn_ref::<Object>()
        .and_then(|t| Reflect::get(t, &"id".into()).ok())
        .and_then(|id| id.as_f64())
        .and_then(whole_number)
        .ok_or_else(|| "no active tab".to_owned())
}

/// Reads `tab=ID` from a query string such as `?tab=12&x=1`.
pub fn tab_from_query(search: &str) -> Option<i64> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("tab="))
        .and_then(|v| v.parse().ok())
}

fn whole_number(f: f64) -> Option<i64> {
    // Tab ids are small positive integers; anything else is not a tab id.
    (f.fract() == 0.0 && (0.0..9.0e15).contains(&f)).then(|| {
        #[allow(clippy::cast_possible_truncation)]
        let id = f as i64;
        id
    })
}

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_id_comes_from_the_query_string() {
        assert_eq!(tab_from_query("?tab=12"), Some(12));
        assert_eq!(tab_from_query("?x=1&tab=7"), Some(7));
        assert_eq!(tab_from_query("?tab=abc"), None);
        assert_eq!(tab_from_query(""), None);
    }

    #[test]
    fn only_whole_tab_ids_are_accepted() {
        assert_eq!(whole_number(3.0), Some(3));
        assert_eq!(whole_number(3.5), None);
        assert_eq!(whole_number(-1.0), None);
    }
}

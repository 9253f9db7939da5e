//! The collector's registration with the browser (`scripting.registerContentScripts`), so
//! the shopper's "which sites" setting decides where it runs: every site, a list of shops, or
//! none, and only where the browser has granted the (optional) host permission, which the
//! shopper gives on the welcome page or in the settings and can take back in the browser.
//! Banking and webmail stay excluded whatever the setting (`engine::sites`).

use std::cell::RefCell;
use std::future::Future;

use engine::sites::{collector_matches, granted_matches, ALWAYS_EXCLUDED, COLLECTOR_FILES};
use engine::wallet::SiteAccess;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::browser::call;

const ID: &str = "stacksmart-collector";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = getRegisteredContentScripts)]
    fn get_registered(filter: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = registerContentScripts)]
    fn register(scripts: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = updateContentScripts)]
    fn update(scripts: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = unregisterContentScripts)]
    fn unregister(filter: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = getAll)]
    fn permissions_get_all() -> Result<Promise, JsValue>;
}

/// The host permissions the browser grants the extension now (`origins` of
/// `permissions.getAll()`).
pub async fn granted_origins() -> Result<Vec<String>, String> {
    let all = call(permissions_get_all()).await?;
    let origins = Reflect::get(&all, &"origins".into()).map_err(|_| "no origins")?;
    Ok(Array::from(&origins)
        .iter()
        .filter_map(|o| o.as_string())
        .collect())
}

fn strings<S: AsRef<str>>(items: &[S]) -> Array {
    items.iter().map(|s| JsValue::from(s.as_ref())).collect()
}

fn id_filter() -> Result<JsValue, String> {
    let filter = Object::new();
    Reflect::set(&filter, &"ids".into(), &strings(&[ID])).map_err(|_| "filter")?;
    Ok(filter.into())
}

thread_local! {
    // The end of the last registration change. A grant and the settings save that follows it
    // arrive as two events; each reads the settings and the grants and then writes the
    // registration, so run one after the other: the later one then reads the later state.
    static LAST_CHANGE: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// Runs `work` once every registration change started before it has finished.
pub async fn in_turn<T>(work: impl Future<Output = T>) -> T {
    let mut done: Option<Function> = None;
    let mine = Promise::new(&mut |resolve, _reject| done = Some(resolve));
    let before = LAST_CHANGE.with(|last| last.replace(Some(mine)));
    if let Some(before) = before {
        // It never rejects: it is resolved below, whatever the work's outcome.
        let _ = JsFuture::from(before).await;
    }
    let out = work.await;
    if let Some(done) = done {
        let _ = done.call0(&JsValue::UNDEFINED);
    }
    out
}

/// The collector's patterns after a change, and those it did not have before (where it
/// should be put into tabs already open).
pub struct Registration {
    pub matches: Vec<String>,
    pub added: Vec<String>,
}

/// Makes the browser's registration match `access` where the browser grants access. Call it
/// through [`in_turn`].
pub async fn sync(access: &SiteAccess) -> Result<Registration, String> {
    let matches = granted_matches(&collector_matches(access), &granted_origins().await?);
    let registered = Array::from(&call(get_registered(&id_filter()?)).await?);
    let present = registered.length() > 0;
    let before: Vec<String> = registered
        .iter()
        .filter_map(|script| Reflect::get(&script, &"matches".into()).ok())
        .flat_map(|m| {
            Array::from(&m)
                .iter()
                .filter_map(|p| p.as_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let added = matches
        .iter()
        .filter(|m| !before.contains(m))
        .cloned()
        .collect();
    if matches.is_empty() {
        if present {
            call(unregister(&id_filter()?)).await?;
        }
        return Ok(Registration { matches, added });
    }
    let script = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&script, &k.into(), v).map(drop);
    set("id", &ID.into())
        .and_then(|()| set("matches", &strings(&matches)))
        .and_then(|()| set("excludeMatches", &strings(ALWAYS_EXCLUDED)))
        .map_err(|_| "could not build the registration")?;
    if present {
        call(update(&Array::of1(&script))).await?;
    } else {
        set("js", &strings(&COLLECTOR_FILES))
            .and_then(|()| set("runAt", &"document_idle".into()))
            .and_then(|()| set("allFrames", &false.into()))
            .and_then(|()| set("persistAcrossSessions", &true.into()))
            .map_err(|_| "could not build the registration")?;
        call(register(&Array::of1(&script))).await?;
    }
    Ok(Registration { matches, added })
}

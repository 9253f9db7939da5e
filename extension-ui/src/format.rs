//! Money and times for people, in the shopper's locale, through the browser's `Intl`
//! (far smaller than bundling locale data into the wasm). An amount goes in as its exact
//! decimal string, never as a float.

use engine::money::Money;
use js_sys::{Array, Function, Intl, Object, Reflect};
use wasm_bindgen::prelude::*;

pub fn money(m: &Money) -> String {
    let options = Object::new();
    let _ = Reflect::set(&options, &"style".into(), &"currency".into());
    let _ = Reflect::set(&options, &"currency".into(), &m.currency.code().into());
    let formatter = Intl::NumberFormat::new(&Array::new(), &options);
    let format: Function = formatter.format();
    format
        .call1(
            &JsValue::UNDEFINED,
            &JsValue::from_str(&m.amount.to_string()),
        )
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{} {}", m.amount, m.currency))
}

/// A moment the server wrote as RFC 3339 (`2026-11-22T02:13:45Z`) as people read it in their
/// locale (`Nov 22, 2026, 2:13 AM`); the text as it came when it is not a time.
pub fn when(rfc3339: &str) -> String {
    let ms = js_sys::Date::parse(rfc3339);
    if ms.is_nan() {
        return rfc3339.to_owned();
    }
    let options = Object::new();
    let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
    let formatter = Intl::DateTimeFormat::new(&Array::new(), &options);
    let format: Function = formatter.format();
    format
        .call1(
            &JsValue::UNDEFINED,
            &js_sys::Date::new(&JsValue::from_f64(ms)),
        )
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| rfc3339.to_owned())
}

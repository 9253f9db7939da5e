//! Money for people, in the shopper's locale, through the browser's `Intl.NumberFormat`
//! (far smaller than bundling locale data into the wasm). The amount goes in as its exact
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

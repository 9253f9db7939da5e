//! The background's boundary code in real wasm, in a real browser (wasm-bindgen-test):
//! what crosses into JS must be plain JSON-compatible objects with decimals as strings.
#![cfg(target_arch = "wasm32")]

use engine::detect::detect;
use engine::protocol::{Response, TabResult};
use engine::snapshot::PageSnapshot;
use js_sys::{Map, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| {
        Reflect::get(&v, &JsValue::from_str(k)).expect("property read")
    })
}

fn snapshot() -> PageSnapshot {
    PageSnapshot {
        version: 1,
        url: "https://shop.example/p/1".into(),
        title: "Kettle".into(),
        lang: Some("en".into()),
        canonical_url: None,
        json_ld: vec![r#"{"@type":"Product","name":"Kettle","offers":{"price":"0.30","priceCurrency":"USD"}}"#.into()],
        truncated: false,
        ..PageSnapshot::default()
    }
}

#[wasm_bindgen_test]
fn tab_results_cross_as_plain_objects_with_exact_decimals() {
    let detection = detect(&snapshot()).expect("valid snapshot");
    let stack = engine::stack::page::for_page(
        detection.product.as_ref().expect("a product"),
        &detection.offers,
        "shop.example",
        &engine::wallet::WalletDoc::default(),
        engine::stack::Date::from_unix_ms(1_700_000_000_123).expect("a date"),
    );
    let result = TabResult {
        url: "https://shop.example/p/1".into(),
        detected_at_ms: 1_700_000_000_123,
        detection,
        score: None,
        stack: Some(Box::new(stack)),
    };
    let js = background::to_js(&Response::TabResult {
        result: Some(Box::new(result)),
        blocked: None,
    });
    assert!(!js.is_instance_of::<Map>(), "a Map arrives empty in Chrome");
    let result = get(&js, &["result"]);
    assert!(!result.is_instance_of::<Map>());
    // 0.30 stays "0.30": no float ever touched it.
    let amount = get(&result, &["detection", "product", "price", "amount"]);
    assert_eq!(amount.as_string().as_deref(), Some("0.30"));
    // The stack's money too.
    let net = get(&result, &["stack", "result", "net_cost"]);
    assert_eq!(net.as_string().as_deref(), Some("0.30"));
    assert_eq!(
        get(&result, &["detected_at_ms"]).as_f64(),
        Some(1_700_000_000_123.0)
    );
}

#[wasm_bindgen_test]
async fn unreadable_messages_get_a_typed_error() {
    let answer = background::handle_message(JsValue::from_str("hello"), None, 1.0).await;
    assert_eq!(
        get(&answer, &["type"]).as_string().as_deref(),
        Some("error")
    );
    assert_eq!(
        get(&answer, &["code"]).as_string().as_deref(),
        Some("bad_request")
    );

    let no_tab = serde_wasm_bindgen::to_value(&serde_json::json!({
        "type": "page_snapshot",
        "snapshot": {"version": 1, "url": "https://a.example/"}
    }))
    .expect("message");
    let answer = background::handle_message(no_tab, None, 1.0).await;
    assert_eq!(
        get(&answer, &["code"]).as_string().as_deref(),
        Some("no_tab")
    );
    let _ = answer.dyn_ref::<js_sys::Object>().expect("an object");
}

#[wasm_bindgen_test]
async fn the_stack_message_answers_what_the_engine_computes() {
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../../examples/stack-amazon-in.json"))
            .expect("example JSON");
    let want = engine::stack::optimize(
        &engine::stack::parse_request(&example.to_string()).expect("example request"),
    )
    .expect("example stack");

    let message = serde_json::json!({"type": "stack", "request": example});
    let answer = background::handle_message(background::to_js(&message), None, 1.0).await;
    assert_eq!(
        get(&answer, &["type"]).as_string().as_deref(),
        Some("stack")
    );
    assert_eq!(
        get(&answer, &["result", "net_cost"]).as_string(),
        Some(want.net_cost.to_string())
    );
    assert!(
        get(&answer, &["result", "stack", "coupons"]).is_array(),
        "the chosen coupons cross as an array"
    );

    let mut bad = serde_json::json!({"type": "stack", "request": example});
    bad["request"]["cart"]["currency"] = serde_json::json!("NOPE");
    let answer = background::handle_message(background::to_js(&bad), None, 1.0).await;
    assert_eq!(
        get(&answer, &["code"]).as_string().as_deref(),
        Some("bad_request")
    );
}

/// sync-core's crypto in real wasm: the browser's random source (getrandom's `js` backend),
/// Argon2id, sealing bound to its record, the data key's wrapping.
#[wasm_bindgen_test]
fn sync_crypto_works_in_wasm() {
    use sync_core::keys::{self, Key, RecoveryKey, WrapPurpose};
    let kdf = keys::fresh_kdf(8, 1, 1).expect("random salt from the browser");
    let pw = keys::password_keys("hunter22", &kdf).expect("argon2id");
    assert_ne!(pw.auth, pw.wrap);
    let data = Key::random().expect("random");
    let ad = keys::record_ad("a@x.io", "wallet", "r1");
    let sealed = keys::seal(&data, &ad, b"gift code").expect("seal");
    assert_eq!(keys::open(&data, &ad, &sealed).expect("open"), b"gift code");
    let other = keys::record_ad("a@x.io", "wallet", "r2");
    assert!(
        keys::open(&data, &other, &sealed).is_err(),
        "wrong AD fails"
    );
    let rk = RecoveryKey::random().expect("random");
    let w =
        keys::wrap_data_key(&rk.keys().wrap, "a@x.io", WrapPurpose::Recovery, &data).expect("wrap");
    let parsed = RecoveryKey::parse(&rk.display()).expect("parse");
    assert_eq!(
        keys::unwrap_data_key(&parsed.keys().wrap, "a@x.io", WrapPurpose::Recovery, &w)
            .expect("unwrap"),
        data
    );
}

//! The pages' words, through the browser's i18n (`_locales/<language>/messages.json`, English
//! the default). Each call carries its English text too: natively (tests) and for a key the
//! browser does not know, that text is shown, so a page never shows a bare key. A lint test
//! (`tests/e2e/lint.test.js`) keeps every call's English equal to `_locales/en`.

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getMessage)]
        fn get_message(name: &str, substitutions: &js_sys::Array) -> Result<String, JsValue>;
    }

    pub fn message(key: &str, subs: &[&str]) -> Option<String> {
        let array: js_sys::Array = subs.iter().map(|s| JsValue::from_str(s)).collect();
        get_message(key, &array).ok().filter(|m| !m.is_empty())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod browser {
    pub fn message(_key: &str, _subs: &[&str]) -> Option<String> {
        None
    }
}

/// A fixed text.
pub fn t(key: &str, english: &str) -> String {
    browser::message(key, &[]).unwrap_or_else(|| english.to_owned())
}

/// A text with parts filled in: `$1` … `$9` in `english` (and in the message) are `subs`.
pub fn tr(key: &str, english: &str, subs: &[&str]) -> String {
    browser::message(key, subs).unwrap_or_else(|| fill(english, subs))
}

fn fill(text: &str, subs: &[&str]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' {
            if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                chars.next();
                let i = usize::try_from(d).unwrap_or(0);
                out.push_str(i.checked_sub(1).and_then(|i| subs.get(i)).unwrap_or(&""));
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_fills_its_placeholders() {
        assert_eq!(
            tr("k", "Pay with $1 to get $2", &["A", "B"]),
            "Pay with A to get B"
        );
        assert_eq!(tr("k", "$2 before $1", &["a", "b"]), "b before a");
        assert_eq!(t("k", "Costs $ 5"), "Costs $ 5");
    }
}

//! `stacksmart offer --jsonl`: one `{"text", "url"}` object per stdin line (optional
//! `"lang"`) → one structured offer per stdout line; a bad line gets `{"error": …}` and the
//! run goes on. `stacksmart offer [--url URL] TEXT` parses a single text.

use std::io::{BufRead, Write};

use engine::offer_text::{parse_offer, OfferContext};
use serde::Deserialize;

const USAGE: &str = "usage: stacksmart offer --jsonl | stacksmart offer [--url URL] TEXT";

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

pub fn run(args: &[String]) -> Result<String, String> {
    let mut url = None;
    let mut jsonl = false;
    let mut text = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => url = Some(it.next().ok_or(USAGE)?.clone()),
            "--jsonl" => jsonl = true,
            _ if text.is_none() => text = Some(a.clone()),
            _ => return Err(USAGE.into()),
        }
    }
    if jsonl {
        if text.is_some() {
            return Err(USAGE.into());
        }
        let mut out = std::io::stdout().lock();
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| format!("stdin: {e}"))?;
            let result = serde_json::from_str::<Line>(&line)
                .map_err(|e| e.to_string())
                .and_then(|l| {
                    let ctx = OfferContext {
                        url: l.url.or_else(|| url.clone()),
                        lang: l.lang,
                    };
                    serde_json::to_string(&parse_offer(&l.text, &ctx)).map_err(|e| e.to_string())
                });
            let json = result.unwrap_or_else(|e| serde_json::json!({ "error": e }).to_string());
            writeln!(out, "{json}").map_err(|e| format!("stdout: {e}"))?;
        }
        return Ok(String::new());
    }
    let text = text.ok_or(USAGE)?;
    let ctx = OfferContext { url, lang: None };
    serde_json::to_string(&parse_offer(&text, &ctx)).map_err(|e| e.to_string())
}

//! `stacksmart price [--hint TEXT] TEXT`: one price text → `{"amount", "currency", …}`.
//! `stacksmart price --jsonl [--hint TEXT]`: one `{"text", "hint"}` object per stdin line →
//! one result per stdout line; a bad line gets `{"error": …}` and the run goes on.

use std::io::{BufRead, Write};

use engine::price_text::{parse_price, PriceHint};
use serde::Deserialize;

const USAGE: &str =
    "usage: stacksmart price [--hint TEXT] TEXT | stacksmart price --jsonl [--hint TEXT]";

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    hint: Option<String>,
}

pub fn run(args: &[String]) -> Result<String, String> {
    let mut hint = None;
    let mut jsonl = false;
    let mut text = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--hint" => hint = Some(it.next().ok_or(USAGE)?.clone()),
            "--jsonl" => jsonl = true,
            _ if text.is_none() => text = Some(a.clone()),
            _ => return Err(USAGE.into()),
        }
    }
    let default_hint = hint
        .as_deref()
        .map(PriceHint::from_free_text)
        .unwrap_or_default();
    if jsonl {
        if text.is_some() {
            return Err(USAGE.into());
        }
        let stdin = std::io::stdin();
        let mut out = std::io::stdout().lock();
        for line in stdin.lock().lines() {
            let line = line.map_err(|e| format!("stdin: {e}"))?;
            let result = serde_json::from_str::<Line>(&line)
                .map_err(|e| e.to_string())
                .and_then(|l| {
                    let h = l
                        .hint
                        .as_deref()
                        .map_or_else(|| default_hint.clone(), PriceHint::from_free_text);
                    serde_json::to_string(&parse_price(&l.text, &h)).map_err(|e| e.to_string())
                });
            let json = result.unwrap_or_else(|e| serde_json::json!({ "error": e }).to_string());
            writeln!(out, "{json}").map_err(|e| format!("stdout: {e}"))?;
        }
        return Ok(String::new());
    }
    let text = text.ok_or(USAGE)?;
    serde_json::to_string(&parse_price(&text, &default_hint)).map_err(|e| e.to_string())
}

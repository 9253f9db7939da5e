//! `stacksmart detect-batch DIR`: detection over a labelled page set (`DIR/ground-truth.json`
//! for the URLs, `DIR/html/KEY.html.gz`) → `{KEY: prediction}`, the input of `eval`.

use std::path::Path;

pub fn run(args: &[String]) -> Result<String, String> {
    let [dir] = args else {
        return Err("usage: stacksmart detect-batch DIR".into());
    };
    let predictions = engine::html_snapshot::detect_dir(Path::new(dir))?;
    serde_json::to_string_pretty(&predictions).map_err(|e| e.to_string())
}

//! `stacksmart score REQUEST.json`: scores a product from its price history, the page's
//! claims, the stack's saving and other merchants' prices (docs/score.md) and prints the
//! result as JSON.

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart score HISTORY.json";
    let [path] = args else {
        return Err(USAGE.into());
    };
    if path.starts_with("--") {
        return Err(format!("unknown option `{path}`\n{USAGE}"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let result = engine::score::score_json(&text).map_err(|e| format!("{path}: {e}"))?;
    serde_json::to_string_pretty(&result).map_err(|e| e.to_string())
}

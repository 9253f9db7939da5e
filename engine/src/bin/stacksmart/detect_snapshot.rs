//! `stacksmart detect-snapshot SNAPSHOT.json`: runs detection on a saved page snapshot.

pub fn run(args: &[String]) -> Result<String, String> {
    let [path] = args else {
        return Err("usage: stacksmart detect-snapshot SNAPSHOT.json".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let snapshot: engine::snapshot::PageSnapshot =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let detection = engine::detect::detect(&snapshot).map_err(|e| format!("{path}: {e}"))?;
    serde_json::to_string_pretty(&detection).map_err(|e| e.to_string())
}

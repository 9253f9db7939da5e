//! `stacksmart eval DIR PREDICTIONS.json [--json]`: per-field precision / recall / F1 of a
//! prediction set against `DIR/ground-truth.json`.

use std::path::Path;

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart eval DIR PREDICTIONS.json [--json]";
    let json = args.iter().any(|a| a == "--json");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    let [dir, predictions] = paths.as_slice() else {
        return Err(USAGE.into());
    };
    // DIR may also be the ground-truth file itself.
    let dir = Path::new(dir.as_str());
    let truth_path = if dir.is_dir() {
        dir.join("ground-truth.json")
    } else {
        dir.to_path_buf()
    };
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let truth = engine::eval::parse_ground_truth(&read(&truth_path)?)?;
    let predictions = engine::eval::parse_predictions(&read(Path::new(predictions.as_str()))?)?;
    let report = engine::eval::score(&truth, &predictions);
    if json {
        serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())
    } else {
        Ok(report.table())
    }
}

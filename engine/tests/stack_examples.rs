//! Every `examples/stack-*.json` request runs through the library (as the CLI does), so the
//! documented examples never rot.

use std::path::PathBuf;

#[test]
fn every_stack_example_runs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !(name.starts_with("stack-") && name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let req = engine::stack::parse_request(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = engine::stack::optimize(&req).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            r.steps.last().map(|s| s.running_total),
            Some(r.net_cost),
            "{name}"
        );
        assert!(
            r.net_cost <= r.baseline,
            "{name}: stacking never costs more than no stacking"
        );
        assert!(!engine::stack::explain(&r).is_empty());
        seen += 1;
    }
    assert!(seen >= 2, "only {seen} examples found");
}

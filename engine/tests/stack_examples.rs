//! Every `examples/stack-*.json` request runs through the library (as the CLI does), so the
//! documented examples never rot.

mod common;

#[test]
fn every_stack_example_runs() {
    let examples = common::examples("stack-");
    for (name, text) in &examples {
        let req = engine::stack::parse_request(text).unwrap_or_else(|e| panic!("{name}: {e}"));
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
    }
    assert!(
        examples.len() >= 2,
        "only {} examples found",
        examples.len()
    );
}

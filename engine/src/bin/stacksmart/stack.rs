//! `stacksmart stack REQUEST.json [--explain]`: runs the stack optimizer on a request
//! (docs/engine-api.md) and prints the result as JSON, or the receipt for people.

pub fn run(args: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: stacksmart stack REQUEST.json [--explain]";
    let explain = args.iter().any(|a| a == "--explain");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--explain").collect();
    let [path] = paths.as_slice() else {
        return Err(USAGE.into());
    };
    if path.starts_with("--") {
        return Err(format!("unknown option `{path}`\n{USAGE}"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let request = engine::stack::parse_request(&text).map_err(|e| format!("{path}: {e}"))?;
    let result = engine::stack::optimize(&request).map_err(|e| format!("{path}: {e}"))?;
    if explain {
        Ok(engine::stack::explain(&result))
    } else {
        serde_json::to_string_pretty(&result).map_err(|e| e.to_string())
    }
}

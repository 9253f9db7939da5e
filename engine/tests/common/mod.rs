//! Shared by the integration tests that run the documented examples.

use std::path::PathBuf;

/// Every `examples/PREFIX*.json` as `(file name, contents)`, sorted by name.
pub fn examples(prefix: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|entry| entry.expect("dir entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            (name.starts_with(prefix) && name.ends_with(".json")).then(|| {
                let text = std::fs::read_to_string(&path).expect("readable");
                (name, text)
            })
        })
        .collect();
    out.sort();
    out
}

//! The page snapshot: what the content script read off a page, as documented in
//! `docs/snapshot.md`. The content script does no interpretation (it never parses JSON-LD
//! itself, so malformed markup cannot throw on the page); the engine does all of it.

use serde::{Deserialize, Serialize};

/// The version this engine reads. Older or newer snapshots are refused with a clear error.
pub const SNAPSHOT_VERSION: u32 = 1;
/// Caps the content script honours; the engine re-checks them so a misbehaving page cannot
/// make the background hold megabytes per tab.
pub const MAX_JSON_LD_BLOCKS: usize = 32;
pub const MAX_JSON_LD_BLOCK_BYTES: usize = 256 * 1024;
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;
pub const MAX_TEXT_FIELD_BYTES: usize = 2048;

/// Version 1 of the page snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSnapshot {
    /// Always [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// `location.href` of the top frame.
    pub url: String,
    /// `document.title`.
    #[serde(default)]
    pub title: String,
    /// `<html lang>`, if any.
    #[serde(default)]
    pub lang: Option<String>,
    /// `<link rel=canonical href>`, resolved against the page URL.
    #[serde(default)]
    pub canonical_url: Option<String>,
    /// Raw text of every `<script type="application/ld+json">`, in document order.
    #[serde(default)]
    pub json_ld: Vec<String>,
    /// True when the collector dropped blocks or truncated text to stay within the caps.
    #[serde(default)]
    pub truncated: bool,
}

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "snapshot version {found} is not supported (this engine reads version {SNAPSHOT_VERSION})"
    )]
    UnsupportedVersion { found: u32 },
    #[error("snapshot field `{field}` is {size} bytes, over the {limit}-byte cap")]
    TooLarge {
        field: &'static str,
        size: usize,
        limit: usize,
    },
    #[error("snapshot has {count} JSON-LD blocks, over the cap of {MAX_JSON_LD_BLOCKS}")]
    TooManyBlocks { count: usize },
    #[error("snapshot url `{0}` is not an http(s) address")]
    BadUrl(String),
}

impl PageSnapshot {
    /// Checks the version and the size caps.
    pub fn validate(&self) -> Result<(), SnapshotError> {
        if self.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: self.version,
            });
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(SnapshotError::BadUrl(truncate(&self.url, 80)));
        }
        for (field, value) in [("url", &self.url), ("title", &self.title)] {
            check_len(field, value.len(), MAX_TEXT_FIELD_BYTES)?;
        }
        if let Some(c) = &self.canonical_url {
            check_len("canonical_url", c.len(), MAX_TEXT_FIELD_BYTES)?;
        }
        if self.json_ld.len() > MAX_JSON_LD_BLOCKS {
            return Err(SnapshotError::TooManyBlocks {
                count: self.json_ld.len(),
            });
        }
        let mut total = self.url.len() + self.title.len();
        for block in &self.json_ld {
            check_len("json_ld[]", block.len(), MAX_JSON_LD_BLOCK_BYTES)?;
            total += block.len();
        }
        check_len("snapshot", total, MAX_SNAPSHOT_BYTES)
    }
}

fn check_len(field: &'static str, size: usize, limit: usize) -> Result<(), SnapshotError> {
    if size > limit {
        Err(SnapshotError::TooLarge { field, size, limit })
    } else {
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> PageSnapshot {
        PageSnapshot {
            version: 1,
            url: "https://shop.example/p/1".into(),
            title: "A thing".into(),
            lang: Some("en".into()),
            canonical_url: None,
            json_ld: vec!["{}".into()],
            truncated: false,
        }
    }

    #[test]
    fn accepts_a_valid_snapshot() {
        assert_eq!(snapshot().validate(), Ok(()));
    }

    #[test]
    fn refuses_other_versions_bad_urls_and_oversized_parts() {
        let mut s = snapshot();
        s.version = 2;
        assert_eq!(
            s.validate(),
            Err(SnapshotError::UnsupportedVersion { found: 2 })
        );

        let mut s = snapshot();
        s.url = "javascript:alert(1)".into();
        assert!(matches!(s.validate(), Err(SnapshotError::BadUrl(_))));

        let mut s = snapshot();
        s.json_ld = vec!["x".repeat(MAX_JSON_LD_BLOCK_BYTES + 1)];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooLarge {
                field: "json_ld[]",
                ..
            })
        ));

        let mut s = snapshot();
        s.json_ld = vec!["x".repeat(200 * 1024); 6];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooLarge {
                field: "snapshot",
                ..
            })
        ));

        let mut s = snapshot();
        s.json_ld = vec![String::new(); MAX_JSON_LD_BLOCKS + 1];
        assert!(matches!(
            s.validate(),
            Err(SnapshotError::TooManyBlocks { .. })
        ));
    }

    #[test]
    fn unknown_fields_are_refused_so_version_drift_is_loud() {
        let json = r#"{"version":1,"url":"https://a.example/","surprise":true}"#;
        assert!(serde_json::from_str::<PageSnapshot>(json).is_err());
        let json = r#"{"version":1,"url":"https://a.example/"}"#;
        let s: PageSnapshot = serde_json::from_str(json).expect("minimal snapshot");
        assert!(s.json_ld.is_empty());
    }
}

//! Saved HTML page → [`PageSnapshot`] v1, natively, with the semantics of the extension's
//! content-script collector (`content-scripts/collector.js`), so pages on disk can be run
//! through the same detection as live pages. Native tooling only (feature `cli`): the HTML
//! parser must not end up in the extension's wasm.
//!
//! Differences from the browser that are inherent to working offline: no script runs (the
//! snapshot is of the served HTML, not of the page after it rendered), and the caps count
//! UTF-8 bytes, as the engine's own checks do, where the collector counts UTF-16 units.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use encoding_rs::Encoding;
use scraper::{ElementRef, Html};

use crate::eval::{self, Prediction};
use crate::jsonld::resolve_url;
use crate::product::Product;
use crate::snapshot::{
    PageSnapshot, MAX_JSON_LD_BLOCKS, MAX_JSON_LD_BLOCK_BYTES, MAX_SNAPSHOT_BYTES,
    MAX_TEXT_FIELD_BYTES, SNAPSHOT_VERSION,
};

/// How far into the bytes a `<meta charset>` is looked for. The HTML standard's prescan
/// reads 1024 bytes; browsers look a little further, and so do we.
pub const CHARSET_PRESCAN_BYTES: usize = 4096;

const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Builds the snapshot the collector would send for `html` served at `url`.
pub fn snapshot_from_html(html: &str, url: &str) -> PageSnapshot {
    let document = Html::parse_document(html);
    let mut json_ld = Vec::new();
    let mut truncated = false;
    let mut total = 0usize;
    let mut title: Option<String> = None;
    let mut canonical_href: Option<String> = None;
    let mut base_href: Option<String> = None;
    let mut root: Option<ElementRef<'_>> = None;

    // One pass in document order: the collector's `querySelector`s take the first match.
    for node in document.tree.root().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        if root.is_none() {
            root = Some(el);
        }
        let name = el.value().name();
        let wanted = matches!(name, "script" | "title" | "link" | "base");
        // Selectors do not see into <template> contents, which html5ever keeps in the tree.
        if !wanted || in_template(el) {
            continue;
        }
        match name {
            "script" => {
                let is_json_ld = el
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json"));
                if !is_json_ld {
                    continue;
                }
                if json_ld.len() >= MAX_JSON_LD_BLOCKS {
                    truncated = true;
                    continue;
                }
                let text: String = el.text().collect();
                if text.len() > MAX_JSON_LD_BLOCK_BYTES || total + text.len() > MAX_SNAPSHOT_BYTES {
                    truncated = true;
                    continue;
                }
                total += text.len();
                json_ld.push(text);
            }
            // `document.title` is the first *HTML* <title>; an SVG <title> does not count.
            "title" if title.is_none() && &*el.value().name.ns == XHTML_NS => {
                title = Some(strip_and_collapse(&el.text().collect::<String>()));
            }
            "link" if canonical_href.is_none() => {
                let canonical = el.attr("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("canonical"))
                });
                if let (true, Some(href)) = (canonical, el.attr("href")) {
                    canonical_href = Some(href.to_owned());
                }
            }
            // `link.href` resolves against the document's base URL, which <base> can move.
            "base" if base_href.is_none() => {
                base_href = el.attr("href").map(str::to_owned);
            }
            _ => {}
        }
    }

    let base = base_href.map_or_else(|| url.to_owned(), |b| resolve_url(url, &b));
    let lang = root
        .and_then(|r| r.attr("lang"))
        .filter(|l| !l.is_empty())
        .map(clip);
    PageSnapshot {
        version: SNAPSHOT_VERSION,
        url: clip(url),
        title: clip(title.as_deref().unwrap_or_default()),
        lang,
        canonical_url: canonical_href.map(|h| clip(&resolve_url(&base, &h))),
        json_ld,
        truncated,
    }
}

/// Decodes page bytes as a browser would: a byte-order mark wins, then the charset declared
/// in a `<meta>` within the first [`CHARSET_PRESCAN_BYTES`], else UTF-8. Malformed bytes
/// become U+FFFD; this never fails.
pub fn decode_html(bytes: &[u8]) -> String {
    let encoding = sniff_charset(bytes).unwrap_or(encoding_rs::UTF_8);
    // `decode` lets a BOM override the declared charset, as browsers do.
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

/// Reads a saved page, gunzipping it when it is gzip data (by its magic bytes, whatever the
/// file is called).
pub fn read_page(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: gzip: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// A saved page (`.html` or `.html.gz`) → snapshot → detected product, for `url`.
pub fn detect_page_file(path: &Path, url: &str) -> Result<Option<Product>, String> {
    let bytes = read_page(path)?;
    let snapshot = snapshot_from_html(&decode_html(&bytes), url);
    crate::detect::detect(&snapshot)
        .map(|d| d.product)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs detection over a page set laid out like `shared/data/product-pages`
/// (`DIR/ground-truth.json` for the URLs, `DIR/html/KEY.html.gz`): one prediction per key,
/// empty for pages without a product. Fails listing every page that could not be processed.
pub fn detect_dir(dir: &Path) -> Result<BTreeMap<String, Prediction>, String> {
    let truth_path = dir.join("ground-truth.json");
    let truth_text = std::fs::read_to_string(&truth_path)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let truth = eval::parse_ground_truth(&truth_text)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let mut predictions = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, page) in &truth {
        let html = dir.join("html");
        let gz = html.join(format!("{key}.html.gz"));
        let path = if gz.exists() {
            gz
        } else {
            html.join(format!("{key}.html"))
        };
        match detect_page_file(&path, &page.url) {
            Ok(product) => {
                let row = product
                    .as_ref()
                    .map(eval::prediction_from_product)
                    .unwrap_or_default();
                predictions.insert(key.clone(), row);
            }
            Err(e) => errors.push(format!("{key}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(predictions)
    } else {
        Err(errors.join("\n"))
    }
}

fn in_template(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "template")
}

/// `document.title`'s whitespace rule: strip and collapse ASCII whitespace.
fn strip_and_collapse(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Clips to [`MAX_TEXT_FIELD_BYTES`] on a char boundary (the collector clips too).
fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT_FIELD_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The HTML standard's meta prescan, simplified: walks tags in the first bytes (skipping
/// comments and quoted attribute values) and returns the first `<meta charset>` or
/// `<meta http-equiv=content-type content="…charset=…">` that names a known encoding.
fn sniff_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(CHARSET_PRESCAN_BYTES)];
    let mut i = 0;
    while i < head.len() {
        if head[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            i += find(&rest[4..], b"-->").map_or(head.len(), |j| 4 + j + 3);
            continue;
        }
        let after = rest.get(1).copied().unwrap_or(b' ');
        if !(after.is_ascii_alphabetic() || after == b'/') {
            i += 1;
            continue;
        }
        let (tag, attrs, len) = parse_tag(rest);
        i += len.max(1);
        if !tag.eq_ignore_ascii_case(b"meta") {
            continue;
        }
        let attr = |name: &[u8]| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
        };
        let label = match (attr(b"charset"), attr(b"http-equiv"), attr(b"content")) {
            (Some(cs), _, _) => Some(cs.to_vec()),
            (None, Some(eq), Some(content)) if eq.eq_ignore_ascii_case(b"content-type") => {
                charset_from_content(content)
            }
            _ => None,
        };
        if let Some(encoding) = label.and_then(|l| Encoding::for_label(&l)) {
            // The standard: a page cannot declare itself UTF-16 in ASCII-compatible bytes,
            // and x-user-defined reads as windows-1252.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else if encoding == encoding_rs::X_USER_DEFINED {
                    encoding_rs::WINDOWS_1252
                } else {
                    encoding
                },
            );
        }
    }
    None
}

type Attr = (Vec<u8>, Vec<u8>);

/// Parses `<name attr=value …>` at the start of `s`: returns the tag name, its attributes
/// and the bytes consumed (up to and including `>`, or all of `s` if it never closes).
fn parse_tag(s: &[u8]) -> (&[u8], Vec<Attr>, usize) {
    let mut i = 1;
    if s.get(i) == Some(&b'/') {
        i += 1;
    }
    let name_start = i;
    while i < s.len() && !s[i].is_ascii_whitespace() && s[i] != b'>' && s[i] != b'/' {
        i += 1;
    }
    let name = &s[name_start..i];
    let mut attrs = Vec::new();
    loop {
        while i < s.len() && (s[i].is_ascii_whitespace() || s[i] == b'/') {
            i += 1;
        }
        if i >= s.len() {
            return (name, attrs, s.len());
        }
        if s[i] == b'>' {
            return (name, attrs, i + 1);
        }
        let key_start = i;
        while i < s.len() && !s[i].is_ascii_whitespace() && !matches!(s[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = s[key_start..i].to_vec();
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Vec::new();
        if s.get(i) == Some(&b'=') {
            i += 1;
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            match s.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = s[i + 1..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(s.len(), |j| i + 1 + j);
                    value = s[i + 1..end].to_vec();
                    i = (end + 1).min(s.len());
                }
                _ => {
                    let start = i;
                    while i < s.len() && !s[i].is_ascii_whitespace() && s[i] != b'>' {
                        i += 1;
                    }
                    value = s[start..i].to_vec();
                }
            }
        }
        attrs.push((key, value));
    }
}

/// `text/html; charset=windows-1251` → `windows-1251` (quotes allowed).
fn charset_from_content(content: &[u8]) -> Option<Vec<u8>> {
    let lower = content.to_ascii_lowercase();
    let at = find(&lower, b"charset")?;
    let rest = content[at + 7..].trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let (quote, rest) = match rest.first() {
        Some(&q) if q == b'"' || q == b'\'' => (Some(q), &rest[1..]),
        _ => (None, rest),
    };
    let end = rest
        .iter()
        .position(|&c| match quote {
            Some(q) => c == q,
            None => c.is_ascii_whitespace() || c == b';',
        })
        .unwrap_or(rest.len());
    let label = &rest[..end];
    (!label.is_empty()).then(|| label.to_vec())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prescan_reads_both_declaration_forms_and_skips_comments() {
        let cases: [(&[u8], Option<&str>); 7] = [
            (b"<meta charset=\"windows-1251\">", Some("windows-1251")),
            (b"<META CHARSET=windows-1250>", Some("windows-1250")),
            (
                b"<meta http-equiv='Content-Type' content='text/html; charset=ISO-8859-2'>",
                Some("ISO-8859-2"),
            ),
            (b"<!-- <meta charset=koi8-r> --><p>", None),
            (b"<meta charset=utf-16le>", Some("UTF-8")),
            (b"<meta name=x content='charset=koi8-r'>", None),
            (
                b"<meta charset=nonsense><meta charset=koi8-r>",
                Some("KOI8-R"),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                sniff_charset(bytes).map(Encoding::name),
                want.map(|w| Encoding::for_label(w.as_bytes()).map_or("?", Encoding::name)),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn clip_never_splits_a_character() {
        let s = format!("{}é", "a".repeat(MAX_TEXT_FIELD_BYTES - 1));
        assert_eq!(clip(&s).len(), MAX_TEXT_FIELD_BYTES - 1);
        assert_eq!(clip("short"), "short");
    }
}

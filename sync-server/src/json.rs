//! The changes page written by hand: the hot read path answers ~100 KB of base64 per request,
//! and going through `Record`/`ChangesPage` and serde cost an allocation per field, a base64
//! string per payload and an escape scan over every payload byte. Here the payload is encoded
//! straight into the one pre-sized output buffer (base64 never needs JSON escaping), and strings
//! are copied as they are when they need no escaping (record ids and collection names never do)
//! and escaped by serde_json otherwise. The output is byte for byte what
//! `serde_json::to_vec(&ChangesPage { .. })` makes (tested below).

use crate::db::{Page, RecordRef};

/// Appends `s` as a JSON string.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly these bytes: control characters, `"` and `\`.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing a &str into a Vec cannot fail; keep the output valid JSON regardless.
        out.extend_from_slice(b"\"\"");
    }
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `bytes` as a JSON string of standard base64 with padding (SIMD: the encoding was
/// the largest single item in the read path's profile, ≈ 15 % of the server's CPU with the
/// `base64` crate).
pub fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    base64_simd::STANDARD.encode_append(bytes, out);
    out.push(b'"');
}

/// Appends one record as `model::Record` serialises.
pub fn push_record(out: &mut Vec<u8>, r: &RecordRef<'_>) {
    out.extend_from_slice(b"{\"collection\":");
    push_str(out, r.collection);
    out.extend_from_slice(b",\"id\":");
    push_str(out, r.id);
    out.extend_from_slice(b",\"version\":");
    push_int(out, r.version);
    out.extend_from_slice(if r.deleted {
        b",\"deleted\":true,\"payload\":"
    } else {
        b",\"deleted\":false,\"payload\":"
    });
    match r.payload {
        Some(p) => push_base64(out, p),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// The JSON of a `model::ChangesPage` for `page`; `since` is the request's cursor (the
/// answer's cursor when the page is empty).
pub fn changes_page(page: &Page, since: i64) -> Result<Vec<u8>, sqlx::Error> {
    let records = page.records().collect::<Result<Vec<_>, _>>()?;
    let size = 64
        + records
            .iter()
            .map(|r| {
                80 + r.collection.len() + r.id.len() + r.payload.map_or(0, |p| p.len() / 3 * 4 + 4)
            })
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"{\"changes\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_record(&mut out, r);
    }
    out.extend_from_slice(b"],\"cursor\":");
    push_int(&mut out, records.last().map_or(since, |r| r.version));
    out.extend_from_slice(if page.more {
        b",\"more\":true,\"latest\":"
    } else {
        b",\"more\":false,\"latest\":"
    });
    push_int(&mut out, page.latest);
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    fn record_json(r: &RecordRef<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        push_record(&mut out, r);
        out
    }

    #[test]
    fn records_match_serde_byte_for_byte() {
        let payloads: Vec<Vec<u8>> = (0..70usize)
            .chain([255, 256, 257, 800, 801, 802, 4095, 4096, 65536])
            .map(|n| {
                (0..n)
                    .map(|i| u8::try_from((i * 37 + n) % 256).unwrap_or(0))
                    .collect()
            })
            .collect();
        let strings = [
            "wallet",
            "card-1",
            "a:b.c_d-E9",
            "",
            "quote\"back\\slash",
            "ctl\u{1}\n\t\u{1f}",
            "ünïcødé ✓ \u{7f}",
        ];
        for (i, s) in strings.iter().enumerate() {
            for (j, p) in payloads.iter().enumerate() {
                let deleted = j % 5 == 0;
                let payload = (!deleted).then_some(p.as_slice());
                let r = RecordRef {
                    collection: s,
                    id: strings[(i + j) % strings.len()],
                    version: (i * 1000 + j) as i64 * if j % 7 == 0 { -1 } else { 1 },
                    deleted,
                    payload,
                };
                let owned = Record {
                    collection: r.collection.to_string(),
                    id: r.id.to_string(),
                    version: r.version,
                    deleted,
                    payload: payload.map(|p| STANDARD.encode(p)),
                };
                let expected = serde_json::to_vec(&owned).expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&record_json(&r)),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
    }

    #[test]
    fn extreme_versions_are_plain_integers() {
        for v in [i64::MIN, -1, 0, 1, i64::MAX] {
            let mut out = Vec::new();
            push_int(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }
}

//! Three-way merge of entries: the last synced copy (base), this device's (local) and the
//! server's (remote).
//!
//! - A side that did not change an entry takes the other side's change.
//! - Both changed an object (a card, a gift card): merged field by field, recursively, so an
//!   edited nickname here and an edited balance there both survive.
//! - Both changed the same field to different values: the server's value is kept (it was
//!   acknowledged first) and a [`Note`] says what this device's value was, so the shopper
//!   sees it; nothing is dropped silently.
//! - Deleted on one side, edited on the other: the edit wins (an entry is never lost to a
//!   delete that did not see the edit), with a note.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::records::Entries;

/// A conflict the merge resolved, for the options page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The entry (`cards/c1`) and field path (`nickname`, empty for the whole entry).
    pub entry: String,
    pub field: String,
    /// What happened, in words.
    pub message: String,
}

/// Merges one value; conflicts are appended to `notes` under `entry`/`path`.
pub fn merge3(
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    entry: &str,
    path: &str,
    notes: &mut Vec<Note>,
) -> Option<Value> {
    if local == remote || local == base {
        return remote.cloned();
    }
    if remote == base {
        return local.cloned();
    }
    let note = |notes: &mut Vec<Note>, message: String| {
        notes.push(Note {
            entry: entry.to_owned(),
            field: path.to_owned(),
            message,
        });
    };
    match (local, remote) {
        (Some(Value::Object(l)), Some(Value::Object(r))) => {
            let empty = Map::new();
            let b = match base {
                Some(Value::Object(b)) => b,
                _ => &empty,
            };
            let fields: BTreeSet<&String> = b.keys().chain(l.keys()).chain(r.keys()).collect();
            let mut out = Map::new();
            for f in fields {
                let sub = if path.is_empty() {
                    f.clone()
                } else {
                    format!("{path}.{f}")
                };
                if let Some(v) = merge3(b.get(f), l.get(f), r.get(f), entry, &sub, notes) {
                    out.insert(f.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        (None, Some(r)) => {
            note(
                notes,
                "removed on this device but changed on another: kept the other device's".into(),
            );
            Some(r.clone())
        }
        (Some(l), None) => {
            note(
                notes,
                "removed on another device but changed on this one: kept".into(),
            );
            Some(l.clone())
        }
        (Some(l), Some(r)) => {
            note(
                notes,
                format!(
                    "changed on two devices: kept {r} from the other device; this device had {l}"
                ),
            );
            Some(r.clone())
        }
        (None, None) => None,
    }
}

/// Merges whole entry maps (absent = no such entry). `base` is per key; keys without a base
/// use `fallback_base` (an empty wallet's entries).
pub fn merge_entries(
    base: &Entries,
    local: &Entries,
    remote: &Entries,
    notes: &mut Vec<Note>,
) -> Entries {
    let keys: BTreeSet<&String> = base
        .keys()
        .chain(local.keys())
        .chain(remote.keys())
        .collect();
    keys.into_iter()
        .filter_map(|k| {
            merge3(base.get(k), local.get(k), remote.get(k), k, "", notes).map(|v| (k.clone(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn m(b: Value, l: Value, r: Value) -> (Option<Value>, Vec<Note>) {
        let mut notes = Vec::new();
        let out = merge3(Some(&b), Some(&l), Some(&r), "cards/c1", "", &mut notes);
        (out, notes)
    }

    #[test]
    fn edits_to_different_fields_of_one_card_both_survive() {
        let (out, notes) = m(
            json!({"id": "c1", "nickname": "A", "cap_used": {"dining": "10"}}),
            json!({"id": "c1", "nickname": "Mine", "cap_used": {"dining": "10"}}),
            json!({"id": "c1", "nickname": "A", "cap_used": {"dining": "10", "travel": "5"}}),
        );
        assert_eq!(
            out,
            Some(
                json!({"id": "c1", "nickname": "Mine", "cap_used": {"dining": "10", "travel": "5"}})
            )
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn the_same_field_changed_twice_keeps_the_server_value_and_says_so() {
        let (out, notes) = m(
            json!({"balance": "10"}),
            json!({"balance": "7"}),
            json!({"balance": "4"}),
        );
        assert_eq!(out, Some(json!({"balance": "4"})));
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].field, "balance");
        assert!(notes[0].message.contains("\"7\""), "{}", notes[0].message);
    }

    #[test]
    fn an_edit_beats_a_delete_either_way() {
        let b = json!({"balance": "10"});
        let e = json!({"balance": "9"});
        let mut notes = Vec::new();
        assert_eq!(
            merge3(Some(&b), None, Some(&e), "k", "", &mut notes),
            Some(e.clone())
        );
        assert_eq!(
            merge3(Some(&b), Some(&e), None, "k", "", &mut notes),
            Some(e.clone())
        );
        assert_eq!(notes.len(), 2);
        // A delete of an unchanged entry is just a delete.
        assert_eq!(merge3(Some(&b), Some(&b), None, "k", "", &mut notes), None);
        assert_eq!(merge3(Some(&b), None, Some(&b), "k", "", &mut notes), None);
    }

    /// One side's edits of a base map: keep, change, delete, or add.
    fn edits(base: Entries) -> impl Strategy<Value = Entries> {
        let n = base.len();
        (
            proptest::collection::vec(0u8..4, n),
            proptest::collection::btree_map("[a-e]", 0u8..5, 0..4),
            proptest::collection::vec(0u8..5, n),
        )
            .prop_map(move |(ops, adds, vals)| {
                let mut out = Entries::new();
                for (i, (k, v)) in base.iter().enumerate() {
                    match ops[i] {
                        0 | 1 => {
                            out.insert(k.clone(), v.clone());
                        }
                        2 => {
                            let mut o = v.clone();
                            o["f"] = json!(vals[i]);
                            out.insert(k.clone(), o);
                        }
                        _ => {}
                    }
                }
                for (k, v) in adds {
                    out.entry(format!("new/{k}"))
                        .or_insert_with(|| json!({"f": v, "g": v}));
                }
                out
            })
    }

    fn base_map() -> impl Strategy<Value = Entries> {
        proptest::collection::btree_map("[a-h]", (0u8..3, 0u8..3), 0..8).prop_map(|m| {
            m.into_iter()
                .map(|(k, (f, g))| (format!("old/{k}"), json!({"f": f, "g": g})))
                .collect()
        })
    }

    fn three() -> impl Strategy<Value = (Entries, Entries, Entries)> {
        base_map().prop_flat_map(|b| (Just(b.clone()), edits(b.clone()), edits(b)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn merge_is_deterministic((b, l, r) in three()) {
            let (mut n1, mut n2) = (Vec::new(), Vec::new());
            prop_assert_eq!(merge_entries(&b, &l, &r, &mut n1), merge_entries(&b, &l, &r, &mut n2));
            prop_assert_eq!(n1, n2);
        }

        #[test]
        fn merge_keeps_both_sides_additions_and_every_one_sided_edit((b, l, r) in three()) {
            let mut notes = Vec::new();
            let out = merge_entries(&b, &l, &r, &mut notes);
            for side in [&l, &r] {
                for k in side.keys().filter(|k| !b.contains_key(*k)) {
                    prop_assert!(out.contains_key(k), "addition {} lost", k);
                }
            }
            let keys: BTreeSet<_> = b.keys().chain(l.keys()).chain(r.keys()).collect();
            for k in keys {
                let (bv, lv, rv) = (b.get(k), l.get(k), r.get(k));
                if lv != bv && rv == bv {
                    prop_assert_eq!(out.get(k), lv, "local edit of {} dropped", k);
                }
                if rv != bv && lv == bv {
                    prop_assert_eq!(out.get(k), rv, "remote edit of {} dropped", k);
                }
                // Edited on either side: never deleted by the merge.
                if (lv != bv && lv.is_some()) || (rv != bv && rv.is_some()) {
                    prop_assert!(out.contains_key(k), "edited {} deleted", k);
                }
                // A field both sides changed differently is reported, never silently decided.
                if let (Some(l), Some(r), Some(bb)) = (lv, rv, bv) {
                    if l["f"] != bb["f"] && r["f"] != bb["f"] && l["f"] != r["f"] {
                        prop_assert!(notes.iter().any(|n| &n.entry == k && n.field == "f"));
                    }
                }
            }
        }

        #[test]
        fn merge_without_conflicts_does_not_depend_on_the_side((b, l, r) in three()) {
            let (mut n1, mut n2) = (Vec::new(), Vec::new());
            let lr = merge_entries(&b, &l, &r, &mut n1);
            let rl = merge_entries(&b, &r, &l, &mut n2);
            if n1.is_empty() {
                prop_assert_eq!(lr, rl);
            }
        }
    }
}

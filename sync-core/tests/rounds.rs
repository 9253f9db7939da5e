//! Sync rounds between devices through an in-memory server that keeps the real server's rules
//! (one version counter, stale base → 412 with the current copy, all-or-nothing batches).

use std::cell::RefCell;
use std::collections::BTreeMap;

use engine::wallet::{self, WalletDoc};
use serde_json::json;
use sync_core::client::{rekeyed, rotate_data_key, sync_round, SyncError, SyncState, Transport};
use sync_core::keys::{self, Key};
use sync_core::wire::{
    BatchResponse, Change, ChangesPage, Conflict, Record, RotateKeyRequest, Written,
};

#[derive(Default, Clone)]
struct Server {
    last: i64,
    records: BTreeMap<(String, String), Record>,
    /// Fail the next N batches with 503 (a server going down mid-sync).
    fail_batches: usize,
    /// Tombstones at or below this version were purged: older cursors get 410.
    floor: i64,
    /// The next rotation finds a version the client's read did not see.
    race_rotation: bool,
    /// The password-wrapped key of every data-key rotation, in order.
    rotations: Vec<String>,
}

struct Mem<'a>(&'a RefCell<Server>);

impl Transport for Mem<'_> {
    async fn changes(&self, since: i64, resync: bool) -> Result<ChangesPage, SyncError> {
        let s = self.0.borrow();
        if since > 0 && since < s.floor && !resync {
            return Err(SyncError::Http {
                status: 410,
                code: "cursor_too_old".into(),
                message: "resync".into(),
                retry_after: None,
            });
        }
        let mut changes: Vec<Record> = s
            .records
            .values()
            .filter(|r| r.version > since)
            .cloned()
            .collect();
        changes.sort_by_key(|r| r.version);
        // Small pages, to exercise paging.
        let more = changes.len() > 3;
        changes.truncate(3);
        let cursor = changes.last().map_or(since, |r| r.version);
        Ok(ChangesPage {
            changes,
            cursor,
            more,
            latest: s.last,
        })
    }

    async fn batch(&self, changes: Vec<Change>) -> Result<BatchResponse, SyncError> {
        let mut s = self.0.borrow_mut();
        if s.fail_batches > 0 {
            s.fail_batches -= 1;
            return Err(SyncError::Http {
                status: 503,
                code: "unavailable".into(),
                message: "down".into(),
                retry_after: Some(1),
            });
        }
        let conflicts: Vec<Conflict> = changes
            .iter()
            .filter_map(|c| {
                let cur = s.records.get(&(c.collection.clone(), c.id.clone()));
                let current_version = cur.map_or(0, |r| r.version);
                (current_version != c.base_version).then(|| Conflict {
                    collection: c.collection.clone(),
                    id: c.id.clone(),
                    base_version: c.base_version,
                    current: cur.cloned(),
                })
            })
            .collect();
        if !conflicts.is_empty() {
            return Err(SyncError::Conflict(conflicts));
        }
        let mut written = Vec::new();
        for c in changes {
            s.last += 1;
            let version = s.last;
            s.records.insert(
                (c.collection.clone(), c.id.clone()),
                Record {
                    collection: c.collection.clone(),
                    id: c.id.clone(),
                    version,
                    deleted: c.deleted,
                    payload: c.payload,
                },
            );
            written.push(Written {
                collection: c.collection,
                id: c.id,
                version,
            });
        }
        Ok(BatchResponse {
            written,
            latest: s.last,
        })
    }

    async fn rotate(&self, request: RotateKeyRequest) -> Result<BatchResponse, SyncError> {
        // The real server's rules (sync-server `Store::rotate_data_key`): the latest version
        // is the precondition, every live record must be re-sealed, and the old records go.
        let mut s = self.0.borrow_mut();
        if s.race_rotation {
            // Another device's write lands between the client's read and its request.
            s.race_rotation = false;
            s.last += 1;
        }
        if request.base_latest != s.last {
            return Err(SyncError::Conflict(Vec::new()));
        }
        let live = s.records.values().filter(|r| !r.deleted).count();
        if live != request.records.len() {
            return Err(SyncError::Http {
                status: 400,
                code: "invalid_request".into(),
                message: "every live record must be re-sealed".into(),
                retry_after: None,
            });
        }
        s.records.clear();
        let first = s.last;
        let mut written = Vec::new();
        for (i, r) in request.records.into_iter().enumerate() {
            let version = first + 1 + i64::try_from(i).expect("small");
            written.push(Written {
                collection: r.collection.clone(),
                id: r.id.clone(),
                version,
            });
            s.records.insert(
                (r.collection.clone(), r.id.clone()),
                Record {
                    collection: r.collection,
                    id: r.id,
                    version,
                    deleted: false,
                    payload: Some(r.payload),
                },
            );
        }
        s.last = first + i64::try_from(written.len()).expect("small").max(1);
        s.floor = first + 1;
        s.rotations.push(request.wrapped_key);
        Ok(BatchResponse {
            written,
            latest: s.last,
        })
    }
}

struct DeviceState {
    doc: WalletDoc,
    state: SyncState,
}

fn device(doc: WalletDoc) -> DeviceState {
    DeviceState {
        doc,
        state: SyncState::default(),
    }
}

/// Runs a round to completion (futures here never wait on anything).
fn round(server: &RefCell<Server>, key: &Key, d: &mut DeviceState) -> Result<usize, SyncError> {
    let session = sync_core::client::Session {
        email: "a@x.io",
        data_key: key,
    };
    let out = block_on(sync_round(&Mem(server), &session, &mut d.state, &d.doc))?;
    d.doc = out.doc;
    Ok(out.notes.len())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn doc(v: serde_json::Value) -> WalletDoc {
    wallet::from_value(v).expect("valid")
}

fn card(id: &str) -> wallet::Card {
    serde_json::from_value(json!({"id": id, "catalogue": "amex-gold"})).expect("card")
}

#[test]
fn a_card_added_on_one_device_appears_on_the_other_and_settings_follow() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(
        json!({"schema": 2, "cards": [{"id": "c1", "catalogue": "amex-gold"}],
        "settings": {"badge": false}}),
    ));
    round(&server, &key, &mut a).expect("a");
    // A fresh device with default settings: the account's settings win over its defaults.
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    assert_eq!(b.doc.cards.len(), 1);
    assert!(!b.doc.settings.badge);

    b.doc.cards.push(card("c2"));
    b.doc.settings.emi = true;
    round(&server, &key, &mut b).expect("b push");
    round(&server, &key, &mut a).expect("a pull");
    let ids: Vec<_> = a.doc.cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2"]);
    assert!(a.doc.settings.emi && !a.doc.settings.badge);

    // Nothing left to do: a further round changes nothing.
    let before = server.borrow().last;
    round(&server, &key, &mut a).expect("idle");
    round(&server, &key, &mut b).expect("idle");
    assert_eq!(server.borrow().last, before);
}

#[test]
fn concurrent_edits_of_different_fields_and_entries_all_survive_a_412() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let start = doc(json!({"schema": 2,
        "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "50"}],
        "cards": [{"id": "c1", "catalogue": "amex-gold"}]}));
    let mut a = device(start.clone());
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    // Offline edits on both: a changes the balance and adds a card; b the note and locale.
    a.doc.gift_cards[0].balance = "20".parse().expect("decimal");
    a.doc.cards.push(card("c-a"));
    b.doc.gift_cards[0].note = "birthday".into();
    b.doc.settings.locale = Some("en-IN".into());
    b.doc.cards.push(card("c-b"));
    round(&server, &key, &mut a).expect("a first");
    // b's push of g1 hits a 412 and merges field by field.
    let notes = round(&server, &key, &mut b).expect("b merges");
    assert_eq!(notes, 0, "no field was changed on both sides");
    round(&server, &key, &mut a).expect("a again");
    for d in [&a, &b] {
        let g = &d.doc.gift_cards[0];
        assert_eq!(g.balance.to_string(), "20");
        assert_eq!(g.note, "birthday");
        assert_eq!(d.doc.settings.locale.as_deref(), Some("en-IN"));
        let mut ids: Vec<_> = d.doc.cards.iter().map(|c| c.id.clone()).collect();
        ids.sort();
        assert_eq!(ids, ["c-a", "c-b", "c1"]);
    }
    // The same entries on both (each device keeps its own order of the lists).
    assert_eq!(
        sync_core::records::entries(&a.doc),
        sync_core::records::entries(&b.doc)
    );
}

#[test]
fn a_same_field_conflict_is_reported_and_deletes_do_not_eat_edits() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let start = doc(json!({"schema": 2,
        "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "50"},
                       {"id": "g2", "merchant": "amazon.com", "balance": "5"}]}));
    let mut a = device(start);
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    a.doc.gift_cards[0].balance = "30".parse().expect("d");
    a.doc.gift_cards.retain(|g| g.id != "g2");
    b.doc.gift_cards[0].balance = "40".parse().expect("d");
    b.doc.gift_cards[1].balance = "6".parse().expect("d");
    round(&server, &key, &mut a).expect("a");
    let notes = round(&server, &key, &mut b).expect("b");
    assert_eq!(
        notes, 2,
        "the balance conflict and the delete/edit are reported"
    );
    round(&server, &key, &mut a).expect("a");
    for d in [&a, &b] {
        assert_eq!(d.doc.gift_cards.len(), 2, "the edited g2 is kept");
        assert_eq!(d.doc.gift_cards[0].balance.to_string(), "30");
        assert_eq!(d.doc.gift_cards[1].balance.to_string(), "6");
    }
}

#[test]
fn a_failed_push_changes_nothing_and_the_edit_goes_out_later() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(WalletDoc::default());
    round(&server, &key, &mut a).expect("first");
    let saved = a.state.clone();
    a.doc.cards.push(card("offline"));
    server.borrow_mut().fail_batches = 1;
    let err = round(&server, &key, &mut a).expect_err("server down");
    assert!(err.for_people().contains("busy"), "{}", err.for_people());
    assert_eq!(a.state, saved, "state moves only after a successful round");
    assert_eq!(a.doc.cards.len(), 1, "the local edit is kept");
    round(&server, &key, &mut a).expect("later");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    assert_eq!(b.doc.cards[0].id, "offline");
}

#[test]
fn another_accounts_key_cannot_read_the_records() {
    let server = RefCell::new(Server::default());
    let mut a = device(doc(
        json!({"schema": 2, "cards": [{"id": "c1", "catalogue": "amex-gold"}]}),
    ));
    round(&server, &Key::random().expect("k"), &mut a).expect("a");
    let mut other = device(WalletDoc::default());
    let err = round(&server, &Key::random().expect("k"), &mut other).expect_err("wrong key");
    assert!(matches!(err, SyncError::Crypto(_)));
    assert!(other.doc.cards.is_empty());
    // The server holds no plaintext.
    use base64::Engine as _;
    for r in server.borrow().records.values() {
        let p = base64::engine::general_purpose::STANDARD
            .decode(r.payload.clone().unwrap_or_default())
            .expect("base64");
        assert!(!p.windows(9).any(|w| w == b"amex-gold"));
        assert!(r.id.len() == 32 && r.id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}

#[test]
fn after_a_round_the_base_equals_the_wallet() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(WalletDoc::default());
    round(&server, &key, &mut a).expect("a");
    let entries = sync_core::records::entries(&a.doc).expect("entries");
    for (k, v) in &entries {
        assert_eq!(
            a.state.base.get(k).and_then(|b| b.value.as_ref()),
            Some(v),
            "{k}"
        );
    }
}

#[test]
fn the_state_survives_storage_as_json_with_nulls_and_tombstones_apart() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(json!({"schema": 2,
        "card_offers": [], "cards": [{"id": "c1", "catalogue": "amex-gold"}]})));
    round(&server, &key, &mut a).expect("a");
    a.doc.cards.clear();
    round(&server, &key, &mut a).expect("delete");
    let text = serde_json::to_string(&a.state).expect("json");
    let back: SyncState = serde_json::from_str(&text).expect("read back");
    assert_eq!(back, a.state);
    assert_eq!(
        back.base["settings/locale"].value,
        Some(serde_json::Value::Null)
    );
    assert_eq!(back.base["cards/c1"].value, None);
}

#[test]
fn a_cursor_too_old_resyncs_from_zero_and_purged_deletes_still_apply() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(json!({"schema": 2, "cards": [
        {"id": "keep", "catalogue": "amex-gold"}, {"id": "gone", "catalogue": "amex-gold"}]})));
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    assert_eq!(b.doc.cards.len(), 2);
    // a deletes a card, then the server purges the tombstone and raises its floor.
    a.doc.cards.retain(|c| c.id != "gone");
    round(&server, &key, &mut a).expect("a deletes");
    {
        let mut s = server.borrow_mut();
        s.records.retain(|_, r| !r.deleted);
        s.floor = s.last;
    }
    // b, offline meanwhile, added a card; its old cursor gets 410 inside the round.
    b.doc.cards.push(card("offline"));
    round(&server, &key, &mut b).expect("b resyncs");
    let ids: Vec<_> = b.doc.cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["keep", "offline"],
        "the purged delete applied, the offline add kept"
    );
    round(&server, &key, &mut a).expect("a pulls");
    assert_eq!(a.doc.cards.len(), 2);
}

/// Rotates `d`'s data key as the background does: a round first (so the device has merged
/// everything), then the rotation; the device keeps the new key and state.
fn rotate(
    server: &RefCell<Server>,
    key: &Key,
    d: &mut DeviceState,
) -> Result<keys::NewDataKey, SyncError> {
    round(server, key, d)?;
    let wrap = Key::random().expect("wrap");
    let new = keys::new_data_key("a@x.io", &wrap).expect("new key");
    let session = sync_core::client::Session {
        email: "a@x.io",
        data_key: key,
    };
    d.state = block_on(rotate_data_key(
        &Mem(server),
        &session,
        &new,
        "auth",
        &d.state,
    ))?;
    Ok(new)
}

/// How many live records on the server `key` opens.
fn opened_by(server: &RefCell<Server>, key: &Key) -> usize {
    use base64::Engine as _;
    server
        .borrow()
        .records
        .values()
        .filter(|r| !r.deleted)
        .filter(|r| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(r.payload.clone().unwrap_or_default())
                .expect("base64");
            keys::open(
                key,
                &keys::record_ad("a@x.io", &r.collection, &r.id),
                &bytes,
            )
            .is_ok()
        })
        .count()
}

#[test]
fn a_new_data_key_reseals_every_record_and_the_old_key_opens_none() {
    let server = RefCell::new(Server::default());
    let old = Key::random().expect("key");
    let mut a = device(doc(json!({"schema": 2,
        "cards": [{"id": "c1", "catalogue": "amex-gold", "nickname": "mine"}],
        "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "5", "code": "X-1"}],
        "settings": {"badge": false}})));
    round(&server, &old, &mut a).expect("a");
    // A deleted card leaves a tombstone; the rotation removes it too.
    a.doc.gift_cards.clear();
    round(&server, &old, &mut a).expect("delete");
    let before: Vec<String> = server
        .borrow()
        .records
        .values()
        .map(|r| r.id.clone())
        .collect();
    let live = server
        .borrow()
        .records
        .values()
        .filter(|r| !r.deleted)
        .count();
    let wallet = a.doc.clone();

    let new = rotate(&server, &old, &mut a).expect("rotated");
    let s = server.borrow();
    assert_eq!(s.records.len(), live, "only live records, tombstones gone");
    assert!(
        s.records.values().all(|r| !before.contains(&r.id)),
        "every id is new"
    );
    assert_eq!(s.rotations, std::slice::from_ref(&new.wrapped));
    drop(s);
    assert_eq!(opened_by(&server, &new.data), live);
    assert_eq!(opened_by(&server, &old), 0, "the old key opens nothing");
    // The device goes on with the new key: nothing to pull or push, the wallet unchanged.
    let last = server.borrow().last;
    assert_eq!(a.state.cursor, last);
    round(&server, &new.data, &mut a).expect("next round");
    assert_eq!(server.borrow().last, last, "nothing pushed again");
    assert_eq!(a.doc, wallet);
    // Another device with the new key reads the same wallet.
    let mut b = device(WalletDoc::default());
    round(&server, &new.data, &mut b).expect("b");
    assert_eq!(
        sync_core::records::entries(&b.doc),
        sync_core::records::entries(&a.doc)
    );
}

#[test]
fn a_write_between_the_round_and_the_rotation_stops_it_and_nothing_changes() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(
        json!({"schema": 2, "cards": [{"id": "c1", "catalogue": "amex-gold"}]}),
    ));
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    round(&server, &key, &mut a).expect("a merged");
    // b writes after a's round: a's rotation must not take b's card as its own state.
    b.doc.cards.push(card("from-b"));
    round(&server, &key, &mut b).expect("b pushes");
    let held = server.borrow().records.clone();
    let wrap = Key::random().expect("wrap");
    let new = keys::new_data_key("a@x.io", &wrap).expect("new key");
    let session = sync_core::client::Session {
        email: "a@x.io",
        data_key: &key,
    };
    let err = block_on(rotate_data_key(
        &Mem(&server),
        &session,
        &new,
        "auth",
        &a.state,
    ))
    .expect_err("a has not merged b's card");
    assert_eq!(err, SyncError::Conflict(Vec::new()));
    assert_eq!(
        server.borrow().records,
        held,
        "nothing changed on the server"
    );
    // A round, then the rotation again: b's card is in it.
    let new = rotate(&server, &key, &mut a).expect("rotated");
    let mut c = device(WalletDoc::default());
    round(&server, &new.data, &mut c).expect("c");
    let mut ids: Vec<_> = c.doc.cards.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["c1", "from-b"]);
}

#[test]
fn a_stale_precondition_is_refused_and_a_device_left_with_the_old_key_pushes_nothing() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(
        json!({"schema": 2, "cards": [{"id": "c1", "catalogue": "amex-gold"}]}),
    ));
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    // The server moves on between a's read and its request (a write racing the rotation).
    let wrap = Key::random().expect("wrap");
    let new = keys::new_data_key("a@x.io", &wrap).expect("new key");
    server.borrow_mut().race_rotation = true;
    let held = server.borrow().records.clone();
    let session = sync_core::client::Session {
        email: "a@x.io",
        data_key: &key,
    };
    assert_eq!(
        block_on(rotate_data_key(
            &Mem(&server),
            &session,
            &new,
            "auth",
            &a.state
        )),
        Err(SyncError::Conflict(Vec::new())),
        "a precondition the server no longer meets is refused"
    );
    assert_eq!(server.borrow().records, held, "nothing changed");
    assert!(server.borrow().rotations.is_empty());
    let new = rotate(&server, &key, &mut a).expect("rotated");
    // b still has the old key (the real server also signs it out): its old cursor gets 410,
    // the full read cannot be opened, and b's offline edit is not pushed under the old key.
    b.doc.cards.push(card("offline"));
    let last = server.borrow().last;
    let err = round(&server, &key, &mut b).expect_err("old key");
    assert!(matches!(err, SyncError::Crypto(_)), "{err:?}");
    assert_eq!(server.borrow().last, last, "nothing was written");
    assert_eq!(opened_by(&server, &key), 0);
    // Signed in again (the password unwraps the new key): a fresh state merges b's wallet,
    // its offline card goes up under the new key.
    b.state = SyncState::default();
    round(&server, &new.data, &mut b).expect("b with the new key");
    round(&server, &new.data, &mut a).expect("a pulls");
    assert!(a.doc.cards.iter().any(|c| c.id == "offline"));
    assert_eq!(opened_by(&server, &new.data), server.borrow().records.len());
}

#[test]
fn a_device_signed_in_again_after_a_new_key_keeps_its_merge_base() {
    let server = RefCell::new(Server::default());
    let key = Key::random().expect("key");
    let mut a = device(doc(json!({"schema": 2, "cards": [
        {"id": "gone", "catalogue": "amex-gold"}, {"id": "kept", "catalogue": "amex-gold"}]})));
    round(&server, &key, &mut a).expect("a");
    let mut b = device(WalletDoc::default());
    round(&server, &key, &mut b).expect("b");
    // a deletes a card, then makes a new key; b, not synced since, renames the other card.
    a.doc.cards.retain(|c| c.id != "gone");
    let new = rotate(&server, &key, &mut a).expect("rotated");
    let kept = b
        .doc
        .cards
        .iter()
        .position(|c| c.id == "kept")
        .expect("kept");
    b.doc.cards[kept].nickname = "b's".into();
    // A fresh state (what every sign-in used to start from) would bring the card back.
    let elsewhere = RefCell::new(server.borrow().clone());
    let mut fresh = DeviceState {
        doc: b.doc.clone(),
        state: SyncState::default(),
    };
    round(&elsewhere, &new.data, &mut fresh).expect("fresh");
    assert!(
        fresh.doc.cards.iter().any(|c| c.id == "gone"),
        "resurrected"
    );
    // b's own state, re-keyed: the deletion applies, b's rename goes up under the new key.
    b.state = rekeyed(&b.state, &new.data);
    assert_eq!(b.state.cursor, 0);
    round(&server, &new.data, &mut b).expect("b with the new key");
    round(&server, &new.data, &mut a).expect("a pulls");
    for d in [&a, &b] {
        let cards: Vec<_> = d
            .doc
            .cards
            .iter()
            .map(|c| (c.id.as_str(), c.nickname.as_str()))
            .collect();
        assert_eq!(cards, [("kept", "b's")]);
    }
    assert_eq!(opened_by(&server, &new.data), server.borrow().records.len());
}

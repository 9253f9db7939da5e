//! One sync round over any [`Transport`] (reqwest in the extension, an in-memory server in
//! the tests): pull the changes since the cursor, merge them with this device's wallet, check
//! the merged wallet with the engine, push what the server lacks, merge again on 412.
//!
//! Nothing is lost on failure: the state (cursor, last synced copies) only moves forward after
//! a successful push, and the caller stores the merged wallet only on `Ok`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use engine::wallet::WalletDoc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::{self, CryptoError, Key};
use crate::merge::{self, Note};
use crate::records::{self, Entries};
use crate::wire::{
    BatchResponse, Change, ChangesPage, Conflict, Record, RotateKeyRequest, SealedRecord,
};

/// Changes per batch (the server's limit).
pub const MAX_BATCH: usize = 100;
/// 412 rounds before giving up for now (another device is writing the same entries).
const MAX_CONFLICT_ROUNDS: usize = 5;

/// What a device remembers between rounds (`storage.local`, next to the wallet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// The change feed cursor.
    pub cursor: i64,
    /// The server's copy of each entry as last seen (the merge base).
    pub base: BTreeMap<String, BaseEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseEntry {
    /// The server's record id.
    pub id: String,
    pub version: i64,
    /// `None`: a tombstone. `Some(null)` is a live entry whose value is null (an unset
    /// setting), so the field is absent for a tombstone rather than null.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub value: Option<Value>,
}

/// A present field is `Some`, even when it is `null` (serde's `Option` would make it `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Why a round stopped. The message says what the shopper can do; the local wallet is intact.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    /// The server answered with an error body.
    #[error("{message}")]
    Http {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<u32>,
    },
    /// 412 with the server's copies.
    #[error("another device changed the same entries")]
    Conflict(Vec<Conflict>),
    /// No answer (server down, bad address, offline, CORS).
    #[error("{0}")]
    Network(String),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    /// The merged wallet did not pass the engine's checks.
    #[error("{0}")]
    Wallet(String),
}

impl SyncError {
    /// The sentence the options page shows.
    pub fn for_people(&self) -> String {
        match self {
            SyncError::Http {
                status, message, retry_after, ..
            } => match status {
                401 => "The server no longer accepts this device's sign-in (signed out or revoked elsewhere). Sign in again; nothing on this device was lost.".into(),
                410 => "The server asked for a full resync; it will happen on the next sync.".into(),
                413 => format!("The server refused the data as too large ({message}). Your wallet is kept on this device."),
                429 => format!("The server is rate-limiting this device; it will try again in {} s.", retry_after.unwrap_or(60)),
                409 | 503 => format!("The server is busy; it will try again in {} s.", retry_after.unwrap_or(5)),
                _ => format!("The server answered {status}: {message}"),
            },
            SyncError::Conflict(_) => "Another device kept changing the same entries; this device will try again shortly.".into(),
            SyncError::Network(e) => format!("Could not reach the sync server ({e}). Changes are kept on this device and go out when it answers."),
            SyncError::Crypto(e) => format!("Could not decrypt what the server holds ({e}). Sign in again."),
            SyncError::Wallet(e) => format!("The merged wallet would not be valid ({e}); nothing was changed. Edit the entry named and sync again."),
        }
    }

    pub fn unauthorized(&self) -> bool {
        matches!(self, SyncError::Http { status: 401, .. })
    }
}

/// The server's limit on a record's ciphertext (docs/sync-protocol.md).
const MAX_CIPHERTEXT: usize = 64 * 1024;

/// The encryption context of an account.
pub struct Session<'a> {
    pub email: &'a str,
    pub data_key: &'a Key,
}

impl Session<'_> {
    fn seal(&self, key: &str, value: &Value) -> Result<(String, String), SyncError> {
        self.seal_in(records::collection(key), key, value)
    }

    /// [`seal`](Self::seal) into a given collection (a rotation keeps each record's own, also
    /// for entries this build does not know).
    fn seal_in(
        &self,
        collection: &str,
        key: &str,
        value: &Value,
    ) -> Result<(String, String), SyncError> {
        let id = keys::record_id(self.data_key, key);
        let plain = serde_json::to_vec(&Envelope {
            k: key.to_owned(),
            v: value.clone(),
        })
        .map_err(|e| SyncError::Wallet(e.to_string()))?;
        let ad = keys::record_ad(self.email, collection, &id);
        // Padded to a size class, within the server's 64 KiB ciphertext limit.
        let plain = keys::pad_json(plain, MAX_CIPHERTEXT - keys::SEAL_OVERHEAD);
        let sealed = keys::seal(self.data_key, &ad, &plain)?;
        Ok((id, STANDARD.encode(sealed)))
    }

    /// The entry key and value of a live record.
    fn open(&self, record: &Record) -> Result<(String, Value), SyncError> {
        let payload = record.payload.as_deref().unwrap_or_default();
        let bytes = STANDARD
            .decode(payload)
            .map_err(|_| CryptoError::Malformed("payload"))?;
        let ad = keys::record_ad(self.email, &record.collection, &record.id);
        let plain = keys::open(self.data_key, &ad, &bytes)?;
        let env: Envelope =
            serde_json::from_slice(&plain).map_err(|_| CryptoError::Malformed("record"))?;
        // The id is an HMAC of the key: a record whose id does not match was moved.
        if keys::record_id(self.data_key, &env.k) != record.id {
            return Err(CryptoError::Malformed("record id").into());
        }
        Ok((env.k, env.v))
    }
}

/// A record's plaintext: its entry key and value.
#[derive(Serialize, Deserialize)]
struct Envelope {
    k: String,
    v: Value,
}

/// The server, as a sync round needs it.
// Single-threaded wasm: the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// `resync`: this read belongs to a full resync from 0 (the server then pages past its
    /// tombstone floor instead of answering 410).
    async fn changes(&self, since: i64, resync: bool) -> Result<ChangesPage, SyncError>;
    async fn batch(&self, changes: Vec<Change>) -> Result<BatchResponse, SyncError>;
    /// `POST /v1/account/data-key`: a new data key with every record re-sealed under it.
    async fn rotate(&self, request: RotateKeyRequest) -> Result<BatchResponse, SyncError>;
}

/// What a round did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The merged wallet (equal to the local one when nothing came in).
    pub doc: WalletDoc,
    /// Entries taken from the server.
    pub pulled: usize,
    /// Entries written to the server.
    pub pushed: usize,
    pub notes: Vec<Note>,
}

/// One round. `state` is updated only when the round succeeds.
pub async fn sync_round<T: Transport>(
    t: &T,
    s: &Session<'_>,
    state: &mut SyncState,
    local: &WalletDoc,
) -> Result<Outcome, SyncError> {
    let (mut server, cursor) = pull(t, s, state).await?;
    let pulled = server
        .iter()
        .filter(|(k, e)| state.base.get(*k) != Some(*e))
        .count();
    // What the server holds now: the fresh changes over the last known copies.
    for (k, e) in &state.base {
        server.entry(k.clone()).or_insert_with(|| e.clone());
    }
    let defaults = records::defaults();
    let value_of = |e: Option<&BaseEntry>, k: &str| match e {
        Some(e) => e.value.clone(),
        None => defaults.get(k).cloned(),
    };
    let local_entries = records::entries(local).map_err(SyncError::Wallet)?;
    let known = |k: &String| records::known(k);
    let base: Entries = state
        .base
        .keys()
        .chain(local_entries.keys())
        .chain(server.keys())
        .filter(|k| known(k))
        .filter_map(|k| value_of(state.base.get(k), k).map(|v| (k.clone(), v)))
        .collect();
    let mut notes = Vec::new();
    let mut merged = merge::merge_entries(
        &base,
        &local_entries,
        &remote_values(&server, &defaults),
        &mut notes,
    );
    let mut pushed = 0;
    for _ in 0..MAX_CONFLICT_ROUNDS {
        let doc =
            records::document(local, &merged).map_err(|e| SyncError::Wallet(e.to_string()))?;
        let pending = to_push(s, &merged, &server)?;
        if pending.is_empty() {
            finish(state, server, cursor);
            return Ok(Outcome {
                doc,
                pulled,
                pushed,
                notes,
            });
        }
        match push(t, &pending, &mut server).await {
            Ok(n) => {
                pushed += n;
            }
            Err(SyncError::Conflict(conflicts)) => {
                // The server moved on: take its copies and merge what this device wanted into
                // them (base → ours, base → theirs), then push again.
                for c in conflicts {
                    let Some((key, entry)) = conflict_entry(s, &pending, &c)? else {
                        continue;
                    };
                    let theirs = value_of(Some(&entry), &key).or_else(|| {
                        // A missing record means "never written": the default, if any.
                        (entry.version == 0)
                            .then(|| defaults.get(&key).cloned())
                            .flatten()
                    });
                    let ours = merged.get(&key).cloned();
                    match merge::merge3(
                        base.get(&key),
                        ours.as_ref(),
                        theirs.as_ref(),
                        &key,
                        "",
                        &mut notes,
                    ) {
                        Some(v) => merged.insert(key.clone(), v),
                        None => merged.remove(&key),
                    };
                    if entry.version == 0 {
                        server.remove(&key);
                    } else {
                        server.insert(key, entry);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(SyncError::Conflict(Vec::new()))
}

fn remote_values(server: &BTreeMap<String, BaseEntry>, defaults: &Entries) -> Entries {
    let mut out: Entries = defaults.clone();
    for (k, e) in server {
        match &e.value {
            Some(v) => out.insert(k.clone(), v.clone()),
            None => out.remove(k),
        };
    }
    out.retain(|k, _| records::known(k));
    out
}

/// Reads the change feed from the cursor (from 0 again after a 410). Returns the changed
/// entries and the new cursor.
async fn pull<T: Transport>(
    t: &T,
    s: &Session<'_>,
    state: &SyncState,
) -> Result<(BTreeMap<String, BaseEntry>, i64), SyncError> {
    let by_id: BTreeMap<&str, &str> = state
        .base
        .iter()
        .map(|(k, e)| (e.id.as_str(), k.as_str()))
        .collect();
    let mut since = state.cursor;
    let mut full = since == 0;
    let mut out = BTreeMap::new();
    loop {
        let page = match t.changes(since, full).await {
            Ok(p) => p,
            Err(SyncError::Http { status: 410, .. }) if !full => {
                since = 0;
                full = true;
                out.clear();
                continue;
            }
            Err(e) => return Err(e),
        };
        for r in &page.changes {
            if r.deleted {
                if let Some(k) = by_id.get(r.id.as_str()) {
                    out.insert(
                        (*k).to_owned(),
                        BaseEntry {
                            id: r.id.clone(),
                            version: r.version,
                            value: None,
                        },
                    );
                }
                continue;
            }
            let (k, v) = s.open(r)?;
            out.insert(
                k,
                BaseEntry {
                    id: r.id.clone(),
                    version: r.version,
                    value: Some(v),
                },
            );
        }
        since = page.cursor;
        if !page.more {
            break;
        }
    }
    if full {
        // After a full read, an entry the server no longer lists was deleted and its
        // tombstone purged; its old version is still accepted as a base.
        for (k, e) in &state.base {
            out.entry(k.clone()).or_insert_with(|| BaseEntry {
                value: None,
                ..e.clone()
            });
        }
    }
    Ok((out, since))
}

/// A change to send: the entry key, the change, and the value it carries.
type Pending = (String, Change, Option<Value>);

fn to_push(
    s: &Session<'_>,
    merged: &Entries,
    server: &BTreeMap<String, BaseEntry>,
) -> Result<Vec<Pending>, SyncError> {
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = merged
        .keys()
        .chain(server.keys())
        .filter(|k| records::known(k))
        .collect();
    for k in keys {
        let want = merged.get(k);
        let have = server.get(k);
        if have.and_then(|e| e.value.as_ref()) == want {
            continue;
        }
        let base_version = have.map_or(0, |e| e.version);
        let change = match want {
            Some(v) => {
                let (id, payload) = s.seal(k, v)?;
                Change {
                    collection: records::collection(k).into(),
                    id,
                    base_version,
                    deleted: false,
                    payload: Some(payload),
                }
            }
            None => {
                let Some(have) = have else { continue };
                Change {
                    collection: records::collection(k).into(),
                    id: have.id.clone(),
                    base_version,
                    deleted: true,
                    payload: None,
                }
            }
        };
        out.push((k.clone(), change, want.cloned()));
    }
    Ok(out)
}

/// Sends `pending` in batches; each written change becomes the server's copy.
async fn push<T: Transport>(
    t: &T,
    pending: &[Pending],
    server: &mut BTreeMap<String, BaseEntry>,
) -> Result<usize, SyncError> {
    let mut n = 0;
    for chunk in pending.chunks(MAX_BATCH) {
        let answer = t.batch(chunk.iter().map(|p| p.1.clone()).collect()).await?;
        for ((key, change, value), w) in chunk.iter().zip(answer.written) {
            server.insert(
                key.clone(),
                BaseEntry {
                    id: change.id.clone(),
                    version: w.version,
                    value: value.clone(),
                },
            );
            n += 1;
        }
    }
    Ok(n)
}

fn conflict_entry(
    s: &Session<'_>,
    pending: &[Pending],
    c: &Conflict,
) -> Result<Option<(String, BaseEntry)>, SyncError> {
    let Some((key, change, _)) = pending.iter().find(|p| p.1.id == c.id) else {
        return Ok(None);
    };
    let entry = match &c.current {
        Some(r) if !r.deleted => {
            let (_, v) = s.open(r)?;
            BaseEntry {
                id: r.id.clone(),
                version: r.version,
                value: Some(v),
            }
        }
        Some(r) => BaseEntry {
            id: r.id.clone(),
            version: r.version,
            value: None,
        },
        // Gone entirely (purged): a new record again.
        None => BaseEntry {
            id: change.id.clone(),
            version: 0,
            value: None,
        },
    };
    Ok(Some((key.clone(), entry)))
}

/// Replaces the account's data key with `new` ("New recovery key": the old recovery key, and
/// so perhaps the old data key, may be known to someone else). Reads every record, checks that
/// the server holds exactly what `state` says this device last merged (else
/// `Conflict(vec![])`: run a round and try again, so that no change this device has not
/// merged is taken as its own), re-seals every live record under the new key (new ids, each
/// in its own collection; entries this build does not know included) and sends them in one
/// all-or-nothing request whose precondition is the account's latest version at the end of
/// the read (412 → `Conflict(vec![])` too). Returns the sync state for the new key: the same
/// entries at their new ids and versions, the cursor at the account's new latest version.
pub async fn rotate_data_key<T: Transport>(
    t: &T,
    old: &Session<'_>,
    new: &keys::NewDataKey,
    auth_key: &str,
    state: &SyncState,
) -> Result<SyncState, SyncError> {
    let (records, base_latest) = read_all(t).await?;
    let mut live = Vec::new();
    for r in records.values().filter(|r| !r.deleted) {
        let (key, value) = old.open(r)?;
        live.push((key, r.collection.clone(), value));
    }
    let synced: BTreeMap<&str, &Value> = state
        .base
        .iter()
        .filter_map(|(k, e)| e.value.as_ref().map(|v| (k.as_str(), v)))
        .collect();
    let held: BTreeMap<&str, &Value> = live.iter().map(|(k, _, v)| (k.as_str(), v)).collect();
    if synced != held {
        return Err(SyncError::Conflict(Vec::new()));
    }
    let session = Session {
        email: old.email,
        data_key: &new.data,
    };
    let sealed = live
        .iter()
        .map(|(key, collection, value)| {
            let (id, payload) = session.seal_in(collection, key, value)?;
            Ok(SealedRecord {
                collection: collection.clone(),
                id,
                payload,
            })
        })
        .collect::<Result<Vec<_>, SyncError>>()?;
    let answer = t
        .rotate(RotateKeyRequest {
            auth_key: auth_key.to_owned(),
            wrapped_key: new.wrapped.clone(),
            recovery_wrapped_key: new.recovery.wrapped.clone(),
            recovery_auth_key: new.recovery.auth.to_base64(),
            base_latest,
            records: sealed.clone(),
        })
        .await?;
    if answer.written.len() != sealed.len() {
        return Err(SyncError::Network(format!(
            "the server confirmed {} of {} records",
            answer.written.len(),
            sealed.len()
        )));
    }
    let base = live
        .into_iter()
        .zip(sealed.into_iter().zip(answer.written))
        .map(|((key, _, value), (record, written))| {
            let entry = BaseEntry {
                id: record.id,
                version: written.version,
                value: Some(value),
            };
            (key, entry)
        })
        .collect();
    Ok(SyncState {
        cursor: answer.latest,
        base,
    })
}

/// Every record of the account (the latest copy of each, tombstones included) and the
/// account's latest version when the last page was read: a full read from 0, as a resync.
async fn read_all<T: Transport>(
    t: &T,
) -> Result<(BTreeMap<(String, String), Record>, i64), SyncError> {
    let mut out: BTreeMap<(String, String), Record> = BTreeMap::new();
    let mut since = 0;
    loop {
        let page = t.changes(since, true).await?;
        for r in page.changes {
            // A record changed between two pages shows up again, later, at its new version.
            out.insert((r.collection.clone(), r.id.clone()), r);
        }
        since = page.cursor;
        if !page.more {
            return Ok((out, page.latest));
        }
    }
}

/// This device's state for the same account under another data key (signed in again after a
/// new data key was made elsewhere): the same entries and last synced values, so the next
/// round still merges three ways (a deletion or an edit made elsewhere is not undone by this
/// device's older copy), with the ids the new key gives them and no version or cursor: the
/// round reads everything from 0, and what the server no longer holds counts as deleted
/// there.
pub fn rekeyed(state: &SyncState, data_key: &Key) -> SyncState {
    SyncState {
        cursor: 0,
        base: state
            .base
            .iter()
            .map(|(key, entry)| {
                let entry = BaseEntry {
                    id: keys::record_id(data_key, key),
                    version: 0,
                    value: entry.value.clone(),
                };
                (key.clone(), entry)
            })
            .collect(),
    }
}

fn finish(state: &mut SyncState, server: BTreeMap<String, BaseEntry>, cursor: i64) {
    state.base = server;
    state.cursor = cursor;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<u32>) -> SyncError {
        SyncError::Http {
            status,
            code: "x".into(),
            message: "the server's words".into(),
            retry_after,
        }
    }

    #[test]
    fn every_failure_says_what_happens_next_and_that_nothing_was_lost() {
        let cases = [
            (http(401, None), "Sign in again"),
            (http(410, None), "full resync"),
            (http(413, None), "kept on this device"),
            (http(429, Some(42)), "42 s"),
            (http(409, Some(3)), "busy"),
            (http(503, None), "busy"),
            (SyncError::Conflict(Vec::new()), "try again"),
            (
                SyncError::Network("connection refused".into()),
                "go out when it answers",
            ),
            (
                SyncError::Wallet("cards[0].catalogue: no card".into()),
                "nothing was changed",
            ),
        ];
        for (error, says) in cases {
            let text = error.for_people();
            assert!(text.contains(says), "{error:?}: {text}");
        }
        assert!(http(401, None).unauthorized());
        assert!(!http(403, None).unauthorized());
    }
}

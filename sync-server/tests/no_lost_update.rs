//! No lost update: 8 devices of one account × 500 concurrent writes to a small set of shared
//! records, while a reader follows the change feed.
//!
//! Proves: acknowledged versions are exactly 1..=latest (none missing, none duplicated); the
//! final state equals the acknowledged writes applied in version order; a reader following
//! the feed during the load ends in that same state; every rejected write got a 412 whose
//! server copy is the acknowledged write with that version.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use common::{open, put, Device, TestServer};
use serde_json::{json, Value};
use tokio::sync::Mutex;

const DEVICES: usize = 8;
const WRITES_PER_DEVICE: usize = 500;
const RECORDS: u64 = 16;

#[derive(Default)]
struct Outcome {
    /// version → (record id, plaintext) of every acknowledged change.
    acked: BTreeMap<i64, (String, String)>,
    /// (record id, server version, server plaintext) from every 412.
    conflict_copies: Vec<(String, i64, String)>,
    rejected: usize,
    acked_requests: usize,
    busy_retries: usize,
}

async fn device_loop(dev_no: usize, device: Device, outcome: Arc<Mutex<Outcome>>) {
    let mut known: HashMap<String, i64> = HashMap::new();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (dev_no as u64 + 1);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for w in 0..WRITES_PER_DEVICE {
        // Mostly single-record writes, every fifth a two-record batch.
        let first = next() % RECORDS;
        let mut ids = vec![format!("r{first}")];
        if w % 5 == 0 {
            ids.push(format!(
                "r{}",
                (first + 1 + next() % (RECORDS - 1)) % RECORDS
            ));
        }
        let plaintexts: Vec<String> = ids
            .iter()
            .map(|id| format!("dev{dev_no}-w{w}-{id}"))
            .collect();
        let changes: Vec<Value> = ids
            .iter()
            .zip(&plaintexts)
            .map(|(id, p)| put("wallet", id, known.get(id).copied().unwrap_or(0), p))
            .collect();
        loop {
            let (status, body) = device.batch(json!(changes)).await;
            match status {
                200 => {
                    let mut out = outcome.lock().await;
                    out.acked_requests += 1;
                    for (i, written) in body["written"]
                        .as_array()
                        .expect("written")
                        .iter()
                        .enumerate()
                    {
                        let version = written["version"].as_i64().expect("version");
                        assert_eq!(written["id"], ids[i].as_str());
                        known.insert(ids[i].clone(), version);
                        let dup = out
                            .acked
                            .insert(version, (ids[i].clone(), plaintexts[i].clone()));
                        assert!(dup.is_none(), "version {version} acknowledged twice");
                    }
                    break;
                }
                412 => {
                    assert_eq!(body["code"], "conflict");
                    let conflicts = body["conflicts"].as_array().expect("conflicts");
                    assert!(!conflicts.is_empty(), "a 412 names its conflicts");
                    let mut out = outcome.lock().await;
                    out.rejected += 1;
                    for c in conflicts {
                        let id = c["id"].as_str().expect("id").to_string();
                        assert!(ids.contains(&id), "conflict for a record we wrote");
                        let current = &c["current"];
                        let version = current["version"].as_i64().expect("server copy present");
                        assert_ne!(
                            Some(version),
                            c["base_version"].as_i64(),
                            "base really was stale"
                        );
                        let plaintext = open(current["payload"].as_str().expect("payload"));
                        known.insert(id.clone(), version);
                        out.conflict_copies.push((id, version, plaintext));
                    }
                    break;
                }
                409 => {
                    assert_eq!(body["code"], "busy");
                    outcome.lock().await.busy_retries += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                other => panic!("device {dev_no}: unexpected {other}: {body}"),
            }
        }
    }
}

/// Follows the feed until `done`, then catches up; returns id → (version, plaintext).
async fn follow_feed(
    device: Device,
    done: Arc<tokio::sync::Notify>,
) -> HashMap<String, (i64, String)> {
    let mut state = HashMap::new();
    let mut cursor = 0i64;
    let mut finishing = false;
    loop {
        let (status, page) = device.changes(&format!("since={cursor}&limit=50")).await;
        assert_eq!(status, 200, "{page}");
        for r in page["changes"].as_array().expect("changes") {
            let version = r["version"].as_i64().expect("version");
            assert!(
                version > cursor,
                "feed goes forward: {version} after {cursor}"
            );
            cursor = version;
            let plaintext = open(r["payload"].as_str().expect("payload"));
            state.insert(
                r["id"].as_str().expect("id").to_string(),
                (version, plaintext),
            );
        }
        if page["more"] == true {
            continue;
        }
        if finishing {
            return state;
        }
        tokio::select! {
            () = done.notified() => finishing = true,
            () = tokio::time::sleep(Duration::from_millis(2)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_devices_500_writes_each_lose_nothing() {
    let server = TestServer::start(|c| c.db_max_connections = 24).await;
    let first = server.register("race@example.com").await;
    let mut devices = vec![first.clone()];
    for i in 1..DEVICES {
        devices.push(
            server
                .login("race@example.com", &format!("device-{i}"))
                .await,
        );
    }
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let done = Arc::new(tokio::sync::Notify::new());
    let reader = tokio::spawn(follow_feed(first.clone(), done.clone()));
    let writers: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, d)| tokio::spawn(device_loop(i, d, outcome.clone())))
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    done.notify_one();
    let followed = reader.await.expect("reader");

    let out = outcome.lock().await;
    let (_, page) = first.changes("since=0&limit=1").await;
    let latest = page["latest"].as_i64().expect("latest");
    let versions: Vec<i64> = out.acked.keys().copied().collect();
    assert_eq!(
        versions,
        (1..=latest).collect::<Vec<_>>(),
        "acknowledged versions are exactly 1..=latest: none lost, none invented"
    );

    let mut expected: HashMap<String, (i64, String)> = HashMap::new();
    for (version, (id, plaintext)) in &out.acked {
        expected.insert(id.clone(), (*version, plaintext.clone()));
    }
    let server_state: HashMap<String, (i64, String)> = first
        .full_sync(100)
        .await
        .iter()
        .map(|r| {
            let id = r["id"].as_str().expect("id").to_string();
            let version = r["version"].as_i64().expect("version");
            (id, (version, open(r["payload"].as_str().expect("payload"))))
        })
        .collect();
    assert_eq!(
        server_state, expected,
        "final state = acknowledged writes in version order"
    );
    assert_eq!(
        followed, expected,
        "a reader following the feed during the load ends there too"
    );

    for (id, version, plaintext) in &out.conflict_copies {
        let acked = out
            .acked
            .get(version)
            .expect("412 copy has an acknowledged version");
        assert_eq!(
            (&acked.0, &acked.1),
            (id, plaintext),
            "412 carried the server's real copy"
        );
    }
    assert!(out.rejected > 0, "the load really contended");
    let dump = common::Cluster::shared().dump(&server.db_url);
    assert!(dump.contains("COPY public.records"));
    for (_, plaintext) in out.acked.values().take(200) {
        assert!(
            !dump.contains(plaintext.as_str()),
            "plaintext {plaintext} reached the database"
        );
    }
    assert!(!dump.contains("dev0-w"), "plaintext reached the database");
    let requests = DEVICES * WRITES_PER_DEVICE;
    assert_eq!(
        out.acked_requests + out.rejected,
        requests,
        "every write was acked or rejected"
    );
    eprintln!(
        "no-lost-update: {requests} writes, {} changes acknowledged, {} rejected with 412, {} busy retries, latest {latest}",
        out.acked.len(),
        out.rejected,
        out.busy_retries
    );
}

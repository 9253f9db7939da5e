//! Faults, each on a Postgres cluster of its own so other tests are not disturbed:
//! Postgres crash-restarted under write load, and the server killed in the middle of batches.

mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{auth_key, http_client, open, put, register_body, Cluster, Device, TestServer};
use serde_json::{json, Value};
use sqlx::Connection as _;

#[derive(Default)]
struct Counters {
    outage_errors: AtomicUsize,
    after_restart_ok: AtomicUsize,
    recovered_via_412: AtomicUsize,
}

/// Writes new records one by one until `stop`; retries every failure. A retry that gets 412
/// with our own payload means the earlier attempt committed but its answer was lost.
async fn writer(
    device: Device,
    stop: Arc<AtomicBool>,
    restarted: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> HashMap<String, (i64, String)> {
    let mut acked = HashMap::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let id = format!("rec-{n}");
        let plaintext = format!("value-{n}");
        let change = put("wallet", &id, 0, &plaintext);
        loop {
            let (status, body) = device.batch(json!([change.clone()])).await;
            match status {
                200 => {
                    let version = body["written"][0]["version"].as_i64().expect("version");
                    acked.insert(id.clone(), (version, plaintext.clone()));
                    if restarted.load(Ordering::SeqCst) {
                        counters.after_restart_ok.fetch_add(1, Ordering::SeqCst);
                    }
                    break;
                }
                412 => {
                    let current = &body["conflicts"][0]["current"];
                    assert_eq!(
                        open(current["payload"].as_str().expect("payload")),
                        plaintext
                    );
                    let version = current["version"].as_i64().expect("version");
                    acked.insert(id.clone(), (version, plaintext.clone()));
                    counters.recovered_via_412.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                503 | 409 | 500 => {
                    counters.outage_errors.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        n += 1;
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_mid_load_loses_no_acknowledged_write() {
    let cluster = Cluster::start(true);
    let url = cluster.fresh_database().await;
    let server = TestServer::start_on(&url, |c| {
        c.db_acquire_timeout = Duration::from_millis(300);
    })
    .await;
    let mut devices = Vec::new();
    for i in 0..4 {
        devices.push(server.register(&format!("writer{i}@example.com")).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let tasks: Vec<_> = devices
        .iter()
        .map(|d| {
            tokio::spawn(writer(
                d.clone(),
                stop.clone(),
                restarted.clone(),
                counters.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.stop_immediate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 503, "health reports the database outage");
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.start_again();
    restarted.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(20);
    while counters.after_restart_ok.load(Ordering::SeqCst) < 100 {
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut acked_per_device = Vec::new();
    for t in tasks {
        acked_per_device.push(t.await.expect("writer"));
    }
    assert!(
        counters.outage_errors.load(Ordering::SeqCst) > 0,
        "writes were in flight during the outage"
    );
    assert_eq!(
        server
            .http
            .get(server.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );

    for (device, acked) in devices.iter().zip(&acked_per_device) {
        let stored: HashMap<String, (i64, String)> = device
            .full_sync(1000)
            .await
            .iter()
            .map(|r| {
                let id = r["id"].as_str().expect("id").to_string();
                (
                    id,
                    (
                        r["version"].as_i64().expect("v"),
                        open(r["payload"].as_str().expect("p")),
                    ),
                )
            })
            .collect();
        assert_eq!(
            &stored, acked,
            "every acknowledged write survived, nothing else appeared"
        );
    }
    eprintln!(
        "restart: {} writes acknowledged, {} errors during the outage, {} recovered via 412",
        acked_per_device.iter().map(HashMap::len).sum::<usize>(),
        counters.outage_errors.load(Ordering::SeqCst),
        counters.recovered_via_412.load(Ordering::SeqCst)
    );
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_server(db_url: &str, port: u16) -> ServerProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_stacksmart-sync-server"))
        .env("DATABASE_URL", db_url)
        .env("STACKSMART_BIND", format!("127.0.0.1:{port}"))
        .env("STACKSMART_ARGON2_M_KIB", "64")
        .env("STACKSMART_ARGON2_T", "1")
        .env("STACKSMART_RATE_WRITES_PER_ACCOUNT", "100000")
        .env("STACKSMART_RATE_WRITES_PER_IP", "100000")
        .env("STACKSMART_LOCK_TIMEOUT_MS", "10000")
        .env("STACKSMART_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn the server binary");
    ServerProcess(child)
}

async fn wait_healthy(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_server_mid_batch_leaves_nothing_half_applied() {
    let cluster = Cluster::start(false);
    let url = cluster.fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let http = http_client();
    let mut process = spawn_server(&url, port);
    wait_healthy(&http, &base).await;
    let resp = http
        .post(format!("{base}/v1/auth/register"))
        .json(&register_body("kill@example.com", "laptop"))
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 201);
    let token = resp.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let device = Device {
        http: http.clone(),
        base: base.clone(),
        token,
    };

    // Four clients send 100-record batches (~5 KB each) as fast as they can.
    let stop = Arc::new(AtomicBool::new(false));
    let in_flight_failures = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let (device, stop, failures) = (device.clone(), stop.clone(), in_flight_failures.clone());
            tokio::spawn(async move {
                use base64::Engine as _;
                let payload = base64::engine::general_purpose::STANDARD.encode(vec![0xA5u8; 5000]);
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let changes: Vec<Value> = (0..100)
                        .map(|i| json!({"collection": "wallet", "id": format!("t{t}b{n}-{i}"), "base_version": 0, "payload": payload}))
                        .collect();
                    let sent = device
                        .post("/v1/records/batch")
                        .json(&json!({ "changes": changes }))
                        .send()
                        .await;
                    match sent {
                        Ok(r) => assert_eq!(r.status(), 200),
                        Err(_) => {
                            failures.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                    n += 1;
                }
            })
        })
        .collect();

    // Kill the server while one of its write transactions is open in Postgres.
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("admin");
    let deadline = Instant::now() + Duration::from_secs(20);
    let committed_before = loop {
        let open_tx: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'stacksmart-sync-server' AND xact_start IS NOT NULL
               AND query ILIKE '%records%'",
        )
        .fetch_one(&mut admin)
        .await
        .expect("pg_stat_activity");
        let committed: i64 = sqlx::query_scalar("SELECT count(*) FROM records")
            .fetch_one(&mut admin)
            .await
            .expect("count");
        if open_tx > 0 && committed >= 200 {
            break committed;
        }
        assert!(
            Instant::now() < deadline,
            "never saw a write transaction in flight"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    process.0.kill().expect("kill -9 the server");
    let _ = process.0.wait();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("client task");
    }
    assert!(
        in_flight_failures.load(Ordering::SeqCst) > 0,
        "the clients saw the server die"
    );

    // Wait for Postgres to notice the dead connections and roll their transactions back.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stacksmart-sync-server'",
        )
        .fetch_one(&mut admin)
        .await
        .expect("activity");
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server connections did not go away"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let partial: Vec<(String, i64)> = sqlx::query_as(
        "SELECT split_part(id, '-', 1) AS batch, count(*) FROM records GROUP BY 1 HAVING count(*) <> 100",
    )
    .fetch_all(&mut admin)
    .await
    .expect("batches");
    assert!(partial.is_empty(), "half-applied batches: {partial:?}");
    let (count, max_version, bytes): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(max(version), 0), COALESCE(sum(length(payload)), 0)::bigint FROM records",
    )
    .fetch_one(&mut admin)
    .await
    .expect("totals");
    assert!(count >= committed_before && count >= 200);
    let (last_version, used, live): (i64, i64, i64) =
        sqlx::query_as("SELECT last_version, used_bytes, live_records FROM accounts")
            .fetch_one(&mut admin)
            .await
            .expect("account");
    assert_eq!(
        (last_version, used, live),
        (max_version, bytes, count),
        "counter and quota in step with the rows"
    );
    assert_eq!(max_version, count, "versions are dense: no half-used range");

    // A new server process carries on where the old one stopped.
    let _process = spawn_server(&url, port);
    wait_healthy(&http, &base).await;
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "kill@example.com", "auth_key": auth_key("kill@example.com"), "device_name": "again"}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let (status, body) = device
        .batch(json!([put("wallet", "after", 0, "after")]))
        .await;
    assert_eq!(
        (status, body["latest"].as_i64()),
        (200, Some(count + 1)),
        "{body}"
    );
    eprintln!(
        "kill: {} complete batches survived, none partial",
        count / 100
    );
}

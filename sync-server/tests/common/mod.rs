//! Test harness: a private Postgres cluster per test binary (or per fault test), a fresh
//! database per test, the real server on port 0 in-process, and a small HTTP client that sends
//! ciphertext it makes itself.
//!
//! Clusters live in `/tmp/stacksmart-test-pg-<pid>-<n>` (readable by the unprivileged
//! `stacksmart-pg` user that Postgres runs as when the tests run as root). A detached
//! watchdog stops each cluster (`pg_ctl stop -m immediate`) and removes its folder as soon as
//! the test process exits, however it exits; clusters left by a killed watchdog are cleaned on
//! the next run.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Connection as _;
use stacksmart_sync_server::config::{Argon2Params, Config};
use stacksmart_sync_server::AppState;

pub const PG_USER: &str = "stacksmart-pg";
/// Every plaintext the test clients encrypt starts with this; the privacy test asserts it
/// never reaches the database.
pub const MARKER: &str = "PLAINTEXT-MARKER-";

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0")
}

/// The Postgres server binaries: `$PG_BINDIR`, the newest `/usr/lib/postgresql/*/bin`,
/// `pg_config --bindir`, or whatever `initdb` on PATH is.
pub fn pg_bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Ok(out) = run(Command::new("pg_config").arg("--bindir")) {
        return PathBuf::from(out.trim());
    }
    PathBuf::new()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A private Postgres cluster, stopped when dropped or when the test process exits.
pub struct Cluster {
    pub port: u16,
    root: PathBuf,
    bindir: PathBuf,
    as_pg_user: bool,
}

static CLUSTER_SEQ: AtomicU32 = AtomicU32::new(0);

impl Cluster {
    /// The cluster shared by all tests of this binary.
    pub fn shared() -> &'static Cluster {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(|| Cluster::start(false))
    }

    /// A cluster of its own (fault tests). `durable` keeps fsync on.
    pub fn start(durable: bool) -> Cluster {
        clean_stale_clusters();
        let bindir = pg_bindir();
        let as_pg_user = is_root();
        let n = CLUSTER_SEQ.fetch_add(1, Ordering::SeqCst);
        let root =
            std::env::temp_dir().join(format!("stacksmart-test-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("cluster dir");
        std::fs::write(root.join("owner.pid"), std::process::id().to_string()).expect("owner");
        if as_pg_user {
            run(Command::new("chown").arg(format!("{PG_USER}:")).arg(&root)).expect(
                "chown the cluster folder (does the stacksmart-pg user exist? `make setup` creates it)",
            );
        }
        let mut cluster = Cluster {
            port: 0,
            root,
            bindir,
            as_pg_user,
        };
        cluster.spawn_watchdog();
        let data = cluster.data_dir();
        let mut initdb = cluster.pg_command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(&mut initdb).expect("initdb");
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nmax_connections = 200\n\
             shared_buffers = 64MB\nlog_min_messages = warning\n",
            cluster.root.display()
        );
        if !durable {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        cluster.as_pg_user_write(&data.join("postgresql.auto.conf"), &conf);
        // Another process may grab the port between choosing and binding it: retry.
        for attempt in 0..5 {
            cluster.port = free_port();
            match cluster.pg_ctl_start() {
                Ok(()) => return cluster,
                Err(e) if attempt == 4 => panic!("pg_ctl start: {e}"),
                Err(_) => continue,
            }
        }
        unreachable!()
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn pg_command(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        let program = if path.exists() {
            path.into_os_string()
        } else {
            program.into()
        };
        if self.as_pg_user {
            let mut c = Command::new("runuser");
            c.args(["-u", PG_USER, "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn as_pg_user_write(&self, path: &Path, text: &str) {
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        std::fs::write(path, existing + text).expect("write postgresql.auto.conf");
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        run(self
            .pg_command("pg_ctl")
            .arg("start")
            .arg("-w")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("postgres.log"))
            .arg("-o")
            .arg(format!("-p {}", self.port))
            .stdout(Stdio::null()))
        .map(|_| ())
    }

    /// Crash-stops Postgres (like a power cut for the server process).
    pub fn stop_immediate(&self) {
        run(self
            .pg_command("pg_ctl")
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(self.data_dir()))
        .expect("pg_ctl stop");
    }

    /// Starts Postgres again on the same port.
    pub fn start_again(&self) {
        self.pg_ctl_start().expect("pg_ctl start again");
    }

    /// Stops the cluster when this process exits, however it exits (even SIGKILL).
    fn spawn_watchdog(&self) {
        let pg_ctl = self.bindir.join("pg_ctl");
        let stop = if self.as_pg_user {
            format!(
                "runuser -u {PG_USER} -- {} stop -m immediate -D {}",
                pg_ctl.display(),
                self.data_dir().display()
            )
        } else {
            format!(
                "{} stop -m immediate -D {}",
                pg_ctl.display(),
                self.data_dir().display()
            )
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             if [ -f {data}/postmaster.pid ]; then {stop} >/dev/null 2>&1; fi; rm -rf {root}",
            pid = std::process::id(),
            data = self.data_dir().display(),
            root = self.root.display(),
        );
        // `setsid -f` forks the watchdog into its own session (so Ctrl-C on the tests does not
        // kill it) and returns at once.
        let status = Command::new("setsid")
            .args(["-f", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("cluster watchdog");
        assert!(status.success(), "starting the cluster watchdog failed");
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database; returns its URL.
    pub async fn fresh_database(&self) -> String {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        self.url(&name)
    }

    /// `pg_dump` of one database as text.
    pub fn dump(&self, url: &str) -> String {
        let bin = self.bindir.join("pg_dump");
        let bin = if bin.exists() {
            bin.into_os_string()
        } else {
            "pg_dump".into()
        };
        run(Command::new(bin).arg("--no-owner").arg(url)).expect("pg_dump")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data_dir().join("postmaster.pid").exists() {
            let _ = run(self
                .pg_command("pg_ctl")
                .args(["stop", "-m", "immediate", "-D"])
                .arg(self.data_dir()));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Stops clusters whose test process is gone (if their watchdog was killed too).
fn clean_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("stacksmart-test-pg-") {
            continue;
        }
        let owner = std::fs::read_to_string(e.path().join("owner.pid")).unwrap_or_default();
        let alive = !owner.trim().is_empty() && Path::new("/proc").join(owner.trim()).exists();
        if alive {
            continue;
        }
        let data = e.path().join("data");
        if data.join("postmaster.pid").exists() {
            let cluster = Cluster {
                port: 0,
                root: e.path(),
                bindir: pg_bindir(),
                as_pg_user: is_root(),
            };
            drop(cluster);
        } else {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Test defaults: cheap Argon2, generous limits (tests of limits lower them).
pub fn test_config(database_url: &str) -> Config {
    let mut c = Config::with_database_url(database_url);
    c.server_argon2 = Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };
    c.rate_auth_per_ip_per_min = 100_000;
    c.rate_login_per_email_per_min = 100_000;
    c.rate_writes_per_account_per_sec = 100_000;
    c.rate_writes_per_ip_per_sec = 100_000;
    c.db_max_connections = 20;
    c.log_json = false;
    c
}

/// The real server on port 0 in this process.
pub struct TestServer {
    pub base: String,
    pub db_url: String,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

impl TestServer {
    /// A fresh database on the shared cluster and a server with `tweak`ed test config.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let url = Cluster::shared().fresh_database().await;
        Self::start_on(&url, tweak).await
    }

    pub async fn start_on(db_url: &str, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = test_config(db_url);
        tweak(&mut config);
        let state = AppState::new(config).await.expect("server state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(stacksmart_sync_server::serve(
            state,
            listener,
            std::future::pending(),
        ));
        TestServer {
            base: format!("http://{addr}"),
            db_url: db_url.to_string(),
            http: http_client(),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers `email` with a key derived from it; returns the device's client.
    pub async fn register(&self, email: &str) -> Device {
        let resp = self
            .http
            .post(self.url("/v1/auth/register"))
            .json(&register_body(email, "laptop"))
            .send()
            .await
            .expect("register");
        assert_eq!(resp.status(), 201, "register {email}");
        let body: Value = resp.json().await.expect("json");
        Device::new(self, body["token"].as_str().expect("token"))
    }

    /// Logs another device into `email`'s account.
    pub async fn login(&self, email: &str, device: &str) -> Device {
        let resp = self
            .http
            .post(self.url("/v1/auth/login"))
            .json(&json!({"email": email, "auth_key": auth_key(email), "device_name": device}))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), 200, "login {email}");
        let body: Value = resp.json().await.expect("json");
        Device::new(self, body["token"].as_str().expect("token"))
    }

    pub async fn db(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.db_url)
            .await
            .expect("db connection")
    }
}

/// The test client's authentication key for an email (stands in for the client's KDF, which
/// works on the normalised email).
pub fn auth_key(email: &str) -> String {
    let email = email.trim().to_lowercase();
    STANDARD.encode(Sha256::digest(format!("auth-key:{email}").as_bytes()))
}

pub fn register_body(email: &str, device: &str) -> Value {
    let salt: [u8; 16] = Sha256::digest(email.as_bytes())[..16]
        .try_into()
        .expect("16 bytes");
    json!({
        "email": email,
        "auth_key": auth_key(email),
        "kdf": {"algorithm": "argon2id", "m_kib": 65536, "t": 3, "p": 1, "salt": STANDARD.encode(salt)},
        "device_name": device,
    })
}

/// Stand-in for the client's encryption: a SHA-256 keystream XOR with a random-ish nonce.
/// Not secure, but the bytes that reach the server are not the plaintext.
pub fn seal(plaintext: &str) -> String {
    static NONCE: AtomicU32 = AtomicU32::new(1);
    let nonce = NONCE.fetch_add(1, Ordering::SeqCst).to_le_bytes();
    let mut out = nonce.to_vec();
    out.extend(xor_stream(&nonce, plaintext.as_bytes()));
    STANDARD.encode(out)
}

pub fn open(b64: &str) -> String {
    let bytes = STANDARD.decode(b64).expect("base64 payload");
    let (nonce, body) = bytes.split_at(4);
    String::from_utf8(xor_stream(nonce, body)).expect("utf-8 plaintext")
}

fn xor_stream(nonce: &[u8], data: &[u8]) -> Vec<u8> {
    data.chunks(32)
        .enumerate()
        .flat_map(|(i, chunk)| {
            let block = Sha256::new()
                .chain_update(b"test-key")
                .chain_update(nonce)
                .chain_update((i as u64).to_le_bytes())
                .finalize();
            chunk
                .iter()
                .zip(block)
                .map(|(b, k)| b ^ k)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One logged-in device.
#[derive(Clone)]
pub struct Device {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Device {
    pub fn new(server: &TestServer, token: &str) -> Device {
        Device {
            http: server.http.clone(),
            base: server.base.clone(),
            token: token.to_string(),
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// POSTs a batch; returns the status and the JSON body.
    pub async fn batch(&self, changes: Value) -> (u16, Value) {
        let resp = self
            .post("/v1/records/batch")
            .json(&json!({ "changes": changes }))
            .send()
            .await
            .expect("batch");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GET changes; returns the status and the JSON body.
    pub async fn changes(&self, query: &str) -> (u16, Value) {
        let resp = self
            .get(&format!("/v1/records/changes?{query}"))
            .send()
            .await
            .expect("changes");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every record from 0, following the cursor page by page.
    pub async fn full_sync(&self, limit: u32) -> Vec<Value> {
        let mut since = 0i64;
        let mut all = Vec::new();
        loop {
            let (status, page) = self.changes(&format!("since={since}&limit={limit}")).await;
            assert_eq!(status, 200, "{page}");
            all.extend(page["changes"].as_array().expect("changes").iter().cloned());
            since = page["cursor"].as_i64().expect("cursor");
            if !page["more"].as_bool().expect("more") {
                return all;
            }
        }
    }
}

/// A change that writes `plaintext` (sealed) to `collection/id` based on `base`.
pub fn put(collection: &str, id: &str, base: i64, plaintext: &str) -> Value {
    json!({"collection": collection, "id": id, "base_version": base, "payload": seal(plaintext)})
}

pub fn tombstone(collection: &str, id: &str, base: i64) -> Value {
    json!({"collection": collection, "id": id, "base_version": base, "deleted": true})
}

//! The sync protocol against the real server and a real Postgres (fresh database per test).

mod common;

use std::time::Duration;

use common::{auth_key, open, put, register_body, seal, tombstone, Device, TestServer, MARKER};
use serde_json::{json, Value};
use sqlx::Connection as _;

async fn status_and_json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn health_metrics_openapi_and_json_errors_everywhere() {
    let s = TestServer::start(|_| {}).await;
    let resp = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    assert!(
        resp.headers().contains_key("x-request-id"),
        "request id made by the server"
    );
    let traced = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "client-chosen-id")
        .send()
        .await
        .expect("healthz");
    assert_eq!(
        traced
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-chosen-id"),
        "a client's request id is kept"
    );
    let (status, body) = status_and_json(resp).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/healthz\""), "{metrics}");

    let (status, api) = status_and_json(
        s.http
            .get(s.url("/openapi.json"))
            .send()
            .await
            .expect("openapi"),
    )
    .await;
    assert_eq!(status, 200);
    for path in [
        "/healthz",
        "/v1/auth/params",
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/logout",
        "/v1/devices",
        "/v1/devices/{id}",
        "/v1/account",
        "/v1/account/password",
        "/v1/account/recovery-key",
        "/v1/auth/recover",
        "/v1/records/changes",
        "/v1/records/batch",
    ] {
        assert!(api["paths"][path].is_object(), "openapi lacks {path}");
    }
    assert!(api["components"]["schemas"]["Conflict"].is_object());

    let (status, body) =
        status_and_json(s.http.get(s.url("/nope")).send().await.expect("404")).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = status_and_json(
        s.http
            .get(s.url("/v1/records/batch"))
            .send()
            .await
            .expect("405"),
    )
    .await;
    assert_error(status, &body, 405, "method_not_allowed");
}

#[tokio::test]
async fn cors_allows_extension_origins_only() {
    let s = TestServer::start(|_| {}).await;
    for (origin, allowed) in [
        ("chrome-extension://abcdefghijklmnop", true),
        ("moz-extension://1234-5678", true),
        ("https://evil.example", false),
    ] {
        let resp = s
            .http
            .request(reqwest::Method::OPTIONS, s.url("/v1/records/batch"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await
            .expect("preflight");
        let echoed = resp
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        assert_eq!(
            echoed.as_deref() == Some(origin),
            allowed,
            "{origin}: {echoed:?}"
        );
    }
}

#[tokio::test]
async fn params_are_stable_and_do_not_reveal_accounts() {
    let s = TestServer::start(|_| {}).await;
    let params = |email: &str| {
        let (http, url) = (s.http.clone(), s.url("/v1/auth/params"));
        let email = email.to_string();
        async move {
            status_and_json(
                http.post(url)
                    .json(&json!({ "email": email }))
                    .send()
                    .await
                    .expect("params"),
            )
            .await
        }
    };
    let (status, a1) = params("ghost@example.com").await;
    assert_eq!(status, 200);
    let (_, a2) = params("Ghost@Example.com ").await;
    let (_, b) = params("other-ghost@example.com").await;
    assert_eq!(a1, a2, "same fake answer every time (and case-insensitive)");
    assert_ne!(
        a1["kdf"]["salt"], b["kdf"]["salt"],
        "fake salts differ per email"
    );
    assert_eq!(a1["kdf"]["algorithm"], "argon2id");

    // A second server instance on the same database gives the same fake answer.
    let s2 = TestServer::start_on(&s.db_url, |_| {}).await;
    let (_, again) = status_and_json(
        s2.http
            .post(s2.url("/v1/auth/params"))
            .json(&json!({"email": "ghost@example.com"}))
            .send()
            .await
            .expect("params"),
    )
    .await;
    assert_eq!(a1, again);

    s.register("real@example.com").await;
    let (_, real) = params("real@example.com").await;
    assert_eq!(
        real["kdf"],
        register_body("real@example.com", "x")["kdf"],
        "the account's own parameters"
    );
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["kdf"].as_object().expect("kdf").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&real),
        keys(&a1),
        "real and fake answers have the same shape"
    );

    let (status, body) = params("not-an-email").await;
    assert_error(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn register_login_and_wrong_keys() {
    let s = TestServer::start(|_| {}).await;
    let first = s.register("ann@example.com").await;
    let (status, body) = status_and_json(
        s.http
            .post(s.url("/v1/auth/register"))
            .json(&register_body("ANN@example.com", "again"))
            .send()
            .await
            .expect("register"),
    )
    .await;
    assert_error(status, &body, 409, "email_taken");

    let second = s.login("Ann@Example.com", "phone").await;
    assert_ne!(first.token, second.token, "one token per device");

    let login = |email: &str, key: String| {
        let (http, url) = (s.http.clone(), s.url("/v1/auth/login"));
        let body = json!({"email": email, "auth_key": key, "device_name": "x"});
        async move { status_and_json(http.post(url).json(&body).send().await.expect("login")).await }
    };
    let (status, wrong) = login("ann@example.com", auth_key("someone-else")).await;
    assert_error(status, &wrong, 401, "invalid_credentials");
    let (status, unknown) = login("nobody@example.com", auth_key("nobody@example.com")).await;
    assert_error(status, &unknown, 401, "invalid_credentials");
    assert_eq!(
        wrong["message"], unknown["message"],
        "unknown email looks like a wrong key"
    );
    let (status, short) = login("ann@example.com", "c2hvcnQ=".into()).await;
    assert_error(status, &short, 400, "invalid_request");

    // Bad registration inputs.
    let mut weak = register_body("weak@example.com", "x");
    weak["kdf"]["m_kib"] = json!(16);
    let (status, body) = status_and_json(
        s.http
            .post(s.url("/v1/auth/register"))
            .json(&weak)
            .send()
            .await
            .expect("r"),
    )
    .await;
    assert_error(status, &body, 400, "invalid_request");
    let mut no_device = register_body("nodev@example.com", "");
    no_device["device_name"] = json!("   ");
    let (status, body) = status_and_json(
        s.http
            .post(s.url("/v1/auth/register"))
            .json(&no_device)
            .send()
            .await
            .expect("r"),
    )
    .await;
    assert_error(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn devices_are_listed_revoked_and_logged_out() {
    let s = TestServer::start(|_| {}).await;
    let laptop = s.register("bob@example.com").await;
    let phone = s.login("bob@example.com", "phone").await;
    let stranger = s.register("eve@example.com").await;

    let (status, list) =
        status_and_json(laptop.get("/v1/devices").send().await.expect("list")).await;
    assert_eq!(status, 200);
    let devices = list["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 2);
    assert_eq!(devices.iter().filter(|d| d["current"] == true).count(), 1);
    let phone_id = devices
        .iter()
        .find(|d| d["name"] == "phone")
        .and_then(|d| d["id"].as_i64())
        .expect("phone listed");

    // Another account cannot revoke Bob's phone.
    let resp = stranger
        .delete(&format!("/v1/devices/{phone_id}"))
        .send()
        .await
        .expect("revoke");
    let (status, body) = status_and_json(resp).await;
    assert_error(status, &body, 404, "not_found");
    assert_eq!(
        phone
            .get("/v1/devices")
            .send()
            .await
            .expect("list")
            .status(),
        200
    );

    let resp = laptop
        .delete(&format!("/v1/devices/{phone_id}"))
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), 204);
    let (status, body) =
        status_and_json(phone.get("/v1/devices").send().await.expect("list")).await;
    assert_error(status, &body, 401, "unauthorized");
    let (status, _) = phone.changes("since=0").await;
    assert_eq!(status, 401, "a revoked token cannot read records");

    let (status, body) = status_and_json(
        laptop
            .delete("/v1/devices/not-a-number")
            .send()
            .await
            .expect("bad"),
    )
    .await;
    assert_error(status, &body, 400, "invalid_request");

    assert_eq!(
        laptop
            .post("/v1/auth/logout")
            .send()
            .await
            .expect("logout")
            .status(),
        204
    );
    assert_eq!(
        laptop
            .get("/v1/devices")
            .send()
            .await
            .expect("list")
            .status(),
        401
    );

    for header in ["", "Bearer ", "Bearer nope", "Basic abc"] {
        let resp = s
            .http
            .get(s.url("/v1/devices"))
            .header("authorization", header)
            .send()
            .await
            .expect("req");
        let (status, body) = status_and_json(resp).await;
        assert_error(status, &body, 401, "unauthorized");
    }
}

#[tokio::test]
async fn records_get_increasing_versions_and_the_feed_pages_with_tombstones() {
    let s = TestServer::start(|_| {}).await;
    let d = s.register("carol@example.com").await;
    let (status, body) = d
        .batch(json!([
            put("wallet", "card-1", 0, "card one"),
            put("settings", "prefs", 0, "dark mode"),
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["latest"], 2);
    assert_eq!(body["written"][0]["version"], 1);
    assert_eq!(body["written"][1]["version"], 2);

    let (status, body) = d
        .batch(json!([put("wallet", "card-1", 1, "card one, edited")]))
        .await;
    assert_eq!((status, body["latest"].as_i64()), (200, Some(3)), "{body}");
    let (status, body) = d.batch(json!([tombstone("settings", "prefs", 2)])).await;
    assert_eq!((status, body["latest"].as_i64()), (200, Some(4)), "{body}");

    let (status, page) = d.changes("since=0").await;
    assert_eq!(status, 200);
    let changes = page["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["id"], "card-1");
    assert_eq!(changes[0]["version"], 3);
    assert_eq!(
        open(changes[0]["payload"].as_str().expect("payload")),
        "card one, edited"
    );
    assert_eq!(changes[1]["deleted"], true, "tombstones are in the feed");
    assert_eq!(changes[1]["payload"], Value::Null);
    assert_eq!(
        (
            page["cursor"].as_i64(),
            page["more"].as_bool(),
            page["latest"].as_i64()
        ),
        (Some(4), Some(false), Some(4))
    );

    // Incremental: nothing new after the cursor; then one new change.
    let (_, page) = d.changes("since=4").await;
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(0));
    assert_eq!(page["cursor"], 4);
    d.batch(json!([put("wallet", "card-2", 0, "card two")]))
        .await;
    let (_, page) = d.changes("since=4").await;
    assert_eq!(page["changes"][0]["version"], 5);

    // Paging one at a time walks every record exactly once, in version order.
    let all = d.full_sync(1).await;
    let versions: Vec<i64> = all.iter().filter_map(|r| r["version"].as_i64()).collect();
    assert_eq!(versions, vec![3, 4, 5]);

    let (_, page) = d.changes("since=0&collection=wallet").await;
    let ids: Vec<&str> = page["changes"]
        .as_array()
        .expect("c")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["card-1", "card-2"]);

    // Another account sees none of it.
    let other = s.register("dave@example.com").await;
    assert_eq!(other.full_sync(100).await.len(), 0);

    // A tombstone can be revived with its version as base.
    let (status, body) = d
        .batch(json!([put("settings", "prefs", 4, "light mode")]))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn stale_base_gets_412_with_the_server_copy_and_nothing_is_applied() {
    let s = TestServer::start(|_| {}).await;
    let a = s.register("frank@example.com").await;
    let b = s.login("frank@example.com", "second").await;
    a.batch(json!([
        put("wallet", "w1", 0, "v1"),
        put("wallet", "w2", 0, "w2 v1")
    ]))
    .await;
    let (status, _) = b.batch(json!([put("wallet", "w1", 1, "b edit")])).await;
    assert_eq!(status, 200);

    // A still thinks w1 is at version 1; its batch also creates w3 and edits w2 correctly.
    let (status, body) = a
        .batch(json!([
            put("wallet", "w3", 0, "new"),
            put("wallet", "w2", 2, "w2 v2"),
            put("wallet", "w1", 1, "a edit"),
        ]))
        .await;
    assert_error(status, &body, 412, "conflict");
    let conflicts = body["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["id"], "w1");
    assert_eq!(conflicts[0]["base_version"], 1);
    assert_eq!(conflicts[0]["current"]["version"], 3);
    assert_eq!(
        open(
            conflicts[0]["current"]["payload"]
                .as_str()
                .expect("payload")
        ),
        "b edit"
    );

    let all = a.full_sync(100).await;
    assert_eq!(all.len(), 2, "w3 was not created: all-or-nothing");
    let (_, page) = a.changes("since=0").await;
    assert_eq!(page["latest"], 3, "no version was used up");

    // Creating a record that exists (base 0) is a conflict too; so is a base for a record
    // that never existed.
    let (status, body) = b.batch(json!([put("wallet", "w2", 0, "dup")])).await;
    assert_error(status, &body, 412, "conflict");
    assert_eq!(body["conflicts"][0]["current"]["version"], 2);
    let (status, body) = b.batch(json!([put("wallet", "ghost", 7, "x")])).await;
    assert_error(status, &body, 412, "conflict");
    assert_eq!(body["conflicts"][0]["current"], Value::Null);

    // After merging, A retries with the server's version and succeeds.
    let (status, body) = a.batch(json!([put("wallet", "w1", 3, "merged")])).await;
    assert_eq!((status, body["latest"].as_i64()), (200, Some(4)));
}

#[tokio::test]
async fn bad_input_is_rejected_with_json_errors() {
    let s = TestServer::start(|c| c.max_batch = 5).await;
    let d = s.register("gina@example.com").await;
    let cases = [
        (json!([put("passwords", "x", 0, "p")]), "unknown collection"),
        (json!([put("wallet", "", 0, "p")]), "empty id"),
        (json!([put("wallet", "a/b", 0, "p")]), "slash in id"),
        (json!([put("wallet", "x", -1, "p")]), "negative base"),
        (
            json!([put("wallet", "x", 0, "p"), put("wallet", "x", 0, "q")]),
            "duplicate",
        ),
        (
            json!([{"collection": "wallet", "id": "x", "base_version": 0, "deleted": true, "payload": seal("p")}]),
            "tombstone with payload",
        ),
        (
            json!([{"collection": "wallet", "id": "x", "base_version": 0}]),
            "no payload",
        ),
        (
            json!([{"collection": "wallet", "id": "x", "base_version": 0, "payload": "***"}]),
            "not base64",
        ),
        (
            json!([{"collection": "wallet", "id": "x"}]),
            "missing base_version",
        ),
        (json!([]), "empty batch"),
    ];
    for (changes, what) in cases {
        let (status, body) = d.batch(changes).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["code"], "invalid_request", "{what}");
    }
    let resp = d
        .post("/v1/records/batch")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    let (status, body) = status_and_json(resp).await;
    assert_error(status, &body, 400, "invalid_request");
    let resp = d
        .post("/v1/records/batch")
        .body("{}")
        .send()
        .await
        .expect("send");
    let (status, body) = status_and_json(resp).await;
    assert_error(status, &body, 400, "invalid_request");
    for q in [
        "since=-1",
        "since=abc",
        "limit=0",
        "limit=1001",
        "collection=passwords",
    ] {
        let (status, body) = d.changes(q).await;
        assert_error(status, &body, 400, "invalid_request");
    }
    assert_eq!(d.full_sync(100).await.len(), 0, "nothing was written");
}

#[tokio::test]
async fn oversized_payloads_batches_and_bodies_get_413() {
    let s = TestServer::start(|c| {
        c.max_batch = 3;
        c.max_body_bytes = 512 * 1024;
    })
    .await;
    let d = s.register("hal@example.com").await;
    use base64::Engine as _;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
    let record = |id: &str, n: usize| json!({"collection": "wallet", "id": id, "base_version": 0, "payload": b64(n)});

    let (status, body) = d.batch(json!([record("max", 64 * 1024)])).await;
    assert_eq!(status, 200, "exactly 64 KiB is fine: {body}");
    let (status, body) = d.batch(json!([record("over", 64 * 1024 + 1)])).await;
    assert_error(status, &body, 413, "payload_too_large");
    let (status, body) = d
        .batch(json!([
            record("a", 1),
            record("b", 1),
            record("c", 1),
            record("d", 1)
        ]))
        .await;
    assert_error(status, &body, 413, "payload_too_large");
    let huge = json!({"changes": [{"collection": "wallet", "id": "h", "base_version": 0, "payload": "A".repeat(600 * 1024)}]});
    let (status, body) = status_and_json(
        d.post("/v1/records/batch")
            .json(&huge)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_error(status, &body, 413, "payload_too_large");
    assert_eq!(d.full_sync(100).await.len(), 1);
}

#[tokio::test]
async fn quotas_give_413_and_deleting_frees_space() {
    let s = TestServer::start(|c| {
        c.quota_bytes = 1000;
        c.quota_records = 3;
    })
    .await;
    let d = s.register("ida@example.com").await;
    use base64::Engine as _;
    let bytes = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![1u8; n]);
    let rec = |id: &str, base: i64, n: usize| json!({"collection": "wallet", "id": id, "base_version": base, "payload": bytes(n)});

    let (status, _) = d.batch(json!([rec("a", 0, 600)])).await;
    assert_eq!(status, 200);
    let (status, body) = d.batch(json!([rec("b", 0, 500)])).await;
    assert_error(status, &body, 413, "quota_exceeded");
    // Shrinking a record is allowed and frees room.
    let (status, _) = d.batch(json!([rec("a", 1, 100)])).await;
    assert_eq!(status, 200);
    let (status, _) = d.batch(json!([rec("b", 0, 500)])).await;
    assert_eq!(status, 200);
    let (status, _) = d.batch(json!([rec("c", 0, 10)])).await;
    assert_eq!(status, 200);
    let (status, body) = d.batch(json!([rec("d", 0, 10)])).await;
    assert_error(status, &body, 413, "quota_exceeded");
    let (status, _) = d.batch(json!([tombstone("wallet", "b", 3)])).await;
    assert_eq!(status, 200, "deletes always fit");
    let (status, body) = d.batch(json!([rec("d", 0, 10)])).await;
    assert_eq!(status, 200, "{body}");

    let mut db = s.db().await;
    let (used, live): (i64, i64) = sqlx::query_as("SELECT used_bytes, live_records FROM accounts")
        .fetch_one(&mut db)
        .await
        .expect("account");
    let (sum, count): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(length(payload)), 0)::bigint, count(*) FILTER (WHERE NOT deleted) FROM records",
    )
    .fetch_one(&mut db)
    .await
    .expect("records");
    assert_eq!(
        (used, live),
        (sum, count),
        "quota accounting matches the rows"
    );
}

#[tokio::test]
async fn rate_limits_give_429_with_retry_after() {
    let s = TestServer::start(|c| {
        c.rate_auth_per_ip_per_min = 4;
        c.rate_writes_per_account_per_sec = 2;
    })
    .await;
    let d = s.register("jon@example.com").await; // 1 auth request
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let resp = s
            .http
            .post(s.url("/v1/auth/params"))
            .json(&json!({"email": "jon@example.com"}))
            .send()
            .await
            .expect("params");
        let retry = resp.headers().get("retry-after").cloned();
        let (status, body) = status_and_json(resp).await;
        if status == 429 {
            assert_eq!(body["code"], "rate_limited");
            let secs: u64 = retry
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .expect("Retry-After");
            assert!((1..=60).contains(&secs));
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);

    // Writes per account: burst of 4 (2/s × 2), then 429.
    let mut write_statuses = Vec::new();
    for i in 0..6 {
        let (status, _) = d
            .batch(json!([put("wallet", &format!("r{i}"), 0, "x")]))
            .await;
        write_statuses.push(status);
    }
    assert_eq!(&write_statuses[..4], &[200, 200, 200, 200]);
    assert!(write_statuses[4..].contains(&429), "{write_statuses:?}");
    // Reads are not write-limited.
    assert_eq!(d.changes("since=0").await.0, 200);
}

#[tokio::test]
async fn login_is_limited_per_email_across_ips() {
    let s = TestServer::start(|c| {
        c.rate_login_per_email_per_min = 3;
        c.trust_forwarded_for = true;
    })
    .await;
    s.register("kim@example.com").await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let resp = s
            .http
            .post(s.url("/v1/auth/login"))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .json(&json!({"email": "kim@example.com", "auth_key": auth_key("guess"), "device_name": "x"}))
            .send()
            .await
            .expect("login");
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn a_cursor_older_than_the_kept_tombstones_gets_410() {
    let s = TestServer::start(|c| c.tombstone_retention = Duration::ZERO).await;
    let d = s.register("lea@example.com").await;
    d.batch(json!([
        put("wallet", "a", 0, "a"),
        put("wallet", "b", 0, "b")
    ]))
    .await;
    d.batch(json!([tombstone("wallet", "a", 1)])).await; // version 3
    d.batch(json!([put("wallet", "c", 0, "c")])).await; // version 4

    let state = stacksmart_sync_server::AppState::new(common::test_config(&s.db_url))
        .await
        .expect("state");
    assert_eq!(
        state
            .store
            .purge_tombstones(Duration::ZERO)
            .await
            .expect("purge"),
        1
    );

    let (status, body) = d.changes("since=2").await;
    assert_error(status, &body, 410, "cursor_too_old");
    let (status, page) = d.changes("since=3").await;
    assert_eq!(
        status, 200,
        "a cursor at the floor is still complete: {page}"
    );
    let (status, page) = d.changes("since=0").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = page["changes"]
        .as_array()
        .expect("c")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["b", "c"],
        "the full resync no longer carries the purged tombstone"
    );
    // A full resync read in small pages: its second page starts below the floor, which is
    // fine because the resync knows deletions by absence (`resync=true`).
    let (status, page) = d.changes("since=0&limit=1").await;
    assert_eq!((status, page["cursor"].as_i64()), (200, Some(2)));
    let (status, _) = d.changes("since=2&limit=1").await;
    assert_eq!(
        status, 410,
        "a plain cursor below the floor is still refused"
    );
    let (status, page) = d.changes("since=2&limit=1&resync=true").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["changes"][0]["id"], "c");
    // A client that saw the tombstone may still write on top of it.
    let (status, body) = d.batch(json!([put("wallet", "a", 3, "revived")])).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_busy_account_gets_409_with_retry_after() {
    let s = TestServer::start(|c| c.lock_timeout = Duration::from_millis(100)).await;
    let d = s.register("max@example.com").await;
    let mut db = s.db().await;
    let mut tx = db.begin().await.expect("begin");
    sqlx::query("SELECT id FROM accounts FOR UPDATE")
        .execute(&mut *tx)
        .await
        .expect("lock");
    let resp = d
        .post("/v1/records/batch")
        .json(&json!({"changes": [put("wallet", "x", 0, "x")]}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let (status, body) = status_and_json(resp).await;
    assert_error(status, &body, 409, "busy");
    tx.rollback().await.expect("rollback");
    assert_eq!(d.batch(json!([put("wallet", "x", 0, "x")])).await.0, 200);
    // Readers are never blocked by a writer's lock.
    assert_eq!(d.changes("since=0").await.0, 200);
}

#[tokio::test]
async fn deleting_the_account_removes_everything() {
    let s = TestServer::start(|_| {}).await;
    let d = s.register("ned@example.com").await;
    let keep = s.register("keep@example.com").await;
    d.batch(json!([
        put("wallet", "a", 0, "a"),
        put("settings", "s", 0, "s")
    ]))
    .await;
    keep.batch(json!([put("wallet", "k", 0, "k")])).await;

    let resp = d
        .delete("/v1/account")
        .json(&json!({"auth_key": auth_key("wrong")}))
        .send()
        .await
        .expect("delete");
    let (status, body) = status_and_json(resp).await;
    assert_error(status, &body, 401, "invalid_credentials");
    let resp = d
        .delete("/v1/account")
        .json(&json!({"auth_key": auth_key("ned@example.com")}))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    assert_eq!(d.changes("since=0").await.0, 401);

    let mut db = s.db().await;
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM sessions), (SELECT count(*) FROM records)",
    )
    .fetch_one(&mut db)
    .await
    .expect("counts");
    assert_eq!(counts, (1, 1, 1), "only the other account's rows remain");
    s.register("ned@example.com").await;
}

#[tokio::test]
async fn the_database_never_sees_plaintext_keys_or_tokens() {
    let s = TestServer::start(|_| {}).await;
    let email = "privacy@example.com";
    let d = s.register(email).await;
    let phone = s.login(email, "phone").await;
    let secrets = [
        format!("{MARKER}card-number-4111111111111111"),
        format!("{MARKER}loyalty-ACME-778899"),
        format!("{MARKER}setting-currency-EUR"),
    ];
    d.batch(json!([
        put("wallet", "c1", 0, &secrets[0]),
        put("wallet", "c2", 0, &secrets[1]),
        put("settings", "s1", 0, &secrets[2]),
    ]))
    .await;
    phone
        .batch(json!([put("wallet", "c1", 1, &format!("{MARKER}edited"))]))
        .await;
    phone.batch(json!([tombstone("wallet", "c2", 2)])).await;
    let back = d.full_sync(100).await;
    assert!(back.iter().any(|r| r["payload"]
        .as_str()
        .is_some_and(|p| open(p).starts_with(MARKER))));

    let dump = common::Cluster::shared().dump(&s.db_url);
    assert!(
        dump.contains("COPY public.records"),
        "the dump has the records table"
    );
    assert!(
        dump.contains(email),
        "sanity: the dump does contain what the server stores"
    );
    assert!(!dump.contains(MARKER), "plaintext reached the database");
    use base64::Engine as _;
    let raw_key = base64::engine::general_purpose::STANDARD
        .decode(auth_key(email))
        .expect("key");
    let hex_key: String = raw_key.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !dump.contains(&auth_key(email)),
        "the auth key is stored only as a hash"
    );
    assert!(!dump.contains(&hex_key));
    assert!(
        !dump.contains(&d.token) && !dump.contains(&phone.token),
        "tokens are stored only as hashes"
    );
    assert!(dump.contains("$argon2id$"), "auth key hashed with Argon2id");
}

/// Two server instances on one database behave as one (no state outside Postgres).
#[tokio::test]
async fn two_instances_share_one_database() {
    let a = TestServer::start(|_| {}).await;
    let b = TestServer::start_on(&a.db_url, |_| {}).await;
    let on_a = a.register("olga@example.com").await;
    let on_b = Device::new(&b, &on_a.token);
    on_a.batch(json!([put("wallet", "x", 0, "x")])).await;
    let (status, body) = on_b.batch(json!([put("wallet", "x", 0, "x again")])).await;
    assert_error(status, &body, 412, "conflict");
    assert_eq!(on_b.full_sync(10).await.len(), 1);
    assert_eq!(
        b.login("olga@example.com", "tablet").await.token.len(),
        on_a.token.len()
    );
}

/// The changes page is written by hand (src/json.rs): it must be exactly what serde makes of
/// the same page, for records, tombstones, filtered and empty pages.
#[tokio::test]
async fn changes_pages_are_byte_for_byte_the_serde_form() {
    use stacksmart_sync_server::model::ChangesPage;
    let s = TestServer::start(|_| {}).await;
    let d = s.register("bytes@example.com").await;
    let (status, _) = d
        .batch(json!([
            put("wallet", "card-1", 0, "one"),
            put("settings", "prefs", 0, "two"),
            put("wallet", "card-2", 0, "three"),
        ]))
        .await;
    assert_eq!(status, 200);
    let (status, _) = d.batch(json!([tombstone("wallet", "card-2", 3)])).await;
    assert_eq!(status, 200);
    for query in [
        "since=0",
        "since=0&limit=2",
        "since=2&limit=1",
        "since=0&collection=wallet",
        "since=4",
        "since=99",
    ] {
        let resp = d
            .get(&format!("/v1/records/changes?{query}"))
            .send()
            .await
            .expect("changes");
        assert_eq!(resp.status(), 200, "{query}");
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let bytes = resp.bytes().await.expect("body");
        let page: ChangesPage = serde_json::from_slice(&bytes).expect("a ChangesPage");
        assert_eq!(
            String::from_utf8_lossy(&serde_json::to_vec(&page).expect("serde")),
            String::from_utf8_lossy(&bytes),
            "{query}"
        );
    }
    let (_, page) = d.changes("since=0").await;
    assert_eq!(page["changes"][2]["payload"], Value::Null, "{page}");
    assert_eq!(page["changes"][2]["deleted"], true, "{page}");
    assert_eq!(
        open(page["changes"][0]["payload"].as_str().expect("b64")),
        "one"
    );
}

/// A database at the previous schema (migrations 0001–0002) with accounts, sessions and
/// records upgrades to the write functions (0003, 0004) and keeps working: the old token reads
/// the old records, a stale base still gets 412 with the server copy, and writes continue the
/// account's versions and quota counters.
#[tokio::test]
async fn an_existing_database_upgrades_to_the_batch_function() {
    use sha2::Digest as _;
    use stacksmart_sync_server::db::MIGRATOR;
    let url = common::Cluster::shared().fresh_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("db");
    // The first two migration files, as a server of the previous release applied them.
    let dir =
        std::env::temp_dir().join(format!("stacksmart-old-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for m in MIGRATOR.iter().filter(|m| m.version <= 2) {
        let name = format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_"));
        std::fs::write(dir.join(name), m.sql.as_bytes()).expect("write migration");
    }
    let old = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("old migrations");
    assert_eq!(old.iter().count(), 2);
    old.run(&mut conn).await.expect("migrations 0001-0002");
    let _ = std::fs::remove_dir_all(&dir);
    // What a server at the old schema left behind: one account, a session, two records.
    let token = "ss1_upgrade-test-token";
    let payload = vec![7u8; 40];
    sqlx::query(
        "WITH a AS (
             INSERT INTO accounts (email, auth_hash, kdf_algorithm, kdf_m_kib, kdf_t, kdf_p,
                                   kdf_salt, last_version, used_bytes, live_records)
             VALUES ('old@example.com', 'x', 'argon2id', 65536, 3, 1, '\\x00', 2, 40, 1)
             RETURNING id
         ), s AS (
             INSERT INTO sessions (account_id, token_hash, device_name)
             SELECT id, $1, 'old laptop' FROM a
         )
         INSERT INTO records (account_id, collection, id, version, deleted, payload)
         SELECT id, 'wallet', 'kept', 1, false, $2 FROM a
         UNION ALL SELECT id, 'wallet', 'gone', 2, true, NULL FROM a",
    )
    .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
    .bind(&payload)
    .execute(&mut conn)
    .await
    .expect("old rows");

    // The new server migrates on start.
    let s = TestServer::start_on(&url, |_| {}).await;
    let d = Device::new(&s, token);
    let (status, page) = d.changes("since=0").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["latest"], 2);
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(2));
    let (status, body) = d.batch(json!([put("wallet", "kept", 0, "new")])).await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["conflicts"][0]["current"]["version"], 1, "{body}");
    let (status, body) = d
        .batch(json!([
            put("wallet", "kept", 1, "new"),
            put("wallet", "gone", 2, "back")
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["latest"], 4, "{body}");
    // Single changes go through stacksmart_write_record (0004), batches through the batch
    // function (0003, which servers of the previous release call for single changes too):
    // both keep the same counters.
    let (status, body) = d.batch(json!([tombstone("wallet", "kept", 3)])).await;
    assert_eq!((status, &body["latest"]), (200, &json!(5)), "{body}");
    let (status, body) = d
        .batch(json!([put("wallet", "single", 0, "one more")]))
        .await;
    assert_eq!((status, &body["latest"]), (200, &json!(6)), "{body}");
    let (used, live): (i64, i64) = sqlx::query_as("SELECT used_bytes, live_records FROM accounts")
        .fetch_one(&mut conn)
        .await
        .expect("account");
    let (sum, count): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(length(payload)), 0)::bigint, count(*) FILTER (WHERE NOT deleted) FROM records",
    )
    .fetch_one(&mut conn)
    .await
    .expect("records");
    assert_eq!((used, live), (sum, count));
    assert_eq!(live, 2, "gone and single");
}

/// Every session answer names its account by an opaque reference: the same at every sign-in,
/// another for another account, and another for an account deleted and made again.
#[tokio::test]
async fn sessions_name_their_account_by_an_opaque_reference() {
    let s = TestServer::start(|_| {}).await;
    let register = |email: &'static str| {
        let s = &s;
        async move {
            let resp = s
                .http
                .post(s.url("/v1/auth/register"))
                .json(&register_body(email, "laptop"))
                .send()
                .await
                .expect("register");
            let (status, v) = status_and_json(resp).await;
            assert_eq!(status, 201, "{v}");
            v
        }
    };
    let first = register("ref@example.com").await;
    let reference = first["account"].as_str().expect("account").to_owned();
    assert_eq!(reference.len(), 32);
    assert!(reference.chars().all(|c| c.is_ascii_hexdigit()));
    let resp = s
        .http
        .post(s.url("/v1/auth/login"))
        .json(&json!({"email": "ref@example.com", "auth_key": auth_key("ref@example.com"), "device_name": "phone"}))
        .send()
        .await
        .expect("login");
    let (status, login) = status_and_json(resp).await;
    assert_eq!(
        (status, login["account"].as_str()),
        (200, Some(reference.as_str()))
    );
    let other = register("someone@example.com").await;
    assert_ne!(other["account"].as_str(), Some(reference.as_str()));
    let d = Device::new(&s, first["token"].as_str().expect("token"));
    let resp = d
        .delete("/v1/account")
        .json(&json!({"auth_key": auth_key("ref@example.com")}))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    let again = register("ref@example.com").await;
    assert_ne!(
        again["account"].as_str(),
        Some(reference.as_str()),
        "a new account under the same email is another account"
    );
}

/// A server restarts on a schema that a newer release migrated further (a rolling upgrade, a
/// rollback): the migration it does not know is left alone, and it serves as before.
#[tokio::test]
async fn a_server_restarts_on_a_schema_a_newer_release_migrated() {
    let url = common::Cluster::shared().fresh_database().await;
    let first = TestServer::start_on(&url, |_| {}).await;
    let d = first.register("rollback@example.com").await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from a newer release', true, '\\x00', 1)",
    )
    .execute(&mut first.db().await)
    .await
    .expect("a newer migration");
    drop(first);
    let again = TestServer::start_on(&url, |_| {}).await;
    let d = Device::new(&again, &d.token);
    let (status, body) = d.batch(json!([put("wallet", "after", 0, "x")])).await;
    assert_eq!((status, &body["latest"]), (200, &json!(1)), "{body}");
}

/// Writes are one statement that checks the token itself: a token whose account the server
/// remembers for rate limiting (it wrote before) stops writing the moment its device is
/// revoked, and another account's token never writes into this one.
#[tokio::test]
async fn a_revoked_token_that_wrote_before_cannot_write_again() {
    let s = TestServer::start(|_| {}).await;
    let laptop = s.register("revoke-writes@example.com").await;
    let phone = s.login("revoke-writes@example.com", "phone").await;
    let other = s.register("someone-else@example.com").await;
    for (i, d) in [&laptop, &phone, &other].iter().enumerate() {
        let (status, body) = d
            .batch(json!([put("wallet", &format!("r{i}"), 0, "x")]))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, devices) =
        status_and_json(laptop.get("/v1/devices").send().await.expect("devices")).await;
    let phone_id = devices["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["current"] == false)
        .and_then(|d| d["id"].as_i64())
        .expect("phone id");
    let resp = laptop
        .delete(&format!("/v1/devices/{phone_id}"))
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), 204);
    let (status, body) = phone.batch(json!([put("wallet", "after", 0, "x")])).await;
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = phone.batch(json!([put("wallet", "after", 0, "x")])).await;
    assert_error(status, &body, 401, "unauthorized");
    // The laptop and the other account go on; the other account's write landed in its own.
    let (status, body) = laptop.batch(json!([put("wallet", "after", 0, "x")])).await;
    assert_eq!((status, body["latest"].as_i64()), (200, Some(3)), "{body}");
    let (_, page) = other.changes("since=0").await;
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["changes"][0]["id"], "r2", "{page}");
}

/// The batch function keeps its plans for the life of a connection (until an ANALYZE of the
/// tables makes Postgres plan again): a plan made while the tables were small must still be
/// index lookups once they are large (it once was a hash join over a scan of the account's
/// records, and writes slowed down as the account grew).
#[tokio::test]
async fn batch_plans_stay_index_lookups_as_tables_grow() {
    use sha2::Digest as _;
    let s = TestServer::start(|_| {}).await;
    let mut conn = s.db().await;
    let token = "ss1_plan-test-token";
    let account: i64 = sqlx::query_scalar(
        "WITH a AS (
             INSERT INTO accounts (email, auth_hash, kdf_algorithm, kdf_m_kib, kdf_t, kdf_p, kdf_salt)
             VALUES ('plans@example.com', 'x', 'argon2id', 65536, 3, 1, '\\x00') RETURNING id
         ), s AS (
             INSERT INTO sessions (account_id, token_hash, device_name) SELECT id, $1, 'd' FROM a
         )
         SELECT id FROM a",
    )
    .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
    .fetch_one(&mut conn)
    .await
    .expect("account");
    let write_one = |id: String| {
        sqlx::query_scalar::<_, String>(
            "SELECT o_status FROM stacksmart_write_record($1, $2, 'wallet', $3, 0, false, $4, $5, $6)",
        )
        .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
        .bind(account)
        .bind(id)
        .bind(vec![1u8; 100])
        .bind(i64::MAX)
        .bind(i64::MAX)
    };
    let write = |ids: Vec<String>| {
        let n = ids.len();
        sqlx::query_scalar::<_, String>(
            "SELECT o_status FROM stacksmart_write_records_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(sha2::Sha256::digest(token.as_bytes()).to_vec())
        .bind(account)
        .bind(vec!["wallet"; n])
        .bind(ids)
        .bind(vec![0i64; n])
        .bind(vec![false; n])
        .bind(vec![vec![1u8; 100]; n])
        .bind(i64::MAX)
        .bind(i64::MAX)
    };
    // Plans made on this connection while the tables are small (both write functions).
    for i in 0..8 {
        let status = write(vec![format!("small-{i}")])
            .fetch_one(&mut conn)
            .await
            .expect("write");
        assert_eq!(status, "ok");
        let status = write_one(format!("small-one-{i}"))
            .fetch_one(&mut conn)
            .await
            .expect("write");
        assert_eq!(status, "ok");
    }
    // The account grows to 20 000 records.
    sqlx::query(
        "INSERT INTO records (account_id, collection, id, version, deleted, payload)
         SELECT $1, 'wallet', 'big-' || g, 1000000 + g, false, '\\x01' FROM generate_series(1, 20000) g",
    )
    .bind(account)
    .execute(&mut conn)
    .await
    .expect("grow");
    sqlx::query("UPDATE accounts SET last_version = 2000000 WHERE id = $1")
        .bind(account)
        .execute(&mut conn)
        .await
        .expect("counter");
    // Three more writes on the same connection read only what they look up.
    sqlx::query("BEGIN")
        .execute(&mut conn)
        .await
        .expect("begin");
    for i in 0..3 {
        let status = write(vec![format!("late-{i}"), format!("big-{}", i + 1)])
            .fetch_one(&mut conn)
            .await
            .expect("write");
        assert_eq!(status, "conflict", "big-* exist: base 0 is stale");
        let status = write_one(format!("big-{}", i + 10))
            .fetch_one(&mut conn)
            .await
            .expect("write");
        assert_eq!(status, "conflict", "big-* exist: base 0 is stale");
        let status = write_one(format!("late-one-{i}"))
            .fetch_one(&mut conn)
            .await
            .expect("write");
        assert_eq!(status, "ok");
    }
    let (seq_read, idx_fetched): (i64, i64) = sqlx::query_as(
        "SELECT seq_tup_read, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'records'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("stats");
    sqlx::query("ROLLBACK")
        .execute(&mut conn)
        .await
        .expect("rollback");
    assert_eq!(seq_read, 0, "no sequential scan of records");
    assert!(
        idx_fetched <= 40,
        "index lookups only: {idx_fetched} records fetched for 3 batches of 2 and 6 single writes"
    );
}

/// A single-record write (`stacksmart_write_record`) based on a tombstone that the purge
/// deletes while the write runs (the purge does not take the account's lock): the write still
/// lands, as a new row, with the account's counters right.
#[tokio::test]
async fn a_single_write_over_a_tombstone_purged_meanwhile_still_lands() {
    use sha2::Digest as _;
    let s = TestServer::start(|_| {}).await;
    let d = s.register("purge-race@example.com").await;
    assert_eq!(
        d.batch(json!([put("wallet", "r", 0, "first")])).await.0,
        200
    );
    assert_eq!(d.batch(json!([tombstone("wallet", "r", 1)])).await.0, 200);
    // The purge's DELETE, not yet committed: it holds the tombstone's row lock.
    let mut purge = s.db().await;
    sqlx::query("BEGIN")
        .execute(&mut purge)
        .await
        .expect("begin");
    let purged = sqlx::query("DELETE FROM records WHERE deleted")
        .execute(&mut purge)
        .await
        .expect("purge");
    assert_eq!(purged.rows_affected(), 1);
    let token_hash = sha2::Sha256::digest(d.token.as_bytes()).to_vec();
    let mut writer = s.db().await;
    let write = tokio::spawn(async move {
        sqlx::query_as::<_, (String, Option<i64>)>(
            "SELECT o_status, o_version FROM stacksmart_write_record(
                 $1, (SELECT account_id FROM sessions WHERE token_hash = $1),
                 'wallet', 'r', 2, false, '\\x0102'::bytea, 1000000, 1000)",
        )
        .bind(token_hash)
        .fetch_one(&mut writer)
        .await
    });
    // The write has read the tombstone (base 2 matches) and waits on its row.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!write.is_finished(), "the write waits for the purge");
    sqlx::query("COMMIT")
        .execute(&mut purge)
        .await
        .expect("commit");
    let (status, version) = write.await.expect("join").expect("write");
    assert_eq!((status.as_str(), version), ("ok", Some(3)));
    let (_, page) = d.changes("since=0").await;
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["changes"][0]["version"], 3);
    assert_eq!(page["changes"][0]["deleted"], false);
    let (used, live): (i64, i64) = sqlx::query_as("SELECT used_bytes, live_records FROM accounts")
        .fetch_one(&mut s.db().await)
        .await
        .expect("counters");
    assert_eq!((used, live), (2, 1));
}

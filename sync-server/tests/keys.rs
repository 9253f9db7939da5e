//! The client's key scheme against the real server (sync-core's crypto, real Postgres):
//! wrapped data keys kept at sign-up and returned at login, password change that swaps the
//! auth key and the wrapped key at once, recovery with the recovery key, and whole sync rounds
//! of two devices with a database dump that holds no plaintext.

mod common;

use common::{Device, TestServer};
use engine::wallet::{self, WalletDoc};
use serde_json::{json, Value};
use sync_core::client::{rotate_data_key, sync_round, Session, SyncError, SyncState, Transport};
use sync_core::keys::{self, KdfParams, Key, PasswordKeys, RecoveryKey, WrapPurpose};
use sync_core::wire::{
    BatchRequest, BatchResponse, Change, ChangesPage, ErrorBody, RotateKeyRequest, SealedRecord,
};

/// The server's floor (8 MiB, 1 pass): quick natively, and what the e2e test uses.
fn kdf() -> KdfParams {
    keys::fresh_kdf(8192, 1, 1).expect("salt")
}

struct Account {
    email: String,
    kdf: KdfParams,
    pw: PasswordKeys,
    data: Key,
    recovery: RecoveryKey,
}

async fn sign_up(s: &TestServer, email: &str, password: &str) -> (Account, String) {
    let kdf = kdf();
    let pw = keys::password_keys(password, &kdf).expect("argon2");
    let data = Key::random().expect("random");
    let recovery = RecoveryKey::random().expect("random");
    let body = json!({
        "email": email,
        "auth_key": pw.auth.to_base64(),
        "kdf": kdf,
        "device_name": "laptop",
        "keys": {
            "wrapped_key": keys::wrap_data_key(&pw.wrap, email, WrapPurpose::Password, &data).expect("wrap"),
            "recovery_wrapped_key": keys::wrap_data_key(&recovery.keys().wrap, email, WrapPurpose::Recovery, &data).expect("wrap"),
            "recovery_auth_key": recovery.keys().auth.to_base64(),
        }
    });
    let resp = s
        .http
        .post(s.url("/v1/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.expect("json");
    assert!(v.get("keys").is_none(), "the client already has its keys");
    let token = v["token"].as_str().expect("token").to_owned();
    (
        Account {
            email: email.into(),
            kdf,
            pw,
            data,
            recovery,
        },
        token,
    )
}

async fn post(s: &TestServer, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = s.http.post(s.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Signs in like the extension: params, Argon2id, login, unwrap.
async fn sign_in(s: &TestServer, email: &str, password: &str) -> Result<(Key, String), u16> {
    let (_, params) = post(s, "/v1/auth/params", None, json!({"email": email})).await;
    let kdf: KdfParams = serde_json::from_value(params["kdf"].clone()).expect("kdf");
    let pw = keys::password_keys(password, &kdf).expect("argon2");
    let (status, v) = post(
        s,
        "/v1/auth/login",
        None,
        json!({"email": email, "auth_key": pw.auth.to_base64(), "device_name": "phone"}),
    )
    .await;
    if status != 200 {
        return Err(status);
    }
    let wrapped = v["keys"]["wrapped_key"].as_str().expect("wrapped key");
    let data = keys::unwrap_data_key(&pw.wrap, email, WrapPurpose::Password, wrapped)
        .expect("the password unwraps the data key");
    Ok((data, v["token"].as_str().expect("token").to_owned()))
}

#[tokio::test]
async fn login_returns_the_wrapped_key_and_only_the_password_unwraps_it() {
    let s = TestServer::start(|_| {}).await;
    let (acct, _) = sign_up(&s, "kay@example.com", "correct horse").await;
    let (data, _) = sign_in(&s, "kay@example.com", "correct horse")
        .await
        .expect("sign in");
    assert_eq!(data, acct.data);
    assert_eq!(
        sign_in(&s, "kay@example.com", "wrong horse").await.err(),
        Some(401)
    );
    // The params are the account's own (its salt and the cost chosen at sign-up).
    let (_, params) = post(
        &s,
        "/v1/auth/params",
        None,
        json!({"email": "kay@example.com"}),
    )
    .await;
    assert_eq!(
        params["kdf"],
        serde_json::to_value(&acct.kdf).expect("json")
    );
}

#[tokio::test]
async fn a_password_change_rewraps_the_data_key_and_swaps_the_auth_key_at_once() {
    let s = TestServer::start(|_| {}).await;
    let (acct, token) = sign_up(&s, "lou@example.com", "old password").await;
    let new_kdf = kdf();
    let new = keys::password_keys("new password", &new_kdf).expect("argon2");
    let rewrapped =
        keys::wrap_data_key(&new.wrap, &acct.email, WrapPurpose::Password, &acct.data).expect("w");
    let change = |proof: Value| {
        let mut body =
            json!({"new_auth_key": new.auth.to_base64(), "kdf": new_kdf, "wrapped_key": rewrapped});
        if let (Some(b), Some(p)) = (body.as_object_mut(), proof.as_object()) {
            b.extend(p.clone());
        }
        body
    };
    // A wrong current password changes nothing.
    let wrong = keys::password_keys("guess", &acct.kdf).expect("argon2");
    let (status, body) = post(
        &s,
        "/v1/account/password",
        Some(&token),
        change(json!({"auth_key": wrong.auth.to_base64()})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    assert!(sign_in(&s, &acct.email, "old password").await.is_ok());
    // Both proofs at once, or none: refused.
    let (status, _) = post(&s, "/v1/account/password", Some(&token), change(json!({}))).await;
    assert_eq!(status, 400);

    let (status, body) = post(
        &s,
        "/v1/account/password",
        Some(&token),
        change(json!({"auth_key": acct.pw.auth.to_base64()})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        sign_in(&s, &acct.email, "old password").await.err(),
        Some(401)
    );
    let (data, _) = sign_in(&s, &acct.email, "new password")
        .await
        .expect("new password works");
    assert_eq!(data, acct.data, "same data key: no record needs re-sealing");
    // The device that changed it stays signed in.
    let resp = s
        .http
        .get(s.url("/v1/devices"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("devices");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_recovery_key_signs_in_unwraps_the_data_key_and_sets_a_new_password() {
    let s = TestServer::start(|_| {}).await;
    let (acct, _) = sign_up(&s, "mia@example.com", "forgotten").await;
    let typed = acct.recovery.display().to_lowercase();
    let rk = RecoveryKey::parse(&typed).expect("parse");
    let wrong = RecoveryKey::random().expect("random");
    let (status, _) = post(
        &s,
        "/v1/auth/recover",
        None,
        json!({"email": acct.email, "recovery_auth_key": wrong.keys().auth.to_base64(), "device_name": "new laptop"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, v) = post(
        &s,
        "/v1/auth/recover",
        None,
        json!({"email": acct.email, "recovery_auth_key": rk.keys().auth.to_base64(), "device_name": "new laptop"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let token = v["token"].as_str().expect("token");
    let data = keys::unwrap_data_key(
        &rk.keys().wrap,
        &acct.email,
        WrapPurpose::Recovery,
        v["keys"]["recovery_wrapped_key"]
            .as_str()
            .expect("recovery copy"),
    )
    .expect("the recovery key unwraps the data key");
    assert_eq!(data, acct.data);
    let new_kdf = kdf();
    let new = keys::password_keys("remembered", &new_kdf).expect("argon2");
    let (status, body) = post(
        &s,
        "/v1/account/password",
        Some(token),
        json!({"recovery_auth_key": rk.keys().auth.to_base64(), "new_auth_key": new.auth.to_base64(),
               "kdf": new_kdf,
               "wrapped_key": keys::wrap_data_key(&new.wrap, &acct.email, WrapPurpose::Password, &data).expect("w")}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (data2, _) = sign_in(&s, &acct.email, "remembered")
        .await
        .expect("new password");
    assert_eq!(data2, acct.data);
}

/// The account's recovery columns as stored: the recovery-wrapped data key (decoded) and the
/// recovery key's hash.
async fn recovery_columns(s: &TestServer, email: &str) -> (Vec<u8>, String) {
    sqlx::query_as("SELECT recovery_wrapped_key, recovery_auth_hash FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_one(&mut s.db().await)
        .await
        .expect("account row")
}

async fn recover_with(s: &TestServer, email: &str, rk: &RecoveryKey) -> (u16, Value) {
    post(
        s,
        "/v1/auth/recover",
        None,
        json!({"email": email, "recovery_auth_key": rk.keys().auth.to_base64(), "device_name": "spare laptop"}),
    )
    .await
}

#[tokio::test]
async fn a_new_recovery_key_replaces_the_old_one_which_stops_working() {
    let s = TestServer::start(|_| {}).await;
    let (acct, token) = sign_up(&s, "noa@example.com", "kept password").await;
    let (old_blob, old_hash) = recovery_columns(&s, &acct.email).await;
    let new = keys::new_recovery(&acct.email, &acct.data).expect("new recovery key");
    let body = |auth_key: &Key| {
        json!({"auth_key": auth_key.to_base64(), "recovery_wrapped_key": new.wrapped,
               "recovery_auth_key": new.auth.to_base64()})
    };
    let path = "/v1/account/recovery-key";

    // Refused, and nothing changed: no token, a revoked-looking token, the wrong password,
    // a malformed wrapped key, a short auth key.
    let (status, v) = post(&s, path, None, body(&acct.pw.auth)).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("unauthorized")));
    let (status, v) = post(&s, path, Some("ss1_not-a-token"), body(&acct.pw.auth)).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("unauthorized")));
    let wrong = keys::password_keys("guessed password", &acct.kdf).expect("argon2");
    let (status, v) = post(&s, path, Some(&token), body(&wrong.auth)).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let mut bad = body(&acct.pw.auth);
    bad["recovery_wrapped_key"] = json!("c2hvcnQ=");
    let (status, v) = post(&s, path, Some(&token), bad).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["message"],
        "recovery_wrapped_key must be 40–256 bytes of base64"
    );
    let mut bad = body(&acct.pw.auth);
    bad["recovery_auth_key"] = json!("c2hvcnQ=");
    let (status, _) = post(&s, path, Some(&token), bad).await;
    assert_eq!(status, 400);
    assert_eq!(
        recovery_columns(&s, &acct.email).await,
        (old_blob.clone(), old_hash.clone())
    );
    assert_eq!(recover_with(&s, &acct.email, &acct.recovery).await.0, 200);

    // With the password: 204, the old wrapped copy is gone and the new one is stored.
    let (status, v) = post(&s, path, Some(&token), body(&acct.pw.auth)).await;
    assert_eq!(status, 204, "{v}");
    let (blob, hash) = recovery_columns(&s, &acct.email).await;
    assert_eq!(
        blob,
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &new.wrapped)
            .expect("b64")
    );
    assert_ne!(blob, old_blob, "the old recovery-wrapped key is gone");
    assert_ne!(hash, old_hash);

    // The old recovery key no longer signs in; the new one does and opens the same data key.
    let (status, v) = recover_with(&s, &acct.email, &acct.recovery).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (status, v) = recover_with(&s, &acct.email, &new.key).await;
    assert_eq!(status, 200, "{v}");
    let returned = v["keys"]["recovery_wrapped_key"]
        .as_str()
        .expect("recovery copy");
    assert_eq!(returned, new.wrapped);
    assert_eq!(
        keys::unwrap_data_key(
            &new.key.keys().wrap,
            &acct.email,
            WrapPurpose::Recovery,
            returned
        ),
        Ok(acct.data.clone())
    );
    assert!(keys::unwrap_data_key(
        &acct.recovery.keys().wrap,
        &acct.email,
        WrapPurpose::Recovery,
        returned
    )
    .is_err());
    // An account made without wrapped keys has no recovery key to replace.
    let keyless = s.register("keyless@example.com").await;
    let (status, v) = post(
        &s,
        path,
        Some(&keyless.token),
        json!({"auth_key": common::auth_key("keyless@example.com"),
               "recovery_wrapped_key": new.wrapped, "recovery_auth_key": new.auth.to_base64()}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        v["message"],
        "this account keeps no wrapped data key, so it has no recovery key"
    );
    // The password and this device's sign-in are untouched.
    let (data, _) = sign_in(&s, &acct.email, "kept password")
        .await
        .expect("the password still works");
    assert_eq!(data, acct.data);
    let resp = s
        .http
        .get(s.url("/v1/devices"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("devices");
    assert_eq!(resp.status(), 200);
}

/// sync-core's transport over native reqwest.
struct Http<'a> {
    s: &'a TestServer,
    token: String,
}

async fn answer<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, SyncError> {
    let status = resp.status().as_u16();
    if status < 300 {
        return resp
            .json()
            .await
            .map_err(|e| SyncError::Network(e.to_string()));
    }
    let body: ErrorBody = resp.json().await.unwrap_or_default();
    if status == 412 {
        return Err(SyncError::Conflict(body.conflicts));
    }
    Err(SyncError::Http {
        status,
        code: body.code,
        message: body.message,
        retry_after: None,
    })
}

impl Transport for Http<'_> {
    async fn changes(&self, since: i64, resync: bool) -> Result<ChangesPage, SyncError> {
        let path = format!("/v1/records/changes?since={since}&limit=5&resync={resync}");
        let resp = self
            .s
            .http
            .get(self.s.url(&path))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        answer(resp).await
    }

    async fn batch(&self, changes: Vec<Change>) -> Result<BatchResponse, SyncError> {
        let resp = self
            .s
            .http
            .post(self.s.url("/v1/records/batch"))
            .bearer_auth(&self.token)
            .json(&BatchRequest { changes })
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        answer(resp).await
    }

    async fn rotate(&self, request: RotateKeyRequest) -> Result<BatchResponse, SyncError> {
        let resp = self
            .s
            .http
            .post(self.s.url("/v1/account/data-key"))
            .bearer_auth(&self.token)
            .json(&request)
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        answer(resp).await
    }
}

#[tokio::test]
async fn two_devices_sync_a_wallet_through_the_server_and_the_database_holds_no_plaintext() {
    let s = TestServer::start(|_| {}).await;
    let email = "nia@example.com";
    let (acct, token_a) = sign_up(&s, email, "pw").await;
    let (data_b, token_b) = sign_in(&s, email, "pw").await.expect("b signs in");
    let a_http = Http {
        s: &s,
        token: token_a,
    };
    let b_http = Http {
        s: &s,
        token: token_b,
    };
    let mut doc_a = wallet::from_value(json!({"schema": 2,
        "cards": [{"id": "PLAINTEXT-CARD", "catalogue": "amex-gold", "nickname": "PLAINTEXT-NICK"}],
        "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "123.45", "code": "PLAINTEXT-GIFTCODE"}],
        "memberships": ["plaintext-membership"],
        "settings": {"locale": "en-IN"}}))
    .expect("wallet");
    let (mut st_a, mut st_b) = (SyncState::default(), SyncState::default());
    let sa = Session {
        email,
        data_key: &acct.data,
    };
    let sb = Session {
        email,
        data_key: &data_b,
    };
    let out = sync_round(&a_http, &sa, &mut st_a, &doc_a)
        .await
        .expect("a");
    assert!(out.pushed > 5);
    doc_a = out.doc;
    let out = sync_round(&b_http, &sb, &mut st_b, &WalletDoc::default())
        .await
        .expect("b");
    let mut doc_b = out.doc;
    assert_eq!(doc_b.cards, doc_a.cards);
    assert_eq!(doc_b.gift_cards, doc_a.gift_cards);
    assert_eq!(doc_b.settings.locale.as_deref(), Some("en-IN"));
    // Concurrent edits: a's push wins the race, b merges through a real 412.
    doc_a.gift_cards[0].balance = "100".parse().expect("d");
    doc_b.gift_cards[0].note = "PLAINTEXT-NOTE".into();
    doc_a = sync_round(&a_http, &sa, &mut st_a, &doc_a)
        .await
        .expect("a")
        .doc;
    doc_b = sync_round(&b_http, &sb, &mut st_b, &doc_b)
        .await
        .expect("b")
        .doc;
    doc_a = sync_round(&a_http, &sa, &mut st_a, &doc_a)
        .await
        .expect("a")
        .doc;
    assert_eq!(doc_a.gift_cards, doc_b.gift_cards);
    assert_eq!(doc_a.gift_cards[0].note, "PLAINTEXT-NOTE");
    assert_eq!(doc_a.gift_cards[0].balance.to_string(), "100");

    let dump = common::Cluster::shared().dump(&s.db_url);
    for secret in [
        "PLAINTEXT-",
        "plaintext-membership",
        "amex-gold",
        "123.45",
        "en-IN",
        "amazon.com",
    ] {
        assert!(!dump.contains(secret), "{secret} reached the database");
    }
}

/// Every record row of the account: (collection, id, version, deleted, payload).
async fn record_rows(s: &TestServer) -> Vec<(String, String, i64, bool, Option<Vec<u8>>)> {
    sqlx::query_as("SELECT collection, id, version, deleted, payload FROM records ORDER BY version")
        .fetch_all(&mut s.db().await)
        .await
        .expect("records")
}

/// The account row's keys and counters: (wrapped, recovery wrapped, recovery hash,
/// last_version, tombstone_floor, used_bytes, live_records).
type KeyRow = (Vec<u8>, Vec<u8>, String, i64, i64, i64, i64);

async fn key_row(s: &TestServer, email: &str) -> KeyRow {
    sqlx::query_as(
        "SELECT wrapped_key, recovery_wrapped_key, recovery_auth_hash, last_version,
                tombstone_floor, used_bytes, live_records FROM accounts WHERE email = $1",
    )
    .bind(email)
    .fetch_one(&mut s.db().await)
    .await
    .expect("account row")
}

fn opens(key: &Key, email: &str, collection: &str, id: &str, payload: &[u8]) -> bool {
    keys::open(key, &keys::record_ad(email, collection, id), payload).is_ok()
}

#[tokio::test]
async fn a_new_data_key_reseals_every_record_and_leaves_the_old_keys_nothing() {
    let s = TestServer::start(|_| {}).await;
    let email = "rotating@example.com";
    let (acct, token_a) = sign_up(&s, email, "pw").await;
    let (_, token_b) = sign_in(&s, email, "pw").await.expect("b signs in");
    let a_http = Http {
        s: &s,
        token: token_a.clone(),
    };
    let old = Session {
        email,
        data_key: &acct.data,
    };
    let mut doc = wallet::from_value(json!({"schema": 2,
        "cards": [{"id": "c1", "catalogue": "amex-gold", "nickname": "PLAINTEXT-NICK"}],
        "gift_cards": [{"id": "g1", "merchant": "amazon.com", "balance": "5", "code": "PLAINTEXT-CODE"},
                       {"id": "g2", "merchant": "amazon.com", "balance": "9"}]}))
    .expect("wallet");
    let mut state = SyncState::default();
    doc = sync_round(&a_http, &old, &mut state, &doc)
        .await
        .expect("a")
        .doc;
    // A deleted entry leaves a tombstone (whose id is an HMAC under the old key).
    doc.gift_cards.retain(|g| g.id != "g2");
    doc = sync_round(&a_http, &old, &mut state, &doc)
        .await
        .expect("delete")
        .doc;
    let before = record_rows(&s).await;
    assert!(before.iter().any(|r| r.3), "a tombstone before");
    let live_before = before.iter().filter(|r| !r.3).count();
    let (.., last_before, _, used_before, _) = key_row(&s, email).await;
    let (_, old_page) = Device::new(&s, &token_a).changes("since=0").await;
    let old_cursor = old_page["cursor"].as_i64().expect("cursor");

    let new = keys::new_data_key(email, &acct.pw.wrap).expect("new key");
    let mut state = rotate_data_key(&a_http, &old, &new, &acct.pw.auth.to_base64(), &state)
        .await
        .expect("rotated");

    // Every live record re-sealed under a new id; the old rows, tombstones included, gone.
    let after = record_rows(&s).await;
    assert_eq!(after.len(), live_before);
    assert!(after.iter().all(|r| !r.3));
    for (collection, id, version, _, payload) in &after {
        assert!(before.iter().all(|b| &b.1 != id), "{id} is new");
        assert!(*version > last_before);
        let payload = payload.as_deref().expect("payload");
        assert!(opens(&new.data, email, collection, id, payload));
        assert!(
            !opens(&acct.data, email, collection, id, payload),
            "the old key opens nothing"
        );
    }
    let (wrapped, recovery_wrapped, _, last, floor, used, live) = key_row(&s, email).await;
    let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
    assert_eq!(
        (b64(&wrapped), b64(&recovery_wrapped)),
        (new.wrapped.clone(), new.recovery.wrapped.clone())
    );
    assert_eq!(
        last,
        last_before + i64::try_from(live_before).expect("small")
    );
    assert_eq!(
        floor,
        last_before + 1,
        "every old cursor is below the floor"
    );
    assert_eq!(live, i64::try_from(live_before).expect("small"));
    let sum: i64 = after
        .iter()
        .map(|r| r.4.as_ref().map_or(0, |p| p.len() as i64))
        .sum();
    assert_eq!(used, sum);
    assert_eq!(used, used_before, "padded sizes do not change with the key");
    assert_eq!(state.cursor, last);

    // Every other device is signed out; this one goes on, its old cursor refused.
    let b = Device::new(&s, &token_b);
    assert_eq!(b.changes("since=0").await.0, 401);
    assert_eq!(
        b.batch(json!([common::put("wallet", "x", 0, "y")])).await.0,
        401
    );
    let a = Device::new(&s, &token_a);
    let (status, v) = a.changes(&format!("since={old_cursor}")).await;
    assert_eq!((status, v["code"].as_str()), (410, Some("cursor_too_old")));
    let out = sync_round(
        &a_http,
        &Session {
            email,
            data_key: &new.data,
        },
        &mut state,
        &doc,
    )
    .await
    .expect("a with the new key");
    assert_eq!((out.pulled, out.pushed), (0, 0));
    assert_eq!(out.doc, doc);

    // The old recovery key no longer signs in; the new one does and opens the new data key;
    // the password's copy opens it too.
    assert_eq!(recover_with(&s, email, &acct.recovery).await.0, 401);
    let (status, v) = recover_with(&s, email, &new.recovery.key).await;
    assert_eq!(status, 200, "{v}");
    let copy = v["keys"]["recovery_wrapped_key"].as_str().expect("copy");
    assert_eq!(
        keys::unwrap_data_key(
            &new.recovery.key.keys().wrap,
            email,
            WrapPurpose::Recovery,
            copy
        ),
        Ok(new.data.clone())
    );
    let (data, token_c) = sign_in(&s, email, "pw")
        .await
        .expect("the password signs in");
    assert_eq!(data, new.data);
    // A device signing in now reads the same wallet with the new key.
    let c_http = Http {
        s: &s,
        token: token_c,
    };
    let out = sync_round(
        &c_http,
        &Session {
            email,
            data_key: &data,
        },
        &mut SyncState::default(),
        &WalletDoc::default(),
    )
    .await
    .expect("c");
    assert_eq!(out.doc.cards, doc.cards);
    assert_eq!(out.doc.gift_cards, doc.gift_cards);
    let dump = common::Cluster::shared().dump(&s.db_url);
    assert!(!dump.contains("PLAINTEXT-"));
}

#[tokio::test]
async fn a_data_key_rotation_is_all_or_nothing_and_checks_everything_first() {
    let s = TestServer::start(|c| c.quota_bytes = 4_000).await;
    let email = "careful@example.com";
    let (acct, token) = sign_up(&s, email, "pw").await;
    let (_, other_device) = sign_in(&s, email, "pw").await.expect("second device");
    let a = Device::new(&s, &token);
    let (status, _) = a
        .batch(json!([
            {"collection": "wallet", "id": "r1", "base_version": 0, "payload": b64(&[1; 1000])},
            {"collection": "settings", "id": "r2", "base_version": 0, "payload": b64(&[2; 1000])},
            {"collection": "wallet", "id": "r3", "base_version": 0, "payload": b64(&[3; 1000])}
        ]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        a.batch(json!([common::tombstone("wallet", "r3", 3)]))
            .await
            .0,
        200
    );
    let new = keys::new_data_key(email, &acct.pw.wrap).expect("new key");
    let record = |id: &str, collection: &str, size: usize| SealedRecord {
        collection: collection.into(),
        id: id.into(),
        payload: b64(&vec![9; size]),
    };
    let body = |auth: &Key, base_latest: i64, records: Vec<SealedRecord>| {
        serde_json::to_value(RotateKeyRequest {
            auth_key: auth.to_base64(),
            wrapped_key: new.wrapped.clone(),
            recovery_wrapped_key: new.recovery.wrapped.clone(),
            recovery_auth_key: new.recovery.auth.to_base64(),
            base_latest,
            records,
        })
        .expect("json")
    };
    let good = || vec![record("n1", "wallet", 1000), record("n2", "settings", 1000)];
    let path = "/v1/account/data-key";
    let rows = record_rows(&s).await;
    let keys_before = key_row(&s, email).await;
    let wrong = keys::password_keys("guessed", &acct.kdf).expect("argon2");
    let mut dup = good();
    dup[1].collection = "wallet".into();
    dup[1].id = "n1".into();
    let mut bad_id = good();
    bad_id[0].id = "not/an/id".into();
    let mut bad_collection = good();
    bad_collection[0].collection = "secrets".into();
    let mut not_base64 = good();
    not_base64[0].payload = "***".into();
    let cases = [
        (None, body(&acct.pw.auth, 4, good()), 401, "unauthorized"),
        (
            Some(token.as_str()),
            body(&wrong.auth, 4, good()),
            401,
            "invalid_credentials",
        ),
        // Another write since the read (the latest version is 4).
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 3, good()),
            412,
            "conflict",
        ),
        // A record left out would stay readable with the old key (or be lost).
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 4, good()[..1].to_vec()),
            400,
            "invalid_request",
        ),
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 4, dup),
            400,
            "invalid_request",
        ),
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 4, bad_id),
            400,
            "invalid_request",
        ),
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 4, bad_collection),
            400,
            "invalid_request",
        ),
        (
            Some(token.as_str()),
            body(&acct.pw.auth, 4, not_base64),
            400,
            "invalid_request",
        ),
        (
            Some(token.as_str()),
            body(&acct.pw.auth, -1, good()),
            400,
            "invalid_request",
        ),
        // Growing past the quota (4 000 bytes; 2 000 used).
        (
            Some(token.as_str()),
            body(
                &acct.pw.auth,
                4,
                vec![record("n1", "wallet", 3000), record("n2", "wallet", 1500)],
            ),
            413,
            "quota_exceeded",
        ),
    ];
    for (i, (token, body, status, code)) in cases.into_iter().enumerate() {
        let (got, v) = post(&s, path, token, body).await;
        assert_eq!(
            (got, v["code"].as_str()),
            (status, Some(code)),
            "case {i}: {v}"
        );
        assert_eq!(record_rows(&s).await, rows, "case {i}: records untouched");
        assert_eq!(
            key_row(&s, email).await,
            keys_before,
            "case {i}: keys untouched"
        );
    }
    assert_eq!(
        Device::new(&s, &other_device).changes("since=0").await.0,
        200,
        "still signed in"
    );

    // The same request with the right precondition applies at once, in request order.
    let (status, v) = post(&s, path, Some(&token), body(&acct.pw.auth, 4, good())).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["latest"], 6);
    assert_eq!(
        v["written"],
        json!([
        {"collection": "wallet", "id": "n1", "version": 5},
        {"collection": "settings", "id": "n2", "version": 6}])
    );
    let ids: Vec<_> = record_rows(&s)
        .await
        .into_iter()
        .map(|r| (r.1, r.2))
        .collect();
    assert_eq!(ids, [("n1".to_string(), 5), ("n2".to_string(), 6)]);
    assert_eq!(
        Device::new(&s, &other_device).changes("since=0").await.0,
        401
    );
    // Sent again (an answer lost on the way): the precondition no longer holds.
    let (status, _) = post(&s, path, Some(&token), body(&acct.pw.auth, 4, good())).await;
    assert_eq!(status, 412);
    // An account without records rotates too; its versions still move past the old ones.
    let (acct2, token2) = sign_up(&s, "empty@example.com", "pw").await;
    let new2 = keys::new_data_key("empty@example.com", &acct2.pw.wrap).expect("key");
    let (status, v) = post(
        &s,
        path,
        Some(&token2),
        serde_json::to_value(RotateKeyRequest {
            auth_key: acct2.pw.auth.to_base64(),
            wrapped_key: new2.wrapped.clone(),
            recovery_wrapped_key: new2.recovery.wrapped.clone(),
            recovery_auth_key: new2.recovery.auth.to_base64(),
            base_latest: 0,
            records: Vec::new(),
        })
        .expect("json"),
    )
    .await;
    assert_eq!(
        (status, &v["written"], &v["latest"]),
        (200, &json!([]), &json!(1)),
        "{v}"
    );
}

fn b64(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

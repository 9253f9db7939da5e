//! The client's key scheme against the real server (sync-core's crypto, real Postgres):
//! wrapped data keys kept at sign-up and returned at login, password change that swaps the
//! auth key and the wrapped key at once, recovery with the recovery key, and whole sync rounds
//! of two devices with a database dump that holds no plaintext.

mod common;

use common::TestServer;
use engine::wallet::{self, WalletDoc};
use serde_json::{json, Value};
use sync_core::client::{sync_round, Session, SyncError, SyncState, Transport};
use sync_core::keys::{self, KdfParams, Key, PasswordKeys, RecoveryKey, WrapPurpose};
use sync_core::wire::{BatchRequest, BatchResponse, Change, ChangesPage, ErrorBody};

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

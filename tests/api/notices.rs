//! Live change notices: announced from the committing transaction only,
//! delivered over Server-Sent Events, recovered after the listening
//! connection dies. And the reverse-proxy headers, believed only from a
//! trusted proxy.

use crate::common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use common::{reply, Events, Reply, TestApp, PASSWORD};

impl Events {
    /// The next `change` that is not about an older version: the card's own
    /// creation may still be on its way when a test starts watching.
    async fn change_to(&mut self, version: i64, limit: Duration) -> Value {
        loop {
            let (event, notice) = self.next(limit).await;
            assert_eq!(event, "change", "{notice}");
            if notice["version"].as_i64().is_some_and(|v| v < version) {
                continue;
            }
            assert_eq!(notice["version"], version, "{notice}");
            return notice;
        }
    }
}

async fn new_card(app: &TestApp, cookie: &str) -> Value {
    let created = app.api(common::client_with_cookie(cookie)).post("/api/cards", json!({ "name": "Live card" })).await;
    assert_eq!(created.status, StatusCode::CREATED);
    created.body
}

async fn edit_card(app: &TestApp, cookie: &str, card: &Value, version: i64) -> StatusCode {
    let path = format!("/api/cards/{}", card["id"].as_str().unwrap());
    let edit = json!({ "version": version, "tagline": format!("Edit {version}") });
    app.api(common::client_with_cookie(cookie)).patch(&path, edit).await.status
}

/// Waits until the app's listening connection is in place (it starts in
/// the background with the app).
async fn listener_pid(pool: &PgPool) -> i32 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND query = 'LISTEN \"lockstep_changes\"'",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            return pid;
        }
        assert!(tokio::time::Instant::now() < deadline, "the app never started listening");
        tokio::task::yield_now().await;
    }
}

#[sqlx::test]
async fn only_committed_changes_are_announced(pool: PgPool) {
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen("lockstep_changes").await.unwrap();
    let audit =
        "INSERT INTO audit_log (entity, entity_id, action, new_version) VALUES ('business_card', $1, 'update', 2)";

    let mut rolled_back = pool.begin().await.unwrap();
    sqlx::query(audit).bind("rolled-back").execute(&mut *rolled_back).await.unwrap();
    rolled_back.rollback().await.unwrap();
    let mut committed = pool.begin().await.unwrap();
    sqlx::query(audit).bind("committed").execute(&mut *committed).await.unwrap();
    committed.commit().await.unwrap();

    // Notices arrive in commit order: the first one is the committed change.
    let notice = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await.unwrap().unwrap();
    let notice: Value = serde_json::from_str(notice.payload()).unwrap();
    assert_eq!(notice["id"], "committed");
    assert_eq!(notice["version"], 2);
    assert_eq!(notice["by"], "someone");
    // Kinds of record nobody watches are not announced at all.
    sqlx::query("INSERT INTO audit_log (entity, entity_id, action, new_version) VALUES ('request', 'r1', 'create', 1)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(audit).bind("last").execute(&pool).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await.unwrap().unwrap();
    assert!(next.payload().contains("\"last\""), "{}", next.payload());
}

#[sqlx::test]
async fn a_save_reaches_another_device_watching_the_card(pool: PgPool) {
    let app = common::spawn(pool.clone()).await;
    let cookie = common::signed_in_cookie(&app, "ada@example.com").await;
    let other_device = common::session_cookie(&app, "ada@example.com").await;
    let card = new_card(&app, &cookie).await;
    listener_pid(&pool).await;
    let mut events =
        Events::open(&app, &other_device, &format!("business_card:{}", card["id"].as_str().unwrap())).await;

    assert_eq!(edit_card(&app, &cookie, &card, 1).await, StatusCode::OK);
    let notice = events.change_to(2, Duration::from_secs(2)).await;
    assert_eq!(notice["entity"], "business_card");
    assert_eq!(notice["id"], card["id"]);
    assert_eq!(notice["by"], "Test User");
    // A conflicting save changes nothing and announces nothing: the next
    // notice is the next real save.
    assert_eq!(edit_card(&app, &cookie, &card, 1).await, StatusCode::CONFLICT);
    assert_eq!(edit_card(&app, &cookie, &card, 2).await, StatusCode::OK);
    let notice = events.change_to(3, Duration::from_secs(2)).await;
    assert!(notice.get("tagline").is_none(), "notices never carry the data");
}

#[sqlx::test]
async fn a_killed_listening_connection_is_replaced_and_watchers_told_to_refetch(pool: PgPool) {
    let app = common::spawn(pool.clone()).await;
    let cookie = common::signed_in_cookie(&app, "ada@example.com").await;
    let card = new_card(&app, &cookie).await;
    let pid = listener_pid(&pool).await;
    let mut events = Events::open(&app, &cookie, &format!("business_card:{}", card["id"].as_str().unwrap())).await;

    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&pool).await.unwrap();
    assert!(killed);
    // (The card's creation notice may come first.)
    let mut event = events.next(Duration::from_secs(10)).await;
    if event.0 == "change" && event.1["version"] == 1 {
        event = events.next(Duration::from_secs(10)).await;
    }
    assert_eq!(event.0, "resync", "the gap is covered by a refetch");
    assert_ne!(listener_pid(&pool).await, pid, "a new listening connection");

    assert_eq!(edit_card(&app, &cookie, &card, 1).await, StatusCode::OK);
    events.change_to(2, Duration::from_secs(2)).await;
}

#[sqlx::test]
async fn watching_needs_a_session_and_staff_records_need_staff(pool: PgPool) {
    let app = common::spawn(pool).await;
    let anonymous = reqwest::Client::new().get(app.url("/api/events?watch=business_card:x"));
    assert_eq!(anonymous.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let member = common::client_with_cookie(&common::signed_in_cookie(&app, "member@example.com").await);
    let watch = |topics: &str| member.get(app.url(&format!("/api/events?watch={topics}"))).send();
    assert_eq!(watch("client:*").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(watch("users:*").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(watch("business_card").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Signs in to a new account through `app` with the headers a proxy adds
/// for a visitor from 203.0.113.9 over HTTPS: the answer, and the address
/// the new device was recorded from.
async fn log_in_forwarded(app: &TestApp, email: &str) -> (Reply, Option<String>) {
    app.create_user(email, PASSWORD, server::accounts::Role::Member).await;
    let login = reply(
        reqwest::Client::new()
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", "203.0.113.9")
            .header("X-Forwarded-Proto", "https")
            .json(&json!({ "email": email, "password": PASSWORD })),
    )
    .await;
    let ip = sqlx::query_scalar("SELECT d.ip FROM devices d JOIN users u ON u.id = d.user_id WHERE u.email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (login, ip)
}

#[sqlx::test]
async fn forwarded_headers_count_only_from_a_trusted_proxy(pool: PgPool) {
    let behind_proxy = common::spawn_with_trusted_proxies(pool.clone(), vec![[127, 0, 0, 1].into()]).await;
    let (login, ip) = log_in_forwarded(&behind_proxy, "proxied@example.com").await;
    assert_eq!(login.status, StatusCode::OK);
    let cookie = login.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert_eq!(ip.as_deref(), Some("203.0.113.9"));

    // The same headers from anyone else are ignored.
    let direct = common::spawn(pool.clone()).await;
    let (login, ip) = log_in_forwarded(&direct, "direct@example.com").await;
    let cookie = login.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
}

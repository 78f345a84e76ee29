//! Each instance answers who is asking from memory (`server::session_cache`);
//! these tests run three instances on one database and show that whatever
//! ends a session or changes an account on one instance is refused on the
//! very next request to another, and that an instance that lost its
//! listening connection stops trusting what it remembers.

use std::time::Duration;

use reqwest::StatusCode;
use server::accounts::Role;
use server::notices::Event;

use crate::common::{self, client_with_cookie, TestApp, PASSWORD};

/// Three instances on one database, each listening for notices.
async fn three_instances(pool: sqlx::PgPool) -> [TestApp; 3] {
    let apps = [common::spawn(pool.clone()).await, common::spawn(pool.clone()).await, common::spawn(pool).await];
    for app in &apps {
        tokio::time::timeout(Duration::from_secs(10), app.hub.sessions().until_listening())
            .await
            .expect("the instance listens for notices");
    }
    for app in &apps {
        tokio::time::timeout(Duration::from_secs(10), app.hub.until_peers(2))
            .await
            .expect("each instance knows the other two");
    }
    apps
}

/// Asks every instance twice who `client` is, so each remembers it.
async fn warm(apps: &[TestApp], client: &reqwest::Client) {
    for app in apps {
        for _ in 0..2 {
            assert_eq!(app.me(client).await, StatusCode::OK);
        }
    }
}

async fn other_device_id(app: &TestApp, client: &reqwest::Client) -> String {
    let body = app.server_fn_ok(client, "list_devices", &[]).await;
    let devices = body.as_array().expect("a list");
    let other = devices.iter().find(|device| device["this_device"] == false).expect("another device");
    other["device"]["id"].as_str().expect("an id").to_owned()
}

/// Ada signed in on `a` from a laptop and a phone, the phone's session
/// already cached by the `others`.
async fn laptop_and_phone_signed_in(a: &TestApp, others: &[TestApp]) -> (reqwest::Client, reqwest::Client) {
    a.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let (laptop, phone) = (a.device(), a.device());
    assert_eq!(a.api_login(&laptop, "ada@example.com", PASSWORD).await, StatusCode::OK);
    assert_eq!(a.api_login(&phone, "ada@example.com", PASSWORD).await, StatusCode::OK);
    warm(others, &phone).await;
    (laptop, phone)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_log_out_on_one_instance_is_refused_at_once_on_the_others(pool: sqlx::PgPool) {
    let [a, b, c] = three_instances(pool).await;
    let cookie = common::signed_in_cookie(&a, "ada@example.com").await;
    let client = client_with_cookie(&cookie);
    warm(&[a.clone(), b.clone(), c.clone()], &client).await;

    let logout = client.post(a.url("/api/auth/logout")).send().await.expect("log out");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    assert_eq!(c.me(&client).await, StatusCode::UNAUTHORIZED, "the old cookie on another instance");
    assert_eq!(b.me(&client).await, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_device_revoked_on_one_instance_is_refused_at_once_on_the_others(pool: sqlx::PgPool) {
    let [a, b, c] = three_instances(pool).await;
    let (laptop, phone) = laptop_and_phone_signed_in(&a, &[b.clone(), c.clone()]).await;

    let phone_id = other_device_id(&a, &laptop).await;
    a.server_fn_ok(&laptop, "revoke_device", &[("id", &phone_id)]).await;

    assert_eq!(c.me(&phone).await, StatusCode::UNAUTHORIZED, "the revoked phone on another instance");
    assert_eq!(b.me(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(c.me(&laptop).await, StatusCode::OK, "the laptop stays signed in");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_password_changed_on_one_instance_signs_the_other_devices_out_at_once_everywhere(pool: sqlx::PgPool) {
    let [a, b, c] = three_instances(pool).await;
    let (laptop, phone) = laptop_and_phone_signed_in(&a, &[b.clone(), c.clone()]).await;

    let form = [("current_password", PASSWORD), ("new_password", "a new passphrase")];
    a.server_fn_ok(&laptop, "change_password", &form).await;

    assert_eq!(c.me(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(b.me(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(c.me(&laptop).await, StatusCode::OK, "the device that changed it continues");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_role_taken_away_on_one_instance_is_refused_at_once_on_the_others(pool: sqlx::PgPool) {
    let [a, b, c] = three_instances(pool).await;
    a.create_user("admin@example.com", PASSWORD, Role::Admin).await;
    let admin = a.device();
    assert_eq!(a.api_login(&admin, "admin@example.com", PASSWORD).await, StatusCode::OK);
    a.create_user("staff@example.com", PASSWORD, Role::Staff).await;
    let staff = a.device();
    assert_eq!(a.api_login(&staff, "staff@example.com", PASSWORD).await, StatusCode::OK);
    for app in [&b, &c] {
        for _ in 0..2 {
            let lookup = staff.get(app.url("/api/clients/nobody")).send().await.expect("look up a client");
            assert_eq!(lookup.status(), StatusCode::NOT_FOUND, "staff may look clients up");
        }
    }

    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'staff@example.com'")
        .fetch_one(&a.pool)
        .await
        .expect("the staff account");
    let form = [
        ("id", id.to_string()),
        ("version", "1".to_owned()),
        ("role", "member".to_owned()),
        ("enabled", "on".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.server_fn_ok(&admin, "set_access", &form).await;

    for app in [&c, &b] {
        let lookup = staff.get(app.url("/api/clients/nobody")).send().await.expect("look up a client");
        assert_eq!(lookup.status(), StatusCode::FORBIDDEN, "a member now, on {}", app.address);
        assert_eq!(app.me(&staff).await, StatusCode::OK, "still signed in, as a member");
    }
}

/// What a lost listening connection costs: notices sent meanwhile are
/// missed, so nothing remembered before may be trusted after it. The
/// missed notice is made real by deleting a device row with its notice
/// switched off; the instance, warm, still answers from memory until its
/// listener is cut and comes back.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_instance_that_lost_its_listener_asks_the_database_again(pool: sqlx::PgPool) {
    let [a, _, _] = three_instances(pool.clone()).await;
    let cookie = common::signed_in_cookie(&a, "ada@example.com").await;
    let client = client_with_cookie(&cookie);
    warm(std::slice::from_ref(&a), &client).await;

    let mut conn = pool.acquire().await.expect("a connection");
    sqlx::query("ALTER TABLE devices DISABLE TRIGGER devices_announce_end").execute(&mut *conn).await.expect("off");
    sqlx::query("DELETE FROM devices").execute(&mut *conn).await.expect("delete the device unannounced");
    sqlx::query("ALTER TABLE devices ENABLE TRIGGER devices_announce_end").execute(&mut *conn).await.expect("on");
    assert_eq!(a.me(&client).await, StatusCode::OK, "the warm instance answers from memory");

    let mut events = a.hub.subscribe();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("cut the listening connections");
    assert_eq!(cut, 3, "one listener per instance");
    let resynced = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Event::Resync) = events.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(resynced.is_ok(), "the listener came back");

    assert_eq!(a.me(&client).await, StatusCode::UNAUTHORIZED, "asked the database, which has no such device");
}

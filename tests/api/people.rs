//! First-run setup, administrators managing people, and reset links, over
//! real HTTP against a real PostgreSQL.

use std::time::Duration;

use reqwest::StatusCode;
use server::accounts::Role;
use uuid::Uuid;

use crate::common::{self, Events, TestApp, PASSWORD};

/// A page as a browser without JavaScript gets it: status and HTML.
async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.device().get(app.url(path)).send().await.expect("request");
    (response.status(), response.text().await.expect("a body"))
}

async fn admins(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin'").fetch_one(&app.pool).await.expect("count")
}

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(&app.pool).await.expect("user")
}

async fn version(app: &TestApp, email: &str) -> i32 {
    sqlx::query_scalar("SELECT version FROM users WHERE email = $1").bind(email).fetch_one(&app.pool).await.expect("v")
}

/// A signed-in admin (a new account), as a client with its own cookie jar.
async fn signed_in_admin(app: &TestApp, email: &str) -> reqwest::Client {
    app.create_user(email, PASSWORD, Role::Admin).await;
    let client = app.device();
    assert_eq!(app.api_login(&client, email, PASSWORD).await, StatusCode::OK);
    client
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn twenty_simultaneous_setups_make_one_administrator_and_close_the_page(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    // Two instances started: each printed its own link, and either works.
    let first = server::setup::issue_token(&app.pool).await.expect("issue").expect("no admin yet");
    let second = server::setup::issue_token(&app.pool).await.expect("issue").expect("no admin yet");
    let results = common::at_once(20, |i| {
        let (app, client) = (app.clone(), app.device());
        let token = if i % 2 == 0 { first.clone() } else { second.clone() };
        async move {
            let email = format!("admin{i}@example.com");
            let form = [("token", token.as_str()), ("display_name", "Ada"), ("email", &email), ("password", PASSWORD)];
            app.server_fn(&client, "create_first_admin", &form).await
        }
    })
    .await;
    let created = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    assert_eq!(created, 1, "exactly one setup succeeds: {results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != StatusCode::OK) {
        assert_eq!(*status, StatusCode::NOT_FOUND, "the others find the page closed: {body}");
    }
    assert_eq!(admins(&app).await, 1);
    let winner = results.iter().find(|(status, _)| *status == StatusCode::OK).map(|(_, body)| body.clone());
    assert_eq!(winner.expect("a winner")["role"], "admin");

    // Gone for good: the page, the tokens, and no new token is issued.
    for token in [&first, &second] {
        let shown = page(&app, &format!("/setup?token={token}")).await;
        assert_eq!(shown.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(server::setup::issue_token(&app.pool).await.expect("issue"), None);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM setup_tokens").fetch_one(&app.pool).await.expect("count");
    assert_eq!(left, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_setup_page_is_refused_without_its_token(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let token = server::setup::issue_token(&app.pool).await.expect("issue").expect("no admin yet");
    for path in ["/setup".to_owned(), "/setup?token=".to_owned(), format!("/setup?token={}", "0".repeat(64))] {
        let shown = page(&app, &path).await;
        assert_eq!(shown.0, StatusCode::FORBIDDEN, "{path}");
        assert!(shown.1.contains("This setup link is not valid"), "{path}");
    }
    let shown = page(&app, &format!("/setup?token={token}")).await;
    assert_eq!(shown.0, StatusCode::OK);
    assert!(shown.1.contains("Create the administrator"));

    let form = [("token", "wrong"), ("display_name", "Mallory"), ("email", "m@example.com"), ("password", PASSWORD)];
    let (status, _) = app.server_fn(&app.device(), "create_first_admin", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(admins(&app).await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn disabling_an_account_signs_it_out_everywhere_at_once(pool: sqlx::PgPool) {
    let app_a = common::spawn(pool.clone()).await;
    let app_c = common::spawn(pool).await;
    let admin = signed_in_admin(&app_a, "admin@example.com").await;
    app_a.create_user("staff@example.com", PASSWORD, Role::Staff).await;
    let laptop = common::session_cookie(&app_a, "staff@example.com").await;
    let phone = common::session_cookie(&app_c, "staff@example.com").await;
    let mut events = Events::open(&app_c, &phone, "client:*").await;

    let id = user_id(&app_a, "staff@example.com").await.to_string();
    let form = [("id", id.as_str()), ("version", "1"), ("role", "staff")];
    let disabled = app_a.server_fn_ok(&admin, "set_access", &form).await;
    assert!(disabled["disabled_at"].is_string(), "{disabled}");
    assert_eq!(disabled["version"], 2);
    assert_eq!(disabled["sessions"], 0);

    for (app, cookie) in [(&app_a, &laptop), (&app_c, &phone)] {
        assert_eq!(app.me(&common::client_with_cookie(cookie)).await, StatusCode::UNAUTHORIZED);
    }
    assert!(events.end_within(Duration::from_secs(10)).await.is_some(), "the live stream ends with the account");
    let login = app_a.login(&reqwest::Client::new(), "staff@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(login.body.to_string().contains("disabled"), "{}", login.body);

    let form = [("id", id.as_str()), ("version", "2"), ("role", "staff"), ("enabled", "on")];
    app_a.server_fn_ok(&admin, "set_access", &form).await;
    assert_eq!(app_a.api_login(&reqwest::Client::new(), "staff@example.com", PASSWORD).await, StatusCode::OK);
    let audited: Vec<(Option<i32>, Option<i32>)> = sqlx::query_as(
        "SELECT old_version, new_version FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND action = 'update' ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&app_a.pool)
    .await
    .expect("audit");
    assert_eq!(audited, vec![(Some(1), Some(2)), (Some(2), Some(3))]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_role_change_from_a_stale_page_is_a_conflict(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let (first, second) = (signed_in_admin(&app, "a@example.com").await, signed_in_admin(&app, "b@example.com").await);
    app.create_user("member@example.com", PASSWORD, Role::Member).await;
    let id = user_id(&app, "member@example.com").await.to_string();
    // Both loaded the list at version 1 and submit at once.
    let results = common::at_once(2, |i| {
        let (app, client) = (app.clone(), if i == 0 { first.clone() } else { second.clone() });
        let (id, role) = (id.clone(), if i == 0 { "staff" } else { "counselor" });
        async move {
            let form = [("id", id.as_str()), ("version", "1"), ("role", role), ("enabled", "on")];
            app.server_fn(&client, "set_access", &form).await
        }
    })
    .await;
    let statuses: Vec<StatusCode> = results.iter().map(|(status, _)| *status).collect();
    assert!(statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT), "{results:?}");
    let (_, conflict) = results.iter().find(|(status, _)| *status == StatusCode::CONFLICT).expect("a conflict");
    let current = &conflict["VersionConflict"]["current"];
    assert_eq!(current["version"], 2, "the 409 carries the account as stored: {conflict}");
    assert_eq!(version(&app, "member@example.com").await, 2);

    // Nor may an admin change their own account, nor a non-admin anyone's.
    let me = user_id(&app, "a@example.com").await.to_string();
    let (status, _) = app.server_fn(&first, "set_access", &[("id", &me), ("version", "1"), ("role", "member")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let staff = common::signed_in_staff(&app).await;
    let form = [("id", id.as_str()), ("version", "2"), ("role", "admin"), ("enabled", "on")];
    assert_eq!(app.server_fn(&staff.http, "set_access", &form).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.server_fn(&staff.http, "list_people", &[("search", "")]).await.0, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_admins_demoting_each_other_at_once_leave_one_admin(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    for round in 0..5 {
        let (a, b) = (format!("a{round}@example.com"), format!("b{round}@example.com"));
        let clients = [signed_in_admin(&app, &a).await, signed_in_admin(&app, &b).await];
        let targets = [user_id(&app, &b).await.to_string(), user_id(&app, &a).await.to_string()];
        let results = common::at_once(2, |i| {
            let (app, client, target) = (app.clone(), clients[i].clone(), targets[i].clone());
            async move {
                let form = [("id", target.as_str()), ("version", "1"), ("role", "member"), ("enabled", "on")];
                app.server_fn(&client, "set_access", &form).await
            }
        })
        .await;
        let statuses: Vec<StatusCode> = results.iter().map(|(status, _)| *status).collect();
        assert!(statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::FORBIDDEN), "{results:?}");
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND email = ANY($1)")
            .bind(vec![a, b])
            .fetch_one(&app.pool)
            .await
            .expect("count");
        assert_eq!(left, 1, "round {round}");
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_reset_link_works_once_and_signs_out_the_old_sessions(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let admin = signed_in_admin(&app, "admin@example.com").await;
    let old_session = common::signed_in_cookie(&app, "member@example.com").await;
    let id = user_id(&app, "member@example.com").await.to_string();

    let replaced = app.server_fn_ok(&admin, "issue_reset_link", &[("id", &id)]).await;
    let link = app.server_fn_ok(&admin, "issue_reset_link", &[("id", &id)]).await;
    let token = link["token"].as_str().expect("a token").to_owned();
    let url = link["url"].as_str().expect("a url");
    assert!(url.starts_with(&app.address) && url.ends_with(&format!("/reset-password?token={token}")), "{url}");
    let shown = page(&app, &format!("/reset-password?token={}", replaced["token"].as_str().unwrap())).await;
    assert_eq!(shown.0, StatusCode::NOT_FOUND, "a newer link replaces the older one");
    let shown = page(&app, &format!("/reset-password?token={token}")).await;
    assert_eq!(shown.0, StatusCode::OK);
    assert!(shown.1.contains("member@example.com"));

    let new_password = "a brand new passphrase";
    let results =
        common::at_once(5, |_| {
            let (app, client, token) = (app.clone(), app.device(), token.clone());
            async move {
                app.server_fn(&client, "reset_password", &[("token", &token), ("new_password", new_password)]).await
            }
        })
        .await;
    let statuses: Vec<StatusCode> = results.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{results:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::NOT_FOUND).count(), 4, "{results:?}");

    assert_eq!(app.me(&common::client_with_cookie(&old_session)).await, StatusCode::UNAUTHORIZED);
    // Signed out by its devices going (which also ends live streams), not
    // only by the session no longer matching the new password hash: the
    // one device left is the one the reset itself signed in.
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM devices WHERE user_id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .expect("count devices");
    assert_eq!(devices, 1, "the old device is gone");
    assert_eq!(app.api_login(&reqwest::Client::new(), "member@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api_login(&reqwest::Client::new(), "member@example.com", new_password).await, StatusCode::OK);
    let shown = page(&app, &format!("/reset-password?token={token}")).await;
    assert_eq!(shown.0, StatusCode::NOT_FOUND, "used up");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn people_are_found_by_name_or_email(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let admin = signed_in_admin(&app, "admin@example.com").await;
    app.create_user("grace@example.com", PASSWORD, Role::Staff).await;
    app.create_user("linus@example.com", PASSWORD, Role::Member).await;
    let found = app.server_fn_ok(&admin, "list_people", &[("search", "GRACE")]).await;
    let emails: Vec<&str> = found.as_array().expect("a list").iter().map(|p| p["email"].as_str().unwrap()).collect();
    assert_eq!(emails, vec!["grace@example.com"]);
    // `%` and `_` are searched for, not wildcards.
    assert_eq!(app.server_fn_ok(&admin, "list_people", &[("search", "%")]).await, serde_json::json!([]));
    let all = app.server_fn_ok(&admin, "list_people", &[("search", "")]).await;
    assert_eq!(all.as_array().expect("a list").len(), 3);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn setup_links_expire_and_go_once_an_administrator_exists_any_way(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let old = server::setup::issue_token(&app.pool).await.expect("issue").expect("no admin yet");
    sqlx::query("UPDATE setup_tokens SET created_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .expect("age");
    assert_eq!(page(&app, &format!("/setup?token={old}")).await.0, StatusCode::FORBIDDEN, "a day-old link is dead");
    let form =
        [("token", old.as_str()), ("display_name", "Late"), ("email", "late@example.com"), ("password", PASSWORD)];
    assert_eq!(app.server_fn(&app.device(), "create_first_admin", &form).await.0, StatusCode::FORBIDDEN);

    // An administrator made with the CLI: the next start deletes every
    // token, so an old link stays dead even after that admin is demoted.
    let fresh = server::setup::issue_token(&app.pool).await.expect("issue").expect("no admin yet");
    app.create_user("cli-admin@example.com", PASSWORD, Role::Admin).await;
    assert_eq!(server::setup::issue_token(&app.pool).await.expect("issue"), None);
    sqlx::query("UPDATE users SET role = 'member'").execute(&app.pool).await.expect("demote");
    assert_eq!(page(&app, &format!("/setup?token={fresh}")).await.0, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn no_reset_link_is_made_for_an_administrator(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let admin = signed_in_admin(&app, "a@example.com").await;
    app.create_user("b@example.com", PASSWORD, Role::Admin).await;
    for email in ["a@example.com", "b@example.com"] {
        let id = user_id(&app, email).await.to_string();
        let (status, body) = app.server_fn(&admin, "issue_reset_link", &[("id", &id)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}: {body}");
    }
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM password_resets").fetch_one(&app.pool).await.expect("n");
    assert_eq!(links, 0);
}

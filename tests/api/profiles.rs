//! Profile sections and signed-in devices over real HTTP against a real
//! PostgreSQL.

use crate::common::{self, client_with_cookie, signed_in_cookie, signed_in_member, TestApp, PASSWORD};

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

/// `n` PUTs of the personal section at once, each on its own connection:
/// `body` with the full name `Writer {i}`.
async fn concurrent_puts(app: &TestApp, cookie: &str, n: usize, body: Value) -> Vec<(StatusCode, Value)> {
    let replies = common::at_once(n, |i| {
        let ada = app.api(client_with_cookie(cookie));
        let mut body = body.clone();
        body["full_name"] = json!(format!("Writer {i}"));
        async move { ada.put("/api/profile/personal", body).await }
    })
    .await;
    replies.into_iter().map(|reply| (reply.status, reply.body)).collect()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_first_saves_create_the_section_once(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let replies = concurrent_puts(&app, &cookie, 50, json!({ "version": 0 })).await;

    assert!(replies.iter().all(|(status, _)| !status.is_server_error()), "{replies:?}");
    let created: Vec<_> = replies.iter().filter(|(_, body)| body["is_new"] == true).collect();
    assert_eq!(created.len(), 1, "exactly one save creates the row");
    let conflicts: Vec<_> = replies.iter().filter(|(status, _)| *status == StatusCode::CONFLICT).collect();
    assert_eq!(conflicts.len(), 49);
    for (_, body) in conflicts {
        assert_eq!(body["error"]["current"]["version"], 1);
        assert_eq!(body["error"]["current"]["full_name"], created[0].1["full_name"]);
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_updates_of_one_version_have_one_winner(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let first = app
        .api(client_with_cookie(&cookie))
        .put("/api/profile/personal", json!({ "version": 0, "city": "London" }))
        .await;
    assert_eq!(first.status, StatusCode::OK);

    let replies = concurrent_puts(&app, &cookie, 50, json!({ "version": 1, "city": "London" })).await;
    let winners: Vec<_> = replies.iter().filter(|(status, _)| *status == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "{:?}", replies.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(replies.iter().filter(|(status, _)| *status == StatusCode::CONFLICT).count(), 49);
    assert_eq!(winners[0].1["version"], 2);
    assert_eq!(winners[0].1["is_new"], false);
    let stored: (String, i32) =
        sqlx::query_as("SELECT full_name, version FROM personal_info").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, (winners[0].1["full_name"].as_str().unwrap().to_owned(), 2));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn profile_sections_speak_versions_as_etags(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let ada = signed_in_member(&app, "ada@example.com").await;
    let path = "/api/profile/professional";

    let empty = ada.get(path).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.headers[header::ETAG], "\"v0\"");
    assert_eq!(empty.body["version"], 0);

    let no_version = ada.put(path, json!({ "company": "Acme" })).await;
    assert_eq!(no_version.status, StatusCode::PRECONDITION_REQUIRED);

    let first = ada.send_if_match(Method::PUT, path, "\"v0\"", json!({ "company": "Acme" })).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::ETAG], "\"v1\"");
    assert_eq!((first.body["is_new"].clone(), first.body["company"].clone()), (json!(true), json!("Acme")));

    let stale = ada.send_if_match(Method::PUT, path, "\"v0\"", json!({ "company": "Globex" })).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["error"]["current"]["company"], "Acme");

    let bad = ada.put(path, json!({ "version": 1, "linkedin": "https://example.com/me" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "linkedin");

    let anonymous = app.api(reqwest::Client::new()).get(path).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn device_ids(app: &TestApp, client: &reqwest::Client) -> Vec<(String, bool)> {
    let body = app.server_fn_ok(client, "list_devices", &[]).await;
    body.as_array()
        .expect("a list")
        .iter()
        .map(|d| (d["device"]["id"].as_str().unwrap().to_owned(), d["this_device"].as_bool().unwrap()))
        .collect()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_revoked_device_is_signed_out_at_its_next_request(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, server::accounts::Role::Member).await;
    let (laptop, phone) = (app.device(), app.device());
    assert_eq!(app.api_login(&laptop, "ada@example.com", PASSWORD).await, StatusCode::OK);
    assert_eq!(app.api_login(&phone, "ada@example.com", PASSWORD).await, StatusCode::OK);

    let devices = device_ids(&app, &laptop).await;
    assert_eq!(devices.len(), 2);
    let (phone_id, _) = devices.iter().find(|(_, this)| !this).expect("the other device").clone();
    app.server_fn_ok(&laptop, "revoke_device", &[("id", &phone_id)]).await;

    assert_eq!(app.me(&phone).await, StatusCode::UNAUTHORIZED, "the phone is signed out");
    assert_eq!(app.me(&laptop).await, StatusCode::OK, "the laptop stays signed in");
    assert_eq!(device_ids(&app, &laptop).await.len(), 1);
    let (status, _) = app.server_fn(&laptop, "revoke_device", &[("id", &phone_id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoking twice finds nothing");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn changing_the_password_signs_out_every_other_device(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, server::accounts::Role::Member).await;
    let (laptop, phone, tablet) = (app.device(), app.device(), app.device());
    for device in [&laptop, &phone, &tablet] {
        assert_eq!(app.api_login(device, "ada@example.com", PASSWORD).await, StatusCode::OK);
    }

    let (status, body) = app
        .server_fn(
            &laptop,
            "change_password",
            &[("current_password", "wrong one"), ("new_password", "a new passphrase")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(app.me(&phone).await, StatusCode::OK, "a failed change ends nothing");

    let form = [("current_password", PASSWORD), ("new_password", "a new passphrase")];
    let signed_out = app.server_fn_ok(&laptop, "change_password", &form).await;
    assert_eq!(signed_out, json!(2), "two other devices were signed out");
    assert_eq!(app.me(&laptop).await, StatusCode::OK, "this device stays signed in");
    assert_eq!(app.me(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&tablet).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api_login(&app.device(), "ada@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api_login(&app.device(), "ada@example.com", "a new passphrase").await, StatusCode::OK);
}

/// The profile forms post `personal[field]` / `professional[field]` and get
/// the section back as form values with its version.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_profile_forms_save_their_sections(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = signed_in_member(&app, "ada@example.com").await.http;
    let personal = [
        ("version", "0"),
        ("personal[full_name]", "Ada Lovelace"),
        ("personal[date_of_birth]", "1985-12-10"),
        ("personal[city]", "London"),
    ];
    let saved = app.server_fn_ok(&client, "save_personal", &personal).await;
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["values"]["date_of_birth"], "1985-12-10");
    assert_eq!(saved["values"]["country"], "", "a field the form left out is empty");

    let professional = [("version", "0"), ("professional[company]", "Engines Ltd"), ("professional[bio]", "Notes\nG")];
    let saved = app.server_fn_ok(&client, "save_professional", &professional).await;
    assert_eq!(
        (saved["values"]["company"].as_str(), saved["values"]["bio"].as_str()),
        (Some("Engines Ltd"), Some("Notes\nG"))
    );

    let profile = app.server_fn_ok(&client, "get_profile", &[]).await;
    assert_eq!(profile["personal"]["values"]["full_name"], "Ada Lovelace");
    assert_eq!(profile["professional"]["version"], 1);
    let (status, refused) =
        app.server_fn(&client, "save_professional", &[("version", "0"), ("professional[website]", "not a url")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "website");
}

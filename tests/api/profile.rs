//! Profile sections and signed-in devices over real HTTP against a real
//! PostgreSQL.

use crate::common;

use std::sync::Arc;

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use common::{client_with_cookie, signed_in_cookie};

const PASSWORD: &str = "correct horse battery";

/// `n` PUTs of one body at once, each on its own connection.
async fn concurrent_puts(url: String, cookie: &str, n: usize, body: Value) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(n));
    let tasks = (0..n).map(|i| {
        let (barrier, client, url) = (barrier.clone(), client_with_cookie(cookie), url.clone());
        let mut body = body.clone();
        body["full_name"] = json!(format!("Writer {i}"));
        tokio::spawn(async move {
            let request = client.put(url).json(&body);
            barrier.wait().await;
            let response = request.send().await.expect("request");
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        })
    });
    futures::future::join_all(tasks).await.into_iter().map(|r| r.expect("task")).collect()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_first_saves_create_the_section_once(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let url = format!("{}/api/profile/personal", app.address);
    let replies = concurrent_puts(url, &cookie, 50, json!({ "version": 0 })).await;

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
    let url = format!("{}/api/profile/personal", app.address);
    let first =
        client_with_cookie(&cookie).put(&url).json(&json!({ "version": 0, "city": "London" })).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);

    let replies = concurrent_puts(url, &cookie, 50, json!({ "version": 1, "city": "London" })).await;
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
    let client = client_with_cookie(&signed_in_cookie(&app, "ada@example.com").await);
    let url = format!("{}/api/profile/professional", app.address);

    let empty = client.get(&url).send().await.unwrap();
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(empty.headers()[header::ETAG], "\"v0\"");
    assert_eq!(empty.json::<Value>().await.unwrap()["version"], 0);

    let no_version = client.put(&url).json(&json!({ "company": "Acme" })).send().await.unwrap();
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_REQUIRED);

    let first =
        client.put(&url).header(header::IF_MATCH, "\"v0\"").json(&json!({ "company": "Acme" })).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[header::ETAG], "\"v1\"");
    let first: Value = first.json().await.unwrap();
    assert_eq!((first["is_new"].clone(), first["company"].clone()), (json!(true), json!("Acme")));

    let stale =
        client.put(&url).header(header::IF_MATCH, "\"v0\"").json(&json!({ "company": "Globex" })).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.json::<Value>().await.unwrap()["error"]["current"]["company"], "Acme");

    let bad =
        client.put(&url).json(&json!({ "version": 1, "linkedin": "https://example.com/me" })).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["field"], "linkedin");

    let anonymous = reqwest::Client::new().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn device_ids(app: &common::TestApp, client: &reqwest::Client) -> Vec<(String, bool)> {
    let (status, body) = app.server_fn(client, "list_devices", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .expect("a list")
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_owned(), d["this_device"].as_bool().unwrap()))
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
    let (status, body) = app.server_fn(&laptop, "revoke_device", &[("id", &phone_id)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

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

    let (status, body) = app
        .server_fn(&laptop, "change_password", &[("current_password", PASSWORD), ("new_password", "a new passphrase")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!(2), "two other devices were signed out");
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
    let client = client_with_cookie(&signed_in_cookie(&app, "ada@example.com").await);
    let personal = [
        ("version", "0"),
        ("personal[full_name]", "Ada Lovelace"),
        ("personal[date_of_birth]", "1985-12-10"),
        ("personal[city]", "London"),
    ];
    let (status, saved) = app.server_fn(&client, "save_personal", &personal).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["values"]["date_of_birth"], "1985-12-10");
    assert_eq!(saved["values"]["country"], "", "a field the form left out is empty");

    let professional = [("version", "0"), ("professional[company]", "Engines Ltd"), ("professional[bio]", "Notes\nG")];
    let (status, saved) = app.server_fn(&client, "save_professional", &professional).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["values"]["company"].as_str(), saved["values"]["bio"].as_str()),
        (Some("Engines Ltd"), Some("Notes\nG"))
    );

    let (status, profile) = app.server_fn(&client, "get_profile", &[]).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["personal"]["values"]["full_name"], "Ada Lovelace");
    assert_eq!(profile["professional"]["version"], 1);
    let (status, refused) =
        app.server_fn(&client, "save_professional", &[("version", "0"), ("professional[website]", "not a url")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "website");
}

//! Business cards over real HTTP against a real PostgreSQL: concurrent
//! creates and updates on separate connections released together, the
//! idempotency protocol, and the REST semantics of /api/cards.

use crate::common;

use std::collections::HashSet;

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use common::{client_with_cookie, signed_in_cookie, signed_in_member, Api, Reply, TestApp};

/// `n` requests at once, each from a client of its own (own connection)
/// sending `cookie`: `send(i, api)` is the i-th.
async fn at_once<F>(app: &TestApp, n: usize, cookie: &str, send: impl Fn(usize, Api) -> F) -> Vec<Reply>
where
    F: std::future::Future<Output = Reply> + Send + 'static,
{
    common::at_once(n, |i| send(i, app.api(client_with_cookie(cookie)))).await
}

async fn card_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM business_cards").fetch_one(&app.pool).await.expect("count")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_hundred_simultaneous_creates_with_one_name_get_a_hundred_slugs(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let replies =
        at_once(&app, 100, &cookie, |_, ada| async move { ada.post("/api/cards", json!({ "name": "My Card" })).await })
            .await;

    let statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let slugs: HashSet<&str> = replies.iter().map(|r| r.body["slug"].as_str().expect("slug")).collect();
    assert_eq!(slugs.len(), 100, "every card got its own slug");
    assert!(slugs.contains("my-card"), "one got the plain slug");
    for slug in &slugs {
        assert!(*slug == "my-card" || (slug.starts_with("my-card-") && slug.len() == "my-card-".len() + 6), "{slug}");
    }
    assert_eq!(card_count(&app).await, 100);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_patches_of_one_version_have_one_winner(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let card = app.api(client_with_cookie(&cookie)).post("/api/cards", json!({ "name": "My Card" })).await.body;
    let path = format!("/api/cards/{}", card["id"].as_str().expect("id"));

    let replies = at_once(&app, 50, &cookie, |i, ada| {
        let (path, edit) = (path.clone(), json!({ "version": 1, "tagline": format!("edit {i}") }));
        async move { ada.patch(&path, edit).await }
    })
    .await;

    let winners: Vec<_> = replies.iter().filter(|r| r.status == StatusCode::OK).collect();
    let conflicts: Vec<_> = replies.iter().filter(|r| r.status == StatusCode::CONFLICT).collect();
    assert_eq!(winners.len(), 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(conflicts.len(), 49);
    let winner = &winners[0].body;
    assert_eq!(winner["version"], 2);
    for conflict in conflicts {
        assert_eq!(conflict.body["error"]["code"], "version_conflict");
        assert_eq!(conflict.body["error"]["current"]["version"], 2);
        assert_eq!(conflict.body["error"]["current"]["tagline"], winner["tagline"]);
    }
    let stored: (String, i32) =
        sqlx::query_as("SELECT tagline, version FROM business_cards").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, (winner["tagline"].as_str().unwrap().to_owned(), 2), "the stored card is the winner's");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn twenty_simultaneous_posts_with_one_key_make_one_card(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = signed_in_cookie(&app, "ada@example.com").await;
    let form = json!({ "name": "My Card", "company": "Acme" });
    let replies = at_once(&app, 20, &cookie, |_, ada| {
        let form = form.clone();
        async move { ada.post_with_key("/api/cards", "one-form", form).await }
    })
    .await;

    let created: Vec<_> = replies.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert!(!created.is_empty());
    for r in &replies {
        match r.status {
            StatusCode::CREATED => assert_eq!(r.body, created[0].body, "every 201 is the stored response"),
            StatusCode::CONFLICT => assert_eq!(r.body["error"]["code"], "in_progress", "{}", r.body),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!(card_count(&app).await, 1);

    let ada = app.api(client_with_cookie(&cookie));
    let again = ada.post_with_key("/api/cards", "one-form", form).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, created[0].body, "a later repeat returns the stored 201 body");
    assert_eq!(card_count(&app).await, 1);

    let changed = ada.post_with_key("/api/cards", "one-form", json!({ "name": "Another Card" })).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changed.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(card_count(&app).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_rest_api_speaks_versions_as_etags(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let ada = signed_in_member(&app, "ada@example.com").await;

    let created = ada.post("/api/cards", json!({ "name": "Jane Doe" })).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["template"], "classic", "the template defaults to the first one");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/cards/{id}");
    assert_eq!(created.headers[header::LOCATION], path.as_str());
    assert_eq!(created.headers[header::ETAG], "\"v1\"");

    let fetched = ada.get(&path).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.headers[header::ETAG], "\"v1\"");

    let patched = ada.send_if_match(Method::PATCH, &path, "\"v1\"", json!({ "job_title": "CTO" })).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.headers[header::ETAG], "\"v2\"");
    assert_eq!(patched.body["job_title"], "CTO");
    assert_eq!(patched.body["name"], "Jane Doe", "fields not sent are kept");

    let stale_if_match = ada.send_if_match(Method::PATCH, &path, "\"v1\"", json!({ "job_title": "CEO" })).await;
    assert_eq!(stale_if_match.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale_if_match.body["error"]["current"]["version"], 2);
    assert_eq!(stale_if_match.body["error"]["current"]["job_title"], "CTO");

    let stale_body = ada.patch(&path, json!({ "version": 1, "job_title": "CEO" })).await;
    assert_eq!(stale_body.status, StatusCode::CONFLICT);
    assert_eq!(stale_body.body["error"]["current"]["version"], 2);

    let no_version = ada.patch(&path, json!({ "job_title": "CEO" })).await;
    assert_eq!(no_version.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(no_version.body["error"]["code"], "precondition_required");

    // RFC 9110: a tag that is not one of ours matches no version (412, with
    // the card as it is); `*` would overwrite unseen edits, so it names none.
    let foreign_tag = ada.send_if_match(Method::PATCH, &path, "\"abc\"", json!({ "job_title": "CEO" })).await;
    assert_eq!(foreign_tag.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(foreign_tag.body["error"]["current"]["version"], 2);
    let any_version = ada.send_if_match(Method::PATCH, &path, "*", json!({ "job_title": "CEO" })).await;
    assert_eq!(any_version.status, StatusCode::PRECONDITION_REQUIRED);
    // JSON Schema counts 1.0 as the integer 1; so does the API (a stale 1).
    let float_version = ada.patch(&path, json!({ "version": 1.0, "job_title": "CEO" })).await;
    assert_eq!(float_version.status, StatusCode::CONFLICT, "{}", float_version.body);
    assert_eq!(float_version.body["error"]["current"]["version"], 2);
    assert_eq!(ada.patch(&path, json!({ "version": 2.5 })).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Parameters that do not parse answer in the API's JSON, not axum's text.
    let not_an_id = ada.get("/api/cards/not-a-uuid").await;
    assert_eq!(not_an_id.status, StatusCode::NOT_FOUND);
    assert_eq!(not_an_id.body["error"]["code"], "not_found");
    let bad_query = ada.delete(&format!("{path}?version=many")).await;
    assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_query.body["error"]["field"], "query");

    let bad_field = ada.patch(&path, json!({ "version": 2, "email": "not an email" })).await;
    assert_eq!(bad_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_field.body["error"]["field"], "email");

    let listed = ada.get("/api/cards").await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    let stale_delete = ada.delete(&format!("{path}?version=1")).await;
    assert_eq!(stale_delete.status, StatusCode::CONFLICT);
    let deleted = ada.http.delete(ada.url(&path)).header(header::IF_MATCH, "\"v2\"").send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(ada.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ada.patch(&path, json!({ "version": 2 })).await.status, StatusCode::NOT_FOUND);

    let audit: Vec<(String, Option<i32>, Option<i32>)> =
        sqlx::query_as("SELECT action, old_version, new_version FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(&id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        audit,
        vec![("create".into(), None, Some(1)), ("update".into(), Some(1), Some(2)), ("delete".into(), Some(2), None)]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn cards_are_private_to_their_owner_and_need_a_session(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let ada = signed_in_member(&app, "ada@example.com").await;
    let grace = signed_in_member(&app, "grace@example.com").await;
    let card = ada.post("/api/cards", json!({ "name": "Ada" })).await.body;
    let path = format!("/api/cards/{}", card["id"].as_str().unwrap());

    assert_eq!(grace.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(grace.patch(&path, json!({ "version": 1, "name": "Mine" })).await.status, StatusCode::NOT_FOUND);
    assert_eq!(grace.get("/api/cards").await.body, json!([]));
    let anonymous = app.api(reqwest::Client::new());
    let listed = anonymous.get("/api/cards").await;
    assert_eq!(listed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(listed.body["error"]["code"], "unauthorized");
    assert_eq!(anonymous.post("/api/cards", json!({ "name": "x" })).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(card_count(&app).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_owner_can_choose_a_free_slug_and_the_public_page_follows(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let ada = signed_in_member(&app, "ada@example.com").await;
    let taken = ada.post("/api/cards", json!({ "name": "Taken" })).await.body;
    let card =
        ada.post("/api/cards", json!({ "name": "Ada Lovelace", "company": "Analytical Engines, Ltd" })).await.body;
    let path = format!("/api/cards/{}", card["id"].as_str().unwrap());

    let clash = ada.patch(&path, json!({ "version": 1, "slug": taken["slug"] })).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.body["error"]["code"], "already_exists");
    assert_eq!(clash.body["error"]["field"], "slug");
    let reserved = ada.patch(&path, json!({ "version": 1, "slug": "admin" })).await;
    assert_eq!(reserved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reserved.body["error"]["field"], "slug");
    let malformed = ada.patch(&path, json!({ "version": 1, "slug": "no spaces!" })).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);

    let renamed = ada.patch(&path, json!({ "version": 1, "slug": "ada" })).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["slug"], "ada");

    // The public page and the vCard need no session.
    let anonymous = reqwest::Client::new();
    let page = anonymous.get(app.url("/c/ada")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Analytical Engines, Ltd"), "the public page shows the card");
    let vcard = anonymous.get(app.url("/c/ada/card.vcf")).send().await.unwrap();
    assert_eq!(vcard.status(), StatusCode::OK);
    assert!(vcard.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/vcard"));
    let vcard = vcard.text().await.unwrap();
    assert!(vcard.contains("FN:Ada Lovelace\r\n") && vcard.contains("ORG:Analytical Engines\\, Ltd\r\n"), "{vcard}");

    let old_address =
        anonymous.get(app.url(&format!("/c/{}/card.vcf", card["slug"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(old_address.status(), StatusCode::NOT_FOUND);
    let unknown_page = anonymous.get(app.url("/c/no-such-card")).send().await.unwrap();
    assert_eq!(unknown_page.status(), StatusCode::NOT_FOUND);
}

/// The editor's server functions take the form as the browser posts it
/// (`card[field]`, the slug among them) and answer with the shared `Card`.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_editor_forms_create_and_save_a_whole_card(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = signed_in_member(&app, "ada@example.com").await.http;
    let created = app
        .server_fn_ok(&client, "create_card", &[("card[name]", "Ada Works"), ("idempotency_key", "form-create-1")])
        .await;
    assert_eq!(created["template"], "classic", "a field the form left out takes its default");
    assert_eq!(created["slug"], "ada-works");
    let id = created["id"].as_str().expect("id").to_owned();

    let mut form = vec![
        ("id", id.as_str()),
        ("version", "1"),
        ("card[slug]", "ada-lovelace"),
        ("card[name]", "Ada Works"),
        ("card[template]", "bold"),
        ("card[layout]", "center"),
        ("card[accent_color]", "#112233"),
        ("card[full_name]", "Ada Lovelace"),
        ("card[job_title]", "Analyst"),
        ("card[company]", "Engines Ltd"),
        ("card[email]", "ada@example.com"),
        ("card[phone]", "+44 20 7946 0000"),
        ("card[website]", "https://ada.example"),
        ("card[address]", "12 St James's Square\nLondon"),
        ("card[tagline]", ""),
    ];
    let saved = app.server_fn_ok(&client, "update_card", &form).await;
    assert_eq!((saved["slug"].as_str(), saved["version"].as_i64()), (Some("ada-lovelace"), Some(2)));
    assert_eq!((saved["template"].as_str(), saved["layout"].as_str()), (Some("bold"), Some("center")));
    assert_eq!(saved["address"], "12 St James's Square\nLondon");
    let stored: (String, String) =
        sqlx::query_as("SELECT full_name, accent_color FROM business_cards WHERE slug = 'ada-lovelace'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, ("Ada Lovelace".to_owned(), "#112233".to_owned()));

    // The same form again, from the old version: 409 with the card as it is.
    form[3] = ("card[name]", "Someone else's idea");
    let (status, conflict) = app.server_fn(&client, "update_card", &form).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["VersionConflict"]["current"]["version"], 2);
    assert_eq!(conflict["VersionConflict"]["current"]["name"], "Ada Works");
}

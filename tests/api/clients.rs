//! Clients over real HTTP: idempotent create by id under concurrency.

use crate::common;

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Barrier;

async fn create(app: &common::TestApp, client: &reqwest::Client, body: Value) -> (StatusCode, Value) {
    let response = client.post(format!("{}/api/clients", app.address)).json(&body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_creates_of_one_id_make_one_client(pool: sqlx::PgPool) {
    let app = Arc::new(common::spawn(pool).await);
    let staff = common::signed_in_staff(&app).await;
    let barrier = Arc::new(Barrier::new(50));
    let creates = (0..50).map(|i| {
        let (app, barrier, staff) = (app.clone(), barrier.clone(), staff.clone());
        tokio::spawn(async move {
            // One session; simultaneous requests each get their own HTTP/1.1 connection.
            let body = json!({ "id": "ext-42", "name": format!("Acme {i}"), "email": "office@acme.example" });
            barrier.wait().await;
            create(&app, &staff, body).await
        })
    });
    let replies: Vec<_> = futures::future::join_all(creates).await.into_iter().map(|r| r.expect("task")).collect();

    assert!(replies.iter().all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::OK), "{replies:?}");
    assert_eq!(replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1, "one insert");
    let first = &replies.iter().find(|(s, _)| *s == StatusCode::CREATED).unwrap().1;
    for (status, body) in &replies {
        assert_eq!(body["id"], "ext-42");
        assert_eq!(body["name"], first["name"], "everyone gets the one client");
        assert_eq!(body["created"], *status == StatusCode::CREATED);
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM clients").fetch_one(&app.pool).await.unwrap();
    assert_eq!(rows, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_existing_id_is_never_overwritten_and_emails_stay_unique(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    let (status, first) =
        create(&app, &staff, json!({ "id": "c-1", "name": "Acme", "email": "Office@Acme.example" })).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");

    let (status, again) = create(&app, &staff, json!({ "id": "c-1", "name": "Changed" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((again["created"].clone(), again["name"].clone()), (json!(false), json!("Acme")));

    let (status, taken) =
        create(&app, &staff, json!({ "id": "c-2", "name": "Other", "email": "office@ACME.example" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(taken["error"]["field"], "email");

    let (status, generated) = create(&app, &staff, json!({ "name": "No id given" })).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(generated["id"].as_str().is_some_and(|id| id.len() == 32));

    let (status, bad) = create(&app, &staff, json!({ "id": "no spaces please", "name": "x" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["field"], "id");

    let fetched = staff.get(format!("{}/api/clients/c-1", app.address)).send().await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(
        staff.get(format!("{}/api/clients/nope", app.address)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn members_cannot_create_clients(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let member = common::client_with_cookie(&common::signed_in_cookie(&app, "member@example.com").await);
    let (status, _) = create(&app, &member, json!({ "id": "c-1", "name": "Acme" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn edits_are_version_checked_and_keep_emails_unique(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    create(&app, &staff, json!({ "id": "c-1", "name": "Acme", "email": "office@acme.example" })).await;
    create(&app, &staff, json!({ "id": "c-2", "name": "Globex", "email": "office@globex.example" })).await;
    let url = format!("{}/api/clients/c-1", app.address);

    let saved = staff
        .put(&url)
        .json(&json!({ "version": 1, "name": "Acme Corp", "email": "office@acme.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(saved.json::<Value>().await.unwrap()["version"], 2);

    let stale = staff.put(&url).json(&json!({ "version": 1, "name": "Acme Ltd" })).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert_eq!(stale.json::<Value>().await.unwrap()["error"]["current"]["name"], "Acme Corp");

    let taken = staff
        .put(&url)
        .json(&json!({ "version": 2, "name": "Acme Corp", "email": "OFFICE@globex.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(taken.json::<Value>().await.unwrap()["error"]["field"], "email");

    let missing = staff
        .put(format!("{}/api/clients/nope", app.address))
        .json(&json!({ "version": 1, "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

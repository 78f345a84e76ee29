//! Clients over real HTTP: idempotent create by id under concurrency.

use crate::common;

use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_creates_of_one_id_make_one_client(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    let replies = common::at_once(50, |i| {
        // One session; simultaneous requests each get their own HTTP/1.1 connection.
        let (staff, body) =
            (staff.clone(), json!({ "id": "ext-42", "name": format!("Acme {i}"), "email": "office@acme.example" }));
        async move { staff.post("/api/clients", body).await }
    })
    .await;
    let replies: Vec<_> = replies.into_iter().map(|r| (r.status, r.body)).collect();

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
    let first =
        staff.post("/api/clients", json!({ "id": "c-1", "name": "Acme", "email": "Office@Acme.example" })).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);

    let again = staff.post("/api/clients", json!({ "id": "c-1", "name": "Changed" })).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!((again.body["created"].clone(), again.body["name"].clone()), (json!(false), json!("Acme")));

    let taken =
        staff.post("/api/clients", json!({ "id": "c-2", "name": "Other", "email": "office@ACME.example" })).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["error"]["field"], "email");

    let generated = staff.post("/api/clients", json!({ "name": "No id given" })).await;
    assert_eq!(generated.status, StatusCode::CREATED);
    assert!(generated.body["id"].as_str().is_some_and(|id| id.len() == 32));

    let bad = staff.post("/api/clients", json!({ "id": "no spaces please", "name": "x" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "id");

    assert_eq!(staff.get("/api/clients/c-1").await.status, StatusCode::OK);
    assert_eq!(staff.get("/api/clients/nope").await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn members_cannot_create_clients(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let member = common::signed_in_member(&app, "member@example.com").await;
    let created = member.post("/api/clients", json!({ "id": "c-1", "name": "Acme" })).await;
    assert_eq!(created.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn edits_are_version_checked_and_keep_emails_unique(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    staff.post("/api/clients", json!({ "id": "c-1", "name": "Acme", "email": "office@acme.example" })).await;
    staff.post("/api/clients", json!({ "id": "c-2", "name": "Globex", "email": "office@globex.example" })).await;

    let saved = staff
        .put("/api/clients/c-1", json!({ "version": 1, "name": "Acme Corp", "email": "office@acme.example" }))
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(saved.body["version"], 2);

    let stale = staff.put("/api/clients/c-1", json!({ "version": 1, "name": "Acme Ltd" })).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["error"]["current"]["name"], "Acme Corp");

    let taken = staff
        .put("/api/clients/c-1", json!({ "version": 2, "name": "Acme Corp", "email": "OFFICE@globex.example" }))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["error"]["field"], "email");

    let missing = staff.put("/api/clients/nope", json!({ "version": 1, "name": "x" })).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

//! Training assignments over real HTTP: one active assignment per
//! counselor and scenario however many requests race, API keys, bulk.

use crate::common::{self, Api, TestApp, PASSWORD};

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// A counselor known to the external system as `external_id`.
async fn counselor(pool: &PgPool, name: &str, external_id: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role, external_id)
         VALUES ($1, $2, 'x', 'counselor', $3) RETURNING id",
    )
    .bind(format!("{external_id}@example.com"))
    .bind(name)
    .bind(external_id)
    .fetch_one(pool)
    .await
    .expect("insert counselor")
}

async fn scenario(pool: &PgPool, title: &str) -> Uuid {
    sqlx::query_scalar("INSERT INTO scenarios (title) VALUES ($1) RETURNING id")
        .bind(title)
        .fetch_one(pool)
        .await
        .expect("insert scenario")
}

async fn api_key(pool: &PgPool, name: &str) -> server::api_keys::IssuedKey {
    let mut conn = pool.acquire().await.expect("connection");
    server::api_keys::create(&mut conn, name, &server::api_keys::Scope::ALL, None, None).await.expect("create key")
}

async fn external_post(app: &TestApp, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
    // A client of its own: its own connection, like a separate caller.
    let client = key.map_or_else(reqwest::Client::new, common::client_with_api_key);
    let reply = app.api(client).post("/api/external/assignments", body.clone()).await;
    (reply.status, reply.body)
}

async fn active_rows(pool: &PgPool, counselor: Uuid, scenario: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM assignments WHERE counselor_id = $1 AND scenario_id = $2 AND status <> 'completed'",
    )
    .bind(counselor)
    .bind(scenario)
    .fetch_one(pool)
    .await
    .expect("count")
}

/// `n` external systems post the same (counselor, scenario) at once.
async fn race_external_posts(n: usize, pool: PgPool) {
    let app = common::spawn(pool).await;
    let counselor = counselor(&app.pool, "Grace", "ext-grace").await;
    let scenario = scenario(&app.pool, "Crisis call").await;
    let key = api_key(&app.pool, "Portal").await.secret;
    let body = json!({ "user_id": "ext-grace", "scenario_id": scenario, "due_date": "2026-12-31" });
    let replies = common::at_once(n, |_| {
        let (app, key, body) = (app.clone(), key.clone(), body.clone());
        async move { external_post(&app, Some(&key), &body).await }
    })
    .await;

    let created: Vec<_> = replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).collect();
    let conflicts = replies.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).count();
    assert_eq!(created.len(), 1, "exactly one 201: {replies:?}");
    assert_eq!(conflicts, n - 1, "the rest 409: {replies:?}");
    let winner = &created[0].1;
    assert_eq!(winner["source"], "external");
    assert_eq!(winner["due_date"], "2026-12-31");
    for (status, body) in &replies {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["error"]["code"], "duplicate");
            assert_eq!(body["error"]["existing"]["id"], winner["id"], "the 409 names the active assignment");
            assert_eq!(body["error"]["existing"]["status"], "pending");
        }
    }
    assert_eq!(active_rows(&app.pool, counselor, scenario).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn ten_simultaneous_external_posts_make_one_assignment(pool: PgPool) {
    race_external_posts(10, pool).await;
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_hundred_simultaneous_external_posts_make_one_assignment(pool: PgPool) {
    race_external_posts(100, pool).await;
}

/// A signed-in counselor (created here) with their own cookie jar.
async fn signed_in_counselor(app: &TestApp, email: &str, external_id: &str) -> (Api, Uuid) {
    app.create_user(email, PASSWORD, server::accounts::Role::Counselor).await;
    let id: Uuid = sqlx::query_scalar("UPDATE users SET external_id = $2 WHERE email = $1 RETURNING id")
        .bind(email)
        .bind(external_id)
        .fetch_one(&app.pool)
        .await
        .expect("set external id");
    let client = app.device();
    assert_eq!(app.api_login(&client, email, PASSWORD).await, StatusCode::OK);
    (app.api(client), id)
}

/// Moves an assignment a step (`start`, `complete`) from `version`.
async fn advance(client: &Api, id: &Value, step: &str, version: i64) -> (StatusCode, Value) {
    let id = id.as_str().expect("assignment id");
    let reply = client.post(&format!("/api/assignments/{id}/{step}"), json!({ "version": version })).await;
    (reply.status, reply.body)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn after_completion_the_pair_can_be_assigned_again(pool: PgPool) {
    let app = common::spawn(pool).await;
    let (counselor, _) = signed_in_counselor(&app, "ada@example.com", "ext-ada").await;
    let scenario = scenario(&app.pool, "Grief support").await;
    let key = api_key(&app.pool, "Portal").await.secret;
    let body = json!({ "user_id": "ext-ada", "scenario_id": scenario });

    let (status, first) = external_post(&app, Some(&key), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(external_post(&app, Some(&key), &body).await.0, StatusCode::CONFLICT);

    // Completing needs the counselor's own session, in order, version checked.
    let (status, early) = advance(&counselor, &first["id"], "complete", 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "pending cannot be completed: {early}");
    let (status, started) = advance(&counselor, &first["id"], "start", 1).await;
    assert_eq!((status, started["status"].clone()), (StatusCode::OK, json!("in_progress")));
    let (status, stale) = advance(&counselor, &first["id"], "complete", 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version is refused: {stale}");
    assert_eq!(stale["error"]["current"]["version"], 2);
    let (status, done) = advance(&counselor, &first["id"], "complete", 2).await;
    assert_eq!((status, done["status"].clone()), (StatusCode::OK, json!("completed")), "{done}");

    let (status, second) = external_post(&app, Some(&key), &body).await;
    assert_eq!(status, StatusCode::CREATED, "a completed assignment does not block a new one: {second}");
    assert_ne!(second["id"], first["id"]);

    let listed = app.api(common::client_with_api_key(&key)).get("/api/external/assignments?user_id=ext-ada").await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.body.as_array().expect("a list").clone();
    let statuses: Vec<_> = listed.iter().map(|a| a["status"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(statuses, ["pending", "completed"], "active first");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn counselors_move_only_their_own_assignments(pool: PgPool) {
    let app = common::spawn(pool).await;
    let (ada, _) = signed_in_counselor(&app, "ada@example.com", "ext-ada").await;
    let (bob, _) = signed_in_counselor(&app, "bob@example.com", "ext-bob").await;
    let scenario = scenario(&app.pool, "Intake").await;
    let key = api_key(&app.pool, "Portal").await.secret;
    let (_, assignment) =
        external_post(&app, Some(&key), &json!({ "user_id": "ext-ada", "scenario_id": scenario })).await;

    let (status, _) = advance(&bob, &assignment["id"], "start", 1).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's assignment is not there for bob");
    let staff = common::signed_in_staff(&app).await;
    let (status, _) = advance(&staff, &assignment["id"], "start", 1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff do not start counselors' work");
    assert_eq!(advance(&ada, &assignment["id"], "start", 1).await.0, StatusCode::OK);
}

/// `column` (an expression over the row) of the stored API key `id`.
async fn key_column<T>(pool: &PgPool, id: Uuid, column: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let query = format!("SELECT {column} FROM api_keys WHERE id = $1");
    sqlx::query_scalar(&query).bind(id).fetch_one(pool).await.expect("read the stored key")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn missing_wrong_and_revoked_keys_are_refused_and_no_key_is_stored(pool: PgPool) {
    let app = common::spawn(pool).await;
    counselor(&app.pool, "Grace", "ext-grace").await;
    let scenario = scenario(&app.pool, "Crisis call").await;
    let issued = api_key(&app.pool, "Portal").await;
    let body = json!({ "user_id": "ext-grace", "scenario_id": scenario });

    assert_eq!(external_post(&app, None, &body).await.0, StatusCode::UNAUTHORIZED, "missing");
    assert_eq!(external_post(&app, Some("not-a-key"), &body).await.0, StatusCode::UNAUTHORIZED, "malformed");
    let wrong_secret = format!("lsk_{}_{}", issued.key.prefix, "0".repeat(64));
    let (status, wrong) = external_post(&app, Some(&wrong_secret), &body).await;
    assert_eq!((status, wrong["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_api_key")));

    // Unknown counselor / scenario, and a body that is not an assignment.
    let unknown_user = json!({ "user_id": "nobody", "scenario_id": scenario });
    assert_eq!(external_post(&app, Some(&issued.secret), &unknown_user).await.0, StatusCode::NOT_FOUND);
    let unknown_scenario = json!({ "user_id": "ext-grace", "scenario_id": Uuid::new_v4() });
    assert_eq!(external_post(&app, Some(&issued.secret), &unknown_scenario).await.0, StatusCode::NOT_FOUND);
    let (status, bad) = external_post(&app, Some(&issued.secret), &json!({ "user_id": "ext-grace" })).await;
    assert_eq!((status, bad["error"]["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid")));
    let bad_date = json!({ "user_id": "ext-grace", "scenario_id": scenario, "due_date": "tomorrow" });
    assert_eq!(external_post(&app, Some(&issued.secret), &bad_date).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(external_post(&app, Some(&issued.secret), &body).await.0, StatusCode::CREATED, "the right key");
    let last_used: Option<chrono::DateTime<chrono::Utc>> = key_column(&app.pool, issued.key.id, "last_used_at").await;
    assert!(last_used.is_some(), "use is recorded");

    let mut conn = app.pool.acquire().await.unwrap();
    server::api_keys::revoke(&mut conn, issued.key.id).await.unwrap();
    assert_eq!(external_post(&app, Some(&issued.secret), &body).await.0, StatusCode::UNAUTHORIZED, "revoked");

    // Nowhere in the table, in any column, is the key or its secret part.
    let secret_part = issued.secret.rsplit('_').next().unwrap().to_owned();
    let leaks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys k
         WHERE row_to_json(k)::text LIKE '%' || $1 || '%' OR row_to_json(k)::text LIKE '%' || $2 || '%'
            OR encode(k.key_hash, 'escape') LIKE '%' || $2 || '%'",
    )
    .bind(&issued.secret)
    .bind(&secret_part)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leaks, 0, "the key is stored only as a hash");
    let hash_length: i32 = key_column(&app.pool, issued.key.id, "length(key_hash)").await;
    assert_eq!(hash_length, 32, "a SHA-256 digest");
}

async fn bulk(staff: &Api, scenario: Uuid, counselors: &[Uuid]) -> (StatusCode, Value) {
    let reply =
        staff.post("/api/assignments/bulk", json!({ "scenario_id": scenario, "counselor_ids": counselors })).await;
    (reply.status, reply.body)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn overlapping_bulk_requests_create_no_duplicate_and_report_everyone_once(pool: PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    let scenario = scenario(&app.pool, "De-escalation").await;
    let mut counselors = Vec::new();
    for i in 0..30 {
        counselors.push(counselor(&app.pool, &format!("Counselor {i:02}"), &format!("ext-{i:02}")).await);
    }
    // Request A asks for 0..20 (and 0 twice), B for 10..30 in reverse order:
    // 10 counselors overlap, and each request lists them in another order.
    let mut first: Vec<Uuid> = counselors[0..20].to_vec();
    first.push(counselors[0]);
    let second: Vec<Uuid> = counselors[10..30].iter().rev().copied().collect();
    let asked = [first.clone(), second.clone()];
    let replies = common::at_once(2, |i| {
        let (staff, ids) = (staff.clone(), asked[i].clone());
        async move { bulk(&staff, scenario, &ids).await }
    })
    .await;

    let mut created_total = 0;
    for ((status, report), asked) in replies.iter().zip([&first, &second]) {
        assert_eq!(*status, StatusCode::OK, "{report}");
        let outcomes = report["outcomes"].as_array().expect("outcomes");
        let mut reported: Vec<String> =
            outcomes.iter().map(|o| o["counselor_id"].as_str().unwrap_or_default().to_owned()).collect();
        reported.sort();
        let mut expected: Vec<String> = asked.iter().map(Uuid::to_string).collect();
        expected.sort();
        expected.dedup();
        assert_eq!(reported, expected, "every counselor asked for is reported exactly once");
        for outcome in outcomes {
            let created = outcome["created"].as_bool().expect("created flag");
            assert_eq!(created, outcome["reason"].is_null(), "skips carry a reason: {outcome}");
            assert!(outcome["assignment_id"].is_string(), "each names its assignment: {outcome}");
        }
        created_total += report["created"].as_u64().unwrap();
        assert_eq!(report["created"].as_u64().unwrap() + report["skipped"].as_u64().unwrap(), expected.len() as u64);
    }
    assert_eq!(created_total, 30, "each of the 30 counselors was created by exactly one of the requests");
    let (rows, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT counselor_id) FROM assignments WHERE scenario_id = $1 AND status <> 'completed'",
    )
    .bind(scenario)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((rows, distinct), (30, 30), "no duplicate active assignment");

    // A later bulk including a non-counselor: reported, not created.
    let stranger = Uuid::new_v4();
    let (_, again) = bulk(&staff, scenario, &[counselors[0], stranger]).await;
    let outcomes = again["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o["created"] == false), "{again}");
    assert!(outcomes.iter().any(|o| o["reason"] == "not a counselor"), "{again}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn staff_assign_one_counselor_and_members_cannot(pool: PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    let grace = counselor(&app.pool, "Grace", "ext-grace").await;
    let scenario_id = scenario(&app.pool, "Crisis call").await;
    let body = json!({ "counselor_id": grace, "scenario_id": scenario_id, "due_date": "2027-01-15" });
    assert_eq!(staff.post("/api/assignments", body.clone()).await.status, StatusCode::CREATED);
    let second = staff.post("/api/assignments", body.clone()).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let second = second.body;
    assert!(second["error"]["message"].as_str().unwrap().contains("2027-01-15"), "{second}");

    let member = common::signed_in_member(&app, "member@example.com").await;
    assert_eq!(member.post("/api/assignments", body).await.status, StatusCode::FORBIDDEN);

    // A deactivated scenario takes no new assignments.
    let (version,): (i32,) = sqlx::query_as("SELECT version FROM scenarios WHERE id = $1")
        .bind(scenario_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let staff_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'staff'").fetch_one(&app.pool).await.unwrap();
    server::scenarios::set_active(&app.pool, staff_id, scenario_id, version, false).await.unwrap();
    let other = counselor(&app.pool, "Hedy", "ext-hedy").await;
    let response = staff.post("/api/assignments", json!({ "counselor_id": other, "scenario_id": scenario_id })).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
}

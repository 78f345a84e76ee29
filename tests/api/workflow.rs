//! The staff workflow over real HTTP: numbering under 200 simultaneous
//! creations (some of them failing), and 50 simultaneous "start assessment".

use crate::common::{self, Api, TestApp};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Staff {
    app: TestApp,
    client: Api,
}

impl Staff {
    async fn new(pool: sqlx::PgPool) -> Staff {
        let app = common::spawn(pool).await;
        let client = common::signed_in_staff(&app).await;
        Staff { app, client }
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let reply = self.client.post(path, body).await;
        (reply.status, reply.body)
    }

    /// `n` POSTs released together; `body(i)` is the i-th body.
    async fn posts_at_once(&self, n: usize, path: &str, body: impl Fn(usize) -> Value) -> Vec<(StatusCode, Value)> {
        let replies = common::at_once(n, |i| {
            let (client, path, body) = (self.client.clone(), path.to_owned(), body(i));
            async move { client.post(&path, body).await }
        })
        .await;
        replies.into_iter().map(|reply| (reply.status, reply.body)).collect()
    }
}

fn year() -> String {
    chrono::Utc::now().format("%Y").to_string()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_hundred_simultaneous_requests_are_numbered_without_gaps(pool: sqlx::PgPool) {
    let staff = Staff::new(pool.clone()).await;
    assert_eq!(staff.post("/api/clients", json!({ "id": "c-1", "name": "Acme" })).await.0, StatusCode::CREATED);

    let replies =
        staff.posts_at_once(200, "/api/requests", |i| json!({ "client_id": "c-1", "notes": format!("#{i}") })).await;
    assert!(
        replies.iter().all(|(status, _)| *status == StatusCode::CREATED),
        "{:?}",
        replies.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    let mut numbers: Vec<String> =
        replies.iter().map(|(_, body)| body["number"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=200).map(|n| format!("REQ-{}-{n:04}", year())).collect();
    assert_eq!(numbers, expected, "REQ-…-0001 to 0200, no duplicate, no gap");
    // What was answered is what was committed: the same numbers, no more.
    let committed: Vec<String> = sqlx::query_scalar("SELECT number FROM requests ORDER BY number")
        .fetch_all(&pool)
        .await
        .expect("read requests");
    assert_eq!(committed, expected, "the committed rows are the 200 answered, numbered without gaps");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn failed_creations_give_their_numbers_back(pool: sqlx::PgPool) {
    let staff = Staff::new(pool).await;
    staff.post("/api/clients", json!({ "id": "c-1", "name": "Acme" })).await;

    // Every third names a client that does not exist: it draws a number,
    // then its insert fails and the transaction rolls back.
    let replies = staff
        .posts_at_once(60, "/api/requests", |i| json!({ "client_id": if i % 3 == 0 { "missing" } else { "c-1" } }))
        .await;
    let failed = replies.iter().filter(|(status, _)| *status == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!(failed, 20);
    for (status, body) in replies.iter().filter(|(status, _)| *status == StatusCode::UNPROCESSABLE_ENTITY) {
        assert_eq!(body["error"]["field"], "client_id", "{status}: {body}");
    }
    let mut committed: Vec<String> =
        sqlx::query_scalar("SELECT number FROM requests").fetch_all(&staff.app.pool).await.unwrap();
    committed.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("REQ-{}-{n:04}", year())).collect();
    assert_eq!(committed, expected);
}

async fn appointment_path(staff: &Staff) -> String {
    staff.post("/api/clients", json!({ "id": "c-1", "name": "Acme" })).await;
    let (_, request) = staff.post("/api/requests", json!({ "client_id": "c-1", "vehicle_make": "Volvo" })).await;
    let request_id = request["id"].as_str().unwrap();
    let (status, inspection) = staff.post(&format!("/api/requests/{request_id}/inspection"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = staff.post(&format!("/api/requests/{request_id}/inspection"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "a second 'create inspection' returns the first");
    assert_eq!(again, inspection);
    let fetched = staff.client.get(&format!("/api/requests/{request_id}/inspection")).await;
    assert_eq!(fetched.body, inspection);
    let inspection_id = inspection["id"].as_str().unwrap();
    let (status, appointment) = staff
        .post(
            &format!("/api/inspections/{inspection_id}/appointments"),
            json!({ "scheduled_at": "2026-12-01T09:00:00Z", "location": "Depot" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{appointment}");
    format!("/api/appointments/{}", appointment["id"].as_str().unwrap())
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_starts_make_one_assessment_with_all_its_sections(pool: sqlx::PgPool) {
    let staff = Staff::new(pool).await;
    let appointment = appointment_path(&staff).await;
    let replies = staff.posts_at_once(50, &format!("{appointment}/assessment"), |_| json!({})).await;

    assert_eq!(
        replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(),
        1,
        "{:?}",
        replies.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(replies.iter().filter(|(s, _)| *s == StatusCode::OK).count(), 49);
    let id = &replies[0].1["id"];
    assert!(replies.iter().all(|(_, body)| &body["id"] == id && body["tyres"].as_array().map(Vec::len) == Some(5)));
    assert_eq!(replies[0].1["number"], format!("ASM-{}-0001", year()));

    let (assessments, identification, tyres, damage, values, pre, estimates, asm_numbers): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i32,
    ) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM assessments), (SELECT count(*) FROM assessment_identification),
                (SELECT count(*) FROM assessment_tyres),
                (SELECT count(*) FROM assessment_damage), (SELECT count(*) FROM assessment_vehicle_values),
                (SELECT count(*) FROM assessment_pre_incident_estimates), (SELECT count(*) FROM assessment_estimates),
                (SELECT last_value FROM document_counters WHERE kind = 'ASM')",
    )
    .fetch_one(&staff.app.pool)
    .await
    .unwrap();
    assert_eq!(
        (assessments, identification, tyres, damage, values, pre, estimates, asm_numbers),
        (1, 1, 5, 1, 1, 1, 1, 1)
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn tyre_rows_and_appointments_are_version_checked(pool: sqlx::PgPool) {
    let staff = Staff::new(pool).await;
    let appointment = appointment_path(&staff).await;
    let (_, assessment) = staff.post(&format!("{appointment}/assessment"), json!({})).await;
    let section = |name: &str| format!("/api/assessments/{}/{name}", assessment["id"].as_str().unwrap());
    let staff = &staff.client;

    let tyre = section("tyres/front_left");
    let saved = staff.put(&tyre, json!({ "version": 1, "make": "Michelin", "tread_depth_mm": "6.5" })).await;
    assert_eq!(saved.status, StatusCode::OK);
    let stale = staff.put(&tyre, json!({ "version": 1, "make": "Pirelli" })).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        (stale.body["error"]["current"]["make"].clone(), stale.body["error"]["current"]["version"].clone()),
        (json!("Michelin"), json!(2))
    );
    let bad = staff.put(&tyre, json!({ "version": 2, "tread_depth_mm": "deep" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let estimate = section("estimate");
    let saved = staff.put(&estimate, json!({ "version": 1, "labour": "100", "parts": "250.5" })).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(
        (saved.body["total"].clone(), saved.body["version"].clone()),
        (json!("350.50"), json!(2)),
        "the server adds it up"
    );
    let stale = staff.put(&estimate, json!({ "version": 1, "labour": "1" })).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let bad = staff.put(&estimate, json!({ "version": 2, "paint": "-3" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let damage = section("damage");
    let saved = staff.put(&damage, json!({ "version": 1, "description": "Dent in the rear door" })).await;
    assert_eq!(saved.status, StatusCode::OK);
    let stale = staff.send_if_match(Method::PUT, &damage, "\"v1\"", json!({ "severity": "minor" })).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["error"]["current"]["description"], "Dent in the rear door");
    let values = staff.put(&section("vehicle-values"), json!({ "version": 1, "market_value": "12000" })).await;
    assert_eq!(values.body["market_value"], "12000.00");

    let moved = staff.patch(&appointment, json!({ "version": 1, "scheduled_at": "2026-12-02T09:00:00Z" })).await;
    assert_eq!(moved.status, StatusCode::OK);
    let stale = staff
        .send_if_match(Method::PATCH, &appointment, "\"v1\"", json!({ "scheduled_at": "2026-12-03T09:00:00Z" }))
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_section_save_writes_one_audit_row_in_its_own_statement(pool: sqlx::PgPool) {
    // The audit row is written by the same statement as the save: one row
    // per save, naming who and both versions; a stale save writes none.
    let staff = Staff::new(pool).await;
    let appointment = appointment_path(&staff).await;
    let (_, assessment) = staff.post(&format!("{appointment}/assessment"), json!({})).await;
    let id = assessment["id"].as_str().unwrap();
    let sections = [
        ("tyres/front_left", json!({ "make": "Michelin" }), "assessment_tyre", format!("{id}/front_left")),
        ("estimate", json!({ "labour": "10" }), "assessment_estimate", format!("{id}/estimate")),
        ("identification", json!({ "colour": "Red" }), "assessment_section", format!("{id}/identification")),
        ("damage", json!({ "severity": "minor" }), "assessment_section", format!("{id}/damage")),
        ("vehicle-values", json!({ "market_value": "100" }), "assessment_section", format!("{id}/vehicle_values")),
        (
            "pre-incident-estimate",
            json!({ "value": "90" }),
            "assessment_section",
            format!("{id}/pre_incident_estimate"),
        ),
    ];
    let staff_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'staff'").fetch_one(&staff.app.pool).await.unwrap();
    for (path, fields, entity, key) in sections {
        let path = format!("/api/assessments/{id}/{path}");
        let mut body = fields.clone();
        body["version"] = json!(1);
        let saved = staff.client.put(&path, body.clone()).await;
        assert_eq!(saved.status, StatusCode::OK, "{path}: {}", saved.body);
        let stale = staff.client.put(&path, body).await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{path}");
        let rows: Vec<(Option<uuid::Uuid>, String, Option<i32>, Option<i32>)> = sqlx::query_as(
            "SELECT actor_id, action, old_version, new_version FROM audit_log WHERE entity = $1 AND entity_id = $2",
        )
        .bind(entity)
        .bind(&key)
        .fetch_all(&staff.app.pool)
        .await
        .unwrap();
        assert_eq!(rows, vec![(Some(staff_id), "update".to_owned(), Some(1), Some(2))], "{path}");
    }
    let client = json!({ "version": 1, "name": "Acme Ltd" });
    assert_eq!(staff.client.put("/api/clients/c-1", client.clone()).await.status, StatusCode::OK);
    assert_eq!(staff.client.put("/api/clients/c-1", client).await.status, StatusCode::CONFLICT);
    let rows: Vec<(Option<uuid::Uuid>, Option<i32>, Option<i32>)> = sqlx::query_as(
        "SELECT actor_id, old_version, new_version FROM audit_log
         WHERE entity = 'client' AND entity_id = 'c-1' AND action = 'update'",
    )
    .fetch_all(&staff.app.pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![(Some(staff_id), Some(1), Some(2))], "the client edit");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn members_cannot_use_the_workflow(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let member = common::signed_in_member(&app, "member@example.com").await;
    assert_eq!(member.post("/api/requests", json!({ "client_id": "c-1" })).await.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_api_key_drives_the_workflow_and_the_history_names_it(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let issued = {
        let mut conn = app.pool.acquire().await.unwrap();
        server::api_keys::create(&mut conn, "Claims portal", &server::api_keys::Scope::ALL, None, None).await.unwrap()
    };
    // No session at all: the key alone authenticates.
    let wrong = app.api(common::client_with_api_key("lsk_wrong_key"));
    assert_eq!(wrong.post("/api/clients", json!({ "name": "Acme" })).await.status, StatusCode::UNAUTHORIZED);
    let system = app.api(common::client_with_api_key(&issued.secret));
    assert_eq!(system.post("/api/clients", json!({ "id": "c-9", "name": "Acme" })).await.status, StatusCode::CREATED);
    let vehicle =
        json!({ "client_id": "c-9", "vehicle_make": "Saab", "registration": "AB 123", "vin": "YS3DD55B0X2000001" });
    let request = system.post("/api/requests", vehicle).await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let inspection = system
        .post(&format!("/api/requests/{}/inspection", request.body["id"].as_str().unwrap()), json!({}))
        .await
        .body;
    let appointment = system
        .post(
            &format!("/api/inspections/{}/appointments", inspection["id"].as_str().unwrap()),
            json!({ "scheduled_at": "2026-12-01T09:00:00Z", "location": "Yard" }),
        )
        .await
        .body;
    let started =
        system.post(&format!("/api/appointments/{}/assessment", appointment["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let assessment = started.body;
    assert_eq!(assessment["identification"]["registration"], "AB 123", "identification starts from the request");
    assert_eq!(assessment["identification"]["vin"], "YS3DD55B0X2000001");

    let key_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE api_key_id = $1 AND actor_id IS NULL")
        .bind(issued.key.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(key_rows, 5, "client, request, inspection, appointment and assessment name the key");
    let mut conn = app.pool.acquire().await.unwrap();
    let history = server::audit::history(&mut conn, "assessment", assessment["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(history[0].actor.as_deref(), Some("API key Claims portal"));

    // Tabs: marking is idempotent and needs no version; an unknown tab is refused.
    let id = assessment["id"].as_str().unwrap();
    for _ in 0..2 {
        let marked = system.put(&format!("/api/assessments/{id}/tabs/damage"), json!({ "complete": true })).await;
        assert_eq!((marked.status, marked.body["tabs_completed"].clone()), (StatusCode::OK, json!(["damage"])));
        assert_eq!(marked.body["current_tab"], "vehicle_values");
        assert_eq!(marked.body["version"], 1, "tab marks leave the assessment's version alone");
    }
    assert_eq!(
        system.put(&format!("/api/assessments/{id}/tabs/nonsense"), json!({ "complete": true })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let identification = format!("/api/assessments/{id}/identification");
    let saved = system
        .put(
            &identification,
            json!({ "version": 1, "registration": "AB 123", "vin": "YS3DD55B0X2000001", "odometer_km": "84 120", "colour": "Red" }),
        )
        .await;
    assert_eq!(
        (saved.status, saved.body["odometer_km"].clone(), saved.body["version"].clone()),
        (StatusCode::OK, json!("84120"), json!(2))
    );
    let stale = system.put(&identification, json!({ "version": 1, "colour": "Blue" })).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["error"]["current"]["colour"], "Red");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn appointment_times_are_entered_and_shown_in_the_business_time_zone(pool: sqlx::PgPool) {
    let app = common::spawn_with(pool, |settings| {
        settings.time_zone = server::numbers::BusinessTimeZone::new("Europe/Berlin")
    })
    .await;
    let staff = common::signed_in_staff(&app).await;
    assert_eq!(
        staff.post("/api/clients", json!({ "id": "tz-1", "name": "Zeit GmbH" })).await.status,
        StatusCode::CREATED
    );
    let request = staff.post("/api/requests", json!({ "client_id": "tz-1", "vehicle_make": "Opel" })).await.body;
    let request_id = request["id"].as_str().expect("an id").to_owned();
    let inspection = staff.post(&format!("/api/requests/{request_id}/inspection"), json!({})).await.body;
    let inspection_id = inspection["id"].as_str().expect("an id").to_owned();

    // Typed as Berlin wall-clock time, stored as the moment it names.
    let book = |at: &'static str| {
        let (app, http, inspection_id) = (app.clone(), staff.http.clone(), inspection_id.clone());
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            let form = [
                ("inspection_id", inspection_id.as_str()),
                ("scheduled_at", at),
                ("location", "Hof"),
                ("idempotency_key", key.as_str()),
            ];
            app.server_fn(&http, "create_appointment", &form).await
        }
    };
    let (status, number) = book("2027-01-15T10:30").await;
    assert_eq!(status, StatusCode::OK, "{number}");
    let stored: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT scheduled_at FROM appointments WHERE number = $1")
            .bind(number.as_str().expect("a number"))
            .fetch_one(&app.pool)
            .await
            .expect("the appointment");
    assert_eq!(stored.to_rfc3339(), "2027-01-15T09:30:00+00:00");

    // A time the clocks skip is a field error, not a guess.
    let (status, refused) = book("2027-03-28T02:30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "scheduled_at");

    let page = staff.http.get(app.url(&format!("/staff/requests/{request_id}"))).send().await.expect("the page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Date and time (Europe/Berlin)"), "the form says which zone");
    assert!(html.contains("2027-01-15 10:30 CET"), "the time is shown in it");
    assert!(html.contains(r#"value="2027-01-15T10:30""#), "and offered for rescheduling in it");

    // 02:30 on 2027-10-31 happens twice in Berlin; the second is 01:30Z.
    // A reschedule that keeps the time shown keeps that moment.
    let booked = staff
        .post(
            &format!("/api/inspections/{inspection_id}/appointments"),
            json!({ "scheduled_at": "2027-10-31T01:30:00Z", "location": "Hof" }),
        )
        .await
        .body;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let form = [
        ("appointment_id", id.as_str()),
        ("version", "1"),
        ("scheduled_at", "2027-10-31T02:30"),
        ("location", "Halle 2"),
        ("assessor_id", ""),
    ];
    let (status, body) = app.server_fn(&staff.http, "reschedule_appointment", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kept: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT scheduled_at FROM appointments WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .expect("the appointment");
    assert_eq!(kept.to_rfc3339(), "2027-10-31T01:30:00+00:00", "not moved an hour earlier");
}

//! Accounts and sessions over real HTTP against a real PostgreSQL.

use crate::common::{self, PASSWORD};

use reqwest::StatusCode;
use server::accounts::Role;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn twenty_simultaneous_sign_ups_with_one_email_make_one_account(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let results = common::at_once(20, |i| {
        // Same address in different letter cases, each a different person's form.
        let email = if i % 2 == 0 { "Grace@Example.com" } else { "grace@EXAMPLE.com" };
        let (app, client) = (app.clone(), app.device());
        async move { app.sign_up(&client, email, PASSWORD, &format!("form-{i}")).await }
    })
    .await;

    let created = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    let refused: Vec<_> = results.iter().filter(|(status, _)| *status == StatusCode::CONFLICT).collect();
    assert_eq!(created, 1, "exactly one sign-up succeeds: {results:?}");
    assert_eq!(refused.len(), 19, "the others are told the email is taken: {results:?}");
    for (_, body) in &refused {
        assert_eq!(body["AlreadyExists"]["field"], "email", "{body}");
    }
    assert_eq!(app.count_users("grace@example.com").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_resent_sign_up_form_returns_the_first_account(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    // Five copies of one form (same idempotency key): a double click before
    // hydration, a refresh, a network resend.
    let results = common::at_once(5, |_| {
        let (app, client) = (app.clone(), app.device());
        async move { app.sign_up(&client, "ada@example.com", PASSWORD, "one-form").await }
    })
    .await;
    for (status, body) in &results {
        // Either the account (first or replayed), or "still in progress".
        match *status {
            StatusCode::OK => assert_eq!(body["email"], "ada@example.com"),
            StatusCode::CONFLICT => assert_eq!(body, &serde_json::json!("InProgress")),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(results.iter().any(|(status, _)| *status == StatusCode::OK));
    assert_eq!(app.count_users("ada@example.com").await, 1);

    // Once the first has finished, a repeat always replays it.
    let (status, body) = app.sign_up(&app.device(), "ada@example.com", PASSWORD, "one-form").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.count_users("ada@example.com").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_reused_key_with_different_values_is_refused(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = app.device();
    assert_eq!(app.sign_up(&client, "ada@example.com", PASSWORD, "k").await.0, StatusCode::OK);
    let (status, body) = app.sign_up(&client, "someone-else@example.com", PASSWORD, "k").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Same values but a wrong password: the key alone must not sign anyone in.
    let (status, _) = app.sign_up(&client, "ada@example.com", "not the password", "k").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count_users("someone-else@example.com").await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invalid_sign_up_fields_are_field_errors(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = app.device();
    let (status, body) = app.sign_up(&client, "not-an-email", PASSWORD, "k1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "email");
    let (status, body) = app.sign_up(&client, "ada@example.com", "short", "k2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "password");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn each_device_keeps_its_own_session(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let (laptop, phone) = (app.device(), app.device());
    assert_eq!(app.me(&laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api_login(&laptop, "ada@example.com", PASSWORD).await, StatusCode::OK);
    assert_eq!(app.api_login(&phone, "ADA@example.com", PASSWORD).await, StatusCode::OK);
    assert_eq!(app.me(&laptop).await, StatusCode::OK);
    assert_eq!(app.me(&phone).await, StatusCode::OK);

    let logout = laptop.post(app.url("/api/auth/logout")).send().await.expect("logout");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me(&laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&phone).await, StatusCode::OK, "logging out one device leaves the other signed in");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn repeated_failed_logins_are_refused_for_a_while(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let client = app.device();
    for attempt in 1..=server::throttle::FREE_FAILURES_PER_ACCOUNT {
        let status = app.api_login(&client, "ada@example.com", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // One more failure starts the block ...
    assert_eq!(app.api_login(&client, "ada@example.com", "wrong password").await, StatusCode::UNAUTHORIZED);
    // ... and while it lasts even the right password is refused.
    let refused = app.login(&client, "ada@example.com", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert_eq!(refused.body["error"]["code"], "too_many_requests");
    // Another account is not affected.
    app.create_user("grace@example.com", PASSWORD, Role::Member).await;
    assert_eq!(app.api_login(&client, "grace@example.com", PASSWORD).await, StatusCode::OK);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn staff_functions_check_the_role(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("member@example.com", PASSWORD, Role::Member).await;
    app.create_user("staff@example.com", PASSWORD, Role::Staff).await;

    let anonymous = app.device();
    assert_eq!(app.server_fn(&anonymous, "staff_overview", &[]).await.0, StatusCode::UNAUTHORIZED);

    let member = app.device();
    app.api_login(&member, "member@example.com", PASSWORD).await;
    let (status, body) = app.server_fn(&member, "staff_overview", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let page = member.get(app.url("/staff")).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);

    let staff = app.device();
    app.api_login(&staff, "staff@example.com", PASSWORD).await;
    let (status, body) = app.server_fn(&staff, "staff_overview", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.as_array().is_some_and(|roles| roles.len() == 2), "{body}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn anonymous_visitors_are_sent_to_login_and_back(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/account")).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login?next=%2Faccount");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn cross_origin_posts_are_refused(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let client = app.device();
    let credentials = serde_json::json!({ "email": "ada@example.com", "password": PASSWORD });
    for path in ["/sfn/sign_up", "/sfn/log_in", "/api/auth/login"] {
        let request = client.post(app.url(path)).header("Origin", "http://evil.example");
        let response = request.header("Sec-Fetch-Site", "cross-site").json(&credentials).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.me(&client).await, StatusCode::UNAUTHORIZED, "no session was created");
    // The same request from our own origin goes through.
    let request = client.post(app.url("/api/auth/login")).header("Origin", &app.address);
    assert_eq!(request.json(&credentials).send().await.unwrap().status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn health_and_openapi_are_served(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let client = app.device();
    assert_eq!(client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(client.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    let document: serde_json::Value =
        client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let documented = [
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/cards",
        "/api/cards/{id}",
        "/api/profile/personal",
        "/api/profile/professional",
        "/api/clients",
        "/api/clients/{id}",
        "/api/requests",
        "/api/requests/{id}/inspection",
        "/api/inspections/{id}/appointments",
        "/api/appointments/{id}/assessment",
        "/api/assessments/{id}/tyres/{position}",
        "/api/assessments/{id}/estimate",
        "/api/assessments/{id}/report",
        "/api/assessments/{id}/identification",
        "/api/assessments/{id}/tabs/{tab}",
        "/api/external/assignments",
        "/api/scenarios",
        "/api/scenarios/{id}/assignments",
        "/api/assignments",
        "/api/assignments/bulk",
        "/api/assignments/mine",
        "/api/assignments/{id}/start",
        "/api/assignments/{id}/complete",
    ];
    for path in documented {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    // The document states the rules the server checks with (fields::Rule)
    // and the names values are sent as.
    let schemas = &document["components"]["schemas"];
    let card_name = &schemas["CardFields"]["properties"]["name"];
    assert_eq!((card_name["minLength"].as_u64(), card_name["maxLength"].as_u64()), (Some(1), Some(100)));
    assert_eq!(schemas["CardFields"]["required"], serde_json::json!(["name"]));
    assert_eq!(
        schemas["CardFields"]["properties"]["template"]["enum"],
        serde_json::json!(["classic", "modern", "bold"])
    );
    assert_eq!(schemas["Role"]["enum"], serde_json::json!(["member", "staff", "counselor", "admin"]));
    let patch = &document["paths"]["/api/cards/{id}"]["patch"]["responses"];
    for status in ["401", "404", "412", "422", "428", "503"] {
        assert!(patch[status].is_object(), "PATCH /api/cards/{{id}} documents {status}");
    }
    // The readable API page is built from the same document.
    let page = client.get(app.url("/docs/api")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("/api/external/assignments"));
    let missing = client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn metrics_count_requests_by_route_and_conflicts(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let member = common::signed_in_member(&app, "metrics@example.com").await;
    let card = member.post("/api/cards", serde_json::json!({ "name": "Metered" })).await.body;
    let id = card["id"].as_str().unwrap();
    for _ in 0..2 {
        member.patch(&format!("/api/cards/{id}"), serde_json::json!({ "version": 1, "tagline": "again" })).await;
    }
    let operators = common::spawn_metrics(app.pool.clone()).await;
    let metrics = member.http.get(format!("{operators}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(text.contains(r#"route="/api/cards/{id}""#), "latency by route pattern, not raw path:\n{text}");
    assert!(text.contains("lockstep_http_conflicts_total"), "the stale PATCH is counted:\n{text}");
    assert!(text.contains(r#"lockstep_errors_total{code="version_conflict"}"#), "{text}");
    assert!(text.contains("lockstep_db_pool_connections"), "{text}");
}

//! Attacks by a hostile user, over real HTTP against a real PostgreSQL, one
//! test (or more) per class in SECURITY.md. Parallel attacks are sent in
//! parallel, released together by a barrier.

use crate::common::{self, Events, TestApp, PASSWORD};

use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::accounts::Role;

/// A client that reports redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// What a browser without JavaScript sends when the log-in form is submitted.
async fn plain_log_in(app: &TestApp, client: &reqwest::Client, password: &str, next: &str) -> reqwest::Response {
    client
        .post(app.url("/sfn/log_in"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/login"))
        .form(&[("email", "ada@example.com"), ("password", password), ("next", next)])
        .send()
        .await
        .expect("log-in request")
}

fn cookies_of(headers: &HeaderMap) -> Vec<String> {
    headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).map(str::to_owned).collect()
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookies_of(headers)
        .into_iter()
        .filter_map(|cookie| cookie.split(';').next().map(str::to_owned))
        .find(|pair| pair.starts_with("lockstep_session="))
}

// 1. Open redirect, 2. a redirect built from input must not crash.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn log_in_never_redirects_off_the_site(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let site = url::Url::parse(&app.address).expect("site url");
    // Values that browsers strip, fold or decode into another host.
    let hostile = [
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/%09/evil.example",
        "/%5C%5Cevil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/\u{1}/evil.example",
        "/\u{7f}x",
        "/\u{0}",
    ];
    for next in hostile {
        let response = plain_log_in(&app, &no_redirects(), PASSWORD, next).await;
        assert!(response.status().is_redirection(), "{next:?}: {}", response.status());
        let location = response.headers()[LOCATION].to_str().expect("a valid Location");
        let resolved = site.join(location).expect("a resolvable Location");
        assert_eq!(resolved.origin(), site.origin(), "{next:?} led to {location:?}");
        assert!(!location.starts_with("//"), "{next:?} led to {location:?}");
    }
    // A path on this site is kept.
    let response = plain_log_in(&app, &no_redirects(), PASSWORD, "/cards?view=all").await;
    assert_eq!(response.headers()[LOCATION], "/cards?view=all");
}

// 3. Session renewal.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn signing_in_over_a_session_issues_a_new_id_and_kills_the_old_one(pool: sqlx::PgPool) {
    let app_a = common::spawn(pool.clone()).await;
    let app_b = common::spawn(pool).await;
    app_a.create_user("mallory@example.com", PASSWORD, Role::Member).await;
    app_a.create_user("ada@example.com", PASSWORD, Role::Member).await;

    // Mallory signs in and keeps a copy of her cookie; then Ada signs in
    // on that same browser (a shared computer, or a planted cookie).
    let mallory = common::session_cookie_for(&app_a, "mallory@example.com", PASSWORD).await;
    let login = app_a.login(&common::client_with_cookie(&mallory), "ada@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let ada = session_cookie(&login.headers).expect("a new session cookie");
    assert_ne!(ada, mallory, "the session id changed at sign-in");

    // The old copy is dead on every instance; the new id is Ada's.
    for app in [&app_a, &app_b] {
        assert_eq!(app.me(&common::client_with_cookie(&mallory)).await, StatusCode::UNAUTHORIZED);
        let me = app.api(common::client_with_cookie(&ada)).get("/api/auth/me").await.body;
        assert_eq!(me["email"], "ada@example.com");
    }
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM devices").fetch_one(&app_a.pool).await.unwrap();
    assert_eq!(devices, 1, "Mallory's device went with her session");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sign_up_and_password_change_issue_new_session_ids(pool: sqlx::PgPool) {
    let app = common::spawn(pool.clone()).await;
    let other_instance = common::spawn(pool).await;
    // An anonymous session first (a failed log-in stores the throttle, not
    // a session; a visit with a planted cookie is what an attacker has).
    let planted = "lockstep_session=planted-by-an-attacker";
    let sign_up =
        [("display_name", "Ada"), ("email", "ada@example.com"), ("password", PASSWORD), ("idempotency_key", "k1")];
    let response = app.server_fn_reply(&common::client_with_cookie(planted), "sign_up", &sign_up).await;
    assert_eq!(response.status, StatusCode::OK);
    let signed_up = session_cookie(&response.headers).expect("a session cookie");
    assert_ne!(signed_up, planted);

    let change = [("current_password", PASSWORD), ("new_password", "a brand new password")];
    let response = app.server_fn_reply(&common::client_with_cookie(&signed_up), "change_password", &change).await;
    assert_eq!(response.status, StatusCode::OK);
    let renewed = session_cookie(&response.headers).expect("a renewed session cookie");
    assert_ne!(renewed, signed_up, "the password change renewed the session id");
    for instance in [&app, &other_instance] {
        assert_eq!(instance.me(&common::client_with_cookie(&signed_up)).await, StatusCode::UNAUTHORIZED);
        assert_eq!(instance.me(&common::client_with_cookie(&renewed)).await, StatusCode::OK);
    }
}

// 4. Throttling that cannot be raced.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn forty_simultaneous_wrong_passwords_get_only_the_allowance_evaluated(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let statuses = common::at_once(40, |i| {
        let (app, client) = (app.clone(), app.device());
        async move { app.api_login(&client, "ada@example.com", &format!("guess number {i}")).await }
    })
    .await;
    let evaluated = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    let allowance = server::throttle::allowance(server::throttle::FREE_FAILURES_PER_ACCOUNT) as usize;
    assert!(evaluated <= allowance, "{evaluated} guesses evaluated, allowance {allowance}: {statuses:?}");
    assert_eq!(evaluated + refused, 40, "only 401 and 429, never a 5xx: {statuses:?}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn current_password_guesses_are_throttled_too(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = common::signed_in_cookie(&app, "ada@example.com").await;
    let statuses = common::at_once(20, |i| {
        let (app, client) = (app.clone(), common::client_with_cookie(&cookie));
        async move {
            let current = format!("guess number {i}");
            let form = [("current_password", current.as_str()), ("new_password", "a brand new password")];
            app.server_fn(&client, "change_password", &form).await.0
        }
    })
    .await;
    let evaluated = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    let allowance = server::throttle::allowance(server::throttle::FREE_FAILURES_PER_PASSWORD_CHANGE) as usize;
    assert!(evaluated <= allowance, "{evaluated} evaluated: {statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(),
        20 - evaluated,
        "{statuses:?}"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sign_ups_from_one_address_are_limited(pool: sqlx::PgPool) {
    let app = common::spawn_with(pool, |settings| settings.sign_ups_per_address = 3).await;
    let statuses = common::at_once(10, |i| sign_up_as_number(&app, "spam", i)).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 7, "{statuses:?}");
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(accounts, 3);
}

/// The `i`-th of many sign-ups, each on a device of its own, with the
/// address `{prefix}-{i}@example.com`; its status.
fn sign_up_as_number(app: &TestApp, prefix: &str, i: usize) -> impl std::future::Future<Output = StatusCode> {
    let (app, client, email) = (app.clone(), app.device(), format!("{prefix}-{i}@example.com"));
    async move { app.sign_up(&client, &email, PASSWORD, &format!("form-{i}")).await.0 }
}

// 5. Password hashing cannot starve everyone else.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fifty_simultaneous_sign_ups_leave_signed_in_users_answered(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let reader = common::signed_in_member(&app, "reader@example.com").await;
    let timed_get = || async {
        let started = Instant::now();
        // Only until the status, as a browser would judge the wait.
        let status = reader.http.get(reader.url("/api/cards")).send().await.expect("cards").status();
        (status, started.elapsed())
    };
    // The usual latency, measured here first.
    let mut usual = Vec::new();
    for _ in 0..20 {
        let (status, took) = timed_get().await;
        assert_eq!(status, StatusCode::OK);
        usual.push(took);
    }
    usual.sort();
    let usual_worst = usual[usual.len() - 1];

    let sign_ups = common::released_together(50, |i| sign_up_as_number(&app, "burst", i)).await;
    let mut during = Vec::new();
    while sign_ups.iter().any(|task| !task.is_finished()) {
        let (status, took) = timed_get().await;
        assert_eq!(status, StatusCode::OK, "a signed-in user is answered during the burst");
        during.push(took);
    }
    let statuses = common::joined(sign_ups).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert!(!during.is_empty(), "the burst took long enough to be observed");
    during.sort();
    let median = during[during.len() / 2];
    // Within its usual latency: the median no worse than the worst seen
    // before the burst plus a scheduling margin, nothing near a timeout.
    let margin = Duration::from_millis(50);
    assert!(median <= usual_worst + margin, "median {median:?} during the burst, usual worst {usual_worst:?}");
    assert!(during[during.len() - 1] < Duration::from_secs(1), "worst {:?} during the burst", during[during.len() - 1]);
}

// 6. Live streams end with their session.

/// Ends the session behind `cookie` in one of the ways a person can.
enum Ending {
    LogOut,
    RevokedFromAnotherDevice,
    PasswordChangedElsewhere,
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_staff_stream_ends_when_its_session_does_on_every_instance(pool: sqlx::PgPool) {
    let app_a = common::spawn(pool.clone()).await;
    let app_c = common::spawn(pool).await;
    app_a.create_user("staff@example.com", PASSWORD, Role::Staff).await;
    for ending in [Ending::LogOut, Ending::RevokedFromAnotherDevice, Ending::PasswordChangedElsewhere] {
        let watched = common::session_cookie_for(&app_a, "staff@example.com", PASSWORD).await;
        let other = common::session_cookie_for(&app_a, "staff@example.com", PASSWORD).await;
        // The stream is on instance C; the session ends through instance A.
        let mut events = Events::open(&app_c, &watched, "client:*").await;
        let staff = common::client_with_cookie(&other);
        let created = app_a.api(staff.clone()).post("/api/clients", json!({ "name": "Before the end" })).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let (event, _) = events.next(Duration::from_secs(10)).await;
        assert_eq!(event, "change", "the stream delivers while the session lives");

        match ending {
            Ending::LogOut => {
                let response = common::client_with_cookie(&watched)
                    .post(app_a.url("/api/auth/logout"))
                    .send()
                    .await
                    .expect("logout");
                assert_eq!(response.status(), StatusCode::NO_CONTENT);
            }
            Ending::RevokedFromAnotherDevice => {
                app_a.server_fn_ok(&staff, "revoke_other_devices", &[]).await;
            }
            Ending::PasswordChangedElsewhere => {
                let form = [("current_password", PASSWORD), ("new_password", PASSWORD)];
                app_a.server_fn_ok(&staff, "change_password", &form).await;
            }
        }
        let ended = events.end_within(Duration::from_secs(10)).await;
        let before_end = ended.expect("the stream ends with its session");
        assert!(before_end.iter().all(|event| event != "change"), "nothing delivered after the end: {before_end:?}");
        // Clean up the other device's session for the next round.
        sqlx::query("DELETE FROM devices").execute(&app_a.pool).await.unwrap();
    }
}

/// The window between a request's device check and its subscription: a
/// session that ended there must not get a stream (it would never hear
/// the notice of its end, which went out before it listened).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_stream_for_a_session_that_just_ended_is_refused(pool: sqlx::PgPool) {
    let app = common::spawn(pool.clone()).await;
    app.create_user("staff@example.com", PASSWORD, Role::Staff).await;
    let user: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'staff@example.com'").fetch_one(&pool).await.unwrap();
    let hub = server::notices::Hub::new();
    // The device was checked, then deleted, before the stream subscribed.
    let ended = server::notices::Viewer { user, device: uuid::Uuid::new_v4() };
    let topics = || vec![server::notices::Topic { entity: "client".into(), key: "*".into(), by: None }];
    let refused = server::notices::stream(&hub, pool.clone(), ended, topics(), false).await;
    assert!(matches!(refused, Err(server::Error::Unauthorized)), "a stream for a device that is gone");

    let device: uuid::Uuid =
        sqlx::query_scalar("INSERT INTO devices (user_id, user_agent) VALUES ($1, 'test') RETURNING id")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
    let live = server::notices::stream(&hub, pool, server::notices::Viewer { user, device }, topics(), false).await;
    assert!(live.is_ok(), "a live device gets its stream");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn streams_and_topics_are_bounded(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let cookie = common::signed_in_cookie(&app, "ada@example.com").await;
    let client = common::client_with_cookie(&cookie);
    let mut open = Vec::new();
    for _ in 0..server::notices::MAX_STREAMS_PER_USER {
        let response = client.get(app.url("/api/events?watch=business_card:*")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        open.push(response);
    }
    let refused = client.get(app.url("/api/events?watch=business_card:*")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    drop(open);
    let topics: Vec<String> =
        (0..=server::notices::MAX_TOPICS_PER_STREAM).map(|i| format!("business_card:{i}")).collect();
    let wide = client.get(app.url(&format!("/api/events?watch={}", topics.join(",")))).send().await.unwrap();
    assert_eq!(wide.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

// 7. Metrics are not public, and their labels are bounded.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn metrics_are_not_on_the_public_address_and_labels_stay_bounded(pool: sqlx::PgPool) {
    let app = common::spawn(pool.clone()).await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(app.url("/metrics")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    for invented in ["FOOBAR", "BREW", "X-ATTACK-1"] {
        let method = Method::from_bytes(invented.as_bytes()).unwrap();
        client.request(method, app.url(&format!("/no/such/{invented}"))).send().await.unwrap();
    }
    let operators = common::spawn_metrics(pool).await;
    let response = client.get(format!("{operators}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for invented in ["FOOBAR", "BREW", "X-ATTACK-1", "/no/such"] {
        assert!(!text.contains(invented), "{invented} became a label:\n{text}");
    }
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(text.contains(r#"route="unmatched""#), "{text}");
}

// 8. Oversized and malformed input is a 4xx in the usual shape.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn oversized_bodies_are_413_in_the_usual_shape(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let member = common::signed_in_member(&app, "ada@example.com").await;
    let huge = "x".repeat(3 * 1024 * 1024);

    let form = [("email", "ada@example.com"), ("password", huge.as_str()), ("next", "/")];
    let response = app.server_fn_reply(&member.http, "log_in", &form).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.body, json!("TooLarge"));

    let response = member.post("/api/cards", json!({ "name": huge })).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.body["error"]["code"], "payload_too_large");

    // Chunked, with no Content-Length to judge by.
    let chunks = futures::stream::iter((0..48).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024])));
    let response = member
        .http
        .post(member.url("/api/cards"))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A body that trickles in (slowloris) is cut off with 408, not held open.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_body_that_never_finishes_arriving_is_408(pool: sqlx::PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = common::spawn_with(pool, |settings| settings.body_timeout = Duration::from_millis(500)).await;
    let host = app.address.trim_start_matches("http://");
    let mut connection = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"email\":"
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), connection.read(&mut answer))
        .await
        .expect("the server answers a stalled body instead of waiting for it")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn long_and_malformed_input_is_a_4xx_never_a_5xx(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let staff = common::signed_in_staff(&app).await;
    let long = "a".repeat(5000);
    let long_email = format!("{long}@example.com");

    // An email of thousands of characters at log-in, both ways in.
    let status = app.api_login(&app.device(), &long_email, PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        app.server_fn(&app.device(), "log_in", &[("email", &long_email), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.sign_up(&app.device(), &long_email, PASSWORD, "k").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A server function called with a body that is not its arguments.
    let response = staff
        .http
        .post(app.url("/sfn/log_in"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("%%%not=a&form")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Long values and control characters in every create the staff API has.
    let bodies = [
        ("/api/clients", json!({ "id": long, "name": "Acme" })),
        ("/api/clients", json!({ "name": long })),
        ("/api/clients", json!({ "name": "Acme\nInjected: header" })),
        ("/api/clients", json!({ "name": "Acme\u{1b}[31m" })),
        ("/api/cards", json!({ "name": "Line\r\nbreak" })),
        ("/api/cards", json!({ "name": long })),
        ("/api/scenarios", json!({ "title": long })),
        ("/api/scenarios", json!({ "title": "Tab\there" })),
    ];
    for (path, body) in bodies {
        let response = staff.post_with_key(path, &"k".repeat(4000), body.clone()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}");
        let response = staff.post(path, body.clone()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}");
        assert_eq!(response.body["error"]["code"], "invalid", "{path} {body}");
    }
    assert_eq!(staff.get(&format!("/c/{long}")).await.status, StatusCode::NOT_FOUND);
}

// 9. Protective headers.

/// The nonce a page's policy names, after checking that the policy is the
/// page policy and that every inline script of `html` carries that nonce
/// and no other nonce appears: the scripts the page needs can run, nothing
/// else can.
fn page_policy_nonce(path: &str, policy: &str, html: &str) -> String {
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{path}: the policy of a page names a nonce: {policy}"));
    assert!(policy.contains("form-action 'self'") && policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
    assert!(policy.contains("object-src 'none'"), "{path}: {policy}");
    assert!(!policy.contains("'unsafe-inline'; ") || policy.contains("style-src-attr 'unsafe-inline'"), "{policy}");
    assert!(!policy.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")), "{policy}");
    let scripts: Vec<&str> = html.split("<script").skip(1).map(|rest| rest.split('>').next().unwrap_or("")).collect();
    let inline: Vec<&&str> = scripts.iter().filter(|attributes| !attributes.contains("src=")).collect();
    assert!(!inline.is_empty(), "{path}: a page has inline scripts (hydration or resources)");
    for attributes in inline {
        assert!(attributes.contains(&format!("nonce=\"{nonce}\"")), "{path}: <script{attributes}> lacks nonce {nonce}");
    }
    assert_eq!(
        html.matches("nonce=\"").count(),
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        "{path}: the page names a nonce its policy does not"
    );
    nonce.to_owned()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn pages_carry_a_nonce_policy_and_frame_protection(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    let response = reqwest::get(app.url("/login")).await.unwrap();
    let headers = response.headers().clone();
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let html = response.text().await.unwrap();
    page_policy_nonce("/login", &policy, &html);
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");

    // A second page view gets another nonce.
    let again = reqwest::get(app.url("/login")).await.unwrap();
    assert_ne!(again.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap(), policy);

    // Everything else allows nothing to run.
    let api = reqwest::get(app.url("/api/auth/me")).await.unwrap();
    assert!(api.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

/// Every kind of page (a route for visitors, pages for members, the page
/// of an address that does not exist), many at once on one session and
/// among requests for the site's files: each page gets the page policy,
/// with a nonce of its own that is the one on its own inline scripts, and
/// each file the policy that allows nothing. Leptos 0.8 leaves the owner
/// of a page being rendered as the thread's current one, and its handler
/// for files takes the response headers of whatever owner is current:
/// a favicon fetched while another page rendered carried away that page's
/// policy (and would carry its cookies), and the page arrived without it
/// and could not load its styles or scripts, nor post its forms.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_page_gets_the_policy_of_its_own_nonce_even_many_at_once(pool: sqlx::PgPool) {
    let site = std::env::temp_dir().join(format!("lockstep-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&site).expect("site directory");
    std::fs::write(site.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").expect("favicon");
    std::fs::write(site.join("share.js"), "// share").expect("script");
    let app = common::spawn_serving(pool, site.to_str().expect("a UTF-8 path"), |_| {}).await;
    let cookie = common::signed_in_cookie(&app, "ada@example.com").await;
    let paths = [
        "/profile",
        "/favicon.svg",
        "/cards",
        "/share.js",
        "/profile/sessions",
        "/favicon.svg",
        "/no-such-page",
        "/login",
    ];
    let replies = common::at_once(96, |i| {
        let (client, path) = (common::client_with_cookie(&cookie), paths[i % paths.len()]);
        let url = app.url(path);
        async move {
            let response = client.get(url).header("Accept", "text/html").send().await.expect("request");
            let status = response.status();
            let headers = response.headers().clone();
            (path, status, headers, response.text().await.unwrap_or_default())
        }
    })
    .await;
    std::fs::remove_dir_all(&site).ok();
    let mut nonces = std::collections::HashSet::new();
    for (path, status, headers, html) in replies {
        let policy = headers.get(CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("(none)");
        if path.ends_with(".svg") || path.ends_with(".js") {
            assert_eq!(status, StatusCode::OK, "{path}: {}", &html[..html.len().min(300)]);
            assert!(policy.starts_with("default-src 'none'"), "{path} carries another response's policy: {policy}");
            assert!(cookies_of(&headers).is_empty(), "{path} carries cookies: {:?}", cookies_of(&headers));
            continue;
        }
        let expected = if path == "/no-such-page" { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(status, expected, "{path}");
        assert!(nonces.insert(page_policy_nonce(path, policy, &html)), "{path}: a nonce was sent twice");
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn over_https_the_session_cookie_is_host_prefixed_and_secure(pool: sqlx::PgPool) {
    let app = common::spawn_with(pool, |settings| settings.secure_cookies = true).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let login = app.login(&reqwest::Client::new(), "ada@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let cookie =
        cookies_of(&login.headers).into_iter().find(|c| c.contains("lockstep_session")).expect("session cookie");
    assert!(cookie.starts_with("__Host-lockstep_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");

    // So is the cookie that vouches for a no-JS form's error.
    let failed = plain_log_in(&app, &no_redirects(), "wrong password", "/cards").await;
    let cookie = cookies_of(failed.headers())
        .into_iter()
        .find(|c| c.contains("lockstep_form_error"))
        .expect("form-error cookie");
    assert!(cookie.starts_with("__Host-lockstep_form_error="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
}

// 10. Error text chosen by a link.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_crafted_link_cannot_put_words_on_a_form(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let forged = json!({ "Invalid": { "field": "email", "message": "Your account is locked: call +1 555 0100" } });
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(forged.to_string());
    let link = app.url(&format!("/login?next=%2Fcards&__path=%2Fsfn%2Flog_in&__err={encoded}"));

    let response = no_redirects().get(&link).header("Accept", "text/html").send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()[LOCATION], "/login?next=%2Fcards", "the error is dropped, the rest kept");
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(!page.contains("call +1 555 0100"), "the forged text is not shown");

    // Dropping the error keeps the path, and a path that starts with two
    // slashes must not become a link to another host.
    let site = url::Url::parse(&app.address).expect("site url");
    for path in ["//evil.example/", "///evil.example/", "//evil.example/login"] {
        let link = app.url(&format!("{path}?__err=x&__path=%2Fsfn%2Flog_in"));
        let response = no_redirects().get(&link).header("Accept", "text/html").send().await.unwrap();
        assert!(response.status().is_redirection(), "{path}: {}", response.status());
        let location = response.headers()[LOCATION].to_str().expect("a valid Location");
        assert!(!location.starts_with("//"), "{path} led to {location:?}");
        assert_eq!(site.join(location).expect("resolvable").origin(), site.origin(), "{path} led to {location:?}");
    }

    // The visitor whose form really failed sees the real error.
    let visitor =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
    let page = plain_log_in(&app, &visitor, "wrong password", "/cards").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.url().query().unwrap_or_default().contains("__err="), "{}", page.url());
    assert!(page.text().await.unwrap().contains("Wrong email or password."));
}

// 11. API keys have scopes and may expire.

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn api_keys_only_do_what_their_scopes_allow(pool: sqlx::PgPool) {
    use server::api_keys::Scope;
    let app = common::spawn(pool.clone()).await;
    let issue = |scopes: &'static [Scope], expires_at: Option<chrono::DateTime<chrono::Utc>>| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            server::api_keys::create(&mut conn, "Partner", scopes, expires_at, None).await.unwrap().secret
        }
    };
    let workflow = issue(&[Scope::Workflow], None).await;
    let assignments = issue(&[Scope::Assignments], None).await;
    let post = |path: &'static str, key: String, body: Value| {
        let system = app.api(common::client_with_api_key(&key));
        async move { system.post(path, body).await.status }
    };
    let client = json!({ "name": "Acme" });
    let assignment = json!({ "user_id": "nobody", "scenario_id": uuid::Uuid::new_v4() });
    assert_eq!(post("/api/clients", assignments.clone(), client.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(post("/api/clients", workflow.clone(), client.clone()).await, StatusCode::CREATED);
    assert_eq!(post("/api/external/assignments", workflow.clone(), assignment.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(post("/api/external/assignments", assignments.clone(), assignment.clone()).await, StatusCode::NOT_FOUND);

    // An expired key is refused like a revoked one.
    let soon = issue(&[Scope::Workflow], Some(chrono::Utc::now() + chrono::Duration::milliseconds(200))).await;
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE expires_at IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(post("/api/clients", soon, client).await, StatusCode::UNAUTHORIZED);

    // Keys without a scope cannot be made.
    let mut conn = pool.acquire().await.unwrap();
    let none = server::api_keys::create(&mut conn, "Nothing", &[], None, None).await;
    assert!(matches!(none, Err(server::Error::Invalid { ref field, .. }) if field == "scopes"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_genuine_error_cannot_carry_a_forged_one_beside_it(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    // The visitor really failed to log in, so they hold the cookie that
    // vouches for that error; a link adds a second, forged __err.
    let visitor =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let failed = plain_log_in(&app, &visitor, "wrong password", "/cards").await;
    let genuine = failed.headers()[LOCATION].to_str().unwrap().to_owned();
    let forged = json!({ "Invalid": { "field": "email", "message": "Account locked: call +1 555 0100" } });
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(forged.to_string());
    let link = format!("{genuine}&__err={encoded}");
    let response = visitor.get(&link).header("Accept", "text/html").send().await.unwrap();
    assert!(response.status().is_redirection(), "two errors are not vouched for: {}", response.status());
    assert!(!response.headers()[LOCATION].to_str().unwrap().contains("__err"));
}

/// An IPv6 host controls a whole /64: picking a new address in it for
/// every guess must not buy a new allowance.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn addresses_of_one_ipv6_network_share_one_throttle(pool: sqlx::PgPool) {
    let app = common::spawn_with_trusted_proxies(pool, vec![[127, 0, 0, 1].into()]).await;
    let guess = |from: String, email: String| {
        let address = app.address.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{address}/api/auth/login"))
                .header("X-Forwarded-For", from)
                .json(&json!({ "email": email, "password": "wrong password" }))
                .send()
                .await
                .expect("log-in request")
                .status()
        }
    };
    let allowance = server::throttle::allowance(server::throttle::FREE_FAILURES_PER_ADDRESS);
    // Each guess from a new address of the network, at a new account (so
    // only the address throttle can stop it).
    for i in 0..allowance {
        let status = guess(format!("2001:db8:7:7::{:x}", i + 1), format!("user-{i}@example.com")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    assert_eq!(guess("2001:db8:7:7:ffff::1".into(), "next@example.com".into()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        guess("::ffff:192.0.2.1".into(), "v4@example.com".into()).await,
        StatusCode::UNAUTHORIZED,
        "another network still may"
    );
    assert_eq!(guess("2001:db8:7:8::1".into(), "other@example.com".into()).await, StatusCode::UNAUTHORIZED);
}

/// Throttle counts that have gone quiet are deleted: a spray of addresses
/// cannot grow the table for ever.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn quiet_throttle_counts_are_forgotten(pool: sqlx::PgPool) {
    sqlx::query(
        "INSERT INTO login_throttle (subject, attempts, last_attempt)
         VALUES ('ip:old', 30, now() - interval '16 minutes'), ('ip:recent', 30, now() - interval '14 minutes')",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(server::throttle::forget_quiet(&pool).await.unwrap(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT subject FROM login_throttle").fetch_all(&pool).await.unwrap();
    assert_eq!(left, ["ip:recent"]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn case_variants_of_one_email_share_one_throttle(pool: sqlx::PgPool) {
    let app = common::spawn(pool).await;
    app.create_user("ada@example.com", PASSWORD, Role::Member).await;
    let client = app.device();
    let spellings = [
        "ada@example.com",
        "ADA@example.com",
        "Ada@Example.com",
        " ada@EXAMPLE.COM ",
        "aDa@example.com",
        "adA@exAmple.com",
    ];
    for email in spellings {
        assert_eq!(app.api_login(&client, email, "wrong password").await, StatusCode::UNAUTHORIZED, "{email}");
    }
    assert_eq!(app.api_login(&client, "AdA@example.com", "wrong password").await, StatusCode::TOO_MANY_REQUESTS);
}

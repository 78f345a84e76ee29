//! Spawns the whole application on a random port against the fresh
//! database `#[sqlx::test]` made for the test, and talks to it over HTTP.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use leptos::config::{Env, LeptosOptions};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, |_| {}).await
}

/// The app believing `X-Forwarded-*` from these addresses.
pub async fn spawn_with_trusted_proxies(pool: PgPool, trusted_proxies: Vec<std::net::IpAddr>) -> TestApp {
    spawn_with(pool, |settings| settings.trusted_proxies = trusted_proxies).await
}

/// The app with its settings changed by `configure`. Every test client
/// comes from 127.0.0.1, so sign-ups per address are not limited unless a
/// test says so.
pub async fn spawn_with(pool: PgPool, configure: impl FnOnce(&mut lockstep::startup::Settings)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let address = listener.local_addr().expect("local address");
    let options = LeptosOptions::builder()
        .output_name("lockstep")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .site_addr(address)
        .env(Env::PROD)
        .build();
    let mut settings = lockstep::startup::Settings {
        secure_cookies: false,
        time_zone: Default::default(),
        notices: Default::default(),
        trusted_proxies: Vec::new(),
        sign_ups_per_address: 100_000,
        body_timeout: server::http::BODY_TIMEOUT,
    };
    configure(&mut settings);
    let app = lockstep::startup::app(pool.clone(), options, settings).await.expect("build the app");
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    TestApp { address: format!("http://{address}"), pool }
}

/// Serves the operators' metrics (what `--metrics-listen` serves) on a
/// port of its own; its base URL.
pub async fn spawn_metrics(pool: PgPool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let address = listener.local_addr().expect("local address");
    let router = server::metrics::router(pool);
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve metrics") });
    format!("http://{address}")
}

impl TestApp {
    /// A client with its own cookie jar and its own connections: one device.
    pub fn device(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).build().expect("http client")
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn server_fn(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = client
            .post(format!("{}/sfn/{name}", self.address))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn sign_up(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        key: &str,
    ) -> (StatusCode, Value) {
        self.server_fn(
            client,
            "sign_up",
            &[("display_name", "Ada Lovelace"), ("email", email), ("password", password), ("idempotency_key", key)],
        )
        .await
    }

    pub async fn api_login(&self, client: &reqwest::Client, email: &str, password: &str) -> StatusCode {
        client
            .post(format!("{}/api/auth/login", self.address))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("request")
            .status()
    }

    pub async fn me(&self, client: &reqwest::Client) -> StatusCode {
        client.get(format!("{}/api/auth/me", self.address)).send().await.expect("request").status()
    }

    pub async fn count_users(&self, email: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_one(&self.pool)
            .await
            .expect("count users")
    }

    /// Creates an account directly, with any role.
    pub async fn create_user(&self, email: &str, password: &str, role: server::accounts::Role) {
        let account = server::accounts::NewAccount::parse(email, "Test User", password).expect("valid account");
        let account = account.hash().await.expect("hash the password");
        let mut tx = self.pool.begin().await.expect("begin");
        server::accounts::create(&mut tx, &account, role).await.expect("create user");
        tx.commit().await.expect("commit");
    }
}

/// A signed-in session for a new account: its `Cookie` header value, to
/// hand to as many separate clients (connections) as a test needs.
pub async fn signed_in_cookie(app: &TestApp, email: &str) -> String {
    app.create_user(email, "correct horse battery", server::accounts::Role::Member).await;
    session_cookie(app, email).await
}

/// Signs in to an existing account (another device): its `Cookie` value.
pub async fn session_cookie(app: &TestApp, email: &str) -> String {
    session_cookie_for(app, email, "correct horse battery").await
}

/// Like [`session_cookie`], with the account's password.
pub async fn session_cookie_for(app: &TestApp, email: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/api/auth/login", app.address))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "login");
    let cookies: Vec<String> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .map(str::to_owned)
        .collect();
    assert!(!cookies.is_empty(), "the login sets a session cookie");
    cookies.join("; ")
}

/// A client of its own (own connection pool) that sends `cookie`.
pub fn client_with_cookie(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().expect("cookie header"));
    reqwest::Client::builder().default_headers(headers).build().expect("http client")
}

/// A client signed in as a new staff account, with its own cookie jar.
pub async fn signed_in_staff(app: &TestApp) -> reqwest::Client {
    app.create_user("staff@example.com", "correct horse battery", server::accounts::Role::Staff).await;
    let client = app.device();
    assert_eq!(app.api_login(&client, "staff@example.com", "correct horse battery").await, StatusCode::OK);
    client
}

/// Reads `event:`/`data:` blocks from a Server-Sent Events response.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub async fn open(app: &TestApp, cookie: &str, watch: &str) -> Events {
        let response = client_with_cookie(cookie)
            .get(format!("{}/api/events?watch={watch}", app.address))
            .send()
            .await
            .expect("open the stream");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Events { response, buffer: String::new() }
    }

    /// The next event (name, data), skipping keep-alive comments; fails the
    /// test when none comes within `limit`.
    pub async fn next(&mut self, limit: Duration) -> (String, serde_json::Value) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block.lines().find_map(|line| line.strip_prefix(name)).map(|value| value.trim().to_owned())
                };
                if let Some(event) = field("event:") {
                    let data = field("data:")
                        .and_then(|data| serde_json::from_str(&data).ok())
                        .unwrap_or(serde_json::Value::Null);
                    return (event, data);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("no event within the time limit")
                .expect("read the stream")
                .expect("the stream ended");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

impl Events {
    /// Whether the server ends the stream within `limit` (events before
    /// the end are returned, for the test to judge); `None` when it is
    /// still open at the deadline.
    pub async fn end_within(&mut self, limit: Duration) -> Option<Vec<String>> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) | Ok(Err(_)) => {
                    let events =
                        self.buffer.lines().filter_map(|line| line.strip_prefix("event:")).map(|e| e.trim().to_owned());
                    return Some(events.collect());
                }
            }
        }
    }
}

//! Spawns the whole application on a random port against the fresh
//! database `#[sqlx::test]` made for the test, and talks to it over HTTP.

// Each test module uses a different part of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use leptos::config::{Env, LeptosOptions};
use reqwest::header::{HeaderMap, IF_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    /// This instance's notices and the session cache they keep true.
    pub hub: server::notices::Hub,
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
    spawn_serving(pool, "target/site", configure).await
}

/// The app serving the site's files (favicon, scripts) from `site_root`.
pub async fn spawn_serving(
    pool: PgPool,
    site_root: &str,
    configure: impl FnOnce(&mut lockstep::startup::Settings),
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let address = listener.local_addr().expect("local address");
    let options = LeptosOptions::builder()
        .output_name("lockstep")
        .site_root(site_root)
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
        body_timeout: server::web::http::BODY_TIMEOUT,
        public_url: None,
        number_batch: server::numbers::MAX_BATCH,
    };
    configure(&mut settings);
    let hub = settings.notices.clone();
    let app = lockstep::startup::app(pool.clone(), options, settings).await.expect("build the app");
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    TestApp { address: format!("http://{address}"), pool, hub }
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

/// What a request was answered. The body is `Null` when it is not JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Reply { status, headers, body }
}

/// One client of one app, with typed calls to its JSON API; `http` is the
/// client itself, for requests these do not cover.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.http.get(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        reply(self.http.delete(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, body).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        reply(self.http.request(method, self.url(path)).json(&body)).await
    }

    /// A write that names the version it read as an ETag (`"v1"`) instead
    /// of in its body.
    pub async fn send_if_match(&self, method: Method, path: &str, etag: &str, body: Value) -> Reply {
        reply(self.http.request(method, self.url(path)).header(IF_MATCH, etag).json(&body)).await
    }

    pub async fn post_with_key(&self, path: &str, idempotency_key: &str, body: Value) -> Reply {
        reply(self.http.post(self.url(path)).header("Idempotency-Key", idempotency_key).json(&body)).await
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A client with its own cookie jar and its own connections: one device.
    pub fn device(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).build().expect("http client")
    }

    /// Typed calls to this app through `http`.
    pub fn api(&self, http: reqwest::Client) -> Api {
        Api { http, base: self.address.clone() }
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn server_fn(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let reply = self.server_fn_reply(client, name, form).await;
        (reply.status, reply.body)
    }

    /// Calls a server function that must succeed: its answer.
    pub async fn server_fn_ok(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.server_fn(client, name, form).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        body
    }

    /// [`TestApp::server_fn`] with the headers of the answer.
    pub async fn server_fn_reply(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> Reply {
        reply(client.post(self.url(&format!("/sfn/{name}"))).header("Accept", "application/json").form(form)).await
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

    /// Signs in through the JSON API.
    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) -> Reply {
        reply(client.post(self.url("/api/auth/login")).json(&json!({ "email": email, "password": password }))).await
    }

    pub async fn api_login(&self, client: &reqwest::Client, email: &str, password: &str) -> StatusCode {
        self.login(client, email, password).await.status
    }

    pub async fn me(&self, client: &reqwest::Client) -> StatusCode {
        client.get(self.url("/api/auth/me")).send().await.expect("request").status()
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
    app.create_user(email, PASSWORD, server::accounts::Role::Member).await;
    session_cookie(app, email).await
}

/// Signs in to an existing account (another device): its `Cookie` value.
pub async fn session_cookie(app: &TestApp, email: &str) -> String {
    session_cookie_for(app, email, PASSWORD).await
}

/// Like [`session_cookie`], with the account's password.
pub async fn session_cookie_for(app: &TestApp, email: &str, password: &str) -> String {
    let login = app.login(&reqwest::Client::new(), email, password).await;
    assert_eq!(login.status, StatusCode::OK, "login");
    let cookie = lockstep::cookies::cookie_header(&login.headers);
    assert!(!cookie.is_empty(), "the login sets a session cookie");
    cookie
}

/// A client of its own (own connection pool) that sends `cookie`.
pub fn client_with_cookie(cookie: &str) -> reqwest::Client {
    client_sending(reqwest::header::COOKIE.as_str(), cookie)
}

/// A client of its own that authenticates with an API key alone.
pub fn client_with_api_key(key: &str) -> reqwest::Client {
    client_sending("X-API-Key", key)
}

fn client_sending(header: &'static str, value: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(header, value.parse().expect("a header value"));
    reqwest::Client::builder().default_headers(headers).build().expect("http client")
}

/// Typed calls as a new member account, signed in on a client of its own.
pub async fn signed_in_member(app: &TestApp, email: &str) -> Api {
    app.api(client_with_cookie(&signed_in_cookie(app, email).await))
}

/// Typed calls as a new staff account, signed in with its own cookie jar.
pub async fn signed_in_staff(app: &TestApp) -> Api {
    app.create_user("staff@example.com", PASSWORD, server::accounts::Role::Staff).await;
    let client = app.device();
    assert_eq!(app.api_login(&client, "staff@example.com", PASSWORD).await, StatusCode::OK);
    app.api(client)
}

/// Spawns `n` tasks and releases them together, so that they reach the
/// server at once: `task(i)` is called first (clients and bodies made
/// there are ready beforehand), its future runs once all are spawned.
/// Returns the handles of the released tasks.
pub async fn released_together<T, F>(n: usize, mut task: impl FnMut(usize) -> F) -> Vec<JoinHandle<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n + 1));
    let handles = (0..n)
        .map(|i| {
            let (barrier, task) = (barrier.clone(), task(i));
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    barrier.wait().await;
    handles
}

/// [`released_together`], awaited: what every task returned, in order.
pub async fn at_once<T, F>(n: usize, task: impl FnMut(usize) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    joined(released_together(n, task).await).await
}

/// What every task returned, in order; a panicked task fails the test.
pub async fn joined<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    futures::future::join_all(handles).await.into_iter().map(|r| r.expect("task")).collect()
}

/// Reads `event:`/`data:` blocks from a Server-Sent Events response.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub async fn open(app: &TestApp, cookie: &str, watch: &str) -> Events {
        let response = client_with_cookie(cookie)
            .get(app.url(&format!("/api/events?watch={watch}")))
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

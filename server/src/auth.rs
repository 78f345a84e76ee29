//! Signing in and out, sessions, and role guards.
//!
//! Sessions live in PostgreSQL (tower-sessions' `tower_sessions.session`),
//! one per browser or API client, so a person can be signed in on several
//! devices at once. axum-login ties a session to a user; because a user's
//! `session_auth_hash` is their password hash, changing the password ends
//! every session that was opened with the old one.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgPool;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

use crate::accounts::{self, Role, User};
use crate::api_keys;
use crate::audit::Actor;
use crate::devices::{self, Origin};
use crate::error::{Error, Result};
use crate::http::ClientAddress;
use crate::throttle::{self, Subjects};

pub type AuthSession = axum_login::AuthSession<Backend>;
pub type AuthLayer = axum_login::AuthManagerLayer<Backend, PostgresStore>;

/// Sessions end after two weeks without a visit.
const SESSION_IDLE_DAYS: i64 = 14;

impl axum_login::AuthUser for User {
    type Id = Uuid;

    fn id(&self) -> Uuid {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

#[derive(Clone, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    #[serde(skip)]
    pub address: Option<IpAddr>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct Backend {
    pool: PgPool,
}

impl Backend {
    pub fn new(pool: PgPool) -> Self {
        Backend { pool }
    }
}

impl axum_login::AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = Error;

    async fn authenticate(&self, credentials: Credentials) -> Result<Option<User>> {
        match check_credentials(&self.pool, &credentials).await {
            Ok(user) => Ok(Some(user)),
            Err(Error::WrongCredentials) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn get_user(&self, id: &Uuid) -> Result<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        accounts::find_by_id(&mut conn, *id).await
    }
}

/// Checks an email and password, counting failures per account and per
/// address: refused with 429 while either is blocked, even when the
/// password is right, so guessing cannot continue.
pub async fn check_credentials(pool: &PgPool, credentials: &Credentials) -> Result<User> {
    let subjects = Subjects::new(&credentials.email, credentials.address);
    throttle::check(pool, &subjects).await?;

    let user = {
        let mut conn = pool.acquire().await?;
        accounts::find_by_email(&mut conn, &credentials.email).await?
    };
    let matches = match &user {
        Some(user) => accounts::password_matches(&credentials.password, &user.password_hash).await?,
        None => {
            // Spend the same time as a real check, so response times do not
            // tell which emails have accounts.
            accounts::password_matches(&credentials.password, dummy_hash()).await?;
            false
        }
    };
    match user {
        Some(user) if matches => {
            throttle::record_success(pool, &subjects).await?;
            Ok(user)
        }
        _ => {
            throttle::record_failure(pool, &subjects).await?;
            Err(Error::WrongCredentials)
        }
    }
}

fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash("lockstep-timing-equaliser"))
}

/// The session key holding the id of this sign-in's `devices` row.
const DEVICE_KEY: &str = "device_id";

/// Marks the session as signed in for `user` and records the device.
pub async fn log_in(pool: &PgPool, session: &mut AuthSession, user: &User, origin: &Origin) -> Result<()> {
    session.login(user).await.map_err(session_error)?;
    let device = {
        let mut conn = pool.acquire().await?;
        devices::register(&mut conn, user.id, origin).await?
    };
    session.session.insert(DEVICE_KEY, device).await.map_err(Error::internal)?;
    Ok(())
}

/// Ends this session and forgets its device.
pub async fn log_out(pool: &PgPool, session: &mut AuthSession) -> Result<()> {
    if let Some(device) = current_device(session).await {
        devices::forget(pool, device).await?;
    }
    session.logout().await.map_err(session_error)?;
    Ok(())
}

/// The `devices` row of this session, when signed in.
pub async fn current_device(session: &AuthSession) -> Option<Uuid> {
    session.session.get::<Uuid>(DEVICE_KEY).await.ok().flatten()
}

/// After the password changed: keeps this session signed in (with the new
/// password hash) and signs every other device out.
pub async fn keep_only_this_device(pool: &PgPool, session: &mut AuthSession, user: &User) -> Result<u64> {
    let device = current_device(session).await;
    session.login(user).await.map_err(session_error)?;
    let mut conn = pool.acquire().await?;
    match device {
        Some(device) => {
            session.session.insert(DEVICE_KEY, device).await.map_err(Error::internal)?;
            devices::revoke_others(&mut conn, user.id, device).await
        }
        None => devices::revoke_others(&mut conn, user.id, Uuid::nil()).await,
    }
}

/// Logs out a signed-in session whose device was revoked (or that has no
/// device), before anything else sees the request: handlers then treat it
/// as anonymous.
pub async fn end_revoked_sessions(
    axum::extract::State(pool): axum::extract::State<PgPool>,
    mut session: AuthSession,
    ClientAddress(ip): ClientAddress,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(user) = session.user.clone() {
        let active = match current_device(&session).await {
            Some(device) => devices::is_active(&pool, user.id, device, ip).await,
            None => Ok(false),
        };
        match active {
            Ok(true) => {}
            Ok(false) => {
                if let Err(error) = session.logout().await {
                    tracing::warn!(%error, "could not end a revoked session");
                }
                request.extensions_mut().insert(session);
            }
            Err(error) => return error.into_response(),
        }
    }
    next.run(request).await
}

fn session_error(error: axum_login::Error<Backend>) -> Error {
    match error {
        axum_login::Error::Backend(error) => error,
        axum_login::Error::Session(error) => Error::internal(error),
    }
}

/// The signed-in user, or 401.
pub fn require_user(session: &AuthSession) -> Result<&User> {
    session.user.as_ref().ok_or(Error::Unauthorized)
}

/// The signed-in user if they are staff (or an admin): 401 / 403 otherwise.
pub fn require_staff(session: &AuthSession) -> Result<&User> {
    require_role(session, Role::is_staff)
}

/// The signed-in user if their role passes `allowed`: 401 when nobody is
/// signed in, 403 when the role does not fit.
pub fn require_role(session: &AuthSession, allowed: impl Fn(Role) -> bool) -> Result<&User> {
    let user = require_user(session)?;
    if allowed(user.role) {
        Ok(user)
    } else {
        Err(Error::Forbidden)
    }
}

/// The caller of a staff endpoint: a signed-in staff member, or an external
/// system sending an API key (`X-API-Key`), which is checked instead of the
/// session whenever it is sent.
pub struct StaffOrKey(pub Actor);

impl axum::extract::FromRequestParts<crate::AppState> for StaffOrKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &crate::AppState) -> Result<Self> {
        if parts.headers.contains_key(api_keys::HEADER) {
            let api_keys::KeyHolder(key) = api_keys::KeyHolder::from_request_parts(parts, state).await?;
            return Ok(StaffOrKey(Actor::ApiKey(key.id)));
        }
        // Fails only when the auth layer is missing: a bug, not the caller's.
        let session = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| Error::internal(format!("no auth session: {message}")))?;
        Ok(StaffOrKey(Actor::User(require_staff(&session)?.id)))
    }
}

/// The session store, with its table created if missing.
pub async fn session_store(pool: &PgPool) -> Result<PostgresStore> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await?;
    Ok(store)
}

/// Session cookies: HttpOnly, SameSite=Lax, and Secure when Lockstep is
/// served over https (`secure_cookies`).
pub fn layer(pool: PgPool, store: PostgresStore, secure_cookies: bool) -> AuthLayer {
    let sessions = SessionManagerLayer::new(store)
        .with_name("lockstep_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(SESSION_IDLE_DAYS)));
    axum_login::AuthManagerLayerBuilder::new(Backend::new(pool), sessions).build()
}

/// Deletes expired sessions every hour.
pub fn spawn_session_reaper(store: PostgresStore) -> tokio::task::JoinHandle<()> {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        if let Err(error) = store.continuously_delete_expired(std::time::Duration::from_secs(3600)).await {
            tracing::warn!(%error, "session reaper stopped");
        }
    })
}

/// Pages only signed-in people may see; anonymous visitors are sent to the
/// login page and brought back afterwards. (Role checks happen in the pages'
/// server functions, which answer 403.)
const MEMBER_PAGES: &[&str] = &["/account", "/cards", "/profile", "/staff", "/admin", "/assignments"];

pub async fn redirect_anonymous_to_login(session: AuthSession, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_page_load = request.method() == axum::http::Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let protected = MEMBER_PAGES.iter().any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")));
    if is_page_load && protected && session.user.is_none() {
        let back = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let target = format!("/login?next={}", urlencode(back));
        return Redirect::to(&target).into_response();
    }
    next.run(request).await
}

/// Percent-encodes everything but unreserved characters.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Where to go after signing in: only paths on this site, never another
/// host (`//evil.example` or `https://…`), so the login form cannot be used
/// as an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/staff?tab=1")), "/staff?tab=1");
        assert_eq!(safe_next(Some("//evil.example")), "/account");
        assert_eq!(safe_next(Some("https://evil.example")), "/account");
        assert_eq!(safe_next(Some("/\\evil.example")), "/account");
        assert_eq!(safe_next(None), "/account");
    }
}

//! Signing in and out, sessions, and role guards.
//!
//! Sessions live in PostgreSQL (tower-sessions' `tower_sessions.session`),
//! one per browser or API client, so a person can be signed in on several
//! devices at once. axum-login ties a session to a user; because a user's
//! `session_auth_hash` is their password hash, changing the password ends
//! every session that was opened with the old one.
//!
//! A warm instance answers who is asking from memory: the session record,
//! the user and the device check are kept in its [`SessionCache`], which
//! the notices of every instance keep true (see there).

use std::net::IpAddr;

use axum::extract::{FromRequestParts, Request};
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
use crate::session_cache::SessionCache;
use crate::throttle;
use crate::web::http::ClientAddress;
use crate::AppState;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

pub type AuthSession = axum_login::AuthSession<Backend>;
pub type AuthLayer = axum_login::AuthManagerLayer<Backend, CachedStore>;

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
    cache: Arc<SessionCache>,
}

impl Backend {
    pub fn new(pool: PgPool, cache: Arc<SessionCache>) -> Self {
        Backend { pool, cache }
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
        if let Some(user) = self.cache.user(*id) {
            return Ok(Some(user));
        }
        let ticket = self.cache.ticket();
        // A disabled account's sessions were ended with it; one that is
        // still in flight is treated as signed out.
        let mut conn = self.pool.acquire().await?;
        let user = accounts::find_by_id(&mut conn, *id).await?.filter(|user| user.disabled_at.is_none());
        if let Some(user) = &user {
            self.cache.keep_user(ticket, user);
        }
        Ok(user)
    }
}

/// The session store: tower-sessions' table in PostgreSQL, with the
/// records of signed-in sessions kept in this instance's [`SessionCache`].
/// Anonymous sessions are always read from the database.
#[derive(Clone, Debug)]
pub struct CachedStore {
    store: PostgresStore,
    cache: Arc<SessionCache>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCache")
    }
}

impl CachedStore {
    pub fn new(store: PostgresStore, cache: Arc<SessionCache>) -> Self {
        CachedStore { store, cache }
    }
}

/// Whose session a record is, when it is signed in with a device.
fn signed_in(record: &Record) -> Option<(Uuid, Uuid)> {
    let device = record.data.get(DEVICE_KEY).and_then(|value| serde_json::from_value(value.clone()).ok())?;
    let user = record
        .data
        .get(AUTH_DATA_KEY)
        .and_then(|data| data.get("user_id"))
        .and_then(|value| serde_json::from_value(value.clone()).ok())?;
    Some((user, device))
}

/// Where axum-login keeps the signed-in user's id in the session (set on
/// the layer, so it cannot drift from what [`signed_in`] reads).
const AUTH_DATA_KEY: &str = "axum-login.data";

#[async_trait::async_trait]
impl SessionStore for CachedStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.cache.forget_session(&record.id);
        self.store.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.cache.session(id) {
            return Ok(Some(record));
        }
        let ticket = self.cache.ticket();
        let record = self.store.load(id).await?;
        if let Some((user, device)) = record.as_ref().and_then(signed_in) {
            if let Some(record) = &record {
                self.cache.keep_session(ticket, record, user, device);
            }
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.forget_session(id);
        self.store.delete(id).await
    }
}

/// Checks an email and password. The attempt is counted per account and
/// per address before the password is looked at (see [`throttle`]), so
/// parallel guesses get no more than the allowance evaluated; while either
/// is blocked the answer is 429, even for the right password.
pub async fn check_credentials(pool: &PgPool, credentials: &Credentials) -> Result<User> {
    // Bounded before anything reaches an index or the hasher.
    if credentials.email.trim().chars().count() > accounts::Email::MAX_LEN {
        return Err(Error::invalid("email", "Enter a valid email address, like ada@example.com."));
    }
    if credentials.password.chars().count() > accounts::Password::MAX_LEN {
        return Err(Error::WrongCredentials);
    }
    let claim = throttle::claim_sign_in(pool, &credentials.email, credentials.address).await?;

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
            claim.succeeded(pool).await?;
            // Said only to someone who knows the password.
            if user.disabled_at.is_some() {
                return Err(Error::invalid("email", "This account is disabled. Ask an administrator to enable it."));
            }
            Ok(user)
        }
        _ => Err(Error::WrongCredentials),
    }
}

fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash("lockstep-timing-equaliser"))
}

/// The session key holding the id of this sign-in's `devices` row.
const DEVICE_KEY: &str = "device_id";

/// Marks the session as signed in for `user` under a new session id and
/// records the device. Whatever the browser held before (an anonymous
/// session, or someone else's sign-in) is ended first: its id is deleted
/// from the store, so an old copy of the cookie is worthless everywhere,
/// and its device goes, which closes its live streams on every instance.
pub async fn log_in(state: &AppState, session: &mut AuthSession, user: &User, origin: &Origin) -> Result<()> {
    let pool = &state.pool;
    if let Some(previous) = current_device(session).await {
        devices::forget(pool, previous).await?;
        state.notices.catch_up(pool).await;
    }
    // axum-login renews the id only when the session was not signed in yet.
    session.session.cycle_id().await.map_err(Error::internal)?;
    session.login(user).await.map_err(session_error)?;
    let device = {
        let mut conn = pool.acquire().await?;
        devices::register(&mut conn, user.id, origin).await?
    };
    session.session.insert(DEVICE_KEY, device).await.map_err(Error::internal)?;
    Ok(())
}

/// Ends this session and forgets its device; answered once every
/// instance has heard of it ([`crate::notices::Hub::catch_up`]).
pub async fn log_out(state: &AppState, session: &mut AuthSession) -> Result<()> {
    if let Some(device) = current_device(session).await {
        devices::forget(&state.pool, device).await?;
    }
    session.logout().await.map_err(session_error)?;
    state.notices.catch_up(&state.pool).await;
    Ok(())
}

/// The `devices` row of this session, when signed in.
pub async fn current_device(session: &AuthSession) -> Option<Uuid> {
    session.session.get::<Uuid>(DEVICE_KEY).await.ok().flatten()
}

/// After the password changed (which signed out every device, this one's
/// included: `accounts::change_password`): this browser continues under a
/// new session id and a new device. `signed_out` is what the change
/// reported; returns how many *other* devices were signed out.
pub async fn renew_after_password_change(
    state: &AppState,
    session: &mut AuthSession,
    user: &User,
    origin: &Origin,
    signed_out: u64,
) -> Result<u64> {
    let this_device = current_device(session).await;
    // The old device row is gone already; log_in must not look for it.
    session.session.remove::<Uuid>(DEVICE_KEY).await.map_err(Error::internal)?;
    log_in(state, session, user, origin).await?;
    state.notices.catch_up(&state.pool).await;
    Ok(signed_out.saturating_sub(u64::from(this_device.is_some())))
}

/// Logs out a signed-in session whose device was revoked (or that has no
/// device), before anything else sees the request: handlers then treat it
/// as anonymous.
pub async fn end_revoked_sessions(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut session: AuthSession,
    ClientAddress(ip): ClientAddress,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(user) = session.user.clone() {
        let cache = state.notices.sessions();
        let active = match current_device(&session).await {
            Some(device) if cache.device_confirmed(user.id, device) => Ok(true),
            Some(device) => {
                let ticket = cache.ticket();
                let active = devices::is_active(&state.pool, user.id, device, ip).await;
                if let Ok(true) = active {
                    cache.keep_device(ticket, user.id, device);
                }
                active
            }
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

/// The auth session of a request: put there by the auth layer, so its
/// absence is a bug in how the router was built, not the caller's fault.
async fn auth_session(parts: &mut axum::http::request::Parts) -> Result<AuthSession> {
    AuthSession::from_request_parts(parts, &())
        .await
        .map_err(|(_, message)| Error::internal(format!("no auth session: {message}")))
}

/// The signed-in user of a request, or 401: `SignedIn(user): SignedIn` in a
/// handler instead of extracting the session and checking it.
pub struct SignedIn(pub User);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self> {
        Ok(SignedIn(require_user(&auth_session(parts).await?)?.clone()))
    }
}

/// A signed-in staff member (or admin): 401 when nobody is signed in, 403
/// for other roles.
pub struct Staff(pub User);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Staff {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self> {
        Ok(Staff(require_staff(&auth_session(parts).await?)?.clone()))
    }
}

/// A signed-in counselor: 401 / 403 otherwise.
pub struct Counselor(pub User);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Counselor {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self> {
        Ok(Counselor(require_role(&auth_session(parts).await?, |role| role == Role::Counselor)?.clone()))
    }
}

/// The caller of a staff workflow endpoint: a signed-in staff member, or an
/// external system sending an API key with the `workflow` scope
/// (`X-API-Key`), which is checked instead of the session whenever it is
/// sent.
pub struct StaffOrKey(pub Actor);

impl axum::extract::FromRequestParts<crate::AppState> for StaffOrKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &crate::AppState) -> Result<Self> {
        if parts.headers.contains_key(api_keys::HEADER) {
            let presented = api_keys::presented(parts).ok_or(Error::InvalidApiKey)?;
            let key = api_keys::authenticate(&state.pool, presented, api_keys::Scope::Workflow).await?;
            return Ok(StaffOrKey(Actor::ApiKey(key.id)));
        }
        let Staff(staff) = Staff::from_request_parts(parts, state).await?;
        Ok(StaffOrKey(Actor::User(staff.id)))
    }
}

/// The session store, with its table created if missing.
pub async fn session_store(pool: &PgPool) -> Result<PostgresStore> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await?;
    Ok(store)
}

/// The session cookie's name. Over https it carries the `__Host-` prefix:
/// browsers then accept it only when Secure, for the whole site and
/// without a Domain, so a sibling subdomain cannot plant or shadow it.
pub fn session_cookie_name(secure_cookies: bool) -> &'static str {
    if secure_cookies {
        "__Host-lockstep_session"
    } else {
        "lockstep_session"
    }
}

/// Session cookies: HttpOnly, SameSite=Lax, Path=/, and Secure with the
/// `__Host-` prefix when Lockstep is served over https (`secure_cookies`).
pub fn layer(pool: PgPool, store: PostgresStore, cache: Arc<SessionCache>, secure_cookies: bool) -> AuthLayer {
    let sessions = SessionManagerLayer::new(CachedStore::new(store, cache.clone()))
        .with_name(session_cookie_name(secure_cookies))
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(SESSION_IDLE_DAYS)));
    axum_login::AuthManagerLayerBuilder::new(Backend::new(pool, cache), sessions).with_data_key(AUTH_DATA_KEY).build()
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

/// Where to go after signing in: `next` resolved as a browser would
/// resolve it against this site, and accepted only when the result is a
/// path on this site. Checking the string instead is not enough: browsers
/// drop tabs and newlines, read `\` as `/` and decode some escapes, so
/// `/\tevil.example` or `/%5Cevil.example`-like values would leave the
/// site. The answer is the resolved URL's path and query, so it is always
/// a valid `Location` header.
pub fn safe_next(next: Option<&str>) -> String {
    const FALLBACK: &str = "/account";
    // A stand-in origin: only "same origin as this" matters, not our name.
    const SITE: &str = "http://lockstep.invalid/";
    let Some(next) = next else { return FALLBACK.to_owned() };
    // Anything a browser would treat as another origin, a scheme, or a
    // relative path starts differently; control characters never belong.
    if !next.starts_with('/') || next.chars().any(|c| c.is_control()) {
        return FALLBACK.to_owned();
    }
    let Ok(site) = url::Url::parse(SITE) else { return FALLBACK.to_owned() };
    match site.join(next) {
        Ok(resolved) if resolved.origin() == site.origin() && !resolved.path().starts_with("//") => {
            let mut target = resolved.path().to_owned();
            // Error parameters belong to a form's own redirect, never to a
            // link (they would make the page say what the link chose).
            let kept: Vec<(String, String)> = resolved
                .query_pairs()
                .filter(|(key, _)| key != "__err" && key != "__path")
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
            if !kept.is_empty() {
                target.push('?');
                target.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish());
            }
            target
        }
        _ => FALLBACK.to_owned(),
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
        // What browsers strip or reinterpret must not lead off the site.
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "/%09/evil.example",
            "/%5C%5Cevil.example",
            "/%2F/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "http:evil.example",
            "///evil.example",
            "/\u{0}",
            "",
        ] {
            let target = safe_next(Some(hostile));
            assert!(target.starts_with('/') && !target.starts_with("//"), "{hostile:?} → {target:?}");
            let resolved = url::Url::parse("http://lockstep.invalid/").and_then(|site| site.join(&target));
            assert_eq!(
                resolved.ok().and_then(|url| url.host_str().map(str::to_owned)).as_deref(),
                Some("lockstep.invalid"),
                "{hostile:?}"
            );
            assert!(axum::http::HeaderValue::from_str(&target).is_ok(), "{hostile:?} makes a valid header");
        }
        assert_eq!(safe_next(Some("/cards/abc?x=1")), "/cards/abc?x=1");
        assert_eq!(safe_next(Some("/profile?__path=%2Fsfn%2Fx&__err=Zm9v&tab=2")), "/profile?tab=2");
    }
}

//! HTTP plumbing shared by pages, server functions and the REST API:
//! cross-origin refusal, request ids, health endpoints.

use axum::extract::{Request, State};
use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use crate::error::{Error, ErrorBody, ErrorDetail};

/// Refuses state-changing requests that a browser sent on behalf of another
/// site. Browsers label every request with `Sec-Fetch-Site` and cross-origin
/// POSTs with `Origin`; scripts and API clients send neither and are let
/// through (they authenticate with a session they logged in for, or a key).
pub async fn refuse_cross_origin(request: Request, next: Next) -> Response {
    if is_safe(request.method()) || is_same_origin(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(
        origin = ?request.headers().get(header::ORIGIN),
        path = %request.uri().path(),
        "refused a cross-origin request"
    );
    let body = ErrorBody {
        error: ErrorDetail {
            code: "cross_origin".to_owned(),
            message: "Requests from other sites are not allowed.".to_owned(),
            field: None,
            current: None,
            existing: None,
            retry_after_secs: None,
        },
    };
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The values of every cookie called `name` the request carries, in the
/// order sent (a browser may send several: a planted one can come first).
pub fn cookies_named<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the headers a browser adds say the request comes from our own
/// pages. Absent headers (non-browser clients) count as same-origin.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none" is the user typing a URL or a bookmark; "same-site" is a
        // sibling subdomain, which is still not us.
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host =
                origin.to_str().ok().and_then(|o| o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")));
            matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
        }
    }
}

/// Marks a response as produced by a route (a handler ran), as opposed to
/// by a layer in front of the routes.
#[derive(Clone, Copy)]
struct ReachedRoute;

/// The innermost layer: tags every response a route produced.
pub async fn mark_reached_route(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(ReachedRoute);
    response
}

/// Placed just outside the session and sign-in layers. Those answer a bare
/// 500 when they cannot load a session, which only happens when PostgreSQL
/// is unreachable; the user should then get what every other outage gives:
/// 503 with `Retry-After`, a friendly page for browsers, JSON for the API.
pub async fn session_outage_is_unavailable(request: Request, next: Next) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let response = next.run(request).await;
    if response.extensions().get::<ReachedRoute>().is_some() {
        return response;
    }
    match response.status() {
        StatusCode::INTERNAL_SERVER_ERROR if !wants_html => {
            return Error::Unavailable(sqlx::Error::PoolTimedOut).into_response()
        }
        StatusCode::INTERNAL_SERVER_ERROR => Error::Unavailable(sqlx::Error::PoolTimedOut).log(),
        // Already a 503 (the revoked-session check); browsers get the page.
        StatusCode::SERVICE_UNAVAILABLE if wants_html => {}
        _ => return response,
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, "5"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, crate::web::headers::STATIC_PAGE_POLICY),
        ],
        UNAVAILABLE_PAGE,
    )
        .into_response()
}

/// A page that needs nothing from the database or the site bundle.
const UNAVAILABLE_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lockstep is temporarily unavailable</title>
<style>body{font-family:system-ui,sans-serif;background:#f6f7fb;color:#1b1f2a;display:grid;place-items:center;min-height:90vh;margin:0}
main{background:#fff;border:1px solid #dfe3ec;border-radius:10px;padding:2rem 2.5rem;max-width:32rem}
a{color:#2747d6}</style></head>
<body><main><h1>Lockstep is temporarily unavailable</h1>
<p>We cannot reach our database right now. Nothing you saved is lost. Please try again in a few seconds.</p>
<p><a href="">Try again</a></p></main></body></html>"#;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers and every migration is applied.
pub async fn readyz(State(pool): State<PgPool>) -> Response {
    if crate::db::is_ready(&pool).await {
        "ready".into_response()
    } else {
        Error::Unavailable(sqlx::Error::PoolTimedOut).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let browser: IpAddr = [203, 0, 113, 9].into();
        let trusted = TrustedProxies(Arc::new(vec![proxy]));
        // Through the proxy: the browser, even when it forged a first hop.
        assert_eq!(client_address(Some(proxy), Some("203.0.113.9"), &trusted), Some(browser));
        assert_eq!(client_address(Some(proxy), Some("198.51.100.7, 203.0.113.9"), &trusted), Some(browser));
        assert_eq!(client_address(Some(proxy), Some("203.0.113.9, 10.0.0.1"), &trusted), Some(browser));
        assert_eq!(client_address(Some(proxy), None, &trusted), Some(proxy));
        // Not through a trusted proxy: the header is ignored.
        assert_eq!(client_address(Some(browser), Some("198.51.100.7"), &trusted), Some(browser));
        assert_eq!(client_address(Some(proxy), Some("198.51.100.7"), &TrustedProxies::default()), Some(proxy));
    }

    #[test]
    fn same_origin_requests_pass() {
        assert!(is_same_origin(&headers(&[("host", "127.0.0.1:3000")])));
        assert!(is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
        ])));
    }

    #[test]
    fn cross_origin_requests_are_refused() {
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")])));
        assert!(!is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000.evil.example"),
        ])));
    }
}

/// The address of the person's browser: the connection's peer, or, behind
/// a trusted reverse proxy, what that proxy says in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(resolved) = parts.extensions.get::<ClientAddress>() {
            return Ok(*resolved);
        }
        Ok(ClientAddress(peer(&parts.extensions)))
    }
}

fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
}

/// The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
/// believed (`--trusted-proxy`). Anyone else could send those headers to
/// pose as another address or to get cookies marked differently.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpAddr>>);

impl TrustedProxies {
    fn trusts(&self, address: Option<IpAddr>) -> bool {
        address.is_some_and(|address| self.0.contains(&address))
    }
}

/// The client address behind trusted proxies: walking `X-Forwarded-For`
/// from the nearest hop outwards, the first address that is not one of our
/// proxies. A request that did not come through a trusted proxy is its peer.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &TrustedProxies) -> Option<IpAddr> {
    if !trusted.trusts(peer) {
        return peer;
    }
    let hops: Vec<IpAddr> =
        forwarded_for.unwrap_or_default().split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.iter().rev().find(|hop| !trusted.trusts(Some(**hop))).or(hops.first()).copied().or(peer)
}

/// Resolves [`ClientAddress`] once per request; and when a trusted proxy
/// says the browser used https, marks the cookies it is given `Secure`.
pub async fn behind_proxies(State(trusted): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let peer = peer(request.extensions());
    // In a block: a borrow of the request (its body is not Sync) must not
    // live across the await below.
    let (address, https) = {
        let sent = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok());
        let https =
            trusted.trusts(peer) && sent("x-forwarded-proto").is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        (client_address(peer, sent("x-forwarded-for"), &trusted), https)
    };
    request.extensions_mut().insert(ClientAddress(address));
    let mut response = next.run(request).await;
    if https {
        let cookies: Vec<HeaderValue> = response.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        response.headers_mut().remove(header::SET_COOKIE);
        for cookie in cookies {
            let secured = match cookie.to_str() {
                Ok(text) if !text.to_ascii_lowercase().contains("; secure") => {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
                }
                _ => cookie,
            };
            response.headers_mut().append(header::SET_COOKIE, secured);
        }
    }
    response
}

/// The User-Agent and address of a request, for recording a sign-in.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for crate::devices::Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ClientAddress(ip) = ClientAddress::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok(crate::devices::Origin { user_agent, ip })
    }
}

/// The largest request body Lockstep reads. The biggest real form (a card,
/// a bulk assignment of a few hundred counselors) is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How long a request body may take to arrive. A client that trickles one
/// in (slowloris) holds its connection and buffer only this long.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads the whole body of a request that has one, up to `max` bytes, and
/// hands back the request with it. Too large (declared or actual, chunked
/// or not) is [`Error::PayloadTooLarge`]; a body that breaks off midway is
/// a 422 like every other malformed input, one that takes longer than
/// `timeout` a 408. Nothing behind this sees a body it could choke on.
pub async fn buffer_body(request: Request, max: usize, timeout: std::time::Duration) -> Result<Request, Error> {
    if is_safe(request.method()) && !request.headers().contains_key(header::CONTENT_LENGTH) {
        return Ok(request);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(Error::PayloadTooLarge { max_bytes: max });
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await.map_err(|_| Error::BodyTimeout)?;
    let bytes = read.map_err(|error| {
        let too_large =
            std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_large {
            Error::PayloadTooLarge { max_bytes: max }
        } else {
            Error::invalid("body", "The request body could not be read.")
        }
    })?;
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// A REST extractor: axum's `$inner`, its rejection answered in the API's
/// JSON error by `$reject` (axum would answer a plain-text 400).
macro_rules! api_extractor {
    ($(#[$doc:meta])* $name:ident wraps $inner:ident, $reject:expr) => {
        $(#[$doc])*
        pub struct $name<T>(pub T);

        impl<S, T> axum::extract::FromRequestParts<S> for $name<T>
        where
            T: serde::de::DeserializeOwned + Send,
            S: Send + Sync,
        {
            type Rejection = Error;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                match axum::extract::$inner::<T>::from_request_parts(parts, state).await {
                    Ok(axum::extract::$inner(value)) => Ok($name(value)),
                    Err(rejection) => Err($reject(rejection)),
                }
            }
        }
    };
}

api_extractor! {
    /// A REST path's parameters. One that does not parse (an id that is not
    /// a UUID, a tyre position there is none of) names no record: 404.
    ApiPath wraps Path, |_| Error::NotFound
}

api_extractor! {
    /// A REST query string; one that does not parse is a 422 naming `query`.
    ApiQuery wraps Query,
    |rejection: axum::extract::rejection::QueryRejection| Error::invalid("query", rejection.body_text())
}

/// A JSON request body whose problems (not JSON, wrong shape, missing
/// field) are answered like every other input error: 422 with the error
/// body, instead of axum's plain-text 400 / 415 / 422.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    axum::Json<T>: axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::Json<T> as axum::extract::FromRequest<S>>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(Error::invalid("body", rejection.body_text())),
        }
    }
}

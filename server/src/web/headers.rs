//! Protective response headers (SECURITY.md, class 9).
//!
//! Pages get a Content-Security-Policy with the nonce Leptos puts on its
//! hydration scripts (see `app::shell`); every other response gets a policy
//! that allows nothing, since JSON, SSE and files never run scripts.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of an HTML page rendered with `nonce`. Scripts only from
/// this origin plus the inline hydration script carrying the nonce, and
/// WebAssembly compilation for the bundle; styles from this origin, with
/// `style` attributes allowed (the card preview sets its colours that way;
/// attributes cannot run script); no plugins, no framing, forms only here.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Everything that is not a page: nothing may run or load.
const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The static "temporarily unavailable" page carries its style inline.
pub const STATIC_PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds the headers every response carries, and the restrictive policy to
/// responses that did not bring their own.
pub async fn protect(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(NON_PAGE_POLICY));
    response
}

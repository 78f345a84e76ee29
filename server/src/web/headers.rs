//! Protective response headers (SECURITY.md, class 9).
//!
//! Every response's Content-Security-Policy is decided here, by the layer
//! that sees every response: an HTML page gets the page policy with a nonce
//! made for its request, which Leptos puts on the page's inline scripts
//! (see [`request_nonce`]); every other response gets a policy that allows
//! nothing, since JSON, SSE and files never run scripts. The policy does
//! not depend on the render remembering to send it: a page that arrived
//! without it once could not load its styles, run its scripts or post its
//! forms.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

/// The policy of an HTML page rendered with `nonce`. Scripts only from
/// this origin plus the inline hydration script carrying the nonce, and
/// WebAssembly compilation for the bundle; styles from this origin, with
/// `style` attributes allowed (the card preview sets its colours that way;
/// attributes cannot run script); no plugins, no framing, forms only here.
fn page_policy(nonce: &str) -> String {
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

/// Adds the headers every response carries. A response that brought no
/// policy of its own gets the page policy when it is HTML, else the one
/// that allows nothing.
pub async fn protect(mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if is_html(headers) { HeaderValue::from_str(&page_policy(&nonce)).ok() } else { None };
        headers.insert(header::CONTENT_SECURITY_POLICY, policy.unwrap_or(HeaderValue::from_static(NON_PAGE_POLICY)));
    }
    response
}

/// The nonce [`protect`] made for this request, for the page's inline
/// scripts: provided to Leptos in place of the one it makes itself.
pub fn request_nonce(request: &axum::http::request::Parts) -> Option<Nonce> {
    request.extensions.get::<Nonce>().cloned()
}

fn is_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim_start().get(.."text/html".len()))
        .is_some_and(|kind| kind.eq_ignore_ascii_case("text/html"))
}

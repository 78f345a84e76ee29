//! Errors of forms posted without JavaScript, shown only to the visitor
//! they were made for (SECURITY.md, class 10).
//!
//! Leptos answers a plain form post that failed with a redirect back to
//! the form whose URL carries the error (`__path`, `__err`), and the page
//! shows whatever error such a URL carries. A crafted link could therefore
//! make our page say anything. So when a server function answers with such
//! a redirect, we also set a short-lived cookie holding a digest of the
//! error; a page request whose `__err` does not match the visitor's cookie
//! is redirected to the same URL without it. Only the browser that posted
//! the form has the cookie, and it works across instances with no state.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

const COOKIE: &str = "lockstep_form_error";
const ERROR_PARAMS: [&str; 2] = ["__err", "__path"];

fn digest(error: &str) -> String {
    format!("{:x}", Sha256::digest(error.as_bytes()))
}

fn query_value<'q>(query: &'q str, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value)
}

fn cookie_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Binds error redirects to the browser that caused them, and drops error
/// parameters that no cookie vouches for.
pub async fn bind_to_visitor(request: Request, next: Next) -> Response {
    if let Some(query) = request.uri().query() {
        if let Some(error) = query_value(query, "__err") {
            let vouched = cookie_value(&request, COOKIE).is_some_and(|cookie| cookie == digest(&error));
            if !vouched {
                let rest: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                    .filter(|(key, _)| !ERROR_PARAMS.contains(&key.as_ref()))
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect();
                let mut target = request.uri().path().to_owned();
                if !rest.is_empty() {
                    target.push('?');
                    target.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish());
                }
                return Redirect::to(&target).into_response();
            }
        }
    }
    let mut response = next.run(request).await;
    if matches!(response.status(), StatusCode::FOUND | StatusCode::SEE_OTHER) {
        let error = response
            .headers()
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| location.split_once('?'))
            .and_then(|(_, query)| query_value(query, "__err").map(|error| digest(&error)));
        if let Some(error) = error {
            let cookie = format!("{COOKIE}={error}; Path=/; Max-Age=300; HttpOnly; SameSite=Lax");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_parameters_are_found_decoded() {
        assert_eq!(query_value("a=1&__err=x%3D%3D&__path=/sfn/log_in", "__err").as_deref(), Some("x=="));
        assert_eq!(query_value("a=1", "__err"), None);
        assert_ne!(digest("a"), digest("b"));
    }
}

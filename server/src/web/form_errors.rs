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
//! Only a server function's own answer is vouched for (a request to
//! `/sfn/NAME` whose redirect names `__path=/sfn/NAME`): no other redirect,
//! even one whose target a visitor could choose, can mint the cookie.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

/// Whether cookies are `Secure` (Lockstep served over https), as for the
/// session cookie: then the cookie is also `__Host-` prefixed, so no
/// subdomain or plain-http page can plant one.
#[derive(Debug, Clone, Copy)]
pub struct SecureCookies(pub bool);

impl SecureCookies {
    fn cookie_name(self) -> &'static str {
        if self.0 {
            "__Host-lockstep_form_error"
        } else {
            "lockstep_form_error"
        }
    }
}
const ERROR_PARAMS: [&str; 2] = ["__err", "__path"];

/// The digest of one error of one form: the server function's path and
/// the encoded error, so a genuine error cannot be moved to another form.
fn digest(path: &str, error: &str) -> String {
    format!("{:x}", Sha256::digest(format!("{path}\n{error}").as_bytes()))
}

/// The `__path` and `__err` of a query, when it carries exactly one of
/// each; `Err(())` when it carries error parameters in any other way
/// (several `__err`: we would vouch for one and Leptos might show another).
#[allow(clippy::result_unit_err)]
fn error_params(query: &str) -> Result<Option<(String, String)>, ()> {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "__path" => paths.push(value.into_owned()),
            "__err" => errors.push(value.into_owned()),
            _ => {}
        }
    }
    match (paths.len(), errors.len()) {
        (0, 0) => Ok(None),
        (1, 1) => Ok(paths.pop().zip(errors.pop())),
        _ => Err(()),
    }
}

/// Binds error redirects to the browser that caused them, and drops error
/// parameters that no cookie vouches for.
pub async fn bind_to_visitor(State(secure): State<SecureCookies>, request: Request, next: Next) -> Response {
    let cookie_name = secure.cookie_name();
    if let Some(query) = request.uri().query() {
        let vouched = match error_params(query) {
            Ok(None) => true,
            Ok(Some((path, error))) => {
                super::http::cookies_named(request.headers(), cookie_name).next()
                    == Some(digest(&path, &error).as_str())
            }
            Err(()) => false,
        };
        if !vouched {
            let rest: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(key, _)| !ERROR_PARAMS.contains(&key.as_ref()))
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
            // One leading slash: `//evil.example/` would be another host.
            let mut target = format!("/{}", request.uri().path().trim_start_matches('/'));
            if !rest.is_empty() {
                target.push('?');
                target.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish());
            }
            return Redirect::to(&target).into_response();
        }
    }
    let server_function = request.uri().path().starts_with("/sfn/").then(|| request.uri().path().to_owned());
    let mut response = next.run(request).await;
    let Some(server_function) = server_function else { return response };
    if matches!(response.status(), StatusCode::FOUND | StatusCode::SEE_OTHER) {
        let error = response
            .headers()
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| location.split_once('?'))
            .and_then(|(_, query)| error_params(query).ok().flatten())
            .filter(|(path, _)| *path == server_function)
            .map(|(path, error)| digest(&path, &error));
        if let Some(error) = error {
            let secure = if secure.0 { "; Secure" } else { "" };
            let cookie = format!("{cookie_name}={error}; Path=/; Max-Age=300; HttpOnly; SameSite=Lax{secure}");
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
    fn error_parameters_are_found_decoded_and_only_alone() {
        assert_eq!(
            error_params("a=1&__err=x%3D%3D&__path=/sfn/log_in"),
            Ok(Some(("/sfn/log_in".to_owned(), "x==".to_owned())))
        );
        assert_eq!(error_params("a=1"), Ok(None));
        assert_eq!(error_params("__err=a&__err=b&__path=/sfn/log_in"), Err(()));
        assert_eq!(error_params("__err=a"), Err(()));
        assert_ne!(digest("/sfn/log_in", "a"), digest("/sfn/sign_up", "a"));
    }
}

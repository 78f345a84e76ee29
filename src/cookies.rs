//! What a client does with the cookies a sign-in sets: sends them back.
//! Shared by `lockstep hammer` and the integration tests, which both sign
//! in once and hand the session to clients of their own.

use reqwest::header::{HeaderMap, SET_COOKIE};

/// The `Cookie` header value that returns every cookie `headers` set: their
/// `name=value` pairs without attributes, joined by `; `. Empty when none
/// was set.
pub fn cookie_header(headers: &HeaderMap) -> String {
    let cookies: Vec<&str> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .collect();
    cookies.join("; ")
}

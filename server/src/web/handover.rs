//! A value a form posted without JavaScript hands to the page it is
//! redirected to, once.
//!
//! After such a post Leptos redirects back to the form, and only an error
//! travels in that redirect's URL. What a success must show once and never
//! again (a new API key's secret) goes instead in a short-lived cookie
//! scoped to the page that shows it, which takes it and deletes it. Never in
//! a URL: those end up in histories and logs.

use axum::http::{header, HeaderMap, HeaderValue};

/// How long an unread value waits for its page.
const LIFETIME_SECS: u32 = 120;

/// The `Set-Cookie` that hands `value` to the page at `path`.
pub fn offer(name: &str, path: &str, value: &str, secure: bool) -> Option<HeaderValue> {
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    cookie(name, path, &encoded, LIFETIME_SECS, secure)
}

/// The value handed to this page under `name`, if any, and the
/// `Set-Cookie` that deletes it.
pub fn take(headers: &HeaderMap, name: &str, path: &str, secure: bool) -> Option<(String, Option<HeaderValue>)> {
    let encoded = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())?;
    let value = url::form_urlencoded::parse(format!("v={encoded}").as_bytes()).next()?.1.into_owned();
    Some((value, cookie(name, path, "", 0, secure)))
}

fn cookie(name: &str, path: &str, value: &str, max_age: u32, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_offered_is_taken_back_whole_and_then_deleted() {
        let value = r#"{"name":"Ünïcode; \"quoted\", with spaces","secret":"lsk_abc"}"#;
        let offered = offer("handed", "/admin/api-keys", value, true).expect("a valid header");
        let offered = offered.to_str().expect("ascii");
        assert!(offered.ends_with("; Path=/admin/api-keys; Max-Age=120; HttpOnly; SameSite=Strict; Secure"));
        let pair = offered.split(';').next().expect("name=value");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).expect("header"));
        let (taken, deletion) = take(&headers, "handed", "/admin/api-keys", false).expect("the value");
        assert_eq!(taken, value);
        let deletion = deletion.expect("a deletion");
        assert_eq!(
            deletion.to_str().expect("ascii"),
            "handed=; Path=/admin/api-keys; Max-Age=0; HttpOnly; SameSite=Strict"
        );
        assert!(take(&HeaderMap::new(), "handed", "/", false).is_none());
    }
}

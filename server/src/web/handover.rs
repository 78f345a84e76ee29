//! A value a form posted without JavaScript hands to the page it is
//! redirected to, once.
//!
//! After such a post Leptos redirects back to the form, and only an error
//! travels in that redirect's URL. What a success must show once and never
//! again (a new API key's secret) goes instead in a short-lived cookie
//! scoped to the page that shows it, which takes it and deletes it. Never in
//! a URL: those end up in histories and logs.
//!
//! A browser sends back whatever cookies it has, including ones a sibling
//! subdomain or a plain-http page planted, so a page must treat what it
//! takes as a claim and check it (the API key page looks the key up).

use axum::http::{HeaderMap, HeaderValue};

/// How long an unread value waits for its page.
const LIFETIME_SECS: u32 = 120;

/// A value handed to one page; `__Secure-` prefixed over https, so that no
/// plain-http page can set it.
#[derive(Debug, Clone, Copy)]
pub struct Handover {
    pub name: &'static str,
    pub path: &'static str,
    pub secure: bool,
}

impl Handover {
    fn cookie_name(self) -> String {
        if self.secure {
            format!("__Secure-{}", self.name)
        } else {
            self.name.to_owned()
        }
    }

    /// The `Set-Cookie` that hands `value` to the page.
    pub fn offer(self, value: &str) -> Option<HeaderValue> {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        self.cookie(&encoded, LIFETIME_SECS)
    }

    /// Every value the request carries under this name (a planted cookie
    /// may come first), and the `Set-Cookie` that deletes ours.
    pub fn take(self, headers: &HeaderMap) -> (Vec<String>, Option<HeaderValue>) {
        let name = self.cookie_name();
        let values: Vec<String> = super::http::cookies_named(headers, &name)
            .filter_map(|encoded| {
                url::form_urlencoded::parse(format!("v={encoded}").as_bytes()).next().map(|(_, v)| v.into_owned())
            })
            .collect();
        let deletion = if values.is_empty() { None } else { self.cookie("", 0) };
        (values, deletion)
    }

    fn cookie(self, value: &str, max_age: u32) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let (name, path) = (self.cookie_name(), self.path);
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
        ))
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    const PAGE: Handover = Handover { name: "handed", path: "/admin/api-keys", secure: false };

    #[test]
    fn a_value_offered_is_taken_back_whole_and_then_deleted() {
        let value = r#"Ünïcode; "quoted", with spaces"#;
        let offered = Handover { secure: true, ..PAGE }.offer(value).expect("a valid header");
        let offered = offered.to_str().expect("ascii");
        assert!(offered.starts_with("__Secure-handed="));
        assert!(offered.ends_with("; Path=/admin/api-keys; Max-Age=120; HttpOnly; SameSite=Strict; Secure"));

        let offered = PAGE.offer(value).expect("a valid header");
        let pair = offered.to_str().expect("ascii").split(';').next().expect("name=value").to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; handed=planted; {pair}")).expect("header"),
        );
        let (taken, deletion) = PAGE.take(&headers);
        assert_eq!(taken, vec!["planted".to_owned(), value.to_owned()]);
        let deletion = deletion.expect("a deletion");
        assert_eq!(
            deletion.to_str().expect("ascii"),
            "handed=; Path=/admin/api-keys; Max-Age=0; HttpOnly; SameSite=Strict"
        );
        assert_eq!(PAGE.take(&HeaderMap::new()), (Vec::new(), None));
    }
}

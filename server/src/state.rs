//! The state every handler and server function shares.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::notices::Hub;
use crate::numbers::{BusinessTimeZone, Numbering};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    /// Decides the year of document numbers.
    pub time_zone: BusinessTimeZone,
    /// This instance's batches of numbered creates.
    pub numbering: Numbering,
    /// Live change notices of this instance.
    pub notices: Hub,
    /// Sign-ups one address may attempt in 15 minutes before waits start.
    pub sign_ups_per_address: i32,
    /// Cookies are `Secure` (Lockstep is served over https).
    pub secure_cookies: bool,
    /// The address people reach Lockstep at (`--public-url`), for QR codes
    /// and links handed out; None: the address the browser used.
    pub public_url: Option<String>,
}

impl AppState {
    /// Where this site is, as the start of an absolute link: the configured
    /// public address, else the request's Host (kept only if it looks like
    /// a host name, so a forged header cannot inject markup or paths).
    pub fn site_origin(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .filter(|host| {
                !host.is_empty()
                    && host.len() <= 255
                    && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            })
            .unwrap_or("localhost");
        let scheme = if self.secure_cookies { "https" } else { "http" };
        format!("{scheme}://{host}")
    }
}

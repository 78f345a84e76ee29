//! The state every handler and server function shares.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::notices::Hub;
use crate::numbers::BusinessTimeZone;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    /// Decides the year of document numbers.
    pub time_zone: BusinessTimeZone,
    /// Live change notices of this instance.
    pub notices: Hub,
    /// Sign-ups one address may attempt in 15 minutes before waits start.
    pub sign_ups_per_address: i32,
    /// Cookies are `Secure` (Lockstep is served over https).
    pub secure_cookies: bool,
}

//! Server functions for accounts: sign up, log in, log out, who am I.

use leptos::prelude::*;

use crate::error::AppError;

/// The signed-in person, as pages (and the REST API) see them.
pub use model::accounts::{Role, RoleCount, UserView};

#[server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    let session = crate::ssr::auth_session().await?;
    Ok(session.user.as_ref().map(UserView::from))
}

/// Creates a member account and signs it in. Repeating the same form
/// (same `idempotency_key`) signs in the account the first one created.
#[server(prefix = "/sfn", endpoint = "sign_up")]
pub async fn sign_up(
    display_name: String,
    email: String,
    password: String,
    idempotency_key: String,
) -> Result<UserView, AppError> {
    use server::accounts::{self, NewAccount};
    let state = crate::ssr::state()?;
    let account = NewAccount::parse(&email, &display_name, &password)?;
    let origin = crate::ssr::origin().await;
    server::throttle::claim_sign_up(&state.pool, origin.ip, state.sign_ups_per_address).await?;
    let user = accounts::sign_up(&state.pool, &account, Some(&idempotency_key)).await?;
    let mut session = crate::ssr::auth_session().await?;
    server::auth::log_in(&state, &mut session, &user, &origin).await?;
    crate::ssr::redirect("/account");
    Ok(UserView::from(&user))
}

#[server(prefix = "/sfn", endpoint = "log_in")]
pub async fn log_in(email: String, password: String, next: String) -> Result<UserView, AppError> {
    use server::auth::{self, Credentials};
    let state = crate::ssr::state()?;
    let origin = crate::ssr::origin().await;
    let credentials = Credentials { email, password, address: origin.ip };
    let user = auth::check_credentials(&state.pool, &credentials).await?;
    let mut session = crate::ssr::auth_session().await?;
    auth::log_in(&state, &mut session, &user, &origin).await?;
    crate::ssr::redirect(&auth::safe_next(Some(&next)));
    Ok(UserView::from(&user))
}

#[server(prefix = "/sfn", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let mut session = crate::ssr::auth_session().await?;
    server::auth::log_out(&state, &mut session).await?;
    crate::ssr::redirect("/");
    Ok(())
}

/// Staff only: how many accounts there are of each role.
#[server(prefix = "/sfn", endpoint = "staff_overview")]
pub async fn staff_overview() -> Result<Vec<RoleCount>, AppError> {
    let (state, _) = crate::ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::accounts::count_by_role(&mut conn).await?)
}

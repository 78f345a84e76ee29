//! Server functions for the first administrator (`/setup`), for
//! administrators managing people (`/admin/users`), and for setting a new
//! password with a reset link (`/reset-password`).

use leptos::prelude::*;

use crate::error::AppError;

pub use model::accounts::{Person, ResetLink, Role, SetupState, UserView};

#[server(prefix = "/sfn", endpoint = "get_setup_state")]
pub async fn get_setup_state(token: String) -> Result<SetupState, AppError> {
    let state = crate::ssr::state()?;
    Ok(server::setup::state(&state.pool, &token).await?)
}

/// Creates the first administrator with the token printed at startup and
/// signs them in.
#[server(prefix = "/sfn", endpoint = "create_first_admin")]
pub async fn create_first_admin(
    token: String,
    display_name: String,
    email: String,
    password: String,
) -> Result<UserView, AppError> {
    let state = crate::ssr::state()?;
    let account = server::accounts::NewAccount::parse(&email, &display_name, &password)?;
    let user = server::setup::create_first_admin(&state.pool, &token, &account).await?;
    let origin = crate::ssr::origin().await;
    let mut session = crate::ssr::auth_session().await?;
    server::auth::log_in(&state, &mut session, &user, &origin).await?;
    crate::ssr::redirect("/admin/users");
    Ok(UserView::from(&user))
}

#[server(prefix = "/sfn", endpoint = "list_people")]
pub async fn list_people(search: String) -> Result<Vec<Person>, AppError> {
    let (state, _) = crate::training::ssr::user_with(crate::training::ssr::is_admin).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::people::list(&mut conn, &search).await?)
}

/// Sets someone's role and whether they may sign in (`enabled` is "on"
/// when ticked), if their account is still at `version`.
#[server(prefix = "/sfn", endpoint = "set_access")]
pub async fn set_access(id: String, version: i32, role: String, enabled: Option<String>) -> Result<Person, AppError> {
    let (state, admin) = crate::training::ssr::user_with(crate::training::ssr::is_admin).await?;
    let id = crate::training::ssr::uuid(&id)?;
    let role: Role = role.parse().map_err(|_| AppError::Invalid {
        field: "role".to_owned(),
        message: "Choose one of the roles listed.".to_owned(),
    })?;
    let access = server::people::Access { role, enabled: enabled.is_some() };
    let person = server::people::set_access(&state.pool, &admin, id, version, access).await?;
    // Their sessions everywhere see the new role (or end) from the next request.
    state.notices.catch_up(&state.pool).await;
    Ok(person)
}

/// A new one-time link for someone to set a password.
#[server(prefix = "/sfn", endpoint = "issue_reset_link")]
pub async fn issue_reset_link(id: String) -> Result<ResetLink, AppError> {
    let (state, admin) = crate::training::ssr::user_with(crate::training::ssr::is_admin).await?;
    let id = crate::training::ssr::uuid(&id)?;
    let link = server::people::issue_reset_link(&state.pool, &admin, id).await?.at(&crate::ssr::site_origin(&state));
    crate::ssr::hand_over(reset_link_handover(&state), &link.token);
    Ok(link)
}

#[cfg(feature = "ssr")]
fn reset_link_handover(state: &server::AppState) -> server::web::handover::Handover {
    server::web::handover::Handover { name: "lockstep_reset_link", path: "/admin/users", secure: state.secure_cookies }
}

/// The reset link this admin just made with the form posted without
/// JavaScript, once (checked against the database: a cookie can be planted).
#[server(prefix = "/sfn", endpoint = "take_issued_reset_link")]
pub async fn take_issued_reset_link() -> Result<Option<ResetLink>, AppError> {
    let (state, admin) = crate::training::ssr::user_with(crate::training::ssr::is_admin).await?;
    let tokens = crate::ssr::take_handed_over(reset_link_handover(&state));
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    for token in tokens {
        if let Some(link) = server::people::just_issued_reset_link(&mut conn, &token, admin.id).await? {
            crate::ssr::never_store();
            return Ok(Some(link.at(&crate::ssr::site_origin(&state))));
        }
    }
    Ok(None)
}

/// Whose password the link resets (404 when it does not work).
#[server(prefix = "/sfn", endpoint = "reset_link_owner")]
pub async fn reset_link_owner(token: String) -> Result<String, AppError> {
    let state = crate::ssr::state()?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::people::reset_link_owner(&mut conn, &token).await?.ok_or(server::Error::NotFound)?)
}

/// Sets a new password with a reset link and signs in with it.
#[server(prefix = "/sfn", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<UserView, AppError> {
    let state = crate::ssr::state()?;
    let user = server::people::reset_password(&state.pool, &token, &new_password).await?;
    state.notices.catch_up(&state.pool).await;
    let origin = crate::ssr::origin().await;
    let mut session = crate::ssr::auth_session().await?;
    server::auth::log_in(&state, &mut session, &user, &origin).await?;
    crate::ssr::redirect("/account");
    Ok(UserView::from(&user))
}

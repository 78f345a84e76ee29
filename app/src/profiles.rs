//! Server functions for the profile (two versioned sections) and for the
//! devices signed in to the account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use crate::merge::SectionView;

pub use model::accounts::Device;
pub use model::profiles::{PersonalFields, ProfessionalFields};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    pub personal: SectionView,
    pub professional: SectionView,
}

#[server(prefix = "/sfn", endpoint = "get_profile")]
pub async fn get_profile() -> Result<ProfileView, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let personal = server::profiles::personal(&mut conn, user.id).await?;
    let professional = server::profiles::professional(&mut conn, user.id).await?;
    Ok(ProfileView { personal: SectionView::of(&personal), professional: SectionView::of(&professional) })
}

/// Saves the personal section (posted as `personal[field]`) if it is still
/// at `version` (0: first save).
#[server(prefix = "/sfn", endpoint = "save_personal")]
pub async fn save_personal(version: i32, personal: PersonalFields) -> Result<SectionView, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let saved = server::profiles::save_personal(&state.pool, user.id, version, &personal).await?;
    Ok(SectionView::of(&saved.section))
}

/// Saves the professional section (posted as `professional[field]`) if it
/// is still at `version` (0: first save).
#[server(prefix = "/sfn", endpoint = "save_professional")]
pub async fn save_professional(version: i32, professional: ProfessionalFields) -> Result<SectionView, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let saved = server::profiles::save_professional(&state.pool, user.id, version, &professional).await?;
    Ok(SectionView::of(&saved.section))
}

/// A signed-in device with what the server knows about it: what its
/// User-Agent reads as (parsed on the server, to keep the parser out of
/// the WASM), and whether it is the device asking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInDevice {
    // Nested, not flattened: `serde(flatten)` decodes through a buffer
    // whose code the WASM would carry for this one type.
    pub device: Device,
    /// "Chrome 120 on Linux".
    pub description: String,
    pub this_device: bool,
}

#[server(prefix = "/sfn", endpoint = "list_devices")]
pub async fn list_devices() -> Result<Vec<SignedInDevice>, AppError> {
    let state = crate::ssr::state()?;
    let session = crate::ssr::auth_session().await?;
    let user = server::auth::require_user(&session)?;
    let this_device = server::auth::current_device(&session).await;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let devices = server::devices::list(&mut conn, user.id).await?;
    Ok(devices
        .into_iter()
        .map(|device| SignedInDevice {
            description: server::devices::description(&device),
            this_device: Some(device.id) == this_device,
            device,
        })
        .collect())
}

/// Signs one of my other devices out.
#[server(prefix = "/sfn", endpoint = "revoke_device")]
pub async fn revoke_device(id: String) -> Result<(), AppError> {
    let (state, user) = crate::ssr::member().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    server::devices::revoke(&state.pool, user.id, id).await?;
    state.notices.catch_up(&state.pool).await;
    Ok(())
}

/// Signs out every device but this one; returns how many.
#[server(prefix = "/sfn", endpoint = "revoke_other_devices")]
pub async fn revoke_other_devices() -> Result<u64, AppError> {
    let state = crate::ssr::state()?;
    let session = crate::ssr::auth_session().await?;
    let user = server::auth::require_user(&session)?;
    let keep = server::auth::current_device(&session).await.unwrap_or_default();
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let count = server::devices::revoke_others(&mut conn, user.id, keep).await?;
    state.notices.catch_up(&state.pool).await;
    Ok(count)
}

/// Changes the password; every other device is signed out and this one
/// continues under a new session.
#[server(prefix = "/sfn", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<u64, AppError> {
    let state = crate::ssr::state()?;
    let mut session = crate::ssr::auth_session().await?;
    let user = server::auth::require_user(&session)?.clone();
    let (user, signed_out) =
        server::accounts::change_password(&state.pool, &user, &current_password, &new_password).await?;
    let origin = crate::ssr::origin().await;
    let signed_out =
        server::auth::renew_after_password_change(&state, &mut session, &user, &origin, signed_out).await?;
    Ok(signed_out)
}

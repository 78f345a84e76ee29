//! Server functions for the profile (two versioned sections) and for the
//! devices signed in to the account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use crate::merge::SectionView;

pub const PERSONAL_FIELDS: &[(&str, &str)] = &[
    ("full_name", "Full name"),
    ("primary_email", "Primary email"),
    ("phone", "Phone"),
    ("date_of_birth", "Date of birth"),
    ("address", "Address"),
    ("city", "City"),
    ("country", "Country"),
];

pub const PROFESSIONAL_FIELDS: &[(&str, &str)] = &[
    ("company", "Company"),
    ("job_title", "Job title"),
    ("department", "Department"),
    ("website", "Website"),
    ("linkedin", "LinkedIn"),
    ("bio", "Bio"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    pub personal: SectionView,
    pub professional: SectionView,
}

#[cfg(feature = "ssr")]
fn section<T: Serialize>(section: &T, fields: &[(&str, &str)]) -> Result<SectionView, AppError> {
    let json = serde_json::to_value(section).map_err(|_| AppError::Internal)?;
    Ok(SectionView::from_json(&json, fields))
}

#[server(prefix = "/sfn", endpoint = "get_profile")]
pub async fn get_profile() -> Result<ProfileView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let personal = server::profiles::personal(&mut conn, user.id).await?;
    let professional = server::profiles::professional(&mut conn, user.id).await?;
    Ok(ProfileView {
        personal: section(&personal, PERSONAL_FIELDS)?,
        professional: section(&professional, PROFESSIONAL_FIELDS)?,
    })
}

/// What the personal form posts, as `personal[field]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonalInput {
    pub full_name: String,
    pub primary_email: String,
    pub phone: String,
    pub date_of_birth: String,
    pub address: String,
    pub city: String,
    pub country: String,
}

/// What the professional form posts, as `professional[field]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfessionalInput {
    pub company: String,
    pub job_title: String,
    pub department: String,
    pub website: String,
    pub linkedin: String,
    pub bio: String,
}

/// Saves the personal section if it is still at `version` (0: first save).
#[server(prefix = "/sfn", endpoint = "save_personal")]
pub async fn save_personal(version: i32, personal: PersonalInput) -> Result<SectionView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let fields = server::profiles::PersonalFields {
        full_name: personal.full_name,
        primary_email: personal.primary_email,
        phone: personal.phone,
        date_of_birth: personal.date_of_birth,
        address: personal.address,
        city: personal.city,
        country: personal.country,
    };
    let saved = server::profiles::save_personal(&state.pool, user.id, version, &fields).await?;
    section(&saved.section, PERSONAL_FIELDS)
}

/// Saves the professional section if it is still at `version` (0: first save).
#[server(prefix = "/sfn", endpoint = "save_professional")]
pub async fn save_professional(version: i32, professional: ProfessionalInput) -> Result<SectionView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let fields = server::profiles::ProfessionalFields {
        company: professional.company,
        job_title: professional.job_title,
        department: professional.department,
        website: professional.website,
        linkedin: professional.linkedin,
        bio: professional.bio,
    };
    let saved = server::profiles::save_professional(&state.pool, user.id, version, &fields).await?;
    section(&saved.section, PROFESSIONAL_FIELDS)
}

/// A signed-in device, as the sessions page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: String,
    pub description: String,
    pub ip: String,
    pub first_seen: String,
    pub last_seen: String,
    pub this_device: bool,
}

#[server(prefix = "/sfn", endpoint = "list_devices")]
pub async fn list_devices() -> Result<Vec<DeviceView>, AppError> {
    let state = crate::ssr::state()?;
    let session = crate::ssr::auth_session().await?;
    let user = server::auth::require_user(&session)?;
    let this_device = server::auth::current_device(&session).await;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let devices = server::devices::list(&mut conn, user.id).await?;
    let format = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(devices
        .into_iter()
        .map(|device| DeviceView {
            id: device.id.to_string(),
            description: device.description(),
            ip: device.ip.clone().unwrap_or_else(|| "unknown".to_owned()),
            first_seen: format(device.first_seen),
            last_seen: format(device.last_seen),
            this_device: Some(device.id) == this_device,
        })
        .collect())
}

/// Signs one of my other devices out.
#[server(prefix = "/sfn", endpoint = "revoke_device")]
pub async fn revoke_device(id: String) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    server::devices::revoke(&state.pool, user.id, id).await?;
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
        server::auth::renew_after_password_change(&state.pool, &mut session, &user, &origin, signed_out).await?;
    Ok(signed_out)
}

//! Server functions of training: scenarios and the assignment board
//! (staff), "my assignments" (counselors), API keys (admins), and the API
//! reference page.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use model::accounts::{ApiKey, IssuedKey, Scope};
pub use model::training::{Assignment, AssignmentStatus, BulkOutcome, Counselor, Scenario};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioBoard {
    pub scenario: Scenario,
    pub assignments: Vec<Assignment>,
    pub counselors: Vec<Counselor>,
}

/// The API keys, and the server's clock when they were listed: whether a
/// key has expired is decided by that, not by the browser's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKey>,
    pub as_of: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub tag: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use server::accounts::Role;

    pub async fn user_with(
        allowed: impl Fn(Role) -> bool,
    ) -> Result<(server::AppState, server::accounts::User), AppError> {
        let state = crate::ssr::state()?;
        let session = crate::ssr::auth_session().await?;
        let user = server::auth::require_role(&session, allowed)?.clone();
        Ok((state, user))
    }

    pub fn is_admin(role: Role) -> bool {
        role == Role::Admin
    }

    pub fn uuid(id: &str) -> Result<uuid::Uuid, AppError> {
        uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
    }

    /// An optional `YYYY-MM-DD` from a date input.
    pub fn due_date(value: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
        match value.trim() {
            "" => Ok(None),
            text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| AppError::Invalid {
                field: "due_date".into(),
                message: "Choose a date, or leave it empty.".into(),
            }),
        }
    }
}

#[server(prefix = "/sfn", endpoint = "list_scenarios")]
pub async fn list_scenarios() -> Result<Vec<Scenario>, AppError> {
    let (state, _) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::scenarios::list(&mut conn).await?)
}

/// Creates a scenario and opens its board; the form's key makes a resend
/// return the same scenario.
#[server(prefix = "/sfn", endpoint = "create_scenario")]
pub async fn create_scenario(title: String, description: String, idempotency_key: String) -> Result<String, AppError> {
    let (state, user) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let input = server::scenarios::NewScenario { title, description };
    let (scenario, _) = server::scenarios::create(&state.pool, user.id, &input, Some(&idempotency_key)).await?;
    let id = scenario.id.to_string();
    crate::ssr::redirect(&format!("/staff/scenarios/{id}"));
    Ok(id)
}

/// Activates (`active` = "true") or deactivates a scenario at `version`.
#[server(prefix = "/sfn", endpoint = "set_scenario_active")]
pub async fn set_scenario_active(id: String, version: i32, active: String) -> Result<Scenario, AppError> {
    let (state, user) = ssr::user_with(server::accounts::Role::is_staff).await?;
    Ok(server::scenarios::set_active(&state.pool, user.id, ssr::uuid(&id)?, version, active == "true").await?)
}

#[server(prefix = "/sfn", endpoint = "get_scenario_board")]
pub async fn get_scenario_board(id: String) -> Result<ScenarioBoard, AppError> {
    let (state, _) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let id = ssr::uuid(&id)?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let scenario = server::scenarios::find(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let assignments = server::assignments::list(&mut conn, Some(id), None).await?;
    let counselors = server::counselors::list(&mut conn).await?;
    Ok(ScenarioBoard { scenario, assignments, counselors })
}

/// Assigns the scenario to one counselor: 409 naming the active assignment
/// when there is one.
#[server(prefix = "/sfn", endpoint = "assign_counselor")]
pub async fn assign_counselor(
    scenario_id: String,
    counselor_id: String,
    due_date: String,
) -> Result<Assignment, AppError> {
    let (state, user) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let counselor = uuid::Uuid::parse_str(counselor_id.trim())
        .map_err(|_| AppError::Invalid { field: "counselor_id".into(), message: "Choose a counselor.".into() })?;
    let assignment = server::assignments::create(
        &state.pool,
        server::audit::Actor::User(user.id),
        counselor,
        ssr::uuid(&scenario_id)?,
        ssr::due_date(&due_date)?,
    )
    .await?;
    Ok(assignment)
}

/// Assigns the scenario to every ticked counselor (`counselors[c_<id>]`: the
/// prefix keeps the form decoder from reading a uuid that starts with digits
/// as a list index).
#[server(prefix = "/sfn", endpoint = "bulk_assign")]
pub async fn bulk_assign(
    scenario_id: String,
    #[server(default)] counselors: BTreeMap<String, String>,
    due_date: String,
) -> Result<Vec<BulkOutcome>, AppError> {
    let (state, user) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let ids: Vec<uuid::Uuid> = counselors
        .keys()
        .filter_map(|key| key.strip_prefix("c_"))
        .filter_map(|id| uuid::Uuid::parse_str(id).ok())
        .collect();
    let outcomes = server::assignments::bulk_assign(
        &state.pool,
        user.id,
        ssr::uuid(&scenario_id)?,
        &ids,
        ssr::due_date(&due_date)?,
    )
    .await?;
    Ok(outcomes)
}

#[server(prefix = "/sfn", endpoint = "my_assignments")]
pub async fn my_assignments() -> Result<Vec<Assignment>, AppError> {
    let (state, user) = ssr::user_with(|role| role == server::accounts::Role::Counselor).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::assignments::list(&mut conn, None, Some(user.id)).await?)
}

/// The counselor moves their assignment on: `step` is `start` or `complete`.
#[server(prefix = "/sfn", endpoint = "advance_assignment")]
pub async fn advance_assignment(id: String, version: i32, step: String) -> Result<Assignment, AppError> {
    let (state, user) = ssr::user_with(|role| role == server::accounts::Role::Counselor).await?;
    let id = ssr::uuid(&id)?;
    let step = match step.as_str() {
        "start" => server::assignments::Step::Start,
        "complete" => server::assignments::Step::Complete,
        _ => return Err(AppError::NotFound),
    };
    Ok(server::assignments::advance(&state.pool, user.id, id, version, step).await?)
}

#[server(prefix = "/sfn", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<ApiKeyList, AppError> {
    let (state, _) = ssr::user_with(ssr::is_admin).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let keys = server::api_keys::list(&mut conn).await?;
    Ok(ApiKeyList { keys, as_of: chrono::Utc::now() })
}

/// Creates a key with the ticked scopes (checkboxes: present when ticked)
/// that expires after `expires_in_days` days when that is not empty.
#[server(prefix = "/sfn", endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    workflow: Option<String>,
    assignments: Option<String>,
    expires_in_days: Option<String>,
) -> Result<IssuedKey, AppError> {
    let (state, user) = ssr::user_with(ssr::is_admin).await?;
    let scopes: Vec<Scope> = [(Scope::Workflow, workflow), (Scope::Assignments, assignments)]
        .into_iter()
        .filter_map(|(scope, ticked)| ticked.is_some().then_some(scope))
        .collect();
    let expires_at = match expires_in_days.as_deref().map(str::trim).filter(|days| !days.is_empty()) {
        None => None,
        Some(days) => match days.parse::<i64>() {
            Ok(days @ 1..=3650) => Some(chrono::Utc::now() + chrono::Duration::days(days)),
            _ => {
                return Err(AppError::Invalid {
                    field: "expires_in_days".to_owned(),
                    message: "Use a whole number of days from 1 to 3650, or leave it empty.".to_owned(),
                })
            }
        },
    };
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let issued = server::api_keys::create(&mut conn, &name, &scopes, expires_at, Some(user.id)).await?;
    crate::ssr::hand_over(issued_key_handover(&state), &issued.secret);
    Ok(issued)
}

/// Where a key made without JavaScript is shown once.
#[cfg(feature = "ssr")]
fn issued_key_handover(state: &server::AppState) -> server::web::handover::Handover {
    server::web::handover::Handover {
        name: "lockstep_issued_key",
        path: "/admin/api-keys",
        secure: state.secure_cookies,
    }
}

/// The key this admin just made with the form posted without JavaScript,
/// once. The secret comes back in a cookie, which anyone able to plant one
/// could fake, so only a secret that is one of this admin's keys of the last
/// two minutes is shown, with its name as stored.
#[server(prefix = "/sfn", endpoint = "take_issued_api_key")]
pub async fn take_issued_api_key() -> Result<Option<IssuedKey>, AppError> {
    let (state, user) = ssr::user_with(ssr::is_admin).await?;
    let secrets = crate::ssr::take_handed_over(issued_key_handover(&state));
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    for secret in secrets {
        if let Some(key) = server::api_keys::just_issued(&mut conn, &secret, user.id).await? {
            crate::ssr::never_store();
            return Ok(Some(IssuedKey { key, secret }));
        }
    }
    Ok(None)
}

#[server(prefix = "/sfn", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    let (state, _) = ssr::user_with(ssr::is_admin).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    server::api_keys::revoke(&mut conn, ssr::uuid(&id)?).await?;
    Ok(())
}

/// Every REST endpoint, from the same OpenAPI document `/api/openapi.json` serves.
#[server(prefix = "/sfn", endpoint = "api_endpoints")]
pub async fn api_endpoints() -> Result<Vec<Endpoint>, AppError> {
    let document = server::web::api::openapi();
    let mut endpoints = Vec::new();
    for (path, item) in &document.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                endpoints.push(Endpoint {
                    method: method.to_owned(),
                    path: path.clone(),
                    summary: operation.summary.clone().or_else(|| operation.description.clone()).unwrap_or_default(),
                    tag: operation.tags.as_ref().and_then(|tags| tags.first().cloned()).unwrap_or_default(),
                });
            }
        }
    }
    endpoints.sort_by(|a, b| (&a.tag, &a.path, &a.method).cmp(&(&b.tag, &b.path, &b.method)));
    Ok(endpoints)
}

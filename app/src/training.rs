//! Server functions of training: scenarios and the assignment board
//! (staff), "my assignments" (counselors), API keys (admins), and the API
//! reference page.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub active: bool,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRow {
    pub id: String,
    pub counselor_name: String,
    pub scenario_id: String,
    pub scenario_title: String,
    pub source: String,
    pub status: String,
    pub due_date: String,
    pub assigned: String,
    pub version: i32,
}

impl AssignmentRow {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "pending" => "Pending",
            "in_progress" => "In progress",
            _ => "Completed",
        }
    }

    /// The due date, or a dash when there is none.
    pub fn due(&self) -> String {
        if self.due_date.is_empty() {
            "—".to_owned()
        } else {
            self.due_date.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounselorOption {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioBoard {
    pub scenario: ScenarioRow,
    pub assignments: Vec<AssignmentRow>,
    pub counselors: Vec<CounselorOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRow {
    pub counselor_name: String,
    pub created: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// What the key may do, in words.
    pub scopes: String,
    pub created: String,
    /// "never", or when it stops working.
    pub expires: String,
    pub expired: bool,
    pub last_used: String,
    pub revoked: bool,
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
    pub secret: String,
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

    pub fn scenario_row(scenario: server::scenarios::Scenario) -> ScenarioRow {
        ScenarioRow {
            id: scenario.id.to_string(),
            title: scenario.title,
            description: scenario.description,
            active: scenario.active,
            version: scenario.version,
        }
    }

    pub fn assignment_row(assignment: server::assignments::Assignment) -> AssignmentRow {
        AssignmentRow {
            id: assignment.id.to_string(),
            counselor_name: assignment.counselor_name,
            scenario_id: assignment.scenario_id.to_string(),
            scenario_title: assignment.scenario_title,
            source: assignment.source,
            status: assignment.status,
            due_date: assignment.due_date.map(|d| d.to_string()).unwrap_or_default(),
            assigned: assignment.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            version: assignment.version,
        }
    }
}

#[server(prefix = "/sfn", endpoint = "list_scenarios")]
pub async fn list_scenarios() -> Result<Vec<ScenarioRow>, AppError> {
    let (state, _) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::scenarios::list(&mut conn).await?.into_iter().map(ssr::scenario_row).collect())
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
pub async fn set_scenario_active(id: String, version: i32, active: String) -> Result<ScenarioRow, AppError> {
    let (state, user) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let scenario =
        server::scenarios::set_active(&state.pool, user.id, ssr::uuid(&id)?, version, active == "true").await?;
    Ok(ssr::scenario_row(scenario))
}

#[server(prefix = "/sfn", endpoint = "get_scenario_board")]
pub async fn get_scenario_board(id: String) -> Result<ScenarioBoard, AppError> {
    let (state, _) = ssr::user_with(server::accounts::Role::is_staff).await?;
    let id = ssr::uuid(&id)?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let scenario = server::scenarios::find(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let assignments = server::assignments::list(&mut conn, Some(id), None).await?;
    let counselors = server::counselors::list(&mut conn).await?;
    Ok(ScenarioBoard {
        scenario: ssr::scenario_row(scenario),
        assignments: assignments.into_iter().map(ssr::assignment_row).collect(),
        counselors: counselors
            .into_iter()
            .map(|c| CounselorOption { id: c.id.to_string(), name: c.display_name, email: c.email })
            .collect(),
    })
}

/// Assigns the scenario to one counselor: 409 naming the active assignment
/// when there is one.
#[server(prefix = "/sfn", endpoint = "assign_counselor")]
pub async fn assign_counselor(
    scenario_id: String,
    counselor_id: String,
    due_date: String,
) -> Result<AssignmentRow, AppError> {
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
    Ok(ssr::assignment_row(assignment))
}

/// Assigns the scenario to every ticked counselor (`counselors[c_<id>]`: the
/// prefix keeps the form decoder from reading a uuid that starts with digits
/// as a list index).
#[server(prefix = "/sfn", endpoint = "bulk_assign")]
pub async fn bulk_assign(
    scenario_id: String,
    #[server(default)] counselors: BTreeMap<String, String>,
    due_date: String,
) -> Result<Vec<BulkRow>, AppError> {
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
    Ok(outcomes
        .into_iter()
        .map(|o| BulkRow {
            counselor_name: if o.counselor_name.is_empty() { o.counselor_id.to_string() } else { o.counselor_name },
            created: o.created,
            reason: o.reason.unwrap_or_default(),
        })
        .collect())
}

#[server(prefix = "/sfn", endpoint = "my_assignments")]
pub async fn my_assignments() -> Result<Vec<AssignmentRow>, AppError> {
    let (state, user) = ssr::user_with(|role| role == server::accounts::Role::Counselor).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::assignments::list(&mut conn, None, Some(user.id)).await?.into_iter().map(ssr::assignment_row).collect())
}

/// The counselor moves their assignment on: `step` is `start` or `complete`.
#[server(prefix = "/sfn", endpoint = "advance_assignment")]
pub async fn advance_assignment(id: String, version: i32, step: String) -> Result<AssignmentRow, AppError> {
    let (state, user) = ssr::user_with(|role| role == server::accounts::Role::Counselor).await?;
    let id = ssr::uuid(&id)?;
    let step = match step.as_str() {
        "start" => server::assignments::Step::Start,
        "complete" => server::assignments::Step::Complete,
        _ => return Err(AppError::NotFound),
    };
    let assignment = server::assignments::advance(&state.pool, user.id, id, version, step).await?;
    Ok(ssr::assignment_row(assignment))
}

#[server(prefix = "/sfn", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyRow>, AppError> {
    let (state, _) = ssr::user_with(ssr::is_admin).await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let stamp = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(server::api_keys::list(&mut conn)
        .await?
        .into_iter()
        .map(|key| ApiKeyRow {
            id: key.id.to_string(),
            scopes: key.scopes.iter().map(|scope| scope.label()).collect::<Vec<_>>().join(", "),
            expires: key.expires_at.map(stamp).unwrap_or_else(|| "never".to_owned()),
            expired: key.is_expired(),
            name: key.name,
            prefix: format!("lsk_{}_…", key.prefix),
            created: stamp(key.created_at),
            last_used: key.last_used_at.map(stamp).unwrap_or_else(|| "never".to_owned()),
            revoked: key.revoked_at.is_some(),
        })
        .collect())
}

/// Creates a key with the ticked scopes (checkboxes: present when ticked)
/// that expires after `expires_in_days` days when that is not empty.
#[server(prefix = "/sfn", endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    workflow: Option<String>,
    assignments: Option<String>,
    expires_in_days: Option<String>,
) -> Result<NewApiKey, AppError> {
    use server::api_keys::Scope;
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
    Ok(NewApiKey { name: issued.key.name, secret: issued.secret })
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

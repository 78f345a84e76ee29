//! Accounts and what signs in as them: people (with a role), the devices
//! they are signed in on, and the API keys external systems use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::closed_set! {
    // What a person may do; stored as the PostgreSQL enum `user_role`. (A
    // doc comment would add a description to the API document.)
    #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "user_role", rename_all = "lowercase"))]
    Role {
        Member = "member": "Member",
        Staff = "staff": "Staff",
        Counselor = "counselor": "Counselor",
        Admin = "admin": "Administrator",
    }
}

impl Role {
    /// Staff pages are open to staff and admins.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }
}

/// The signed-in user as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

impl UserView {
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}

/// How many accounts have one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleCount {
    pub role: Role,
    pub count: i64,
}

/// A signed-in session of an account: where it signed in from, and when
/// it was first and last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub user_agent: String,
    pub ip: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Device {
    /// The address it was last seen at, or "unknown".
    pub fn address(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}

crate::closed_set! {
    /// What a key may do, chosen when it is created and checked per route
    /// (403 outside its scopes).
    #[derive(PartialOrd, Ord)]
    Scope {
        /// Clients and the numbered workflow (requests to reports).
        Workflow = "workflow": "Clients and workflow",
        /// Training assignments through `/api/external/assignments`.
        Assignments = "assignments": "Training assignments",
    }
}

/// An API key as listed to admins: never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's public part, `lsk_<prefix>_…`, to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// After this the key is refused, as if revoked.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn is_expired(&self) -> bool {
        self.is_expired_at(Utc::now())
    }

    /// Whether the key had expired at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// How the key starts, to tell keys apart: `lsk_1a2b3c4d5e6f_…`.
    pub fn public_part(&self) -> String {
        format!("lsk_{}_…", self.prefix)
    }

    /// What the key may do, in words: "Clients and workflow, Training assignments".
    pub fn scope_labels(&self) -> String {
        self.scopes.iter().map(|scope| scope.label()).collect::<Vec<_>>().join(", ")
    }
}

/// A new key: the only time the full key is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Where the first-run setup page stands for a visitor holding some token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupState {
    /// No administrator yet, and the token is one an instance printed.
    Open,
    /// No administrator yet, but the token is missing or wrong.
    WrongToken,
    /// An administrator exists: there is nothing to set up.
    Done,
}

/// An account as administrators manage it on `/admin/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub version: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When any of its sessions was last seen; None when signed in nowhere.
    pub last_seen: Option<DateTime<Utc>>,
    /// How many devices it is signed in on.
    pub sessions: i64,
}

impl Person {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A one-time link an administrator hands to someone to set a new password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetLink {
    pub user_id: Uuid,
    pub email: String,
    /// The token, to put in `/reset-password?token=…`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The whole address to hand over (the path alone until the site's
    /// address is known).
    pub url: String,
}

impl ResetLink {
    pub fn new(user_id: Uuid, email: String, token: String, expires_at: DateTime<Utc>) -> Self {
        let url = format!("/reset-password?token={token}");
        ResetLink { user_id, email, token, expires_at, url }
    }

    /// The link as it is reached at `origin` (e.g. https://cards.example.com).
    pub fn at(mut self, origin: &str) -> Self {
        self.url = format!("{origin}/reset-password?token={}", self.token);
        self
    }
}

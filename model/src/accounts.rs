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

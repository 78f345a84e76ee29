//! Accounts: sign-up, lookup and password checks.
//!
//! Inputs arrive as plain strings and are parsed into [`NewAccount`] first;
//! once one exists, every field in it is valid. Email uniqueness is left to
//! the database (`users_email_key`, case-insensitive).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use validator::ValidateEmail;

use crate::audit;
use crate::error::{Error, Result, ResultExt};
use crate::idempotency::{self, Claim, IdempotencyKey, StoredResponse};
use crate::retry;

pub use model::accounts::{Role, RoleCount, UserView};

#[derive(Clone, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Set while an administrator has disabled the account: it cannot sign in.
    #[serde(default)]
    pub disabled_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView { id: user.id, email: user.email.clone(), display_name: user.display_name.clone(), role: user.role }
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An email address that has the shape of one. Stored as typed; compared
/// case-insensitively by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The longest address SMTP allows.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("email", "Enter your email address."));
        }
        if trimmed.len() > Self::MAX_LEN || !trimmed.validate_email() {
            return Err(Error::invalid("email", "Enter a valid email address, like ada@example.com."));
        }
        Ok(Email(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of acceptable length. Never logged, never stored as typed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self> {
        let length = raw.chars().count();
        if length < Self::MIN_LEN {
            return Err(Error::invalid("password", format!("Use at least {} characters.", Self::MIN_LEN)));
        }
        if length > Self::MAX_LEN {
            return Err(Error::invalid("password", format!("Use at most {} characters.", Self::MAX_LEN)));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("display_name", "Enter your name."));
        }
        if trimmed.chars().count() > 100 {
            return Err(Error::invalid("display_name", "Use at most 100 characters."));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Error::invalid("display_name", "Remove the control characters."));
        }
        Ok(DisplayName(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
}

impl NewAccount {
    /// Parses every field, reporting the first one that is wrong.
    pub fn parse(email: &str, display_name: &str, password: &str) -> Result<Self> {
        Ok(NewAccount {
            display_name: DisplayName::parse(display_name)?,
            email: Email::parse(email)?,
            password: Password::parse(password)?,
        })
    }
}

/// Password hashing and checking share a few slots, one fewer than the
/// machine has cores (at least one): argon2 is deliberately slow, and a
/// burst of sign-ups or log-ins must leave CPU for everyone else. Nobody
/// holds a database connection while waiting for a slot or hashing.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// How long a request may queue for a hashing slot before it is told to
/// come back (503 `busy`): a bounded queue instead of an ever-growing one.
const HASHING_QUEUE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn with_hashing_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _slot = tokio::time::timeout(HASHING_QUEUE_LIMIT, hashing_slots().acquire())
        .await
        .map_err(|_| Error::Busy)?
        .map_err(Error::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(Error::internal)
}

pub async fn hash_password(password: &Password) -> Result<String> {
    let password = password.clone();
    with_hashing_slot(move || password_auth::generate_hash(password.expose())).await
}

/// Whether `password` matches `hash`.
pub async fn password_matches(password: &str, hash: &str) -> Result<bool> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    with_hashing_slot(move || password_auth::verify_password(password, &hash).is_ok()).await
}

/// An account ready to insert: its password already hashed, so no
/// transaction waits for the hasher.
#[derive(Clone)]
pub struct HashedAccount {
    pub email: Email,
    pub display_name: DisplayName,
    password_hash: String,
}

impl HashedAccount {
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }
}

impl NewAccount {
    pub async fn hash(&self) -> Result<HashedAccount> {
        Ok(HashedAccount {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            password_hash: hash_password(&self.password).await?,
        })
    }
}

/// Inserts the account and its audit row. Run it inside a transaction so
/// both land or neither does. A taken email (in any letter case) is a field
/// error, decided by the unique index.
pub async fn create(conn: &mut PgConnection, account: &HashedAccount, role: Role) -> Result<User> {
    let user = sqlx::query_as!(
        User,
        r#"INSERT INTO users (email, display_name, password_hash, role)
           VALUES ($1, $2, $3, $4)
           RETURNING id, email, display_name, role AS "role: Role", password_hash, created_at AS "created_at: DateTime<Utc>",
                     disabled_at AS "disabled_at: DateTime<Utc>""#,
        account.email.as_str(),
        account.display_name.as_str(),
        account.password_hash,
        role as Role,
    )
    .fetch_one(&mut *conn)
    .await
    .on_constraint("users_email_key", || {
        Error::already_exists("email", "An account with this email already exists. Log in instead?")
    })?;
    audit::record(conn, user.id, "user", &user.id.to_string(), audit::Action::Create, None, Some(1)).await?;
    Ok(user)
}

/// Sign-up for members, safe to repeat: with an idempotency key (minted
/// when the form was rendered), a resent form — double click before the
/// page is interactive, refresh, network retry — returns the account the
/// first submission created instead of "email taken". The replay still
/// requires the same password, so knowing a key alone gives nothing.
pub async fn sign_up(pool: &PgPool, account: &NewAccount, idempotency_key: Option<&str>) -> Result<User> {
    // The password stays out of the fingerprint: it is checked against the
    // stored hash on replay instead of being kept as an unsalted digest.
    let key = idempotency_key
        .filter(|key| !key.trim().is_empty())
        .map(|key| {
            IdempotencyKey::new("sign-up", key, &(account.email.as_str().to_lowercase(), account.display_name.as_str()))
        })
        .transpose()?;

    // Hashed before any transaction begins (and only once, not per retry).
    let hashed = account.hash().await?;
    let (key, hashed) = (&key, &hashed);
    retry::transaction("account.sign_up", move || async move {
        let mut tx = retry::begin(pool).await?;
        if let Some(key) = &key {
            if let Claim::Replay(stored) = idempotency::claim(&mut tx, key).await? {
                retry::commit(tx).await?;
                return replayed_sign_up(pool, &stored, &account.password).await;
            }
        }
        let user = create(&mut tx, hashed, Role::Member).await?;
        if let Some(key) = &key {
            let response = StoredResponse { status: 201, body: serde_json::json!({ "id": user.id }) };
            idempotency::store(&mut tx, key, &response).await?;
        }
        retry::commit(tx).await?;
        Ok(user)
    })
    .await
}

async fn replayed_sign_up(pool: &PgPool, stored: &StoredResponse, password: &Password) -> Result<User> {
    let id = stored
        .body
        .get("id")
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| Error::internal("stored sign-up response has no user id"))?;
    let mut conn = pool.acquire().await?;
    let user = find_by_id(&mut conn, id).await?.ok_or(Error::NotFound)?;
    if password_matches(password.expose(), &user.password_hash).await? {
        Ok(user)
    } else {
        Err(Error::KeyReused)
    }
}

pub async fn find_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<User>> {
    Ok(sqlx::query_as!(
        User,
        r#"SELECT id, email, display_name, role AS "role: Role", password_hash, created_at AS "created_at: DateTime<Utc>",
                  disabled_at AS "disabled_at: DateTime<Utc>"
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn find_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as!(
        User,
        r#"SELECT id, email, display_name, role AS "role: Role", password_hash, created_at AS "created_at: DateTime<Utc>",
                  disabled_at AS "disabled_at: DateTime<Utc>"
           FROM users WHERE lower(email) = lower($1)"#,
        email.trim()
    )
    .fetch_optional(conn)
    .await?)
}

/// Sets a new password when `current` is right, and returns the user with
/// the new hash. Checks of the current password are throttled per account
/// like sign-ins, so a stolen session cannot guess it. The caller decides
/// what happens to sessions (see `auth::renew_after_password_change`).
/// Every device of the account is signed out in the same transaction, so
/// no session of the old password outlives the commit. Returns the user
/// with the new hash and how many devices were signed out.
pub async fn change_password(pool: &PgPool, user: &User, current: &str, new: &str) -> Result<(User, u64)> {
    if current.chars().count() > Password::MAX_LEN {
        return Err(Error::invalid("current_password", "This is not your current password."));
    }
    let claim = crate::throttle::claim_password_check(pool, user.id).await?;
    if !password_matches(current, &user.password_hash).await? {
        return Err(Error::invalid("current_password", "This is not your current password."));
    }
    claim.succeeded(pool).await?;
    let hash = hash_password(&parse_new_password(new)?).await?;
    let hash = &hash;
    retry::transaction("account.change_password", move || async move {
        let mut tx = retry::begin(pool).await?;
        let signed_out = store_password(&mut tx, user.id, hash).await?;
        retry::commit(tx).await?;
        Ok((User { password_hash: hash.clone(), ..user.clone() }, signed_out))
    })
    .await
}

/// A password typed into a form's `new_password` field.
pub fn parse_new_password(raw: &str) -> Result<Password> {
    Password::parse(raw).map_err(|error| match error {
        Error::Invalid { message, .. } => Error::invalid("new_password", message),
        other => other,
    })
}

/// Stores `user`'s new password hash with its audit row and signs out every
/// device of the account, in the caller's transaction: no session of the
/// old password outlives the commit. Returns how many devices were signed out.
pub async fn store_password(tx: &mut PgConnection, user: Uuid, hash: &str) -> Result<u64> {
    let version = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version",
        user,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    audit::record(tx, user, "user", &user.to_string(), audit::Action::Update, Some(version - 1), Some(version)).await?;
    crate::devices::revoke_all(tx, user).await
}

pub async fn count_by_role(conn: &mut PgConnection) -> Result<Vec<RoleCount>> {
    let rows =
        sqlx::query!(r#"SELECT role AS "role!: Role", count(*) AS "count!" FROM users GROUP BY role ORDER BY role"#)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|row| RoleCount { role: row.role, count: row.count }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_must_have_the_shape_of_one() -> Result<(), Box<dyn std::error::Error>> {
        assert!(Email::parse("ada@example.com").is_ok());
        assert_eq!(Email::parse("  Ada@Example.com ")?.as_str(), "Ada@Example.com");
        for bad in ["", "   ", "ada", "ada@", "@example.com", "a b@example.com"] {
            assert!(matches!(Email::parse(bad), Err(Error::Invalid { ref field, .. }) if field == "email"), "{bad:?}");
        }
        Ok(())
    }

    #[test]
    fn password_length_is_bounded() -> Result<(), Box<dyn std::error::Error>> {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("exactly8").is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-password")?), "Password(…)");
        Ok(())
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(DisplayName::parse("  Ada  ")?.as_str(), "Ada");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"é".repeat(101)).is_err());
        assert!(DisplayName::parse("tab\there").is_err());
        Ok(())
    }

    #[test]
    fn roles_parse_from_their_names() {
        assert_eq!("staff".parse::<Role>(), Ok(Role::Staff));
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Admin.is_staff() && !Role::Counselor.is_staff());
    }
}

/// Everyone who can be an assessor (staff and admins): (id, name), by name.
pub async fn staff_members(conn: &mut PgConnection) -> Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "SELECT id, display_name FROM users WHERE role IN ('staff', 'admin') ORDER BY lower(display_name), id"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.display_name)).collect())
}

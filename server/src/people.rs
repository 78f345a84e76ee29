//! People, as administrators manage them on `/admin/users`: find accounts,
//! change a role, disable and enable, hand out a one-time password reset.
//!
//! Role changes and disabling are version-checked (`users.version`) and
//! audited like every other edit. An administrator never changes their own
//! account here, so one enabled administrator always remains: the enabled
//! administrators' rows are locked first and the actor must still be one,
//! so two administrators demoting each other at the same moment cannot
//! both win. (The operator's CLI is trusted and not held to this; without
//! an administrator, the next instance to start prints a new setup link.)

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::accounts::{self, Role, User};
use crate::audit::{self, Action, Actor};
use crate::error::{Error, Result};
use crate::versioned::{self, Target, Tx};
use crate::{devices, retry, secrets};

pub use model::accounts::{Person, ResetLink};

/// How long a reset link works.
pub const RESET_LINK_LIFETIME: Duration = Duration::hours(24);

/// Accounts whose name or email contains `search` (any case), enabled ones
/// first, then by name; at most 200.
pub async fn list(conn: &mut PgConnection, search: &str) -> Result<Vec<Person>> {
    let pattern = format!("%{}%", search.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Ok(sqlx::query_as!(
        Person,
        r#"SELECT u.id, u.email, u.display_name, u.role AS "role: Role", u.version,
                  u.disabled_at AS "disabled_at: DateTime<Utc>", u.created_at AS "created_at: DateTime<Utc>",
                  d.last_seen AS "last_seen: DateTime<Utc>", coalesce(d.sessions, 0) AS "sessions!"
           FROM users u
           LEFT JOIN LATERAL (SELECT max(last_seen) AS last_seen, count(*) AS sessions
                              FROM devices WHERE user_id = u.id) d ON true
           WHERE u.display_name ILIKE $1 OR u.email ILIKE $1
           ORDER BY u.disabled_at IS NOT NULL, lower(u.display_name), u.id
           LIMIT 200"#,
        pattern
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Person>> {
    Ok(sqlx::query_as!(
        Person,
        r#"SELECT u.id, u.email, u.display_name, u.role AS "role: Role", u.version,
                  u.disabled_at AS "disabled_at: DateTime<Utc>", u.created_at AS "created_at: DateTime<Utc>",
                  (SELECT max(last_seen) FROM devices WHERE user_id = u.id) AS "last_seen: DateTime<Utc>",
                  (SELECT count(*) FROM devices WHERE user_id = u.id) AS "sessions!"
           FROM users u WHERE u.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

versioned::has_version!(Person);

/// What an administrator sets on someone's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub enabled: bool,
}

/// Sets `person`'s role and whether the account is enabled, if it is still
/// at `expected_version`. Disabling signs it out everywhere in the same
/// transaction (its devices go, which ends its live streams on every
/// instance). 403 when `admin` is no longer an enabled administrator; 422
/// for their own account.
pub async fn set_access(
    pool: &PgPool,
    admin: &User,
    person: Uuid,
    expected_version: i32,
    access: Access,
) -> Result<Person> {
    if admin.id == person {
        return Err(Error::invalid("role", "You cannot change your own account here; ask another administrator."));
    }
    change_access(pool, Actor::User(admin.id), person, expected_version, access).await
}

/// [`set_access`] for the operator at the command line, on the account as
/// it is now (the operator is trusted; the change is still audited).
pub async fn set_access_as_operator(pool: &PgPool, email: &str, access: Access) -> Result<Person> {
    let mut conn = pool.acquire().await?;
    let user = accounts::find_by_email(&mut conn, email).await?.ok_or(Error::NotFound)?;
    let current = find(&mut conn, user.id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    change_access(pool, Actor::Operator, current.id, current.version, access).await
}

async fn change_access(
    pool: &PgPool,
    actor: Actor,
    person: Uuid,
    expected_version: i32,
    access: Access,
) -> Result<Person> {
    let key = person.to_string();
    let target = Target { operation: "user.set_access", actor, entity: "user", key: &key };
    let update = move |mut tx: Tx| async move {
        // Lock the enabled administrators (in id order, so concurrent
        // changes queue instead of deadlocking) and re-check the actor
        // among them: whoever committed first decides what the next sees.
        let admins: Vec<Uuid> = sqlx::query_scalar!(
            "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE"
        )
        .fetch_all(&mut *tx)
        .await?;
        if let Actor::User(admin) = actor {
            if !admins.contains(&admin) {
                return Err(Error::Forbidden);
            }
        }
        let updated = sqlx::query_scalar!(
            r#"UPDATE users SET role = $3,
                      disabled_at = CASE WHEN $4 THEN NULL ELSE coalesce(disabled_at, now()) END,
                      version = version + 1, updated_at = now()
               WHERE id = $1 AND version = $2
               RETURNING id"#,
            person,
            expected_version,
            access.role as Role,
            access.enabled,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = updated else { return Ok((tx, None)) };
        if !access.enabled {
            devices::revoke_all(&mut tx, id).await?;
        }
        // Disabling ends the account's links; so does enabling it, in case
        // one was made while the disable was committing.
        sqlx::query!("DELETE FROM password_resets WHERE user_id = $1", id).execute(&mut *tx).await?;
        let person = find(&mut tx, id).await?;
        Ok((tx, person))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move { find(&mut tx, person).await })
        .await
}

/// A new one-time link for `person` to set a password, replacing any
/// earlier one. Audited; the token itself is kept only as a digest. Never
/// for an administrator (one admin could otherwise take over another's
/// account): they change their own password, and 422 says so. The issuer
/// must still be an enabled administrator when the link is stored.
pub async fn issue_reset_link(pool: &PgPool, admin: &User, person: Uuid) -> Result<ResetLink> {
    let mut conn = pool.acquire().await?;
    let target = find(&mut conn, person).await?.ok_or(Error::NotFound)?;
    drop(conn);
    if target.role == Role::Admin {
        return Err(Error::invalid(
            "id",
            "Administrators change their own password (Devices and password); no reset link is made for them.",
        ));
    }
    let token = secrets::random_hex(32);
    let token = &token;
    retry::transaction("password_reset.create", move || async move {
        let mut tx = retry::begin(pool).await?;
        let row = sqlx::query!(
            r#"INSERT INTO password_resets (token_hash, user_id, created_by, expires_at)
               SELECT $1, u.id, $3, now() + make_interval(secs => $4) FROM users u
               WHERE u.id = $2 AND u.disabled_at IS NULL AND u.role <> 'admin'
                 AND EXISTS (SELECT 1 FROM users a WHERE a.id = $3 AND a.role = 'admin' AND a.disabled_at IS NULL)
               ON CONFLICT (user_id) DO UPDATE
               SET token_hash = EXCLUDED.token_hash, created_by = EXCLUDED.created_by,
                   created_at = now(), expires_at = EXCLUDED.expires_at
               RETURNING expires_at AS "expires_at: DateTime<Utc>",
                         (SELECT email FROM users WHERE id = $2) AS "email!""#,
            &secrets::digest(token)[..],
            person,
            admin.id,
            RESET_LINK_LIFETIME.num_seconds() as f64,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        audit::record(&mut tx, admin.id, "password_reset", &person.to_string(), Action::Create, None, None).await?;
        retry::commit(tx).await?;
        Ok(ResetLink::new(person, row.email, token.clone(), row.expires_at))
    })
    .await
}

/// The link `token` names if `admin` made it in the last two minutes: what
/// a page may show again after a form posted without JavaScript handed the
/// token over in a cookie (which anyone able to plant one could fake).
pub async fn just_issued_reset_link(conn: &mut PgConnection, token: &str, admin: Uuid) -> Result<Option<ResetLink>> {
    let row = sqlx::query!(
        r#"SELECT r.user_id, u.email, r.expires_at AS "expires_at: DateTime<Utc>"
           FROM password_resets r JOIN users u ON u.id = r.user_id
           WHERE r.token_hash = $1 AND r.created_by = $2 AND r.created_at > now() - interval '2 minutes'
             AND r.expires_at > now()"#,
        &secrets::digest(token)[..],
        admin
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| ResetLink::new(row.user_id, row.email, token.to_owned(), row.expires_at)))
}

/// Whose password the link `token` resets, while it works.
pub async fn reset_link_owner(conn: &mut PgConnection, token: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = $1 AND r.expires_at > now() AND u.disabled_at IS NULL",
        &secrets::digest(token.trim())[..]
    )
    .fetch_optional(conn)
    .await?)
}

/// Sets a new password with a reset link, which is used up by it. Every
/// device of the account is signed out in the same transaction. 404 when
/// the link is unknown, used or expired.
pub async fn reset_password(pool: &PgPool, token: &str, new_password: &str) -> Result<User> {
    {
        let mut conn = pool.acquire().await?;
        if reset_link_owner(&mut conn, token).await?.is_none() {
            return Err(Error::NotFound);
        }
    }
    let hash = accounts::hash_password(&accounts::parse_new_password(new_password)?).await?;
    let digest = secrets::digest(token.trim());
    let (hash, digest) = (&hash, &digest);
    let id = retry::transaction("account.reset_password", move || async move {
        let mut tx = retry::begin(pool).await?;
        // Deleting the link is what uses it: of two submissions, one wins.
        let id = sqlx::query_scalar!(
            "DELETE FROM password_resets r USING users u
             WHERE r.token_hash = $1 AND r.expires_at > now() AND u.id = r.user_id AND u.disabled_at IS NULL
             RETURNING r.user_id",
            &digest[..]
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        accounts::store_password(&mut tx, id, hash).await?;
        retry::commit(tx).await?;
        Ok(id)
    })
    .await?;
    let mut conn = pool.acquire().await?;
    accounts::find_by_id(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// Deletes reset links that no longer work; returns how many.
pub async fn forget_expired_reset_links(pool: &PgPool) -> Result<u64> {
    Ok(sqlx::query!("DELETE FROM password_resets WHERE expires_at <= now()").execute(pool).await?.rows_affected())
}

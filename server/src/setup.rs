//! First run: creating the first administrator in the browser.
//!
//! While no administrator exists, every instance that starts adds a setup
//! token and prints a link carrying it (like Jupyter's). The setup page is
//! refused without a valid token, and gone for good once an administrator
//! exists: `create_first_admin` (a database function) serialises attempts,
//! so a second one, however close, finds the first administrator and fails.

use sqlx::PgPool;
use uuid::Uuid;

use crate::accounts::{self, HashedAccount, NewAccount, User};
use crate::error::{Error, Result};
use crate::retry;
use crate::secrets;

pub use model::accounts::SetupState;

/// True while the database has no administrator.
pub async fn needs_admin(pool: &PgPool) -> Result<bool> {
    Ok(!sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin') AS "exists!""#)
        .fetch_one(pool)
        .await?)
}

/// A new setup token while no administrator exists (to print in a link),
/// else None. Each instance adds its own; any of them opens the page for
/// 24 hours. Once an administrator exists (however it was made), the
/// tokens left from before are deleted, so an old link in a log never
/// works again, even if the last administrator is later demoted.
pub async fn issue_token(pool: &PgPool) -> Result<Option<String>> {
    sqlx::query!("DELETE FROM setup_tokens WHERE EXISTS (SELECT 1 FROM users WHERE role = 'admin')")
        .execute(pool)
        .await?;
    let token = secrets::random_hex(32);
    let issued = sqlx::query_scalar!(
        r#"INSERT INTO setup_tokens (token_hash)
           SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')
           RETURNING true AS "issued!""#,
        &secrets::digest(&token)[..]
    )
    .fetch_optional(pool)
    .await?;
    Ok(issued.map(|_| token))
}

pub async fn state(pool: &PgPool, token: &str) -> Result<SetupState> {
    let row = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin') AS "done!",
                  EXISTS (SELECT 1 FROM setup_tokens
                          WHERE token_hash = $1 AND created_at > now() - interval '24 hours') AS "token_known!""#,
        &secrets::digest(token.trim())[..]
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.done, row.token_known) {
        (true, _) => SetupState::Done,
        (false, true) => SetupState::Open,
        (false, false) => SetupState::WrongToken,
    })
}

/// Creates the first administrator with the printed `token`. After that,
/// every attempt (the same form sent again included) is refused.
pub async fn create_first_admin(pool: &PgPool, token: &str, account: &NewAccount) -> Result<User> {
    // Refuse early without hashing for nothing.
    match state(pool, token).await? {
        SetupState::Open => {}
        SetupState::WrongToken => return Err(Error::Forbidden),
        SetupState::Done => return Err(Error::NotFound),
    }
    let hashed = account.hash().await?;
    let id = insert_first_admin(pool, token, &hashed).await?;
    let mut conn = pool.acquire().await?;
    accounts::find_by_id(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// The insert of [`create_first_admin`], once the password is hashed: 404
/// once an administrator exists, 403 for a token no instance issued.
pub async fn insert_first_admin(pool: &PgPool, token: &str, hashed: &HashedAccount) -> Result<Uuid> {
    let digest = secrets::digest(token.trim());
    let (hashed, digest) = (&hashed, &digest);
    retry::transaction("setup.create_first_admin", move || async move {
        let mut tx = retry::begin(pool).await?;
        let id = sqlx::query_scalar!(
            r#"SELECT create_first_admin($1, $2, $3, $4) AS "id!""#,
            &digest[..],
            hashed.email.as_str(),
            hashed.display_name.as_str(),
            hashed.password_hash(),
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(create_error)?;
        retry::commit(tx).await?;
        Ok(id)
    })
    .await
}

fn create_error(error: sqlx::Error) -> Error {
    let code = error.as_database_error().and_then(|db| db.code()).map(|code| code.into_owned());
    match (crate::error::violated_constraint(&error), code.as_deref()) {
        (Some("users_email_key"), _) => {
            Error::already_exists("email", "An account with this email already exists. Choose another address.")
        }
        (_, Some("LS010")) => Error::NotFound,
        (_, Some("LS011")) => Error::Forbidden,
        _ => Error::from(error),
    }
}

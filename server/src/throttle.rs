//! Sign-in throttling: repeated failures for one account or from one address
//! first slow the next attempt down, then refuse it for a while (429).
//!
//! State lives in PostgreSQL (`login_throttle`, `record_login_failure`), so
//! every instance of Lockstep sees the same counts.

use std::net::IpAddr;

use sqlx::PgPool;

use crate::error::{Error, Result};

/// Failures allowed for one account before it is slowed down.
pub const FREE_FAILURES_PER_ACCOUNT: i32 = 5;
/// Failures allowed from one address (many people may share it).
pub const FREE_FAILURES_PER_ADDRESS: i32 = 20;

/// Who is being counted: the account and the address a sign-in comes from.
#[derive(Debug, Clone)]
pub struct Subjects {
    account: String,
    address: Option<String>,
}

impl Subjects {
    pub fn new(email: &str, address: Option<IpAddr>) -> Self {
        Subjects {
            account: format!("account:{}", email.trim().to_lowercase()),
            address: address.map(|ip| format!("ip:{ip}")),
        }
    }

    fn all(&self) -> Vec<String> {
        std::iter::once(self.account.clone()).chain(self.address.clone()).collect()
    }
}

/// Refuses with 429 while either subject is blocked.
pub async fn check(pool: &PgPool, subjects: &Subjects) -> Result<()> {
    let wait = sqlx::query_scalar!(
        r#"SELECT ceil(extract(epoch FROM max(blocked_until) - now()))::bigint AS "seconds"
           FROM login_throttle WHERE subject = ANY($1) AND blocked_until > now()"#,
        &subjects.all()
    )
    .fetch_one(pool)
    .await?;
    match wait {
        Some(seconds) if seconds > 0 => Err(Error::TooManyRequests { retry_after_secs: seconds as u64 }),
        _ => Ok(()),
    }
}

pub async fn record_failure(pool: &PgPool, subjects: &Subjects) -> Result<()> {
    sqlx::query!("SELECT record_login_failure($1, $2)", subjects.account, FREE_FAILURES_PER_ACCOUNT)
        .fetch_one(pool)
        .await?;
    if let Some(address) = &subjects.address {
        sqlx::query!("SELECT record_login_failure($1, $2)", address, FREE_FAILURES_PER_ADDRESS).fetch_one(pool).await?;
    }
    Ok(())
}

/// A successful sign-in clears the account's count (not the address's: one
/// right password must not reset an attack on other accounts).
pub async fn record_success(pool: &PgPool, subjects: &Subjects) -> Result<()> {
    sqlx::query!("DELETE FROM login_throttle WHERE subject = $1", subjects.account).execute(pool).await?;
    Ok(())
}

//! Throttling of guessable operations: signing in (per account and per
//! address), checking the current password before a change (per account),
//! and signing up (per address).
//!
//! An attempt is counted *before* the password is checked, by one call of
//! `claim_login_attempt` (migrations): parallel guesses queue on the
//! subjects' rows, so however many arrive at once, no more than the
//! allowance is evaluated and the rest are refused with 429. A right
//! password takes its attempt back ([`Claim::succeeded`]).
//!
//! State lives in PostgreSQL (`login_throttle`), so every instance of
//! Lockstep sees the same counts.

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{Error, Result};

/// Failures allowed for one account before it is slowed down (the next
/// attempt is still evaluated and starts the block).
pub const FREE_FAILURES_PER_ACCOUNT: i32 = 5;
/// Failures allowed from one address (many people may share it).
pub const FREE_FAILURES_PER_ADDRESS: i32 = 20;
/// Wrong current passwords allowed before a password change is slowed down.
pub const FREE_FAILURES_PER_PASSWORD_CHANGE: i32 = 5;

/// The attempts one address may make to sign up in 15 minutes (before the
/// waits start); the default of `--sign-ups-per-address`.
pub const DEFAULT_SIGN_UPS_PER_ADDRESS: i32 = 10;

/// How many attempts of `free` a burst gets evaluated: the free ones and
/// the one that starts the block.
pub const fn allowance(free: i32) -> i32 {
    free + 1
}

/// One counted attempt: taken back when it turned out to be right.
#[must_use = "a right password must release its claim"]
pub struct Claim {
    release: Vec<String>,
    clear: Vec<String>,
}

impl Claim {
    /// The attempt was right: the account's count starts over; the
    /// address only gets this attempt back (one right password must not
    /// reset an attack on other accounts).
    pub async fn succeeded(self, pool: &PgPool) -> Result<()> {
        for subject in &self.clear {
            sqlx::query!("DELETE FROM login_throttle WHERE subject = $1", subject).execute(pool).await?;
        }
        for subject in &self.release {
            sqlx::query!("UPDATE login_throttle SET attempts = greatest(attempts - 1, 0) WHERE subject = $1", subject)
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}

/// Counts a sign-in attempt for the account and the address, or refuses
/// with 429 while either is blocked.
pub async fn claim_sign_in(pool: &PgPool, email: &str, address: Option<IpAddr>) -> Result<Claim> {
    // Folded by PostgreSQL's lower(), exactly as the account is looked up
    // (`accounts::find_by_email`): two spellings of one account are one
    // subject, so case variants cannot buy extra guesses.
    let account =
        sqlx::query_scalar!(r#"SELECT 'account:' || lower($1) AS "subject!""#, email.trim()).fetch_one(pool).await?;
    let mut subjects = vec![(account.clone(), FREE_FAILURES_PER_ACCOUNT)];
    let address = address.map(|ip| format!("ip:{}", address_subject(ip)));
    if let Some(address) = &address {
        subjects.push((address.clone(), FREE_FAILURES_PER_ADDRESS));
    }
    claim(pool, &subjects).await?;
    Ok(Claim { clear: vec![account], release: address.into_iter().collect() })
}

/// Counts a check of a signed-in user's current password.
pub async fn claim_password_check(pool: &PgPool, user: Uuid) -> Result<Claim> {
    let subject = format!("password:{user}");
    claim(pool, &[(subject.clone(), FREE_FAILURES_PER_PASSWORD_CHANGE)]).await?;
    Ok(Claim { clear: vec![subject], release: Vec::new() })
}

/// Counts a sign-up from an address; every sign-up counts, made or not,
/// and `per_address` get through in a burst.
pub async fn claim_sign_up(pool: &PgPool, address: Option<IpAddr>, per_address: i32) -> Result<()> {
    let Some(address) = address else { return Ok(()) };
    claim(pool, &[(format!("sign-up:{}", address_subject(address)), per_address - 1)]).await
}

/// The part of an address that one party controls. An IPv6 host is
/// usually given a whole /64, so keyed by its full address it could pick
/// a fresh budget for every guess; IPv4 written as IPv6 (`::ffff:a.b.c.d`)
/// is the IPv4 address it carries.
fn address_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

/// How long a subject may stay quiet before it is forgotten: by then its
/// count has started over and every wait has run out (at most 900 s), so
/// deleting it changes nothing but the table's size.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// Deletes the subjects quiet for [`FORGET_AFTER`]; returns how many.
/// (An attempt racing the delete of its own quiet row goes uncounted once,
/// which is what the fresh count would have allowed anyway.)
pub async fn forget_quiet(pool: &PgPool) -> Result<u64> {
    let quiet_for = FORGET_AFTER.as_secs_f64();
    Ok(sqlx::query!("DELETE FROM login_throttle WHERE last_attempt < now() - make_interval(secs => $1)", quiet_for)
        .execute(pool)
        .await?
        .rows_affected())
}

async fn claim(pool: &PgPool, subjects: &[(String, i32)]) -> Result<()> {
    let (names, free): (Vec<String>, Vec<i32>) = subjects.iter().cloned().unzip();
    let wait =
        sqlx::query_scalar!(r#"SELECT claim_login_attempt($1, $2) AS "wait!""#, &names, &free).fetch_one(pool).await?;
    if wait > 0 {
        return Err(Error::TooManyRequests { retry_after_secs: wait as u64 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_party_is_one_subject_whatever_address_it_picks() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("address");
        assert_eq!(address_subject(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(address_subject(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(address_subject(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(address_subject(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), "2001:db8:1:2::/64");
        assert_ne!(address_subject(ip("2001:db8:1:3::1")), address_subject(ip("2001:db8:1:2::1")));
    }
}

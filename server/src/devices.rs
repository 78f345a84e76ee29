//! Signed-in devices: one row per session, so a person can see where they
//! are signed in and end any of those sessions.
//!
//! The session (tower-sessions) carries the row's id. Every request of a
//! signed-in session checks that its row still exists; revoking deletes
//! the row, and the session is logged out at its next request.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::{Error, Result};

pub use model::accounts::Device;

/// Where a sign-in came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_agent: String,
    pub ip: Option<IpAddr>,
}

/// "Chrome 120 on Linux", from the device's User-Agent. Here rather than
/// on [`Device`] in `model`: the parser (woothee, with its regexes) must
/// stay out of the browser's WASM.
pub fn description(device: &Device) -> String {
    describe_user_agent(&device.user_agent)
}

pub fn describe_user_agent(user_agent: &str) -> String {
    match woothee::parser::Parser::new().parse(user_agent) {
        Some(found)
            if found.name != "UNKNOWN"
                && ["pc", "smartphone", "mobilephone", "appliance"].contains(&found.category) =>
        {
            let major = found.version.split('.').next().unwrap_or_default();
            let browser = if major.is_empty() || major == "UNKNOWN" {
                found.name.to_owned()
            } else {
                format!("{} {major}", found.name)
            };
            if found.os == "UNKNOWN" {
                browser
            } else {
                format!("{browser} on {}", found.os)
            }
        }
        _ if user_agent.trim().is_empty() => "Unknown device".to_owned(),
        _ => {
            // API clients: "curl/8.5.0" → "curl".
            let product = user_agent.split(['/', ' ']).next().unwrap_or("Unknown device");
            format!("{product} (API client)")
        }
    }
}

/// Records a new sign-in and returns its id, to be kept in the session.
pub async fn register(conn: &mut PgConnection, user: Uuid, origin: &Origin) -> Result<Uuid> {
    let user_agent: String = origin.user_agent.chars().take(500).collect();
    let ip = origin.ip.map(|ip| ip.to_string());
    Ok(sqlx::query_scalar!(
        "INSERT INTO devices (user_id, user_agent, ip) VALUES ($1, $2, $3) RETURNING id",
        user,
        user_agent,
        ip
    )
    .fetch_one(conn)
    .await?)
}

/// True while the device is signed in. Refreshes `last_seen` at most once
/// a minute, so busy sessions do not write on every request.
pub async fn is_active(pool: &PgPool, user: Uuid, device: Uuid, ip: Option<IpAddr>) -> Result<bool> {
    let ip = ip.map(|ip| ip.to_string());
    let active = sqlx::query_scalar!(
        r#"WITH touched AS (
               UPDATE devices SET last_seen = now(), ip = COALESCE($3, ip)
               WHERE id = $1 AND user_id = $2 AND last_seen < now() - interval '1 minute'
           )
           SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1 AND user_id = $2) AS "active!""#,
        device,
        user,
        ip
    )
    .fetch_one(pool)
    .await?;
    Ok(active)
}

/// My devices, most recently used first.
pub async fn list(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Device>> {
    Ok(sqlx::query_as!(
        Device,
        r#"SELECT id, user_agent, ip, first_seen AS "first_seen: DateTime<Utc>",
                  last_seen AS "last_seen: DateTime<Utc>"
           FROM devices WHERE user_id = $1 ORDER BY last_seen DESC, first_seen DESC"#,
        user
    )
    .fetch_all(conn)
    .await?)
}

/// Signs one of my devices out (at its next request).
pub async fn revoke(pool: &PgPool, user: Uuid, device: Uuid) -> Result<()> {
    let deleted =
        sqlx::query!("DELETE FROM devices WHERE id = $1 AND user_id = $2", device, user).execute(pool).await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Signs out every device of mine but `keep`; returns how many.
pub async fn revoke_others(conn: &mut PgConnection, user: Uuid, keep: Uuid) -> Result<u64> {
    let deleted = sqlx::query!("DELETE FROM devices WHERE user_id = $1 AND id <> $2", user, keep).execute(conn).await?;
    Ok(deleted.rows_affected())
}

/// Signs out every device of the user; returns how many.
pub async fn revoke_all(conn: &mut PgConnection, user: Uuid) -> Result<u64> {
    let deleted = sqlx::query!("DELETE FROM devices WHERE user_id = $1", user).execute(conn).await?;
    Ok(deleted.rows_affected())
}

/// Forgets a device (on log out).
pub async fn forget(pool: &PgPool, device: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM devices WHERE id = $1", device).execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent;

    #[test]
    fn user_agents_read_like_devices() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe_user_agent(chrome), "Chrome 120 on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        assert!(describe_user_agent(iphone).starts_with("Safari 17 on iPhone"), "{}", describe_user_agent(iphone));
        assert_eq!(describe_user_agent("curl/8.5.0"), "curl (API client)");
        assert_eq!(describe_user_agent(""), "Unknown device");
    }
}

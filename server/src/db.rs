//! Connection pool, migrations and readiness.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// Every migration in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A pooled connection idle longer than this is pinged before it is
/// handed out; one in steady use is not.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens a pool and proves the database answers, so a wrong URL fails at
/// start-up with its real cause instead of at the first request.
///
/// sqlx pings every connection it hands out by default: a round trip per
/// request, more than the one statement most requests send. Only a
/// connection that sat idle is pinged, since that is the one a restart or
/// a failover may have killed unnoticed; one that died while busy fails
/// its statement either way, and the retry policy takes it from there.
pub async fn connect(database_url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect(database_url)
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// True when the database answers and every embedded migration is applied.
pub async fn is_ready(pool: &PgPool) -> bool {
    let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await;
    matches!(applied, Ok(Some(version)) if version >= latest)
}

/// The URL with its password replaced, for messages and logs.
pub fn redact_url(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("****"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable database URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact_url("postgres://ada:s3cret@db.example:5432/lockstep"),
            "postgres://ada:****@db.example:5432/lockstep"
        );
        assert_eq!(redact_url("postgres://127.0.0.1:5433/lockstep"), "postgres://127.0.0.1:5433/lockstep");
        assert_eq!(redact_url("not a url"), "<unparseable database URL>");
    }
}

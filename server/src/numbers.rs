//! Document numbers like `REQ-2026-0001`: per kind and per year (in the
//! business time zone), gapless among committed documents. Drawn inside the
//! transaction that inserts the document (see `next_document_number`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Inspection,
    Appointment,
    Assessment,
    Report,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Request => "REQ",
            Kind::Inspection => "INS",
            Kind::Appointment => "APT",
            Kind::Assessment => "ASM",
            Kind::Report => "RPT",
        }
    }
}

/// The business time zone (an IANA name such as `Europe/Berlin`) that
/// decides which year a document belongs to. `UTC` unless configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessTimeZone(String);

impl BusinessTimeZone {
    pub fn new(name: impl Into<String>) -> Self {
        BusinessTimeZone(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for BusinessTimeZone {
    fn default() -> Self {
        BusinessTimeZone::new("UTC")
    }
}

/// Draws the next number of `kind` for a document created at `created_at`.
/// Call it in the transaction that inserts the document: the counter row
/// stays locked until that transaction ends, and a rollback returns it.
pub async fn next(
    conn: &mut PgConnection,
    kind: Kind,
    created_at: DateTime<Utc>,
    zone: &BusinessTimeZone,
) -> Result<String> {
    let number = sqlx::query_scalar!(
        r#"SELECT next_document_number($1, $2, $3) AS "number!""#,
        kind.prefix(),
        created_at as _,
        zone.as_str()
    )
    .fetch_one(conn)
    .await?;
    count_drawn(kind);
    Ok(number)
}

/// Counts a number drawn (committed or not) for `/metrics`. Call it after
/// any statement that drew one, including an INSERT that draws its own.
pub fn count_drawn(kind: Kind) {
    metrics::counter!("lockstep_numbers_drawn_total", "kind" => kind.prefix()).increment(1);
}

/// Fails when PostgreSQL does not know the time zone.
pub async fn check_time_zone(pool: &sqlx::PgPool, zone: &BusinessTimeZone) -> Result<()> {
    sqlx::query_scalar!(r#"SELECT now() AT TIME ZONE $1 AS "now!""#, zone.as_str()).fetch_one(pool).await?;
    Ok(())
}

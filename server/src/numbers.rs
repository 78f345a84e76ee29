//! Document numbers like `REQ-2026-0001`: per kind and per year (in the
//! business time zone), gapless among committed documents. Drawn inside the
//! transaction that inserts the document (see `next_document_number`), and
//! concurrent creates of one kind share that transaction (see `batches`).

use chrono::{DateTime, LocalResult, TimeZone, Utc};
use model::time::BusinessTime;
use sqlx::PgConnection;

use crate::error::{Error, Result};

mod batches;
pub use batches::{Numbering, MAX_BATCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Inspection,
    Appointment,
    Assessment,
    Report,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Request, Kind::Inspection, Kind::Appointment, Kind::Assessment, Kind::Report];

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

    /// The zone's rules; UTC for a name chrono-tz does not know (refused at
    /// startup by [`check_time_zone`], so only in tests).
    fn rules(&self) -> chrono_tz::Tz {
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }

    /// `at` as the business reads it, named by the zone's abbreviation.
    pub fn local(&self, at: DateTime<Utc>) -> BusinessTime {
        let local = at.with_timezone(&self.rules());
        let input = model::time::local_input(local.naive_local().and_utc());
        BusinessTime { shown: format!("{} {}", input.replace('T', " "), local.format("%Z")), input }
    }

    /// A `YYYY-MM-DDTHH:MM` typed in the business zone, as the moment it
    /// names. A time the clocks skip (spring forward) is refused; one they
    /// pass twice (fall back) is the first of the two.
    pub fn parse_local(&self, field: &str, input: &str) -> Result<DateTime<Utc>> {
        let naive = chrono::NaiveDateTime::parse_from_str(input.trim(), "%Y-%m-%dT%H:%M")
            .map_err(|_| Error::invalid(field, "Choose a date and time."))?;
        match self.rules().from_local_datetime(&naive) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
            LocalResult::None => Err(Error::invalid(
                field,
                format!("This time does not exist in {} (the clocks skip it). Choose another.", self.0),
            )),
        }
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
/// Fails unless both PostgreSQL (which dates documents) and chrono-tz
/// (which shows and reads appointment times) know the zone.
pub async fn check_time_zone(pool: &sqlx::PgPool, zone: &BusinessTimeZone) -> Result<()> {
    sqlx::query_scalar!(r#"SELECT now() AT TIME ZONE $1 AS "now!""#, zone.as_str()).fetch_one(pool).await?;
    zone.as_str().parse::<chrono_tz::Tz>().map_err(Error::internal)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::BusinessTimeZone;
    use chrono::{TimeZone, Utc};

    #[test]
    fn appointment_times_are_read_and_shown_in_the_business_zone() {
        let berlin = BusinessTimeZone::new("Europe/Berlin");
        // Winter (CET, +1) and summer (CEST, +2).
        let winter = berlin.parse_local("when", "2027-01-15T10:30").expect("a time");
        assert_eq!(winter, Utc.with_ymd_and_hms(2027, 1, 15, 9, 30, 0).unwrap());
        assert_eq!(berlin.local(winter).shown, "2027-01-15 10:30 CET");
        assert_eq!(berlin.local(winter).input, "2027-01-15T10:30");
        let summer = berlin.parse_local("when", "2027-07-15T10:30").expect("a time");
        assert_eq!(summer, Utc.with_ymd_and_hms(2027, 7, 15, 8, 30, 0).unwrap());
        assert_eq!(berlin.local(summer).shown, "2027-07-15 10:30 CEST");

        // 02:30 on the last Sunday of March does not happen in Berlin.
        let skipped = berlin.parse_local("when", "2027-03-28T02:30");
        assert!(matches!(skipped, Err(crate::Error::Invalid { field, .. }) if field == "when"));
        // 02:30 on the last Sunday of October happens twice: the first one.
        let twice = berlin.parse_local("when", "2027-10-31T02:30").expect("a time");
        assert_eq!(twice, Utc.with_ymd_and_hms(2027, 10, 31, 0, 30, 0).unwrap());

        let utc = BusinessTimeZone::default();
        assert_eq!(utc.local(winter).shown, "2027-01-15 09:30 UTC");
        assert!(utc.parse_local("when", "tomorrow").is_err());
    }
}

//! Times as pages show them. Written with plain integer formatting, not
//! chrono's `format`, whose strftime parser would otherwise be compiled
//! into the browser's WASM for two fixed layouts.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// A moment as the business reads and enters it: in its time zone (the
/// server converts; the browser gets no time zone database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessTime {
    /// `2026-12-02 15:05 CET`
    pub shown: String,
    /// `2026-12-02T15:05`, what a `datetime-local` input takes.
    pub input: String,
}

/// `2026-12-02 14:05 UTC`: a moment to the minute.
pub fn minute(at: DateTime<Utc>) -> String {
    format!("{} UTC", local_input(at).replace('T', " "))
}

/// `2026-12-02T14:05`: the moment as a `datetime-local` input takes it (its
/// wall-clock time, here in UTC; `BusinessTimeZone::local` passes local ones).
pub fn local_input(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", at.year(), at.month(), at.day(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn moments_read_to_the_minute_in_utc() {
        let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 59).single().unwrap_or_default();
        assert_eq!(minute(at), "2026-03-04 05:06 UTC");
        assert_eq!(local_input(at), "2026-03-04T05:06");
        assert_eq!(minute(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
    }
}

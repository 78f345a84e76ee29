//! Times as pages show them. Written with plain integer formatting, not
//! chrono's `format`, whose strftime parser would otherwise be compiled
//! into the browser's WASM for two fixed layouts.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `2026-12-02 14:05 UTC`: a moment to the minute.
pub fn minute(at: DateTime<Utc>) -> String {
    format!("{} UTC", local_input(at).replace('T', " "))
}

/// `2026-12-02T14:05`: the moment as a `datetime-local` input takes it (UTC).
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

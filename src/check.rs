//! `lockstep check`: the invariants of `server::invariants`, run against
//! any database and printed for an operator (or as JSON for a script).

use std::io::Write;

use serde_json::json;
use sqlx::PgPool;

use server::invariants::{self, Check};
use server::numbers::BusinessTimeZone;

/// Prints what the checks found; `Ok(true)` when nothing is violated.
pub async fn run(pool: &PgPool, zone: &BusinessTimeZone, as_json: bool) -> anyhow::Result<bool> {
    let mut conn = pool.acquire().await?;
    let violations = invariants::violations(&mut conn, zone).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let output = if as_json {
        let checks: Vec<&str> = Check::ALL.iter().map(|check| check.name()).collect();
        serde_json::to_string_pretty(&json!({
            "ok": violations.is_empty(),
            "time_zone": zone.as_str(),
            "checks": checks,
            "violations": violations,
        }))? + "\n"
    } else if violations.is_empty() {
        format!("lockstep check: all {} checks passed (time zone {})\n", Check::ALL.len(), zone.as_str())
    } else {
        let width = |column: fn(&invariants::Violation) -> usize, title: &str| {
            violations.iter().map(column).chain([title.len()]).max().unwrap_or(0)
        };
        let check_width = width(|v| v.check.name().len(), "check");
        let subject_width = width(|v| v.subject.chars().count(), "subject");
        let mut out = format!(
            "lockstep check: {} violations (time zone {})\n\n{:check_width$}  {:subject_width$}  detail\n",
            violations.len(),
            zone.as_str(),
            "check",
            "subject"
        );
        for v in &violations {
            out.push_str(&format!("{:check_width$}  {:subject_width$}  {}\n", v.check.name(), v.subject, v.detail));
        }
        out
    };
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    match std::io::stdout().lock().write_all(output.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => return Err(error.into()),
        _ => {}
    }
    Ok(violations.is_empty())
}

//! The operators' figures an instance reports about itself, as the admin
//! metrics page shows them, and the thresholds they are watched against.

use serde::{Deserialize, Serialize};

/// Version conflicts above this share of version-checked writes alert.
pub const MAX_CONFLICT_RATE: f64 = 0.05;
/// Retried transactions succeeding less often than this alert.
pub const MIN_RETRY_SUCCESS_RATE: f64 = 0.95;
/// More attempts than this per transaction, on average, alert.
pub const MAX_AVERAGE_ATTEMPTS: f64 = 1.5;

/// How busy one route is and how fast it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteLoad {
    pub method: String,
    pub route: String,
    pub requests: u64,
    pub average_ms: f64,
}

/// Version-checked writes of one record type, and how many of them lost to
/// a newer version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityConflicts {
    pub entity: String,
    pub writes: u64,
    pub conflicts: u64,
}

impl EntityConflicts {
    /// Conflicts per write (0 without writes).
    pub fn rate(&self) -> f64 {
        self.conflicts as f64 / self.writes.max(1) as f64
    }

    pub fn over_threshold(&self) -> bool {
        self.rate() > MAX_CONFLICT_RATE
    }
}

//! The admin metrics page's figures: the same numbers as `GET /metrics`,
//! for this instance, with the thresholds operators watch.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One tile: a figure, what it means, and whether it is over its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub note: String,
    pub alert: bool,
}

/// A chart: one value per ten seconds, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    pub points: Vec<f64>,
}

pub use model::metrics::{EntityConflicts, RouteLoad};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsView {
    pub alerts: Vec<String>,
    pub figures: Vec<Figure>,
    pub series: Vec<Series>,
    pub routes: Vec<RouteLoad>,
    pub conflicts: Vec<EntityConflicts>,
    /// (label, count) pairs: numbers drawn by kind, database errors by SQLSTATE.
    pub numbers_drawn: Vec<(String, u64)>,
    pub db_errors: Vec<(String, u64)>,
}

#[server(prefix = "/sfn", endpoint = "instance_metrics")]
pub async fn instance_metrics() -> Result<MetricsView, AppError> {
    use server::metrics::{self, MAX_AVERAGE_ATTEMPTS, MAX_CONFLICT_RATE, MIN_RETRY_SUCCESS_RATE};

    let (state, _) = crate::training::ssr::user_with(crate::training::ssr::is_admin).await?;
    let summary = metrics::summary(&state.pool);
    let percent = |rate: Option<f64>| rate.map(|r| format!("{:.1} %", r * 100.0)).unwrap_or_else(|| "–".to_owned());
    let figure = |label: &str, value: String, note: &str, alert: bool| Figure {
        label: label.to_owned(),
        value,
        note: note.to_owned(),
        alert,
    };
    let figures = vec![
        figure("Requests", format!("{}", summary.requests as u64), "since this instance started", false),
        figure("Average latency", format!("{:.1} ms", summary.average_latency_ms), "all routes", false),
        figure(
            "Server errors",
            format!("{}", summary.server_errors as u64),
            "5xx answers",
            summary.server_errors > 0.0,
        ),
        figure(
            "Version conflicts",
            percent(summary.conflict_rate()),
            "of version-checked updates; alert above 5 %",
            summary.conflict_rate().is_some_and(|r| r > MAX_CONFLICT_RATE),
        ),
        figure(
            "Retry success",
            percent(summary.retry_success_rate()),
            "of retried transactions; alert below 95 %",
            summary.retry_success_rate().is_some_and(|r| r < MIN_RETRY_SUCCESS_RATE),
        ),
        figure(
            "Attempts per transaction",
            summary.average_attempts().map(|a| format!("{a:.2}")).unwrap_or_else(|| "–".to_owned()),
            "alert above 1.5",
            summary.average_attempts().is_some_and(|a| a > MAX_AVERAGE_ATTEMPTS),
        ),
        figure(
            "Retries",
            format!("{}", summary.retries as u64),
            &format!("{} succeeded after retrying, {} gave up", summary.retry_successes, summary.retry_give_ups),
            false,
        ),
        figure(
            "Card addresses",
            format!("{} suffixed", summary.slug_suffix_draws as u64),
            &format!("{} could not be generated; alert on any", summary.slug_failures),
            summary.slug_failures > 0.0,
        ),
        figure(
            "Idempotent replays",
            format!("{}", summary.idempotent_replays as u64),
            "resent forms and requests answered from the first response",
            false,
        ),
        figure(
            "Connection pool",
            format!("{} open, {} idle", summary.pool_connections, summary.pool_idle),
            &format!("average wait {:.2} ms over {} checkouts", summary.average_pool_wait_ms, summary.pool_waits),
            false,
        ),
    ];

    // Charts show what happened in each ten-second step.
    let history = metrics::history();
    let deltas = |value: fn(&metrics::Sample10s) -> f64| -> Vec<f64> {
        history.windows(2).map(|pair| (value(&pair[1]) - value(&pair[0])).max(0.0)).collect()
    };
    let series = vec![
        Series { label: "Requests per 10 s".to_owned(), points: deltas(|s| s.requests) },
        Series { label: "Version conflicts per 10 s".to_owned(), points: deltas(|s| s.conflicts) },
        Series { label: "Retries per 10 s".to_owned(), points: deltas(|s| s.retries) },
        Series { label: "Server errors per 10 s".to_owned(), points: deltas(|s| s.server_errors) },
    ];

    Ok(MetricsView {
        alerts: summary.alerts(),
        figures,
        series,
        routes: summary.routes.clone(),
        conflicts: summary.conflicts.clone(),
        numbers_drawn: summary.numbers_drawn.iter().map(|(kind, n)| (kind.clone(), *n as u64)).collect(),
        db_errors: summary.db_errors.iter().map(|(code, n)| (code.clone(), *n as u64)).collect(),
    })
}

//! `GET /metrics` in Prometheus format: request latency by route, errors by
//! kind (409s are version conflicts and duplicates), idempotent replays,
//! document numbers drawn, database errors by SQLSTATE, and the pool.
//!
//! The `metrics` facade records from anywhere (`metrics::counter!`); the
//! Prometheus recorder is installed once per process.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

/// The process-wide recorder (installed on first use).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test binary that
        // built the app before); then this handle just renders empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// `GET /metrics` on the operators' address (`--metrics-listen`), never on
/// the public one: the figures tell an outsider too much.
pub fn router(pool: PgPool) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(render)).with_state(pool)
}

/// `GET /metrics`.
pub async fn render(State(pool): State<PgPool>) -> Response {
    metrics::gauge!("lockstep_db_pool_connections").set(pool.size() as f64);
    metrics::gauge!("lockstep_db_pool_idle").set(pool.num_idle() as f64);
    ([("content-type", "text/plain; version=0.0.4")], handle().render()).into_response()
}

/// Records every request's latency and status by route (the route pattern,
/// like `/api/cards/{id}`, never the raw path). Every label takes a bounded
/// set of values, whatever a client sends: a method nobody registered is
/// `other`, a path no route matched is `unmatched`.
pub async fn record_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("lockstep_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .record(started.elapsed().as_secs_f64());
    if response.status() == axum::http::StatusCode::CONFLICT {
        metrics::counter!("lockstep_http_conflicts_total", "route" => route, "method" => method).increment(1);
    }
    response
}

fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The figures of the admin metrics page, for this process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub requests: f64,
    pub server_errors: f64,
    pub average_latency_ms: f64,
    /// The busiest routes first.
    pub routes: Vec<RouteLoad>,
    pub conflicts: Vec<EntityConflicts>,
    pub transactions: f64,
    pub attempts: f64,
    pub retries: f64,
    pub retry_successes: f64,
    pub retry_give_ups: f64,
    pub idempotent_replays: f64,
    pub slug_suffix_draws: f64,
    pub slug_failures: f64,
    /// (kind, numbers drawn).
    pub numbers_drawn: Vec<(String, f64)>,
    /// (SQLSTATE, errors).
    pub db_errors: Vec<(String, f64)>,
    pub pool_connections: f64,
    pub pool_idle: f64,
    pub pool_waits: f64,
    pub average_pool_wait_ms: f64,
}

/// The thresholds operators of the original system watched.
pub use model::metrics::{EntityConflicts, RouteLoad, MAX_AVERAGE_ATTEMPTS, MAX_CONFLICT_RATE, MIN_RETRY_SUCCESS_RATE};

impl Summary {
    pub fn conflict_rate(&self) -> Option<f64> {
        let writes: u64 = self.conflicts.iter().map(|entity| entity.writes).sum();
        (writes > 0).then(|| self.total_conflicts() / writes as f64)
    }

    /// Version conflicts over all record types.
    pub fn total_conflicts(&self) -> f64 {
        self.conflicts.iter().map(|entity| entity.conflicts as f64).sum()
    }

    /// Of the transactions that needed a retry, the share that then succeeded.
    pub fn retry_success_rate(&self) -> Option<f64> {
        let retried = self.retry_successes + self.retry_give_ups;
        (retried > 0.0).then(|| self.retry_successes / retried)
    }

    pub fn average_attempts(&self) -> Option<f64> {
        (self.transactions > 0.0).then(|| self.attempts / self.transactions)
    }

    /// What is over a threshold, in words; empty when all is well.
    pub fn alerts(&self) -> Vec<String> {
        let mut alerts = Vec::new();
        if let Some(rate) = self.conflict_rate().filter(|rate| *rate > MAX_CONFLICT_RATE) {
            alerts.push(format!("Version conflicts are {:.1} % of updates (threshold 5 %).", rate * 100.0));
        }
        if let Some(rate) = self.retry_success_rate().filter(|rate| *rate < MIN_RETRY_SUCCESS_RATE) {
            alerts.push(format!("Only {:.1} % of retried transactions succeeded (threshold 95 %).", rate * 100.0));
        }
        if let Some(attempts) = self.average_attempts().filter(|a| *a > MAX_AVERAGE_ATTEMPTS) {
            alerts.push(format!("Transactions take {attempts:.2} attempts on average (threshold 1.5)."));
        }
        if self.slug_failures > 0.0 {
            alerts.push(format!("{} card address(es) could not be generated.", self.slug_failures));
        }
        alerts
    }
}

/// Reads this process's figures back from the Prometheus recorder, so the
/// page and `/metrics` can never disagree.
pub fn summary(pool: &PgPool) -> Summary {
    let samples = parse(&handle().render());
    let total = |name: &str| samples.iter().filter(|s| s.name == name).map(|s| s.value).sum::<f64>();
    let by = |name: &str, label: &str| -> Vec<(String, f64)> {
        let mut grouped: BTreeMap<String, f64> = BTreeMap::new();
        for sample in samples.iter().filter(|s| s.name == name) {
            *grouped.entry(sample.label(label).to_owned()).or_default() += sample.value;
        }
        grouped.into_iter().collect()
    };

    let mut routes: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut server_errors = 0.0;
    for sample in &samples {
        let key = (sample.label("method").to_owned(), sample.label("route").to_owned());
        match sample.name.as_str() {
            "lockstep_http_request_duration_seconds_count" => {
                routes.entry(key).or_default().0 += sample.value;
                if sample.label("status").starts_with('5') {
                    server_errors += sample.value;
                }
            }
            "lockstep_http_request_duration_seconds_sum" => routes.entry(key).or_default().1 += sample.value,
            _ => {}
        }
    }
    let requests: f64 = routes.values().map(|(count, _)| count).sum();
    let seconds: f64 = routes.values().map(|(_, sum)| sum).sum();
    let mut routes: Vec<RouteLoad> = routes
        .into_iter()
        .map(|((method, route), (count, sum))| RouteLoad {
            method,
            route,
            requests: count as u64,
            average_ms: 1000.0 * sum / count.max(1.0),
        })
        .collect();
    routes.sort_by(|a, b| b.requests.cmp(&a.requests));
    routes.truncate(12);

    let conflicts_by_entity: BTreeMap<String, f64> =
        by("lockstep_version_conflicts_total", "entity").into_iter().collect();
    let conflicts = by("lockstep_versioned_writes_total", "entity")
        .into_iter()
        .map(|(entity, writes)| {
            let conflicts = conflicts_by_entity.get(&entity).copied().unwrap_or(0.0);
            EntityConflicts { entity, writes: writes as u64, conflicts: conflicts as u64 }
        })
        .collect();
    let pool_waits = total("lockstep_db_pool_wait_seconds_count");

    Summary {
        requests,
        server_errors,
        average_latency_ms: 1000.0 * seconds / requests.max(1.0),
        routes,
        conflicts,
        transactions: total("lockstep_transactions_total"),
        attempts: total("lockstep_transaction_attempts_total"),
        retries: total("lockstep_retries_total"),
        retry_successes: total("lockstep_retry_successes_total"),
        retry_give_ups: total("lockstep_retry_give_ups_total"),
        idempotent_replays: total("lockstep_idempotent_replays_total"),
        slug_suffix_draws: total("lockstep_slug_suffix_draws_total"),
        slug_failures: total("lockstep_slug_generation_failures_total"),
        numbers_drawn: by("lockstep_numbers_drawn_total", "kind"),
        db_errors: by("lockstep_db_errors_total", "sqlstate"),
        pool_connections: pool.size() as f64,
        pool_idle: pool.num_idle() as f64,
        pool_waits,
        average_pool_wait_ms: 1000.0 * total("lockstep_db_pool_wait_seconds_sum") / pool_waits.max(1.0),
    }
}

/// One line of the Prometheus text format.
#[derive(Debug, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> &str {
        self.labels.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).unwrap_or("")
    }
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let value: f64 = value.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)),
                None => (series, Vec::new()),
            };
            Some(Sample { name: name.to_owned(), labels, value })
        })
        .collect()
}

/// `a="1",b="x"` → pairs. Our label values (routes, codes, kinds) never
/// contain a quote followed by a comma.
fn parse_labels(text: &str) -> Vec<(String, String)> {
    text.split("\",")
        .filter_map(|pair| {
            let (key, value) = pair.split_once("=\"")?;
            Some((key.to_owned(), value.trim_end_matches('"').replace("\\\"", "\"").replace("\\\\", "\\")))
        })
        .collect()
}

/// A point of the page's charts: running totals at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample10s {
    pub at: chrono::DateTime<chrono::Utc>,
    pub requests: f64,
    pub conflicts: f64,
    pub retries: f64,
    pub server_errors: f64,
}

/// The last hour of this process, one point every ten seconds.
static HISTORY: Mutex<VecDeque<Sample10s>> = Mutex::new(VecDeque::new());
const HISTORY_POINTS: usize = 360;

pub fn history() -> Vec<Sample10s> {
    HISTORY.lock().map(|history| history.iter().copied().collect()).unwrap_or_default()
}

/// Records a point every ten seconds for as long as the process lives.
pub fn spawn_sampler(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(10));
        loop {
            ticker.tick().await;
            let summary = summary(&pool);
            let point = Sample10s {
                at: chrono::Utc::now(),
                requests: summary.requests,
                conflicts: summary.total_conflicts(),
                retries: summary.retries,
                server_errors: summary.server_errors,
            };
            if let Ok(mut history) = HISTORY.lock() {
                if history.len() == HISTORY_POINTS {
                    history.pop_front();
                }
                history.push_back(point);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_prometheus_text() {
        let samples = parse(
            "# TYPE x counter\nlockstep_errors_total{code=\"version_conflict\"} 3\n\
             lockstep_http_request_duration_seconds_count{route=\"/api/cards/{id}\",method=\"PATCH\",status=\"409\"} 2\n\
             lockstep_db_pool_idle 4\n",
        );
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].label("code"), "version_conflict");
        assert_eq!(samples[1].label("route"), "/api/cards/{id}");
        assert_eq!(samples[1].label("status"), "409");
        assert_eq!(samples[2].value, 4.0);
    }

    #[test]
    fn thresholds_raise_alerts() {
        let card = |conflicts| vec![EntityConflicts { entity: "card".into(), writes: 100, conflicts }];
        let calm = Summary {
            conflicts: card(5),
            transactions: 100.0,
            attempts: 150.0,
            retry_successes: 95.0,
            retry_give_ups: 5.0,
            ..Summary::default()
        };
        assert!(calm.alerts().is_empty(), "{:?}", calm.alerts());
        // One step past each threshold.
        let stormy =
            Summary { conflicts: card(6), attempts: 151.0, retry_successes: 94.0, retry_give_ups: 6.0, ..calm.clone() };
        let stormy = Summary { slug_failures: 1.0, ..stormy };
        assert_eq!(stormy.alerts().len(), 4, "{:?}", stormy.alerts());
    }
}

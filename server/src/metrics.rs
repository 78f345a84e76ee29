//! `GET /metrics` in Prometheus format: request latency by route, errors by
//! kind (409s are version conflicts and duplicates), idempotent replays,
//! document numbers drawn, database errors by SQLSTATE, and the pool.
//!
//! The `metrics` facade records from anywhere (`metrics::counter!`); the
//! Prometheus recorder is installed once per process.

use std::sync::OnceLock;
use std::time::Instant;

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

/// `GET /metrics`.
pub async fn render(State(pool): State<PgPool>) -> Response {
    metrics::gauge!("lockstep_db_pool_connections").set(pool.size() as f64);
    metrics::gauge!("lockstep_db_pool_idle").set(pool.num_idle() as f64);
    ([("content-type", "text/plain; version=0.0.4")], handle().render()).into_response()
}

/// Records every request's latency and status by route (the route pattern,
/// like `/api/cards/{id}`, never the raw path).
pub async fn record_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "other".to_owned());
    let method = request.method().as_str().to_owned();
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

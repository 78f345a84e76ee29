//! Builds the HTTP application: pages and server functions (Leptos), the
//! REST API, health endpoints, and the layers around all of them.

use axum::routing::get;
use axum::{middleware, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use app::{shell, App};
use server::web::http;
use server::{auth, AppState};

pub struct Settings {
    /// Mark cookies `Secure`: set when Lockstep is served over https.
    pub secure_cookies: bool,
    /// The business time zone (IANA name) that decides document years.
    pub time_zone: server::numbers::BusinessTimeZone,
    /// Live change notices; the caller closes it on shutdown.
    pub notices: server::notices::Hub,
    /// Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto count.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sign-ups one address may attempt in 15 minutes before waits start.
    pub sign_ups_per_address: i32,
    /// How long a request body may take to arrive ([`http::BODY_TIMEOUT`]).
    pub body_timeout: std::time::Duration,
    /// The address people reach Lockstep at, for QR codes and handed-out links.
    pub public_url: Option<String>,
    /// Most numbered creates of one kind that share a commit.
    pub number_batch: usize,
}

/// The whole application. Also starts the background reapers (expired
/// sessions, expired idempotency keys, quiet throttle counts) that belong to it.
pub async fn app(pool: PgPool, leptos_options: LeptosOptions, settings: Settings) -> Result<Router, server::Error> {
    server::metrics::handle();
    let store = auth::session_store(&pool).await?;
    auth::spawn_session_reaper(store.clone());
    server::reapers::spawn(pool.clone(), std::time::Duration::from_secs(600));
    server::metrics::spawn_sampler(pool.clone());
    settings.notices.spawn_listener(pool.clone());

    let state = AppState {
        pool: pool.clone(),
        leptos_options: leptos_options.clone(),
        time_zone: settings.time_zone.clone(),
        numbering: server::numbers::Numbering::with_batch_limit(
            pool.clone(),
            settings.time_zone.clone(),
            settings.number_batch,
        ),
        notices: settings.notices.clone(),
        sign_ups_per_address: settings.sign_ups_per_address,
        secure_cookies: settings.secure_cookies,
        public_url: settings.public_url.clone(),
    };
    let routes = generate_route_list(App);
    let context_state = state.clone();

    let router = Router::new()
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/c/{slug}/card.vcf", get(server::cards::vcard_download))
        .route("/c/{slug}/qr.svg", get(server::cards::qr_code))
        .merge(server::web::api::router())
        .merge(bench_routes())
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Layers run outside-in from the last one added.
        .layer(middleware::from_fn(http::mark_reached_route))
        .layer(middleware::from_fn_with_state(
            server::web::form_errors::SecureCookies(settings.secure_cookies),
            server::web::form_errors::bind_to_visitor,
        ))
        .layer(middleware::from_fn(server::metrics::record_requests))
        .layer(middleware::from_fn(auth::redirect_anonymous_to_login))
        .layer(middleware::from_fn_with_state(state.clone(), auth::end_revoked_sessions))
        .layer(auth::layer(pool, store, settings.notices.sessions().clone(), settings.secure_cookies))
        .layer(middleware::from_fn(http::session_outage_is_unavailable))
        .layer(middleware::from_fn_with_state(
            http::TrustedProxies(std::sync::Arc::new(settings.trusted_proxies.clone())),
            http::behind_proxies,
        ))
        .layer(middleware::from_fn(http::refuse_cross_origin))
        .layer(middleware::from_fn_with_state(settings.body_timeout, limit_body_size))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %request_id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);
    // The WASM bundle, JS and CSS are served outside the layers above: a
    // static file needs no session, no user and no device check, which
    // would otherwise cost database queries on every asset a page loads.
    let pkg_dir = format!("{}/{}", leptos_options.site_root, leptos_options.site_pkg_dir);
    // Built with `cargo leptos build --release -P`: each file has a `.br`
    // and a `.gz` beside it, sent to browsers that accept them (the WASM
    // bundle is about a quarter of its size in brotli).
    let assets = Router::new()
        .nest_service(
            &format!("/{}", leptos_options.site_pkg_dir),
            ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip(),
        )
        .layer(middleware::map_response(revalidate_before_reuse));
    Ok(assets
        .merge(router)
        // A panic anywhere answers 500 instead of dropping the connection
        // with no answer at all (inside `protect`, so it gets the headers).
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(middleware::from_fn(server::web::headers::protect)))
}

/// The bundle's file names carry no content hash (the split parts are
/// `chunk_N.wasm`), so a browser must ask before reusing a copy (answered
/// 304 from its Last-Modified while unchanged): after a deploy, new HTML is
/// never hydrated with the previous build's WASM.
async fn revalidate_before_reuse(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-cache"));
    response
}

/// Every request body is read here, within [`http::MAX_BODY_BYTES`] and
/// `timeout`, before a handler or server function sees it: too large is 413,
/// too slow 408, in the shape its caller reads (the JSON error body; for
/// server functions, their error).
async fn limit_body_size(
    axum::extract::State(timeout): axum::extract::State<std::time::Duration>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_server_function = request.uri().path().starts_with("/sfn/");
    match http::buffer_body(request, http::MAX_BODY_BYTES, timeout).await {
        Ok(request) => next.run(request).await,
        Err(error) if is_server_function => {
            let status = error.status();
            error.log();
            let wire = match error {
                server::Error::Invalid { field, message } => app::error::AppError::Invalid { field, message },
                server::Error::PayloadTooLarge { .. } => app::error::AppError::TooLarge,
                other => app::error::AppError::Transport(other.to_string()),
            };
            (status, axum::Json(wire)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// The benchmark's deliberately unsafe endpoint, only in `bench-unsafe` builds.
#[cfg(feature = "bench-unsafe")]
fn bench_routes() -> Router<AppState> {
    Router::new()
        .route("/bench/unsafe/clients", axum::routing::post(server::bench_unsafe::create_client_check_then_insert))
}

#[cfg(not(feature = "bench-unsafe"))]
fn bench_routes() -> Router<AppState> {
    Router::new()
}

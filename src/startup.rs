//! Builds the HTTP application: pages and server functions (Leptos), the
//! REST API, health endpoints, and the layers around all of them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{middleware, Router};
use leptos::config::LeptosOptions;
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
    let fallback_state = state.clone();

    let router = Router::new()
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/c/{slug}/card.vcf", get(server::cards::vcard_download))
        .route("/c/{slug}/qr.svg", get(server::cards::qr_code))
        .merge(server::web::api::router())
        .merge(bench_routes())
        .leptos_routes_with_context(&state, routes, move || app::ssr::provide_request_context(context_state.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || app::ssr::provide_request_context(fallback_state.clone()),
            shell,
        ))
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
            http::TrustedProxies(Arc::new(settings.trusted_proxies.clone())),
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
    let caching = AssetCaching {
        named: ContentNamedAssets::find(Path::new(&pkg_dir)),
        pkg_prefix: Arc::from(format!("/{}", leptos_options.site_pkg_dir)),
    };
    let assets = Router::new()
        .nest_service(
            &format!("/{}", leptos_options.site_pkg_dir),
            ServeDir::new(&pkg_dir).precompressed_br().precompressed_gzip(),
        )
        .layer(middleware::from_fn_with_state(caching, cache_assets));
    Ok(assets
        .merge(router)
        // A panic anywhere answers 500 instead of dropping the connection
        // with no answer at all (inside `protect`, so it gets the headers).
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(middleware::from_fn(server::web::headers::protect))
        .layer(middleware::from_fn(server::web::render_owner::per_request)))
}

/// The files under pkg/ a browser may keep for good: those whose name
/// carries the hash of the very bytes sent (`chunk_7.<hash>.wasm`), by
/// their path below pkg/. Every other file is revalidated before each reuse
/// (`no-cache`: 304 while unchanged), so new HTML never runs old code.
///
/// A name is not taken at its word. cargo-leptos' `hash-files` names each
/// file after its content and only then rewrites, inside the main JS and
/// the main module, the names they refer to (the split loader's), so those
/// two keep a name that no longer says what they hold: a build that
/// changes only a lazily loaded page can keep the main JS's name while its
/// content now imports another loader, and a browser keeping the old one
/// for a year would load the previous build's parts. So each file is
/// hashed once at start-up as cargo-leptos hashes it (MD5, unpadded
/// base64url) and kept for good only when its name holds that hash. A
/// development build has no hashed names: nothing is kept.
#[derive(Clone, Default)]
struct ContentNamedAssets(Arc<HashSet<String>>);

impl ContentNamedAssets {
    fn find(pkg_dir: &Path) -> Self {
        match Self::hash_names(pkg_dir) {
            Ok(named) => Self(Arc::new(named)),
            // Only an optimisation lost: every asset is revalidated.
            Err(error) => {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(%error, folder = %pkg_dir.display(), "cannot read the site's files; none is cached for good");
                }
                Self::default()
            }
        }
    }

    fn hash_names(pkg_dir: &Path) -> std::io::Result<HashSet<String>> {
        use base64::Engine as _;
        use md5::Digest as _;
        let mut named = HashSet::new();
        let mut folders = vec![pkg_dir.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let path = entry?.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let Some(name) = path.file_name().and_then(|name| name.to_str()) else { continue };
                // `x.br` and `x.gz` are sent for `x` and share its headers.
                if name.ends_with(".br") || name.ends_with(".gz") {
                    continue;
                }
                let hash =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(md5::Md5::digest(std::fs::read(&path)?));
                if name.contains(&format!(".{hash}.")) {
                    if let Some(below_pkg) = path.strip_prefix(pkg_dir).ok().and_then(|below| below.to_str()) {
                        named.insert(below_pkg.to_owned());
                    }
                }
            }
        }
        Ok(named)
    }

    /// Whether `request_path` (as the layer sees it, `/pkg/…`: axum strips
    /// a nested service's prefix inside the route, after its layers) names
    /// one of these files.
    fn holds(&self, request_path: &str, pkg_prefix: &str) -> bool {
        request_path
            .strip_prefix(pkg_prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|below_pkg| self.0.contains(below_pkg))
    }
}

#[derive(Clone)]
struct AssetCaching {
    named: ContentNamedAssets,
    /// `/pkg`.
    pkg_prefix: Arc<str>,
}

async fn cache_assets(State(caching): State<AssetCaching>, request: Request, next: Next) -> Response {
    let content_named = caching.named.holds(request.uri().path(), &caching.pkg_prefix);
    let mut response = next.run(request).await;
    // A missing file is not kept either: the next build may have it. A 304
    // repeats the headers, or it would turn the kept copy into a revalidated one.
    let found = response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED;
    let value = if content_named && found { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A site folder of its own under the system's temporary folder.
    fn site_with(files: &[(&str, &[u8])]) -> std::path::PathBuf {
        let pkg = std::env::temp_dir().join(format!("lockstep-pkg-{}", uuid::Uuid::new_v4()));
        for (name, bytes) in files {
            let path = pkg.join(name);
            std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("temporary folder");
            std::fs::write(path, bytes).expect("temporary file");
        }
        pkg
    }

    #[test]
    fn only_files_named_after_their_own_bytes_are_kept_for_good() {
        // MD5 of "wasm", unpadded base64url, as cargo-leptos names files.
        use base64::Engine as _;
        use md5::Digest as _;
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(md5::Md5::digest(b"wasm"));
        let named = format!("lockstep.{hash}.wasm");
        let pkg = site_with(&[
            (&named, b"wasm"),
            (&format!("{named}.br"), b"compressed"),
            // Named after bytes it had before its references were rewritten.
            (&format!("lockstep.{hash}.js"), b"rewritten"),
            ("snippets/app/inline0.js", b"wasm"),
        ]);
        let assets = ContentNamedAssets::find(&pkg);
        assert!(assets.holds(&format!("/pkg/{named}"), "/pkg"));
        assert!(!assets.holds(&format!("/{named}"), "/pkg"), "only below /pkg");
        assert!(!assets.holds(&format!("/pkg/lockstep.{hash}.js"), "/pkg"));
        assert!(!assets.holds("/pkg/snippets/app/inline0.js", "/pkg"));
        assert!(!assets.holds("/pkg/lockstep.wasm", "/pkg"));
        std::fs::remove_dir_all(pkg).expect("temporary folder removed");
    }

    #[test]
    fn a_site_without_files_keeps_nothing() {
        let assets = ContentNamedAssets::find(Path::new("/nonexistent/lockstep/pkg"));
        assert!(!assets.holds("/pkg/lockstep.wasm", "/pkg"));
    }
}

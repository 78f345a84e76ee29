//! The `lockstep` package: the browser entry point ([`hydrate`]) and, on the
//! server, the assembly of the whole HTTP application ([`startup`]).

#[cfg(feature = "ssr")]
pub mod cookies;
#[cfg(feature = "ssr")]
pub mod startup;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydrates asynchronously: a lazily loaded page waits for its split-out
    // part, so the markup and the code agree. Only once all of it is
    // hydrated are the page's buttons live, so that is when the page says so
    // (an effect inside the app would run before a lazy route's part came).
    wasm_bindgen_futures::spawn_local(async {
        let mounted = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await;
        app::mark_hydrated();
        mounted.forget();
    });
}

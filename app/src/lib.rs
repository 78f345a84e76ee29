//! Lockstep's user interface: routes, pages, components and the server
//! functions they call. Compiled twice: for the server (`ssr`) and for the
//! browser (`hydrate`).

// Leptos view types nest deeply; the editor pages exceed the default of 128.
#![recursion_limit = "256"]

pub mod accounts;
pub mod cards;
pub mod components;
pub mod editor;
pub mod error;
pub mod live;
pub mod merge;
pub mod metrics;
pub mod pages;
pub mod people;
pub mod profiles;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod training;
pub mod workflow;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy, SsrMode};

use accounts::{current_user, LogOut, UserView};
use components::{SubmitButton, ToastRegion, Toasts};
use error::AppError;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // A static page is complete as HTML and CSS: it is sent without the
    // hydration script, so the browser downloads no WASM for it.
    let hydrated = !is_static_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script src="/share.js" defer=true></script>
                <HashedStylesheet id="leptos" options=options.clone() />
                {hydrated.then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Pages sent without the WASM bundle: the public card page is what the
/// world opens from links and QR codes, and it has nothing to click but
/// plain links. Within the app the router still renders it on navigation.
pub const STATIC_PAGE_PREFIX: &str = "/c/";

#[cfg(feature = "ssr")]
fn is_static_page() -> bool {
    use_context::<axum::http::request::Parts>().is_some_and(|parts| parts.uri.path().starts_with(STATIC_PAGE_PREFIX))
}

#[cfg(not(feature = "ssr"))]
fn is_static_page() -> bool {
    false
}

/// Who is signed in, shared by every page. `refresh` is bumped after
/// signing in or out so the header follows.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<UserView>, AppError>>,
    refresh: RwSignal<u32>,
}

impl Session {
    pub fn refresh(&self) {
        self.refresh.update(|n| *n += 1);
    }

    /// The signed-in user, once known.
    pub fn current(&self) -> Option<UserView> {
        self.user.get().and_then(|result| result.ok()).flatten()
    }
}

/// Lets people (and end-to-end tests) know the page is interactive: called
/// once hydration, lazily loaded parts included, has finished.
pub fn mark_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Toasts::provide();
    let refresh = RwSignal::new(0u32);
    // Blocking: the first HTML must already know who is signed in, so pages
    // render finished without JavaScript (streamed fallbacks need a script).
    let session = Session { user: Resource::new_blocking(move || refresh.get(), |_| current_user()), refresh };
    provide_context(session);

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Lockstep".to_owned() } else { format!("{title} · Lockstep") }
        } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" class="container">
                // Async: every page is sent complete (resources resolved), so it
                // works without JavaScript and its status code is final.
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") ssr=SsrMode::Async view=pages::HomePage />
                    <Route path=path!("/signup") ssr=SsrMode::Async view=pages::SignUpPage />
                    <Route path=path!("/setup") ssr=SsrMode::Async view=pages::SetupPage />
                    <Route path=path!("/reset-password") ssr=SsrMode::Async view=pages::ResetPasswordPage />
                    <Route path=path!("/login") ssr=SsrMode::Async view=pages::LogInPage />
                    <Route path=path!("/account") ssr=SsrMode::Async view=pages::AccountPage />
                    <Route path=path!("/staff") ssr=SsrMode::Async view={Lazy::<pages::StaffRoute>::new()} />
                    <Route path=path!("/cards") ssr=SsrMode::Async view=pages::CardsPage />
                    <Route path=path!("/cards/new") ssr=SsrMode::Async view=pages::NewCardPage />
                    <Route path=path!("/cards/:id") ssr=SsrMode::Async view=pages::CardEditorPage />
                    <Route path=path!("/c/:slug") ssr=SsrMode::Async view=pages::PublicCardPage />
                    <Route path=path!("/profile") ssr=SsrMode::Async view=pages::ProfilePage />
                    <Route path=path!("/profile/sessions") ssr=SsrMode::Async view=pages::SessionsPage />
                    <Route path=path!("/staff/clients") ssr=SsrMode::Async view={Lazy::<pages::ClientsRoute>::new()} />
                    <Route path=path!("/staff/clients/new") ssr=SsrMode::Async view={Lazy::<pages::NewClientRoute>::new()} />
                    <Route path=path!("/staff/clients/:id") ssr=SsrMode::Async view={Lazy::<pages::ClientRoute>::new()} />
                    <Route path=path!("/staff/requests/:id") ssr=SsrMode::Async view={Lazy::<pages::RequestRoute>::new()} />
                    <Route path=path!("/staff/assessments/:id") ssr=SsrMode::Async view={Lazy::<pages::AssessmentRoute>::new()} />
                    <Route path=path!("/staff/assessments/:id/report") ssr=SsrMode::Async view={Lazy::<pages::ReportRoute>::new()} />
                    <Route path=path!("/staff/scenarios") ssr=SsrMode::Async view={Lazy::<pages::ScenariosRoute>::new()} />
                    <Route path=path!("/staff/scenarios/:id") ssr=SsrMode::Async view={Lazy::<pages::ScenarioBoardRoute>::new()} />
                    <Route path=path!("/assignments") ssr=SsrMode::Async view={Lazy::<pages::MyAssignmentsRoute>::new()} />
                    <Route path=path!("/admin/api-keys") ssr=SsrMode::Async view={Lazy::<pages::ApiKeysRoute>::new()} />
                    <Route path=path!("/admin/users") ssr=SsrMode::Async view={Lazy::<pages::PeopleRoute>::new()} />
                    <Route path=path!("/admin/metrics") ssr=SsrMode::Async view={Lazy::<pages::MetricsRoute>::new()} />
                    <Route path=path!("/docs/api") ssr=SsrMode::Async view={Lazy::<pages::ApiDocsRoute>::new()} />
                </Routes>
            </main>
            <ToastRegion />
            <footer class="site-footer container">
                "Lockstep — nothing is created twice, no edit is silently lost."
            </footer>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label="Main">
                <A href="/" attr:class="brand">"Lockstep"</A>
                <Transition fallback=|| ()>
                    {move || match session.current() {
                        Some(user) => view! { <SignedInNav user /> }.into_any(),
                        None => view! {
                            <ul class="nav-links">
                                <li><A href="/login">"Log in"</A></li>
                                <li><A href="/signup" attr:class="button small">"Sign up"</A></li>
                            </ul>
                        }.into_any(),
                    }}
                </Transition>
            </nav>
        </header>
    }
}

#[component]
fn SignedInNav(user: UserView) -> impl IntoView {
    let session = use_session();
    let log_out = ServerAction::<LogOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = log_out.value().get() {
            session.refresh();
            components::use_toasts().success("You are signed out.");
        }
    });
    let is_staff = user.is_staff();
    let is_counselor = user.role == accounts::Role::Counselor;
    view! {
        <ul class="nav-links">
            <li><A href="/cards">"Cards"</A></li>
            <li><A href="/profile">"Profile"</A></li>
            <li><A href="/account">"Account"</A></li>
            {is_counselor.then(|| view! { <li><A href="/assignments">"Assignments"</A></li> })}
            {is_staff.then(|| view! { <li><A href="/staff">"Staff"</A></li> })}
            <li class="nav-user" title=user.email.clone()>
                <span class="avatar" aria-hidden="true">
                    {user.display_name.chars().next().unwrap_or('?').to_uppercase().to_string()}
                </span>
                <span class="nav-user-name">{user.display_name.clone()}</span>
                <span class="role-badge">{user.role.as_str()}</span>
            </li>
            <li>
                <leptos::form::ActionForm action=log_out attr:class="inline-form">
                    <SubmitButton pending=log_out.pending() label="Log out" busy_label="Logging out…" class="button ghost small" />
                </leptos::form::ActionForm>
            </li>
        </ul>
    }
}

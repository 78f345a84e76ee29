//! One component per page.

use leptos::prelude::*;

mod accounts;
mod api_keys;
mod cards;
mod home;
mod login;
mod metrics;
mod not_found;
mod people;
mod profiles;
mod setup;
mod signup;
mod staff;
mod training;
mod workflow;

pub use accounts::AccountPage;
pub use api_keys::{ApiDocsPage, ApiKeysPage};
pub use cards::{CardEditorPage, CardPreview, CardsPage, NewCardPage, PublicCardPage};
pub use home::HomePage;
pub use login::LogInPage;
pub use metrics::MetricsPage;
pub use not_found::NotFound;
pub use people::PeoplePage;
pub use profiles::{ProfilePage, SessionsPage};
pub use setup::{ResetPasswordPage, SetupPage};
pub use signup::SignUpPage;
pub use staff::StaffPage;
pub use training::{MyAssignmentsPage, ScenarioBoardPage, ScenariosPage};
pub use workflow::{AssessmentPage, ClientPage, ClientsPage, NewClientPage, ReportPage, RequestPage};

/// Declares a route whose page the browser fetches only when it is first
/// shown (the build splits it out with `cargo leptos build --split`), so a
/// member opening their cards downloads neither the staff workflow, nor the
/// training board, nor the admin pages. On the server each is an ordinary
/// page; a page opened directly is hydrated once its part has arrived.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded when first shown.")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    StaffRoute => StaffPage,
    ClientsRoute => ClientsPage,
    NewClientRoute => NewClientPage,
    ClientRoute => ClientPage,
    RequestRoute => RequestPage,
    AssessmentRoute => AssessmentPage,
    ReportRoute => ReportPage,
    ScenariosRoute => ScenariosPage,
    ScenarioBoardRoute => ScenarioBoardPage,
    MyAssignmentsRoute => MyAssignmentsPage,
    ApiKeysRoute => ApiKeysPage,
    PeopleRoute => PeoplePage,
    MetricsRoute => MetricsPage,
    ApiDocsRoute => ApiDocsPage,
}

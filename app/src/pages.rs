//! One component per page.

mod accounts;
mod api_keys;
mod cards;
mod home;
mod login;
mod metrics;
mod not_found;
mod profiles;
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
pub use profiles::{ProfilePage, SessionsPage};
pub use signup::SignUpPage;
pub use staff::StaffPage;
pub use training::{MyAssignmentsPage, ScenarioBoardPage, ScenariosPage};
pub use workflow::{AssessmentPage, ClientPage, ClientsPage, NewClientPage, ReportPage, RequestPage};

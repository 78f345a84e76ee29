//! One component per page.

mod account;
mod home;
mod login;
mod not_found;
mod signup;
mod staff;

pub use account::AccountPage;
pub use home::HomePage;
pub use login::LogInPage;
pub use not_found::NotFound;
pub use signup::SignUpPage;
pub use staff::StaffPage;

//! The records Lockstep stores and the inputs it accepts, each typed once
//! and shared by the server (domain, REST handlers, server functions) and
//! the browser (WASM), as the Leptos examples share one type between both
//! sides. Validation that needs the database stays on the server.

pub mod accounts;
pub mod appointments;
pub mod assessments;
pub mod cards;
pub mod choices;
pub mod clients;
mod form;
pub mod metrics;
pub mod notices;
pub mod profiles;
pub mod requests;
pub mod time;
pub mod training;

pub use form::{Form, Values, Versioned};

//! The records Lockstep stores and the inputs it accepts, each typed once
//! and shared by the server (domain, REST handlers, server functions) and
//! the browser (WASM), as the Leptos examples share one type between both
//! sides. Validation that needs the database stays on the server.

pub mod assessments;
pub mod cards;
pub mod clients;
mod form;
pub mod profiles;
pub mod requests;
pub mod time;

pub use form::{Form, Values, Versioned};

//! The HTTP adapter around the domain: the REST API and its document,
//! the middleware every request passes (cross-origin refusal, request ids,
//! body limits, health), the protective response headers, and the errors of
//! forms posted without JavaScript. Pages and server functions live in the
//! `app` crate; both call the same domain operations.

pub mod api;
pub mod form_errors;
pub mod handover;
pub mod headers;
pub mod http;
pub mod render_owner;

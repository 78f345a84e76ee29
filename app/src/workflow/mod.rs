//! Server functions of the staff workflow, one module per concept: clients,
//! requests (with their inspection and appointments), assessments (tyres,
//! sections, estimate), reports, and the staff workspace (worklists, finding
//! a document, a record's history). Staff only.
//!
//! They answer with the model's records (`model::requests::Request`,
//! `model::assessments::AssessmentDetail`, …); a page that shows several
//! records at once gets them together in one struct of records, and formats
//! them itself.

mod assessments;
mod clients;
mod reports;
mod requests;
mod workspace;

pub use assessments::*;
pub use clients::*;
pub use reports::*;
pub use requests::*;
pub use workspace::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;

    pub use crate::ssr::staff;

    pub fn uuid(id: &str) -> Result<uuid::Uuid, AppError> {
        uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
    }
}

//! Profiles: a personal and a professional section per user, each with its
//! own version.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

crate::text_record! {
    input:
    /// What a person edits in the personal section (a whole section: a PUT).
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    PersonalFields;

    text: {
        full_name: "Full name",
        primary_email: "Primary email",
        phone: "Phone",
        /// `YYYY-MM-DD`, or empty.
        date_of_birth: "Date of birth",
        address: "Address",
        city: "City",
        country: "Country",
    }
}

/// The personal section as stored; version 0 and empty fields when the
/// user has never saved it. (Stored typed: the date is a date.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalInfo {
    pub full_name: String,
    pub primary_email: String,
    pub phone: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<NaiveDate>,
    pub address: String,
    pub city: String,
    pub country: String,
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

impl PersonalInfo {
    /// The section as its form edits it.
    pub fn fields(&self) -> PersonalFields {
        PersonalFields {
            full_name: self.full_name.clone(),
            primary_email: self.primary_email.clone(),
            phone: self.phone.clone(),
            date_of_birth: self.date_of_birth.map(|date| date.to_string()).unwrap_or_default(),
            address: self.address.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
        }
    }
}

impl crate::Versioned for PersonalInfo {
    fn field_table() -> &'static [(&'static str, &'static str)] {
        <PersonalFields as crate::Form>::FIELDS
    }

    fn values(&self) -> crate::Values {
        crate::Form::values(&self.fields())
    }

    fn version(&self) -> i32 {
        self.version
    }
}

crate::text_record! {
    input:
    /// What a person edits in the professional section (a whole section: a PUT).
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    ProfessionalFields;

    stored:
    /// The professional section as stored; version 0 when never saved.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    ProfessionalInfo {
        version: i32,
        updated_at: Option<DateTime<Utc>>,
    }

    text: {
        company: "Company",
        job_title: "Job title",
        department: "Department",
        website: "Website",
        linkedin: "LinkedIn",
        bio: "Bio",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Versioned;

    #[test]
    fn the_stored_personal_section_gives_its_editor_the_date_as_text() {
        let stored = PersonalInfo {
            full_name: "Ada".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1815, 12, 10),
            version: 3,
            ..PersonalInfo::default()
        };
        let values = stored.values();
        assert_eq!((values["full_name"].as_str(), values["date_of_birth"].as_str()), ("Ada", "1815-12-10"));
        assert_eq!((values["city"].as_str(), stored.version()), ("", 3));
    }
}

//! Profiles: a personal and a professional section per user, each saved by
//! one optimistic upsert.
//!
//! The client sends the version it saw, 0 when it saw no row. Version 0 is
//! `INSERT .. ON CONFLICT DO NOTHING` (the primary key decides who creates
//! the row); any other version is `UPDATE .. WHERE version = expected`. No
//! row back means someone else saved first: 409 with the row as it is now.

use chrono::{DateTime, NaiveDate, Utc};
use model::Form as _;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;
use crate::fields::{self, Rule};
use crate::versioned::{self, Target, Tx};

pub use model::profiles::{PersonalFields, PersonalInfo, ProfessionalFields, ProfessionalInfo};

struct ValidPersonal {
    full_name: String,
    primary_email: String,
    phone: String,
    date_of_birth: Option<NaiveDate>,
    address: String,
    city: String,
    country: String,
}

fn validated_personal(input: &PersonalFields, today: NaiveDate) -> Result<ValidPersonal> {
    Ok(ValidPersonal {
        full_name: checked_personal("full_name", &input.full_name)?,
        primary_email: checked_personal("primary_email", &input.primary_email)?,
        phone: checked_personal("phone", &input.phone)?,
        date_of_birth: fields::optional_birth_date("date_of_birth", &input.date_of_birth, today)?,
        address: checked_personal("address", &input.address)?,
        city: checked_personal("city", &input.city)?,
        country: checked_personal("country", &input.country)?,
    })
}

fn checked_personal(field: &str, value: &str) -> Result<String> {
    personal_rule(field).check(field, value)
}

/// How each field of the personal section is checked (the API document
/// states the same; the date of birth is read as a date besides).
pub fn personal_rule(field: &str) -> Rule {
    match field {
        "primary_email" => Rule::Email,
        "phone" => Rule::Phone,
        "date_of_birth" => Rule::BirthDate,
        "address" => Rule::Line(200),
        _ => Rule::Line(100),
    }
}

fn validated_professional(input: &ProfessionalFields) -> Result<ProfessionalFields> {
    input.clone().try_map(|field, value| professional_rule(field).check(field, &value))
}

/// How each field of the professional section is checked.
pub fn professional_rule(field: &str) -> Rule {
    match field {
        "website" => Rule::Url,
        "linkedin" => Rule::LinkedIn,
        "bio" => Rule::Lines(1000),
        _ => Rule::Line(100),
    }
}

/// A saved section, and whether this save created its row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Saved<T> {
    pub is_new: bool,
    #[serde(flatten)]
    pub section: T,
}

const PERSONAL: &str = "personal_info";
const PROFESSIONAL: &str = "professional_info";

pub async fn personal(conn: &mut PgConnection, user: Uuid) -> Result<PersonalInfo> {
    let row = sqlx::query_as!(
        PersonalInfo,
        r#"SELECT full_name, primary_email, phone, date_of_birth AS "date_of_birth: NaiveDate", address, city, country, version,
                  updated_at AS "updated_at?: DateTime<Utc>"
           FROM personal_info WHERE user_id = $1"#,
        user
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or_default())
}

pub async fn professional(conn: &mut PgConnection, user: Uuid) -> Result<ProfessionalInfo> {
    let row = sqlx::query_as!(
        ProfessionalInfo,
        r#"SELECT company, job_title, department, website, linkedin, bio, version,
                  updated_at AS "updated_at?: DateTime<Utc>"
           FROM professional_info WHERE user_id = $1"#,
        user
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or_default())
}

/// Saves the personal section if it is still at `expected_version`.
pub async fn save_personal(
    pool: &PgPool,
    user: Uuid,
    expected_version: i32,
    input: &PersonalFields,
) -> Result<Saved<PersonalInfo>> {
    let new = &validated_personal(input, Utc::now().date_naive())?;
    let key = user.to_string();
    let target = Target { operation: "profile.save_personal", actor: user.into(), entity: PERSONAL, key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = if expected_version == 0 {
            sqlx::query_as!(
                PersonalInfo,
                r#"INSERT INTO personal_info (user_id, full_name, primary_email, phone, date_of_birth, address, city, country)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (user_id) DO NOTHING
                   RETURNING full_name, primary_email, phone, date_of_birth AS "date_of_birth: NaiveDate", address, city, country, version,
                             updated_at AS "updated_at?: DateTime<Utc>""#,
                user,
                new.full_name,
                new.primary_email,
                new.phone,
                new.date_of_birth as _,
                new.address,
                new.city,
                new.country,
            )
            .fetch_optional(&mut *tx)
            .await?
        } else {
            sqlx::query_as!(
                PersonalInfo,
                r#"UPDATE personal_info SET full_name = $3, primary_email = $4, phone = $5, date_of_birth = $6,
                          address = $7, city = $8, country = $9, version = version + 1, updated_at = now()
                   WHERE user_id = $1 AND version = $2
                   RETURNING full_name, primary_email, phone, date_of_birth AS "date_of_birth: NaiveDate", address, city, country, version,
                             updated_at AS "updated_at?: DateTime<Utc>""#,
                user,
                expected_version,
                new.full_name,
                new.primary_email,
                new.phone,
                new.date_of_birth as _,
                new.address,
                new.city,
                new.country,
            )
            .fetch_optional(&mut *tx)
            .await?
        };
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move { personal(&mut tx, user).await.map(Some) };
    let section = versioned::save(pool, target, expected_version, update, current).await?;
    Ok(Saved { is_new: expected_version == 0, section })
}

/// Saves the professional section if it is still at `expected_version`.
pub async fn save_professional(
    pool: &PgPool,
    user: Uuid,
    expected_version: i32,
    input: &ProfessionalFields,
) -> Result<Saved<ProfessionalInfo>> {
    let new = &validated_professional(input)?;
    let key = user.to_string();
    let target = Target { operation: "profile.save_professional", actor: user.into(), entity: PROFESSIONAL, key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = if expected_version == 0 {
            sqlx::query_as!(
                ProfessionalInfo,
                r#"INSERT INTO professional_info (user_id, company, job_title, department, website, linkedin, bio)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (user_id) DO NOTHING
                   RETURNING company, job_title, department, website, linkedin, bio, version,
                             updated_at AS "updated_at?: DateTime<Utc>""#,
                user,
                new.company,
                new.job_title,
                new.department,
                new.website,
                new.linkedin,
                new.bio,
            )
            .fetch_optional(&mut *tx)
            .await?
        } else {
            sqlx::query_as!(
                ProfessionalInfo,
                r#"UPDATE professional_info SET company = $3, job_title = $4, department = $5, website = $6,
                          linkedin = $7, bio = $8, version = version + 1, updated_at = now()
                   WHERE user_id = $1 AND version = $2
                   RETURNING company, job_title, department, website, linkedin, bio, version,
                             updated_at AS "updated_at?: DateTime<Utc>""#,
                user,
                expected_version,
                new.company,
                new.job_title,
                new.department,
                new.website,
                new.linkedin,
                new.bio,
            )
            .fetch_optional(&mut *tx)
            .await?
        };
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move { professional(&mut tx, user).await.map(Some) };
    let section = versioned::save(pool, target, expected_version, update, current).await?;
    Ok(Saved { is_new: expected_version == 0, section })
}

versioned::has_version!(PersonalInfo, ProfessionalInfo);

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
use crate::versioned::{self, Conn};

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
    let update = move |mut conn: Conn| async move {
        let saved = if expected_version == 0 {
            sqlx::query_as!(
                PersonalInfo,
                r#"WITH saved AS (
                       INSERT INTO personal_info (user_id, full_name, primary_email, phone, date_of_birth, address, city, country)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                       ON CONFLICT (user_id) DO NOTHING
                       RETURNING *
                   ),
                   audited AS (
                       INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
                       SELECT $1, $9, user_id::text, 'create', version FROM saved
                   )
                   SELECT full_name AS "full_name!", primary_email AS "primary_email!", phone AS "phone!",
                          date_of_birth AS "date_of_birth?: NaiveDate", address AS "address!", city AS "city!",
                          country AS "country!", version AS "version!", updated_at AS "updated_at?: DateTime<Utc>"
                   FROM saved"#,
                user,
                new.full_name,
                new.primary_email,
                new.phone,
                new.date_of_birth as _,
                new.address,
                new.city,
                new.country,
                PERSONAL,
            )
            .fetch_optional(&mut *conn)
            .await?
        } else {
            sqlx::query_as!(
                PersonalInfo,
                r#"WITH saved AS (
                       UPDATE personal_info SET full_name = $3, primary_email = $4, phone = $5, date_of_birth = $6,
                              address = $7, city = $8, country = $9, version = version + 1, updated_at = now()
                       WHERE user_id = $1 AND version = $2
                       RETURNING *
                   ),
                   audited AS (
                       INSERT INTO audit_log (actor_id, entity, entity_id, action, old_version, new_version)
                       SELECT $1, $10, user_id::text, 'update', $2, version FROM saved
                   )
                   SELECT full_name AS "full_name!", primary_email AS "primary_email!", phone AS "phone!",
                          date_of_birth AS "date_of_birth?: NaiveDate", address AS "address!", city AS "city!",
                          country AS "country!", version AS "version!", updated_at AS "updated_at?: DateTime<Utc>"
                   FROM saved"#,
                user,
                expected_version,
                new.full_name,
                new.primary_email,
                new.phone,
                new.date_of_birth as _,
                new.address,
                new.city,
                new.country,
                PERSONAL,
            )
            .fetch_optional(&mut *conn)
            .await?
        };
        Ok(saved)
    };
    let current = move |mut conn: Conn| async move { personal(&mut conn, user).await.map(Some) };
    let section = versioned::save_in_one_statement(pool, "profile.save_personal", update, current).await?;
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
    let update = move |mut conn: Conn| async move {
        let saved = if expected_version == 0 {
            sqlx::query_as!(
                ProfessionalInfo,
                r#"WITH saved AS (
                       INSERT INTO professional_info (user_id, company, job_title, department, website, linkedin, bio)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)
                       ON CONFLICT (user_id) DO NOTHING
                       RETURNING *
                   ),
                   audited AS (
                       INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
                       SELECT $1, $8, user_id::text, 'create', version FROM saved
                   )
                   SELECT company AS "company!", job_title AS "job_title!", department AS "department!",
                          website AS "website!", linkedin AS "linkedin!", bio AS "bio!", version AS "version!",
                          updated_at AS "updated_at?: DateTime<Utc>"
                   FROM saved"#,
                user,
                new.company,
                new.job_title,
                new.department,
                new.website,
                new.linkedin,
                new.bio,
                PROFESSIONAL,
            )
            .fetch_optional(&mut *conn)
            .await?
        } else {
            sqlx::query_as!(
                ProfessionalInfo,
                r#"WITH saved AS (
                       UPDATE professional_info SET company = $3, job_title = $4, department = $5, website = $6,
                              linkedin = $7, bio = $8, version = version + 1, updated_at = now()
                       WHERE user_id = $1 AND version = $2
                       RETURNING *
                   ),
                   audited AS (
                       INSERT INTO audit_log (actor_id, entity, entity_id, action, old_version, new_version)
                       SELECT $1, $9, user_id::text, 'update', $2, version FROM saved
                   )
                   SELECT company AS "company!", job_title AS "job_title!", department AS "department!",
                          website AS "website!", linkedin AS "linkedin!", bio AS "bio!", version AS "version!",
                          updated_at AS "updated_at?: DateTime<Utc>"
                   FROM saved"#,
                user,
                expected_version,
                new.company,
                new.job_title,
                new.department,
                new.website,
                new.linkedin,
                new.bio,
                PROFESSIONAL,
            )
            .fetch_optional(&mut *conn)
            .await?
        };
        Ok(saved)
    };
    let current = move |mut conn: Conn| async move { professional(&mut conn, user).await.map(Some) };
    let section = versioned::save_in_one_statement(pool, "profile.save_professional", update, current).await?;
    Ok(Saved { is_new: expected_version == 0, section })
}

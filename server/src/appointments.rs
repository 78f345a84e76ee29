//! Appointments (APT) for an inspection: when, where, which assessor.
//! Rescheduling is version checked.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, Action, Actor};
use crate::error::{violated_constraint, Error, Result};
use crate::fields::Rule;
use crate::idempotency::{self, IdempotencyKey};
use crate::numbers::{self, BusinessTimeZone, Kind, Numbering};
use crate::retry;
use crate::versioned::{self, Target, Tx};

pub use model::appointments::{Appointment, AppointmentWithAssessment, DayEntry, Schedule};

fn assessor_error(error: sqlx::Error) -> Error {
    match violated_constraint(&error) {
        Some("appointments_assessor_id_fkey") => Error::invalid("assessor_id", "There is no such assessor."),
        Some("appointments_inspection_id_fkey") => Error::NotFound,
        _ => Error::from(error),
    }
}

/// Where an appointment is (the API document states the same rule).
pub const LOCATION: Rule = Rule::Line(200);

/// Books an appointment with the next APT number. With an idempotency key,
/// a resent form returns the first appointment.
pub async fn create(
    numbering: &Numbering,
    actor: Actor,
    inspection_id: Uuid,
    schedule: &Schedule,
    idempotency_key: Option<&str>,
) -> Result<Appointment> {
    let checked = Schedule { location: LOCATION.check("location", &schedule.location)?, ..schedule.clone() };
    let key =
        IdempotencyKey::optional(actor.to_string(), idempotency_key, &("create_appointment", inspection_id, schedule))?;
    retry::transaction("appointment.create", || {
        let (zone, key, schedule) = (numbering.zone().clone(), key.clone(), checked.clone());
        numbering.create(Kind::Appointment, move |conn| {
            Box::pin(async move {
                let create = async |conn: &mut PgConnection| insert(conn, actor, &zone, inspection_id, &schedule).await;
                Ok(idempotency::create_once_in(conn, key.as_ref(), create).await?.0)
            })
        })
    })
    .await
}

/// Inserts the appointment with its number (`schedule.location` already
/// checked) and its audit row, in the caller's transaction.
async fn insert(
    conn: &mut PgConnection,
    actor: Actor,
    zone: &BusinessTimeZone,
    inspection_id: Uuid,
    schedule: &Schedule,
) -> Result<Appointment> {
    // The row is created at the instant its number was drawn for, so the
    // year in the number is always the year it was created.
    let created_at = Utc::now();
    let number = numbers::next(&mut *conn, Kind::Appointment, created_at, zone).await?;
    let appointment = sqlx::query_as!(
        Appointment,
        r#"INSERT INTO appointments (number, inspection_id, scheduled_at, location, assessor_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, number, inspection_id, scheduled_at AS "scheduled_at: DateTime<Utc>", location,
                     assessor_id, status, version"#,
        number,
        inspection_id,
        schedule.scheduled_at as _,
        schedule.location,
        schedule.assessor_id,
        created_at as _,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(assessor_error)?;
    audit::record(conn, actor, "appointment", &appointment.id.to_string(), Action::Create, None, Some(1)).await?;
    Ok(appointment)
}

/// Moves the appointment if it is still at `expected_version`.
pub async fn reschedule(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    schedule: &Schedule,
) -> Result<Appointment> {
    let location = &LOCATION.check("location", &schedule.location)?;
    let key = id.to_string();
    let target = Target { operation: "appointment.reschedule", actor, entity: "appointment", key: &key };
    let update = move |mut tx: Tx| async move {
        let updated = sqlx::query_as!(
            Appointment,
            r#"UPDATE appointments SET scheduled_at = $3, location = $4, assessor_id = $5,
                      version = version + 1, updated_at = now()
               WHERE id = $1 AND version = $2
               RETURNING id, number, inspection_id, scheduled_at AS "scheduled_at: DateTime<Utc>", location,
                         assessor_id, status, version"#,
            id,
            expected_version,
            schedule.scheduled_at as _,
            location,
            schedule.assessor_id,
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(assessor_error)?;
        Ok((tx, updated))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move { find(&mut tx, id).await }).await
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Appointment>> {
    Ok(sqlx::query_as!(
        Appointment,
        r#"SELECT id, number, inspection_id, scheduled_at AS "scheduled_at: DateTime<Utc>", location,
                  assessor_id, status, version
           FROM appointments WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// An inspection's appointments, soonest first, each with the assessment
/// started from it (id, number), if any.
pub async fn for_inspection(
    conn: &mut PgConnection,
    inspection_id: Uuid,
    zone: &BusinessTimeZone,
) -> Result<Vec<AppointmentWithAssessment>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.number, a.inspection_id, a.scheduled_at AS "scheduled_at: DateTime<Utc>", a.location,
                  a.assessor_id, a.status, a.version, s.id AS "assessment_id?", s.number AS "assessment_number?"
           FROM appointments a LEFT JOIN assessments s ON s.appointment_id = a.id
           WHERE a.inspection_id = $1 ORDER BY a.scheduled_at"#,
        inspection_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let assessment = row.assessment_id.zip(row.assessment_number);
            let appointment = Appointment {
                id: row.id,
                number: row.number,
                inspection_id: row.inspection_id,
                scheduled_at: row.scheduled_at,
                location: row.location,
                assessor_id: row.assessor_id,
                status: row.status,
                version: row.version,
            };
            AppointmentWithAssessment { when: zone.local(appointment.scheduled_at), appointment, assessment }
        })
        .collect())
}

/// Appointments on today's date in the business time zone, by time.
pub async fn today(conn: &mut PgConnection, zone: &BusinessTimeZone) -> Result<Vec<DayEntry>> {
    Ok(sqlx::query_as!(
        DayEntry,
        r#"SELECT a.id, a.number, a.scheduled_at AS "scheduled_at: DateTime<Utc>", a.location, i.request_id
           FROM appointments a JOIN inspections i ON i.id = a.inspection_id
           WHERE (a.scheduled_at AT TIME ZONE $1)::date = (now() AT TIME ZONE $1)::date
           ORDER BY a.scheduled_at"#,
        zone.as_str()
    )
    .fetch_all(conn)
    .await?)
}

versioned::has_version!(Appointment);

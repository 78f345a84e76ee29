//! The free-form sections of an assessment: identification, damage, vehicle
//! values and the pre-incident estimate. One row each, created with the
//! assessment (`start_assessment`), each saved on its own version. Tyres and
//! the estimate live in `assessments`.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, Action, Actor};
use crate::error::{Error, Result};
use crate::fields;
use crate::retry;

pub use model::assessments::{
    Damage, DamageFields, Identification, IdentificationFields, PreIncidentEstimate, PreIncidentEstimateFields,
    VehicleValues, VehicleValuesFields,
};

pub async fn identification(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<Identification>> {
    Ok(sqlx::query_as!(
        Identification,
        "SELECT registration, vin, odometer_km, colour, version FROM assessment_identification WHERE assessment_id = $1",
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn damage(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<Damage>> {
    Ok(sqlx::query_as!(
        Damage,
        "SELECT description, areas, severity, version FROM assessment_damage WHERE assessment_id = $1",
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn vehicle_values(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<VehicleValues>> {
    Ok(sqlx::query_as!(
        VehicleValues,
        r#"SELECT market_value::text AS "market_value!", salvage_value::text AS "salvage_value!", version
           FROM assessment_vehicle_values WHERE assessment_id = $1"#,
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn pre_incident_estimate(
    conn: &mut PgConnection,
    assessment_id: Uuid,
) -> Result<Option<PreIncidentEstimate>> {
    Ok(sqlx::query_as!(
        PreIncidentEstimate,
        r#"SELECT condition, value::text AS "value!", version
           FROM assessment_pre_incident_estimates WHERE assessment_id = $1"#,
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Saves the identification section if it is still at `expected_version`.
pub async fn save_identification(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &IdentificationFields,
) -> Result<Identification> {
    let registration = fields::text("registration", &input.registration, 20)?;
    let vin = fields::text("vin", &input.vin, 17)?;
    let odometer_km = input.odometer_km.trim().replace([' ', ','], "");
    if !odometer_km.bytes().all(|b| b.is_ascii_digit()) || odometer_km.len() > 7 {
        return Err(Error::invalid("odometer_km", "Enter the odometer reading in whole kilometres."));
    }
    let colour = fields::text("colour", &input.colour, 50)?;
    let colour = &colour;
    let odometer_km = &odometer_km;
    let registration = &registration;
    let vin = &vin;
    retry::versioned("assessment_section.save_identification", move || async move {
        let mut tx = retry::begin(pool).await?;
        let saved = sqlx::query_as!(
            Identification,
            "UPDATE assessment_identification
             SET registration = $3, vin = $4, odometer_km = $5, colour = $6, version = version + 1
             WHERE assessment_id = $1 AND version = $2
             RETURNING registration, vin, odometer_km, colour, version",
            id,
            expected_version,
            registration,
            vin,
            odometer_km,
            colour
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(section) = saved else {
            return Err(Error::stale(identification(&mut tx, id).await?));
        };
        finish(tx, actor, id, "identification", expected_version, section.version).await?;
        Ok(section)
    })
    .await
}

/// Saves the damage section if it is still at `expected_version`.
pub async fn save_damage(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &DamageFields,
) -> Result<Damage> {
    let description = fields::multiline_text("description", &input.description, 4000)?;
    let areas = fields::text("areas", &input.areas, 500)?;
    let severity = fields::text("severity", &input.severity, 100)?;
    let areas = &areas;
    let description = &description;
    let severity = &severity;
    retry::versioned("assessment_section.save_damage", move || async move {
        let mut tx = retry::begin(pool).await?;
        let saved = sqlx::query_as!(
            Damage,
            "UPDATE assessment_damage SET description = $3, areas = $4, severity = $5, version = version + 1
             WHERE assessment_id = $1 AND version = $2
             RETURNING description, areas, severity, version",
            id,
            expected_version,
            description,
            areas,
            severity
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(section) = saved else {
            return Err(Error::stale(damage(&mut tx, id).await?));
        };
        finish(tx, actor, id, "damage", expected_version, section.version).await?;
        Ok(section)
    })
    .await
}

/// Saves the vehicle values if they are still at `expected_version`.
pub async fn save_vehicle_values(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &VehicleValuesFields,
) -> Result<VehicleValues> {
    let market_value = fields::amount("market_value", &input.market_value)?;
    let salvage_value = fields::amount("salvage_value", &input.salvage_value)?;
    let market_value = &market_value;
    let salvage_value = &salvage_value;
    retry::versioned("assessment_section.save_vehicle_values", move || async move {
        let mut tx = retry::begin(pool).await?;
        let saved = sqlx::query_as!(
            VehicleValues,
            r#"UPDATE assessment_vehicle_values
               SET market_value = $3::text::numeric, salvage_value = $4::text::numeric, version = version + 1
               WHERE assessment_id = $1 AND version = $2
               RETURNING market_value::text AS "market_value!", salvage_value::text AS "salvage_value!", version"#,
            id,
            expected_version,
            market_value,
            salvage_value
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(section) = saved else {
            return Err(Error::stale(vehicle_values(&mut tx, id).await?));
        };
        finish(tx, actor, id, "vehicle_values", expected_version, section.version).await?;
        Ok(section)
    })
    .await
}

/// Saves the pre-incident estimate if it is still at `expected_version`.
pub async fn save_pre_incident_estimate(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &PreIncidentEstimateFields,
) -> Result<PreIncidentEstimate> {
    let condition = fields::text("condition", &input.condition, 500)?;
    let value = fields::amount("value", &input.value)?;
    let condition = &condition;
    let value = &value;
    retry::versioned("assessment_section.save_pre_incident_estimate", move || async move {
        let mut tx = retry::begin(pool).await?;
        let saved = sqlx::query_as!(
            PreIncidentEstimate,
            r#"UPDATE assessment_pre_incident_estimates
               SET condition = $3, value = $4::text::numeric, version = version + 1
               WHERE assessment_id = $1 AND version = $2
               RETURNING condition, value::text AS "value!", version"#,
            id,
            expected_version,
            condition,
            value
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(section) = saved else {
            return Err(Error::stale(pre_incident_estimate(&mut tx, id).await?));
        };
        finish(tx, actor, id, "pre_incident_estimate", expected_version, section.version).await?;
        Ok(section)
    })
    .await
}

/// Writes the section's audit row and commits.
async fn finish(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    actor: Actor,
    assessment_id: Uuid,
    section: &str,
    old_version: i32,
    new_version: i32,
) -> Result<()> {
    let entity_id = format!("{assessment_id}/{section}");
    audit::record(
        &mut tx,
        actor,
        "assessment_section",
        &entity_id,
        Action::Update,
        Some(old_version),
        Some(new_version),
    )
    .await?;
    retry::commit(tx).await?;
    Ok(())
}

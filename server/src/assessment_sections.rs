//! The free-form sections of an assessment: identification, damage, vehicle
//! values and the pre-incident estimate. One row each, created with the
//! assessment (`start_assessment`), each saved on its own version. Tyres and
//! the estimate live in `assessments`.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::fields;
use crate::versioned::{self, Target, Tx};

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

/// What a section's save is about: its metrics name and its audit row
/// (`assessment_section`, `{assessment}/{section}`).
fn target<'a>(operation: &'static str, actor: Actor, key: &'a str) -> Target<'a> {
    Target { operation, actor, entity: "assessment_section", key }
}

/// Saves the identification section if it is still at `expected_version`.
pub async fn save_identification(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &IdentificationFields,
) -> Result<Identification> {
    let registration = &fields::text("registration", &input.registration, 20)?;
    let vin = &fields::text("vin", &input.vin, 17)?;
    let odometer_km = &input.odometer_km.trim().replace([' ', ','], "");
    if !odometer_km.bytes().all(|b| b.is_ascii_digit()) || odometer_km.len() > 7 {
        return Err(Error::invalid("odometer_km", "Enter the odometer reading in whole kilometres."));
    }
    let colour = &fields::text("colour", &input.colour, 50)?;
    let key = format!("{id}/identification");
    let target = target("assessment_section.save_identification", actor, &key);
    let update = move |mut tx: Tx| async move {
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
        Ok((tx, saved))
    };
    versioned::save(
        pool,
        target,
        expected_version,
        update,
        move |mut tx| async move { identification(&mut tx, id).await },
    )
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
    let description = &fields::multiline_text("description", &input.description, 4000)?;
    let areas = &fields::text("areas", &input.areas, 500)?;
    let severity = &fields::text("severity", &input.severity, 100)?;
    let key = format!("{id}/damage");
    let target = target("assessment_section.save_damage", actor, &key);
    let update = move |mut tx: Tx| async move {
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
        Ok((tx, saved))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move { damage(&mut tx, id).await })
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
    let market_value = &fields::amount("market_value", &input.market_value)?;
    let salvage_value = &fields::amount("salvage_value", &input.salvage_value)?;
    let key = format!("{id}/vehicle_values");
    let target = target("assessment_section.save_vehicle_values", actor, &key);
    let update = move |mut tx: Tx| async move {
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
        Ok((tx, saved))
    };
    versioned::save(
        pool,
        target,
        expected_version,
        update,
        move |mut tx| async move { vehicle_values(&mut tx, id).await },
    )
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
    let condition = &fields::text("condition", &input.condition, 500)?;
    let value = &fields::amount("value", &input.value)?;
    let key = format!("{id}/pre_incident_estimate");
    let target = target("assessment_section.save_pre_incident_estimate", actor, &key);
    let update = move |mut tx: Tx| async move {
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
        Ok((tx, saved))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move {
        pre_incident_estimate(&mut tx, id).await
    })
    .await
}

versioned::has_version!(Identification, Damage, VehicleValues, PreIncidentEstimate);

//! The sections of an assessment: its five tyre rows, the free-form
//! sections (identification, damage, vehicle values, pre-incident estimate)
//! and the repair estimate. Every row is created with the assessment
//! (`start_assessment`) and saved on its own version; the assessment's own
//! lifecycle and its report are in `assessments`.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::fields;
use crate::versioned::{self, Target, Tx};

pub use model::assessments::{
    Damage, DamageFields, Estimate, EstimateFields, Identification, IdentificationFields, PreIncidentEstimate,
    PreIncidentEstimateFields, Tyre, TyreFields, TyrePosition, VehicleValues, VehicleValuesFields,
};

/// The assessment's tyres, in the order of [`TyrePosition::ALL`].
pub async fn tyres(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Vec<Tyre>> {
    Ok(sqlx::query_as!(
        Tyre,
        r#"SELECT position AS "position: TyrePosition", make, size, tread_depth_mm, condition, version
           FROM assessment_tyres WHERE assessment_id = $1
           ORDER BY array_position(ARRAY['front_left', 'front_right', 'rear_left', 'rear_right', 'spare'], position)"#,
        assessment_id
    )
    .fetch_all(conn)
    .await?)
}

/// Saves one tyre row if it is still at `expected_version`.
pub async fn save_tyre(
    pool: &PgPool,
    actor: Actor,
    assessment_id: Uuid,
    position: &str,
    expected_version: i32,
    input: &TyreFields,
) -> Result<Tyre> {
    let position = TyrePosition::named(position).ok_or(Error::NotFound)?;
    let tread = &fields::text("tread_depth_mm", &input.tread_depth_mm, 10)?;
    if !tread.is_empty() && !tread.parse::<f64>().is_ok_and(|mm| (0.0..=30.0).contains(&mm)) {
        return Err(Error::invalid("tread_depth_mm", "Enter the tread depth in millimetres, like 4.5."));
    }
    let make = &fields::text("make", &input.make, 100)?;
    let size = &fields::text("size", &input.size, 40)?;
    let condition = &fields::text("condition", &input.condition, 200)?;
    let key = format!("{assessment_id}/{position}");
    let target = Target { operation: "assessment_section.save_tyre", actor, entity: "assessment_tyre", key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = sqlx::query_as!(
            Tyre,
            r#"UPDATE assessment_tyres SET make = $4, size = $5, tread_depth_mm = $6, condition = $7, version = version + 1
               WHERE assessment_id = $1 AND position = $2 AND version = $3
               RETURNING position AS "position: TyrePosition", make, size, tread_depth_mm, condition, version"#,
            assessment_id,
            position.as_str(),
            expected_version,
            make,
            size,
            tread,
            condition,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move {
        Ok(tyres(&mut tx, assessment_id).await?.into_iter().find(|tyre| tyre.position == position))
    };
    versioned::save(pool, target, expected_version, update, current).await
}

pub async fn estimate(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<Estimate>> {
    Ok(sqlx::query_as!(
        Estimate,
        r#"SELECT labour::text AS "labour!", parts::text AS "parts!", paint::text AS "paint!",
                  other::text AS "other!", total::text AS "total!", version
           FROM assessment_estimates WHERE assessment_id = $1"#,
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Saves the estimate if it is still at `expected_version`; the database
/// computes the total.
pub async fn save_estimate(
    pool: &PgPool,
    actor: Actor,
    assessment_id: Uuid,
    expected_version: i32,
    input: &EstimateFields,
) -> Result<Estimate> {
    let labour = &fields::amount("labour", &input.labour)?;
    let parts = &fields::amount("parts", &input.parts)?;
    let paint = &fields::amount("paint", &input.paint)?;
    let other = &fields::amount("other", &input.other)?;
    let key = format!("{assessment_id}/estimate");
    let target =
        Target { operation: "assessment_section.save_estimate", actor, entity: "assessment_estimate", key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = sqlx::query_as!(
            Estimate,
            r#"UPDATE assessment_estimates
               SET labour = $3::text::numeric, parts = $4::text::numeric, paint = $5::text::numeric,
                   other = $6::text::numeric, version = version + 1
               WHERE assessment_id = $1 AND version = $2
               RETURNING labour::text AS "labour!", parts::text AS "parts!", paint::text AS "paint!",
                         other::text AS "other!", total::text AS "total!", version"#,
            assessment_id,
            expected_version,
            labour,
            parts,
            paint,
            other,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move { estimate(&mut tx, assessment_id).await };
    versioned::save(pool, target, expected_version, update, current).await
}

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

versioned::has_version!(Tyre, Estimate, Identification, Damage, VehicleValues, PreIncidentEstimate);

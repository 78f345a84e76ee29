//! The sections of an assessment: its five tyre rows, the free-form
//! sections (identification, damage, vehicle values, pre-incident estimate)
//! and the repair estimate. Every row is created with the assessment
//! (`start_assessment`) and saved on its own version; the assessment's own
//! lifecycle and its report are in `assessments`.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::fields::Rule;
use crate::versioned::{self, Conn};

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
    let check = |field, value: &str| tyre_rule(field).check(field, value);
    let tread = &check("tread_depth_mm", &input.tread_depth_mm)?;
    let make = &check("make", &input.make)?;
    let size = &check("size", &input.size)?;
    let condition = &check("condition", &input.condition)?;
    let key = &format!("{assessment_id}/{position}");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            Tyre,
            r#"WITH saved AS (
                   UPDATE assessment_tyres SET make = $4, size = $5, tread_depth_mm = $6, condition = $7,
                          version = version + 1
                   WHERE assessment_id = $1 AND position = $2 AND version = $3
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $8, $9, $10, $11, 'update', $3, version FROM saved
               )
               SELECT position AS "position!: TyrePosition", make AS "make!", size AS "size!",
                      tread_depth_mm AS "tread_depth_mm!", condition AS "condition!", version AS "version!"
               FROM saved"#,
            assessment_id,
            position.as_str(),
            expected_version,
            make,
            size,
            tread,
            condition,
            actor.user_id(),
            actor.api_key_id(),
            "assessment_tyre",
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move {
        Ok(tyres(&mut conn, assessment_id).await?.into_iter().find(|tyre| tyre.position == position))
    };
    versioned::save_in_one_statement(pool, "assessment_section.save_tyre", update, current).await
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
    let check = |field, value: &str| estimate_rule(field).check(field, value);
    let labour = &check("labour", &input.labour)?;
    let parts = &check("parts", &input.parts)?;
    let paint = &check("paint", &input.paint)?;
    let other = &check("other", &input.other)?;
    let key = &format!("{assessment_id}/estimate");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            Estimate,
            r#"WITH saved AS (
                   UPDATE assessment_estimates
                   SET labour = $3::text::numeric, parts = $4::text::numeric, paint = $5::text::numeric,
                       other = $6::text::numeric, version = version + 1
                   WHERE assessment_id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $7, $8, $9, $10, 'update', $2, version FROM saved
               )
               SELECT labour::text AS "labour!", parts::text AS "parts!", paint::text AS "paint!",
                      other::text AS "other!", total::text AS "total!", version AS "version!"
               FROM saved"#,
            assessment_id,
            expected_version,
            labour,
            parts,
            paint,
            other,
            actor.user_id(),
            actor.api_key_id(),
            "assessment_estimate",
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move { estimate(&mut conn, assessment_id).await };
    versioned::save_in_one_statement(pool, "assessment_section.save_estimate", update, current).await
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

/// The audit entity of the free-form sections; each row's key is
/// `{assessment}/{section}`.
const SECTION: &str = "assessment_section";

/// Saves the identification section if it is still at `expected_version`.
pub async fn save_identification(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &IdentificationFields,
) -> Result<Identification> {
    let check = |field, value: &str| identification_rule(field).check(field, value);
    let registration = &check("registration", &input.registration)?;
    let vin = &check("vin", &input.vin)?;
    let odometer_km = &check("odometer_km", &input.odometer_km)?;
    let colour = &check("colour", &input.colour)?;
    let key = &format!("{id}/identification");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            Identification,
            r#"WITH saved AS (
                   UPDATE assessment_identification
                   SET registration = $3, vin = $4, odometer_km = $5, colour = $6, version = version + 1
                   WHERE assessment_id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $7, $8, $9, $10, 'update', $2, version FROM saved
               )
               SELECT registration AS "registration!", vin AS "vin!", odometer_km AS "odometer_km!",
                      colour AS "colour!", version AS "version!"
               FROM saved"#,
            id,
            expected_version,
            registration,
            vin,
            odometer_km,
            colour,
            actor.user_id(),
            actor.api_key_id(),
            SECTION,
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move { identification(&mut conn, id).await };
    versioned::save_in_one_statement(pool, "assessment_section.save_identification", update, current).await
}

/// Saves the damage section if it is still at `expected_version`.
pub async fn save_damage(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &DamageFields,
) -> Result<Damage> {
    let check = |field, value: &str| damage_rule(field).check(field, value);
    let description = &check("description", &input.description)?;
    let areas = &check("areas", &input.areas)?;
    let severity = &check("severity", &input.severity)?;
    let key = &format!("{id}/damage");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            Damage,
            r#"WITH saved AS (
                   UPDATE assessment_damage SET description = $3, areas = $4, severity = $5, version = version + 1
                   WHERE assessment_id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $6, $7, $8, $9, 'update', $2, version FROM saved
               )
               SELECT description AS "description!", areas AS "areas!", severity AS "severity!",
                      version AS "version!"
               FROM saved"#,
            id,
            expected_version,
            description,
            areas,
            severity,
            actor.user_id(),
            actor.api_key_id(),
            SECTION,
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move { damage(&mut conn, id).await };
    versioned::save_in_one_statement(pool, "assessment_section.save_damage", update, current).await
}

/// Saves the vehicle values if they are still at `expected_version`.
pub async fn save_vehicle_values(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &VehicleValuesFields,
) -> Result<VehicleValues> {
    let check = |field, value: &str| vehicle_values_rule(field).check(field, value);
    let market_value = &check("market_value", &input.market_value)?;
    let salvage_value = &check("salvage_value", &input.salvage_value)?;
    let key = &format!("{id}/vehicle_values");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            VehicleValues,
            r#"WITH saved AS (
                   UPDATE assessment_vehicle_values
                   SET market_value = $3::text::numeric, salvage_value = $4::text::numeric, version = version + 1
                   WHERE assessment_id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $5, $6, $7, $8, 'update', $2, version FROM saved
               )
               SELECT market_value::text AS "market_value!", salvage_value::text AS "salvage_value!",
                      version AS "version!"
               FROM saved"#,
            id,
            expected_version,
            market_value,
            salvage_value,
            actor.user_id(),
            actor.api_key_id(),
            SECTION,
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move { vehicle_values(&mut conn, id).await };
    versioned::save_in_one_statement(pool, "assessment_section.save_vehicle_values", update, current).await
}

/// Saves the pre-incident estimate if it is still at `expected_version`.
pub async fn save_pre_incident_estimate(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    expected_version: i32,
    input: &PreIncidentEstimateFields,
) -> Result<PreIncidentEstimate> {
    let check = |field, value: &str| pre_incident_rule(field).check(field, value);
    let condition = &check("condition", &input.condition)?;
    let value = &check("value", &input.value)?;
    let key = &format!("{id}/pre_incident_estimate");
    let update = move |mut conn: Conn| async move {
        Ok(sqlx::query_as!(
            PreIncidentEstimate,
            r#"WITH saved AS (
                   UPDATE assessment_pre_incident_estimates
                   SET condition = $3, value = $4::text::numeric, version = version + 1
                   WHERE assessment_id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $5, $6, $7, $8, 'update', $2, version FROM saved
               )
               SELECT condition AS "condition!", value::text AS "value!", version AS "version!"
               FROM saved"#,
            id,
            expected_version,
            condition,
            value,
            actor.user_id(),
            actor.api_key_id(),
            SECTION,
            key,
        )
        .fetch_optional(&mut *conn)
        .await?)
    };
    let current = move |mut conn: Conn| async move { pre_incident_estimate(&mut conn, id).await };
    versioned::save_in_one_statement(pool, "assessment_section.save_pre_incident_estimate", update, current).await
}

// How each field of each section is checked (the API document states the same).

pub fn tyre_rule(field: &str) -> Rule {
    match field {
        "tread_depth_mm" => Rule::TreadDepth,
        "size" => Rule::Line(40),
        "condition" => Rule::Line(200),
        _ => Rule::Line(100),
    }
}

pub fn identification_rule(field: &str) -> Rule {
    match field {
        "registration" => Rule::Line(20),
        "vin" => Rule::Line(17),
        "odometer_km" => Rule::Odometer,
        _ => Rule::Line(50),
    }
}

pub fn damage_rule(field: &str) -> Rule {
    match field {
        "description" => Rule::Lines(4000),
        "areas" => Rule::Line(500),
        _ => Rule::Line(100),
    }
}

pub fn vehicle_values_rule(_field: &str) -> Rule {
    Rule::Amount
}

pub fn pre_incident_rule(field: &str) -> Rule {
    match field {
        "condition" => Rule::Line(500),
        _ => Rule::Amount,
    }
}

pub fn estimate_rule(_field: &str) -> Rule {
    Rule::Amount
}

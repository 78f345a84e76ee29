//! Requests (REQ) for a client, and the one inspection (INS) a request may
//! have. Numbers are drawn in the inserting transaction (see `numbers`).

use chrono::{DateTime, Utc};
use model::Form as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, Action, Actor};
use crate::error::{violated_constraint, Error, Result};
use crate::fields::Rule;
use crate::idempotency::{self, IdempotencyKey};
use crate::numbers::{self, BusinessTimeZone, Kind, Numbering};
use crate::retry;

pub use model::requests::{Inspection, NewRequest, Request, RequestFields};

/// Every field checked and normalised (registration and VIN upper-case);
/// the first bad one is the error.
fn validated(input: &NewRequest) -> Result<NewRequest> {
    let client_id = field_rule("client_id").check("client_id", &input.client_id)?;
    let fields = input.fields.clone().try_map(|field, value| field_rule(field).check(field, &value))?;
    Ok(NewRequest { client_id, fields })
}

/// How each field of a request is checked (the API document states the same).
pub fn field_rule(field: &str) -> Rule {
    match field {
        "client_id" => Rule::Required(64, "Choose the client."),
        "registration" => Rule::Upper(20),
        "vin" => Rule::Vin,
        "notes" => Rule::Lines(2000),
        _ => Rule::Line(100),
    }
}

/// Creates a request with the next REQ number, in the next batch of
/// requests (see `numbers::Numbering`). With an idempotency key, a resent
/// form returns the first request.
pub async fn create(
    numbering: &Numbering,
    actor: Actor,
    input: &NewRequest,
    idempotency_key: Option<&str>,
) -> Result<Request> {
    let new = validated(input)?;
    let key = IdempotencyKey::optional(actor.to_string(), idempotency_key, &("create_request", &new))?;
    retry::transaction("request.create", || {
        let (new, key, zone) = (new.clone(), key.clone(), numbering.zone().clone());
        numbering.create(Kind::Request, move |conn| {
            Box::pin(async move {
                let create = async |conn: &mut PgConnection| insert(conn, actor, &zone, &new).await;
                Ok(idempotency::create_once_in(conn, key.as_ref(), create).await?.0)
            })
        })
    })
    .await
}

/// Inserts the request with its number and its audit row, in one
/// statement: the counter row is locked from here to the commit.
async fn insert(conn: &mut PgConnection, actor: Actor, zone: &BusinessTimeZone, new: &NewRequest) -> Result<Request> {
    let request = sqlx::query_as!(
        Request,
        r#"WITH request AS (
               INSERT INTO requests (number, client_id, vehicle_make, vehicle_model, registration, vin,
                                     claim_reference, notes, created_by)
               VALUES (next_document_number($1, now(), $2), $3, $4, $5, $6, $7, $8, $9, $10)
               RETURNING *
           ),
           audited AS (
               INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, new_version)
               SELECT $10, $11, 'request', id::text, 'create', version FROM request
           )
           SELECT id AS "id!", number AS "number!", client_id AS "client_id!",
                  vehicle_make AS "vehicle_make!", vehicle_model AS "vehicle_model!",
                  registration AS "registration!", vin AS "vin!", claim_reference AS "claim_reference!",
                  notes AS "notes!", status AS "status!", version AS "version!",
                  created_at AS "created_at!: DateTime<Utc>"
           FROM request"#,
        Kind::Request.prefix(),
        zone.as_str(),
        new.client_id,
        new.fields.vehicle_make,
        new.fields.vehicle_model,
        new.fields.registration,
        new.fields.vin,
        new.fields.claim_reference,
        new.fields.notes,
        actor.user_id(),
        actor.api_key_id(),
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|error| match violated_constraint(&error) {
        Some("requests_client_id_fkey") => Error::invalid("client_id", "There is no client with this id."),
        _ => Error::from(error),
    })?;
    numbers::count_drawn(Kind::Request);
    Ok(request)
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Request>> {
    Ok(sqlx::query_as!(
        Request,
        r#"SELECT id, number, client_id, vehicle_make, vehicle_model, registration, vin, claim_reference,
                  notes, status, version, created_at AS "created_at: DateTime<Utc>"
           FROM requests WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// A client's requests, newest first.
pub async fn for_client(conn: &mut PgConnection, client_id: &str) -> Result<Vec<Request>> {
    Ok(sqlx::query_as!(
        Request,
        r#"SELECT id, number, client_id, vehicle_make, vehicle_model, registration, vin, claim_reference,
                  notes, status, version, created_at AS "created_at: DateTime<Utc>"
           FROM requests WHERE client_id = $1 ORDER BY created_at DESC"#,
        client_id
    )
    .fetch_all(conn)
    .await?)
}

/// The request's inspection, created on the first call. Later and
/// simultaneous calls get the same one (`created: false`); the request row
/// is locked first so only the creator draws a number.
pub async fn inspection_for(numbering: &Numbering, actor: Actor, request_id: Uuid) -> Result<(Inspection, bool)> {
    retry::transaction("inspection.create", || {
        let zone = numbering.zone().clone();
        numbering.create(Kind::Inspection, move |tx| {
            Box::pin(async move { inspection_in(tx, actor, &zone, request_id).await })
        })
    })
    .await
}

async fn inspection_in(
    tx: &mut PgConnection,
    actor: Actor,
    zone: &BusinessTimeZone,
    request_id: Uuid,
) -> Result<(Inspection, bool)> {
    let locked = sqlx::query_scalar!("SELECT id FROM requests WHERE id = $1 FOR UPDATE", request_id)
        .fetch_optional(&mut *tx)
        .await?;
    if locked.is_none() {
        return Err(Error::NotFound);
    }
    if let Some(existing) = find_inspection(&mut *tx, request_id).await? {
        return Ok((existing, false));
    }
    // Created at the instant its number was drawn for: the number's year is its year.
    let created_at = Utc::now();
    let number = numbers::next(&mut *tx, Kind::Inspection, created_at, zone).await?;
    let inspection = sqlx::query_as!(
        Inspection,
        r#"INSERT INTO inspections (number, request_id, created_by, created_at) VALUES ($1, $2, $3, $4)
           RETURNING id, number, request_id, created_at AS "created_at: DateTime<Utc>""#,
        number,
        request_id,
        actor.user_id(),
        created_at as _,
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut *tx, actor, "inspection", &inspection.id.to_string(), Action::Create, None, Some(1)).await?;
    Ok((inspection, true))
}

pub async fn find_inspection(conn: &mut PgConnection, request_id: Uuid) -> Result<Option<Inspection>> {
    Ok(sqlx::query_as!(
        Inspection,
        r#"SELECT id, number, request_id, created_at AS "created_at: DateTime<Utc>"
           FROM inspections WHERE request_id = $1"#,
        request_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Open requests, newest first (at most 50).
pub async fn open(conn: &mut PgConnection) -> Result<Vec<Request>> {
    Ok(sqlx::query_as!(
        Request,
        r#"SELECT id, number, client_id, vehicle_make, vehicle_model, registration, vin, claim_reference,
                  notes, status, version, created_at AS "created_at: DateTime<Utc>"
           FROM requests WHERE status = 'open' ORDER BY created_at DESC LIMIT 50"#
    )
    .fetch_all(conn)
    .await?)
}

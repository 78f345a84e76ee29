//! Clients of the staff workflow. The caller may choose the id (an external
//! system's key); creating an id that exists returns that client untouched,
//! so resent and simultaneous creates all land on one row.

use chrono::{DateTime, Utc};
use model::Form as _;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::Actor;
use crate::error::{violated_constraint, Error, Result};
use crate::fields::Rule;
use crate::retry;
use crate::versioned::{self, Conn};

pub use model::clients::{Client, ClientFields, NewClient};

struct ValidClient {
    id: String,
    name: String,
    email: String,
    phone: String,
    company: String,
}

fn validated(input: &NewClient) -> Result<ValidClient> {
    let id = match input.id.as_deref().map(str::trim) {
        None | Some("") => Uuid::new_v4().simple().to_string(),
        Some(id) if id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            id.to_owned()
        }
        Some(_) => return Err(Error::invalid("id", "Use 1 to 64 letters, digits, - or _.")),
    };
    let ClientFields { name, email, phone, company } = validated_fields(&input.fields)?;
    Ok(ValidClient { id, name, email, phone, company })
}

/// The details checked and normalised; the first bad one is the error.
fn validated_fields(input: &ClientFields) -> Result<ClientFields> {
    input.clone().try_map(|field, value| field_rule(field).check(field, &value))
}

/// How each field of a client is checked (the API document states the same).
pub fn field_rule(field: &str) -> Rule {
    match field {
        "name" => Rule::Required(200, "Enter the client's name."),
        "email" => Rule::Email,
        "phone" => Rule::Phone,
        _ => Rule::Line(200),
    }
}

/// Whether a create made the client or found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub created: bool,
    #[serde(flatten)]
    pub client: Client,
}

/// Creates the client, or returns the one that already has this id.
///
/// `INSERT .. ON CONFLICT (id) DO NOTHING`, then, if nothing was inserted,
/// a read (a new statement, so it sees the row a concurrent create just
/// committed). A taken email belongs to another client: 409 on `email`.
pub async fn create(pool: &PgPool, actor: Actor, input: &NewClient) -> Result<Created> {
    let new = validated(input)?;
    let new = &new;
    retry::transaction("client.create", move || async move {
        // One statement, committed by itself: the insert and its audit row.
        let mut conn = retry::acquire(pool).await?;
        let inserted = sqlx::query_as!(
            Client,
            r#"WITH inserted AS (
                   INSERT INTO clients (id, name, email, phone, company, created_by)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (id) DO NOTHING
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, new_version)
                   SELECT $6, $7, 'client', id, 'create', version FROM inserted
               )
               SELECT id AS "id!", name AS "name!", email AS "email!", phone AS "phone!", company AS "company!",
                      version AS "version!", created_at AS "created_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>"
               FROM inserted"#,
            new.id,
            new.name,
            new.email,
            new.phone,
            new.company,
            actor.user_id(),
            actor.api_key_id(),
        )
        .fetch_optional(&mut *conn)
        .await;
        match inserted {
            Ok(Some(client)) => Ok(Created { created: true, client }),
            Ok(None) => {
                let client = find(&mut conn, &new.id).await?.ok_or(Error::NotFound)?;
                Ok(Created { created: false, client })
            }
            Err(error) if violated_constraint(&error) == Some("clients_email_key") => {
                // Simultaneous creates of one id and one email can trip the email
                // index before the id conflict is seen; if the id exists now, this
                // was the same client all along.
                match find(&mut conn, &new.id).await? {
                    Some(client) => Ok(Created { created: false, client }),
                    None => Err(Error::already_exists("email", "Another client already has this email address.")),
                }
            }
            Err(error) => Err(retry::outcome_unknown_if_sent(error.into())),
        }
    })
    .await
}

pub async fn find(conn: &mut PgConnection, id: &str) -> Result<Option<Client>> {
    Ok(sqlx::query_as!(
        Client,
        r#"SELECT id, name, email, phone, company, version,
                  created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>"
           FROM clients WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// Clients whose id, name, email or company contains `query` (all when
/// empty), by name; at most 100.
pub async fn search(conn: &mut PgConnection, query: &str) -> Result<Vec<Client>> {
    let pattern = format!("%{}%", query.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Ok(sqlx::query_as!(
        Client,
        r#"SELECT id, name, email, phone, company, version,
                  created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>"
           FROM clients
           WHERE id ILIKE $1 OR name ILIKE $1 OR email ILIKE $1 OR company ILIKE $1
           ORDER BY lower(name), id
           LIMIT 100"#,
        pattern
    )
    .fetch_all(conn)
    .await?)
}

/// Saves the client if it is still at `expected_version`. A taken email is
/// a 409 on `email`; a newer version is a 409 with the client as it is now.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    id: &str,
    expected_version: i32,
    changes: &ClientFields,
) -> Result<Client> {
    let ClientFields { name, email, phone, company } = &validated_fields(changes)?;
    let update = move |mut conn: Conn| async move {
        sqlx::query_as!(
            Client,
            r#"WITH saved AS (
                   UPDATE clients SET name = $3, email = $4, phone = $5, company = $6, version = version + 1,
                          updated_at = now()
                   WHERE id = $1 AND version = $2
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
                   SELECT $7, $8, 'client', id, 'update', $2, version FROM saved
               )
               SELECT id AS "id!", name AS "name!", email AS "email!", phone AS "phone!", company AS "company!",
                      version AS "version!", created_at AS "created_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>"
               FROM saved"#,
            id,
            expected_version,
            name,
            email,
            phone,
            company,
            actor.user_id(),
            actor.api_key_id(),
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(|error| match violated_constraint(&error) {
            Some("clients_email_key") => {
                Error::already_exists("email", "Another client already has this email address.")
            }
            _ => Error::from(error),
        })
    };
    let current = move |mut conn: Conn| async move { find(&mut conn, id).await };
    versioned::save_in_one_statement(pool, "client.update", update, current).await
}

//! Business cards: create (idempotent, slug drawn by the database), read,
//! version-checked update and delete, the public page's lookup and vCard.

use chrono::{DateTime, Utc};
use model::Form as _;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::fields::Rule;
use crate::idempotency::{self, IdempotencyKey};
use crate::retry;
use crate::slugs;
use crate::versioned::{self, Conn};

pub use model::cards::{Card, CardChanges, CardFields, LAYOUTS, TEMPLATES};

const ENTITY: &str = "business_card";

/// `sqlx::query_as!(Card, …)` for a statement with a card's columns
/// between `$head` and `$tail`: the columns written once, still one literal
/// for sqlx to check. Each is marked non-null (`!`) because a CTE's
/// columns, unlike a table's, are not known to be.
macro_rules! query_card {
    ($head:tt, $tail:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Card,
            $head + r#" id AS "id!", slug AS "slug!", version AS "version!", name AS "name!",
                template AS "template!", full_name AS "full_name!", job_title AS "job_title!",
                company AS "company!", email AS "email!", phone AS "phone!", website AS "website!",
                address AS "address!", tagline AS "tagline!", accent_color AS "accent_color!",
                layout AS "layout!", created_at AS "created_at!: DateTime<Utc>",
                updated_at AS "updated_at!: DateTime<Utc>" "# + $tail
            $(, $arg)*
        )
    };
}

/// Every field checked and normalised; the first bad one is the error.
pub fn validated(fields: CardFields) -> Result<CardFields> {
    fields.try_map(|field, value| field_rule(field).check(field, &value))
}

/// Every field given checked and normalised, the slug by [`slugs::parse`].
fn validated_changes(changes: CardChanges) -> Result<CardChanges> {
    let slug = changes.slug.clone().map(|slug| slugs::parse(&slug)).transpose()?;
    Ok(CardChanges { slug, ..changes.try_map(|field, value| field_rule(field).check(field, &value))? })
}

/// How each text field of a card is checked (the API document states the same).
pub fn field_rule(field: &str) -> Rule {
    match field {
        "name" => Rule::Required(100, "Give the card a name."),
        "full_name" | "job_title" | "company" => Rule::Line(100),
        "tagline" => Rule::Line(140),
        "address" => Rule::Lines(200),
        "template" => Rule::OneOf(TEMPLATES, "one of the templates"),
        "layout" => Rule::OneOf(LAYOUTS, "a layout"),
        "accent_color" => Rule::Color,
        "email" => Rule::Email,
        "phone" => Rule::Phone,
        "website" => Rule::Url,
        _ => Rule::Line(200),
    }
}

/// How a create ended: a new card, or the card an earlier request with the
/// same idempotency key created (its stored response).
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Card),
    Replayed(Card),
}

impl Created {
    pub fn card(&self) -> &Card {
        match self {
            Created::New(card) | Created::Replayed(card) => card,
        }
    }

    pub fn into_card(self) -> Card {
        match self {
            Created::New(card) | Created::Replayed(card) => card,
        }
    }
}

/// Creates a card for `owner`. With an idempotency key, the same key again
/// gives the first response back instead of a second card.
pub async fn create(pool: &PgPool, owner: Uuid, fields: CardFields, idempotency_key: Option<&str>) -> Result<Created> {
    let fields = validated(fields)?;
    let key = IdempotencyKey::optional(owner.to_string(), idempotency_key, &("create_card", &fields))?;

    let (card, new) = retry::transaction("card.create", || {
        idempotency::create_once_in_one_statement(pool, key.as_ref(), async |conn: &mut PgConnection| {
            insert(conn, owner, &fields).await
        })
    })
    .await?;
    Ok(if new { Created::New(card) } else { Created::Replayed(card) })
}

/// Inserts a card with a slug drawn from its name, and its audit row, in
/// the caller's transaction (one statement: `create_business_card` in a
/// data-modifying CTE).
pub async fn insert(conn: &mut PgConnection, owner: Uuid, fields: &CardFields) -> Result<Card> {
    insert_with_attempts(conn, owner, fields, 8).await
}

/// [`insert`] with a chosen number of slug attempts, so tests can exhaust them.
pub async fn insert_with_attempts(
    conn: &mut PgConnection,
    owner: Uuid,
    fields: &CardFields,
    attempts: i32,
) -> Result<Card> {
    let base_slug = slugs::from_name(&fields.name);
    let card_json = serde_json::to_value(fields).map_err(Error::internal)?;
    let card = query_card!(
        "WITH card AS (SELECT * FROM create_business_card($1, $2, $3, $4)),
         audited AS (
             INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
             SELECT $1, $5, id::text, 'create', version FROM card
         )
         SELECT",
        "FROM card",
        owner,
        base_slug,
        card_json,
        attempts,
        ENTITY,
    )
    .fetch_one(conn)
    .await
    .map_err(write_error);
    // Operators watch how often names collide: a suffix means the plain
    // slug was taken, a failure means every attempt collided.
    match &card {
        Ok(card) if card.slug != base_slug => metrics::counter!("lockstep_slug_suffix_draws_total").increment(1),
        Err(Error::AlreadyExists { field, .. }) if field == "name" => {
            metrics::counter!("lockstep_slug_generation_failures_total").increment(1)
        }
        _ => {}
    }
    card
}

/// Applies `changes` if the card is still at `expected_version`. A card
/// that is gone or someone else's is 404; a newer version is 409 carrying
/// the card as it is now.
pub async fn update(pool: &PgPool, owner: Uuid, id: Uuid, expected_version: i32, changes: CardChanges) -> Result<Card> {
    let changes = &validated_changes(changes)?;
    let update = move |mut conn: Conn| async move {
        query_card!(
            "WITH updated AS (
                   UPDATE business_cards SET
                       name = COALESCE($4, name), slug = COALESCE($5, slug), template = COALESCE($6, template),
                       full_name = COALESCE($7, full_name), job_title = COALESCE($8, job_title),
                       company = COALESCE($9, company), email = COALESCE($10, email),
                       phone = COALESCE($11, phone), website = COALESCE($12, website),
                       address = COALESCE($13, address), tagline = COALESCE($14, tagline),
                       accent_color = COALESCE($15, accent_color), layout = COALESCE($16, layout),
                       version = version + 1, updated_at = now()
                   WHERE id = $1 AND owner_id = $2 AND version = $3
                   RETURNING *
               ),
               audited AS (
                   INSERT INTO audit_log (actor_id, entity, entity_id, action, old_version, new_version)
                   SELECT $2, $17, id::text, 'update', $3, version FROM updated
               )
               SELECT",
            "FROM updated",
            id,
            owner,
            expected_version,
            changes.name,
            changes.slug,
            changes.template,
            changes.full_name,
            changes.job_title,
            changes.company,
            changes.email,
            changes.phone,
            changes.website,
            changes.address,
            changes.tagline,
            changes.accent_color,
            changes.layout,
            ENTITY,
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(write_error)
    };
    versioned::save_in_one_statement(pool, "card.update", update, move |mut conn| async move {
        find(&mut conn, owner, id).await
    })
    .await
}

/// Deletes the card if it is still at `expected_version`; errors as [`update`].
pub async fn delete(pool: &PgPool, owner: Uuid, id: Uuid, expected_version: i32) -> Result<()> {
    retry::versioned("card.delete", move || async move {
        let mut tx = retry::begin(pool).await?;
        let deleted = sqlx::query_scalar!(
            "DELETE FROM business_cards WHERE id = $1 AND owner_id = $2 AND version = $3 RETURNING version",
            id,
            owner,
            expected_version
        )
        .fetch_optional(&mut *tx)
        .await?;
        if deleted.is_none() {
            return Err(missing_or_conflict(&mut tx, owner, id).await);
        }
        audit::record(&mut tx, owner, ENTITY, &id.to_string(), Action::Delete, Some(expected_version), None).await?;
        retry::commit(tx).await?;
        Ok(())
    })
    .await
}

/// Why a version-checked write matched no row.
async fn missing_or_conflict(conn: &mut PgConnection, owner: Uuid, id: Uuid) -> Error {
    match find(conn, owner, id).await {
        Ok(current) => Error::stale(current),
        Err(error) => error,
    }
}

/// One of `owner`'s cards.
pub async fn find(conn: &mut PgConnection, owner: Uuid, id: Uuid) -> Result<Option<Card>> {
    Ok(query_card!("SELECT", "FROM business_cards WHERE id = $1 AND owner_id = $2", id, owner)
        .fetch_optional(conn)
        .await?)
}

/// `owner`'s cards, newest first.
pub async fn list(conn: &mut PgConnection, owner: Uuid) -> Result<Vec<Card>> {
    Ok(query_card!("SELECT", "FROM business_cards WHERE owner_id = $1 ORDER BY created_at DESC, id", owner)
        .fetch_all(conn)
        .await?)
}

/// Any card by its public slug (for `/c/{slug}`).
pub async fn find_by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<Card>> {
    Ok(query_card!("SELECT", "FROM business_cards WHERE slug = $1", slug).fetch_optional(conn).await?)
}

/// Database errors a card write can cause by the user's doing, as field errors.
fn write_error(error: sqlx::Error) -> Error {
    let code = error.as_database_error().and_then(|db| db.code()).map(|code| code.into_owned());
    match (crate::error::violated_constraint(&error), code.as_deref()) {
        (Some("business_cards_slug_key"), _) => Error::already_exists("slug", "This address is taken. Choose another."),
        (Some("business_cards_slug_shape"), _) => Error::invalid("slug", "This address is reserved. Choose another."),
        (_, Some("LS001")) => {
            Error::already_exists("name", "Could not find a free address for this name. Try a different name.")
        }
        _ => Error::from(error),
    }
}

/// The card as a vCard 3.0 file, for "add to contacts".
pub fn to_vcard(card: &Card) -> String {
    fn escape(value: &str) -> String {
        value.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n").replace('\r', "")
    }
    let display_name = if card.full_name.is_empty() { &card.name } else { &card.full_name };
    let mut lines = vec!["BEGIN:VCARD".to_owned(), "VERSION:3.0".to_owned()];
    let (given, family) = match display_name.rsplit_once(' ') {
        Some((given, family)) => (given, family),
        None => (display_name.as_str(), ""),
    };
    lines.push(format!("N:{};{};;;", escape(family), escape(given)));
    lines.push(format!("FN:{}", escape(display_name)));
    let optional = [
        ("ORG", &card.company),
        ("TITLE", &card.job_title),
        ("EMAIL;TYPE=INTERNET", &card.email),
        ("TEL", &card.phone),
        ("URL", &card.website),
        ("NOTE", &card.tagline),
    ];
    for (property, value) in optional {
        if !value.is_empty() {
            lines.push(format!("{property}:{}", escape(value)));
        }
    }
    if !card.address.is_empty() {
        lines.push(format!("ADR;TYPE=WORK:;;{};;;;", escape(&card.address)));
    }
    lines.push("END:VCARD".to_owned());
    let mut vcard = lines.join("\r\n");
    vcard.push_str("\r\n");
    vcard
}

/// `GET /c/{slug}/card.vcf`: the public card as a contact file.
pub async fn vcard_download(
    axum::extract::State(pool): axum::extract::State<PgPool>,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Result<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let mut conn = pool.acquire().await?;
    let card = find_by_slug(&mut conn, &slug).await?.ok_or(Error::NotFound)?;
    let disposition = format!("attachment; filename=\"{}.vcf\"", card.slug);
    Ok((
        [(header::CONTENT_TYPE, "text/vcard; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        to_vcard(&card),
    )
        .into_response())
}

/// `address` as a QR code: one SVG path, one unit per module, with the
/// quiet zone scanners need. Scaled by whoever shows it (it is vector).
pub fn qr_svg(address: &str) -> Result<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(address.as_bytes(), qrcode::EcLevel::M).map_err(Error::internal)?;
    Ok(code.render::<qrcode::render::svg::Color>().module_dimensions(1, 1).quiet_zone(true).build())
}

/// `GET /c/{slug}/qr.svg`: the card's public address as a QR code, to show
/// beside the card and to download for print.
pub async fn qr_code(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    axum::extract::Path(slug): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let mut conn = state.pool.acquire().await?;
    let card = find_by_slug(&mut conn, &slug).await?.ok_or(Error::NotFound)?;
    let address = format!("{}/c/{}", state.site_origin(&headers), card.slug);
    let disposition = format!("inline; filename=\"{}-qr.svg\"", card.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            // Follows the card's slug and the site's address: always ask.
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        qr_svg(&address)?,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_one_small_svg_path() {
        let svg = qr_svg("https://cards.example.com/c/ada-lovelace").expect("encodes");
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.len() < 8 * 1024, "{} bytes", svg.len());
    }

    fn card() -> Card {
        let now = Utc::now();
        Card {
            id: Uuid::nil(),
            slug: "jane".into(),
            version: 1,
            name: "Jane".into(),
            template: "classic".into(),
            full_name: "Jane Q. Doe".into(),
            job_title: "Engineer".into(),
            company: "Acme, Inc.".into(),
            email: "jane@example.com".into(),
            phone: "+1 555 0100".into(),
            website: "https://example.com".into(),
            address: "1 Main St; Springfield".into(),
            tagline: String::new(),
            accent_color: "#2563eb".into(),
            layout: "left".into(),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_name_alone_is_a_whole_card() -> Result<(), Box<dyn std::error::Error>> {
        let fields: CardFields = serde_json::from_str(r#"{"name": "  My Card "}"#)?;
        let fields = validated(fields)?;
        assert_eq!(fields.name, "My Card");
        assert_eq!(fields.template, "classic");
        assert_eq!(fields.accent_color, "#2563eb");
        Ok(())
    }

    #[test]
    fn bad_fields_name_themselves() {
        let bad = |json: &str| {
            serde_json::from_str::<CardFields>(json).map_err(Error::internal).and_then(validated).unwrap_err()
        };
        assert!(matches!(bad(r#"{"name": ""}"#), Error::Invalid { field, .. } if field == "name"));
        assert!(matches!(bad(r#"{"name": "a", "email": "nope"}"#), Error::Invalid { field, .. } if field == "email"));
        assert!(
            matches!(bad(r#"{"name": "a", "phone": "call me"}"#), Error::Invalid { field, .. } if field == "phone")
        );
        assert!(
            matches!(bad(r#"{"name": "a", "template": "comic"}"#), Error::Invalid { field, .. } if field == "template")
        );
        assert!(
            matches!(bad(r#"{"name": "a", "accent_color": "red"}"#), Error::Invalid { field, .. } if field == "accent_color")
        );
        assert!(
            matches!(bad(r#"{"name": "a", "website": "not a site"}"#), Error::Invalid { field, .. } if field == "website")
        );
    }

    #[test]
    fn websites_get_a_scheme_and_colors_are_lowercased() -> Result<(), Box<dyn std::error::Error>> {
        let fields = CardFields {
            name: "a".into(),
            website: "example.com".into(),
            accent_color: "#AABBCC".into(),
            ..Default::default()
        };
        let fields = validated(fields)?;
        assert_eq!(fields.website, "https://example.com");
        assert_eq!(fields.accent_color, "#aabbcc");
        Ok(())
    }

    #[test]
    fn vcards_escape_their_values() {
        let vcard = to_vcard(&card());
        assert!(vcard.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n"));
        assert!(vcard.contains("N:Doe;Jane Q.;;;\r\n"));
        assert!(vcard.contains("ORG:Acme\\, Inc.\r\n"));
        assert!(vcard.contains("ADR;TYPE=WORK:;;1 Main St\\; Springfield;;;;\r\n"));
        assert!(!vcard.contains("NOTE"));
        assert!(vcard.ends_with("END:VCARD\r\n"));
    }
}

//! What the handlers' annotations leave out of `/api/openapi.json`, added
//! once for the whole document rather than repeated on every operation:
//!
//! - the answers every operation may give (not signed in, the database
//!   unavailable, a malformed parameter or body, a body too big or too slow),
//! - the rule each text field is checked with, taken from the same
//!   [`Rule`] the server checks it with,
//! - the shapes of the values every operation shares (ids, `If-Match`,
//!   versions).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::fields::Rule;
use crate::{appointments, assessment_sections, cards, clients, profiles, requests, scenarios};

/// A UUID as `Uuid` parses it from the API's JSON and paths (hyphenated).
const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// What `If-Match` means on every versioned write (`if_match_version`).
const IF_MATCH: &str = "The ETag of the version you edited, like \"v3\" (from a read or the last write). \
     Any other tag names no version: 412 with the record as it is now. `*` names none: 428.";
/// What a card's address may be (`slugs::parse`).
const SLUG: &str = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$";
/// What a client's id may be (`clients::validated`); empty: one is made.
const CLIENT_ID: &str = "^[A-Za-z0-9_-]{0,64}$";
/// A calendar date as chrono reads it (`format: date` alone lets
/// generators send anything).
const DATE: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// The rules of each request body's text fields, by schema name (a
/// `Versioned_X` body has X's). Fields not named here (versions, ids,
/// slugs) are described in [`shared_shapes`].
const RULES: &[(&str, fn(&str) -> Rule)] = &[
    ("CardFields", cards::field_rule),
    ("CardChanges", cards::field_rule),
    ("PersonalFields", profiles::personal_rule),
    ("ProfessionalFields", profiles::professional_rule),
    ("ClientFields", clients::field_rule),
    ("RequestFields", requests::field_rule),
    ("NewRequest", requests::field_rule),
    ("TyreFields", assessment_sections::tyre_rule),
    ("IdentificationFields", assessment_sections::identification_rule),
    ("DamageFields", assessment_sections::damage_rule),
    ("VehicleValuesFields", assessment_sections::vehicle_values_rule),
    ("PreIncidentEstimateFields", assessment_sections::pre_incident_rule),
    ("EstimateFields", assessment_sections::estimate_rule),
    ("NewScenario", scenarios::field_rule),
];

/// Fields of the bodies above that are not text checked by a [`Rule`].
const NOT_TEXT: &[&str] = &["version", "slug", "id"];

/// Adds the shared answers, the field rules and the shared shapes.
pub fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    if let Some(components) = &mut openapi.components {
        for (name, schema) in components.schemas.iter_mut() {
            let record = name.strip_prefix("Versioned_").unwrap_or(name);
            if let Some((_, rule)) = RULES.iter().find(|(schema_name, _)| *schema_name == record) {
                let mut required = Vec::new();
                each_property(schema, &mut |field, property| {
                    if !NOT_TEXT.contains(&field) {
                        let rule = rule(field);
                        rule.describe(property);
                        if matches!(rule, Rule::Required(..)) {
                            required.push(field.to_owned());
                        }
                    }
                });
                // A change names only what changes; a whole record must
                // carry the fields that may not be blank.
                if !record.ends_with("Changes") {
                    require(schema, &required);
                }
            }
            if name == "Schedule" || name == "Versioned_Schedule" {
                each_property(schema, &mut |field, property| {
                    if field == "location" {
                        appointments::LOCATION.describe(property);
                    }
                });
            }
            shared_shapes(schema);
        }
    }
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            shared_answers(path, operation);
            for parameter in operation.parameters.iter_mut().flatten() {
                let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema else { continue };
                if parameter.parameter_in == ParameterIn::Header {
                    // A header is absent or text, never null.
                    schema.schema_type = SchemaType::Type(Type::String);
                }
                match (&parameter.parameter_in, parameter.name.as_str()) {
                    (ParameterIn::Header, "If-Match") => {
                        parameter.description = Some(IF_MATCH.to_owned());
                    }
                    (ParameterIn::Query, "version") => at_least_zero(schema),
                    _ => uuid_pattern(schema),
                }
            }
        }
    }
}

/// Calls `describe` with each property of `schema` (inline, through `allOf`).
fn each_property(schema: &mut RefOr<Schema>, describe: &mut impl FnMut(&str, &mut Object)) {
    match schema {
        RefOr::T(Schema::Object(object)) => {
            for (field, property) in object.properties.iter_mut() {
                if let RefOr::T(Schema::Object(property)) = property {
                    describe(field, property);
                }
            }
        }
        RefOr::T(Schema::AllOf(all)) => {
            for part in &mut all.items {
                each_property(part, describe);
            }
        }
        _ => {}
    }
}

/// Marks `fields` required where `schema` (or a part of it) has them.
fn require(schema: &mut RefOr<Schema>, fields: &[String]) {
    match schema {
        RefOr::T(Schema::Object(object)) => {
            for field in fields {
                if object.properties.contains_key(field) && !object.required.contains(field) {
                    object.required.push(field.clone());
                }
            }
        }
        RefOr::T(Schema::AllOf(all)) => {
            for part in &mut all.items {
                require(part, fields);
            }
        }
        _ => {}
    }
}

/// Ids, versions, slugs and client ids as the server reads them.
fn shared_shapes(schema: &mut RefOr<Schema>) {
    each_property(schema, &mut |field, property| match field {
        "version" => at_least_zero(property),
        "slug" => {
            property.pattern = Some(SLUG.to_owned());
            property.max_length = Some(crate::slugs::MAX_LENGTH);
        }
        "id" if property.format.is_none() => property.pattern = Some(CLIENT_ID.to_owned()),
        _ => uuid_pattern(property),
    });
    if let RefOr::T(Schema::Object(object)) = schema {
        uuid_pattern(object);
        if let Some(RefOr::T(Schema::Array(ids))) = object.properties.get_mut("counselor_ids") {
            ids.min_items = Some(1);
            ids.max_items = Some(crate::assignments::MOST_AT_ONCE);
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(item) = &mut ids.items {
                if let RefOr::T(Schema::Object(item)) = item.as_mut() {
                    uuid_pattern(item);
                }
            }
        }
    }
}

fn at_least_zero(schema: &mut Object) {
    schema.minimum = Some(0.into());
    schema.maximum = Some(i32::MAX.into());
}

/// A `format: uuid` or `format: date` string also gets a pattern, so that
/// generators that ignore formats still send values the server can read.
fn uuid_pattern(schema: &mut Object) {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    match schema.format {
        Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) => schema.pattern = Some(UUID.to_owned()),
        Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => schema.pattern = Some(DATE.to_owned()),
        _ => {}
    }
}

/// The answers any operation may give that its own annotation need not
/// repeat; an operation's own description of a status wins.
fn shared_answers(path: &str, operation: &mut Operation) {
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = operation.request_body.is_some();
    // Staff, counselors and API keys with a scope: every tag but a person's
    // own cards and profile, and signing in.
    let restricted = operation
        .tags
        .iter()
        .flatten()
        .any(|tag| matches!(tag.as_str(), "clients" | "workflow" | "training" | "external"));
    let mut answer = |status: &str, description: &str| {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
    };
    if path != "/api/auth/login" {
        answer("401", "Not signed in (or no valid API key)");
    }
    if restricted {
        answer("403", "Your role (or your API key's scopes) does not allow this");
    }
    if path.contains('{') {
        answer("404", "No such record (an id that is not one of this API's names none)");
    }
    if has_parameters || has_body {
        answer("422", "A parameter or the body is malformed or invalid; `field` names it");
    }
    if has_body {
        answer("408", "The body did not arrive in time");
        answer("413", "The body is too large");
    }
    answer("503", "The database is unavailable or too busy; retry after `Retry-After` seconds");
}

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", body).into()
}

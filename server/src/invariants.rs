//! What must hold in the database whatever the load, crashes or races.
//! `lockstep check` runs these against any database; `lockstep hammer` and
//! the fault tests run them after each attack. Each check returns the
//! violations it found, named; none is good.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;
use crate::numbers::BusinessTimeZone;

/// Which promise a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A document number that is not `KIND-YEAR-NNNN` for its table.
    NumberFormat,
    /// Committed numbers of a kind and year that skip some.
    NumberGap,
    /// One number on two documents.
    NumberDuplicate,
    /// A counter that is not the highest committed number of its kind and year.
    CounterMismatch,
    /// A number whose year is not its document's creation year in the
    /// business time zone.
    NumberYear,
    /// An assessment without all of its sections.
    AssessmentSections,
    /// A counselor with two active assignments for one scenario.
    DuplicateActiveAssignment,
    /// A stored create response naming a record that does not exist (and
    /// was never deleted).
    IdempotencyOrphan,
    /// A record whose version is not the last one its audit rows record.
    VersionAudit,
}

impl Check {
    pub const ALL: [Check; 9] = [
        Check::NumberFormat,
        Check::NumberGap,
        Check::NumberDuplicate,
        Check::CounterMismatch,
        Check::NumberYear,
        Check::AssessmentSections,
        Check::DuplicateActiveAssignment,
        Check::IdempotencyOrphan,
        Check::VersionAudit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::NumberFormat => "number-format",
            Check::NumberGap => "number-gap",
            Check::NumberDuplicate => "number-duplicate",
            Check::CounterMismatch => "counter-mismatch",
            Check::NumberYear => "number-year",
            Check::AssessmentSections => "assessment-sections",
            Check::DuplicateActiveAssignment => "duplicate-active-assignment",
            Check::IdempotencyOrphan => "idempotency-orphan",
            Check::VersionAudit => "version-audit",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken promise: which, about what (numbers, ids), and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub check: Check,
    pub subject: String,
    pub detail: String,
}

impl Violation {
    fn new(check: Check, subject: impl Into<String>, detail: impl Into<String>) -> Self {
        Violation { check, subject: subject.into(), detail: detail.into() }
    }
}

/// One `check` violation per row, named and described by `found`.
fn each<R, S, D>(check: Check, rows: Vec<R>, mut found: impl FnMut(R) -> (S, D)) -> Result<Vec<Violation>>
where
    S: Into<String>,
    D: Into<String>,
{
    Ok(rows
        .into_iter()
        .map(|row| {
            let (subject, detail) = found(row);
            Violation::new(check, subject, detail)
        })
        .collect())
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.check, self.subject, self.detail)
    }
}

/// Every invariant that holds across the whole database. `zone` is the
/// business time zone the instances number documents in.
pub async fn violations(conn: &mut PgConnection, zone: &BusinessTimeZone) -> Result<Vec<Violation>> {
    let mut found = malformed_numbers(conn).await?;
    found.extend(number_gaps(conn).await?);
    found.extend(duplicate_numbers(conn).await?);
    found.extend(counter_mismatches(conn).await?);
    found.extend(numbers_in_the_wrong_year(conn, zone).await?);
    found.extend(assessments_without_sections(conn).await?);
    found.extend(duplicate_active_assignments(conn).await?);
    found.extend(idempotency_orphans(conn).await?);
    found.extend(versions_not_audited(conn).await?);
    Ok(found)
}

/// Numbers that are not what `document_number` writes for their table's kind.
async fn malformed_numbers(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind!", id AS "id!", number AS "number!"
           FROM numbered_documents WHERE NOT well_formed ORDER BY kind, number"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::NumberFormat, rows, |r| (r.number, format!("is not a {} number (document {})", r.kind, r.id)))
}

/// Per kind and year, committed numbers are exactly 1…n: each run of
/// missing numbers is one violation.
async fn number_gaps(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind!", year AS "year!", first_missing AS "first_missing!", last_missing AS "last_missing!"
           FROM (
               SELECT kind, year, lag(seq, 1, 0) OVER per_year + 1 AS first_missing, seq - 1 AS last_missing
               FROM (SELECT DISTINCT kind, year, seq FROM numbered_documents WHERE well_formed) numbers
               WINDOW per_year AS (PARTITION BY kind, year ORDER BY seq)
           ) runs
           WHERE first_missing <= last_missing
           ORDER BY kind, year, first_missing"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::NumberGap, rows, |r| {
        let missing = if r.first_missing == r.last_missing {
            format!("{:04} is missing", r.first_missing)
        } else {
            format!("{:04}…{:04} are missing", r.first_missing, r.last_missing)
        };
        (format!("{}-{}", r.kind, r.year), missing)
    })
}

async fn duplicate_numbers(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT number AS "number!", array_agg(id::text ORDER BY id) AS "ids!"
           FROM numbered_documents WHERE well_formed
           GROUP BY number HAVING count(*) > 1 ORDER BY number"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::NumberDuplicate, rows, |r| (r.number, format!("is on documents {}", r.ids.join(", "))))
}

/// Each counter equals the highest committed number of its kind and year;
/// a counter without documents (or documents without a counter) is wrong too.
async fn counter_mismatches(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT COALESCE(c.kind, d.kind) AS "kind!", COALESCE(c.year, d.year) AS "year!",
                  c.last_value AS "counter?", d.highest AS "highest?"
           FROM document_counters c
           FULL JOIN (
               SELECT kind, year, max(seq) AS highest FROM numbered_documents WHERE well_formed GROUP BY kind, year
           ) d ON d.kind = c.kind AND d.year = c.year
           WHERE c.last_value IS DISTINCT FROM d.highest
           ORDER BY 1, 2"#
    )
    .fetch_all(conn)
    .await?;
    let shown = |value: Option<i32>| value.map_or_else(|| "none".to_owned(), |v| v.to_string());
    each(Check::CounterMismatch, rows, |r| {
        let detail =
            format!("the counter is at {}, the highest committed number is {}", shown(r.counter), shown(r.highest));
        (format!("{}-{}", r.kind, r.year), detail)
    })
}

async fn numbers_in_the_wrong_year(conn: &mut PgConnection, zone: &BusinessTimeZone) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT number AS "number!", id AS "id!",
                  extract(year FROM created_at AT TIME ZONE $1)::integer AS "created_in!"
           FROM numbered_documents
           WHERE well_formed AND year <> extract(year FROM created_at AT TIME ZONE $1)::integer
           ORDER BY number"#,
        zone.as_str()
    )
    .fetch_all(conn)
    .await?;
    each(Check::NumberYear, rows, |r| {
        (r.number, format!("document {} was created in {} ({})", r.id, r.created_in, zone.as_str()))
    })
}

/// Every assessment has its identification, five tyres, damage, vehicle
/// values, pre-incident estimate and estimate.
async fn assessments_without_sections(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT number AS "number!", tyres AS "tyres!", identification AS "identification!", damage AS "damage!",
                  vehicle_values AS "vehicle_values!", pre_incident AS "pre_incident!", estimate AS "estimate!"
           FROM (
               SELECT a.number,
                      (SELECT count(*) FROM assessment_tyres s WHERE s.assessment_id = a.id) AS tyres,
                      EXISTS (SELECT 1 FROM assessment_identification s WHERE s.assessment_id = a.id) AS identification,
                      EXISTS (SELECT 1 FROM assessment_damage s WHERE s.assessment_id = a.id) AS damage,
                      EXISTS (SELECT 1 FROM assessment_vehicle_values s WHERE s.assessment_id = a.id) AS vehicle_values,
                      EXISTS (SELECT 1 FROM assessment_pre_incident_estimates s WHERE s.assessment_id = a.id)
                          AS pre_incident,
                      EXISTS (SELECT 1 FROM assessment_estimates s WHERE s.assessment_id = a.id) AS estimate
               FROM assessments a
           ) sections
           WHERE tyres <> 5 OR NOT (identification AND damage AND vehicle_values AND pre_incident AND estimate)
           ORDER BY number"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::AssessmentSections, rows, |r| {
        let mut missing = Vec::new();
        if r.tyres != 5 {
            missing.push(format!("tyres ({} of 5)", r.tyres));
        }
        for (present, section) in [
            (r.identification, "identification"),
            (r.damage, "damage"),
            (r.vehicle_values, "vehicle values"),
            (r.pre_incident, "pre-incident estimate"),
            (r.estimate, "estimate"),
        ] {
            if !present {
                missing.push(section.to_owned());
            }
        }
        (r.number, format!("lacks {}", missing.join(", ")))
    })
}

/// No counselor has two active assignments for one scenario.
async fn duplicate_active_assignments(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"SELECT counselor_id, scenario_id, array_agg(id::text ORDER BY id) AS "ids!"
           FROM assignments WHERE status <> 'completed'
           GROUP BY counselor_id, scenario_id HAVING count(*) > 1
           ORDER BY counselor_id, scenario_id"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::DuplicateActiveAssignment, rows, |r| {
        let subject = format!("counselor {} scenario {}", r.counselor_id, r.scenario_id);
        (subject, format!("active assignments {}", r.ids.join(", ")))
    })
}

/// A key stores its create's response in the create's transaction, so the
/// record it names exists, unless it was deleted since (which is audited).
async fn idempotency_orphans(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        // Each stored answer is read once (MATERIALIZED) and looked up by
        // primary key: comparing ids as text instead took minutes after a
        // soak, one full scan per key.
        r#"WITH stored AS MATERIALIZED (
               SELECT scope, key, response->>'id' AS id,
                      CASE WHEN response->>'id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                           THEN (response->>'id')::uuid END AS uuid
               FROM idempotency_keys
               WHERE status BETWEEN 200 AND 299 AND jsonb_typeof(response->'id') = 'string'
           )
           SELECT s.scope AS "scope!", s.key AS "key!", s.id AS "id!"
           FROM stored s
           WHERE NOT EXISTS (SELECT 1 FROM users r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM business_cards r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM clients r WHERE r.id = s.id)
             AND NOT EXISTS (SELECT 1 FROM numbered_documents r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM scenarios r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM assignments r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM api_keys r WHERE r.id = s.uuid)
             AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.entity_id = s.id AND l.action = 'delete')
           ORDER BY s.scope, s.key"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::IdempotencyOrphan, rows, |r| {
        (format!("key {:?} of {}", r.key, r.scope), format!("names record {}, which does not exist", r.id))
    })
}

/// Every versioned write audits the version it made, in its transaction:
/// a record's version is the highest its audit rows record.
async fn versions_not_audited(conn: &mut PgConnection) -> Result<Vec<Violation>> {
    let rows = sqlx::query!(
        r#"WITH versioned (entity, key, version) AS (
               SELECT 'business_card', id::text, version FROM business_cards
               UNION ALL SELECT 'client', id, version FROM clients
               UNION ALL SELECT 'personal_info', user_id::text, version FROM personal_info
               UNION ALL SELECT 'professional_info', user_id::text, version FROM professional_info
               UNION ALL SELECT 'appointment', id::text, version FROM appointments
               UNION ALL SELECT 'assessment', id::text, version FROM assessments
               UNION ALL SELECT 'scenario', id::text, version FROM scenarios
               UNION ALL SELECT 'assignment', id::text, version FROM assignments
           ), audited AS (
               SELECT entity, entity_id, max(new_version) AS version FROM audit_log GROUP BY entity, entity_id
           )
           SELECT v.entity AS "entity!", v.key AS "key!", v.version AS "version!", a.version AS "audited?"
           FROM versioned v LEFT JOIN audited a ON a.entity = v.entity AND a.entity_id = v.key
           WHERE a.version IS DISTINCT FROM v.version
           ORDER BY 1, 2"#
    )
    .fetch_all(conn)
    .await?;
    each(Check::VersionAudit, rows, |r| {
        let audited = r.audited.map_or_else(|| "no version".to_owned(), |v| format!("version {v}"));
        (format!("{} {}", r.entity, r.key), format!("is at version {}, its audit rows record {audited}", r.version))
    })
}

// Counts that scenario checks compare with what clients were told.

/// What the idempotency table holds for each of `keys` (any scope): the
/// stored status and the `id` of the stored answer.
pub async fn stored_keys(conn: &mut PgConnection, keys: &[String]) -> Result<Vec<(String, i16, Option<String>)>> {
    let rows =
        sqlx::query!(r#"SELECT key, status, response->>'id' AS id FROM idempotency_keys WHERE key = ANY($1)"#, keys)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.key, r.status, r.id)).collect())
}

/// The records one soak run made, by kind: the cards of its member, its
/// clients (ids starting with `client_prefix`), and their requests,
/// inspections, appointments and assessments.
pub async fn records_made_by(
    conn: &mut PgConnection,
    member: Uuid,
    client_prefix: &str,
) -> Result<BTreeMap<&'static str, i64>> {
    let row = sqlx::query!(
        r#"WITH c AS (SELECT id FROM clients WHERE starts_with(id, $2)),
                r AS (SELECT id FROM requests WHERE client_id IN (SELECT id FROM c)),
                i AS (SELECT id FROM inspections WHERE request_id IN (SELECT id FROM r)),
                p AS (SELECT id FROM appointments WHERE inspection_id IN (SELECT id FROM i))
           SELECT (SELECT count(*) FROM business_cards WHERE owner_id = $1) AS "cards!",
                  (SELECT count(*) FROM c) AS "clients!",
                  (SELECT count(*) FROM r) AS "requests!",
                  (SELECT count(*) FROM i) AS "inspections!",
                  (SELECT count(*) FROM p) AS "appointments!",
                  (SELECT count(*) FROM assessments WHERE appointment_id IN (SELECT id FROM p)) AS "assessments!""#,
        member,
        client_prefix
    )
    .fetch_one(conn)
    .await?;
    Ok(BTreeMap::from([
        ("card", row.cards),
        ("client", row.clients),
        ("request", row.requests),
        ("inspection", row.inspections),
        ("appointment", row.appointments),
        ("assessment", row.assessments),
    ]))
}

pub async fn clients_with_id(conn: &mut PgConnection, id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM clients WHERE id = $1"#, id).fetch_one(conn).await?)
}

/// How many of `ids` exist as cards.
pub async fn cards_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM business_cards WHERE id = ANY($1)"#, ids)
        .fetch_one(conn)
        .await?)
}

/// Cards of `owner` called `name`, and how many distinct slugs they have.
pub async fn cards_named(conn: &mut PgConnection, owner: Uuid, name: &str) -> Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "cards!", count(DISTINCT slug) AS "slugs!"
           FROM business_cards WHERE owner_id = $1 AND name = $2"#,
        owner,
        name
    )
    .fetch_one(conn)
    .await?;
    Ok((row.cards, row.slugs))
}

/// A card's (version, job title), if it exists.
pub async fn card_job_title(conn: &mut PgConnection, id: Uuid) -> Result<Option<(i32, String)>> {
    let row =
        sqlx::query!("SELECT version, job_title FROM business_cards WHERE id = $1", id).fetch_optional(conn).await?;
    Ok(row.map(|r| (r.version, r.job_title)))
}

/// A client's name, if it exists.
pub async fn client_name(conn: &mut PgConnection, id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT name FROM clients WHERE id = $1", id).fetch_optional(conn).await?)
}

/// The full name in a user's personal section, if it has one.
pub async fn personal_full_name(conn: &mut PgConnection, user: Uuid) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT full_name FROM personal_info WHERE user_id = $1", user).fetch_optional(conn).await?)
}

/// How many inspections a request has.
pub async fn inspections_of_request(conn: &mut PgConnection, request: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM inspections WHERE request_id = $1"#, request)
        .fetch_one(conn)
        .await?)
}

/// How many reports an assessment has.
pub async fn reports_of_assessment(conn: &mut PgConnection, assessment: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM reports WHERE assessment_id = $1"#, assessment)
        .fetch_one(conn)
        .await?)
}

pub async fn card_version(conn: &mut PgConnection, id: Uuid) -> Result<Option<i32>> {
    Ok(sqlx::query_scalar!("SELECT version FROM business_cards WHERE id = $1", id).fetch_optional(conn).await?)
}

/// (rows, version) of a user's personal section.
pub async fn personal_section(conn: &mut PgConnection, user: Uuid) -> Result<(i64, Option<i32>)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "rows!", max(version) AS version FROM personal_info WHERE user_id = $1"#,
        user
    )
    .fetch_one(conn)
    .await?;
    Ok((row.rows, row.version))
}

pub async fn assessments_of_appointment(conn: &mut PgConnection, appointment: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM assessments WHERE appointment_id = $1"#, appointment)
        .fetch_one(conn)
        .await?)
}

/// How many of `ids` exist as assessments.
pub async fn assessments_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM assessments WHERE id = ANY($1)"#, ids)
        .fetch_one(conn)
        .await?)
}

/// How many of `ids` exist as requests.
pub async fn requests_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM requests WHERE id = ANY($1)"#, ids).fetch_one(conn).await?)
}

pub async fn active_assignments(conn: &mut PgConnection, counselor: Uuid, scenario: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM assignments
           WHERE counselor_id = $1 AND scenario_id = $2 AND status <> 'completed'"#,
        counselor,
        scenario
    )
    .fetch_one(conn)
    .await?)
}

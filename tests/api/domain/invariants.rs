//! The checker checked: a database built by the application's own
//! operations passes every invariant, and each violation planted in it
//! (inside a transaction that is rolled back) is reported, by name and
//! subject, and nothing else is.

use chrono::{Duration, Utc};
use server::appointments::{self, Schedule};
use server::assessments;
use server::assignments::{self, Step};
use server::cards::{self, CardChanges, CardFields};
use server::clients::{self, ClientFields, NewClient};
use server::invariants::{self, Check};
use server::numbers::{BusinessTimeZone, Numbering};
use server::profiles::{self, PersonalFields};
use server::requests::{self, NewRequest};
use server::scenarios::{self, NewScenario};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{user, user_with_role};

/// What the application made, for the plants to aim at.
struct Made {
    year: String,
    staff: Uuid,
    assessment_number: String,
    card: Uuid,
    counselor: Uuid,
    scenario: Uuid,
}

/// Every kind of record the checks read, made the way users make them:
/// three requests (one through the whole workflow up to its report), cards
/// created with a key (one of them then deleted) and edited, a profile, a
/// scenario with an assignment in progress.
async fn made_by_the_application(pool: &PgPool) -> Made {
    let staff = user_with_role(pool, "staff@example.com", "staff").await;
    let member = user(pool, "member@example.com").await;
    let counselor = user_with_role(pool, "counselor@example.com", "counselor").await;
    let numbering = &Numbering::new(pool.clone(), BusinessTimeZone::default());

    let client =
        NewClient { id: Some("c-1".into()), fields: ClientFields { name: "Acme".into(), ..Default::default() } };
    clients::create(pool, staff.into(), &client).await.unwrap();
    let new_request = NewRequest { client_id: "c-1".into(), fields: Default::default() };
    let request = requests::create(numbering, staff.into(), &new_request, Some("request-key")).await.unwrap();
    for _ in 0..2 {
        requests::create(numbering, staff.into(), &new_request, None).await.unwrap();
    }
    let (inspection, _) = requests::inspection_for(numbering, staff.into(), request.id).await.unwrap();
    let schedule =
        Schedule { scheduled_at: Utc::now() + Duration::days(1), location: "Depot".into(), assessor_id: Some(staff) };
    let appointment =
        appointments::create(numbering, staff.into(), inspection.id, &schedule, Some("appointment-key")).await.unwrap();
    let (detail, _) = assessments::start(numbering, staff.into(), appointment.id).await.unwrap();
    assessments::complete(pool, staff.into(), detail.assessment.id, detail.assessment.version).await.unwrap();
    assessments::report_for(numbering, staff.into(), detail.assessment.id).await.unwrap();

    let named = |name: &str| CardFields { name: name.into(), ..CardFields::default() };
    let card = cards::create(pool, member, named("Kept"), Some("card-key")).await.unwrap().into_card();
    let edit = CardChanges { tagline: Some("Edited".into()), ..CardChanges::default() };
    cards::update(pool, member, card.id, card.version, edit).await.unwrap();
    let gone = cards::create(pool, member, named("Gone"), Some("gone-key")).await.unwrap().into_card();
    cards::delete(pool, member, gone.id, gone.version).await.unwrap();
    let personal = PersonalFields { full_name: "Ada Member".into(), ..PersonalFields::default() };
    profiles::save_personal(pool, member, 0, &personal).await.unwrap();

    let new_scenario = NewScenario { title: "Fire drill".into(), description: String::new() };
    let (scenario, _) = scenarios::create(pool, staff, &new_scenario, Some("scenario-key")).await.unwrap();
    let assignment = assignments::create(pool, staff.into(), counselor, scenario.id, None).await.unwrap();
    assignments::advance(pool, counselor, assignment.id, assignment.version, Step::Start).await.unwrap();

    Made {
        year: Utc::now().format("%Y").to_string(),
        staff,
        assessment_number: detail.assessment.number,
        card: card.id,
        counselor,
        scenario: scenario.id,
    }
}

async fn reported(conn: &mut PgConnection) -> Vec<(Check, String)> {
    let violations = invariants::violations(conn, &BusinessTimeZone::default()).await.unwrap();
    violations.into_iter().map(|v| (v.check, v.subject)).collect()
}

/// Runs `plant` in a transaction, returns what the checks then report in
/// it, and rolls it back.
async fn reported_after(pool: &PgPool, plant: &[String]) -> Vec<(Check, String)> {
    let mut tx = pool.begin().await.unwrap();
    for statement in plant {
        sqlx::query(statement).execute(&mut *tx).await.unwrap_or_else(|e| panic!("plant {statement:?}: {e}"));
    }
    let found = reported(&mut tx).await;
    tx.rollback().await.unwrap();
    found
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_planted_violation_is_reported_by_name(pool: PgPool) {
    let made = made_by_the_application(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(reported(&mut conn).await, vec![], "what the application made breaks nothing");
    drop(conn);

    let year = &made.year;
    let req = |n: &str| format!("REQ-{year}-{n}");
    let plants: Vec<(&str, Vec<String>, Vec<(Check, String)>)> = vec![
        (
            "a gap",
            vec![format!("DELETE FROM requests WHERE number = '{}'", req("0002"))],
            vec![(Check::NumberGap, format!("REQ-{year}"))],
        ),
        (
            "a duplicate",
            vec![
                "ALTER TABLE requests DROP CONSTRAINT requests_number_key".into(),
                format!("INSERT INTO requests (number, client_id) VALUES ('{}', 'c-1')", req("0002")),
            ],
            vec![(Check::NumberDuplicate, req("0002"))],
        ),
        (
            "a counter ahead of the rows",
            vec!["UPDATE document_counters SET last_value = last_value + 1 WHERE kind = 'REQ'".into()],
            vec![(Check::CounterMismatch, format!("REQ-{year}"))],
        ),
        (
            "a number from another year than its document",
            vec![format!(
                "UPDATE requests SET created_at = created_at - interval '1 year' WHERE number = '{}'",
                req("0003")
            )],
            vec![(Check::NumberYear, req("0003"))],
        ),
        (
            "a malformed number",
            vec![format!("UPDATE requests SET number = 'REQ-{year}-3' WHERE number = '{}'", req("0003"))],
            vec![(Check::NumberFormat, format!("REQ-{year}-3")), (Check::CounterMismatch, format!("REQ-{year}"))],
        ),
        (
            "an assessment missing a tyre",
            vec!["DELETE FROM assessment_tyres WHERE position = 'spare'".into()],
            vec![(Check::AssessmentSections, made.assessment_number.clone())],
        ),
        (
            "two active assignments for a pair (the second one audited)",
            vec![
                "DROP INDEX unique_active_assignment".into(),
                format!(
                    "WITH second AS (INSERT INTO assignments (counselor_id, scenario_id, source)
                                     VALUES ('{}', '{}', 'staff') RETURNING id)
                     INSERT INTO audit_log (entity, entity_id, action, new_version)
                     SELECT 'assignment', id::text, 'create', 1 FROM second",
                    made.counselor, made.scenario
                ),
            ],
            vec![(
                Check::DuplicateActiveAssignment,
                format!("counselor {} scenario {}", made.counselor, made.scenario),
            )],
        ),
        (
            "an idempotency key naming a record that never existed",
            vec![
                "UPDATE idempotency_keys SET response = jsonb_set(response, '{id}', to_jsonb(gen_random_uuid()::text))
                 WHERE key = 'request-key'"
                    .into(),
            ],
            vec![(Check::IdempotencyOrphan, format!("key \"request-key\" of {}", made.staff))],
        ),
        (
            "a version no audit row records",
            vec![format!("UPDATE business_cards SET version = version + 1 WHERE id = '{}'", made.card)],
            vec![(Check::VersionAudit, format!("business_card {}", made.card))],
        ),
    ];

    let mut planted = Vec::new();
    for (what, plant, expected) in &plants {
        assert_eq!(&reported_after(&pool, plant).await, expected, "after planting {what}");
        planted.extend(expected.iter().map(|(check, _)| *check));
    }
    let unplanted: Vec<_> = Check::ALL.into_iter().filter(|check| !planted.contains(check)).collect();
    assert_eq!(unplanted, vec![], "every check is seen failing on a plant");
}

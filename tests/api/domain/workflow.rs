//! Start-assessment under deterministic interleavings, and the shape of
//! what it creates.

use chrono::{Duration, Utc};
use server::appointments::{self, Schedule};
use server::assessments;
use server::clients::{self, ClientFields, NewClient};
use server::numbers::{BusinessTimeZone, Numbering};
use server::requests::{self, NewRequest};
use sqlx::PgPool;
use uuid::Uuid;

use super::{behind, user_with_role, End};

/// A staff user and an appointment ready to be assessed.
async fn appointment(pool: &PgPool) -> (Uuid, Uuid) {
    let staff = user_with_role(pool, "staff@example.com", "staff").await;
    let numbering = &Numbering::new(pool.clone(), BusinessTimeZone::default());
    let client =
        NewClient { id: Some("c-1".into()), fields: ClientFields { name: "Acme".into(), ..Default::default() } };
    clients::create(pool, staff.into(), &client).await.unwrap();
    let request = requests::create(
        numbering,
        staff.into(),
        &NewRequest { client_id: "c-1".into(), fields: Default::default() },
        None,
    )
    .await
    .unwrap();
    let (inspection, _) = requests::inspection_for(numbering, staff.into(), request.id).await.unwrap();
    let schedule =
        Schedule { scheduled_at: Utc::now() + Duration::days(1), location: "Depot".into(), assessor_id: Some(staff) };
    let appointment = appointments::create(numbering, staff.into(), inspection.id, &schedule, None).await.unwrap();
    (staff, appointment.id)
}

/// Runs start_assessment in a transaction that stays open.
async fn open_start(
    pool: &PgPool,
    staff: Uuid,
    appointment: Uuid,
) -> (sqlx::Transaction<'static, sqlx::Postgres>, Uuid) {
    let mut tx = pool.begin().await.unwrap();
    let (id, created): (Uuid, bool) = sqlx::query_as("SELECT * FROM start_assessment($1, $2, 'UTC')")
        .bind(appointment)
        .bind(staff)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(created);
    (tx, id)
}

async fn counts(pool: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM assessments), (SELECT count(*) FROM assessment_tyres),
                (SELECT count(*) FROM assessment_estimates), (SELECT COALESCE(max(last_value), 0)::bigint FROM document_counters WHERE kind = 'ASM')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Starts the assessment of an appointment behind another start of it held
/// open that then ends as told: the first start's assessment id, and what
/// the second start returned.
async fn start_behind_an_open_start(pool: &PgPool, end: End) -> (Uuid, (assessments::AssessmentDetail, bool)) {
    let (staff, appointment) = appointment(pool).await;
    let (first, first_id) = open_start(pool, staff, appointment).await;
    let owned = pool.clone();
    let second = behind(pool, first, end, async move {
        assessments::start(&Numbering::new(owned, BusinessTimeZone::default()), staff.into(), appointment).await
    });
    (first_id, second.await.expect("the second start succeeds"))
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_start_waiting_on_another_start_returns_its_assessment_when_it_commits(pool: PgPool) {
    let (first_id, (detail, created)) = start_behind_an_open_start(&pool, End::Commit).await;
    assert!(!created);
    assert_eq!(detail.assessment.id, first_id);
    assert_eq!(counts(&pool).await, (1, 5, 1, 1), "one assessment, its sections, one number");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_start_waiting_on_another_start_creates_it_when_that_rolls_back(pool: PgPool) {
    let (_, (detail, created)) = start_behind_an_open_start(&pool, End::Rollback).await;
    assert!(created);
    let year = Utc::now().format("%Y");
    assert_eq!(detail.assessment.number, format!("ASM-{year}-0001"), "the rolled-back number was given back");
    assert_eq!(detail.tyres.len(), 5);
    assert_eq!(counts(&pool).await, (1, 5, 1, 1));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_unknown_appointment_is_not_found(pool: PgPool) {
    let (staff, _) = appointment(&pool).await;
    let outcome =
        assessments::start(&Numbering::new(pool.clone(), BusinessTimeZone::default()), staff.into(), Uuid::new_v4())
            .await;
    assert!(matches!(outcome, Err(server::Error::NotFound)), "{outcome:?}");
    assert_eq!(counts(&pool).await, (0, 0, 0, 0), "no number drawn");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_report_needs_a_completed_assessment_and_is_numbered_once(pool: PgPool) {
    let (staff, appointment) = appointment(&pool).await;
    let numbering = &Numbering::new(pool.clone(), BusinessTimeZone::default());
    let (detail, _) = assessments::start(numbering, staff.into(), appointment).await.unwrap();
    let id = detail.assessment.id;
    assert!(matches!(assessments::report_for(numbering, staff.into(), id).await, Err(server::Error::Invalid { .. })));
    assessments::complete(&pool, staff.into(), id, 1).await.unwrap();
    let (first, created) = assessments::report_for(numbering, staff.into(), id).await.unwrap();
    assert!(created);
    let (again, created) = assessments::report_for(numbering, staff.into(), id).await.unwrap();
    assert!(!created);
    assert_eq!(first, again);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_stored_name_the_model_does_not_know_is_a_decode_error_not_a_guess(pool: PgPool) {
    use server::assessments::Tab;
    use server::assignments::AssignmentStatus;

    let known = sqlx::query_scalar::<_, AssignmentStatus>("SELECT 'in_progress'::text").fetch_one(&pool).await;
    assert_eq!(known.ok(), Some(AssignmentStatus::InProgress));
    let tabs = sqlx::query_scalar::<_, Vec<Tab>>("SELECT ARRAY['damage', 'summary']::text[]").fetch_one(&pool).await;
    assert_eq!(tabs.ok(), Some(vec![Tab::Damage, Tab::Summary]));

    let unknown = sqlx::query_scalar::<_, AssignmentStatus>("SELECT 'done'::text").fetch_one(&pool).await;
    assert!(unknown.is_err(), "an unknown status must not be read as some status: {unknown:?}");
    let unknown_tab =
        sqlx::query_scalar::<_, Vec<Tab>>("SELECT ARRAY['damage', 'nonsense']::text[]").fetch_one(&pool).await;
    assert!(unknown_tab.is_err(), "an unknown tab must not be read as some tab: {unknown_tab:?}");
}

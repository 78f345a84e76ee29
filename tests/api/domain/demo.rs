//! The demo data: a whole small business, seeded once however often (and
//! however many at a time) it is asked for, and never into real data.

use server::numbers::BusinessTimeZone;
use sqlx::PgPool;

/// How many rows each seeded table has.
async fn census(pool: &PgPool) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "clients",
        "requests",
        "inspections",
        "appointments",
        "assessments",
        "reports",
        "business_cards",
        "scenarios",
        "assignments",
        "audit_log",
    ] {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap();
        counts.push((table.to_owned(), count));
    }
    counts
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_demo_is_seeded_once_however_often_it_runs(pool: PgPool) {
    let zone = BusinessTimeZone::default();
    // Two runs at once, then a third after the idempotency keys are gone.
    let (first, second) = tokio::join!(server::demo::seed(&pool, &zone), server::demo::seed(&pool, &zone));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.is_empty() != second.is_empty(), "one run seeds, the other finds it done: {first:?} {second:?}");
    let seeded = if first.is_empty() { second } else { first };
    assert_eq!((seeded.accounts, seeded.clients, seeded.cards, seeded.scenarios, seeded.assignments), (5, 5, 2, 2, 3));
    // Requests 5, inspections 4, appointments 3, assessments 2, report 1.
    assert_eq!(seeded.documents, 15);
    let after_first = census(&pool).await;
    for (table, count) in &after_first {
        assert!(*count > 0, "{table} has demo rows");
    }

    sqlx::query("DELETE FROM idempotency_keys").execute(&pool).await.unwrap();
    let again = server::demo::seed(&pool, &zone).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(census(&pool).await, after_first);

    let mut conn = pool.acquire().await.unwrap();
    let violations = server::invariants::violations(&mut conn, &zone).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    // Every stage shows: the report exists for the last client.
    let reported: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reports r JOIN assessments a ON a.id = r.assessment_id WHERE a.status = 'completed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reported, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_demo_refuses_a_database_with_accounts_of_its_own(pool: PgPool) {
    super::user(&pool, "real.person@example.com").await;
    let refused = server::demo::seed(&pool, &BusinessTimeZone::default()).await;
    assert!(matches!(&refused, Err(server::Error::Invalid { field, .. }) if field == "database"), "{refused:?}");
    let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients").fetch_one(&pool).await.unwrap();
    assert_eq!(clients, 0);
}

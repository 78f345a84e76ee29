//! Document numbers: gapless among committed transactions, per kind and
//! business-time-zone year, under real concurrency and interleavings.

use chrono::{DateTime, TimeZone, Utc};
use server::numbers::{self, BusinessTimeZone, Kind};
use sqlx::PgPool;

use super::until_a_backend_waits_on_a_lock;

fn utc() -> BusinessTimeZone {
    BusinessTimeZone::default()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("a timestamp").with_timezone(&Utc)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn numbers_count_per_kind_and_grow_past_four_digits(pool: PgPool) {
    let now = at("2026-06-01T12:00:00Z");
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(numbers::next(&mut conn, Kind::Request, now, &utc()).await.unwrap(), "REQ-2026-0001");
    assert_eq!(numbers::next(&mut conn, Kind::Request, now, &utc()).await.unwrap(), "REQ-2026-0002");
    assert_eq!(numbers::next(&mut conn, Kind::Assessment, now, &utc()).await.unwrap(), "ASM-2026-0001");
    sqlx::query("UPDATE document_counters SET last_value = 9999 WHERE kind = 'REQ'").execute(&pool).await.unwrap();
    assert_eq!(numbers::next(&mut conn, Kind::Request, now, &utc()).await.unwrap(), "REQ-2026-10000");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_year_is_the_business_time_zones(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    let last_second = at("2026-12-31T23:59:59Z");
    let first_second = at("2027-01-01T00:00:00Z");
    assert_eq!(numbers::next(&mut conn, Kind::Report, last_second, &utc()).await.unwrap(), "RPT-2026-0001");
    assert_eq!(numbers::next(&mut conn, Kind::Report, first_second, &utc()).await.unwrap(), "RPT-2027-0001");

    // 23:30 UTC on 31 December is already the new year in Berlin.
    let berlin = BusinessTimeZone::new("Europe/Berlin");
    let late_utc = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
    assert_eq!(numbers::next(&mut conn, Kind::Inspection, late_utc, &berlin).await.unwrap(), "INS-2027-0001");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_rolled_back_number_is_given_to_the_one_waiting(pool: PgPool) {
    let now = at("2026-06-01T12:00:00Z");
    let mut first = pool.begin().await.unwrap();
    assert_eq!(numbers::next(&mut first, Kind::Request, now, &utc()).await.unwrap(), "REQ-2026-0001");

    let second = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let number = numbers::next(&mut tx, Kind::Request, now, &utc()).await.unwrap();
            tx.commit().await.unwrap();
            number
        }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.rollback().await.unwrap();
    assert_eq!(second.await.unwrap(), "REQ-2026-0001", "no gap: the number came back");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_committed_number_makes_the_one_waiting_take_the_next(pool: PgPool) {
    let now = at("2026-06-01T12:00:00Z");
    let mut first = pool.begin().await.unwrap();
    numbers::next(&mut first, Kind::Request, now, &utc()).await.unwrap();

    let second = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let number = numbers::next(&mut tx, Kind::Request, now, &utc()).await.unwrap();
            tx.commit().await.unwrap();
            number
        }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), "REQ-2026-0002", "no duplicate");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn concurrent_draws_with_rollbacks_leave_no_gap_among_committed_numbers(pool: PgPool) {
    let now = at("2026-06-01T12:00:00Z");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(60));
    let draws = (0..60).map(|i| {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            let mut tx = pool.begin().await.unwrap();
            let number = numbers::next(&mut tx, Kind::Request, now, &utc()).await.unwrap();
            // Every third transaction fails after drawing its number.
            if i % 3 == 0 {
                tx.rollback().await.unwrap();
                None
            } else {
                tx.commit().await.unwrap();
                Some(number)
            }
        })
    });
    let mut committed: Vec<String> =
        futures::future::join_all(draws).await.into_iter().filter_map(|r| r.expect("task")).collect();
    committed.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("REQ-2026-{n:04}")).collect();
    assert_eq!(committed, expected);
}

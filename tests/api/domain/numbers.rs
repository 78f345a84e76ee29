//! Document numbers: gapless among committed transactions, per kind and
//! business-time-zone year, under real concurrency and interleavings.

use chrono::{DateTime, TimeZone, Utc};
use server::numbers::{self, BusinessTimeZone, Kind};
use sqlx::PgPool;

use super::{behind, End};

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

/// Draws a request number in a transaction of its own, behind a first draw
/// held open that then ends as told: the first number, and the second.
async fn draw_behind_an_open_draw(pool: &PgPool, end: End) -> (String, String) {
    let now = at("2026-06-01T12:00:00Z");
    let mut first = pool.begin().await.unwrap();
    let first_number = numbers::next(&mut first, Kind::Request, now, &utc()).await.unwrap();
    let owned = pool.clone();
    let second = behind(pool, first, end, async move {
        let mut tx = owned.begin().await.unwrap();
        let number = numbers::next(&mut tx, Kind::Request, now, &utc()).await.unwrap();
        tx.commit().await.unwrap();
        number
    });
    (first_number, second.await)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_rolled_back_number_is_given_to_the_one_waiting(pool: PgPool) {
    let (first, second) = draw_behind_an_open_draw(&pool, End::Rollback).await;
    assert_eq!(first, "REQ-2026-0001");
    assert_eq!(second, "REQ-2026-0001", "no gap: the number came back");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_committed_number_makes_the_one_waiting_take_the_next(pool: PgPool) {
    let (_, second) = draw_behind_an_open_draw(&pool, End::Commit).await;
    assert_eq!(second, "REQ-2026-0002", "no duplicate");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn concurrent_draws_with_rollbacks_leave_no_gap_among_committed_numbers(pool: PgPool) {
    let now = at("2026-06-01T12:00:00Z");
    let draws = crate::common::at_once(60, |i| {
        let pool = pool.clone();
        async move {
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
        }
    })
    .await;
    let mut committed: Vec<String> = draws.into_iter().flatten().collect();
    committed.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("REQ-2026-{n:04}")).collect();
    assert_eq!(committed, expected);
}

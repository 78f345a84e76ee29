//! The profile upsert under deterministic interleavings: one save held
//! open in a transaction while another connection's save waits for it
//! (observed in pg_stat_activity), then commit or rollback.

use server::profiles::{self, PersonalFields, PersonalInfo, Saved};
use server::Error;
use sqlx::PgPool;
use uuid::Uuid;

use super::{behind, conflict, user, End};

fn named(full_name: &str) -> PersonalFields {
    PersonalFields { full_name: full_name.to_owned(), ..PersonalFields::default() }
}

/// A first save (row insert) held open.
async fn open_first_save(pool: &PgPool, user: Uuid) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO personal_info (user_id, full_name) VALUES ($1, 'First')")
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// An update from version 1 held open.
async fn open_update(pool: &PgPool, user: Uuid) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    let updated =
        sqlx::query("UPDATE personal_info SET full_name = 'First', version = 2 WHERE user_id = $1 AND version = 1")
            .bind(user)
            .execute(&mut *tx)
            .await
            .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    tx
}

/// Ada saves "Second" from version 0, behind another first save held open
/// that then ends as told.
async fn first_save_behind_a_first_save(pool: &PgPool, end: End) -> server::Result<Saved<PersonalInfo>> {
    let ada = user(pool, "ada@example.com").await;
    let first = open_first_save(pool, ada).await;
    let owned = pool.clone();
    behind(pool, first, end, async move { profiles::save_personal(&owned, ada, 0, &named("Second")).await }).await
}

/// Ada saves "Second" from version 1, behind another update of version 1
/// held open that then ends as told.
async fn update_behind_an_update(pool: &PgPool, end: End) -> server::Result<Saved<PersonalInfo>> {
    let ada = user(pool, "ada@example.com").await;
    profiles::save_personal(pool, ada, 0, &named("Original")).await.unwrap();
    let first = open_update(pool, ada).await;
    let owned = pool.clone();
    behind(pool, first, end, async move { profiles::save_personal(&owned, ada, 1, &named("Second")).await }).await
}

/// The waiting save lost: it was refused with the first save's row, at
/// `version`.
fn assert_lost_to_the_first(outcome: server::Result<Saved<PersonalInfo>>, version: i32) {
    let current = conflict(outcome);
    assert_eq!(current["version"], version);
    assert_eq!(current["full_name"], "First");
}

/// The waiting save applied: the row is its own, at `version`.
fn assert_applied(saved: Saved<PersonalInfo>, is_new: bool, version: i32) {
    assert_eq!(saved.is_new, is_new);
    assert_eq!((saved.section.version, saved.section.full_name.as_str()), (version, "Second"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_first_save_waiting_on_another_first_save_conflicts_when_it_commits(pool: PgPool) {
    assert_lost_to_the_first(first_save_behind_a_first_save(&pool, End::Commit).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_first_save_waiting_on_another_first_save_creates_the_row_when_it_rolls_back(pool: PgPool) {
    let saved = first_save_behind_a_first_save(&pool, End::Rollback).await;
    assert_applied(saved.expect("the second save creates the row"), true, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_another_update_conflicts_when_it_commits(pool: PgPool) {
    assert_lost_to_the_first(update_behind_an_update(&pool, End::Commit).await, 2);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_another_update_applies_when_it_rolls_back(pool: PgPool) {
    let saved = update_behind_an_update(&pool, End::Rollback).await;
    assert_applied(saved.expect("the second save applies"), false, 2);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn saves_are_audited_and_bad_fields_store_nothing(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let bad = PersonalFields { primary_email: "not an email".into(), ..named("Ada") };
    match profiles::save_personal(&pool, ada, 0, &bad).await {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "primary_email"),
        other => panic!("expected a field error, got {other:?}"),
    }
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(profiles::personal(&mut conn, ada).await.unwrap().version, 0, "nothing stored");

    profiles::save_personal(&pool, ada, 0, &named("Ada")).await.unwrap();
    profiles::save_personal(&pool, ada, 1, &named("Ada L.")).await.unwrap();
    // A version the client cannot have seen: 409 carrying what is stored.
    assert!(matches!(profiles::save_personal(&pool, ada, 7, &named("x")).await, Err(Error::VersionConflict { .. })));
    let audit: Vec<(String, String, Option<i32>, Option<i32>)> = sqlx::query_as(
        "SELECT entity, action, old_version, new_version FROM audit_log WHERE entity = 'personal_info' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        vec![
            ("personal_info".into(), "create".into(), None, Some(1)),
            ("personal_info".into(), "update".into(), Some(1), Some(2)),
        ]
    );
}

//! The profile upsert under deterministic interleavings: one save held
//! open in a transaction while another connection's save waits for it
//! (observed in pg_stat_activity), then commit or rollback.

use server::profiles::{self, PersonalFields};
use server::Error;
use sqlx::PgPool;
use uuid::Uuid;

use super::until_a_backend_waits_on_a_lock;

async fn user(pool: &PgPool) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash) VALUES ('ada@example.com', 'Ada', 'x') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("insert user")
}

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

fn spawn_save(
    pool: &PgPool,
    user: Uuid,
    expected: i32,
) -> tokio::task::JoinHandle<server::Result<profiles::Saved<profiles::PersonalInfo>>> {
    let pool = pool.clone();
    tokio::spawn(async move { profiles::save_personal(&pool, user, expected, &named("Second")).await })
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_first_save_waiting_on_another_first_save_conflicts_when_it_commits(pool: PgPool) {
    let ada = user(&pool).await;
    let first = open_first_save(&pool, ada).await;
    let second = spawn_save(&pool, ada, 0);
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();

    match second.await.unwrap() {
        Err(Error::VersionConflict { current }) => {
            assert_eq!(current["version"], 1);
            assert_eq!(current["full_name"], "First");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_first_save_waiting_on_another_first_save_creates_the_row_when_it_rolls_back(pool: PgPool) {
    let ada = user(&pool).await;
    let first = open_first_save(&pool, ada).await;
    let second = spawn_save(&pool, ada, 0);
    until_a_backend_waits_on_a_lock(&pool).await;
    first.rollback().await.unwrap();

    let saved = second.await.unwrap().expect("the second save creates the row");
    assert!(saved.is_new);
    assert_eq!((saved.section.version, saved.section.full_name.as_str()), (1, "Second"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_another_update_conflicts_when_it_commits(pool: PgPool) {
    let ada = user(&pool).await;
    profiles::save_personal(&pool, ada, 0, &named("Original")).await.unwrap();
    let first = open_update(&pool, ada).await;
    let second = spawn_save(&pool, ada, 1);
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();

    match second.await.unwrap() {
        Err(Error::VersionConflict { current }) => {
            assert_eq!(current["version"], 2);
            assert_eq!(current["full_name"], "First");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_another_update_applies_when_it_rolls_back(pool: PgPool) {
    let ada = user(&pool).await;
    profiles::save_personal(&pool, ada, 0, &named("Original")).await.unwrap();
    let first = open_update(&pool, ada).await;
    let second = spawn_save(&pool, ada, 1);
    until_a_backend_waits_on_a_lock(&pool).await;
    first.rollback().await.unwrap();

    let saved = second.await.unwrap().expect("the second save applies");
    assert!(!saved.is_new);
    assert_eq!((saved.section.version, saved.section.full_name.as_str()), (2, "Second"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn saves_are_audited_and_bad_fields_store_nothing(pool: PgPool) {
    let ada = user(&pool).await;
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

//! Card writes under deterministic interleavings: a transaction held open
//! on one connection while another connection's write waits for it, then
//! commit or rollback. "Waits" is observed in pg_stat_activity, not guessed
//! with sleeps.

use server::cards::{self, Card, CardChanges, CardFields};
use server::Error;
use sqlx::PgPool;
use uuid::Uuid;

use super::until_a_backend_waits_on_a_lock;

async fn user(pool: &PgPool, email: &str) -> Uuid {
    // The hash is never checked here; these tests do not sign in.
    sqlx::query_scalar("INSERT INTO users (email, display_name, password_hash) VALUES ($1, 'Test', 'x') RETURNING id")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("insert user")
}

fn named(name: &str) -> CardFields {
    CardFields { name: name.to_owned(), ..CardFields::default() }
}

async fn card_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM business_cards").fetch_one(pool).await.expect("count cards")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_waiting_on_the_same_slug_draws_another_when_the_first_commits(pool: PgPool) {
    let (ada, grace) = (user(&pool, "ada@example.com").await, user(&pool, "grace@example.com").await);
    let mut first = pool.begin().await.unwrap();
    let first_card = cards::insert(&mut *first, ada, &cards::validated(named("My Card")).unwrap()).await.unwrap();
    assert_eq!(first_card.slug, "my-card");

    let second = tokio::spawn({
        let pool = pool.clone();
        async move { cards::create(&pool, grace, named("My Card"), None).await }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();

    let second_card = second.await.unwrap().expect("the second create succeeds").into_card();
    let suffix = second_card.slug.strip_prefix("my-card-").expect("a suffixed slug");
    assert_eq!(suffix.len(), 6);
    assert!(suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{suffix}");
    assert_eq!(card_count(&pool).await, 2);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_waiting_on_the_same_slug_takes_it_when_the_first_rolls_back(pool: PgPool) {
    let (ada, grace) = (user(&pool, "ada@example.com").await, user(&pool, "grace@example.com").await);
    let mut first = pool.begin().await.unwrap();
    cards::insert(&mut *first, ada, &cards::validated(named("My Card")).unwrap()).await.unwrap();

    let second = tokio::spawn({
        let pool = pool.clone();
        async move { cards::create(&pool, grace, named("My Card"), None).await }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.rollback().await.unwrap();

    let second_card = second.await.unwrap().expect("the second create succeeds").into_card();
    assert_eq!(second_card.slug, "my-card", "the freed slug goes to the one who waited");
    assert_eq!(card_count(&pool).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn running_out_of_slug_attempts_is_a_clear_field_error(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    cards::create(&pool, ada, named("My Card"), None).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let outcome = cards::insert_with_attempts(&mut *tx, ada, &cards::validated(named("My Card")).unwrap(), 1).await;
    match outcome {
        Err(Error::AlreadyExists { field, message }) => {
            assert_eq!(field, "name");
            assert!(message.contains("free address"), "{message}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn reserved_and_empty_names_never_become_bare_slugs(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let admin = cards::create(&pool, ada, named("Admin"), None).await.unwrap().into_card();
    assert!(admin.slug.starts_with("admin-") && admin.slug.len() == "admin-".len() + 6, "{}", admin.slug);
    let symbols = cards::create(&pool, ada, named("!!!"), None).await.unwrap().into_card();
    assert_eq!(symbols.slug, "card");
    let accents = cards::create(&pool, ada, named("Zoë's Café"), None).await.unwrap().into_card();
    assert_eq!(accents.slug, "zoes-cafe");

    // Asking for a reserved slug explicitly is refused as well.
    let outcome =
        cards::update(&pool, ada, accents.id, 1, CardChanges { slug: Some("login".into()), ..Default::default() })
            .await;
    assert!(matches!(outcome, Err(Error::Invalid { ref field, .. }) if field == "slug"), "{outcome:?}");
}

/// Holds an update of `card` from version 1 open in its own transaction.
async fn open_update(pool: &PgPool, card: &Card, tagline: &str) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    let updated =
        sqlx::query("UPDATE business_cards SET tagline = $2, version = version + 1 WHERE id = $1 AND version = 1")
            .bind(card.id)
            .bind(tagline)
            .execute(&mut *tx)
            .await
            .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    tx
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_the_same_version_conflicts_when_the_first_commits(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let card = cards::create(&pool, ada, named("My Card"), None).await.unwrap().into_card();
    let first = open_update(&pool, &card, "first").await;

    let second = tokio::spawn({
        let pool = pool.clone();
        let changes = CardChanges { company: Some("Second Ltd".into()), ..Default::default() };
        async move { cards::update(&pool, ada, card.id, 1, changes).await }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();

    match second.await.unwrap() {
        Err(Error::VersionConflict { current }) => {
            assert_eq!(current["version"], 2);
            assert_eq!(current["tagline"], "first", "the conflict carries the winner's card");
            assert_eq!(current["company"], "");
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
    let audit: Vec<(String, Option<i32>, Option<i32>)> =
        sqlx::query_as("SELECT action, old_version, new_version FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(card.id.to_string())
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit, vec![("create".to_owned(), None, Some(1))], "a refused update writes no audit row");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_the_same_version_wins_when_the_first_rolls_back(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let card = cards::create(&pool, ada, named("My Card"), None).await.unwrap().into_card();
    let first = open_update(&pool, &card, "first").await;

    let second = tokio::spawn({
        let pool = pool.clone();
        let changes = CardChanges { company: Some("Second Ltd".into()), ..Default::default() };
        async move { cards::update(&pool, ada, card.id, 1, changes).await }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.rollback().await.unwrap();

    let updated = second.await.unwrap().expect("the second update applies");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.company, "Second Ltd");
    assert_eq!(updated.tagline, "", "nothing of the rolled-back update remains");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_delete_racing_an_update_leaves_one_outcome(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let card = cards::create(&pool, ada, named("My Card"), None).await.unwrap().into_card();
    let first = open_update(&pool, &card, "first").await;

    let delete = tokio::spawn({
        let pool = pool.clone();
        async move { cards::delete(&pool, ada, card.id, 1).await }
    });
    until_a_backend_waits_on_a_lock(&pool).await;
    first.commit().await.unwrap();

    assert!(
        matches!(delete.await.unwrap(), Err(Error::VersionConflict { .. })),
        "a delete of a stale version is refused"
    );
    assert_eq!(card_count(&pool).await, 1);
    cards::delete(&pool, ada, card.id, 2).await.expect("a delete of the current version applies");
    assert!(matches!(cards::delete(&pool, ada, card.id, 2).await, Err(Error::NotFound)));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn someone_elses_card_is_not_found(pool: PgPool) {
    let (ada, grace) = (user(&pool, "ada@example.com").await, user(&pool, "grace@example.com").await);
    let card = cards::create(&pool, ada, named("My Card"), None).await.unwrap().into_card();
    let changes = CardChanges { tagline: Some("mine now".into()), ..Default::default() };
    assert!(matches!(cards::update(&pool, grace, card.id, 1, changes).await, Err(Error::NotFound)));
    assert!(matches!(cards::delete(&pool, grace, card.id, 1).await, Err(Error::NotFound)));
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(cards::find(&mut conn, ada, card.id).await.unwrap().map(|c| c.version), Some(1));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_taken_slug_is_a_field_error(pool: PgPool) {
    let ada = user(&pool, "ada@example.com").await;
    let taken = cards::create(&pool, ada, named("Taken"), None).await.unwrap().into_card();
    let card = cards::create(&pool, ada, named("Mine"), None).await.unwrap().into_card();
    let outcome =
        cards::update(&pool, ada, card.id, 1, CardChanges { slug: Some(taken.slug), ..Default::default() }).await;
    match outcome {
        Err(error @ Error::AlreadyExists { .. }) => {
            assert_eq!(error.status(), axum::http::StatusCode::CONFLICT);
            assert!(matches!(error, Error::AlreadyExists { ref field, .. } if field == "slug"));
        }
        other => panic!("expected a slug field error, got {other:?}"),
    }
}

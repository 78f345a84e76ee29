//! Card writes under deterministic interleavings: a transaction held open
//! on one connection while another connection's write waits for it, then
//! commit or rollback. "Waits" is observed in pg_stat_activity, not guessed
//! with sleeps.

use server::cards::{self, Card, CardChanges, CardFields, Created};
use server::Error;
use sqlx::PgPool;

use super::{behind, conflict, user, End};

fn named(name: &str) -> CardFields {
    CardFields { name: name.to_owned(), ..CardFields::default() }
}

async fn card_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM business_cards").fetch_one(pool).await.expect("count cards")
}

/// Grace creates "My Card" while Ada's insert of a card of that name is
/// held open, which then ends as told: Ada's card, and what Grace got.
async fn create_behind_a_create_of_the_same_name(pool: &PgPool, end: End) -> (Card, server::Result<Created>) {
    let (ada, grace) = (user(pool, "ada@example.com").await, user(pool, "grace@example.com").await);
    let mut first = pool.begin().await.unwrap();
    let first_card = cards::insert(&mut *first, ada, &cards::validated(named("My Card")).unwrap()).await.unwrap();
    let owned = pool.clone();
    let second = behind(pool, first, end, async move { cards::create(&owned, grace, named("My Card"), None).await });
    (first_card, second.await)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_waiting_on_the_same_slug_draws_another_when_the_first_commits(pool: PgPool) {
    let (first_card, second) = create_behind_a_create_of_the_same_name(&pool, End::Commit).await;
    assert_eq!(first_card.slug, "my-card");
    let second_card = second.expect("the second create succeeds").into_card();
    let suffix = second_card.slug.strip_prefix("my-card-").expect("a suffixed slug");
    assert_eq!(suffix.len(), 6);
    assert!(suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{suffix}");
    assert_eq!(card_count(&pool).await, 2);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_waiting_on_the_same_slug_takes_it_when_the_first_rolls_back(pool: PgPool) {
    let (_, second) = create_behind_a_create_of_the_same_name(&pool, End::Rollback).await;
    let second_card = second.expect("the second create succeeds").into_card();
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

/// Ada's card, and an update of it from version 1 held open in its own
/// transaction (it sets the tagline to "first").
async fn card_with_an_open_update(pool: &PgPool) -> (uuid::Uuid, Card, sqlx::Transaction<'static, sqlx::Postgres>) {
    let ada = user(pool, "ada@example.com").await;
    let card = cards::create(pool, ada, named("My Card"), None).await.unwrap().into_card();
    let mut tx = pool.begin().await.unwrap();
    let updated =
        sqlx::query("UPDATE business_cards SET tagline = $2, version = version + 1 WHERE id = $1 AND version = 1")
            .bind(card.id)
            .bind("first")
            .execute(&mut *tx)
            .await
            .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    (ada, card, tx)
}

/// A second update from version 1 (of the company), run behind the open
/// one, which then ends as told: the card, and what the second got.
async fn update_behind_an_update_of_the_same_version(pool: &PgPool, end: End) -> (Card, server::Result<Card>) {
    let (ada, card, first) = card_with_an_open_update(pool).await;
    let (owned, id) = (pool.clone(), card.id);
    let changes = CardChanges { company: Some("Second Ltd".into()), ..Default::default() };
    let second = behind(pool, first, end, async move { cards::update(&owned, ada, id, 1, changes).await });
    (card, second.await)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_update_waiting_on_the_same_version_conflicts_when_the_first_commits(pool: PgPool) {
    let (card, second) = update_behind_an_update_of_the_same_version(&pool, End::Commit).await;
    let current = conflict(second);
    assert_eq!(current["version"], 2);
    assert_eq!(current["tagline"], "first", "the conflict carries the winner's card");
    assert_eq!(current["company"], "");
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
    let (_, second) = update_behind_an_update_of_the_same_version(&pool, End::Rollback).await;
    let updated = second.expect("the second update applies");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.company, "Second Ltd");
    assert_eq!(updated.tagline, "", "nothing of the rolled-back update remains");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_delete_racing_an_update_leaves_one_outcome(pool: PgPool) {
    let (ada, card, first) = card_with_an_open_update(&pool).await;
    let (owned, id) = (pool.clone(), card.id);
    let delete = behind(&pool, first, End::Commit, async move { cards::delete(&owned, ada, id, 1).await }).await;

    assert!(matches!(delete, Err(Error::VersionConflict { .. })), "a delete of a stale version is refused");
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

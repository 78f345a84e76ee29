//! The check behind showing a key handed over in a cookie: only a key the
//! admin just made, presented whole.

use server::api_keys::{self, Scope};
use sqlx::PgPool;

use super::user_with_role;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn only_a_key_this_admin_just_made_counts_as_just_issued(pool: PgPool) {
    let ada = user_with_role(&pool, "ada@example.test", "admin").await;
    let eve = user_with_role(&pool, "eve@example.test", "admin").await;
    let mut conn = pool.acquire().await.unwrap();
    let issued = api_keys::create(&mut conn, "Portal", &Scope::ALL, None, Some(ada)).await.unwrap();

    let found = api_keys::just_issued(&mut conn, &issued.secret, ada).await.unwrap();
    assert_eq!(found.map(|key| (key.id, key.name)), Some((issued.key.id, "Portal".to_owned())));
    // Another admin's, a forged secret with a real prefix, and garbage are not.
    assert!(api_keys::just_issued(&mut conn, &issued.secret, eve).await.unwrap().is_none());
    let forged = format!("lsk_{}_{}", issued.key.prefix, "0".repeat(64));
    assert!(api_keys::just_issued(&mut conn, &forged, ada).await.unwrap().is_none());
    assert!(api_keys::just_issued(&mut conn, "not a key", ada).await.unwrap().is_none());
    // Nor an old one, nor a revoked one.
    sqlx::query("UPDATE api_keys SET created_at = now() - interval '3 minutes'").execute(&pool).await.unwrap();
    assert!(api_keys::just_issued(&mut conn, &issued.secret, ada).await.unwrap().is_none());
    sqlx::query("UPDATE api_keys SET created_at = now()").execute(&pool).await.unwrap();
    api_keys::revoke(&mut conn, issued.key.id).await.unwrap();
    assert!(api_keys::just_issued(&mut conn, &issued.secret, ada).await.unwrap().is_none());
}

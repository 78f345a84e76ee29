//! The first administrator, interleaved: a second setup that arrives while
//! the first is still committing waits for it, then finds the page closed.

use server::accounts::NewAccount;
use sqlx::PgPool;

use super::{behind, End};

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_setup_behind_an_uncommitted_one_waits_and_then_creates_nothing(pool: PgPool) {
    for end in [End::Commit, End::Rollback] {
        sqlx::query("DELETE FROM users").execute(&pool).await.unwrap();
        let token = server::setup::issue_token(&pool).await.unwrap().expect("no admin yet");
        let hash = |email: &str| {
            let account = NewAccount::parse(email, "Ada", "correct horse battery").unwrap();
            async move { account.hash().await.unwrap() }
        };
        let (first_account, second_account) = (hash("first@example.test").await, hash("second@example.test").await);

        // The first attempt has inserted its administrator but not committed.
        let mut first = pool.begin().await.unwrap();
        sqlx::query("SELECT create_first_admin(sha256($1::bytea), $2, 'Ada', $3)")
            .bind(token.as_bytes())
            .bind(first_account.email.as_str())
            .bind(first_account.password_hash())
            .execute(&mut *first)
            .await
            .unwrap();
        let (second_pool, second_token) = (pool.clone(), token.clone());
        let second =
            async move { server::setup::insert_first_admin(&second_pool, &second_token, &second_account).await };
        let second = behind(&pool, first, end, second).await;

        let admins: Vec<String> =
            sqlx::query_scalar("SELECT email FROM users WHERE role = 'admin'").fetch_all(&pool).await.unwrap();
        match end {
            End::Commit => {
                assert!(matches!(second, Err(server::Error::NotFound)), "{second:?}");
                assert_eq!(admins, vec!["first@example.test"]);
            }
            End::Rollback => {
                assert!(second.is_ok(), "{second:?}");
                assert_eq!(admins, vec!["second@example.test"]);
            }
        }
    }
}

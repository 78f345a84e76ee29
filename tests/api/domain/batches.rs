//! Numbered creates share commits: what queues while a batch runs is the
//! next batch, each create in its own savepoint, one commit for all, and
//! the committed numbers stay gapless whatever fails in between.

use chrono::Utc;
use server::clients::{self, ClientFields, NewClient};
use server::numbers::{self, BusinessTimeZone, Kind, Numbering};
use server::requests::{self, NewRequest, Request};
use sqlx::PgPool;
use uuid::Uuid;

use super::{until, until_a_backend_waits_on_a_lock, user_with_role};

/// A staff member and client `c-1`.
async fn staff_and_client(pool: &PgPool) -> Uuid {
    let staff = user_with_role(pool, "staff@example.com", "staff").await;
    let client =
        NewClient { id: Some("c-1".into()), fields: ClientFields { name: "Acme".into(), ..Default::default() } };
    clients::create(pool, staff.into(), &client).await.unwrap();
    staff
}

/// [`staff_and_client`] and one instance's numbering.
async fn staff_client_and_numbering(pool: &PgPool) -> (Uuid, Numbering) {
    (staff_and_client(pool).await, Numbering::new(pool.clone(), BusinessTimeZone::default()))
}

fn for_client(client_id: &str) -> NewRequest {
    NewRequest { client_id: client_id.into(), fields: Default::default() }
}

/// Waits until `count` creates of `kind` are queued behind the running batch.
async fn until_queued(numbering: &Numbering, kind: Kind, count: usize) {
    until(&format!("{count} creates queued"), || async { numbering.queued(kind) >= count }).await
}

async fn numbers_in_order(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT number FROM requests ORDER BY number").fetch_all(pool).await.unwrap()
}

/// Audit rows of request creates: one per create that committed.
async fn audited_requests(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE entity = 'request'").fetch_one(pool).await.unwrap()
}

fn expected_numbers(count: usize) -> Vec<String> {
    let year = Utc::now().format("%Y");
    (1..=count).map(|n| format!("REQ-{year}-{n:04}")).collect()
}

/// Holds the REQ counter in a transaction of its own (drawing, and later
/// giving back, number 1), starts one create, which waits for the counter
/// in a batch of one, and queues `inputs` behind it. Then lets go: the
/// first create's answer, and the answers to `inputs`, in order.
async fn creates_queued_behind_a_batch(
    pool: &PgPool,
    numbering: &Numbering,
    staff: Uuid,
    inputs: Vec<NewRequest>,
) -> (server::Result<Request>, Vec<server::Result<Request>>) {
    let mut holder = pool.begin().await.unwrap();
    numbers::next(&mut holder, Kind::Request, Utc::now(), &BusinessTimeZone::default()).await.unwrap();
    let first = tokio::spawn({
        let numbering = numbering.clone();
        async move { requests::create(&numbering, staff.into(), &for_client("c-1"), None).await }
    });
    until_a_backend_waits_on_a_lock(pool).await;
    let queued = inputs.len();
    let rest: Vec<_> = inputs
        .into_iter()
        .map(|input| {
            let numbering = numbering.clone();
            tokio::spawn(async move { requests::create(&numbering, staff.into(), &input, None).await })
        })
        .collect();
    until_queued(numbering, Kind::Request, queued).await;
    assert_eq!(numbering.commits(), 0);
    holder.rollback().await.unwrap();
    let first = first.await.unwrap();
    let rest = crate::common::joined(rest).await;
    (first, rest)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn creates_that_queue_while_a_batch_runs_share_the_next_commit(pool: PgPool) {
    let (staff, numbering) = staff_client_and_numbering(&pool).await;
    let (first, rest) =
        creates_queued_behind_a_batch(&pool, &numbering, staff, (0..5).map(|_| for_client("c-1")).collect()).await;
    first.expect("the first create");
    for answer in rest {
        answer.expect("a queued create");
    }
    assert_eq!(numbers_in_order(&pool).await, expected_numbers(6), "gapless, the held number given back");
    assert_eq!(numbering.commits(), 2, "the first create alone, then one commit for the five queued behind it");
    assert_eq!(audited_requests(&pool).await, 6, "every create audited");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_failing_in_a_batch_rolls_back_alone_and_gives_its_number_back(pool: PgPool) {
    let (staff, numbering) = staff_client_and_numbering(&pool).await;
    // Unknown clients fail on the foreign key, after their number was drawn.
    let inputs = ["c-1", "no-such-client", "c-1", "no-such-client", "c-1"].map(for_client).to_vec();
    let (first, rest) = creates_queued_behind_a_batch(&pool, &numbering, staff, inputs).await;
    first.expect("the first create");

    for (index, answer) in rest.iter().enumerate() {
        match answer {
            Ok(_) if index % 2 == 0 => {}
            Err(server::Error::Invalid { field, .. }) if index % 2 == 1 && field == "client_id" => {}
            other => panic!("create {index}: {other:?}"),
        }
    }
    assert_eq!(numbers_in_order(&pool).await, expected_numbers(4), "the failed creates left no gap");
    assert_eq!(numbering.commits(), 2, "the three others still shared one commit");
    assert_eq!(audited_requests(&pool).await, 4, "no audit row for a create that failed");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_instances_batching_the_same_kind_stay_gapless_and_unique(pool: PgPool) {
    let staff = staff_and_client(&pool).await;
    // And a third with batching off, as during a rolling change of the setting.
    let instances = [
        Numbering::new(pool.clone(), BusinessTimeZone::default()),
        Numbering::new(pool.clone(), BusinessTimeZone::default()),
        Numbering::with_batch_limit(pool.clone(), BusinessTimeZone::default(), 0),
    ];
    let answers = crate::common::at_once(120, |i| {
        let numbering = instances[i % 3].clone();
        // Every fifth create fails inside whatever batch it lands in.
        let input = for_client(if i % 5 == 4 { "no-such-client" } else { "c-1" });
        async move { requests::create(&numbering, staff.into(), &input, None).await }
    })
    .await;
    let created = answers.iter().filter(|answer| answer.is_ok()).count();
    assert_eq!(
        created,
        96,
        "{:?}",
        answers.iter().find(|answer| answer.is_err() && !matches!(answer, Err(server::Error::Invalid { .. })))
    );
    assert_eq!(numbers_in_order(&pool).await, expected_numbers(96));
}

/// Ends the connection of the batch in flight (the backend of this test's
/// database that waits on a lock) and returns once that backend is gone.
async fn end_the_waiting_batch(pool: &PgPool) {
    let waiting: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(waiting.len(), 1, "one batch waits: {waiting:?}");
    let ended: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(waiting[0]).fetch_one(pool).await.unwrap();
    assert!(ended);
    until("the ended backend going away", || async {
        let present: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)")
            .bind(waiting[0])
            .fetch_one(pool)
            .await
            .unwrap();
        !present
    })
    .await
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_batch_that_loses_its_connection_is_retried_whole_and_numbered_once(pool: PgPool) {
    let (staff, numbering) = staff_client_and_numbering(&pool).await;
    let mut holder = pool.begin().await.unwrap();
    numbers::next(&mut holder, Kind::Request, Utc::now(), &BusinessTimeZone::default()).await.unwrap();
    let create = || {
        let numbering = numbering.clone();
        tokio::spawn(async move { requests::create(&numbering, staff.into(), &for_client("c-1"), None).await })
    };
    // The first batch waits for the counter with four creates queued
    // behind it; its connection is lost, then the next batch's (the four),
    // both before their commit.
    let mut creates = vec![create()];
    until_a_backend_waits_on_a_lock(&pool).await;
    creates.extend((0..4).map(|_| create()));
    until_queued(&numbering, Kind::Request, 4).await;
    end_the_waiting_batch(&pool).await;
    until_a_backend_waits_on_a_lock(&pool).await;
    end_the_waiting_batch(&pool).await;
    until_a_backend_waits_on_a_lock(&pool).await;
    holder.rollback().await.unwrap();

    for answer in crate::common::joined(creates).await {
        answer.expect("a create retried after its batch lost its connection");
    }
    assert_eq!(numbers_in_order(&pool).await, expected_numbers(5), "each created once, no gap");
    assert_eq!(audited_requests(&pool).await, 5);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_create_whose_row_is_held_elsewhere_holds_up_neither_its_batch_nor_the_counter(pool: PgPool) {
    let (staff, numbering) = staff_client_and_numbering(&pool).await;
    let mut requests = Vec::new();
    for _ in 0..3 {
        requests.push(requests::create(&numbering, staff.into(), &for_client("c-1"), None).await.unwrap().id);
    }
    let inspect = |request: Uuid| {
        let numbering = numbering.clone();
        tokio::spawn(async move { requests::inspection_for(&numbering, staff.into(), request).await })
    };
    // The first inspection waits for the held INS counter in a batch of
    // one; the second request's row is held by another transaction.
    let mut holder = pool.begin().await.unwrap();
    numbers::next(&mut holder, Kind::Inspection, Utc::now(), &BusinessTimeZone::default()).await.unwrap();
    let first = inspect(requests[0]);
    until_a_backend_waits_on_a_lock(&pool).await;
    let mut row_holder = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
        .bind(requests[1])
        .execute(&mut *row_holder)
        .await
        .unwrap();
    let blocked = inspect(requests[1]);
    let third = inspect(requests[2]);
    until_queued(&numbering, Kind::Inspection, 2).await;
    holder.rollback().await.unwrap();

    // The next batch holds [second, third]: the second gives up its wait
    // (to be asked again), so the third commits while the row is still held.
    let (first, _) = first.await.unwrap().expect("the first inspection");
    let third = tokio::time::timeout(super::LOCK_WAIT_DEADLINE, third).await;
    let (third, _) = third.expect("the third inspection, not held up by the second's row").unwrap().unwrap();
    let year = Utc::now().format("%Y");
    assert_eq!(
        (first.number.as_str(), third.number.as_str()),
        (&*format!("INS-{year}-0001"), &*format!("INS-{year}-0002"))
    );
    row_holder.rollback().await.unwrap();
    let (second, created) = blocked.await.unwrap().expect("the second inspection, once its row is free");
    assert!(created);
    assert_eq!(second.number, format!("INS-{year}-0003"), "no gap");
}

//! `lockstep soak`: sustained writes while things break, then the checks.
//!
//! Where `lockstep hammer` releases bursts at one healthy server, `soak`
//! keeps N clients writing for a while against one or more instances and
//! expects the test script around it to break things meanwhile: kill a
//! server, end database connections, restart PostgreSQL. Clients behave like
//! careful real ones: a create carries an idempotency key and is repeated
//! with the same key until it is answered, a version-checked edit that
//! comes back 409 continues from the version it is told about.
//!
//! Afterwards it checks, straight in PostgreSQL, that every write that was
//! acknowledged with a 2xx is there, that each create happened exactly once
//! (the records a run made are as many as the idempotency keys stored for
//! them, and each acknowledged create is the record its key stored), and the
//! global invariants of `lockstep check`. It fails on a 500, on any 4xx a
//! correct server never gives this client (401, 404, 422 key reuse: only a
//! 409 conflict or "in progress" is expected), on a 503 without Retry-After,
//! and on silence: the script that breaks things writes to `--faults-file`
//! when it begins a fault and when it has ended it; writes must be acknowledged again within the
//! recovery bound after each fault ends (a server that answers 503 forever
//! fails), and outside faults the run must never go longer than the bound
//! without an acknowledged write. A 503 or a refused connection during an
//! outage is expected and merely counted.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use backon::{ExponentialBuilder, Retryable};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use server::invariants;

use crate::hammer::{client_with_cookie, uuid_of, Fixtures};

pub struct Options {
    /// One or more instances; client `i` talks to `targets[i % len]`.
    pub targets: Vec<String>,
    pub clients: usize,
    pub duration: Duration,
    /// The zone the instances number documents in (for the year check).
    pub time_zone: server::numbers::BusinessTimeZone,
    /// The longest stretch without an acknowledged write that still passes.
    pub recovery_bound: Duration,
    /// Where the test around the run notes the faults it causes: lines
    /// `begin <unix seconds>` and `end <unix seconds>`.
    pub faults_file: Option<std::path::PathBuf>,
}

/// Creates whose idempotency key is stored with the record; the other kinds
/// (client, inspection, assessment) are made once by a natural key.
const KEYED: [&str; 3] = ["card", "request", "appointment"];

/// Everything the clients were told, shared between them.
#[derive(Default)]
struct Ledger {
    statuses: BTreeMap<String, usize>,
    /// (kind, idempotency key) of every create sent, answered or not.
    keys: Vec<(&'static str, String)>,
    /// (key, id) of every create a 2xx answered.
    created: Vec<(String, String)>,
    /// When each 2xx arrived.
    acknowledged_at: Vec<Instant>,
    cards: Vec<Uuid>,
    requests: Vec<Uuid>,
    assessments: Vec<Uuid>,
    /// (card, version) pairs a 200 confirmed.
    card_versions: Vec<(Uuid, i32)>,
    server_errors: Vec<String>,
    /// 503 answers that did not say when to try again.
    without_retry_after: Vec<String>,
    /// 4xx answers a correct server never gives these clients.
    unexpected: Vec<String>,
}

impl Ledger {
    fn count(&mut self, outcome: String) {
        *self.statuses.entry(outcome).or_default() += 1;
    }
}

/// Runs the load; `Ok(true)` when every check passed.
pub async fn run(pool: PgPool, options: Options) -> anyhow::Result<bool> {
    let targets: Vec<String> = options.targets.iter().map(|t| t.trim_end_matches('/').to_owned()).collect();
    let first = targets.first().context("give at least one --target")?.clone();
    let fixtures = Arc::new(Fixtures::make(&pool, &first).await?);
    println!(
        "soak: {} clients for {} s against {} instance(s): {}",
        options.clients,
        options.duration.as_secs(),
        targets.len(),
        targets.join(", ")
    );

    let mut checks: Vec<(String, bool)> = Vec::new();
    // A session made on the first instance must work on every other one.
    for target in &targets {
        let me = client_with_cookie(&fixtures.staff)?.get(format!("{target}/api/auth/me")).send().await?;
        checks.push((format!("the session from {first} works on {target} ({})", me.status()), me.status() == 200));
    }

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let announced = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let deadline = started + options.duration;
    let mut workers = Vec::new();
    for i in 0..options.clients {
        let worker = Worker {
            target: targets[i % targets.len()].clone(),
            fixtures: fixtures.clone(),
            ledger: ledger.clone(),
            acknowledged: acknowledged.clone(),
            announced: announced.clone(),
            deadline,
        };
        workers.push(tokio::spawn(async move { worker.run(i).await }));
    }
    for worker in workers {
        worker.await.context("a soak client panicked")??;
    }

    let ledger = std::mem::take(&mut *ledger.lock().map_err(|_| anyhow::anyhow!("ledger poisoned"))?);
    let outcomes: Vec<String> = ledger.statuses.iter().map(|(outcome, n)| format!("{outcome}×{n}")).collect();
    println!("soak: answers {}", outcomes.join(" "));
    println!(
        "soak: acknowledged {} cards, {} requests, {} assessments, {} card edits",
        ledger.cards.len(),
        ledger.requests.len(),
        ledger.assessments.len(),
        ledger.card_versions.len()
    );

    let mut conn = wait_for_database(&pool).await?;
    let db = |e: server::Error| anyhow::anyhow!("database check failed: {e}");
    checks.push((format!("no 500 answers ({})", ledger.server_errors.len()), ledger.server_errors.is_empty()));
    for error in ledger.server_errors.iter().take(5) {
        println!("soak: 500: {error}");
    }
    let unavailable = ledger.statuses.get("503").copied().unwrap_or(0);
    checks.push((
        format!(
            "every 503 says when to try again (Retry-After): {} of {unavailable} do not",
            ledger.without_retry_after.len()
        ),
        ledger.without_retry_after.is_empty(),
    ));
    for answer in ledger.without_retry_after.iter().take(5) {
        println!("soak: 503 without Retry-After: {answer}");
    }
    checks.push((
        format!("no unexpected 4xx answers (only 409 conflicts are expected): {}", ledger.unexpected.len()),
        ledger.unexpected.is_empty(),
    ));
    for answer in ledger.unexpected.iter().take(5) {
        println!("soak: unexpected: {answer}");
    }
    let faults = match &options.faults_file {
        Some(path) => faults_noted(path, started, started_at)?,
        None => Vec::new(),
    };
    checks.extend(silence_checks(options.recovery_bound, started, deadline, &faults, &ledger.acknowledged_at));
    let some_work = !ledger.cards.is_empty() && !ledger.requests.is_empty() && !ledger.card_versions.is_empty();
    checks.push(("writes were acknowledged during the run".to_owned(), some_work));
    let cards = invariants::cards_present(&mut conn, &ledger.cards).await.map_err(db)?;
    checks.push((
        format!("{} acknowledged cards present: {cards}", ledger.cards.len()),
        cards == ledger.cards.len() as i64,
    ));
    let requests = invariants::requests_present(&mut conn, &ledger.requests).await.map_err(db)?;
    checks.push((
        format!("{} acknowledged requests present: {requests}", ledger.requests.len()),
        requests == ledger.requests.len() as i64,
    ));
    let assessments = invariants::assessments_present(&mut conn, &ledger.assessments).await.map_err(db)?;
    checks.push((
        format!("{} acknowledged assessments present: {assessments}", ledger.assessments.len()),
        assessments == ledger.assessments.len() as i64,
    ));
    let mut lost_edits = 0;
    for (card, version) in &ledger.card_versions {
        let current = invariants::card_version(&mut conn, *card).await.map_err(db)?;
        if current.is_none_or(|current| current < *version) {
            lost_edits += 1;
        }
    }
    checks.push((
        format!("every acknowledged card edit is there (card at or past that version): {lost_edits} lost"),
        lost_edits == 0,
    ));
    checks.extend(exactly_once(&mut conn, &fixtures, &ledger).await.map_err(db)?);
    let violations = invariants::violations(&mut conn, &options.time_zone).await.map_err(db)?;
    checks.push((format!("the invariants of `lockstep check`: {} violated", violations.len()), violations.is_empty()));
    for violation in &violations {
        println!("soak: violation: {violation}");
    }

    for (check, passed) in &checks {
        println!("soak: [{}] {check}", if *passed { "ok" } else { "FAILED" });
    }
    Ok(checks.iter().all(|(_, passed)| *passed))
}

/// A fault the test around the run caused, from when it began to when the
/// test had ended it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fault {
    began: Instant,
    ended: Option<Instant>,
}

/// The faults the test noted in `path` (none when it noted none), as
/// instants of this run; an `end` without a `begin` before it is a fault that
/// began and ended then.
fn faults_noted(
    path: &std::path::Path,
    started: Instant,
    started_at: std::time::SystemTime,
) -> anyhow::Result<Vec<Fault>> {
    let noted = match std::fs::read_to_string(path) {
        Ok(noted) => noted,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let since_epoch = started_at.duration_since(std::time::UNIX_EPOCH).context("the clock is before 1970")?;
    let mut faults: Vec<Fault> = Vec::new();
    for line in noted.lines().filter(|line| !line.trim().is_empty()) {
        let (what, when) =
            line.split_once(' ').with_context(|| format!("a fault line is `begin|end SECONDS`: {line:?}"))?;
        let when: f64 = when.trim().parse().with_context(|| format!("not a time in seconds: {line:?}"))?;
        anyhow::ensure!(when.is_finite(), "not a time in seconds: {line:?}");
        let offset = when - since_epoch.as_secs_f64();
        let at = if offset >= 0.0 {
            started + Duration::from_secs_f64(offset)
        } else {
            started.checked_sub(Duration::from_secs_f64(-offset)).unwrap_or(started)
        };
        match (what, faults.last_mut()) {
            ("begin", _) => faults.push(Fault { began: at, ended: None }),
            ("end", Some(open @ Fault { ended: None, .. })) => open.ended = Some(at),
            ("end", _) => faults.push(Fault { began: at, ended: Some(at) }),
            _ => anyhow::bail!("a fault line begins with `begin` or `end`: {line:?}"),
        }
    }
    Ok(faults)
}

/// Writes acknowledged again within `bound` after each fault, and never a
/// silence longer than `bound` outside the faults and their recoveries.
fn silence_checks(
    bound: Duration,
    started: Instant,
    deadline: Instant,
    faults: &[Fault],
    acknowledged_at: &[Instant],
) -> Vec<(String, bool)> {
    let secs = |at: Instant| at.saturating_duration_since(started).as_secs_f64();
    let mut checks = Vec::new();
    // While a fault lasts and for `bound` after it, silence is expected.
    let mut excused = Vec::new();
    for fault in faults {
        let Some(ended) = fault.ended else {
            checks.push((
                format!("the fault that began {:.1} s into the run was reported over", secs(fault.began)),
                false,
            ));
            excused.push((fault.began, deadline));
            continue;
        };
        excused.push((fault.began, ended + bound));
        let next = acknowledged_at.iter().filter(|&&at| at >= ended).min();
        let (recovered, passed) = match next {
            Some(&at) => (format!("{:.1} s later", (at - ended).as_secs_f64()), at - ended <= bound),
            None if ended + bound > deadline => {
                ("it ended too close to the end of the run to tell (give soak more --seconds)".to_owned(), false)
            }
            None => ("never".to_owned(), false),
        };
        // What users lived through: the longest wait for an acknowledgement
        // from the fault's beginning until its recovery time ran out (a
        // failover's length, when the fault is "over" as soon as it is done).
        let window_end = (ended + bound).min(deadline);
        let in_window: Vec<Instant> =
            acknowledged_at.iter().copied().filter(|&at| at >= fault.began && at <= window_end).collect();
        let (worst, _) = longest_silence(fault.began, window_end, &in_window, &[]);
        checks.push((
            format!(
                "writes acknowledged again within {} s of the fault from {:.1} s to {:.1} s into the run: {recovered} \
                 (longest silence around it: {:.1} s)",
                bound.as_secs(),
                secs(fault.began),
                secs(ended),
                worst.as_secs_f64()
            ),
            passed,
        ));
    }
    let (longest, from) = longest_silence(started, deadline, acknowledged_at, &excused);
    checks.push((
        format!(
            "outside faults, never {} s without an acknowledged write (longest: {:.1} s, from {:.1} s into the run)",
            bound.as_secs(),
            longest.as_secs_f64(),
            from.as_secs_f64()
        ),
        longest <= bound,
    ));
    checks
}

/// The longest time between `started`, the acknowledgements and `deadline`
/// with no write acknowledged, not counting the `excused` stretches, and
/// when it began (after `started`).
fn longest_silence(
    started: Instant,
    deadline: Instant,
    acknowledged_at: &[Instant],
    excused: &[(Instant, Instant)],
) -> (Duration, Duration) {
    let mut times = acknowledged_at.to_vec();
    times.sort();
    times.push(deadline);
    let mut excused = excused.to_vec();
    excused.sort_by_key(|(from, _)| *from);
    let mut longest = (Duration::ZERO, Duration::ZERO);
    let mut previous = started;
    for time in times {
        // The parts of the gap (previous, time) outside every excused stretch.
        let mut from = previous;
        for &(excused_from, excused_to) in &excused {
            if excused_to <= from || excused_from >= time {
                continue;
            }
            let silence = excused_from.saturating_duration_since(from);
            if silence > longest.0 {
                longest = (silence, from - started);
            }
            from = from.max(excused_to);
        }
        let silence = time.saturating_duration_since(from);
        if silence > longest.0 {
            longest = (silence, from.saturating_duration_since(started));
        }
        previous = previous.max(time);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, secs: f64) -> Instant {
        start + Duration::from_secs_f64(secs)
    }

    #[test]
    fn faults_are_read_in_the_order_they_were_noted() {
        let (started, started_at) = (Instant::now(), std::time::SystemTime::now());
        let epoch = started_at.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64();
        let path = std::env::temp_dir().join(format!("soak-faults-{}", Uuid::new_v4()));
        // An end and the next begin noted in the same instant stay two faults.
        let lines = [("begin", 1.0), ("end", 6.0), ("begin", 6.0), ("end", 7.5), ("end", 9.0)];
        let noted: String = lines.iter().map(|(what, secs)| format!("{what} {:.6}\n", epoch + secs)).collect();
        std::fs::write(&path, noted).expect("a scratch file");
        let faults = faults_noted(&path, started, started_at).expect("read");
        std::fs::remove_file(&path).expect("removed");
        let seconds = |at: Option<Instant>| {
            at.map(|at| (at.saturating_duration_since(started).as_secs_f64() * 10.0).round() / 10.0)
        };
        let read: Vec<_> = faults.iter().map(|f| (seconds(Some(f.began)), seconds(f.ended))).collect();
        assert_eq!(read, [(Some(1.0), Some(6.0)), (Some(6.0), Some(7.5)), (Some(9.0), Some(9.0))]);
        assert!(faults_noted(&std::env::temp_dir().join("no-such-soak-file"), started, started_at)
            .expect("none")
            .is_empty());
    }

    #[test]
    fn a_fault_excuses_its_silence_and_its_recovery_but_nothing_else() {
        let start = Instant::now();
        let end = at(start, 30.0);
        let bound = Duration::from_secs(5);
        let acks: Vec<Instant> = [1.0, 2.0, 3.0, 14.0, 15.0, 18.0, 22.0, 26.0, 29.0].map(|s| at(start, s)).to_vec();
        let fault = Fault { began: at(start, 3.5), ended: Some(at(start, 12.0)) };
        let all_passed = |checks: Vec<(String, bool)>| checks.iter().all(|(_, passed)| *passed);
        // Silent from 3 s to 14 s, during a fault that ended at 12 s: fine,
        // and the 10.5 s from its beginning to the next write are reported.
        let checks = silence_checks(bound, start, end, &[fault], &acks);
        assert!(checks[0].0.contains("longest silence around it: 10.5 s"), "{}", checks[0].0);
        assert!(all_passed(checks));
        // Without the fault, that silence fails.
        assert!(!all_passed(silence_checks(bound, start, end, &[], &acks)));
        // A fault that ends long before writes come back fails.
        let early = Fault { began: at(start, 3.5), ended: Some(at(start, 6.0)) };
        assert!(!all_passed(silence_checks(bound, start, end, &[early], &acks)));
        // A stall before the fault began is not excused by it.
        let late = [1.0, 14.0, 15.0, 18.0, 22.0, 26.0, 29.0].map(|s| at(start, s)).to_vec();
        let fault = Fault { began: at(start, 9.0), ended: Some(at(start, 12.0)) };
        assert!(!all_passed(silence_checks(bound, start, end, &[fault], &late)));
        // A fault never reported over fails.
        let open = Fault { began: at(start, 3.5), ended: None };
        assert!(!all_passed(silence_checks(bound, start, end, &[open], &acks)));
        // Nothing acknowledged after a fault: fails ("503 forever").
        let forever = [1.0, 2.0, 3.0].map(|s| at(start, s)).to_vec();
        assert!(!all_passed(silence_checks(bound, start, end, &[fault], &forever)));
    }
}

/// Each create happened once however often it was sent: for the keyed kinds
/// the records equal the keys stored and each acknowledged create is the
/// record its key stored; for the others there are no more records than
/// creates asked for.
async fn exactly_once(
    conn: &mut sqlx::PgConnection,
    fixtures: &Fixtures,
    ledger: &Ledger,
) -> server::Result<Vec<(String, bool)>> {
    let sent: Vec<String> = ledger.keys.iter().map(|(_, key)| key.clone()).collect();
    // Keys and records from one snapshot, so a late commit cannot land between.
    let mut snapshot = sqlx::Connection::begin(conn).await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *snapshot).await?;
    let stored: BTreeMap<String, Option<String>> = invariants::stored_keys(&mut snapshot, &sent)
        .await?
        .into_iter()
        .filter(|(_, status, _)| (200..300).contains(status))
        .map(|(key, _, id)| (key, id))
        .collect();
    let records =
        invariants::records_made_by(&mut snapshot, fixtures.member_id, &format!("soak-{}-", fixtures.run)).await?;
    snapshot.commit().await?;
    let mut checks = Vec::new();
    for (kind, made) in records {
        let keys = ledger.keys.iter().filter(|(k, _)| *k == kind);
        if KEYED.contains(&kind) {
            let stored = keys.filter(|(_, key)| stored.contains_key(key)).count();
            checks.push((
                format!("each {kind} once: {made} records, {stored} idempotency keys stored for them"),
                made == stored as i64,
            ));
        } else {
            let asked = keys.count();
            checks.push((format!("each {kind} once: {made} records for {asked} creates sent"), made <= asked as i64));
        }
    }
    let keyed: HashSet<&String> =
        ledger.keys.iter().filter(|(kind, _)| KEYED.contains(kind)).map(|(_, key)| key).collect();
    let acknowledged: Vec<&(String, String)> = ledger.created.iter().filter(|(key, _)| keyed.contains(key)).collect();
    let differing =
        acknowledged.iter().filter(|(key, id)| stored.get(key).and_then(Option::as_deref) != Some(id.as_str())).count();
    checks.push((
        format!(
            "every acknowledged keyed create names the record its key stored: {differing} of {} differ",
            acknowledged.len()
        ),
        differing == 0,
    ));
    Ok(checks)
}

/// A connection for the checks; the database may still be coming back
/// from the outage the test caused.
async fn wait_for_database(pool: &PgPool) -> anyhow::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match pool.acquire().await {
            Ok(conn) => return Ok(conn),
            // Each attempt itself waits for the pool's acquire timeout.
            Err(error) if Instant::now() < deadline => println!("soak: waiting for the database: {error}"),
            Err(error) => return Err(error).context("the database did not come back within 60 s"),
        }
    }
}

struct Worker {
    target: String,
    fixtures: Arc<Fixtures>,
    ledger: Arc<Mutex<Ledger>>,
    acknowledged: Arc<AtomicUsize>,
    announced: Arc<AtomicBool>,
    deadline: Instant,
}

/// The answer to one call; `None` when the target did not answer at all.
type Answer = Option<(u16, Value)>;

impl Worker {
    async fn run(&self, i: usize) -> anyhow::Result<()> {
        let staff = client_with_cookie(&self.fixtures.staff)?;
        let member = client_with_cookie(&self.fixtures.member)?;
        // Each client edits a card of its own, so its edits race only with
        // its own repeats after an outage.
        let Some(card) = self.create("card", &member, "/api/cards", json!({ "name": format!("Soak {i}") })).await
        else {
            return Ok(());
        };
        let card_id = uuid_of(&card, "card")?;
        self.record(|ledger| ledger.cards.push(card_id));
        let mut version = card["version"].as_i64().unwrap_or(1) as i32;
        let client_id = format!("soak-{}-{i}", self.fixtures.run);
        self.create("client", &staff, "/api/clients", json!({ "id": client_id, "name": format!("Soak client {i}") }))
            .await;

        let mut round = 0_usize;
        while Instant::now() < self.deadline {
            round += 1;
            match round % 4 {
                0 => {
                    let body = json!({ "name": format!("Soak {i} {round}") });
                    if let Some(card) = self.create("card", &member, "/api/cards", body).await {
                        let id = uuid_of(&card, "card")?;
                        self.record(|ledger| ledger.cards.push(id));
                    }
                }
                1 | 3 => {
                    let body = json!({ "version": version, "tagline": format!("Round {round}") });
                    match self.call(member.patch(self.url(&format!("/api/cards/{card_id}"))).json(&body)).await {
                        Some((200, card)) => {
                            version = card["version"].as_i64().unwrap_or(version as i64) as i32;
                            self.record(|ledger| ledger.card_versions.push((card_id, version)));
                        }
                        // Our own earlier edit landed although its answer was lost.
                        Some((409, conflict)) => {
                            version = conflict["error"]["current"]["version"].as_i64().unwrap_or(version as i64) as i32
                        }
                        _ => {}
                    }
                }
                _ => {
                    let Some(request) =
                        self.create("request", &staff, "/api/requests", json!({ "client_id": client_id })).await
                    else {
                        continue;
                    };
                    let request_id = uuid_of(&request, "request")?;
                    self.record(|ledger| ledger.requests.push(request_id));
                    // Every fourth chain goes on to an assessment.
                    if round % 16 == 2 {
                        self.assessment_for(&staff, request_id).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Request → inspection → appointment → assessment, each step repeated
    /// until answered (each is idempotent).
    async fn assessment_for(&self, staff: &reqwest::Client, request: Uuid) -> anyhow::Result<()> {
        let Some(inspection) =
            self.create("inspection", staff, &format!("/api/requests/{request}/inspection"), Value::Null).await
        else {
            return Ok(());
        };
        let inspection = uuid_of(&inspection, "inspection")?;
        let schedule = json!({ "scheduled_at": chrono::Utc::now(), "location": "Soak yard" });
        let Some(appointment) =
            self.create("appointment", staff, &format!("/api/inspections/{inspection}/appointments"), schedule).await
        else {
            return Ok(());
        };
        let appointment = uuid_of(&appointment, "appointment")?;
        if let Some(assessment) =
            self.create("assessment", staff, &format!("/api/appointments/{appointment}/assessment"), Value::Null).await
        {
            let id = uuid_of(&assessment, "assessment")?;
            self.record(|ledger| ledger.assessments.push(id));
        }
        Ok(())
    }

    /// POSTs `body` (a create of a `kind` record) with one idempotency key
    /// until a 2xx comes back (the body) or the run is over (`None`).
    async fn create(&self, kind: &'static str, client: &reqwest::Client, path: &str, body: Value) -> Option<Value> {
        let key = Uuid::new_v4().to_string();
        self.record(|ledger| ledger.keys.push((kind, key.clone())));
        // Err: no answer worth keeping yet (no answer, 503, or 409 "in
        // progress" while the first attempt still runs): ask again.
        let attempt = || async {
            let mut request = client.post(self.url(path)).header("Idempotency-Key", &key);
            if !body.is_null() {
                request = request.json(&body);
            }
            match self.call(request).await {
                Some((200 | 201, answer)) => Ok(Some(answer)),
                Some((409 | 503, _)) | None => Err(()),
                Some(_) => Ok(None),
            }
        };
        let policy = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(20))
            .with_max_delay(Duration::from_millis(500))
            .without_max_times();
        let answer = attempt.retry(policy).when(|_| Instant::now() < self.deadline).await.ok().flatten()?;
        let id = answer["id"].as_str().unwrap_or_default().to_owned();
        self.record(|ledger| ledger.created.push((key, id)));
        Some(answer)
    }

    /// Sends one request and notes its outcome.
    async fn call(&self, request: reqwest::RequestBuilder) -> Answer {
        let described = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| format!("{} {}", r.method(), r.url().path()))
            .unwrap_or_default();
        match request.timeout(Duration::from_secs(10)).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key(reqwest::header::RETRY_AFTER);
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                self.record(|ledger| {
                    ledger.count(status.to_string());
                    if status >= 500 && status != 503 {
                        ledger.server_errors.push(format!("{described}: {status} {body}"));
                    }
                    if status == 503 && !retry_after {
                        ledger.without_retry_after.push(format!("{described}: {body}"));
                    }
                    let conflict = matches!(body["error"]["code"].as_str(), Some("in_progress" | "version_conflict"));
                    if (400..500).contains(&status) && !(status == 409 && conflict) {
                        ledger.unexpected.push(format!("{described}: {status} {body}"));
                    }
                    if (200..300).contains(&status) {
                        ledger.acknowledged_at.push(Instant::now());
                    }
                });
                if (200..300).contains(&status) {
                    let acknowledged = self.acknowledged.fetch_add(1, Ordering::Relaxed) + 1;
                    // The fault scripts wait for this line before they break things.
                    if acknowledged >= 100 && !self.announced.swap(true, Ordering::Relaxed) {
                        eprintln!("soak: 100 writes acknowledged");
                    }
                }
                Some((status, body))
            }
            Err(_) => {
                self.record(|ledger| ledger.count("no answer".to_owned()));
                None
            }
        }
    }

    fn record(&self, note: impl FnOnce(&mut Ledger)) {
        if let Ok(mut ledger) = self.ledger.lock() {
            note(&mut ledger);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target)
    }
}

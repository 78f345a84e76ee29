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
//! 409 conflict or "in progress" is expected), and when writes are not
//! acknowledged again within the recovery bound after a fault ends (a
//! server that answers 503 forever). The script that breaks things sends
//! SIGUSR1 each time it has ended a fault; a run told of no fault must never
//! go without an acknowledged write for longer than the bound. A 503 or a
//! refused connection during an outage is expected and merely counted.

use std::collections::BTreeMap;
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
    let deadline = started + options.duration;
    let faults_ended = fault_ends()?;
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
    checks.push((
        format!("no unexpected 4xx answers (only 409 conflicts are expected): {}", ledger.unexpected.len()),
        ledger.unexpected.is_empty(),
    ));
    for answer in ledger.unexpected.iter().take(5) {
        println!("soak: unexpected: {answer}");
    }
    let bound = options.recovery_bound;
    let (longest, from) = longest_silence(started, deadline, &ledger.acknowledged_at);
    let silence = format!(
        "longest stretch without an acknowledged write: {:.1} s, from {:.1} s into the run",
        longest.as_secs_f64(),
        from.as_secs_f64()
    );
    let faults_ended = faults_ended.lock().map_err(|_| anyhow::anyhow!("fault ends poisoned"))?.clone();
    if faults_ended.is_empty() {
        checks.push((format!("never silent for over {} s ({silence})", bound.as_secs()), longest <= bound));
    } else {
        println!("soak: {silence}");
    }
    for ended in faults_ended {
        let at = ended - started;
        let next = ledger.acknowledged_at.iter().filter(|&&t| t >= ended).min();
        let (recovered, passed) = match next {
            Some(&t) => (format!("{:.1} s later", (t - ended).as_secs_f64()), t - ended <= bound),
            None => ("never".to_owned(), false),
        };
        checks.push((
            format!(
                "writes acknowledged again within {} s of the fault that ended {:.1} s into the run: {recovered}",
                bound.as_secs(),
                at.as_secs_f64()
            ),
            passed,
        ));
    }
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

/// When the test around the run ended each fault it caused: it sends
/// SIGUSR1 then.
fn fault_ends() -> anyhow::Result<Arc<Mutex<Vec<Instant>>>> {
    let ends = Arc::new(Mutex::new(Vec::new()));
    let mut signals = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
        .context("cannot listen for SIGUSR1")?;
    let noted = ends.clone();
    tokio::spawn(async move {
        while signals.recv().await.is_some() {
            if let Ok(mut ends) = noted.lock() {
                ends.push(Instant::now());
            }
        }
    });
    Ok(ends)
}

/// The longest time between `started`, the acknowledgements and `deadline`
/// with no write acknowledged, and when it began (after `started`).
fn longest_silence(started: Instant, deadline: Instant, acknowledged_at: &[Instant]) -> (Duration, Duration) {
    let mut times = acknowledged_at.to_vec();
    times.sort();
    times.push(deadline);
    let mut previous = started;
    let mut longest = (Duration::ZERO, Duration::ZERO);
    for time in times {
        let silence = time.saturating_duration_since(previous);
        if silence > longest.0 {
            longest = (silence, previous - started);
        }
        previous = previous.max(time);
    }
    longest
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
    let stored: BTreeMap<String, Option<String>> = invariants::stored_keys(conn, &sent)
        .await?
        .into_iter()
        .filter(|(_, status, _)| (200..300).contains(status))
        .map(|(key, _, id)| (key, id))
        .collect();
    let records = invariants::records_made_by(conn, fixtures.member_id, &format!("soak-{}-", fixtures.run)).await?;
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
    let keyed: Vec<&String> = ledger.keys.iter().filter(|(kind, _)| KEYED.contains(kind)).map(|(_, key)| key).collect();
    let differing = ledger
        .created
        .iter()
        .filter(|(key, _)| keyed.contains(&key))
        .filter(|(key, id)| stored.get(key).and_then(Option::as_deref) != Some(id.as_str()))
        .count();
    checks.push((
        format!(
            "every acknowledged keyed create names the record its key stored: {differing} of {} differ",
            ledger.created.len()
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
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                self.record(|ledger| {
                    ledger.count(status.to_string());
                    if status >= 500 && status != 503 {
                        ledger.server_errors.push(format!("{described}: {status} {body}"));
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

//! `lockstep hammer`: attacks a running Lockstep the way the real world
//! does, then checks the database.
//!
//! Each scenario releases N clients at once (each its own HTTP connection,
//! held at a barrier until all are ready), records what every client was
//! told, and then asks PostgreSQL directly whether what was promised holds:
//! one winner, no duplicate, no gap, nothing acknowledged missing, no
//! assessment without its sections, no second active assignment. The
//! fixtures (accounts, API key, scenario, appointment) are made on the
//! target's database, so a fresh instance is enough.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::Barrier;
use uuid::Uuid;

use server::accounts::{self, NewAccount, Role};
use server::invariants;

pub struct Options {
    /// Where Lockstep listens, e.g. `http://127.0.0.1:3000`.
    pub target: String,
    /// Simultaneous clients per scenario.
    pub clients: usize,
    /// Print one JSON document instead of the table.
    pub json: bool,
    /// The zone the target numbers documents in (for the year check).
    pub time_zone: server::numbers::BusinessTimeZone,
}

/// What one client was told.
struct Call {
    status: u16,
    body: Value,
    latency: Duration,
}

/// One scenario's outcome, as printed.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub requests: usize,
    /// How many responses had each status.
    pub outcomes: BTreeMap<u16, usize>,
    pub violations: Vec<String>,
    pub throughput_per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl Report {
    fn server_errors(&self) -> usize {
        self.outcomes.iter().filter(|(status, _)| **status >= 500).map(|(_, n)| n).sum()
    }
}

/// Runs every scenario; `Ok(true)` when nothing was violated and no answer was a 5xx.
pub async fn run(pool: PgPool, options: Options) -> anyhow::Result<bool> {
    let target = options.target.trim_end_matches('/').to_owned();
    let n = options.clients.max(2);
    let fixtures = Fixtures::make(&pool, &target).await?;
    let progress = ProgressBar::new((n * SCENARIOS) as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg:28} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let hammer = Hammer { pool, target, n, fixtures, progress, time_zone: options.time_zone };

    let mut reports = Vec::new();
    reports.push(hammer.client_create_one_id().await?);
    reports.push(hammer.card_create_one_name().await?);
    reports.push(hammer.card_update_one_version().await?);
    reports.push(hammer.profile_first_save().await?);
    reports.push(hammer.start_assessment().await?);
    reports.push(hammer.numbered_request_create().await?);
    reports.push(hammer.numbered_create_with_failures().await?);
    reports.push(hammer.inspection_create_once().await?);
    reports.push(hammer.report_create_once().await?);
    reports.push(hammer.assignment_create_one_pair().await?);
    reports.push(hammer.idempotency_key_repeated().await?);
    reports.push(hammer.mixed_workload().await?);
    hammer.progress.finish_and_clear();

    let ok = reports.iter().all(|r| r.violations.is_empty() && r.server_errors() == 0);
    let output = if options.json {
        serde_json::to_string_pretty(&json!({ "ok": ok, "clients": n, "scenarios": reports }))? + "\n"
    } else {
        table(&reports, n)
    };
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    use std::io::Write;
    match std::io::stdout().lock().write_all(output.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => return Err(error.into()),
        _ => {}
    }
    Ok(ok)
}

const SCENARIOS: usize = 12;

/// What the scenarios work on, made fresh for each run.
pub(crate) struct Fixtures {
    pub run: String,
    /// Session cookies of a staff member and a member.
    pub staff: String,
    pub member: String,
    pub member_id: Uuid,
    pub api_key: String,
    pub counselor_external_id: String,
    pub counselor_id: Uuid,
    pub scenario_id: Uuid,
}

impl Fixtures {
    pub(crate) async fn make(pool: &PgPool, target: &str) -> anyhow::Result<Fixtures> {
        let run = Uuid::new_v4().simple().to_string()[..8].to_owned();
        let password = format!("hammer-{}", Uuid::new_v4().simple());
        let staff_email = format!("hammer-staff-{run}@lockstep.test");
        let member_email = format!("hammer-member-{run}@lockstep.test");
        let counselor_external_id = format!("hammer-{run}");
        let domain = |e: server::Error| anyhow::anyhow!("{e}");
        let hashed = |email: String, name: &'static str| {
            let password = password.clone();
            async move { NewAccount::parse(&email, name, &password)?.hash().await }
        };
        let staff_account = hashed(staff_email.clone(), "Hammer Staff").await.map_err(domain)?;
        let member_account = hashed(member_email.clone(), "Hammer Member").await.map_err(domain)?;
        let counselor_account =
            hashed(format!("{counselor_external_id}@lockstep.test"), "Hammer Counselor").await.map_err(domain)?;
        let mut tx = pool.begin().await?;
        accounts::create(&mut tx, &staff_account, Role::Staff).await.map_err(domain)?;
        let member = accounts::create(&mut tx, &member_account, Role::Member).await.map_err(domain)?;
        let counselor = accounts::create(&mut tx, &counselor_account, Role::Counselor).await.map_err(domain)?;
        server::counselors::set_external_id(&mut tx, counselor.id, &counselor_external_id).await.map_err(domain)?;
        let api_key =
            server::api_keys::create(&mut tx, &format!("hammer {run}"), &server::api_keys::Scope::ALL, None, None)
                .await
                .map_err(domain)?;
        tx.commit().await?;

        let staff = log_in(target, &staff_email, &password).await?;
        let member_cookie = log_in(target, &member_email, &password).await?;
        let scenario =
            post_as(&staff, format!("{target}/api/scenarios"), json!({ "title": format!("Hammer {run}") })).await?;
        let scenario_id = uuid_of(&scenario.body, "scenario")?;
        Ok(Fixtures {
            run,
            staff,
            member: member_cookie,
            member_id: member.id,
            api_key: api_key.secret,
            counselor_external_id,
            counselor_id: counselor.id,
            scenario_id,
        })
    }
}

struct Hammer {
    pool: PgPool,
    target: String,
    n: usize,
    fixtures: Fixtures,
    progress: ProgressBar,
    time_zone: server::numbers::BusinessTimeZone,
}

impl Hammer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target)
    }

    /// Sends `n` requests at once, each from a client of its own.
    async fn burst(
        &self,
        name: &'static str,
        make: impl Fn(usize, &reqwest::Client) -> reqwest::RequestBuilder,
        cookie: Option<&str>,
    ) -> anyhow::Result<(Vec<Call>, Duration)> {
        self.progress.set_message(name);
        let barrier = Arc::new(Barrier::new(self.n + 1));
        let mut tasks = Vec::with_capacity(self.n);
        for i in 0..self.n {
            let client = match cookie {
                Some(cookie) => client_with_cookie(cookie)?,
                None => plain_client()?,
            };
            let request = make(i, &client);
            let (barrier, progress) = (barrier.clone(), self.progress.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let call = send(request).await;
                progress.inc(1);
                call
            }));
        }
        barrier.wait().await;
        let started = Instant::now();
        let mut calls = Vec::with_capacity(self.n);
        for task in tasks {
            calls.push(task.await.context("a client task failed")??);
        }
        Ok((calls, started.elapsed()))
    }

    async fn violations(&self, mut found: Vec<String>) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        let violations =
            invariants::violations(&mut conn, &self.time_zone).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        found.extend(violations.iter().map(ToString::to_string));
        Ok(found)
    }

    async fn client_create_one_id(&self) -> anyhow::Result<Report> {
        let id = format!("hammer-{}", self.fixtures.run);
        let (calls, wall) = self
            .burst(
                "client create, one id",
                |i, c| {
                    c.post(self.url("/api/clients")).json(&json!({ "id": id, "name": format!("Hammer client {i}") }))
                },
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 201], 201);
        if calls.iter().any(|c| c.body["name"] != calls[0].body["name"]) {
            found.push("clients were told different clients for one id".to_owned());
        }
        let mut conn = self.pool.acquire().await?;
        let rows = invariants::clients_with_id(&mut conn, &id).await.map_err(db)?;
        if rows != 1 {
            found.push(format!("{rows} clients with id {id}, expected 1"));
        }
        if let Some(winner) = calls.iter().find(|c| c.status == 201) {
            let stored = invariants::client_name(&mut conn, &id).await.map_err(db)?;
            if stored.as_deref() != winner.body["name"].as_str() {
                found.push(format!(
                    "the client is stored named {stored:?}, the winner was told {}",
                    winner.body["name"]
                ));
            }
        }
        report("client create, one id", calls, wall, self.violations(found).await?)
    }

    async fn card_create_one_name(&self) -> anyhow::Result<Report> {
        let name = format!("Hammer card {}", self.fixtures.run);
        let (calls, wall) = self
            .burst(
                "card create, one name",
                |_, c| c.post(self.url("/api/cards")).json(&json!({ "name": name, "full_name": "Hammer" })),
                Some(&self.fixtures.member),
            )
            .await?;
        let mut found = expect_statuses(&calls, &[201]);
        let (ids, unreadable) = created(&calls);
        found.extend(unreadable);
        let acknowledged = count(&calls, 201);
        let mut conn = self.pool.acquire().await?;
        let present = invariants::cards_present(&mut conn, &ids).await.map_err(db)?;
        if present != acknowledged as i64 {
            found.push(format!("{acknowledged} cards acknowledged, {present} present"));
        }
        let (cards, slugs) = invariants::cards_named(&mut conn, self.fixtures.member_id, &name).await.map_err(db)?;
        if cards != slugs || cards != acknowledged as i64 {
            found
                .push(format!("{cards} cards named {name:?} with {slugs} distinct slugs, {acknowledged} acknowledged"));
        }
        report("card create, one name", calls, wall, self.violations(found).await?)
    }

    async fn card_update_one_version(&self) -> anyhow::Result<Report> {
        let name = format!("Hammer edit {}", self.fixtures.run);
        let card = post_as(&self.fixtures.member, self.url("/api/cards"), json!({ "name": name })).await?;
        let id = uuid_of(&card.body, "card")?;
        let (calls, wall) = self
            .burst(
                "card update, one version",
                |i, c| {
                    c.patch(self.url(&format!("/api/cards/{id}")))
                        .json(&json!({ "version": 1, "job_title": format!("Editor {i}") }))
                },
                Some(&self.fixtures.member),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 409], 200);
        let mut conn = self.pool.acquire().await?;
        let stored = invariants::card_job_title(&mut conn, id).await.map_err(db)?;
        if let Some(winner) = calls.iter().find(|c| c.status == 200) {
            let told = winner.body["job_title"].as_str().unwrap_or_default();
            if stored.as_ref().map(|(version, title)| (*version, title.as_str())) != Some((2, told)) {
                found.push(format!("the card is stored as {stored:?}, the winner was told version 2 with {told:?}"));
            }
            found.extend(losers_name_the_winner(&calls, |current| {
                current["version"] == 2 && current["job_title"] == winner.body["job_title"]
            }));
        }
        report("card update, one version", calls, wall, self.violations(found).await?)
    }

    async fn profile_first_save(&self) -> anyhow::Result<Report> {
        let (calls, wall) = self
            .burst(
                "profile first save",
                |i, c| {
                    c.put(self.url("/api/profile/personal"))
                        .json(&json!({ "version": 0, "full_name": format!("Hammer {i}") }))
                },
                Some(&self.fixtures.member),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 409], 200);
        let mut conn = self.pool.acquire().await?;
        let (rows, version) = invariants::personal_section(&mut conn, self.fixtures.member_id).await.map_err(db)?;
        if (rows, version) != (1, Some(1)) {
            found.push(format!("{rows} personal rows at version {version:?}, expected one at version 1"));
        }
        if let Some(winner) = calls.iter().find(|c| c.status == 200) {
            let stored = invariants::personal_full_name(&mut conn, self.fixtures.member_id).await.map_err(db)?;
            if stored.as_deref() != winner.body["full_name"].as_str() {
                found.push(format!(
                    "the profile is stored as {stored:?}, the winner was told {}",
                    winner.body["full_name"]
                ));
            }
            found.extend(losers_name_the_winner(&calls, |current| current["full_name"] == winner.body["full_name"]));
        }
        report("profile first save", calls, wall, self.violations(found).await?)
    }

    async fn start_assessment(&self) -> anyhow::Result<Report> {
        let appointment = self.appointment().await?;
        let (calls, wall) = self
            .burst(
                "start assessment",
                |_, c| c.post(self.url(&format!("/api/appointments/{appointment}/assessment"))),
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 201], 201);
        if calls.iter().any(|c| c.body["id"] != calls[0].body["id"]) {
            found.push("clients were told different assessments for one appointment".to_owned());
        }
        let mut conn = self.pool.acquire().await?;
        let assessments = invariants::assessments_of_appointment(&mut conn, appointment).await.map_err(db)?;
        if assessments != 1 {
            found.push(format!("{assessments} assessments for one appointment"));
        }
        report("start assessment", calls, wall, self.violations(found).await?)
    }

    async fn numbered_request_create(&self) -> anyhow::Result<Report> {
        let client_id = self.client().await?;
        let (calls, wall) = self
            .burst(
                "numbered request create",
                |i, c| {
                    c.post(self.url("/api/requests"))
                        .json(&json!({ "client_id": client_id, "vehicle_model": format!("Model {i}") }))
                },
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = expect_statuses(&calls, &[201]);
        let (ids, unreadable) = created(&calls);
        found.extend(unreadable);
        let acknowledged = count(&calls, 201);
        let mut conn = self.pool.acquire().await?;
        let present = invariants::requests_present(&mut conn, &ids).await.map_err(db)?;
        if present != acknowledged as i64 {
            found.push(format!("{acknowledged} requests acknowledged, {present} present"));
        }
        report("numbered request create", calls, wall, self.violations(found).await?)
    }

    /// Every third create names a client that does not exist, so it fails
    /// inside the database after its number was drawn (the foreign key is
    /// checked after the INSERT computed its number), while the others
    /// commit around it: the committed numbers must still have no gap.
    async fn numbered_create_with_failures(&self) -> anyhow::Result<Report> {
        let client_id = self.client().await?;
        let missing = format!("hammer-{}-missing", self.fixtures.run);
        let fails = |i: usize| i % 3 == 2;
        let (calls, wall) = self
            .burst(
                "numbered create, a third fail",
                |i, c| {
                    let client = if fails(i) { &missing } else { &client_id };
                    c.post(self.url("/api/requests")).json(&json!({ "client_id": client }))
                },
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            let expected = if fails(i) { 422 } else { 201 };
            if call.status != expected {
                found.push(format!("request {i} was answered {} (expected {expected}): {}", call.status, call.body));
            } else if fails(i) && call.body["error"]["field"] != "client_id" {
                found.push(format!("request {i} failed for another reason: {}", call.body));
            }
        }
        let (ids, unreadable) = created(&calls);
        found.extend(unreadable);
        let mut conn = self.pool.acquire().await?;
        let present = invariants::requests_present(&mut conn, &ids).await.map_err(db)?;
        if present != count(&calls, 201) as i64 {
            found.push(format!("{} requests acknowledged, {present} present", count(&calls, 201)));
        }
        report("numbered create, a third fail", calls, wall, self.violations(found).await?)
    }

    /// Everyone asks for the inspection of one request at once: one is made.
    async fn inspection_create_once(&self) -> anyhow::Result<Report> {
        let staff = client_with_cookie(&self.fixtures.staff)?;
        let client_id = self.client().await?;
        let request = send(staff.post(self.url("/api/requests")).json(&json!({ "client_id": client_id }))).await?;
        let request_id = uuid_of(&request.body, "request")?;
        let (calls, wall) = self
            .burst(
                "inspection create, one request",
                |_, c| c.post(self.url(&format!("/api/requests/{request_id}/inspection"))),
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 201], 201);
        if calls.iter().any(|c| c.body["id"] != calls[0].body["id"] || c.body["number"] != calls[0].body["number"]) {
            found.push("clients were told different inspections for one request".to_owned());
        }
        let mut conn = self.pool.acquire().await?;
        let inspections = invariants::inspections_of_request(&mut conn, request_id).await.map_err(db)?;
        if inspections != 1 {
            found.push(format!("{inspections} inspections for one request"));
        }
        report("inspection create, one request", calls, wall, self.violations(found).await?)
    }

    /// Everyone asks for the report of one completed assessment at once:
    /// one is made, and numbered once.
    async fn report_create_once(&self) -> anyhow::Result<Report> {
        let staff = client_with_cookie(&self.fixtures.staff)?;
        let appointment = self.appointment().await?;
        let started = send(staff.post(self.url(&format!("/api/appointments/{appointment}/assessment")))).await?;
        let assessment = uuid_of(&started.body, "assessment")?;
        let version = started.body["version"].as_i64().context("the started assessment has no version")?;
        let completed = send(
            staff
                .post(self.url(&format!("/api/assessments/{assessment}/complete")))
                .json(&json!({ "version": version })),
        )
        .await?;
        if completed.status != 200 {
            bail!("completing the report fixture's assessment failed: {} {}", completed.status, completed.body);
        }
        let (calls, wall) = self
            .burst(
                "report create, one assessment",
                |_, c| c.post(self.url(&format!("/api/assessments/{assessment}/report"))),
                Some(&self.fixtures.staff),
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[200, 201], 201);
        if calls.iter().any(|c| c.body["id"] != calls[0].body["id"] || c.body["number"] != calls[0].body["number"]) {
            found.push("clients were told different reports for one assessment".to_owned());
        }
        let mut conn = self.pool.acquire().await?;
        let reports = invariants::reports_of_assessment(&mut conn, assessment).await.map_err(db)?;
        if reports != 1 {
            found.push(format!("{reports} reports for one assessment"));
        }
        report("report create, one assessment", calls, wall, self.violations(found).await?)
    }

    async fn assignment_create_one_pair(&self) -> anyhow::Result<Report> {
        let body = json!({ "user_id": self.fixtures.counselor_external_id, "scenario_id": self.fixtures.scenario_id });
        let (calls, wall) = self
            .burst(
                "assignment create, one pair",
                |_, c| {
                    c.post(self.url("/api/external/assignments"))
                        .header("X-API-Key", &self.fixtures.api_key)
                        .json(&body)
                },
                None,
            )
            .await?;
        let mut found = expect_one_winner(&calls, &[201, 409], 201);
        if let Some(winner) = calls.iter().find(|c| c.status == 201) {
            for loser in calls.iter().filter(|c| c.status == 409) {
                let error = &loser.body["error"];
                if error["code"] != "duplicate" || error["existing"]["id"] != winner.body["id"] {
                    found.push(format!("a 409 does not name the winning assignment: {}", loser.body));
                    break;
                }
            }
        }
        let mut conn = self.pool.acquire().await?;
        let active = invariants::active_assignments(&mut conn, self.fixtures.counselor_id, self.fixtures.scenario_id)
            .await
            .map_err(db)?;
        if active != 1 {
            found.push(format!("{active} active assignments for one pair"));
        }
        report("assignment create, one pair", calls, wall, self.violations(found).await?)
    }

    async fn idempotency_key_repeated(&self) -> anyhow::Result<Report> {
        let name = format!("Hammer once {}", self.fixtures.run);
        let key = Uuid::new_v4().to_string();
        let (calls, wall) = self
            .burst(
                "one idempotency key",
                |_, c| c.post(self.url("/api/cards")).header("Idempotency-Key", &key).json(&json!({ "name": name })),
                Some(&self.fixtures.member),
            )
            .await?;
        // While the first is running, repeats are told 409 "in progress";
        // after it, they get its answer again.
        let mut found = expect_statuses(&calls, &[201, 409]);
        let (ids, unreadable) = created(&calls);
        found.extend(unreadable);
        if ids.is_empty() || ids.iter().any(|id| *id != ids[0]) {
            found.push(format!("one key was answered with {} different cards", distinct(&ids)));
        }
        if let Some(other) = calls.iter().find(|c| c.status == 409 && c.body["error"]["code"] != "in_progress") {
            found.push(format!("a repeat of the key was refused other than as in progress: {}", other.body));
        }
        let mut conn = self.pool.acquire().await?;
        let (cards, _) = invariants::cards_named(&mut conn, self.fixtures.member_id, &name).await.map_err(db)?;
        if cards != 1 {
            found.push(format!("{cards} cards made with one idempotency key"));
        }
        report("one idempotency key", calls, wall, self.violations(found).await?)
    }

    /// Everything at once: requests, cards, card edits, assignments.
    async fn mixed_workload(&self) -> anyhow::Result<Report> {
        let client_id = self.client().await?;
        let name = format!("Hammer mixed {}", self.fixtures.run);
        let card = post_as(&self.fixtures.member, self.url("/api/cards"), json!({ "name": name })).await?;
        let card_id = uuid_of(&card.body, "card")?;
        let scenario = post_as(&self.fixtures.staff, self.url("/api/scenarios"), json!({ "title": name })).await?;
        let scenario_id = uuid_of(&scenario.body, "scenario")?;
        let (calls, wall) = self
            .burst(
                "mixed workload",
                |i, c| match i % 4 {
                    0 => c
                        .post(self.url("/api/requests"))
                        .header("Cookie", &self.fixtures.staff)
                        .json(&json!({ "client_id": client_id })),
                    1 => c
                        .post(self.url("/api/cards"))
                        .header("Cookie", &self.fixtures.member)
                        .json(&json!({ "name": format!("Hammer mixed {}", self.fixtures.run) })),
                    2 => c
                        .patch(self.url(&format!("/api/cards/{card_id}")))
                        .header("Cookie", &self.fixtures.member)
                        .json(&json!({ "version": 1, "tagline": format!("Edit {i}") })),
                    _ => c
                        .post(self.url("/api/external/assignments"))
                        .header("X-API-Key", &self.fixtures.api_key)
                        .json(&json!({ "user_id": self.fixtures.counselor_external_id, "scenario_id": scenario_id })),
                },
                None,
            )
            .await?;
        let mut found = expect_statuses(&calls, &[200, 201, 409]);
        let edits: Vec<&Call> = calls.iter().enumerate().filter(|(i, _)| i % 4 == 2).map(|(_, c)| c).collect();
        if edits.iter().filter(|c| c.status == 200).count() != 1 {
            found.push("the card edits at version 1 did not have exactly one winner".to_owned());
        }
        let assigns: Vec<&Call> = calls.iter().enumerate().filter(|(i, _)| i % 4 == 3).map(|(_, c)| c).collect();
        if !assigns.is_empty() && assigns.iter().filter(|c| c.status == 201).count() != 1 {
            found.push("the assignments for one pair did not have exactly one 201".to_owned());
        }
        report("mixed workload", calls, wall, self.violations(found).await?)
    }

    /// A client of this run (created once).
    async fn client(&self) -> anyhow::Result<String> {
        let id = format!("hammer-{}-work", self.fixtures.run);
        post_as(&self.fixtures.staff, self.url("/api/clients"), json!({ "id": id, "name": "Hammer workload" })).await?;
        Ok(id)
    }

    /// A fresh appointment, through the API like a person would make it.
    async fn appointment(&self) -> anyhow::Result<Uuid> {
        let staff = client_with_cookie(&self.fixtures.staff)?;
        let client_id = self.client().await?;
        let request = send(staff.post(self.url("/api/requests")).json(&json!({ "client_id": client_id }))).await?;
        let request_id = uuid_of(&request.body, "request")?;
        let inspection = send(staff.post(self.url(&format!("/api/requests/{request_id}/inspection")))).await?;
        let inspection_id = uuid_of(&inspection.body, "inspection")?;
        let appointment = send(
            staff
                .post(self.url(&format!("/api/inspections/{inspection_id}/appointments")))
                .json(&json!({ "scheduled_at": chrono::Utc::now(), "location": "Hammer yard" })),
        )
        .await?;
        uuid_of(&appointment.body, "appointment")
    }
}

fn db(error: server::Error) -> anyhow::Error {
    anyhow::anyhow!("database check failed: {error}")
}

fn plain_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?)
}

pub(crate) fn client_with_cookie(cookie: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().context("a session cookie")?);
    Ok(reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60)).build()?)
}

/// POSTs `body` to `url` as the holder of the session `cookie`.
async fn post_as(cookie: &str, url: String, body: Value) -> anyhow::Result<Call> {
    send(client_with_cookie(cookie)?.post(url).json(&body)).await
}

async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Call> {
    let started = Instant::now();
    let response = request.send().await.context("the target did not answer")?;
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Ok(Call { status, body, latency: started.elapsed() })
}

/// Signs in and returns the session cookie.
async fn log_in(target: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let response = plain_client()?
        .post(format!("{target}/api/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .with_context(|| format!("cannot reach {target}"))?;
    if !response.status().is_success() {
        bail!("signing in as {email} failed with {}", response.status());
    }
    Ok(lockstep::cookies::cookie_header(response.headers()))
}

pub(crate) fn uuid_of(body: &Value, what: &str) -> anyhow::Result<Uuid> {
    body["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .with_context(|| format!("creating the {what} fixture failed: {body}"))
}

/// The ids of the records the 201 answers created, and a violation for
/// each 201 whose body names none (it would otherwise escape the count).
fn created(calls: &[Call]) -> (Vec<Uuid>, Vec<String>) {
    let mut ids = Vec::new();
    let mut unreadable = Vec::new();
    for call in calls.iter().filter(|c| c.status == 201) {
        match call.body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
            Some(id) => ids.push(id),
            None => unreadable.push(format!("a 201 names no record: {}", call.body)),
        }
    }
    (ids, unreadable)
}

fn count(calls: &[Call], status: u16) -> usize {
    calls.iter().filter(|c| c.status == status).count()
}

/// Every 409 of a version race carries the record as the winner left it.
fn losers_name_the_winner(calls: &[Call], is_winners: impl Fn(&Value) -> bool) -> Option<String> {
    calls
        .iter()
        .find(|c| c.status == 409 && !is_winners(&c.body["error"]["current"]))
        .map(|loser| format!("a 409 does not carry the winner's record: {}", loser.body))
}

fn distinct(ids: &[Uuid]) -> usize {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids.len()
}

fn expect_statuses(calls: &[Call], allowed: &[u16]) -> Vec<String> {
    let unexpected: BTreeMap<u16, usize> =
        calls.iter().filter(|c| !allowed.contains(&c.status)).fold(BTreeMap::new(), |mut counts, c| {
            *counts.entry(c.status).or_default() += 1;
            counts
        });
    unexpected.into_iter().map(|(status, n)| format!("{n} × unexpected status {status}")).collect()
}

/// [`expect_statuses`], and exactly one call answered `winner`.
fn expect_one_winner(calls: &[Call], allowed: &[u16], winner: u16) -> Vec<String> {
    let mut found = expect_statuses(calls, allowed);
    let got = calls.iter().filter(|c| c.status == winner).count();
    if got != 1 {
        found.push(format!("{got} × {winner}, expected exactly 1"));
    }
    found
}

fn report(scenario: &'static str, calls: Vec<Call>, wall: Duration, violations: Vec<String>) -> anyhow::Result<Report> {
    let mut latencies: Vec<f64> = calls.iter().map(|c| c.latency.as_secs_f64() * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1]
    };
    let mut outcomes = BTreeMap::new();
    for call in &calls {
        *outcomes.entry(call.status).or_insert(0) += 1;
    }
    Ok(Report {
        scenario,
        requests: calls.len(),
        outcomes,
        throughput_per_sec: calls.len() as f64 / wall.as_secs_f64().max(f64::EPSILON),
        p50_ms: percentile(50.0),
        p95_ms: percentile(95.0),
        p99_ms: percentile(99.0),
        violations,
    })
}

fn table(reports: &[Report], clients: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "lockstep hammer: {clients} simultaneous clients per scenario\n");
    let _ = writeln!(
        out,
        "{:<28} {:>8}  {:<22} {:>10} {:>9} {:>8} {:>8} {:>8}",
        "scenario", "requests", "outcomes", "violations", "req/s", "p50 ms", "p95 ms", "p99 ms"
    );
    for r in reports {
        let outcomes: Vec<String> = r.outcomes.iter().map(|(status, n)| format!("{status}×{n}")).collect();
        let _ = writeln!(
            out,
            "{:<28} {:>8}  {:<22} {:>10} {:>9.0} {:>8.1} {:>8.1} {:>8.1}",
            r.scenario,
            r.requests,
            outcomes.join(" "),
            r.violations.len(),
            r.throughput_per_sec,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms
        );
    }
    for r in reports.iter().filter(|r| !r.violations.is_empty()) {
        let _ = writeln!(out, "\nviolations in {}:", r.scenario);
        for violation in &r.violations {
            let _ = writeln!(out, "  - {violation}");
        }
    }
    out
}

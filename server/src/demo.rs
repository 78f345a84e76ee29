//! Demo data (`lockstep demo`, `scripts/run.sh --demo`): a small, clearly
//! labelled business to look around in. Every account, client and card
//! says "(demo)" or lives at `demo.example`, a domain that never receives
//! mail.
//!
//! It is made with the same operations the pages use, and each step first
//! looks for what it would make (accounts by email, clients by id, one
//! request per client, cards and scenarios by name), so running it again,
//! even after the idempotency keys expired, adds nothing. A session-level
//! advisory lock makes two runs at once take turns. It refuses a database
//! that has accounts of its own: demo data never mixes with real data.

use chrono::{Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::accounts::{self, NewAccount, Role, User};
use crate::appointments::{self, Schedule};
use crate::assessments;
use crate::audit::Actor;
use crate::cards::{self, CardFields};
use crate::clients::{self, ClientFields, NewClient};
use crate::error::{Error, Result};
use crate::numbers::{BusinessTimeZone, Numbering};
use crate::requests::{self, NewRequest, RequestFields};
use crate::scenarios::{self, NewScenario};
use crate::{assignments, counselors};

/// Every demo account signs in with this password.
pub const PASSWORD: &str = "lockstep-demo";

/// The demo accounts: email, name, role, external id (counselors).
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin@demo.example", "Avery Admin (demo)", Role::Admin, None),
    ("staff@demo.example", "Sam Staff (demo)", Role::Staff, None),
    ("counselor@demo.example", "Casey Counselor (demo)", Role::Counselor, Some("DEMO-COUNSELOR-1")),
    ("counselor2@demo.example", "Robin Counselor (demo)", Role::Counselor, Some("DEMO-COUNSELOR-2")),
    ("member@demo.example", "Mia Member (demo)", Role::Member, None),
];

/// How far each demo client's case has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Requested,
    Inspected,
    Scheduled,
    Assessing,
    Reported,
}

/// A demo client and its vehicle, and how far its case has come.
struct DemoClient {
    id: &'static str,
    name: &'static str,
    email: &'static str,
    stage: Stage,
    vehicle: (&'static str, &'static str, &'static str),
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        id: "DEMO-001",
        name: "Harbor Logistics (demo)",
        email: "fleet@harbor.demo.example",
        stage: Stage::Requested,
        vehicle: ("Volvo", "FH16", "DEMO-101"),
    },
    DemoClient {
        id: "DEMO-002",
        name: "Maple Taxis (demo)",
        email: "office@maple.demo.example",
        stage: Stage::Inspected,
        vehicle: ("Toyota", "Prius", "DEMO-202"),
    },
    DemoClient {
        id: "DEMO-003",
        name: "Jordan Lee (demo)",
        email: "jordan.lee@demo.example",
        stage: Stage::Scheduled,
        vehicle: ("Ford", "Focus", "DEMO-303"),
    },
    DemoClient {
        id: "DEMO-004",
        name: "Northwind Rentals (demo)",
        email: "claims@northwind.demo.example",
        stage: Stage::Assessing,
        vehicle: ("Skoda", "Octavia", "DEMO-404"),
    },
    DemoClient {
        id: "DEMO-005",
        name: "Priya Shah (demo)",
        email: "priya.shah@demo.example",
        stage: Stage::Reported,
        vehicle: ("Tesla", "Model 3", "DEMO-505"),
    },
];

const SCENARIOS: &[(&str, &str)] = &[
    ("Difficult phone call (demo)", "Calm an upset client whose claim was delayed, and agree on next steps."),
    ("First home visit (demo)", "Prepare, run and write up a first visit with a new client."),
];

/// What a run made (zero everywhere on a second run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub accounts: usize,
    pub clients: usize,
    pub documents: usize,
    pub cards: usize,
    pub scenarios: usize,
    pub assignments: usize,
}

impl Seeded {
    pub fn is_empty(&self) -> bool {
        *self == Seeded::default()
    }
}

/// Seeds the demo data into `pool`'s database; see the module comment.
pub async fn seed(pool: &PgPool, zone: &BusinessTimeZone) -> Result<Seeded> {
    // Held on one connection for the whole run; released when it closes.
    let mut lock = pool.acquire().await?;
    sqlx::query!("SELECT pg_advisory_lock(hashtext('lockstep.demo'))").execute(&mut *lock).await?;
    let result = seed_locked(pool, zone).await;
    sqlx::query_scalar!(r#"SELECT pg_advisory_unlock(hashtext('lockstep.demo')) AS "unlocked!""#)
        .fetch_one(&mut *lock)
        .await?;
    result
}

async fn seed_locked(pool: &PgPool, zone: &BusinessTimeZone) -> Result<Seeded> {
    let emails: Vec<String> = ACCOUNTS.iter().map(|(email, ..)| email.to_string()).collect();
    let others =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users WHERE lower(email) <> ALL($1)"#, &emails)
            .fetch_one(pool)
            .await?;
    if others > 0 {
        return Err(Error::invalid(
            "database",
            format!("this database has {others} accounts of its own; demo data goes only into an empty one"),
        ));
    }
    let mut seeded = Seeded::default();
    let mut users = Vec::new();
    for (email, name, role, external_id) in ACCOUNTS {
        users.push(account(pool, email, name, *role, *external_id, &mut seeded).await?);
    }
    let (staff, counselors, member) = (&users[1], [&users[2], &users[3]], &users[4]);
    workflow(pool, zone, Actor::User(staff.id), &mut seeded).await?;
    member_cards(pool, member, &mut seeded).await?;
    training(pool, staff, &counselors, &mut seeded).await?;
    Ok(seeded)
}

async fn account(
    pool: &PgPool,
    email: &str,
    name: &str,
    role: Role,
    external_id: Option<&str>,
    seeded: &mut Seeded,
) -> Result<User> {
    let mut conn = pool.acquire().await?;
    if let Some(user) = accounts::find_by_email(&mut conn, email).await? {
        return Ok(user);
    }
    let hashed = NewAccount::parse(email, name, PASSWORD)?.hash().await?;
    let mut tx = pool.begin().await?;
    let user = accounts::create(&mut tx, &hashed, role).await?;
    if let Some(external_id) = external_id {
        counselors::set_external_id(&mut tx, user.id, external_id).await?;
    }
    tx.commit().await?;
    seeded.accounts += 1;
    Ok(user)
}

/// One client per stage, from a fresh request to a finished report.
async fn workflow(pool: &PgPool, zone: &BusinessTimeZone, staff: Actor, seeded: &mut Seeded) -> Result<()> {
    let numbering = &Numbering::new(pool.clone(), zone.clone());
    for (index, DemoClient { id, name, email, stage, vehicle: (make, model, registration) }) in
        CLIENTS.iter().enumerate()
    {
        let client = NewClient {
            id: Some((*id).to_owned()),
            fields: ClientFields {
                name: (*name).to_owned(),
                email: (*email).to_owned(),
                phone: format!("+1 555 010 {:04}", index + 1),
                company: String::new(),
            },
        };
        if clients::create(pool, staff, &client).await?.created {
            seeded.clients += 1;
        }
        let mut conn = pool.acquire().await?;
        let existing = requests::for_client(&mut conn, id).await?;
        drop(conn);
        let request = match existing.into_iter().next() {
            Some(request) => request,
            None => {
                let new = NewRequest {
                    client_id: (*id).to_owned(),
                    fields: RequestFields {
                        vehicle_make: (*make).to_owned(),
                        vehicle_model: (*model).to_owned(),
                        registration: (*registration).to_owned(),
                        claim_reference: format!("DEMO-CLAIM-{}", index + 1),
                        notes: "Demo data: rear bumper and tail light damage after a car park collision.".to_owned(),
                        ..RequestFields::default()
                    },
                };
                seeded.documents += 1;
                requests::create(numbering, staff, &new, None).await?
            }
        };
        if *stage < Stage::Inspected {
            continue;
        }
        let (inspection, created) = requests::inspection_for(numbering, staff, request.id).await?;
        seeded.documents += usize::from(created);
        if *stage < Stage::Scheduled {
            continue;
        }
        let mut conn = pool.acquire().await?;
        let existing = appointments::for_inspection(&mut conn, inspection.id, zone).await?;
        drop(conn);
        let appointment_id = match existing.into_iter().next() {
            Some(existing) => existing.appointment.id,
            None => {
                let schedule = Schedule {
                    scheduled_at: Utc::now() + Duration::days(index as i64 - 2),
                    location: "Demo garage, 12 Sample Street".to_owned(),
                    assessor_id: staff.user_id(),
                };
                seeded.documents += 1;
                appointments::create(numbering, staff, inspection.id, &schedule, None).await?.id
            }
        };
        if *stage < Stage::Assessing {
            continue;
        }
        let (assessment, created) = assessments::start(numbering, staff, appointment_id).await?;
        seeded.documents += usize::from(created);
        if *stage < Stage::Reported {
            continue;
        }
        let mut assessment = assessment.assessment;
        if assessment.status != assessments::AssessmentStatus::Completed {
            let version = assessments::complete(pool, staff, assessment.id, assessment.version).await?;
            assessment.version = version;
        }
        let (_, created) = assessments::report_for(numbering, staff, assessment.id).await?;
        seeded.documents += usize::from(created);
    }
    Ok(())
}

async fn member_cards(pool: &PgPool, member: &User, seeded: &mut Seeded) -> Result<()> {
    let cards_wanted = [
        ("Work (demo)", "modern", "#0f766e", "Product designer", "Lockstep Demo Co."),
        ("Side project (demo)", "bold", "#b45309", "Maker of small tools", ""),
    ];
    let mut conn = pool.acquire().await?;
    let existing: Vec<String> = cards::list(&mut conn, member.id).await?.into_iter().map(|card| card.name).collect();
    drop(conn);
    for (name, template, accent, title, company) in cards_wanted {
        if existing.iter().any(|existing| existing == name) {
            continue;
        }
        let fields = CardFields {
            name: name.to_owned(),
            template: template.to_owned(),
            accent_color: accent.to_owned(),
            full_name: "Mia Member".to_owned(),
            job_title: title.to_owned(),
            company: company.to_owned(),
            email: "member@demo.example".to_owned(),
            website: "https://demo.example".to_owned(),
            tagline: "Demo card: edit me, share me, delete me.".to_owned(),
            ..CardFields::default()
        };
        cards::create(pool, member.id, fields, None).await?;
        seeded.cards += 1;
    }
    Ok(())
}

async fn training(pool: &PgPool, staff: &User, counselors: &[&User; 2], seeded: &mut Seeded) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let existing = scenarios::list(&mut conn).await?;
    drop(conn);
    let mut ids: Vec<Uuid> = Vec::new();
    for (title, description) in SCENARIOS {
        let id = match existing.iter().find(|scenario| scenario.title == *title) {
            Some(scenario) => scenario.id,
            None => {
                let input = NewScenario { title: (*title).to_owned(), description: (*description).to_owned() };
                seeded.scenarios += 1;
                scenarios::create(pool, staff.id, &input, None).await?.0.id
            }
        };
        ids.push(id);
    }
    // Both counselors practise the first scenario; the first also the second.
    for (counselor, scenario) in [(counselors[0], ids[0]), (counselors[1], ids[0]), (counselors[0], ids[1])] {
        let mut conn = pool.acquire().await?;
        let active = assignments::find_active(&mut conn, counselor.id, scenario).await?;
        drop(conn);
        if active.is_none() {
            let due = Some((Utc::now() + Duration::days(14)).date_naive());
            assignments::create(pool, Actor::User(staff.id), counselor.id, scenario, due).await?;
            seeded.assignments += 1;
        }
    }
    Ok(())
}

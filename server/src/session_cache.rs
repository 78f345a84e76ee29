//! What this instance remembers about who is asking: signed-in sessions,
//! their users, and that their devices are still signed in, so a warm
//! instance answers a signed-in request without asking the database who
//! sent it.
//!
//! Everything here is dropped on the notices every instance hears
//! ([`crate::notices::Hub`]): a device row deleted (log out, revoke,
//! password change, disable) drops that device and its sessions; a change
//! to a `users` row (role, password, disable) drops the user and everything
//! of theirs. The cache is trusted only while notices are known to arrive:
//! the listening connection is up and a heartbeat, which every instance
//! sends every [`HEARTBEAT`], was heard within [`TRUST_WINDOW`]. A lost
//! connection empties the cache at once, and until the listener is back
//! every request is answered from the database.
//!
//! A database read and a notice can cross: the read saw the device, the
//! notice of its deletion was handled before the read's answer came back.
//! So a read takes a [`Ticket`] before it starts, and its answer is kept
//! only when no notice was handled in between.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tower_sessions::session::{Id, Record};
use uuid::Uuid;

use crate::accounts::User;
use crate::notices::Notice;

/// How often each instance sends itself (and the others) a heartbeat notice.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A cache whose listener heard nothing for this long is not trusted: its
/// connection may be dead without having said so.
pub const TRUST_WINDOW: Duration = Duration::from_secs(6);
/// A device is confirmed signed in by the database at least this often
/// per instance (the confirmation also refreshes its `last_seen`).
pub const DEVICE_RECHECK: Duration = Duration::from_secs(60);
/// Entries older than this are read again: sessions that never come back
/// do not stay in memory.
const MAX_AGE: Duration = Duration::from_secs(600);
/// More sessions than this and the cache starts over.
const MAX_ENTRIES: usize = 100_000;

/// The notice entity announced for every change to a `users` row.
pub const ACCOUNT_ENTITY: &str = "account";
/// The notice entity of heartbeats (never shown to browsers).
pub const HEARTBEAT_ENTITY: &str = "heartbeat";
/// The notice entity announced when a `devices` row is deleted.
pub const DEVICE_ENTITY: &str = "device";

pub struct SessionCache {
    inner: Mutex<Inner>,
    /// Whether the listener is up, for whoever waits for it.
    listening: tokio::sync::watch::Sender<bool>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache { inner: Mutex::default(), listening: tokio::sync::watch::Sender::new(false) }
    }
}

#[derive(Default)]
struct Inner {
    /// Bumped by every notice that drops something and by every change in
    /// trust, so a read that started before cannot store what it saw.
    generation: u64,
    listening: bool,
    last_heard: Option<Instant>,
    sessions: HashMap<Id, Entry<Record>>,
    users: HashMap<Uuid, Entry<User>>,
    /// Devices the database last confirmed signed in, and for whom.
    devices: HashMap<Uuid, Entry<Uuid>>,
}

struct Entry<T> {
    value: T,
    user: Uuid,
    device: Option<Uuid>,
    at: Instant,
}

impl<T> Entry<T> {
    fn fresh(&self, max_age: Duration) -> bool {
        self.at.elapsed() < max_age
    }
}

impl Inner {
    fn trusted(&self) -> bool {
        self.listening && self.last_heard.is_some_and(|heard| heard.elapsed() < TRUST_WINDOW)
    }

    fn forget_everything(&mut self) {
        self.generation += 1;
        self.sessions.clear();
        self.users.clear();
        self.devices.clear();
    }

    fn forget_user(&mut self, user: Uuid) {
        self.generation += 1;
        self.users.remove(&user);
        self.sessions.retain(|_, entry| entry.user != user);
        self.devices.retain(|_, entry| entry.user != user);
    }

    fn forget_device(&mut self, device: Uuid) {
        self.generation += 1;
        self.devices.remove(&device);
        self.sessions.retain(|_, entry| entry.device != Some(device));
    }

    fn may_keep(&self, ticket: &Ticket) -> bool {
        self.trusted() && ticket.0 == self.generation
    }
}

/// Taken before a database read whose answer may be kept.
pub struct Ticket(u64);

fn count(kind: &'static str, hit: bool) {
    metrics::counter!("lockstep_session_cache_total", "kind" => kind, "outcome" => if hit { "hit" } else { "miss" })
        .increment(1);
}

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_trusted(&self) -> bool {
        self.lock().trusted()
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// A signed-in session's record, unless it expired.
    pub fn session(&self, id: &Id) -> Option<Record> {
        let inner = self.lock();
        let found = inner
            .trusted()
            .then(|| inner.sessions.get(id))
            .flatten()
            .filter(|entry| entry.fresh(MAX_AGE) && entry.value.expiry_date > time::OffsetDateTime::now_utc())
            .map(|entry| entry.value.clone());
        count("session", found.is_some());
        found
    }

    /// Keeps a session record that carries a signed-in user and device.
    pub fn keep_session(&self, ticket: Ticket, record: &Record, user: Uuid, device: Uuid) {
        let mut inner = self.lock();
        if !inner.may_keep(&ticket) {
            return;
        }
        if inner.sessions.len() >= MAX_ENTRIES {
            inner.forget_everything();
            return;
        }
        inner
            .sessions
            .insert(record.id, Entry { value: record.clone(), user, device: Some(device), at: Instant::now() });
    }

    /// Drops a session this instance saved or deleted itself.
    pub fn forget_session(&self, id: &Id) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.sessions.remove(id);
    }

    pub fn user(&self, id: Uuid) -> Option<User> {
        let inner = self.lock();
        let found = inner
            .trusted()
            .then(|| inner.users.get(&id))
            .flatten()
            .filter(|entry| entry.fresh(MAX_AGE))
            .map(|entry| entry.value.clone());
        count("user", found.is_some());
        found
    }

    pub fn keep_user(&self, ticket: Ticket, user: &User) {
        let mut inner = self.lock();
        if !inner.may_keep(&ticket) || inner.users.len() >= MAX_ENTRIES {
            return;
        }
        inner.users.insert(user.id, Entry { value: user.clone(), user: user.id, device: None, at: Instant::now() });
    }

    /// True when the database confirmed this device signed in for `user`
    /// less than [`DEVICE_RECHECK`] ago and nothing said otherwise since.
    pub fn device_confirmed(&self, user: Uuid, device: Uuid) -> bool {
        let inner = self.lock();
        let confirmed = inner.trusted()
            && inner.devices.get(&device).is_some_and(|entry| entry.value == user && entry.fresh(DEVICE_RECHECK));
        count("device", confirmed);
        confirmed
    }

    pub fn keep_device(&self, ticket: Ticket, user: Uuid, device: Uuid) {
        let mut inner = self.lock();
        if !inner.may_keep(&ticket) || inner.devices.len() >= MAX_ENTRIES {
            return;
        }
        inner.devices.insert(device, Entry { value: user, user, device: Some(device), at: Instant::now() });
    }

    /// A notice arrived on the listening connection.
    pub fn heard(&self, notice: &Notice) {
        let mut inner = self.lock();
        inner.last_heard = Some(Instant::now());
        match notice.entity.as_str() {
            DEVICE_ENTITY => match notice.id.parse() {
                Ok(device) => inner.forget_device(device),
                Err(_) => inner.forget_everything(),
            },
            ACCOUNT_ENTITY => match notice.id.parse() {
                Ok(user) => inner.forget_user(user),
                Err(_) => inner.forget_everything(),
            },
            _ => {}
        }
    }

    /// The listening connection is up and listening: notices from now on
    /// will be heard. What came before was missed, so nothing kept then
    /// counts.
    pub fn listening(&self) {
        let mut inner = self.lock();
        inner.forget_everything();
        inner.listening = true;
        inner.last_heard = Some(Instant::now());
        drop(inner);
        self.listening.send_replace(true);
    }

    /// Returns once the listener is up (at once when it is).
    pub async fn until_listening(&self) {
        let _ = self.listening.subscribe().wait_for(|listening| *listening).await;
    }

    /// The listening connection was lost: notices may be missed from now on.
    pub fn deaf(&self) {
        let mut inner = self.lock();
        inner.forget_everything();
        inner.listening = false;
        drop(inner);
        self.listening.send_replace(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(entity: &str, id: Uuid) -> Notice {
        Notice {
            entity: entity.into(),
            id: id.to_string(),
            action: "delete".into(),
            version: None,
            by: String::new(),
            by_id: None,
        }
    }

    #[test]
    fn a_read_that_crossed_a_notice_is_not_kept() {
        let cache = SessionCache::default();
        cache.listening();
        let (user, device) = (Uuid::new_v4(), Uuid::new_v4());
        let before = cache.ticket();
        cache.heard(&notice(DEVICE_ENTITY, device));
        cache.keep_device(before, user, device);
        assert!(!cache.device_confirmed(user, device));
        cache.keep_device(cache.ticket(), user, device);
        assert!(cache.device_confirmed(user, device));
        assert!(!cache.device_confirmed(Uuid::new_v4(), device), "another user's device");
    }

    #[test]
    fn notices_drop_what_they_concern_and_a_deaf_cache_answers_nothing() {
        let cache = SessionCache::default();
        let (user, device) = (Uuid::new_v4(), Uuid::new_v4());
        cache.keep_device(cache.ticket(), user, device);
        assert!(!cache.device_confirmed(user, device), "not trusted before the listener is up");
        cache.listening();
        cache.keep_device(cache.ticket(), user, device);
        cache.heard(&notice(ACCOUNT_ENTITY, user));
        assert!(!cache.device_confirmed(user, device), "an account change drops its devices");
        cache.keep_device(cache.ticket(), user, device);
        let during = cache.ticket();
        cache.deaf();
        assert!(!cache.device_confirmed(user, device));
        cache.keep_device(during, user, device);
        cache.listening();
        assert!(!cache.device_confirmed(user, device), "nothing kept while deaf survives");
    }
}

//! Live change notices: PostgreSQL → this instance → browsers.
//!
//! The `audit_log_announce_change` trigger NOTIFYs `lockstep_changes` from
//! the transaction that made a change (so a rollback announces nothing).
//! Each instance keeps one listening connection ([`Hub::spawn_listener`]),
//! reconnecting with backoff when it drops, and fans notices out to the
//! browsers' Server-Sent Event streams ([`stream`]), each filtered by the
//! records its page watches and the user may see.
//!
//! Notices can be missed (the listening connection dropped, a slow browser
//! lagged behind). Then subscribers get a `resync` event and refetch what
//! they show; that covers the gap without replaying anything.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use backon::{ExponentialBuilder, Retryable};
use futures_util::stream::{self, Stream, StreamExt};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

pub const CHANNEL: &str = "lockstep_changes";

pub use model::notices::{Event, Notice};

use crate::session_cache::{SessionCache, HEARTBEAT, HEARTBEAT_ENTITY, TRUST_WINDOW};

/// This instance's fan-out of notices.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Event>,
    closing: watch::Sender<bool>,
    /// Open streams per user on this instance.
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>>,
    /// This instance, as its heartbeats name it.
    instance: Uuid,
    /// The heartbeats heard, for [`Hub::catch_up`].
    heartbeats: broadcast::Sender<Notice>,
    /// The other instances, by when their last heartbeat was heard.
    peers: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, std::time::Instant>>>,
    /// Who is asking, as this instance remembers it; kept true by what
    /// the listener hears.
    sessions: std::sync::Arc<SessionCache>,
}

/// The most streams one user may hold open on one instance (a few tabs on
/// a few devices); more is someone exhausting the server.
pub const MAX_STREAMS_PER_USER: usize = 16;
/// The most topics one stream may watch.
pub const MAX_TOPICS_PER_STREAM: usize = 32;

/// The signed-in session a stream belongs to: it ends when that session's
/// device row goes (log out, revoke, password change), on every instance.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user: Uuid,
    pub device: Uuid,
}

/// A stream's place in the per-user count, given back when it ends.
struct Seat {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>>,
    user: Uuid,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        let (closing, _) = watch::channel(false);
        let (heartbeats, _) = broadcast::channel(64);
        Hub {
            sender,
            closing,
            open: Default::default(),
            instance: Uuid::new_v4(),
            heartbeats,
            peers: Default::default(),
            sessions: Default::default(),
        }
    }

    pub fn sessions(&self) -> &std::sync::Arc<SessionCache> {
        &self.sessions
    }

    /// Returns once this instance has heard from `count` other instances.
    pub async fn until_peers(&self, count: usize) {
        let mut heard = self.heartbeats.subscribe();
        loop {
            let known = self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len();
            if known >= count {
                return;
            }
            if let Err(broadcast::error::RecvError::Closed) = heard.recv().await {
                return;
            }
        }
    }

    /// Returns once every instance has heard everything committed before
    /// the call (or after [`CATCH_UP_LIMIT`]). Called after a write that
    /// ends sessions or changes an account, before it is answered, so the
    /// next request is refused on whichever instance it reaches.
    ///
    /// It sends a catch-up heartbeat and waits until its own listener has
    /// heard it and every other instance heard lately has acknowledged it.
    /// Notices arrive in commit order, so an instance acknowledges only
    /// once it has dropped what the earlier notices concern.
    pub async fn catch_up(&self, pool: &PgPool) {
        if !self.sessions.is_trusted() {
            // This listener is not hearing anything to wait for.
            return;
        }
        let mut waiting_for: std::collections::HashSet<Uuid> = {
            let peers = self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            peers.iter().filter(|(_, heard)| heard.elapsed() < TRUST_WINDOW).map(|(peer, _)| *peer).collect()
        };
        waiting_for.insert(self.instance);
        let mut heard = self.heartbeats.subscribe();
        let token = Uuid::new_v4().to_string();
        if let Err(error) = send_heartbeat(pool, self.instance, CATCH_UP, &token).await {
            tracing::warn!(%error, "could not send a catch-up heartbeat");
            return;
        }
        let wait = async {
            while !waiting_for.is_empty() {
                match heard.recv().await {
                    Ok(beat) if beat.id == token => {
                        if let Some(from) = beat.by_id.filter(|from| beat.action == ACK || *from == self.instance) {
                            waiting_for.remove(&from);
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        };
        if tokio::time::timeout(CATCH_UP_LIMIT, wait).await.is_err() {
            metrics::counter!("lockstep_catch_up_timeouts_total").increment(1);
            tracing::warn!("not every instance acknowledged a catch-up in time");
        }
    }

    fn take_seat(&self, user: Uuid) -> Option<Seat> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(user).or_default();
        if *count >= MAX_STREAMS_PER_USER {
            return None;
        }
        *count += 1;
        Some(Seat { open: self.open.clone(), user })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Ends every open stream, so a shutting-down server is not held up by
    /// browsers that would wait forever (they reconnect to another instance).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Listens on [`CHANNEL`] for as long as the process lives, and sends
    /// a heartbeat every [`HEARTBEAT`] so that a listener that stopped
    /// hearing without noticing is found out.
    pub fn spawn_listener(&self, pool: PgPool) -> tokio::task::JoinHandle<()> {
        let sender = self.sender.clone();
        let heartbeats = self.heartbeats.clone();
        let sessions = self.sessions.clone();
        let heartbeat_pool = pool.clone();
        let (instance, peers) = (self.instance, self.peers.clone());
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(HEARTBEAT);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !heartbeat_pool.is_closed() {
                beat.tick().await;
                if let Err(error) = send_heartbeat(&heartbeat_pool, instance, BEAT, "").await {
                    tracing::debug!(%error, "could not send a heartbeat");
                }
            }
        });
        tokio::spawn(async move {
            let mut first = true;
            loop {
                // A closed pool means the process is stopping: so do we.
                let Some(mut listener) = connect_listener(&pool).await else { return };
                sessions.listening();
                // Announced, so the others wait for us in their catch-ups.
                if let Err(error) = send_heartbeat(&pool, instance, BEAT, "").await {
                    tracing::debug!(%error, "could not announce this instance");
                }
                if !first {
                    // Whatever was announced while we were away is lost.
                    metrics::counter!("lockstep_notice_listener_reconnects_total").increment(1);
                    let _ = sender.send(Event::Resync);
                }
                first = false;
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => match serde_json::from_str::<Notice>(notification.payload()) {
                            // Dropped from the cache before anyone hears
                            // of it: whoever waits for a notice (a stream,
                            // a catch-up) finds the cache already true.
                            Ok(notice) => {
                                sessions.heard(&notice);
                                if notice.entity == HEARTBEAT_ENTITY {
                                    heard_heartbeat(&pool, instance, &peers, &notice);
                                    let _ = heartbeats.send(notice);
                                } else {
                                    metrics::counter!("lockstep_notices_total").increment(1);
                                    let _ = sender.send(Event::Change(notice));
                                }
                            }
                            Err(error) => tracing::warn!(%error, "unreadable change notice"),
                        },
                        Ok(None) => {
                            tracing::warn!("the notice listener lost its connection; reconnecting");
                            break;
                        }
                        Err(_) if pool.is_closed() => {
                            sessions.deaf();
                            return;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "the notice listener failed; reconnecting");
                            break;
                        }
                    }
                }
                sessions.deaf();
            }
        })
    }
}

/// The longest [`Hub::catch_up`] waits for the instances' answers.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(1);

/// A heartbeat's `action`: a periodic beat, a catch-up asking every
/// instance to acknowledge, or an acknowledgement. `by_id` names the
/// instance that sent it, `id` the catch-up it concerns.
const BEAT: &str = "beat";
const CATCH_UP: &str = "catch_up";
const ACK: &str = "ack";

/// What the listener does with a heartbeat: remembers the instance that
/// sent it and acknowledges another instance's catch-up (sent from a task
/// of its own, so the listener goes on hearing).
fn heard_heartbeat(
    pool: &PgPool,
    instance: Uuid,
    peers: &std::sync::Mutex<std::collections::HashMap<Uuid, std::time::Instant>>,
    beat: &Notice,
) {
    let Some(from) = beat.by_id.filter(|from| *from != instance) else { return };
    let new = peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(from, std::time::Instant::now());
    // A newcomer is told about us at once rather than at our next beat.
    let answer = match beat.action.as_str() {
        CATCH_UP => Some((ACK, beat.id.clone())),
        _ if new.is_none() => Some((BEAT, String::new())),
        _ => None,
    };
    if let Some((action, token)) = answer {
        let pool = pool.clone();
        tokio::spawn(async move {
            if let Err(error) = send_heartbeat(&pool, instance, action, &token).await {
                tracing::warn!(%error, "could not answer a heartbeat");
            }
        });
    }
}

async fn send_heartbeat(pool: &PgPool, instance: Uuid, action: &str, id: &str) -> sqlx::Result<()> {
    let notice = Notice {
        entity: HEARTBEAT_ENTITY.to_owned(),
        id: id.to_owned(),
        action: action.to_owned(),
        version: None,
        by: String::new(),
        by_id: Some(instance),
    };
    let payload = serde_json::to_string(&notice).unwrap_or_default();
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, payload).execute(pool).await?;
    Ok(())
}

/// A listening connection, retried with backoff (100 ms doubling to 5 s)
/// until the database lets us in; `None` once the pool is closed.
async fn connect_listener(pool: &PgPool) -> Option<PgListener> {
    let connect = || async {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let policy = ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times();
    connect
        .retry(policy)
        .when(|_| !pool.is_closed())
        .notify(|error, wait| tracing::warn!(%error, ?wait, "notice listener cannot connect; retrying"))
        .await
        .ok()
}

/// One thing a browser watches: records of `entity` whose id is `key`
/// (or a part of it, `<assessment id>/…`; `*` is every record), optionally
/// only changes made by one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub entity: String,
    pub key: String,
    pub by: Option<Uuid>,
}

impl Topic {
    pub fn matches(&self, notice: &Notice) -> bool {
        self.entity == notice.entity
            && (self.key == "*"
                || self.key == notice.id
                || notice.id.strip_prefix(self.key.as_str()).is_some_and(|rest| rest.starts_with('/')))
            && self.by.is_none_or(|user| notice.by_id == Some(user))
    }
}

/// The Server-Sent Event stream of one browser: `change` events with the
/// notice as JSON, `resync` when it should refetch, a comment every 15 s so
/// proxies keep an idle stream open. It ends when the viewer's session
/// does: at the notice that its device row was deleted, or, when notices
/// may have been missed, at the first check that finds the row gone.
/// Refused with 429 when the user already has [`MAX_STREAMS_PER_USER`]
/// streams open here, and with 401 when the session ended between the
/// request's device check and the subscription.
pub async fn stream(
    hub: &Hub,
    pool: PgPool,
    viewer: Viewer,
    topics: Vec<Topic>,
    resumed: bool,
) -> crate::Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    struct State {
        receiver: broadcast::Receiver<Event>,
        closing: watch::Receiver<bool>,
        topics: Vec<Topic>,
        sequence: u64,
        pool: PgPool,
        viewer: Viewer,
        _seat: Seat,
    }
    let seat = hub.take_seat(viewer.user).ok_or(crate::Error::TooManyRequests { retry_after_secs: 30 })?;
    let state = State {
        receiver: hub.subscribe(),
        closing: hub.closing.subscribe(),
        topics,
        sequence: 0,
        pool,
        viewer,
        _seat: seat,
    };
    // Subscribed first, then looked: a device deleted before this check is
    // refused here, one deleted after it arrives as a notice. (Checked the
    // other way round, a revocation between the two would go unseen.)
    if !crate::devices::is_active(&state.pool, viewer.user, viewer.device, None).await? {
        return Err(crate::Error::Unauthorized);
    }
    // A browser that reconnects (it sends Last-Event-ID) may have missed
    // notices while it was away.
    let first = stream::iter(resumed.then(|| Ok::<_, Infallible>(resync_event())));
    let changes = stream::unfold(state, |mut state| async move {
        loop {
            let received = tokio::select! {
                // Only ever set to true: any change (or a dropped hub) means closing.
                _ = state.closing.changed() => return None,
                received = state.receiver.recv() => received,
            };
            match received {
                Ok(Event::Change(notice)) => {
                    if ends_session(&notice, state.viewer.device) {
                        return None;
                    }
                    if !state.topics.iter().any(|topic| topic.matches(&notice)) {
                        continue;
                    }
                    state.sequence += 1;
                    let event = SseEvent::default()
                        .event("change")
                        .id(state.sequence.to_string())
                        .json_data(&notice)
                        .unwrap_or_else(|_| resync_event());
                    return Some((Ok::<_, Infallible>(event), state));
                }
                Ok(Event::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    // The notice that ended this session may be among the
                    // missed ones: look before saying anything more.
                    let Viewer { user, device } = state.viewer;
                    match crate::devices::is_active(&state.pool, user, device, None).await {
                        Ok(true) => return Some((Ok(resync_event()), state)),
                        Ok(false) | Err(_) => return None,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    metrics::counter!("lockstep_notice_streams_opened_total").increment(1);
    Ok(Sse::new(first.chain(changes)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}

/// Whether this notice says the session signed in on `device` ended.
fn ends_session(notice: &Notice, device: Uuid) -> bool {
    notice.entity == "device" && notice.action == "delete" && notice.id == device.to_string()
}

fn resync_event() -> SseEvent {
    SseEvent::default().event("resync").data("{}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(entity: &str, id: &str) -> Notice {
        Notice {
            entity: entity.into(),
            id: id.into(),
            action: "update".into(),
            version: Some(2),
            by: "Ada".into(),
            by_id: None,
        }
    }

    #[test]
    fn topics_match_records_their_parts_wildcards_and_authors() {
        let topic = |entity: &str, key: &str| Topic { entity: entity.into(), key: key.into(), by: None };
        assert!(topic("business_card", "c1").matches(&notice("business_card", "c1")));
        assert!(!topic("business_card", "c1").matches(&notice("business_card", "c2")));
        assert!(!topic("business_card", "c1").matches(&notice("personal_info", "c1")));
        assert!(topic("assessment_section", "a1").matches(&notice("assessment_section", "a1/damage")));
        assert!(!topic("assessment_section", "a1").matches(&notice("assessment_section", "a10/damage")));
        assert!(topic("client", "*").matches(&notice("client", "ACME-1")));
        let ada = Uuid::new_v4();
        let by_ada = Topic { by: Some(ada), ..topic("business_card", "*") };
        assert!(!by_ada.matches(&notice("business_card", "c1")));
        assert!(by_ada.matches(&Notice { by_id: Some(ada), ..notice("business_card", "c1") }));
    }
}

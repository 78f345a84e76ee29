//! Live change notices in the browser.
//!
//! A page names the records it shows (`business_card:<id>`, …) and gets a
//! callback for every committed change to them, from any tab, device or
//! colleague, through one `EventSource` on `/api/events`. Without
//! JavaScript nothing happens (the page simply does not update live); when
//! the stream drops, the browser reconnects by itself with `Last-Event-ID`,
//! and the server answers with `Resync` so the page refetches what it may
//! have missed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::{component, IntoView, Signal};

use crate::merge::{EditorState, SectionView};

pub use model::notices::{Event, Notice};

/// Calls `on_event` for every notice about `topics` (comma-separated
/// `entity:id`) for as long as the calling component lives.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub fn use_change_notices(topics: String, on_event: impl Fn(Event) + 'static) {
    #[cfg(feature = "hydrate")]
    subscribe(&topics, on_event);
}

#[cfg(feature = "hydrate")]
fn subscribe(topics: &str, on_event: impl Fn(Event) + 'static) {
    use std::rc::Rc;

    use leptos::prelude::{document, on_cleanup};
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    let url = format!("/api/events?watch={}", String::from(js_sys::encode_uri_component(topics)));
    let Ok(source) = EventSource::new(&url) else {
        return;
    };
    let on_event = Rc::new(on_event);
    let on_change = {
        let on_event = on_event.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
            let notice = message.data().as_string().and_then(|data| serde_json::from_str::<Notice>(&data).ok());
            if let Some(notice) = notice {
                on_event(Event::Change(notice));
            }
        })
    };
    let on_resync = Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| on_event(Event::Resync));
    let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
    // Pages (and tests) can tell when the stream is open to deliver.
    let on_open = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-live", "open");
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    // The callbacks live exactly as long as the stream.
    let held = SendWrapper::new((source, on_change, on_resync, on_open));
    on_cleanup(move || {
        let (source, ..) = held.take();
        source.close();
    });
}

/// The change notices of one page, from one stream (browsers allow only a
/// few connections per site, so a page with many editors shares one): the
/// latest event, numbered so that two equal events in a row are still two.
#[derive(Debug, Clone, Copy)]
pub struct LiveFeed(leptos::prelude::RwSignal<Option<(u64, Event)>>);

pub fn live_feed(topics: String) -> LiveFeed {
    use leptos::prelude::*;

    let latest = RwSignal::new(None::<(u64, Event)>);
    use_change_notices(topics, move |event| {
        latest.update(|latest| {
            let number = latest.as_ref().map_or(0, |(number, _)| number + 1);
            *latest = Some((number, event));
        })
    });
    LiveFeed(latest)
}

/// Reads a record as it is stored now, as its editor holds it (`None`: it
/// could not be read).
pub type Fetch = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<SectionView>>>> + Send + Sync>;

/// How an editor follows saves made elsewhere: the page's feed, which
/// notices are about its record, and how to read that record again.
#[derive(Clone)]
pub struct Live {
    feed: LiveFeed,
    entity: &'static str,
    id: Option<String>,
    fetch: Fetch,
}

impl Live {
    /// Follows the notices of `entity` with this `id` (`None`: any record
    /// of `entity`, as the user's own profile sections).
    pub fn new<F, Fut>(feed: LiveFeed, entity: &'static str, id: Option<String>, fetch: F) -> Live
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<SectionView>> + 'static,
    {
        Live { feed, entity, id, fetch: Arc::new(move || Box::pin(fetch())) }
    }
}

/// The live part of an edit page: when a newer version of the record is
/// saved elsewhere, either takes it (no unsaved edits) or shows "Changed by
/// … on another device (version N)" with "Review changes", which opens the
/// merge panel against that version without losing what was typed.
/// `saving` is true while this page's own save is on its way (its notice
/// then is no news).
#[component]
pub fn LiveEditing(live: Live, state: EditorState, #[prop(into)] saving: Signal<bool>) -> impl IntoView {
    use leptos::prelude::*;

    let Live { feed, entity, id, fetch } = live;
    let fetch = StoredValue::new(fetch);
    let newer = RwSignal::new(None::<Notice>);
    let take_newer = move |review: bool| {
        let theirs = fetch.with_value(|fetch| fetch());
        leptos::task::spawn_local(async move {
            let Some(theirs) = theirs.await else { return };
            if theirs.version <= state.version.get_untracked() {
                return;
            }
            if review {
                state.conflicted(theirs.values, theirs.version);
                newer.set(None);
            } else if state.has_unsaved_edits() {
                // After a resync: we know a newer version exists, not who made it.
                newer.set(Some(Notice {
                    entity: entity.to_owned(),
                    id: String::new(),
                    action: "update".into(),
                    version: Some(theirs.version),
                    by: "someone".into(),
                    by_id: None,
                }));
            } else {
                state.saved(theirs.values, theirs.version);
            }
        });
    };
    Effect::new(move |_| {
        let Some((_, event)) = feed.0.get() else { return };
        match event {
            Event::Change(notice) if notice.entity != entity => {}
            Event::Change(notice) if id.as_ref().is_some_and(|id| *id != notice.id) => {}
            Event::Change(notice) if notice.version.unwrap_or(0) <= state.version.get_untracked() => {}
            // Most likely our own save, answered in a moment; the banner
            // stays hidden once the version it names is ours.
            Event::Change(notice) if saving.get_untracked() || state.has_unsaved_edits() => newer.set(Some(notice)),
            Event::Change(_) | Event::Resync => take_newer(false),
        }
    });
    move || {
        newer.get().filter(|notice| notice.version.unwrap_or(0) > state.version.get()).map(|notice| {
            let message =
                format!("Changed by {} on another device (version {}).", notice.by, notice.version.unwrap_or(0));
            view! {
                <div class="alert info live-notice" role="status" data-testid="live-notice">
                    <span>{message}</span>
                    <button type="button" class="button" on:click=move |_| take_newer(true)>"Review changes"</button>
                </div>
            }
        })
    }
}

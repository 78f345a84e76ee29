//! The one editor of a stored record, or of one section of it: its inputs,
//! laid out from the model's field table; the version it was loaded with;
//! the save; the merge panel after a conflict; the live banner. Every edit
//! page uses it and only draws what is around it.
//!
//! Nothing here is generic over the record: a save action becomes a
//! [`Save`], a record its form values ([`SectionView`]) and the fields a
//! `&'static` table, so the view code is compiled once for all editors.

use std::sync::Arc;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

use crate::components::{use_toasts, SubmitButton};
use crate::error::AppError;
use crate::live::{Live, LiveEditing};
use crate::merge::{EditorState, MergePanel, SectionView};

mod layout;

pub use layout::{shows, shows_all, Fields, FormFields, Input, Line};

/// A save action as an editor needs it, whatever it saves: whether it is
/// on its way, its last answer as form values, and the form that posts to
/// it. Only this conversion is compiled per action.
#[derive(Clone)]
pub struct Save {
    pending: Signal<bool>,
    answer: Signal<Option<Result<SectionView, AppError>>>,
    /// The answer came with the page: the form was posted without
    /// JavaScript (or before it loaded), and the page is what it led to.
    came_with_page: Signal<bool>,
    form: Arc<dyn Fn(&'static str, Children) -> AnyView + Send + Sync>,
}

impl<A, P> From<ServerAction<A>> for Save
where
    A: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, P>, Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Into<SectionView> + Clone + Send + Sync + 'static,
    A::Client: Client<AppError>,
    <<A::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData: From<web_sys::FormData>,
{
    fn from(action: ServerAction<A>) -> Self {
        Save {
            pending: action.pending().into(),
            answer: Signal::derive(move || action.value().get().map(|answer| answer.map(Into::into))),
            came_with_page: Signal::derive(move || action.version().get() == 0 && action.value().with(Option::is_some)),
            form: Arc::new(move |class, fields| {
                view! { <ActionForm action attr:class=class attr:novalidate=true>{fields()}</ActionForm> }.into_any()
            }),
        }
    }
}

/// Edits one stored record (or one section of it) against the version it
/// was loaded with. A save makes the stored values the new starting point;
/// a 409 merges the record as it is now into the form (see [`MergePanel`]);
/// with `live`, saves made elsewhere show up while editing.
#[component]
pub fn Editor(
    /// The save; posts `{form}[{field}]`, the `hidden` inputs and `version`.
    #[prop(into)]
    save: Save,
    /// What the form starts from, or a state the page also reads.
    #[prop(into)]
    state: EditorState,
    /// Reads a 409's `current` as the model's stored type, e.g.
    /// `SectionView::stored::<Tyre>`.
    theirs: fn(serde_json::Value) -> Option<SectionView>,
    /// The fields with their labels (the model's `Form::FIELDS`); shown
    /// side by side unless a `layout` says otherwise.
    fields: Fields,
    #[prop(into, default = None)] layout: Option<&'static [Line]>,
    form: &'static str,
    /// What the save is about (ids), posted before the version.
    #[prop(optional)]
    hidden: Vec<(&'static str, String)>,
    #[prop(optional)] live: Option<Live>,
    save_label: &'static str,
    /// The `data-testid` of the version shown beside the save button.
    version_testid: &'static str,
    /// Tells this editor's merge panel apart when a page has several.
    #[prop(optional, into)]
    id: Option<String>,
    /// Makes the inputs' ids unique when a page repeats one form.
    #[prop(optional, into)]
    id_prefix: String,
    #[prop(default = "form")] form_class: &'static str,
    #[prop(optional)] button_class: &'static str,
    #[prop(default = "Saved.")] saved_toast: &'static str,
    /// Shown between the save button and the version (the estimate's total).
    #[prop(optional, into)]
    actions: Option<ViewFn>,
    /// Shown beside the form (the card's preview).
    #[prop(optional, into)]
    preview: Option<ViewFn>,
) -> AnyView {
    let error = follow_saves(&save, state, theirs, saved_toast);
    let pending = save.pending;
    let content: Children = Box::new(move || {
        view! {
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value /> }).collect_view()}
            <VersionInput state />
            <FormFields state form fields layout error id_prefix />
            <div class="form-actions">
                <SubmitButton pending label=save_label busy_label="Saving…" class=button_class />
                {actions.map(|actions| actions.run())}
                <span class="muted small" data-testid=version_testid>{move || version_label(state.version.get())}</span>
            </div>
        }
        .into_any()
    });
    let form = (save.form)(form_class, content);
    view! {
        {live.map(|live| view! { <LiveEditing live state saving=pending /> })}
        <MergePanel state labels=fields id />
        {match preview {
            Some(preview) => with_preview(form, preview.run()),
            None => form,
        }}
    }
    .into_any()
}

/// The version an edit form was rendered with (or last saved, or merged
/// onto), so the server can tell whether it is stale.
#[component]
pub fn VersionInput(state: EditorState) -> impl IntoView {
    view! {
        <input type="hidden" name="version" value=state.version.get_untracked()
            prop:value=move || state.version.get().to_string() />
    }
}

/// A form with the live preview of what it makes beside it.
pub fn with_preview(form: AnyView, preview: AnyView) -> AnyView {
    view! {
        <div class="editor">
            {form}
            <aside class="editor-preview" aria-label="Preview">{preview}</aside>
        </div>
    }
    .into_any()
}

/// Only a profile section can be at 0: every other record is stored at 1
/// when it is created.
fn version_label(version: i32) -> String {
    if version == 0 {
        "Not saved yet".to_owned()
    } else {
        format!("Version {version}")
    }
}

/// Keeps an editor in step with its save: a saved record becomes the new
/// starting point; a 409 is merged. Returns the error to show beside the
/// fields (merged conflicts are shown by the merge panel).
fn follow_saves(
    save: &Save,
    state: EditorState,
    theirs: fn(serde_json::Value) -> Option<SectionView>,
    saved_toast: &'static str,
) -> Signal<Option<AppError>> {
    let (answer, came_with_page) = (save.answer, save.came_with_page);
    let toasts = use_toasts();
    Effect::new(move |_| match answer.get() {
        // The page already shows what is stored; the typed values did not
        // come back with it, so there is nothing to merge.
        _ if came_with_page.get_untracked() => {}
        Some(Ok(saved)) => {
            state.saved(saved.values, saved.version);
            toasts.success(saved_toast);
        }
        Some(Err(AppError::VersionConflict { current })) => match theirs(current) {
            Some(theirs) => state.conflicted(theirs.values, theirs.version),
            None => toasts.error("This was changed elsewhere. Reload the page to see it."),
        },
        _ => {}
    });
    Signal::derive(move || match answer.get() {
        // Refused without a merge: the page must say so, or the typed
        // values would vanish without a word.
        Some(Err(AppError::VersionConflict { .. })) if came_with_page.get() => Some(AppError::Invalid {
            field: String::new(),
            message: "Not saved: someone else changed this first. The form now shows what is stored; \
                      make your changes again."
                .to_owned(),
        }),
        Some(Err(AppError::VersionConflict { .. })) | Some(Ok(_)) | None => None,
        Some(Err(error)) => Some(error),
    })
}

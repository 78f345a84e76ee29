//! Building blocks every page uses: the submit button, labelled fields with
//! their errors, the form-level error, toasts, and idempotency keys.

use leptos::prelude::*;

use crate::error::AppError;
use leptos::server_fn::ServerFn;

use crate::merge::{EditorState, SectionView};

/// A submit button that cannot be pressed twice: disabled while its action
/// is pending, with `aria-busy` and a busy label for people and tests.
#[component]
pub fn SubmitButton(
    #[prop(into)] pending: Signal<bool>,
    label: &'static str,
    busy_label: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let class = if class.is_empty() { "button primary" } else { class };
    view! {
        <button
            type="submit"
            class=class
            disabled=move || pending.get()
            aria-busy=move || if pending.get() { "true" } else { "false" }
        >
            <Show when=move || pending.get() fallback=move || label>
                <span class="spinner" aria-hidden="true"></span>
                {busy_label}
            </Show>
        </button>
    }
}

/// A labelled input with its error message right below it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.message_for(name));
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
}

/// A labelled input (or textarea) bound to one field of an editor, posted
/// as `{form}[{field}]`, with its error right below it.
#[component]
pub fn BoundField(
    state: EditorState,
    form: &'static str,
    field: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Makes the element ids unique when a page repeats one form (tyre rows).
    #[prop(optional, into)]
    id_prefix: Option<String>,
) -> impl IntoView {
    let id = format!("{}field-{field}", id_prefix.unwrap_or_default());
    let error_id = format!("{id}-error");
    let name = format!("{form}[{field}]");
    let message = move || error.get().and_then(|e| e.message_for(field));
    let invalid = move || if message().is_some() { "true" } else { "false" };
    let value = move || state.get(field);
    let input = if multiline {
        view! {
            <textarea id=id.clone() name=name rows="2" aria-invalid=invalid aria-describedby=error_id.clone()
                prop:value=value on:input=move |ev| state.set(field, event_target_value(&ev))
            >{state.get(field)}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=name type=input_type required=required
                aria-invalid=invalid aria-describedby=error_id.clone()
                value=state.get(field)
                prop:value=value on:input=move |ev| state.set(field, event_target_value(&ev)) />
        }
        .into_any()
    };
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id>{label}</label>
            {input}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
}

/// A labelled select bound to one field of an editor.
#[component]
pub fn BoundSelect(
    state: EditorState,
    form: &'static str,
    field: &'static str,
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{field}");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.message_for(field));
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=format!("{form}[{field}]") aria-describedby=error_id.clone()
                prop:value=move || state.get(field)
                on:change=move |ev| state.set(field, event_target_value(&ev))>
                {options.iter().map(|(value, text)| {
                    let selected = state.values.with_untracked(|v| v.get(field).map(String::as_str) == Some(*value));
                    view! { <option value=*value selected=selected>{*text}</option> }
                }).collect_view()}
            </select>
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
}

/// The error of a form that belongs to no single field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>, fields: &'static [&'static str]) -> impl IntoView {
    let general = move || error.get().filter(|e| e.field().is_none_or(|f| !fields.contains(&f)));
    view! {
        <Show when=move || general().is_some()>
            <div class="alert error" role="alert">{move || general().map(|e| e.to_string())}</div>
        </Show>
    }
}

/// What a page shows when its data could not be loaded: "no access" for
/// `who` the page is for, "not found" with a way `back` (href, label), or
/// the error's message.
pub fn load_error(error: AppError, who: &'static str, back: (&'static str, &'static str)) -> AnyView {
    match error {
        AppError::Forbidden => view! {
            <section class="panel narrow" data-testid="forbidden">
                <h1>"No access"</h1>
                <p>{format!("This page is for {who}. If you need access, ask an administrator.")}</p>
            </section>
        }
        .into_any(),
        AppError::NotFound => view! {
            <section class="panel narrow" data-testid="not-found">
                <h1>"Not found"</h1>
                <p class="muted">"It may have been removed, or the link is wrong."</p>
                <a href=back.0 class="button primary">{back.1}</a>
            </section>
        }
        .into_any(),
        other => view! { <div class="alert error" role="alert">{other.to_string()}</div> }.into_any(),
    }
}

/// The error of a server action's last result, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|result| result.err()))
}

/// A fresh idempotency key for a create form. The server mints the one in
/// the first HTML; the browser mints later ones (crypto.getRandomValues
/// works on plain http too, unlike randomUUID).
pub fn mint_idempotency_key() -> String {
    #[cfg(feature = "ssr")]
    {
        uuid::Uuid::new_v4().to_string()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let mut bytes = [0u8; 16];
        if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
            let _ = crypto.get_random_values_with_u8_array(&mut bytes);
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// Short notices after something succeeded or failed; dismissed by the user
/// or after a few seconds.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn provide() -> Self {
        let toasts = Toasts { list: RwSignal::new(Vec::new()), next_id: StoredValue::new(0) };
        provide_context(toasts);
        toasts
    }

    pub fn push(&self, kind: ToastKind, message: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.list.update(|list| list.push(Toast { id, kind, message: message.into() }));
        let list = self.list;
        set_timeout(move || list.update(|l| l.retain(|t| t.id != id)), std::time::Duration::from_secs(5));
    }

    pub fn success(&self, message: impl Into<String>) {
        self.push(ToastKind::Success, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(ToastKind::Error, message);
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|list| list.retain(|t| t.id != id));
    }
}

pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(Toasts::provide)
}

#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list.get() key=|toast| toast.id let:toast>
                <div class="toast" class:error=toast.kind == ToastKind::Error>
                    <span>{toast.message.clone()}</span>
                    <button type="button" class="toast-close" aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}

/// Keeps an editor in step with its save action: a saved section becomes
/// the new starting point; a 409 is merged (see [`MergePanel`]). Returns
/// the error to show beside the fields (conflicts are shown by the panel).
pub fn follow_saves<A>(
    action: ServerAction<A>,
    state: EditorState,
    fields: &'static [(&'static str, &'static str)],
) -> Signal<Option<AppError>>
where
    A: ServerFn<Output = SectionView, Error = AppError> + Clone + Send + Sync + 'static,
{
    let toasts = use_toasts();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(saved)) => {
            state.saved(saved.values, saved.version);
            toasts.success("Saved.");
        }
        Some(Err(AppError::VersionConflict { current })) => {
            let theirs = SectionView::from_json(&current, fields);
            state.conflicted(theirs.values, theirs.version);
        }
        _ => {}
    });
    Signal::derive(move || match action.value().get() {
        Some(Err(AppError::VersionConflict { .. })) | Some(Ok(_)) | None => None,
        Some(Err(error)) => Some(error),
    })
}

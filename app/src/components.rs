//! Building blocks every page uses: the submit button, labelled fields with
//! their errors, the form-level error, the page head, loading and empty
//! states, tables, toasts, and idempotency keys.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;

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
    let message = Signal::derive(move || error.get().and_then(|e| e.message_for(name)));
    let input = view! {
        <input
            id=id.clone()
            name=name
            type=input_type
            autocomplete=autocomplete
            required=required
            aria-invalid=move || if message.get().is_some() { "true" } else { "false" }
            aria-describedby=error_id.clone()
        />
    };
    labelled(id, error_id, label, hint, message, input.into_any())
}

/// A form control with its label, its hint, and its error right below it
/// (`error_id`, which the control names in `aria-describedby`).
pub(crate) fn labelled(
    id: String,
    error_id: String,
    label: &'static str,
    hint: &'static str,
    message: Signal<Option<String>>,
    control: AnyView,
) -> AnyView {
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id>{label}</label>
            {control}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
    .into_any()
}

/// The error of a form that belongs to no single field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>, fields: &'static [&'static str]) -> impl IntoView {
    form_error(error, move |field| fields.contains(&field))
}

/// The error of a form unless it is about a field the form `shows`
/// (that one stands beside its field).
pub(crate) fn form_error(
    error: Signal<Option<AppError>>,
    shows: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> AnyView {
    let general = Signal::derive(move || error.get().filter(|e| e.field().is_none_or(|f| !shows(f))));
    view! {
        <Show when=move || general.with(Option::is_some)>
            <div class="alert error" role="alert">{move || general.get().map(|e| e.to_string())}</div>
        </Show>
    }
    .into_any()
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
        other => error_alert(other),
    }
}

/// An error as a page shows it where its content would be.
pub fn error_alert(error: AppError) -> AnyView {
    view! { <div class="alert error" role="alert">{error.to_string()}</div> }.into_any()
}

/// The page's route parameter `name` (`:id` in `/cards/:id`), empty when
/// it has none.
pub fn use_param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || params.read().get(name).unwrap_or_default()
}

/// What a page shows while its data loads.
pub fn loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}

/// `data` once it has loaded, shown by `ready`, or its error by `failed`.
pub fn when_loaded<T>(
    data: Resource<Result<T, AppError>>,
    ready: impl Fn(T) -> AnyView + Send + Sync + 'static,
    failed: impl Fn(AppError) -> AnyView + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    view! {
        <Suspense fallback=loading>
            {move || data.get().map(|result| match result {
                Ok(data) => ready(data),
                Err(error) => failed(error),
            })}
        </Suspense>
    }
}

/// The page's title, as a heading and in the window's title (`heading`
/// when the two differ), with the page's actions beside it.
#[component]
pub fn PageHead(
    title: &'static str,
    #[prop(optional)] heading: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let heading = if heading.is_empty() { title } else { heading };
    view! {
        <Title text=title />
        <section class="page-head">
            <h1>{heading}</h1>
            {children.map(|children| children())}
        </section>
    }
}

/// What a list shows when it has nothing in it.
#[component]
pub fn EmptyState(
    testid: &'static str,
    title: &'static str,
    text: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="panel empty-state" data-testid=testid>
            <h2>{title}</h2>
            <p class="muted">{text}</p>
            {children.map(|children| children())}
        </section>
    }
}

/// A table of rows under the headings of its `columns`, then of its
/// `numbers` (columns of figures, aligned as such).
#[component]
pub fn Table(
    #[prop(default = "table")] class: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
    columns: &'static [&'static str],
    #[prop(optional)] numbers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <table class=class data-testid=testid>
            <thead><tr>
                {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                {numbers.iter().map(|column| view! { <th scope="col" class="num">{*column}</th> }).collect_view()}
            </tr></thead>
            <tbody>{children()}</tbody>
        </table>
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

/// The `q` of this page's address: what its list is searched for.
pub fn search_query() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || query.read().get("q").unwrap_or_default()
}

/// The search box of a list page: a plain GET form to `action` that puts
/// the words in `q`, so a search is a link and works without JavaScript.
#[component]
pub fn SearchBox(
    action: &'static str,
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    let search = search_query();
    view! {
        <form method="get" action=action class="search-form" role="search">
            <label for=id class="visually-hidden">{label}</label>
            <input id=id type="search" name="q" placeholder=placeholder value=search />
            <button type="submit" class="button">"Search"</button>
        </form>
    }
}

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::accounts::{LogIn, UserView};
use crate::components::{action_error, use_toasts, Field, FormError, SubmitButton};
use crate::error::AppError;
use crate::use_session;

/// Once `action` has signed someone in, the header follows and a toast
/// greets them.
pub(super) fn welcome_after<A>(action: ServerAction<A>, greeting: fn(&UserView) -> String)
where
    A: leptos::server_fn::ServerFn<Output = UserView, Error = AppError> + Clone + Send + Sync + 'static,
{
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(user)) = action.value().get() {
            session.refresh();
            use_toasts().success(greeting(&user));
        }
    });
}

#[component]
pub fn LogInPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = action_error(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/account".to_owned());
    welcome_after(action, |user| format!("Welcome back, {}.", user.display_name));
    view! {
        <Entrance title="Log in" heading="Log in" prompt="New here? " other=("/signup", "Create an account")>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" input_type="email" autocomplete="username" required=true error />
                <Field label="Password" name="password" input_type="password" autocomplete="current-password" required=true error />
                <FormError error fields=&["email", "password"] />
                <SubmitButton pending=action.pending() label="Log in" busy_label="Logging in…" />
            </ActionForm>
        </Entrance>
    }
}

/// The narrow page around a way into an account, with a link to the other
/// way in.
#[component]
pub(super) fn Entrance(
    title: &'static str,
    heading: &'static str,
    prompt: &'static str,
    other: (&'static str, &'static str),
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=title />
        <section class="panel narrow">
            <h1>{heading}</h1>
            <p class="muted">{prompt} <A href=other.0>{other.1}</A></p>
            {children()}
        </section>
    }
}

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::accounts::LogIn;
use crate::components::{action_error, use_toasts, Field, FormError, SubmitButton};
use crate::use_session;

#[component]
pub fn LogInPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = action_error(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/account".to_owned());
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(user)) = action.value().get() {
            session.refresh();
            use_toasts().success(format!("Welcome back, {}.", user.display_name));
        }
    });
    view! {
        <Title text="Log in" />
        <section class="panel narrow">
            <h1>"Log in"</h1>
            <p class="muted">"New here? " <A href="/signup">"Create an account"</A></p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" input_type="email" autocomplete="username" required=true error />
                <Field label="Password" name="password" input_type="password" autocomplete="current-password" required=true error />
                <FormError error fields=&["email", "password"] />
                <SubmitButton pending=action.pending() label="Log in" busy_label="Logging in…" />
            </ActionForm>
        </section>
    }
}

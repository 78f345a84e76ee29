use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::SignUp;
use crate::components::{action_error, mint_idempotency_key, use_toasts, Field, FormError, SubmitButton};
use crate::use_session;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let idempotency_key = mint_idempotency_key();
    let session = use_session();
    Effect::new(move |_| {
        if let Some(Ok(user)) = action.value().get() {
            session.refresh();
            use_toasts().success(format!("Welcome to Lockstep, {}!", user.display_name));
        }
    });
    view! {
        <Title text="Sign up" />
        <section class="panel narrow">
            <h1>"Create your account"</h1>
            <p class="muted">"Already have one? " <A href="/login">"Log in"</A></p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="idempotency_key" value=idempotency_key />
                <Field label="Your name" name="display_name" autocomplete="name" required=true error />
                <Field label="Email" name="email" input_type="email" autocomplete="email" required=true error />
                <Field
                    label="Password" name="password" input_type="password" autocomplete="new-password"
                    hint="At least 8 characters." required=true error
                />
                <FormError error fields=&["display_name", "email", "password"] />
                <SubmitButton pending=action.pending() label="Sign up" busy_label="Creating your account…" />
            </ActionForm>
        </section>
    }
}

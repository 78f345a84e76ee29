use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::accounts::SignUp;
use crate::components::{action_error, mint_idempotency_key, Field, FormError, SubmitButton};

use super::login::{welcome_after, Entrance};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let idempotency_key = mint_idempotency_key();
    welcome_after(action, |user| format!("Welcome to Lockstep, {}!", user.display_name));
    view! {
        <Entrance title="Sign up" heading="Create your account" prompt="Already have one? " other=("/login", "Log in")>
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
        </Entrance>
    }
}

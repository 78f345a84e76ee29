//! `/setup?token=…` (the first administrator) and `/reset-password?token=…`
//! (a new password from a link an administrator handed out).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::{action_error, when_loaded, Field, FormError, SubmitButton};
use crate::error::AppError;
use crate::people::{get_setup_state, reset_link_owner, CreateFirstAdmin, ResetPassword, SetupState};

use super::login::welcome_after;
use super::NotFound;

fn token_from_query() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get("token").unwrap_or_default()
}

#[component]
pub fn SetupPage() -> AnyView {
    let token = token_from_query();
    let state = Resource::new_blocking(token, get_setup_state);
    let ready = move |state: SetupState| match state {
        SetupState::Open => view! { <CreateAdministrator token=token() /> }.into_any(),
        SetupState::WrongToken => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::FORBIDDEN);
            }
            view! {
                <Title text="Setup link not valid" />
                <section class="panel narrow" data-testid="setup-refused">
                    <h1>"This setup link is not valid"</h1>
                    <p>"Open the link Lockstep printed in its terminal when it started; it carries a one-time token."</p>
                </section>
            }
            .into_any()
        }
        // Once an administrator exists the page is gone for good.
        SetupState::Done => view! { <NotFound /> }.into_any(),
    };
    when_loaded(state, ready, crate::components::error_alert).into_any()
}

#[component]
fn CreateAdministrator(token: String) -> impl IntoView {
    let action = ServerAction::<CreateFirstAdmin>::new();
    let error = action_error(action);
    welcome_after(action, |user| format!("Welcome, {}. You are Lockstep's administrator.", user.display_name));
    let taken = move || matches!(error.get(), Some(AppError::NotFound));
    let token = StoredValue::new(token);
    view! {
        <Title text="Create the administrator" />
        <section class="panel narrow" data-testid="setup">
            <h1>"Create the administrator"</h1>
            <p class="muted">"Lockstep has no administrator yet. The first one manages people, roles and API keys; "
                "this page disappears once it exists."</p>
            <Show when=taken fallback=move || view! {
                <ActionForm action=action attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="token" value=token.get_value() />
                    <Field label="Your name" name="display_name" autocomplete="name" required=true error />
                    <Field label="Email" name="email" input_type="email" autocomplete="email" required=true error />
                    <Field label="Password" name="password" input_type="password" autocomplete="new-password"
                        hint="At least 8 characters." required=true error />
                    <FormError error fields=&["display_name", "email", "password"] />
                    <SubmitButton pending=action.pending() label="Create the administrator" busy_label="Creating…" />
                </ActionForm>
            }>
                <div class="alert" role="alert" data-testid="setup-done">
                    <p>"An administrator exists already, so this page is closed. "
                        <A href="/login">"Log in"</A> " with that account."</p>
                </div>
            </Show>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> AnyView {
    let token = token_from_query();
    let owner = Resource::new_blocking(token, reset_link_owner);
    let ready = move |email: String| view! { <NewPassword token=token() email /> }.into_any();
    let failed = |error: AppError| match error {
        AppError::NotFound => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::NOT_FOUND);
            }
            view! {
                <Title text="Reset link not valid" />
                <section class="panel narrow" data-testid="reset-link-invalid">
                    <h1>"This link does not work any more"</h1>
                    <p>"A reset link works once, for 24 hours. Ask an administrator for a new one, or "
                        <A href="/login">"log in"</A> " if you remember your password."</p>
                </section>
            }
            .into_any()
        }
        other => crate::components::error_alert(other),
    };
    when_loaded(owner, ready, failed).into_any()
}

#[component]
fn NewPassword(token: String, email: String) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    welcome_after(action, |user| format!("Your new password is set, {}.", user.display_name));
    view! {
        <Title text="Choose a new password" />
        <section class="panel narrow" data-testid="reset-password">
            <h1>"Choose a new password"</h1>
            <p class="muted">{format!("For {email}. Every device signed in to this account will be signed out.")}</p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="token" value=token />
                <input type="text" name="username" value=email.clone() autocomplete="username" hidden=true readonly=true />
                <Field label="New password" name="new_password" input_type="password" autocomplete="new-password"
                    hint="At least 8 characters." required=true error />
                <FormError error fields=&["new_password"] />
                <SubmitButton pending=action.pending() label="Set the password" busy_label="Saving…" />
            </ActionForm>
        </section>
    }
}

//! `/profile` (personal and professional sections, each saved with its own
//! version) and `/profile/sessions` (devices, password).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{action_error, follow_saves, use_toasts, BoundField, Field, FormError, SubmitButton};
use crate::live::{live_feed, LiveEditing, LiveFeed};
use crate::merge::{EditorState, MergePanel};
use crate::profile::{
    get_profile, list_devices, ChangePassword, DeviceView, RevokeDevice, RevokeOtherDevices, SavePersonal,
    SaveProfessional, SectionView, PERSONAL_FIELDS, PROFESSIONAL_FIELDS,
};

#[component]
pub fn ProfilePage() -> AnyView {
    let profile = Resource::new_blocking(|| (), |_| get_profile());
    // One stream for both sections: changes saved on another device.
    let feed = live_feed("personal_info:*,professional_info:*".to_owned());
    view! {
        <Title text="Your profile" />
        <section class="page-head">
            <h1>"Your profile"</h1>
            <A href="/profile/sessions" attr:class="button ghost">"Devices and password"</A>
        </section>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || profile.get().map(|result| match result {
                Ok(profile) => view! {
                    <PersonalSection section=profile.personal feed />
                    <ProfessionalSection section=profile.professional feed />
                }.into_any(),
                Err(error) => view! { <div class="alert error" role="alert">{error.to_string()}</div> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PersonalSection(section: SectionView, feed: LiveFeed) -> AnyView {
    let state = EditorState::new(section.values, section.version);
    let save = ServerAction::<SavePersonal>::new();
    let error = follow_saves(save, state, PERSONAL_FIELDS);
    view! {
        <section class="panel profile-section" data-testid="personal">
            <h2>"Personal details"</h2>
            <LiveEditing feed entity="personal_info" state saving=save.pending()
                fetch=|| async { get_profile().await.ok().map(|profile| profile.personal) } />
            <MergePanel state labels=PERSONAL_FIELDS />
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    <BoundField state form="personal" field="full_name" label="Full name" error />
                    <BoundField state form="personal" field="date_of_birth" label="Date of birth" input_type="date" error />
                </div>
                <div class="field-row">
                    <BoundField state form="personal" field="primary_email" label="Primary email" input_type="email" error />
                    <BoundField state form="personal" field="phone" label="Phone" input_type="tel" error />
                </div>
                <BoundField state form="personal" field="address" label="Address" error />
                <div class="field-row">
                    <BoundField state form="personal" field="city" label="City" error />
                    <BoundField state form="personal" field="country" label="Country" error />
                </div>
                <FormError error fields=&["full_name", "primary_email", "phone", "date_of_birth", "address", "city", "country"] />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save personal details" busy_label="Saving…" />
                    <span class="muted small" data-testid="personal-version">{move || version_label(state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ProfessionalSection(section: SectionView, feed: LiveFeed) -> AnyView {
    let state = EditorState::new(section.values, section.version);
    let save = ServerAction::<SaveProfessional>::new();
    let error = follow_saves(save, state, PROFESSIONAL_FIELDS);
    view! {
        <section class="panel profile-section" data-testid="professional">
            <h2>"Professional details"</h2>
            <LiveEditing feed entity="professional_info" state saving=save.pending()
                fetch=|| async { get_profile().await.ok().map(|profile| profile.professional) } />
            <MergePanel state labels=PROFESSIONAL_FIELDS />
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    <BoundField state form="professional" field="company" label="Company" error />
                    <BoundField state form="professional" field="job_title" label="Job title" error />
                </div>
                <BoundField state form="professional" field="department" label="Department" error />
                <div class="field-row">
                    <BoundField state form="professional" field="website" label="Website" error />
                    <BoundField state form="professional" field="linkedin" label="LinkedIn" error
                        hint="https://www.linkedin.com/in/your-name" />
                </div>
                <BoundField state form="professional" field="bio" label="Bio" multiline=true error />
                <FormError error fields=&["company", "job_title", "department", "website", "linkedin", "bio"] />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save professional details" busy_label="Saving…" />
                    <span class="muted small" data-testid="professional-version">{move || version_label(state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

fn version_label(version: i32) -> String {
    if version == 0 {
        "Not saved yet".to_owned()
    } else {
        format!("Version {version}")
    }
}

#[component]
pub fn SessionsPage() -> AnyView {
    let revoke = ServerAction::<RevokeDevice>::new();
    let revoke_others = ServerAction::<RevokeOtherDevices>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let devices = Resource::new_blocking(
        move || (revoke.version().get(), revoke_others.version().get(), change_password.version().get()),
        |_| list_devices(),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(count)) = revoke_others.value().get() {
            toasts.success(signed_out_message(count));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(count)) = change_password.value().get() {
            toasts.success(format!("Password changed. {}", signed_out_message(count)));
        }
    });
    let password_error = action_error(change_password);
    view! {
        <Title text="Devices and password" />
        <section class="page-head">
            <h1>"Devices and password"</h1>
            <A href="/profile" attr:class="button ghost">"Your profile"</A>
        </section>
        <section class="panel">
            <h2>"Where you are signed in"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || devices.get().map(|result| match result {
                    Ok(devices) => view! {
                        <ul class="device-list" data-testid="devices">
                            {devices.into_iter().map(|device| view! { <DeviceRow device revoke /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <div class="alert error" role="alert">{error.to_string()}</div> }.into_any(),
                })}
            </Suspense>
            <ActionForm action=revoke_others attr:class="inline-form">
                <SubmitButton pending=revoke_others.pending() label="Sign out all other devices" busy_label="Signing out…"
                    class="button ghost" />
            </ActionForm>
        </section>
        <section class="panel narrow-form">
            <h2>"Change your password"</h2>
            <p class="muted" data-testid="password-note">
                "Changing your password signs out every other device; this one stays signed in."
            </p>
            <ActionForm action=change_password attr:class="form" attr:novalidate=true>
                <Field label="Current password" name="current_password" input_type="password"
                    autocomplete="current-password" error=password_error />
                <Field label="New password" name="new_password" input_type="password"
                    autocomplete="new-password" hint="At least 8 characters." error=password_error />
                <FormError error=password_error fields=&["current_password", "new_password"] />
                <SubmitButton pending=change_password.pending() label="Change password" busy_label="Changing…" />
            </ActionForm>
        </section>
    }
    .into_any()
}

fn signed_out_message(count: u64) -> String {
    match count {
        0 => "No other device was signed in.".to_owned(),
        1 => "1 other device was signed out.".to_owned(),
        n => format!("{n} other devices were signed out."),
    }
}

#[component]
fn DeviceRow(device: DeviceView, revoke: ServerAction<RevokeDevice>) -> AnyView {
    let this_device = device.this_device;
    view! {
        <li class="device" data-testid="device" class:current=this_device>
            <div>
                <strong>{device.description.clone()}</strong>
                {this_device.then(|| view! { <span class="badge" data-testid="this-device">"This device"</span> })}
                <p class="muted small">
                    {format!("{} · first seen {} · last seen {}", device.ip, device.first_seen, device.last_seen)}
                </p>
            </div>
            {(!this_device).then(|| view! {
                <ActionForm action=revoke attr:class="inline-form">
                    <input type="hidden" name="id" value=device.id.clone() />
                    <SubmitButton pending=revoke.pending() label="Sign out" busy_label="Signing out…" class="button small danger" />
                </ActionForm>
            })}
        </li>
    }
    .into_any()
}

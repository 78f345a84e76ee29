//! `/profile` (personal and professional sections, each saved with its own
//! version) and `/profile/sessions` (devices, password).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use model::profiles::{PersonalFields, PersonalInfo, ProfessionalFields, ProfessionalInfo};
use model::Form as _;

use crate::components::{action_error, error_alert, use_toasts, when_loaded, Field, FormError, PageHead, SubmitButton};
use crate::editor::{shows_all, Editor, Fields, Input, Line};
use crate::live::{live_feed, Live};
use crate::profiles::{
    get_profile, list_devices, ChangePassword, ProfileView, RevokeDevice, RevokeOtherDevices, SavePersonal,
    SaveProfessional, SectionView, SignedInDevice,
};

#[component]
pub fn ProfilePage() -> AnyView {
    let profile = Resource::new_blocking(|| (), |_| get_profile());
    // One stream for both sections: changes saved on another device.
    let feed = live_feed("personal_info:*,professional_info:*".to_owned());
    let ready = move |profile: ProfileView| {
        let personal = Live::new(feed, "personal_info", None, || async { Some(get_profile().await.ok()?.personal) });
        let professional =
            Live::new(feed, "professional_info", None, || async { Some(get_profile().await.ok()?.professional) });
        view! {
            <ProfileSection testid="personal" title="Personal details">
                <Editor save={ServerAction::<SavePersonal>::new()} state=profile.personal live=personal
                    theirs={SectionView::stored::<PersonalInfo>} form="personal" fields=PersonalFields::FIELDS
                    layout=PERSONAL save_label="Save personal details" version_testid="personal-version" />
            </ProfileSection>
            <ProfileSection testid="professional" title="Professional details">
                <Editor save={ServerAction::<SaveProfessional>::new()} state=profile.professional live=professional
                    theirs={SectionView::stored::<ProfessionalInfo>} form="professional" fields=ProfessionalFields::FIELDS
                    layout=PROFESSIONAL save_label="Save professional details" version_testid="professional-version" />
            </ProfileSection>
        }
        .into_any()
    };
    view! {
        <PageHead title="Your profile">
            <A href="/profile/sessions" attr:class="button ghost">"Devices and password"</A>
        </PageHead>
        {when_loaded(profile, ready, error_alert)}
    }
    .into_any()
}

/// One section of the profile, saved on its own version.
#[component]
fn ProfileSection(testid: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="panel profile-section" data-testid=testid>
            <h2>{title}</h2>
            {children()}
        </section>
    }
}

const PERSONAL: &[Line] = {
    const F: Fields = PersonalFields::FIELDS;
    &[
        Line::Row(&[Input::of(F, "full_name"), Input::of(F, "date_of_birth").typed("date")]),
        Line::Row(&[Input::of(F, "primary_email").typed("email"), Input::of(F, "phone").typed("tel")]),
        Line::One(Input::of(F, "address")),
        Line::Row(&[Input::of(F, "city"), Input::of(F, "country")]),
    ]
};
const _: () = assert!(shows_all(PERSONAL, PersonalFields::FIELDS));

const PROFESSIONAL: &[Line] = {
    const F: Fields = ProfessionalFields::FIELDS;
    &[
        Line::Row(&[Input::of(F, "company"), Input::of(F, "job_title")]),
        Line::One(Input::of(F, "department")),
        Line::Row(&[Input::of(F, "website"), Input::of(F, "linkedin").hint("https://www.linkedin.com/in/your-name")]),
        Line::One(Input::of(F, "bio").multiline()),
    ]
};
const _: () = assert!(shows_all(PROFESSIONAL, ProfessionalFields::FIELDS));

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
        <PageHead title="Devices and password">
            <A href="/profile" attr:class="button ghost">"Your profile"</A>
        </PageHead>
        <section class="panel">
            <h2>"Where you are signed in"</h2>
            {when_loaded(devices, move |devices| view! {
                <ul class="device-list" data-testid="devices">
                    {devices.into_iter().map(|device| view! { <DeviceRow device revoke /> }).collect_view()}
                </ul>
            }.into_any(), error_alert)}
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
fn DeviceRow(device: SignedInDevice, revoke: ServerAction<RevokeDevice>) -> AnyView {
    let SignedInDevice { device, description, this_device } = device;
    view! {
        <li class="device" data-testid="device" class:current=this_device>
            <div>
                <strong>{description}</strong>
                {this_device.then(|| view! { <span class="badge" data-testid="this-device">"This device"</span> })}
                <p class="muted small">
                    {format!(
                        "{} · first seen {} · last seen {}",
                        device.address(),
                        model::time::minute(device.first_seen),
                        model::time::minute(device.last_seen),
                    )}
                </p>
            </div>
            {(!this_device).then(|| view! {
                <ActionForm action=revoke attr:class="inline-form">
                    <input type="hidden" name="id" value=device.id.to_string() />
                    <SubmitButton pending=revoke.pending() label="Sign out" busy_label="Signing out…" class="button small danger" />
                </ActionForm>
            })}
        </li>
    }
    .into_any()
}

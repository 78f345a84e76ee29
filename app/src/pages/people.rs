//! `/admin/users`: administrators find accounts, change roles, disable and
//! enable them, and hand out one-time password reset links.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{
    action_error, search_query, when_loaded, EmptyState, FormError, PageHead, SearchBox, SubmitButton, Table,
};
use crate::error::AppError;
use crate::people::{list_people, take_issued_reset_link, IssueResetLink, Person, ResetLink, Role, SetAccess};

use super::training::load_error;

#[component]
pub fn PeoplePage() -> AnyView {
    let search = search_query();
    let set_access = ServerAction::<SetAccess>::new();
    let reset = ServerAction::<IssueResetLink>::new();
    let access_error = action_error(set_access);
    let people = Resource::new_blocking(
        move || (search(), set_access.version().get(), reset.version().get()),
        |(search, _, _)| list_people(search),
    );
    // A link made by the form posted without JavaScript arrives this way.
    let handed_over = Resource::new_blocking(|| (), |_| take_issued_reset_link());
    let issued =
        move || reset.value().get().and_then(Result::ok).or_else(|| handed_over.get().and_then(Result::ok).flatten());
    let reset_error = action_error(reset);
    view! {
        <PageHead title="People">
            <A href="/admin/api-keys" attr:class="button ghost">"API keys"</A>
        </PageHead>
        <SearchBox action="/admin/users" id="people-search" label="Search people" placeholder="Search by name or email" />
        <Suspense fallback=|| ()>
            {move || issued().map(|link| view! { <IssuedLink link /> })}
        </Suspense>
        <ConflictNote error=access_error />
        <FormError error=access_error fields=&[] />
        <FormError error=reset_error fields=&[] />
        {when_loaded(people, move |people| people_table(people, set_access, reset, access_error), |error| {
            load_error(error, "administrators")
        })}
    }
    .into_any()
}

/// A stale form is not an error to fix but news: say what happened.
#[component]
fn ConflictNote(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        matches!(error.get(), Some(AppError::VersionConflict { .. })).then(|| {
            view! {
                <div class="alert" role="alert" data-testid="people-conflict">
                    "Not saved: someone else changed this account first. The list now shows it as stored; make your change again."
                </div>
            }
        })
    }
}

#[component]
fn IssuedLink(link: ResetLink) -> impl IntoView {
    view! {
        <div class="alert success" role="status" data-testid="reset-link">
            <p>{format!(
                "A one-time link for {} to choose a new password, valid until {}. Hand it over yourself; it will not be shown again:",
                link.email,
                model::time::minute(link.expires_at)
            )}</p>
            <p><code class="secret">{link.url.clone()}</code></p>
        </div>
    }
}

fn people_table(
    people: Vec<Person>,
    set_access: ServerAction<SetAccess>,
    reset: ServerAction<IssueResetLink>,
    error: Signal<Option<AppError>>,
) -> AnyView {
    if people.is_empty() {
        return view! { <EmptyState testid="people-empty" title="Nobody found" text="Search for another name or email." /> }
            .into_any();
    }
    let me = crate::use_session().current().map(|user| user.id);
    view! {
        <Table class="table panel" testid="people" columns=&["Name", "Email", "Last seen", "Role and access", "Password"]>
            {people.into_iter().map(|person| {
                let id = person.id.to_string();
                let is_me = me == Some(person.id);
                let (disabled, email, is_admin) = (person.is_disabled(), person.email.clone(), person.role == Role::Admin);
                let reset_id = id.clone();
                let last_seen = match person.last_seen {
                    Some(at) => format!("{} ({} signed in)", model::time::minute(at), person.sessions),
                    None => "not signed in".to_owned(),
                };
                let field_error = move |field: &'static str| move || error.get().and_then(|e| e.message_for(field));
                view! {
                    <tr class:revoked=disabled data-testid="person" data-email=email>
                        <td>{person.display_name.clone()}
                            {person.is_disabled().then(|| view! { " " <span class="status status-revoked" data-testid="disabled">"Disabled"</span> })}
                        </td>
                        <td>{person.email.clone()}</td>
                        <td class="muted small">{last_seen}</td>
                        <td>
                            {if is_me {
                                view! { <span class="muted small">{person.role.label()} " (you)"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=set_access attr:class="inline-form access-form">
                                        <input type="hidden" name="id" value=id.clone() />
                                        <input type="hidden" name="version" value=person.version.to_string() />
                                        <label class="visually-hidden" for=format!("role-{id}")>"Role"</label>
                                        <select id=format!("role-{id}") name="role">
                                            {Role::ALL.iter().map(|role| view! {
                                                <option value=role.as_str() selected=*role == person.role>{role.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        <label class="check small">
                                            <input type="checkbox" name="enabled" value="on" checked=!person.is_disabled() />
                                            " May sign in"
                                        </label>
                                        <SubmitButton pending=set_access.pending() label="Save" busy_label="Saving…" class="button small" />
                                        <p class="field-error" role="alert">{field_error("role")}</p>
                                    </ActionForm>
                                }.into_any()
                            }}
                        </td>
                        <td>
                            {(!disabled && !is_admin).then(|| view! {
                                <ActionForm action=reset attr:class="inline-form">
                                    <input type="hidden" name="id" value=reset_id />
                                    <SubmitButton pending=reset.pending() label="Reset link" busy_label="Making…" class="button small ghost" />
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }
    .into_any()
}

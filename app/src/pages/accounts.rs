use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::loading;
use crate::use_session;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Your account" />
        <Transition fallback=loading>
            {move || match session.current() {
                Some(user) => view! {
                    <section class="panel">
                        <h1>{format!("Hello, {}", user.display_name)}</h1>
                        <dl class="facts">
                            <dt>"Email"</dt><dd data-testid="account-email">{user.email.clone()}</dd>
                            <dt>"Role"</dt><dd>{user.role.as_str()}</dd>
                        </dl>
                        <p class="muted">
                            "You can stay signed in on several devices at once; each has its own session."
                        </p>
                    </section>
                }.into_any(),
                None => view! {
                    <section class="panel narrow">
                        <h1>"Please log in"</h1>
                        <p><A href="/login?next=/account" attr:class="button primary">"Log in"</A></p>
                    </section>
                }.into_any(),
            }}
        </Transition>
    }
}

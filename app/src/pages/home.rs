use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::use_session;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Work together without stepping on each other."</h1>
            <p class="lead">
                "Lockstep keeps your profile, business cards and casework in one place. "
                "Press a button twice, refresh mid-save, edit in two tabs: nothing is created twice "
                "and no edit is silently lost."
            </p>
            <Transition fallback=|| ()>
                {move || match session.current() {
                    Some(user) => view! {
                        <p class="hero-actions">
                            <A href="/account" attr:class="button primary">{format!("Continue as {}", user.display_name)}</A>
                        </p>
                    }.into_any(),
                    None => view! {
                        <p class="hero-actions">
                            <A href="/signup" attr:class="button primary">"Create your account"</A>
                            <A href="/login" attr:class="button ghost">"Log in"</A>
                        </p>
                    }.into_any(),
                }}
            </Transition>
        </section>
        <section class="features">
            <article class="panel">
                <h2>"Once, not twice"</h2>
                <p>"Every form carries a key. A double click or a resent request returns the first result instead of a duplicate."</p>
            </article>
            <article class="panel">
                <h2>"Edits that meet"</h2>
                <p>"Every record has a version. When two people change it at once, the second sees both and merges."</p>
            </article>
            <article class="panel">
                <h2>"Numbers without gaps"</h2>
                <p>"Document numbers are drawn inside the transaction that uses them: never repeated, never skipped."</p>
            </article>
        </section>
    }
}

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let (href, label) = nearest_page(&use_location().pathname.get_untracked());
    view! {
        <Title text="Page not found" />
        <section class="panel narrow center" data-testid="page-not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p class="form-actions center">
                <A href=href attr:class="button primary">{label}</A>
                {(href != "/").then(|| view! { <A href="/" attr:class="button ghost">"The start page"</A> })}
            </p>
        </section>
    }
}

/// The page closest to a mistyped or outdated address: the section of the
/// application its path starts with.
fn nearest_page(path: &str) -> (&'static str, &'static str) {
    const SECTIONS: [(&str, &str, &str); 10] = [
        ("/staff/clients", "/staff/clients", "Clients"),
        ("/staff/scenarios", "/staff/scenarios", "Training scenarios"),
        ("/staff", "/staff", "Staff home"),
        ("/cards", "/cards", "Your business cards"),
        ("/profile", "/profile", "Your profile"),
        ("/account", "/account", "Your account"),
        ("/assignments", "/assignments", "Your assignments"),
        ("/admin/api-keys", "/admin/api-keys", "API keys"),
        ("/admin", "/admin/users", "People"),
        ("/docs", "/docs/api", "API reference"),
    ];
    SECTIONS
        .iter()
        .find(|(prefix, _, _)| path == *prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/')))
        .map_or(("/", "Go to the start page"), |(_, href, label)| (*href, *label))
}

#[cfg(test)]
mod tests {
    use super::nearest_page;

    #[test]
    fn a_lost_address_leads_to_the_section_it_was_in() {
        assert_eq!(nearest_page("/staff/clients/no-such-client/edit"), ("/staff/clients", "Clients"));
        assert_eq!(nearest_page("/staff/requests"), ("/staff", "Staff home"));
        assert_eq!(nearest_page("/cards/x/y"), ("/cards", "Your business cards"));
        assert_eq!(nearest_page("/admin/api-keys/x"), ("/admin/api-keys", "API keys"));
        assert_eq!(nearest_page("/admin/nothing"), ("/admin/users", "People"));
        // A prefix of a word is not its section.
        assert_eq!(nearest_page("/cardsx"), ("/", "Go to the start page"));
        assert_eq!(nearest_page("/nowhere"), ("/", "Go to the start page"));
    }
}

//! Keeps Leptos' current reactive owner to the request that set it.
//!
//! A render reads its request's context (the request, its response
//! headers and status, its nonce) through the reactive owner that Leptos
//! keeps in a thread-local. Leptos 0.8 makes a page's owner the thread's
//! current one when its render starts (`Owner::new_root`) and leaves it
//! there across the render's awaits; its handlers for server functions and
//! for files make their own owner a child of whatever owner is current. On
//! a thread that interleaves requests, one request so read another's
//! context: a favicon fetched while a page rendered took that page's
//! response headers and status (its Content-Security-Policy, its cookies),
//! and the page arrived without them (`tests/api/security.rs`,
//! `every_page_gets_the_policy_of_its_own_nonce_even_many_at_once`).
//!
//! This layer makes the thread-local act as a task-local: each request is
//! polled with the owner it left current after its last poll, and the
//! thread gets back the owner it had before.

use std::future::{poll_fn, Future};
use std::pin::pin;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use leptos::reactive::owner::{Owner, WeakOwner};

/// The outermost layer: every request runs with a current owner of its own.
pub async fn per_request(request: Request, next: Next) -> Response {
    with_own_current_owner(next.run(request)).await
}

/// `future`, polled with its own current owner (none at first).
pub async fn with_own_current_owner<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut own: Option<WeakOwner> = None;
    poll_fn(move |cx| {
        let others = make_current(own.take().and_then(|owner| owner.upgrade()));
        let poll = future.as_mut().poll(cx);
        own = make_current(others).map(|owner| owner.downgrade());
        poll
    })
    .await
}

/// Makes `owner` the thread's current owner (or none); returns the one it replaced.
fn make_current(owner: Option<Owner>) -> Option<Owner> {
    let previous = Owner::current();
    match &owner {
        Some(owner) => owner.set(),
        None => {
            if let Some(previous) = &previous {
                previous.clone().unset();
            }
        }
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{provide_context, use_context};
    use std::task::Poll;

    /// A page render under way (its owner made, waiting on the database),
    /// then another request on the same thread: what that one finds.
    async fn found_while_a_page_renders(isolated: bool) -> Option<&'static str> {
        let (release, database) = tokio::sync::oneshot::channel::<()>();
        let render = async move {
            let page = Owner::new_root(None);
            page.with(|| provide_context("the page's headers"));
            database.await.ok();
            drop(page);
        };
        let mut render: std::pin::Pin<Box<dyn Future<Output = ()>>> =
            if isolated { Box::pin(with_own_current_owner(render)) } else { Box::pin(render) };
        let under_way = poll_fn(|cx| Poll::Ready(render.as_mut().poll(cx).is_pending())).await;
        assert!(under_way, "the render waits for the database");
        let file = async { Owner::new().with(use_context::<&'static str>) };
        let found = if isolated { with_own_current_owner(file).await } else { file.await };
        release.send(()).ok();
        render.await;
        found
    }

    #[tokio::test]
    async fn a_request_never_sees_the_owner_another_request_left_current() {
        assert_eq!(found_while_a_page_renders(true).await, None, "a request found another request's context");
        // What Leptos does without the layer: the page's headers are found.
        assert_eq!(found_while_a_page_renders(false).await, Some("the page's headers"));
    }

    /// A request whose render set its owner finds it again at its next poll.
    #[tokio::test]
    async fn a_request_keeps_its_own_owner_across_its_awaits() {
        let seen = with_own_current_owner(async {
            let page = Owner::new_root(None);
            page.with(|| provide_context(7_u32));
            tokio::task::yield_now().await;
            let seen = use_context::<u32>();
            drop(page);
            seen
        })
        .await;
        assert_eq!(seen, Some(7));
        assert!(Owner::current().is_none(), "the thread got back its own current owner");
    }
}

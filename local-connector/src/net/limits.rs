//! Limits for the listeners whose requests are small (the panel services
//! and the web front): a body cap and a deadline for the whole request, so
//! that trickled bodies cannot hold connections and memory. Their
//! listeners also wait at most [`REQUEST_DEADLINE`] for a request's
//! headers ([`super::Listener::header_timeout`]), which the middleware here
//! cannot see. The IPP queue, which takes documents of any size, has its
//! own idle deadlines instead, and gives its attributes this deadline.

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Largest body a JSON or form route reads.
pub const SMALL_BODY: usize = 64 * 1024;
/// A request, its body included, must arrive and be answered within this.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(20);

/// `router` with the body cap ([`SMALL_BODY`], answered 413) and the
/// request deadline ([`REQUEST_DEADLINE`], answered 408).
pub fn small_requests(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(deadline)).layer(DefaultBodyLimit::max(SMALL_BODY))
}

async fn deadline(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(req)).await {
        Ok(r) => r,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request did not arrive in time\n").into_response(),
    }
}

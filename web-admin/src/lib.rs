//! Pullprint's HTTPS front: the pages and endpoints a person or a monitoring
//! system reaches on the console listener (443 in production, 18443 under
//! `pullprint demo`).
//!
//! Each HTTP request is turned into a typed [`Action`] before anything runs;
//! the appliance, which implements [`Appliance`], carries it out. This crate
//! owns no state, keys or sockets.
//!
//! Served so far, without a session (the design allows health and setup to
//! be reached before login):
//! - `GET /healthz`: the [`Health`] report as JSON; 200 when healthy, 503 when not.
//! - `GET /ca.crt`: the internal CA certificate, for workstations and printers to trust.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a request asks the appliance to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Report health.
    Health,
    /// Hand out the internal CA certificate.
    CaCertificate,
}

/// The appliance's answer to an [`Action`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A health report.
    Health(Health),
    /// A PEM document.
    Pem(String),
}

/// Carries out actions; implemented by the appliance.
pub trait Appliance: Send + Sync + 'static {
    /// Perform `action`.
    fn perform(&self, action: Action) -> Outcome;
}

/// The health report served at `/healthz` and printed by `pullprint status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// Pullprint version.
    pub version: String,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// Site identifier (public).
    pub site_id: String,
    /// Parked jobs.
    pub parked_jobs: u64,
    /// Free bytes on the data disk.
    pub data_free_bytes: u64,
    /// Problems that make the status `degraded`, in words for an admin.
    pub problems: Vec<String>,
    /// Dangerous settings that are switched on.
    pub dangerous_settings: Vec<String>,
}

/// Build the router.
pub fn router(app: Arc<dyn Appliance>) -> Router {
    Router::new().route("/healthz", get(health)).route("/ca.crt", get(ca)).fallback(not_found).with_state(app)
}

fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

async fn health(State(app): State<Arc<dyn Appliance>>) -> Response {
    match app.perform(Action::Health) {
        Outcome::Health(h) => {
            let code = if h.status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
            harden((code, axum::Json(h)).into_response())
        }
        Outcome::Pem(_) => harden(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

async fn ca(State(app): State<Arc<dyn Appliance>>) -> Response {
    match app.perform(Action::CaCertificate) {
        Outcome::Pem(p) => harden(
            (
                [
                    (header::CONTENT_TYPE, "application/x-pem-file"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"pullprint-ca.crt\""),
                ],
                p,
            )
                .into_response(),
        ),
        Outcome::Health(_) => harden(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

async fn not_found() -> Response {
    harden((StatusCode::NOT_FOUND, "not found\n").into_response())
}

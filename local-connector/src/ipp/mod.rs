//! The IPP Everywhere submission queue (RFC 8010/8011, PWG 5100.14).
//!
//! - [`wire`]: strict sans-IO framing checks, before any value is parsed.
//! - [`printer`]: the queue's printer description.
//! - [`queue`]: operations and their validation, one `match` over the
//!   operation; `request` reads a request and writes replies, `job_attrs`
//!   renders jobs, `ingest` streams a document into the store.
//! - [`server`]: the HTTP shell on the shared accept loop; nothing else here
//!   touches a socket.

mod ingest;
mod job_attrs;
pub mod printer;
pub mod queue;
mod request;
pub mod server;
mod values;
pub mod wire;

pub use ingest::{Receiver, Rejected};
pub use queue::{Caller, Queue, QueueLimits, Step};

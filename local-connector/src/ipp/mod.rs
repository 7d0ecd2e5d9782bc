//! The IPP Everywhere submission queue (RFC 8010/8011, PWG 5100.14).
//!
//! - [`codec`]: the one sans-IO IPP codec: framing, reading, writing, codes.
//! - [`printer`]: the queue's printer description.
//! - [`queue`]: operations and their validation, one `match` over the
//!   operation; `request` reads a request and writes replies, `job_attrs`
//!   renders jobs, `ingest` streams a document into the store.
//! - [`server`]: the HTTP shell on the shared accept loop; nothing else here
//!   touches a socket.

pub mod codec;
mod ingest;
mod job_attrs;
pub mod printer;
pub mod queue;
mod request;
pub mod server;

#[cfg(test)]
mod tests;

pub use ingest::{Receiver, Rejected};
pub use queue::{Caller, Queue, QueueLimits, Step};

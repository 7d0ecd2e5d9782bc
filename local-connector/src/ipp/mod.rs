//! The IPP Everywhere submission queue (RFC 8010/8011, PWG 5100.14).
//!
//! - [`wire`]: strict sans-IO framing checks, before any value is parsed.
//! - [`printer`]: the queue's printer description.
//! - [`queue`]: operations, validation, job numbering, parking into the store.
//!
//! The HTTPS listener lives in the appliance; nothing here touches a socket.

pub mod printer;
pub mod queue;
pub mod server;
mod values;
pub mod wire;

pub use queue::{Caller, Queue, QueueLimits, Receiver, Rejected, Step};

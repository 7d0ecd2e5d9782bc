//! The one IPP codec (RFC 8010), sans-IO, shared by the queue, the release
//! client and the tests.
//!
//! - [`wire`]: the strict framing scan every message passes first; its
//!   [`Framed`] carries the header and where the document data begins, so
//!   nothing is scanned twice.
//! - [`Message`]: reading a framed message's groups and attributes, with
//!   typed accessors. Values are the `ipp` crate's model.
//! - [`Writer`] and [`Attrs`]: writing requests and answers.
//! - [`status`], [`tag`], [`JobState`]: the numbers, named once; operations
//!   are the `ipp` crate's [`Operation`].
//!
//! A peer's message is hostile input: the `ipp` crate's parser panics on
//! some lying inner lengths, so [`Message::read`] takes the [`Framed`]
//! proof that [`wire::scan`] checked every tag and length first.

mod attrs;
mod codes;
mod message;
pub mod wire;
mod writer;

pub use attrs::{Attrs, collection, date_time, kw};
pub use codes::{JobState, status, tag};
pub use ipp::model::Operation;
pub use message::{Group, Message, ReadError, first_integer, first_string, group, strings};
pub use wire::{Framed, Header, Scan, Scanner, WireError, scan};
pub use writer::Writer;

#[cfg(test)]
pub(crate) mod tests;

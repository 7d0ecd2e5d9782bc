//! The ingest pipeline: a document's bytes as they stream in, inflated
//! (`compression` gzip or deflate), sanitised and analysed
//! ([`crate::analyse::Inspector`]), and written into the store; the
//! client's answer once the job is durable, or why it was refused.

use super::job_attrs::held_attrs;
use super::printer::PrinterFacts;
use super::request::{Ctx, Fail, Parsed, error_reply, fail, ok_reply, store_fail};
use crate::counted::Slot;
use crate::store::{JobWriter, StoreError};
use ipp::model::StatusCode;

/// The request's `compression` operation attribute.
pub(super) fn compression(p: &Parsed) -> Result<Compression, Fail> {
    match p.string("compression").as_deref() {
        None | Some("none") => Ok(Compression::None),
        Some("deflate") => Ok(Compression::Deflate),
        Some("gzip") => Ok(Compression::Gzip),
        Some(c) => fail(StatusCode::ClientErrorCompressionNotSupported, format!("compression {c:?} is not supported")),
    }
}

/// How the client compressed the document data (`compression`, RFC 8011
/// §4.2.1.1): the attributes travel plain, the document after them is
/// compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Compression {
    #[default]
    None,
    /// Raw deflate (RFC 1951).
    Deflate,
    /// gzip (RFC 1952).
    Gzip,
}

/// Where decompressed document bytes go: sanitised and analysed, then into
/// the store.
#[derive(Debug)]
pub(super) struct Sink {
    writer: JobWriter,
    inspector: crate::analyse::Inspector,
    /// The store's error, kept because `std::io::Write` can only carry a message.
    error: Option<StoreError>,
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let Sink { writer, inspector, error } = self;
        match inspector.push(buf, &mut |kept| writer.write_body(kept)) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let msg = e.to_string();
                *error = Some(e);
                Err(std::io::Error::other(msg))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug)]
pub(super) enum Decoder {
    Plain(Sink),
    Deflate(flate2::write::DeflateDecoder<Sink>),
    Gzip(flate2::write::GzDecoder<Sink>),
}

impl Decoder {
    fn sink_mut(&mut self) -> &mut Sink {
        match self {
            Decoder::Plain(s) => s,
            Decoder::Deflate(d) => d.get_mut(),
            Decoder::Gzip(d) => d.get_mut(),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        match self {
            Decoder::Plain(s) => s.write_all(data),
            Decoder::Deflate(d) => d.write_all(data),
            Decoder::Gzip(d) => d.write_all(data),
        }
    }

    /// End of the compressed data: the sink, with everything decoded.
    fn finish(self) -> std::io::Result<Sink> {
        match self {
            Decoder::Plain(s) => Ok(s),
            Decoder::Deflate(d) => d.finish(),
            Decoder::Gzip(d) => d.finish(),
        }
    }
}

/// Why a document was refused while it streamed in; nothing is stored.
#[derive(Debug)]
pub struct Rejected(Fail);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.1)
    }
}

/// A decoding or store error, as the client should see it.
pub(super) fn rejected(sink: &mut Sink, e: &std::io::Error) -> Rejected {
    match sink.error.take() {
        Some(store) => Rejected(store_fail(store)),
        None => Rejected(Fail(StatusCode::ClientErrorBadRequest, format!("the compressed document is corrupt: {e}"))),
    }
}

/// Receives one document into the store.
#[derive(Debug)]
pub struct Receiver {
    ctx: Ctx,
    decoder: Option<Decoder>,
    /// The client named the job; otherwise the document's own title is used.
    named: bool,
    facts: PrinterFacts,
    started_unix: u64,
    up_time: i32,
    /// Counts this document against its user's uploads until it ends.
    _upload: Slot<String>,
}

impl Receiver {
    /// A receiver writing into `writer`, inflating `compression`. `named`:
    /// the client named the job. `printer` is what the reply's job
    /// attributes are rendered with: the facts, when the queue started
    /// (Unix seconds) and its up-time now.
    pub(super) fn new(
        ctx: Ctx,
        writer: JobWriter,
        upload: Slot<String>,
        compression: Compression,
        named: bool,
        (facts, started_unix, up_time): (PrinterFacts, u64, i32),
    ) -> Receiver {
        let sink = Sink { writer, inspector: crate::analyse::Inspector::new(), error: None };
        let decoder = match compression {
            Compression::None => Decoder::Plain(sink),
            Compression::Deflate => Decoder::Deflate(flate2::write::DeflateDecoder::new(sink)),
            Compression::Gzip => Decoder::Gzip(flate2::write::GzDecoder::new(sink)),
        };
        Receiver { ctx, decoder: Some(decoder), named, facts, started_unix, up_time, _upload: upload }
    }

    /// Append document bytes. An error abandons the job (nothing is left behind);
    /// the listener then sends [`Receiver::fail`]'s reply.
    pub fn write(&mut self, data: &[u8]) -> Result<(), Rejected> {
        let Some(d) = self.decoder.as_mut() else {
            return Err(Rejected(Fail(StatusCode::ServerErrorInternalError, "job abandoned".into())));
        };
        match d.write_all(data) {
            Ok(()) => Ok(()),
            Err(e) => Err(rejected(d.sink_mut(), &e)),
        }
    }

    /// The document is complete: park the job durably and build the reply.
    pub fn finish(mut self) -> Vec<u8> {
        let Some(decoder) = self.decoder.take() else {
            return error_reply(self.ctx, Fail(StatusCode::ServerErrorInternalError, "job abandoned".into()));
        };
        let Sink { mut writer, inspector, .. } = match decoder.finish() {
            Ok(sink) => sink,
            Err(e) => {
                // The decoder (and the unfinished job with it) is dropped: nothing is stored.
                return error_reply(
                    self.ctx,
                    Fail(StatusCode::ClientErrorBadRequest, format!("the compressed document is corrupt: {e}")),
                );
            }
        };
        let w = &mut writer;
        let found = match inspector.finish(&mut |kept| w.write_body(kept)) {
            Ok(found) => found,
            Err(e) => return error_reply(self.ctx, store_fail(e)),
        };
        if !found.notes.is_empty() {
            log::info!("job from {}: {}", w.submission_mut().owner, found.notes.join("; "));
        }
        let sub = w.submission_mut();
        sub.notes.extend(found.notes);
        sub.pages = found.pages;
        sub.pages_estimated = found.estimated;
        sub.color = found.color;
        // The client's word (IPP) first, then the document's (PJL, PDF Info, DSC).
        if sub.application.is_none() {
            sub.application = found.application;
        }
        if !self.named
            && let Some(t) = found.title
        {
            sub.document_name = t;
        }
        if let Some(f) = found.format
            && sub.format == "application/octet-stream"
        {
            sub.format = f.to_owned();
        }
        match writer.commit() {
            Ok(meta) => {
                log::info!(
                    "job {} parked for {} ({} bytes, {})",
                    meta.number.unwrap_or(0),
                    meta.owner,
                    meta.size,
                    meta.format
                );
                let attrs = held_attrs(&self.facts, &meta, self.started_unix, self.up_time);
                let keep = ["job-id", "job-uri", "job-state", "job-state-reasons", "job-state-message"];
                ok_reply(
                    self.ctx,
                    StatusCode::SuccessfulOk,
                    attrs.into_iter().filter(|a| keep.contains(&a.name().as_str())).collect(),
                )
            }
            Err(e) => error_reply(self.ctx, store_fail(e)),
        }
    }

    /// The document could not be received; nothing is stored. Build the reply.
    pub fn fail(mut self, e: Rejected) -> Vec<u8> {
        self.decoder.take();
        error_reply(self.ctx, e.0)
    }

    /// A reply for a body that broke off or was malformed; nothing is stored.
    pub fn abort(mut self, why: &str) -> Vec<u8> {
        self.decoder.take();
        error_reply(self.ctx, Fail(StatusCode::ClientErrorBadRequest, why.to_owned()))
    }
}

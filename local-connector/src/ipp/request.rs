//! One request's reading and answering: the parsed operation and job
//! groups with typed readers, the operation-group rules of RFC 8011
//! §4.1.4, and the success and error replies, with the store's errors
//! mapped to IPP statuses in one place.

use super::codec::{Framed, Message, Writer, first_string, group};
use crate::store::StoreError;
use ipp::model::StatusCode;
use ipp::prelude::*;

/// A request's identity for its response.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx {
    /// `version-number` of the request, echoed.
    pub(super) version: u16,
    pub(super) request_id: i32,
}

/// An IPP error: status and a message for `status-message`.
#[derive(Debug)]
pub(super) struct Fail(pub(super) StatusCode, pub(super) String);

pub(super) fn fail<T>(s: StatusCode, m: impl Into<String>) -> Result<T, Fail> {
    Err(Fail(s, m.into()))
}

/// The operation group and the job group of a parsed request.
pub(super) struct Parsed {
    pub(super) op: Vec<IppAttribute>,
    pub(super) job: Vec<IppAttribute>,
}

impl Parsed {
    pub(super) fn get(&self, name: &str) -> Option<&IppValue> {
        self.op.iter().find(|a| a.name().as_str() == name).map(|a| a.value())
    }
    pub(super) fn string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(first_string)
    }
    pub(super) fn integer(&self, name: &str) -> Result<Option<i32>, Fail> {
        match self.get(name) {
            None => Ok(None),
            Some(IppValue::Integer(i)) => Ok(Some(*i)),
            Some(_) => fail(StatusCode::ClientErrorBadRequest, format!("{name} must be an integer")),
        }
    }
    pub(super) fn boolean(&self, name: &str) -> Result<Option<bool>, Fail> {
        match self.get(name) {
            None => Ok(None),
            Some(IppValue::Boolean(b)) => Ok(Some(*b)),
            Some(_) => fail(StatusCode::ClientErrorBadRequest, format!("{name} must be a boolean")),
        }
    }
    pub(super) fn job_value(&self, name: &str) -> Option<&IppValue> {
        self.job.iter().find(|a| a.name().as_str() == name).map(|a| a.value())
    }
}

pub(super) fn job_number(p: &Parsed) -> Result<i32, Fail> {
    if let Some(n) = p.integer("job-id")? {
        return Ok(n);
    }
    if let Some(u) = p.string("job-uri")
        && let Some(n) = u.rsplit('/').next().and_then(|s| s.parse().ok())
    {
        return Ok(n);
    }
    fail(StatusCode::ClientErrorBadRequest, "job-id (or job-uri) is missing")
}

pub(super) fn internal(e: StoreError) -> Fail {
    log::error!("IPP queue: {e}");
    Fail(StatusCode::ServerErrorInternalError, "internal error; see the appliance log".into())
}

pub(super) fn store_fail(e: StoreError) -> Fail {
    match e {
        StoreError::TooLarge { max } => Fail(
            StatusCode::ClientErrorRequestEntityTooLong,
            format!("the job is larger than the {} MiB limit", max >> 20),
        ),
        StoreError::OverQuota { max } => Fail(
            StatusCode::ClientErrorNotPossible,
            format!("your waiting jobs would pass {} MiB, the limit; release or delete some first", max >> 20),
        ),
        StoreError::DiskFull { .. } => {
            Fail(StatusCode::ServerErrorNotAcceptingJobs, "the appliance's job store is full; try again later".into())
        }
        StoreError::OutboxFull(why) => Fail(StatusCode::ServerErrorBusy, why),
        other => internal(other),
    }
}

/// Read a request's operation group and its job groups (merged), from
/// bytes whose framing `framed` checked.
pub(super) fn parse(framed: &Framed, attrs: &[u8]) -> Result<Parsed, Fail> {
    let m = Message::read(framed, attrs)
        .map_err(|e| Fail(StatusCode::ClientErrorBadRequest, format!("malformed IPP message: {e}")))?;
    let mut op = Vec::new();
    let mut job = Vec::new();
    for g in m.groups {
        match g.tag {
            group::OPERATION if op.is_empty() => op = g.attributes,
            group::JOB => job.extend(g.attributes),
            _ => {}
        }
    }
    Ok(Parsed { op, job })
}

/// RFC 8011 §4.1.4: attributes-charset then attributes-natural-language, first.
pub(super) fn check_operation_group(p: &Parsed) -> Result<(), Fail> {
    let first = p.op.first().map(|a| (a.name().as_str(), a.value()));
    let second = p.op.get(1).map(|a| (a.name().as_str(), a.value()));
    match (first, second) {
        (
            Some(("attributes-charset", IppValue::Charset(c))),
            Some(("attributes-natural-language", IppValue::NaturalLanguage(_))),
        ) => {
            let c = c.to_ascii_lowercase();
            if c == "utf-8" || c == "us-ascii" {
                Ok(())
            } else {
                fail(StatusCode::ClientErrorCharsetNotSupported, format!("charset {c} is not supported"))
            }
        }
        _ => fail(
            StatusCode::ClientErrorBadRequest,
            "attributes-charset and attributes-natural-language must come first",
        ),
    }
}

/// An answer to the request `ctx` with `status`, its operation group
/// begun (charset and natural language).
pub(super) fn response(ctx: Ctx, status: StatusCode) -> Writer {
    Writer::response(ctx.version, status as u16, ctx.request_id)
}

/// An answer with `status` and, when there are any, `job` attributes.
pub(super) fn ok_reply(ctx: Ctx, status: StatusCode, job: Vec<IppAttribute>) -> Vec<u8> {
    let mut w = response(ctx, status);
    if !job.is_empty() {
        w.group(group::JOB);
        for a in &job {
            w.attr(a);
        }
    }
    w.finish()
}

/// An error answer, its message in `status-message`.
pub(super) fn error_reply(ctx: Ctx, f: Fail) -> Vec<u8> {
    response(ctx, f.0).text("status-message", &f.1).finish()
}

//! One request's reading and answering: the parsed operation and job
//! groups with typed readers, the operation-group rules of RFC 8011
//! §4.1.4, and the success and error replies, with the store's errors
//! mapped to IPP statuses in one place.

use super::values::Attrs;
use super::wire;
use crate::store::StoreError;
use ipp::model::{DelimiterTag, IppVersion, StatusCode};
use ipp::prelude::*;
use std::io::Cursor;

/// A request's identity for its response.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx {
    pub(super) version: IppVersion,
    pub(super) request_id: i32,
}

/// An IPP error: status and a message for `status-message`.
#[derive(Debug)]
pub(super) struct Fail(pub(super) StatusCode, pub(super) String);

pub(super) fn fail<T>(s: StatusCode, m: impl Into<String>) -> Result<T, Fail> {
    Err(Fail(s, m.into()))
}

pub(super) fn first_string(v: &IppValue) -> Option<String> {
    let v = match v {
        IppValue::Array(a) => a.first()?,
        other => other,
    };
    Some(match v {
        IppValue::Keyword(s) => s.to_string(),
        IppValue::NameWithoutLanguage(s) => s.to_string(),
        IppValue::NameWithLanguage { name, .. } => name.to_string(),
        IppValue::TextWithoutLanguage(s) => s.to_string(),
        IppValue::TextWithLanguage { text, .. } => text.to_string(),
        IppValue::MimeMediaType(s) => s.to_string(),
        IppValue::Uri(s) => s.to_string(),
        IppValue::Charset(s) => s.to_string(),
        IppValue::NaturalLanguage(s) => s.to_string(),
        _ => return None,
    })
}

pub(super) fn strings(v: &IppValue) -> Vec<String> {
    match v {
        IppValue::Array(a) => a.iter().filter_map(first_string).collect(),
        other => first_string(other).into_iter().collect(),
    }
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
        StoreError::DiskFull { .. } => {
            Fail(StatusCode::ServerErrorNotAcceptingJobs, "the appliance's job store is full; try again later".into())
        }
        other => internal(other),
    }
}

/// Parse a framed attribute section (already checked by [`wire::scan`]).
pub(super) fn parse(attrs: &[u8]) -> Result<Parsed, Fail> {
    if !matches!(wire::scan(attrs), Ok(wire::Scan::Complete { .. })) {
        return fail(StatusCode::ClientErrorBadRequest, "malformed IPP message");
    }
    let parser = ipp::parser::IppParser::new(Cursor::new(attrs.to_vec()));
    let (_, parsed, _) = parser
        .parse_parts()
        .map_err(|e| Fail(StatusCode::ClientErrorBadRequest, format!("malformed IPP message: {e}")))?;
    let mut op = Vec::new();
    let mut job = Vec::new();
    for g in parsed.into_groups() {
        match g.tag() {
            DelimiterTag::OperationAttributes if op.is_empty() => op = g.attributes().to_vec(),
            DelimiterTag::JobAttributes => job.extend(g.attributes().iter().cloned()),
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

pub(super) fn response(ctx: Ctx, status: StatusCode) -> IppRequestResponse {
    let version = if matches!(ctx.version.0 >> 8, 1 | 2) { ctx.version } else { IppVersion::v1_1() };
    IppRequestResponse::new_response(version, status, ctx.request_id)
        .unwrap_or_else(|_| unreachable!("a response with fixed charset and language is always valid"))
}

pub(super) fn ok_reply(ctx: Ctx, status: StatusCode, job: Vec<IppAttribute>) -> Vec<u8> {
    let mut r = response(ctx, status);
    for a in job {
        r.attributes_mut().add(DelimiterTag::JobAttributes, a);
    }
    r.to_bytes().to_vec()
}

pub(super) fn error_reply(ctx: Ctx, f: Fail) -> Vec<u8> {
    let mut r = response(ctx, f.0);
    let mut a = Attrs::default();
    a.text("status-message", &f.1.chars().take(255).collect::<String>());
    for attr in a.0 {
        r.attributes_mut().add(DelimiterTag::OperationAttributes, attr);
    }
    r.to_bytes().to_vec()
}

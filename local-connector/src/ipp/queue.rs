//! The IPP Everywhere queue: one `switch` over the operation, with every
//! request validated before anything happens, and every job parked in the
//! encrypted store in `pending-held` until its owner releases it.
//!
//! It is sans-socket: the listener hands it the attribute bytes of a request
//! and the caller's authenticated identity, and either sends back the reply
//! it gets, or streams the document into the [`Receiver`] it gets and then
//! sends back what [`Receiver::finish`] returns.

use super::codec::{Attrs, Framed, JobState, first_string, group, strings};
use super::ingest::{Compression, Receiver, compression};
use super::job_attrs::{finished_attrs, held_attrs, job_uri};
use super::printer::{self, FORMATS, PrinterFacts, Requested};
use super::request::{
    Ctx, Fail, Parsed, check_operation_group, error_reply, fail, internal, job_number, ok_reply, parse, response,
    store_fail,
};
use crate::clock::now_s;
use crate::counted::Counter;
use crate::store::{JobMeta, JobNumbers, JobStore, JobSubmission, Sides, StoreError};
use ipp::model::{Operation, StatusCode};
use ipp::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Completed and canceled jobs remembered for Get-Jobs (which-jobs=completed).
const HISTORY: usize = 1000;

/// Who is asking, as established by the listener.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Authenticated user name, or `None` when no credentials were given.
    pub user: Option<String>,
    /// The client's address, recorded with the job.
    pub addr: String,
    /// Without credentials, take `requesting-user-name` as the identity: set
    /// only for addresses an admin listed in `dangerous.trust_user_name_from`.
    pub trust_stated_name: bool,
}

/// A stated user name that may stand for a user: the characters a directory
/// login name has, folded to lower case.
fn stated_name(name: &str) -> Option<String> {
    let n = name.trim();
    (!n.is_empty()
        && n.len() <= 64
        && n.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '\\')))
    .then(|| n.to_lowercase())
}

/// Limits the queue enforces.
#[derive(Debug, Clone)]
pub struct QueueLimits {
    /// Most parked jobs per user.
    pub max_jobs_per_user: usize,
    /// Most parked bytes per user.
    pub max_bytes_per_user: u64,
}

/// What the listener should do next.
#[derive(Debug)]
pub enum Step {
    /// Send this IPP response.
    Reply(Vec<u8>),
    /// The operation needs an authenticated user: answer HTTP 401.
    Unauthenticated,
    /// Stream the document data into the receiver, then send what `finish` returns.
    Receive(Box<Receiver>),
}

/// A job made by Create-Job that has no document yet.
#[derive(Debug, Clone)]
struct OpenJob {
    owner: String,
    ticket: Ticket,
    created: Instant,
}

/// A finished (canceled) job, for history.
#[derive(Debug, Clone)]
pub(super) struct Finished {
    pub(super) number: i32,
    pub(super) owner: String,
    pub(super) name: String,
    pub(super) created_unix: u64,
    pub(super) finished_unix: u64,
    pub(super) state: JobState,
    pub(super) reason: &'static str,
}

/// What the client asked for the job (job template and document description).
#[derive(Debug, Clone, Default)]
struct Ticket {
    job_name: String,
    document_name: Option<String>,
    format: String,
    copies: u32,
    sides: Sides,
    color: Option<String>,
    compression: Compression,
    /// `document-creator-application-name` (PWG 5100.7), when the client sends it.
    application: Option<String>,
}

/// The queue.
#[derive(Debug)]
pub struct Queue {
    store: JobStore,
    facts: Mutex<PrinterFacts>,
    limits: QueueLimits,
    started: Instant,
    started_unix: u64,
    numbers: Mutex<JobNumbers>,
    open: Mutex<HashMap<i32, OpenJob>>,
    history: Mutex<VecDeque<Finished>>,
    /// Documents arriving now, per user.
    uploads: Counter<String>,
}

/// Jobs made by Create-Job and still waiting for their document, per user.
const MAX_OPEN_PER_USER: usize = 10;
/// Documents one user may be sending at once.
const MAX_UPLOADS_PER_USER: usize = 16;
/// Longest `name` value kept (RFC 8011 §5.1.3: 255 octets).
const MAX_NAME: usize = 255;

/// `s` cut to at most [`MAX_NAME`] bytes, on a character boundary.
fn name_value(s: String) -> String {
    if s.len() <= MAX_NAME {
        return s;
    }
    let mut end = MAX_NAME;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

impl Queue {
    /// A queue parking into `store`.
    pub fn new(store: JobStore, facts: PrinterFacts, limits: QueueLimits) -> Result<Queue, StoreError> {
        let numbers = JobNumbers::open(&store)?;
        Ok(Queue {
            store,
            started_unix: facts.started_unix,
            facts: Mutex::new(facts),
            limits,
            started: Instant::now(),
            numbers: Mutex::new(numbers),
            open: Mutex::new(HashMap::new()),
            history: Mutex::new(VecDeque::new()),
            uploads: Counter::default(),
        })
    }

    /// Whether an operation needs an authenticated caller. Anyone may ask
    /// what the queue supports; everything about jobs needs a user.
    pub fn needs_user(operation: i16) -> bool {
        operation != Operation::GetPrinterAttributes as i16
    }

    /// Handle one request whose attribute section is `attrs` (from the first
    /// byte of the message through the end-of-attributes tag), framed as
    /// `framed` says.
    pub fn handle(&self, caller: &Caller, framed: &Framed, attrs: &[u8]) -> Step {
        let h = framed.header();
        let ctx = Ctx { version: h.version, request_id: h.request_id };
        match self.dispatch(caller, ctx, framed, attrs) {
            Ok(step) => step,
            Err(f) => Step::Reply(error_reply(ctx, f)),
        }
    }

    fn dispatch(&self, caller: &Caller, ctx: Ctx, framed: &Framed, attrs: &[u8]) -> Result<Step, Fail> {
        let h = framed.header();
        if !matches!(h.version >> 8, 1 | 2) {
            return fail(StatusCode::ServerErrorVersionNotSupported, "IPP version not supported (use 1.1 or 2.0)");
        }
        if h.request_id <= 0 {
            return fail(StatusCode::ClientErrorBadRequest, "request-id must be positive");
        }
        let parsed = parse(framed, attrs)?;
        check_operation_group(&parsed)?;
        let Some(op) = Operation::from_i16(h.code) else {
            return fail(
                StatusCode::ServerErrorOperationNotSupported,
                format!("operation 0x{:04x} is not supported", h.code),
            );
        };
        if !printer::OPERATIONS.contains(&i32::from(h.code)) {
            return fail(StatusCode::ServerErrorOperationNotSupported, format!("{op:?} is not supported"));
        }
        if parsed.get("printer-uri").is_none() && parsed.get("job-uri").is_none() {
            return fail(StatusCode::ClientErrorBadRequest, "printer-uri is missing");
        }
        let user = match &caller.user {
            Some(u) => Some(u.clone()),
            None if caller.trust_stated_name => parsed.string("requesting-user-name").as_deref().and_then(stated_name),
            None => None,
        };
        if Self::needs_user(h.code) && user.is_none() {
            return Ok(Step::Unauthenticated);
        }
        let user = user.unwrap_or_default();
        match op {
            Operation::GetPrinterAttributes => self.get_printer_attributes(ctx, &parsed).map(Step::Reply),
            Operation::ValidateJob => {
                self.ticket(&parsed, true)?;
                Ok(Step::Reply(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new())))
            }
            Operation::PrintJob => {
                let ticket = self.ticket(&parsed, true)?;
                self.check_limits(&user)?;
                let number = self.next_number()?;
                self.receiver(ctx, caller, &user, number, ticket)
            }
            Operation::CreateJob => {
                let ticket = self.ticket(&parsed, false)?;
                self.check_limits(&user)?;
                let number = self.next_number()?;
                self.expire_open();
                let name = ticket.job_name.clone();
                {
                    let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
                    if open.values().filter(|o| o.owner == user).count() >= MAX_OPEN_PER_USER {
                        return fail(
                            StatusCode::ClientErrorNotPossible,
                            format!(
                                "{MAX_OPEN_PER_USER} jobs are already waiting for their document; send them with Send-Document first"
                            ),
                        );
                    }
                    open.insert(number, OpenJob { owner: user.clone(), ticket, created: Instant::now() });
                }
                let attrs = self.open_job_attrs(number, &name, &user);
                Ok(Step::Reply(ok_reply(ctx, StatusCode::SuccessfulOk, attrs)))
            }
            Operation::SendDocument => self.send_document(ctx, caller, &user, &parsed),
            Operation::CancelJob => self.cancel_job(ctx, &user, &parsed).map(Step::Reply),
            Operation::CancelMyJobs => self.cancel_my_jobs(ctx, &user).map(Step::Reply),
            Operation::CloseJob => {
                let n = job_number(&parsed)?;
                if self.store.get_by_number(n).map_err(internal)?.is_some_and(|m| m.owner == user) {
                    Ok(Step::Reply(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new())))
                } else if self.open.lock().unwrap_or_else(|p| p.into_inner()).get(&n).is_some_and(|o| o.owner == user) {
                    fail(StatusCode::ClientErrorNotPossible, "the job has no document yet; send it with Send-Document")
                } else {
                    fail(StatusCode::ClientErrorNotFound, format!("job {n} does not exist"))
                }
            }
            Operation::GetJobAttributes => self.get_job_attributes(ctx, &user, &parsed).map(Step::Reply),
            Operation::GetJobs => self.get_jobs(ctx, &user, &parsed).map(Step::Reply),
            Operation::IdentifyPrinter => {
                log::info!("Identify-Printer from {} ({})", user, caller.addr);
                Ok(Step::Reply(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new())))
            }
            _ => fail(StatusCode::ServerErrorOperationNotSupported, format!("{op:?} is not supported")),
        }
    }

    fn next_number(&self) -> Result<i32, Fail> {
        self.numbers.lock().unwrap_or_else(|p| p.into_inner()).take().map_err(internal)
    }

    fn expire_open(&self) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, o| o.created.elapsed() < Duration::from_secs(60));
    }

    fn check_limits(&self, user: &str) -> Result<(), Fail> {
        let usage = self.store.usage_of(user).map_err(internal)?;
        if usage.jobs >= self.limits.max_jobs_per_user {
            return fail(
                StatusCode::ClientErrorNotPossible,
                format!("you already have {} jobs waiting (the limit); release or delete some first", usage.jobs),
            );
        }
        let bytes = usage.bytes.saturating_add(usage.arriving);
        if bytes >= self.limits.max_bytes_per_user {
            return fail(
                StatusCode::ClientErrorNotPossible,
                format!("your waiting jobs use {} MiB, the limit; release or delete some first", bytes >> 20),
            );
        }
        Ok(())
    }

    /// Validate the job template and document attributes of a job-creating request.
    fn ticket(&self, p: &Parsed, with_document: bool) -> Result<Ticket, Fail> {
        let mut t = Ticket { copies: 1, ..Default::default() };
        t.job_name =
            name_value(p.string("job-name").or_else(|| p.string("document-name")).unwrap_or_else(|| "Untitled".into()));
        t.document_name = p.string("document-name").map(name_value);
        if with_document {
            t.format = self.format(p)?;
            t.compression = compression(p)?;
            t.application = p.string("document-creator-application-name").map(name_value);
        }
        if let Some(v) = p.job_value("copies") {
            match v {
                IppValue::Integer(c) if (1..=999).contains(c) => t.copies = u32::try_from(*c).unwrap_or(1),
                _ => return fail(StatusCode::ClientErrorAttributesOrValuesNotSupported, "copies must be 1 to 999"),
            }
        }
        if let Some(v) = p.job_value("sides") {
            t.sides = match first_string(v).as_deref() {
                Some("one-sided") => Sides::OneSided,
                Some("two-sided-long-edge") => Sides::TwoSidedLongEdge,
                Some("two-sided-short-edge") => Sides::TwoSidedShortEdge,
                _ => return fail(StatusCode::ClientErrorAttributesOrValuesNotSupported, "unsupported sides value"),
            };
        }
        if let Some(v) = p.job_value("print-color-mode") {
            match first_string(v) {
                Some(m) if printer::COLOR_MODES.contains(&m.as_str()) => t.color = Some(m),
                _ => {
                    return fail(StatusCode::ClientErrorAttributesOrValuesNotSupported, "unsupported print-color-mode");
                }
            }
        }
        Ok(t)
    }

    fn format(&self, p: &Parsed) -> Result<String, Fail> {
        let f = p.string("document-format").unwrap_or_else(|| "application/octet-stream".into());
        if !FORMATS.contains(&f.as_str()) {
            return fail(
                StatusCode::ClientErrorDocumentFormatNotSupported,
                format!("document-format {f:?} is not supported"),
            );
        }
        Ok(f)
    }

    fn receiver(&self, ctx: Ctx, caller: &Caller, user: &str, number: i32, ticket: Ticket) -> Result<Step, Fail> {
        let sub = JobSubmission {
            application: ticket.application.clone(),
            owner: user.to_owned(),
            document_name: ticket.document_name.clone().unwrap_or_else(|| ticket.job_name.clone()),
            format: ticket.format.clone(),
            copies: ticket.copies,
            sides: ticket.sides,
            source_addr: Some(caller.addr.clone()),
            number: Some(number),
            max_owner_bytes: Some(self.limits.max_bytes_per_user),
            ..Default::default()
        };
        let Some(upload) = self.uploads.take(user.to_owned(), MAX_UPLOADS_PER_USER) else {
            return fail(
                StatusCode::ServerErrorBusy,
                format!("{MAX_UPLOADS_PER_USER} of your documents are arriving already; try again shortly"),
            );
        };
        let writer = self.store.create(sub).map_err(store_fail)?;
        Ok(Step::Receive(Box::new(Receiver::new(
            ctx,
            writer,
            upload,
            ticket.compression,
            ticket.document_name.is_some() || ticket.job_name != "Untitled",
            (self.facts.lock().unwrap_or_else(|p| p.into_inner()).clone(), self.started_unix, self.up_time()),
        ))))
    }

    fn send_document(&self, ctx: Ctx, caller: &Caller, user: &str, p: &Parsed) -> Result<Step, Fail> {
        let n = job_number(p)?;
        if p.boolean("last-document")?.is_none() {
            return fail(StatusCode::ClientErrorBadRequest, "last-document is missing");
        }
        let open = {
            let mut open = self.open.lock().unwrap_or_else(|pp| pp.into_inner());
            match open.get(&n) {
                Some(o) if o.owner == user => open.remove(&n),
                _ => None,
            }
        };
        let Some(open) = open else {
            if self.store.get_by_number(n).map_err(internal)?.is_some_and(|m| m.owner == user) {
                return fail(
                    StatusCode::ServerErrorMultipleDocumentJobsNotSupported,
                    "this queue takes one document per job",
                );
            }
            return fail(StatusCode::ClientErrorNotFound, format!("job {n} does not exist or has timed out"));
        };
        let mut ticket = open.ticket;
        ticket.format = self.format(p)?;
        ticket.compression = compression(p)?;
        if let Some(a) = p.string("document-creator-application-name") {
            ticket.application = Some(a);
        }
        if let Some(d) = p.string("document-name") {
            ticket.document_name = Some(d);
        }
        self.receiver(ctx, caller, user, n, ticket)
    }

    fn find_owned(&self, user: &str, n: i32) -> Result<JobMeta, Fail> {
        match self.store.get_by_number(n).map_err(internal)? {
            Some(m) if m.owner == user => Ok(m),
            // Another user's job is reported as missing: its existence is not theirs to know.
            _ => fail(StatusCode::ClientErrorNotFound, format!("job {n} does not exist")),
        }
    }

    fn cancel_job(&self, ctx: Ctx, user: &str, p: &Parsed) -> Result<Vec<u8>, Fail> {
        let n = job_number(p)?;
        if self.history.lock().unwrap_or_else(|pp| pp.into_inner()).iter().any(|f| f.number == n && f.owner == user) {
            return fail(StatusCode::ClientErrorNotPossible, format!("job {n} is already finished"));
        }
        let open = self.open.lock().unwrap_or_else(|pp| pp.into_inner()).remove(&n);
        if let Some(o) = open {
            if o.owner == user {
                self.remember(Finished {
                    number: n,
                    owner: o.owner,
                    name: o.ticket.job_name,
                    created_unix: now_s(),
                    finished_unix: now_s(),
                    state: JobState::Canceled,
                    reason: "job-canceled-by-user",
                });
                return Ok(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new()));
            }
            self.open.lock().unwrap_or_else(|pp| pp.into_inner()).insert(n, o);
        }
        let m = self.find_owned(user, n)?;
        self.shred_canceled(m)?;
        Ok(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new()))
    }

    fn cancel_my_jobs(&self, ctx: Ctx, user: &str) -> Result<Vec<u8>, Fail> {
        for m in self.store.jobs_of(user).map_err(internal)? {
            self.shred_canceled(m)?;
        }
        Ok(ok_reply(ctx, StatusCode::SuccessfulOk, Vec::new()))
    }

    /// Shred a parked job its owner canceled, and remember it as canceled.
    fn shred_canceled(&self, m: JobMeta) -> Result<(), Fail> {
        self.store.discard(m.id, "deleted", &m.owner).map_err(store_fail)?;
        if let Some(number) = m.number {
            self.remember(Finished {
                number,
                owner: m.owner,
                name: m.document_name,
                created_unix: m.submitted_at_ms / 1000,
                finished_unix: now_s(),
                state: JobState::Canceled,
                reason: "job-canceled-by-user",
            });
        }
        Ok(())
    }

    fn remember(&self, f: Finished) {
        let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if h.len() >= HISTORY {
            h.pop_front();
        }
        h.push_back(f);
    }

    fn up_time(&self) -> i32 {
        i32::try_from(self.started.elapsed().as_secs()).unwrap_or(i32::MAX).max(1)
    }

    fn get_printer_attributes(&self, ctx: Ctx, p: &Parsed) -> Result<Vec<u8>, Fail> {
        let requested = Requested::new(p.get("requested-attributes").map(strings));
        if let Some(f) = p.string("document-format")
            && !FORMATS.contains(&f.as_str())
        {
            return fail(
                StatusCode::ClientErrorDocumentFormatNotSupported,
                format!("document-format {f:?} is not supported"),
            );
        }
        let mut facts = self.facts.lock().unwrap_or_else(|pp| pp.into_inner()).clone();
        facts.up_time = self.up_time();
        facts.queued = i32::try_from(self.store.len()).unwrap_or(i32::MAX);
        let attrs = printer::attributes(&facts, &requested);
        let mut w = response(ctx, StatusCode::SuccessfulOk);
        w.group(group::PRINTER);
        for a in &attrs {
            w.attr(a);
        }
        Ok(w.finish())
    }

    fn open_job_attrs(&self, n: i32, name: &str, owner: &str) -> Vec<IppAttribute> {
        let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        let mut a = Attrs::default();
        a.integer("job-id", n);
        a.uri("job-uri", &job_uri(&facts, n));
        a.enumeration("job-state", JobState::Pending.to_enum());
        a.keywords("job-state-reasons", &["job-incoming"]);
        a.text("job-state-message", "Waiting for the document");
        a.name("job-name", name);
        a.name("job-originating-user-name", owner);
        a.0
    }

    fn get_job_attributes(&self, ctx: Ctx, user: &str, p: &Parsed) -> Result<Vec<u8>, Fail> {
        let n = job_number(p)?;
        let requested = Requested::new(p.get("requested-attributes").map(strings));
        let facts = self.facts.lock().unwrap_or_else(|pp| pp.into_inner()).clone();
        let attrs = if let Some(f) =
            self.history.lock().unwrap_or_else(|pp| pp.into_inner()).iter().find(|f| f.number == n && f.owner == user)
        {
            finished_attrs(&facts, f, self.started_unix, self.up_time())
        } else if let Some(o) =
            self.open.lock().unwrap_or_else(|pp| pp.into_inner()).get(&n).filter(|o| o.owner == user)
        {
            self.open_job_attrs(n, &o.ticket.job_name, &o.owner)
        } else {
            held_attrs(&facts, &self.find_owned(user, n)?, self.started_unix, self.up_time())
        };
        let mut w = response(ctx, StatusCode::SuccessfulOk);
        w.group(group::JOB);
        for a in attrs.iter().filter(|a| requested.wants(a.name())) {
            w.attr(a);
        }
        Ok(w.finish())
    }

    fn get_jobs(&self, ctx: Ctx, user: &str, p: &Parsed) -> Result<Vec<u8>, Fail> {
        let which = p.string("which-jobs").unwrap_or_else(|| "not-completed".into());
        if !matches!(which.as_str(), "completed" | "not-completed" | "all") {
            return fail(
                StatusCode::ClientErrorAttributesOrValuesNotSupported,
                format!("which-jobs {which:?} is not supported"),
            );
        }
        let limit = p.integer("limit")?.map(|l| usize::try_from(l.max(0)).unwrap_or(0)).unwrap_or(usize::MAX);
        // Default: job-id and job-uri only (RFC 8011 §4.2.6.1).
        let requested = Requested::new(Some(
            p.get("requested-attributes").map(strings).unwrap_or_else(|| vec!["job-id".into(), "job-uri".into()]),
        ));
        let facts = self.facts.lock().unwrap_or_else(|pp| pp.into_inner()).clone();
        let up = self.up_time();
        // Only the caller's own jobs are ever listed, whatever my-jobs says.
        let mut jobs: Vec<Vec<IppAttribute>> = Vec::new();
        if which != "completed" {
            for m in self.store.jobs_of(user).map_err(internal)? {
                jobs.push(held_attrs(&facts, &m, self.started_unix, up));
            }
        }
        if which != "not-completed" {
            for f in self.history.lock().unwrap_or_else(|pp| pp.into_inner()).iter().rev().filter(|f| f.owner == user) {
                jobs.push(finished_attrs(&facts, f, self.started_unix, up));
            }
        }
        let mut w = response(ctx, StatusCode::SuccessfulOk);
        for job in jobs.iter().take(limit) {
            w.group(group::JOB);
            for a in job.iter().filter(|a| requested.wants(a.name())) {
                w.attr(a);
            }
        }
        Ok(w.finish())
    }
}

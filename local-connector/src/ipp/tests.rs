//! The queue, sans socket: requests written with the codec, answers read
//! with it, jobs parked in a real store in a temporary folder.

use super::codec::{self, JobState, Message, Operation, Scan, Writer, status};
use super::printer::PrinterFacts;
use super::{Caller, Queue, QueueLimits, Step};
use crate::crypto::SiteKey;
use crate::store::{JobStore, StoreOptions};
use std::time::Duration;

const URI: &str = "ipps://localhost/ipp/print";

fn queue(dir: &std::path::Path, max_jobs: usize) -> Queue {
    queue_with(dir, QueueLimits { max_jobs_per_user: max_jobs, max_bytes_per_user: 1 << 30 })
}

fn queue_with(dir: &std::path::Path, limits: QueueLimits) -> Queue {
    let opts = StoreOptions {
        dir: dir.join("store"),
        retention: Duration::from_secs(3600),
        max_job_bytes: 1 << 20,
        min_free_bytes: 0,
        index_cache_bytes: 8 << 20,
        outbox: None,
    };
    let (store, _) = JobStore::open(opts, &SiteKey::from_bytes([5u8; 32])).expect("store");
    let facts = PrinterFacts {
        name: "Pullprint".into(),
        uris: vec![URI.into()],
        uuid: "urn:uuid:00000000-0000-4000-8000-000000000000".into(),
        more_info: "https://localhost/".into(),
        location: String::new(),
        organization: String::new(),
        up_time: 1,
        started_unix: 0,
        queued: 0,
        capacity_percent: 100,
        accepting: true,
    };
    Queue::new(store, facts, limits).expect("queue")
}

fn user(name: &str) -> Caller {
    Caller { user: Some(name.into()), addr: "127.0.0.1".into(), trust_stated_name: false }
}

/// Run one request; a job's document is `doc`. Returns the answer.
fn call(q: &Queue, who: &Caller, request: &[u8], doc: &[u8]) -> Message {
    let Ok(Scan::Complete(f)) = codec::scan(request) else { panic!("test request is framed") };
    let answer = match q.handle(who, &f, &request[..f.data_at()]) {
        Step::Reply(b) => b,
        Step::Unauthenticated => panic!("unauthenticated"),
        Step::Receive(mut r) => {
            r.write(doc).expect("document accepted");
            r.finish()
        }
    };
    let Ok(Scan::Complete(af)) = codec::scan(&answer) else { panic!("the answer is framed") };
    Message::read(&af, &answer).expect("the answer reads")
}

fn print_job(name: &str) -> Vec<u8> {
    let mut w = Writer::request(Operation::PrintJob as u16, 1, URI);
    w.name("requesting-user-name", "ignored").name("job-name", name).mime("document-format", "application/pdf");
    w.finish()
}

#[test]
fn print_job_parks_the_job_held_for_its_owner() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 10);
    let a = call(&q, &user("alice"), &print_job("report"), b"%PDF-1.4\n%%EOF\n");
    assert_eq!(a.code(), status::OK, "{:?}", a.message());
    let job = a.jobs().next().expect("job attributes");
    assert_eq!(job.integer("job-state").and_then(JobState::from_enum), Some(JobState::Held));
    assert_eq!(job.strings("job-state-reasons"), ["job-hold-until-specified"]);
    let id = job.integer("job-id").expect("job-id");
    // Get-Job-Attributes: the owner sees it; anyone else is told it does not exist.
    let mut w = Writer::request(Operation::GetJobAttributes as u16, 2, URI);
    w.integer("job-id", id);
    let get = w.finish();
    let mine = call(&q, &user("alice"), &get, b"");
    assert_eq!(mine.jobs().next().and_then(|j| j.string("job-name")).as_deref(), Some("report"));
    assert_eq!(call(&q, &user("bob"), &get, b"").code(), status::NOT_FOUND);
}

#[test]
fn get_jobs_lists_only_the_callers_own_jobs_whatever_my_jobs_says() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 10);
    for (who, name) in [("alice", "a1"), ("bob", "b1"), ("alice", "a2")] {
        assert_eq!(call(&q, &user(who), &print_job(name), b"%PDF-1.4\n").code(), status::OK);
    }
    let mut w = Writer::request(Operation::GetJobs as u16, 3, URI);
    w.boolean("my-jobs", false).keywords("requested-attributes", &["job-name"]);
    let names: Vec<String> =
        call(&q, &user("alice"), &w.finish(), b"").jobs().filter_map(|j| j.string("job-name")).collect();
    assert_eq!(names.len(), 2);
    assert!(names.iter().all(|n| n.starts_with('a')), "{names:?}");
}

#[test]
fn the_operation_group_must_start_with_charset_then_language() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 10);
    let mut w = Writer::bare(0x0200, Operation::GetPrinterAttributes as u16, 4);
    w.group(codec::group::OPERATION);
    w.raw(codec::tag::LANGUAGE, "attributes-natural-language", b"en");
    w.raw(codec::tag::CHARSET, "attributes-charset", b"utf-8");
    w.raw(codec::tag::URI, "printer-uri", URI.as_bytes());
    let a = call(&q, &user("alice"), &w.finish(), b"");
    assert_eq!(a.code(), status::BAD_REQUEST);
    assert!(a.message().is_some_and(|m| m.contains("must come first")));
    assert_eq!(a.header.request_id, 4, "the request id is echoed");
}

#[test]
fn an_unsupported_format_and_the_per_user_limit_get_their_statuses() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 1);
    let mut w = Writer::request(Operation::PrintJob as u16, 5, URI);
    w.mime("document-format", "application/x-unknown");
    assert_eq!(call(&q, &user("alice"), &w.finish(), b"x").code(), status::DOCUMENT_FORMAT_NOT_SUPPORTED);
    assert_eq!(call(&q, &user("alice"), &print_job("one"), b"%PDF-1.4\n").code(), status::OK);
    let over = call(&q, &user("alice"), &print_job("two"), b"%PDF-1.4\n");
    assert_eq!(over.code(), status::NOT_POSSIBLE, "max_jobs_per_user = 1");
    assert!(over.message().is_some());
}

#[test]
fn anyone_may_ask_what_the_queue_supports_but_jobs_need_a_user() {
    assert!(!Queue::needs_user(i16::try_from(Operation::GetPrinterAttributes as u16).unwrap_or(0)));
    for o in [
        Operation::PrintJob as u16,
        Operation::CreateJob as u16,
        Operation::GetJobs as u16,
        Operation::CancelJob as u16,
    ] {
        assert!(Queue::needs_user(i16::try_from(o).unwrap_or(0)));
    }
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 10);
    let nobody = Caller { user: None, addr: "127.0.0.1".into(), trust_stated_name: false };
    let a = call(&q, &nobody, &Writer::request(Operation::GetPrinterAttributes as u16, 6, URI).finish(), b"");
    let p = a.printer().expect("printer attributes");
    assert_eq!(p.strings("printer-uri-supported"), [URI]);
    assert!(p.strings("document-format-supported").iter().any(|f| f == "application/pdf"));
}

/// `bytes` with the integer value of the first `job-id` attribute set to `id`.
fn with_job_id(bytes: &[u8], id: i32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let needle = [&[codec::tag::INTEGER, 0, 6][..], b"job-id", &[0, 4]].concat();
    let at = out.windows(needle.len()).position(|w| w == needle.as_slice()).expect("job-id in the request");
    out[at + needle.len()..at + needle.len() + 4].copy_from_slice(&id.to_be_bytes());
    out
}

#[test]
fn what_real_clients_send_is_parked() {
    use codec::tests::{
        CREATE_JOB_FROM_CUPS, PRINT_JOB_FROM_CUPS_IPP10, PRINT_JOB_FROM_IPPTOOL, SEND_DOCUMENT_FROM_CUPS,
    };
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 10);
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n";
    for (who, request) in [("ipptool", PRINT_JOB_FROM_IPPTOOL), ("CUPS in IPP/1.0 mode", PRINT_JOB_FROM_CUPS_IPP10)] {
        let a = call(&q, &user("alice"), request, pdf);
        assert_eq!(a.code(), status::OK, "{who}: {:?}", a.message());
        assert_eq!(a.header.request_id, codec::wire::header(request).expect("header").request_id, "{who}");
    }
    // CUPS's ipp backend: Create-Job, then Send-Document with the job's id.
    let created = call(&q, &user("alice"), CREATE_JOB_FROM_CUPS, b"");
    assert_eq!(created.code(), status::OK, "{:?}", created.message());
    let id = created.jobs().next().and_then(|j| j.integer("job-id")).expect("job-id");
    let sent = call(&q, &user("alice"), &with_job_id(SEND_DOCUMENT_FROM_CUPS, id), pdf);
    assert_eq!(sent.code(), status::OK, "{:?}", sent.message());
    let job = sent.jobs().next().expect("job");
    assert_eq!(job.integer("job-state").and_then(JobState::from_enum), Some(JobState::Held));
    assert_eq!(q_jobs(&q, "alice"), 3);
}

/// How many jobs `user` has parked, by Get-Jobs.
fn q_jobs(q: &Queue, who: &str) -> usize {
    call(q, &user(who), &Writer::request(Operation::GetJobs as u16, 9, URI).finish(), b"").jobs().count()
}

/// The step a request leads to, without finishing any document.
fn step(q: &Queue, who: &Caller, request: &[u8]) -> Step {
    let Ok(Scan::Complete(f)) = codec::scan(request) else { panic!("framed") };
    q.handle(who, &f, &request[..f.data_at()])
}

/// Regression (security review, finding 7): Create-Job left open jobs
/// uncapped, with names of any length, and one user could open uploads
/// without limit.
#[test]
fn one_user_cannot_hold_open_jobs_uploads_or_long_names_without_limit() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue(d.path(), 1000);
    let long = "n".repeat(1000);
    let mut create = Writer::request(Operation::CreateJob as u16, 1, URI);
    create.name("job-name", &long);
    let create = create.finish();
    for i in 0..10 {
        let a = call(&q, &user("alice"), &create, b"");
        assert_eq!(a.code(), status::OK, "open job {i}");
        let name = a.jobs().next().and_then(|j| j.string("job-name")).expect("job-name");
        assert!(name.len() <= 255, "a name of {} bytes was kept", name.len());
    }
    assert_eq!(call(&q, &user("alice"), &create, b"").code(), status::NOT_POSSIBLE, "the 11th open job");
    assert_eq!(call(&q, &user("bob"), &create, b"").code(), status::OK, "others are not held back");
    // Uploads: at most 16 documents arriving at once per user.
    let mut arriving = Vec::new();
    for _ in 0..16 {
        match step(&q, &user("carol"), &print_job("doc")) {
            Step::Receive(r) => arriving.push(r),
            other => panic!("{other:?}"),
        }
    }
    let Step::Reply(busy) = step(&q, &user("carol"), &print_job("doc")) else { panic!("a reply") };
    assert_eq!(codec::wire::header(&busy).map(|h| h.code), Some(i16::try_from(status::BUSY).unwrap_or(0)));
    drop(arriving.pop());
    assert!(matches!(step(&q, &user("carol"), &print_job("doc")), Step::Receive(_)), "a slot frees when one ends");
}

/// Regression (security review, finding 7): the per-user byte limit was
/// checked only when a job started, so two uploads begun together each
/// saw room and together passed it. The one that would pass it now gets
/// client-error-not-possible saying why, and the other is parked.
#[test]
fn parallel_uploads_of_one_user_cannot_pass_the_byte_limit() {
    let d = tempfile::tempdir().expect("tempdir");
    let q = queue_with(d.path(), QueueLimits { max_jobs_per_user: 100, max_bytes_per_user: 1 << 20 });
    let receive = || match step(&q, &user("alice"), &print_job("doc")) {
        Step::Receive(r) => r,
        other => panic!("{other:?}"),
    };
    let (mut a, mut b) = (receive(), receive());
    let mut doc = b"%PDF-1.4\n".to_vec();
    doc.resize(300 << 10, b' ');
    let piece = vec![b' '; 300 << 10];
    a.write(&doc).expect("a: 300 KiB");
    b.write(&doc).expect("b: 600 KiB in all");
    a.write(&piece).expect("a: 900 KiB in all");
    let refused = b.write(&piece).expect_err("b would make 1.2 MiB, past the 1 MiB limit");
    let answer = b.fail(refused);
    let Ok(Scan::Complete(f)) = codec::scan(&answer) else { panic!("framed") };
    let m = Message::read(&f, &answer).expect("reads");
    assert_eq!(m.code(), status::NOT_POSSIBLE);
    assert!(m.message().is_some_and(|s| s.contains("limit")), "{:?}", m.message());
    let parked = a.finish();
    let Ok(Scan::Complete(f)) = codec::scan(&parked) else { panic!("framed") };
    assert_eq!(Message::read(&f, &parked).expect("reads").code(), status::OK);
    assert_eq!(q_jobs(&q, "alice"), 1);
}

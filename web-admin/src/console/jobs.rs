//! The jobs page: parked jobs filtered by owner, printer, state and date, a
//! page at a time, each with a delete (shred) button; and the release
//! history with each outcome and the printer's job id (admins, helpdesk).

use super::{Posted, Signed, act, day_ms, field, frame, page, query, see_other, trouble, when};
use crate::{Appliance, ConsoleAct, JobsView, Outcome};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use local_connector::job::JobId;
use local_connector::store::{HistoryFilter, JobFilter, JobState};
use maud::{Markup, html};
use std::sync::Arc;

/// Rows on one page.
const PAGE: usize = 50;

/// `GET /jobs?owner=&printer=&state=&from=&to=&before=&hbefore=`
pub(super) async fn list(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let f = query(q.as_deref());
    let opt = |k: &str| Some(field(&f, k)).filter(|v| !v.is_empty());
    let (from_ms, to_ms) =
        (opt("from").and_then(|d| day_ms(&d)), opt("to").and_then(|d| day_ms(&d)).map(|t| t + 86_400_000));
    let owner = opt("owner");
    let device = opt("printer");
    let jobs = JobFilter {
        owner: owner.clone(),
        device: device.clone(),
        state: opt("state").and_then(|s| JobState::parse(&s)),
        from_ms,
        to_ms,
        before: opt("before").and_then(|b| JobId::parse(&b)),
        limit: PAGE,
    };
    let history = HistoryFilter {
        owner,
        device,
        from_ms,
        to_ms,
        before: opt("hbefore").and_then(|b| {
            let mut k = [0u8; 16];
            hex::decode_to_slice(b, &mut k).ok().map(|()| k)
        }),
        limit: PAGE,
    };
    let user = who.0.clone();
    match act(app, &who, ConsoleAct::Jobs { jobs, history }).await {
        Outcome::Jobs(v) => page(StatusCode::OK, frame(&user, "/jobs", "Jobs", view(&v, &f, &user.csrf))),
        o => trouble(&user, o),
    }
}

/// `POST /jobs/{id}/delete`: shred one job.
pub(super) async fn delete(
    State(app): State<Arc<dyn Appliance>>,
    Path(id): Path<String>,
    Posted { who, .. }: Posted,
) -> Response {
    match act(app, &who, ConsoleAct::DeleteJob { id }).await {
        Outcome::Done => see_other("/jobs?done=deleted"),
        o => trouble(&who.0, o),
    }
}

fn link(f: &[(String, String)], key: &str, value: &str) -> String {
    let mut q: Vec<(String, String)> = ["owner", "printer", "state", "from", "to"]
        .iter()
        .map(|k| ((*k).to_owned(), field(f, k)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    q.push((key.to_owned(), value.to_owned()));
    format!("/jobs?{}", local_connector::html::query_string(&q))
}

fn view(v: &JobsView, f: &[(String, String)], csrf: &str) -> Markup {
    let keep = |k: &str| field(f, k);
    let printer = |id: &str| v.printers.iter().find(|(i, _)| i == id).map_or(id.to_owned(), |(_, n)| n.clone());
    let states = [JobState::Held, JobState::Queued, JobState::Printing, JobState::Failed, JobState::Printed];
    html! {
        @if keep("done") == "deleted" {
            p.notice.ok role="status" id="done" { "The job was shredded: its key is destroyed and it can never be printed." }
        }
        form.filters method="get" action="/jobs" role="search" aria-label="Filter jobs" {
            div { label for="owner" { "Owner" } input type="text" id="owner" name="owner" value=(keep("owner")) placeholder="user name"; }
            div {
                label for="printer" { "Printer" }
                select id="printer" name="printer" {
                    option value="" { "any printer" }
                    @for (id, name) in &v.printers { option value=(id) selected[keep("printer") == *id] { (name) } }
                }
            }
            div {
                label for="state" { "State" }
                select id="state" name="state" {
                    option value="" { "any state" }
                    @for s in states { option value=(s.name()) selected[keep("state") == s.name()] { (s.name()) } }
                }
            }
            div { label for="from" { "From" } input type="date" id="from" name="from" value=(keep("from")); }
            div { label for="to" { "To" } input type="date" id="to" name="to" value=(keep("to")); }
            div { button.primary type="submit" { "Show" } }
        }
        h2 { "Parked jobs" }
        p.muted { (v.parked) " jobs parked in all. Deleting a job shreds it at once: it can never be printed." }
        @if v.jobs.is_empty() {
            p id="no-jobs" { "No parked job matches." }
        } @else {
            div.scroll {
                table id="jobs" {
                    caption.sr-only { "Parked jobs, newest first" }
                    thead { tr {
                        th scope="col" { "Submitted" } th scope="col" { "Owner" } th scope="col" { "Document" }
                        th scope="col" { "Pages" } th scope="col" { "State" } th scope="col" { "Expires" }
                        th scope="col" { span.sr-only { "Actions" } }
                    } }
                    tbody {
                        @for j in &v.jobs {
                            @let m = &j.meta;
                            tr id=(format!("job-{}", m.id)) {
                                td { (when(m.submitted_at_ms)) }
                                td { a href=(format!("/users/{}", local_connector::html::percent_encode(&m.owner))) { (m.owner) } }
                                td { (m.document_name) br; small { (m.format) ", " (m.size / 1024) " KiB" } }
                                td {
                                    @match m.pages { Some(p) => { (p) @if m.pages_estimated { " (estimated)" } }, None => "unknown" }
                                    @if m.copies > 1 { " × " (m.copies) }
                                    br; small { (format!("{:?}", m.color).to_lowercase()) ", " (format!("{:?}", m.sides).to_lowercase()) }
                                }
                                td {
                                    (j.state.name())
                                    @if let Some(d) = &j.device { " at " (printer(d)) }
                                    @if let Some(r) = &j.reason { br; small.danger { (r) } }
                                }
                                td { (when(m.expires_at_ms)) }
                                td {
                                    form method="post" action=(format!("/jobs/{}/delete", m.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button.danger-button type="submit" aria-label=(format!("Delete {} of {}", m.document_name, m.owner)) { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(n) = &v.next { p { a href=(link(f, "before", n)) id="older-jobs" { "Older jobs" } } }
        }
        h2 { "Release history" }
        @if v.history.is_empty() {
            p id="no-releases" { "No release matches." }
        } @else {
            div.scroll {
                table id="releases" {
                    caption.sr-only { "Ended releases, newest first" }
                    thead { tr {
                        th scope="col" { "Ended" } th scope="col" { "Owner" } th scope="col" { "Document" }
                        th scope="col" { "Printer" } th scope="col" { "Outcome" } th scope="col" { "Printer's job" }
                    } }
                    tbody {
                        @for r in &v.history {
                            tr {
                                td { (when(r.at_ms)) }
                                td { (r.owner) @if r.by != r.owner { br; small { "by " (r.by) } } }
                                td { (r.document_name) }
                                td { (printer(&r.device)) @if !r.transport.is_empty() { br; small { "over " (r.transport.to_uppercase()) } } }
                                td {
                                    @if r.outcome == "failed" { span.danger { "failed" } } @else { (r.outcome) }
                                    @if let Some(d) = &r.detail { br; small { (d) } }
                                }
                                td { @if let Some(n) = r.printer_job { (n) } @else { "—" } }
                            }
                        }
                    }
                }
            }
            @if let Some(n) = &v.history_next { p { a href=(link(f, "hbefore", n)) id="older-releases" { "Older releases" } } }
        }
    }
}

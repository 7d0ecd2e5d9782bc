//! The audit log page: records newest first, filtered by actor, action and
//! date, with whether the hash chain verifies (admins and auditors).

use super::{Posted, Signed, act, day_ms, field, frame, page, query, see_other, trouble, when};
use crate::{Appliance, AuditView, ConsoleAct, Outcome};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use local_connector::audit::{ChainStatus, Query};
use maud::{Markup, html};
use std::sync::Arc;

/// Records on one page.
const PAGE: usize = 50;

/// The actions the filter offers.
const ACTIONS: [&str; 16] = [
    "console.sign-in",
    "console.sign-out",
    "job.release",
    "job.delete",
    "badge.bind",
    "badge.unbind",
    "pin.reset",
    "passcode.issue",
    "passcode.revoke",
    "token.create",
    "token.revoke",
    "phone.bind",
    "phone.release",
    "phone.revoke",
    "lockout.clear",
    "setting.change",
];

/// `GET /audit?actor=&action=&from=&to=&before=`
pub(super) async fn list(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let f = query(q.as_deref());
    let opt = |k: &str| Some(field(&f, k)).filter(|v| !v.is_empty());
    let to_ms = opt("to").and_then(|d| day_ms(&d)).map(|ms| ms + 86_400_000);
    let q = Query {
        actor: opt("actor"),
        action: opt("action"),
        from_ms: opt("from").and_then(|d| day_ms(&d)),
        to_ms,
        before: opt("before").and_then(|b| b.parse().ok()),
        limit: PAGE,
    };
    let user = who.0.clone();
    match act(app, &who, ConsoleAct::Audit(q)).await {
        Outcome::AuditPage(v) => page(StatusCode::OK, frame(&user, "/audit", "Audit log", view(&v, &f, &user.csrf))),
        o => trouble(&user, o),
    }
}

/// `POST /audit/verify`: walk the chain now.
pub(super) async fn verify(State(app): State<Arc<dyn Appliance>>, Posted { who, .. }: Posted) -> Response {
    match act(app, &who, ConsoleAct::CheckAudit).await {
        Outcome::Done => see_other("/audit"),
        o => trouble(&who.0, o),
    }
}

fn status(s: &ChainStatus, total: u64) -> Markup {
    html! {
        @match s {
            ChainStatus::Unchecked => p.notice.warn id="chain" role="status" {
                "The hash chain has not been walked since the appliance started; it is walked every hour."
            },
            ChainStatus::Intact { at_ms, records } => p.notice.ok id="chain" role="status" {
                "The hash chain verified when last walked, " (when(*at_ms)) ": " (records) " records intact."
                @if total > *records { " The " (total - records) " written since are chained to them; the next walk is within the hour." }
            },
            ChainStatus::Broken { at_ms, broken } => div.notice.bad id="chain" role="alert" {
                p { strong { "The hash chain is broken: " } "record " (broken.record) " " (broken.why) "." }
                p { "Found " (when(*at_ms)) ". Someone or something changed the audit log on disk. Keep a copy of the data folder for investigation; "
                    code { "pullprint audit verify" } " names the same record." }
            },
        }
    }
}

fn view(v: &AuditView, f: &[(String, String)], csrf: &str) -> Markup {
    let keep = |k: &str| field(f, k);
    let next_link = v.next.map(|n| {
        let mut q: Vec<(String, String)> = ["actor", "action", "from", "to"]
            .iter()
            .map(|k| ((*k).to_owned(), keep(k)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        q.push(("before".into(), n.to_string()));
        format!("/audit?{}", local_connector::html::query_string(&q))
    });
    html! {
        (status(&v.status, v.total))
        form method="post" action="/audit/verify" {
            input type="hidden" name="csrf" value=(csrf);
            button.secondary type="submit" id="verify" { "Verify the chain now" }
        }
        form.filters method="get" action="/audit" role="search" aria-label="Filter the audit log" {
            div {
                label for="actor" { "Who" }
                @if v.names_hidden {
                    input type="text" id="actor" name="actor" disabled value="" placeholder="names are hidden for auditors";
                } @else {
                    input type="text" id="actor" name="actor" value=(keep("actor")) placeholder="user name";
                }
            }
            div {
                label for="action" { "What" }
                select id="action" name="action" {
                    option value="" { "every action" }
                    @for a in ACTIONS {
                        option value=(a) selected[keep("action") == a] { (a) }
                    }
                }
            }
            div { label for="from" { "From" } input type="date" id="from" name="from" value=(keep("from")); }
            div { label for="to" { "To" } input type="date" id="to" name="to" value=(keep("to")); }
            div { button.primary type="submit" { "Show" } }
        }
        p.muted { (v.total) " records in all." @if v.names_hidden { " User names are shown as pseudonyms, as the privacy settings say: the same person always has the same one." } }
        @if v.records.is_empty() {
            p id="no-records" { "No record matches." }
        } @else {
            div.scroll {
                table id="audit" {
                    caption.sr-only { "Audit records, newest first" }
                    thead { tr {
                        th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" }
                        th scope="col" { "From" } th scope="col" { "What" } th scope="col" { "About" }
                        th scope="col" { "Outcome" }
                    } }
                    tbody {
                        @for r in &v.records {
                            tr {
                                td { (r.seq) }
                                td { (when(r.at_ms)) }
                                td.who { (r.actor) @if !r.role.is_empty() { br; small { (r.role) } } }
                                td { code { (r.source) } }
                                td { code { (r.action) } }
                                td.about { (r.subject) @if !r.subject.is_empty() && !r.target.is_empty() { br; } small { (r.target) } }
                                td {
                                    @if r.outcome == "ok" { (r.outcome) } @else { span.danger { (r.outcome) } }
                                    @if !r.detail.is_empty() { br; small { (r.detail) } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = next_link {
                p { a href=(href) id="older" { "Older records" } }
            }
        }
    }
}

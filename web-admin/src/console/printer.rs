//! Registering and managing printers (admins): the register form, one
//! printer's page with the steps that secure its panel (each tagged with
//! how sure it is), and rotate, revoke and remove. A new panel credential
//! is shown once, on the answer to the action that made it.

use super::{Posted, Signed, act, field, frame, page, see_other, trouble};
use crate::{Appliance, ConsoleAct, Outcome, PrinterPage};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use std::sync::Arc;

/// The register form, for the printers page.
pub(super) fn add_form(csrf: &str) -> Markup {
    html! {
        h2 { "Register a printer" }
        p { "Registering secures a printer's panel: it gets a credential to call the appliance with, shown once, and the steps to enter it on the printer." }
        form.filters method="post" action="/printers" {
            input type="hidden" name="csrf" value=(csrf);
            div.grow { label for="name" { "Name" } input type="text" id="name" name="name" required placeholder="3rd floor east"; }
            div {
                label for="vendor" { "Maker" }
                select id="vendor" name="vendor" {
                    @for (v, label) in [("hp", "HP"), ("km", "Konica Minolta"), ("lexmark", "Lexmark"), ("ricoh", "Ricoh"), ("xerox", "Xerox")] {
                        option value=(v) { (label) }
                    }
                }
            }
            div.grow { label for="address" { "Host name or address" } input type="text" id="address" name="address" required; }
            div {
                label for="reader" { "Card reader writes" }
                select id="reader" name="reader" {
                    option value="hex" { "hex" } option value="decimal" { "decimal" } option value="wiegand26" { "26-bit Wiegand" }
                }
            }
            div { label.check for="reversed" { input type="checkbox" id="reversed" name="reversed" value="yes"; " least significant byte first" } }
            div { button.primary type="submit" id="add-printer" { "Register" } }
        }
    }
}

/// `POST /printers`
pub(super) async fn add(State(app): State<Arc<dyn Appliance>>, Posted { who, form }: Posted) -> Response {
    let a = ConsoleAct::AddPrinter {
        name: field(&form, "name"),
        vendor: field(&form, "vendor"),
        address: field(&form, "address"),
        reader: field(&form, "reader"),
        reversed: field(&form, "reversed") == "yes",
    };
    answer(app, &who, a).await
}

/// `GET /printers/{id}`
pub(super) async fn show(
    State(app): State<Arc<dyn Appliance>>,
    who: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let done = field(&super::query(q.as_deref()), "done");
    match act(app, &who, ConsoleAct::Printer { id }).await {
        Outcome::Printer(p) => page(
            StatusCode::OK,
            frame(&who.0, "/printers", &format!("Printer {}", p.printer.name), view(&p, &who.0.csrf, &done)),
        ),
        o => trouble(&who.0, o),
    }
}

/// `POST /printers/{id}/location`
pub(super) async fn location(
    State(app): State<Arc<dyn Appliance>>,
    Path(id): Path<String>,
    Posted { who, form }: Posted,
) -> Response {
    answer(app, &who, ConsoleAct::SetLocation { id, location: field(&form, "location") }).await
}

/// `GET /labels.pdf?paper=a4|letter[&printer=ID]...`: a sheet of labels,
/// of the printers named or of every printer.
pub(super) async fn labels(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let q = super::query(q.as_deref());
    let ids: Vec<String> = q.iter().filter(|(k, _)| k == "printer").map(|(_, v)| v.clone()).collect();
    let paper = field(&q, "paper");
    match act(app, &who, ConsoleAct::Labels { ids, paper }).await {
        Outcome::Pdf(pdf) => {
            use axum::http::header;
            use axum::response::IntoResponse;
            let headers = [
                (header::CONTENT_TYPE, "application/pdf"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"pullprint-labels.pdf\""),
                (header::CACHE_CONTROL, "no-store"),
            ];
            crate::harden((headers, pdf).into_response())
        }
        Outcome::Invalid(problems) => {
            let why = problems.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join(" ");
            trouble(&who.0, Outcome::Refused(why))
        }
        o => trouble(&who.0, o),
    }
}

/// `POST /printers/{id}/{op}`: `rotate`, `revoke`, `remove` or `rotate-label`.
pub(super) async fn op(
    State(app): State<Arc<dyn Appliance>>,
    Path((id, op)): Path<(String, String)>,
    Posted { who, .. }: Posted,
) -> Response {
    if !["rotate", "revoke", "remove", "rotate-label"].contains(&op.as_str()) {
        return trouble(&who.0, Outcome::NotFound);
    }
    let back = format!("/printers/{}?done={op}", local_connector::html::percent_encode(&id));
    match act(app.clone(), &who, ConsoleAct::ForPrinter { id, op: op.clone() }).await {
        Outcome::Done => see_other("/printers?done=removed"),
        Outcome::Printer(p) if p.credential.is_none() => see_other(&back),
        o => show_answer(&who, o),
    }
}

async fn answer(app: Arc<dyn Appliance>, who: &Signed, a: ConsoleAct) -> Response {
    let o = act(app, who, a).await;
    show_answer(who, o)
}

fn show_answer(who: &Signed, o: Outcome) -> Response {
    match o {
        Outcome::Printer(p) => page(
            StatusCode::OK,
            frame(&who.0, "/printers", &format!("Printer {}", p.printer.name), view(&p, &who.0.csrf, "")),
        ),
        Outcome::Invalid(problems) => {
            let why = problems.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join(" ");
            trouble(&who.0, Outcome::Refused(why))
        }
        o => trouble(&who.0, o),
    }
}

/// What Device Scout reads from the printer, and its meter history.
fn scout_section(p: &PrinterPage) -> Markup {
    html! {
        h2 { "Status, supplies and meters" }
        @match &p.printer.scout {
            None => p.muted id="scout-none" {
                "Device Scout does not watch this printer: no " code { "[[scout.range]]" }
                " covers its address, or it has not answered yet (docs/SCOUT.md)."
            },
            Some(v) => {
                table.facts id="scout" {
                    tbody {
                        tr { th scope="row" { "Model" } td { (v.model) @if v.colour { " (colour)" } @else { " (mono)" } } }
                        @if let Some(sn) = &v.serial { tr { th scope="row" { "Serial number" } td { (sn) } } }
                        @if let Some(l) = &v.location { tr { th scope="row" { "Location (SNMP)" } td { (l) } } }
                        tr { th scope="row" { "Status" } td { (v.status) } }
                        @if let Some(n) = v.page_count { tr { th scope="row" { "Page count" } td { (n) } } }
                        @if !v.display.is_empty() { tr { th scope="row" { "Its panel shows" } td { (v.display.join(" / ")) } } }
                        tr { th scope="row" { "Last read" } td { (super::when(v.read_ms)) @if let Some(e) = &v.error { " — " span.danger { (e) } } } }
                    }
                }
                @if !v.alerts.is_empty() {
                    ul.plain id="scout-alerts" {
                        @for a in &v.alerts {
                            li { @if a.critical { span.danger { (a.kind) ": " (a.detail) } } @else { (a.kind) ": " (a.subject) " " (a.detail) } " since " (super::when(a.since_ms)) }
                        }
                    }
                }
                div.scroll {
                    table id="supplies" {
                        caption.sr-only { "Supplies" }
                        thead { tr { th scope="col" { "Supply" } th scope="col" { "Level" } } }
                        tbody { @for (what, level, low) in &v.supplies { tr { td { (what) } td { @if *low { span.danger { (level) } } @else { (level) } } } } }
                    }
                }
                @if !v.trays.is_empty() {
                    div.scroll {
                        table id="trays" {
                            caption.sr-only { "Input trays" }
                            thead { tr { th scope="col" { "Tray" } th scope="col" { "Paper" } } }
                            tbody { @for (name, level) in &v.trays { tr { td { (name) } td { (level) } } } }
                        }
                    }
                }
                h3 { "Meter history" }
                @if p.meters.is_empty() {
                    p.muted { "No meter reading yet: one is kept each day." }
                } @else {
                    div.scroll {
                        table id="meters" {
                            caption.sr-only { "Daily meter readings" }
                            thead { tr { th scope="col" { "Read" } th scope="col" { "Page count" } th scope="col" { "Since the reading before" } } }
                            tbody {
                                @for (i, (at, n)) in p.meters.iter().enumerate().rev() {
                                    tr {
                                        td { (super::when(*at)) }
                                        td { (n) }
                                        td { @if i > 0 { (n.saturating_sub(p.meters[i - 1].1)) } @else { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn view(p: &PrinterPage, csrf: &str, done: &str) -> Markup {
    let d = &p.printer;
    let post = |op: &str, label: &str, class: &str| {
        html! {
            form.inline method="post" action=(format!("/printers/{}/{op}", d.id)) {
                input type="hidden" name="csrf" value=(csrf);
                button class=(class) type="submit" id=(format!("{op}-printer")) { (label) }
            }
        }
    };
    html! {
        @if done == "rotate-label" { p.notice.ok role="status" id="done" { "A new label id: this printer's old labels stop working now. Print its new label and replace the old one." } }
        @if done == "revoke" { p.notice.ok role="status" id="done" { "Revoked: its panel is refused from its next request, and its sessions are over. Rotate to secure it again." } }
        @if let Some(c) = &p.credential {
            div.notice.warn id="new-credential" {
                p { strong { "The panel credential, shown only now:" } }
                p.secret id="credential" { (c.as_str()) }
                @if let Some(url) = &p.app_url { p { "Panel app address for this printer: " code id="app-url" { (url) } } }
                p { "Enter it on the printer as the steps below say. Any earlier credential of this printer no longer works." }
            }
        }
        table.facts {
            tbody {
                tr { th scope="row" { "Id" } td { code { (d.id) } } }
                tr { th scope="row" { "Maker" } td { (d.vendor) } }
                tr { th scope="row" { "Address" } td { code { (d.address) } } }
                tr { th scope="row" { "Panel" } td id="panel-state" { @if d.secured { "secured" } @else { span.danger { "not secured (revoked)" } } } }
                tr { th scope="row" { "Card reader" } td { (d.reader) } }
                tr { th scope="row" { "Release over" } td { (d.transports.join(", ")) } }
                tr { th scope="row" { "Trust" } td { @if d.trust_dangerous { span.danger { (d.trust) } } @else { (d.trust) } } }
                tr { th scope="row" { "Panels reach the appliance at" } td { code { (p.panel_base) } } }
                tr { th scope="row" { "Location" } td id="location" { @if d.location.is_empty() { span.muted { "not said" } } @else { (d.location) } } }
                tr { th scope="row" { "Phone label" } td { @if let Some(u) = &d.label_url { code id="label-url" { (u) } } @else { span.muted { "none yet: printing its label makes one" } } } }
            }
        }
        p { (post("rotate", "Issue a new credential", "secondary")) (post("revoke", "Revoke", "danger-button")) (post("remove", "Remove", "danger-button")) }
        h2 { "Label for release from a phone" }
        p { "People scan the printer's label with their phone's camera to print their documents here. The label names nothing of the printer but a random id; give it a new one if a label is stolen or copied." }
        form.filters method="post" action=(format!("/printers/{}/location", d.id)) {
            input type="hidden" name="csrf" value=(csrf);
            div.grow { label for="location-field" { "Where it stands (on its label)" } input type="text" id="location-field" name="location" maxlength="100" value=(d.location) placeholder="3rd floor, by the kitchen"; }
            div { button.secondary type="submit" id="set-location" { "Save" } }
        }
        p {
            a id="label-a4" href=(format!("/labels.pdf?paper=a4&printer={}", d.id)) { "Its label (PDF, A4)" } " "
            a id="label-letter" href=(format!("/labels.pdf?paper=letter&printer={}", d.id)) { "Its label (PDF, Letter)" } " "
            (post("rotate-label", "Give it a new label id", "secondary"))
        }
        (scout_section(p))
        h2 { "Secure its panel" }
        p { (p.integration) }
        ol id="steps" { @for (s, how) in &p.steps { li { (s) " " small.muted { "(" (how) ")" } } } }
        h2 { "Ports" }
        div.scroll {
            table {
                caption.sr-only { "Ports between the printer and the appliance" }
                thead { tr { th scope="col" { "Port" } th scope="col" { "Direction" } th scope="col" { "What for" } th scope="col" { "Source" } } }
                tbody { @for (port, way, what, how) in &p.ports { tr { td { (port) } td { (way) } td { (what) } td { small { (how) } } } } }
            }
        }
        h2 { "Unsecure it" }
        ol { @for (s, how) in &p.unsecure { li { (s) " " small.muted { "(" (how) ")" } } } }
        p { a href="/printers" { "All printers" } }
    }
}

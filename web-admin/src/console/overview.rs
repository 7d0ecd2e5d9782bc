//! The dashboard and the printers page.

use super::{Signed, ago, forbidden, frame, now_s, page, refuse_unless};
use crate::{Action, AlertView, Appliance, Dashboard, FoundView, Outcome, PrinterView, ScoutView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use local_connector::auth::policy::ConsoleRole;
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /`: the dashboard.
pub(super) async fn dashboard(State(app): State<Arc<dyn Appliance>>, Signed(user, _): Signed) -> Response {
    // An auditor's console is the audit log (and later the reports).
    if user.role == ConsoleRole::Auditor {
        return super::see_other("/audit");
    }
    if let Some(r) = refuse_unless(&user, &[ConsoleRole::Admin, ConsoleRole::Helpdesk]) {
        return r;
    }
    let d = match tokio::task::spawn_blocking(move || app.perform(Action::Dashboard)).await {
        Ok(Outcome::Dashboard(d)) => d,
        _ => return forbidden(&user, "The appliance could not gather the dashboard; see its log."),
    };
    page(StatusCode::OK, frame(&user, "/", "Dashboard", dashboard_view(&d)))
}

fn dashboard_view(d: &Dashboard) -> Markup {
    let h = &d.health;
    html! {
        @if h.problems.is_empty() {
            p.notice.ok role="status" id="status" { "The appliance is healthy." }
        } @else {
            div.notice.bad role="alert" id="status" {
                p { strong { "The appliance needs attention:" } }
                ul.plain { @for p in &h.problems { li { (p) } } }
            }
        }
        @if !h.dangerous_settings.is_empty() {
            div.notice.warn id="dangerous" {
                p { strong.danger { "Dangerous settings in force" } }
                ul.plain { @for s in &h.dangerous_settings { li.danger { (s) } } }
            }
        }
        div.cards {
            div.card { div.n id="parked" { (h.parked_jobs) } div.l { "jobs parked now" } }
            div.card { div.n { (d.printers) } div.l { "printers registered (" (d.printers_secured) " secured)" } }
            div.card { div.n { (h.locked_sign_ins) } div.l { "sign-ins locked after failed guesses" } }
            div.card { div.n { (h.data_free_bytes >> 30) " GiB" } div.l { "free on the data disk" } }
        }
        h2 { "Activity" }
        div.scroll {
            table id="activity" {
                caption.sr-only { "Activity today and over the last 30 days" }
                thead { tr { th scope="col" { span.sr-only { "What" } } th scope="col" { "Today" } th scope="col" { "Last 30 days" } } }
                tbody { @for (what, today, month) in &d.activity { tr { th scope="row" { (what) } td { (today) } td { (month) } } } }
            }
        }
        @if !d.failed.is_empty() {
            h2 { "Releases that failed lately" }
            ul.plain id="failed-releases" {
                @for (at, owner, printer, why) in &d.failed {
                    li { (super::when(*at)) ": " (owner) " at " (printer) " — " span.danger { (why) } }
                }
            }
        }
        h2 { "Printers to look at" }
        @if !d.scout_on {
            p.muted id="scout-off" {
                "Device Scout watches no range yet: add a " code { "[[scout.range]]" }
                " to the configuration (see docs/SCOUT.md) and printers in error or low on supplies appear here."
            }
        } @else {
            p.muted id="scout-summary" {
                @if d.last_discovery_ms == 0 { "Device Scout has not finished a discovery sweep yet." }
                @else { "Last discovery sweep " (super::when(d.last_discovery_ms)) "." }
                " "
                @if d.found_unsecured > 0 {
                    a href="/printers#found" { (d.found_unsecured) " found on the network, not secured" } "."
                }
            }
            @if d.watch.is_empty() {
                p.notice.ok id="watch" { "No printer reports an error or a low supply." }
            } @else {
                ul.plain id="watch" {
                    @for (name, address, alerts) in &d.watch {
                        li {
                            strong { (name) } " " code { (address) } ": "
                            @for (i, a) in alerts.iter().enumerate() {
                                @if i > 0 { "; " }
                                @if a.critical { span.danger { (alert_words(a)) } } @else { (alert_words(a)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Directory" }
        p id="directory" { (d.directory) }
        h2 { "Cloud sync" }
        (cloud_view(&h.cloud))
        h2 { "This appliance" }
        table {
            tbody {
                tr { th scope="row" { "Version" } td { (h.version) } }
                tr { th scope="row" { "Up for" } td { (uptime(h.uptime_s)) } }
                tr { th scope="row" { "Site" } td { code { (h.site_id) } } }
                tr { th scope="row" { "Server certificate" } td { "expires " (h.certificate_expires) " (" (h.certificate_days_left) " days)" } }
            }
        }
    }
}

/// The outbox toward the tenant: where, how much waits, how late, why not.
fn cloud_view(c: &crate::CloudHealth) -> Markup {
    html! {
        table id="cloud" {
            tbody {
                tr { th scope="row" { "Tenant" } td { (c.tenant) } }
                tr { th scope="row" { "Waiting" } td { (c.backlog) " records, " (c.copies_backlog) " job copies" } }
                tr { th scope="row" { "Lag" } td { @if c.lag_s == 0 { "none" } @else { (uptime(c.lag_s)) } } }
                tr { th scope="row" { "Uploaded since start" } td { (c.uploaded) " records" } }
                @if c.failures > 0 {
                    tr.danger {
                        th scope="row" { "Last attempt" }
                        td { "failed (" (c.failures) " in a row): " (c.last_error) "; next try in " (c.retry_in_s) " s. Nothing is lost." }
                    }
                }
                @if c.paused > 0 {
                    tr { th scope="row" { "Paused" } td { (c.paused) " optional records (statistics, meters, health) while the outbox was full" } }
                }
            }
        }
    }
}

/// `GET /printers`: the registered printers (admins).
pub(super) async fn printers(
    State(app): State<Arc<dyn Appliance>>,
    Signed(user, _): Signed,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    if let Some(r) = refuse_unless(&user, &[ConsoleRole::Admin]) {
        return r;
    }
    let (list, found) = match tokio::task::spawn_blocking(move || app.perform(Action::Printers)).await {
        Ok(Outcome::Printers(l, found)) => (l, found),
        _ => return forbidden(&user, "The appliance could not list its printers; see its log."),
    };
    let body = html! {
        @if q.as_deref() == Some("done=removed") { p.notice.ok role="status" id="done" { "The printer was removed." } }
        (printers_view(&list, now_s()))
        @if !list.is_empty() {
            p id="labels" {
                "Labels for release from a phone, every printer's, 8 to a sheet: "
                a href="/labels.pdf?paper=a4" id="labels-a4" { "A4 (PDF)" } ", "
                a href="/labels.pdf?paper=letter" id="labels-letter" { "Letter (PDF)" } "."
            }
        }
        (found_view(&found, &user.csrf))
        (super::printer::add_form(&user.csrf))
    };
    page(StatusCode::OK, frame(&user, "/printers", "Printers", body))
}

fn printers_view(list: &[PrinterView], now: u64) -> Markup {
    html! {
        @if list.is_empty() {
            p id="no-printers" {
                "No printer is registered yet. Register one below (or with "
                code { "pullprint device add NAME --vendor VENDOR --address ADDRESS" }
                "), then secure its panel as its page says."
            }
        } @else {
            p.muted {
                (list.len()) @if list.len() == 1 { " printer." } @else { " printers." }
                " Plaintext transports and trust on first use are dangerous settings, shown in red."
            }
            div.scroll {
                table id="printers" {
                    caption.sr-only { "Registered printers" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Maker" }
                            th scope="col" { "Address" }
                            th scope="col" { "Panel" }
                            th scope="col" { "Reader" }
                            th scope="col" { "Release over" }
                            th scope="col" { "Trust" }
                            th scope="col" { "Last heartbeat" }
                            th scope="col" { "Status (Device Scout)" }
                        }
                    }
                    tbody {
                        @for p in list {
                            tr id=(format!("printer-{}", p.id)) {
                                th scope="row" { a href=(format!("/printers/{}", p.id)) { (p.name) } br; small { code { (p.id) } } }
                                td { (p.vendor) }
                                td { code { (p.address) } }
                                td {
                                    @if p.secured { "secured" @if p.mutual_tls { ", mutual TLS" } } @else { span.danger { "not secured (revoked)" } }
                                }
                                td { (p.reader) }
                                td {
                                    @for (i, t) in p.transports.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        @if i > 0 { span.danger { (t) } } @else { (t) }
                                    }
                                }
                                td { @if p.trust_dangerous { span.danger { (p.trust) } } @else { (p.trust) } }
                                td { (ago(p.last_seen, now)) }
                                td { @match &p.scout { Some(v) => (scout_cell(v)), None => span.muted { "not watched" } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An alert in words.
fn alert_words(a: &AlertView) -> String {
    match a.kind.as_str() {
        "supply-low" => format!("{} low ({})", a.subject, a.detail),
        "waste-full" => format!("{} nearly full ({} space left)", a.subject, a.detail),
        "printer-error" | "printer-warning" => a.subject.clone(),
        "down" => "down".into(),
        "unreachable" => format!("not answering SNMP ({})", a.detail),
        _ => format!("{} {}", a.kind, a.subject),
    }
}

/// A printer's state as Device Scout last read it.
fn scout_cell(v: &ScoutView) -> Markup {
    html! {
        div { (v.status) }
        @if let Some(n) = v.page_count { div { (n) " pages" } }
        @if let Some(e) = &v.error { div.danger { (e) } }
        @if !v.supplies.is_empty() {
            ul.plain.supplies {
                @for (what, level, low) in &v.supplies {
                    li { @if *low { span.danger { (what) ": " (level) } } @else { (what) ": " (level) } }
                }
            }
        }
        @for a in &v.alerts { @if a.kind != "supply-low" && a.kind != "waste-full" { div.danger { (alert_words(a)) } } }
    }
}

/// Printers Device Scout found that are not registered.
fn found_view(found: &[FoundView], csrf: &str) -> Markup {
    html! {
        @if !found.is_empty() {
            h2 id="found" { "Found on the network, not secured" }
            p.muted {
                "Device Scout found these printers. Until one is registered, its panel cannot sign anyone in "
                "and it receives no released job. Registering it secures it: it gets a credential, shown once."
            }
            div.scroll {
                table id="found-printers" {
                    caption.sr-only { "Printers found on the network and not registered" }
                    thead {
                        tr {
                            th scope="col" { "Address" }
                            th scope="col" { "Printer" }
                            th scope="col" { "Status" }
                            th scope="col" { "Found" }
                            th scope="col" { "Secure it" }
                        }
                    }
                    tbody {
                        @for f in found {
                            tr id=(format!("found-{}", f.address.replace('.', "-"))) {
                                th scope="row" { code { (f.address) } br; small { "range " (f.range) } }
                                td {
                                    (f.vendor) " " (f.scout.model)
                                    @if f.scout.colour { " (colour)" } @else { " (mono)" }
                                    @if let Some(sn) = &f.scout.serial { br; small { "serial " (sn) } }
                                    @if let Some(l) = &f.scout.location { br; small { (l) } }
                                }
                                td { (scout_cell(&f.scout)) }
                                td { (super::when(f.first_seen_ms)) }
                                td {
                                    @match &f.registrable {
                                        Some(vendor) => {
                                            form method="post" action="/printers" {
                                                input type="hidden" name="csrf" value=(csrf);
                                                input type="hidden" name="vendor" value=(vendor);
                                                input type="hidden" name="address" value=(f.address);
                                                input type="hidden" name="reader" value="hex";
                                                label for=(format!("name-{}", f.address.replace('.', "-"))) { "Name" }
                                                input type="text" id=(format!("name-{}", f.address.replace('.', "-"))) name="name" required
                                                    value=(format!("{} {}", f.scout.model, f.address));
                                                button type="submit" id=(format!("register-{}", f.address.replace('.', "-"))) { "Register" }
                                            }
                                        }
                                        None => span.muted { "No panel integration for this maker; it is monitored only." }
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

pub(super) fn uptime(s: u64) -> String {
    match s {
        0..3600 => format!("{} minutes", s / 60),
        3600..86400 => format!("{} hours {} minutes", s / 3600, s % 3600 / 60),
        _ => format!("{} days {} hours", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer(plaintext: bool, tofu: bool) -> PrinterView {
        PrinterView {
            id: "d-abc".into(),
            name: "Lobby <east>".into(),
            vendor: "HP".into(),
            address: "10.0.0.5".into(),
            secured: true,
            mutual_tls: false,
            reader: "hex".into(),
            transports: if plaintext {
                vec!["IPPS".into(), "RAW 9100 (plaintext)".into()]
            } else {
                vec!["IPPS".into()]
            },
            plaintext,
            trust: if tofu {
                "the first certificate it shows will be trusted (dangerous)".into()
            } else {
                "internal CA".into()
            },
            trust_dangerous: tofu,
            last_seen: 1_000,
            scout: None,
            location: String::new(),
            label_url: None,
        }
    }

    #[test]
    fn dangerous_transports_and_trust_are_red_and_names_are_escaped() {
        let html = printers_view(&[printer(true, true)], 1_000 + 7_200).into_string();
        assert!(html.contains("<span class=\"danger\">RAW 9100 (plaintext)</span>"), "{html}");
        assert!(html.contains("<span class=\"danger\">the first certificate"), "{html}");
        assert!(html.contains("Lobby &lt;east&gt;") && !html.contains("<east>"), "{html}");
        assert!(html.contains("2 hours ago") && html.contains("1 printer."), "{html}");
        let safe = printers_view(&[printer(false, false)], 1_000).into_string();
        assert!(!safe.contains("class=\"danger\""), "{safe}");
        assert!(printers_view(&[], 0).into_string().contains("No printer is registered yet"));
    }

    #[test]
    fn cloud_sync_shows_its_backlog_and_a_failure_in_red_with_its_reason_escaped() {
        let c = crate::CloudHealth {
            tenant: "s3://acme/pullprint at https://s3.example".into(),
            backlog: 12,
            copies_backlog: 3,
            lag_s: 3720,
            last_error: "<SignatureDoesNotMatch>".into(),
            failures: 4,
            retry_in_s: 30,
            paused: 0,
            uploaded: 7,
        };
        let html = cloud_view(&c).into_string();
        assert!(html.contains("12 records, 3 job copies"), "{html}");
        assert!(html.contains("class=\"danger\"") && html.contains("failed (4 in a row)"), "{html}");
        assert!(html.contains("&lt;SignatureDoesNotMatch&gt;"), "escaped: {html}");
        let ok = cloud_view(&crate::CloudHealth::default()).into_string();
        assert!(!ok.contains("danger") && ok.contains("none"), "{ok}");
    }
}

//! The system page (admins): the server certificate and its expiry, the
//! internal CA to download, the admin's own certificate and key to install
//! (or the internal CA's again), a backup to download, the latest log
//! lines, version and uptime.

use super::overview::uptime;
use super::{Posted, Signed, act, field, frame, page, see_other, trouble, when};
use crate::{Appliance, ConsoleAct, Outcome, SystemView};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use std::sync::Arc;

enum Notice {
    None,
    Done(String),
    Refused(String),
}

async fn show(app: Arc<dyn Appliance>, who: &Signed, notice: Notice, status: StatusCode) -> Response {
    match act(app, who, ConsoleAct::System).await {
        Outcome::System(v) => page(status, frame(&who.0, "/system", "System", view(&v, &who.0.csrf, &notice))),
        o => trouble(&who.0, o),
    }
}

/// `GET /system`
pub(super) async fn page_get(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let notice = match field(&super::query(q.as_deref()), "done").as_str() {
        "certificate" => {
            Notice::Done("Installed. The listeners present the new certificate from the next connection on.".into())
        }
        "internal" => {
            Notice::Done("A new certificate of the internal CA is in force; it renews itself from now on.".into())
        }
        _ => Notice::None,
    };
    show(app, &who, notice, StatusCode::OK).await
}

/// `POST /system/certificate`: `certificate` and `key`, PEM.
pub(super) async fn install(State(app): State<Arc<dyn Appliance>>, Posted { who, form }: Posted) -> Response {
    let key = zeroize::Zeroizing::new(field(&form, "key"));
    let act_ = ConsoleAct::InstallCertificate { cert_pem: field(&form, "certificate"), key_pem: key };
    match act(app.clone(), &who, act_).await {
        Outcome::Changed(_) => see_other("/system?done=certificate"),
        Outcome::Invalid(p) => {
            let why = p.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join("; ");
            show(app, &who, Notice::Refused(format!("Nothing was changed: {why}.")), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        o => trouble(&who.0, o),
    }
}

/// `POST /system/certificate/internal`
pub(super) async fn internal(State(app): State<Arc<dyn Appliance>>, Posted { who, .. }: Posted) -> Response {
    match act(app.clone(), &who, ConsoleAct::InternalCertificate).await {
        Outcome::Changed(_) => see_other("/system?done=internal"),
        Outcome::Invalid(p) => {
            let why = p.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join("; ");
            show(app, &who, Notice::Refused(why), StatusCode::INTERNAL_SERVER_ERROR).await
        }
        o => trouble(&who.0, o),
    }
}

/// `POST /system/backup`: the backup archive, streamed as it is read.
pub(super) async fn backup(State(app): State<Arc<dyn Appliance>>, Posted { who, .. }: Posted) -> Response {
    let path = match act(app.clone(), &who, ConsoleAct::Backup).await {
        Outcome::File(p) => p,
        Outcome::Invalid(p) => {
            let why = p.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join("; ");
            return show(
                app,
                &who,
                Notice::Refused(format!("The backup failed: {why}")),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await;
        }
        o => return trouble(&who.0, o),
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            log::error!("console: opening the backup {}: {e}", path.display());
            return trouble(&who.0, Outcome::Failed);
        }
    };
    // Unlinked at once: the open file is read to the end, and nothing is left behind.
    let _ = tokio::fs::remove_file(&path).await;
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let name = format!(
        "attachment; filename=\"pullprint-backup-{}.tar\"",
        local_connector::reports::day_of(local_connector::clock::now_ms())
    );
    let mut r = ([(header::CONTENT_TYPE, "application/x-tar")], axum::body::Body::from_stream(stream)).into_response();
    if let Ok(v) = HeaderValue::from_str(&name) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    crate::harden(r)
}

fn view(v: &SystemView, csrf: &str, notice: &Notice) -> Markup {
    let c = &v.certificate;
    html! {
        @match notice {
            Notice::None => {},
            Notice::Done(t) => p.notice.ok role="status" id="done" { (t) },
            Notice::Refused(t) => p.notice.bad role="alert" id="refused" { (t) },
        }
        h2 { "This appliance" }
        table.facts {
            tbody {
                tr { th scope="row" { "Version" } td id="version" { "Pullprint " (v.version) } }
                tr { th scope="row" { "Up for" } td { (uptime(v.uptime_s)) } }
                tr { th scope="row" { "Site" } td { code { (v.site_id) } } }
            }
        }
        h2 { "Certificate" }
        table.facts {
            tbody {
                tr { th scope="row" { "Presented" } td id="presented" { (c.names) } }
                tr { th scope="row" { "Expires" } td id="expires" {
                    (c.expires) " (" (c.days_left) " days)"
                    @if c.days_left < 30 { " " span.danger { "soon" } }
                } }
                tr { th scope="row" { "Issued by" } td id="issuer" {
                    @if c.custom { "your own CA (uploaded here): renew it yourself before it expires" }
                    @else { "the appliance's internal CA, which renews it 30 days before it expires" }
                } }
            }
        }
        p { a href="/ca.crt" id="ca-download" { "Download the internal CA certificate" } " for workstations and printers to trust (also for the panels' mutual TLS, whatever certificate the appliance presents)." }
        h3 { "Use your own certificate" }
        p { "A certificate of your company's CA for the appliance's names, with its intermediates, and its unencrypted private key, both PEM. The key is checked to fit, and the certificate to be valid now and meant for servers." }
        form method="post" action="/system/certificate" {
            input type="hidden" name="csrf" value=(csrf);
            label for="certificate" { "Certificate and intermediates (PEM)" }
            textarea id="certificate" name="certificate" rows="6" spellcheck="false" {}
            label for="key" { "Private key (PEM)" }
            textarea id="key" name="key" rows="6" spellcheck="false" autocomplete="off" {}
            button.primary type="submit" id="install-certificate" { "Install" }
        }
        @if c.custom {
            form method="post" action="/system/certificate/internal" {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" id="internal-certificate" { "Go back to the internal CA's certificate" }
            }
        }
        h2 { "Backup" }
        p { "The whole site in one archive: settings, users, badges (as keyed tags), printers, the audit log and every parked job, still encrypted. It holds no site key: restoring it needs the site recovery password (" code { "pullprint restore" } " then " code { "pullprint init --recover" } " on the new appliance, as the operations guide says)." }
        form method="post" action="/system/backup" {
            input type="hidden" name="csrf" value=(csrf);
            button.primary type="submit" id="backup" { "Download a backup" }
        }
        h2 { "Recent log" }
        p.muted { "The latest " (v.log.len()) " lines, newest first (the journal has them all: " code { "journalctl -u pullprint" } ")." }
        pre.log id="log" tabindex="0" aria-label="Recent log lines" { @for l in &v.log { (l) "\n" } }
        p.muted { "Now " (when(local_connector::clock::now_ms())) "." }
    }
}

//! The settings page (admins): retention, sign-in methods and lockout,
//! privacy, the directory with a connection test, and the dangerous
//! settings in force. Every change applies at once, without a restart, and
//! is checked exactly as the configuration file is.

use super::{Posted, Signed, act, field, frame, page, see_other, trouble};
use crate::{Appliance, ConsoleAct, Outcome, SettingsView};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use local_connector::auth::policy::{Handling, Privacy};
use maud::{Markup, html};
use std::sync::Arc;

/// What a page shows above the forms: nothing, what changed, or what was refused.
enum Notice {
    None,
    Done(String),
    Refused(Vec<(String, String)>),
}

async fn show(app: Arc<dyn Appliance>, who: &Signed, notice: Notice, status: StatusCode) -> Response {
    match act(app, who, ConsoleAct::Settings).await {
        Outcome::Settings(v) => page(status, frame(&who.0, "/settings", "Settings", view(&v, &who.0.csrf, &notice))),
        o => trouble(&who.0, o),
    }
}

/// `GET /settings`
pub(super) async fn page_get(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let done = field(&super::query(q.as_deref()), "done");
    let notice = match done.as_str() {
        "saved" => Notice::Done("Saved. The new settings are in force now; no restart is needed.".into()),
        "privacy" => {
            Notice::Done("Saved. Auditors, reports and the tenant see names as these settings say from now on.".into())
        }
        _ => Notice::None,
    };
    show(app, &who, notice, StatusCode::OK).await
}

/// `POST /settings`: each live setting, by its dotted key.
pub(super) async fn change(State(app): State<Arc<dyn Appliance>>, Posted { who, form: f }: Posted) -> Response {
    let current = match act(app.clone(), &who, ConsoleAct::Settings).await {
        Outcome::Settings(v) => v.settings,
        o => return trouble(&who.0, o),
    };
    // Only what was changed on the page: a switch sends "false" from its
    // hidden field and then "true" when ticked, so the last value counts.
    let changes: Vec<(String, String)> = current
        .iter()
        .filter_map(|s| {
            let typed = f.iter().rev().find(|(k, _)| *k == s.key).map(|(_, v)| v.trim().to_owned())?;
            (typed != s.value).then(|| (s.key.clone(), typed))
        })
        .collect();
    if changes.is_empty() {
        return show(app, &who, Notice::Done("Nothing was changed.".into()), StatusCode::OK).await;
    }
    match act(app.clone(), &who, ConsoleAct::ChangeSettings(changes)).await {
        Outcome::Changed(_) => see_other("/settings?done=saved"),
        Outcome::Invalid(problems) => {
            show(app, &who, Notice::Refused(problems), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        o => trouble(&who.0, o),
    }
}

/// `POST /settings/privacy`: `user_names`, `document_names`, `departments`.
pub(super) async fn privacy(State(app): State<Arc<dyn Appliance>>, Posted { who, form: f }: Posted) -> Response {
    let handling = |k: &str| match field(&f, k).as_str() {
        "keep" => Some(Handling::Keep),
        "obfuscate" => Some(Handling::Obfuscate),
        "omit" => Some(Handling::Omit),
        _ => None,
    };
    let (Some(user_names), Some(document_names), Some(departments)) =
        (handling("user_names"), handling("document_names"), handling("departments"))
    else {
        let why = vec![("privacy".to_owned(), "each choice must be keep, obfuscate or omit".to_owned())];
        return show(app, &who, Notice::Refused(why), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match act(app, &who, ConsoleAct::SetPrivacy(Privacy { user_names, document_names, departments })).await {
        Outcome::Changed(_) => see_other("/settings?done=privacy"),
        o => trouble(&who.0, o),
    }
}

/// `POST /settings/directory/test`
pub(super) async fn test_directory(State(app): State<Arc<dyn Appliance>>, Posted { who, .. }: Posted) -> Response {
    let notice = match act(app.clone(), &who, ConsoleAct::TestDirectory).await {
        Outcome::Changed(c) => {
            Notice::Done(format!("The directory {}.", c.first().map(|(_, v)| v.as_str()).unwrap_or("answers")))
        }
        Outcome::Invalid(p) => Notice::Refused(p),
        o => return trouble(&who.0, o),
    };
    show(app, &who, notice, StatusCode::OK).await
}

fn handling_select(name: &str, label: &str, now: Handling) -> Markup {
    html! {
        div {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                @for (h, words) in [(Handling::Keep, "keep"), (Handling::Obfuscate, "obfuscate (a stable pseudonym)"), (Handling::Omit, "omit")] {
                    option value=(h.name()) selected[h == now] { (words) }
                }
            }
        }
    }
}

fn view(v: &SettingsView, csrf: &str, notice: &Notice) -> Markup {
    let problem = |key: &str| match notice {
        Notice::Refused(p) => p.iter().find(|(k, _)| k == key).map(|(_, w)| w.clone()),
        _ => None,
    };
    html! {
        @match notice {
            Notice::None => {},
            Notice::Done(t) => p.notice.ok role="status" id="done" { (t) },
            Notice::Refused(p) => div.notice.bad role="alert" id="refused" {
                p { strong { "Nothing was changed:" } }
                ul.plain { @for (k, w) in p { li { code { (k) } ": " (w) } } }
            },
        }
        h2 { "Retention and sign-in" }
        form.settings method="post" action="/settings" {
            input type="hidden" name="csrf" value=(csrf);
            @for s in &v.settings {
                @let id = s.key.replace('.', "-");
                @let help_id = format!("{id}-help");
                div.setting {
                    @if s.kind == "switch" {
                        input type="hidden" name=(s.key) value="false";
                        label.check for=(id) {
                            input type="checkbox" id=(id) name=(s.key) value="true" checked[s.value == "true"] aria-describedby=(help_id);
                            " " (s.label)
                        }
                    } @else {
                        label for=(id) { (s.label) }
                        input type="text" id=(id) name=(s.key) value=(s.value) aria-describedby=(help_id)
                            inputmode=[(s.kind == "count").then_some("numeric")];
                    }
                    p.muted id=(help_id) {
                        (s.help) " "
                        small { code { (s.key) } @if s.from_console { " — set here, over the configuration file" } }
                    }
                    @if let Some(w) = problem(&s.key) { p.danger role="alert" { (w) } }
                }
            }
            button.primary type="submit" id="save-settings" { "Save" }
        }
        h2 { "Privacy and data collection" }
        p { "What auditors, reports and the cloud tenant see of people and documents. Admins and the helpdesk see names, since they act on people." }
        form.filters method="post" action="/settings/privacy" {
            input type="hidden" name="csrf" value=(csrf);
            (handling_select("user_names", "User names", v.privacy.user_names))
            (handling_select("document_names", "Document names", v.privacy.document_names))
            (handling_select("departments", "Departments", v.privacy.departments))
            div { button.primary type="submit" id="save-privacy" { "Save" } }
        }
        h2 { "Directory" }
        p id="directory" { (v.directory) }
        @if v.has_ad {
            form method="post" action="/settings/directory/test" {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" id="test-directory" { "Test the connection now" }
            }
        }
        p.muted { "The directory's address, certificate and service account are set in the configuration file ([ad]), since they need the service password file; see the configuration guide." }
        h2 { "Transports and dangerous settings" }
        @if v.dangerous.is_empty() {
            p.notice.ok id="no-dangerous" { "No dangerous setting is on: jobs arrive and leave only over TLS, and every client signs in." }
        } @else {
            div.notice.warn id="dangerous" {
                ul.plain { @for d in &v.dangerous { li.danger { (d) } } }
                p { "Each is set in the configuration file's [dangerous] section or on a printer (" code { "pullprint device" } "); turn it off there." }
            }
        }
    }
}

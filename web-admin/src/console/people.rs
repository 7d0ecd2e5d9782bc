//! The users pages: search across the local directory and Active
//! Directory; one person's badges, PIN, passcode, print tokens and lockout,
//! with the helpdesk's actions on each (admins, helpdesk).

use super::{Posted, Signed, field, forbidden, frame, page, query, see_other, trouble, when};
use crate::{Appliance, ConsoleAct, Outcome, PeopleView, PersonOp, PersonView};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use local_connector::auth::Source;
use local_connector::html::percent_encode;
use maud::{Markup, html};
use std::sync::Arc;

fn person_href(login: &str) -> String {
    format!("/users/{}", percent_encode(login))
}

fn source(s: Source) -> &'static str {
    match s {
        Source::Local => "local directory",
        Source::ActiveDirectory => "Active Directory",
    }
}

/// `GET /users?q=`
pub(super) async fn search(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let term = field(&query(q.as_deref()), "q");
    let user = who.0.clone();
    match super::act(app, &who, ConsoleAct::People { term: term.clone() }).await {
        Outcome::People(v) => page(StatusCode::OK, frame(&user, "/users", "Users", search_view(&v, &term))),
        o => trouble(&user, o),
    }
}

fn search_view(v: &PeopleView, term: &str) -> Markup {
    html! {
        form.filters method="get" action="/users" role="search" aria-label="Find a user" {
            div.grow {
                label for="q" { "Find a user by name or e-mail address" }
                input type="search" id="q" name="q" value=(term) placeholder="the start of a name or address";
            }
            div { button.primary type="submit" { "Find" } }
        }
        @if let Some(p) = &v.problem {
            p.notice.bad role="alert" { "Active Directory could not be searched (" (p) "); only the local directory was." }
        }
        @if v.people.is_empty() {
            p id="no-people" { @if term.is_empty() { "No local user yet. Active Directory users are found by name." } @else { "Nobody matches." } }
        } @else {
            div.scroll {
                table id="people" {
                    caption.sr-only { "Users found" }
                    thead { tr { th scope="col" { "User" } th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Directory" } } }
                    tbody {
                        @for p in &v.people {
                            tr {
                                th scope="row" { a href=(person_href(&p.login)) { (p.login) } }
                                td { (p.display_name) }
                                td { (p.email.as_deref().unwrap_or("—")) }
                                td { (source(p.source)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /users/{login}`
pub(super) async fn person(
    State(app): State<Arc<dyn Appliance>>,
    who: Signed,
    Path(login): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let done = field(&query(q.as_deref()), "done");
    let user = who.0.clone();
    match super::act(app, &who, ConsoleAct::Person { login }).await {
        Outcome::Person(v) => {
            let title = format!("User {}", v.person.login);
            page(StatusCode::OK, frame(&user, "/users", &title, person_view(&v, &user.csrf, &done)))
        }
        o => trouble(&user, o),
    }
}

/// `POST /users/{login}/{op}`
pub(super) async fn act(
    State(app): State<Arc<dyn Appliance>>,
    Path((login, op)): Path<(String, String)>,
    Posted { who, form: f }: Posted,
) -> Response {
    let op = match op.as_str() {
        "bind-badge" => PersonOp::BindBadge { card: field(&f, "card"), encoding: field(&f, "encoding") },
        "unbind-badge" => PersonOp::UnbindBadge { handle: field(&f, "badge") },
        "reset-pin" => PersonOp::ResetPin,
        "issue-passcode" => PersonOp::IssuePasscode,
        "revoke-passcode" => PersonOp::RevokePasscode,
        "revoke-token" => PersonOp::RevokeToken { id: field(&f, "token") },
        "revoke-phone" => PersonOp::RevokePhone { id: field(&f, "phone") },
        "clear-lockout" => PersonOp::ClearLockout,
        _ => return forbidden(&who.0, "There is no such action."),
    };
    let name = op.action();
    match super::act(app, &who, ConsoleAct::ForPerson { login: login.clone(), op }).await {
        Outcome::Done => see_other(&format!("{}?done={name}", person_href(&login))),
        Outcome::Passcode(code) => page(
            StatusCode::OK,
            frame(
                &who.0,
                "/users",
                "New passcode",
                html! {
                    p { "The new passcode of " strong { (login) } " is:" }
                    p.secret id="passcode" { (code.as_str()) }
                    p { "It is shown only now: give it to them in person or read it out. Any earlier passcode of theirs no longer works." }
                    p { a href=(person_href(&login)) { "Back to " (login) } }
                },
            ),
        ),
        o => trouble(&who.0, o),
    }
}

fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "badge.bind" => "The badge is bound: it signs them in at every printer from now on.",
        "badge.unbind" => "The badge is unbound: it no longer signs anyone in.",
        "pin.reset" => "The PIN is cleared: they set a new one on their own page (/me).",
        "passcode.revoke" => "The passcode is withdrawn.",
        "token.revoke" => "The print token is revoked: clients using it must sign in again.",
        "phone.revoke" => "The phone is signed out: it no longer lists or prints their jobs at printers' labels.",
        "lockout.clear" => "Their sign-in locks are lifted.",
        _ => return None,
    })
}

fn post(login: &str, op: &str, csrf: &str, label: &str, extra: Markup) -> Markup {
    html! {
        form.inline method="post" action=(format!("{}/{op}", person_href(login))) {
            input type="hidden" name="csrf" value=(csrf);
            (extra)
            @if matches!(op, "unbind-badge" | "revoke-token" | "revoke-phone") {
                button.secondary type="submit" { (label) }
            } @else {
                button.secondary type="submit" id=(op) { (label) }
            }
        }
    }
}

fn person_view(v: &PersonView, csrf: &str, done: &str) -> Markup {
    let p = &v.person;
    let login = p.login.as_str();
    let (failures, locked_until) = v.lockout;
    html! {
        @if let Some(t) = done_text(done) { p.notice.ok role="status" id="done" { (t) } }
        table.facts {
            tbody {
                tr { th scope="row" { "Name" } td { (p.display_name) } }
                tr { th scope="row" { "E-mail" } td { (p.email.as_deref().unwrap_or("none (e-mail and PIN sign-in needs one)")) } }
                @if let Some(d) = &p.department { tr { th scope="row" { "Department" } td { (d) } } }
                tr { th scope="row" { "Directory" } td { (source(p.source)) } }
                @if !p.groups.is_empty() { tr { th scope="row" { "Groups" } td { (p.groups.join(", ")) } } }
                tr { th scope="row" { "Jobs parked" } td { a href=(format!("/jobs?owner={}", percent_encode(login))) { (v.parked) } } }
            }
        }
        h2 { "Sign-in lock" }
        @if locked_until > 0 {
            p.notice.bad id="lockout" { "Locked until " (when(locked_until)) " after " (failures) " failed sign-ins. Lift it once you know who is asking." }
            (post(login, "clear-lockout", csrf, "Lift the lock", html! {}))
        } @else if failures > 0 {
            p id="lockout" { (failures) " failed sign-ins lately; not locked." }
            (post(login, "clear-lockout", csrf, "Forget the failures", html! {}))
        } @else {
            p id="lockout" { "Not locked; no failed sign-ins lately." }
        }
        h2 { "Badges" }
        @if v.badges.is_empty() { p id="no-badges" { "No badge." } } @else {
            ul.plain id="badges" {
                @for (handle, at, how) in &v.badges {
                    li {
                        "Badge " code { (handle) } ", bound " (when(at * 1000)) " (" (how) ") "
                        (post(login, "unbind-badge", csrf, "Unbind", html! { input type="hidden" name="badge" value=(handle); }))
                    }
                }
            }
        }
        form.filters method="post" action=(format!("{}/bind-badge", person_href(login))) {
            input type="hidden" name="csrf" value=(csrf);
            div.grow {
                label for="card" { "Bind a badge: its number" }
                input type="text" id="card" name="card" autocomplete="off" required placeholder="as printed on the card, or from a desk reader";
            }
            div {
                label for="encoding" { "Written as" }
                select id="encoding" name="encoding" { option value="hex" { "hex" } option value="decimal" { "decimal" } }
            }
            div { button.primary type="submit" id="bind-badge" { "Bind" } }
        }
        h2 { "PIN and passcode" }
        p id="pin" { @if v.has_pin { "Has a PIN for e-mail and PIN sign-in." } @else { "No PIN." } }
        @if v.has_pin { (post(login, "reset-pin", csrf, "Reset the PIN", html! {})) }
        p id="passcode-state" { @if v.has_passcode { "Has a passcode." } @else { "No passcode." } }
        (post(login, "issue-passcode", csrf, if v.has_passcode { "Issue a new passcode" } else { "Issue a passcode" }, html! {}))
        @if v.has_passcode { (post(login, "revoke-passcode", csrf, "Withdraw the passcode", html! {})) }
        h2 { "Print tokens" }
        @if v.tokens.is_empty() { p id="no-tokens" { "No print token." } } @else {
            ul.plain id="tokens" {
                @for (id, label, at) in &v.tokens {
                    li {
                        code { (id) } " " (label) ", made " (when(*at)) " "
                        (post(login, "revoke-token", csrf, "Revoke", html! { input type="hidden" name="token" value=(id); }))
                    }
                }
            }
        }
        h2 { "Phones" }
        p { "Phones signed in to print from printers' QR labels. A lost phone should be signed out here." }
        @if v.phones.is_empty() { p id="no-phones" { "No phone." } } @else {
            ul.plain id="phones" {
                @for (id, what, bound, used) in &v.phones {
                    li data-phone=(id) {
                        code { (id) } " " (what) ", signed in " (when(*bound)) ", last used " (when(*used)) " "
                        (post(login, "revoke-phone", csrf, "Sign out", html! { input type="hidden" name="phone" value=(id); }))
                    }
                }
            }
        }
    }
}

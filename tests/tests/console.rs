//! The admin console in headless Chromium, and its defences over plain
//! HTTPS: sign-in and sign-out, who may enter, sessions, and forged posts.

use pullprint_tests::*;
use std::path::Path;

fn demo(dir: &Path) -> Daemon {
    let data = dir.join("data");
    Daemon::start(&demo_args(&data).iter().map(String::as_str).collect::<Vec<_>>(), &data, &[]).expect("demo starts")
}

/// The value of cookie `name` set by a response's headers.
fn set_cookie(headers: &str, name: &str) -> Option<String> {
    headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// The `csrf` hidden field of a page.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().expect("value").to_owned()
}

/// A person signs in and out in a browser: the console sends them to the
/// sign-in page first, refuses a user without a console role and a wrong
/// password with a clear message, shows the dashboard to an admin, and
/// after sign-out the console is closed again.
#[test]
fn an_admin_signs_in_sees_the_dashboard_and_signs_out_and_others_are_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = demo(t.path());
    let b = browser::Browser::start(1280, 900, &d.data.join("tls/server.crt"));
    let web = format!("https://{}", d.web);
    // axe-core finds what it should: a field without a label is critical.
    b.goto("data:text/html,<!doctype html><html lang=en><title>t</title><main><input type=text></main></html>");
    let found = b.accessibility_violations();
    assert!(found.iter().any(|v| v.starts_with("label (critical)")), "{found:?}");
    b.goto(&format!("{web}/"));
    b.wait_for("#sign-in");
    assert!(b.source().contains("Pullprint console"), "{}", b.source());
    b.screenshot("console-login");
    b.assert_accessible("the sign-in page");
    // alice is a user, not an administrator.
    b.fill("#username", "alice");
    b.fill("#password", "pullprint-demo");
    b.click("#sign-in");
    assert!(b.text("#login-error").contains("may not use the console"), "{}", b.source());
    // A wrong password.
    b.fill("#username", "admin");
    b.fill("#password", "not-the-password");
    b.click("#sign-in");
    assert!(b.text("#login-error").contains("not recognised"), "{}", b.source());
    b.screenshot("console-login-refused");
    b.assert_accessible("a refused sign-in");
    // The admin.
    b.fill("#username", "admin");
    b.fill("#password", "pullprint-demo");
    b.click("#sign-in");
    b.wait_for("#parked");
    assert!(b.text("h1").contains("Dashboard"), "{}", b.source());
    assert!(b.text("#directory").contains("local directory"), "{}", b.source());
    assert!(b.source().contains("Demo Administrator (admin)"), "{}", b.source());
    b.screenshot("console-dashboard");
    b.assert_accessible("the dashboard");
    // The printers: the demo's own, with how it is reached and trusted.
    b.click("a[href='/printers']");
    b.wait_for("#printers");
    let row = b.text("#printers tbody tr");
    assert!(row.contains("IPPS") && row.contains("secured"), "{row}\n{}", b.source());
    b.screenshot("console-printers");
    b.assert_accessible("the printers page");
    b.click("#sign-out");
    b.wait_for("#sign-in");
    b.goto(&format!("{web}/"));
    b.wait_for("#sign-in");
    // The helpdesk sees the dashboard but not the printers, which are the admins'.
    b.fill("#username", "helpdesk");
    b.fill("#password", "pullprint-demo");
    b.click("#sign-in");
    b.wait_for("#parked");
    assert!(b.source().contains("Demo Helpdesk (helpdesk)"), "{}", b.source());
    assert!(!b.source().contains("href=\"/printers\""), "the helpdesk's menu offers no printers page");
    b.goto(&format!("{web}/printers"));
    assert!(b.text("#forbidden").contains("not for the helpdesk role"), "{}", b.source());
    b.screenshot("console-helpdesk-refused-printers");
    b.assert_accessible("a refusal");
    b.click("#sign-out");
    b.wait_for("#sign-in");
    drop(b);
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(log.contains("console: admin signed in as admin"), "{log}");
    // (The demo's banner prints the demo password on purpose; a typed one never appears.)
    assert!(!log.contains("not-the-password"), "a typed password reached the log");
}

/// Forged posts change nothing: a sign-in without the form's own token or
/// from another origin is refused, and so is a sign-out without the
/// session's token; cookies are `__Host-`, Secure, HttpOnly and
/// SameSite=Strict; every page forbids framing and inline script.
#[test]
fn forged_sign_ins_and_sign_outs_are_refused_and_cookies_are_locked_down() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = demo(t.path());
    let ca = d.data.join("tls/ca.crt");
    let get = |path: &str, headers: &[(&str, &str)]| https_request(d.web, &ca, "GET", path, headers, b"").expect("get");
    let post = |path: &str, headers: &[(&str, &str)], body: &str| {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        https_request(d.web, &ca, "POST", path, &h, body.as_bytes()).expect("post")
    };
    // Without a session: the dashboard sends the browser to sign in.
    let (status, h, _) = get("/", &[]);
    assert_eq!((status, header(&h, "location")), (303, Some("/login")));
    // The sign-in page and its cookie.
    let (status, h, page) = get("/login", &[]);
    assert_eq!(status, 200);
    let page = String::from_utf8_lossy(&page).into_owned();
    let csp = header(&h, "content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&h, "x-frame-options"), Some("DENY"));
    let login_cookie = set_cookie(&h, "__Host-pullprint-login").expect("the form's cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    let token = csrf_field(&page);
    let cookie = format!("__Host-pullprint-login={token}");
    let creds = format!("username=admin&password=pullprint-demo&csrf={token}");
    // No cookie (a post another site's page made), another origin, or a wrong token: refused.
    assert_eq!(post("/login", &[], &creds).0, 403);
    assert_eq!(post("/login", &[("Cookie", &cookie), ("Origin", "https://evil.example")], &creds).0, 403);
    let wrong = format!("username=admin&password=pullprint-demo&csrf={}", "0".repeat(64));
    assert_eq!(post("/login", &[("Cookie", &cookie)], &wrong).0, 403);
    // The real thing.
    let (status, h, _) = post("/login", &[("Cookie", &cookie)], &creds);
    assert_eq!((status, header(&h, "location")), (303, Some("/")), "{h}");
    let session = set_cookie(&h, "__Host-pullprint-console").expect("a session cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let session = session.split(';').next().expect("name=value").to_owned();
    let (status, _, page) = get("/", &[("Cookie", &session)]);
    assert_eq!(status, 200);
    let page = String::from_utf8_lossy(&page).into_owned();
    assert!(page.contains("id=\"parked\""));
    let session_csrf = csrf_field(&page);
    // A sign-out without the session's token, or from another origin: refused, still signed in.
    assert_eq!(post("/logout", &[("Cookie", &session)], "csrf=forged").0, 403);
    let form = format!("csrf={session_csrf}");
    assert_eq!(post("/logout", &[("Cookie", &session), ("Origin", "https://evil.example")], &form).0, 403);
    assert_eq!(get("/", &[("Cookie", &session)]).0, 200, "still signed in");
    // A second sign-in makes a new session; the first still works until it ends.
    let (_, h2, _) = post("/login", &[("Cookie", &cookie)], &creds);
    let second = set_cookie(&h2, "__Host-pullprint-console").expect("session");
    assert_ne!(second.split(';').next(), Some(session.as_str()), "a new session at every sign-in");
    // The real sign-out ends the session.
    let (status, h, _) = post("/logout", &[("Cookie", &session)], &form);
    assert_eq!((status, header(&h, "location")), (303, Some("/login")));
    assert_eq!(get("/", &[("Cookie", &session)]).0, 303, "signed out");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

/// The route sweep of the web listener, from the router's own table:
/// without a session every route sends a browser to sign in or answers
/// 401 or 403, except the few the design leaves open.
#[test]
fn every_web_route_without_a_session_redirects_to_sign_in_or_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = demo(t.path());
    let ca = d.data.join("tls/ca.crt");
    // Open by design: health, the CA certificate, the sign-in page and its
    // stylesheet, and the self-service page (whose forms need a password).
    let open = ["/healthz", "/ca.crt", "/login", "/static/console.css", "/me"];
    let routes = web_admin::route_table();
    assert!(routes.iter().any(|r| r.path == "/"), "{routes:?}");
    for r in &routes {
        let path = r.path.replace("{id}", "x").replace("{login}", "x").replace("{op}", "x");
        let path = path.replace("{label}", "00000000-0000-4000-8000-000000000000").replace("{code}", "00");
        let (status, h, body) = https_request(d.web, &ca, r.method, &path, &[], b"").expect("request");
        if r.method == "GET" && open.contains(&r.path) {
            assert_eq!(status, 200, "{} {}", r.method, r.path);
            continue;
        }
        // A phone's pages are reached from a label, with no session: a
        // label or code not in use gets a page that says so, and nothing else.
        if r.path.starts_with("/r/") || r.path.starts_with("/p/") {
            let body = String::from_utf8_lossy(&body);
            assert_eq!(status, 404, "{} {}", r.method, r.path);
            assert!(body.contains("not in use") || body.contains("expired"), "{} {}: {body}", r.method, r.path);
            continue;
        }
        let to_login = status == 303 && header(&h, "location") == Some("/login");
        assert!(
            to_login || [400, 401, 403].contains(&status),
            "{} {} answered {status} without a session:\n{h}",
            r.method,
            r.path
        );
    }
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
}

/// Every state change of the console, from the router's own table: with a
/// session but without the session's form token, or from another origin,
/// it is refused with 403 and changes nothing.
#[test]
fn every_console_post_without_its_token_or_from_another_origin_is_refused_and_changes_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = demo(t.path());
    let ca = d.data.join("tls/ca.crt");
    let get = |path: &str, headers: &[(&str, &str)]| https_request(d.web, &ca, "GET", path, headers, b"").expect("get");
    let post = |path: &str, headers: &[(&str, &str)], body: &str| {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        https_request(d.web, &ca, "POST", path, &h, body.as_bytes()).expect("post")
    };
    let (_, h, page) = get("/login", &[]);
    let token = csrf_field(&String::from_utf8_lossy(&page));
    let login_cookie = format!("__Host-pullprint-login={token}");
    let (_, h2, _) =
        post("/login", &[("Cookie", &login_cookie)], &format!("username=admin&password=pullprint-demo&csrf={token}"));
    drop(h);
    let session = set_cookie(&h2, "__Host-pullprint-console").expect("session");
    let session = session.split(';').next().expect("name=value").to_owned();
    let (_, _, page) = get("/settings", &[("Cookie", &session)]);
    let page = String::from_utf8_lossy(&page).into_owned();
    let csrf = csrf_field(&page);
    assert!(page.contains("value=\"1day\""), "{page}");
    let changes =
        "store.retention=1min&user_names=keep&document_names=keep&departments=keep&card=CAFE0001&encoding=hex";
    let mut posts = 0;
    // The console's own posts (the self-service page and API check a
    // password instead, and a phone's pages its own cookie and the origin).
    let console_posts = web_admin::route_table().into_iter().filter(|r| {
        r.method == "POST"
            && r.path != "/login"
            && !["/api/", "/me", "/r/", "/p/", "/phone/"].iter().any(|p| r.path.starts_with(p))
    });
    for r in console_posts {
        let path = r
            .path
            .replace("{id}", "0123456789abcdef0123456789abcdef")
            .replace("{login}", "alice")
            .replace("{op}", "bind-badge");
        let (status, _, _) = post(&path, &[("Cookie", &session)], changes);
        assert_eq!(status, 403, "POST {path} without a token");
        let (status, _, _) = post(&path, &[("Cookie", &session)], &format!("{changes}&csrf=forged"));
        assert_eq!(status, 403, "POST {path} with a wrong token");
        let evil = [("Cookie", session.as_str()), ("Origin", "https://evil.example")];
        let (status, _, _) = post(&path, &evil, &format!("{changes}&csrf={csrf}"));
        assert_eq!(status, 403, "POST {path} from another origin");
        posts += 1;
    }
    assert!(posts >= 7, "every console post was tried: {posts}");
    // Nothing changed: still signed in, the settings as they were, no badge bound.
    let (status, _, page) = get("/settings", &[("Cookie", &session)]);
    assert_eq!(status, 200, "the forged sign-out did not sign out");
    let page = String::from_utf8_lossy(&page).into_owned();
    assert!(!page.contains("value=\"1min\""), "the retention did not change");
    assert!(page.contains("<option value=\"obfuscate\" selected"), "the privacy did not change");
    let (_, _, alice) = get("/users/alice", &[("Cookie", &session)]);
    assert!(!String::from_utf8_lossy(&alice).contains("(console)"), "no badge was bound");
    let (st, log) = d.terminate();
    assert!(st.success(), "{log}");
    assert!(!log.contains("console: admin set"), "{log}");
}

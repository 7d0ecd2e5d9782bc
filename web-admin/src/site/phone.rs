//! Phones at printers' labels, carried out: binding, the job list, release
//! through the panel service's own release path (claims across sites
//! included), the rate limit and the audit trail.

use crate::phone::{MyPhoneOp, MyPhonesView, PhoneOp, PhoneView, WhoMe};
use crate::{Outcome, Site};
use local_connector::audit::Entry;
use local_connector::panel::Panel;
use local_connector::phones::{Limiter, Passes, PhoneError, PhoneInfo, PhoneStore};
use local_connector::printers::Device;
use std::sync::Arc;
use std::time::Duration;

/// How long a `/me` QR code binds a phone.
const BIND_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a `/me` phones page may act for its user.
const PAGE_PASS_TTL: Duration = Duration::from_secs(15 * 60);
/// Releases one phone may ask for in [`RELEASE_WINDOW`].
const RELEASES_PER_WINDOW: usize = 10;
const RELEASE_WINDOW: Duration = Duration::from_secs(60);
/// Releases that ended within this long show on the page (a short window:
/// the page reads the site's releases of that span, newest first).
const RECENT_MS: u64 = 15 * 60 * 1000;

/// What phone release needs beyond the web front's own services.
#[derive(Debug)]
pub struct PhoneDesk {
    panel: Arc<Panel>,
    phones: Arc<PhoneStore>,
    binds: Passes,
    pages: Passes,
    releases: Limiter,
}

impl PhoneDesk {
    /// Phones release through `panel`, bound in `phones`.
    pub fn new(panel: Arc<Panel>, phones: Arc<PhoneStore>) -> PhoneDesk {
        PhoneDesk {
            panel,
            phones,
            binds: Passes::new(BIND_CODE_TTL),
            pages: Passes::new(PAGE_PASS_TTL),
            releases: Limiter::new(RELEASES_PER_WINDOW, RELEASE_WINDOW),
        }
    }

    /// The bound phones.
    pub fn phones(&self) -> &PhoneStore {
        &self.phones
    }
}

fn failed(e: PhoneError) -> Outcome {
    match e {
        e @ PhoneError::TooMany { .. } => Outcome::Refused(e.to_string()),
        e => {
            log::error!("{e}");
            Outcome::Failed
        }
    }
}

impl Site {
    fn phone_audit(&self, user: &str, source: std::net::IpAddr, action: &str) -> Entry {
        Entry::new(user, "user", &source.to_string(), action).subject(user)
    }

    /// A phone at the label `label`.
    pub(super) fn phone(
        &self,
        label: &str,
        credential: Option<&str>,
        source: std::net::IpAddr,
        op: PhoneOp,
    ) -> Outcome {
        let Some(desk) = &self.phones else { return Outcome::NotFound };
        let Some(device) = self.devices.by_label(label) else {
            log::info!("phone: a label not in use was opened from {source}");
            return Outcome::NotFound;
        };
        let mut v = PhoneView {
            label: label.to_owned(),
            printer: device.name.clone(),
            location: device.location.clone(),
            ..PhoneView::default()
        };
        let mut phone = credential.and_then(|c| desk.phones.verify(c));
        if credential.is_some() && phone.is_none() {
            v.clear = true;
            v.notice = Some((
                false,
                "This phone is no longer signed in: it was signed out, here or on the /me page. Sign in to use it again."
                    .into(),
            ));
        }
        if let PhoneOp::SignIn { who, browser } = &op {
            let id = match self.sign_in(who) {
                Ok(id) => id,
                Err(Outcome::Unauthenticated) => {
                    v.notice = Some((false, "That user name and password were not recognised.".into()));
                    return Outcome::Phone(Box::new(v));
                }
                Err(Outcome::Refused(why)) => {
                    v.notice = Some((false, why));
                    return Outcome::Phone(Box::new(v));
                }
                Err(o) => return o,
            };
            let bound = match desk.phones.bind(&id.login, browser) {
                Ok(b) => b,
                Err(e) => return failed(e),
            };
            log::info!("phone: {} bound {browser} ({}) at {}", id.login, bound.id, device.name);
            self.audit.record(
                self.phone_audit(&id.login, source, "phone.bind")
                    .target(&format!("phone {} ({browser})", bound.id))
                    .outcome("ok", "signed in at a printer's label"),
            );
            phone = desk.phones.verify(&bound.credential);
            v.credential = Some(bound.credential);
            v.clear = false;
            v.notice = None;
        }
        let Some(phone) = phone else { return Outcome::Phone(Box::new(v)) };
        let rt = tokio::runtime::Handle::current();
        let session = match rt.block_on(desk.panel.phone_session(&device, &phone.user)) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("phone: {} ({}) refused at {}: {e}", phone.user, phone.id, device.name);
                v.notice = Some((false, format!("You cannot print from this phone now: {}", e.words())));
                return Outcome::Phone(Box::new(v));
            }
        };
        v.user = Some(session.identity.display_name.clone());
        v.at_once = phone.release_at_once;
        match op {
            PhoneOp::Show { scanned: true } if phone.release_at_once => {
                self.phone_release(desk, &device, &phone, &session, None, source, &mut v)
            }
            PhoneOp::Release { ids } => self.phone_release(desk, &device, &phone, &session, ids, source, &mut v),
            PhoneOp::AtOnce(on) => match desk.phones.set_release_at_once(&phone.id, &phone.user, on) {
                Ok(_) => {
                    v.at_once = on;
                    v.notice = Some((
                        true,
                        if on {
                            "Saved: scanning a printer's label now prints everything you have waiting."
                        } else {
                            "Saved: scanning a printer's label lists your documents first."
                        }
                        .into(),
                    ));
                }
                Err(e) => return failed(e),
            },
            PhoneOp::Forget => {
                if let Err(e) = desk.phones.revoke(&phone.id, Some(&phone.user)) {
                    return failed(e);
                }
                self.audit.record(
                    self.phone_audit(&phone.user, source, "phone.revoke")
                        .target(&format!("phone {} ({})", phone.id, phone.label))
                        .outcome("ok", "signed out on the phone"),
                );
                let mut v = PhoneView { clear: true, user: None, jobs: Vec::new(), ..v };
                v.notice = Some((true, "This phone is signed out. Nothing of yours stays on it.".into()));
                return Outcome::Phone(Box::new(v));
            }
            PhoneOp::Show { .. } | PhoneOp::SignIn { .. } => {}
        }
        match desk.panel.jobs(&session) {
            Ok(jobs) => v.jobs = jobs,
            Err(e) => {
                log::error!("phone: listing {}'s jobs: {e}", phone.user);
                return Outcome::Failed;
            }
        }
        // The owner's releases that ended here lately, newest first.
        let recent = local_connector::store::HistoryFilter {
            owner: Some(phone.user.clone()),
            device: Some(device.id.clone()),
            from_ms: Some(local_connector::clock::now_ms().saturating_sub(RECENT_MS)),
            to_ms: None,
            before: None,
            limit: 10,
        };
        v.recent = match self.store.release_history(&recent) {
            Ok(page) => page.releases.into_iter().map(|r| (r.document_name, r.outcome, r.detail, r.at_ms)).collect(),
            Err(e) => {
                log::error!("phone: reading {}'s recent releases: {e}", phone.user);
                Vec::new()
            }
        };
        Outcome::Phone(Box::new(v))
    }

    #[allow(clippy::too_many_arguments)]
    fn phone_release(
        &self,
        desk: &PhoneDesk,
        device: &Device,
        phone: &PhoneInfo,
        session: &local_connector::panel::sessions::Session,
        ids: Option<Vec<String>>,
        source: std::net::IpAddr,
        v: &mut PhoneView,
    ) {
        let audit = |outcome: &str, detail: &str| {
            self.audit.record(
                self.phone_audit(&phone.user, source, "phone.release")
                    .target(&format!("{} ({})", device.name, device.id))
                    .outcome(outcome, &format!("{detail}; phone {} ({})", phone.id, phone.label)),
            )
        };
        if ids.as_ref().is_some_and(Vec::is_empty) {
            v.notice = Some((false, "Choose the documents to print first.".into()));
            return;
        }
        if let Err(wait) = desk.releases.allow(&phone.id) {
            audit("refused", "too many releases in a minute");
            v.notice = Some((
                false,
                format!(
                    "You have printed many times in the last minute; wait {} seconds and try again.",
                    wait.as_secs().max(1)
                ),
            ));
            return;
        }
        match desk.panel.release(device, session, ids.as_deref()) {
            Ok(q) if q.is_empty() => v.notice = Some((false, "You have no documents waiting.".into())),
            Ok(q) => {
                audit("ok", &format!("{} job(s) asked for", q.len()));
                v.notice = Some((
                    true,
                    format!("{} document(s) sent to {}. Collect them from the output tray.", q.len(), device.name),
                ));
            }
            Err(e) => {
                audit("refused", &e.to_string());
                v.notice = Some((false, e.words()));
            }
        }
    }

    /// A person's signed-in phones, for the console: id, what, bound, last used.
    pub(super) fn phones_of(&self, login: &str) -> Vec<(String, String, u64, u64)> {
        let Some(desk) = &self.phones else { return Vec::new() };
        desk.phones.list(Some(login)).map_or_else(
            |e| {
                log::error!("console: listing phones: {e}");
                Vec::new()
            },
            |l| l.into_iter().map(|p| (p.id, p.label, p.created_ms, p.last_used_ms)).collect(),
        )
    }

    /// Sign out phone `id` of `login` (the console's helpdesk). True if it was theirs.
    pub(super) fn revoke_phone(&self, id: &str, login: &str) -> Result<bool, PhoneError> {
        match &self.phones {
            Some(desk) => desk.phones.revoke(id, Some(login)),
            None => Ok(false),
        }
    }

    /// A person's phones, from `/me`.
    pub(super) fn my_phones(&self, who: WhoMe, op: MyPhoneOp) -> Outcome {
        let Some(desk) = &self.phones else { return Outcome::NotFound };
        let (user, pass, source) = match who {
            WhoMe::Password(c) => match self.sign_in(&c) {
                Ok(id) => (id.login.clone(), desk.pages.issue(&id.login), c.source),
                Err(o) => return o,
            },
            WhoMe::Pass(p, source) => match desk.pages.check(&p) {
                Some(u) => (u, p, source),
                None => return Outcome::Unauthenticated,
            },
        };
        let mut notice = None;
        if let MyPhoneOp::Revoke(id) = op {
            match desk.phones.revoke(&id, Some(&user)) {
                Ok(true) => {
                    self.audit.record(
                        self.phone_audit(&user, source, "phone.revoke")
                            .target(&format!("phone {id}"))
                            .outcome("ok", "signed out on the /me page"),
                    );
                    notice = Some("That phone is signed out: it can no longer print as you.".to_owned());
                }
                Ok(false) => notice = Some("That phone was signed out already.".to_owned()),
                Err(e) => return failed(e),
            }
        }
        let phones = match desk.phones.list(Some(&user)) {
            Ok(l) => l.into_iter().map(|p| (p.id, p.label, p.created_ms, p.last_used_ms)).collect(),
            Err(e) => return failed(e),
        };
        let code = desk.binds.issue_only(&user);
        let bind_url = zeroize::Zeroizing::new(format!("{}/p/{}", self.facts.web_base.trim_end_matches('/'), *code));
        let bind_qr = match local_connector::labels::qr_svg(&bind_url, 220, "A code that signs in your phone") {
            Ok(svg) => svg,
            Err(e) => {
                log::error!("phone: drawing a binding code: {e}");
                return Outcome::Failed;
            }
        };
        Outcome::MyPhones(Box::new(MyPhonesView {
            user,
            phones,
            pass,
            bind_url,
            bind_qr,
            minutes: BIND_CODE_TTL.as_secs() / 60,
            notice,
        }))
    }

    /// A signed-in phone's set-up page, with a new print token when asked.
    pub(super) fn phone_setup(&self, credential: Option<&str>, make_token: bool, source: std::net::IpAddr) -> Outcome {
        let Some(desk) = &self.phones else { return Outcome::NotFound };
        let Some(phone) = credential.and_then(|c| desk.phones.verify(c)) else { return Outcome::Unauthenticated };
        let (uri, printer) = self.facts.queue.clone();
        let mut v = crate::phone_setup::SetupView {
            login: phone.user.clone(),
            profile: crate::phone_setup::airprint_profile(&uri, &printer, &self.facts.params.site_id),
            printer,
            uri,
            token: None,
            refused: None,
        };
        if make_token {
            match self.auth.tokens().create(&phone.user, &format!("{} (from the phone page)", phone.label)) {
                Ok(t) => {
                    log::info!("print token {} created by {} on a phone ({})", t.id, phone.user, phone.id);
                    self.audit.record(
                        self.phone_audit(&phone.user, source, "token.create")
                            .target(&format!("token {}", t.id))
                            .outcome("ok", &format!("for phone {} ({})", phone.id, phone.label)),
                    );
                    v.token = Some(t.secret);
                }
                Err(e @ local_connector::tokens::TokenError::TooMany { .. }) => {
                    v.refused = Some(format!("{e} on the /me page."));
                }
                Err(e) => {
                    log::error!("{e}");
                    return Outcome::Failed;
                }
            }
        }
        Outcome::PhoneSetup(Box::new(v))
    }

    /// Bind a phone with a `/me` page's one-time code.
    pub(super) fn bind_phone(&self, code: &str, browser: &str, confirm: bool, source: std::net::IpAddr) -> Outcome {
        let Some(desk) = &self.phones else { return Outcome::NotFound };
        if !confirm {
            return match desk.binds.check(code) {
                Some(user) => Outcome::PhoneBound { user, credential: None },
                None => Outcome::NotFound,
            };
        }
        let Some(user) = desk.binds.take(code) else { return Outcome::NotFound };
        match desk.phones.bind(&user, browser) {
            Ok(b) => {
                log::info!("phone: {user} bound {browser} ({}) with a code from /me", b.id);
                self.audit.record(
                    self.phone_audit(&user, source, "phone.bind")
                        .target(&format!("phone {} ({browser})", b.id))
                        .outcome("ok", "with a one-time code from the /me page"),
                );
                Outcome::PhoneBound { user, credential: Some(b.credential) }
            }
            Err(e) => failed(e),
        }
    }
}

//! The console's actions carried out against the domain: the audit log,
//! jobs, and people's credentials. Each checks the actor's role here, in
//! the domain's hands, whatever the page did; each change is recorded in
//! the audit log with who, from where, and how it ended.

use super::Site;
use crate::views::{
    Actor, AuditView, ConsoleAct, JobsView, PeopleView, PersonOp, PersonView, ReportView, SettingsView,
};
use crate::{Outcome, PersonOp as Op};
use local_connector::audit::Entry;
use local_connector::auth::policy::{ConsoleRole, Handling};
use local_connector::job::JobId;

/// People a search shows at most, from each directory.
const SEARCH_LIMIT: usize = 50;

impl Site {
    pub(super) fn console_act(&self, by: &Actor, act: ConsoleAct) -> Outcome {
        if !act.roles().contains(&by.user.role) {
            log::warn!(
                "console: {} ({}) asked for what the role may not do: {act:?}",
                by.user.login,
                by.user.role.name()
            );
            return Outcome::Refused(format!("The {} role may not do this.", by.user.role.name()));
        }
        match act {
            ConsoleAct::Audit(q) => self.audit_page(by, &q),
            ConsoleAct::CheckAudit => {
                self.audit.check();
                Outcome::Done
            }
            ConsoleAct::Jobs { jobs, history } => self.jobs_page(&jobs, &history),
            ConsoleAct::DeleteJob { id } => self.delete_job(by, &id),
            ConsoleAct::People { term } => {
                let (people, problem) =
                    tokio::runtime::Handle::current().block_on(self.auth.auth().search_people(&term, SEARCH_LIMIT));
                Outcome::People(Box::new(PeopleView { people, problem }))
            }
            ConsoleAct::Person { login } => self.person_page(&login),
            ConsoleAct::Settings => self.settings_page(),
            ConsoleAct::Printer { id } => self.printer_page(&id, None),
            ConsoleAct::AddPrinter { name, vendor, address, reader, reversed } => {
                self.add_printer(by, (&name, &vendor, &address), (&reader, reversed))
            }
            ConsoleAct::ForPrinter { id, op } => self.for_printer(by, &id, &op),
            ConsoleAct::SetLocation { id, location } => self.set_location(by, &id, &location),
            ConsoleAct::Labels { ids, paper } => self.labels(by, &ids, &paper),
            ConsoleAct::System => self.system_page(),
            ConsoleAct::InstallCertificate { cert_pem, key_pem } => {
                let e = Self::entry(by, "certificate.install");
                match self.facts.system.install_certificate(&cert_pem, &key_pem) {
                    Ok(what) => {
                        log::info!("console: {} installed their own server certificate: {what}", by.user.login);
                        self.audit.record(e.target(&what));
                        Outcome::Changed(vec![("certificate".into(), what)])
                    }
                    Err(why) => {
                        self.audit.record(e.outcome("refused", &why));
                        Outcome::Invalid(vec![("certificate".into(), why)])
                    }
                }
            }
            ConsoleAct::InternalCertificate => {
                let e = Self::entry(by, "certificate.internal");
                match self.facts.system.internal_certificate() {
                    Ok(()) => {
                        self.audit.record(e);
                        Outcome::Changed(vec![("certificate".into(), "a new one of the internal CA".into())])
                    }
                    Err(why) => {
                        self.audit.record(e.outcome("failed", &why));
                        Outcome::Invalid(vec![("certificate".into(), why)])
                    }
                }
            }
            ConsoleAct::Backup => {
                let e = Self::entry(by, "backup.download");
                match self.facts.system.backup() {
                    Ok(path) => {
                        self.audit.record(e);
                        Outcome::File(path)
                    }
                    Err(why) => {
                        log::error!("console: backup failed: {why}");
                        self.audit.record(e.outcome("failed", &why));
                        Outcome::Invalid(vec![("backup".into(), why)])
                    }
                }
            }
            ConsoleAct::Report { from_ms, to_ms } => self.report(by, from_ms, to_ms),
            ConsoleAct::ChangeSettings(changes) => self.change_settings(by, &changes),
            ConsoleAct::SetPrivacy(p) => self.set_privacy(by, p),
            ConsoleAct::TestDirectory => self.test_directory(by),
            ConsoleAct::ForPerson { login, op } => self.for_person(by, &login, op),
        }
    }

    pub(super) fn entry(by: &Actor, action: &str) -> Entry {
        Entry::new(&by.user.login, by.user.role.name(), &by.source.to_string(), action)
    }

    fn audit_page(&self, by: &Actor, q: &local_connector::audit::Query) -> Outcome {
        let privacy = self.auth.auth().policy().privacy;
        let hide = by.user.role == ConsoleRole::Auditor && privacy.user_names != Handling::Keep;
        let mut q = q.clone();
        // An auditor filters by the pseudonym they see; the log holds names,
        // so a pseudonym cannot be looked up, and the filter is dropped.
        if hide {
            q.actor = None;
        }
        match self.audit.page(&q) {
            Ok(page) => {
                let mut records = page.records;
                if hide {
                    for r in &mut records {
                        r.actor = self.pseudonyms.apply(privacy.user_names, "user", &r.actor);
                        r.subject = self.pseudonyms.apply(privacy.user_names, "user", &r.subject);
                    }
                }
                Outcome::AuditPage(Box::new(AuditView {
                    records,
                    next: page.next,
                    total: self.audit.len(),
                    status: self.audit.status(),
                    names_hidden: hide,
                }))
            }
            Err(e) => {
                log::error!("console: reading the audit log: {e}");
                Outcome::Failed
            }
        }
    }

    fn jobs_page(
        &self,
        jobs: &local_connector::store::JobFilter,
        history: &local_connector::store::HistoryFilter,
    ) -> Outcome {
        let page = match self.store.browse(jobs) {
            Ok(p) => p,
            Err(e) => {
                log::error!("console: listing jobs: {e}");
                return Outcome::Failed;
            }
        };
        let releases = match self.store.release_history(history) {
            Ok(p) => p,
            Err(e) => {
                log::error!("console: listing releases: {e}");
                return Outcome::Failed;
            }
        };
        let mut printers: Vec<(String, String)> = self.devices.list().into_iter().map(|d| (d.id, d.name)).collect();
        printers.sort_by_key(|(_, name)| name.to_lowercase());
        Outcome::Jobs(Box::new(JobsView {
            jobs: page.jobs,
            next: page.next.map(|id| id.to_string()),
            history: releases.releases,
            history_next: releases.next.map(hex::encode),
            parked: self.store.len(),
            printers,
        }))
    }

    fn delete_job(&self, by: &Actor, id: &str) -> Outcome {
        let Some(job) = JobId::parse(id) else { return Outcome::NotFound };
        let e = Self::entry(by, "job.delete").target(&format!("job {job}"));
        let meta = match self.store.get(job) {
            Ok(m) => m,
            Err(local_connector::store::StoreError::NotFound(_)) => return Outcome::NotFound,
            Err(err) => {
                log::error!("console: job {job}: {err}");
                return Outcome::Failed;
            }
        };
        let e = e.subject(&meta.owner);
        if self.store.release_of(job).is_some_and(|r| r.state.in_flight()) {
            self.audit.record(e.outcome("refused", "it is on its way to a printer"));
            return Outcome::Refused("That job is on its way to a printer now; it cannot be stopped here.".into());
        }
        match self.store.discard(job, "deleted", &by.user.login) {
            Ok(()) => {
                log::info!("console: {} shredded job {job} of {}", by.user.login, meta.owner);
                self.audit.record(e);
                Outcome::Done
            }
            Err(local_connector::store::StoreError::NotFound(_)) => Outcome::NotFound,
            Err(err) => {
                log::error!("console: shredding job {job}: {err}");
                self.audit.record(e.outcome("failed", "see the appliance log"));
                Outcome::Failed
            }
        }
    }

    fn report(&self, by: &Actor, from_ms: u64, to_ms: u64) -> Outcome {
        let (releases, unprinted) =
            match (self.store.releases_between(from_ms, to_ms), self.store.unprinted_between(from_ms, to_ms)) {
                (Ok(r), Ok(u)) => (r, u),
                (Err(e), _) | (_, Err(e)) => {
                    log::error!("console: reading usage records: {e}");
                    return Outcome::Failed;
                }
            };
        let auth = self.auth.auth();
        let mut report = local_connector::reports::summarise(&releases, &unprinted, |u| auth.department_of(u));
        let privacy = auth.policy().privacy;
        let hide = by.user.role == ConsoleRole::Auditor
            && (privacy.user_names != Handling::Keep || privacy.departments != Handling::Keep);
        if by.user.role == ConsoleRole::Auditor {
            let rename = |m: std::collections::BTreeMap<String, local_connector::reports::Tally>, h, kind| {
                let mut out: std::collections::BTreeMap<String, local_connector::reports::Tally> = Default::default();
                for (k, t) in m {
                    let e = out.entry(if k == "(none)" { k } else { self.pseudonyms.apply(h, kind, &k) }).or_default();
                    e.jobs += t.jobs;
                    e.pages += t.pages;
                    e.sheets += t.sheets;
                }
                out
            };
            report.users = rename(std::mem::take(&mut report.users), privacy.user_names, "user");
            report.departments = rename(std::mem::take(&mut report.departments), privacy.departments, "department");
        }
        let mut printers: Vec<(String, String)> = self.devices.list().into_iter().map(|d| (d.id, d.name)).collect();
        printers.sort_by_key(|(_, n)| n.to_lowercase());
        Outcome::Report(Box::new(ReportView { report, printers, names_hidden: hide }))
    }

    fn system_page(&self) -> Outcome {
        let h = self.health();
        let mut log = self.facts.system.recent_log();
        log.reverse();
        Outcome::System(Box::new(crate::SystemView {
            certificate: self.facts.system.certificate(),
            version: h.version,
            uptime_s: h.uptime_s,
            site_id: h.site_id,
            log,
        }))
    }

    fn settings_page(&self) -> Outcome {
        let auth = self.auth.auth();
        Outcome::Settings(Box::new(SettingsView {
            settings: self.facts.settings.current(),
            privacy: auth.policy().privacy,
            directory: match auth.directory_name() {
                None => "The local directory only: no Active Directory is configured ([ad] in the configuration file)."
                    .into(),
                Some(name) => format!("Active Directory {name}, and the local directory."),
            },
            has_ad: auth.directory_name().is_some(),
            dangerous: self.health().dangerous_settings,
        }))
    }

    fn change_settings(&self, by: &Actor, changes: &[(String, String)]) -> Outcome {
        match self.facts.settings.change(changes) {
            Ok(changed) => {
                for (key, value) in &changed {
                    log::info!("console: {} set {key} to {value}", by.user.login);
                    self.audit
                        .record(Self::entry(by, "setting.change").target(key).outcome("ok", &format!("now {value}")));
                }
                Outcome::Changed(changed)
            }
            Err(problems) => {
                let why = problems.iter().map(|(k, w)| format!("{k}: {w}")).collect::<Vec<_>>().join("; ");
                self.audit.record(Self::entry(by, "setting.change").outcome("refused", &why));
                Outcome::Invalid(problems)
            }
        }
    }

    fn set_privacy(&self, by: &Actor, p: local_connector::auth::policy::Privacy) -> Outcome {
        match self.auth.auth().set_privacy(p) {
            Ok(()) => {
                let now = format!(
                    "user names {}, document names {}, departments {}",
                    p.user_names.name(),
                    p.document_names.name(),
                    p.departments.name()
                );
                log::info!("console: {} set privacy: {now}", by.user.login);
                self.audit.record(Self::entry(by, "setting.change").target("privacy").outcome("ok", &now));
                Outcome::Changed(vec![("privacy".into(), now)])
            }
            Err(e) => {
                log::error!("console: setting privacy: {e}");
                Outcome::Failed
            }
        }
    }

    fn test_directory(&self, by: &Actor) -> Outcome {
        let auth = self.auth.auth();
        let Some(ad) = auth.active_directory() else {
            return Outcome::Refused("No Active Directory is configured; the local directory needs no test.".into());
        };
        let result = tokio::runtime::Handle::current().block_on(ad.probe());
        let e = Self::entry(by, "directory.test");
        match result {
            Ok(()) => {
                self.audit.record(e);
                Outcome::Changed(vec![("directory".into(), "answers: the service account signed in over TLS".into())])
            }
            Err(why) => {
                self.audit.record(e.outcome("failed", &why.to_string()));
                Outcome::Invalid(vec![("directory".into(), why.to_string())])
            }
        }
    }

    /// A person by login, or the outcome to answer instead.
    fn find_person(&self, login: &str) -> Result<local_connector::auth::Person, Outcome> {
        match tokio::runtime::Handle::current().block_on(self.auth.auth().person(login)) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(Outcome::NotFound),
            Err(why) => Err(Outcome::Refused(format!("The directory could not be asked about {login}: {why}"))),
        }
    }

    fn person_page(&self, login: &str) -> Outcome {
        let person = match self.find_person(login) {
            Ok(p) => p,
            Err(o) => return o,
        };
        let auth = self.auth.auth();
        let creds = auth.credentials();
        let tokens = self.auth.tokens().list(Some(&person.login)).unwrap_or_else(|e| {
            log::error!("console: listing print tokens: {e}");
            Vec::new()
        });
        Outcome::Person(Box::new(PersonView {
            badges: creds.badges_with_handles(&person.login).into_iter().map(|(h, b)| (h, b.bound_at, b.how)).collect(),
            has_pin: creds.has_pin(&person.login),
            has_passcode: creds.has_passcode(&person.login),
            tokens: tokens.into_iter().map(|t| (t.id, t.label, t.created_ms)).collect(),
            phones: self.phones_of(&person.login),
            lockout: auth.lockout_of(&person.login, person.email.as_deref()),
            parked: self.store.usage_of(&person.login).map(|u| u.jobs).unwrap_or(0),
            person,
        }))
    }

    fn for_person(&self, by: &Actor, login: &str, op: PersonOp) -> Outcome {
        let person = match self.find_person(login) {
            Ok(p) => p,
            Err(o) => return o,
        };
        let login = person.login.as_str();
        let auth = self.auth.auth();
        let creds = auth.credentials();
        let e = Self::entry(by, op.action()).subject(login);
        let refused = |e: Entry, why: String| {
            self.audit.record(e.outcome("refused", &why));
            Outcome::Refused(why)
        };
        let result = match &op {
            Op::BindBadge { card, encoding } => {
                let profile = local_connector::badge::ReaderProfile {
                    encoding: if encoding == "decimal" {
                        local_connector::badge::Encoding::Decimal
                    } else {
                        local_connector::badge::Encoding::Hex
                    },
                    reversed: false,
                    uid_bytes: 4,
                    ignore_facility: false,
                };
                match local_connector::badge::normalise(card, &profile) {
                    Err(why) => return refused(e, format!("That badge number cannot be read: {why}")),
                    Ok(canonical) => match creds.bind_badge(login, &canonical, "console") {
                        Err(local_connector::auth::credentials::CredentialError::BadgeTaken) => {
                            return refused(e, "That badge is bound to someone else; unbind it there first.".into());
                        }
                        other => other.map(|()| Outcome::Done),
                    },
                }
            }
            Op::UnbindBadge { handle } => {
                creds.unbind_handle(login, handle).map(|gone| if gone { Outcome::Done } else { Outcome::NotFound })
            }
            Op::ResetPin => creds.clear_pin(login).map(|_| Outcome::Done),
            Op::IssuePasscode => {
                creds.issue_passcode(login).map(|c| Outcome::Passcode(zeroize::Zeroizing::new(c.reveal().to_owned())))
            }
            Op::RevokePasscode => creds.revoke_passcode(login).map(|_| Outcome::Done),
            Op::RevokeToken { id } => match self.auth.tokens().revoke(id, Some(login)) {
                Ok(true) => Ok(Outcome::Done),
                Ok(false) => Ok(Outcome::NotFound),
                Err(err) => {
                    log::error!("console: revoking a print token: {err}");
                    return Outcome::Failed;
                }
            },
            Op::RevokePhone { id } => match self.revoke_phone(id, login) {
                Ok(true) => Ok(Outcome::Done),
                Ok(false) => Ok(Outcome::NotFound),
                Err(err) => {
                    log::error!("console: signing out a phone: {err}");
                    return Outcome::Failed;
                }
            },
            Op::ClearLockout => {
                auth.clear_lockout_of(login, person.email.as_deref());
                Ok(Outcome::Done)
            }
        };
        let target = match &op {
            Op::UnbindBadge { handle } => format!("badge {handle}"),
            Op::RevokeToken { id } => format!("token {id}"),
            Op::RevokePhone { id } => format!("phone {id}"),
            _ => String::new(),
        };
        let e = e.target(&target);
        match result {
            Ok(Outcome::NotFound) => {
                self.audit.record(e.outcome("refused", "no such badge, token or phone"));
                Outcome::NotFound
            }
            Ok(o) => {
                log::info!("console: {} did {} for {login}", by.user.login, op.action());
                self.audit.record(e);
                o
            }
            Err(err) => {
                log::error!("console: {} for {login}: {err}", op.action());
                self.audit.record(e.outcome("failed", "see the appliance log"));
                Outcome::Failed
            }
        }
    }
}

//! The people the console manages: finding them in the local directory
//! and Active Directory, and seeing and lifting their sign-in locks.

use super::{Auth, KeyKind, Source};
use crate::ad::{AdError, AdUser};
use crate::clock::now_ms;
use crate::directory::LocalUser;

/// Someone in a directory, as the console finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Login name, as the appliance keys its records (lower case for AD).
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Groups (empty from a search, which does not read them).
    pub groups: Vec<String>,
    /// Which directory.
    pub source: Source,
}

impl Person {
    fn local(u: &LocalUser) -> Person {
        Person {
            login: u.name.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            department: None,
            groups: u.groups.clone(),
            source: Source::Local,
        }
    }

    fn ad(u: &AdUser) -> Person {
        Person {
            login: u.name.to_lowercase(),
            display_name: u.display_name.clone(),
            email: u.mail.clone(),
            department: u.department.clone(),
            groups: u.groups.clone(),
            source: Source::ActiveDirectory,
        }
    }
}

impl Auth {
    /// People whose user name, display name or e-mail address begins with
    /// `term` (case aside), local ones first, at most `limit` of each
    /// directory; and why Active Directory could not be searched, if so.
    pub async fn search_people(&self, term: &str, limit: usize) -> (Vec<Person>, Option<String>) {
        let t = term.trim().to_lowercase();
        let starts = |s: &str| {
            s.to_lowercase().starts_with(&t) || s.split_whitespace().any(|w| w.to_lowercase().starts_with(&t))
        };
        let mut found: Vec<Person> = self
            .local
            .users()
            .into_iter()
            .filter(|u| starts(&u.name) || starts(&u.display_name) || u.email.as_deref().is_some_and(starts))
            .take(limit)
            .map(|u| Person::local(&u))
            .collect();
        let mut problem = None;
        if let Some(ad) = &self.ad
            && !t.is_empty()
        {
            match ad.search(term.trim(), i32::try_from(limit).unwrap_or(i32::MAX)).await {
                Ok(users) => found.extend(users.iter().map(Person::ad)),
                Err(e) => problem = Some(e.to_string()),
            }
        }
        (found, problem)
    }

    /// A person by login: the local directory first, then Active Directory
    /// (with their groups). `Ok(None)` when neither knows them.
    pub async fn person(&self, login: &str) -> Result<Option<Person>, String> {
        if let Some(u) = self.local.user(login) {
            return Ok(Some(Person::local(&u)));
        }
        match &self.ad {
            None => Ok(None),
            Some(ad) => match ad.lookup(login).await {
                Ok(u) => Ok(Some(Person::ad(&u))),
                Err(AdError::NoSuchUser) => Ok(None),
                // Disabled, locked or expired in AD: still theirs to manage.
                Err(AdError::Disabled | AdError::Locked | AdError::AccountExpired | AdError::PasswordExpired) => {
                    Ok(self.state.identity(&login.to_lowercase()).map(|id| Person {
                        login: id.login,
                        display_name: id.display_name,
                        email: id.email,
                        department: id.department,
                        groups: id.groups,
                        source: Source::ActiveDirectory,
                    }))
                }
                Err(e) => Err(e.to_string()),
            },
        }
    }

    /// The lockout keys of a person: their user name's and e-mail
    /// address's, anywhere and at each source they were guessed from.
    fn person_keys(&self, login: &str, email: Option<&str>) -> Vec<Vec<u8>> {
        let mut accounts = vec![self.key("user", &self.user_key_name(login), KeyKind::Account).0];
        if let Some(e) = email {
            accounts.push(self.key("email", &e.trim().to_lowercase(), KeyKind::Account).0);
        }
        let mut keys = Vec::new();
        for a in accounts {
            keys.extend(self.state.linked(&a));
            keys.push(a);
        }
        keys
    }

    /// Failed password and PIN sign-ins of a person lately, and until when
    /// they are locked (0: not locked).
    pub fn lockout_of(&self, login: &str, email: Option<&str>) -> (u32, u64) {
        let now = now_ms();
        self.person_keys(login, email).iter().map(|k| self.state.failures(k)).fold((0, 0), |(n, until), f| {
            let live = !self.settings().lockout.expired(&f, now);
            (
                n.max(if live { f.count } else { 0 }),
                until.max(if f.locked_until_ms > now { f.locked_until_ms } else { 0 }),
            )
        })
    }

    /// A person's department, as their directory last said (remembered
    /// directory users only; local users have none).
    pub fn department_of(&self, login: &str) -> Option<String> {
        self.state.identity(&login.to_lowercase()).and_then(|i| i.department)
    }

    /// Lift a person's locks and forget their failures (the helpdesk, once
    /// they know who is asking).
    pub fn clear_lockout_of(&self, login: &str, email: Option<&str>) {
        for k in self.person_keys(login, email) {
            self.state.clear_failures(&k);
        }
        self.state.flush();
    }
}

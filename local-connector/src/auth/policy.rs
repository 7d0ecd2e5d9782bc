//! Authorization policy: which groups may release jobs, copy, scan, fax and
//! print in colour at a printer, and which may administer the appliance.
//!
//! Each function lists group names (matched without regard to case, against
//! the user's groups including nested ones); `*` means every signed-in user,
//! and an empty list means nobody. The policy is `directory/policy.json`,
//! edited with `pullprint policy` (and later the console); a site without
//! the file gets [`Policy::default`]: everyone may use every function, and
//! the `PullprintAdmins` group administers, `PullprintHelpdesk` runs the
//! console's users, badges and jobs, and `PullprintAuditors` reads its
//! reports and audit log.

use crate::shared::{SharedFileError, SharedJson};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The functions a panel can offer.
pub const FUNCTIONS: [&str; 5] = ["release", "copy", "scan", "fax", "colour"];

/// Groups allowed for each function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Releasing parked jobs.
    pub release: Vec<String>,
    /// Copying.
    pub copy: Vec<String>,
    /// Scanning.
    pub scan: Vec<String>,
    /// Faxing.
    pub fax: Vec<String>,
    /// Colour output (release and copy); without it output is forced to mono.
    pub colour: Vec<String>,
    /// Administering the appliance (console sign-in).
    pub admin: Vec<String>,
    /// The console's helpdesk: users, badges, PINs and jobs; no settings.
    #[serde(default = "default_helpdesk")]
    pub helpdesk: Vec<String>,
    /// The console's auditors: reports and the audit log only.
    #[serde(default = "default_auditor")]
    pub auditor: Vec<String>,
    /// What auditors, reports and the tenant see of people and documents.
    #[serde(default)]
    pub privacy: Privacy,
}

/// How a kind of personal data is handled where it leaves the hands of
/// those who act on it (auditors, reports, the cloud tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Handling {
    /// Shown as it is.
    Keep,
    /// Replaced by a stable pseudonym (the same person always gets the same
    /// one, so patterns still show, but not who).
    Obfuscate,
    /// Left out.
    Omit,
}

impl Handling {
    /// Its name, as the policy file and the console write it.
    pub fn name(self) -> &'static str {
        match self {
            Handling::Keep => "keep",
            Handling::Obfuscate => "obfuscate",
            Handling::Omit => "omit",
        }
    }
}

/// The privacy settings. By default user and document names are obfuscated
/// and departments kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// People's user names.
    #[serde(default = "obfuscate")]
    pub user_names: Handling,
    /// Documents' names.
    #[serde(default = "obfuscate")]
    pub document_names: Handling,
    /// Departments.
    #[serde(default = "keep")]
    pub departments: Handling,
}

fn obfuscate() -> Handling {
    Handling::Obfuscate
}

fn keep() -> Handling {
    Handling::Keep
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy { user_names: Handling::Obfuscate, document_names: Handling::Obfuscate, departments: Handling::Keep }
    }
}

fn default_helpdesk() -> Vec<String> {
    vec!["PullprintHelpdesk".to_owned()]
}

fn default_auditor() -> Vec<String> {
    vec!["PullprintAuditors".to_owned()]
}

/// What someone may do in the admin console. Someone in the groups of more
/// than one role has the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleRole {
    /// Reports and the audit log only, with names as the privacy settings say.
    Auditor,
    /// Users, badges, PINs and jobs; no settings.
    Helpdesk,
    /// Everything.
    Admin,
}

impl ConsoleRole {
    /// The role's name, as the policy and the console show it.
    pub fn name(self) -> &'static str {
        match self {
            ConsoleRole::Auditor => "auditor",
            ConsoleRole::Helpdesk => "helpdesk",
            ConsoleRole::Admin => "admin",
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        let everyone = || vec!["*".to_owned()];
        Policy {
            release: everyone(),
            copy: everyone(),
            scan: everyone(),
            fax: everyone(),
            colour: everyone(),
            admin: vec!["PullprintAdmins".to_owned()],
            helpdesk: default_helpdesk(),
            auditor: default_auditor(),
            privacy: Privacy::default(),
        }
    }
}

/// What one user may do at a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    /// May release parked jobs.
    pub release: bool,
    /// May copy.
    pub copy: bool,
    /// May scan.
    pub scan: bool,
    /// May fax.
    pub fax: bool,
    /// May print or copy in colour.
    pub colour: bool,
}

fn allowed(list: &[String], groups: &[String]) -> bool {
    list.iter().any(|g| g == "*" || groups.iter().any(|u| u.eq_ignore_ascii_case(g)))
}

impl Policy {
    /// The rights of someone in `groups`.
    pub fn rights(&self, groups: &[String]) -> Rights {
        Rights {
            release: allowed(&self.release, groups),
            copy: allowed(&self.copy, groups),
            scan: allowed(&self.scan, groups),
            fax: allowed(&self.fax, groups),
            colour: allowed(&self.colour, groups),
        }
    }

    /// Whether someone in `groups` administers the appliance. `*` does not
    /// count here: administrators are always named.
    pub fn is_admin(&self, groups: &[String]) -> bool {
        self.admin.iter().any(|g| groups.iter().any(|u| u.eq_ignore_ascii_case(g)))
    }

    /// The console role of someone in `groups`, if any. As for `admin`,
    /// `*` does not count: console roles are always named groups.
    pub fn console_role(&self, groups: &[String]) -> Option<ConsoleRole> {
        let named = |list: &[String]| list.iter().any(|g| groups.iter().any(|u| u.eq_ignore_ascii_case(g)));
        if named(&self.admin) {
            Some(ConsoleRole::Admin)
        } else if named(&self.helpdesk) {
            Some(ConsoleRole::Helpdesk)
        } else if named(&self.auditor) {
            Some(ConsoleRole::Auditor)
        } else {
            None
        }
    }

    /// The group list of a function by name (`release`, ..., `admin`).
    pub fn function_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        Some(match name {
            "release" => &mut self.release,
            "copy" => &mut self.copy,
            "scan" => &mut self.scan,
            "fax" => &mut self.fax,
            "colour" | "color" => &mut self.colour,
            "admin" => &mut self.admin,
            "helpdesk" => &mut self.helpdesk,
            "auditor" => &mut self.auditor,
            _ => return None,
        })
    }
}

/// The policy file.
#[derive(Debug)]
pub struct PolicyFile {
    file: SharedJson<Stored>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    policy: Option<Policy>,
}

/// Errors of the policy file.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Reading or writing failed.
    #[error("policy: {0}")]
    File(#[from] SharedFileError),
    /// No such function.
    #[error("no function {0:?}; the functions are release, copy, scan, fax, colour, admin, helpdesk and auditor")]
    NoSuchFunction(String),
}

impl PolicyFile {
    /// Open `path` (missing means the default policy).
    pub fn open(path: &Path) -> Result<PolicyFile, PolicyError> {
        Ok(PolicyFile { file: SharedJson::open(path)? })
    }

    /// The policy in force; a file that cannot be read is logged and the
    /// most restrictive policy (nobody may do anything) applies.
    pub fn current(&self) -> Policy {
        match self.file.snapshot() {
            Ok(s) => s.policy.clone().unwrap_or_default(),
            Err(e) => {
                log::error!("policy: {e}; refusing every function until it is fixed");
                Policy {
                    release: vec![],
                    copy: vec![],
                    scan: vec![],
                    fax: vec![],
                    colour: vec![],
                    admin: vec![],
                    helpdesk: vec![],
                    auditor: vec![],
                    privacy: Privacy {
                        user_names: Handling::Omit,
                        document_names: Handling::Omit,
                        departments: Handling::Omit,
                    },
                }
            }
        }
    }

    /// Set the groups of one function.
    pub fn set(&self, function: &str, groups: &[String]) -> Result<Policy, PolicyError> {
        self.file.update(|s| {
            let mut p = s.policy.clone().unwrap_or_default();
            *p.function_mut(function).ok_or_else(|| PolicyError::NoSuchFunction(function.into()))? = groups.to_vec();
            s.policy = Some(p.clone());
            Ok(p)
        })
    }

    /// Set the privacy settings.
    pub fn set_privacy(&self, privacy: Privacy) -> Result<Policy, PolicyError> {
        self.file.update(|s| {
            let mut p = s.policy.clone().unwrap_or_default();
            p.privacy = privacy;
            s.policy = Some(p.clone());
            Ok(p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_grant_functions_and_admins_are_named() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = PolicyFile::open(&d.path().join("policy.json")).expect("open");
        let staff = vec!["PrintUsers".to_owned()];
        assert_eq!(
            f.current().rights(&staff),
            Rights { release: true, copy: true, scan: true, fax: true, colour: true }
        );
        assert!(!f.current().is_admin(&staff));
        assert!(f.current().is_admin(&["pullprintadmins".to_owned()]));
        f.set("colour", &["Finance".into()]).expect("set");
        f.set("fax", &[]).expect("set");
        let p = f.current();
        assert!(!p.rights(&staff).colour && !p.rights(&staff).fax && p.rights(&staff).release);
        assert!(p.rights(&["FINANCE".to_owned()]).colour);
        assert!(matches!(f.set("teleport", &[]), Err(PolicyError::NoSuchFunction(_))));
        let star = Policy { admin: vec!["*".into()], ..Policy::default() };
        assert!(!star.is_admin(&staff), "* never makes an admin");
    }
}

#[cfg(test)]
mod console_role_tests {
    use super::*;

    #[test]
    fn console_roles_come_from_named_groups_and_the_widest_wins() {
        let p = Policy::default();
        let g = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(p.console_role(&g(&["PrintUsers"])), None);
        assert_eq!(p.console_role(&g(&["pullprintauditors"])), Some(ConsoleRole::Auditor));
        assert_eq!(p.console_role(&g(&["PullprintHelpdesk", "PullprintAuditors"])), Some(ConsoleRole::Helpdesk));
        assert_eq!(p.console_role(&g(&["PullprintAuditors", "PullprintAdmins"])), Some(ConsoleRole::Admin));
        // `*` never makes a console role.
        let mut open = p.clone();
        open.helpdesk = vec!["*".into()];
        assert_eq!(open.console_role(&g(&["PrintUsers"])), None);
        // A policy file written before the console roles existed keeps their defaults.
        let old: Policy = serde_json::from_str(
            r#"{"release":["*"],"copy":["*"],"scan":["*"],"fax":["*"],"colour":["*"],"admin":["PullprintAdmins"]}"#,
        )
        .expect("an older policy reads");
        assert_eq!(old.helpdesk, vec!["PullprintHelpdesk".to_owned()]);
    }
}

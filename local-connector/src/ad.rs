//! Active Directory (and LDAP) logins over TLS.
//!
//! A login is checked the way AD expects an application to: look the user up
//! with a service account, then bind as the user with the password given.
//! The password is only ever sent inside TLS (LDAPS, or StartTLS on 389),
//! to a DC whose certificate chains to the CA pinned in the configuration;
//! an empty password is refused before anything is sent, because an LDAP
//! bind with one is an anonymous bind that "succeeds".
//!
//! - Names: `alice`, `alice@realm` and `REALM\alice` all mean sAMAccountName
//!   `alice` (a UPN suffix or domain that is not this directory's is refused).
//! - Every value placed in a filter is escaped (RFC 4515).
//! - Groups come from the in-chain matching rule (LDAP_MATCHING_RULE_IN_CHAIN,
//!   1.2.840.113556.1.4.1941), so nested membership counts.
//! - Refusals say why: a wrong password, a disabled, locked or expired
//!   account, or an expired password, from AD's bind error codes (which AD
//!   reveals only when the password is right).
//! - Every network step has a timeout; the configured DCs are tried in order
//!   and the next one is used when one cannot be reached.

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::sync::Arc;
use std::time::Duration;

/// How to reach the directory.
#[derive(Clone)]
pub struct AdConfig {
    /// DCs in order of preference: `ldaps://dc1.corp.example` or `ldap://...` (with StartTLS).
    pub urls: Vec<String>,
    /// PEM of the CA (or CAs) that DC certificates must chain to.
    pub ca_pem: Vec<u8>,
    /// Where users and groups are searched (`DC=corp,DC=example`).
    pub base_dn: String,
    /// DNS realm, such as `CORP.EXAMPLE` (for `alice@corp.example`).
    pub realm: String,
    /// NetBIOS domain, such as `CORP` (for `CORP\alice`).
    pub domain: String,
    /// The service account used for lookups.
    pub bind_dn: String,
    /// Its password.
    pub bind_password: String,
    /// Timeout for each connection and operation (5 s by default).
    pub timeout: Duration,
}

impl std::fmt::Debug for AdConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdConfig")
            .field("urls", &self.urls)
            .field("base_dn", &self.base_dn)
            .field("realm", &self.realm)
            .field("domain", &self.domain)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A user the directory vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdUser {
    /// sAMAccountName, as stored.
    pub name: String,
    /// Distinguished name.
    pub dn: String,
    /// displayName (may be empty).
    pub display_name: String,
    /// mail, if set.
    pub mail: Option<String>,
    /// department, if set.
    pub department: Option<String>,
    /// Names (CN) of every group the user belongs to, nested ones included.
    pub groups: Vec<String>,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdError {
    /// Unknown user or wrong password (the two are not told apart).
    #[error("wrong user name or password")]
    WrongCredentials,
    /// The account is disabled.
    #[error("the account is disabled")]
    Disabled,
    /// The account is locked out.
    #[error("the account is locked out")]
    Locked,
    /// The account has expired.
    #[error("the account has expired")]
    AccountExpired,
    /// The password has expired or must be changed first.
    #[error("the password has expired and must be changed")]
    PasswordExpired,
    /// Logins are not allowed now or from here.
    #[error("the account may not log in now ({0})")]
    NotPermitted(String),
    /// No configured DC could be reached, or one answered with an error.
    #[error("the directory cannot be reached: {0}")]
    Unavailable(String),
}

/// The Active Directory provider.
#[derive(Debug, Clone)]
pub struct ActiveDirectory {
    cfg: Arc<AdConfig>,
    tls: Arc<rustls::ClientConfig>,
}

/// The login name part of `alice`, `alice@realm` or `REALM\alice`, if it
/// belongs to this directory.
pub fn account_name<'a>(login: &'a str, realm: &str, domain: &str) -> Option<&'a str> {
    let login = login.trim();
    let name = if let Some((dom, name)) = login.split_once('\\') {
        (dom.eq_ignore_ascii_case(domain) || dom.eq_ignore_ascii_case(realm)).then_some(name)?
    } else if let Some((name, suffix)) = login.rsplit_once('@') {
        suffix.eq_ignore_ascii_case(realm).then_some(name)?
    } else {
        login
    };
    (!name.is_empty() && name.len() <= 256).then_some(name)
}

/// AD's reason for a refused bind, from the "data NNN" in its diagnostic.
fn bind_refusal(text: &str) -> AdError {
    let code = text.split("data ").nth(1).map(|r| r.chars().take_while(char::is_ascii_hexdigit).collect::<String>());
    match code.as_deref() {
        Some("533") => AdError::Disabled,
        Some("775") => AdError::Locked,
        Some("701") => AdError::AccountExpired,
        Some("532") | Some("773") => AdError::PasswordExpired,
        Some(c @ ("530" | "531")) => AdError::NotPermitted(format!("AD code {c}")),
        _ => AdError::WrongCredentials,
    }
}

fn unavailable(url: &str, e: impl std::fmt::Display) -> AdError {
    AdError::Unavailable(format!("{url}: {e}"))
}

impl ActiveDirectory {
    /// A provider for `cfg`; fails when the pinned CA cannot be read.
    pub fn new(cfg: AdConfig) -> Result<ActiveDirectory, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&cfg.ca_pem) {
            let c = c.map_err(|e| format!("the directory CA file is not PEM: {e}"))?;
            roots.add(c).map_err(|e| format!("the directory CA is not usable: {e}"))?;
        }
        if roots.is_empty() {
            return Err("the directory CA file holds no certificate".into());
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(ActiveDirectory { cfg: Arc::new(cfg), tls: Arc::new(tls) })
    }

    /// The configuration.
    pub fn config(&self) -> &AdConfig {
        &self.cfg
    }

    /// Connect to the first DC that answers, bound as the service account.
    async fn connect(&self) -> Result<(ldap3::Ldap, String), AdError> {
        let mut last = AdError::Unavailable("no domain controller is configured".into());
        for url in &self.cfg.urls {
            let starttls = url.starts_with("ldap://");
            let settings = LdapConnSettings::new()
                .set_conn_timeout(self.cfg.timeout)
                .set_config(self.tls.clone())
                .set_starttls(starttls);
            let connected = tokio::time::timeout(self.cfg.timeout, LdapConnAsync::with_settings(settings, url)).await;
            let (conn, mut ldap) = match connected {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    log::warn!("directory: {url}: {e}");
                    last = unavailable(url, e);
                    continue;
                }
                Err(_) => {
                    log::warn!("directory: {url}: no answer within {:?}", self.cfg.timeout);
                    last = unavailable(url, "timed out");
                    continue;
                }
            };
            ldap3::drive!(conn);
            let bound = ldap
                .with_timeout(self.cfg.timeout)
                .simple_bind(&self.cfg.bind_dn, &self.cfg.bind_password)
                .await
                .and_then(|r| r.success());
            match bound {
                Ok(_) => return Ok((ldap, url.clone())),
                Err(e) => {
                    log::error!("directory: {url}: the service account's bind failed: {e}");
                    last = unavailable(url, "the service account could not sign in");
                    let _ = ldap.unbind().await;
                }
            }
        }
        Err(last)
    }

    /// Connect and bind as the service account, then let go: a health check
    /// of the directory (and the floor of every login's cost).
    pub async fn probe(&self) -> Result<(), AdError> {
        let (mut ldap, _) = self.connect().await?;
        let _ = ldap.unbind().await;
        Ok(())
    }

    /// Check `login` and `password`; the user with their groups, or why not.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<AdUser, AdError> {
        let name = account_name(login, &self.cfg.realm, &self.cfg.domain).ok_or(AdError::WrongCredentials)?;
        if password.is_empty() {
            return Err(AdError::WrongCredentials);
        }
        let (mut ldap, url) = self.connect().await?;
        let result = self.lookup_and_bind(&mut ldap, &url, name, password).await;
        let _ = ldap.unbind().await;
        result
    }

    async fn lookup_and_bind(
        &self,
        ldap: &mut ldap3::Ldap,
        url: &str,
        name: &str,
        password: &str,
    ) -> Result<AdUser, AdError> {
        let t = self.cfg.timeout;
        let filter =
            format!("(&(objectCategory=person)(objectClass=user)(sAMAccountName={}))", ldap3::ldap_escape(name));
        let (entries, _) = ldap
            .with_timeout(t)
            .search(
                &self.cfg.base_dn,
                Scope::Subtree,
                &filter,
                vec!["sAMAccountName", "displayName", "mail", "department"],
            )
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable(url, e))?;
        let Some(entry) = entries.into_iter().next().map(SearchEntry::construct) else {
            return Err(AdError::WrongCredentials);
        };
        let first = |k: &str| entry.attrs.get(k).and_then(|v| v.first()).cloned();
        // Bind as the user on the same connection: the password is checked by the DC.
        let bind = ldap.with_timeout(t).simple_bind(&entry.dn, password).await.map_err(|e| unavailable(url, e))?;
        if bind.rc != 0 {
            return Err(if bind.rc == 49 { bind_refusal(&bind.text) } else { unavailable(url, bind) });
        }
        // Back to the service account to read group membership.
        ldap.with_timeout(t)
            .simple_bind(&self.cfg.bind_dn, &self.cfg.bind_password)
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable(url, e))?;
        let groups_filter =
            format!("(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={}))", ldap3::ldap_escape(&entry.dn));
        let (groups, _) = ldap
            .with_timeout(t)
            .search(&self.cfg.base_dn, Scope::Subtree, &groups_filter, vec!["cn"])
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable(url, e))?;
        let mut groups: Vec<String> = groups
            .into_iter()
            .map(SearchEntry::construct)
            .filter_map(|g| g.attrs.get("cn").and_then(|v| v.first()).cloned())
            .collect();
        groups.sort();
        Ok(AdUser {
            name: first("sAMAccountName").unwrap_or_else(|| name.to_owned()),
            display_name: first("displayName").unwrap_or_default(),
            mail: first("mail"),
            department: first("department"),
            dn: entry.dn,
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_name_forms_mean_one_account_and_other_domains_are_refused() {
        for login in ["alice", "alice@pullprint.test", "ALICE@PULLPRINT.TEST", "PULLPRINT\\alice", " alice "] {
            assert_eq!(account_name(login, "PULLPRINT.TEST", "PULLPRINT").map(str::to_lowercase), Some("alice".into()));
        }
        for login in ["alice@evil.example", "EVIL\\alice", "", "@pullprint.test", "PULLPRINT\\"] {
            assert_eq!(account_name(login, "PULLPRINT.TEST", "PULLPRINT"), None, "{login:?}");
        }
    }

    #[test]
    fn ad_bind_codes_say_why() {
        let text = |c: &str| {
            format!("80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data {c}, v4563")
        };
        assert_eq!(bind_refusal(&text("52e")), AdError::WrongCredentials);
        assert_eq!(bind_refusal(&text("533")), AdError::Disabled);
        assert_eq!(bind_refusal(&text("775")), AdError::Locked);
        assert_eq!(bind_refusal(&text("701")), AdError::AccountExpired);
        assert_eq!(bind_refusal(&text("773")), AdError::PasswordExpired);
        assert_eq!(bind_refusal(&text("532")), AdError::PasswordExpired);
        assert_eq!(bind_refusal("anything else"), AdError::WrongCredentials);
    }

    #[test]
    fn filter_values_are_escaped() {
        assert_eq!(ldap3::ldap_escape("a*)(uid=*"), "a\\2a\\29\\28uid=\\2a");
    }
}

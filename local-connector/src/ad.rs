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
//! - An unknown user costs what a wrong password costs: the same search,
//!   bind and bind back, the bind going to a DN that cannot exist (random
//!   for each provider), so that time does not tell which accounts exist.
//!   [`ActiveDirectory::operations`] counts the operations sent, so that
//!   this can be checked.
//! - Every network step has a timeout; the configured DCs are tried in order
//!   and the next one is used when one cannot be reached.
//! - Connections bound as the service account are pooled: a login reuses
//!   one (binding as the user, then back as the service account) instead of
//!   paying for TCP, TLS and a bind each time. At most [`MAX_CONNECTIONS`]
//!   are open at once, so a hung DC cannot make the appliance pile up
//!   sockets, and a wait for a free one is bounded by the same timeout.
//!   A pooled connection the DC has closed is noticed and replaced.

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most connections open to the directory at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Attributes read for every user.
const USER_ATTRS: [&str; 7] = [
    "sAMAccountName",
    "displayName",
    "mail",
    "department",
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "accountExpires",
];
/// userAccountControl: the account is disabled.
const UF_ACCOUNTDISABLE: u32 = 0x2;
/// msDS-User-Account-Control-Computed: locked out.
const UF_LOCKOUT: u32 = 0x10;

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
    pub bind_password: crate::crypto::Secret,
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
    /// The directory has no such user (a lookup without a password).
    #[error("the directory has no such user")]
    NoSuchUser,
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
    pool: Arc<Pool>,
    /// Where an unknown user's password is sent: a DN that cannot exist.
    decoy_dn: Arc<str>,
    /// LDAP operations (searches and binds) sent on pooled connections.
    operations: Arc<AtomicU64>,
}

/// Idle connections bound as the service account, and a cap on open ones.
#[derive(Debug)]
struct Pool {
    idle: Mutex<Vec<Pooled>>,
    slots: tokio::sync::Semaphore,
}

/// One connection and the DC it goes to.
struct Pooled {
    ldap: ldap3::Ldap,
    url: String,
}

impl std::fmt::Debug for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled").field("url", &self.url).finish_non_exhaustive()
    }
}

/// A connection lent out of the pool; given back with [`Lease::release`]
/// only when it is known to be healthy and bound as the service account.
struct Lease<'a> {
    conn: Pooled,
    pool: &'a Pool,
    _slot: tokio::sync::SemaphorePermit<'a>,
    /// It came from the idle list (and so may have gone stale).
    reused: bool,
}

impl Lease<'_> {
    fn release(self) {
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(self.conn);
    }
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
        let pool = Pool { idle: Mutex::new(Vec::new()), slots: tokio::sync::Semaphore::new(MAX_CONNECTIONS) };
        // 128 random bits in the name: no account has this DN.
        let decoy_dn = format!("CN=pullprint-{},{}", hex::encode(crate::crypto::random_bytes::<16>()), cfg.base_dn);
        Ok(ActiveDirectory {
            cfg: Arc::new(cfg),
            tls: Arc::new(tls),
            pool: Arc::new(pool),
            decoy_dn: decoy_dn.into(),
            operations: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many LDAP operations (searches and binds) logins and lookups
    /// have sent so far, connection set-up and health checks left out.
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }

    /// The configuration.
    pub fn config(&self) -> &AdConfig {
        &self.cfg
    }

    /// A connection bound as the service account: an idle one from the
    /// pool, or a new one to the first DC that answers.
    async fn lease(&self) -> Result<Lease<'_>, AdError> {
        let slot = tokio::time::timeout(self.cfg.timeout, self.pool.slots.acquire())
            .await
            .map_err(|_| AdError::Unavailable("every directory connection is busy; the DC is not answering".into()))?
            .map_err(|_| AdError::Unavailable("the directory pool is closed".into()))?;
        loop {
            let idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match idle {
                Some(mut conn) => {
                    if !conn.ldap.is_closed() {
                        return Ok(Lease { conn, pool: &self.pool, _slot: slot, reused: true });
                    }
                }
                None => break,
            }
        }
        let conn = self.connect().await?;
        Ok(Lease { conn, pool: &self.pool, _slot: slot, reused: false })
    }

    /// Forget every idle connection (after a DC went away, say).
    fn drain(&self) {
        self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Connect to the first DC that answers, bound as the service account.
    async fn connect(&self) -> Result<Pooled, AdError> {
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
                    // A DC that speaks old TLS, or shows a certificate the
                    // pinned CA did not sign, is named as such: the admin's
                    // fix differs from that of a DC that is down.
                    last = match crate::net::TlsRefusal::of(&e) {
                        Some(why) => unavailable(url, format_args!("the secure connection was refused: {why}")),
                        None => unavailable(url, e),
                    };
                    log::warn!("directory: {last}");
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
                .simple_bind(&self.cfg.bind_dn, self.cfg.bind_password.reveal())
                .await
                .and_then(|r| r.success());
            match bound {
                Ok(_) => return Ok(Pooled { ldap, url: url.clone() }),
                Err(e) => {
                    log::error!("directory: {url}: the service account's bind failed: {e}");
                    last = unavailable(url, "the service account could not sign in");
                    let _ = ldap.unbind().await;
                }
            }
        }
        Err(last)
    }

    /// Check that a DC answers and accepts the service account: the health
    /// check of the directory. It always opens a new connection, so that it
    /// tells the truth even while idle pooled ones linger.
    pub async fn probe(&self) -> Result<(), AdError> {
        let _slot = tokio::time::timeout(self.cfg.timeout, self.pool.slots.acquire())
            .await
            .map_err(|_| AdError::Unavailable("every directory connection is busy; the DC is not answering".into()))?
            .map_err(|_| AdError::Unavailable("the directory pool is closed".into()))?;
        match self.connect().await {
            Ok(mut conn) => {
                let _ = conn.ldap.unbind().await;
                Ok(())
            }
            Err(e) => {
                self.drain();
                Err(e)
            }
        }
    }

    /// Check `login` and `password`; the user with their groups, or why not.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<AdUser, AdError> {
        let name = account_name(login, &self.cfg.realm, &self.cfg.domain).ok_or(AdError::WrongCredentials)?;
        if password.is_empty() {
            return Err(AdError::WrongCredentials);
        }
        self.on_a_connection(name, Some(password)).await
    }

    /// Read a user (for a badge or PIN login, which has no password to
    /// bind with): refused when the account is disabled, locked or expired.
    pub async fn lookup(&self, login: &str) -> Result<AdUser, AdError> {
        let name = account_name(login, &self.cfg.realm, &self.cfg.domain).ok_or(AdError::NoSuchUser)?;
        self.on_a_connection(name, None).await
    }

    /// Users whose account name, display name or e-mail address begins
    /// with `term` (at most `limit`, sorted by account name), for the
    /// console's search. Groups are not read (that costs a search each).
    pub async fn search(&self, term: &str, limit: i32) -> Result<Vec<AdUser>, AdError> {
        let t = ldap3::ldap_escape(term.trim());
        let filter = format!(
            "(&(objectCategory=person)(objectClass=user)(|(sAMAccountName={t}*)(displayName={t}*)(mail={t}*)(sn={t}*)))"
        );
        let mut lease = self.lease().await?;
        self.count();
        let found = lease
            .conn
            .ldap
            .with_timeout(self.cfg.timeout)
            .with_search_options(ldap3::SearchOptions::new().sizelimit(limit))
            .search(&self.cfg.base_dn, Scope::Subtree, &filter, USER_ATTRS.to_vec())
            .await;
        // A size limit reached is rc 4, with the entries up to it.
        let entries = match found {
            Ok(r) if r.1.rc == 0 || r.1.rc == 4 => r.0,
            Ok(r) => return Err(unavailable(&lease.conn.url, r.1)),
            Err(e) => {
                let why = unavailable(&lease.conn.url, e);
                let _ = lease.conn.ldap.unbind().await;
                self.drain();
                return Err(why);
            }
        };
        lease.release();
        let mut users: Vec<AdUser> = entries
            .into_iter()
            .map(SearchEntry::construct)
            .filter_map(|e| {
                let first = |k: &str| e.attrs.get(k).and_then(|v| v.first()).cloned();
                Some(AdUser {
                    name: first("sAMAccountName")?,
                    display_name: first("displayName").unwrap_or_default(),
                    mail: first("mail"),
                    department: first("department"),
                    dn: e.dn.clone(),
                    groups: Vec::new(),
                })
            })
            .collect();
        users.sort_by_key(|u| u.name.to_lowercase());
        Ok(users)
    }

    /// Run one lookup (and bind, with a password) on a pooled connection. A
    /// reused connection that fails may have been closed by the DC since it
    /// was last used, so the pool is emptied and a fresh one tried, once.
    async fn on_a_connection(&self, name: &str, password: Option<&str>) -> Result<AdUser, AdError> {
        loop {
            let mut lease = self.lease().await?;
            match self.lookup_and_bind(&mut lease.conn, name, password).await {
                Err(AdError::Unavailable(why)) => {
                    let _ = lease.conn.ldap.unbind().await;
                    self.drain();
                    if lease.reused {
                        log::info!("directory: a pooled connection failed ({why}); reconnecting");
                        continue;
                    }
                    return Err(AdError::Unavailable(why));
                }
                result => {
                    lease.release();
                    return result;
                }
            }
        }
    }

    /// Look `name` up as the service account, bind as the user when a
    /// password is given, and read the groups. The connection is left bound
    /// as the service account unless the answer is [`AdError::Unavailable`].
    async fn lookup_and_bind(&self, conn: &mut Pooled, name: &str, password: Option<&str>) -> Result<AdUser, AdError> {
        let t = self.cfg.timeout;
        let Pooled { ldap, url } = conn;
        let url = url.as_str();
        let filter =
            format!("(&(objectCategory=person)(objectClass=user)(sAMAccountName={}))", ldap3::ldap_escape(name));
        self.count();
        let (entries, _) = ldap
            .with_timeout(t)
            .search(&self.cfg.base_dn, Scope::Subtree, &filter, USER_ATTRS.to_vec())
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable(url, e))?;
        let Some(entry) = entries.into_iter().next().map(SearchEntry::construct) else {
            let Some(password) = password else { return Err(AdError::NoSuchUser) };
            // The round trips of a wrong password, so that an unknown user
            // takes as long as a known one: the DC refuses this DN.
            self.bind_and_back(ldap, url, &self.decoy_dn, password).await?;
            return Err(AdError::WrongCredentials);
        };
        let first = |k: &str| entry.attrs.get(k).and_then(|v| v.first()).cloned();
        if let Some(password) = password {
            let bind = self.bind_and_back(ldap, url, &entry.dn, password).await?;
            if bind.rc != 0 {
                return Err(if bind.rc == 49 { bind_refusal(&bind.text) } else { unavailable(url, bind) });
            }
        } else {
            account_state(
                first("userAccountControl").as_deref(),
                first("msDS-User-Account-Control-Computed").as_deref(),
                first("accountExpires").as_deref(),
                filetime_now(),
            )?;
        }
        let groups_filter =
            format!("(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={}))", ldap3::ldap_escape(&entry.dn));
        self.count();
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

    /// Bind as `dn` with `password` on the same connection (the DC checks
    /// the password), then back as the service account whatever the answer,
    /// so that the connection can be reused. The user's bind result.
    async fn bind_and_back(
        &self,
        ldap: &mut ldap3::Ldap,
        url: &str,
        dn: &str,
        password: &str,
    ) -> Result<ldap3::LdapResult, AdError> {
        let t = self.cfg.timeout;
        self.count();
        let bind = ldap.with_timeout(t).simple_bind(dn, password).await.map_err(|e| unavailable(url, e))?;
        self.count();
        ldap.with_timeout(t)
            .simple_bind(&self.cfg.bind_dn, self.cfg.bind_password.reveal())
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable(url, e))?;
        Ok(bind)
    }
}

/// Now as a Windows FILETIME (100 ns ticks since 1601).
fn filetime_now() -> i64 {
    const EPOCH_DIFF_S: i64 = 11_644_473_600;
    let unix = crate::clock::since_epoch();
    (i64::try_from(unix.as_secs()).unwrap_or(i64::MAX / 2) + EPOCH_DIFF_S).saturating_mul(10_000_000)
}

/// Whether an account found without a password may sign in: the checks a
/// bind would have made for us.
fn account_state(uac: Option<&str>, computed: Option<&str>, expires: Option<&str>, now: i64) -> Result<(), AdError> {
    let flags = |v: Option<&str>| v.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    if flags(uac) & i64::from(UF_ACCOUNTDISABLE) != 0 {
        return Err(AdError::Disabled);
    }
    if flags(computed) & i64::from(UF_LOCKOUT) != 0 {
        return Err(AdError::Locked);
    }
    // 0 and i64::MAX both mean "never".
    let expires = flags(expires);
    if expires != 0 && expires != i64::MAX && expires < now {
        return Err(AdError::AccountExpired);
    }
    Ok(())
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
    fn account_state_without_a_bind() {
        let now = filetime_now();
        assert_eq!(account_state(Some("512"), Some("0"), Some("0"), now), Ok(()));
        assert_eq!(account_state(Some("514"), None, None, now), Err(AdError::Disabled));
        assert_eq!(account_state(Some("512"), Some("16"), None, now), Err(AdError::Locked));
        assert_eq!(account_state(Some("512"), None, Some("9223372036854775807"), now), Ok(()));
        assert_eq!(account_state(Some("512"), None, Some(&(now - 1).to_string()), now), Err(AdError::AccountExpired));
        assert_eq!(account_state(Some("512"), None, Some(&(now + 10_000_000).to_string()), now), Ok(()));
    }

    #[test]
    fn filter_values_are_escaped() {
        assert_eq!(ldap3::ldap_escape("a*)(uid=*"), "a\\2a\\29\\28uid=\\2a");
    }
}

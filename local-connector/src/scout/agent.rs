//! One SNMP agent, spoken to: credentials, timeouts and retries, and the
//! walk that reads every column the report needs in as few round trips as
//! the agent allows. SNMPv3's USM (discovery, keys, time window) is
//! snmp2's; what the agent answers is read by [`super::wire`].

use super::walk::{Oid, Walk};
use super::wire;
use snmp2::{AsyncSession, v3};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use zeroize::Zeroizing;

/// A community, a key or a password: kept out of `Debug` and logs, and
/// wiped when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// SNMPv3 authentication protocols (RFC 3414, RFC 7860).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProtocol {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// SNMPv3 privacy protocols (RFC 3414 DES, RFC 3826 AES-128, and the
/// AES-192/256 that printers' agents offer with a key extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivProtocol {
    Des,
    Aes128,
    Aes192,
    Aes256,
}

impl AuthProtocol {
    /// The names admins write, as net-snmp spells them: `MD5`, `SHA`,
    /// `SHA-224`... `SHA-512`.
    pub fn parse(s: &str) -> Option<AuthProtocol> {
        Some(match s.to_ascii_uppercase().replace('_', "-").as_str() {
            "MD5" => AuthProtocol::Md5,
            "SHA" | "SHA1" | "SHA-1" => AuthProtocol::Sha1,
            "SHA-224" | "SHA224" => AuthProtocol::Sha224,
            "SHA-256" | "SHA256" => AuthProtocol::Sha256,
            "SHA-384" | "SHA384" => AuthProtocol::Sha384,
            "SHA-512" | "SHA512" => AuthProtocol::Sha512,
            _ => return None,
        })
    }

    fn snmp2(self) -> v3::AuthProtocol {
        match self {
            AuthProtocol::Md5 => v3::AuthProtocol::Md5,
            AuthProtocol::Sha1 => v3::AuthProtocol::Sha1,
            AuthProtocol::Sha224 => v3::AuthProtocol::Sha224,
            AuthProtocol::Sha256 => v3::AuthProtocol::Sha256,
            AuthProtocol::Sha384 => v3::AuthProtocol::Sha384,
            AuthProtocol::Sha512 => v3::AuthProtocol::Sha512,
        }
    }
}

impl PrivProtocol {
    /// `DES`, `AES` (AES-128), `AES-192`, `AES-256`.
    pub fn parse(s: &str) -> Option<PrivProtocol> {
        Some(match s.to_ascii_uppercase().replace('_', "-").as_str() {
            "DES" => PrivProtocol::Des,
            "AES" | "AES128" | "AES-128" => PrivProtocol::Aes128,
            "AES192" | "AES-192" => PrivProtocol::Aes192,
            "AES256" | "AES-256" => PrivProtocol::Aes256,
            _ => return None,
        })
    }

    fn snmp2(self) -> v3::Cipher {
        match self {
            PrivProtocol::Des => v3::Cipher::Des,
            PrivProtocol::Aes128 => v3::Cipher::Aes128,
            PrivProtocol::Aes192 => v3::Cipher::Aes192,
            PrivProtocol::Aes256 => v3::Cipher::Aes256,
        }
    }
}

/// SNMPv3 USM credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3 {
    pub user: String,
    /// None: noAuthNoPriv.
    pub auth: Option<(AuthProtocol, Secret)>,
    /// None: no privacy. Needs `auth`.
    pub privacy: Option<(PrivProtocol, Secret)>,
    /// The context name (empty for the default context).
    pub context: String,
}

/// How to speak to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    V1(Secret),
    V2c(Secret),
    V3(V3),
}

impl Credentials {
    /// `v1`, `v2c` or `v3`.
    pub fn version(&self) -> &'static str {
        match self {
            Credentials::V1(_) => "v1",
            Credentials::V2c(_) => "v2c",
            Credentials::V3(_) => "v3",
        }
    }
}

/// How long to wait for an answer, and how often to ask again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub timeout: Duration,
    pub retries: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { timeout: Duration::from_millis(1000), retries: 1 }
    }
}

/// Why an agent could not be read. Each says what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("no answer within {0:?} (no SNMP agent, a firewall, or the wrong community)")]
    Silent(Duration),
    #[error(
        "SNMPv3: the agent answered discovery but not the authenticated request: check the user name, the authentication and privacy protocols and keys, and the context"
    )]
    V3NoAuthenticatedReply,
    #[error("SNMPv3: the agent refused the credentials ({0}): check the user name, protocols and keys")]
    V3Refused(String),
    #[error("the agent's reply could not be used: {0}")]
    Protocol(String),
    #[error("cannot reach the agent: {0}")]
    Io(String),
}

/// Most requests one walk may send, so that an agent cannot keep the
/// scout busy forever.
const MAX_REQUESTS: usize = 400;
/// Most variables asked for in one GetBulk.
const BULK_VARBINDS: u32 = 48;

/// A session with one agent.
pub struct Agent {
    addr: SocketAddr,
    credentials: Credentials,
    timing: Timing,
    session: AsyncSession,
    requests: usize,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent").field("addr", &self.addr).field("version", &self.credentials.version()).finish()
    }
}

fn req_id() -> i32 {
    rand::random::<i32>() & 0x3fff_ffff
}

async fn open_session(addr: SocketAddr, credentials: &Credentials) -> Result<AsyncSession, AgentError> {
    let io = |e: std::io::Error| AgentError::Io(e.to_string());
    match credentials {
        Credentials::V1(c) => AsyncSession::new_v1(addr, c.expose().as_bytes(), req_id()).await.map_err(io),
        Credentials::V2c(c) => AsyncSession::new_v2c(addr, c.expose().as_bytes(), req_id()).await.map_err(io),
        Credentials::V3(v) => {
            let (auth_proto, auth_key) =
                v.auth.as_ref().map_or((v3::AuthProtocol::Md5, ""), |(p, k)| (p.snmp2(), k.expose()));
            let mut sec = v3::Security::new(v.user.as_bytes(), auth_key.as_bytes())
                .with_auth_protocol(auth_proto)
                .with_context_name(&v.context);
            sec = match (&v.auth, &v.privacy) {
                (None, _) => sec.with_auth(v3::Auth::NoAuthNoPriv),
                (Some(_), None) => sec.with_auth(v3::Auth::AuthNoPriv),
                (Some((a, _)), Some((p, k))) => {
                    let cipher = p.snmp2();
                    let sec =
                        sec.with_auth(v3::Auth::AuthPriv { cipher, privacy_password: k.expose().as_bytes().to_vec() });
                    if cipher.priv_key_needs_extension(&a.snmp2()) {
                        sec.with_key_extension_method(v3::KeyExtension::Blumenthal)
                    } else {
                        sec
                    }
                }
            };
            AsyncSession::new_v3(addr, req_id(), sec).await.map_err(io)
        }
    }
}

/// What one request asks.
#[derive(Clone, Copy)]
enum Ask<'a> {
    Next(&'a [u32]),
    Bulk(&'a [&'a [u32]], u32),
}

impl Agent {
    /// Open a session; for SNMPv3, run the engine discovery (RFC 3414 §4).
    pub async fn open(addr: SocketAddr, credentials: &Credentials, timing: Timing) -> Result<Agent, AgentError> {
        let session = open_session(addr, credentials).await?;
        let mut agent = Agent { addr, credentials: credentials.clone(), timing, session, requests: 0 };
        if matches!(credentials, Credentials::V3(_)) {
            agent.discover().await?;
        }
        Ok(agent)
    }

    async fn discover(&mut self) -> Result<(), AgentError> {
        for _ in 0..=self.timing.retries {
            match tokio::time::timeout(self.timing.timeout, self.session.init()).await {
                Err(_) => continue,
                Ok(Ok(())) => return Ok(()),
                Ok(Err(snmp2::Error::AuthFailure(k))) => return Err(AgentError::V3Refused(k.to_string())),
                Ok(Err(snmp2::Error::Receive)) => return Err(AgentError::Io("port unreachable".into())),
                Ok(Err(e)) => return Err(AgentError::Protocol(e.to_string())),
            }
        }
        Err(AgentError::Silent(self.timing.timeout))
    }

    /// How many requests this session has sent.
    pub fn requests(&self) -> usize {
        self.requests
    }

    async fn ask(&mut self, ask: Ask<'_>) -> Result<wire::Reply, AgentError> {
        let mut answered_once = false;
        let mut last = AgentError::Silent(self.timing.timeout);
        for _ in 0..=self.timing.retries {
            if self.requests >= MAX_REQUESTS {
                return Err(AgentError::Protocol(format!("more than {MAX_REQUESTS} requests for one device")));
            }
            self.requests += 1;
            let oids: Vec<snmp2::Oid<'static>> = match ask {
                Ask::Next(o) => vec![to_snmp2(o)?],
                Ask::Bulk(cols, _) => cols.iter().map(|o| to_snmp2(o)).collect::<Result<_, _>>()?,
            };
            let refs: Vec<&snmp2::Oid<'_>> = oids.iter().collect();
            let fut = async {
                let pdu = match ask {
                    Ask::Next(_) => self.session.getnext(refs[0]).await,
                    Ask::Bulk(_, reps) => self.session.getbulk(&refs, 0, reps).await,
                }?;
                Ok::<_, snmp2::Error>(wire::Reply {
                    req_id: pdu.req_id,
                    community: Vec::new(),
                    error_status: pdu.error_status,
                    error_index: pdu.error_index,
                    varbinds: wire::varbinds(&pdu),
                })
            };
            match tokio::time::timeout(self.timing.timeout, fut).await {
                Ok(Ok(reply)) => return Ok(reply),
                Err(_) => {
                    last = if matches!(self.credentials, Credentials::V3(_)) {
                        AgentError::V3NoAuthenticatedReply
                    } else {
                        AgentError::Silent(self.timing.timeout)
                    };
                    // A reply may still come; a fresh socket keeps it from
                    // being read as the answer to the next request.
                    self.reopen().await?;
                }
                Ok(Err(snmp2::Error::RequestIdMismatch | snmp2::Error::AuthUpdated)) => {
                    answered_once = true;
                    self.reopen().await?;
                }
                Ok(Err(snmp2::Error::AuthFailure(k))) => return Err(AgentError::V3Refused(k.to_string())),
                Ok(Err(snmp2::Error::AsnWrongType)) if matches!(self.credentials, Credentials::V3(_)) => {
                    // A Report in place of a Response: usmStatsUnknownUserNames,
                    // WrongDigests, DecryptionErrors (RFC 3414 §3.2).
                    return Err(AgentError::V3Refused("the agent sent a USM report".into()));
                }
                Ok(Err(snmp2::Error::Receive)) => return Err(AgentError::Io("port unreachable".into())),
                Ok(Err(e)) if matches!(self.credentials, Credentials::V3(_)) => {
                    // Under other keys or another digest, a genuine reply
                    // reads as garbage: say what to check.
                    return Err(AgentError::V3Refused(format!("its reply did not verify with these credentials: {e}")));
                }
                Ok(Err(e)) => return Err(AgentError::Protocol(e.to_string())),
            }
        }
        if answered_once {
            Err(AgentError::Protocol("the agent's replies did not match the requests".into()))
        } else {
            Err(last)
        }
    }

    async fn reopen(&mut self) -> Result<(), AgentError> {
        self.session = open_session(self.addr, &self.credentials).await?;
        if matches!(self.credentials, Credentials::V3(_)) {
            self.discover().await?;
        }
        Ok(())
    }

    /// Walk each of `columns` (a column, a table, or a scalar's
    /// object), up to `max_rows` rows each, into one [`Walk`].
    ///
    /// SNMPv2c and v3 use GetBulk over every unfinished column at once
    /// (RFC 3416 §4.2.3), so a printer is read in a handful of round
    /// trips; SNMPv1 has no GetBulk and walks with GetNext, one column at
    /// a time, since a v1 agent answers noSuchName for the whole request
    /// when any one column is past its end.
    pub async fn walk(&mut self, columns: &[&[u32]], max_rows: usize) -> Result<Walk, AgentError> {
        let mut walk = Walk::new();
        if matches!(self.credentials, Credentials::V1(_)) {
            for col in columns {
                let mut at: Vec<u32> = col.to_vec();
                for _ in 0..max_rows {
                    let reply = self.ask(Ask::Next(&at)).await?;
                    if reply.error_status != 0 {
                        break; // noSuchName: past the end of the MIB view.
                    }
                    let Some((name, value)) = reply.varbinds.into_iter().next() else { break };
                    if wire::past(col, &name, &value) || name.arcs() <= at.as_slice() {
                        break;
                    }
                    at = name.arcs().to_vec();
                    walk.insert(name, value);
                }
            }
            return Ok(walk);
        }
        // (column, where it is now, rows read)
        let mut open: Vec<(&[u32], Vec<u32>, usize)> = columns.iter().map(|c| (*c, c.to_vec(), 0)).collect();
        let mut budget = BULK_VARBINDS;
        while !open.is_empty() {
            let n = u32::try_from(open.len()).unwrap_or(u32::MAX);
            let reps = (budget / n).max(1);
            let at: Vec<&[u32]> = open.iter().map(|(_, a, _)| a.as_slice()).collect();
            let reply = self.ask(Ask::Bulk(&at, reps)).await?;
            if reply.error_status == wire::TOO_BIG && budget > 1 {
                budget /= 2;
                continue;
            }
            if reply.error_status != 0 {
                return Err(AgentError::Protocol(format!(
                    "error-status {} for variable {}",
                    reply.error_status, reply.error_index
                )));
            }
            if reply.varbinds.is_empty() {
                return Err(AgentError::Protocol("an empty GetBulk reply".into()));
            }
            let mut done = vec![false; open.len()];
            for (i, (name, value)) in reply.varbinds.into_iter().enumerate() {
                let k = i % open.len();
                if done[k] {
                    continue;
                }
                let (col, at, rows) = &mut open[k];
                // endOfMibView, a name past the column, a name that does not
                // move forward (a looping agent), or enough rows.
                if wire::past(col, &name, &value) || name.arcs() <= at.as_slice() || *rows >= max_rows {
                    done[k] = true;
                    continue;
                }
                *at = name.arcs().to_vec();
                *rows += 1;
                walk.insert(name, value);
            }
            let mut k = 0;
            open.retain(|_| {
                k += 1;
                !done[k - 1]
            });
        }
        Ok(walk)
    }
}

fn to_snmp2(arcs: &[u32]) -> Result<snmp2::Oid<'static>, AgentError> {
    let wide: Vec<u64> = arcs.iter().map(|a| u64::from(*a)).collect();
    snmp2::Oid::from(&wide).map_err(|_| AgentError::Protocol(format!("cannot encode the name {}", Oid::new(arcs))))
}

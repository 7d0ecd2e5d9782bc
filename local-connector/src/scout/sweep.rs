//! A sweep: every address of a range asked, at a set packet rate, whether
//! it is a printer; every printer then read in full, a few at a time.
//!
//! With a community (v1, v2c) the first question goes out from one
//! socket, as a stream of single GetNext packets paced by a token bucket,
//! like onesixtyone: a silent address costs one packet and a place in a
//! table until its timeout, never a task or a socket, so thousands of
//! silent addresses do not slow the sweep. Answers that say "printer"
//! start a full read at once, while the stream goes on. Agents that are
//! no printers are told from that first answer and never asked again.
//!
//! SNMPv3 needs a discovery exchange and keys per agent (RFC 3414), so
//! there each address gets its own session, started at the same rate and
//! bounded by the same concurrency.

use super::agent::{Agent, AgentError, Credentials, Timing};
use super::mib;
use super::range::Targets;
use super::report::PrinterReport;
use super::walk::Walk;
use super::wire::{self, Community};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The packet rate a sweep keeps to unless told otherwise: polite on any
/// network (about 20 KB/s), and a /24 in under two seconds.
pub const DEFAULT_RATE: u32 = 200;
/// How many printers are read at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Most rows read from one table of one printer.
pub const MAX_ROWS: usize = 64;

/// How a sweep behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The agents' UDP port (161).
    pub port: u16,
    /// Packets per second for first contacts.
    pub rate: u32,
    /// Printers read at once (and, for SNMPv3, agents contacted at once).
    pub concurrency: usize,
    pub timing: Timing,
    /// Only the first question (sysDescr, sysObjectID, whether there is a
    /// Printer MIB or an hrDevicePrinter): one packet an agent, no full reads.
    pub identify_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 161,
            rate: DEFAULT_RATE,
            concurrency: DEFAULT_CONCURRENCY,
            timing: Timing::default(),
            identify_only: false,
        }
    }
}

/// What one address turned out to be.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    Printer(Box<PrinterReport>),
    /// An agent, but no printer: its sysDescr.
    NotAPrinter {
        description: String,
    },
    /// An agent answered, but could not be read.
    Failed {
        error: String,
    },
}

/// One address that answered.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub address: Ipv4Addr,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub addresses: u64,
    pub packets: u64,
    pub answered: u64,
    pub printers: u64,
    pub not_printers: u64,
    pub failed: u64,
    pub silent: u64,
    pub elapsed_ms: u64,
}

/// Why a sweep could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot open the sweep's UDP socket: {0}")]
    Socket(std::io::Error),
    #[error("the rate must be at least one packet a second")]
    NoRate,
}

/// Paces packets: `rate` a second, with a burst of at most a few
/// milliseconds' worth after a stall.
#[derive(Debug)]
struct Pace {
    every: Duration,
    next: Instant,
}

impl Pace {
    fn new(rate: u32) -> Pace {
        Pace { every: Duration::from_secs(1) / rate.max(1), next: Instant::now() }
    }

    /// Whether a packet may go now; if so, the slot is taken.
    fn take(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        let floor = now.checked_sub(self.every * 8).unwrap_or(now);
        self.next = self.next.max(floor) + self.every;
        true
    }
}

/// Read one agent in full. `None` in the outcome's place means "no answer".
pub async fn read(addr: SocketAddr, credentials: &Credentials, timing: Timing) -> Result<Outcome, AgentError> {
    let mut agent = Agent::open(addr, credentials, timing).await?;
    let probe = agent.walk(mib::PROBE, 1).await?;
    read_after_probe(&mut agent, &probe).await
}

async fn read_after_probe(agent: &mut Agent, probe: &Walk) -> Result<Outcome, AgentError> {
    let Some(first) = PrinterReport::from_walk(probe) else {
        return Ok(not_a_printer(probe));
    };
    let mut columns: Vec<&[u32]> = mib::COLLECT.to_vec();
    columns.extend_from_slice(mib::vendor_columns(first.enterprise));
    let walk = agent.walk(&columns, MAX_ROWS).await?;
    Ok(PrinterReport::from_walk(&walk).map_or_else(|| not_a_printer(&walk), |r| Outcome::Printer(Box::new(r))))
}

/// A printer's page counter: prtMarkerLifeCount summed over its
/// markers. `None` when it has none.
pub async fn page_count(
    addr: SocketAddr,
    credentials: &Credentials,
    timing: Timing,
) -> Result<Option<u64>, AgentError> {
    let mut agent = Agent::open(addr, credentials, timing).await?;
    let w = agent.walk(mib::PAGE_COUNTER, MAX_ROWS).await?;
    let counts: Vec<u64> = w
        .under(mib::printer::PRT_MARKER_LIFE_COUNT)
        .filter_map(|(_, v)| v.as_i64())
        .filter_map(|c| u64::try_from(c).ok())
        .collect();
    Ok((!counts.is_empty()).then(|| counts.iter().fold(0u64, |a, c| a.saturating_add(*c))))
}

fn not_a_printer(w: &Walk) -> Outcome {
    let description = w
        .get(mib::system::SYS_DESCR)
        .and_then(|v| v.as_octets())
        .map(|b| String::from_utf8_lossy(b).chars().take(256).collect())
        .unwrap_or_default();
    Outcome::NotAPrinter { description }
}

/// Sweep `targets`, calling `found` for each address that answered, in
/// the order the answers complete.
pub async fn sweep(
    targets: &Targets,
    credentials: &Credentials,
    options: &Options,
    mut found: impl FnMut(Found),
) -> Result<Stats, SweepError> {
    if options.rate == 0 {
        return Err(SweepError::NoRate);
    }
    let started = Instant::now();
    let mut stats = match credentials {
        Credentials::V1(c) => community_sweep(targets, Community::V1, c.expose(), options, &mut found).await?,
        Credentials::V2c(c) => community_sweep(targets, Community::V2c, c.expose(), options, &mut found).await?,
        Credentials::V3(_) => v3_sweep(targets, credentials, options, &mut found).await,
    };
    stats.addresses = targets.len();
    stats.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(stats)
}

fn tally(stats: &mut Stats, f: &Found) {
    match f.outcome {
        Outcome::Printer(_) => stats.printers += 1,
        Outcome::NotAPrinter { .. } => stats.not_printers += 1,
        Outcome::Failed { .. } => stats.failed += 1,
    }
}

struct Flight {
    req_id: i32,
    attempt: u32,
}

async fn community_sweep(
    targets: &Targets,
    version: Community,
    community: &str,
    options: &Options,
    found: &mut impl FnMut(Found),
) -> Result<Stats, SweepError> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.map_err(SweepError::Socket)?;
    let credentials = match version {
        Community::V1 => Credentials::V1(super::agent::Secret::new(community)),
        Community::V2c => Credentials::V2c(super::agent::Secret::new(community)),
    };
    let mut stats = Stats::default();
    let mut addresses = targets.addresses();
    let mut exhausted = false;
    let mut retry: VecDeque<(Ipv4Addr, u32)> = VecDeque::new();
    let mut flights: HashMap<Ipv4Addr, Flight> = HashMap::new();
    // Send times in order; a constant timeout keeps them in deadline order.
    let mut deadlines: VecDeque<(Instant, Ipv4Addr, i32)> = VecDeque::new();
    let mut pace = Pace::new(options.rate);
    let base: i32 = rand::random::<i32>() & 0x3fff_ffff;
    let mut serial: i32 = 0;
    let readers = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut reading: JoinSet<Found> = JoinSet::new();
    let mut buf = vec![0u8; 65_536];
    let probe_oids: &[&[u32]] = mib::PROBE;

    loop {
        let now = Instant::now();
        // Give up on the flights whose time is over, or ask them again.
        while let Some((at, addr, id)) = deadlines.front().copied() {
            if now < at + options.timing.timeout {
                break;
            }
            deadlines.pop_front();
            if let Some(f) = flights.get(&addr).filter(|f| f.req_id == id) {
                let attempt = f.attempt;
                flights.remove(&addr);
                if attempt < options.timing.retries {
                    retry.push_back((addr, attempt + 1));
                } else {
                    stats.silent += 1;
                }
            }
        }
        // Send what the pace allows.
        while pace.take(Instant::now()) {
            // New addresses first, then second asks: the last address is
            // then first asked as early as the rate allows, and the sweep
            // ends one timeout after its last packet, not two.
            let fresh = if exhausted { None } else { addresses.next().map(|a| (a, 0)) };
            exhausted = fresh.is_none();
            let next = fresh.or_else(|| retry.pop_front());
            let Some((addr, attempt)) = next else {
                pace.next = Instant::now();
                break;
            };
            serial = serial.wrapping_add(1);
            let req_id = base.wrapping_add(serial) & 0x7fff_ffff;
            let packet = wire::get_next(version, community.as_bytes(), req_id, probe_oids);
            stats.packets += 1;
            // A send error (no route, say) counts as silence, as it would be.
            let _ = socket.send_to(&packet, SocketAddrV4::new(addr, options.port)).await;
            flights.insert(addr, Flight { req_id, attempt });
            deadlines.push_back((Instant::now(), addr, req_id));
        }
        if exhausted && retry.is_empty() && flights.is_empty() {
            break;
        }
        // Wait for an answer, the next slot, or the next deadline.
        let wake = [
            (!exhausted || !retry.is_empty()).then_some(pace.next),
            deadlines.front().map(|(at, _, _)| *at + options.timing.timeout),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or_else(|| Instant::now() + options.timing.timeout);
        tokio::select! {
            got = socket.recv_from(&mut buf) => {
                let Ok((n, SocketAddr::V4(from))) = got else { continue };
                if from.port() != options.port {
                    continue;
                }
                let addr = *from.ip();
                let Some(flight) = flights.get(&addr) else { continue };
                let Ok(reply) = wire::parse_reply(&buf[..n]) else { continue };
                if reply.req_id != flight.req_id || reply.community != community.as_bytes() {
                    continue;
                }
                flights.remove(&addr);
                stats.answered += 1;
                let probe = probe_walk(probe_oids, reply);
                let printer = PrinterReport::from_walk(&probe);
                // An SNMPv1 agent whose probe ended in noSuchName is read
                // column by column to decide.
                let undecided = version == Community::V1 && probe.is_empty();
                if options.identify_only || (printer.is_none() && !undecided) {
                    let f = Found {
                        address: addr,
                        outcome: printer.map_or_else(|| not_a_printer(&probe), |r| Outcome::Printer(Box::new(r))),
                    };
                    tally(&mut stats, &f);
                    found(f);
                    continue;
                }
                let permit = Arc::clone(&readers);
                let credentials = credentials.clone();
                let timing = options.timing;
                let to = SocketAddr::V4(from);
                reading.spawn(async move {
                    let _permit = permit.acquire_owned().await;
                    let outcome = async {
                        let mut agent = Agent::open(to, &credentials, timing).await?;
                        let probe = if probe.is_empty() { agent.walk(mib::PROBE, 1).await? } else { probe };
                        read_after_probe(&mut agent, &probe).await
                    }
                    .await;
                    Found {
                        address: addr,
                        outcome: outcome.unwrap_or_else(|e| Outcome::Failed { error: e.to_string() }),
                    }
                });
            }
            Some(Ok(f)) = reading.join_next(), if !reading.is_empty() => {
                tally(&mut stats, &f);
                found(f);
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    while let Some(done) = reading.join_next().await {
        if let Ok(f) = done {
            tally(&mut stats, &f);
            found(f);
        }
    }
    Ok(stats)
}

/// The probe's answer as a walk: each variable kept only if it is still
/// under the column it was asked for (SNMPv1 agents answer noSuchName
/// for the whole request when one column is past the end, which leaves
/// the walk empty and the full read to decide).
pub fn probe_walk(asked: &[&[u32]], reply: wire::Reply) -> Walk {
    let mut w = Walk::new();
    if reply.error_status != 0 {
        return w;
    }
    for (i, (name, value)) in reply.varbinds.into_iter().enumerate().take(asked.len()) {
        if !wire::past(asked[i], &name, &value) {
            w.insert(name, value);
        }
    }
    w
}

async fn v3_sweep(
    targets: &Targets,
    credentials: &Credentials,
    options: &Options,
    found: &mut impl FnMut(Found),
) -> Stats {
    let mut stats = Stats::default();
    let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks: JoinSet<Option<Found>> = JoinSet::new();
    let mut pace = Pace::new(options.rate);
    let finish = |stats: &mut Stats, done: Option<Found>, found: &mut dyn FnMut(Found)| match done {
        Some(f) => {
            stats.answered += 1;
            tally(stats, &f);
            found(f);
        }
        None => stats.silent += 1,
    };
    for addr in targets.addresses() {
        while !pace.take(Instant::now()) {
            tokio::time::sleep_until(pace.next.into()).await;
        }
        let permit = loop {
            if let Ok(p) = Arc::clone(&slots).try_acquire_owned() {
                break p;
            }
            if let Some(Ok(done)) = tasks.join_next().await {
                finish(&mut stats, done, found);
            }
        };
        stats.packets += 1;
        let credentials = credentials.clone();
        let timing = options.timing;
        let identify_only = options.identify_only;
        let to = SocketAddr::V4(SocketAddrV4::new(addr, options.port));
        tasks.spawn(async move {
            let _permit = permit;
            let outcome = async {
                let mut agent = Agent::open(to, &credentials, timing).await?;
                let probe = agent.walk(mib::PROBE, 1).await?;
                if identify_only {
                    return Ok(PrinterReport::from_walk(&probe)
                        .map_or_else(|| not_a_printer(&probe), |r| Outcome::Printer(Box::new(r))));
                }
                read_after_probe(&mut agent, &probe).await
            }
            .await;
            match outcome {
                Ok(o) => Some(Found { address: addr, outcome: o }),
                Err(AgentError::Silent(_) | AgentError::Io(_)) => None,
                Err(e) => Some(Found { address: addr, outcome: Outcome::Failed { error: e.to_string() } }),
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(done) = done {
            finish(&mut stats, done, found);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_keeps_its_rate_and_allows_only_a_short_burst() {
        let mut p = Pace::new(1000);
        let t0 = p.next;
        assert!(p.take(t0));
        assert!(!p.take(t0), "one slot a millisecond");
        assert!(p.take(t0 + Duration::from_millis(1)));
        // After a long stall, at most the burst goes at once.
        let later = t0 + Duration::from_secs(5);
        let burst = (0..100).take_while(|_| p.take(later)).count();
        assert!((8..=10).contains(&burst), "{burst}");
    }
}

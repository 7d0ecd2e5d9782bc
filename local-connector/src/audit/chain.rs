//! The audit log's file format and its hash chain, and the check that
//! walks it (sans index: the command line runs it beside a running
//! daemon, which holds the index open).
//!
//! `log` holds one record per line: the record's JSON, a tab, and the
//! record's MAC in hex. The MAC is HMAC-SHA-256 under the site's audit key
//! over the previous record's MAC followed by this record's JSON, so an
//! edited, removed, reordered or inserted record breaks the chain at that
//! record. `head` holds the last record's number and MAC, so that cutting
//! records off the end shows too.

use super::Record;
use crate::crypto::{ct_eq, hmac_sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The chain's value before the first record.
pub(super) const GENESIS: [u8; 32] = [0; 32];
/// `head`: number (8 bytes), MAC (32), and a check over both (8).
const HEAD_LEN: usize = 48;
/// The longest line a record may take; longer fields are cut before writing.
pub(crate) const MAX_LINE: usize = 16 * 1024;

/// A record's MAC: it chains to the one before.
pub(super) fn mac(key: &[u8; 32], prev: &[u8; 32], json: &[u8]) -> [u8; 32] {
    let mut data = Vec::with_capacity(32 + json.len());
    data.extend_from_slice(prev);
    data.extend_from_slice(json);
    hmac_sha256(key, &data)
}

/// The line for `record` after `prev`, and its MAC.
pub(super) fn line(key: &[u8; 32], prev: &[u8; 32], record: &Record) -> io::Result<(Vec<u8>, [u8; 32])> {
    let json = serde_json::to_vec(record).map_err(io::Error::other)?;
    let m = mac(key, prev, &json);
    let mut out = json;
    out.push(b'\t');
    out.extend_from_slice(hex::encode(m).as_bytes());
    out.push(b'\n');
    Ok((out, m))
}

/// A line split into its record and its claimed MAC (not yet checked), or
/// why it cannot be read.
pub(super) fn split(line: &[u8]) -> Result<(&[u8], Record, [u8; 32]), String> {
    let line = line.strip_suffix(b"\n").ok_or("the line is cut off")?;
    let tab = line.iter().rposition(|b| *b == b'\t').ok_or("the line has no MAC")?;
    let (json, hexmac) = (&line[..tab], &line[tab + 1..]);
    let mut m = [0u8; 32];
    hex::decode_to_slice(hexmac, &mut m).map_err(|_| "the MAC is not 64 hex digits".to_owned())?;
    let record: Record = serde_json::from_slice(json).map_err(|e| format!("the record is not valid JSON: {e}"))?;
    Ok((json, record, m))
}

/// The head: the last record's number and MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) seq: u64,
    pub(super) mac: [u8; 32],
}

impl Head {
    fn check(key: &[u8; 32], seq: u64, mac: &[u8; 32]) -> [u8; 8] {
        let mut data = b"pullprint/audit-head".to_vec();
        data.extend_from_slice(&seq.to_be_bytes());
        data.extend_from_slice(mac);
        let full = hmac_sha256(key, &data);
        let mut out = [0u8; 8];
        out.copy_from_slice(&full[..8]);
        out
    }

    /// Write the head in place (one sector, so never torn in practice; the
    /// check finds it if it is) and make it durable.
    pub(super) fn write(&self, key: &[u8; 32], f: &File) -> io::Result<()> {
        let mut b = [0u8; HEAD_LEN];
        b[..8].copy_from_slice(&self.seq.to_be_bytes());
        b[8..40].copy_from_slice(&self.mac);
        b[40..].copy_from_slice(&Head::check(key, self.seq, &self.mac));
        f.write_all_at(&b, 0)?;
        f.sync_data()
    }

    /// The head in `f`: `Ok(None)` for an empty file (a new log).
    pub(super) fn read(key: &[u8; 32], f: &File) -> Result<Option<Head>, String> {
        let mut b = [0u8; HEAD_LEN];
        match f.read_exact_at(&mut b, 0) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return if f.metadata().map(|m| m.len()).unwrap_or(1) == 0 {
                    Ok(None)
                } else {
                    Err("the head file is cut short".into())
                };
            }
            Err(e) => return Err(format!("the head file cannot be read: {e}")),
        }
        let seq = u64::from_be_bytes(b[..8].try_into().unwrap_or_default());
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&b[8..40]);
        if !ct_eq(&b[40..], &Head::check(key, seq, &mac)) {
            return Err("the head file fails its check: it was changed or damaged".into());
        }
        Ok(Some(Head { seq, mac }))
    }
}

/// An intact chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Records checked.
    pub records: u64,
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {record} (line {line}) {why}")]
pub struct Broken {
    /// The first record that fails: its number (lines count from 1, as
    /// records do; a removed record is named by the number expected there).
    pub record: u64,
    /// Its line in the file.
    pub line: u64,
    /// What is wrong, in words.
    pub why: String,
}

/// Walk the whole chain in `dir` under `key`.
pub fn verify(dir: &Path, key: &[u8; 32]) -> Result<Verified, Broken> {
    let broken = |record, line, why: String| Broken { record, line, why };
    let head = match File::open(dir.join("head")) {
        Ok(f) => Head::read(key, &f).map_err(|why| broken(0, 0, why))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(broken(0, 0, format!("the head file cannot be opened: {e}"))),
    };
    let log = match File::open(dir.join("log")) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(broken(0, 0, format!("the log cannot be opened: {e}"))),
    };
    let (mut prev, mut seq, mut lineno) = (GENESIS, 0u64, 0u64);
    if let Some(log) = log {
        let mut r = BufReader::with_capacity(256 * 1024, log);
        let mut buf = Vec::with_capacity(1024);
        loop {
            buf.clear();
            let n = r
                .by_ref()
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| broken(seq + 1, lineno + 1, format!("cannot be read: {e}")))?;
            if n == 0 {
                break;
            }
            lineno += 1;
            let (json, record, claimed) = split(&buf).map_err(|why| broken(seq + 1, lineno, why))?;
            if record.seq != seq + 1 {
                return Err(broken(seq + 1, lineno, format!("is missing: the line there holds record {}", record.seq)));
            }
            if !ct_eq(&mac(key, &prev, json), &claimed) {
                return Err(broken(record.seq, lineno, "was changed: its MAC does not match".into()));
            }
            prev = claimed;
            seq = record.seq;
        }
    }
    match head {
        Some(h) if h.seq > seq => Err(broken(
            seq + 1,
            lineno + 1,
            format!("is missing: the log ends at record {seq}, but {} were written", h.seq),
        )),
        Some(h) if h.seq < seq || !ct_eq(&h.mac, &prev) => {
            Err(broken(h.seq, 0, format!("does not match the head file, which names record {} as the last", h.seq)))
        }
        None if seq > 0 => Err(broken(seq, lineno, "has no head file beside it".into())),
        _ => Ok(Verified { records: seq }),
    }
}

/// A consistent copy of the log in `dir` for a backup, while it may be
/// appended to: the head, then the log cut after the record the head
/// names (later records are not yet acknowledged in the head). Empty for
/// a log not yet made.
pub fn snapshot(dir: &Path) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let read = |name: &str| match std::fs::read(dir.join(name)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        other => other,
    };
    let head = read("head")?;
    let mut log = read("log")?;
    if head.len() >= 8 {
        let records = u64::from_be_bytes(head[..8].try_into().unwrap_or_default());
        let end = log
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(usize::try_from(records).unwrap_or(usize::MAX).saturating_sub(1))
            .map_or(log.len(), |(i, _)| i + 1);
        if records > 0 {
            log.truncate(end);
        }
    }
    Ok((head, log))
}

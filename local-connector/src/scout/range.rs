//! The addresses a sweep may contact: scan ranges (`10.0.20.0/24`,
//! `10.0.20.10-10.0.20.99`, or one address) less the exclude ranges, which
//! are never contacted. IPv4 only: printers are found by sweeping, and an
//! IPv6 subnet cannot be swept.

use std::fmt;
use std::net::Ipv4Addr;

/// The most addresses one sweep may cover (a /12).
pub const MAX_ADDRESSES: u64 = 1 << 20;

/// An inclusive range of IPv4 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
}

/// A range that did not parse, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRange(pub String);

impl fmt::Display for BadRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRange {}

impl std::str::FromStr for Range {
    type Err = BadRange;

    /// `A.B.C.D`, `A.B.C.D/N` (N from 8 to 32) or `A.B.C.D-E.F.G.H`.
    fn from_str(s: &str) -> Result<Range, BadRange> {
        let s = s.trim();
        let ip = |t: &str| t.trim().parse::<Ipv4Addr>().map_err(|_| BadRange(format!("{t:?} is not an IPv4 address")));
        if let Some((a, n)) = s.split_once('/') {
            let a = u32::from(ip(a)?);
            let n: u32 = n
                .parse()
                .ok()
                .filter(|n| (8..=32).contains(n))
                .ok_or_else(|| BadRange(format!("{s:?}: the prefix length must be 8 to 32")))?;
            let mask = u32::MAX << (32 - n);
            let first = a & mask;
            let last = first | !mask;
            // A /31 or /32 has no network or broadcast address to skip.
            let (first, last) = if n <= 30 { (first + 1, last - 1) } else { (first, last) };
            Ok(Range { first: first.into(), last: last.into() })
        } else if let Some((a, b)) = s.split_once('-') {
            let (first, last) = (ip(a)?, ip(b)?);
            if first > last {
                return Err(BadRange(format!("{s:?}: the range ends before it starts")));
            }
            Ok(Range { first, last })
        } else {
            let a = ip(s)?;
            Ok(Range { first: a, last: a })
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last { write!(f, "{}", self.first) } else { write!(f, "{}-{}", self.first, self.last) }
    }
}

impl Range {
    /// How many addresses it holds.
    pub fn len(&self) -> u64 {
        u64::from(u32::from(self.last)) - u64::from(u32::from(self.first)) + 1
    }

    /// Never true: a range holds at least its first address.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Scan ranges less exclude ranges, as sorted, disjoint ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Targets(Vec<Range>);

impl Targets {
    /// `scan` less `exclude`. Refused above [`MAX_ADDRESSES`].
    pub fn new(scan: &[Range], exclude: &[Range]) -> Result<Targets, BadRange> {
        let merged = merge(scan);
        let mut out = Vec::new();
        for r in merged {
            let mut pieces = vec![(u32::from(r.first), u32::from(r.last))];
            for x in exclude {
                let (xa, xb) = (u32::from(x.first), u32::from(x.last));
                pieces = pieces
                    .into_iter()
                    .flat_map(|(a, b)| {
                        let mut keep = Vec::new();
                        if xb < a || xa > b {
                            keep.push((a, b));
                        } else {
                            if xa > a {
                                keep.push((a, xa - 1));
                            }
                            if xb < b {
                                keep.push((xb + 1, b));
                            }
                        }
                        keep
                    })
                    .collect();
            }
            out.extend(pieces.into_iter().map(|(a, b)| Range { first: a.into(), last: b.into() }));
        }
        let t = Targets(out);
        if t.len() > MAX_ADDRESSES {
            return Err(BadRange(format!(
                "the ranges hold {} addresses; a sweep covers at most {MAX_ADDRESSES}",
                t.len()
            )));
        }
        Ok(t)
    }

    /// How many addresses a sweep contacts.
    pub fn len(&self) -> u64 {
        self.0.iter().map(Range::len).sum()
    }

    /// Whether there is nothing to contact.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every address, in order.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.0.iter().flat_map(|r| (u32::from(r.first)..=u32::from(r.last)).map(Ipv4Addr::from))
    }

    /// Whether `a` is to be contacted.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        self.0.iter().any(|r| r.first <= a && a <= r.last)
    }
}

/// Sorted ranges with overlaps and neighbours joined.
fn merge(ranges: &[Range]) -> Vec<Range> {
    let mut v = ranges.to_vec();
    v.sort();
    let mut out: Vec<Range> = Vec::new();
    for r in v {
        if let Some(last) = out.last_mut()
            && u64::from(u32::from(r.first)) <= u64::from(u32::from(last.last)) + 1
        {
            last.last = last.last.max(r.last);
            continue;
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Range {
        s.parse().expect("range")
    }

    #[test]
    fn ranges_parse_as_cidr_span_or_one_address() {
        assert_eq!(r("10.0.20.0/24"), r("10.0.20.1-10.0.20.254"), "no network or broadcast address");
        assert_eq!(r("10.0.20.7/32").len(), 1);
        assert_eq!(r("10.0.20.6/31").len(), 2);
        assert_eq!(r("10.0.20.9/24").first, Ipv4Addr::new(10, 0, 20, 1), "host bits are ignored");
        assert_eq!(r("127.0.1.5").to_string(), "127.0.1.5");
        for bad in ["10.0.20.0/7", "10.0.20.0/33", "10.0.20.9-10.0.20.1", "printer.local", "10.0.20/24", "::1"] {
            assert!(bad.parse::<Range>().is_err(), "{bad}");
        }
    }

    #[test]
    fn excluded_addresses_are_never_in_the_targets() {
        let t =
            Targets::new(&[r("10.0.0.0/24"), r("10.0.0.200-10.0.1.10")], &[r("10.0.0.50-10.0.0.59"), r("10.0.1.5")])
                .expect("targets");
        // .1-.254, then .255 and 10.0.0.0-10.0.1.10 joined on, less 11 excluded.
        assert_eq!(t.len(), 254 + 1 + 11 - 10 - 1, "merged, less the excluded");
        assert!(!t.contains(Ipv4Addr::new(10, 0, 0, 55)) && !t.contains(Ipv4Addr::new(10, 0, 1, 5)));
        assert!(t.contains(Ipv4Addr::new(10, 0, 0, 49)) && t.contains(Ipv4Addr::new(10, 0, 1, 6)));
        let all: Vec<Ipv4Addr> = t.addresses().collect();
        assert_eq!(all.len() as u64, t.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
        assert!(Targets::new(&[r("10.0.0.0/24")], &[r("10.0.0.0/8")]).expect("targets").is_empty());
        assert!(Targets::new(&[r("10.0.0.0/8")], &[]).is_err(), "a /8 is too much for one sweep");
    }
}

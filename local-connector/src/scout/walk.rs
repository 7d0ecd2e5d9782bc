//! The variables one SNMP agent answered: object identifiers and their
//! values, in OID order, as a walk returns them. Everything here comes from
//! the network, so nothing is trusted: values are kept as they came, and
//! each reader checks type and size.

use std::collections::BTreeMap;
use std::fmt;

/// The most arcs an OID may have (RFC 2578 allows 128).
pub const MAX_ARCS: usize = 128;

/// An object identifier.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(Vec<u32>);

/// An OID that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadOid(pub String);

impl fmt::Display for BadOid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an object identifier (dotted numbers, at most {MAX_ARCS})", self.0)
    }
}

impl std::error::Error for BadOid {}

impl Oid {
    /// An OID from its arcs.
    pub fn new(arcs: &[u32]) -> Self {
        Self(arcs.to_vec())
    }

    /// Its arcs.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// Whether it lies under `prefix`.
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.0.starts_with(prefix)
    }

    /// `prefix` followed by `more`.
    pub fn child(prefix: &[u32], more: &[u32]) -> Self {
        let mut v = prefix.to_vec();
        v.extend_from_slice(more);
        Self(v)
    }
}

impl std::str::FromStr for Oid {
    type Err = BadOid;

    fn from_str(s: &str) -> Result<Self, BadOid> {
        let t = s.trim().trim_start_matches('.');
        let arcs: Result<Vec<u32>, _> = t.split('.').map(str::parse::<u32>).collect();
        match arcs {
            Ok(a) if !a.is_empty() && a.len() <= MAX_ARCS => Ok(Self(a)),
            _ => Err(BadOid(s.chars().take(80).collect())),
        }
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for a in &self.0 {
            if !first {
                f.write_str(".")?;
            }
            write!(f, "{a}")?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// A value as an agent sent it (SMIv2 types, RFC 2578).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Integer(i64),
    Octets(Vec<u8>),
    ObjectId(Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
    /// Null, or an exception (noSuchObject, noSuchInstance, endOfMibView).
    Null,
}

impl Value {
    /// A number, from any integer type.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => Some(i64::from(*u)),
            Value::Counter64(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    /// The bytes of an octet string.
    pub fn as_octets(&self) -> Option<&[u8]> {
        match self {
            Value::Octets(b) => Some(b),
            _ => None,
        }
    }

    /// An OID value.
    pub fn as_oid(&self) -> Option<&Oid> {
        match self {
            Value::ObjectId(o) => Some(o),
            _ => None,
        }
    }
}

/// The variables one agent answered, in OID order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk(BTreeMap<Oid, Value>);

/// A recording line that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// 1-based line number.
    pub line: usize,
    pub why: String,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

impl std::error::Error for BadRecord {}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Walk {
    /// An empty walk.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one variable (a later value for the same OID replaces it).
    pub fn insert(&mut self, oid: Oid, value: Value) {
        self.0.insert(oid, value);
    }

    /// How many variables it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value at exactly `oid`.
    pub fn get(&self, oid: &[u32]) -> Option<&Value> {
        self.0.get(&Oid::new(oid))
    }

    /// Every variable under `prefix`, with the arcs after it (a table
    /// column's index), in order.
    pub fn under<'a>(&'a self, prefix: &'a [u32]) -> impl Iterator<Item = (&'a [u32], &'a Value)> + 'a {
        self.0
            .range(Oid::new(prefix)..)
            .take_while(move |(o, _)| o.starts_with(prefix))
            .map(move |(o, v)| (&o.arcs()[prefix.len()..], v))
            .filter(|(rest, _)| !rest.is_empty())
    }

    /// Whether anything lies under `prefix`.
    pub fn has_under(&self, prefix: &[u32]) -> bool {
        self.under(prefix).next().is_some()
    }

    /// A walk from snmpsim's recording format, `OID|TYPE|VALUE` per line
    /// (TYPE is the BER tag in decimal; a trailing `x` means the value is
    /// hex). Blank lines and `#` comments are skipped.
    pub fn from_snmprec(text: &str) -> Result<Self, BadRecord> {
        let mut w = Walk::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: String| BadRecord { line: i + 1, why };
            let mut parts = line.splitn(3, '|');
            let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad("not OID|TYPE|VALUE".into()));
            };
            let oid: Oid = oid.parse().map_err(|e: BadOid| bad(e.to_string()))?;
            let (tag, is_hex) = match tag.strip_suffix('x') {
                Some(t) => (t, true),
                None => (tag, false),
            };
            let bytes = || -> Result<Vec<u8>, BadRecord> {
                if is_hex { hex(value).ok_or_else(|| bad("bad hex".into())) } else { Ok(value.as_bytes().to_vec()) }
            };
            let int = |v: &str| v.trim().parse::<i64>().map_err(|_| bad(format!("{v:?} is not a number")));
            let value = match tag {
                "2" => Value::Integer(int(value)?),
                "4" => Value::Octets(bytes()?),
                "5" => Value::Null,
                "6" => Value::ObjectId(value.parse().map_err(|e: BadOid| bad(e.to_string()))?),
                "64" => {
                    let b = bytes()?;
                    let ip: Vec<u8> = if is_hex {
                        b
                    } else {
                        value
                            .split('.')
                            .map(|p| p.parse::<u8>())
                            .collect::<Result<_, _>>()
                            .map_err(|_| bad("bad IP address".into()))?
                    };
                    Value::IpAddress(ip.try_into().map_err(|_| bad("an IP address has 4 bytes".into()))?)
                }
                "65" => Value::Counter32(u32::try_from(int(value)?).map_err(|_| bad("Counter32 out of range".into()))?),
                "66" => Value::Gauge32(u32::try_from(int(value)?).map_err(|_| bad("Gauge32 out of range".into()))?),
                "67" => Value::TimeTicks(u32::try_from(int(value)?).map_err(|_| bad("TimeTicks out of range".into()))?),
                "70" => Value::Counter64(value.trim().parse().map_err(|_| bad("bad Counter64".into()))?),
                t => return Err(bad(format!("unknown type {t}"))),
            };
            w.insert(oid, value);
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_parse_print_and_order_by_arcs() {
        let a: Oid = "1.3.6.1.2.1.43.11.1.1.9.1.10".parse().expect("oid");
        let b: Oid = ".1.3.6.1.2.1.43.11.1.1.9.1.9".parse().expect("oid");
        assert_eq!(a.to_string(), "1.3.6.1.2.1.43.11.1.1.9.1.10");
        assert!(b < a, "9 sorts before 10");
        assert!("".parse::<Oid>().is_err() && "1..2".parse::<Oid>().is_err() && "1.x".parse::<Oid>().is_err());
        assert!(format!("1{}", ".1".repeat(MAX_ARCS)).parse::<Oid>().is_err());
    }

    #[test]
    fn recordings_parse_with_every_type_and_say_where_they_are_wrong() {
        let w = Walk::from_snmprec(
            "1.3.6.1.2.1.1.1.0|4|Printer\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11\n1.3.6.1.2.1.2.2.1.6.1|4x|00206b4af325\n\
             1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n# comment\n\n1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n",
        )
        .expect("parses");
        assert_eq!(w.len(), 6);
        assert_eq!(
            w.get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1]),
            Some(&Value::Octets(vec![0, 0x20, 0x6b, 0x4a, 0xf3, 0x25]))
        );
        assert_eq!(w.get(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9, 1, 1]).and_then(Value::as_i64), Some(-3));
        let col: Vec<_> = w.under(&[1, 3, 6, 1, 2, 1, 1]).map(|(i, _)| i.to_vec()).collect();
        assert_eq!(col, vec![vec![1, 0], vec![2, 0], vec![3, 0]]);
        let e = Walk::from_snmprec("1.3.6.1.2.1.1.1.0|4|ok\n1.3.6|2|many\n").expect_err("bad number");
        assert_eq!(e.line, 2);
        assert!(Walk::from_snmprec("1.3|99|x").is_err() && Walk::from_snmprec("1.3|4x|abc").is_err());
    }
}

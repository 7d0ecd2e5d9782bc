//! SNMP messages on the wire, sans-IO: the community-based requests the
//! sweep sends from one socket, and every reply read back into the
//! scout's own [`Oid`] and [`Value`]. snmp2 does the BER; this module
//! checks what it hands over, because every byte came from the network.

use super::walk::{Oid, Value};
use snmp2::{MessageType, Pdu};

/// The community-based versions (RFC 1157, RFC 1901). SNMPv3 goes through
/// snmp2's session, which owns the USM state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Community {
    V1,
    V2c,
}

impl Community {
    fn number(self) -> i64 {
        match self {
            Community::V1 => 0,
            Community::V2c => 1,
        }
    }
}

/// Most variables the scout keeps from one reply.
pub const MAX_VARBINDS: usize = 256;

/// BER tags of RFC 3416's PDUs.
const GET_NEXT_REQUEST: u8 = 0xa1;
#[cfg(test)]
const RESPONSE: u8 = 0xa2;

/// A value in a message the scout writes: requests carry NULLs; the
/// tests' replies carry strings and the end of the MIB view.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(test), allow(dead_code))]
enum Put<'a> {
    Null,
    Octets(&'a [u8]),
    EndOfMibView,
}

/// A definite-length BER TLV.
fn tlv(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    match u8::try_from(body.len()) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes = body.len().to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            // At most 8 length octets, so the count fits the low bits.
            out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(8));
            out.extend_from_slice(&bytes[skip..]);
        }
    }
    out.extend_from_slice(body);
}

fn integer(out: &mut Vec<u8>, n: i64) {
    let bytes = n.to_be_bytes();
    // The shortest two's-complement form.
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(out, 0x02, &bytes[start..]);
}

/// An OBJECT IDENTIFIER (X.690 §8.19): the first two arcs as one, then
/// base-128 with continuation bits.
fn object_identifier(out: &mut Vec<u8>, arcs: &[u32]) {
    let mut body = Vec::with_capacity(arcs.len() + 4);
    let mut push = |mut v: u64| {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = u8::try_from(v & 0x7f).unwrap_or(0) | if i == tmp.len() - 1 { 0 } else { 0x80 };
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        body.extend_from_slice(&tmp[i..]);
    };
    match arcs {
        [a, b, rest @ ..] => {
            push(u64::from(*a) * 40 + u64::from(*b));
            rest.iter().for_each(|r| push(u64::from(*r)));
        }
        [a] => push(u64::from(*a) * 40),
        [] => push(0),
    }
    tlv(out, 0x06, &body);
}

fn message(version: Community, community: &[u8], tag: u8, req_id: i32, vars: &[(&[u32], Put<'_>)]) -> Vec<u8> {
    let mut list = Vec::new();
    for (name, value) in vars {
        let mut vb = Vec::new();
        object_identifier(&mut vb, name);
        match value {
            Put::Null => tlv(&mut vb, 0x05, &[]),
            Put::Octets(b) => tlv(&mut vb, 0x04, b),
            Put::EndOfMibView => tlv(&mut vb, 0x82, &[]),
        }
        tlv(&mut list, 0x30, &vb);
    }
    let mut pdu = Vec::new();
    integer(&mut pdu, i64::from(req_id));
    integer(&mut pdu, 0); // error-status
    integer(&mut pdu, 0); // error-index
    tlv(&mut pdu, 0x30, &list);
    let mut msg = Vec::new();
    integer(&mut msg, version.number());
    tlv(&mut msg, 0x04, community);
    tlv(&mut msg, tag, &pdu);
    let mut out = Vec::with_capacity(msg.len() + 4);
    tlv(&mut out, 0x30, &msg);
    out
}

/// A GetNextRequest for each of `oids`, as one message.
pub fn get_next(version: Community, community: &[u8], req_id: i32, oids: &[&[u32]]) -> Vec<u8> {
    let vars: Vec<(&[u32], Put<'_>)> = oids.iter().map(|o| (*o, Put::Null)).collect();
    message(version, community, GET_NEXT_REQUEST, req_id, &vars)
}

/// A reply, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub req_id: i32,
    pub community: Vec<u8>,
    /// RFC 3416 error-status: 0 noError, 1 tooBig, 2 noSuchName...
    pub error_status: u32,
    /// Which variable (from 1) the error is about.
    pub error_index: u32,
    pub varbinds: Vec<(Oid, Value)>,
}

/// RFC 3416 error-status tooBig.
pub const TOO_BIG: u32 = 1;
/// RFC 1157 error-status noSuchName: SNMPv1's "past the end".
pub const NO_SUCH_NAME: u32 = 2;

/// Why a datagram is not a reply the scout can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadReply {
    #[error("not an SNMP message: {0}")]
    Malformed(String),
    #[error("an SNMP message, but not a Response")]
    NotAResponse,
    #[error("an SNMPv3 message on a community socket")]
    Version3,
}

/// Read a v1 or v2c datagram as a Response.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, BadReply> {
    let pdu = Pdu::from_bytes(bytes).map_err(|e| match e {
        snmp2::Error::AuthFailure(_) => BadReply::Version3,
        other => BadReply::Malformed(other.to_string()),
    })?;
    if pdu.message_type != MessageType::Response {
        return Err(BadReply::NotAResponse);
    }
    Ok(Reply {
        req_id: pdu.req_id,
        community: pdu.community.to_vec(),
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds: varbinds(&pdu),
    })
}

/// A PDU's variables in the scout's own types. Variables whose name does
/// not fit (an arc over 32 bits) or whose value is no SMIv2 type are
/// dropped; at most [`MAX_VARBINDS`] are read.
pub fn varbinds(pdu: &Pdu<'_>) -> Vec<(Oid, Value)> {
    pdu.varbinds.clone().take(MAX_VARBINDS).filter_map(|(name, value)| Some((oid(&name)?, value_of(&value)?))).collect()
}

fn oid(name: &snmp2::Oid<'_>) -> Option<Oid> {
    let arcs: Option<Vec<u32>> = name.iter()?.map(|a| u32::try_from(a).ok()).collect();
    let arcs = arcs?;
    (arcs.len() <= 128).then(|| Oid::new(&arcs))
}

/// The exceptions of RFC 3416 (noSuchObject, noSuchInstance,
/// endOfMibView) all become [`Value::Null`]: "nothing here".
fn value_of(v: &snmp2::Value<'_>) -> Option<Value> {
    use snmp2::Value as V;
    Some(match v {
        V::Integer(i) => Value::Integer(*i),
        V::OctetString(b) => Value::Octets(b.to_vec()),
        V::ObjectIdentifier(o) => Value::ObjectId(oid(o)?),
        V::IpAddress(a) => Value::IpAddress(*a),
        V::Counter32(c) => Value::Counter32(*c),
        V::Unsigned32(g) => Value::Gauge32(*g),
        V::Timeticks(t) => Value::TimeTicks(*t),
        V::Counter64(c) => Value::Counter64(*c),
        V::Opaque(b) => Value::Octets(b.to_vec()),
        V::Null | V::EndOfMibView | V::NoSuchObject | V::NoSuchInstance => Value::Null,
        _ => return None,
    })
}

/// Whether a variable says "the walk of this subtree is over": an
/// endOfMibView, or a name outside the subtree.
pub fn past(prefix: &[u32], name: &Oid, value: &Value) -> bool {
    !name.starts_with(prefix) || (*value == Value::Null && name.arcs() == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_as_the_same_message() {
        let bytes = get_next(Community::V2c, b"public", 4711, &[&[1, 3, 6, 1, 2, 1, 1, 1], &[1, 3, 6, 1, 2, 1, 43]]);
        let pdu = Pdu::from_bytes(&bytes).expect("our own request parses");
        assert_eq!(pdu.message_type, MessageType::GetNextRequest);
        assert_eq!(pdu.req_id, 4711);
        assert_eq!(pdu.community, b"public");
        let names: Vec<String> = pdu.varbinds.clone().map(|(n, _)| n.to_string()).collect();
        assert_eq!(names, ["1.3.6.1.2.1.1.1", "1.3.6.1.2.1.43"]);
    }

    #[test]
    fn integers_and_long_names_encode_as_ber_says() {
        let mut out = Vec::new();
        for (n, want) in [(0, &[0x02, 1, 0][..]), (127, &[2, 1, 0x7f]), (128, &[2, 2, 0, 0x80]), (-1, &[2, 1, 0xff])] {
            out.clear();
            integer(&mut out, n);
            assert_eq!(out, want, "{n}");
        }
        out.clear();
        object_identifier(&mut out, &[1, 3, 6, 1, 4, 1, 18334, 4_294_967_295]);
        assert_eq!(out, [0x06, 0x0d, 0x2b, 6, 1, 4, 1, 0x81, 0x8f, 0x1e, 0x8f, 0xff, 0xff, 0xff, 0x7f]);
        // A message longer than 127 bytes takes a long-form length.
        let many: Vec<&[u32]> = std::iter::repeat_n(&[1u32, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6][..], 20).collect();
        let big = get_next(Community::V2c, b"public", 1, &many);
        let pdu = Pdu::from_bytes(&big).expect("snmp2 reads it");
        assert_eq!(pdu.varbinds.clone().count(), 20);
    }

    #[test]
    fn a_request_is_not_a_reply() {
        let bytes = get_next(Community::V1, b"public", 1, &[&[1, 3, 6, 1]]);
        assert_eq!(parse_reply(&bytes), Err(BadReply::NotAResponse));
    }

    #[test]
    fn garbage_and_truncation_are_clear_errors() {
        assert!(matches!(parse_reply(b""), Err(BadReply::Malformed(_))));
        assert!(matches!(parse_reply(&[0x30, 0x82, 0xff, 0xff, 0x02]), Err(BadReply::Malformed(_))));
        let mut reply = get_next(Community::V2c, b"public", 1, &[&[1, 3, 6, 1]]);
        reply.truncate(reply.len() - 3);
        assert!(parse_reply(&reply).is_err());
    }

    #[test]
    fn a_reply_from_an_agent_is_read_with_its_values() {
        // A Response as an agent sends it: sysDescr.0 = "HP", then endOfMibView.
        let bytes = message(
            Community::V2c,
            b"public",
            RESPONSE,
            9,
            &[(&[1, 3, 6, 1, 2, 1, 1, 1, 0], Put::Octets(b"HP")), (&[1, 3, 6, 1, 2, 1, 43], Put::EndOfMibView)],
        );
        let reply = parse_reply(&bytes).expect("a response");
        assert_eq!(reply.req_id, 9);
        assert_eq!(reply.varbinds.len(), 2);
        assert_eq!(reply.varbinds[0], (Oid::new(&[1, 3, 6, 1, 2, 1, 1, 1, 0]), Value::Octets(b"HP".to_vec())));
        assert!(past(&[1, 3, 6, 1, 2, 1, 43], &reply.varbinds[1].0, &reply.varbinds[1].1));
        assert!(!past(&[1, 3, 6, 1, 2, 1, 1, 1], &reply.varbinds[0].0, &reply.varbinds[0].1));
    }
}

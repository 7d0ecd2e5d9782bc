//! A strict, sans-IO scan of an IPP message's framing (RFC 8010 §3), run on
//! the bytes received so far, before anything parses attribute values.
//!
//! It answers one of three things: the attribute section is complete (and
//! where the document data begins), more bytes are needed, or the message is
//! malformed. It checks every tag and length, the nesting of collections, the
//! inner lengths of text- and name-with-language values, and a size cap, so
//! that the value parser behind it only ever sees well-formed input.

/// Largest attribute section accepted (the document data is not counted).
pub const MAX_ATTRIBUTES_LEN: usize = 256 * 1024;
/// Deepest collection nesting accepted (media-col is 2 levels).
const MAX_DEPTH: usize = 8;

/// Where scanning got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The attribute section is not complete yet.
    NeedMore,
    /// The attribute section is complete and well-formed.
    Complete(Framed),
}

/// A message whose framing [`scan`] checked: its header and where its
/// document data begins. Only [`scan`] makes one, so holding one is proof
/// that the bytes it describes may be read, and nothing scans them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed {
    header: Header,
    data_at: usize,
}

impl Framed {
    /// The 8-byte header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// Offset of the first document byte: the attribute section is
    /// `bytes[..data_at]`.
    pub fn data_at(&self) -> usize {
        self.data_at
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The framing is broken.
    #[error("malformed IPP message at byte {at}: {what}")]
    Malformed {
        /// Offset of the problem.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// The attribute section exceeds [`MAX_ATTRIBUTES_LEN`].
    #[error("the IPP attribute section is larger than {MAX_ATTRIBUTES_LEN} bytes")]
    TooLarge,
}

/// The 8-byte message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// version-number, e.g. 0x0200 for 2.0.
    pub version: u16,
    /// operation-id (request) or status-code (response).
    pub code: i16,
    /// request-id.
    pub request_id: i32,
}

/// Read the header, if 8 bytes have arrived.
pub fn header(buf: &[u8]) -> Option<Header> {
    let b: &[u8; 8] = buf.get(..8)?.try_into().ok()?;
    Some(Header {
        version: u16::from_be_bytes([b[0], b[1]]),
        code: i16::from_be_bytes([b[2], b[3]]),
        request_id: i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
    })
}

fn u16_at(buf: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?])))
}

use super::tag::{
    self, BEG_COLLECTION as TAG_BEG_COLLECTION, END_COLLECTION as TAG_END_COLLECTION, MEMBER_NAME as TAG_MEMBER_NAME,
    NAME_LANG as TAG_NAME_LANG, TEXT_LANG as TAG_TEXT_LANG,
};

/// `end-of-attributes-tag`.
const TAG_END: u8 = 0x03;

/// Most attribute groups accepted in one message. A request has a few; a
/// printer's Get-Jobs answer has one per job.
pub const MAX_GROUPS: usize = 4096;

/// Scan `buf` (the message from its first byte) in one go.
pub fn scan(buf: &[u8]) -> Result<Scan, WireError> {
    Scanner::default().scan(buf)
}

/// Scans a message as its bytes arrive: each call goes on from the end of
/// the last complete element, so a message sent one byte at a time costs
/// what it costs sent at once (a rescan from the start on every arrival
/// made a trickled request quadratic).
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    /// Offset just past the last complete element (0: the header is not read).
    at: usize,
    in_group: bool,
    depth: usize,
    have_attr: bool,
    groups: usize,
    /// Bytes examined over all calls.
    examined: usize,
}

impl Scanner {
    /// Bytes examined so far, over every call: at most a few more than the
    /// message's length, however it arrived.
    pub fn examined(&self) -> usize {
        self.examined
    }

    /// Scan `buf`, the message from its first byte with everything that has
    /// arrived so far (what an earlier call saw, and more).
    pub fn scan(&mut self, buf: &[u8]) -> Result<Scan, WireError> {
        if buf.len() < 8 {
            return Ok(Scan::NeedMore);
        }
        let start = self.at.max(8);
        let Scanner { mut in_group, mut depth, mut have_attr, mut groups, .. } = *self;
        let result = scan_from(buf, start, &mut in_group, &mut depth, &mut have_attr, &mut groups);
        let (r, at) = result;
        self.examined += at.saturating_sub(start).max(1);
        if r == Ok(Scan::NeedMore) {
            *self = Scanner { at, in_group, depth, have_attr, groups, examined: self.examined };
        }
        r
    }
}

/// The scan proper, from `at` (a boundary between elements) with the state
/// reached there; returns the verdict and where the last complete element ends.
fn scan_from(
    buf: &[u8],
    mut at: usize,
    in_group: &mut bool,
    depth: &mut usize,
    have_attr: &mut bool,
    groups: &mut usize,
) -> (Result<Scan, WireError>, usize) {
    let bad = |at: usize, what: &'static str| (Err(WireError::Malformed { at, what }), at);
    loop {
        if at > MAX_ATTRIBUTES_LEN {
            return (Err(WireError::TooLarge), at);
        }
        let Some(&tag) = buf.get(at) else { return (Ok(Scan::NeedMore), at) };
        match tag {
            TAG_END => {
                if *depth != 0 {
                    return bad(at, "end-of-attributes inside a collection");
                }
                let Some(header) = header(buf) else { return bad(0, "no header") };
                return (Ok(Scan::Complete(Framed { header, data_at: at + 1 })), at);
            }
            0x00 => return bad(at, "reserved delimiter tag 0"),
            0x01..=0x0f => {
                if *depth != 0 {
                    return bad(at, "group delimiter inside a collection");
                }
                if !matches!(tag, 0x01 | 0x02 | 0x04 | 0x05 | 0x09) {
                    return bad(at, "unknown attribute group tag");
                }
                *groups += 1;
                if *groups > MAX_GROUPS {
                    return bad(at, "too many attribute groups");
                }
                *in_group = true;
                *have_attr = false;
                at += 1;
            }
            0x10..=0x4a => {
                if !*in_group {
                    return bad(at, "attribute value before any group delimiter");
                }
                let Some(name_len) = u16_at(buf, at + 1) else { return (Ok(Scan::NeedMore), at) };
                let name_at = at + 3;
                let Some(value_len) = u16_at(buf, name_at + name_len) else {
                    let verdict = if name_at + name_len + 2 > MAX_ATTRIBUTES_LEN {
                        Err(WireError::TooLarge)
                    } else {
                        Ok(Scan::NeedMore)
                    };
                    return (verdict, at);
                };
                let value_at = name_at + name_len + 2;
                let end = value_at + value_len;
                if end > MAX_ATTRIBUTES_LEN {
                    return (Err(WireError::TooLarge), at);
                }
                if buf.len() < end {
                    return (Ok(Scan::NeedMore), at);
                }
                let name = &buf[name_at..name_at + name_len];
                let value = &buf[value_at..end];
                if name_len == 0 && !*have_attr && *depth == 0 {
                    return bad(at, "additional value without an attribute");
                }
                if name_len > 0 && !name.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')) {
                    return bad(name_at, "attribute name has characters outside [A-Za-z0-9._-]");
                }
                match tag {
                    TAG_BEG_COLLECTION => {
                        *depth += 1;
                        if *depth > MAX_DEPTH {
                            return bad(at, "collections nested too deeply");
                        }
                    }
                    TAG_END_COLLECTION => {
                        if *depth == 0 {
                            return bad(at, "end-collection without begin-collection");
                        }
                        if name_len != 0 || value_len != 0 {
                            return bad(at, "end-collection with a name or value");
                        }
                        *depth -= 1;
                    }
                    TAG_MEMBER_NAME => {
                        if *depth == 0 {
                            return bad(at, "member name outside a collection");
                        }
                        if value_len == 0 {
                            return bad(at, "empty member name");
                        }
                    }
                    TAG_TEXT_LANG | TAG_NAME_LANG => {
                        let Some(lang_len) = u16_at(value, 0) else { return bad(value_at, "language length missing") };
                        let Some(text_len) = u16_at(value, 2 + lang_len) else {
                            return bad(value_at, "text length missing");
                        };
                        if 4 + lang_len + text_len != value_len {
                            return bad(value_at, "inner lengths do not add up to the value length");
                        }
                    }
                    // Fixed sizes.
                    tag::INTEGER | tag::ENUM if value_len != 4 => {
                        return bad(at, "integer or enum value is not 4 bytes");
                    }
                    tag::BOOLEAN if value_len != 1 => return bad(at, "boolean value is not 1 byte"),
                    tag::DATE_TIME if value_len != 11 => return bad(at, "dateTime value is not 11 bytes"),
                    tag::RESOLUTION if value_len != 9 => return bad(at, "resolution value is not 9 bytes"),
                    tag::RANGE if value_len != 8 => return bad(at, "rangeOfInteger value is not 8 bytes"),
                    _ => {}
                }
                if name_len > 0 {
                    *have_attr = true;
                }
                at = end;
            }
            _ => return bad(at, "unknown value tag"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(tag: u8, name: &str, value: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        v.extend(u16::try_from(name.len()).expect("short name").to_be_bytes());
        v.extend(name.as_bytes());
        v.extend(u16::try_from(value.len()).expect("short value").to_be_bytes());
        v.extend(value);
        v
    }

    fn minimal() -> Vec<u8> {
        let mut m = vec![2, 0, 0, 0x0b, 0, 0, 0, 1, 0x01];
        m.extend(attr(0x47, "attributes-charset", b"utf-8"));
        m.extend(attr(0x48, "attributes-natural-language", b"en"));
        m.extend(attr(0x45, "printer-uri", b"ipps://localhost/ipp/print"));
        m.push(0x03);
        m
    }

    #[test]
    fn complete_message_and_payload_offset() {
        let mut m = minimal();
        let n = m.len();
        m.extend(b"%PDF-1.7");
        let Ok(Scan::Complete(f)) = scan(&m) else { panic!("complete") };
        assert_eq!(f.data_at(), n);
        let h = f.header();
        assert_eq!((h.version, h.code, h.request_id), (0x200, 0x0b, 1));
        assert_eq!(header(&m), Some(h));
    }

    /// Random mutations of a valid message (flipped bytes, extreme lengths,
    /// cuts and splices) never panic, and a verdict never changes when more
    /// bytes arrive after it.
    #[test]
    fn mutated_messages_never_panic() {
        let base = minimal();
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1du64);
        for _ in 0..20_000 {
            let mut m = base.clone();
            for _ in 0..=(next() % 4) {
                let at = usize::try_from(next() % m.len() as u64).unwrap_or(0);
                match next() % 4 {
                    0 => m[at] = next().to_le_bytes()[0],
                    1 => m[at] = [0x00, 0x7f, 0x80, 0xff][usize::try_from(next() % 4).unwrap_or(0)],
                    2 => m.truncate(at.max(1)),
                    _ => {
                        let extra: Vec<u8> = (0..next() % 16).map(|_| next().to_le_bytes()[0]).collect();
                        m.splice(at..at, extra);
                    }
                }
            }
            if let Ok(Scan::Complete(f)) = scan(&m) {
                assert!(f.data_at() <= m.len());
                let mut longer = m.clone();
                longer.extend_from_slice(b"document bytes");
                assert_eq!(scan(&longer).ok(), Some(Scan::Complete(f)));
            }
        }
    }

    #[test]
    fn every_prefix_needs_more() {
        let m = minimal();
        for cut in 0..m.len() {
            assert_eq!(scan(&m[..cut]), Ok(Scan::NeedMore), "cut at {cut}");
        }
    }

    #[test]
    fn broken_framing_is_refused() {
        let mut m = minimal();
        m[8] = 0x47; // value before a group
        assert!(scan(&m).is_err());
        let mut m = minimal();
        let i = m.len() - 1;
        m[i] = 0x7f; // extension tag instead of end
        assert!(scan(&m).is_err());
        // text-with-language whose inner length lies (crashes naive parsers).
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1, 0x01];
        m.extend(attr(0x35, "job-name", &[0, 2, b'e', b'n', 0xff, 0xff, b'x']));
        m.push(3);
        assert!(matches!(scan(&m), Err(WireError::Malformed { .. })));
        // unbalanced collection
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1, 0x02];
        m.extend(attr(0x34, "media-col", b""));
        m.push(3);
        assert!(scan(&m).is_err());
        // wrong-size integer
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1, 0x02];
        m.extend(attr(0x21, "copies", &[0, 1]));
        m.push(3);
        assert!(scan(&m).is_err());
    }

    #[test]
    fn oversized_attribute_sections_are_refused_early() {
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1, 0x01];
        while m.len() <= MAX_ATTRIBUTES_LEN {
            m.extend(attr(0x41, "job-name", &[b'a'; 1000]));
        }
        assert_eq!(scan(&m), Err(WireError::TooLarge));
    }

    #[test]
    fn nested_collections_balance() {
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1, 0x02];
        m.extend(attr(0x34, "media-col", b""));
        m.extend(attr(0x4a, "", b"media-size"));
        m.extend(attr(0x34, "", b""));
        m.extend(attr(0x4a, "", b"x-dimension"));
        m.extend(attr(0x21, "", &21000i32.to_be_bytes()));
        m.extend(attr(0x37, "", b""));
        m.extend(attr(0x37, "", b""));
        m.push(3);
        assert!(matches!(scan(&m), Ok(Scan::Complete(_))));
    }

    /// Regression (security review, finding 1): every arriving body frame
    /// rescanned the attributes from the start, so a request trickled in
    /// one byte at a time cost the square of its length.
    #[test]
    fn a_trickled_message_is_scanned_in_linear_time_with_the_same_verdict() {
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1];
        for i in 0..1000 {
            m.push(0x02);
            m.extend(attr(0x21, "copies", &i32::to_be_bytes(i)));
        }
        m.push(0x03);
        let mut s = Scanner::default();
        let mut last = Ok(Scan::NeedMore);
        for n in 1..=m.len() {
            last = s.scan(&m[..n]);
            if n < m.len() {
                assert_eq!(last, Ok(Scan::NeedMore), "at {n}");
            }
        }
        assert_eq!(last, scan(&m));
        assert!(matches!(last, Ok(Scan::Complete(_))));
        assert!(s.examined() <= 2 * m.len(), "{} bytes examined for a {}-byte message", s.examined(), m.len());
    }

    /// Regression (security review, finding 1): group tags cost nothing to
    /// send, so their number is capped.
    #[test]
    fn a_flood_of_group_tags_is_refused() {
        let mut m = vec![2, 0, 0, 2, 0, 0, 0, 1];
        m.extend(std::iter::repeat_n(0x01, MAX_GROUPS + 1));
        assert!(matches!(scan(&m), Err(WireError::Malformed { what: "too many attribute groups", .. })));
        let mut s = Scanner::default();
        let refused = (9..=m.len()).map(|n| s.scan(&m[..n])).find(Result::is_err);
        assert!(refused.is_some(), "trickled, too");
    }
}

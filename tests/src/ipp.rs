//! IPP for tests, on the appliance's own codec
//! ([`local_connector::ipp::codec`]): requests built value by value (raw
//! tags included, to send what a broken or hostile client would) and the
//! bits of answers tests look at. The codec itself is checked against
//! messages captured from CUPS, ipptool and ippeveprinter.

use local_connector::ipp::codec::{self, Message, Scan, Writer};

/// Value tags.
pub use codec::tag;

/// Builds one request.
#[derive(Debug, Clone)]
pub struct Request(Writer);

impl Request {
    /// Version 2.0, `op`, `request_id`, with the operation group opened and
    /// the charset, natural language and `printer-uri` in it.
    pub fn new(op: u16, request_id: i32, printer_uri: &str) -> Request {
        Request(Writer::request(op, request_id, printer_uri))
    }

    /// Version 2.0, `op`, `request_id`, the operation group opened and
    /// empty: the caller writes every attribute.
    pub fn bare(op: u16, request_id: i32) -> Request {
        let mut w = Writer::bare(0x0200, op, request_id);
        w.group(codec::group::OPERATION);
        Request(w)
    }

    /// One value as it goes on the wire, unchecked.
    pub fn attr(&mut self, tag: u8, name: &str, value: &[u8]) -> &mut Request {
        self.0.raw(tag, name, value);
        self
    }

    /// Open the job attributes group.
    pub fn job_group(&mut self) -> &mut Request {
        self.0.job_group();
        self
    }

    /// The message so far, ended, with `data` after it.
    pub fn finish(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = self.0.clone().finish();
        out.extend_from_slice(data);
        out
    }
}

/// An answer's `status-code`.
pub fn status(resp: &[u8]) -> Option<u16> {
    codec::wire::header(resp).map(|h| u16::from_be_bytes(h.code.to_be_bytes()))
}

/// An answer, read.
pub fn read(resp: &[u8]) -> Option<Message> {
    match codec::scan(resp) {
        Ok(Scan::Complete(f)) => Message::read(&f, resp).ok(),
        _ => None,
    }
}

/// The first integer (or enum) value of `name` in any group of an answer.
pub fn integer(resp: &[u8], name: &str) -> Option<i32> {
    read(resp)?.groups.iter().find_map(|g| g.integer(name))
}

/// `Authorization` header value for Basic credentials.
pub fn basic(user: &str, password: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let raw = format!("{user}:{password}");
    let b = raw.as_bytes();
    let mut out = String::from("Basic ");
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

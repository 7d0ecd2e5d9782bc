//! A minimal IPP request builder and response reader for tests, written from
//! RFC 8010 independently of the appliance's codec, so that the two check
//! each other.

/// Value tags used by tests.
pub mod tag {
    /// integer
    pub const INTEGER: u8 = 0x21;
    /// boolean
    pub const BOOLEAN: u8 = 0x22;
    /// keyword
    pub const KEYWORD: u8 = 0x44;
    /// uri
    pub const URI: u8 = 0x45;
    /// charset
    pub const CHARSET: u8 = 0x47;
    /// naturalLanguage
    pub const LANGUAGE: u8 = 0x48;
    /// mimeMediaType
    pub const MIME: u8 = 0x49;
    /// nameWithoutLanguage
    pub const NAME: u8 = 0x42;
}

/// Builds one request.
#[derive(Debug)]
pub struct Request(Vec<u8>);

impl Request {
    /// Version 2.0, `op`, `request_id`, with the operation group opened and
    /// charset, language and printer-uri in place.
    pub fn new(op: u16, request_id: i32, printer_uri: &str) -> Request {
        let mut r = Request(Vec::new());
        r.0.extend([2, 0]);
        r.0.extend(op.to_be_bytes());
        r.0.extend(request_id.to_be_bytes());
        r.0.push(0x01);
        r.attr(tag::CHARSET, "attributes-charset", b"utf-8");
        r.attr(tag::LANGUAGE, "attributes-natural-language", b"en");
        r.attr(tag::URI, "printer-uri", printer_uri.as_bytes());
        r
    }

    /// Version 2.0, `op`, `request_id`, with an empty operation group.
    pub fn bare(op: u16, request_id: i32) -> Request {
        let mut r = Request(Vec::new());
        r.0.extend([2, 0]);
        r.0.extend(op.to_be_bytes());
        r.0.extend(request_id.to_be_bytes());
        r.0.push(0x01);
        r
    }

    /// Add an attribute to the current group.
    pub fn attr(&mut self, tag: u8, name: &str, value: &[u8]) -> &mut Request {
        self.0.push(tag);
        self.0.extend(u16::try_from(name.len()).expect("name length").to_be_bytes());
        self.0.extend(name.as_bytes());
        self.0.extend(u16::try_from(value.len()).expect("value length").to_be_bytes());
        self.0.extend(value);
        self
    }

    /// Open the job attributes group.
    pub fn job_group(&mut self) -> &mut Request {
        self.0.push(0x02);
        self
    }

    /// End the attributes and append document data.
    pub fn finish(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = self.0.clone();
        out.push(0x03);
        out.extend(data);
        out
    }
}

/// The status-code of an IPP response.
pub fn status(resp: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*resp.get(2)?, *resp.get(3)?]))
}

/// The first integer value of attribute `name` in a response (e.g. job-id).
pub fn integer(resp: &[u8], name: &str) -> Option<i32> {
    let needle = [&u16::try_from(name.len()).ok()?.to_be_bytes()[..], name.as_bytes()].concat();
    let at = resp.windows(needle.len()).position(|w| w == needle.as_slice())?;
    let v = at + needle.len();
    if resp.get(v..v + 2)? != [0, 4] {
        return None;
    }
    Some(i32::from_be_bytes(resp.get(v + 2..v + 6)?.try_into().ok()?))
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

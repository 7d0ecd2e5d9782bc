//! The IPP messages the release engine sends to printers, and what it reads
//! from their answers (RFC 8010 encoding, RFC 8011 operations). Sans-IO:
//! bytes in, values out.
//!
//! A printer's answer is hostile input. It is first checked by the strict
//! framing scan ([`crate::ipp::wire::scan`]), then read here with bounds
//! checks at every step; nothing in it can make this code panic or
//! allocate beyond the message's own size.

use crate::ipp::wire;

/// `Print-Job` (RFC 8011 §4.2.1).
pub const PRINT_JOB: u16 = 0x0002;
/// `Cancel-Job` (RFC 8011 §4.3.3).
pub const CANCEL_JOB: u16 = 0x0008;
/// `Get-Job-Attributes` (RFC 8011 §4.3.4).
pub const GET_JOB_ATTRIBUTES: u16 = 0x0009;
/// `Get-Jobs` (RFC 8011 §4.2.6).
pub const GET_JOBS: u16 = 0x000a;
/// `Get-Printer-Attributes` (RFC 8011 §4.2.5).
pub const GET_PRINTER_ATTRIBUTES: u16 = 0x000b;

/// `server-error-busy` (RFC 8011 §4.1.7.2): try again later.
pub const STATUS_BUSY: u16 = 0x0507;
/// `server-error-not-accepting-jobs`.
pub const STATUS_NOT_ACCEPTING: u16 = 0x0506;
/// `client-error-not-found`.
pub const STATUS_NOT_FOUND: u16 = 0x0406;

const GROUP_OPERATION: u8 = 0x01;
const GROUP_JOB: u8 = 0x02;
const GROUP_END: u8 = 0x03;
const GROUP_PRINTER: u8 = 0x04;

const TAG_INTEGER: u8 = 0x21;
const TAG_BOOLEAN: u8 = 0x22;
const TAG_ENUM: u8 = 0x23;
const TAG_TEXT: u8 = 0x41;
const TAG_NAME: u8 = 0x42;
const TAG_KEYWORD: u8 = 0x44;
const TAG_URI: u8 = 0x45;
const TAG_CHARSET: u8 = 0x47;
const TAG_LANGUAGE: u8 = 0x48;
const TAG_MIME: u8 = 0x49;
const TAG_TEXT_LANG: u8 = 0x35;
const TAG_NAME_LANG: u8 = 0x36;
const TAG_BEG_COLLECTION: u8 = 0x34;
const TAG_END_COLLECTION: u8 = 0x37;

/// RFC 8011 §5.1.3: name values are at most 255 octets; text 1023.
const MAX_NAME: usize = 255;
const MAX_TEXT: usize = 1023;

/// An IPP/2.0 request being built.
#[derive(Debug, Clone)]
pub struct Request {
    buf: Vec<u8>,
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a
/// character boundary.
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Request {
    /// A request for `operation` with the required operation attributes
    /// (charset, natural language, `printer-uri`), in that order.
    pub fn new(operation: u16, request_id: i32, printer_uri: &str) -> Request {
        let mut r = Request { buf: Vec::with_capacity(512) };
        r.buf.extend_from_slice(&[2, 0]);
        r.buf.extend_from_slice(&operation.to_be_bytes());
        r.buf.extend_from_slice(&request_id.to_be_bytes());
        r.buf.push(GROUP_OPERATION);
        r.value(TAG_CHARSET, "attributes-charset", b"utf-8");
        r.value(TAG_LANGUAGE, "attributes-natural-language", b"en");
        r.value(TAG_URI, "printer-uri", printer_uri.as_bytes());
        r
    }

    /// One value; an empty `name` makes it an additional value of the
    /// attribute before. Values longer than a length field holds are cut.
    fn value(&mut self, tag: u8, name: &str, value: &[u8]) -> &mut Request {
        let name = clip(name, MAX_NAME).as_bytes();
        let value = &value[..value.len().min(usize::from(u16::MAX))];
        self.buf.push(tag);
        self.buf.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_be_bytes());
        self.buf.extend_from_slice(name);
        self.buf.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_be_bytes());
        self.buf.extend_from_slice(value);
        self
    }

    /// A `keyword` attribute.
    pub fn keyword(&mut self, name: &str, v: &str) -> &mut Request {
        self.value(TAG_KEYWORD, name, v.as_bytes())
    }

    /// A `1setOf keyword` attribute.
    pub fn keywords(&mut self, name: &str, vs: &[&str]) -> &mut Request {
        for (i, v) in vs.iter().enumerate() {
            self.value(TAG_KEYWORD, if i == 0 { name } else { "" }, v.as_bytes());
        }
        self
    }

    /// A `name` attribute (nameWithoutLanguage, at most 255 octets).
    pub fn name(&mut self, name: &str, v: &str) -> &mut Request {
        self.value(TAG_NAME, name, clip(v, MAX_NAME).as_bytes())
    }

    /// A `text` attribute (textWithoutLanguage, at most 1023 octets).
    pub fn text(&mut self, name: &str, v: &str) -> &mut Request {
        self.value(TAG_TEXT, name, clip(v, MAX_TEXT).as_bytes())
    }

    /// A `mimeMediaType` attribute.
    pub fn mime(&mut self, name: &str, v: &str) -> &mut Request {
        self.value(TAG_MIME, name, v.as_bytes())
    }

    /// An `integer` attribute.
    pub fn integer(&mut self, name: &str, v: i32) -> &mut Request {
        self.value(TAG_INTEGER, name, &v.to_be_bytes())
    }

    /// A `boolean` attribute.
    pub fn boolean(&mut self, name: &str, v: bool) -> &mut Request {
        self.value(TAG_BOOLEAN, name, &[u8::from(v)])
    }

    /// Start the job attributes group.
    pub fn job_group(&mut self) -> &mut Request {
        self.buf.push(GROUP_JOB);
        self
    }

    /// The encoded attribute section, ended; document data may follow it.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.buf);
        b.push(GROUP_END);
        b
    }
}

/// One value of an attribute in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `integer` or `enum`.
    Integer(i32),
    /// `boolean`.
    Boolean(bool),
    /// A string type: text, name (with or without language), keyword, uri,
    /// charset, language, mimeMediaType. Invalid UTF-8 is replaced.
    Text(String),
    /// Anything else (dates, resolutions, ranges, octets, collections).
    Other,
}

/// An attribute of an answer: its name and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<Value>,
}

/// An attribute group of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's delimiter tag (1 operation, 2 job, 4 printer, 5 unsupported).
    pub tag: u8,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

impl Group {
    fn find(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The first integer or enum value of `name`.
    pub fn integer(&self, name: &str) -> Option<i32> {
        self.find(name)?.values.iter().find_map(|v| match v {
            Value::Integer(i) => Some(*i),
            _ => None,
        })
    }

    /// The first boolean value of `name`.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.find(name)?.values.iter().find_map(|v| match v {
            Value::Boolean(b) => Some(*b),
            _ => None,
        })
    }

    /// Every string value of `name`.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.find(name)
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Text(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first string value of `name`.
    pub fn string(&self, name: &str) -> Option<String> {
        self.strings(name).into_iter().next()
    }
}

/// A printer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `status-code`.
    pub status: u16,
    /// `request-id`, as echoed.
    pub request_id: i32,
    /// Its attribute groups, in order.
    pub groups: Vec<Group>,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The framing is broken.
    #[error(transparent)]
    Wire(#[from] wire::WireError),
    /// The answer ended before its attributes did.
    #[error("the answer ends inside its attributes")]
    Truncated,
}

impl Response {
    /// Whether the status is one of the successful ones (0x0000-0x00ff).
    pub fn is_success(&self) -> bool {
        self.status < 0x0100
    }

    /// The operation attributes group.
    pub fn operation(&self) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == GROUP_OPERATION)
    }

    /// The first printer attributes group.
    pub fn printer(&self) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == GROUP_PRINTER)
    }

    /// Every job attributes group (one per job in a `Get-Jobs` answer).
    pub fn jobs(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| g.tag == GROUP_JOB)
    }

    /// `status-message`, if the printer gave one.
    pub fn message(&self) -> Option<String> {
        self.operation().and_then(|g| g.string("status-message"))
    }
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])))
}

/// Read an answer. Bytes after its attributes (there should be none) are
/// ignored.
pub fn parse(bytes: &[u8]) -> Result<Response, ResponseError> {
    let data_at = match wire::scan(bytes)? {
        wire::Scan::Complete { data_at } => data_at,
        wire::Scan::NeedMore => return Err(ResponseError::Truncated),
    };
    let head = wire::header(bytes).ok_or(ResponseError::Truncated)?;
    let mut groups: Vec<Group> = Vec::new();
    let mut at = 8;
    let mut depth = 0usize;
    while at < data_at {
        let tag = *bytes.get(at).ok_or(ResponseError::Truncated)?;
        if tag < 0x10 {
            if tag == GROUP_END {
                break;
            }
            groups.push(Group { tag, attributes: Vec::new() });
            at += 1;
            continue;
        }
        let name_len = be16(bytes, at + 1).ok_or(ResponseError::Truncated)?;
        let name_at = at + 3;
        let value_len = be16(bytes, name_at + name_len).ok_or(ResponseError::Truncated)?;
        let value_at = name_at + name_len + 2;
        let name = bytes.get(name_at..name_at + name_len).ok_or(ResponseError::Truncated)?;
        let raw = bytes.get(value_at..value_at + value_len).ok_or(ResponseError::Truncated)?;
        at = value_at + value_len;
        // Collections are skipped whole: their members are not read here.
        match tag {
            TAG_BEG_COLLECTION => depth += 1,
            TAG_END_COLLECTION => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => {}
        }
        if depth > 0 && !(tag == TAG_BEG_COLLECTION && depth == 1) {
            continue;
        }
        let value = match tag {
            TAG_INTEGER | TAG_ENUM => {
                raw.try_into().map(|b: [u8; 4]| Value::Integer(i32::from_be_bytes(b))).unwrap_or(Value::Other)
            }
            TAG_BOOLEAN => Value::Boolean(raw.first().is_some_and(|b| *b != 0)),
            TAG_TEXT_LANG | TAG_NAME_LANG => {
                let lang = be16(raw, 0).unwrap_or(0);
                let text = raw.get(4 + lang..).unwrap_or_default();
                Value::Text(String::from_utf8_lossy(text).into_owned())
            }
            0x41..=0x49 => Value::Text(String::from_utf8_lossy(raw).into_owned()),
            _ => Value::Other,
        };
        let Some(g) = groups.last_mut() else { continue };
        if name.is_empty() {
            if let Some(a) = g.attributes.last_mut() {
                a.values.push(value);
            }
        } else {
            g.attributes.push(Attribute { name: String::from_utf8_lossy(name).into_owned(), values: vec![value] });
        }
    }
    Ok(Response { status: u16::from_be_bytes(head.code.to_be_bytes()), request_id: head.request_id, groups })
}

/// RFC 8011 §5.3.7 `job-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// 3 `pending`.
    Pending,
    /// 4 `pending-held`.
    Held,
    /// 5 `processing`.
    Processing,
    /// 6 `processing-stopped`: the printer stopped (a jam, no paper...).
    Stopped,
    /// 7 `canceled`.
    Canceled,
    /// 8 `aborted`.
    Aborted,
    /// 9 `completed`.
    Completed,
}

impl JobState {
    /// From the enum value; `None` for a value RFC 8011 does not define.
    pub fn from_enum(v: i32) -> Option<JobState> {
        Some(match v {
            3 => JobState::Pending,
            4 => JobState::Held,
            5 => JobState::Processing,
            6 => JobState::Stopped,
            7 => JobState::Canceled,
            8 => JobState::Aborted,
            9 => JobState::Completed,
            _ => return None,
        })
    }

    /// Whether the job has ended (RFC 8011: canceled, aborted, completed).
    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Canceled | JobState::Aborted | JobState::Completed)
    }

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Held => "pending-held",
            JobState::Processing => "processing",
            JobState::Stopped => "processing-stopped",
            JobState::Canceled => "canceled",
            JobState::Aborted => "aborted",
            JobState::Completed => "completed",
        }
    }
}

/// The job name sent with a job: its document name, then a tag with the
/// start of its id, by which a retry recognises it on the printer.
pub fn job_name(meta: &crate::store::JobMeta) -> String {
    let tag = format!(" [pp-{}]", &meta.id.to_string()[..16]);
    let mut name: String = meta.document_name.chars().filter(|c| !c.is_control()).collect();
    if name.trim().is_empty() {
        name = "Document".into();
    }
    while name.len() + tag.len() > 255 {
        name.pop();
    }
    name + &tag
}

/// A job's `job-state`, as the printer reported it.
pub(super) fn state_of(g: &Group) -> Option<JobState> {
    g.integer("job-state").and_then(JobState::from_enum)
}

/// A job's `job-state-reasons` (less `none`) and `job-state-message`, in words.
pub(super) fn reasons_of(g: &Group) -> Option<String> {
    let r: Vec<String> = g.strings("job-state-reasons").into_iter().filter(|r| r != "none").collect();
    let msg = g.string("job-state-message").filter(|m| !m.trim().is_empty());
    match (r.is_empty(), msg) {
        (true, None) => None,
        (true, Some(m)) => Some(m),
        (false, None) => Some(r.join(", ")),
        (false, Some(m)) => Some(format!("{}: {m}", r.join(", "))),
    }
}

/// A printer's refusal, with its `status-message` when it gave one.
pub(super) fn refused(resp: &Response) -> super::ReleaseError {
    super::ReleaseError::Refused(resp.message().unwrap_or_else(|| format!("IPP status {:#06x}", resp.status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Vec<u8> {
        // A Get-Printer-Attributes answer as a printer sends it, with a
        // collection and a text-with-language value among what is read.
        let mut r = Request::new(0, 7, "ipp://x/");
        r.buf[2..4].copy_from_slice(&0x0001u16.to_be_bytes());
        r.text("status-message", "successful-ok-ignored-or-substituted-attributes");
        r.buf.push(GROUP_PRINTER);
        r.mime("document-format-supported", "application/pdf");
        r.value(TAG_MIME, "", b"image/pwg-raster");
        r.integer("printer-state", 3);
        r.boolean("color-supported", true);
        r.value(TAG_BEG_COLLECTION, "media-col-default", b"");
        r.value(0x4a, "", b"media-size");
        r.value(TAG_BEG_COLLECTION, "", b"");
        r.value(0x4a, "", b"x-dimension");
        r.value(TAG_INTEGER, "", &21000i32.to_be_bytes());
        r.value(TAG_END_COLLECTION, "", b"");
        r.value(TAG_END_COLLECTION, "", b"");
        let mut with_lang = vec![0, 2, b'e', b'n', 0, 4];
        with_lang.extend_from_slice(b"Idle");
        r.value(TAG_TEXT_LANG, "printer-state-message", &with_lang);
        r.keywords("printer-state-reasons", &["none"]);
        r.finish()
    }

    #[test]
    fn a_printer_answer_is_read_with_collections_skipped() {
        let resp = parse(&answer()).expect("parse");
        assert_eq!((resp.status, resp.request_id), (1, 7));
        assert!(resp.is_success());
        let p = resp.printer().expect("printer group");
        assert_eq!(p.strings("document-format-supported"), ["application/pdf", "image/pwg-raster"]);
        assert_eq!(p.integer("printer-state"), Some(3));
        assert_eq!(p.boolean("color-supported"), Some(true));
        assert_eq!(p.string("printer-state-message").as_deref(), Some("Idle"));
        assert_eq!(p.strings("printer-state-reasons"), ["none"]);
        assert!(p.integer("x-dimension").is_none(), "collection members are not attributes");
        assert_eq!(resp.message().as_deref(), Some("successful-ok-ignored-or-substituted-attributes"));
    }

    #[test]
    fn requests_are_framed_as_the_strict_scanner_expects() {
        let long = "é".repeat(400);
        let mut r = Request::new(PRINT_JOB, 1, "ipps://printer:631/ipp/print");
        r.name("requesting-user-name", "alice").name("job-name", &long).mime("document-format", "application/pdf");
        r.job_group().integer("copies", 2).keywords("sides", &["two-sided-long-edge"]);
        let bytes = r.finish();
        assert!(matches!(wire::scan(&bytes), Ok(wire::Scan::Complete { data_at }) if data_at == bytes.len()));
        let back = parse(&bytes).expect("parse");
        let op = back.operation().expect("op");
        let name = op.string("job-name").expect("job-name");
        assert!(name.len() <= MAX_NAME && long.starts_with(&name), "names are cut on a character boundary");
        assert_eq!(back.jobs().next().and_then(|j| j.integer("copies")), Some(2));
    }

    #[test]
    fn hostile_answers_never_panic() {
        let good = answer();
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            let mut m = good.clone();
            for _ in 0..(next() % 6 + 1) {
                let i = usize::try_from(next() % m.len() as u64).unwrap_or(0);
                match next() % 3 {
                    0 => m[i] = u8::try_from(next() & 0xff).unwrap_or(0),
                    1 => m.truncate(i),
                    _ => m.insert(i, u8::try_from(next() & 0xff).unwrap_or(0)),
                }
                if m.is_empty() {
                    break;
                }
            }
            let _ = parse(&m);
        }
        assert_eq!(parse(&good[..good.len() - 1]), Err(ResponseError::Truncated));
    }

    #[test]
    fn job_states_follow_rfc_8011() {
        assert_eq!(JobState::from_enum(9), Some(JobState::Completed));
        assert!(JobState::from_enum(8).is_some_and(JobState::is_terminal));
        assert!(!JobState::from_enum(6).is_some_and(JobState::is_terminal));
        assert_eq!(JobState::from_enum(42), None);
    }
}

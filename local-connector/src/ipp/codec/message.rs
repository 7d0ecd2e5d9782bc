//! Reading a message: the groups and attributes of a request or an answer,
//! with typed accessors. Values are the `ipp` crate's model; they are read
//! only from bytes whose framing [`super::wire::scan`] checked (the
//! [`Framed`] proof), because the crate's parser trusts inner lengths.

use super::wire::{Framed, Header};
use ipp::prelude::*;

/// Group delimiter tags (RFC 8010 §3.5.1).
pub mod group {
    /// `operation-attributes-tag`.
    pub const OPERATION: u8 = 0x01;
    /// `job-attributes-tag`.
    pub const JOB: u8 = 0x02;
    /// `printer-attributes-tag`.
    pub const PRINTER: u8 = 0x04;
    /// `unsupported-attributes-tag`.
    pub const UNSUPPORTED: u8 = 0x05;
}

/// A read message: a request (`code` is the operation) or an answer
/// (`code` is the status).
#[derive(Debug, Clone)]
pub struct Message {
    /// The header.
    pub header: Header,
    /// Its attribute groups, in order.
    pub groups: Vec<Group>,
}

/// An attribute group.
#[derive(Debug, Clone)]
pub struct Group {
    /// The delimiter tag ([`group`]).
    pub tag: u8,
    /// Its attributes, in order.
    pub attributes: Vec<IppAttribute>,
}

/// Why a framed message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable IPP attributes: {0}")]
pub struct ReadError(String);

/// The string of a string-typed value (text, name, keyword, uri, charset,
/// language, mimeMediaType), or of the first value of a 1setOf.
pub fn first_string(v: &IppValue) -> Option<String> {
    let v = match v {
        IppValue::Array(a) => a.first()?,
        other => other,
    };
    Some(match v {
        IppValue::Keyword(s) => s.to_string(),
        IppValue::NameWithoutLanguage(s) => s.to_string(),
        IppValue::NameWithLanguage { name, .. } => name.to_string(),
        IppValue::TextWithoutLanguage(s) => s.to_string(),
        IppValue::TextWithLanguage { text, .. } => text.to_string(),
        IppValue::MimeMediaType(s) => s.to_string(),
        IppValue::Uri(s) => s.to_string(),
        IppValue::UriScheme(s) => s.to_string(),
        IppValue::Charset(s) => s.to_string(),
        IppValue::NaturalLanguage(s) => s.to_string(),
        IppValue::NonUtf8 { data, .. } => String::from_utf8_lossy(data).into_owned(),
        _ => return None,
    })
}

/// Every string of a value or 1setOf.
pub fn strings(v: &IppValue) -> Vec<String> {
    match v {
        IppValue::Array(a) => a.iter().filter_map(first_string).collect(),
        other => first_string(other).into_iter().collect(),
    }
}

/// The integer or enum of a value, or of the first value of a 1setOf.
pub fn first_integer(v: &IppValue) -> Option<i32> {
    match v {
        IppValue::Integer(i) | IppValue::Enum(i) => Some(*i),
        IppValue::Array(a) => a.first().and_then(first_integer),
        _ => None,
    }
}

impl Group {
    /// The value of attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&IppValue> {
        self.attributes.iter().find(|a| a.name().as_str() == name).map(IppAttribute::value)
    }

    /// The first integer or enum value of `name`.
    pub fn integer(&self, name: &str) -> Option<i32> {
        self.get(name).and_then(first_integer)
    }

    /// Every integer or enum value of `name`.
    pub fn integers(&self, name: &str) -> Vec<i32> {
        match self.get(name) {
            Some(IppValue::Array(a)) => a.iter().filter_map(first_integer).collect(),
            Some(v) => first_integer(v).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// The first boolean value of `name`.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            IppValue::Boolean(b) => Some(*b),
            IppValue::Array(a) => a.iter().find_map(|v| match v {
                IppValue::Boolean(b) => Some(*b),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Every string value of `name`.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.get(name).map(strings).unwrap_or_default()
    }

    /// The first string value of `name`.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(first_string)
    }
}

impl Message {
    /// Read the attribute section of `bytes`, whose framing `framed` checked.
    pub fn read(framed: &Framed, bytes: &[u8]) -> Result<Message, ReadError> {
        let attrs = bytes.get(..framed.data_at()).ok_or_else(|| ReadError("shorter than its framing".into()))?;
        let parser = ipp::parser::IppParser::new(std::io::Cursor::new(attrs.to_vec()));
        let (_, parsed, _) = parser.parse_parts().map_err(|e| ReadError(e.to_string()))?;
        let groups = parsed
            .into_groups()
            .into_iter()
            .map(|g| Group { tag: g.tag() as u8, attributes: g.into_attributes() })
            .collect();
        Ok(Message { header: framed.header(), groups })
    }

    /// `status-code` (an answer) or `operation-id` (a request), unsigned.
    pub fn code(&self) -> u16 {
        u16::from_be_bytes(self.header.code.to_be_bytes())
    }

    /// Whether an answer's status is one of the successful ones.
    pub fn is_success(&self) -> bool {
        super::status::is_success(self.code())
    }

    /// The (first) operation attributes group.
    pub fn operation(&self) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == group::OPERATION)
    }

    /// The first printer attributes group.
    pub fn printer(&self) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == group::PRINTER)
    }

    /// Every job attributes group (one per job in a `Get-Jobs` answer).
    pub fn jobs(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().filter(|g| g.tag == group::JOB)
    }

    /// `status-message`, if the answer gave one.
    pub fn message(&self) -> Option<String> {
        self.operation().and_then(|g| g.string("status-message"))
    }
}

//! Writing a message: the header, then groups in the order given, each
//! attribute encoded by the `ipp` crate's value model ([`Attrs`] builds
//! them with every string cut to its syntax's limit), then the
//! end-of-attributes tag. Document data, if any, follows what
//! [`Writer::finish`] returns.

use super::attrs::Attrs;
use super::message::group;
use ipp::prelude::*;

/// A message being written.
#[derive(Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// Only the header: `version` (0x0200 for 2.0), `code` (operation or
    /// status) and `request_id`. Groups follow with [`Writer::group`].
    pub fn bare(version: u16, code: u16, request_id: i32) -> Writer {
        let mut buf = Vec::with_capacity(512);
        buf.extend_from_slice(&version.to_be_bytes());
        buf.extend_from_slice(&code.to_be_bytes());
        buf.extend_from_slice(&request_id.to_be_bytes());
        Writer { buf }
    }

    /// An IPP/2.0 request for `operation` with the operation attributes
    /// RFC 8011 §4.1.4 puts first (charset, natural language), then
    /// `printer-uri`; more operation attributes may follow.
    pub fn request(operation: u16, request_id: i32, printer_uri: &str) -> Writer {
        let mut w = Writer::bare(0x0200, operation, request_id);
        w.group(group::OPERATION).natural_first();
        w.attrs_with(|a| a.uri("printer-uri", printer_uri));
        w
    }

    /// An answer with `status`, echoing the request's `version` (1.x or
    /// 2.x; anything else is answered as 1.1) and `request_id`, with the
    /// charset and natural language first.
    pub fn response(version: u16, status: u16, request_id: i32) -> Writer {
        let version = if matches!(version >> 8, 1 | 2) { version } else { 0x0101 };
        let mut w = Writer::bare(version, status, request_id);
        w.group(group::OPERATION).natural_first();
        w
    }

    fn natural_first(&mut self) -> &mut Writer {
        self.attrs_with(|a| {
            a.charsets("attributes-charset", &["utf-8"]);
            a.languages("attributes-natural-language", &["en"]);
        })
    }

    /// Start a group ([`group`] tags).
    pub fn group(&mut self, tag: u8) -> &mut Writer {
        self.buf.push(tag);
        self
    }

    /// Start the job attributes group.
    pub fn job_group(&mut self) -> &mut Writer {
        self.group(group::JOB)
    }

    /// Append built attributes to the current group.
    pub fn attrs(&mut self, a: Attrs) -> &mut Writer {
        for attr in &a.0 {
            self.attr(attr);
        }
        self
    }

    /// Append one attribute to the current group.
    pub fn attr(&mut self, a: &IppAttribute) -> &mut Writer {
        self.buf.extend_from_slice(&a.to_bytes());
        self
    }

    fn attrs_with(&mut self, f: impl FnOnce(&mut Attrs)) -> &mut Writer {
        let mut a = Attrs::default();
        f(&mut a);
        self.attrs(a)
    }

    /// One value as it goes on the wire, with no check at all: for tests
    /// that send what a hostile or broken client would. An empty `name`
    /// makes it an additional value of the attribute before.
    pub fn raw(&mut self, tag: u8, name: &str, value: &[u8]) -> &mut Writer {
        let len = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
        self.buf.push(tag);
        self.buf.extend_from_slice(&len(name.len()));
        self.buf.extend_from_slice(&name.as_bytes()[..name.len().min(usize::from(u16::MAX))]);
        self.buf.extend_from_slice(&len(value.len()));
        self.buf.extend_from_slice(&value[..value.len().min(usize::from(u16::MAX))]);
        self
    }

    /// A `keyword` attribute.
    pub fn keyword(&mut self, name: &str, v: &str) -> &mut Writer {
        self.attrs_with(|a| a.keyword(name, v))
    }

    /// A `1setOf keyword` attribute.
    pub fn keywords(&mut self, name: &str, vs: &[&str]) -> &mut Writer {
        self.attrs_with(|a| a.keywords(name, vs))
    }

    /// A `name` attribute (nameWithoutLanguage, at most 255 octets).
    pub fn name(&mut self, name: &str, v: &str) -> &mut Writer {
        self.attrs_with(|a| a.name(name, v))
    }

    /// A `text` attribute (textWithoutLanguage, at most 1023 octets).
    pub fn text(&mut self, name: &str, v: &str) -> &mut Writer {
        self.attrs_with(|a| a.text(name, v))
    }

    /// A `mimeMediaType` attribute.
    pub fn mime(&mut self, name: &str, v: &str) -> &mut Writer {
        self.attrs_with(|a| a.mime(name, v))
    }

    /// A `uri` attribute.
    pub fn uri(&mut self, name: &str, v: &str) -> &mut Writer {
        self.attrs_with(|a| a.uri(name, v))
    }

    /// An `integer` attribute.
    pub fn integer(&mut self, name: &str, v: i32) -> &mut Writer {
        self.attrs_with(|a| a.integer(name, v))
    }

    /// A `boolean` attribute.
    pub fn boolean(&mut self, name: &str, v: bool) -> &mut Writer {
        self.attrs_with(|a| a.boolean(name, v))
    }

    /// The encoded attribute section, ended; document data may follow it.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.buf);
        b.push(0x03);
        b
    }
}

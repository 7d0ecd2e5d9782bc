//! Printer URIs, and the transports, keyed by their URI scheme.
//!
//! | scheme | transport | encrypted | default port |
//! |---|---|---|---|
//! | `ipps` | IPP over HTTPS (RFC 7472) | yes | 631 |
//! | `ipp` | IPP over HTTP (RFC 8010) | no: dangerous | 631 |
//! | `socket` | RAW, also called JetDirect or AppSocket | no: dangerous | 9100 |

use super::ReleaseError;

/// A transport, named by its URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ipps`: IPP over TLS.
    Ipps,
    /// `ipp`: IPP in plaintext.
    Ipp,
    /// `socket`: the document alone, in plaintext, to port 9100.
    Socket,
}

/// The transports, by scheme: the registry the engine looks a URI up in.
pub const TRANSPORTS: &[(&str, Scheme, u16)] =
    &[("ipps", Scheme::Ipps, 631), ("ipp", Scheme::Ipp, 631), ("socket", Scheme::Socket, 9100)];

impl Scheme {
    /// The scheme's name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Ipps => "ipps",
            Scheme::Ipp => "ipp",
            Scheme::Socket => "socket",
        }
    }

    /// Whether documents travel in plaintext.
    pub fn is_plaintext(self) -> bool {
        !matches!(self, Scheme::Ipps)
    }

    fn default_port(self) -> u16 {
        TRANSPORTS.iter().find(|t| t.1 == self).map_or(631, |t| t.2)
    }
}

/// A parsed printer URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterUri {
    /// The transport.
    pub scheme: Scheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path, starting with `/` (IPP resource; unused for `socket`).
    pub path: String,
}

impl PrinterUri {
    /// Parse `scheme://host[:port][/path]`.
    pub fn parse(s: &str) -> Result<PrinterUri, ReleaseError> {
        let bad = |why: &str| ReleaseError::Misconfigured(format!("{s:?}: {why}"));
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("not a URI"))?;
        let scheme = TRANSPORTS
            .iter()
            .find(|t| t.0.eq_ignore_ascii_case(scheme))
            .map(|t| t.1)
            .ok_or_else(|| bad("the scheme must be ipps, ipp or socket"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("user information in a printer URI is not supported"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed [ in the address"))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() || !host.bytes().all(|c| c.is_ascii_alphanumeric() || b".-_:".contains(&c)) {
            return Err(bad("no valid host"));
        }
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("the port is not 1-65535"))?,
            None => scheme.default_port(),
        };
        let path = if path.is_empty() && scheme != Scheme::Socket { "/ipp/print" } else { path };
        Ok(PrinterUri { scheme, host: host.to_owned(), port, path: path.to_owned() })
    }

    /// The default URI of a printer at `address`: IPPS on 631.
    pub fn default_for(address: &str) -> Result<PrinterUri, ReleaseError> {
        let host = if address.contains(':') { format!("[{address}]") } else { address.to_owned() };
        PrinterUri::parse(&format!("ipps://{host}:631/ipp/print"))
    }

    /// The same printer over another transport (a fallback).
    pub fn with_scheme(&self, scheme: Scheme) -> PrinterUri {
        let port = if scheme == Scheme::Socket { scheme.default_port() } else { self.port };
        let path = if scheme == Scheme::Socket { String::new() } else { self.path.clone() };
        PrinterUri { scheme, host: self.host.clone(), port, path }
    }

    /// `host:port`, bracketing IPv6.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for PrinterUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme.name(), self.authority(), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_uris_parse_with_their_schemes_defaults() {
        let u = PrinterUri::parse("ipps://printer.example:8631/ipp/print").expect("parse");
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path.as_str()),
            (Scheme::Ipps, "printer.example", 8631, "/ipp/print")
        );
        let u = PrinterUri::parse("socket://10.0.0.9").expect("parse");
        assert_eq!((u.scheme, u.port, u.path.as_str()), (Scheme::Socket, 9100, ""));
        let u = PrinterUri::parse("IPP://[::1]").expect("parse");
        assert_eq!((u.scheme, u.host.as_str(), u.port, u.path.as_str()), (Scheme::Ipp, "::1", 631, "/ipp/print"));
        assert_eq!(u.to_string(), "ipp://[::1]:631/ipp/print");
        assert_eq!(PrinterUri::default_for("fe80::1").expect("v6").authority(), "[fe80::1]:631");
        assert_eq!(u.with_scheme(Scheme::Socket).to_string(), "socket://[::1]:9100");
        for bad in ["http://x/", "ipps://", "ipps://user:pw@host/", "ipps://host:0/", "ipps://ho st/", "no-scheme"] {
            assert!(PrinterUri::parse(bad).is_err(), "{bad}");
        }
        assert!(Scheme::Ipp.is_plaintext() && Scheme::Socket.is_plaintext() && !Scheme::Ipps.is_plaintext());
    }
}

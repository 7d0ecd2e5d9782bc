//! What every server-rendered page needs (the panel app and the web
//! front): escaping text for HTML, reading posted forms, and refusing
//! cross-site form posts.

use axum::http::{HeaderMap, header};

/// `s` with the characters that mean something in HTML text or a quoted
/// attribute replaced by entities.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The fields of an `application/x-www-form-urlencoded` body, in order,
/// repeated keys kept. `+` is a space and `%XX` (two hex digits) a byte;
/// any other `%` is kept as it is, and bytes that are not UTF-8 become
/// U+FFFD. The values (passwords and PINs among them) are wiped from
/// memory when dropped.
pub fn form(body: &[u8]) -> Vec<(String, zeroize::Zeroizing<String>)> {
    body.split(|&b| b == b'&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = match kv.iter().position(|&b| b == b'=') {
                Some(at) => (&kv[..at], &kv[at + 1..]),
                None => (kv, &[][..]),
            };
            let key = String::from_utf8_lossy(&percent_decode(k)).into_owned();
            let value = zeroize::Zeroizing::new(percent_decode(v));
            (key, zeroize::Zeroizing::new(String::from_utf8_lossy(&value).into_owned()))
        })
        .collect()
}

/// Undo form encoding: `+` to a space, `%XX` to its byte.
/// `pairs` as a query string (`k=v&k2=v2`), every byte but unreserved
/// ones percent-encoded: the inverse of [`form`].
pub fn query_string(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

/// `s` with every byte but unreserved ones percent-encoded: fit for a path
/// segment or a query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(b: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Refuse a post whose `Origin` is another site (or opaque, `null`). The
/// page's Referrer-Policy is `same-origin`: with `no-referrer` browsers send
/// `Origin: null` on the page's own forms.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.strip_prefix("https://").is_some_and(|o| !host.is_empty() && o.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    fn field(f: &[(String, zeroize::Zeroizing<String>)], k: &str) -> String {
        f.iter().find(|(key, _)| key == k).map(|(_, v)| v.to_string()).unwrap_or_default()
    }

    #[test]
    fn forms_keep_repeated_keys_and_decode() {
        let f = form(b"id=a1&id=b2&name=J%C3%BCrgen+M&bad=%zz&empty=");
        assert_eq!(f.iter().filter(|(k, _)| k == "id").count(), 2);
        assert_eq!(field(&f, "name"), "Jürgen M");
        assert_eq!(field(&f, "bad"), "%zz");
        assert_eq!(field(&f, "empty"), "");
    }

    /// Found in review: a sign before one hex digit after `%` was taken as
    /// an escape (`%+1` read as byte 1, since `u8::from_str_radix` accepts
    /// a sign).
    #[test]
    fn query_strings_round_trip_through_the_form_parser() {
        let pairs = vec![("a b".to_owned(), "x&y=z/é%".to_owned()), ("k".to_owned(), String::new())];
        let q = query_string(&pairs);
        assert_eq!(q, "a%20b=x%26y%3Dz%2F%C3%A9%25&k=");
        let back: Vec<(String, String)> = form(q.as_bytes()).into_iter().map(|(k, v)| (k, v.to_string())).collect();
        assert_eq!(back, pairs);
    }

    #[test]
    fn only_two_hex_digits_make_an_escape() {
        let f = form(b"a=%+1&b=%1&c=%4A%4a&d=100%25");
        assert_eq!(field(&f, "a"), "% 1", "the + is a space, not a sign");
        assert_eq!(field(&f, "b"), "%1");
        assert_eq!(field(&f, "c"), "JJ");
        assert_eq!(field(&f, "d"), "100%");
    }
}

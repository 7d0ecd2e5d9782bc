//! What every server-rendered page needs (the panel app and the web
//! front): escaping text for HTML, and refusing cross-site form posts.

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
    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(super::escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}

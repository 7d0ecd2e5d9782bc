//! PDF (ISO 32000): the page count from the page tree.
//!
//! A streaming lexer reads every top-level object and the trailers, skipping
//! stream data, and remembers per object number only what the page count
//! needs: whether it is a page-tree node without a parent and its `/Count`,
//! or a catalog and its `/Pages` reference. Later definitions of an object
//! replace earlier ones, as incremental updates do. At the end the last
//! `/Root` (trailer or cross-reference stream) leads to the catalog, then to
//! the root of the page tree and its `/Count`: exact.
//!
//! Objects packed in compressed object streams (PDF 1.5) cannot be read
//! without inflating them; then the count falls back to the largest `/Count`
//! of a parentless page-tree node seen, or to counting `/Type /Page` objects,
//! and is marked as an estimate. Encryption does not hide the page tree
//! (only strings and streams are encrypted).

use super::{Analysis, clean};
use std::collections::HashMap;

/// Page-tree roots and catalogs remembered at most. A real document has one
/// of each per revision; a hostile one cannot make the analyser hold more
/// than this many (a few dozen bytes each, about 200 KB in all). Past it the
/// count is marked as an estimate.
pub(super) const MAX_OBJECTS: usize = 4096;
const MAX_TOKEN: usize = 256;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Kw(String),
    Str(String),
    DictOpen,
    DictClose,
    Other,
}

#[derive(Debug, Default, Clone, Copy)]
struct ObjInfo {
    pages_root: bool,
    count: Option<u32>,
    catalog_pages: Option<u32>,
}

#[derive(Debug, Default)]
enum Lex {
    #[default]
    Idle,
    Name(Vec<u8>),
    Word(Vec<u8>),
    Str {
        depth: u32,
        esc: bool,
        buf: Vec<u8>,
    },
    Hex,
    Comment,
    Lt,
    Gt,
    /// Inside stream data, matching "endstream".
    Stream(usize),
}

#[derive(Debug, Default)]
pub(super) struct Pdf {
    lex: Lex,
    recent: Vec<Tok>,
    /// Object being read (number), if any.
    current: Option<u32>,
    cur: ObjInfo,
    cur_type: Option<String>,
    cur_has_parent: bool,
    objects: HashMap<u32, ObjInfo>,
    root: Option<u32>,
    page_objects: u32,
    /// A root or catalog was forgotten because [`MAX_OBJECTS`] was reached.
    overflowed: bool,
    title: Option<String>,
    creator: Option<String>,
}

fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

impl Pdf {
    /// Most of a PDF's bytes are stream data, comments and hex strings:
    /// those are skipped with a vectorised search, and only the object
    /// syntax between them goes through the byte-wise lexer.
    pub(super) fn feed(&mut self, mut data: &[u8]) {
        const END: &[u8] = b"endstream";
        while !data.is_empty() {
            match self.lex {
                Lex::Stream(0) => match memchr::memmem::find(data, END) {
                    Some(i) => {
                        self.lex = Lex::Idle;
                        self.token(Tok::Kw("endstream".into()));
                        data = &data[i + END.len()..];
                    }
                    None => {
                        // Carry a partial "endstream" at the end into the next push.
                        let k = (1..END.len()).rev().find(|&k| data.ends_with(&END[..k])).unwrap_or(0);
                        self.lex = Lex::Stream(k);
                        return;
                    }
                },
                Lex::Comment => match memchr::memchr2(b'\n', b'\r', data) {
                    Some(i) => {
                        self.lex = Lex::Idle;
                        data = &data[i + 1..];
                    }
                    None => return,
                },
                Lex::Hex => match memchr::memchr(b'>', data) {
                    Some(i) => {
                        self.lex = Lex::Idle;
                        data = &data[i + 1..];
                    }
                    None => return,
                },
                _ => {
                    self.byte(data[0]);
                    data = &data[1..];
                }
            }
        }
    }

    fn byte(&mut self, b: u8) {
        const END: &[u8] = b"endstream";
        match std::mem::take(&mut self.lex) {
            Lex::Stream(m) => {
                // The longest end of what matched so far, with `b`, that
                // begins "endstream" (so "endstr" + "endstream" matches,
                // as the search over a whole push does).
                let mut seen = [0u8; END.len()];
                seen[..m].copy_from_slice(&END[..m]);
                seen[m] = b;
                let seen = &seen[..=m];
                let m = (1..=seen.len()).rev().find(|&k| END.starts_with(&seen[seen.len() - k..])).unwrap_or(0);
                if m == END.len() {
                    self.token(Tok::Kw("endstream".into()));
                    self.lex = Lex::Idle;
                } else {
                    self.lex = Lex::Stream(m);
                }
            }
            Lex::Comment => self.lex = if b == b'\n' || b == b'\r' { Lex::Idle } else { Lex::Comment },
            Lex::Hex => self.lex = if b == b'>' { Lex::Idle } else { Lex::Hex },
            Lex::Str { depth, esc, mut buf } => {
                if esc {
                    if buf.len() < MAX_TOKEN {
                        buf.push(b);
                    }
                    self.lex = Lex::Str { depth, esc: false, buf };
                } else if b == b'\\' {
                    self.lex = Lex::Str { depth, esc: true, buf };
                } else if b == b'(' {
                    buf.push(b);
                    self.lex = Lex::Str { depth: depth + 1, esc: false, buf };
                } else if b == b')' {
                    if depth == 0 {
                        self.token(Tok::Str(String::from_utf8_lossy(&buf).into_owned()));
                    } else {
                        buf.push(b);
                        self.lex = Lex::Str { depth: depth - 1, esc: false, buf };
                    }
                } else {
                    if buf.len() < MAX_TOKEN {
                        buf.push(b);
                    }
                    self.lex = Lex::Str { depth, esc: false, buf };
                }
            }
            Lex::Lt => {
                if b == b'<' {
                    self.token(Tok::DictOpen);
                } else {
                    self.lex = Lex::Hex;
                    self.byte(b);
                }
            }
            Lex::Gt => {
                if b == b'>' {
                    self.token(Tok::DictClose);
                } else {
                    self.token(Tok::Other);
                    self.byte(b);
                }
            }
            Lex::Name(mut n) => {
                if is_space(b) || is_delim(b) {
                    self.token(Tok::Name(String::from_utf8_lossy(&n).into_owned()));
                    self.byte(b);
                } else {
                    if n.len() < MAX_TOKEN {
                        n.push(b);
                    }
                    self.lex = Lex::Name(n);
                }
            }
            Lex::Word(mut w) => {
                if is_space(b) || is_delim(b) {
                    let s = String::from_utf8_lossy(&w).into_owned();
                    let t = match s.parse::<i64>() {
                        Ok(i) => Tok::Int(i),
                        Err(_) => Tok::Kw(s),
                    };
                    self.token(t);
                    if !matches!(self.lex, Lex::Stream(_)) {
                        self.byte(b);
                    }
                } else {
                    if w.len() < MAX_TOKEN {
                        w.push(b);
                    }
                    self.lex = Lex::Word(w);
                }
            }
            Lex::Idle => {
                self.lex = match b {
                    b'/' => Lex::Name(Vec::new()),
                    b'(' => Lex::Str { depth: 0, esc: false, buf: Vec::new() },
                    b'<' => Lex::Lt,
                    b'>' => Lex::Gt,
                    b'%' => Lex::Comment,
                    b'[' | b']' | b'{' | b'}' | b')' => {
                        self.token(Tok::Other);
                        Lex::Idle
                    }
                    _ if is_space(b) => Lex::Idle,
                    _ => Lex::Word(vec![b]),
                };
            }
        }
    }

    fn token(&mut self, t: Tok) {
        match &t {
            Tok::Kw(k) if k == "obj" => {
                if let [.., Tok::Int(n), Tok::Int(_)] = self.recent.as_slice() {
                    self.current = u32::try_from(*n).ok();
                    self.cur = ObjInfo::default();
                    self.cur_type = None;
                    self.cur_has_parent = false;
                }
            }
            Tok::Kw(k) if k == "endobj" => self.close_object(),
            Tok::Kw(k) if k == "stream" => {
                self.lex = Lex::Stream(0);
            }
            Tok::Kw(k) if k == "R" => {
                if let [.., Tok::Name(key), Tok::Int(n), Tok::Int(_)] = self.recent.as_slice() {
                    let n = u32::try_from(*n).ok();
                    match key.as_str() {
                        "Root" => self.root = n.or(self.root),
                        "Pages" => self.cur.catalog_pages = n,
                        "Parent" => self.cur_has_parent = true,
                        _ => {}
                    }
                }
            }
            Tok::Name(n) => {
                if let [.., Tok::Name(key)] = self.recent.as_slice()
                    && key == "Type"
                {
                    self.cur_type = Some(n.clone());
                    if n == "Page" {
                        self.page_objects = self.page_objects.saturating_add(1);
                    }
                }
            }
            Tok::Int(i) => {
                if let [.., Tok::Name(key)] = self.recent.as_slice()
                    && key == "Count"
                {
                    self.cur.count = u32::try_from(*i).ok();
                }
            }
            Tok::Str(s) => {
                if let [.., Tok::Name(key)] = self.recent.as_slice() {
                    match key.as_str() {
                        "Title" => self.title = clean(s).or(self.title.take()),
                        "Creator" => self.creator = clean(s).or(self.creator.take()),
                        "Producer" if self.creator.is_none() => self.creator = clean(s),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if self.recent.len() >= 4 {
            self.recent.remove(0);
        }
        self.recent.push(t);
    }

    fn close_object(&mut self) {
        let Some(n) = self.current.take() else { return };
        let mut info = self.cur;
        info.pages_root = self.cur_type.as_deref() == Some("Pages") && !self.cur_has_parent;
        if self.cur_type.as_deref() != Some("Pages") {
            info.count = None;
        }
        if self.cur_type.as_deref() != Some("Catalog") {
            info.catalog_pages = None;
        }
        if info.pages_root || info.catalog_pages.is_some() {
            if self.objects.len() < MAX_OBJECTS || self.objects.contains_key(&n) {
                self.objects.insert(n, info);
            } else {
                self.overflowed = true;
            }
        } else {
            // A redefinition that is no longer a root or catalog replaces the old one.
            self.objects.remove(&n);
        }
    }

    pub(super) fn finish(mut self) -> Analysis {
        self.close_object();
        let exact = self
            .root
            .and_then(|r| self.objects.get(&r))
            .and_then(|c| c.catalog_pages)
            .and_then(|p| self.objects.get(&p))
            .filter(|p| p.pages_root)
            .and_then(|p| p.count);
        let (pages, estimated) = match exact {
            Some(n) => (Some(n), self.overflowed),
            None => match self.objects.values().filter(|o| o.pages_root).filter_map(|o| o.count).max() {
                Some(n) => (Some(n), true),
                None if self.page_objects > 0 => (Some(self.page_objects), true),
                None => (None, false),
            },
        };
        Analysis {
            format: Some("application/pdf"),
            pages,
            estimated,
            title: self.title,
            application: self.creator,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pdf;

    /// A hostile document of a million parentless page-tree roots once made
    /// the analyser hold about 50 MB; it now holds a fixed budget, and the
    /// count it gives is marked as an estimate.
    #[test]
    fn a_million_page_tree_roots_stay_within_the_budget() {
        let mut p = Pdf::default();
        p.feed(b"%PDF-1.7\n");
        let mut chunk = Vec::new();
        for n in 1..=1_000_000u32 {
            chunk.extend_from_slice(format!("{n} 0 obj<</Type/Pages/Count 1>>endobj\n").as_bytes());
            if chunk.len() > 64 * 1024 {
                p.feed(&chunk);
                chunk.clear();
                assert!(p.objects.len() <= super::MAX_OBJECTS);
            }
        }
        p.feed(&chunk);
        assert_eq!(p.objects.len(), super::MAX_OBJECTS);
        let a = p.finish();
        assert_eq!(a.pages, Some(1));
        assert!(a.estimated);
    }

    fn pages(chunks: &[&[u8]]) -> Option<u32> {
        let mut p = Pdf::default();
        for c in chunks {
            p.feed(c);
        }
        p.finish().pages
    }

    /// Found by the `analyse` fuzz target: a partial "endstream" carried
    /// into the next push was matched byte by byte with no fallback, so
    /// "endstr" + "endstream" cut after "endstr" never ended the stream.
    #[test]
    fn a_stream_end_after_a_false_start_is_found_however_the_data_is_cut() {
        let doc: &[u8] =
            b"%PDF-1.7\n1 0 obj<</Length 3>>stream\nendstrendstream\nendobj\n2 0 obj<</Type/Page>>endobj\n";
        let whole = pages(&[doc]);
        assert_eq!(whole, Some(1));
        for cut in 1..doc.len() {
            let (a, b) = doc.split_at(cut);
            assert_eq!(pages(&[a, b]), whole, "cut at {cut}");
        }
    }
}

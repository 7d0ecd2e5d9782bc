//! HP PCL page counts.
//!
//! - **PCL XL** (PCL 6): a binary stream of tagged values, attribute ids,
//!   embedded data and operators. Every token's length is known from its
//!   tag, so the stream is walked exactly and each `EndPage` operator is a
//!   page: the count is exact. A colour space other than grey makes it colour.
//! - **PCL 5**: escape sequences and text. Binary payloads (raster rows,
//!   fonts, patterns) are skipped by the byte counts their commands carry,
//!   and pages are counted at form feeds and page ejects, plus a last page
//!   with marks on it. That misses pages drawn by HP-GL/2 or macros, so the
//!   count is marked as an estimate.

use super::Analysis;
use crate::job::ColorMode;

/// Longest PCL XL stream header line looked at.
const MAX_HEADER: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XlState {
    /// Reading the `) HP-PCL XL;...` line.
    Header,
    /// Reading tokens.
    Tokens,
    /// Something unreadable: counting stops.
    Broken,
}

/// A PCL XL stream.
#[derive(Debug)]
pub(super) struct PclXl {
    state: XlState,
    header_len: usize,
    little_endian: bool,
    /// Bytes of a token that straddles pushes (at most 17).
    hold: Vec<u8>,
    /// Payload bytes still to skip (arrays, embedded data).
    skip: u64,
    pages: u32,
    /// The last single ubyte value, for the attribute that follows it.
    last_ubyte: Option<u8>,
    any_color: bool,
    any_gray: bool,
}

impl Default for PclXl {
    fn default() -> Self {
        PclXl {
            state: XlState::Header,
            header_len: 0,
            little_endian: true,
            hold: Vec::new(),
            skip: 0,
            pages: 0,
            last_ubyte: None,
            any_color: false,
            any_gray: false,
        }
    }
}

/// Size of one element of data type `tag & 7` (ubyte, uint16, uint32, sint16, sint32, real32).
fn element(tag: u8) -> Option<usize> {
    match tag & 0x07 {
        0 => Some(1),
        1 | 3 => Some(2),
        2 | 4 | 5 => Some(4),
        _ => None,
    }
}

/// What a token needs.
enum Need {
    /// The token is this many bytes long.
    Fixed(usize),
    /// An array: 1 tag + a length value, then `count * size` bytes.
    Array {
        /// Bytes per element.
        size: usize,
    },
    /// Embedded data with a length of this many bytes after the tag.
    Embedded(usize),
    Invalid,
}

fn need(tag: u8) -> Need {
    match tag {
        // White space.
        0x00 | 0x09..=0x0d | 0x20 => Need::Fixed(1),
        // Operators.
        0x41..=0xbf => Need::Fixed(1),
        0xc0..=0xc5 => element(tag).map_or(Need::Invalid, |s| Need::Fixed(1 + s)),
        0xc8..=0xcd => element(tag).map_or(Need::Invalid, |size| Need::Array { size }),
        0xd0..=0xd5 => element(tag).map_or(Need::Invalid, |s| Need::Fixed(1 + 2 * s)),
        0xe0..=0xe5 => element(tag).map_or(Need::Invalid, |s| Need::Fixed(1 + 4 * s)),
        0xf8 => Need::Fixed(2),
        0xf9 => Need::Fixed(3),
        0xfa => Need::Embedded(4),
        0xfb => Need::Embedded(1),
        _ => Need::Invalid,
    }
}

const END_PAGE: u8 = 0x44;
const ATTR_COLOR_SPACE: u8 = 0x03;
const GRAY: u8 = 1;

impl PclXl {
    fn int(&self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.little_endian {
            for &x in b.iter().rev() {
                v = (v << 8) | u64::from(x);
            }
        } else {
            for &x in b {
                v = (v << 8) | u64::from(x);
            }
        }
        v
    }

    pub(super) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.state {
                XlState::Broken => return,
                XlState::Header => {
                    if self.header_len == 0 {
                        // `)` is binary low byte first, `(` high byte first.
                        self.little_endian = data[0] != b'(';
                    }
                    match data.iter().position(|&b| b == b'\n') {
                        // The cap holds however the line arrived.
                        Some(i) if self.header_len + i > MAX_HEADER => {
                            self.state = XlState::Broken;
                            return;
                        }
                        Some(i) => {
                            self.state = XlState::Tokens;
                            data = &data[i + 1..];
                        }
                        None => {
                            self.header_len += data.len();
                            if self.header_len > MAX_HEADER {
                                self.state = XlState::Broken;
                            }
                            return;
                        }
                    }
                }
                XlState::Tokens => {
                    if self.skip > 0 {
                        let n = usize::try_from(self.skip).unwrap_or(usize::MAX).min(data.len());
                        self.skip -= n as u64;
                        data = &data[n..];
                        continue;
                    }
                    if self.hold.is_empty() {
                        // The common case: whole tokens in `data`.
                        match self.token(data) {
                            Some(used) => data = &data[used..],
                            None if self.state == XlState::Broken => return,
                            None => {
                                self.hold.extend_from_slice(data);
                                return;
                            }
                        }
                    } else {
                        // Complete a held token a byte at a time (it is at most 17 bytes).
                        self.hold.push(data[0]);
                        data = &data[1..];
                        let held = std::mem::take(&mut self.hold);
                        match self.token(&held) {
                            Some(used) => debug_assert_eq!(used, held.len()),
                            None if self.state == XlState::Broken => return,
                            None => self.hold = held,
                        }
                    }
                }
            }
        }
    }

    /// Read one token from the start of `b`: the bytes used, or `None` when
    /// `b` holds only part of it (or the stream is broken).
    fn token(&mut self, b: &[u8]) -> Option<usize> {
        let tag = b[0];
        match need(tag) {
            Need::Invalid => {
                self.state = XlState::Broken;
                None
            }
            Need::Fixed(n) => {
                if b.len() < n {
                    return None;
                }
                match tag {
                    END_PAGE => {
                        self.pages = self.pages.saturating_add(1);
                        self.last_ubyte = None;
                    }
                    0xc0 => self.last_ubyte = Some(b[1]),
                    0xf8 if b[1] == ATTR_COLOR_SPACE => match self.last_ubyte {
                        Some(GRAY) => self.any_gray = true,
                        Some(_) => self.any_color = true,
                        None => {}
                    },
                    0xf8 | 0xf9 | 0x00 | 0x09..=0x0d | 0x20 => {}
                    _ => self.last_ubyte = None,
                }
                Some(n)
            }
            Need::Array { size } => {
                // The length is itself a tagged ubyte or uint16.
                let len_tag = *b.get(1)?;
                let len_size = match len_tag {
                    0xc0 => 1,
                    0xc1 => 2,
                    _ => {
                        self.state = XlState::Broken;
                        return None;
                    }
                };
                let head = 2 + len_size;
                if b.len() < head {
                    return None;
                }
                let count = self.int(&b[2..head]);
                self.skip = count.saturating_mul(u64::try_from(size).unwrap_or(4));
                self.last_ubyte = None;
                Some(head)
            }
            Need::Embedded(len_size) => {
                let head = 1 + len_size;
                if b.len() < head {
                    return None;
                }
                self.skip = self.int(&b[1..head]);
                Some(head)
            }
        }
    }

    pub(super) fn finish(self) -> Analysis {
        let broken = self.state == XlState::Broken || self.skip > 0 || !self.hold.is_empty();
        let color = if self.any_color {
            ColorMode::Color
        } else if self.any_gray {
            ColorMode::Monochrome
        } else {
            ColorMode::Unknown
        };
        Analysis {
            format: Some("application/vnd.hp-pclxl"),
            pages: (self.pages > 0 || !broken).then_some(self.pages),
            estimated: broken,
            color,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P5 {
    /// Text and control codes.
    Text,
    /// After ESC.
    Esc,
    /// ESC and a parameterised character (`&`, `*`, `(` ...) seen.
    Param,
    /// Inside the group and value fields of a parameterised command.
    Value,
    /// HP-GL/2 mode (until `ESC %0A` or a reset).
    HpGl,
}

/// A PCL 5 stream.
#[derive(Debug)]
pub(super) struct Pcl5 {
    state: P5,
    /// The parameterised and group characters of the current command.
    param: u8,
    group: u8,
    /// The value field being read.
    value: i64,
    negative: bool,
    fraction: bool,
    /// Payload bytes still to skip.
    skip: u64,
    /// Pages ejected so far.
    pages: u32,
    /// Marks (text or raster) put on the current page.
    marked: bool,
    /// Something the count cannot follow (HP-GL/2, macros).
    uncertain: bool,
    color: Option<bool>,
}

impl Default for Pcl5 {
    fn default() -> Self {
        Pcl5 {
            state: P5::Text,
            param: 0,
            group: 0,
            value: 0,
            negative: false,
            fraction: false,
            skip: 0,
            pages: 0,
            marked: false,
            uncertain: false,
            color: None,
        }
    }
}

/// Longest value field honoured (bigger values are treated as this).
const MAX_VALUE: i64 = 1 << 32;

impl Pcl5 {
    fn eject(&mut self) {
        self.pages = self.pages.saturating_add(1);
        self.marked = false;
    }

    /// One complete parameterised command `ESC param group value term`.
    fn command(&mut self, term: u8) {
        let t = term.to_ascii_uppercase();
        let v = if self.negative { -self.value } else { self.value };
        match (self.param, self.group, t) {
            // Binary payloads: raster rows, fonts, characters, patterns, palettes ...
            (_, _, b'W') => {
                self.skip = u64::try_from(v.max(0)).unwrap_or(0);
                if (self.param, self.group) == (b'*', b'b') {
                    self.marked = true;
                }
            }
            // Transparent print data.
            (b'&', b'p', b'X') => {
                self.skip = u64::try_from(v.max(0)).unwrap_or(0);
                self.marked = true;
            }
            // Page eject (or an eject as the paper source changes).
            (b'&', b'l', b'H') if v == 0 || self.marked => self.eject(),
            // Simple colour: 1 is monochrome, 3 RGB, -3 CMY.
            (b'*', b'r', b'U') => {
                if v == 1 {
                    self.color.get_or_insert(false);
                } else {
                    self.color = Some(true);
                }
            }
            // Macros replay pages the count cannot see.
            (b'&', b'f', b'X') | (b'&', b'f', b'Y') => self.uncertain = true,
            _ => {}
        }
        self.value = 0;
        self.negative = false;
        self.fraction = false;
    }

    pub(super) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip).unwrap_or(usize::MAX).min(data.len());
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let b = data[0];
            data = &data[1..];
            match self.state {
                P5::Text => match b {
                    0x1b => self.state = P5::Esc,
                    0x0c => self.eject(),
                    b' ' | b'\r' | b'\n' | b'\t' | 0x08 | 0x0e | 0x0f => {}
                    _ => {
                        self.marked = true;
                        // Skip a run of printable text quickly.
                        let run = data.iter().position(|&c| c == 0x1b || c == 0x0c).unwrap_or(data.len());
                        data = &data[run..];
                    }
                },
                P5::Esc => match b {
                    b'E' => {
                        // A reset ends a page that has marks on it.
                        if self.marked {
                            self.eject();
                        }
                        self.state = P5::Text;
                    }
                    b'%' => {
                        self.param = b'%';
                        self.group = 0;
                        self.state = P5::Value;
                    }
                    0x21..=0x2f => {
                        self.param = b;
                        self.state = P5::Param;
                    }
                    _ => self.state = P5::Text,
                },
                P5::Param => {
                    if (0x60..=0x7e).contains(&b) {
                        self.group = b;
                        self.state = P5::Value;
                    } else if b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'.' {
                        // Some commands (`ESC (8U`) have no group character.
                        self.group = 0;
                        self.state = P5::Value;
                        self.digit(b);
                    } else if (0x40..=0x5e).contains(&b) {
                        self.group = 0;
                        self.command(b);
                        self.state = P5::Text;
                    } else {
                        self.state = P5::Text;
                    }
                }
                P5::Value => {
                    if b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'.' {
                        self.digit(b);
                    } else if (0x60..=0x7e).contains(&b) {
                        // Combined commands: lower case continues the sequence.
                        if self.param == b'%' {
                            self.state = P5::Text;
                        } else {
                            self.command(b);
                        }
                    } else if (0x40..=0x5e).contains(&b) {
                        if self.param == b'%' {
                            // `ESC %#B` enters HP-GL/2, `ESC %#A` returns to PCL.
                            self.state = if b == b'B' { P5::HpGl } else { P5::Text };
                            if b == b'B' {
                                self.uncertain = true;
                                self.marked = true;
                            }
                            self.value = 0;
                            self.negative = false;
                        } else {
                            self.command(b);
                            self.state = P5::Text;
                        }
                    } else {
                        self.state = P5::Text;
                    }
                }
                P5::HpGl => {
                    if b == 0x1b {
                        self.state = P5::Esc;
                    }
                }
            }
        }
    }

    fn digit(&mut self, b: u8) {
        match b {
            b'-' => self.negative = true,
            b'.' => self.fraction = true,
            b'0'..=b'9' if !self.fraction => {
                self.value = (self.value * 10 + i64::from(b - b'0')).min(MAX_VALUE);
            }
            _ => {}
        }
    }

    pub(super) fn finish(mut self) -> Analysis {
        if self.marked {
            self.eject();
        }
        Analysis {
            format: Some("application/vnd.hp-pcl"),
            pages: Some(self.pages),
            estimated: true,
            color: match self.color {
                Some(true) => ColorMode::Color,
                Some(false) => ColorMode::Monochrome,
                None => ColorMode::Unknown,
            },
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xl(pages: u32, gray: bool) -> Vec<u8> {
        let mut d = b") HP-PCL XL;2;0;Comment test\n".to_vec();
        // BeginSession with a uint16_xy resolution attribute.
        d.extend_from_slice(&[0xd1, 0x58, 0x02, 0x58, 0x02, 0xf8, 0x89, 0x41]);
        for _ in 0..pages {
            d.extend_from_slice(&[0xc0, 0x00, 0xf8, 0x28, 0x43]); // BeginPage
            d.extend_from_slice(&[0xc0, if gray { 1 } else { 2 }, 0xf8, ATTR_COLOR_SPACE, 0x6a]); // SetColorSpace
            // A uint16 array of 3 elements, with an EndPage byte inside it.
            d.extend_from_slice(&[0xc9, 0xc0, 0x03, 0x44, 0x44, 0x44, 0x00, 0x44, 0x00]);
            // Embedded data (ubyte length) full of EndPage bytes.
            d.extend_from_slice(&[0xfb, 0x05, 0x44, 0x44, 0x44, 0x44, 0x44]);
            // Embedded data (uint32 length).
            d.extend_from_slice(&[0xfa, 0x02, 0x00, 0x00, 0x00, 0x44, 0x44]);
            d.extend_from_slice(&[0xc1, 0x01, 0x00, 0xf8, 0x31, END_PAGE]); // EndPage, PageCopies
        }
        d.push(0x42); // EndSession
        d
    }

    fn run_xl(d: &[u8], size: usize) -> Analysis {
        let mut a = PclXl::default();
        for c in d.chunks(size) {
            a.feed(c);
        }
        a.finish()
    }

    #[test]
    fn pcl_xl_counts_end_page_operators_exactly_in_any_chunking() {
        let d = xl(4, false);
        for size in [1, 2, 3, 5, 17, 4096] {
            let a = run_xl(&d, size);
            assert_eq!((a.pages, a.estimated, a.color), (Some(4), false, ColorMode::Color), "chunks of {size}");
        }
        let a = run_xl(&xl(2, true), 7);
        assert_eq!((a.pages, a.color), (Some(2), ColorMode::Monochrome));
    }

    #[test]
    fn pcl_xl_truncated_or_garbled_is_marked() {
        let d = xl(3, false);
        let a = run_xl(&d[..d.len() - 20], 9);
        assert!(a.estimated);
        let mut g = d.clone();
        g.insert(40, 0xff);
        assert!(run_xl(&g, 64).estimated);
        // A huge declared array length does not make the parser hold anything.
        let mut big = b") HP-PCL XL;2;0\n".to_vec();
        big.extend_from_slice(&[0xca, 0xc1, 0xff, 0xff]);
        big.extend(std::iter::repeat_n(0x44, 1000));
        let a = run_xl(&big, 100);
        assert_eq!((a.pages, a.estimated), (None, true));
    }

    fn run5(d: &[u8], size: usize) -> Analysis {
        let mut a = Pcl5::default();
        for c in d.chunks(size) {
            a.feed(c);
        }
        a.finish()
    }

    #[test]
    fn pcl5_counts_form_feeds_and_skips_binary_payloads() {
        let mut d = b"\x1bE\x1b&l26a0O\x1b*r1U".to_vec();
        for p in 1..=3 {
            d.extend_from_slice(format!("Page {p} text").as_bytes());
            // A raster row whose data is full of form feeds and escapes.
            d.extend_from_slice(b"\x1b*b6W\x0c\x0c\x1bE\x0c\x0c");
            d.push(0x0c);
        }
        d.extend_from_slice(b"\x1bE");
        for size in [1, 2, 5, 1000] {
            let a = run5(&d, size);
            assert_eq!((a.pages, a.estimated, a.color), (Some(3), true, ColorMode::Monochrome), "chunks of {size}");
        }
        // A last page without a form feed still counts; a colour palette makes it colour.
        let a = run5(b"\x1b*r3U\x1b&l0Hone\x0ctwo", 3);
        assert_eq!((a.pages, a.color), (Some(3), ColorMode::Color));
    }

    #[test]
    fn an_over_long_pcl_xl_header_is_refused_however_it_arrives() {
        let mut doc = b") HP-PCL XL;2;0;".to_vec();
        doc.extend(std::iter::repeat_n(b'x', 300));
        doc.extend_from_slice(b"\n");
        let whole = {
            let mut a = PclXl::default();
            a.feed(&doc);
            a.finish()
        };
        for cut in [1, 7, 100, 255, 256, 310] {
            let mut a = PclXl::default();
            for c in doc.chunks(cut) {
                a.feed(c);
            }
            assert_eq!(a.finish(), whole, "in pieces of {cut}");
        }
    }
}

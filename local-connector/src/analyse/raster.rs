//! Raster formats whose page count is exact.
//!
//! - **Apple URF** (UNIRAST): the file header carries the page count; each page
//!   header gives bits per pixel (8 grey, 24 or more colour).
//! - **PWG raster** (PWG 5102.4): "RaS2", then per page a 1796-byte header and
//!   PackBits-style compressed lines. Pages are counted by decoding each page's
//!   line structure (without keeping pixels), so a truncated page is not counted.

use super::Analysis;
use crate::job::ColorMode;

#[derive(Debug, Default)]
pub(super) struct Urf {
    head: Vec<u8>,
}

impl Urf {
    pub(super) fn feed(&mut self, data: &[u8]) {
        // File header (12) and the first page header (32) are all we need.
        let want = 44usize.saturating_sub(self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..want]);
    }

    pub(super) fn finish(self) -> Analysis {
        let pages = self.head.get(8..12).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let color = match self.head.get(12) {
            Some(8) => ColorMode::Monochrome,
            Some(24..) => ColorMode::Color,
            _ => ColorMode::Unknown,
        };
        Analysis { format: Some("image/urf"), pages, color, ..Default::default() }
    }
}

const PWG_HEADER: usize = 1796;
/// Sanity limits on a page's geometry (a 600 dpi A0 page is ~28 000 lines).
const MAX_LINES: u32 = 1 << 20;
const MAX_LINE_BYTES: u32 = 1 << 24;

#[derive(Debug, Default)]
pub(super) struct Pwg {
    sync: usize,
    header: Vec<u8>,
    page: Option<Page>,
    pages: u32,
    any_color: bool,
    any_mono: bool,
    broken: bool,
}

#[derive(Debug)]
struct Page {
    lines_left: u32,
    line_bytes: u32,
    pixel: u32,
    /// Bytes of the current line still to produce; 0 means a repeat byte is next.
    produced: u32,
    repeat: u32,
    /// Literal pixel bytes still to skip.
    literal: u32,
    /// Bytes of a repeated pixel still to skip.
    run_pixel: u32,
    in_line: bool,
}

fn be32(h: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

impl Pwg {
    pub(super) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.broken {
            if self.sync < 4 {
                let n = (4 - self.sync).min(data.len());
                self.sync += n;
                data = &data[n..];
                continue;
            }
            match &mut self.page {
                None => {
                    let n = (PWG_HEADER - self.header.len()).min(data.len());
                    self.header.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if self.header.len() == PWG_HEADER {
                        self.start_page();
                    }
                }
                Some(p) => {
                    let used = p.eat(data);
                    data = &data[used..];
                    if p.lines_left == 0 {
                        self.pages += 1;
                        self.page = None;
                        self.header.clear();
                    }
                }
            }
        }
    }

    fn start_page(&mut self) {
        let h = &self.header;
        let height = be32(h, 376);
        let bpp = be32(h, 388);
        let line_bytes = be32(h, 392);
        let colors = be32(h, 420);
        if height == 0 || height > MAX_LINES || line_bytes == 0 || line_bytes > MAX_LINE_BYTES || bpp == 0 || bpp > 256
        {
            self.broken = true;
            return;
        }
        if colors >= 3 {
            self.any_color = true;
        } else {
            self.any_mono = true;
        }
        self.page = Some(Page {
            lines_left: height,
            line_bytes,
            pixel: bpp.div_ceil(8),
            produced: 0,
            repeat: 0,
            literal: 0,
            run_pixel: 0,
            in_line: false,
        });
    }

    pub(super) fn finish(self) -> Analysis {
        let color = if self.any_color {
            ColorMode::Color
        } else if self.any_mono {
            ColorMode::Monochrome
        } else {
            ColorMode::Unknown
        };
        Analysis {
            format: Some("image/pwg-raster"),
            pages: Some(self.pages),
            estimated: self.broken,
            color,
            ..Default::default()
        }
    }
}

impl Page {
    /// Consume compressed bytes; returns how many were used.
    fn eat(&mut self, data: &[u8]) -> usize {
        let mut i = 0;
        while i < data.len() && self.lines_left > 0 {
            if self.literal > 0 {
                let n = self.literal.min(u32::try_from(data.len() - i).unwrap_or(u32::MAX));
                self.literal -= n;
                i += n as usize;
                continue;
            }
            if self.run_pixel > 0 {
                let n = self.run_pixel.min(u32::try_from(data.len() - i).unwrap_or(u32::MAX));
                self.run_pixel -= n;
                i += n as usize;
                continue;
            }
            if self.in_line && self.produced >= self.line_bytes {
                self.in_line = false;
                self.lines_left = self.lines_left.saturating_sub(self.repeat + 1);
                continue;
            }
            let b = data[i];
            i += 1;
            if !self.in_line {
                self.repeat = u32::from(b);
                self.produced = 0;
                self.in_line = true;
                continue;
            }
            let left = self.line_bytes - self.produced;
            match b {
                0..=127 => {
                    self.run_pixel = self.pixel;
                    self.produced += ((u32::from(b) + 1) * self.pixel).min(left);
                }
                128 => self.produced = self.line_bytes,
                _ => {
                    let bytes = ((257 - u32::from(b)) * self.pixel).min(left);
                    self.literal = bytes;
                    self.produced += bytes;
                }
            }
        }
        if self.in_line && self.produced >= self.line_bytes && self.literal == 0 && self.run_pixel == 0 {
            self.in_line = false;
            self.lines_left = self.lines_left.saturating_sub(self.repeat + 1);
        }
        i
    }
}

//! Printer labels for release from a phone: a QR code of the printer's
//! release address (`https://APPLIANCE/r/LABEL`, the label id a random
//! UUID that says nothing about the printer), with its name, where it
//! stands and what to do, laid out for cutting from A4 or Letter sheets.
//!
//! The QR code comes from the `qrcode` crate and the PDF from `pdf-writer`
//! (text in Helvetica, one of the fonts every PDF reader has, so nothing is
//! embedded); a PNG of the code alone, for an admin's own label design,
//! from `png`.

use crate::crypto::random_bytes;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// One label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The printer's name, as people know it.
    pub name: String,
    /// Where it stands; may be empty.
    pub location: String,
    /// What the QR code holds: the printer's release address.
    pub url: String,
}

/// The sheet size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// 210 × 297 mm.
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// `a4` or `letter`.
    pub fn parse(s: &str) -> Option<Paper> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" => Some(Paper::Letter),
            _ => None,
        }
    }

    /// Width and height in points.
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// Labels on one sheet: two across, four down.
pub const PER_PAGE: usize = 8;
const COLUMNS: usize = 2;
const MARGIN: f32 = 36.0;
/// Modules of white around the code, as the QR standard asks.
const QUIET: usize = 4;

/// Why a label could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The address is too long for a QR code.
    #[error("the release address does not fit in a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// No label was asked for.
    #[error("no printer to make a label for")]
    Nothing,
    /// Writing the PNG failed.
    #[error("writing the PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// A new label id: a random (version 4) UUID.
pub fn new_label_id() -> String {
    let mut b: [u8; 16] = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Whether `s` looks like a label id (so that anything else is turned
/// away before any lookup).
pub fn is_label_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// The release address of label `id` on an appliance whose console
/// answers at `base` (`https://print.example.com`, no trailing slash).
pub fn release_url(base: &str, id: &str) -> String {
    format!("{}/r/{id}", base.trim_end_matches('/'))
}

/// `text` as a QR code in an SVG element `size` CSS pixels square, with
/// its quiet zone, described by `alt` for screen readers.
pub fn qr_svg(text: &str, size: u32, alt: &str) -> Result<String, LabelError> {
    use std::fmt::Write as _;
    let (width, dark) = modules(text)?;
    let full = width + 8;
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let _ = write!(path, "M{} {}h1v1h-1z", i % width + 4, i / width + 4);
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" width=\"{size}\" height=\"{size}\" \
         role=\"img\" aria-label=\"{}\" shape-rendering=\"crispEdges\" id=\"qr\"><rect width=\"{full}\" height=\"{full}\" \
         fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        crate::html::escape(alt)
    ))
}

/// The code's modules, row by row (`true`: dark), and its width.
fn modules(url: &str) -> Result<(usize, Vec<bool>), LabelError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)?;
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Ok((code.width(), dark))
}

/// Text as WinAnsi bytes for Helvetica: Latin-1 as it is, anything else `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}

/// `s` cut to about `width` points at `size` (Helvetica averages about
/// half an em a character), with an ellipsis when cut.
fn fit(s: &str, width: f32, size: f32) -> String {
    let max = (4..400usize).take_while(|n| *n as f32 * size * 0.55 <= width).last().unwrap_or(4);
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('\u{2026}');
    out
}

fn text(c: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, s: &str) {
    let mut bytes = win_ansi(s);
    // The ellipsis is 0x85 in WinAnsi.
    for (b, ch) in bytes.iter_mut().zip(s.chars()) {
        if ch == '\u{2026}' {
            *b = 0x85;
        }
    }
    c.begin_text();
    c.set_font(font, size);
    c.next_line(x, y);
    c.show(Str(&bytes));
    c.end_text();
}

/// Draw one label with its lower left corner at (`x`, `y`).
fn draw(c: &mut Content, label: &Label, x: f32, y: f32, w: f32, h: f32) -> Result<(), LabelError> {
    let (regular, bold) = (Name(b"F1"), Name(b"F2"));
    // A dashed grey edge to cut along.
    c.save_state();
    c.set_stroke_gray(0.6);
    c.set_line_width(0.5);
    c.set_dash_pattern([3.0, 3.0], 0.0);
    c.rect(x, y, w, h);
    c.stroke();
    c.restore_state();
    let pad = 12.0;
    text(c, bold, 14.0, x + pad, y + h - 24.0, &fit(&label.name, w - 2.0 * pad, 14.0));
    if !label.location.is_empty() {
        text(c, regular, 10.0, x + pad, y + h - 39.0, &fit(&label.location, w - 2.0 * pad, 10.0));
    }
    // The code, with its quiet zone, below the names.
    let (n, dark) = modules(&label.url)?;
    let side = h - 66.0;
    let m = side / (n + 2 * QUIET) as f32;
    let (qx, qy) = (x + pad - QUIET as f32 * m * 0.5, y + 16.0);
    c.set_fill_gray(0.0);
    for row in 0..n {
        // Each run of dark modules as one rectangle: no seams between them.
        let mut col = 0;
        while col < n {
            if !dark[row * n + col] {
                col += 1;
                continue;
            }
            let run = dark[row * n + col..(row + 1) * n].iter().take_while(|d| **d).count();
            // Rows run top to bottom; PDF's y runs bottom to top.
            let mx = qx + (QUIET + col) as f32 * m;
            let my = qy + side - (QUIET + row + 1) as f32 * m;
            c.rect(mx, my, run as f32 * m, m);
            col += run;
        }
    }
    c.fill_nonzero();
    // What to do, beside the code.
    let tx = qx + side + 6.0;
    let mut ty = qy + side - 22.0;
    text(c, bold, 10.0, tx, ty, "Print here");
    for line in ["1  Scan the code with", "    your phone's camera.", "2  Sign in if asked.", "3  Tap Print."] {
        ty -= 13.0;
        text(c, regular, 8.5, tx, ty, line);
    }
    text(c, regular, 5.5, x + pad, y + 7.0, &fit(&label.url, w - 2.0 * pad, 5.5));
    Ok(())
}

/// A PDF of `labels`, [`PER_PAGE`] to a sheet of `paper`.
pub fn pdf(labels: &[Label], paper: Paper) -> Result<Vec<u8>, LabelError> {
    if labels.is_empty() {
        return Err(LabelError::Nothing);
    }
    let (pw, ph) = paper.size();
    let rows = PER_PAGE / COLUMNS;
    let (w, h) = ((pw - 2.0 * MARGIN) / COLUMNS as f32, (ph - 2.0 * MARGIN) / rows as f32);
    let pages: Vec<&[Label]> = labels.chunks(PER_PAGE).collect();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, regular, bold, info) = (alloc(), alloc(), alloc(), alloc(), alloc());
    let ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    let mut doc = Pdf::new();
    doc.catalog(catalog).pages(tree);
    doc.pages(tree).kids(ids.iter().map(|(page, _)| *page)).count(i32::try_from(ids.len()).unwrap_or(i32::MAX));
    doc.document_info(info).title(TextStr("Pullprint printer labels")).creator(TextStr("Pullprint"));
    doc.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    doc.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    for (sheet, (page_id, content_id)) in pages.iter().zip(&ids) {
        let mut page = doc.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, pw, ph)).parent(tree).contents(*content_id);
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        let mut c = Content::new();
        for (i, label) in sheet.iter().enumerate() {
            let (col, row) = (i % COLUMNS, i / COLUMNS);
            let x = MARGIN + col as f32 * w;
            let y = ph - MARGIN - (row + 1) as f32 * h;
            draw(&mut c, label, x, y, w, h)?;
        }
        doc.stream(*content_id, &c.finish());
    }
    Ok(doc.finish())
}

/// A PNG of the QR code of `url` alone (black on white, `scale` pixels a
/// module, with its quiet zone).
pub fn png(url: &str, scale: u32) -> Result<Vec<u8>, LabelError> {
    let (n, dark) = modules(url)?;
    let scale = scale.clamp(1, 64) as usize;
    let side = (n + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for row in 0..n {
        for col in 0..n {
            if dark[row * n + col] {
                for dy in 0..scale {
                    let y = (QUIET + row) * scale + dy;
                    let x = (QUIET + col) * scale;
                    pixels[y * side + x..y * side + x + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).unwrap_or(u32::MAX);
    let mut enc = png::Encoder::new(&mut out, side32, side32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_image_data(&pixels)?;
    w.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_ids_are_random_version_4_uuids_and_nothing_else_passes_for_one() {
        let a = new_label_id();
        let b = new_label_id();
        assert_ne!(a, b);
        assert!(is_label_id(&a), "{a}");
        assert_eq!(&a[14..15], "4", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        for bad in ["", "../../etc/passwd", &a.to_uppercase(), &a[..35], &format!("{a}0"), &a.replace('-', "_")] {
            assert!(!is_label_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_sheet_holds_eight_labels_and_more_make_more_pages() {
        let label = |i: usize| Label {
            name: format!("Printer {i} with a name far too long to fit on one label line at all"),
            location: "3rd floor, by the kitchen — Büro".into(),
            url: release_url("https://print.example.com/", &new_label_id()),
        };
        let one = pdf(&[label(1)], Paper::A4).expect("pdf");
        assert!(one.starts_with(b"%PDF-"));
        let nine: Vec<Label> = (0..9).map(label).collect();
        let doc = pdf(&nine, Paper::Letter).expect("pdf");
        let text = String::from_utf8_lossy(&doc);
        assert!(text.contains("/Count 2"), "nine labels take two sheets");
        assert!(text.contains("[0 0 612 792]"), "Letter");
        assert!(matches!(pdf(&[], Paper::A4), Err(LabelError::Nothing)));
        assert_eq!(fit("short", 100.0, 10.0), "short");
        assert!(fit(&"x".repeat(100), 100.0, 10.0).ends_with('\u{2026}'));
        assert_eq!(win_ansi("Büro €"), b"B\xfcro ?");
    }

    #[test]
    fn the_png_is_the_code_alone_with_its_quiet_zone() {
        let png = png("https://print.example.com/r/x", 4).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("png header");
        let (w, h) = (reader.info().width, reader.info().height);
        assert_eq!(w, h);
        assert_eq!(w % 4, 0);
    }
}

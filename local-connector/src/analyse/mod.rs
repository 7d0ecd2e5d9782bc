//! Print-stream analysis: page count, colour, title and creating application,
//! read from the document as it streams into the store, after device-changing
//! PJL has been removed from it ([`pjl`]).
//!
//! Every analyser is sans-IO (`feed` bytes, then `finish`), keeps bounded
//! state whatever the input, and never fails: hostile or unknown input gives
//! an unknown page count rather than an error. A count that is a heuristic is
//! marked as an estimate.
//!
//! [`Inspector`] is the entry point: it sanitises (PJL, then the PostScript
//! and PCL commands that change the printer or the copies, see
//! `neutralise`), hands on the bytes to keep, and analyses the
//! page-description data among them.

mod jpeg;
mod neutralise;
mod pcl;
mod pdf;
pub mod pjl;
mod ps;
mod raster;

use crate::job::ColorMode;

/// What analysis found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The format actually found (from magic bytes), as a MIME type.
    pub format: Option<&'static str>,
    /// Pages (impressions before copies), if known.
    pub pages: Option<u32>,
    /// True when `pages` is a heuristic.
    pub estimated: bool,
    /// Colour use, where it can be told.
    pub color: ColorMode,
    /// Document title from the document itself.
    pub title: Option<String>,
    /// Creating application from the document itself.
    pub application: Option<String>,
    /// What was changed in the document on the way in (removed PJL).
    pub notes: Vec<String>,
}

/// Longest string kept from a document (title, application).
const MAX_TEXT: usize = 256;

fn clean(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect();
    let t = t.trim().to_owned();
    (!t.is_empty()).then_some(t)
}

enum Kind {
    Sniffing(Vec<u8>),
    Pdf(pdf::Pdf),
    Ps(ps::PostScript),
    Jpeg(jpeg::Jpeg),
    Pwg(raster::Pwg),
    Urf(raster::Urf),
    PclXl(pcl::PclXl),
    Pcl5(pcl::Pcl5),
    Other(&'static str),
}

/// Streams a document through the analyser that its first bytes call for.
pub struct Analyser {
    kind: Kind,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyser")
    }
}

impl Default for Analyser {
    fn default() -> Self {
        Analyser::new()
    }
}

/// Bytes looked at to recognise a format.
const SNIFF: usize = 16;

impl Analyser {
    /// A new analyser; the format is recognised from the data itself.
    pub fn new() -> Analyser {
        Analyser { kind: Kind::Sniffing(Vec::with_capacity(SNIFF)) }
    }

    fn pick(head: &[u8]) -> Kind {
        if head.starts_with(b"%PDF-") {
            Kind::Pdf(pdf::Pdf::default())
        } else if head.starts_with(b"%!") || head.starts_with(b"\x04%!") {
            Kind::Ps(ps::PostScript::default())
        } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
            Kind::Jpeg(jpeg::Jpeg::default())
        } else if head.starts_with(b"RaS2") {
            Kind::Pwg(raster::Pwg::default())
        } else if head.starts_with(b"UNIRAST\0") {
            Kind::Urf(raster::Urf::default())
        } else if head.get(1..11) == Some(b" HP-PCL XL".as_slice()) && matches!(head[0], b')' | b'(') {
            Kind::PclXl(pcl::PclXl::default())
        } else if head.first() == Some(&0x1b) {
            Kind::Pcl5(pcl::Pcl5::default())
        } else {
            Kind::Other("application/octet-stream")
        }
    }

    /// Feed the next bytes of the document.
    pub fn feed(&mut self, data: &[u8]) {
        if let Kind::Sniffing(head) = &mut self.kind {
            let take = (SNIFF - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
            if head.len() < SNIFF {
                return;
            }
            let head = std::mem::take(head);
            self.kind = Self::pick(&head);
            self.feed_kind(&head);
            self.feed_kind(&data[take..]);
            return;
        }
        self.feed_kind(data);
    }

    fn feed_kind(&mut self, data: &[u8]) {
        match &mut self.kind {
            Kind::Pdf(a) => a.feed(data),
            Kind::Ps(a) => a.feed(data),
            Kind::Jpeg(a) => a.feed(data),
            Kind::Pwg(a) => a.feed(data),
            Kind::Urf(a) => a.feed(data),
            Kind::PclXl(a) => a.feed(data),
            Kind::Pcl5(a) => a.feed(data),
            Kind::Sniffing(_) | Kind::Other(_) => {}
        }
    }

    /// The document is complete.
    pub fn finish(mut self) -> Analysis {
        if let Kind::Sniffing(head) = &mut self.kind {
            let head = std::mem::take(head);
            self.kind = Self::pick(&head);
            self.feed_kind(&head);
        }
        match self.kind {
            Kind::Pdf(a) => a.finish(),
            Kind::Ps(a) => a.finish(),
            Kind::Jpeg(a) => a.finish(),
            Kind::Pwg(a) => a.finish(),
            Kind::Urf(a) => a.finish(),
            Kind::PclXl(a) => a.finish(),
            Kind::Pcl5(a) => a.finish(),
            Kind::Other(f) => Analysis { format: Some(f), ..Default::default() },
            Kind::Sniffing(_) => Analysis::default(),
        }
    }
}

/// Sanitises a document as it streams in, and analyses what is kept.
#[derive(Debug, Default)]
pub struct Inspector {
    pjl: pjl::Sanitizer,
    neutraliser: neutralise::Neutraliser,
    analyser: Analyser,
}

impl Inspector {
    /// A new inspector at the start of a document.
    pub fn new() -> Inspector {
        Inspector::default()
    }

    /// Take the next bytes of the document; `keep` receives the bytes to
    /// store, in order.
    pub fn push<E>(&mut self, data: &[u8], keep: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let (analyser, neutraliser) = (&mut self.analyser, &mut self.neutraliser);
        self.pjl.push(data, &mut |part| Self::route(analyser, neutraliser, part, keep))
    }

    fn route<E>(
        analyser: &mut Analyser,
        neutraliser: &mut neutralise::Neutraliser,
        part: pjl::Part<'_>,
        keep: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pdl = |b: &[u8]| {
            analyser.feed(b);
            keep(b)
        };
        match part {
            pjl::Part::Pjl(b) => {
                // PJL ends the page description before it.
                neutraliser.end_segment(&mut pdl)?;
                keep(b)
            }
            pjl::Part::Pdl(b) => neutraliser.push(b, &mut pdl),
        }
    }

    /// The document is complete: flush what is held and report. The PJL's
    /// job name, page range and colour mode take precedence over what the
    /// page description says.
    pub fn finish<E>(self, keep: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<Analysis, E> {
        let Inspector { pjl, mut neutraliser, mut analyser } = self;
        let facts = pjl.finish(&mut |part| Self::route(&mut analyser, &mut neutraliser, part, keep))?;
        neutraliser.end_segment(&mut |b: &[u8]| {
            analyser.feed(b);
            keep(b)
        })?;
        let mut a = analyser.finish();
        a.notes.extend(neutraliser.notes());
        if !facts.present {
            return Ok(a);
        }
        if let Some(name) = facts.job_name.clone() {
            a.title = Some(name);
        }
        if let Some(c) = facts.color {
            a.color = if c { ColorMode::Color } else { ColorMode::Monochrome };
        }
        // `JOB START= END=` prints only that range of the document's pages.
        if let Some(pages) = a.pages
            && (facts.start.is_some() || facts.end.is_some())
        {
            let first = facts.start.unwrap_or(1).max(1);
            let last = facts.end.unwrap_or(pages).min(pages);
            a.pages = Some(if first > last { 0 } else { last - first + 1 });
        }
        if a.format.is_none() || a.format == Some("application/octet-stream") {
            a.format = match facts.language.as_deref() {
                Some("PCLXL") => Some("application/vnd.hp-pclxl"),
                Some("PCL") => Some("application/vnd.hp-pcl"),
                Some("POSTSCRIPT") => Some("application/postscript"),
                Some("PDF") => Some("application/pdf"),
                _ => a.format,
            };
        }
        a.notes.extend(facts.note());
        Ok(a)
    }
}

/// Sanitise and analyse a whole buffer (tests and small documents).
pub fn analyse(data: &[u8]) -> Analysis {
    let mut i = Inspector::new();
    let mut keep = |_: &[u8]| Ok::<(), std::convert::Infallible>(());
    match i.push(data, &mut keep).and_then(|()| i.finish(&mut keep)) {
        Ok(a) => a,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_PAGE: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n4 0 obj<</Title(Quarterly \\(draft\\))/Creator(Writer)>>endobj\n\
trailer<</Root 1 0 R/Info 4 0 R>>\n%%EOF\n";

    #[test]
    fn pdf_page_tree_gives_an_exact_count_title_and_creator() {
        let a = analyse(ONE_PAGE);
        assert_eq!((a.pages, a.estimated, a.format), (Some(1), false, Some("application/pdf")));
        assert_eq!(a.title.as_deref(), Some("Quarterly (draft)"));
        assert_eq!(a.application.as_deref(), Some("Writer"));
    }

    #[test]
    fn pdf_incremental_update_wins_and_stream_junk_is_ignored() {
        let mut d = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R 5 0 R 6 0 R]/Count 3>>endobj\n\
7 0 obj<</Length 40>>stream\n9 0 obj<</Type/Pages/Count 99>>endobj\nendstream\nendobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n"
            .to_vec();
        // An incremental update deletes a page: object 2 is redefined.
        d.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>\nendobj\ntrailer\n<< /Root 1 0 R /Prev 0 >>\n%%EOF\n");
        let a = analyse(&d);
        assert_eq!((a.pages, a.estimated), (Some(2), false));
    }

    #[test]
    fn pdf_in_any_chunking_gives_the_same_answer() {
        for size in [1, 2, 3, 7, 64] {
            let mut an = Analyser::new();
            for c in ONE_PAGE.chunks(size) {
                an.feed(c);
            }
            assert_eq!(an.finish().pages, Some(1), "chunks of {size}");
        }
    }

    #[test]
    fn pdf_stream_data_is_skipped_wherever_the_chunks_split_it() {
        let mut d = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n7 0 obj<</Length 64>>stream\n".to_vec();
        // Stream bytes that look like objects and like partial "endstream"s.
        d.extend_from_slice(b"endstrea 2 0 obj<</Type/Pages/Count 99>>endobj endstreaendstre %% (((");
        d.extend_from_slice(b"\nendstream\nendobj\n2 0 obj<</Type/Pages/Kids[3 0 R 4 0 R]/Count 2>>endobj\n");
        d.extend_from_slice(b"trailer<</Root 1 0 R>>\n%%EOF\n");
        for size in 1..40 {
            let mut an = Analyser::new();
            for c in d.chunks(size) {
                an.feed(c);
            }
            assert_eq!(an.finish().pages, Some(2), "chunks of {size}");
        }
    }

    #[test]
    fn pdf_without_a_readable_tree_is_an_estimate() {
        let d = b"%PDF-1.5\n3 0 obj<</Type/Page>>endobj\n4 0 obj<</Type/Page>>endobj\n5 0 obj<</Type/ObjStm/Length 3>>stream\nxyz\nendstream endobj\n";
        let a = analyse(d);
        assert_eq!((a.pages, a.estimated), (Some(2), true));
    }

    #[test]
    fn postscript_dsc_counts() {
        let a = analyse(b"%!PS-Adobe-3.0\n%%Title: Memo\n%%Creator: (LibreOffice)\n%%Pages: 3\n%%EndComments\n");
        assert_eq!((a.pages, a.estimated), (Some(3), false));
        assert_eq!(a.title.as_deref(), Some("Memo"));
        assert_eq!(a.application.as_deref(), Some("LibreOffice"));
        let a = analyse(b"%!PS-Adobe-3.0\n%%Pages: (atend)\n%%Page: 1 1\n%%Trailer\n%%Pages: 4\n%%EOF\n");
        assert_eq!((a.pages, a.estimated), (Some(4), false));
        let a = analyse(b"%!PS\n%%Page: 1 1\nshowpage\n%%Page: 2 2\nshowpage\n");
        assert_eq!((a.pages, a.estimated), (Some(2), true));
    }

    fn jpeg(components: u8) -> Vec<u8> {
        let mut j = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        j.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        j.extend([0xff, 0xc0, 0, 8 + 3 * components, 8, 0, 16, 0, 16, components]);
        for c in 0..components {
            j.extend([c + 1, 0x11, 0]);
        }
        j.extend([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0xff, 0xd9]);
        j
    }

    #[test]
    fn jpeg_is_one_page_and_its_colour_is_known() {
        let a = analyse(&jpeg(3));
        assert_eq!((a.pages, a.color, a.format), (Some(1), ColorMode::Color, Some("image/jpeg")));
        assert_eq!(analyse(&jpeg(1)).color, ColorMode::Monochrome);
    }

    #[test]
    fn urf_header_gives_the_count() {
        let mut u = b"UNIRAST\0".to_vec();
        u.extend(5u32.to_be_bytes());
        u.extend([24, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
        u.extend([0u8; 20]);
        let a = analyse(&u);
        assert_eq!((a.pages, a.color), (Some(5), ColorMode::Color));
    }

    fn pwg_page(height: u32, line_bytes: u32, colors: u32) -> Vec<u8> {
        let mut h = vec![0u8; 1796];
        h[376..380].copy_from_slice(&height.to_be_bytes());
        h[388..392].copy_from_slice(&8u32.to_be_bytes());
        h[392..396].copy_from_slice(&line_bytes.to_be_bytes());
        h[420..424].copy_from_slice(&colors.to_be_bytes());
        // Each line group: repeat 0 (one line), then runs covering line_bytes.
        for _ in 0..height {
            h.push(0);
            h.extend([1, 0xaa]); // 2 pixels of 0xaa
            h.push(255); // 2 literal pixels
            h.extend([1, 2]);
            h.push(128); // clear to end of line
        }
        h
    }

    #[test]
    fn pwg_raster_pages_are_decoded_and_counted() {
        let mut r = b"RaS2".to_vec();
        r.extend(pwg_page(3, 10, 1));
        r.extend(pwg_page(2, 4, 3));
        let a = analyse(&r);
        assert_eq!((a.pages, a.estimated, a.color), (Some(2), false, ColorMode::Color));
        // A truncated last page is not counted.
        let cut = &r[..r.len() - 3];
        assert_eq!(analyse(cut).pages, Some(1));
    }

    #[test]
    fn hostile_bytes_never_panic_and_give_no_false_certainty() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for prefix in [
            &b"%PDF-"[..],
            b"%!PS",
            b"\xff\xd8\xff",
            b"RaS2",
            b"UNIRAST\0",
            b") HP-PCL XL;2;0\n",
            b"\x1bE\x1b*b",
            b"\x1b%-12345X@PJL ",
            b"",
        ] {
            for _ in 0..50 {
                let mut d = prefix.to_vec();
                for _ in 0..4000 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    d.push(seed.to_le_bytes()[0]);
                }
                let _ = analyse(&d);
                // The same bytes in uneven pieces give the same answer.
                let mut i = Inspector::new();
                let mut keep = |_: &[u8]| Ok::<(), ()>(());
                for c in d.chunks(1 + usize::from(seed.to_le_bytes()[1] % 97)) {
                    i.push(c, &mut keep).expect("push");
                }
                assert_eq!(i.finish(&mut keep).expect("finish"), analyse(&d));
            }
        }
        assert_eq!(analyse(b"").pages, None);
        assert_eq!(analyse(b"hello").format, Some("application/octet-stream"));
    }
}

//! Print-stream analysis: every analyser (PDF, PostScript, PCL 5, PCL XL,
//! PJL, JPEG, PWG raster, URF), reached through the `Inspector` as the IPP
//! queue does. Byte 0 picks the format's magic to put in front, the rest
//! is a chunking plan and the document. The verdict and the bytes kept
//! must not depend on how the document was cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::analyse::{Analysis, Inspector};
use pullprint_fuzz::Split;
use std::convert::Infallible;

const MAGIC: &[&[u8]] = &[
    b"%PDF-1.7\n",
    b"%!PS-Adobe-3.0\n",
    b"\x1bE",
    b") HP-PCL XL;2;0\r\n",
    b"\x1b%-12345X@PJL\r\n",
    b"\xff\xd8\xff",
    b"RaS2",
    b"UNIRAST\0",
    b"",
];

fn inspect(chunks: &[&[u8]]) -> (Analysis, Vec<u8>) {
    let mut kept = Vec::new();
    let mut keep = |b: &[u8]| {
        kept.extend_from_slice(b);
        Ok::<(), Infallible>(())
    };
    let mut inspector = Inspector::new();
    for c in chunks {
        let Ok(()) = inspector.push(c, &mut keep);
    }
    let Ok(analysis) = inspector.finish(&mut keep);
    (analysis, kept)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let split = Split::new(rest);
    let doc = [MAGIC[usize::from(pick) % MAGIC.len()], split.payload].concat();
    let (analysis, kept) = inspect(&split.chunks(&doc));
    let (whole, whole_kept) = inspect(&[&doc]);
    assert_eq!(analysis, whole, "the analysis depends on how the document was cut");
    assert_eq!(kept, whole_kept, "the bytes kept depend on how the document was cut");
    for text in [&analysis.title, &analysis.application].into_iter().flatten() {
        assert!(text.chars().count() <= 256, "an unbounded string was kept");
    }
});

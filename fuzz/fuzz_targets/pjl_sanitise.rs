//! The PJL sanitiser, fed in chunks cut where the fuzzer chooses. Its
//! output must not depend on the cuts, and must hold nothing it would
//! remove: sanitising the output again removes no command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::analyse::pjl::{Part, PjlFacts, Sanitizer};
use pullprint_fuzz::Split;
use std::convert::Infallible;

/// The output as runs of PJL (`true`) or page-description bytes, adjacent
/// parts of one kind joined, and what the PJL said.
fn sanitise(chunks: &[&[u8]]) -> (Vec<(bool, Vec<u8>)>, PjlFacts) {
    let mut runs: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut out = |part: Part<'_>| {
        let (pjl, bytes) = match part {
            Part::Pjl(b) => (true, b),
            Part::Pdl(b) => (false, b),
        };
        match runs.last_mut() {
            Some((kind, run)) if *kind == pjl => run.extend_from_slice(bytes),
            _ => runs.push((pjl, bytes.to_vec())),
        }
        Ok::<(), Infallible>(())
    };
    let mut s = Sanitizer::new();
    for c in chunks {
        let Ok(()) = s.push(c, &mut out);
    }
    let Ok(facts) = s.finish(&mut out);
    runs.retain(|(_, r)| !r.is_empty());
    (runs, facts)
}

fuzz_target!(|data: &[u8]| {
    let split = Split::new(data);
    let (runs, facts) = sanitise(&split.chunks(split.payload));
    let (whole_runs, whole_facts) = sanitise(&[split.payload]);
    assert_eq!((&runs, &facts), (&whole_runs, &whole_facts), "the cuts changed the output");
    let output: Vec<u8> = runs.into_iter().flat_map(|(_, r)| r).collect();
    let (_, again) = sanitise(&[&output]);
    assert!(again.removed.is_empty(), "the sanitised output still holds {:?}", again.removed);
});

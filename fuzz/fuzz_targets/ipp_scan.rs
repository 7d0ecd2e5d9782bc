//! IPP framing: the resumable `Scanner`, fed a message in chunks cut where
//! the fuzzer chooses, reaches the one-shot `scan`'s verdict, and examines
//! each byte about once however the message arrived.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::ipp::codec::{Scan, Scanner, scan};
use pullprint_fuzz::Split;

fuzz_target!(|data: &[u8]| {
    let split = Split::new(data);
    let message = split.payload;
    let mut scanner = Scanner::default();
    let (mut arrived, mut calls) = (0, 0);
    let mut verdict = Ok(Scan::NeedMore);
    for chunk in split.chunks(message) {
        arrived += chunk.len();
        calls += 1;
        verdict = scanner.scan(&message[..arrived]);
        if verdict != Ok(Scan::NeedMore) {
            break;
        }
    }
    assert_eq!(verdict, scan(message), "chunked and one-shot verdicts differ");
    assert!(scanner.examined() <= message.len() + calls, "bytes were scanned again");
});

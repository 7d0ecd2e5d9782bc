//! Crash-test child: ingests jobs into a store from several threads forever,
//! printing `ACK <job id> <seed> <len>` to stdout after each commit returns.
//! The parent SIGKILLs it at a random moment and checks every ACKed job.
//!
//! Usage: `ingest-child STORE_DIR WRITERS`, with the site key in hex in
//! `PULLPRINT_TEST_KEY`.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let writers: usize = args[2].parse().expect("writers");
    let mut raw = [0u8; 32];
    hex::decode_to_slice(std::env::var("PULLPRINT_TEST_KEY").expect("key"), &mut raw).expect("hex key");
    let key = local_connector::crypto::SiteKey::from_bytes(raw);
    let (store, _) = local_connector::store::JobStore::open(pullprint_tests::store_options(&dir), &key).expect("open");
    println!("READY");
    let threads: Vec<_> = (0..writers)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                loop {
                    let seed: u64 = rand::random();
                    let len = (seed % 300_000) as usize;
                    let body = pullprint_tests::body_for(seed, len);
                    let sub = local_connector::store::JobSubmission {
                        owner: "crash".into(),
                        document_name: format!("job-{seed}"),
                        format: "application/octet-stream".into(),
                        copies: 1,
                        ..Default::default()
                    };
                    let mut w = store.create(sub).expect("create");
                    for piece in body.chunks(100_000) {
                        w.write_body(piece).expect("write");
                    }
                    let meta = w.commit().expect("commit");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {} {seed} {len}", meta.id).expect("stdout");
                    out.flush().expect("flush");
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

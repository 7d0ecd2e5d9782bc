//! Print-stream inspection throughput: `cargo bench -p local-connector --bench analyse`.
//!
//! Every document passes through the PJL sanitiser and its format's
//! analyser on its way into the store, so their speed bounds ingest. Each
//! figure is given against a plain copy of the same bytes measured in the
//! same run (the machine is shared and noisy).

use local_connector::analyse::Inspector;
use std::time::Instant;

const SIZE: usize = 64 << 20;
const CHUNK: usize = 64 * 1024;

fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn mb_per_s(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

fn inspect(data: &[u8]) -> f64 {
    let start = Instant::now();
    let mut i = Inspector::new();
    let mut kept = 0usize;
    let mut keep = |b: &[u8]| {
        kept += b.len();
        Ok::<(), ()>(())
    };
    for c in data.chunks(CHUNK) {
        let _ = i.push(c, &mut keep);
    }
    let _ = i.finish(&mut keep);
    assert!(kept <= data.len());
    mb_per_s(data.len(), start.elapsed().as_secs_f64())
}

fn copy(data: &[u8]) -> f64 {
    let start = Instant::now();
    let mut out = vec![0u8; CHUNK];
    let mut sum = 0u64;
    for c in data.chunks(CHUNK) {
        out[..c.len()].copy_from_slice(c);
        sum = sum.wrapping_add(u64::from(out[0]));
    }
    std::hint::black_box(sum);
    mb_per_s(data.len(), start.elapsed().as_secs_f64())
}

fn main() {
    let body = noise(SIZE);
    let mut pdf = format!("%PDF-1.7\n1 0 obj<</Length {SIZE}>>stream\n").into_bytes();
    pdf.extend_from_slice(&body);
    pdf.extend_from_slice(b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    let mut garbage_pdf = b"%PDF-1.7\n".to_vec();
    garbage_pdf.extend_from_slice(&body[..SIZE / 8]);
    let mut pcl = b"\x1b%-12345X@PJL ENTER LANGUAGE=PCL\n\x1bE".to_vec();
    for row in body.chunks(1000) {
        pcl.extend_from_slice(format!("\x1b*b{}W", row.len()).as_bytes());
        pcl.extend_from_slice(row);
    }
    let mut octets = body.clone();
    octets[0] = b'X';
    let baseline = copy(&pdf);
    println!("Inspection throughput (memcpy of the same bytes: {baseline:.0} MB/s)");
    for (name, data) in [
        ("PDF, one big stream", &pdf),
        ("PCL 5 raster rows", &pcl),
        ("unknown bytes", &octets),
        ("hostile: PDF header then noise", &garbage_pdf),
    ] {
        let r = inspect(data);
        println!("  {name:<32} {r:>7.0} MB/s = {:.3}x memcpy", r / baseline);
    }
}

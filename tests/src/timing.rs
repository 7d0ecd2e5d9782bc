//! Comparing the time two kinds of attempt take: alternated samples and
//! their medians. The suite asserts only a generous bound with these; the
//! strict figures are measured by the benchmarks (see docs/SECURITY.md).

use std::time::{Duration, Instant};

/// The `per_mille`-th per-mille value of `v` (500: the median, 990: p99).
pub fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * per_mille + 500) / 1000]
}

/// Two kinds of attempt, timed in turns so that both see the same load.
#[derive(Debug, Default)]
pub struct Paired {
    /// Times of the first kind.
    pub a: Vec<Duration>,
    /// Times of the second kind.
    pub b: Vec<Duration>,
}

impl Paired {
    /// `n` of each, alternating (`a` first on even rounds, `b` on odd ones).
    pub fn run(n: usize, mut a: impl FnMut(usize), mut b: impl FnMut(usize)) -> Paired {
        let mut p = Paired::default();
        for i in 0..n {
            for first in [i % 2 == 0, i % 2 == 1] {
                let t = Instant::now();
                if first {
                    a(i);
                    p.a.push(t.elapsed());
                } else {
                    b(i);
                    p.b.push(t.elapsed());
                }
            }
        }
        p
    }

    /// The two medians.
    pub fn medians(&mut self) -> (Duration, Duration) {
        (percentile(&mut self.a, 500), percentile(&mut self.b, 500))
    }

    /// The difference of the medians (absolute).
    pub fn median_gap(&mut self) -> Duration {
        let (a, b) = self.medians();
        a.abs_diff(b)
    }

    /// The two fastest samples, one of each kind: what each costs when
    /// nothing else on the machine gets in the way (noise only adds time).
    pub fn minima(&self) -> (Duration, Duration) {
        (self.a.iter().min().copied().unwrap_or_default(), self.b.iter().min().copied().unwrap_or_default())
    }

    /// The suite's sanity bound: one kind is at most half again as slow as
    /// the other, judged by the fastest samples or by the medians. A
    /// missing or doubled decoy (a hash or directory round trip that only
    /// one side pays) moves both; noise moves one at a time: a busy machine
    /// (CI, parallel tests) slows medians of a few samples by half again,
    /// and one lucky fast sample of a kind moves its minimum (seen in CI:
    /// minima 24.4 and 15.2 ms, medians 34.2 and 32.7 ms).
    pub fn roughly_alike(&mut self) -> bool {
        let alike = |a: Duration, b: Duration| a.min(b) * 3 >= a.max(b) * 2;
        let (fa, fb) = self.minima();
        let (ma, mb) = self.medians();
        alike(fa, fb) || alike(ma, mb)
    }

    /// "a 8.91 ms, b 8.87 ms, gap 0.04 ms": for messages and reports.
    pub fn describe(&mut self, a: &str, b: &str) -> String {
        let (ma, mb) = self.medians();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (fa, fb) = self.minima();
        format!(
            "{a} {:.2} ms, {b} {:.2} ms, gap {:.2} ms (medians of {}; fastest {:.2} and {:.2} ms)",
            ms(ma),
            ms(mb),
            ms(ma.abs_diff(mb)),
            self.a.len(),
            ms(fa),
            ms(fb)
        )
    }
}

//! JPEG (JFIF/Exif): one page; colour from the frame header's component count
//! (ITU T.81 §B.2.2). Markers are walked by their lengths up to the first scan.

use super::Analysis;
use crate::job::ColorMode;

#[derive(Debug, Default)]
pub(super) struct Jpeg {
    state: State,
    components: Option<u8>,
    seen: u64,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Start,
    Ff,
    Marker,
    /// After a marker: its code; the high length byte comes next.
    Len(u8),
    /// The marker code and the high length byte.
    Len2(u8, u8),
    Skip {
        left: u32,
        sof: bool,
        at: u32,
    },
    Done,
}

fn is_sof(m: u8) -> bool {
    matches!(m, 0xc0..=0xcf) && !matches!(m, 0xc4 | 0xc8 | 0xcc)
}

impl Jpeg {
    pub(super) fn feed(&mut self, data: &[u8]) {
        for &b in data {
            self.seen += 1;
            self.state = match std::mem::take(&mut self.state) {
                State::Done => State::Done,
                State::Start => {
                    // Skip SOI (FF D8): the first two bytes.
                    if self.seen >= 2 { State::Ff } else { State::Start }
                }
                State::Ff => {
                    if b == 0xff {
                        State::Marker
                    } else {
                        State::Done
                    }
                }
                State::Marker => match b {
                    0xff => State::Marker,
                    0xd8 | 0x01 | 0xd0..=0xd7 => State::Ff,
                    0xda | 0xd9 => State::Done,
                    m => State::Len(m),
                },
                State::Len(m) => State::Len2(m, b),
                State::Len2(m, hi) => {
                    let len = (u32::from(hi) << 8) | u32::from(b);
                    if len < 2 {
                        State::Done
                    } else if len == 2 {
                        State::Ff
                    } else {
                        State::Skip { left: len - 2, sof: is_sof(m), at: 0 }
                    }
                }
                State::Skip { left, sof, at } => {
                    // Frame header: P(1) Y(2) X(2) Nf(1)
                    if sof && at == 5 {
                        self.components = Some(b);
                    }
                    if left <= 1 { State::Ff } else { State::Skip { left: left - 1, sof, at: at + 1 } }
                }
            };
            if matches!(self.state, State::Done) {
                return;
            }
        }
    }

    pub(super) fn finish(self) -> Analysis {
        Analysis {
            format: Some("image/jpeg"),
            pages: Some(1),
            estimated: false,
            color: match self.components {
                Some(1) => ColorMode::Monochrome,
                Some(_) => ColorMode::Color,
                None => ColorMode::Unknown,
            },
            ..Default::default()
        }
    }
}

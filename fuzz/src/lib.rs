//! What Pullprint's fuzz targets share: cutting an input into the chunks a
//! network peer might have sent it in, at points the fuzzer chooses, so
//! that every resumable parser is checked against its one-shot verdict.

/// Most explicit cuts an input asks for.
const MAX_CUTS: usize = 7;

/// An input read as a chunking plan and the payload to chunk.
///
/// Byte 0: bits 0-2 are the number of explicit gaps that follow (each one
/// byte, a chunk of `byte + 1` bytes); bit 3 set feeds what remains after
/// them in chunks of `(byte 0 >> 4) + 1` bytes (a trickle), clear feeds it
/// at once. The payload is everything after the gaps.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The bytes to cut.
    pub payload: &'a [u8],
    gaps: Vec<usize>,
    trickle: Option<usize>,
}

impl<'a> Split<'a> {
    /// Read the plan at the start of `data`.
    pub fn new(data: &'a [u8]) -> Split<'a> {
        let Some((&head, rest)) = data.split_first() else {
            return Split { payload: data, gaps: Vec::new(), trickle: None };
        };
        let n = usize::from(head & 0x07).min(MAX_CUTS).min(rest.len());
        let (gaps, payload) = rest.split_at(n);
        let trickle = (head & 0x08 != 0).then_some(usize::from(head >> 4) + 1);
        Split { payload, gaps: gaps.iter().map(|&g| usize::from(g) + 1).collect(), trickle }
    }

    /// `doc` cut as planned: non-empty chunks (one empty chunk for an
    /// empty `doc`) that together are `doc`.
    pub fn chunks<'d>(&self, doc: &'d [u8]) -> Vec<&'d [u8]> {
        let mut out = Vec::new();
        let mut rest = doc;
        for &g in &self.gaps {
            if rest.is_empty() {
                break;
            }
            let (c, r) = rest.split_at(g.min(rest.len()));
            out.push(c);
            rest = r;
        }
        match self.trickle {
            Some(n) => out.extend(rest.chunks(n)),
            None if !rest.is_empty() => out.push(rest),
            None => {}
        }
        if out.is_empty() {
            out.push(rest);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Split;

    #[test]
    fn the_chunks_are_the_payload_in_order() {
        let data = [0x1a, 0, 2, b'a', b'b', b'c', b'd', b'e', b'f', b'g'];
        let s = Split::new(&data);
        assert_eq!(s.payload, b"abcdefg");
        let chunks = s.chunks(s.payload);
        assert_eq!(chunks, vec![&b"a"[..], b"bcd", b"ef", b"g"]);
        assert_eq!(Split::new(&[]).chunks(&[]), vec![&b""[..]]);
    }
}

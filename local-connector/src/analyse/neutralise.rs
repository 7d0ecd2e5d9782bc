//! Neutralising the PostScript and PCL 5 commands that reach past the job
//! into the printer itself, applied to the page description after PJL has
//! been sanitised ([`super::pjl`]).
//!
//! A PostScript printer obeys `exitserver` and `startjob` (leaving the job's
//! save/restore encapsulation, so that what follows changes the device until
//! it is switched off), `setsystemparams` and `setdevparams` (device-wide
//! settings, passwords among them), and `deletefile` and `renamefile` (its
//! disk). A PCL 5 printer keeps macros and soft fonts made permanent
//! (`ESC &f10X`, `ESC *c6F`) and deletes other jobs' with `ESC &f6X` and
//! `ESC *c0F`. A print job has no business doing any of that.
//!
//! Copies asked for inside the document (`ESC &l#X`, PostScript `/NumCopies`
//! and `/#copies`) would multiply the job past what was recorded and charged,
//! so they are neutralised too: the copies printed are the job's `copies`.
//!
//! What is done, and why it is safe:
//! - PostScript is rewritten word by word, everywhere in the stream
//!   (strings and comments included): a tokenizer that tried to skip strings
//!   could be led astray by binary data the interpreter reads raw, so the
//!   rewrite does not try. An operator becomes what pops its operands and
//!   leaves what a refusing interpreter would (`startjob` → `pop pop false`);
//!   a literal name becomes `/pullprint_removed`, which nothing defines.
//!   A name built at run time (`(exit) (server) ...cvn`) is beyond any
//!   filter that does not run the program; the printer's own password
//!   (`SystemParamsPassword`) remains the last line there.
//! - PCL 5 is parsed as the printer parses it (binary payloads skipped by
//!   their length). An escape sequence that needs a change is re-emitted
//!   one command at a time (`ESC &l1o40X` as `ESC &l1O ESC &l1X`, which
//!   PCL defines as the same), so a value is changed whatever its spelling;
//!   every other sequence passes as it came. A malformed escape sequence is
//!   dropped rather than passed on for the printer to guess at.
//! - Anything else (PDF, raster, JPEG, PCL XL) passes untouched.
//!
//! The filter is sans-IO and holds at most one word or one command.

/// Longest PostScript word compared (longer ones cannot be on the list).
const MAX_WORD: usize = 16;
/// Longest PCL value field kept; a longer command is dropped.
const MAX_VALUE: usize = 32;
/// Longest PCL escape sequence held to be passed on as it came.
const MAX_SEQUENCE: usize = 256;
/// Bytes looked at to recognise the language of a segment.
const SNIFF: usize = 4;

/// PostScript names that act beyond the job, with what replaces each when
/// executed. As a literal (`/name`) each becomes `/pullprint_removed`.
const PS_NAMES: &[(&[u8], &[u8])] = &[
    (b"exitserver", b"pop"),
    (b"startjob", b"pop pop false"),
    (b"setsystemparams", b"pop"),
    (b"setdevparams", b"pop pop"),
    (b"deletefile", b"pop"),
    (b"renamefile", b"pop pop"),
    // Copies asked for inside the document: reading `#copies` gives 1.
    (b"#copies", b"1"),
    (b"NumCopies", b"pullprint_removed"),
];
const PS_REMOVED_LITERAL: &[u8] = b"pullprint_removed";

#[derive(Debug)]
enum Mode {
    /// At the start of a segment: deciding the language.
    Sniff(Vec<u8>),
    Ps(Ps),
    Pcl(Pcl),
    Pass,
}

/// Neutralises device-changing PostScript and PCL 5 as it streams.
#[derive(Debug)]
pub(super) struct Neutraliser {
    mode: Mode,
    notes: Vec<&'static str>,
}

impl Default for Neutraliser {
    fn default() -> Self {
        Neutraliser { mode: Mode::Sniff(Vec::new()), notes: Vec::new() }
    }
}

type Out<'a, E> = &'a mut dyn FnMut(&[u8]) -> Result<(), E>;

impl Neutraliser {
    /// Take the next page-description bytes; `out` receives what to keep.
    pub(super) fn push<E>(&mut self, data: &[u8], out: Out<'_, E>) -> Result<(), E> {
        if let Mode::Sniff(head) = &mut self.mode {
            let take = (SNIFF - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
            if head.len() < SNIFF {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.mode = pick(&head);
            self.feed(&head, out)?;
            return self.feed(&data[take..], out);
        }
        self.feed(data, out)
    }

    fn feed<E>(&mut self, data: &[u8], out: Out<'_, E>) -> Result<(), E> {
        match &mut self.mode {
            Mode::Ps(ps) => ps.feed(data, &mut self.notes, out),
            Mode::Pcl(pcl) => pcl.feed(data, &mut self.notes, out),
            Mode::Pass => out(data),
            Mode::Sniff(_) => Ok(()),
        }
    }

    /// The page description ends here (PJL or the document's end follows):
    /// flush what is held and start over for the next segment.
    pub(super) fn end_segment<E>(&mut self, out: Out<'_, E>) -> Result<(), E> {
        match std::mem::replace(&mut self.mode, Mode::Sniff(Vec::new())) {
            Mode::Sniff(head) if !head.is_empty() => {
                self.mode = pick(&head);
                self.feed(&head, out)?;
                return self.end_segment(out);
            }
            Mode::Ps(mut ps) => ps.finish(&mut self.notes, out)?,
            // An unfinished command at the end is dropped, as a malformed one is.
            Mode::Pcl(_) | Mode::Pass | Mode::Sniff(_) => {}
        }
        Ok(())
    }

    /// Lines for the job's notes: what was neutralised.
    pub(super) fn notes(&self) -> Vec<String> {
        self.notes.iter().map(|n| (*n).to_owned()).collect()
    }
}

fn pick(head: &[u8]) -> Mode {
    if head.starts_with(b"%!") || head.starts_with(b"\x04%!") {
        Mode::Ps(Ps::default())
    } else if head.first() == Some(&0x1b) {
        Mode::Pcl(Pcl::default())
    } else {
        Mode::Pass
    }
}

fn note(notes: &mut Vec<&'static str>, what: &'static str) {
    if !notes.contains(&what) {
        notes.push(what);
    }
}

/// True for PostScript's white space and delimiters (PLRM 3.2.2).
fn ps_delimiter(b: u8) -> bool {
    matches!(
        b,
        0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ' | b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

#[derive(Debug, Default)]
struct Ps {
    /// The word being read, if it began in an earlier push (at most
    /// `MAX_WORD` bytes; `long` once it is longer).
    held: Vec<u8>,
    long: bool,
    /// Inside a word (which may have started in an earlier push).
    in_word: bool,
    /// The byte before the current word was `/`.
    literal: bool,
    /// The last byte seen.
    last: u8,
}

impl Ps {
    fn feed<E>(&mut self, data: &[u8], notes: &mut Vec<&'static str>, out: Out<'_, E>) -> Result<(), E> {
        // Bytes before `run` are handed on (or held, for a word that began
        // in an earlier push); a word that may be replaced is handed on only
        // once it is complete.
        let mut run = 0;
        let mut word_at = 0;
        for (i, &b) in data.iter().enumerate() {
            if ps_delimiter(b) {
                if self.in_word {
                    run = self.end_word(&data[..i], run, word_at, notes, out)?;
                }
            } else if !self.in_word {
                self.in_word = true;
                self.literal = self.last == b'/';
                word_at = i;
            }
            self.last = b;
        }
        if !self.in_word || self.long {
            return out(&data[run..]);
        }
        // The word goes on in the next push: hold it, unless it is already
        // too long to be one of the names.
        out(&data[run..word_at])?;
        let part = &data[word_at..];
        if self.held.len() + part.len() > MAX_WORD {
            out(&self.held)?;
            out(part)?;
            self.held.clear();
            self.long = true;
        } else {
            self.held.extend_from_slice(part);
        }
        Ok(())
    }

    /// The current word ends at the end of `data`, where it began at
    /// `word_at` (0 if it began in an earlier push, its start held). Returns
    /// the new start of the bytes not yet handed on.
    fn end_word<E>(
        &mut self,
        data: &[u8],
        run: usize,
        word_at: usize,
        notes: &mut Vec<&'static str>,
        out: Out<'_, E>,
    ) -> Result<usize, E> {
        self.in_word = false;
        let long = std::mem::take(&mut self.long);
        let held = std::mem::take(&mut self.held);
        let tail = &data[word_at..];
        if !long && let Some(with) = self.replacement(&held, tail) {
            out(&data[run..word_at])?;
            out(with)?;
            note(notes, "neutralised PostScript that changes the printer or the copies");
            return Ok(data.len());
        }
        // Kept: what is held goes first, the rest is still in the run.
        if !held.is_empty() {
            out(&held)?;
        }
        self.held = held;
        self.held.clear();
        Ok(run)
    }

    /// What replaces the word `held` + `tail`, if it is on the list.
    fn replacement(&self, held: &[u8], tail: &[u8]) -> Option<&'static [u8]> {
        let n = held.len() + tail.len();
        if n > MAX_WORD {
            return None;
        }
        let mut word = [0u8; MAX_WORD];
        word[..held.len()].copy_from_slice(held);
        word[held.len()..n].copy_from_slice(tail);
        let (_, with) = PS_NAMES.iter().find(|(name, _)| *name == &word[..n])?;
        Some(if self.literal { PS_REMOVED_LITERAL } else { with })
    }

    fn finish<E>(&mut self, notes: &mut Vec<&'static str>, out: Out<'_, E>) -> Result<(), E> {
        // The end of the data ends the last word, as a delimiter does.
        if self.in_word {
            self.end_word(&[], 0, 0, notes, out)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Text,
    Esc,
    Param,
    Value,
    /// HP-GL/2 text, until the next escape.
    HpGl,
    /// The rest of an over-long value, dropped with its command.
    Drop,
}

#[derive(Debug)]
struct Pcl {
    state: P,
    param: u8,
    group: u8,
    /// The value field being read.
    value: Vec<u8>,
    /// The escape sequence so far, as it came.
    raw: Vec<u8>,
    /// The same, one command at a time, neutralised.
    split: Vec<u8>,
    /// `split` differs from `raw` in meaning: it is what is passed on.
    changed: bool,
    /// Payload bytes still to pass on untouched.
    skip: u64,
}

impl Default for Pcl {
    fn default() -> Self {
        Pcl {
            state: P::Text,
            param: 0,
            group: 0,
            value: Vec::new(),
            raw: Vec::new(),
            split: Vec::new(),
            changed: false,
            skip: 0,
        }
    }
}

impl Pcl {
    fn feed<E>(&mut self, mut data: &[u8], notes: &mut Vec<&'static str>, out: Out<'_, E>) -> Result<(), E> {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip).unwrap_or(usize::MAX).min(data.len());
                out(&data[..n])?;
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            if matches!(self.state, P::Text | P::HpGl) {
                // Text passes as it is, up to the next escape.
                let run = memchr::memchr(0x1b, data).unwrap_or(data.len());
                out(&data[..run])?;
                data = &data[run..];
                if !data.is_empty() {
                    self.state = P::Esc;
                    self.raw.clear();
                    self.split.clear();
                    self.changed = false;
                    self.raw.push(0x1b);
                    data = &data[1..];
                }
                continue;
            }
            let b = data[0];
            // Whether `b` belongs to the command; a byte that breaks one is
            // read again as text, and what was read of the command dropped.
            let mut taken = true;
            let dropping = self.state == P::Drop;
            match self.state {
                P::Esc => match b {
                    0x21..=0x2f => {
                        self.param = b;
                        self.group = 0;
                        self.value.clear();
                        self.state = if b == b'%' { P::Value } else { P::Param };
                    }
                    // Two-character commands (`ESC E`, `ESC 9` ...).
                    0x30..=0x7e => self.state = P::Text,
                    _ => taken = false,
                },
                P::Param => {
                    if (0x60..=0x7e).contains(&b) {
                        self.group = b;
                        self.state = P::Value;
                    } else if is_value(b) {
                        // Some commands (`ESC (8U`) have no group character.
                        self.value.push(b);
                        self.state = P::Value;
                    } else if (0x40..=0x5e).contains(&b) {
                        self.command(b, notes);
                        self.state = P::Text;
                    } else {
                        taken = false;
                    }
                }
                P::Value if is_value(b) => {
                    if self.value.len() == MAX_VALUE {
                        note(notes, "removed a malformed PCL command");
                        self.state = P::Drop;
                        self.raw.clear();
                        self.split.clear();
                    } else {
                        self.value.push(b);
                    }
                }
                P::Value if (0x60..=0x7e).contains(&b) && self.param != b'%' => {
                    // Lower case: a combined command, more follow, unless
                    // a payload ends the sequence (as printers read it).
                    self.command(b, notes);
                    if self.skip > 0 {
                        self.state = P::Text;
                    }
                }
                P::Value if (0x40..=0x5e).contains(&b) => {
                    self.command(b, notes);
                    // `ESC %#B` enters HP-GL/2.
                    self.state = if self.param == b'%' && b == b'B' { P::HpGl } else { P::Text };
                }
                P::Value => taken = false,
                // An over-long value: drop it to its end.
                P::Drop if is_value(b) => {}
                P::Drop if (0x40..=0x7e).contains(&b) => self.state = P::Text,
                P::Drop => taken = false,
                P::Text | P::HpGl => {}
            }
            if !taken {
                // What was read of the command is dropped.
                self.state = P::Text;
                self.value.clear();
                continue;
            }
            data = &data[1..];
            if dropping || self.state == P::Drop {
                continue;
            }
            self.raw.push(b);
            if matches!(self.state, P::Text | P::HpGl) {
                // The sequence is complete.
                out(if self.changed { &self.split } else { &self.raw })?;
                self.raw.clear();
            } else if self.raw.len() > MAX_SEQUENCE {
                // Too long to hold: the rest goes one command at a time.
                out(&self.split)?;
                self.split.clear();
                self.raw.clear();
                self.changed = true;
            }
        }
        Ok(())
    }

    /// One complete command: add it, neutralised if need be, to the
    /// sequence as it will be passed on if anything in it changes.
    fn command(&mut self, term: u8, notes: &mut Vec<&'static str>) {
        let term = term.to_ascii_uppercase();
        let int = parse_int(&self.value);
        let with: Option<&[u8]> = match (self.param, self.group, term, int) {
            // Number of copies: the job's `copies` decide.
            (b'&', b'l', b'X', Some(n)) if n != 1 => Some(b"1"),
            // Macro control: make permanent → make temporary; delete all → delete temporary.
            (b'&', b'f', b'X', Some(10)) => Some(b"9"),
            (b'&', b'f', b'X', Some(6)) => Some(b"7"),
            // Font control: make permanent → make temporary; delete all → delete temporary.
            (b'*', b'c', b'F', Some(6)) => Some(b"5"),
            (b'*', b'c', b'F', Some(0)) => Some(b"1"),
            _ => None,
        };
        if with.is_some() {
            note(notes, "neutralised PCL that changes the printer or the copies");
            self.changed = true;
        }
        self.split.push(0x1b);
        self.split.push(self.param);
        if self.group != 0 {
            self.split.push(self.group);
        }
        self.split.extend_from_slice(with.unwrap_or(&self.value));
        self.split.push(term);
        // Binary payloads (raster rows, fonts, patterns ...) and transparent data.
        if term == b'W' || (self.param, self.group, term) == (b'&', b'p', b'X') {
            self.skip = int.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        }
        self.value.clear();
    }
}

fn is_value(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')
}

/// The integer a PCL value field gives, if it has no fraction.
fn parse_int(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() {
        return Some(0);
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], size: usize) -> (Vec<u8>, Vec<String>) {
        let mut n = Neutraliser::default();
        let mut kept = Vec::new();
        let mut keep = |b: &[u8]| {
            kept.extend_from_slice(b);
            Ok::<(), ()>(())
        };
        for chunk in input.chunks(size.max(1)) {
            n.push(chunk, &mut keep).unwrap_or(());
        }
        n.end_segment(&mut keep).unwrap_or(());
        (kept, n.notes())
    }

    fn every_chunking(input: &[u8]) -> (Vec<u8>, Vec<String>) {
        let whole = run(input, input.len());
        for size in 1..=input.len().min(40) {
            assert_eq!(run(input, size), whole, "chunks of {size}");
        }
        whole
    }

    #[test]
    fn postscript_operators_that_reach_the_printer_are_neutralised_in_any_chunking() {
        let doc = b"%!PS-Adobe-3.0\nserverdict begin 0 exitserver\n\
true (pw) startjob pop\n<< /Password (x) >> setsystemparams\n(%disk0%/x) deletefile\n\
(a) (b) renamefile (dev) << >> setdevparams\n<< /NumCopies 99 >> setpagedevice /#copies 5 def\n\
/Helvetica findfont 12 scalefont setfont 72 72 moveto (exitserver is a word) show showpage\n";
        let (kept, notes) = every_chunking(doc);
        let kept = String::from_utf8(kept).unwrap_or_default();
        for gone in [
            "exitserver",
            "startjob",
            "setsystemparams",
            "setdevparams",
            "deletefile",
            "renamefile",
            "NumCopies",
            "#copies",
        ] {
            assert!(!kept.contains(gone), "{gone} survived:\n{kept}");
        }
        assert!(kept.contains("serverdict begin 0 pop\n"), "{kept}");
        assert!(kept.contains("true (pw) pop pop false pop\n"), "{kept}");
        assert!(kept.contains("<< /pullprint_removed 99 >> setpagedevice /pullprint_removed 5 def"), "{kept}");
        assert!(kept.contains("/Helvetica findfont 12 scalefont setfont 72 72 moveto"), "{kept}");
        assert_eq!(notes, ["neutralised PostScript that changes the printer or the copies"]);
    }

    #[test]
    fn ordinary_postscript_and_other_formats_pass_byte_for_byte() {
        let doc =
            b"%!PS-Adobe-3.0\n%%Pages: 1\n/startjobs 1 def /xexitserver 2 def (setdevparamsx) pop showpage\n%%EOF";
        assert_eq!(every_chunking(doc), (doc.to_vec(), vec![]));
        let pdf = b"%PDF-1.7\n1 0 obj (exitserver) deletefile endobj\n";
        assert_eq!(every_chunking(pdf), (pdf.to_vec(), vec![]));
    }

    #[test]
    fn a_long_word_that_merely_starts_like_an_operator_passes() {
        let doc = b"%!PS\n/exitserverexitserverexitserver 1 def exitserver\n";
        let (kept, _) = every_chunking(doc);
        assert_eq!(kept, b"%!PS\n/exitserverexitserverexitserver 1 def pop\n");
    }

    #[test]
    fn pcl_permanent_macros_fonts_and_copies_are_neutralised_in_any_chunking() {
        let doc = b"\x1bE\x1b&l5X\x1b&f10X\x1b&f6X\x1b*c6F\x1b*c0F\x1b&l1o2a3X\x1b&l0o1x2A Hello\x0c\x1bE";
        let (kept, notes) = every_chunking(doc);
        let want = b"\x1bE\x1b&l1X\x1b&f9X\x1b&f7X\x1b*c5F\x1b*c1F\x1b&l1O\x1b&l2A\x1b&l1X\x1b&l0o1x2A Hello\x0c\x1bE";
        assert_eq!(kept, want.to_vec());
        assert_eq!(notes, ["neutralised PCL that changes the printer or the copies"]);
    }

    #[test]
    fn pcl_payloads_pass_untouched_even_when_they_look_like_commands() {
        // A raster row of 6 bytes that spells `ESC &l9X`, then text.
        let mut doc = b"\x1bE\x1b*b6W".to_vec();
        doc.extend_from_slice(b"\x1b&l9X!");
        doc.extend_from_slice(b"\x1b&p5X\x1b&f6X ok");
        let (kept, notes) = every_chunking(&doc);
        assert_eq!(kept, doc);
        assert!(notes.is_empty());
    }

    #[test]
    fn a_malformed_or_endless_pcl_command_is_dropped() {
        let (kept, _) = every_chunking(b"\x1bE\x1b&f10\x01X text");
        assert_eq!(kept, b"\x1bE\x01X text");
        let mut endless = b"\x1b&f".to_vec();
        endless.extend(std::iter::repeat_n(b'0', 100));
        endless.extend_from_slice(b"10X after");
        let (kept, notes) = every_chunking(&endless);
        assert_eq!(kept, b" after");
        assert_eq!(notes, ["removed a malformed PCL command"]);
        // A sequence too long to hold goes one command at a time, still neutralised.
        let mut long = b"\x1b&l".to_vec();
        long.extend(std::iter::repeat_n(&b"0o"[..], 200).flatten());
        long.extend_from_slice(b"7X!");
        let (kept, _) = every_chunking(&long);
        assert!(kept.ends_with(b"\x1b&l0O\x1b&l1X!"), "{:?}", String::from_utf8_lossy(&kept));
        assert!(!kept.windows(4).any(|w| w == b"l7X!"));
    }
}

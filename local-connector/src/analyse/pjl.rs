//! PJL (HP Printer Job Language) sanitising, applied to every document
//! before it is parked.
//!
//! A printer watches its input for the Universal Exit Language sequence
//! (`ESC %-12345X`) whatever language it is printing, and then obeys the PJL
//! lines that follow. Some of those change the device for good: its stored
//! defaults (`DEFAULT`, `INITIALIZE`), its control-panel text (`RDYMSG`,
//! `OPMSG`, `STMSG`), its file system (`FSDOWNLOAD`, `FSDELETE`, ...) or its
//! PJL password (`SET PASSWORD`). A print job has no business doing any of
//! that, so only job-scoped commands are kept (an allow-list, so unknown
//! commands go too), and what was removed is noted in the job's metadata.
//!
//! The sanitiser is sans-IO: [`Sanitizer::push`] takes bytes as they arrive
//! and hands out what to keep, marked as PJL or page-description data. It
//! holds at most one PJL line (4 KiB) and a partial UEL, whatever the input.

/// The Universal Exit Language sequence.
const UEL: &[u8] = b"\x1b%-12345X";
/// Longest PJL line kept; a longer one is dropped whole.
const MAX_LINE: usize = 4096;
/// Most distinct removed commands listed in the job's notes.
const MAX_REMOVED: usize = 16;

/// Commands that act on this job only. Everything else is removed.
const KEPT: &[&str] = &["", "JOB", "EOJ", "ENTER", "SET", "COMMENT", "LPARM"];
/// `SET` variables that are device-wide rather than job-scoped, and the
/// copies, which the job's `copies` decide (a document asking for more
/// would print past what was recorded and charged).
const DEVICE_VARIABLES: &[&str] = &["PASSWORD", "CPLOCK", "DISKLOCK", "SERVICEMODE", "COPIES", "QTY"];

/// A piece of the sanitised stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// PJL kept as it was (UEL sequences and allowed commands).
    Pjl(&'a [u8]),
    /// Page-description data (PDF, PostScript, PCL ...).
    Pdl(&'a [u8]),
}

/// What the PJL said about the job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PjlFacts {
    /// True when the stream held any PJL.
    pub present: bool,
    /// `JOB NAME=` or `SET JOBNAME=`.
    pub job_name: Option<String>,
    /// The last `ENTER LANGUAGE=`.
    pub language: Option<String>,
    /// `JOB START=` (first page printed).
    pub start: Option<u32>,
    /// `JOB END=` (last page printed).
    pub end: Option<u32>,
    /// `SET RENDERMODE=COLOR|GRAYSCALE` or `SET PLANESINUSE=1|3`: true for colour.
    pub color: Option<bool>,
    /// Commands removed, by name (`FSDOWNLOAD`, `SET PASSWORD` ...), never with their values.
    pub removed: Vec<String>,
}

impl PjlFacts {
    /// A line for the job's notes, if anything was removed.
    pub fn note(&self) -> Option<String> {
        (!self.removed.is_empty())
            .then(|| format!("removed PJL commands that change the printer: {}", self.removed.join(", ")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Page-description data; watching for a UEL.
    Pdl,
    /// After a UEL: PJL lines until `ENTER` or data that is not PJL.
    Pjl,
    /// Discarding the rest of an over-long PJL line.
    SkipLine,
}

/// Removes device-changing PJL from a stream.
#[derive(Debug)]
pub struct Sanitizer {
    state: State,
    /// A UEL prefix seen at the end of the last push (Pdl state), or the
    /// current PJL line (Pjl state).
    held: Vec<u8>,
    facts: PjlFacts,
}

impl Default for Sanitizer {
    fn default() -> Self {
        Sanitizer::new()
    }
}

impl Sanitizer {
    /// A sanitiser at the start of a document.
    pub fn new() -> Sanitizer {
        Sanitizer { state: State::Pdl, held: Vec::new(), facts: PjlFacts::default() }
    }

    /// Take the next bytes; `out` receives what to keep, in order.
    pub fn push<E>(&mut self, data: &[u8], out: &mut impl FnMut(Part<'_>) -> Result<(), E>) -> Result<(), E> {
        if self.held.is_empty() {
            return self.run(data, out);
        }
        // A UEL or a PJL line may straddle pushes: decide about what is
        // held (at most a line) together with what follows it.
        let mut joined = std::mem::take(&mut self.held);
        joined.extend_from_slice(data);
        self.run(&joined, out)
    }

    /// The document is complete: flush what is held and report.
    pub fn finish<E>(mut self, out: &mut impl FnMut(Part<'_>) -> Result<(), E>) -> Result<PjlFacts, E> {
        let held = std::mem::take(&mut self.held);
        let state = self.state;
        match state {
            State::Pdl if !held.is_empty() => out(Part::Pdl(&held))?,
            State::Pjl if !held.is_empty() && self.keep_line(&held) => out(Part::Pjl(&held))?,
            _ => {}
        }
        Ok(self.facts)
    }

    fn run<E>(&mut self, mut data: &[u8], out: &mut impl FnMut(Part<'_>) -> Result<(), E>) -> Result<(), E> {
        while !data.is_empty() {
            match self.state {
                State::Pdl => match find_uel(data) {
                    Uel::None => return out(Part::Pdl(data)),
                    Uel::Partial(at) => {
                        if at > 0 {
                            out(Part::Pdl(&data[..at]))?;
                        }
                        self.held.extend_from_slice(&data[at..]);
                        return Ok(());
                    }
                    Uel::At(at) => {
                        if at > 0 {
                            out(Part::Pdl(&data[..at]))?;
                        }
                        out(Part::Pjl(UEL))?;
                        self.facts.present = true;
                        self.state = State::Pjl;
                        data = &data[at + UEL.len()..];
                    }
                },
                State::SkipLine => match line_end(data) {
                    LineEnd::After(end) => {
                        self.state = State::Pjl;
                        data = &data[end..];
                    }
                    LineEnd::BeforeUel(at) => {
                        self.state = State::Pdl;
                        data = &data[at..];
                    }
                    LineEnd::NotYet => return Ok(()),
                },
                State::Pjl => {
                    // Data that cannot begin a PJL line is the page
                    // description (or a UEL): the Pdl state's to read.
                    let lead = data.len().min(4);
                    if !is_pjl_start(&data[..lead]) {
                        self.state = State::Pdl;
                        continue;
                    }
                    // A printer ends a PJL line at CR, LF or CR LF, and
                    // leaves PJL only at a complete UEL: a bare ESC is part
                    // of the line.
                    let (end, next) = match line_end(data) {
                        LineEnd::After(end) => (end, State::Pjl),
                        LineEnd::BeforeUel(at) => (at, State::Pdl),
                        LineEnd::NotYet => {
                            if data.len() > MAX_LINE {
                                self.remove("(over-long line)");
                                self.state = State::SkipLine;
                            } else {
                                self.held.extend_from_slice(data);
                            }
                            return Ok(());
                        }
                    };
                    if end > MAX_LINE {
                        self.remove("(over-long line)");
                    } else if self.keep_line(&data[..end]) {
                        out(Part::Pjl(&data[..end]))?;
                    }
                    // `ENTER` moved on to the page description already.
                    if self.state == State::Pjl {
                        self.state = next;
                    }
                    data = &data[end..];
                }
            }
        }
        Ok(())
    }

    fn remove(&mut self, what: &str) {
        if self.facts.removed.len() < MAX_REMOVED && !self.facts.removed.iter().any(|r| r == what) {
            self.facts.removed.push(what.to_owned());
        }
    }

    /// Classify one complete PJL line (or a blank line, or a nested UEL);
    /// record what it says; true to keep it.
    fn keep_line(&mut self, line: &[u8]) -> bool {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            return true;
        }
        // Printers differ on the case of the prefix; treat every spelling as PJL.
        let Some(body) = text.get(..4).filter(|p| p.eq_ignore_ascii_case("@PJL")).map(|_| &text[4..]) else {
            self.remove("(unreadable command)");
            return false;
        };
        let words = Words::new(body);
        let command = words.command.to_ascii_uppercase();
        if !KEPT.contains(&command.as_str()) {
            let name: String = command.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect();
            self.remove(if name.is_empty() { "(unreadable command)" } else { &name });
            return false;
        }
        match command.as_str() {
            "SET" => {
                let Some((var, value)) = words.pairs.first() else { return true };
                let var = var.to_ascii_uppercase();
                if DEVICE_VARIABLES.contains(&var.as_str()) {
                    self.remove(&format!("SET {var}"));
                    return false;
                }
                let v = value.to_ascii_uppercase();
                match var.as_str() {
                    "JOBNAME" if self.facts.job_name.is_none() => self.facts.job_name = clean(value),
                    "RENDERMODE" if v == "COLOR" => self.facts.color = Some(true),
                    "RENDERMODE" if v == "GRAYSCALE" => self.facts.color = Some(false),
                    "PLANESINUSE" if v == "1" => self.facts.color = Some(false),
                    "PLANESINUSE" if v == "3" => self.facts.color = Some(true),
                    _ => {}
                }
            }
            "JOB" => {
                for (k, v) in &words.pairs {
                    match k.to_ascii_uppercase().as_str() {
                        "NAME" => self.facts.job_name = clean(v),
                        "START" => self.facts.start = v.parse().ok(),
                        "END" => self.facts.end = v.parse().ok(),
                        _ => {}
                    }
                }
            }
            "ENTER" => {
                if let Some((_, v)) = words.pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case("LANGUAGE")) {
                    self.facts.language = clean(v).map(|l| l.to_ascii_uppercase());
                }
                self.state = State::Pdl;
            }
            _ => {}
        }
        true
    }
}

fn clean(s: &str) -> Option<String> {
    super::clean(s)
}

/// True when `head` (up to 4 bytes) can begin a PJL line: `@PJL` in any
/// case, or a line break between commands.
fn is_pjl_start(head: &[u8]) -> bool {
    match head.first() {
        None => true,
        Some(b'\r' | b'\n') => true,
        Some(b'@') => head.iter().zip(b"@PJL").all(|(a, b)| a.eq_ignore_ascii_case(b)),
        Some(_) => false,
    }
}

/// Where a PJL line ends.
enum LineEnd {
    /// After its CR, LF or CR LF, which end before this offset.
    After(usize),
    /// Just before a complete UEL, which starts here.
    BeforeUel(usize),
    /// Not in these bytes.
    NotYet,
}

/// The end of the PJL line at the start of `data`. A CR at the very end
/// waits for the next byte, so that CR LF ends one line however it is cut.
fn line_end(data: &[u8]) -> LineEnd {
    let mut from = 0;
    while let Some(i) = memchr::memchr3(b'\n', b'\r', 0x1b, &data[from..]) {
        let at = from + i;
        match data[at] {
            b'\n' => return LineEnd::After(at + 1),
            b'\r' => {
                return match data.get(at + 1) {
                    Some(b'\n') => LineEnd::After(at + 2),
                    Some(_) => LineEnd::After(at + 1),
                    // An LF may follow in the next bytes: CR LF is one end.
                    None => LineEnd::NotYet,
                };
            }
            _ => {
                let rest = &data[at..];
                if rest.starts_with(UEL) {
                    return LineEnd::BeforeUel(at);
                }
                if UEL.starts_with(rest) {
                    // Perhaps a UEL, cut off: the line is not complete yet.
                    return LineEnd::NotYet;
                }
                from = at + 1;
            }
        }
    }
    LineEnd::NotYet
}

enum Uel {
    None,
    /// A full UEL starts here.
    At(usize),
    /// The data ends with what may be the start of a UEL, from here.
    Partial(usize),
}

fn find_uel(data: &[u8]) -> Uel {
    let mut from = 0;
    while let Some(i) = memchr::memchr(0x1b, &data[from..]) {
        let at = from + i;
        let rest = &data[at..];
        if rest.len() >= UEL.len() {
            if rest.starts_with(UEL) {
                return Uel::At(at);
            }
        } else if UEL.starts_with(rest) {
            return Uel::Partial(at);
        }
        from = at + 1;
    }
    Uel::None
}

/// A PJL command line split into its command and `KEY=VALUE` pairs
/// (values may be quoted). `SET VAR=VALUE` gives the pair (VAR, VALUE).
struct Words<'a> {
    command: &'a str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Words<'a> {
    fn new(body: &'a str) -> Words<'a> {
        let body = body.trim_start();
        let split = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let (command, mut rest) = body.split_at(split);
        let mut pairs = Vec::new();
        // `LPARM : PCL KEY=VALUE` and `SET KEY = VALUE` both occur.
        while pairs.len() < 16 {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
            if rest.is_empty() {
                break;
            }
            let key_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
            let key = &rest[..key_end];
            rest = rest[key_end..].trim_start();
            let Some(after) = rest.strip_prefix('=') else {
                // A bare word (such as the personality in LPARM).
                if key.is_empty() {
                    break;
                }
                continue;
            };
            let after = after.trim_start();
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').unwrap_or(q.len());
                (&q[..end], q.get(end + 1..).unwrap_or(""))
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            pairs.push((key, value));
            rest = next;
        }
        Words { command, pairs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `input` through a sanitiser in chunks of `size`; return the kept
    /// bytes, the PDL bytes alone, and the facts.
    fn run(input: &[u8], size: usize) -> (Vec<u8>, Vec<u8>, PjlFacts) {
        let mut s = Sanitizer::new();
        let mut kept = Vec::new();
        let mut pdl = Vec::new();
        let mut out = |p: Part<'_>| -> Result<(), ()> {
            match p {
                Part::Pjl(b) => kept.extend_from_slice(b),
                Part::Pdl(b) => {
                    kept.extend_from_slice(b);
                    pdl.extend_from_slice(b);
                }
            }
            Ok(())
        };
        for c in input.chunks(size.max(1)) {
            s.push(c, &mut out).expect("push");
        }
        let facts = s.finish(&mut out).expect("finish");
        (kept, pdl, facts)
    }

    const HOSTILE: &[u8] = b"\x1b%-12345X@PJL JOB NAME=\"Budget 2027\" START=2 END=3\r\n\
@PJL SET PASSWORD=0\r\n\
@PJL DEFAULT COPIES=99\r\n\
@PJL FSDOWNLOAD FORMAT:BINARY SIZE=4 NAME=\"0:\\\\pjl\\\\x\"\r\n\
@PJL RDYMSG DISPLAY=\"HACKED\"\r\n\
@PJL SET RENDERMODE=GRAYSCALE\r\n\
@PJL COMMENT made by a test\r\n\
@PJL ENTER LANGUAGE=PCL\r\n\
\x1bE\x1b&l0O(page one)\x0c\x1bE\
\x1b%-12345X@PJL EOJ NAME=\"Budget 2027\"\r\n\
@PJL INITIALIZE\r\n\
\x1b%-12345X";

    #[test]
    fn device_changing_commands_go_and_job_commands_stay_in_any_chunking() {
        let (whole, pdl, facts) = run(HOSTILE, HOSTILE.len());
        let text = String::from_utf8_lossy(&whole);
        for gone in ["PASSWORD", "DEFAULT", "FSDOWNLOAD", "RDYMSG", "INITIALIZE", "HACKED"] {
            assert!(!text.contains(gone), "{gone} survived: {text}");
        }
        for kept in ["@PJL JOB NAME", "RENDERMODE", "@PJL COMMENT", "ENTER LANGUAGE=PCL", "@PJL EOJ", "(page one)"] {
            assert!(text.contains(kept), "{kept} was lost: {text}");
        }
        assert_eq!(pdl, b"\x1bE\x1b&l0O(page one)\x0c\x1bE");
        assert!(whole.ends_with(UEL), "the closing UEL is kept");
        assert_eq!(facts.job_name.as_deref(), Some("Budget 2027"));
        assert_eq!((facts.start, facts.end, facts.color), (Some(2), Some(3), Some(false)));
        assert_eq!(facts.language.as_deref(), Some("PCL"));
        assert_eq!(facts.removed, ["SET PASSWORD", "DEFAULT", "FSDOWNLOAD", "RDYMSG", "INITIALIZE"]);
        assert!(facts.note().is_some_and(|n| n.contains("FSDOWNLOAD")));
        for size in 1..=17 {
            assert_eq!(run(HOSTILE, size), (whole.clone(), pdl.clone(), facts.clone()), "chunks of {size}");
        }
    }

    #[test]
    fn documents_without_pjl_pass_through_untouched() {
        let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n\x1b not a UEL \x1b%-1234 nor this\n%%EOF\n";
        for size in [1, 3, 5, 64] {
            let (kept, pdl, facts) = run(pdf, size);
            assert_eq!(kept, pdf);
            assert_eq!(pdl, pdf);
            assert!(!facts.present && facts.removed.is_empty());
        }
        // A trailing partial UEL is data too.
        let (kept, _, _) = run(b"abc\x1b%-123", 2);
        assert_eq!(kept, b"abc\x1b%-123");
    }

    #[test]
    fn a_uel_hidden_inside_a_document_is_sanitised_too() {
        let d =
            b"%PDF-1.7\nstream\n\x1b%-12345X@PJL FSDELETE NAME=\"0:\\\\\"\n@PJL ENTER LANGUAGE=PDF\n%PDF-1.7 more\n";
        let (kept, _, facts) = run(d, 4);
        assert!(!String::from_utf8_lossy(&kept).contains("FSDELETE"));
        assert_eq!(facts.removed, ["FSDELETE"]);
    }

    #[test]
    fn a_uel_inside_a_kept_line_cannot_smuggle_a_command() {
        let d = b"\x1b%-12345X@PJL COMMENT hi\x1b%-12345X@pjl fsdownload NAME=\"x\"\n@PJL ENTER LANGUAGE=PCL\n\x1bE";
        for size in [1, 2, 7, 100] {
            let (kept, pdl, facts) = run(d, size);
            assert_eq!(
                kept, b"\x1b%-12345X@PJL COMMENT hi\x1b%-12345X@PJL ENTER LANGUAGE=PCL\n\x1bE",
                "chunks of {size}"
            );
            assert_eq!(pdl, b"\x1bE");
            assert_eq!(facts.removed, ["FSDOWNLOAD"]);
        }
    }

    #[test]
    fn pjl_without_enter_ends_at_the_first_non_pjl_byte() {
        let d = b"\x1b%-12345X@PJL SET DUPLEX=ON\n%!PS-Adobe-3.0\n%%Pages: 1\n";
        let (kept, pdl, _) = run(d, 3);
        assert_eq!(kept, d);
        assert_eq!(pdl, b"%!PS-Adobe-3.0\n%%Pages: 1\n");
    }

    #[test]
    fn an_endless_pjl_line_is_dropped_in_bounded_memory() {
        let mut d = b"\x1b%-12345X@PJL COMMENT ".to_vec();
        d.extend(std::iter::repeat_n(b'x', 100_000));
        d.extend_from_slice(b"\n@PJL ENTER LANGUAGE=PCL\n\x1bE");
        let mut s = Sanitizer::new();
        let mut kept = Vec::new();
        let mut out = |p: Part<'_>| -> Result<(), ()> {
            kept.extend_from_slice(match p {
                Part::Pjl(b) | Part::Pdl(b) => b,
            });
            Ok(())
        };
        for c in d.chunks(1000) {
            s.push(c, &mut out).expect("push");
            assert!(s.held.len() <= MAX_LINE);
        }
        let facts = s.finish(&mut out).expect("finish");
        assert_eq!(kept, b"\x1b%-12345X@PJL ENTER LANGUAGE=PCL\n\x1bE");
        assert_eq!(facts.removed, ["(over-long line)"]);
    }

    /// Regression (security review, finding 2): a bare ESC inside a PJL
    /// line ended PJL mode, so the printer's next command passed as data.
    #[test]
    fn a_bare_esc_inside_a_line_does_not_end_pjl() {
        let d = b"\x1b%-12345X@PJL COMMENT x\x1bZ\n@PJL FSDELETE NAME=\"0:\\\"\n@PJL ENTER LANGUAGE=PCL\n\x1bE";
        for size in [1, 2, 5, 100] {
            let (kept, pdl, facts) = run(d, size);
            let text = String::from_utf8_lossy(&kept);
            assert!(!text.contains("FSDELETE"), "chunks of {size}: {text:?}");
            assert_eq!(facts.removed, ["FSDELETE"], "chunks of {size}");
            assert_eq!(pdl, b"\x1bE", "chunks of {size}");
        }
    }

    /// Regression (security review, finding 2): a bare CR did not end a PJL
    /// line, so a command after it was kept inside a comment.
    #[test]
    fn cr_lf_and_crlf_all_end_a_pjl_line() {
        for sep in [&b"\r"[..], b"\n", b"\r\n"] {
            let mut d = b"\x1b%-12345X@PJL COMMENT x".to_vec();
            d.extend_from_slice(sep);
            d.extend_from_slice(b"@PJL FSDELETE NAME=\"0:\\\"");
            d.extend_from_slice(sep);
            d.extend_from_slice(b"@PJL ENTER LANGUAGE=PCL");
            d.extend_from_slice(sep);
            d.extend_from_slice(b"\x1bE");
            for size in [1, 3, 64] {
                let (kept, pdl, facts) = run(&d, size);
                assert!(!String::from_utf8_lossy(&kept).contains("FSDELETE"), "{sep:?}, chunks of {size}");
                assert_eq!(facts.removed, ["FSDELETE"], "{sep:?}, chunks of {size}");
                assert_eq!(facts.language.as_deref(), Some("PCL"));
                assert_eq!(pdl, b"\x1bE", "{sep:?}, chunks of {size}");
            }
        }
    }

    #[test]
    fn copies_set_in_pjl_are_removed_so_the_jobs_copies_decide() {
        let doc = b"\x1b%-12345X@PJL SET COPIES=50\r\n@pjl set qty = 9\n@PJL SET DUPLEX=ON\n@PJL ENTER LANGUAGE=PDF\n%PDF-1.4";
        let (kept, _, facts) = run(doc, doc.len());
        assert_eq!(kept, b"\x1b%-12345X@PJL SET DUPLEX=ON\n@PJL ENTER LANGUAGE=PDF\n%PDF-1.4".to_vec());
        assert_eq!(facts.removed, ["SET COPIES", "SET QTY"]);
    }
}

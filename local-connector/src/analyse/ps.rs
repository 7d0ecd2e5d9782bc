//! PostScript: the page count from the DSC `%%Pages:` comment (Adobe DSC 3.0),
//! honouring `(atend)`; without it, the `%%Page:` comments are counted and the
//! count is an estimate. `%%Title:` and `%%Creator:` give title and application.

use super::{Analysis, clean};

/// Longest line looked at; DSC lines are at most 255 characters.
const MAX_LINE: usize = 256;

#[derive(Debug, Default)]
pub(super) struct PostScript {
    line: Vec<u8>,
    overlong: bool,
    pages: Option<u32>,
    atend: bool,
    page_comments: u32,
    title: Option<String>,
    creator: Option<String>,
}

impl PostScript {
    pub(super) fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if b == b'\n' || b == b'\r' {
                self.line_done();
            } else if self.line.len() < MAX_LINE {
                self.line.push(b);
            } else {
                self.overlong = true;
            }
        }
    }

    fn line_done(&mut self) {
        let overlong = std::mem::take(&mut self.overlong);
        let line = std::mem::take(&mut self.line);
        if overlong || !line.starts_with(b"%%") {
            return;
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(v) = text.strip_prefix("%%Pages:") {
            let v = v.trim();
            if v == "(atend)" {
                self.atend = true;
            } else if let Some(n) = v.split_whitespace().next().and_then(|n| n.parse().ok()) {
                // With (atend), the trailer's value is the one that counts.
                if self.pages.is_none() || self.atend {
                    self.pages = Some(n);
                }
            }
        } else if text.starts_with("%%Page:") {
            self.page_comments = self.page_comments.saturating_add(1);
        } else if let Some(v) = text.strip_prefix("%%Title:") {
            self.title = self.title.take().or_else(|| clean(v.trim().trim_matches(|c| c == '(' || c == ')')));
        } else if let Some(v) = text.strip_prefix("%%Creator:") {
            self.creator = self.creator.take().or_else(|| clean(v.trim().trim_matches(|c| c == '(' || c == ')')));
        }
    }

    pub(super) fn finish(mut self) -> Analysis {
        self.line_done();
        let (pages, estimated) = match self.pages {
            Some(n) => (Some(n), false),
            None if self.page_comments > 0 => (Some(self.page_comments), true),
            None => (None, false),
        };
        Analysis {
            format: Some("application/postscript"),
            pages,
            estimated,
            title: self.title,
            application: self.creator,
            ..Default::default()
        }
    }
}

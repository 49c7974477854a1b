//! Formatting as `terraform fmt` leaves it, so that an exported file is already canonical and a
//! user's `terraform fmt -check` (or a CI step) does not reject or rewrite it.
//!
//! The rules are those of hclwrite's `format` (hashicorp/hcl `hclwrite/format.go`, which
//! `terraform fmt` runs), re-implemented on a small token scanner:
//! - Lines are split at newline tokens. A heredoc (`<<EOT` … `EOT`) belongs to the line that
//!   opens it: its body and closing marker are never re-indented or checked.
//! - Indentation: 2 spaces per level. A line whose brackets (`{ [ ( ${ %{` vs `} ] )`) open more
//!   than they close indents the following lines one level (however many it opened); a line that
//!   closes more is itself dedented. Tabs are not indentation.
//! - Alignment: a line is an "assignment" when it has an `=` after its first token and the
//!   brackets from that `=` to the end of the line balance (so `tags = {` opening a multi-line
//!   value is not one, while a one-line value or a heredoc attribute is). Consecutive
//!   assignment lines form a run whose `=` signs are aligned one space after the longest name.
//!   Any other line ends the run: a blank line, a comment line, a block header or `}`, a
//!   one-line block, or the first line of a multi-line value. Lines inside a multi-line object
//!   (`jsonencode({ ... })`) form their own runs.
//! - Exactly one space after `=`, one before it outside runs, and no trailing whitespace.
//! - Terraform's own rewrites on top of hclwrite (`internal/command/fmt.go`): block labels are
//!   quoted (`resource "a" "b"`, not `resource a b`), and an attribute whose whole value is one
//!   interpolation (`"${var.x}"`) is unwrapped to the bare expression.
//!
//! hcl-rs's own formatter is not a reference here: it never aligns `=` signs. Heredocs take part
//! in runs because hclsyntax emits a heredoc's body as string literals ending in `\n`, with no
//! newline token until after the closing marker. Not checked: spacing between other tokens
//! (`[ a ]`, `foo (x)`) and the alignment of trailing comments.

use hcl::expr::{Expression, TemplateExpr};
use hcl::{BlockLabel, Body};

/// Terraform fmt's rewrites of the parsed file: unquoted labels and interpolation-only values.
pub(crate) fn check_rewrites(body: &Body) -> Vec<String> {
    let mut p = Vec::new();
    rewrites(body, "", &mut p);
    p
}

fn rewrites(body: &Body, at: &str, p: &mut Vec<String>) {
    for a in body.attributes() {
        if let Expression::TemplateExpr(t) = &a.expr {
            if matches!(t.as_ref(), TemplateExpr::QuotedString(_)) && is_single_interpolation(t) {
                p.push(format!(
                    "format: {at}`{}` = `{}`: terraform fmt unwraps an interpolation-only string to the bare expression",
                    a.key, a.expr
                ));
            }
        }
    }
    for b in body.blocks() {
        let labels: Vec<&str> = b.labels.iter().map(BlockLabel::as_str).collect();
        let here = format!("{}{} {}: ", at, b.identifier, labels.join(" ")).replace(" : ", ": ");
        if b.labels
            .iter()
            .any(|l| matches!(l, BlockLabel::Identifier(_)))
        {
            p.push(format!("format: {here}terraform fmt quotes block labels"));
        }
        rewrites(&b.body, &here, p);
    }
}

fn is_single_interpolation(t: &TemplateExpr) -> bool {
    hcl::Template::from_expr(t)
        .is_ok_and(|tpl| matches!(tpl.elements(), [hcl::template::Element::Interpolation(_)]))
}

/// Every formatting difference from `terraform fmt`, one line each ("format: line 3: ...").
pub(crate) fn check_format(text: &str) -> Vec<String> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
        toks: Vec::new(),
    };
    lx.normal(false);
    let toks = lx.toks;
    let lines = split_lines(&toks);
    let src = text.as_bytes();
    let mut p = Vec::new();
    for t in toks.iter().filter(|t| t.kind == Kind::Newline) {
        if t.start > 0 && matches!(src[t.start - 1], b' ' | b'\t') {
            p.push(format!("format: line {}: trailing whitespace", t.line));
        }
    }
    let indents = expected_indents(&lines);
    for (line, want) in lines.iter().zip(&indents) {
        let Some(want) = want else { continue };
        let first = line.lead[0];
        let line_start = src[..first.start]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        let prefix = &src[line_start..first.start];
        if prefix.len() != *want || prefix.iter().any(|&c| c != b' ') {
            p.push(format!(
                "format: line {}: indented by {} (terraform fmt: {want} spaces)",
                first.line,
                describe(prefix)
            ));
        }
        equal_spacing(line, src, &mut p);
    }
    check_runs(&lines, &indents, &mut p);
    p
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Open,
    Close,
    /// `${` or `%{` inside a quoted string.
    Interp,
    /// The `}` closing an `Interp`.
    SeqEnd,
    Equal,
    OHeredoc,
    Comment {
        newline: bool,
    },
    Newline,
    Other,
}

impl Kind {
    fn bracket(self) -> i64 {
        match self {
            Kind::Open | Kind::Interp => 1,
            Kind::Close | Kind::SeqEnd => -1,
            _ => 0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    line: usize,
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
    toks: Vec<Tok>,
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

impl Lexer<'_> {
    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.toks.push(Tok {
            kind,
            start,
            end,
            line: self.line,
        });
    }

    fn peek(&self, off: usize) -> Option<u8> {
        self.s.get(self.pos + off).copied()
    }

    /// Expression/body tokens; inside an interpolation, returns after its closing `}`.
    fn normal(&mut self, in_interp: bool) {
        let mut depth = 0usize;
        while self.pos < self.s.len() {
            let start = self.pos;
            let c = self.s[start];
            let next = self.peek(1);
            let single = |lx: &mut Self, kind| {
                lx.push(kind, start, start + 1);
                lx.pos += 1;
            };
            match c {
                b'\n' => {
                    single(self, Kind::Newline);
                    self.line += 1;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'#' => self.line_comment(),
                b'/' if next == Some(b'/') => self.line_comment(),
                b'/' if next == Some(b'*') => {
                    let end = find(self.s, start + 2, b"*/").map_or(self.s.len(), |i| i + 2);
                    self.push(Kind::Comment { newline: false }, start, end);
                    self.line += self.s[start..end].iter().filter(|&&c| c == b'\n').count();
                    self.pos = end;
                }
                b'{' => {
                    single(self, Kind::Open);
                    depth += 1;
                }
                b'}' if in_interp && depth == 0 => {
                    single(self, Kind::SeqEnd);
                    return;
                }
                b'}' => {
                    single(self, Kind::Close);
                    depth = depth.saturating_sub(1);
                }
                b'[' | b'(' => single(self, Kind::Open),
                b']' | b')' => single(self, Kind::Close),
                b'"' => self.quoted(),
                b'<' if next == Some(b'<') && self.heredoc() => {}
                b'=' | b'!' | b'<' | b'>'
                    if next == Some(b'=') || (c == b'=' && next == Some(b'>')) =>
                {
                    self.push(Kind::Other, start, start + 2);
                    self.pos += 2;
                }
                b'=' => single(self, Kind::Equal),
                c if is_ident(c) => {
                    let end = (start..self.s.len())
                        .find(|&i| !is_ident(self.s[i]))
                        .unwrap_or(self.s.len());
                    self.push(Kind::Other, start, end);
                    self.pos = end;
                }
                _ => {
                    let len = match c {
                        0xF0.. => 4,
                        0xE0.. => 3,
                        0xC0.. => 2,
                        _ => 1,
                    };
                    self.push(Kind::Other, start, start + len);
                    self.pos += len;
                }
            }
        }
    }

    /// `#` and `//` comments take their newline, as hclsyntax's comment tokens do.
    fn line_comment(&mut self) {
        let start = self.pos;
        match self.s[start..].iter().position(|&c| c == b'\n') {
            Some(i) => {
                self.push(Kind::Comment { newline: true }, start, start + i + 1);
                self.line += 1;
                self.pos = start + i + 1;
            }
            None => {
                self.push(Kind::Comment { newline: false }, start, self.s.len());
                self.pos = self.s.len();
            }
        }
    }

    fn quoted(&mut self) {
        let mut start = self.pos;
        self.pos += 1;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            match c {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\n' => break,
                b'$' | b'%' if self.peek(1) == Some(c) && self.peek(2) == Some(b'{') => {
                    self.pos += 3
                }
                b'$' | b'%' if self.peek(1) == Some(b'{') => {
                    if self.pos > start {
                        self.push(Kind::Other, start, self.pos);
                    }
                    self.push(Kind::Interp, self.pos, self.pos + 2);
                    self.pos += 2;
                    self.normal(true);
                    start = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.s.len());
        if self.pos > start {
            self.push(Kind::Other, start, self.pos);
        }
    }

    /// `<<EOT` / `<<-EOT` up to the closing marker line; false if `<<` does not start one.
    fn heredoc(&mut self) -> bool {
        let s = self.s;
        let start = self.pos;
        let mut i = start + 2;
        if s.get(i) == Some(&b'-') {
            i += 1;
        }
        let name_start = i;
        while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
            i += 1;
        }
        let marker = &s[name_start..i];
        if s.get(i) == Some(&b'\r') {
            i += 1;
        }
        if marker.is_empty() || s.get(i) != Some(&b'\n') {
            return false;
        }
        self.push(Kind::OHeredoc, start, i + 1);
        self.line += 1;
        self.pos = i + 1;
        while self.pos < s.len() {
            let eol = s[self.pos..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(s.len(), |k| self.pos + k);
            let content = &s[self.pos..eol];
            let indent = content
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t'))
                .count();
            let trimmed = content[indent..].trim_ascii_end();
            if trimmed == marker {
                self.push(Kind::Other, self.pos + indent, eol);
                self.pos = eol;
                return true;
            }
            self.line += 1;
            self.pos = (eol + 1).min(s.len());
        }
        true
    }
}

fn find(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|i| from + i)
}

/// hclwrite's `formatLine`: `lead`, then `assign` (from the `=`), then a trailing `comment`.
struct Line {
    lead: Vec<Tok>,
    assign: Vec<Tok>,
}

fn split_lines(toks: &[Tok]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    for t in toks {
        cur.push(*t);
        if matches!(t.kind, Kind::Newline | Kind::Comment { newline: true }) {
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
        .into_iter()
        .map(|mut lead| {
            if lead.len() > 1 && matches!(lead[lead.len() - 1].kind, Kind::Comment { .. }) {
                lead.pop();
            }
            let mut assign = Vec::new();
            if let Some(i) = lead.iter().skip(1).position(|t| t.kind == Kind::Equal) {
                let i = i + 1;
                if lead[i..].iter().map(|t| t.kind.bracket()).sum::<i64>() == 0 {
                    assign = lead.split_off(i);
                }
            }
            Line { lead, assign }
        })
        .collect()
}

/// hclwrite's `formatIndent`: the indentation of every non-blank line (`None` for blank ones).
fn expected_indents(lines: &[Line]) -> Vec<Option<usize>> {
    let mut stack: Vec<i64> = Vec::new();
    lines
        .iter()
        .map(|line| {
            let first = line.lead.first()?;
            if first.kind == Kind::Newline {
                return None;
            }
            let mut net = 0;
            for t in &line.lead {
                net += t.kind.bracket();
                if t.kind == Kind::OHeredoc {
                    break;
                }
            }
            net += line.assign.iter().map(|t| t.kind.bracket()).sum::<i64>();
            if net > 0 {
                let here = 2 * stack.len();
                stack.push(net);
                return Some(here);
            }
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = stack.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    stack.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            Some(2 * stack.len())
        })
        .collect()
}

/// One space after the first `=` of a line, and one before it when it is not aligned in a run.
fn equal_spacing(line: &Line, src: &[u8], p: &mut Vec<String>) {
    let (eq_at, toks): (usize, Vec<Tok>) = if line.assign.is_empty() {
        match line.lead.iter().skip(1).position(|t| t.kind == Kind::Equal) {
            Some(i) => (i + 1, line.lead.clone()),
            None => return,
        }
    } else {
        let mut all = line.lead.clone();
        all.extend(&line.assign);
        (line.lead.len(), all)
    };
    let eq = toks[eq_at];
    if line.assign.is_empty() && eq.start - toks[eq_at - 1].end != 1 {
        p.push(format!("format: line {}: one space before `=`", eq.line));
    }
    if let Some(next) = toks.get(eq_at + 1) {
        let gap = &src[eq.end..next.start];
        if next.kind != Kind::Newline && gap != b" " {
            p.push(format!("format: line {}: one space after `=`", eq.line));
        }
    }
}

/// Consecutive assignment lines align their `=` one column after the longest name.
fn check_runs(lines: &[Line], indents: &[Option<usize>], p: &mut Vec<String>) {
    let mut run: Vec<(usize, usize, usize)> = Vec::new(); // (line, name width, gap)
    let mut close = |run: &mut Vec<(usize, usize, usize)>| {
        let widest = run.iter().map(|r| r.1).max().unwrap_or(0);
        if let Some((line, width, gap)) = run.iter().find(|(_, w, g)| widest - w + 1 != *g) {
            p.push(format!(
                "format: lines {}-{}: the `=` of consecutive attributes are not aligned as terraform fmt aligns them (line {line}: {gap} space(s) before `=`, expected {})",
                run[0].0,
                run[run.len() - 1].0,
                widest - width + 1
            ));
        }
        run.clear();
    };
    for (line, indent) in lines.iter().zip(indents) {
        match (line.assign.first(), line.lead.last(), line.lead.first()) {
            (Some(eq), Some(last), Some(first)) => {
                let width = indent.unwrap_or(0) + (last.end - first.start);
                run.push((first.line, width, eq.start - last.end));
            }
            _ => close(&mut run),
        }
    }
    close(&mut run);
}

fn describe(prefix: &[u8]) -> String {
    if prefix.contains(&b'\t') {
        "tabs".to_string()
    } else {
        format!("{} spaces", prefix.len())
    }
}

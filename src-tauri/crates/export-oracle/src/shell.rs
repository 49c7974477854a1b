//! A small bash reader: enough of the shell grammar to find every simple command of a script
//! and the words it is called with, so that `check_cli` can judge the `ibmcloud` ones.
//!
//! Handled: backslash-newline continuations, `#` comments, single/double/`$'...'` quotes,
//! `$VAR`/`${...}`/`$((...))` expansions, `$(...)` and backtick command substitutions (their
//! commands are read too, also inside double quotes), the control operators `; & && | || ( )`
//! and newlines, redirections (`>file`, `2>&1`, `<<EOF` whose body is skipped), leading
//! variable assignments and the reserved words (`if`, `then`, `while`, `!`, ...). Not handled:
//! `case` patterns, commands inside heredoc bodies, aliases and functions wrapping `ibmcloud`.

/// One shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word with quotes removed and expansions kept as written.
    pub(crate) text: String,
    /// Entirely unquoted literal text, no expansion.
    pub(crate) plain: bool,
    /// The unquoted literal characters the word starts with (`--name=` of `--name="$X"`).
    pub(crate) lead: String,
}

/// A simple command: its words from the command name on, and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) line: usize,
    pub(crate) words: Vec<Word>,
}

/// Every simple command of the script, including those in command substitutions.
pub(crate) fn commands(script: &str) -> Vec<Command> {
    let mut sh = Sh {
        s: script.chars().collect(),
        pos: 0,
        line: 1,
        out: Vec::new(),
        heredocs: Vec::new(),
    };
    sh.list(None);
    sh.out.sort_by_key(|c| c.line);
    sh.out
}

const RESERVED: &[&str] = &[
    "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "!", "{", "}", "time",
    "command", "exec",
];

struct Sh {
    s: Vec<char>,
    pos: usize,
    line: usize,
    out: Vec<Command>,
    /// Heredoc delimiters waiting for the next newline: (delimiter, strip leading tabs).
    heredocs: Vec<(String, bool)>,
}

impl Sh {
    fn at(&self, off: usize) -> Option<char> {
        self.s.get(self.pos + off).copied()
    }

    /// Commands up to `until` (the `)` of `$(`) or the end.
    fn list(&mut self, until: Option<char>) {
        let mut cur: Vec<Word> = Vec::new();
        let mut cur_line = self.line;
        while let Some(c) = self.at(0) {
            if Some(c) == until {
                self.pos += 1;
                break;
            }
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\\' if self.at(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '\n' => {
                    self.finish(&mut cur, cur_line);
                    self.pos += 1;
                    self.line += 1;
                    self.heredoc_bodies();
                }
                ';' | '&' | '|' | '(' | ')' => {
                    self.finish(&mut cur, cur_line);
                    self.pos += 1;
                    if matches!(self.at(0), Some(n) if n == c && c != '(' && c != ')') {
                        self.pos += 1;
                    }
                }
                '#' => {
                    while self.at(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                '<' | '>' => self.redirection(),
                _ => {
                    let line = self.line;
                    let w = self.word();
                    let fd =
                        !w.text.is_empty() && w.plain && w.text.chars().all(|c| c.is_ascii_digit());
                    if fd && matches!(self.at(0), Some('<' | '>')) {
                        continue;
                    }
                    if cur.is_empty() {
                        cur_line = line;
                    }
                    cur.push(w);
                }
            }
        }
        self.finish(&mut cur, cur_line);
    }

    fn finish(&mut self, cur: &mut Vec<Word>, line: usize) {
        let words = std::mem::take(cur);
        let skip = words
            .iter()
            .take_while(|w| (w.plain && RESERVED.contains(&w.text.as_str())) || is_assignment(w))
            .count();
        if skip < words.len() {
            self.out.push(Command {
                line,
                words: words[skip..].to_vec(),
            });
        }
    }

    /// `>`, `>>`, `>&`, `<`, `<<<` and their target word; `<<`/`<<-` registers a heredoc.
    fn redirection(&mut self) {
        let heredoc = self.at(0) == Some('<') && self.at(1) == Some('<') && self.at(2) != Some('<');
        if heredoc {
            self.pos += 2;
            let strip = self.at(0) == Some('-');
            if strip {
                self.pos += 1;
            }
            self.blanks();
            let delim = self.word().text;
            self.heredocs.push((delim, strip));
            return;
        }
        while matches!(self.at(0), Some('<' | '>' | '&' | '|')) {
            self.pos += 1;
        }
        self.blanks();
        if !matches!(self.at(0), None | Some('\n' | ';' | '&' | '|' | ')')) {
            self.word();
        }
    }

    fn blanks(&mut self) {
        while matches!(self.at(0), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// Skips the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.heredocs) {
            while self.pos < self.s.len() {
                let start = self.pos;
                while self.at(0).is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let text: String = self.s[start..self.pos].iter().collect();
                let text = if strip {
                    text.trim_start_matches('\t')
                } else {
                    &text
                };
                let done = text.trim_end_matches('\r') == delim;
                if self.at(0) == Some('\n') {
                    self.pos += 1;
                    self.line += 1;
                }
                if done {
                    break;
                }
            }
        }
    }

    fn word(&mut self) -> Word {
        let mut w = Word {
            text: String::new(),
            plain: true,
            lead: String::new(),
        };
        while let Some(c) = self.at(0) {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' if self.at(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '\\' => {
                    w.plain = false;
                    w.text.extend(self.at(1));
                    self.pos += 2;
                }
                '\'' => {
                    w.plain = false;
                    self.pos += 1;
                    while let Some(c) = self.at(0) {
                        self.pos += 1;
                        if c == '\'' {
                            break;
                        }
                        self.line += usize::from(c == '\n');
                        w.text.push(c);
                    }
                }
                '"' => {
                    w.plain = false;
                    self.double_quoted(&mut w.text);
                }
                '$' => {
                    w.plain = false;
                    self.dollar(&mut w.text);
                }
                '`' => {
                    w.plain = false;
                    self.backtick(&mut w.text);
                }
                _ => {
                    w.text.push(c);
                    self.pos += 1;
                }
            }
            if w.plain {
                w.lead.clone_from(&w.text);
            }
        }
        w
    }

    fn double_quoted(&mut self, text: &mut String) {
        self.pos += 1;
        while let Some(c) = self.at(0) {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => {
                    if self.at(1) == Some('\n') {
                        self.line += 1;
                    } else {
                        text.extend(self.at(1));
                    }
                    self.pos += 2;
                }
                '$' => self.dollar(text),
                '`' => self.backtick(text),
                _ => {
                    self.line += usize::from(c == '\n');
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `$(...)` (its commands are read), `$((...))`, `${...}`, `$'...'`, `$NAME`.
    fn dollar(&mut self, text: &mut String) {
        let start = self.pos;
        match (self.at(1), self.at(2)) {
            (Some('('), Some('(')) => self.skip_balanced('(', ')'),
            (Some('('), _) => {
                self.pos += 2;
                self.list(Some(')'));
            }
            (Some('{'), _) => self.skip_balanced('{', '}'),
            (Some('\''), _) => {
                self.pos += 2;
                while let Some(c) = self.at(0) {
                    self.pos += 1;
                    match c {
                        '\\' => self.pos += 1,
                        '\'' => break,
                        _ => {}
                    }
                }
            }
            (Some(c), _) if c.is_ascii_alphanumeric() || c == '_' => {
                self.pos += 1;
                while self
                    .at(0)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.pos += 1;
                }
            }
            (Some('?' | '#' | '@' | '*' | '$' | '!' | '-'), _) => self.pos += 2,
            _ => self.pos += 1,
        }
        let end = self.pos.min(self.s.len());
        text.extend(&self.s[start..end]);
    }

    fn skip_balanced(&mut self, open: char, close: char) {
        self.pos += 1;
        let mut depth = 0usize;
        while let Some(c) = self.at(0) {
            self.pos += 1;
            self.line += usize::from(c == '\n');
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
    }

    /// `` `...` ``: the inner text is read as a script of its own.
    fn backtick(&mut self, text: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let mut inner = String::new();
        while let Some(c) = self.at(0) {
            self.pos += 1;
            match c {
                '`' => break,
                '\\' => {
                    inner.extend(self.at(0));
                    self.pos += 1;
                }
                _ => inner.push(c),
            }
        }
        let line = self.line;
        for mut cmd in commands(&inner) {
            cmd.line += line - 1;
            self.out.push(cmd);
        }
        self.line += inner.matches('\n').count();
        text.extend(&self.s[start..self.pos.min(self.s.len())]);
    }
}

/// `NAME=value` before the command name.
fn is_assignment(w: &Word) -> bool {
    let Some((name, _)) = w.lead.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

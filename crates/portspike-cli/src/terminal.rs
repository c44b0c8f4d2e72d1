//! Text for a terminal. What a capture or a file name carries (a pcapng
//! comment, a file's name, an error quoting either) reaches the table and
//! the error messages with its control characters written as visible
//! escapes: an ESC could otherwise clear the screen, forge the findings
//! table or write the clipboard (OSC 52). JSON and CSV are not touched.

use std::borrow::Cow;
use std::io::Write;

/// Control characters: C0 (but newline and tab, which lay out the table),
/// DEL and C1.
fn control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// `s` with every control character written as an escape (`\x1b`,
/// `\u{9b}`); `s` itself when it has none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if control(c) {
            let n = u32::from(c);
            if n < 0x80 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer whose text passes through [`printable`] (a table is written
/// in whole formatted pieces, so no character is split between two writes).
pub struct Printable<W: Write>(pub W);

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(printable(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("tcp/445 sweep\tok\n"), "tcp/445 sweep\tok\n");
        assert_eq!(
            printable("\u{1b}[2Jx\u{1b}]52;c;aGk=\u{7}\r\u{7f}\u{9b}31m"),
            "\\x1b[2Jx\\x1b]52;c;aGk=\\x07\\x0d\\x7f\\u{9b}31m"
        );
        let mut w = Printable(Vec::new());
        let note = "\u{1b}[31mred";
        write!(w, "note {note}").unwrap();
        assert_eq!(String::from_utf8(w.0).unwrap(), "note \\x1b[31mred");
    }
}

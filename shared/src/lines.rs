//! Splits decoded input into lines, in place where possible and with bounded memory.
//!
//! A line that fits in the reader's buffer is returned as a slice of that buffer (no copy); one that
//! straddles two reads is copied into a carry buffer. A line longer than the limit keeps only its
//! first `max_line` bytes and reports its full length, so one runaway line cannot exhaust memory.

use memchr::memchr;
use std::io::{self, BufRead};

/// One line, without its `\n` or `\r\n`.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The whole line.
    Full(&'a [u8]),
    /// A line over the limit: its first bytes and its full length.
    TooLong { head: &'a [u8], len: u64 },
}

/// Reads lines from a [`BufRead`].
pub struct LineReader<R> {
    inner: R,
    carry: Vec<u8>,
    pending_consume: usize,
    max_line: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Lines longer than `max_line` bytes are returned as [`Line::TooLong`].
    pub fn new(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            carry: Vec::new(),
            pending_consume: 0,
            max_line,
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Bytes buffered and not yet returned as lines (for format detection).
    pub fn peek(&mut self) -> io::Result<&[u8]> {
        self.settle();
        self.inner.fill_buf()
    }

    fn settle(&mut self) {
        if self.pending_consume > 0 {
            self.inner.consume(self.pending_consume);
            self.pending_consume = 0;
        }
    }

    /// After [`LineReader::next_line`] returned an error: the bytes of the unfinished line read
    /// before it (at most the line limit).
    pub fn partial_line(&self) -> &[u8] {
        &self.carry
    }

    /// Everything not yet read, appended to `out` (for inputs that are not line-based).
    pub fn read_whole(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.settle();
        self.inner.read_to_end(out).map(|_| ())
    }

    /// The next line; `None` at the end of input. A last line without a newline is still a line.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.settle();
        self.carry.clear();
        let mut len: u64 = 0;
        let mut started = false;
        loop {
            let (newline, available) = {
                let buf = self.inner.fill_buf()?;
                (memchr(b'\n', buf), buf.len())
            };
            if available == 0 {
                if !started {
                    return Ok(None);
                }
                break;
            }
            started = true;
            let take = newline.unwrap_or(available);
            if newline.is_some() && len == 0 && take <= self.max_line {
                // The common case: the whole line is in the buffer.
                self.pending_consume = take + 1;
                let buf = self.inner.fill_buf()?;
                return Ok(Some(Line::Full(strip_cr(&buf[..take]))));
            }
            let room = (self.max_line + 1).saturating_sub(self.carry.len());
            let buf = self.inner.fill_buf()?;
            self.carry.extend_from_slice(&buf[..take.min(room)]);
            len += take as u64;
            self.inner.consume(take + usize::from(newline.is_some()));
            if newline.is_some() {
                break;
            }
        }
        if len > self.max_line as u64 + 1 {
            return Ok(Some(Line::TooLong {
                head: &self.carry[..self.max_line],
                len,
            }));
        }
        let line = strip_cr(&self.carry);
        if line.len() > self.max_line {
            return Ok(Some(Line::TooLong {
                head: &line[..self.max_line],
                len: line.len() as u64,
            }));
        }
        Ok(Some(Line::Full(line)))
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn collect(input: &[u8], buffer: usize, max_line: usize) -> Vec<Result<String, (String, u64)>> {
        let mut r = LineReader::new(BufReader::with_capacity(buffer, input), max_line);
        let mut out = Vec::new();
        while let Some(line) = r.next_line().unwrap() {
            out.push(match line {
                Line::Full(l) => Ok(String::from_utf8(l.to_vec()).unwrap()),
                Line::TooLong { head, len } => Err((String::from_utf8(head.to_vec()).unwrap(), len)),
            });
        }
        out
    }

    #[test]
    fn splits_lf_and_crlf_and_keeps_last_unterminated_line() {
        let want: Vec<Result<String, (String, u64)>> =
            vec![Ok("a".into()), Ok("bb".into()), Ok("".into()), Ok("ccc".into())];
        for buffer in [1, 2, 3, 64] {
            assert_eq!(collect(b"a\nbb\r\n\nccc", buffer, 100), want, "buffer {buffer}");
        }
        assert!(collect(b"", 8, 100).is_empty());
        assert_eq!(collect(b"x\n", 8, 100), vec![Ok("x".into())]);
    }

    #[test]
    fn long_lines_are_capped_and_measured() {
        for buffer in [2, 4, 64] {
            let got = collect(b"abcdefgh\nxy\nabcd\r\nabcde\n", buffer, 4);
            assert_eq!(
                got,
                vec![
                    Err(("abcd".into(), 8)),
                    Ok("xy".into()),
                    Ok("abcd".into()),
                    Err(("abcd".into(), 5))
                ],
                "buffer {buffer}"
            );
        }
    }
}

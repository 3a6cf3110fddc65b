//! Borrowed tokenizers for the space-separated formats: fields separated by spaces, some of them
//! wrapped in double quotes because they may contain spaces.

use memchr::memchr;

/// One field of a line, borrowed from it: the text between the quotes for a quoted field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The field's text, without its quotes.
    pub text: &'a str,
    /// Whether the field was quoted.
    pub quoted: bool,
}

/// A quoted field that was opened and never closed; carries the byte offset of the opening quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated(pub usize);

/// Splits a line at runs of spaces. A field that starts with `"` runs to the first `"` that is
/// followed by a space or by the end of the line, so quotes inside a quoted value survive as long
/// as no space follows them.
#[derive(Debug, Clone)]
pub struct SpaceQuoted<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> SpaceQuoted<'a> {
    /// Starts at the beginning of `line`.
    pub fn new(line: &'a str) -> Self {
        SpaceQuoted { line, pos: 0 }
    }

    /// The next field, `None` at the end of the line.
    pub fn next_token(&mut self) -> Option<Result<Token<'a>, Unterminated>> {
        let bytes = self.line.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos] == b' ' {
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        if bytes[start] == b'"' {
            let mut search = start + 1;
            loop {
                let Some(off) = memchr(b'"', &bytes[search..]) else {
                    self.pos = bytes.len();
                    return Some(Err(Unterminated(start)));
                };
                let close = search + off;
                if close + 1 == bytes.len() || bytes[close + 1] == b' ' {
                    self.pos = close + 1;
                    return Some(Ok(Token {
                        text: &self.line[start + 1..close],
                        quoted: true,
                    }));
                }
                search = close + 1;
            }
        }
        let end = memchr(b' ', &bytes[start..]).map_or(bytes.len(), |off| start + off);
        self.pos = end;
        Some(Ok(Token {
            text: &self.line[start..end],
            quoted: false,
        }))
    }
}

/// `None` for AWS's "no value" marker `-`, the text otherwise.
#[inline]
pub fn non_dash(s: &str) -> Option<&str> {
    if s == "-" {
        None
    } else {
        Some(s)
    }
}

/// Splits `host:port` at the last colon (IPv6 addresses are written without brackets by ELB;
/// bracketed `[addr]:port` is accepted too).
pub fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let colon = memchr::memrchr(b':', s.as_bytes())?;
    let (host, port) = (&s[..colon], &s[colon + 1..]);
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Some((host, port))
}

// ---------------------------------------------------------------------------------------------
// Value checks shared by the access-log parsers: a value that passes is one OpenSearch accepts for
// the field's mapping (`ip`, `integer`, `long`).
// ---------------------------------------------------------------------------------------------

/// Largest value of an OpenSearch `long` (counts and sizes).
pub const MAX_LONG: u64 = i64::MAX as u64;
/// Largest value of an OpenSearch `integer`.
pub const MAX_INTEGER: u64 = i32::MAX as u64;
/// Largest TCP/UDP port.
pub const MAX_PORT: u64 = u16::MAX as u64;
/// Largest HTTP status code: three digits (CloudFront logs `000` when no response was sent).
pub const MAX_STATUS: u64 = 999;

/// Decimal digits only (no sign, no spaces, leading zeros allowed), at most `max`.
#[inline]
pub fn parse_uint(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let n = s.bytes().try_fold(0u64, |n, b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })?;
    (n <= max).then_some(n)
}

/// Whether `s` is an IPv4 or IPv6 address, exactly as [`std::net::IpAddr`] parses it (no
/// brackets, no zone, no port).
#[inline]
pub fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &str) -> Vec<Result<(String, bool), Unterminated>> {
        let mut t = SpaceQuoted::new(line);
        std::iter::from_fn(|| t.next_token())
            .map(|r| r.map(|tok| (tok.text.to_owned(), tok.quoted)))
            .collect()
    }

    #[test]
    fn quoted_and_bare_fields() {
        assert_eq!(
            tokens(r#"a "b c" - "" d"#),
            vec![
                Ok(("a".into(), false)),
                Ok(("b c".into(), true)),
                Ok(("-".into(), false)),
                Ok(("".into(), true)),
                Ok(("d".into(), false)),
            ]
        );
    }

    #[test]
    fn quote_inside_quoted_field_kept_unless_followed_by_space() {
        assert_eq!(
            tokens(r#""say "hi"there" x"#),
            vec![Ok((r#"say "hi"there"#.into(), true)), Ok(("x".into(), false))]
        );
    }

    #[test]
    fn runs_of_spaces_are_one_separator() {
        assert_eq!(tokens("a   b "), vec![Ok(("a".into(), false)), Ok(("b".into(), false))]);
    }

    #[test]
    fn unterminated_quote_reports_offset() {
        assert_eq!(tokens(r#"a "b c"#), vec![Ok(("a".into(), false)), Err(Unterminated(2))]);
    }

    #[test]
    fn host_port_split_at_last_colon() {
        assert_eq!(split_host_port("192.168.131.39:2817"), Some(("192.168.131.39", "2817")));
        assert_eq!(split_host_port("2001:db8::1:443"), Some(("2001:db8::1", "443")));
        assert_eq!(split_host_port("[2001:db8::1]:443"), Some(("2001:db8::1", "443")));
        assert_eq!(split_host_port("nocolon"), None);
    }
}

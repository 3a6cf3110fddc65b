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

/// The first `N` fields of a space-separated line, how many there were, and the tokenizer, which
/// the caller reads on for the fields past the `N`th (`extra_fields`).
///
/// Errors: an unterminated quote names the field it opened (`names[i]`); fewer than `required`
/// fields is `TooFewFields`.
#[inline]
pub fn read_fields<'a, const N: usize>(
    line: &'a str,
    names: &[&'static str; N],
    required: usize,
) -> Result<([Token<'a>; N], usize, SpaceQuoted<'a>), crate::error::ParseError> {
    let mut tokens = SpaceQuoted::new(line);
    let mut fields = [Token {
        text: "",
        quoted: false,
    }; N];
    let mut count = 0;
    while count < N {
        match tokens.next_token() {
            Some(Ok(t)) => fields[count] = t,
            Some(Err(_)) => return Err(crate::error::ParseError::UnterminatedQuote { field: names[count] }),
            None => break,
        }
        count += 1;
    }
    if count < required {
        return Err(crate::error::ParseError::TooFewFields {
            expected: required,
            found: count,
        });
    }
    Ok((fields, count, tokens))
}

/// Writes the fields left after the known ones (AWS appends fields over time) as `extra_fields`,
/// as logged; nothing when there are none. An unterminated quote among them fails the line.
pub fn write_extra_fields(
    w: &mut crate::json::ObjectWriter<'_>,
    tokens: &mut SpaceQuoted<'_>,
) -> Result<(), crate::error::ParseError> {
    let mut extra = Vec::new();
    while let Some(t) = tokens.next_token() {
        let t = t.map_err(|_| crate::error::ParseError::UnterminatedQuote { field: "extra_fields" })?;
        extra.push(t.text);
    }
    if !extra.is_empty() {
        w.str_array("extra_fields", extra);
    }
    Ok(())
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
/// brackets, no zone, no port). Measured on the ALB benchmark (callgrind): the two addresses of a
/// line add about 3 % to its parse; a hand-written dotted-quad check saved only a third of that.
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
    fn ip_addresses() {
        for ok in ["192.168.131.39", "0.0.0.0", "2001:db8::1", "::ffff:192.0.2.1", "::"] {
            assert!(is_ip(ok), "{ok}");
        }
        for bad in [
            "",
            "notanip",
            "10.0.0.256",
            "01.2.3.4",
            "10.0.0.1:80",
            "[2001:db8::1]",
            "fe80::1%eth0",
            "1.2.3",
        ] {
            assert!(!is_ip(bad), "{bad:?}");
        }
    }

    #[test]
    fn uint_ranges() {
        assert_eq!(parse_uint("0", MAX_STATUS), Some(0));
        assert_eq!(parse_uint("000", MAX_STATUS), Some(0));
        assert_eq!(parse_uint("999", MAX_STATUS), Some(999));
        assert_eq!(parse_uint("1000", MAX_STATUS), None);
        assert_eq!(parse_uint("65535", MAX_PORT), Some(65535));
        assert_eq!(parse_uint("65536", MAX_PORT), None);
        assert_eq!(parse_uint("2147483647", MAX_INTEGER), Some(2_147_483_647));
        assert_eq!(parse_uint("2147483648", MAX_INTEGER), None);
        assert_eq!(parse_uint("9223372036854775807", MAX_LONG), Some(MAX_LONG));
        assert_eq!(parse_uint("9223372036854775808", MAX_LONG), None);
        assert_eq!(parse_uint("18446744073709551615", u64::MAX), Some(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616", u64::MAX), None);
        for bad in ["", "+1", "-1", " 1", "1 ", "1.0", "1e3", "0x10", "١"] {
            assert_eq!(parse_uint(bad, u64::MAX), None, "{bad:?}");
        }
    }

    #[test]
    fn host_port_split_at_last_colon() {
        assert_eq!(split_host_port("192.168.131.39:2817"), Some(("192.168.131.39", "2817")));
        assert_eq!(split_host_port("2001:db8::1:443"), Some(("2001:db8::1", "443")));
        assert_eq!(split_host_port("[2001:db8::1]:443"), Some(("2001:db8::1", "443")));
        assert_eq!(split_host_port("nocolon"), None);
    }
}

//! A minimal JSON object writer for the hot path.
//!
//! Documents are written straight into a reusable `Vec<u8>`, field by field, without building a
//! `serde_json::Value` first. Keys are the crate's own static field names (never taken from input,
//! so they need no escaping); values taken from log lines are escaped per RFC 8259 §7.
//! Measured in `benches/throughput.rs`: this is what lets parse+serialize run at several hundred
//! MB/s per core.

/// Writes the members of one JSON object. Created by [`ObjectWriter::begin`], closed by
/// [`ObjectWriter::end`]; nested objects are written with [`ObjectWriter::object`].
pub struct ObjectWriter<'a> {
    buf: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Opens an object (`{`) at the end of `buf`.
    pub fn begin(buf: &'a mut Vec<u8>) -> Self {
        buf.push(b'{');
        ObjectWriter { buf, empty: true }
    }

    /// Closes the object (`}`).
    pub fn end(self) {
        self.buf.push(b'}');
    }

    fn key(&mut self, key: &str) {
        debug_assert!(
            key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'),
            "key {key:?} must not need escaping"
        );
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A string member; the value is escaped.
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.buf, value);
    }

    /// A string member when `value` is `Some`; nothing otherwise.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    /// An unsigned integer member.
    pub fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        self.buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// An unsigned integer member when `value` is `Some`.
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value {
            self.u64(key, v);
        }
    }

    /// A signed integer member.
    pub fn i64(&mut self, key: &str, value: i64) {
        self.key(key);
        self.buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.buf.extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// A member whose value is already valid JSON text (a checked number, a validated object).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.buf.extend_from_slice(json.as_bytes());
    }

    /// An array of strings.
    pub fn str_array<'s>(&mut self, key: &str, values: impl IntoIterator<Item = &'s str>) {
        self.key(key);
        self.buf.push(b'[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write_str(self.buf, v);
        }
        self.buf.push(b']');
    }

    /// An array of unsigned integers.
    pub fn u64_array(&mut self, key: &str, values: impl IntoIterator<Item = u64>) {
        self.key(key);
        self.buf.push(b'[');
        let mut fmt = itoa::Buffer::new();
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(fmt.format(v).as_bytes());
        }
        self.buf.push(b']');
    }

    /// Opens a nested object member; close it with [`ObjectWriter::end`].
    pub fn object(&mut self, key: &str) -> ObjectWriter<'_> {
        self.key(key);
        ObjectWriter::begin(self.buf)
    }
}

/// Bytes that must be escaped inside a JSON string: `"`, `\` and the C0 controls.
const fn needs_escape_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static NEEDS_ESCAPE: [bool; 256] = needs_escape_table();

/// Appends `s` as a quoted, escaped JSON string.
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    if needs_escaping(bytes) {
        write_escaped(buf, bytes);
    } else {
        buf.extend_from_slice(bytes);
    }
    buf.push(b'"');
}

/// True when any byte is `"`, `\\` or below 0x20. Written without an early exit so that the
/// compiler vectorizes it (SSE2 on x86-64, NEON on arm64): log text rarely needs escaping, and this
/// whole-string check is several times cheaper than a byte-by-byte scan.
#[inline]
fn needs_escaping(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        // A fixed-size inner loop: the compiler turns it into a few vector compares.
        let mut hit = 0u8;
        for &b in chunk {
            hit |= u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
        }
        if hit != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| NEEDS_ESCAPE[b as usize])
}

#[cold]
fn write_escaped(buf: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if NEEDS_ESCAPE[b as usize] {
            buf.extend_from_slice(&bytes[start..i]);
            write_escape(buf, b);
            start = i + 1;
        }
    }
    buf.extend_from_slice(&bytes[start..]);
}

#[inline]
fn write_escape(buf: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => buf.extend_from_slice(b"\\\""),
        b'\\' => buf.extend_from_slice(b"\\\\"),
        b'\n' => buf.extend_from_slice(b"\\n"),
        b'\r' => buf.extend_from_slice(b"\\r"),
        b'\t' => buf.extend_from_slice(b"\\t"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[(b >> 4) as usize]);
            buf.push(HEX[(b & 0xf) as usize]);
        }
    }
}

/// The shape of a number in JSON's grammar (RFC 8259 §6): `-? int frac? exp?`.
struct NumberShape {
    negative: bool,
    exponent: bool,
    /// Digits before the `.` or exponent (no leading zeros, so this bounds the magnitude).
    int_digits: usize,
}

/// Scans `s` as a JSON number: `None` when it is not one (leading zeros, `+`, bare `.`, …).
fn scan_number(s: &str) -> Option<NumberShape> {
    let b = s.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let int_start = i;
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        _ => return None,
    }
    let int_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == digits {
            return None;
        }
    }
    let exponent = matches!(b.get(i), Some(b'e' | b'E'));
    if exponent {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let digits = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == digits {
            return None;
        }
    }
    (i == b.len()).then_some(NumberShape {
        negative,
        exponent,
        int_digits,
    })
}

/// Whether a number of this shape is finite as an `f64` (OpenSearch refuses `1e400` in any numeric
/// field). Without an exponent, 308 integer digits or fewer is below `f64::MAX`; anything else is
/// checked by parsing, which is rare.
fn is_finite(s: &str, shape: &NumberShape) -> bool {
    (!shape.exponent && shape.int_digits <= 308) || s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// True when `s` is a number in JSON's grammar (RFC 8259 §6): `-? int frac? exp?`, no leading
/// zeros, no `+`, no bare `.`, and finite as an `f64` (so not `1e400`). Used to copy a log's own
/// decimal text into the document unchanged.
pub fn is_json_number(s: &str) -> bool {
    scan_number(s).is_some_and(|shape| is_finite(s, &shape))
}

/// True when `s` is a non-negative number written without exponent (`0.000`, `12`, `3.25`), in
/// JSON's grammar and finite as an `f64`: the form of the durations in access logs.
pub fn is_plain_decimal(s: &str) -> bool {
    scan_number(s).is_some_and(|shape| !shape.negative && !shape.exponent && is_finite(s, &shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        let mut buf = Vec::new();
        write_str(&mut buf, "a\"b\\c\n\r\t\u{1}\u{1b}[é");
        let text = std::str::from_utf8(&buf).unwrap();
        assert_eq!(text, r#""a\"b\\c\n\r\t\u0001\u001b[é""#);
        let back: String = serde_json::from_str(text).unwrap();
        assert_eq!(back, "a\"b\\c\n\r\t\u{1}\u{1b}[é");
    }

    #[test]
    fn escaping_matches_serde_json_for_every_byte_position() {
        // Each special byte at every offset of a 40-byte string, so the 16- and 8-byte fast paths
        // and the byte loop all see it.
        for special in (0u8..0x20).chain([b'"', b'\\', 0x7f, b'a']) {
            for pos in 0..40 {
                let mut s = vec![b'x'; 40];
                s[pos] = special;
                let s = String::from_utf8(s).unwrap();
                let mut buf = Vec::new();
                write_str(&mut buf, &s);
                let back: String = serde_json::from_slice(&buf).unwrap();
                assert_eq!(back, s, "byte {special:#x} at {pos}");
                assert_eq!(
                    buf.len() > s.len() + 2,
                    special < 0x20 || special == b'"' || special == b'\\'
                );
            }
        }
    }

    #[test]
    fn writes_nested_objects_and_arrays() {
        let mut buf = Vec::new();
        let mut w = ObjectWriter::begin(&mut buf);
        w.str("a", "x");
        w.opt_str("skipped", None);
        w.u64("n", 42);
        w.i64("neg", -1);
        w.bool("t", true);
        w.raw("f", "0.001");
        w.str_array("l", ["p", "q"]);
        w.u64_array("c", [200, 502]);
        let mut inner = w.object("error");
        inner.str("kind", "k");
        inner.end();
        w.end();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a":"x","n":42,"neg":-1,"t":true,"f":0.001,"l":["p","q"],"c":[200,502],"error":{"kind":"k"}})
        );
    }

    #[test]
    fn json_number_grammar() {
        for ok in ["0", "-1", "0.000", "12.5", "1e3", "1.5E-7", "-0.25"] {
            assert!(is_json_number(ok), "{ok} should be accepted");
        }
        for bad in [
            "", "-", "01", ".5", "1.", "+1", "1e", "NaN", "inf", "1.2.3", "0x10", "1 ",
        ] {
            assert!(!is_json_number(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn json_numbers_must_be_finite() {
        let digits = |n: usize| format!("1{}", "0".repeat(n - 1));
        for ok in [
            "1e308".to_owned(),
            "1.7976931348623157e308".into(),
            "-1e308".into(),
            "1e-400".into(),
            "0e999999".into(),
            digits(308),
            format!("-{}.5", digits(308)),
            digits(309),
            format!("0.{}", "0".repeat(500)),
        ] {
            assert!(is_json_number(&ok), "{ok} is finite");
        }
        for bad in [
            "1e400".to_owned(),
            "-1e400".into(),
            "1.8e308".into(),
            "1E+309".into(),
            digits(310),
            format!("-{}", digits(400)),
            format!("{}.0", digits(309).replace('1', "2")),
        ] {
            assert!(!is_json_number(&bad), "{bad} is infinite as an f64");
        }
    }

    #[test]
    fn plain_decimals() {
        for ok in ["0", "0.000", "0.001", "12", "3.25", "10.5"] {
            assert!(is_plain_decimal(ok), "{ok} should be accepted");
        }
        for bad in [
            "", "-1", "-0.5", "1e3", "1E-3", "1e400", "01", ".5", "1.", "+1", "NaN", "inf", "0x10", "1 ", " 1",
        ] {
            assert!(!is_plain_decimal(bad), "{bad:?} should be rejected");
        }
        assert!(!is_plain_decimal(&"9".repeat(400)), "infinite as an f64");
        assert!(is_plain_decimal(&"9".repeat(308)));
    }
}

//! `@timestamp` values: RFC 3339, UTC, with the log's own sub-second precision.
//!
//! Logs give times in three shapes: ALB's ISO 8601 text (`2018-07-02T22:23:00.186641Z`), CloudFront's
//! separate `date` and `time` columns (`2019-12-04` `21:02:31`) and CloudWatch's epoch milliseconds.
//! Each becomes a [`Timestamp`], a small inline string, validated so that OpenSearch's `date`
//! mapping never rejects a document for it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An RFC 3339 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`), stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    buf: [u8; Self::CAP],
    len: u8,
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.` + nine fraction digits + `Z`.
    const CAP: usize = 30;

    /// The timestamp text.
    pub fn as_str(&self) -> &str {
        // Only ever filled from validated ASCII.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// The UTC day, `YYYY-MM-DD` (used for daily index names and archive folders).
    pub fn day(&self) -> &str {
        &self.as_str()[..10]
    }

    /// Accepts ISO 8601 UTC text as ALB writes it, unchanged: `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`.
    pub fn parse_rfc3339_utc(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || b.len() > Self::CAP || b[b.len() - 1] != b'Z' {
            return None;
        }
        if !valid_date(&b[..10]) || b[10] != b'T' || !valid_time(&b[11..19]) {
            return None;
        }
        let rest = &b[19..b.len() - 1];
        if !rest.is_empty() && (rest[0] != b'.' || rest.len() < 2 || !rest[1..].iter().all(u8::is_ascii_digit)) {
            return None;
        }
        Some(Self::from_ascii(b))
    }

    /// Joins CloudFront's `date` (`YYYY-MM-DD`) and `time` (`HH:MM:SS`) columns, both UTC.
    pub fn from_date_and_time(date: &str, time: &str) -> Option<Timestamp> {
        let (d, t) = (date.as_bytes(), time.as_bytes());
        if d.len() != 10 || t.len() != 8 || !valid_date(d) || !valid_time(t) {
            return None;
        }
        let mut buf = [0u8; Self::CAP];
        buf[..10].copy_from_slice(d);
        buf[10] = b'T';
        buf[11..19].copy_from_slice(t);
        buf[19] = b'Z';
        Some(Timestamp { buf, len: 20 })
    }

    /// Formats milliseconds since the Unix epoch (CloudWatch Logs) with millisecond precision.
    /// Returns `None` outside years 0000–9999.
    pub fn from_epoch_millis(ms: i64) -> Option<Timestamp> {
        let secs = ms.div_euclid(1000);
        let millis = ms.rem_euclid(1000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        // YYYY-MM-DDTHH:MM:SS.mmmZ, written digit by digit (this runs once per CloudWatch event).
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u32);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, sod / 3600);
        put(14, 2, sod / 60 % 60);
        put(17, 2, sod % 60);
        put(20, 3, millis);
        Some(Self::from_ascii(&b))
    }

    /// The current time, for documents whose line carries no readable time (error documents).
    pub fn now() -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Self::from_epoch_millis(ms).unwrap_or_else(|| Self::from_ascii(b"1970-01-01T00:00:00.000Z"))
    }

    fn from_ascii(b: &[u8]) -> Timestamp {
        let mut buf = [0u8; Self::CAP];
        buf[..b.len()].copy_from_slice(b);
        Timestamp {
            buf,
            len: b.len() as u8,
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_str())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// `YYYY-MM-DD` with a real month and a day that exists in that month.
fn valid_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !b[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let year = b[..4].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    match (two_digits(&b[5..7]), two_digits(&b[8..10])) {
        (Some(m @ 1..=12), Some(d)) => d >= 1 && d <= days_in_month(year, m),
        _ => false,
    }
}

/// `HH:MM:SS`, allowing a leap second.
fn valid_time(b: &[u8]) -> bool {
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && matches!(two_digits(&b[0..2]), Some(0..=23))
        && matches!(two_digits(&b[3..5]), Some(0..=59))
        && matches!(two_digits(&b[6..8]), Some(0..=60))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); H. Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alb_time_kept_with_its_precision() {
        for s in [
            "2018-07-02T22:23:00.186641Z",
            "2018-07-02T22:23:00Z",
            "2024-02-29T23:59:60.123456789Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339_utc(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn invalid_times_rejected() {
        for s in [
            "2.0",
            "2018-07-02 22:23:00Z",
            "2018-13-02T22:23:00Z",
            "2023-02-29T00:00:00Z",
            "2018-07-02T24:00:00Z",
            "2018-07-02T22:23:00.Z",
            "2018-07-02T22:23:00+01:00",
            "2018-07-02T22:23:00.1234567890Z",
        ] {
            assert!(Timestamp::parse_rfc3339_utc(s).is_none(), "{s} should be rejected");
        }
    }

    #[test]
    fn cloudfront_date_and_time_joined() {
        let t = Timestamp::from_date_and_time("2019-12-04", "21:02:31").unwrap();
        assert_eq!(t.as_str(), "2019-12-04T21:02:31Z");
        assert_eq!(t.day(), "2019-12-04");
        assert!(Timestamp::from_date_and_time("2019-12-04", "21:02").is_none());
    }

    #[test]
    fn epoch_millis_formatted() {
        assert_eq!(
            Timestamp::from_epoch_millis(0).unwrap().as_str(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_epoch_millis(1_552_518_348_220).unwrap().as_str(),
            "2019-03-13T23:05:48.220Z"
        );
        assert_eq!(
            Timestamp::from_epoch_millis(951_782_400_000).unwrap().as_str(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_epoch_millis(-1).unwrap().as_str(),
            "1969-12-31T23:59:59.999Z"
        );
        assert!(Timestamp::from_epoch_millis(i64::MAX).is_none());
    }
}

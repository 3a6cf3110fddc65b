//! Decoding input bytes: gzip detected by its magic bytes (RFC 1952 §2.3.1: `1f 8b`), always read
//! as **multi-member** gzip (ALB writes concatenated members; a single-member decoder silently stops
//! after the first), plain text otherwise. Every decoder counts the bytes it inflates and fails
//! with [`DecodeError::TooLarge`] past the configured ceiling, so a decompression bomb costs at most
//! the ceiling in time and one buffer in memory.

use crate::error::DecodeError;
use flate2::bufread::MultiGzDecoder;
use std::io::{self, BufReader, Read};

/// Gzip's two magic bytes.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes read before anything else: the first read of a plain input returns them whole, so that
/// format detection sees at least a first line.
const HEAD_BYTES: usize = 16 * 1024;

/// Size of the read buffers: large enough that almost every line is read in place.
pub const BUFFER_BYTES: usize = 256 * 1024;

/// True when `bytes` starts with the gzip magic.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The input with its first bytes, read for sniffing, put back in front.
type Sniffed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

enum Inner<R: Read> {
    Plain(BufReader<Sniffed<R>>),
    Gzip(Box<MultiGzDecoder<BufReader<Sniffed<R>>>>),
}

/// A reader over decoded input that stops with an error past `limit` bytes.
pub struct Decoder<R: Read> {
    inner: Inner<R>,
    inflated: u64,
    limit: u64,
}

impl<R: Read> Decoder<R> {
    /// Sniffs the first bytes of `input` and decodes gzip when they are the gzip magic.
    pub fn new(mut input: R, limit: u64) -> io::Result<Self> {
        // Read the first bytes in a loop (a pipe may deliver one byte at a time): enough for the gzip
        // magic, and for plain text enough to hold a first line for format detection.
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut input).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
        let gzip = is_gzip(&head);
        let buffered = BufReader::with_capacity(BUFFER_BYTES, io::Cursor::new(head).chain(input));
        let inner = if gzip {
            Inner::Gzip(Box::new(MultiGzDecoder::new(buffered)))
        } else {
            Inner::Plain(buffered)
        };
        Ok(Decoder {
            inner,
            inflated: 0,
            limit,
        })
    }

    /// Whether the input is gzip.
    pub fn is_gzip(&self) -> bool {
        matches!(self.inner, Inner::Gzip(_))
    }

    /// Bytes produced so far.
    pub fn inflated(&self) -> u64 {
        self.inflated
    }

    fn classify(&self, error: io::Error) -> DecodeError {
        classify(error, self.is_gzip(), self.inflated)
    }
}

impl<R: Read> Read for Decoder<R> {
    /// Reads decoded bytes. Errors carry a [`DecodeError`] (see [`into_decode_error`]).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inflated > self.limit {
            return Err(io::Error::other(DecodeError::TooLarge { limit: self.limit }));
        }
        // Read at most one byte past the limit, so that crossing it is detected, not truncated.
        let room = (self.limit - self.inflated).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let read = match &mut self.inner {
            Inner::Plain(r) => r.read(&mut buf[..want]),
            Inner::Gzip(r) => r.read(&mut buf[..want]),
        };
        let n = match read {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => return Err(io::Error::other(self.classify(e))),
        };
        self.inflated += n as u64;
        if self.inflated > self.limit {
            return Err(io::Error::other(DecodeError::TooLarge { limit: self.limit }));
        }
        Ok(n)
    }
}

/// The [`DecodeError`] inside an error returned by a [`Decoder`] (or by a reader over one); any
/// other I/O error is a read failure.
pub fn into_decode_error(error: io::Error) -> DecodeError {
    if error.get_ref().is_some_and(|e| e.is::<DecodeError>()) {
        if let Some(Ok(decode)) = error.into_inner().map(|inner| inner.downcast::<DecodeError>()) {
            return *decode;
        }
        return DecodeError::Io {
            inflated: 0,
            source: io::Error::other("decode error lost in transit"),
        };
    }
    DecodeError::Io {
        inflated: 0,
        source: error,
    }
}

/// Turns an `io::Error` from the inner reader into a [`DecodeError`].
fn classify(error: io::Error, gzip: bool, inflated: u64) -> DecodeError {
    let corrupt = matches!(
        error.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    );
    if gzip && corrupt {
        DecodeError::Gzip {
            inflated,
            source: error,
        }
    } else {
        DecodeError::Io {
            inflated,
            source: error,
        }
    }
}

/// Decodes a whole in-memory buffer (gzip or plain) into a new vector, bounded by `limit`.
/// Used for payloads nested in JSON (CloudWatch Logs `awslogs.data`).
pub fn inflate_to_vec(bytes: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut decoder = Decoder::new(bytes, limit).map_err(into_decode_error)?;
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit as usize));
    decoder.read_to_end(&mut out).map_err(into_decode_error)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
        inflate_to_vec(bytes, limit)
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(read_all(b"hello\nworld\n", 100).unwrap(), b"hello\nworld\n");
        assert_eq!(read_all(b"", 100).unwrap(), b"");
    }

    #[test]
    fn multi_member_gzip_reads_every_member() {
        let mut data = gzip(b"one\n");
        data.extend(gzip(b"two\n"));
        data.extend(gzip(b"three\n"));
        assert_eq!(read_all(&data, 1000).unwrap(), b"one\ntwo\nthree\n");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data = gzip(&b"line of log text\n".repeat(1000));
        let cut = &data[..data.len() / 2];
        let err = read_all(cut, 1 << 20).unwrap_err();
        assert!(matches!(err, DecodeError::Gzip { .. }), "{err:?}");
    }

    #[test]
    fn corrupt_crc_is_an_error() {
        let mut data = gzip(b"some text\n");
        let n = data.len();
        data[n - 8] ^= 0xff; // CRC32 field of the trailer
        let err = read_all(&data, 1 << 20).unwrap_err();
        assert!(matches!(err, DecodeError::Gzip { .. }), "{err:?}");
    }

    #[test]
    fn bomb_stops_at_limit() {
        let data = gzip(&vec![0u8; 10 << 20]);
        let err = read_all(&data, 1 << 20).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooLarge { limit } if limit == 1 << 20),
            "{err:?}"
        );
        // exactly at the limit is fine
        assert_eq!(read_all(&gzip(&[7u8; 1000]), 1000).unwrap().len(), 1000);
        assert!(read_all(&gzip(&[7u8; 1001]), 1000).is_err());
    }
}

//! A local folder laid out like the pipeline's S3 archive, plus OpenSearch `_bulk` files.
//!
//! ```text
//! <root>/YYYY/MM/DD/HH/logpipe-<run>-0001.ndjson.gz    the archive: gzip NDJSON, one document a line
//! <root>/opensearch-bulk/logpipe-<run>-0001.ndjson     _bulk bodies, ready for `curl --data-binary @…`
//! ```
//!
//! As in Firehose's S3 destination, the `YYYY/MM/DD/HH` folders are the UTC hour of delivery (when
//! the sink wrote the file), not the log's own time. Archive files roll over at
//! [`ARCHIVE_ROLL_BYTES`] of NDJSON. Each `_bulk` line pair is a `create` action into
//! `logs-<log_type>-YYYY-MM-DD` (the day of the document's `@timestamp`, like Firehose's daily index
//! rotation) with the document's `event_id` as `_id`, so loading a file twice indexes nothing twice;
//! bulk files roll over at [`BULK_ROLL_BYTES`] to stay under small domains' 10 MiB request limit.

use super::{DocSink, SinkError};
use crate::document::Doc;
use crate::json::write_str;
use crate::timestamp::Timestamp;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Uncompressed NDJSON bytes per archive file (Firehose's largest S3 buffer is 128 MiB).
pub const ARCHIVE_ROLL_BYTES: u64 = 128 << 20;
/// Bytes per `_bulk` file: 5 MiB, inside the 10 MiB HTTP request limit of small OpenSearch domains.
pub const BULK_ROLL_BYTES: u64 = 5 << 20;

/// What a [`LocalDirSink`] wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LocalDirSummary {
    /// Archive files, in the order written.
    pub archive_files: Vec<PathBuf>,
    /// `_bulk` files, in the order written.
    pub bulk_files: Vec<PathBuf>,
    /// Documents written (each appears once in the archive and once in a `_bulk` file).
    pub documents: u64,
}

struct Rolling<W: Write> {
    writer: W,
    bytes: u64,
}

/// Writes documents into an archive and `_bulk` files under one folder.
pub struct LocalDirSink {
    root: PathBuf,
    run: String,
    hour_dir: PathBuf,
    archive: Option<Rolling<GzEncoder<BufWriter<File>>>>,
    bulk: Option<Rolling<BufWriter<File>>>,
    action: Vec<u8>,
    summary: LocalDirSummary,
}

impl LocalDirSink {
    /// A sink writing under `root` (created if missing); file names carry the current UTC time.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, SinkError> {
        Self::at(root, Timestamp::now())
    }

    /// A sink whose delivery time is `now` (tests pin it).
    pub fn at(root: impl Into<PathBuf>, now: Timestamp) -> Result<Self, SinkError> {
        let root = root.into();
        let t = now.as_str();
        // YYYY-MM-DDTHH:MM:SS → YYYY-MM-DD-HH-MM-SS, like Firehose object names.
        let run = format!("{}-{}-{}-{}", &t[..10], &t[11..13], &t[14..16], &t[17..19]);
        let hour_dir = root.join(&t[..4]).join(&t[5..7]).join(&t[8..10]).join(&t[11..13]);
        fs::create_dir_all(&root).map_err(|e| io_err(&root, e))?;
        Ok(LocalDirSink {
            root,
            run,
            hour_dir,
            archive: None,
            bulk: None,
            action: Vec::with_capacity(128),
            summary: LocalDirSummary::default(),
        })
    }

    /// What was written so far.
    pub fn summary(&self) -> &LocalDirSummary {
        &self.summary
    }

    fn archive(&mut self) -> Result<&mut Rolling<GzEncoder<BufWriter<File>>>, SinkError> {
        if self.archive.as_ref().is_some_and(|a| a.bytes >= ARCHIVE_ROLL_BYTES) {
            finish_archive(self.archive.take())?;
        }
        let archive = match self.archive.take() {
            Some(a) => a,
            None => {
                let (path, file) = create_numbered(&self.hour_dir, &self.run, "ndjson.gz")?;
                self.summary.archive_files.push(path);
                let writer = GzEncoder::new(BufWriter::new(file), Compression::fast());
                Rolling { writer, bytes: 0 }
            }
        };
        Ok(self.archive.insert(archive))
    }

    fn bulk(&mut self) -> Result<&mut Rolling<BufWriter<File>>, SinkError> {
        if self.bulk.as_ref().is_some_and(|b| b.bytes >= BULK_ROLL_BYTES) {
            finish_bulk(self.bulk.take())?;
        }
        let bulk = match self.bulk.take() {
            Some(b) => b,
            None => {
                let dir = self.root.join("opensearch-bulk");
                let (path, file) = create_numbered(&dir, &self.run, "ndjson")?;
                self.summary.bulk_files.push(path);
                Rolling {
                    writer: BufWriter::new(file),
                    bytes: 0,
                }
            }
        };
        Ok(self.bulk.insert(bulk))
    }
}

impl DocSink for LocalDirSink {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        let archive = self.archive()?;
        write_line(&mut archive.writer, doc.json).map_err(|e| io_err(Path::new("archive file"), e))?;
        archive.bytes += doc.json.len() as u64 + 1;

        self.action.clear();
        self.action.extend_from_slice(b"{\"create\":{\"_index\":\"logs-");
        self.action.extend_from_slice(doc.log_type.as_bytes());
        self.action.push(b'-');
        self.action.extend_from_slice(doc.timestamp.day().as_bytes());
        self.action.extend_from_slice(b"\",\"_id\":");
        write_str(&mut self.action, doc.event_id);
        self.action.extend_from_slice(b"}}");
        let action = std::mem::take(&mut self.action);
        let bulk = self.bulk()?;
        let written = write_line(&mut bulk.writer, &action).and_then(|()| write_line(&mut bulk.writer, doc.json));
        bulk.bytes += (action.len() + doc.json.len() + 2) as u64;
        self.action = action;
        written.map_err(|e| io_err(Path::new("bulk file"), e))?;
        self.summary.documents += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        finish_archive(self.archive.take())?;
        finish_bulk(self.bulk.take())
    }
}

impl Drop for LocalDirSink {
    fn drop(&mut self) {
        // Best effort for a sink dropped without `finish` (an error path): close the gzip stream.
        let _ = self.finish();
    }
}

fn write_line(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(bytes)?;
    w.write_all(b"\n")
}

fn finish_archive(archive: Option<Rolling<GzEncoder<BufWriter<File>>>>) -> Result<(), SinkError> {
    if let Some(a) = archive {
        let mut inner = a.writer.finish().map_err(|e| io_err(Path::new("archive file"), e))?;
        inner.flush().map_err(|e| io_err(Path::new("archive file"), e))?;
    }
    Ok(())
}

fn finish_bulk(bulk: Option<Rolling<BufWriter<File>>>) -> Result<(), SinkError> {
    if let Some(mut b) = bulk {
        b.writer.flush().map_err(|e| io_err(Path::new("bulk file"), e))?;
    }
    Ok(())
}

/// Creates `<dir>/logpipe-<run>-NNNN.<ext>` with the first free number.
fn create_numbered(dir: &Path, run: &str, ext: &str) -> Result<(PathBuf, File), SinkError> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    for n in 1..=9999 {
        let path = dir.join(format!("logpipe-{run}-{n:04}.{ext}"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&path, e)),
        }
    }
    Err(io_err(dir, io::Error::other("no free file name left for this second")))
}

fn io_err(path: &Path, source: io::Error) -> SinkError {
    SinkError::Io {
        target: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;
    use std::io::Read;

    fn doc<'a>(json: &'a [u8], log_type: &'static str, ts: &str, id: &'a str) -> Doc<'a> {
        Doc {
            json,
            log_type,
            timestamp: Timestamp::parse_rfc3339_utc(ts).unwrap(),
            event_id: id,
            is_error: false,
        }
    }

    #[test]
    fn writes_archive_by_delivery_hour_and_bulk_by_document_day() {
        let dir = tempfile::tempdir().unwrap();
        let now = Timestamp::parse_rfc3339_utc("2026-11-22T05:30:12Z").unwrap();
        let mut sink = LocalDirSink::at(dir.path(), now).unwrap();
        sink.accept(doc(br#"{"a":1}"#, "alb", "2018-07-02T22:23:00.186641Z", "id-1"))
            .unwrap();
        sink.accept(doc(br#"{"b":2}"#, "cloudfront", "2019-12-04T21:02:31Z", "id\"2"))
            .unwrap();
        sink.finish().unwrap();
        let s = sink.summary().clone();
        assert_eq!(s.documents, 2);
        assert_eq!(
            s.archive_files,
            vec![dir
                .path()
                .join("2026/11/22/05/logpipe-2026-11-22-05-30-12-0001.ndjson.gz")]
        );
        let mut text = String::new();
        MultiGzDecoder::new(File::open(&s.archive_files[0]).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(
            s.bulk_files,
            vec![dir
                .path()
                .join("opensearch-bulk/logpipe-2026-11-22-05-30-12-0001.ndjson")]
        );
        assert_eq!(
            fs::read_to_string(&s.bulk_files[0]).unwrap(),
            concat!(
                "{\"create\":{\"_index\":\"logs-alb-2018-07-02\",\"_id\":\"id-1\"}}\n{\"a\":1}\n",
                "{\"create\":{\"_index\":\"logs-cloudfront-2019-12-04\",\"_id\":\"id\\\"2\"}}\n{\"b\":2}\n"
            )
        );
    }

    #[test]
    fn a_second_run_in_the_same_second_gets_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let now = Timestamp::parse_rfc3339_utc("2026-11-22T05:30:12Z").unwrap();
        for _ in 0..2 {
            let mut sink = LocalDirSink::at(dir.path(), now).unwrap();
            sink.accept(doc(b"{}", "alb", "2018-07-02T22:23:00Z", "i")).unwrap();
            sink.finish().unwrap();
        }
        assert!(dir
            .path()
            .join("2026/11/22/05/logpipe-2026-11-22-05-30-12-0002.ndjson.gz")
            .exists());
        assert!(dir
            .path()
            .join("opensearch-bulk/logpipe-2026-11-22-05-30-12-0002.ndjson")
            .exists());
    }

    #[test]
    fn bulk_files_roll_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = LocalDirSink::new(dir.path()).unwrap();
        let body = format!("{{\"m\":\"{}\"}}", "x".repeat(1 << 20));
        for i in 0..6 {
            let id = i.to_string();
            sink.accept(doc(body.as_bytes(), "alb", "2018-07-02T22:23:00Z", &id))
                .unwrap();
        }
        sink.finish().unwrap();
        let s = sink.summary();
        assert_eq!(s.bulk_files.len(), 2);
        for f in &s.bulk_files {
            assert!(fs::metadata(f).unwrap().len() <= BULK_ROLL_BYTES + (1 << 20) + 200);
        }
    }
}

//! Throughput of the pipeline per format, on one core.
//!
//! ```text
//! cargo bench -p logpipe --bench throughput            # generates data once, then measures
//! LOGPIPE_BENCH_MB=200 cargo bench -p logpipe --bench throughput   # other data size (default 100)
//! LOGPIPE_BENCH_ONLY=alb,nlb cargo bench -p logpipe --bench throughput   # some formats (--format names)
//! LOGPIPE_BENCH_SAMPLE_MB=50 cargo bench -p logpipe --bench throughput   # size of the sample-based rows (default 20)
//! LOGPIPE_BENCH_RUNS=1 valgrind --tool=callgrind target/release/deps/throughput-…  # instruction counts
//! ```
//!
//! ALB, CloudFront and CloudWatch input comes from the deterministic generator `bench/gen.py` (path
//! overridable with `LOGPIPE_BENCH_GEN`), written once to `target/bench-data/<size>/`. The other
//! formats have no generator: their rows repeat the sample file in `events/samples/` (15–30 varied
//! lines) up to `LOGPIPE_BENCH_SAMPLE_MB`, so they measure the parser on a small working set and
//! read a little faster than fresh data would. Each row runs the real
//! [`logpipe::process`] over an in-memory input with a sink that only counts, single-threaded, and
//! reports the best of several runs as MB/s of *uncompressed* input and lines (or log events) per
//! second:
//! - `parse+serialize`: uncompressed input → documents (line splitting, UTF-8 check, parsing, JSON);
//! - `gzip decode`: inflating the `.gz` file alone, the floor for anything reading gzip;
//! - `gzip → documents`: the whole path from compressed bytes, as a Lambda function runs it; gzip is
//!   inflated on a second thread while the first parses, so this row uses up to two cores.

use flate2::read::MultiGzDecoder;
use logpipe::{process, Doc, DocSink, Format, FormatChoice, Limits, SinkError, Source};
use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Counts documents and bytes; keeps nothing.
#[derive(Default)]
struct CountingSink {
    docs: u64,
    bytes: u64,
}

impl DocSink for CountingSink {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        self.docs += 1;
        self.bytes += black_box(doc.json).len() as u64;
        Ok(())
    }
}

struct Row {
    name: String,
    input_bytes: u64,
    units: u64,
    unit: &'static str,
    best: Duration,
    docs: u64,
    out_bytes: u64,
}

fn main() {
    let mb: u32 = std::env::var("LOGPIPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let data = ensure_data(mb);
    let read = |name: &str| std::fs::read(data.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let only = std::env::var("LOGPIPE_BENCH_ONLY").ok();
    let skip = |format: Format| {
        only.as_deref()
            .is_some_and(|o| !o.split(',').any(|n| n.trim() == format.name()))
    };
    let mut rows = Vec::new();
    for (format, plain, gz) in [
        (Format::Alb, "alb.log", "alb.log.gz"),
        (Format::CloudFront, "cf.log", "cf.log.gz"),
        (Format::CloudWatch, "cw.jsonl", "cw.all.gz"),
    ] {
        if skip(format) {
            continue;
        }
        let plain = read(plain);
        let gz = read(gz);
        rows.push(measure(format!("{format} parse+serialize"), &plain, format));
        rows.push(measure_inflate(format!("{format} gzip decode"), &gz));
        rows.push(measure(format!("{format} gzip → documents"), &gz, format));
    }
    let sample_mb: usize = std::env::var("LOGPIPE_BENCH_SAMPLE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for (format, sample) in [
        (Format::AlbConnection, "alb_conn.log"),
        (Format::Nlb, "nlb.log"),
        (Format::Clb, "clb.log"),
        (Format::CloudFrontV2, "cloudfront_v2.json.log"),
        (Format::CloudFrontRealtime, "cloudfront_realtime.log"),
        (Format::S3Access, "s3_access.log"),
        (Format::VpcFlow, "vpcflow.log"),
        (Format::Waf, "waf.log"),
        (Format::CloudTrail, "cloudtrail.json"),
        (Format::ApiGateway, "apigateway.log"),
    ] {
        if skip(format) {
            continue;
        }
        let input = repeat_sample(sample, sample_mb);
        rows.push(measure(
            format!("{} parse+serialize (samples)", format.name()),
            &input,
            format,
        ));
    }
    println!("\n| benchmark | input MB | MB/s per core | units/s | documents | output MB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        let secs = r.best.as_secs_f64();
        println!(
            "| {} | {:.1} | {:.0} | {:.0} {} | {} | {:.1} |",
            r.name,
            r.input_bytes as f64 / 1e6,
            r.input_bytes as f64 / 1e6 / secs,
            r.units as f64 / secs,
            r.unit,
            r.docs,
            r.out_bytes as f64 / 1e6,
        );
    }
}

/// Runs `f` until it has had at least 5 runs and 4 s, and returns the fastest run (this machine
/// shares its cores, so the fastest run is the one least disturbed).
fn best_of(mut f: impl FnMut()) -> Duration {
    // LOGPIPE_BENCH_RUNS=1 runs once, no warm-up: for instruction counts under `valgrind --tool=callgrind`.
    let fixed: Option<u32> = std::env::var("LOGPIPE_BENCH_RUNS").ok().and_then(|v| v.parse().ok());
    if fixed.is_none() {
        f(); // warm-up
    }
    let (mut best, mut total, mut runs) = (Duration::MAX, Duration::ZERO, 0);
    while fixed.map_or(runs < 5 || total < Duration::from_secs(4), |n| runs < n) {
        let t = Instant::now();
        f();
        let d = t.elapsed();
        best = best.min(d);
        total += d;
        runs += 1;
    }
    best
}

/// The pipeline over `input`; throughput counts the bytes after decompression.
fn measure(name: String, input: &[u8], format: Format) -> Row {
    let source = Source::new("s3://bench-bucket/bench-object");
    let limits = Limits::default();
    let mut last = CountingSink::default();
    let mut summary = logpipe::Summary::default();
    let best = best_of(|| {
        let mut sink = CountingSink::default();
        summary = process(input, &source, FormatChoice::Fixed(format), &limits, &mut sink).expect("in-memory input");
        last = sink;
    });
    assert_eq!(
        summary.error_documents, 0,
        "{name}: the generator's data should parse cleanly: {summary:?}"
    );
    let (units, unit) = if matches!(format, Format::CloudWatch | Format::CloudTrail) {
        (summary.log_events, "events")
    } else {
        (summary.lines, "lines")
    };
    eprintln!("{name}: {summary:?}");
    Row {
        name,
        input_bytes: summary.bytes_inflated,
        units,
        unit,
        best,
        docs: last.docs,
        out_bytes: last.bytes,
    }
}

fn measure_inflate(name: String, gz: &[u8]) -> Row {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    let best = best_of(|| {
        let mut d = MultiGzDecoder::new(gz);
        total = 0;
        loop {
            let n = d.read(&mut buf).expect("valid gzip");
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    });
    Row {
        name,
        input_bytes: total,
        units: 0,
        unit: "-",
        best,
        docs: 0,
        out_bytes: 0,
    }
}

/// `events/samples/<name>` repeated to at least `mb` MB (whole files, so headers repeat too, as in
/// concatenated log files).
fn repeat_sample(name: &str, mb: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let sample = std::fs::read(root.join("events/samples").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut input = Vec::with_capacity(mb << 20);
    while input.len() < mb << 20 {
        input.extend_from_slice(&sample);
        if !sample.ends_with(b"\n") {
            input.push(b'\n');
        }
    }
    input
}

/// Generates the benchmark data once per size with the project's generator.
fn ensure_data(mb: u32) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let dir = root.join("target/bench-data").join(format!("{mb}mb"));
    if dir.join("cw.all.gz").exists() {
        return dir;
    }
    let gen = std::env::var_os("LOGPIPE_BENCH_GEN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("bench/gen.py"));
    eprintln!("generating {mb} MB per format with {} (once)…", gen.display());
    let status = Command::new("python3")
        .arg(&gen)
        .args(["--seed", "42", "--alb-mb", &mb.to_string(), "--cf-mb", &mb.to_string()])
        .args(["--cw-mb", &(mb / 2).max(1).to_string(), "--out"])
        .arg(&dir)
        .status()
        .unwrap_or_else(|e| panic!("running {}: {e}", gen.display()));
    assert!(status.success(), "{} failed", gen.display());
    dir
}

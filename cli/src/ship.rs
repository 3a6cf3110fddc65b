//! `logpipe ship`: files and folders through the pipeline into a sink, with progress and a summary.

use crate::args::ShipArgs;
use crate::inputs;
use anyhow::{Context, Result};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use logpipe::lambda::s3_access_logs::choose_format;
use logpipe::sink::LocalDirSink;
use logpipe::{process, DocSink, Source, Summary};
use std::fs::{self, File};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(args: &ShipArgs) -> Result<ExitCode> {
    let files = inputs::expand(&args.sources)?;
    let total: u64 = files.iter().filter_map(|f| fs::metadata(f).ok()).map(|m| m.len()).sum();
    let limits = args.input.limits();
    let mut sink = LocalDirSink::new(&args.sink)?;
    let progress = progress_bar(total);
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut bytes_read = 0;
    let mut failed = Vec::new();
    let mut skipped = 0;
    for path in &files {
        progress.set_message(path.display().to_string());
        // The same key-based rule as the s3-access-logs function: ALB connection logs, NLB and Classic
        // ELB files have no parser yet and would only give error documents.
        let Some(format) = choose_format(args.input.format, &path.to_string_lossy()) else {
            progress.suspend(|| {
                eprintln!(
                    "logpipe: skipped {} (ALB connection, NLB or Classic ELB log: no parser yet)",
                    path.display()
                )
            });
            skipped += 1;
            continue;
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                progress.suspend(|| eprintln!("logpipe: cannot open {}: {e}", path.display()));
                failed.push(path);
                continue;
            }
        };
        bytes_read += file.metadata().map(|m| m.len()).unwrap_or(0);
        let source = Source::new(inputs::source_name(path));
        match process(progress.wrap_read(file), &source, format, &limits, &mut sink) {
            Ok(s) => summary += s,
            Err(logpipe::pipeline::PipelineError::Read { source_name, error }) => {
                progress.suspend(|| eprintln!("logpipe: reading {source_name} failed: {error}"));
                failed.push(path);
            }
            Err(e) => return Err(e).context("the sink failed"),
        }
    }
    sink.finish()?;
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let written = sink.summary();
    println!(
        "shipped {} of {} files ({} skipped): {} read, {} inflated, in {:.2} s ({:.1} MB/s of inflated input)",
        files.len() - failed.len() - skipped,
        files.len(),
        skipped,
        HumanBytes(bytes_read),
        HumanBytes(summary.bytes_inflated),
        elapsed,
        summary.bytes_inflated as f64 / 1e6 / elapsed.max(1e-9),
    );
    println!(
        "lines {}, documents {}, error documents {}, header lines {}, blank lines {}, \
         CloudWatch payloads {} ({} control messages, {} log events)",
        summary.lines,
        summary.documents,
        summary.error_documents,
        summary.headers,
        summary.blank_lines,
        summary.payloads,
        summary.control_messages,
        summary.log_events,
    );
    println!(
        "wrote {} documents to {} archive file(s) and {} _bulk file(s) under {}",
        written.documents,
        written.archive_files.len(),
        written.bulk_files.len(),
        args.sink.display(),
    );
    for f in written.archive_files.iter().chain(&written.bulk_files) {
        println!("  {}", f.display());
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A bar over input bytes, drawn only when standard error is a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

//! `logpipe ship`: files, folders or S3 prefixes through the pipeline into a sink (a local folder
//! by default, or Firehose), with the same batching, retry and failed-record logic as the functions.

use crate::args::ShipArgs;
use crate::inputs;
use crate::targets::{parse_s3_uri, runtime, AnyObjects, AnySink, Aws, StoreArg};
use anyhow::{Context, Result};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use logpipe::delivery::{FailedRecordStore, ShipReport, Shipper};
use logpipe::lambda::s3_access_logs::choose_format;
use logpipe::objects::ObjectSource;
use logpipe::pipeline::PipelineError;
use logpipe::{process, Source, Summary};
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One input: a local file or an S3 object.
enum Input {
    File(std::path::PathBuf),
    S3 { bucket: String, key: String },
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::File(p) => inputs::source_name(p),
            Input::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    fn key(&self) -> String {
        match self {
            Input::File(p) => p.to_string_lossy().into_owned(),
            Input::S3 { key, .. } => key.clone(),
        }
    }
}

pub fn run(args: &ShipArgs) -> Result<ExitCode> {
    runtime()?.block_on(ship(args))
}

async fn ship(args: &ShipArgs) -> Result<ExitCode> {
    let mut aws = Aws::default();
    let mut inputs = Vec::new();
    let mut total = 0;
    for source in &args.sources {
        let text = source.to_string_lossy();
        if let Some((bucket, prefix)) = parse_s3_uri(&text) {
            let s3 = aws.clients().await.1.clone();
            let listed = s3
                .list(&bucket, &prefix)
                .await
                .with_context(|| format!("listing {text}"))?;
            for (key, size) in listed {
                total += size;
                inputs.push(Input::S3 {
                    bucket: bucket.clone(),
                    key,
                });
            }
        } else {
            for path in inputs::expand(std::slice::from_ref(source))? {
                total += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                inputs.push(Input::File(path));
            }
        }
    }
    let sink = Arc::new(AnySink::new(&args.sink, &mut aws).await?);
    let store_arg = args
        .failed_store
        .clone()
        .unwrap_or_else(|| StoreArg::Dir(args.default_failed_dir()));
    let (store, bucket, prefix) = AnyObjects::store(&store_arg, &mut aws).await;
    let failed = Arc::new(FailedRecordStore::new(
        store,
        Some(bucket),
        &prefix,
        "logpipe-ship",
        &run_id(),
    ));
    // A laptop run has no Lambda deadline; a day is "never" for retry purposes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(86_400);
    let shipper = Shipper::new(sink.clone(), failed, 4, deadline);

    let progress = progress_bar(total);
    let started = Instant::now();
    let limits = args.input.limits();
    let (mut summary, mut shipped) = (Summary::default(), ShipReport::default());
    let mut failed_inputs = 0;
    for (item, input) in inputs.iter().enumerate() {
        let name = input.name();
        progress.set_message(name.clone());
        // The same key-based rule as the s3-access-logs function: load balancer file names decide.
        let format = choose_format(args.input.format, &input.key());
        let reader: Box<dyn Read + Send> = match input {
            Input::File(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    progress.suspend(|| eprintln!("logpipe: cannot open {}: {e}", path.display()));
                    failed_inputs += 1;
                    continue;
                }
            },
            Input::S3 { bucket, key } => match aws.clients().await.1.get(bucket, key).await {
                Ok(body) => body.reader,
                Err(e) => {
                    progress.suspend(|| eprintln!("logpipe: cannot read {name}: {e}"));
                    failed_inputs += 1;
                    continue;
                }
            },
        };
        let reader = progress.wrap_read(reader);
        let (result, report) = shipper
            .ship(move |sink| {
                sink.set_item(item, &name);
                process(reader, &Source::new(name), format, &limits, sink)
            })
            .await
            .context("records could be neither delivered nor stored")?;
        shipped += report;
        match result {
            Ok(s) => summary += s,
            Err(PipelineError::Read { source_name, error }) => {
                progress.suspend(|| eprintln!("logpipe: reading {source_name} failed: {error}"));
                failed_inputs += 1;
            }
            Err(e) => return Err(e).context("the sink failed"),
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "shipped {} of {} inputs: {} read, {} inflated, in {:.2} s ({:.1} MB/s of inflated input)",
        inputs.len() - failed_inputs,
        inputs.len(),
        HumanBytes(progress.position()),
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
        "delivered {}, failed-record store {}, truncated {}, resent {}",
        shipped.delivered, shipped.failed_stored, shipped.truncated, shipped.resent
    );
    for line in sink.finish()? {
        println!("{line}");
    }
    Ok(if failed_inputs == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A name for this run's failed-record objects.
pub fn run_id() -> String {
    let t = logpipe::timestamp::Timestamp::now();
    t.as_str().replace([':', '.'], "-")
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

//! `logpipe parse`: documents to standard output, one per line.

use crate::args::ParseArgs;
use anyhow::Result;
use logpipe::pipeline::PipelineError;
use logpipe::sink::NdjsonSink;
use logpipe::{process, DocSink, Source};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(args: &ParseArgs) -> Result<ExitCode> {
    let limits = args.input.limits();
    let stdout = io::stdout();
    let mut sink = NdjsonSink::new(BufWriter::with_capacity(1 << 16, stdout.lock()), "stdout");
    let files = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let mut failed = false;
    for path in &files {
        let result = if path.as_os_str() == "-" {
            process(
                io::stdin(),
                &Source::new("stdin"),
                args.input.format,
                &limits,
                &mut sink,
            )
        } else {
            match File::open(path) {
                Ok(file) => {
                    let source = Source::new(crate::inputs::source_name(path));
                    process(file, &source, args.input.format, &limits, &mut sink)
                }
                Err(e) => {
                    eprintln!("logpipe: cannot open {}: {e}", path.display());
                    failed = true;
                    continue;
                }
            }
        };
        match result {
            Ok(_) => {}
            Err(PipelineError::Sink(e)) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
            Err(e @ PipelineError::Sink(_)) => return Err(e.into()),
            Err(e @ PipelineError::Read { .. }) => {
                eprintln!("logpipe: {e}");
                failed = true;
            }
        }
    }
    match sink.finish() {
        Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
        r => r?,
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `logpipe parse … | head` closes the pipe early: that is not an error.
fn is_broken_pipe(e: &logpipe::SinkError) -> bool {
    matches!(e, logpipe::SinkError::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
}

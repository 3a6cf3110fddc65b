//! CloudWatch Logs subscription payloads (placeholder: being written).
use crate::document::Source;
use crate::pipeline::{Limits, Summary};
use crate::sink::{DocSink, SinkError};

/// Turns CloudWatch Logs input into documents.
pub fn process_input(
    _input: &[u8],
    _source: &Source,
    _limits: &Limits,
    _sink: &mut dyn DocSink,
    _summary: &mut Summary,
) -> Result<(), SinkError> {
    Ok(())
}

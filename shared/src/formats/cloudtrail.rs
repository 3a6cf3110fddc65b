//! AWS CloudTrail events: one document per event.
//!
//! Spec: CloudTrail User Guide, "CloudTrail record contents"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>)
//! and "CloudTrail userIdentity element"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>).
//!
//! # Input
//!
//! A line holds either one event, as CloudWatch Logs delivers them (`{"eventVersion":"1.11",…}`), or a
//! whole log file as CloudTrail writes it to S3: one JSON object `{"Records":[event, event, …]}` on one
//! line. [`LineParser`] writes one document per line, so a file of several events must be expanded by
//! the caller with [`for_each_record`] and [`CloudTrailParser::write_event`] (or [`write_event`]); a
//! line with exactly one record is parsed directly, and `{"Records":[]}` gives no document (counted as
//! a header line).
//!
//! # Fields
//!
//! Typed fields are the event's scalar members, named after AWS's member names in snake_case (a nested
//! member is named by its path). Free-form members, whose keys differ from API to API, are written
//! under fixed `flat_object` fields, so that a key never seen before can never conflict with a mapping.
//!
//! | # | AWS field | JSON field | type |
//! |---|---|---|---|
//! | 1 | `eventTime` | `@timestamp` | date (required, ISO 8601 UTC, kept as written) |
//! | 2 | `eventID` | `event_id` | string: the event's own id, else the caller's fallback id |
//! | 3 | `eventVersion` | `event_version` | string |
//! | 4 | `eventSource` | `event_source` | string |
//! | 5 | `eventName` | `event_name` | string |
//! | 6 | `eventType` | `event_type` | string |
//! | 7 | `eventCategory` | `event_category` | string |
//! | 8 | `awsRegion` | `aws_region` | string |
//! | 9 | `sourceIPAddress` | `source_ip_address` | string (an IP address or a service name) |
//! | 10 | `userAgent` | `user_agent` | string |
//! | 11 | `errorCode` | `error_code` | string |
//! | 12 | `errorMessage` | `error_message` | string |
//! | 13 | `requestID` | `request_id` | string |
//! | 14 | `sharedEventID` | `shared_event_id` | string |
//! | 15 | `apiVersion` | `api_version` | string |
//! | 16 | `readOnly` | `read_only` | boolean |
//! | 17 | `managementEvent` | `management_event` | boolean |
//! | 18 | `recipientAccountId` | `recipient_account_id` | string |
//! | 19 | `vpcEndpointId` | `vpc_endpoint_id` | string |
//! | 20 | `vpcEndpointAccountId` | `vpc_endpoint_account_id` | string |
//! | 21 | `sessionCredentialFromConsole` | `session_credential_from_console` | boolean |
//! | 22 | `tlsDetails.tlsVersion` | `tls_details_tls_version` | string |
//! | 23 | `tlsDetails.cipherSuite` | `tls_details_cipher_suite` | string |
//! | 24 | `tlsDetails.clientProvidedHostHeader` | `tls_details_client_provided_host_header` | string |
//! | 25 | `userIdentity.type` | `user_identity_type` | string |
//! | 26 | `userIdentity.principalId` | `user_identity_principal_id` | string |
//! | 27 | `userIdentity.arn` | `user_identity_arn` | string |
//! | 28 | `userIdentity.accountId` | `user_identity_account_id` | string |
//! | 29 | `userIdentity.accessKeyId` | `user_identity_access_key_id` | string |
//! | 30 | `userIdentity.userName` | `user_identity_user_name` | string |
//! | 31 | `userIdentity.invokedBy` | `user_identity_invoked_by` | string |
//! | 32 | `userIdentity.identityProvider` | `user_identity_identity_provider` | string |
//! | 33 | `userIdentity.credentialId` | `user_identity_credential_id` | string |
//! | 34 | `userIdentity.sessionContext.sourceIdentity` | `user_identity_session_context_source_identity` | string |
//! | 35 | `userIdentity.sessionContext.ec2RoleDelivery` | `user_identity_session_context_ec2_role_delivery` | string |
//! | 36 | `userIdentity.sessionContext.attributes.creationDate` | `user_identity_session_context_attributes_creation_date` | date (`20131102T010628Z` is rewritten `2013-11-02T01:06:28Z`) |
//! | 37 | `userIdentity.sessionContext.attributes.mfaAuthenticated` | `user_identity_session_context_attributes_mfa_authenticated` | boolean |
//! | 38 | `userIdentity.sessionContext.sessionIssuer.type` | `user_identity_session_context_session_issuer_type` | string |
//! | 39 | `userIdentity.sessionContext.sessionIssuer.principalId` | `user_identity_session_context_session_issuer_principal_id` | string |
//! | 40 | `userIdentity.sessionContext.sessionIssuer.arn` | `user_identity_session_context_session_issuer_arn` | string |
//! | 41 | `userIdentity.sessionContext.sessionIssuer.accountId` | `user_identity_session_context_session_issuer_account_id` | string |
//! | 42 | `userIdentity.sessionContext.sessionIssuer.userName` | `user_identity_session_context_session_issuer_user_name` | string |
//! | 43 | `userIdentity` (whole) | `user_identity` | flat_object |
//! | 44 | `requestParameters` | `request_parameters` | flat_object |
//! | 45 | `responseElements` | `response_elements` | flat_object |
//! | 46 | `additionalEventData` | `additional_event_data` | flat_object |
//! | 47 | `serviceEventDetails` | `service_event_details` | flat_object |
//! | 48 | `resources` | `resources` | flat_object (the array, as `{"value": […]}`) |
//! | 49 | `addendum` | `addendum` | flat_object |
//! | 50 | `edgeDeviceDetails` | `edge_device_details` | flat_object |
//! | 51 | `insightDetails` | `insight_details` | flat_object |
//! | 52 | `eventContext` | `event_context` | flat_object |
//! | 53 | any other member, and unknown members of `tlsDetails` | `other_fields` | flat_object, under their AWS names (`tlsDetails` members under `other_fields.tlsDetails`) |
//! | — | — | `values_truncated` | boolean, `true` when a string inside a flat_object field was cut |
//!
//! Rules:
//! - `eventTime` is required; an event without a valid one is an error.
//! - `event_id` is `eventID` when it is a non-empty string of at most 512 bytes (OpenSearch's `_id`
//!   limit); otherwise the fallback id the caller passes (the pipeline's positional id).
//! - Absent values: a missing member, `null`, `""` and `"-"` all leave the typed field out.
//! - A typed member whose value does not have its type (a number for `eventName`, an object for
//!   `readOnly`, a `userIdentity` that is not an object) makes the event an error. Booleans are
//!   accepted as JSON booleans or as the strings `"true"` / `"false"` (as `mfaAuthenticated` is logged).
//! - Free-form values are copied as they are, with the changes OpenSearch's `flat_object` type needs
//!   (see `json_input::FreeForm`): `null` members and elements are dropped, an empty or repeated key
//!   is dropped (the first one is kept), a string longer than 16 KiB or a key longer than 1 KiB is cut
//!   on a character boundary (and `values_truncated` is set), a value that is neither an object nor an
//!   array of objects is wrapped as `{"value": …}`, and an empty object or array is left out.
//! - Field names are never taken from the input, except inside the flat_object fields.

use super::{LineOutcome, LineParser};
use crate::document::{begin_document, write_error_document, Doc, ErrorOrigin, Source};
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::pipeline::Summary;
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use json_input::{boolean, get, nested, object_members, text, FreeForm, Members};
use serde_json::value::RawValue;
use std::fmt;

/// The `log_type` of CloudTrail documents.
pub const LOG_TYPE: &str = "cloudtrail";

/// Longest `eventID` used as the document id: OpenSearch rejects an `_id` over 512 bytes.
pub const MAX_EVENT_ID_BYTES: usize = 512;

/// Parser for CloudTrail events; keeps a scratch buffer between events.
#[derive(Debug, Default)]
pub struct CloudTrailParser {
    free: FreeForm,
}

/// What a line holds.
#[derive(Debug)]
pub enum Events<'t> {
    /// One event (a CloudWatch Logs message): its JSON text.
    Single(&'t str),
    /// The `Records` array of a CloudTrail log file.
    File(Vec<&'t RawValue>),
}

/// Reads what a line (or a whole log file) holds, without checking the events themselves.
pub fn events(text: &str) -> Result<Events<'_>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let members = object_members(text, "a CloudTrail event or log file")?;
    match get(&members, "Records") {
        Some(records) => serde_json::from_str::<Vec<&RawValue>>(records.get())
            .map(Events::File)
            .map_err(|_| ParseError::invalid("Records", "an array of events", records.get())),
        None => Ok(Events::Single(trim_json_whitespace(text))),
    }
}

/// Why [`for_each_record`] stopped.
#[derive(Debug, PartialEq)]
pub enum RecordsError<E> {
    /// The text is neither an event nor a log file (not JSON, not an object, `Records` not an array).
    Invalid(ParseError),
    /// The callback failed.
    Callback(E),
}

impl<E: fmt::Display> fmt::Display for RecordsError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordsError::Invalid(e) => e.fmt(f),
            RecordsError::Callback(e) => e.fmt(f),
        }
    }
}

/// Calls `f(index, event_json)` for every event of `text`: each element of a log file's `Records`
/// (index from 0, in file order), or `text` itself when it is a single event. Returns how many events
/// were handed over. Elements are not checked here: an element that is not a valid event fails in
/// [`write_event`], so that it costs one error document, not the file.
pub fn for_each_record<'t, E>(
    text: &'t str,
    f: &mut dyn FnMut(usize, &'t str) -> Result<(), E>,
) -> Result<usize, RecordsError<E>> {
    match events(text).map_err(RecordsError::Invalid)? {
        Events::Single(event) => {
            f(0, event).map_err(RecordsError::Callback)?;
            Ok(1)
        }
        Events::File(records) => {
            for (i, record) in records.iter().enumerate() {
                f(i, record.get()).map_err(RecordsError::Callback)?;
            }
            Ok(records.len())
        }
    }
}

/// Writes the document of one event into `out` (see the module docs); `event_id_fallback` is used
/// when the event has no usable `eventID`. On error nothing is left appended to `out`.
pub fn write_event(event_json: &str, event_id_fallback: &str, out: &mut Vec<u8>) -> Result<Timestamp, ParseError> {
    CloudTrailParser::default().write_event(event_json, event_id_fallback, out)
}

/// Processes a whole CloudTrail input: S3 log files (`{"Records":[…]}`, one per line, as CloudTrail
/// writes them; concatenated files give one line each) or single events one per line. Every event
/// becomes one document (its `event_id` is its `eventID`, else `<source id>-<line>-<k>`); an event
/// that does not parse becomes an error document holding it, and a line that is not CloudTrail JSON
/// becomes one error document holding the line. The input is read whole (bounded by the inflate
/// limit), since a log file is one line that can exceed any line limit.
pub fn process_input(
    input: &[u8],
    source: &Source,
    sink: &mut dyn DocSink,
    summary: &mut Summary,
) -> Result<(), SinkError> {
    let text = String::from_utf8_lossy(input);
    let mut parser = CloudTrailParser::default();
    let mut out = Vec::with_capacity(4096);
    let mut fallback = String::with_capacity(48);
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        if line.trim().is_empty() {
            summary.blank_lines += 1;
            continue;
        }
        summary.lines += 1;
        let mut emit = |k: usize, event: &str| -> Result<(), SinkError> {
            summary.log_events += 1;
            source.event_id(line_no, &mut fallback);
            fallback.push('-');
            fallback.push_str(itoa::Buffer::new().format(k + 1));
            out.clear();
            match parser.write_event(event, &fallback, &mut out) {
                Ok(timestamp) => {
                    summary.documents += 1;
                    let id = own_event_id(event);
                    sink.accept(Doc {
                        json: &out,
                        log_type: LOG_TYPE,
                        timestamp,
                        event_id: id.as_deref().unwrap_or(&fallback),
                        is_error: false,
                    })
                }
                Err(error) => {
                    let timestamp = Timestamp::now();
                    let origin = ErrorOrigin {
                        source: source.name(),
                        line: Some(line_no),
                    };
                    write_error_document(&mut out, &timestamp, LOG_TYPE, &fallback, &error, origin, event);
                    summary.error_documents += 1;
                    summary.event_errors += 1;
                    sink.accept(Doc {
                        json: &out,
                        log_type: LOG_TYPE,
                        timestamp,
                        event_id: &fallback,
                        is_error: true,
                    })
                }
            }
        };
        match for_each_record(line, &mut emit) {
            Ok(0) => summary.headers += 1,
            Ok(_) => {}
            Err(RecordsError::Callback(e)) => return Err(e),
            Err(RecordsError::Invalid(error)) => {
                source.event_id(line_no, &mut fallback);
                let timestamp = Timestamp::now();
                let origin = ErrorOrigin {
                    source: source.name(),
                    line: Some(line_no),
                };
                out.clear();
                write_error_document(&mut out, &timestamp, LOG_TYPE, &fallback, &error, origin, line);
                summary.error_documents += 1;
                summary.line_errors += 1;
                sink.accept(Doc {
                    json: &out,
                    log_type: LOG_TYPE,
                    timestamp,
                    event_id: &fallback,
                    is_error: true,
                })?;
            }
        }
    }
    Ok(())
}

/// The event's own `eventID`, when it is the document's id (see the module docs).
pub(crate) fn own_event_id(event: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        #[serde(rename = "eventID")]
        event_id: Option<serde_json::Value>,
    }
    let id: Id = serde_json::from_str(event).ok()?;
    match id.event_id? {
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= MAX_EVENT_ID_BYTES => Some(s),
        _ => None,
    }
}

/// True when `line` looks like CloudTrail: a JSON object starting with `"Records"`, or one holding
/// `"eventVersion"` and `"eventSource"` (or `"insightDetails"`, for Insights events).
pub fn recognise(line: &str) -> bool {
    let t = line.strip_prefix('\u{feff}').unwrap_or(line);
    let t = trim_json_whitespace(t);
    let Some(body) = t.strip_prefix('{') else {
        return false;
    };
    if let Some(rest) = trim_json_whitespace(body).strip_prefix("\"Records\"") {
        return trim_json_whitespace(rest).starts_with(':');
    }
    t.contains("\"eventVersion\"") && (t.contains("\"eventSource\"") || t.contains("\"insightDetails\""))
}

fn trim_json_whitespace(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

impl LineParser for CloudTrailParser {
    fn log_type(&self) -> &'static str {
        LOG_TYPE
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let event = match events(line)? {
            Events::Single(event) => event,
            Events::File(records) => match records.as_slice() {
                [] => return Ok(LineOutcome::Header),
                [one] => one.get(),
                many => {
                    return Err(ParseError::InvalidPayload {
                        reason: format!(
                            "a CloudTrail log file of {} events on one line: it must be expanded with \
                             cloudtrail::for_each_record, one document per event",
                            many.len()
                        ),
                    })
                }
            },
        };
        self.write_event(event, event_id, out).map(LineOutcome::Document)
    }
}

/// The members of an event that are read, by name.
#[derive(Default)]
struct Known<'a> {
    event_time: Option<&'a RawValue>,
    event_id: Option<&'a RawValue>,
    user_identity: Option<&'a RawValue>,
    tls_details: Option<&'a RawValue>,
    /// `(document field, AWS member, value)` of the typed strings, in document order.
    strings: [(&'static str, &'static str, Option<&'a RawValue>); 15],
    booleans: [(&'static str, &'static str, Option<&'a RawValue>); 3],
    free: [(&'static str, &'static str, Option<&'a RawValue>); 9],
}

const STRINGS: [(&str, &str); 15] = [
    ("event_version", "eventVersion"),
    ("event_source", "eventSource"),
    ("event_name", "eventName"),
    ("event_type", "eventType"),
    ("event_category", "eventCategory"),
    ("aws_region", "awsRegion"),
    ("source_ip_address", "sourceIPAddress"),
    ("user_agent", "userAgent"),
    ("error_code", "errorCode"),
    ("error_message", "errorMessage"),
    ("request_id", "requestID"),
    ("shared_event_id", "sharedEventID"),
    ("api_version", "apiVersion"),
    ("recipient_account_id", "recipientAccountId"),
    ("vpc_endpoint_id", "vpcEndpointId"),
];

const BOOLEANS: [(&str, &str); 3] = [
    ("read_only", "readOnly"),
    ("management_event", "managementEvent"),
    ("session_credential_from_console", "sessionCredentialFromConsole"),
];

const FREE: [(&str, &str); 9] = [
    ("request_parameters", "requestParameters"),
    ("response_elements", "responseElements"),
    ("additional_event_data", "additionalEventData"),
    ("service_event_details", "serviceEventDetails"),
    ("resources", "resources"),
    ("addendum", "addendum"),
    ("edge_device_details", "edgeDeviceDetails"),
    ("insight_details", "insightDetails"),
    ("event_context", "eventContext"),
];

/// `vpcEndpointAccountId` is written right after `vpcEndpointId`; kept apart so that the table above
/// stays in document order.
const VPC_ENDPOINT_ACCOUNT: (&str, &str) = ("vpc_endpoint_account_id", "vpcEndpointAccountId");

const TLS: [(&str, &str); 3] = [
    ("tls_details_tls_version", "tlsVersion"),
    ("tls_details_cipher_suite", "cipherSuite"),
    ("tls_details_client_provided_host_header", "clientProvidedHostHeader"),
];

const IDENTITY: [(&str, &str); 9] = [
    ("user_identity_type", "type"),
    ("user_identity_principal_id", "principalId"),
    ("user_identity_arn", "arn"),
    ("user_identity_account_id", "accountId"),
    ("user_identity_access_key_id", "accessKeyId"),
    ("user_identity_user_name", "userName"),
    ("user_identity_invoked_by", "invokedBy"),
    ("user_identity_identity_provider", "identityProvider"),
    ("user_identity_credential_id", "credentialId"),
];

const SESSION_ISSUER: [(&str, &str); 5] = [
    ("user_identity_session_context_session_issuer_type", "type"),
    (
        "user_identity_session_context_session_issuer_principal_id",
        "principalId",
    ),
    ("user_identity_session_context_session_issuer_arn", "arn"),
    ("user_identity_session_context_session_issuer_account_id", "accountId"),
    ("user_identity_session_context_session_issuer_user_name", "userName"),
];

impl CloudTrailParser {
    /// Writes the document of one event into `out`; see [`write_event`].
    pub fn write_event(
        &mut self,
        event_json: &str,
        event_id_fallback: &str,
        out: &mut Vec<u8>,
    ) -> Result<Timestamp, ParseError> {
        let start = out.len();
        let result = self.write_event_unchecked(event_json, event_id_fallback, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn write_event_unchecked(
        &mut self,
        event_json: &str,
        event_id_fallback: &str,
        out: &mut Vec<u8>,
    ) -> Result<Timestamp, ParseError> {
        let event_json = event_json.strip_prefix('\u{feff}').unwrap_or(event_json);
        let members = object_members(event_json, "a CloudTrail event")?;
        let mut known = Known {
            strings: STRINGS.map(|(doc, aws)| (doc, aws, None)),
            booleans: BOOLEANS.map(|(doc, aws)| (doc, aws, None)),
            free: FREE.map(|(doc, aws)| (doc, aws, None)),
            ..Known::default()
        };
        let mut vpc_endpoint_account = None;
        let mut unknown: Members<'_> = Vec::new();
        for (key, value) in &members {
            let slot = match key.as_ref() {
                "eventTime" => &mut known.event_time,
                "eventID" => &mut known.event_id,
                "userIdentity" => &mut known.user_identity,
                "tlsDetails" => &mut known.tls_details,
                k if k == VPC_ENDPOINT_ACCOUNT.1 => &mut vpc_endpoint_account,
                k => {
                    let table = known
                        .strings
                        .iter_mut()
                        .chain(&mut known.booleans)
                        .chain(&mut known.free);
                    match table.into_iter().find(|(_, aws, _)| *aws == k) {
                        Some((_, _, slot)) => slot,
                        None => {
                            unknown.push((key.clone(), *value));
                            continue;
                        }
                    }
                }
            };
            *slot = Some(*value);
        }

        let time = known
            .event_time
            .ok_or_else(|| ParseError::invalid("eventTime", "an ISO 8601 UTC time", "(missing)"))?;
        let time_text = text(time, "eventTime")?.unwrap_or_default();
        let timestamp = Timestamp::parse_rfc3339_utc(&time_text)
            .ok_or_else(|| ParseError::invalid("eventTime", "an ISO 8601 UTC time", time.get()))?;
        let own_id = match known.event_id {
            Some(raw) => text(raw, "eventID")?.filter(|id| id.len() <= MAX_EVENT_ID_BYTES),
            None => None,
        };
        let event_id = own_id.as_deref().unwrap_or(event_id_fallback);

        self.free.start_document();
        let mut w = begin_document(out, &timestamp, LOG_TYPE, event_id);
        for (doc, aws, raw) in known.strings {
            write_text(&mut w, doc, aws, raw)?;
            if doc == "vpc_endpoint_id" {
                write_text(
                    &mut w,
                    VPC_ENDPOINT_ACCOUNT.0,
                    VPC_ENDPOINT_ACCOUNT.1,
                    vpc_endpoint_account,
                )?;
            }
        }
        for (doc, aws, raw) in known.booleans {
            if let Some(raw) = raw {
                if let Some(b) = boolean(raw, aws)? {
                    w.bool(doc, b);
                }
            }
        }
        let mut tls_unknown: Members<'_> = Vec::new();
        if let Some(tls) = known
            .tls_details
            .map(|raw| nested(raw, "tlsDetails"))
            .transpose()?
            .flatten()
        {
            for (doc, aws) in TLS {
                write_text(&mut w, doc, aws, get(&tls, aws))?;
            }
            tls_unknown = tls
                .into_iter()
                .filter(|(k, _)| !TLS.iter().any(|(_, aws)| k == aws))
                .collect();
        }
        if let Some(identity) = known.user_identity {
            write_identity(&mut w, identity)?;
            self.free
                .write_value(&mut w, "user_identity", "userIdentity", identity)?;
        }
        for (doc, aws, raw) in known.free {
            if let Some(raw) = raw {
                self.free.write_value(&mut w, doc, aws, raw)?;
            }
        }
        self.free.write_members(
            &mut w,
            "other_fields",
            &unknown,
            &[("tlsDetails", tls_unknown.as_slice())],
        )?;
        if self.free.truncated() {
            w.bool("values_truncated", true);
        }
        w.end();
        Ok(timestamp)
    }
}

fn write_text(
    w: &mut ObjectWriter<'_>,
    doc: &str,
    aws: &'static str,
    raw: Option<&RawValue>,
) -> Result<(), ParseError> {
    if let Some(raw) = raw {
        w.opt_str(doc, text(raw, aws)?.as_deref());
    }
    Ok(())
}

/// The typed fields of `userIdentity`.
fn write_identity(w: &mut ObjectWriter<'_>, raw: &RawValue) -> Result<(), ParseError> {
    let Some(identity) = nested(raw, "userIdentity")? else {
        return Ok(());
    };
    for (doc, aws) in IDENTITY {
        write_text(w, doc, aws, get(&identity, aws))?;
    }
    let Some(session) = get(&identity, "sessionContext")
        .map(|raw| nested(raw, "userIdentity.sessionContext"))
        .transpose()?
        .flatten()
    else {
        return Ok(());
    };
    write_text(
        w,
        "user_identity_session_context_source_identity",
        "userIdentity.sessionContext.sourceIdentity",
        get(&session, "sourceIdentity"),
    )?;
    write_text(
        w,
        "user_identity_session_context_ec2_role_delivery",
        "userIdentity.sessionContext.ec2RoleDelivery",
        get(&session, "ec2RoleDelivery"),
    )?;
    if let Some(attributes) = get(&session, "attributes")
        .map(|raw| nested(raw, "userIdentity.sessionContext.attributes"))
        .transpose()?
        .flatten()
    {
        const CREATION: &str = "userIdentity.sessionContext.attributes.creationDate";
        if let Some(raw) = get(&attributes, "creationDate") {
            if let Some(date) = text(raw, CREATION)? {
                let t =
                    creation_date(&date).ok_or_else(|| ParseError::invalid(CREATION, "an ISO 8601 UTC time", &date))?;
                w.str("user_identity_session_context_attributes_creation_date", t.as_str());
            }
        }
        if let Some(raw) = get(&attributes, "mfaAuthenticated") {
            let field = "userIdentity.sessionContext.attributes.mfaAuthenticated";
            if let Some(b) = boolean(raw, field)? {
                w.bool("user_identity_session_context_attributes_mfa_authenticated", b);
            }
        }
    }
    if let Some(issuer) = get(&session, "sessionIssuer")
        .map(|raw| nested(raw, "userIdentity.sessionContext.sessionIssuer"))
        .transpose()?
        .flatten()
    {
        for (doc, aws) in SESSION_ISSUER {
            write_text(w, doc, "userIdentity.sessionContext.sessionIssuer", get(&issuer, aws))?;
        }
    }
    Ok(())
}

/// `creationDate` as logged today (`2023-07-19T21:11:57Z`) or in the ISO 8601 basic notation of older
/// events (`20131102T010628Z`), as an RFC 3339 timestamp.
fn creation_date(s: &str) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse_rfc3339_utc(s) {
        return Some(t);
    }
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    let date = format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]);
    let time = format!("{}:{}:{}", &s[9..11], &s[11..13], &s[13..15]);
    Timestamp::from_date_and_time(&date, &time)
}

/// Reading JSON log input: an object's members without parsing their values, typed values with
/// precise errors, and free-form values made safe for OpenSearch's `flat_object` type.
///
/// Shared by the JSON formats (CloudTrail, WAF, API Gateway). It lives here until it gets a module of
/// its own in `formats/`.
pub(crate) mod json_input {
    use crate::document::cap_at_char_boundary;
    use crate::error::ParseError;
    use crate::json::{write_str, ObjectWriter};
    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;
    use serde_json::value::RawValue;
    use std::borrow::Cow;
    use std::collections::HashSet;
    use std::fmt;
    use std::marker::PhantomData;

    /// Longest string kept inside a flat_object field. OpenSearch indexes each value of a flat_object
    /// (with its path) as one term, and Lucene rejects a document with a term over 32,766 bytes.
    pub(crate) const MAX_FREE_STRING: usize = 16 * 1024;
    /// Longest key kept inside a flat_object field (keys are part of the same terms).
    pub(crate) const MAX_FREE_KEY: usize = 1024;

    /// A JSON string, borrowed from the input when it holds no escapes.
    pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

    impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
        fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(StrVisitor(PhantomData))
        }
    }

    struct StrVisitor<'a>(PhantomData<&'a ()>);

    impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
        type Value = Str<'a>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
            Ok(Str(Cow::Borrowed(v)))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
            Ok(Str(Cow::Owned(v.to_owned())))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
            Ok(Str(Cow::Owned(v)))
        }
    }

    /// One member of an object: its name and its value as JSON text.
    pub(crate) type Member<'a> = (Cow<'a, str>, &'a RawValue);

    /// An object's members in input order, values left as JSON text.
    pub(crate) type Members<'a> = Vec<Member<'a>>;

    /// A name with one or more string values (a header that may repeat).
    pub(crate) type MultiValue<'a> = (String, Vec<Cow<'a, str>>);

    struct MembersOf<'a>(Members<'a>);

    impl<'de: 'a, 'a> Deserialize<'de> for MembersOf<'a> {
        fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_map(MembersVisitor(PhantomData))
        }
    }

    struct MembersVisitor<'a>(PhantomData<&'a ()>);

    impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
        type Value = MembersOf<'a>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MembersOf<'a>, A::Error> {
            let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
            while let Some(Str(key)) = map.next_key::<Str<'a>>()? {
                let value: &'a RawValue = map.next_value()?;
                members.push((key, value));
            }
            Ok(MembersOf(members))
        }
    }

    /// The members of the JSON object `text` (surrounding whitespace allowed, nothing else).
    pub(crate) fn members(text: &str) -> Result<Members<'_>, serde_json::Error> {
        serde_json::from_str::<MembersOf<'_>>(text).map(|m| m.0)
    }

    /// [`members`] for a whole line or event: a failure is an invalid payload naming `what`.
    pub(crate) fn object_members<'a>(text: &'a str, what: &str) -> Result<Members<'a>, ParseError> {
        members(text).map_err(|e| ParseError::InvalidPayload {
            reason: format!("{what} must be a JSON object: {e}"),
        })
    }

    /// The members of a nested value that must be an object; `None` for `null`.
    pub(crate) fn nested<'a>(raw: &'a RawValue, field: &'static str) -> Result<Option<Members<'a>>, ParseError> {
        if raw.get() == "null" {
            return Ok(None);
        }
        members(raw.get())
            .map(Some)
            .map_err(|_| ParseError::invalid(field, "an object", raw.get()))
    }

    /// The value of member `key`; the last one when the key is repeated (as JavaScript reads JSON).
    pub(crate) fn get<'a>(members: &[Member<'a>], key: &str) -> Option<&'a RawValue> {
        members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// A string value; `None` for `null`, `""` and `"-"`. Any other JSON type is an error.
    pub(crate) fn text<'a>(raw: &'a RawValue, field: &'static str) -> Result<Option<Cow<'a, str>>, ParseError> {
        let json = raw.get();
        if json == "null" {
            return Ok(None);
        }
        match serde_json::from_str::<Str<'a>>(json) {
            Ok(Str(s)) if s.is_empty() || s == "-" => Ok(None),
            Ok(Str(s)) => Ok(Some(s)),
            Err(_) => Err(ParseError::invalid(field, "a string", json)),
        }
    }

    /// A non-negative integer, written as a JSON number or as a string of digits (`200`, `"200"`);
    /// `None` for `null`, `""` and `"-"`. Fractions, signs and exponents are errors.
    pub(crate) fn uint(raw: &RawValue, field: &'static str) -> Result<Option<u64>, ParseError> {
        let json = raw.get();
        let digits = if json.starts_with('"') {
            match text(raw, field)? {
                Some(s) => s,
                None => return Ok(None),
            }
        } else if json == "null" {
            return Ok(None);
        } else {
            Cow::Borrowed(json)
        };
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = digits.parse::<u64>() {
                return Ok(Some(n));
            }
        }
        Err(ParseError::invalid(field, "a non-negative integer", json))
    }

    /// A boolean, written as `true`/`false` or as the strings `"true"`/`"false"`; `None` for `null`,
    /// `""` and `"-"`.
    pub(crate) fn boolean(raw: &RawValue, field: &'static str) -> Result<Option<bool>, ParseError> {
        match raw.get() {
            "true" | "\"true\"" => Ok(Some(true)),
            "false" | "\"false\"" => Ok(Some(false)),
            "null" | "\"\"" | "\"-\"" => Ok(None),
            other => Err(ParseError::invalid(field, "a boolean", other)),
        }
    }

    /// An array of strings; `null` elements, `""` and `"-"` are skipped, `null` gives an empty list.
    pub(crate) fn text_array<'a>(raw: &'a RawValue, field: &'static str) -> Result<Vec<Cow<'a, str>>, ParseError> {
        if raw.get() == "null" {
            return Ok(Vec::new());
        }
        let items: Vec<Option<Str<'a>>> = serde_json::from_str(raw.get())
            .map_err(|_| ParseError::invalid(field, "an array of strings", raw.get()))?;
        Ok(items
            .into_iter()
            .flatten()
            .map(|s| s.0)
            .filter(|s| !s.is_empty() && s != "-")
            .collect())
    }

    /// What a copied value turned out to be.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Shape {
        /// `null`: nothing was written.
        Null,
        /// A string, number or boolean.
        Scalar,
        Object {
            empty: bool,
        },
        Array {
            empty: bool,
            objects_only: bool,
        },
    }

    /// Where sanitised JSON is written.
    struct Sink<'b> {
        out: &'b mut Vec<u8>,
        truncated: bool,
    }

    impl Sink<'_> {
        fn push_str_capped(&mut self, s: &str) {
            let kept = cap_at_char_boundary(s, MAX_FREE_STRING);
            self.truncated |= kept.len() < s.len();
            write_str(self.out, kept);
        }

        /// Starts member `key` of an object holding `count` members, unless the key is empty or
        /// repeated. Returns where the member starts, to take it back if its value is `null`.
        fn open_member(&mut self, seen: &mut HashSet<String>, count: usize, key: &str) -> Option<usize> {
            let kept = cap_at_char_boundary(key, MAX_FREE_KEY);
            if kept.is_empty() || !seen.insert(kept.to_owned()) {
                return None;
            }
            self.truncated |= kept.len() < key.len();
            let mark = self.out.len();
            if count > 0 {
                self.out.push(b',');
            }
            write_str(self.out, kept);
            self.out.push(b':');
            Some(mark)
        }

        /// Ends a member: takes it back when its value was `null`. True when it was kept.
        fn close_member(&mut self, mark: usize, shape: Shape) -> bool {
            if shape == Shape::Null {
                self.out.truncate(mark);
                false
            } else {
                true
            }
        }

        fn copy(&mut self, json: &str) -> Result<Shape, serde_json::Error> {
            let mut de = serde_json::Deserializer::from_str(json);
            Copy(self).deserialize(&mut de)
        }
    }

    /// Copies one JSON value into a [`Sink`], sanitised.
    struct Copy<'s, 'b>(&'s mut Sink<'b>);

    impl<'de> DeserializeSeed<'de> for Copy<'_, '_> {
        type Value = Shape;

        fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Copy<'_, '_> {
        type Value = Shape;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Shape, E> {
            self.0.out.extend_from_slice(if v { b"true" } else { b"false" });
            Ok(Shape::Scalar)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Shape, E> {
            self.0.out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            Ok(Shape::Scalar)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shape, E> {
            self.0.out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            Ok(Shape::Scalar)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Shape, E> {
            serde_json::to_writer(&mut *self.0.out, &v).map_err(E::custom)?;
            Ok(Shape::Scalar)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
            self.0.push_str_capped(v);
            Ok(Shape::Scalar)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
            Ok(Shape::Null)
        }

        fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
            Ok(Shape::Null)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
            let sink = self.0;
            sink.out.push(b'[');
            let (mut count, mut objects_only) = (0usize, true);
            loop {
                let mark = sink.out.len();
                if count > 0 {
                    sink.out.push(b',');
                }
                match seq.next_element_seed(Copy(&mut *sink))? {
                    None => {
                        sink.out.truncate(mark);
                        break;
                    }
                    Some(Shape::Null) => sink.out.truncate(mark),
                    Some(shape) => {
                        objects_only &= matches!(shape, Shape::Object { .. });
                        count += 1;
                    }
                }
            }
            sink.out.push(b']');
            Ok(Shape::Array {
                empty: count == 0,
                objects_only,
            })
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
            let sink = self.0;
            sink.out.push(b'{');
            let mut seen = HashSet::new();
            let mut count = 0usize;
            while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                match sink.open_member(&mut seen, count, &key) {
                    Some(mark) => {
                        let shape = map.next_value_seed(Copy(&mut *sink))?;
                        if sink.close_member(mark, shape) {
                            count += 1;
                        }
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            sink.out.push(b'}');
            Ok(Shape::Object { empty: count == 0 })
        }
    }

    /// Writes free-form values as OpenSearch `flat_object` fields, keeping a scratch buffer between
    /// documents.
    ///
    /// OpenSearch takes an object in a flat_object field (an array at the top of one is not supported:
    /// opensearch-project/OpenSearch#15982, so arrays are wrapped like scalars); versions 2.12 to
    /// 2.15 fail on `null` inside one; every value inside is indexed as a term, and Lucene rejects terms
    /// over 32,766 bytes; a document with a repeated key is rejected. So a value is copied with:
    /// `null` members and array elements dropped; empty and repeated keys dropped (the first is kept);
    /// strings over [`MAX_FREE_STRING`] and keys over [`MAX_FREE_KEY`] bytes cut on a character
    /// boundary (see [`FreeForm::truncated`]); a value that is not an object (an array of objects
    /// too) wrapped as `{"value": …}`; and nothing written for `null`, `{}` or `[]`. Numbers are
    /// rewritten by serde_json (`1.50` becomes `1.5`).
    #[derive(Debug, Default)]
    pub(crate) struct FreeForm {
        buf: Vec<u8>,
        truncated: bool,
    }

    impl FreeForm {
        /// Forgets the truncation flag of the previous document.
        pub(crate) fn start_document(&mut self) {
            self.truncated = false;
        }

        /// Whether a string or key was cut since [`FreeForm::start_document`].
        pub(crate) fn truncated(&self) -> bool {
            self.truncated
        }

        fn emit(
            &mut self,
            w: &mut ObjectWriter<'_>,
            key: &str,
            field: &'static str,
            wrap: bool,
        ) -> Result<(), ParseError> {
            let body = std::str::from_utf8(&self.buf).map_err(|_| ParseError::invalid(field, "UTF-8 JSON", ""))?;
            if wrap {
                w.raw(key, &format!("{{\"value\":{body}}}"));
            } else {
                w.raw(key, body);
            }
            Ok(())
        }

        /// Writes the free-form value `raw` (of AWS member `field`) as flat_object field `key`.
        pub(crate) fn write_value(
            &mut self,
            w: &mut ObjectWriter<'_>,
            key: &str,
            field: &'static str,
            raw: &RawValue,
        ) -> Result<(), ParseError> {
            self.buf.clear();
            let mut sink = Sink {
                out: &mut self.buf,
                truncated: false,
            };
            let shape = sink
                .copy(raw.get())
                .map_err(|_| ParseError::invalid(field, "JSON", raw.get()))?;
            self.truncated |= sink.truncated;
            match shape {
                Shape::Null | Shape::Object { empty: true } | Shape::Array { empty: true, .. } => Ok(()),
                Shape::Object { empty: false } => self.emit(w, key, field, false),
                Shape::Scalar | Shape::Array { .. } => self.emit(w, key, field, true),
            }
        }

        /// Writes an object made of `top` members and, under each group name, the group's members
        /// (the members of an input object that no typed field took). Nothing is written when it
        /// would be empty.
        pub(crate) fn write_members(
            &mut self,
            w: &mut ObjectWriter<'_>,
            key: &'static str,
            top: &[Member<'_>],
            groups: &[(&str, &[Member<'_>])],
        ) -> Result<(), ParseError> {
            self.buf.clear();
            let mut sink = Sink {
                out: &mut self.buf,
                truncated: false,
            };
            let bad = |raw: &RawValue| ParseError::invalid(key, "JSON", raw.get());
            sink.out.push(b'{');
            let mut seen = HashSet::new();
            let mut count = 0usize;
            for (k, raw) in top {
                if let Some(mark) = sink.open_member(&mut seen, count, k) {
                    let shape = sink.copy(raw.get()).map_err(|_| bad(raw))?;
                    count += usize::from(sink.close_member(mark, shape));
                }
            }
            for (name, members) in groups {
                let Some(mark) = sink.open_member(&mut seen, count, name) else {
                    continue;
                };
                sink.out.push(b'{');
                let mut inner_seen = HashSet::new();
                let mut inner = 0usize;
                for (k, raw) in members.iter() {
                    if let Some(m) = sink.open_member(&mut inner_seen, inner, k) {
                        let shape = sink.copy(raw.get()).map_err(|_| bad(raw))?;
                        inner += usize::from(sink.close_member(m, shape));
                    }
                }
                sink.out.push(b'}');
                let shape = if inner == 0 {
                    Shape::Null
                } else {
                    Shape::Object { empty: false }
                };
                count += usize::from(sink.close_member(mark, shape));
            }
            sink.out.push(b'}');
            self.truncated |= sink.truncated;
            if count == 0 {
                return Ok(());
            }
            self.emit(w, key, key, false)
        }

        /// Writes `entries` (name → one or more string values) as flat_object field `key`: one value
        /// as a string, several as an array. Names must already be distinct.
        pub(crate) fn write_string_map(
            &mut self,
            w: &mut ObjectWriter<'_>,
            key: &'static str,
            entries: &[MultiValue<'_>],
        ) -> Result<(), ParseError> {
            self.buf.clear();
            let mut sink = Sink {
                out: &mut self.buf,
                truncated: false,
            };
            sink.out.push(b'{');
            let mut seen = HashSet::new();
            let mut count = 0usize;
            for (name, values) in entries {
                let Some(_) = sink.open_member(&mut seen, count, name) else {
                    continue;
                };
                match values.as_slice() {
                    [one] => sink.push_str_capped(one),
                    many => {
                        sink.out.push(b'[');
                        for (i, v) in many.iter().enumerate() {
                            if i > 0 {
                                sink.out.push(b',');
                            }
                            sink.push_str_capped(v);
                        }
                        sink.out.push(b']');
                    }
                }
                count += 1;
            }
            sink.out.push(b'}');
            self.truncated |= sink.truncated;
            if count == 0 {
                return Ok(());
            }
            self.emit(w, key, key, false)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::{json, Value};

        fn free(json: &str) -> (Option<Value>, bool) {
            let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
            let mut out = Vec::new();
            let mut ff = FreeForm::default();
            let mut w = ObjectWriter::begin(&mut out);
            ff.write_value(&mut w, "f", "f", &raw).unwrap();
            w.end();
            let doc: Value = serde_json::from_slice(&out).unwrap();
            (doc.get("f").cloned(), ff.truncated())
        }

        #[test]
        fn free_form_values_are_made_flat_object_safe() {
            let cases: Vec<(&str, &str, Option<Value>)> = vec![
                (
                    "object_kept_in_order",
                    r#"{"b":1,"a":"x"}"#,
                    Some(json!({"b":1,"a":"x"})),
                ),
                (
                    "nulls_dropped_everywhere",
                    r#"{"a":null,"b":[null,1,{"c":null}],"d":{"e":null}}"#,
                    Some(json!({"b":[1,{}],"d":{}})),
                ),
                (
                    "repeated_key_first_kept",
                    r#"{"a":1,"a":2,"b":{"c":1,"c":2}}"#,
                    Some(json!({"a":1,"b":{"c":1}})),
                ),
                ("empty_key_dropped", r#"{"":1,"a":2}"#, Some(json!({"a":2}))),
                (
                    "array_of_objects_wrapped",
                    r#"[{"a":1},null,{"b":2}]"#,
                    Some(json!({"value":[{"a":1},{"b":2}]})),
                ),
                ("array_of_scalars_wrapped", r#"["x",1]"#, Some(json!({"value":["x",1]}))),
                (
                    "mixed_array_wrapped",
                    r#"[{"a":1},"x"]"#,
                    Some(json!({"value":[{"a":1},"x"]})),
                ),
                (
                    "string_wrapped",
                    r#""policy text""#,
                    Some(json!({"value":"policy text"})),
                ),
                ("number_wrapped", "12.50", Some(json!({"value":12.5}))),
                ("null_gives_nothing", "null", None),
                ("empty_object_gives_nothing", "{}", None),
                ("object_of_nulls_gives_nothing", r#"{"a":null}"#, None),
                ("empty_array_gives_nothing", "[ ]", None),
                (
                    "escapes_survive",
                    r#"{"k\"ey":"v\u0000\n\u00e9"}"#,
                    Some(json!({"k\"ey":"v\u{0}\né"})),
                ),
                (
                    "big_numbers",
                    r#"{"u":18446744073709551615,"i":-9223372036854775808,"f":1e300}"#,
                    Some(json!({"u":18446744073709551615u64,"i":-9223372036854775808i64,"f":1e300})),
                ),
            ];
            for (name, input, want) in cases {
                let (got, truncated) = free(input);
                assert_eq!(got, want, "case `{name}`");
                assert!(!truncated, "case `{name}`");
            }
        }

        #[test]
        fn long_strings_and_keys_are_cut_and_flagged() {
            let long = "é".repeat(MAX_FREE_STRING); // 2 bytes each: twice the limit
            let key = "k".repeat(MAX_FREE_KEY + 5);
            let input = json!({ key.clone(): long, "short": "s" }).to_string();
            let (got, truncated) = free(&input);
            let got = got.unwrap();
            assert!(truncated);
            let obj = got.as_object().unwrap();
            let (k, v) = obj.iter().find(|(k, _)| k.starts_with('k')).unwrap();
            assert_eq!(k.len(), MAX_FREE_KEY);
            assert_eq!(v.as_str().unwrap().len(), MAX_FREE_STRING);
            assert_eq!(obj["short"], "s");
        }

        #[test]
        fn unknown_members_grouped() {
            let doc: Box<RawValue> = serde_json::from_str(r#"{"x":1,"y":null,"z":{"q":[1]}}"#).unwrap();
            let top = members(doc.get()).unwrap();
            let inner: Box<RawValue> = serde_json::from_str(r#"{"newKey":"v","gone":null}"#).unwrap();
            let group = members(inner.get()).unwrap();
            let empty: Members<'_> = Vec::new();
            let mut out = Vec::new();
            let mut ff = FreeForm::default();
            let mut w = ObjectWriter::begin(&mut out);
            ff.write_members(
                &mut w,
                "other",
                &top,
                &[("tls", group.as_slice()), ("none", empty.as_slice())],
            )
            .unwrap();
            ff.write_members(&mut w, "nothing", &empty, &[("none", empty.as_slice())])
                .unwrap();
            w.end();
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v, json!({"other": {"x":1,"z":{"q":[1]},"tls":{"newKey":"v"}}}));
        }

        #[test]
        fn typed_values() {
            let raw = |s: &str| -> Box<RawValue> { serde_json::from_str(s).unwrap() };
            assert_eq!(uint(&raw("200"), "f"), Ok(Some(200)));
            assert_eq!(uint(&raw("\"200\""), "f"), Ok(Some(200)));
            for absent in ["null", "\"-\"", "\"\""] {
                assert_eq!(uint(&raw(absent), "f"), Ok(None), "{absent}");
                assert_eq!(text(&raw(absent), "f"), Ok(None), "{absent}");
                assert_eq!(boolean(&raw(absent), "f"), Ok(None), "{absent}");
            }
            for bad in [
                "-1",
                "1.0",
                "1e3",
                "\"12a\"",
                "true",
                "{}",
                "[]",
                "\"\u{0661}\"",
                "99999999999999999999",
            ] {
                assert!(uint(&raw(bad), "f").is_err(), "{bad}");
            }
            assert_eq!(text(&raw(r#""a\"b""#), "f"), Ok(Some(Cow::Owned("a\"b".to_owned()))));
            for bad in ["1", "true", "{}", "[\"a\"]"] {
                assert_eq!(
                    text(&raw(bad), "f"),
                    Err(ParseError::invalid("f", "a string", bad)),
                    "{bad}"
                );
            }
            assert_eq!(boolean(&raw("\"true\""), "f"), Ok(Some(true)));
            assert_eq!(boolean(&raw("false"), "f"), Ok(Some(false)));
            assert!(boolean(&raw("\"yes\""), "f").is_err());
            assert_eq!(
                text_array(&raw(r#"["a",null,"-","b"]"#), "f").unwrap(),
                vec![Cow::Borrowed("a"), Cow::Borrowed("b")]
            );
            assert!(text_array(&raw(r#"["a",1]"#), "f").is_err());
            assert!(members("[1]").is_err());
            assert!(members("{} x").is_err());
            assert_eq!(members(" {\"a\":1} ").unwrap().len(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(event: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        let ts = write_event(event, "fallback-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(doc["@timestamp"], ts.as_str());
        Ok(doc)
    }

    /// The documented `UpdateTrail` error example ("Error code and message log example").
    const UPDATE_TRAIL_ERROR: &str = r#"{"eventVersion": "1.04","userIdentity": {"type": "IAMUser","principalId": "EX_PRINCIPAL_ID","arn": "arn:aws:iam::123456789012:user/Alice","accountId": "123456789012","accessKeyId": "EXAMPLE_KEY_ID","userName": "Alice"},"eventTime": "2016-07-14T19:15:45Z","eventSource": "cloudtrail.amazonaws.com","eventName": "UpdateTrail","awsRegion": "us-east-2","sourceIPAddress": "205.251.233.182","userAgent": "aws-cli/1.10.32 Python/2.7.9 Windows/7 botocore/1.4.22","errorCode": "TrailNotFoundException","errorMessage": "Unknown trail: myTrail2 for the user: 123456789012","requestParameters": {"name": "myTrail2"},"responseElements": null,"requestID": "5d40662a-49f7-11e6-97e4-d9cb6ff7d6a3","eventID": "b7d4398e-b2f0-4faa-9c76-e2d316a8d67f","eventType": "AwsApiCall","recipientAccountId": "123456789012"}"#;

    fn update_trail_doc() -> Value {
        json!({
            "@timestamp": "2016-07-14T19:15:45Z", "log_type": "cloudtrail",
            "event_id": "b7d4398e-b2f0-4faa-9c76-e2d316a8d67f",
            "event_version": "1.04", "event_source": "cloudtrail.amazonaws.com", "event_name": "UpdateTrail",
            "event_type": "AwsApiCall", "aws_region": "us-east-2", "source_ip_address": "205.251.233.182",
            "user_agent": "aws-cli/1.10.32 Python/2.7.9 Windows/7 botocore/1.4.22",
            "error_code": "TrailNotFoundException", "error_message": "Unknown trail: myTrail2 for the user: 123456789012",
            "request_id": "5d40662a-49f7-11e6-97e4-d9cb6ff7d6a3", "recipient_account_id": "123456789012",
            "user_identity_type": "IAMUser", "user_identity_principal_id": "EX_PRINCIPAL_ID",
            "user_identity_arn": "arn:aws:iam::123456789012:user/Alice", "user_identity_account_id": "123456789012",
            "user_identity_access_key_id": "EXAMPLE_KEY_ID", "user_identity_user_name": "Alice",
            "user_identity": {"type": "IAMUser","principalId": "EX_PRINCIPAL_ID","arn": "arn:aws:iam::123456789012:user/Alice","accountId": "123456789012","accessKeyId": "EXAMPLE_KEY_ID","userName": "Alice"},
            "request_parameters": {"name": "myTrail2"}
        })
    }

    /// The documented failed console sign-in of an IAM user ("AWS console sign-in events").
    const CONSOLE_LOGIN_FAILURE: &str = r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","accountId":"111122223333","accessKeyId":"","userName":"anaya"},"eventTime":"2018-07-24T18:32:11Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36","errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"Yes"},"eventID":"d38ce1b3-4575-4cb8-a632-611b8243bfc3","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}"#;

    /// The documented `CreateKeyPair` example (EC2 log examples), version 1.0: no eventID.
    const CREATE_KEY_PAIR: &str = r#"{"eventVersion": "1.0","userIdentity": {"type": "IAMUser","principalId": "EX_PRINCIPAL_ID","arn": "arn:aws:iam::123456789012:user/Alice","accountId": "123456789012","accessKeyId": "EXAMPLE_KEY_ID","userName": "Alice","sessionContext": {"attributes": {"mfaAuthenticated": "false","creationDate": "2014-03-06T15:15:06Z"}}},"eventTime": "2014-03-06T17:10:34Z","eventSource": "ec2.amazonaws.com","eventName": "CreateKeyPair","awsRegion": "us-east-2","sourceIPAddress": "72.21.198.64","userAgent": "EC2ConsoleBackend, aws-sdk-java/Linux/x.xx.fleetxen Java_HotSpot(TM)_64-Bit_Server_VM/xx","requestParameters": {"keyName": "mykeypair"},"responseElements": {"keyName": "mykeypair","keyFingerprint": "30:1d:46:d0:5b:ad:7e:1b:b6:70:62:8b:ff:38:b5:e9:ab:5d:b8:21","keyMaterial": "\u003csensitiveDataRemoved\u003e"}}"#;

    /// An `AssumeRole` denied to an assumed-role session, in today's event version.
    const ASSUME_ROLE_DENIED: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:ci-session","arn":"arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session","accountId":"123456789012","accessKeyId":"ASIAIOSFODNN7EXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::123456789012:role/ci-deployer","accountId":"123456789012","userName":"ci-deployer"},"webIdFederationData":{},"attributes":{"creationDate":"20131102T010628Z","mfaAuthenticated":false}}},"eventTime":"2026-11-22T05:04:10Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.0","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/admin","requestParameters":null,"responseElements":null,"requestID":"0c3f4f2a-1b7e-4c55-9d1e-2f6a7b8c9d0e","eventID":"5a1f0c9e-3d2b-4e8f-a6b7-c8d9e0f1a2b3","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.amazonaws.com","keyExchange":"x25519"},"sessionCredentialFromConsole":"true"}"#;

    fn assume_role_doc() -> Value {
        let head = json!({
            "@timestamp": "2026-11-22T05:04:10Z", "log_type": "cloudtrail",
            "event_id": "5a1f0c9e-3d2b-4e8f-a6b7-c8d9e0f1a2b3",
            "event_version": "1.08", "event_source": "sts.amazonaws.com", "event_name": "AssumeRole",
            "event_type": "AwsApiCall", "event_category": "Management", "aws_region": "us-east-1",
            "source_ip_address": "198.51.100.23", "user_agent": "aws-cli/2.15.0", "error_code": "AccessDenied",
            "error_message": "User: arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/admin",
            "request_id": "0c3f4f2a-1b7e-4c55-9d1e-2f6a7b8c9d0e", "recipient_account_id": "123456789012",
            "read_only": true, "management_event": true, "session_credential_from_console": true,
            "tls_details_tls_version": "TLSv1.3", "tls_details_cipher_suite": "TLS_AES_128_GCM_SHA256",
            "tls_details_client_provided_host_header": "sts.amazonaws.com"
        });
        let identity = json!({
            "user_identity_type": "AssumedRole", "user_identity_principal_id": "AROAIDPPEZS35WEXAMPLE:ci-session",
            "user_identity_arn": "arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session",
            "user_identity_account_id": "123456789012", "user_identity_access_key_id": "ASIAIOSFODNN7EXAMPLE",
            "user_identity_session_context_attributes_creation_date": "2013-11-02T01:06:28Z",
            "user_identity_session_context_attributes_mfa_authenticated": false,
            "user_identity_session_context_session_issuer_type": "Role",
            "user_identity_session_context_session_issuer_principal_id": "AROAIDPPEZS35WEXAMPLE",
            "user_identity_session_context_session_issuer_arn": "arn:aws:iam::123456789012:role/ci-deployer",
            "user_identity_session_context_session_issuer_account_id": "123456789012",
            "user_identity_session_context_session_issuer_user_name": "ci-deployer",
            "user_identity": {"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:ci-session","arn":"arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session","accountId":"123456789012","accessKeyId":"ASIAIOSFODNN7EXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::123456789012:role/ci-deployer","accountId":"123456789012","userName":"ci-deployer"},"webIdFederationData":{},"attributes":{"creationDate":"20131102T010628Z","mfaAuthenticated":false}}},
            "other_fields": {"tlsDetails": {"keyExchange": "x25519"}}
        });
        with(head, identity)
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_update_trail_error", UPDATE_TRAIL_ERROR.to_owned(), update_trail_doc()),
            (
                "documented_console_login_failure",
                CONSOLE_LOGIN_FAILURE.to_owned(),
                json!({
                    "@timestamp": "2018-07-24T18:32:11Z", "log_type": "cloudtrail",
                    "event_id": "d38ce1b3-4575-4cb8-a632-611b8243bfc3",
                    "event_version": "1.05", "event_source": "signin.amazonaws.com", "event_name": "ConsoleLogin",
                    "event_type": "AwsConsoleSignIn", "aws_region": "us-east-1", "source_ip_address": "192.0.2.0",
                    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36",
                    "error_message": "Failed authentication", "recipient_account_id": "111122223333",
                    "user_identity_type": "IAMUser", "user_identity_principal_id": "AIDACKCEVSQ6C2EXAMPLE",
                    "user_identity_account_id": "111122223333", "user_identity_user_name": "anaya",
                    "user_identity": {"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","accountId":"111122223333","accessKeyId":"","userName":"anaya"},
                    "response_elements": {"ConsoleLogin": "Failure"},
                    "additional_event_data": {"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"Yes"}
                }),
            ),
            (
                "documented_create_key_pair_without_event_id",
                CREATE_KEY_PAIR.to_owned(),
                json!({
                    "@timestamp": "2014-03-06T17:10:34Z", "log_type": "cloudtrail", "event_id": "fallback-1",
                    "event_version": "1.0", "event_source": "ec2.amazonaws.com", "event_name": "CreateKeyPair",
                    "aws_region": "us-east-2", "source_ip_address": "72.21.198.64",
                    "user_agent": "EC2ConsoleBackend, aws-sdk-java/Linux/x.xx.fleetxen Java_HotSpot(TM)_64-Bit_Server_VM/xx",
                    "user_identity_type": "IAMUser", "user_identity_principal_id": "EX_PRINCIPAL_ID",
                    "user_identity_arn": "arn:aws:iam::123456789012:user/Alice", "user_identity_account_id": "123456789012",
                    "user_identity_access_key_id": "EXAMPLE_KEY_ID", "user_identity_user_name": "Alice",
                    "user_identity_session_context_attributes_creation_date": "2014-03-06T15:15:06Z",
                    "user_identity_session_context_attributes_mfa_authenticated": false,
                    "user_identity": {"type":"IAMUser","principalId":"EX_PRINCIPAL_ID","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","accessKeyId":"EXAMPLE_KEY_ID","userName":"Alice","sessionContext":{"attributes":{"mfaAuthenticated":"false","creationDate":"2014-03-06T15:15:06Z"}}},
                    "request_parameters": {"keyName": "mykeypair"},
                    "response_elements": {"keyName":"mykeypair","keyFingerprint":"30:1d:46:d0:5b:ad:7e:1b:b6:70:62:8b:ff:38:b5:e9:ab:5d:b8:21","keyMaterial":"<sensitiveDataRemoved>"}
                }),
            ),
            ("assume_role_denied_with_tls_details", ASSUME_ROLE_DENIED.to_owned(), assume_role_doc()),
            (
                "pretty_printed_event",
                serde_json::to_string_pretty(&serde_json::from_str::<Value>(UPDATE_TRAIL_ERROR).unwrap()).unwrap(),
                update_trail_doc(),
            ),
            (
                "unknown_members_kept_in_other_fields",
                UPDATE_TRAIL_ERROR.replace(
                    r#""eventType""#,
                    r#""inScopeOf":{"issuerType":"AWS::Lambda::Function"},"futureFlag":true,"nothing":null,"eventType""#,
                ),
                with(update_trail_doc(), json!({
                    "other_fields": {"inScopeOf":{"issuerType":"AWS::Lambda::Function"},"futureFlag":true}
                })),
            ),
            (
                "huge_unknown_nested_request_parameters",
                UPDATE_TRAIL_ERROR.replace(
                    r#"{"name": "myTrail2"}"#,
                    &format!(r#"{{"name":"myTrail2","deep":{},"tags":[{{"key":"a.b","value":null}}]}}"#,
                        "[".repeat(60) + "{\"x\":1}" + &"]".repeat(60)),
                ),
                with(update_trail_doc(), json!({
                    "request_parameters": {
                        "name": "myTrail2",
                        "deep": serde_json::from_str::<Value>(&("[".repeat(60) + "{\"x\":1}" + &"]".repeat(60))).unwrap(),
                        "tags": [{"key": "a.b"}]
                    }
                })),
            ),
            (
                "request_parameters_as_string_wrapped",
                UPDATE_TRAIL_ERROR.replace(r#"{"name": "myTrail2"}"#, r#""name=myTrail2""#),
                with(update_trail_doc(), json!({"request_parameters": {"value": "name=myTrail2"}})),
            ),
            (
                "resources_array_of_objects",
                UPDATE_TRAIL_ERROR.replace(
                    r#""eventType""#,
                    r#""resources":[{"ARN":"arn:aws:cloudtrail:us-east-2:123456789012:trail/myTrail2","accountId":"123456789012","type":"AWS::CloudTrail::Trail"}],"eventType""#,
                ),
                with(update_trail_doc(), json!({
                    "resources": {"value": [{"ARN":"arn:aws:cloudtrail:us-east-2:123456789012:trail/myTrail2","accountId":"123456789012","type":"AWS::CloudTrail::Trail"}]}
                })),
            ),
            (
                "booleans_as_strings_and_dashes_absent",
                UPDATE_TRAIL_ERROR.replace(
                    r#""eventType""#,
                    r#""readOnly":"false","managementEvent":"-","vpcEndpointId":"vpce-1a2b3c4d","vpcEndpointAccountId":"123456789012","eventType""#,
                ).replace(r#""awsRegion": "us-east-2""#, r#""awsRegion": "-""#),
                with(update_trail_doc(), json!({
                    "read_only": false, "aws_region": null, "vpc_endpoint_id": "vpce-1a2b3c4d",
                    "vpc_endpoint_account_id": "123456789012"
                })),
            ),
            (
                "oversized_event_id_falls_back",
                UPDATE_TRAIL_ERROR.replace("b7d4398e-b2f0-4faa-9c76-e2d316a8d67f", &"e".repeat(513)),
                with(update_trail_doc(), json!({"event_id": "fallback-1"})),
            ),
            (
                "insight_event_without_event_source",
                r#"{"eventVersion":"1.08","eventTime":"2026-11-22T05:00:00Z","awsRegion":"us-east-1","eventID":"9f8e7d6c-5b4a-4321-8fed-cba987654321","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"12345678-90ab-cdef-1234-567890abcdef","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":1.5}}}},"eventCategory":"Insight"}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:00Z", "log_type": "cloudtrail",
                    "event_id": "9f8e7d6c-5b4a-4321-8fed-cba987654321", "event_version": "1.08",
                    "event_type": "AwsCloudTrailInsight", "event_category": "Insight", "aws_region": "us-east-1",
                    "shared_event_id": "12345678-90ab-cdef-1234-567890abcdef", "recipient_account_id": "123456789012",
                    "insight_details": {"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":1.5}}}}
                }),
            ),
            (
                "hostile_strings_escaped",
                UPDATE_TRAIL_ERROR.replace("myTrail2 for", "}{\\\"admin\\\":true \\u001b[31m for"),
                with(update_trail_doc(), json!({
                    "error_message": "Unknown trail: }{\"admin\":true \u{1b}[31m for the user: 123456789012"
                })),
            ),
        ]
    }

    #[test]
    fn parses_table() {
        for (name, event, want) in cases() {
            let got = parse(&event).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
            assert_eq!(got, want, "case `{name}`");
        }
    }

    #[test]
    fn error_table() {
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "missing_event_time",
                UPDATE_TRAIL_ERROR.replace(r#""eventTime": "2016-07-14T19:15:45Z","#, ""),
                ParseError::invalid("eventTime", "an ISO 8601 UTC time", "(missing)"),
            ),
            (
                "event_time_not_utc",
                UPDATE_TRAIL_ERROR.replace("2016-07-14T19:15:45Z", "2016-07-14T19:15:45+02:00"),
                ParseError::invalid("eventTime", "an ISO 8601 UTC time", "\"2016-07-14T19:15:45+02:00\""),
            ),
            (
                "event_name_a_number",
                UPDATE_TRAIL_ERROR.replace(r#""UpdateTrail""#, "42"),
                ParseError::invalid("eventName", "a string", "42"),
            ),
            (
                "read_only_an_object",
                UPDATE_TRAIL_ERROR.replace(r#""eventType""#, r#""readOnly":{"v":1},"eventType""#),
                ParseError::invalid("readOnly", "a boolean", r#"{"v":1}"#),
            ),
            (
                "user_identity_a_string",
                UPDATE_TRAIL_ERROR.replacen(r#""userIdentity": {"#, r#""userIdentity": "IAMUser", "x": {"#, 1),
                ParseError::invalid("userIdentity", "an object", "\"IAMUser\""),
            ),
            (
                "bad_creation_date",
                CREATE_KEY_PAIR.replace("2014-03-06T15:15:06Z", "yesterday"),
                ParseError::invalid(
                    "userIdentity.sessionContext.attributes.creationDate",
                    "an ISO 8601 UTC time",
                    "yesterday",
                ),
            ),
            (
                "json_array_instead_of_object",
                format!("[{UPDATE_TRAIL_ERROR}]"),
                ParseError::InvalidPayload {
                    reason: "a CloudTrail event must be a JSON object: invalid type: sequence, expected a JSON object at line 1 column 0"
                        .into(),
                },
            ),
            (
                "invalid_json",
                UPDATE_TRAIL_ERROR[..100].to_owned(),
                ParseError::InvalidPayload {
                    reason: "a CloudTrail event must be a JSON object: EOF while parsing a string at line 1 column 100".into(),
                },
            ),
        ];
        for (name, event, want) in cases {
            let mut out = b"kept".to_vec();
            let got = write_event(&event, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
            assert_eq!(out, b"kept", "case `{name}`: nothing left appended");
        }
    }

    #[test]
    fn log_files_expand_into_events() {
        let file = format!(r#"{{"Records":[{UPDATE_TRAIL_ERROR},{CREATE_KEY_PAIR},"not an event"]}}"#);
        let mut seen = Vec::new();
        let n = for_each_record(&file, &mut |i, e| {
            seen.push((i, e.len()));
            Ok::<(), ()>(())
        });
        assert_eq!(n, Ok(3));
        assert_eq!(
            seen,
            vec![(0, UPDATE_TRAIL_ERROR.len()), (1, CREATE_KEY_PAIR.len()), (2, 14)]
        );

        // One document per event; the element that is not an event fails on its own.
        let mut parser = CloudTrailParser::default();
        let mut results = Vec::new();
        for_each_record(&file, &mut |i, e| {
            let mut out = Vec::new();
            results.push(parser.write_event(e, &format!("src-1-{i}"), &mut out).map(|_| out));
            Ok::<(), ()>(())
        })
        .unwrap();
        let ids: Vec<Value> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|out| serde_json::from_slice::<Value>(out).unwrap()["event_id"].clone())
            .collect();
        assert_eq!(
            ids,
            vec![json!("b7d4398e-b2f0-4faa-9c76-e2d316a8d67f"), json!("src-1-1")]
        );
        assert!(matches!(results[2], Err(ParseError::InvalidPayload { .. })));

        // A single event is its own record; a callback error stops the walk.
        assert_eq!(for_each_record(UPDATE_TRAIL_ERROR, &mut |_, _| Ok::<(), ()>(())), Ok(1));
        assert_eq!(
            for_each_record(&file, &mut |i, _| if i == 1 { Err("stop") } else { Ok(()) }),
            Err(RecordsError::Callback("stop"))
        );
        assert_eq!(
            for_each_record(r#"{"Records":{"a":1}}"#, &mut |_, _| Ok::<(), ()>(())),
            Err(RecordsError::Invalid(ParseError::invalid(
                "Records",
                "an array of events",
                r#"{"a":1}"#
            )))
        );
        assert!(matches!(
            for_each_record("[1,2]", &mut |_, _| Ok::<(), ()>(())),
            Err(RecordsError::Invalid(ParseError::InvalidPayload { .. }))
        ));
    }

    #[test]
    fn line_parser_takes_single_events_and_one_record_files() {
        let mut p = CloudTrailParser::default();
        let mut out = Vec::new();
        let one = format!(r#"{{"Records":[{UPDATE_TRAIL_ERROR}]}}"#);
        for line in [UPDATE_TRAIL_ERROR, one.as_str()] {
            out.clear();
            let outcome = p.parse_line(line, "pos-1", &mut out).unwrap();
            assert_eq!(
                outcome,
                LineOutcome::Document(Timestamp::parse_rfc3339_utc("2016-07-14T19:15:45Z").unwrap())
            );
            assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), update_trail_doc());
        }
        out.clear();
        assert_eq!(
            p.parse_line(r#"{"Records": []}"#, "pos-2", &mut out),
            Ok(LineOutcome::Header)
        );
        let two = format!(r#"{{"Records":[{UPDATE_TRAIL_ERROR},{CREATE_KEY_PAIR}]}}"#);
        assert!(matches!(
            p.parse_line(&two, "pos-3", &mut out),
            Err(ParseError::InvalidPayload { reason }) if reason.contains("2 events")
        ));
    }

    #[test]
    fn recognition() {
        let file = format!(r#"{{"Records":[{UPDATE_TRAIL_ERROR}]}}"#);
        for yes in [
            UPDATE_TRAIL_ERROR,
            CONSOLE_LOGIN_FAILURE,
            file.as_str(),
            " { \"Records\" : [] }",
            "\u{feff}{\"Records\":[]}",
        ] {
            assert!(recognise(yes), "{yes}");
        }
        for no in [
            "",
            "{}",
            r#"{"awsAccountId":"123456789012","digestStartTime":"2026-11-22T04:00:00Z"}"#,
            r#"{"timestamp":1,"webaclId":"x","terminatingRuleId":"Default_Action"}"#,
            r#"[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}]"#,
            "eventVersion eventSource",
        ] {
            assert!(!recognise(no), "{no}");
        }
    }

    const SAMPLE: &str = include_str!("../../../events/samples/cloudtrail.json");

    #[test]
    fn every_sample_event_parses() {
        assert_eq!(SAMPLE.lines().count(), 1, "a CloudTrail log file is one line");
        assert!(recognise(SAMPLE));
        let mut parser = CloudTrailParser::default();
        let mut ids = std::collections::HashSet::new();
        let n = for_each_record(SAMPLE.trim_end(), &mut |i, e| {
            let mut out = Vec::new();
            let ts = parser
                .write_event(e, &format!("fallback-{i}"), &mut out)
                .map_err(|err| format!("record {i}: {err}"))?;
            let doc: Value = serde_json::from_slice(&out).map_err(|err| err.to_string())?;
            assert_eq!(doc["@timestamp"], ts.as_str());
            assert!(ts.as_str().starts_with("2026-11-22T"), "record {i}");
            assert!(
                ids.insert(doc["event_id"].as_str().unwrap_or_default().to_owned()),
                "record {i}"
            );
            for (k, v) in doc.as_object().unwrap() {
                assert_ne!(v, "-", "record {i} field {k}");
                assert!(k
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'@'));
            }
            Ok::<(), String>(())
        });
        assert_eq!(n, Ok(7));
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        let mut p = CloudTrailParser::default();
        for line in [
            "{",
            "}",
            "null",
            "\"x\"",
            "{\"Records\":null}",
            "{\"Records\":[null,1,[],{}]}",
            "{\"eventTime\":null}",
            "{\"eventTime\":\"2026-11-22T05:00:00Z\",\"userIdentity\":{\"sessionContext\":[1]}}",
            "{\"eventTime\":\"2026-11-22T05:00:00Z\",\"userIdentity\":{\"sessionContext\":{\"attributes\":\"x\"}}}",
            &"[".repeat(5000),
            &"{\"a\":".repeat(5000),
        ] {
            out.clear();
            let _ = p.parse_line(line, "id", &mut out);
            let _ = for_each_record(line, &mut |_, e| p.write_event(e, "id", &mut out).map(|_| ()));
        }
        // Balanced nesting deeper than serde_json's recursion limit: an error, not a crash.
        let deep = UPDATE_TRAIL_ERROR.replace(r#"{"name": "myTrail2"}"#, &("[".repeat(300) + &"]".repeat(300)));
        out.clear();
        assert!(p.parse_line(&deep, "id", &mut out).is_err());
    }
}

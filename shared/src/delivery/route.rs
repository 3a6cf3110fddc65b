//! Which Firehose delivery stream a document goes to: one stream per `log_type`.
//!
//! Firehose's OpenSearch destination writes every record of a stream into one index (`IndexName`
//! plus daily rotation), so each log type that needs its own `logs-<log_type>-YYYY-MM-DD` index
//! needs its own stream. A function names its default stream in `LOGPIPE_DELIVERY_STREAM` and the
//! exceptions in `LOGPIPE_DELIVERY_STREAMS`, a comma list of `log_type=stream`:
//!
//! ```text
//! LOGPIPE_DELIVERY_STREAM=logpipe-alb
//! LOGPIPE_DELIVERY_STREAMS=alb_connection=logpipe-alb-connection,nlb=logpipe-nlb,clb=logpipe-clb
//! ```
//!
//! Rules of the list ([`StreamMap`]'s `FromStr`):
//! - entries are separated by commas; spaces around entries, log types and stream names are
//!   ignored, and so are empty entries (a trailing comma, an empty variable);
//! - each entry is `log_type=stream`: a missing `=`, an empty log type or an empty stream name is
//!   refused;
//! - the log type must be one logpipe writes ([`LOG_TYPES`]): an unknown one is refused, because a
//!   misspelt entry (`vpc_flow=…` for `vpcflow`) would otherwise silently send that log type to the
//!   default stream, into the wrong index;
//! - a log type may be listed once: a second entry is refused, even naming the same stream;
//! - the stream must be a delivery stream name as Firehose accepts it (1 to 64 characters of
//!   `a-z A-Z 0-9 _ . -`), so an ARN or a template placeholder left in by mistake is refused.
//!
//! A function refuses to start with a malformed list (the configuration error names the variable).
//! Documents whose `log_type` is not listed go to the default stream; error documents carry the
//! `log_type` of the input they came from (`unknown` when the format could not be told) and follow
//! it like any document.
//!
//! [`StreamRouter`] answers the question per document as a *route*, a small number naming one
//! stream; `BatchingSink` keeps one batch per route (a PutRecordBatch call targets one stream) and
//! the [`FirehoseSink`](super::FirehoseSink) sends each batch to its route's stream.

use crate::formats::{apigateway, cloudtrail, waf};
use std::fmt;
use std::str::FromStr;

/// Every `log_type` logpipe writes, which are the log types `LOGPIPE_DELIVERY_STREAMS` accepts: the
/// [`Format`](crate::formats::Format)s' (WAF, CloudTrail and API Gateway through their modules' constants), plain JSON events
/// on the Kinesis stream (`application`) and inputs whose format could not be told (`unknown`).
pub const LOG_TYPES: [&str; 14] = [
    "alb",
    "alb_connection",
    "nlb",
    "clb",
    "cloudfront",
    "cloudfront_realtime",
    "s3_access",
    "vpcflow",
    "cloudwatch",
    waf::LOG_TYPE,
    cloudtrail::LOG_TYPE,
    apigateway::LOG_TYPE,
    "application",
    "unknown",
];

/// `log_type` as the `&'static str` logpipe writes, if it is one.
fn known_log_type(log_type: &str) -> Option<&'static str> {
    LOG_TYPES.into_iter().find(|known| *known == log_type)
}

/// Whether `name` is a valid delivery stream name (Firehose API: `DeliveryStreamName`, 1 to 64
/// characters matching `[a-zA-Z0-9_.-]+`).
pub fn is_stream_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A malformed `LOGPIPE_DELIVERY_STREAMS` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamMapError {
    /// Not `log_type=stream`, or one side empty.
    #[error("`{0}` is not log_type=stream")]
    Malformed(String),
    /// A log type logpipe never writes.
    #[error("`{log_type}` is not a log type logpipe writes (one of {known})", known = LOG_TYPES.join(", "))]
    UnknownLogType {
        /// As written.
        log_type: String,
    },
    /// The log type has an earlier entry.
    #[error("`{0}` is listed more than once")]
    Duplicate(&'static str),
    /// The stream is not a delivery stream name.
    #[error("`{stream}` (for {log_type}) is not a delivery stream name: 1 to 64 of a-z A-Z 0-9 _ . -")]
    BadStreamName {
        /// The entry's log type.
        log_type: &'static str,
        /// As written.
        stream: String,
    },
}

/// `LOGPIPE_DELIVERY_STREAMS`, parsed: log types and their streams, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamMap {
    entries: Vec<(&'static str, String)>,
}

impl StreamMap {
    /// The entries, `(log_type, stream)`, in the order given.
    pub fn entries(&self) -> &[(&'static str, String)] {
        &self.entries
    }

    /// Whether no log type is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromStr for StreamMap {
    type Err = StreamMapError;

    fn from_str(list: &str) -> Result<Self, StreamMapError> {
        let mut entries: Vec<(&'static str, String)> = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (log_type, stream) = entry
                .split_once('=')
                .map(|(t, s)| (t.trim(), s.trim()))
                .filter(|(t, s)| !t.is_empty() && !s.is_empty())
                .ok_or_else(|| StreamMapError::Malformed(entry.to_owned()))?;
            let log_type = known_log_type(log_type).ok_or_else(|| StreamMapError::UnknownLogType {
                log_type: log_type.to_owned(),
            })?;
            if entries.iter().any(|(t, _)| *t == log_type) {
                return Err(StreamMapError::Duplicate(log_type));
            }
            if !is_stream_name(stream) {
                return Err(StreamMapError::BadStreamName {
                    log_type,
                    stream: stream.to_owned(),
                });
            }
            entries.push((log_type, stream.to_owned()));
        }
        Ok(StreamMap { entries })
    }
}

impl fmt::Display for StreamMap {
    /// The list as `LOGPIPE_DELIVERY_STREAMS` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (log_type, stream)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{log_type}={stream}")?;
        }
        Ok(())
    }
}

/// Where each `log_type` goes: a default stream and the exceptions of a [`StreamMap`].
///
/// Streams are numbered by *route*: route 0 is the default stream, and log types mapped to the same
/// stream (the default one included) share its route, so their records share batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRouter {
    /// Distinct stream names; the first is the default.
    streams: Vec<String>,
    /// Log types that do not go to the default stream, with their route.
    routes: Vec<(&'static str, usize)>,
}

impl StreamRouter {
    /// Everything to `default`, except the log types `map` lists.
    pub fn new(default: impl Into<String>, map: &StreamMap) -> Self {
        let mut router = StreamRouter::from(default.into());
        for (log_type, stream) in map.entries() {
            let route = match router.streams.iter().position(|s| s == stream) {
                Some(route) => route,
                None => {
                    router.streams.push(stream.clone());
                    router.streams.len() - 1
                }
            };
            if route != 0 {
                router.routes.push((log_type, route));
            }
        }
        router
    }

    /// The default stream's name.
    pub fn default_stream(&self) -> &str {
        &self.streams[0]
    }

    /// Every stream, by route (the default first).
    pub fn streams(&self) -> &[String] {
        &self.streams
    }

    /// The route of documents of `log_type`: 0 (the default stream) unless it is mapped.
    pub fn route(&self, log_type: &str) -> usize {
        self.routes
            .iter()
            .find(|(t, _)| *t == log_type)
            .map_or(0, |&(_, route)| route)
    }

    /// The stream of `route`; the default stream for a route this router never gave.
    pub fn stream(&self, route: usize) -> &str {
        self.streams.get(route).unwrap_or(&self.streams[0])
    }

    /// The stream documents of `log_type` go to.
    pub fn stream_for(&self, log_type: &str) -> &str {
        self.stream(self.route(log_type))
    }
}

impl From<String> for StreamRouter {
    /// Everything to one stream.
    fn from(stream: String) -> Self {
        StreamRouter {
            streams: vec![stream],
            routes: Vec::new(),
        }
    }
}

impl From<&str> for StreamRouter {
    /// Everything to one stream.
    fn from(stream: &str) -> Self {
        StreamRouter::from(stream.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Format;

    fn map(list: &str) -> Result<StreamMap, StreamMapError> {
        list.parse()
    }

    #[test]
    fn a_list_is_parsed_in_order_with_spaces_and_empty_entries_ignored() {
        let m = map(" alb = logpipe-alb ,nlb=logpipe-nlb,, clb=logpipe.clb_1 ,").unwrap();
        assert_eq!(
            m.entries(),
            [
                ("alb", "logpipe-alb".to_owned()),
                ("nlb", "logpipe-nlb".to_owned()),
                ("clb", "logpipe.clb_1".to_owned())
            ]
        );
        assert_eq!(m.to_string(), "alb=logpipe-alb,nlb=logpipe-nlb,clb=logpipe.clb_1");
        assert_eq!(m.to_string().parse::<StreamMap>().unwrap(), m);
        for empty in ["", " ", ",", " , ,"] {
            assert!(map(empty).unwrap().is_empty(), "{empty:?}");
        }
    }

    #[test]
    fn entries_that_are_not_log_type_equals_stream_are_refused() {
        for (list, entry) in [
            ("alb", "alb"),
            ("alb=s,nlb", "nlb"),
            ("=logpipe-alb", "=logpipe-alb"),
            ("alb=", "alb="),
            ("alb = ", "alb ="),
            ("nlb=s, = ", "="),
        ] {
            assert_eq!(map(list), Err(StreamMapError::Malformed(entry.to_owned())), "{list:?}");
        }
    }

    #[test]
    fn unknown_log_types_are_refused_with_the_known_ones_named() {
        for bad in ["vpc_flow", "ALB", "elb", "alb_conn", "cloudfront_v2", "logs-alb"] {
            let e = map(&format!("alb=a,{bad}=b")).unwrap_err();
            assert_eq!(
                e,
                StreamMapError::UnknownLogType {
                    log_type: bad.to_owned()
                }
            );
            let text = e.to_string();
            assert!(text.starts_with(&format!("`{bad}` is not a log type")), "{text}");
            assert!(text.contains("alb, alb_connection, nlb, clb,"), "{text}");
        }
    }

    #[test]
    fn a_log_type_listed_twice_is_refused_even_with_the_same_stream() {
        assert_eq!(map("nlb=a,alb=b,nlb=c"), Err(StreamMapError::Duplicate("nlb")));
        assert_eq!(map("nlb=a, nlb = a"), Err(StreamMapError::Duplicate("nlb")));
        assert_eq!(
            map("nlb=a,alb=b,nlb=c").unwrap_err().to_string(),
            "`nlb` is listed more than once"
        );
    }

    #[test]
    fn stream_names_must_be_firehose_names() {
        let arn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/logpipe-nlb";
        for bad in [
            arn,
            "${NlbDeliveryStream}",
            "logpipe nlb",
            "logpipe/nlb",
            &"s".repeat(65),
        ] {
            assert_eq!(
                map(&format!("nlb={bad}")),
                Err(StreamMapError::BadStreamName {
                    log_type: "nlb",
                    stream: bad.to_owned()
                }),
                "{bad}"
            );
        }
        assert!(map(&format!("nlb={}", "s".repeat(64))).is_ok());
        assert!(is_stream_name("a") && !is_stream_name(""));
    }

    #[test]
    fn every_format_and_every_other_log_type_is_known() {
        for format in Format::ALL {
            assert!(LOG_TYPES.contains(&format.log_type()), "{format}");
        }
        for t in LOG_TYPES {
            assert_eq!(known_log_type(t), Some(t));
        }
        let mut sorted = LOG_TYPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), LOG_TYPES.len(), "listed twice");
    }

    #[test]
    fn the_router_sends_listed_log_types_to_their_stream_and_the_rest_to_the_default() {
        let m = map("nlb=logpipe-nlb,alb_connection=logpipe-conn,clb=logpipe-nlb,alb=logpipe-alb").unwrap();
        let r = StreamRouter::new("logpipe-alb", &m);
        assert_eq!(r.default_stream(), "logpipe-alb");
        assert_eq!(r.streams(), ["logpipe-alb", "logpipe-nlb", "logpipe-conn"]);
        // Mapped to the default stream: the default route.
        assert_eq!(r.route("alb"), 0);
        assert_eq!((r.route("nlb"), r.route("clb"), r.route("alb_connection")), (1, 1, 2));
        for unlisted in ["unknown", "s3_access", "not-a-log-type", ""] {
            assert_eq!(r.route(unlisted), 0, "{unlisted}");
            assert_eq!(r.stream_for(unlisted), "logpipe-alb");
        }
        assert_eq!(r.stream_for("clb"), "logpipe-nlb");
        assert_eq!(r.stream(2), "logpipe-conn");
        assert_eq!(
            r.stream(99),
            "logpipe-alb",
            "an unknown route falls back to the default"
        );

        let single = StreamRouter::from("only");
        assert_eq!(single, StreamRouter::new("only", &StreamMap::default()));
        assert_eq!((single.route("nlb"), single.stream_for("nlb")), (0, "only"));
    }
}

//! Format detection from an input's first bytes (`--format auto`).
//!
//! Precedence, first match wins (decided on the decoded content, after any gzip layer):
//! 1. `#Version:` or `#Fields:` → CloudFront; standard logging v2 when the `#Fields` line names a
//!    field legacy files do not have (`timestamp(ms)`, `DistributionId`, `origin-fbl`, …).
//! 2. `{` → CloudTrail (`{"Records":` or an event with `eventVersion` and `eventSource`), AWS WAF
//!    (`webaclId` and `terminatingRuleId`), API Gateway JSON access log (`requestId` with
//!    `httpMethod` or `routeKey`), a CloudFront v2 JSON record (CloudFront's keys), in this order;
//!    otherwise CloudWatch Logs (a subscription payload or a Lambda `awslogs` event).
//! 3. `H4sI` (base64 of gzip, as in `awslogs.data`) or gzip nested inside the outer gzip (Firehose
//!    objects of gzip'd records) → CloudWatch Logs.
//! 4. A first line of at least 20 tab-separated fields starting with a `YYYY-MM-DD` date and an
//!    `HH:MM:SS` time → CloudFront without header.
//! 5. A first line whose first field is an ALB request type (`http`, `https`, `h2`, `grpcs`, `ws`,
//!    `wss`) and whose second is an ISO 8601 UTC time → ALB.
//! 6. Each remaining format's own strict check of the first line, in this order: CloudFront
//!    real-time (epoch seconds with milliseconds, tab, IP), NLB (`tls 2.0 …`), Classic ELB (time,
//!    name, `ip:port`), ALB connection log (time, IP, port), S3 server access log (owner, bucket,
//!    `[time]`), VPC flow log (its header line or a v2 record), API Gateway CLF access log. The
//!    checks exclude each other.
//!
//! Nothing matched: `None`, and the pipeline turns every line into an `unknown_format` error
//! document rather than guessing.

use super::Format;
use crate::timestamp::Timestamp;

/// A format's own strict test of a first line.
type Check = (fn(&str) -> bool, Format);

/// ALB request types (the `type` field).
const ALB_TYPES: [&str; 6] = ["http", "https", "h2", "grpcs", "ws", "wss"];

/// The format of an input whose decoded content starts with `head`; `None` when nothing matches.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..end]);
    let line = line.trim_end_matches('\r');
    if head.starts_with(b"#Version:") || head.starts_with(b"#Fields:") {
        let text = String::from_utf8_lossy(head);
        let v2 = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.starts_with("#Fields:") && super::cloudfront_v2::recognise(l));
        return Some(if v2 { Format::CloudFrontV2 } else { Format::CloudFront });
    }
    if head.starts_with(b"{") {
        let json: [Check; 4] = [
            (super::cloudtrail::recognise, Format::CloudTrail),
            (super::waf::recognise, Format::Waf),
            (super::apigateway::recognise, Format::ApiGateway),
            (super::cloudfront_v2::recognise, Format::CloudFrontV2),
        ];
        let found = json.into_iter().find(|(check, _)| check(line)).map(|(_, f)| f);
        return Some(found.unwrap_or(Format::CloudWatch));
    }
    if head.starts_with(b"H4sI") || crate::decode::is_gzip(head) {
        return Some(Format::CloudWatch);
    }
    let mut tabs = line.split('\t');
    if let (Some(date), Some(time)) = (tabs.next(), tabs.next()) {
        if tabs.count() >= 18 && Timestamp::from_date_and_time(date, time).is_some() {
            return Some(Format::CloudFront);
        }
    }
    let mut words = line.split(' ');
    if let (Some(kind), Some(time)) = (words.next(), words.next()) {
        if ALB_TYPES.contains(&kind) && Timestamp::parse_rfc3339_utc(time).is_some() {
            return Some(Format::Alb);
        }
    }
    let checks: [Check; 7] = [
        (super::cloudfront_realtime::recognise, Format::CloudFrontRealtime),
        (super::nlb::recognise, Format::Nlb),
        (super::clb::recognise, Format::Clb),
        (super::alb_conn::recognise, Format::AlbConnection),
        (super::s3_access::recognise, Format::S3Access),
        (super::vpc_flow::recognise, Format::VpcFlow),
        (super::apigateway::recognise, Format::ApiGateway),
    ];
    checks
        .into_iter()
        .find(|(check, _)| check(line))
        .map(|(_, format)| format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_table() {
        let cases: [(&str, &[u8], Option<Format>); 11] = [
            ("gzip_inside_gzip", b"\x1f\x8b\x08\x00", Some(Format::CloudWatch)),
            ("cloudfront_header", b"#Version: 1.0\n#Fields: date time\n", Some(Format::CloudFront)),
            (
                "cloudfront_without_header",
                b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td1.cloudfront.net\t/index.html\t200\t-\tUA\t-\t-\tHit\tid\td1.cloudfront.net\thttps\t23\t0.001\t-\n",
                Some(Format::CloudFront),
            ),
            ("cloudwatch_json", b"  {\"messageType\":\"DATA_MESSAGE\"}", Some(Format::CloudWatch)),
            ("cloudwatch_base64_gzip", b"H4sIAAAAAAAAA6tWKkktLlGyUlAqS8wpTVWqBQBGwt6qFQAAAA==", Some(Format::CloudWatch)),
            ("alb", b"h2 2018-07-02T22:23:00.186641Z app/x 1.2.3.4:5 - 0 0 0 200 - 1 1 \"- - -\"\n", Some(Format::Alb)),
            ("alb_with_bom", b"\xef\xbb\xbfhttp 2018-07-02T22:23:00Z app/x", Some(Format::Alb)),
            ("nlb_partial_line_is_nothing", b"tls 2.0 2018-12-20T02:59:40 net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd", None),
            (
                "classic_elb_not_alb",
                b"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\"",
                Some(Format::Clb),
            ),
            ("plain_text", b"hello world\n", None),
            ("empty", b"", None),
        ];
        for (name, head, want) in cases {
            assert_eq!(detect(head), want, "case `{name}`");
        }
    }
}

#[cfg(test)]
mod sample_tests {
    use super::*;

    /// Every sample file of every format is detected as its own format from its start.
    #[test]
    fn each_sample_file_is_detected_as_its_format() {
        let samples: [(&str, &str, Format); 13] = [
            ("nlb", include_str!("../../../events/samples/nlb.log"), Format::Nlb),
            ("clb", include_str!("../../../events/samples/clb.log"), Format::Clb),
            (
                "alb_conn",
                include_str!("../../../events/samples/alb_conn.log"),
                Format::AlbConnection,
            ),
            (
                "s3_access",
                include_str!("../../../events/samples/s3_access.log"),
                Format::S3Access,
            ),
            (
                "vpcflow",
                include_str!("../../../events/samples/vpcflow.log"),
                Format::VpcFlow,
            ),
            (
                "vpcflow_custom",
                include_str!("../../../events/samples/vpcflow_custom.log"),
                Format::VpcFlow,
            ),
            (
                "cloudfront_v2_json",
                include_str!("../../../events/samples/cloudfront_v2.json.log"),
                Format::CloudFrontV2,
            ),
            (
                "cloudfront_v2_w3c",
                include_str!("../../../events/samples/cloudfront_v2_w3c.log"),
                Format::CloudFrontV2,
            ),
            (
                "cloudfront_realtime",
                include_str!("../../../events/samples/cloudfront_realtime.log"),
                Format::CloudFrontRealtime,
            ),
            ("waf", include_str!("../../../events/samples/waf.log"), Format::Waf),
            (
                "cloudtrail",
                include_str!("../../../events/samples/cloudtrail.json"),
                Format::CloudTrail,
            ),
            (
                "apigateway",
                include_str!("../../../events/samples/apigateway.log"),
                Format::ApiGateway,
            ),
            (
                "cloudfront_legacy_header",
                "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip\n",
                Format::CloudFront,
            ),
        ];
        for (name, text, want) in samples {
            assert_eq!(detect(text.as_bytes()), Some(want), "sample `{name}`");
        }
    }
}

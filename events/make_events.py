#!/usr/bin/env python3
"""Writes the sample Lambda events under events/<function>/ (deterministic: rerun gives identical bytes).

    python3 events/make_objects.py   # first: the S3 events name these objects and carry their size and eTag
    python3 events/make_events.py

Every file is a Lambda-shaped event, valid for `sam local invoke <Function> -e FILE` and
`cargo lambda invoke --data-file FILE`, and loaded by the tests. S3 events name objects in the bucket
`logpipe-sample-logs`; the object with key K is the file events/objects/K. Gzip is written with
mtime=0 and every base64 string is produced here, never by hand.

s3-access-logs/ (what the event exercises → what a correct function does)
  s3-put-alb.json                 S3 notification, ALB access log          → 1 object: 28 documents, 1 error document
  s3-put-cloudfront.json          S3 notification, CloudFront log          → 1 object: 21 documents, 4 header lines
  s3-put-key-with-spaces.json     key `manual uploads/alb copy+1.log.gz`, sent URL-encoded as
                                  `manual+uploads/alb+copy%2B1.log.gz`     → decoded key, ALB by content: as s3-put-alb
  s3-put-conn-log.json            ALB connection log (`conn_log_…`)        → KeyKind::AlbConnection: alb_connection documents
  s3-put-missing-object.json      a key that does not exist                → NoSuchKey: 1 error document, success
  s3-put-corrupt-gzip.json        the ALB log cut in half                  → 11 documents + 1 `corrupt_gzip` error document
  s3-test-event.json              s3:TestEvent                             → Skipped::TestEvent, nothing read
  sqs-s3-put-alb.json             S3 notification in SQS (versioned)       → 1 object (Origin::Sqs), no batch item failure
  sqs-sns-s3-put-cloudfront.json  S3 → SNS → SQS, no raw delivery         → 1 object (Origin::Sqs)
  sqs-mixed-bad-message.json      5 SQS messages: ALB, SNS-wrapped CloudFront, a body that is not JSON,
                                  s3:TestEvent, ObjectRemoved:Delete       → 2 objects, 2 skipped,
                                                                             batchItemFailures = [3rd messageId]
  sns-s3-put-cloudfront.json      S3 → SNS → Lambda                        → 1 object (Origin::Sns)
  eventbridge-object-created-alb.json  EventBridge "Object Created", key not URL-encoded → 1 object

cloudwatch-forwarder/
  cwlogs-data-message.json        DATA_MESSAGE: START, 3 JSON lines, a text WARN line, END, REPORT → 7 documents
  cwlogs-control-message.json     CONTROL_MESSAGE                          → no documents, counted
  cwlogs-bomb.json                20 MiB of whitespace inside the JSON, 27 KiB as an event
                                  → with a payload limit under 20 MiB: 1 `invalid_payload` error document

kinesis-relay/ (data owned by 111122223333, sent through a cross-account destination)
  kinesis-cwlogs.json             3 gzip'd DATA_MESSAGE records (2 + 3 + 1 log events) → 6 documents
  kinesis-mixed-bad-record.json   good (1 event), plain JSON event, poison bytes, CONTROL_MESSAGE, good (2 events)
                                  → 3 documents + 1 application document; poison to the failed-record store;
                                    control counted; no batch item failure
  kinesis-foreign-owner.json      one payload owned by 999999999999        → refused when the allowed accounts
                                                                             are set (e.g. 111122223333)

firehose-transform/ (Firehose data transformation, stream logpipe-application, Direct PUT)
  firehose-application.json       4 application JSON events: own `@timestamp`, epoch-ms `timestamp`, `time`,
                                  none (arrival time), one with a trailing newline → 4 × Ok, 1 document each
  firehose-cwlogs.json            2 gzip'd DATA_MESSAGE payloads (2 + 3 events), a CONTROL_MESSAGE
                                  → Ok (2 documents, NDJSON), Ok (3), Dropped
  firehose-mixed-bad-records.json application JSON, a text line, a JSON array, invalid base64, binary bytes,
                                  corrupt gzip → Ok, Ok (`not_json_object` error document), Ok (same),
                                  ProcessingFailed × 3 (original data answered)
  firehose-over-6mb.json          8 gzip'd payloads of 640 events of ~1 KB (≈ 0.8 MB of documents each,
                                  ≈ 8.6 MB of response base64) → the first records Ok, the rest re-ingested
                                  into the stream and Dropped; every recordId answered once, in order
"""
import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import random
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
OBJECTS = os.path.join(HERE, "objects")

BUCKET = "logpipe-sample-logs"
ACCOUNT = "123456789012"
REGION = "us-east-2"
SOURCE_ACCOUNT = "111122223333"  # sends CloudWatch Logs cross-account to our Kinesis destination
FOREIGN_ACCOUNT = "999999999999"

ALB_KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/"
           "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
           "20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz")
CF_KEY = "cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz"
SPACES_KEY = "manual uploads/alb copy+1.log.gz"
CONN_KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/"
            "conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
            "20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz")
MISSING_KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/"
               "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
               "20261122T0510Z_192.0.2.10_9zq3m1xw.log.gz")
CORRUPT_KEY = "broken/corrupt-truncated.log.gz"

ELB_LOG_DELIVERY = "033677994240"  # the Elastic Load Balancing account of us-east-2, which writes ALB logs
BASE_MS = 1795324200000  # 2026-11-22T05:10:00Z

# ---------------------------------------------------------------------------------------------------------
# helpers


def gz(data: bytes, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=level) as f:
        f.write(data)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def digest(label: str, n: int = 32) -> bytes:
    """`n` deterministic pseudo-random bytes named by `label`."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:n]


def hexid(label: str, n: int, upper: bool = False) -> str:
    h = digest(label, (n + 1) // 2).hex()[:n]
    return h.upper() if upper else h


def uid(label: str) -> str:
    return str(uuid.UUID(bytes=digest(label, 16), version=4))


def iso(ms: int) -> str:
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def compact(value) -> str:
    """JSON as AWS puts it inside a string (SQS body, SNS Message): no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_object(key: str) -> bytes:
    with open(os.path.join(OBJECTS, key), "rb") as f:
        return f.read()


def write(path: str, event) -> None:
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        json.dump(event, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote events/{path} ({os.path.getsize(full)} bytes)")


# ---------------------------------------------------------------------------------------------------------
# S3 notifications, https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html


def s3_encode(key: str) -> str:
    """Keys in notifications are URL-encoded, `+` for a space; `/` is kept."""
    return urllib.parse.quote_plus(key, safe="/")


def s3_record(key: str, time_ms: int, writer: str, event_name: str = "ObjectCreated:Put",
              version_id: str = None, exists: bool = True):
    body = read_object(key) if exists else None
    obj = {"key": s3_encode(key)}
    if event_name.startswith("ObjectCreated:"):
        obj["size"] = len(body) if body is not None else 4187
        obj["eTag"] = hashlib.md5(body if body is not None else key.encode()).hexdigest()
    if version_id:
        obj["versionId"] = version_id
    obj["sequencer"] = "00" + hexid("sequencer/" + key + event_name, 16, upper=True)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": iso(time_ms),
        "eventName": event_name,
        "userIdentity": {"principalId": writer},
        "requestParameters": {"sourceIPAddress": f"192.0.2.{digest('ip/' + key)[0] % 200 + 20}"},
        "responseElements": {
            "x-amz-request-id": hexid("request/" + key + event_name, 16, upper=True),
            "x-amz-id-2": b64(digest("id2/" + key + event_name, 57)),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "logpipe-s3-access-logs",
            "bucket": {
                "name": BUCKET,
                "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                "arn": f"arn:aws:s3:::{BUCKET}",
            },
            "object": obj,
        },
    }


def version_id(label: str) -> str:
    """A 32-character S3 version id."""
    return base64.urlsafe_b64encode(digest("version/" + label, 24)).decode().replace("-", ".")


def notification(*records):
    return {"Records": list(records)}


ELB_WRITER = f"AWS:AROAQXVZ3EXAMPLEELB01:{ELB_LOG_DELIVERY}"
CF_WRITER = "AWS:AIDAJ7OCLXEXAMPLECF01"  # CloudFront's log delivery (awslogsdelivery)
USER_WRITER = "AWS:AIDAQXVZ3EXAMPLEUSER1"  # someone running `aws s3 cp` by hand


def test_event(time_ms: int):
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": iso(time_ms),
        "Bucket": BUCKET,
        "RequestId": hexid("test-request", 16, upper=True),
        "HostId": b64(digest("test-host", 57)),
    }


# ---------------------------------------------------------------------------------------------------------
# SQS, SNS, EventBridge envelopes

QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:logpipe-s3-notifications"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:logpipe-s3-events"


def sqs_message(label: str, body: str, sent_ms: int, sender: str = "AIDAJQR6QDGQ7PATMSYEY"):
    return {
        "messageId": uid("sqs/" + label),
        "receiptHandle": "AQEB" + b64(digest("receipt/" + label, 162)),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent_ms),
            "SenderId": sender,
            "ApproximateFirstReceiveTimestamp": str(sent_ms + 27),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE,
        "awsRegion": REGION,
    }


def sns_message(label: str, message: str, time_ms: int, for_lambda: bool):
    """An SNS notification. Lambda events spell `SigningCertUrl`/`UnsubscribeUrl`; the JSON SNS sends to
    SQS (without raw delivery) spells `SigningCertURL`/`UnsubscribeURL`."""
    url = "Url" if for_lambda else "URL"
    message_id = uid("sns/" + label)
    envelope = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Subject": "Amazon S3 Notification",
        "Message": message,
        "Timestamp": iso(time_ms),
        "SignatureVersion": "1",
        "Signature": b64(digest("signature/" + label, 256)),
        f"SigningCert{url}": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-"
                             f"{hexid('cert', 32)}.pem",
        f"Unsubscribe{url}": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                             f"{TOPIC}:{uid('subscription')}",
    }
    if for_lambda:
        envelope["MessageAttributes"] = {}
    return envelope


def sns_record(label: str, message: str, time_ms: int):
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{TOPIC}:{uid('subscription')}",
        "Sns": sns_message(label, message, time_ms, for_lambda=True),
    }


def eventbridge_object_created(key: str, time_ms: int, requester: str):
    body = read_object(key)
    return {
        "version": "0",
        "id": uid("eventbridge/" + key),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": iso(time_ms)[:19] + "Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {  # EventBridge keys are not URL-encoded
                "key": key,
                "size": len(body),
                "etag": hashlib.md5(body).hexdigest(),
                "sequencer": "00" + hexid("sequencer/" + key, 16, upper=True),
            },
            "request-id": hexid("eb-request/" + key, 16, upper=True),
            "requester": requester,
            "source-ip-address": "192.0.2.77",
            "reason": "PutObject",
        },
    }


def s3_access_logs():
    alb_ms = BASE_MS - 269000  # 05:05:31Z, right after the 05:05 file closes
    cf_ms = BASE_MS + 2897000  # 05:58:17Z
    alb = notification(s3_record(ALB_KEY, alb_ms, ELB_WRITER))
    cloudfront = notification(s3_record(CF_KEY, cf_ms, CF_WRITER))
    write("s3-access-logs/s3-put-alb.json", alb)
    write("s3-access-logs/s3-put-cloudfront.json", cloudfront)
    write("s3-access-logs/s3-put-key-with-spaces.json",
          notification(s3_record(SPACES_KEY, BASE_MS + 600000, USER_WRITER)))
    write("s3-access-logs/s3-put-conn-log.json", notification(s3_record(CONN_KEY, alb_ms + 412, ELB_WRITER)))
    write("s3-access-logs/s3-put-missing-object.json",
          notification(s3_record(MISSING_KEY, BASE_MS + 31000, ELB_WRITER, exists=False)))
    write("s3-access-logs/s3-put-corrupt-gzip.json",
          notification(s3_record(CORRUPT_KEY, BASE_MS + 660000, USER_WRITER)))
    write("s3-access-logs/s3-test-event.json", test_event(BASE_MS - 3600000))

    versioned = notification(s3_record(ALB_KEY, alb_ms, ELB_WRITER, version_id=version_id("alb")))
    write("s3-access-logs/sqs-s3-put-alb.json",
          {"Records": [sqs_message("alb", compact(versioned), alb_ms + 45)]})

    wrapped_cf = sns_message("cloudfront-in-sqs", compact(cloudfront), cf_ms + 38, for_lambda=False)
    write("s3-access-logs/sqs-sns-s3-put-cloudfront.json",
          {"Records": [sqs_message("cloudfront-via-sns", compact(wrapped_cf), cf_ms + 61,
                                   sender="AIDAIT2UOQQY3AUEKVGXU")]})

    deleted = notification(s3_record(ALB_KEY, BASE_MS + 7200000, USER_WRITER, event_name="ObjectRemoved:Delete"))
    write("s3-access-logs/sqs-mixed-bad-message.json", {"Records": [
        sqs_message("mixed/alb", compact(alb), alb_ms + 45),
        sqs_message("mixed/cloudfront-via-sns", compact(wrapped_cf), cf_ms + 61, sender="AIDAIT2UOQQY3AUEKVGXU"),
        sqs_message("mixed/not-json", "Records: this body was sent by hand and is not JSON", cf_ms + 90,
                    sender="AIDAQXVZ3EXAMPLEUSER1"),
        sqs_message("mixed/test-event", compact(test_event(BASE_MS - 3600000)), BASE_MS - 3599950),
        sqs_message("mixed/delete", compact(deleted), BASE_MS + 7200040),
    ]})

    write("s3-access-logs/sns-s3-put-cloudfront.json",
          {"Records": [sns_record("cloudfront", compact(cloudfront), cf_ms + 38)]})
    write("s3-access-logs/eventbridge-object-created-alb.json",
          eventbridge_object_created(ALB_KEY, alb_ms, ELB_LOG_DELIVERY))


# ---------------------------------------------------------------------------------------------------------
# CloudWatch Logs subscription payloads, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html


class EventIds:
    """CloudWatch Logs event ids: 56-digit decimal strings, increasing within a stream."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.next = self.r.randrange(37 * 10**54, 38 * 10**54)

    def __call__(self) -> str:
        self.next += self.r.randrange(10**40, 10**43)
        return str(self.next)


def payload(owner, group, stream, events, filters, kind="DATA_MESSAGE"):
    return {"messageType": kind, "owner": owner, "logGroup": group, "logStream": stream,
            "subscriptionFilters": filters, "logEvents": events}


def control_message(destination: str, time_ms: int):
    return payload("CloudwatchLogs", "", "", [
        {"id": "", "timestamp": time_ms, "message": f"CWL CONTROL MESSAGE: Checking health of destination {destination}."}
    ], [], kind="CONTROL_MESSAGE")


def lambda_invocation(ids: EventIds, start_ms: int, request_id: str, app_lines):
    """Log events of one Lambda invocation: START, the function's lines, END, REPORT."""
    events = [{"id": ids(), "timestamp": start_ms, "message": f"START RequestId: {request_id} Version: $LATEST\n"}]
    t = start_ms
    for offset, line in app_lines:
        t = start_ms + offset
        events.append({"id": ids(), "timestamp": t, "message": line})
    t += 3
    duration = t - start_ms + 0.42
    events += [
        {"id": ids(), "timestamp": t, "message": f"END RequestId: {request_id}\n"},
        {"id": ids(), "timestamp": t, "message": (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 88 MB\t\n")},
    ]
    return events


def cloudwatch_forwarder():
    ids = EventIds(1)
    request = uid("orders-api/request")
    events = lambda_invocation(ids, BASE_MS + 1000, request, [
        (4, json.dumps({"level": "INFO", "msg": "order received", "order_id": 1042, "items": 3,
                        "request_id": request})),
        (19, json.dumps({"level": "DEBUG", "msg": "price computed", "order_id": 1042, "total": 57.3})),
        (35, f"2026-11-22T05:10:01.035Z\t{request}\tWARN\tinventory service slow (812 ms)\n"),
        (41, json.dumps({"level": "ERROR", "msg": "payment declined", "order_id": 1042,
                         "reason": "card_expired", "customer": "Zoë Müller"}, ensure_ascii=False)),
    ])
    data = payload(ACCOUNT, "/aws/lambda/orders-api",
                   "2026/11/22/[$LATEST]" + hexid("orders-api/stream", 32), events, ["logpipe-forwarder"])
    write("cloudwatch-forwarder/cwlogs-data-message.json", {"awslogs": {"data": b64(gz(compact(data).encode()))}})

    control = control_message("Lambda function", BASE_MS)
    write("cloudwatch-forwarder/cwlogs-control-message.json",
          {"awslogs": {"data": b64(gz(compact(control).encode()))}})

    # A decompression bomb: valid JSON with 20 MiB of whitespace between two tokens, so that a parser must
    # read through all of it (trailing whitespace might never be read).
    head = b'{"messageType":"DATA_MESSAGE",'
    tail = compact(payload(ACCOUNT, "/aws/lambda/orders-api", "bomb", [
        {"id": ids(), "timestamp": BASE_MS, "message": "this event sits behind 20 MiB of whitespace"}
    ], ["logpipe-forwarder"]))[len('{"messageType":"DATA_MESSAGE",'):].encode()
    bomb = head + b" " * (20 * 1024 * 1024) + tail
    write("cloudwatch-forwarder/cwlogs-bomb.json", {"awslogs": {"data": b64(gz(bomb))}})


# ---------------------------------------------------------------------------------------------------------
# Kinesis: cross-account CloudWatch Logs destination, https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html

STREAM = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/logpipe-cwl-destination"


class Sequence:
    """Kinesis sequence numbers of one shard: 56-digit decimal strings, increasing."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.next = 49656 * 10**51 + self.r.randrange(10**50)

    def __call__(self) -> str:
        self.next += self.r.randrange(10**36, 10**38)
        return str(self.next)


def kinesis_record(seq: Sequence, data: bytes, arrival_ms: int, label: str):
    number = seq()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": hexid("partition/" + label, 32),
            "sequenceNumber": number,
            "data": b64(data),
            "approximateArrivalTimestamp": arrival_ms / 1000,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/logpipe-kinesis-relay",
        "awsRegion": REGION,
        "eventSourceARN": STREAM,
    }


def cross_account_payload(ids: EventIds, owner: str, group: str, stream: str, messages, start_ms: int):
    events = [{"id": ids(), "timestamp": start_ms + i * 7, "message": m} for i, m in enumerate(messages)]
    return payload(owner, group, stream, events, ["logpipe-cross-account"])


def kinesis_relay():
    ids = EventIds(2)
    seq = Sequence(3)
    t = BASE_MS + 120000
    payments = [
        cross_account_payload(ids, SOURCE_ACCOUNT, "/aws/lambda/payments-api",
                              "2026/11/22/[$LATEST]" + hexid("payments/stream", 32), [
                                  json.dumps({"level": "INFO", "msg": "charge created", "amount_cents": 1999,
                                              "currency": "EUR"}),
                                  json.dumps({"level": "INFO", "msg": "charge captured", "amount_cents": 1999}),
                              ], t),
        cross_account_payload(ids, SOURCE_ACCOUNT, "/ecs/checkout", "checkout/web/" + hexid("task", 32), [
            json.dumps({"level": "WARN", "path": "/cart", "status": 429, "latency_ms": 3}),
            json.dumps({"level": "INFO", "path": "/cart", "status": 200, "latency_ms": 41}),
            json.dumps({"level": "ERROR", "path": "/pay", "status": 502, "latency_ms": 30001}),
        ], t + 900),
        cross_account_payload(ids, SOURCE_ACCOUNT, "/aws/rds/instance/orders-db/postgresql", "orders-db.0", [
            "2026-11-22 05:12:03 UTC:10.0.3.17(50432):app@orders:[7761]:LOG:  duration: 1532.114 ms  statement: "
            "SELECT * FROM orders WHERE customer_id = 42",
        ], t + 1800),
    ]
    write("kinesis-relay/kinesis-cwlogs.json", {"Records": [
        kinesis_record(seq, gz(compact(p).encode()), t + 250 + i * 900, f"cwlogs/{i}") for i, p in enumerate(payments)
    ]})

    seq = Sequence(4)
    good_1 = cross_account_payload(ids, SOURCE_ACCOUNT, "/aws/lambda/payments-api", "2026/11/22/[$LATEST]"
                                   + hexid("payments/stream", 32),
                                   [json.dumps({"level": "INFO", "msg": "refund issued", "amount_cents": 500})], t)
    plain = json.dumps({"level": "INFO", "msg": "put directly on the stream by an application", "service": "cart",
                        "ts": "2026-11-22T05:12:00.500Z"}).encode()
    poison = b"\x00\x01\x02 not gzip, not JSON \xff\xfe\xfd" + digest("poison", 16)
    control = control_message("Kinesis stream", t)
    good_2 = cross_account_payload(ids, SOURCE_ACCOUNT, "/ecs/checkout", "checkout/web/" + hexid("task", 32),
                                   [json.dumps({"level": "INFO", "path": "/", "status": 200, "latency_ms": 12}),
                                    json.dumps({"level": "INFO", "path": "/pay", "status": 200, "latency_ms": 88})],
                                   t + 400)
    write("kinesis-relay/kinesis-mixed-bad-record.json", {"Records": [
        kinesis_record(seq, gz(compact(good_1).encode()), t + 100, "mixed/good-1"),
        kinesis_record(seq, plain, t + 200, "mixed/plain-json"),
        kinesis_record(seq, poison, t + 300, "mixed/poison"),
        kinesis_record(seq, gz(compact(control).encode()), t + 400, "mixed/control"),
        kinesis_record(seq, gz(compact(good_2).encode()), t + 500, "mixed/good-2"),
    ]})

    seq = Sequence(5)
    foreign = cross_account_payload(ids, FOREIGN_ACCOUNT, "/aws/lambda/unknown-app", "2026/11/22/[$LATEST]"
                                    + hexid("foreign/stream", 32),
                                    [json.dumps({"level": "INFO", "msg": "this account is not an allowed source"})],
                                    t)
    write("kinesis-relay/kinesis-foreign-owner.json", {"Records": [
        kinesis_record(seq, gz(compact(foreign).encode()), t + 100, "foreign"),
    ]})

    # CloudFront real-time logs: one tab-separated record per Kinesis record, the fields of the
    # real-time log configuration in order (here every documented field, the sample file's layout).
    seq = Sequence(6)
    with open(os.path.join(HERE, "samples", "cloudfront_realtime.log"), encoding="utf-8") as f:
        realtime = f.read().splitlines()[:3]
    write("kinesis-relay/kinesis-cloudfront-realtime.json", {"Records": [
        kinesis_record(seq, (line + "\n").encode(), t + 100 + i * 10, f"realtime/{i}") for i, line in enumerate(realtime)
    ]})


# ---------------------------------------------------------------------------------------------------------
# Firehose data transformation, https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
# (Direct PUT: records carry recordId, approximateArrivalTimestamp in epoch ms, data in base64)

DELIVERY_STREAM = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/logpipe-application"


def firehose_event(label: str, records):
    """records: (data bytes or a str that is sent as `data` verbatim, arrival ms)."""
    seq = Sequence(sum(label.encode()))
    return {
        "invocationId": uid("firehose/" + label),
        "deliveryStreamArn": DELIVERY_STREAM,
        "region": REGION,
        "records": [
            {"recordId": seq(), "approximateArrivalTimestamp": ms,
             "data": data if isinstance(data, str) else b64(data)}
            for data, ms in records
        ],
    }


def firehose_transform():
    t = BASE_MS + 300000
    app = [
        {"@timestamp": "2026-11-22T05:14:59.120Z", "level": "INFO", "service": "cart", "msg": "item added",
         "cart_id": "c-7731", "sku": "SKU-1042", "qty": 2},
        {"timestamp": t - 2500, "level": "WARN", "service": "cart", "msg": "price cache miss", "sku": "SKU-1042"},
        {"time": "2026-11-22T05:14:58Z", "level": "ERROR", "service": "checkout", "msg": "payment declined",
         "order_id": 1042, "customer": "Zoë Müller"},
        {"level": "DEBUG", "service": "cart", "msg": "no time of its own: the arrival time is used"},
    ]
    encoded = [compact(a).encode() for a in app]
    encoded[1] += b"\n"  # producers often add a newline delimiter
    write("firehose-transform/firehose-application.json",
          firehose_event("application", [(e, t + 100 * i) for i, e in enumerate(encoded)]))

    ids = EventIds(6)
    p1 = cross_account_payload(ids, ACCOUNT, "/aws/lambda/cart-api", "2026/11/22/[$LATEST]" + hexid("cart/stream", 32), [
        json.dumps({"level": "INFO", "msg": "cart loaded", "items": 3}),
        "2026-11-22T05:15:00.200Z\tWARN\tslow downstream (640 ms)\n",
    ], t)
    p2 = cross_account_payload(ids, ACCOUNT, "/ecs/checkout", "checkout/web/" + hexid("fh-task", 32), [
        json.dumps({"level": "INFO", "path": "/pay", "status": 200, "latency_ms": 95}),
        json.dumps({"level": "INFO", "path": "/cart", "status": 200, "latency_ms": 8}),
        json.dumps({"level": "ERROR", "path": "/pay", "status": 500, "latency_ms": 12}),
    ], t + 50)
    control = control_message("Firehose stream", t)
    write("firehose-transform/firehose-cwlogs.json", firehose_event("cwlogs", [
        (gz(compact(p1).encode()), t + 10),
        (gz(compact(p2).encode()), t + 20),
        (gz(compact(control).encode()), t + 30),
    ]))

    cut = gz(compact(p1).encode())
    write("firehose-transform/firehose-mixed-bad-records.json", firehose_event("mixed", [
        (compact({"level": "INFO", "service": "cart", "msg": "between bad records"}).encode(), t + 100),
        (b"2026-11-22 05:15:01 ERROR cart-worker: queue full, dropping nothing, retrying\n", t + 200),
        (b'[{"level":"INFO"},{"level":"WARN"}]', t + 300),
        ("this is not base64!", t + 400),
        (b"\x00\x01\x02 binary \xff\xfe\xfd" + digest("firehose/poison", 16), t + 500),
        (cut[: len(cut) // 2], t + 600),
    ]))

    # Gzip'd payloads that inflate about 40×: each gives ~0.8 MB of documents (under Firehose's 1,000 KiB
    # record), together more than Lambda's 6 MB response once base64'd.
    ids = EventIds(7)
    big = []
    for r in range(8):
        group = f"/aws/lambda/batch-export-{r}"
        messages = [f"export row {r:02d}-{i:04d} status=ok " + "x" * 900 for i in range(640)]
        p = cross_account_payload(ids, ACCOUNT, group, "2026/11/22/[$LATEST]" + hexid(f"export/{r}", 32),
                                  messages, t + r * 1000)
        big.append((gz(compact(p).encode()), t + 1000 + r))
    write("firehose-transform/firehose-over-6mb.json", firehose_event("over-6mb", big))


def main():
    s3_access_logs()
    cloudwatch_forwarder()
    kinesis_relay()
    firehose_transform()


if __name__ == "__main__":
    main()

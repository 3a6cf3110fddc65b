#!/usr/bin/env python3
"""Writes the sample log objects under events/objects/ (deterministic: rerun gives identical bytes).

    python3 events/make_objects.py

The objects are what AWS writes to S3 (ALB: multi-member gzip; CloudFront: gzip with #Version/#Fields
headers; CloudWatch Logs through Firehose to S3: concatenated gzip'd subscription payloads). Tests,
`logpipe ship events/objects` and the sample Lambda events all read these files.
"""
import datetime
import gzip
import io
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "objects")

ALB_KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/"
           "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
           "20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz")
CF_KEY = "cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz"
CW_KEY = "cloudwatch/2026/11/22/05/logpipe-app-logs-1-2026-11-22-05-10-00-5f0c6b8e.gz"
# Objects named by the s3-access-logs sample events (events/make_events.py):
# a manual copy of the ALB log under a key with spaces and `+`,
SPACES_KEY = "manual uploads/alb copy+1.log.gz"
# an ALB connection log (file name prefix `conn_log_`, as ALB writes it; the AWS docs show `conn_log.`),
CONN_KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/"
            "conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
            "20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz")
# and the ALB log cut in half: complete gzip members, then a truncated one.
CORRUPT_KEY = "broken/corrupt-truncated.log.gz"

SEED = 20261122

TG = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"
ELB = "app/my-loadbalancer/50dc6c495c0c9188"
UAS = ["curl/8.4.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/124.0.0.0 Safari/537.36", "ELB-HealthChecker/2.0", "python-requests/2.31.0", "-"]
PATHS = ["/", "/api/v1/orders", "/api/v1/orders/42", "/static/app.js", "/login", "/search?q=shoes&page=2"]


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def alb_lines(r: random.Random):
    lines = []
    for i in range(24):
        kind = r.choice(["http", "https", "h2"])
        scheme, port = ("http", 80) if kind == "http" else ("https", 443)
        status = r.choice([200, 200, 200, 301, 404, 500, 502])
        path = r.choice(PATHS)
        secs = 1 + i * 12
        t = f"2026-11-22T05:{secs // 60:02d}:{secs % 60:02d}.{r.randrange(10**6):06d}Z"
        ct = f"2026-11-22T05:{secs // 60:02d}:{secs % 60:02d}.{r.randrange(10**6):06d}Z"
        tls = "- -" if kind == "http" else "TLS_AES_128_GCM_SHA256 TLSv1.3"
        client = f"203.0.113.{r.randrange(1, 255)}:{r.randrange(1024, 65535)}"
        target = f"10.0.{r.randrange(0, 4)}.{r.randrange(2, 250)}:8080"
        lines.append(
            f'{kind} {t} {ELB} {client} {target} 0.000 {r.randrange(1, 900) / 1000:.3f} 0.000 {status} {status} '
            f'{r.randrange(100, 2000)} {r.randrange(200, 90000)} "GET {scheme}://www.example.com:{port}{path} '
            f'{"HTTP/2.0" if kind == "h2" else "HTTP/1.1"}" "{r.choice(UAS)}" {tls} {TG} '
            f'"Root=1-6740{i:04x}-{r.randrange(16**24):024x}" "{"www.example.com" if kind != "http" else "-"}" '
            f'"-" {r.choice([0, 1, 2])} {ct} "forward" "-" "-" "{target}" "{status}" "-" "-" '
            f'TID_{r.randrange(16**32):032x}')
    # Oddities every parser must survive (see docs/schema.md):
    lines += [
        # IPv6 client without brackets, Lambda target (no target), -1 timings
        f'https 2026-11-22T05:06:00.000001Z {ELB} 2001:db8:85a3::8a2e:370:7334:50123 - -1 -1 -1 460 - 38 0 '
        f'"GET https://www.example.com:443/slow HTTP/1.1" "curl/8.4.0" TLS_AES_128_GCM_SHA256 TLSv1.3 {TG} '
        f'"Root=1-6740ffff-000000000000000000000001" "www.example.com" "-" 1 2026-11-22T05:05:59.000001Z '
        f'"forward" "-" "-" "-" "-" "-" "-" TID_00000000000000000000000000000001',
        # raw space in the URI, desync classification
        f'http 2026-11-22T05:06:01.000002Z {ELB} 203.0.113.9:4000 10.0.0.5:8080 0.000 0.002 0.000 400 400 '
        f'120 300 "GET http://www.example.com:80/a b HTTP/1.1" "curl/8.4.0" - - {TG} '
        f'"Root=1-6740ffff-000000000000000000000002" "-" "-" 0 2026-11-22T05:06:01.000000Z "forward" "-" "-" '
        f'10.0.0.5:8080 400 "Ambiguous" "SpaceInUri" TID_00000000000000000000000000000002',
        # no request line at all, 2025 transform fields and a field AWS has not documented yet
        f'https 2026-11-22T05:06:02.000003Z {ELB} 203.0.113.10:4001 - -1 -1 -1 400 - 0 0 "- - -" "-" - - - '
        f'"-" "-" "-" - 2026-11-22T05:06:02.000003Z "-" "-" "-" "-" "-" "-" "-" '
        f'TID_00000000000000000000000000000003 "internal.example.com" "/v2/" "TransformSuccess" "new-field"',
        # an old line from before trace ids
        f'http 2026-11-22T05:06:03.000004Z {ELB} 203.0.113.11:4002 10.0.0.6:8080 0.000 0.001 0.000 200 200 '
        f'10 20 "GET http://www.example.com:80/old HTTP/1.1" "curl/7.46.0" - - {TG}',
        # a damaged line: becomes an error document, never dropped
        f'http 2026-11-22T05:06:04.000005Z {ELB} 203.0.113.12:4003 10.0.0.7:8080 0.000 0.001 0.000 2OO',
    ]
    return lines


def write_alb(r):
    lines = alb_lines(r)
    # ALB delivers concatenated gzip members; split the lines over three of them.
    members = [lines[:10], lines[10:20], lines[20:]]
    return b"".join(gz(("\n".join(m) + "\n").encode()) for m in members)


CF_FIELDS = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
             "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
             "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
             "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
             "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end")


def write_cloudfront(r):
    out = ["#Version: 1.0", "#Fields: " + CF_FIELDS]
    edges = ["LAX50-P2", "FRA56-P5", "NRT57-P3", "IAD89-C1"]
    for i in range(20):
        status = r.choice([200, 200, 304, 404, 403])
        result = r.choice(["Hit", "Miss", "RefreshHit", "Error"])
        ua = "Mozilla/5.0%20(Macintosh;%20Intel%20Mac%20OS%20X%2010_15_7)%20AppleWebKit/605.1.15"
        if i == 3:
            ua = "Mozilla/5.0%2520(double%2520encoded)"  # double-encoded: decoded once to %20
        ref = "https://www.example.com/" if i % 3 else "-"
        query = "q=red%20shoes&page=2" if i % 4 == 0 else "-"
        secs = i * 7
        out.append("\t".join(map(str, [
            "2026-11-22", f"05:{secs // 60:02d}:{secs % 60:02d}", r.choice(edges), r.randrange(300, 90000),
            f"198.51.100.{r.randrange(1, 255)}", "GET", "d111111abcdef8.cloudfront.net",
            r.choice(["/index.html", "/img/logo.png", "/app.js", "/api/data"]), status, ref, ua, query, "-",
            result, f"{r.randrange(16**20):020x}==", "www.example.com", "https", r.randrange(20, 400),
            f"{r.randrange(1, 500) / 1000:.3f}", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", result, "HTTP/2.0",
            "-", "-", r.randrange(1024, 65535), f"{r.randrange(1, 400) / 1000:.3f}", result,
            "text/html", r.randrange(300, 90000), "-", "-"])))
    # A second file concatenated after the first, older 26-field format (from before c-port and later).
    old = CF_FIELDS.split(" ")[:26]
    out += ["#Version: 1.0", "#Fields: " + " ".join(old)]
    out.append("\t".join(["2026-11-22", "05:30:00", "LAX50-P2", "1045", "198.51.100.7", "GET",
                          "d111111abcdef8.cloudfront.net", "/old.html", "200", "-", "curl/7.64.1", "-", "-",
                          "Miss", "b2c3d4e5f6==", "www.example.com", "http", "78", "0.010", "-", "-", "-",
                          "Miss", "HTTP/1.1", "-", "-"]))
    return gz(("\n".join(out) + "\n").encode())


def payload(group, stream, events, kind="DATA_MESSAGE"):
    return {"messageType": kind, "owner": "123456789012", "logGroup": group, "logStream": stream,
            "subscriptionFilters": ["logpipe"], "logEvents": events}


def write_cloudwatch(r):
    base = 1795324200000  # 2026-11-22T05:10:00Z
    rid = "8f5e3c21-0b7a-4c2e-9d9e-3b1f2a4c5d6e"
    lam = payload("/aws/lambda/orders-api", "2026/11/22/[$LATEST]4f3b2a1c0d9e8f7a6b5c4d3e2f1a0b9c", [
        {"id": "38210000000000000000000000000000000000000000000000000001", "timestamp": base,
         "message": f"START RequestId: {rid} Version: $LATEST\n"},
        {"id": "38210000000000000000000000000000000000000000000000000002", "timestamp": base + 12,
         "message": json.dumps({"level": "INFO", "msg": "order created", "order_id": 42, "amount": 19.99})},
        {"id": "38210000000000000000000000000000000000000000000000000003", "timestamp": base + 40,
         "message": "2026-11-22T05:10:00.040Z\t" + rid + "\tWARN\tslow downstream call (830 ms)\n"},
        {"id": "38210000000000000000000000000000000000000000000000000004", "timestamp": base + 101,
         "message": f"END RequestId: {rid}\n"},
        {"id": "38210000000000000000000000000000000000000000000000000005", "timestamp": base + 101,
         "message": (f"REPORT RequestId: {rid}\tDuration: 101.25 ms\tBilled Duration: 102 ms\t"
                     "Memory Size: 128 MB\tMax Memory Used: 71 MB\tInit Duration: 182.36 ms\t\n"
                     "XRAY TraceId: 1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b\tSegmentId: 5e6f7a8b9c0d1e2f\t"
                     "Sampled: true\t\n")},
    ])
    control = payload("", "", [{"id": "", "timestamp": base,
                                "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}],
                      kind="CONTROL_MESSAGE")
    control["owner"] = "CloudwatchLogs"
    app = payload("/ecs/checkout", "checkout/web/5b7c9d", [
        {"id": f"3821000000000000000000000000000000000000000000000001{i:04d}", "timestamp": base + 500 + i,
         "message": json.dumps({"level": r.choice(["INFO", "INFO", "ERROR"]), "path": r.choice(PATHS),
                                "status": r.choice([200, 500]), "latency_ms": r.randrange(1, 900)})}
        for i in range(8)])
    # Firehose → S3 objects hold the gzip'd payloads back to back.
    return b"".join(gz(json.dumps(p).encode()) for p in (lam, control, app))


def write_alb_connections():
    """ALB connection log lines for the TLS requests of the ALB access log (same client, same conn_trace_id).

    Fields (space-separated): time client_ip client_port listener_port tls_protocol tls_cipher
    tls_handshake_latency "leaf_client_cert_subject" leaf_client_cert_validity leaf_client_cert_serial_number
    tls_verify_status conn_trace_id. The HTTPS listener verifies client certificates (mutual TLS).
    """
    r = random.Random(SEED + 1)
    out = []
    for line in alb_lines(random.Random(SEED))[:24]:
        f = line.split(" ")
        if f[0] == "http":
            continue
        request_time = datetime.datetime.strptime(f[1], "%Y-%m-%dT%H:%M:%S.%fZ")
        opened = request_time - datetime.timedelta(microseconds=r.randrange(2000, 900000))
        ip, port = f[3].rsplit(":", 1)
        serial = f"{r.randrange(16**16):016X}"
        out.append(f'{opened.strftime("%Y-%m-%dT%H:%M:%S.%fZ")} {ip} {port} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 '
                   f'{r.randrange(1, 40) / 1000:.3f} "CN=client-{r.randrange(1, 9):02d}.example.com,O=Example Corp,'
                   f'L=Seattle,ST=Washington,C=US" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z '
                   f'{serial} Success {f[-1]}')
    # A client whose certificate has expired: the handshake fails, so no request reaches the access log.
    out.append('2026-11-22T05:04:58.000123Z 203.0.113.200 50999 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.011 '
               '"CN=old-client.example.com,O=Example Corp,C=US" NotBefore=2024-01-01T00:00:00Z;NotAfter=2025-01-01T00:00:00Z '
               '0A1B2C3D4E5F6071 Failed:ClientCertExpired TID_7f0e9d8c7b6a59483726150493827160')
    return gz(("\n".join(out) + "\n").encode())


def main():
    r = random.Random(SEED)
    alb = write_alb(r)
    objects = [
        (ALB_KEY, alb), (CF_KEY, write_cloudfront(r)), (CW_KEY, write_cloudwatch(r)),
        (SPACES_KEY, alb), (CONN_KEY, write_alb_connections()), (CORRUPT_KEY, alb[:len(alb) // 2]),
    ]
    for key, data in objects:
        path = os.path.join(OUT, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote events/objects/{key} ({len(data)} bytes)")


if __name__ == "__main__":
    main()

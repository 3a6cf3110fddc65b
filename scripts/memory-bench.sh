#!/usr/bin/env bash
# Peak memory of the s3-access-logs handler streaming a 1 GB (uncompressed) ALB object from S3 to
# Firehose, both emulated by moto_server on 127.0.0.1. Not part of the test command (it takes minutes).
#
#   ./scripts/memory-bench.sh [SIZE_MB]      # default 1000
#
# It runs `logpipe invoke s3-access-logs --objects s3 --sink firehose://…`: the same handler code as the
# Lambda function, in one process whose peak RSS (/usr/bin/time or /proc VmHWM) is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1000}
work=target/memory-bench
mkdir -p "$work"

venv=${LOGPIPE_BENCH_VENV:-.venv}
[ -x "$venv/bin/moto_server" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "moto[server]==5.2.5" boto3; }
cargo build --release --bin logpipe -q

object="$work/alb-${size_mb}mb.log.gz"
if [ ! -f "$object" ]; then
  seed="target/bench-data/100mb/alb.log"
  [ -f "$seed" ] || python3 ../shared/bench/gen.py --seed 42 --alb-mb 100 --cf-mb 1 --cw-mb 1 --out target/bench-data/100mb
  echo "making a ${size_mb} MB ALB object from $seed…"
  python3 - "$seed" "$object" "$size_mb" <<'PY'
import gzip, sys
seed, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(seed, "rb").read()
written = 0
with open(out, "wb") as raw:
    # ALB writes several gzip members per file: one per 100 MB chunk here.
    while written < mb * 1_000_000:
        chunk = data[: mb * 1_000_000 - written]
        raw.write(gzip.compress(chunk, compresslevel=1, mtime=0))
        written += len(chunk)
PY
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
for _ in $(seq 50); do curl -s "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break; sleep 0.2; done

key="AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.big-lb.0123456789abcdef_20261122T0500Z_192.0.2.10_big.log.gz"
"$venv/bin/python" - "$object" "$key" "$work/event.json" <<'PY'
import boto3, json, sys
obj, key, event_path = sys.argv[1:]
s3 = boto3.client("s3")
for b in ("bench-logs", "bench-archive", "bench-failed"):
    s3.create_bucket(Bucket=b)
s3.upload_file(obj, "bench-logs", key)
boto3.client("firehose").create_delivery_stream(
    DeliveryStreamName="bench-stream",
    ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/firehose",
                                        "BucketARN": "arn:aws:s3:::bench-archive", "Prefix": "docs/"})
event = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                      "s3": {"bucket": {"name": "bench-logs"}, "object": {"key": key}}}]}
json.dump(event, open(event_path, "w"))
PY

echo "streaming $(du -h "$object" | cut -f1) of gzip (${size_mb} MB uncompressed) through s3-access-logs…"
start=$(date +%s.%N)
/usr/bin/time -v target/release/logpipe invoke s3-access-logs --event "$work/event.json" --objects s3 \
  --sink firehose://bench-stream --failed-store s3://bench-failed/failed/ >"$work/response.json" 2>"$work/time.log"
end=$(date +%s.%N)
cat "$work/response.json"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.log")
python3 - "$rss_kb" "$start" "$end" "$size_mb" <<'PY'
import sys
rss_kb, start, end, mb = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"peak RSS {rss_kb / 1024:.1f} MiB; {mb} MB in {end - start:.1f} s ({mb / (end - start):.1f} MB/s end to end through moto)")
PY

"""Copies of the templates with other parameter defaults, so that linters which evaluate conditions
with the defaults (checkov drops a resource whose condition is false) also see the other branches:
VPC placement, existing log buckets, organization or account senders, optional alarms and expiry,
the optional application logs stream (firehose-transform),
and non-default OpenSearch setup values (which cfn-lint checks against the parameters' patterns).

    python tests/template/variants.py OUT_DIR     writes OUT_DIR/<name>.yaml for every variant
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name -> (template, parameter defaults to set)
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "template-vpc-existing-buckets-organization": (
        "template.yaml",
        {
            "VpcId": "vpc-0123456789abcdef0",
            "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
            "DashboardsClientCidr": "10.20.0.0/16",
            "AlbLogBucketName": "existing-alb-logs",
            "CloudFrontLogBucketName": "existing-cloudfront-logs",
            "SenderOrganizationId": "o-abcdefghij",
            "ForwardedLogGroup1": "/app/web",
            "ForwardedLogGroup2": "/app/worker",
            "ForwardedLogGroup3": "/aws/rds/instance/db/postgresql",
            "DedicatedMasterType": "m7g.large.search",
            "AlarmEmail": "ops@example.com",
            "ArchiveExpirationDays": "3650",
            "SourceLogExpirationDays": "400",
            "ApplicationLogsStream": "true",
        },
    ),
    "template-public-accounts-single-node": (
        "template.yaml",
        {
            "DashboardsClientCidr": "203.0.113.0/24",
            "SenderAccountIds": "111111111111,222222222222",
            "ElbAccountId": "127311923021",
            "DataNodeCount": "1",
            "IndexReplicas": "0",
            "EngineVersion": "OpenSearch_3.1",
            "DeveloperBackendRole": "Log Readers",
            "DeveloperUsers": "alice:$2y$12$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0,"
            "bob@example.com:$2b$12$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0",
        },
    ),
    "member-account-organization": (
        "templates/member-account.yaml",
        {
            "UseOrganizationRole": "true",
            "LogGroupName1": "/app/web",
            "LogGroupName2": "/app/worker",
            "LogGroupName3": "/aws/lambda/orders",
            "LogGroupName4": "/ecs/api",
            "LogGroupName5": "/aws/rds/instance/db/postgresql",
        },
    ),
}


def with_defaults(text: str, defaults: dict[str, str]) -> str:
    """`text` with the `Default:` of each named parameter set (added when the parameter has none)."""
    for name, value in defaults.items():
        block = re.compile(rf"(?m)^  {re.escape(name)}:\n((?:    .*\n)+)")
        found = block.search(text)
        if not found:
            raise KeyError(f"parameter {name} not found")
        body = found.group(1)
        line = f'    Default: "{value}"\n'
        if re.search(r"(?m)^    Default:.*\n", body):
            body = re.sub(r"(?m)^    Default:.*\n", line, body, count=1)
        else:
            body = body.replace("\n", "\n" + line, 1)
        text = text[: found.start(1)] + body + text[found.end(1) :]
    return text


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (template, defaults) in VARIANTS.items():
        path = out_dir / f"{name}.yaml"
        path.write_text(with_defaults((ROOT / template).read_text(), defaults))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1])):
        print(p)

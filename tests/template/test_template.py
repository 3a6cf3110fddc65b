"""The project's own assertions on template.yaml and templates/member-account.yaml, for what cfn-lint
and checkov do not check: retry and failure-destination settings, partial batch responses, least
privilege, destination policy principals, no trigger on the failed-record prefix, no subscription
loop, environment variables against shared/src/lambda/config.rs, CodeUri against functions/, the
OpenSearch setup custom resource against shared/src/lambda/opensearch_setup.rs.

Run by scripts/check-templates.sh (pytest from the .venv-tools/lint virtualenv). Templates are read
with cfn-lint's YAML loader, which turns !Ref, !Sub, !GetAtt, !If … into their long forms.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
from cfnlint.decode import decode

sys.path.insert(0, str(Path(__file__).parent))
from variants import VARIANTS, with_defaults  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# LOGPIPE_TEMPLATE / LOGPIPE_MEMBER_TEMPLATE point the tests at another copy (e.g. a broken one).
MAIN = Path(os.environ.get("LOGPIPE_TEMPLATE", ROOT / "template.yaml"))
MEMBER = Path(os.environ.get("LOGPIPE_MEMBER_TEMPLATE", ROOT / "templates" / "member-account.yaml"))
CONFIG_RS = ROOT / "shared" / "src" / "lambda" / "config.rs"
ROUTE_RS = ROOT / "shared" / "src" / "delivery" / "route.rs"
INDEX_TEMPLATES = ROOT / "shared" / "opensearch" / "index-templates"
SETUP_RS = ROOT / "shared" / "src" / "lambda" / "opensearch_setup.rs"
SETUP_MAIN_RS = ROOT / "functions" / "opensearch-setup" / "src" / "main.rs"
# The custom resource's function: deploy time only, no documents, no delivery stream.
SETUP_CODE = "functions/opensearch-setup"

# Services whose actions must always name their resources.
NAMED_RESOURCE_SERVICES = ("s3", "firehose", "kinesis")


def load(path: Path) -> dict:
    template, errors = decode(str(path))
    assert not errors, f"{path}: {errors}"
    # Plain dicts and lists: the loader's node classes compare and serialise like them.
    return json.loads(json.dumps(template))


def load_text(text: str, tmp_path: Path, name: str) -> dict:
    path = tmp_path / name
    path.write_text(text)
    return load(path)


@pytest.fixture(scope="module")
def main() -> dict:
    return load(MAIN)


@pytest.fixture(scope="module")
def member() -> dict:
    return load(MEMBER)


def resources(t: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in t["Resources"].items() if r["Type"] == kind}


def props(r: dict) -> dict:
    return r.get("Properties", {})


def data_functions(t: dict) -> dict[str, dict]:
    """The functions that turn logs into documents (every function but the setup's)."""
    return {n: r for n, r in resources(t, "AWS::Serverless::Function").items() if props(r)["CodeUri"] != SETUP_CODE}


def default(t: dict, value):
    """`value` with a `Ref` to a parameter replaced by the parameter's default."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in t.get("Parameters", {}):
        return t["Parameters"][value["Ref"]].get("Default")
    return value


def refs_to(value) -> set[str]:
    """Logical ids and parameters that `value` refers to (Ref, GetAtt, Sub variables)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {v.split(".")[0] for v in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(inner, list):
                    found |= refs_to(inner[1])
            else:
                found |= refs_to(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= refs_to(inner)
    return found


def branches(value):
    """Every value `value` can take through Fn::If (both branches), AWS::NoValue dropped."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, yes, no = value["Fn::If"]
        for side in (yes, no):
            yield from branches(side)
    elif value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(document) -> list[dict]:
    out = []
    for doc in branches(document):
        for s in as_list(doc.get("Statement", [])):
            out.extend(branches(s))
    return out


def policy_documents(t: dict) -> list[tuple[str, dict]]:
    """(where, document) for every identity policy in the template."""
    docs = []
    for name, r in t["Resources"].items():
        p = props(r)
        if r["Type"] == "AWS::IAM::Role":
            for policy in p.get("Policies", []):
                docs.append((f"{name}/{policy['PolicyName']}", policy["PolicyDocument"]))
        elif r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            docs.append((name, p["PolicyDocument"]))
    return docs


def render_sub(t: dict, sub, values: dict[str, str]) -> str:
    """Fn::Sub text with pseudo parameters, parameters (`values`, else defaults) and its own
    variables (Fn::Join of a list parameter) filled in."""
    text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
    env = {
        "AWS::Partition": "aws",
        "AWS::Region": "eu-west-1",
        "AWS::AccountId": "999999999999",
        "AWS::StackName": "logpipe",
    }
    for name, spec in t.get("Parameters", {}).items():
        env[name] = values.get(name, str(spec.get("Default", "")))
    for name, expr in variables.items():
        sep, listed = expr["Fn::Join"]
        env[name] = sep.join(values.get(listed["Ref"], env[listed["Ref"]]).split(","))
    return re.sub(r"\$\{([^}]+)\}", lambda m: env[m.group(1)], text)


# ------------------------------------------------------------------ functions and their code


def crate_binaries(crate: Path) -> set[str]:
    cargo = tomllib.loads((crate / "Cargo.toml").read_text())
    bins = {b["name"] for b in cargo.get("bin", [])}
    if (crate / "src" / "main.rs").exists():
        bins.add(cargo["package"]["name"])
    bins |= {p.stem for p in (crate / "src" / "bin").glob("*.rs")} if (crate / "src" / "bin").is_dir() else set()
    return bins


def test_every_function_is_a_rust_arm64_binary_from_an_existing_crate(main):
    functions = resources(main, "AWS::Serverless::Function")
    assert functions
    deployed_crates = set()
    for name, r in functions.items():
        p = props(r)
        assert p["Runtime"] == "provided.al2023", name
        assert p["Architectures"] == ["arm64"], name
        assert p["Handler"] == "bootstrap", name
        assert r["Metadata"]["BuildMethod"] == "rust-cargolambda", name
        code = p["CodeUri"]
        assert re.fullmatch(r"functions/[a-z0-9-]+", code), f"{name}: CodeUri {code}"
        crate = ROOT / code
        assert (crate / "Cargo.toml").is_file(), f"{name}: {code} is not a crate"
        bins = crate_binaries(crate)
        binary = r["Metadata"].get("BuildProperties", {}).get("Binary")
        if binary is None:
            assert len(bins) == 1, f"{name}: {code} has binaries {bins}; name one in BuildProperties.Binary"
        else:
            assert binary in bins, f"{name}: no binary {binary} in {code}"
        deployed_crates.add(crate.name)
    assert deployed_crates == {p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").is_file()}


def test_s3_function_is_deployed_for_load_balancers_and_for_cloudfront(main):
    formats = {
        name: props(r)["Environment"]["Variables"].get("LOGPIPE_LOG_FORMAT")
        for name, r in resources(main, "AWS::Serverless::Function").items()
        if props(r)["CodeUri"] == "functions/s3-access-logs"
    }
    # The load balancer bucket's function detects: file names decide for every load balancer log,
    # the content for the other logs that may share the bucket (its stream map lists them).
    assert formats == {"AlbLogsFunction": "auto", "CloudFrontLogsFunction": "cloudfront"}


def config_variables() -> tuple[set[str], set[str]]:
    """(all variables config.rs reads, the ones it requires)."""
    code = CONFIG_RS.read_text()
    body = code[code.index("fn from_vars") : code.index("#[cfg(test)]")]
    read = set(re.findall(r'"(LOGPIPE_[A-Z_]+)"', body))
    required = set(re.findall(r'get\("(LOGPIPE_[A-Z_]+)"\)\.ok_or', body))
    return read, required


# What each crate's environment sets: the required variable, the failed-record store, the limits
# that apply to its input, RUST_LOG.
EXPECTED_VARIABLES = {
    "s3-access-logs": {"LOGPIPE_LOG_FORMAT", "LOGPIPE_MAX_INFLATED_BYTES"},
    "cloudwatch-forwarder": {"LOGPIPE_MAX_INFLATED_BYTES", "LOGPIPE_MAX_PAYLOAD_BYTES"},
    "kinesis-relay": {"LOGPIPE_MAX_INFLATED_BYTES", "LOGPIPE_MAX_PAYLOAD_BYTES", "LOGPIPE_ALLOWED_ACCOUNTS", "LOGPIPE_CLOUDFRONT_REALTIME_FIELDS"},
    "firehose-transform": {"LOGPIPE_MAX_PAYLOAD_BYTES"},
}
COMMON_VARIABLES = {
    "LOGPIPE_DELIVERY_STREAM",
    "LOGPIPE_DELIVERY_STREAMS",
    "LOGPIPE_FAILED_BUCKET",
    "LOGPIPE_FAILED_PREFIX",
    "LOGPIPE_MAX_IN_FLIGHT",
    "RUST_LOG",
}


def test_function_environments_match_config_rs(main):
    read, required = config_variables()
    assert required == {"LOGPIPE_DELIVERY_STREAM"}, "config.rs changed: update the template and this test"
    assert COMMON_VARIABLES - {"RUST_LOG"} <= read
    for name, r in data_functions(main).items():
        env = props(r)["Environment"]["Variables"]
        crate = props(r)["CodeUri"].split("/")[1]
        expected = COMMON_VARIABLES | EXPECTED_VARIABLES[crate]
        if crate == "firehose-transform":
            # It answers Firehose with the documents and re-ingests into its own stream: no routing.
            expected -= {"LOGPIPE_DELIVERY_STREAMS"}
        assert expected <= set(env), f"{name}: missing {expected - set(env)}"
        unknown = {v for v in env if v.startswith("LOGPIPE_")} - read
        assert not unknown, f"{name}: config.rs does not read {unknown}"
        assert refs_to(env["LOGPIPE_FAILED_BUCKET"]) == {"FailedRecordBucket"}, name
        assert refs_to(env["LOGPIPE_FAILED_PREFIX"]) == {"FailedRecordPrefix"}, name


def delivery_stream_of(t: dict, function: dict) -> str:
    """The logical id of the stream a function's LOGPIPE_DELIVERY_STREAM names: a Ref, or (for
    firehose-transform, which its stream refers to) the stream's DeliveryStreamName as a Sub."""
    value = props(function)["Environment"]["Variables"]["LOGPIPE_DELIVERY_STREAM"]
    if "Fn::Sub" not in value:
        (stream,) = refs_to(value)
        return stream
    name = render_sub(t, value["Fn::Sub"], {})
    (stream,) = [
        n
        for n, r in resources(t, "AWS::KinesisFirehose::DeliveryStream").items()
        if render_sub(t, props(r)["DeliveryStreamName"]["Fn::Sub"], {}) == name
    ]
    return stream


def rust_log_types() -> set[str]:
    """The log types LOGPIPE_DELIVERY_STREAMS accepts: route.rs's LOG_TYPES, whose entries are
    literals or a format module's LOG_TYPE constant."""
    code = ROUTE_RS.read_text()
    start = code.index("pub const LOG_TYPES")
    body = code[code.index("[", code.index("=", start)) : code.index("];", start)]
    found = set(re.findall(r'"([a-z0-9_]+)"', body))
    for module in re.findall(r"(\w+)::LOG_TYPE\b", body):
        text = (ROOT / "shared" / "src" / "formats" / f"{module}.rs").read_text()
        (value,) = re.findall(r'pub const LOG_TYPE: &str = "([a-z0-9_]+)";', text)
        found.add(value)
    assert len(found) >= 14, found
    return found


def stream_map(env: dict) -> dict[str, str]:
    """LOGPIPE_DELIVERY_STREAMS as log type -> logical id of the stream, checked against route.rs's
    rules: `log_type=stream` entries, known log types, each once."""
    value = env["LOGPIPE_DELIVERY_STREAMS"]
    text = value["Fn::Sub"]
    assert isinstance(text, str), value
    out: dict[str, str] = {}
    for entry in text.split(","):
        m = re.fullmatch(r"([a-z0-9_]+)=\$\{([A-Za-z0-9]+)\}", entry)
        assert m, f"`{entry}` is not log_type=${{Stream}}"
        log_type, stream = m.groups()
        assert log_type in rust_log_types(), f"{log_type} is refused by route.rs"
        assert log_type not in out, f"{log_type} listed twice"
        out[log_type] = stream
    return out


def index_name(t: dict, stream: str) -> str:
    r = t["Resources"][stream]
    assert r["Type"] == "AWS::KinesisFirehose::DeliveryStream", stream
    return props(r)["AmazonopensearchserviceDestinationConfiguration"]["IndexName"]


# The log types each function may write besides its default stream's (and which it routes).
EXPECTED_ROUTES = {
    "AlbLogsFunction": ("alb", {"alb", "alb_connection", "nlb", "clb", "s3_access", "vpcflow", "waf", "cloudtrail"}),
    "CloudFrontLogsFunction": ("cloudfront", {"cloudfront"}),
    "CloudWatchForwarderFunction": ("cloudwatch", {"cloudwatch", "vpcflow", "apigateway", "cloudtrail", "waf"}),
    "KinesisRelayFunction": ("cloudwatch", {"cloudwatch", "vpcflow", "apigateway", "cloudtrail", "waf", "cloudfront_realtime"}),
}


def test_each_function_sends_each_log_type_to_the_stream_of_its_index(main):
    functions = data_functions(main)
    transform = {n for n, r in functions.items() if props(r)["CodeUri"] == "functions/firehose-transform"}
    assert set(functions) - transform == set(EXPECTED_ROUTES)
    for name in transform:
        # It re-ingests into the stream that invokes it, and routes nothing.
        stream = delivery_stream_of(main, functions[name])
        assert index_name(main, stream) == "logs-application", name
        assert "LOGPIPE_DELIVERY_STREAMS" not in props(functions[name])["Environment"]["Variables"], name
    for name, r in functions.items():
        if name in transform:
            continue
        env = props(r)["Environment"]["Variables"]
        default_type, routed = EXPECTED_ROUTES[name]
        (default,) = refs_to(env["LOGPIPE_DELIVERY_STREAM"])
        assert index_name(main, default) == f"logs-{default_type}", name
        routes = stream_map(env)
        assert set(routes) == routed, f"{name}: {sorted(routes)}"
        for log_type, stream in routes.items():
            assert index_name(main, stream) == f"logs-{log_type}", f"{name}: {log_type} -> {stream}"
        # The default stream, when listed, is listed for its own log type.
        assert routes.get(default_type, default) == default, name


def stream_log_types() -> list[str]:
    t = load(MAIN)
    return sorted(
        props(r)["AmazonopensearchserviceDestinationConfiguration"]["IndexName"].removeprefix("logs-")
        for r in resources(t, "AWS::KinesisFirehose::DeliveryStream").values()
    )


@pytest.mark.parametrize("log_type", stream_log_types())
def test_every_stream_index_has_its_index_template(log_type):
    """Firehose creates logs-<type>-YYYY-MM-DD on its first document: the index template that maps
    it must match it, and the log type must be one logpipe writes."""
    assert log_type in rust_log_types()
    template = json.loads((INDEX_TEMPLATES / f"logs-{log_type}.json").read_text())
    assert template["index_patterns"] == [f"logs-{log_type}-*"]


# ------------------------------------------------------------------ retries and failure destinations


def async_functions(t: dict) -> set[str]:
    """Functions that a service invokes asynchronously (through a Lambda::Permission)."""
    out = set()
    for r in resources(t, "AWS::Lambda::Permission").values():
        if props(r)["Principal"] in ("events.amazonaws.com", "logs.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com"):
            out |= refs_to(props(r)["FunctionName"])
    return out


def test_async_functions_have_bounded_retries_and_an_encrypted_on_failure_queue(main):
    configs = {
        next(iter(refs_to(props(r)["FunctionName"]))): props(r)
        for r in resources(main, "AWS::Lambda::EventInvokeConfig").values()
    }
    targets = async_functions(main)
    assert targets == {"AlbLogsFunction", "CloudFrontLogsFunction", "CloudWatchForwarderFunction"}
    for fn in targets:
        c = configs[fn]
        assert c["Qualifier"] == "$LATEST"
        assert 0 <= int(default(main, c["MaximumRetryAttempts"])) <= 2, fn
        assert 60 <= int(default(main, c["MaximumEventAgeInSeconds"])) <= 21600, fn
        (queue,) = refs_to(c["DestinationConfig"]["OnFailure"]["Destination"])
        q = main["Resources"][queue]
        assert q["Type"] == "AWS::SQS::Queue", fn
        assert props(q).get("KmsMasterKeyId") or props(q).get("SqsManagedSseEnabled"), f"{queue} not encrypted"


def test_eventbridge_targets_retry_and_dead_letter(main):
    for name, r in resources(main, "AWS::Events::Rule").items():
        for target in props(r)["Targets"]:
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400, name
            assert refs_to(target["DeadLetterConfig"]["Arn"]) == {"OnFailureQueue"}, name


def test_kinesis_mapping_reports_batch_items_bisects_and_gives_up(main):
    mappings = resources(main, "AWS::Lambda::EventSourceMapping")
    assert mappings
    for name, r in mappings.items():
        p = props(r)
        assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        assert p["BisectBatchOnFunctionError"] is True, name
        retries = int(default(main, p["MaximumRetryAttempts"]))
        age = int(default(main, p["MaximumRecordAgeInSeconds"]))
        assert 0 <= retries <= 10000, name
        assert 60 <= age <= 604800, name
        for param in refs_to([p["MaximumRetryAttempts"], p["MaximumRecordAgeInSeconds"]]):
            assert main["Parameters"][param]["MinValue"] >= 0, f"{param} allows -1 (infinite)"
        (dest,) = refs_to(p["DestinationConfig"]["OnFailure"]["Destination"])
        assert main["Resources"][dest]["Type"] in ("AWS::S3::Bucket", "AWS::SQS::Queue"), name


# ------------------------------------------------------------------ Firehose, archive, domain


def test_firehose_streams_back_up_every_document_gzip_kms_daily_indices(main):
    streams = resources(main, "AWS::KinesisFirehose::DeliveryStream")
    log_types = {
        "Alb": "alb", "AlbConnection": "alb_connection", "Nlb": "nlb", "Clb": "clb", "CloudFront": "cloudfront",
        "CloudFrontRealtime": "cloudfront_realtime", "S3Access": "s3_access", "VpcFlow": "vpcflow",
        "Waf": "waf", "CloudTrail": "cloudtrail", "ApiGateway": "apigateway", "CloudWatch": "cloudwatch",
        "Application": "application",
    }
    assert set(streams) == {f"{p}DeliveryStream" for p in log_types}
    names = set()
    for name, r in streams.items():
        log_type = log_types[name.removesuffix("DeliveryStream")]
        p = props(r)
        assert p["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "CUSTOMER_MANAGED_CMK", name
        assert p["DeliveryStreamType"] == "DirectPut", name
        names.add(p["DeliveryStreamName"]["Fn::Sub"])
        d = p["AmazonopensearchserviceDestinationConfiguration"]
        assert d["S3BackupMode"] == "AllDocuments", name
        assert d["IndexRotationPeriod"] == "OneDay", name
        assert d["IndexName"] == f"logs-{log_type}", name
        if log_type == "application":
            # The optional firehose-transform stream (its own tests: test_application_*).
            continue
        assert d["S3Configuration"]["Prefix"] == f"{log_type}/", name
        (log_stream,) = refs_to(d["CloudWatchLoggingOptions"]["LogStreamName"])
        assert props(main["Resources"][log_stream])["LogStreamName"] == log_type, name
        assert d["S3Configuration"]["CloudWatchLoggingOptions"] == d["CloudWatchLoggingOptions"], name
        assert d["VpcConfiguration"]["Fn::If"][0] == "InVpc", name
        assert refs_to(d["VpcConfiguration"]) == {"AWS::NoValue", "FirehoseRole", "VpcSubnetIds", "DomainSecurityGroup"}, name
        assert refs_to(d["RetryOptions"]["DurationInSeconds"]) == {"FirehoseRetrySeconds"}, name
        assert refs_to(d["BufferingHints"]) == {"FirehoseBufferIntervalSeconds", "FirehoseBufferSizeMiB"}, name
        s3 = d["S3Configuration"]
        assert refs_to(s3["BucketARN"]) == {"ArchiveBucket"}, name
        assert s3["CompressionFormat"] == "GZIP", name
        assert refs_to(s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]) == {"PipelineKey"}
    assert len(names) == len(streams), "stream names are distinct"


def test_archive_moves_to_cold_storage_after_180_days_and_expires_only_when_asked(main):
    rules = props(main["Resources"]["ArchiveBucket"])["LifecycleConfiguration"]["Rules"]
    assert main["Parameters"]["ArchiveTransitionDays"]["Default"] == 180
    assert main["Parameters"]["ArchiveExpirationDays"]["Default"] == 0
    for rule in rules:
        for r in branches(rule):
            if "ExpirationInDays" in r or "NoncurrentVersionExpiration" in r:
                assert rule["Fn::If"][0] == "ArchiveExpires", "the archive expires without being asked"
    assert main["Conditions"]["ArchiveExpires"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ArchiveExpirationDays"}, 0]}]}


def test_domain_security(main):
    (domain,) = resources(main, "AWS::OpenSearchService::Domain").values()
    p = props(domain)
    sec = p["AdvancedSecurityOptions"]
    assert sec["Enabled"] is True and sec["InternalUserDatabaseEnabled"] is True
    assert "{{resolve:secretsmanager:" in json.dumps(sec["MasterUserOptions"]), "master password must not be a literal"
    assert p["EncryptionAtRestOptions"]["Enabled"] is True
    assert p["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert p["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert p["DomainEndpointOptions"]["TLSSecurityPolicy"].startswith("Policy-Min-TLS-1-2")
    # Two statements, neither conditional: the Firehose role (signed), and unsigned requests, which
    # the setup function (master user, basic auth) and developers (internal users) send and which
    # fine-grained access control authenticates. No source-address condition: a Lambda function has
    # no fixed address, and the setup must reach the domain in public mode too.
    assert all("Fn::If" not in s for s in p["AccessPolicies"]["Statement"])
    by_principal = {json.dumps(s["Principal"]["AWS"]): s for s in statements(p["AccessPolicies"])}
    assert set(by_principal) == {json.dumps({"Fn::GetAtt": ["FirehoseRole", "Arn"]}), json.dumps("*")}
    domain_paths = "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/${DomainName}/*"
    for s in by_principal.values():
        assert s["Effect"] == "Allow" and s["Action"] == "es:ESHttp*"
        assert s["Resource"] == {"Fn::Sub": domain_paths}
    assert "Condition" not in by_principal['"*"']
    # DashboardsClientCidr then only opens the VPC security group; on a public endpoint it is inert.
    users = {n for n, r in main["Resources"].items() if "DashboardsClientCidr" in refs_to(r)}
    assert users == {"DomainSecurityGroupHttpsFromClients"}
    assert main["Resources"]["DomainSecurityGroupHttpsFromClients"]["Condition"] == "DashboardsClientsInVpc"
    assert main["Parameters"]["DashboardsClientCidr"]["Default"] == ""
    assert "fine-grained access control" in main["Parameters"]["DashboardsClientCidr"]["Description"]


# ------------------------------------------------------------------ OpenSearch setup custom resource


def handler_properties() -> set[str]:
    """The custom resource properties opensearch_setup.rs reads (its `Properties` struct)."""
    code = SETUP_RS.read_text()
    start = code.index("pub struct Properties {")
    body = code[start : code.index("\n}", start)]
    attributes = code[code.rindex("#[derive", 0, start) : start]
    assert 'rename_all = "PascalCase"' in attributes
    # Properties the function does not read (SetupVersion, CodeVersion …) must not be refused.
    assert "deny_unknown_fields" not in attributes
    fields = re.findall(r"^\s+([a-z_]+): ", body, re.M)
    return {"".join(part.capitalize() for part in f.split("_")) for f in fields}


def handler_data_keys() -> set[str]:
    """The Data attributes the handler returns to CloudFormation."""
    return set(re.findall(r'\("(\w+)"\.to_owned\(\), report\.count\(', SETUP_RS.read_text()))


def setup_resource(t: dict) -> dict:
    (r,) = [r for r in t["Resources"].values() if r["Type"] == "Custom::OpenSearchSetup"]
    return r


def test_opensearch_setup_custom_resource_passes_the_stack_settings(main):
    r = setup_resource(main)
    assert r is main["Resources"]["OpenSearchSetup"]
    p = props(r)
    assert "Condition" not in r, "the setup must run in every deployment"
    assert p["ServiceToken"] == {"Fn::GetAtt": ["OpenSearchSetupFunction", "Arn"]}
    assert props(main["Resources"]["OpenSearchSetupFunction"])["CodeUri"] == SETUP_CODE
    assert p["Endpoint"] == {"Fn::Sub": "https://${OpenSearchDomain.DomainEndpoint}"}
    assert p["Region"] == {"Ref": "AWS::Region"}
    # The writer is exactly the role every delivery stream writes to OpenSearch with.
    stream_roles = {
        json.dumps(props(s)["AmazonopensearchserviceDestinationConfiguration"]["RoleARN"])
        for s in resources(main, "AWS::KinesisFirehose::DeliveryStream").values()
    }
    assert stream_roles == {json.dumps({"Fn::GetAtt": ["FirehoseRole", "Arn"]})}
    assert p["WriterBackendRoles"] == [{"Fn::GetAtt": ["FirehoseRole", "Arn"]}]
    assert p["ReaderBackendRoles"] == [{"Ref": "DeveloperBackendRole"}]
    assert p["InternalUsers"] == {"Ref": "DeveloperUsers"}
    assert p["Shards"] == {"Ref": "IndexShards"}
    assert p["Replicas"] == {"Ref": "IndexReplicas"}
    assert p["RetentionDays"] == {"Ref": "IndexRetentionDays"}
    assert p["TotalFieldsLimit"] == {"Ref": "IndexTotalFieldsLimit"}
    assert p["Dashboards"] == "true"
    assert isinstance(p["SetupVersion"], str) and p["SetupVersion"]
    # A new code version (new templates, ISM policy, roles or dashboards) makes CloudFormation send
    # an Update, so the setup is applied again.
    assert p["CodeVersion"] == {"Ref": "OpenSearchSetupFunction.Version"}
    assert props(main["Resources"]["OpenSearchSetupFunction"])["AutoPublishAlias"]
    assert 300 < p["ServiceTimeout"] <= 3600
    # Every property is one the handler reads, or one that only triggers or orders updates.
    read = handler_properties()
    assert {"Endpoint", "WriterBackendRoles", "ReaderBackendRoles", "InternalUsers"} <= read
    unread = set(p) - read
    assert unread == {"ServiceToken", "ServiceTimeout", "SetupVersion", "CodeVersion", "DomainIngressRule"}


def test_setup_parameters(main):
    params = main["Parameters"]
    expected = {
        "IndexRetentionDays": ("Number", 30),
        "IndexShards": ("Number", 1),
        "IndexReplicas": ("Number", 1),
        "IndexTotalFieldsLimit": ("Number", 1000),
        "DeveloperBackendRole": ("String", "logpipe-developers"),
        "DeveloperUsers": ("String", ""),
    }
    for name, (kind, value) in expected.items():
        assert params[name]["Type"] == kind, name
        assert params[name]["Default"] == value, name
    assert params["IndexRetentionDays"]["MinValue"] == 1
    assert params["IndexShards"]["MinValue"] == 1
    assert (params["IndexTotalFieldsLimit"]["MinValue"], params["IndexTotalFieldsLimit"]["MaxValue"]) == (100, 100000)
    assert params["DeveloperUsers"]["NoEcho"] is True
    assert "htpasswd -nbBC 12" in params["DeveloperUsers"]["Description"]
    (group,) = [
        g for g in main["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        if g["Label"]["default"] == "OpenSearch"
    ]
    assert set(expected) <= set(group["Parameters"])


def test_every_delivery_stream_waits_for_the_setup(main):
    # Firehose creates the day's index on its first document: the index template must exist first.
    streams = resources(main, "AWS::KinesisFirehose::DeliveryStream")
    assert streams
    for name, r in streams.items():
        assert "OpenSearchSetup" in as_list(r.get("DependsOn", [])), name


def test_setup_role_reads_only_the_master_user_secret(main):
    fn = props(main["Resources"]["OpenSearchSetupFunction"])
    (role,) = refs_to(fn["Role"])
    assert role == "OpenSearchSetupRole"
    assert fn["Environment"]["Variables"]["LOGPIPE_MASTER_SECRET_ARN"] == {"Ref": "OpenSearchMasterUserSecret"}
    assert "ManagedPolicyArns" not in props(main["Resources"][role])
    (doc,) = [d for where, d in policy_documents(main) if where.startswith(role + "/")]
    services = set()
    for s in statements(doc):
        assert s["Effect"] == "Allow"
        actions = as_list(s["Action"])
        services |= {a.split(":")[0] for a in actions}
        if any(a.startswith("secretsmanager:") for a in actions):
            assert actions == ["secretsmanager:GetSecretValue"]
            assert s["Resource"] == {"Ref": "OpenSearchMasterUserSecret"}
        if any(a.startswith("kms:") for a in actions):
            assert actions == ["kms:Decrypt"]
            assert s["Resource"] == {"Fn::GetAtt": ["PipelineKey", "Arn"]}
            via = s["Condition"]["StringEquals"]["kms:ViaService"]
            assert via == {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
        if any(a.startswith("logs:") for a in actions):
            assert s["Resource"] == {"Fn::GetAtt": ["OpenSearchSetupFunctionLogGroup", "Arn"]}
    # Basic auth carries no IAM identity: no es:* (and nothing else) is needed.
    assert services == {"logs", "secretsmanager", "kms", "ec2"}
    # No other role may read any secret.
    for where, d in policy_documents(main):
        if not where.startswith(role + "/"):
            for s in statements(d):
                assert not any(a.startswith("secretsmanager:") for a in as_list(s["Action"])), where


def test_setup_function_environment_matches_main_rs(main):
    read = set(re.findall(r'env::var\("(LOGPIPE_[A-Z_]+)"\)', SETUP_MAIN_RS.read_text()))
    assert read == {"LOGPIPE_MASTER_SECRET_ARN"}, "main.rs changed: update the template and this test"
    env = props(main["Resources"]["OpenSearchSetupFunction"])["Environment"]["Variables"]
    assert set(env) == read | {"RUST_LOG"}


def test_setup_function_is_in_the_vpc_when_the_domain_is(main):
    res = main["Resources"]
    fn = props(res["OpenSearchSetupFunction"])
    assert fn["VpcConfig"] == {
        "Fn::If": [
            "InVpc",
            {"SubnetIds": {"Ref": "VpcSubnetIds"}, "SecurityGroupIds": [{"Ref": "SetupFunctionSecurityGroup"}]},
            {"Ref": "AWS::NoValue"},
        ]
    }
    sg = res["SetupFunctionSecurityGroup"]
    assert sg["Condition"] == "InVpc"
    assert props(sg)["VpcId"] == {"Ref": "VpcId"}
    assert "SecurityGroupIngress" not in props(sg)
    for rule in props(sg)["SecurityGroupEgress"]:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    ingress = [
        r for r in resources(main, "AWS::EC2::SecurityGroupIngress").values()
        if props(r).get("SourceSecurityGroupId") == {"Ref": "SetupFunctionSecurityGroup"}
    ]
    assert len(ingress) == 1
    (rule,) = ingress
    assert rule["Condition"] == "InVpc"
    assert props(rule)["GroupId"] == {"Ref": "DomainSecurityGroup"}
    assert (props(rule)["IpProtocol"], props(rule)["FromPort"], props(rule)["ToPort"]) == ("tcp", 443, 443)
    # The setup waits for that rule (it would time out without it).
    assert props(setup_resource(main))["DomainIngressRule"] == {
        "Fn::If": ["InVpc", {"Ref": "DomainSecurityGroupHttpsFromSetupFunction"}, {"Ref": "AWS::NoValue"}]
    }
    assert props(res["DomainSecurityGroupHttpsFromSetupFunction"]) == props(rule)
    # Its network interfaces: EC2 permissions only in a VPC.
    (doc,) = [d for where, d in policy_documents(main) if where.startswith("OpenSearchSetupRole/")]
    for s in doc["Statement"]:
        actions = [a for b in branches(s) for a in as_list(b["Action"])]
        if any(a.startswith("ec2:") for a in actions):
            assert s["Fn::If"][0] == "InVpc"
            assert "ec2:CreateNetworkInterface" in actions and "ec2:DeleteNetworkInterface" in actions


@pytest.mark.parametrize(
    "version, allowed",
    [
        ("OpenSearch_2.19", True),
        ("OpenSearch_2.15", True),
        ("OpenSearch_2.20", True),
        ("OpenSearch_3.1", True),
        ("OpenSearch_3.0", True),
        ("OpenSearch_2.11", False),
        ("OpenSearch_2.14", False),
        ("OpenSearch_2.3", False),
        ("OpenSearch_1.3", False),
        ("Elasticsearch_7.10", False),
        ("OpenSearch_2.19 ", False),
    ],
)
def test_engine_version_is_opensearch_2_15_or_later(main, version, allowed):
    param = main["Parameters"]["EngineVersion"]
    pattern = re.compile(param["AllowedPattern"])
    assert bool(pattern.fullmatch(version)) is allowed
    assert pattern.fullmatch(param["Default"])


BCRYPT = "$2y$12$" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"  # 60 characters, the form htpasswd writes


@pytest.mark.parametrize(
    "value, allowed",
    [
        ("", True),
        (f"alice:{BCRYPT}", True),
        (f"alice:{BCRYPT},bob.smith@example.com:{BCRYPT.replace('$2y$', '$2b$')}", True),
        ("alice:correct horse battery staple", False),  # a password, not a hash
        (f"alice:{BCRYPT[:-1]}", False),
        (f":{BCRYPT}", False),
        (f"alice:{BCRYPT},", False),
        (f"al ice:{BCRYPT}", False),
    ],
)
def test_developer_users_take_only_bcrypt_hashes(main, value, allowed):
    assert len(BCRYPT) == 60
    pattern = re.compile(main["Parameters"]["DeveloperUsers"]["AllowedPattern"])
    assert bool(pattern.fullmatch(value)) is allowed


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("logpipe-developers", True),
        ("Log Readers", True),  # a SAML group
        ("arn:aws:iam::111111111111:role/developers", True),
        ("*", False),
        ("dev*", False),
        ("dev?", False),
        ("", False),
        (" developers", False),
    ],
)
def test_developer_backend_role_is_never_a_wildcard(main, role, allowed):
    pattern = re.compile(main["Parameters"]["DeveloperBackendRole"]["AllowedPattern"])
    assert bool(pattern.fullmatch(role)) is allowed
    assert pattern.fullmatch(main["Parameters"]["DeveloperBackendRole"]["Default"])


def test_nothing_maps_a_wildcard(main):
    # Role mappings name concrete principals only: references to one role and one parameter whose
    # pattern refuses wildcards, never literal strings.
    p = props(setup_resource(main))
    for key in ("WriterBackendRoles", "ReaderBackendRoles"):
        for entry in p[key]:
            assert isinstance(entry, dict) and len(refs_to(entry)) == 1, f"{key}: {entry}"
            assert "*" not in json.dumps(entry), f"{key}: {entry}"
    assert "ReaderUsers" not in p


# ------------------------------------------------------------------ least privilege


def test_no_wildcard_resource_on_s3_firehose_kinesis_actions(main, member):
    for t in (main, member):
        for where, doc in policy_documents(t):
            for s in statements(doc):
                if s["Effect"] != "Allow":
                    continue
                actions = as_list(s["Action"])
                assert "*" not in actions and not any(a.endswith(":*") for a in actions), f"{where}: {actions}"
                touches = [a for a in actions if a.split(":")[0] in NAMED_RESOURCE_SERVICES]
                if touches:
                    for res in as_list(s["Resource"]):
                        assert res != "*", f"{where}: {touches} on *"
                        text = json.dumps(res)
                        assert not re.search(r'"arn:[^"]*:\*"', text), f"{where}: {touches} on {text}"


def test_each_function_role_names_its_streams_one_key_and_its_failed_prefix(main):
    for name, r in data_functions(main).items():
        (role,) = refs_to(props(r)["Role"])
        (doc,) = [d for where, d in policy_documents(main) if where.startswith(role + "/")]
        by_action: dict[str, list] = {}
        for s in statements(doc):
            for a in as_list(s["Action"]):
                by_action.setdefault(a, []).extend(as_list(s["Resource"]))
        env = props(r)["Environment"]["Variables"]
        if "Fn::Sub" in env["LOGPIPE_DELIVERY_STREAM"]:
            # firehose-transform: the stream's ARN spelled out (a GetAtt would be a circular dependency).
            stream = delivery_stream_of(main, r)
            (arn,) = by_action["firehose:PutRecordBatch"]
            stream_name = render_sub(main, props(main["Resources"][stream])["DeliveryStreamName"]["Fn::Sub"], {})
            assert render_sub(main, arn["Fn::Sub"], {}) == (
                f"arn:aws:firehose:eu-west-1:999999999999:deliverystream/{stream_name}"
            ), name
        else:
            env = props(r)["Environment"]["Variables"]
            streams = refs_to(env["LOGPIPE_DELIVERY_STREAM"]) | set(stream_map(env).values())
            puts = by_action["firehose:PutRecordBatch"]
            assert len(puts) == len(streams), f"{name}: {puts}"
            assert {json.dumps(x) for x in puts} == {json.dumps({"Fn::GetAtt": [s, "Arn"]}) for s in streams}, name
            assert [a for a in by_action if a.startswith("firehose:")] == ["firehose:PutRecordBatch"], name
        kms = {json.dumps(x) for a, rs in by_action.items() if a.startswith("kms:") for x in rs}
        assert kms == {json.dumps({"Fn::GetAtt": ["PipelineKey", "Arn"]})}, name
        puts = by_action["s3:PutObject"]
        assert {"Fn::Sub": "${FailedRecordBucket.Arn}/${FailedRecordPrefix}*"} in puts, name
        if "s3:GetObject" in by_action:
            (get,) = by_action["s3:GetObject"]
            assert "LogKeyPrefix" in json.dumps(get), f"{name}: GetObject not limited to the log prefix"


def test_every_lambda_permission_names_its_source(main, member):
    for t in (main, member):
        for name, r in resources(t, "AWS::Lambda::Permission").items():
            p = props(r)
            assert p.get("SourceArn"), f"{name}: no SourceArn"
            assert p.get("SourceAccount"), f"{name}: no SourceAccount"


def test_sam_transform_adds_no_permission_or_role(main, monkeypatch):
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    class NoManagedPolicies:
        def load(self):
            return {}

    template = json.loads(json.dumps(main))
    for r in resources(template, "AWS::Serverless::Function").values():
        r["Properties"]["CodeUri"] = "s3://artifacts/code.zip"  # as `sam deploy` uploads it
    out = transform(template, {}, NoManagedPolicies())["Resources"]
    for kind in ("AWS::Lambda::Permission", "AWS::IAM::Role", "AWS::Lambda::EventSourceMapping"):
        assert {n for n, r in out.items() if r["Type"] == kind} == set(resources(main, kind)), kind
    for name in resources(main, "AWS::Serverless::Function"):
        assert out[name]["Type"] == "AWS::Lambda::Function"
        assert out[name]["Properties"]["Architectures"] == ["arm64"]
    # The setup's CodeVersion is the version SAM publishes for the setup function's code.
    (version,) = refs_to(out["OpenSearchSetup"]["Properties"]["CodeVersion"])
    assert out[version]["Type"] == "AWS::Lambda::Version"
    assert out[version]["Properties"]["FunctionName"] == {"Ref": "OpenSearchSetupFunction"}


# ------------------------------------------------------------------ cross-account destination


def destination_policy(t: dict, values: dict[str, str]) -> dict | None:
    policy = props(t["Resources"]["LogDestination"])["DestinationPolicy"]
    org = bool(values.get("SenderOrganizationId"))
    accounts = bool(values.get("SenderAccountIds"))
    cond, org_policy, rest = policy["Fn::If"]
    assert cond == "HasSenderOrganization"
    if org:
        return json.loads(render_sub(t, org_policy["Fn::Sub"], values))
    cond, accounts_policy, none = rest["Fn::If"]
    assert cond == "HasSenderAccounts" and none == {"Ref": "AWS::NoValue"}
    if accounts:
        return json.loads(render_sub(t, accounts_policy["Fn::Sub"], values))
    return None


def test_destination_policy_admits_only_the_given_accounts_or_organization(main):
    resource = "arn:aws:logs:eu-west-1:999999999999:destination:logpipe-logpipe"
    accounts = destination_policy(main, {"SenderAccountIds": "111111111111,222222222222"})
    (s,) = accounts["Statement"]
    assert s["Principal"] == {"AWS": ["111111111111", "222222222222"]}
    assert s["Action"] == "logs:PutSubscriptionFilter" and s["Resource"] == resource
    org = destination_policy(main, {"SenderOrganizationId": "o-abcdefghij"})
    (s,) = org["Statement"]
    # CloudWatch Logs admits an organization only as principal "*" narrowed by aws:PrincipalOrgID.
    assert s["Principal"] == "*"
    assert s["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ["o-abcdefghij"]}}
    assert s["Action"] == "logs:PutSubscriptionFilter" and s["Resource"] == resource
    assert destination_policy(main, {}) is None
    for name in ("SenderAccountIds", "SenderOrganizationId"):
        assert main["Parameters"][name]["Default"] == ""


def test_destination_role_is_assumable_only_for_the_senders(main):
    role = props(main["Resources"]["DestinationRole"])
    (s,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert s["Principal"] == {"Service": "logs.amazonaws.com"}
    cond, org, accounts = s["Condition"]["Fn::If"]
    assert cond == "HasSenderOrganization"
    assert org == {"StringEquals": {"aws:SourceOrgID": {"Ref": "SenderOrganizationId"}}}
    assert set(accounts["StringEquals"]) == {"aws:SourceAccount"}
    (doc,) = [d for w, d in policy_documents(main) if w.startswith("DestinationRole/")]
    actions = {a for st in statements(doc) for a in as_list(st["Action"])}
    assert actions == {"kinesis:PutRecord", "kms:GenerateDataKey"}


def test_stream_is_kms_encrypted(main):
    for name, r in resources(main, "AWS::Kinesis::Stream").items():
        assert props(r)["StreamEncryption"]["EncryptionType"] == "KMS", name


# ------------------------------------------------------------------ buckets and triggers


def test_every_bucket_blocks_public_access_is_encrypted_versioned_and_denies_plain_http(main):
    policies = {
        next(iter(refs_to(props(r)["Bucket"]))): props(r)["PolicyDocument"]
        for r in resources(main, "AWS::S3::BucketPolicy").values()
    }
    for name, r in resources(main, "AWS::S3::Bucket").items():
        p = props(r)
        assert all(p["PublicAccessBlockConfiguration"][k] is True for k in (
            "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")), name
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert p["VersioningConfiguration"]["Status"] == "Enabled", name
        denies = [s for s in statements(policies[name]) if s["Effect"] == "Deny"]
        assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), name
        assert r.get("DeletionPolicy") == "Retain", name


def literal_prefix(pattern: str) -> str:
    return re.split(r"[*?]", pattern, maxsplit=1)[0]


def overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


@pytest.mark.parametrize("values", [{}, {"AlbLogKeyPrefix": "prod/", "CloudFrontLogKeyPrefix": "cdn/"}])
def test_triggers_never_fire_on_the_failed_record_bucket_or_prefix(main, values):
    failed_prefix = values.get("FailedRecordPrefix", main["Parameters"]["FailedRecordPrefix"]["Default"])
    failed_key = f"{failed_prefix}2026/11/22/05/AlbLogs-0f1e2d3c-0001.ndjson.gz"
    rules = resources(main, "AWS::Events::Rule")
    assert rules
    for name, r in rules.items():
        detail = props(r)["EventPattern"]["detail"]
        for bucket in detail["bucket"]["name"]:
            assert "FailedRecordBucket" not in refs_to(bucket) and "ArchiveBucket" not in refs_to(bucket), name
        for key in detail["object"]["key"]:
            (kind, pattern), = key.items()
            text = render_sub(main, pattern["Fn::Sub"], values) if isinstance(pattern, dict) else pattern
            prefix = literal_prefix(text) if kind == "wildcard" else text
            assert prefix, f"{name}: matches every key"
            assert not overlaps(prefix, failed_prefix), f"{name}: {text} overlaps {failed_prefix}"
            if kind == "wildcard":
                as_regex = ".*".join(re.escape(part) for part in text.split("*"))
                assert not re.fullmatch(as_regex, failed_key), f"{name}: {text} matches {failed_key}"
    for name, r in resources(main, "AWS::S3::Bucket").items():
        notifications = props(r).get("NotificationConfiguration", {})
        direct = {k for k in notifications if k != "EventBridgeConfiguration"}
        assert not direct, f"{name}: direct S3 notifications; use the EventBridge rules"
        if name in ("FailedRecordBucket", "ArchiveBucket"):
            assert not notifications, f"{name} must not announce its objects"


# ------------------------------------------------------------------ no subscription loops


def refuses_pipeline_groups(param: dict) -> bool:
    pattern = re.compile(param["AllowedPattern"])
    return not pattern.fullmatch("/logpipe/logpipe/alb-logs") and bool(pattern.fullmatch("/app/web"))


def test_pipeline_log_groups_are_never_subscribed(main, member):
    groups = resources(main, "AWS::Logs::LogGroup")
    for name, r in groups.items():
        assert props(r)["LogGroupName"]["Fn::Sub"].startswith("/logpipe/${AWS::StackName}/"), name
    for name, r in resources(main, "AWS::Serverless::Function").items():
        assert refs_to(props(r)["LoggingConfig"]["LogGroup"]) <= set(groups), name
    for t in (main, member):
        filters = resources(t, "AWS::Logs::SubscriptionFilter")
        assert filters
        for name, r in filters.items():
            (param,) = refs_to(props(r)["LogGroupName"])
            assert refuses_pipeline_groups(t["Parameters"][param]), f"{name}: {param} accepts /logpipe/"
    for name, r in resources(main, "AWS::Lambda::Permission").items():
        if props(r)["Principal"] == "logs.amazonaws.com":
            assert "log-group:${ForwardedLogGroup" in props(r)["SourceArn"]["Fn::Sub"], name


def test_member_template_role_only_for_organization_and_only_to_the_destination(member):
    role = member["Resources"]["SubscriptionRole"]
    assert role["Condition"] == "OrganizationRole"
    (doc,) = [d for _, d in policy_documents(member)]
    (s,) = statements(doc)
    assert s["Action"] == "logs:PutLogEvents" and s["Resource"] == {"Ref": "DestinationArn"}
    for name, r in resources(member, "AWS::Logs::SubscriptionFilter").items():
        assert props(r)["DestinationArn"] == {"Ref": "DestinationArn"}, name
        assert props(r)["RoleArn"]["Fn::If"][0] == "OrganizationRole", name


# ------------------------------------------------------------------ alarms, outputs, config


def alarms(t: dict) -> list[dict]:
    return [props(r) for r in resources(t, "AWS::CloudWatch::Alarm").values()]


def alarmed(t: dict, namespace: str, metric: str) -> set[str]:
    return {
        x
        for a in alarms(t)
        if a["Namespace"] == namespace and a["MetricName"] == metric
        for d in a["Dimensions"]
        for x in refs_to(d["Value"])
    }


def test_alarms_cover_functions_queues_streams_and_failed_records(main):
    # The setup function is not alarmed: a failed setup fails the deploy, which shows the reason.
    functions = set(data_functions(main))
    streams = set(resources(main, "AWS::KinesisFirehose::DeliveryStream"))
    assert alarmed(main, "AWS/Lambda", "Errors") == functions
    assert alarmed(main, "logpipe", "FailedStored") == functions
    assert alarmed(main, "AWS/SQS", "ApproximateNumberOfMessagesVisible") == set(resources(main, "AWS::SQS::Queue"))
    assert alarmed(main, "AWS/Firehose", "DeliveryToAmazonOpenSearchService.Success") == streams
    assert alarmed(main, "AWS/Firehose", "DeliveryToS3.Success") == streams
    assert alarmed(main, "AWS/Firehose", "DeliveryToAmazonOpenSearchService.DataFreshness") == streams
    for a in alarms(main):
        assert a["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    topic = props(main["Resources"]["AlarmTopic"])
    assert topic["KmsMasterKeyId"]
    assert main["Resources"]["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


# ------------------------------------------------------------------ optional application logs stream

APPLICATION_RESOURCES = {
    "FirehoseTransformFunctionLogGroup",
    "ApplicationFirehoseLogStream",
    "ApplicationFirehoseInvokePolicy",
    "ApplicationDeliveryStream",
    "FirehoseTransformRole",
    "FirehoseTransformFunction",
    "FirehoseTransformErrorsAlarm",
    "FirehoseTransformFailedStoredAlarm",
    "ApplicationProcessingFailureAlarm",
    "ApplicationDeliveryFailureAlarm",
    "ApplicationBackupFailureAlarm",
    "ApplicationFreshnessAlarm",
}


def test_application_stream_is_optional_and_off_by_default(main):
    param = main["Parameters"]["ApplicationLogsStream"]
    assert param["Default"] == "false"
    assert sorted(param["AllowedValues"]) == ["false", "true"]
    assert main["Conditions"]["CreateApplicationStream"] == {"Fn::Equals": [{"Ref": "ApplicationLogsStream"}, "true"]}
    conditional = {n for n, r in main["Resources"].items() if r.get("Condition") == "CreateApplicationStream"}
    assert conditional == APPLICATION_RESOURCES
    # Whatever refers to them exists only with them.
    for name, r in main["Resources"].items():
        if refs_to(r) & APPLICATION_RESOURCES:
            assert r.get("Condition") == "CreateApplicationStream", name
    for name, o in main["Outputs"].items():
        if refs_to(o) & APPLICATION_RESOURCES:
            assert o.get("Condition") == "CreateApplicationStream", name
    assert "ApplicationDeliveryStreamName" in main["Outputs"]


def test_application_stream_is_transformed_by_firehose_transform(main):
    stream = props(main["Resources"]["ApplicationDeliveryStream"])
    d = stream["AmazonopensearchserviceDestinationConfiguration"]
    assert d["IndexName"] == "logs-application"
    assert d["IndexRotationPeriod"] == "OneDay"
    assert d["S3Configuration"]["Prefix"] == "application/"
    assert d["ProcessingConfiguration"]["Enabled"] is True
    (processor,) = d["ProcessingConfiguration"]["Processors"]
    assert processor["Type"] == "Lambda"
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters["LambdaArn"] == {"Fn::GetAtt": ["FirehoseTransformFunction", "Arn"]}
    # Firehose's invocation buffer (at most 3 MB) keeps the request under Lambda's 6 MB.
    assert 0.2 <= float(parameters["BufferSizeInMBs"]) <= 3
    depends = as_list(main["Resources"]["ApplicationDeliveryStream"]["DependsOn"])
    assert {"OpenSearchSetup", "FirehosePolicy", "ApplicationFirehoseInvokePolicy"} <= set(depends)

    # Firehose's role may invoke that function and nothing else.
    invoke = [
        s
        for where, doc in policy_documents(main)
        for s in statements(doc)
        if any(a.startswith("lambda:") for a in as_list(s["Action"]))
    ]
    assert len(invoke) == 1
    assert sorted(as_list(invoke[0]["Action"])) == ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"]
    assert invoke[0]["Resource"] == {"Fn::GetAtt": ["FirehoseTransformFunction", "Arn"]}
    assert props(main["Resources"]["ApplicationFirehoseInvokePolicy"])["Roles"] == [{"Ref": "FirehoseRole"}]

    # The function re-ingests into that stream, has a timeout Firehose accepts (5 minutes at most)
    # and is invoked by Firehose only (no Lambda::Permission: Firehose invokes with its role).
    fn = main["Resources"]["FirehoseTransformFunction"]
    assert delivery_stream_of(main, fn) == "ApplicationDeliveryStream"
    assert props(fn)["Timeout"] <= 300
    for r in resources(main, "AWS::Lambda::Permission").values():
        assert "FirehoseTransformFunction" not in refs_to(props(r)["FunctionName"])
    alarmed_streams = alarmed(main, "AWS/Firehose", "ExecuteProcessing.Success")
    assert alarmed_streams == {"ApplicationDeliveryStream"}


def test_outputs(main):
    outputs = main["Outputs"]
    wanted = {
        "DomainEndpoint", "DashboardsUrl", "AlbDeliveryStreamName", "CloudFrontDeliveryStreamName",
        "CloudWatchDeliveryStreamName", "ArchiveBucketName", "FailedRecordBucketName", "AlbLogBucketName",
        "CloudFrontLogBucketName", "DestinationArn", "OpenSearchSetupReport", "MasterUserSecretArn",
    }
    assert wanted <= set(outputs)
    for stream in resources(main, "AWS::KinesisFirehose::DeliveryStream"):
        assert outputs[f"{stream}Name"]["Value"] == {"Ref": stream}, stream
    assert outputs["DashboardsUrl"]["Value"] == {"Fn::Sub": "https://${OpenSearchDomain.DomainEndpoint}/_dashboards"}
    assert outputs["MasterUserSecretArn"]["Value"] == {"Ref": "OpenSearchMasterUserSecret"}
    # The report names each Data attribute the handler returns, and nothing else.
    report = outputs["OpenSearchSetupReport"]["Value"]["Fn::Sub"]
    attributes = set(re.findall(r"\$\{OpenSearchSetup\.(\w+)\}", report))
    assert attributes == handler_data_keys() == {"Created", "Updated", "Unchanged"}


def test_every_checkov_skip_has_a_reason(main, member):
    for t in (main, member):
        for name, r in t["Resources"].items():
            for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
                assert len(skip.get("comment", "")) >= 40, f"{name}: {skip['id']} needs a written reason"


def test_samconfig_defaults():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    assert config["build"]["parameters"]["cached"] is True
    assert config["build"]["parameters"]["parallel"] is True
    assert config["validate"]["parameters"]["lint"] is True
    assert config["global"]["parameters"]["stack_name"]
    assert "CAPABILITY_IAM" in config["deploy"]["parameters"]["capabilities"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_load(name, tmp_path):
    template, values = VARIANTS[name]
    t = load_text(with_defaults((ROOT / template).read_text(), values), tmp_path, f"{name}.yaml")
    for param, value in values.items():
        assert str(t["Parameters"][param]["Default"]) == value

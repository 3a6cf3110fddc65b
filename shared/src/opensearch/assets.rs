//! The JSON assets in `shared/opensearch/`, embedded so that the Lambda function and the CLI apply
//! exactly what the repository holds.

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name it is applied under (template name), or its file name (dashboards).
    pub name: &'static str,
    /// The file's text.
    pub text: &'static str,
}

macro_rules! asset {
    ($name:expr, $path:expr) => {
        Asset {
            name: $name,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/opensearch/", $path)),
        }
    };
}

/// Component templates, applied before the index templates that compose them.
pub fn component_templates() -> &'static [Asset] {
    const A: &[Asset] = &[asset!("logpipe-common", "component-templates/logpipe-common.json")];
    A
}

/// One index template per log type, named `logpipe-<log_type>`, for the indices `logs-<log_type>-*`.
pub fn index_templates() -> &'static [Asset] {
    const A: &[Asset] = &[
        asset!("logpipe-alb", "index-templates/logs-alb.json"),
        asset!("logpipe-alb_connection", "index-templates/logs-alb_connection.json"),
        asset!("logpipe-nlb", "index-templates/logs-nlb.json"),
        asset!("logpipe-clb", "index-templates/logs-clb.json"),
        asset!("logpipe-cloudfront", "index-templates/logs-cloudfront.json"),
        asset!(
            "logpipe-cloudfront_realtime",
            "index-templates/logs-cloudfront_realtime.json"
        ),
        asset!("logpipe-s3_access", "index-templates/logs-s3_access.json"),
        asset!("logpipe-vpcflow", "index-templates/logs-vpcflow.json"),
        asset!("logpipe-waf", "index-templates/logs-waf.json"),
        asset!("logpipe-cloudtrail", "index-templates/logs-cloudtrail.json"),
        asset!("logpipe-apigateway", "index-templates/logs-apigateway.json"),
        asset!("logpipe-cloudwatch", "index-templates/logs-cloudwatch.json"),
        asset!("logpipe-application", "index-templates/logs-application.json"),
        asset!("logpipe-unknown", "index-templates/logs-unknown.json"),
    ];
    A
}

/// Dashboards saved objects, NDJSON, index patterns first (the others refer to them).
pub fn dashboards() -> &'static [Asset] {
    const A: &[Asset] = &[
        asset!("index-patterns.ndjson", "dashboards/index-patterns.ndjson"),
        asset!("alb.ndjson", "dashboards/alb.ndjson"),
        asset!("cloudfront.ndjson", "dashboards/cloudfront.ndjson"),
        asset!("nlb.ndjson", "dashboards/nlb.ndjson"),
        asset!("clb.ndjson", "dashboards/clb.ndjson"),
        asset!("s3_access.ndjson", "dashboards/s3_access.ndjson"),
        asset!("vpcflow.ndjson", "dashboards/vpcflow.ndjson"),
        asset!("waf.ndjson", "dashboards/waf.ndjson"),
        asset!("cloudtrail.ndjson", "dashboards/cloudtrail.ndjson"),
        asset!("apigateway.ndjson", "dashboards/apigateway.ndjson"),
        asset!("errors.ndjson", "dashboards/errors.ndjson"),
    ];
    A
}

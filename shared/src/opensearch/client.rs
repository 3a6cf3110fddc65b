//! HTTP to an OpenSearch domain and its Dashboards: the narrow trait the setup talks through, and its
//! implementation over hyper with SigV4 (IAM) or basic auth (an internal user).

use super::SetupError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// Which server a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The OpenSearch REST API.
    Api,
    /// The OpenSearch Dashboards API (`/_dashboards` on an AWS domain).
    Dashboards,
}

/// One request.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Which server.
    pub target: Target,
    /// `GET`, `PUT` or `POST`.
    pub method: &'static str,
    /// Path and query, starting with `/`.
    pub path: String,
    /// A JSON body.
    pub body: Option<Vec<u8>>,
}

/// One answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// The only way the setup reaches OpenSearch.
pub trait OpenSearchHttp: Send + Sync {
    /// Sends one request and returns the answer, whatever its status.
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, SetupError>> + Send;
}

/// How requests are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// No authentication (a local OpenSearch without the security plugin).
    None,
    /// HTTP basic auth as an internal user.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// AWS SigV4 with these credentials, for service `es`.
    SigV4 {
        /// Where credentials come from (refreshed as they expire).
        credentials: SharedCredentialsProvider,
        /// The domain's region.
        region: String,
    },
}

impl std::fmt::Debug for Auth {
    // Never print credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            Auth::SigV4 { region, .. } => write!(f, "SigV4({region})"),
        }
    }
}

impl Auth {
    /// SigV4 with the standard AWS credential chain (environment, profile, the Lambda role) and
    /// `region`, or the configured region when `None`.
    pub async fn from_aws_environment(region: Option<String>) -> Result<Auth, SetupError> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let region = region
            .or_else(|| config.region().map(|r| r.to_string()))
            .ok_or_else(|| SetupError::Config("no AWS region: set AWS_REGION or --region".into()))?;
        let credentials = config
            .credentials_provider()
            .ok_or_else(|| SetupError::Signing("no AWS credential provider".into()))?;
        Ok(Auth::SigV4 { credentials, region })
    }
}

/// The hyper-based client (HTTPS with the system's roots, or plain HTTP for local servers).
#[derive(Clone)]
pub struct HttpClient {
    api: String,
    dashboards: String,
    auth: Auth,
    timeout: Duration,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("api", &self.api)
            .field("dashboards", &self.dashboards)
            .field("auth", &self.auth)
            .finish()
    }
}

impl HttpClient {
    /// A client for the domain at `endpoint` (`https://search-….es.amazonaws.com`, or
    /// `http://127.0.0.1:9200`); Dashboards is at `dashboards` (by default `<endpoint>/_dashboards`,
    /// where AWS serves it).
    pub fn new(endpoint: &str, dashboards: Option<&str>, auth: Auth) -> Result<HttpClient, SetupError> {
        let api = endpoint.trim_end_matches('/').to_owned();
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(SetupError::Config(format!(
                "endpoint `{endpoint}` must start with https:// or http://"
            )));
        }
        let dashboards =
            dashboards.map_or_else(|| format!("{api}/_dashboards"), |d| d.trim_end_matches('/').to_owned());
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| SetupError::Config(format!("TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(tls);
        Ok(HttpClient {
            api,
            dashboards,
            auth,
            timeout: Duration::from_secs(30),
            client,
        })
    }

    /// A plain `PUT` of a body to a full URL, with no authentication and no content type: how a
    /// custom resource answers CloudFormation (a presigned S3 URL).
    pub async fn put_url(&self, url: &str, body: Vec<u8>) -> Result<u16, SetupError> {
        let transport = |message: String| SetupError::Transport {
            path: url.split('?').next().unwrap_or_default().to_owned(),
            message,
        };
        let request = http::Request::put(url)
            .header("content-length", body.len())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| transport(e.to_string()))?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| transport("timed out".into()))?
            .map_err(|e| transport(e.to_string()))?;
        Ok(response.status().as_u16())
    }

    async fn sign(&self, request: &mut http::Request<Full<Bytes>>, body: &[u8]) -> Result<(), SetupError> {
        match &self.auth {
            Auth::None => Ok(()),
            Auth::Basic { user, password } => {
                use base64::Engine;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                let value = format!("Basic {token}")
                    .parse()
                    .map_err(|_| SetupError::Config("user name or password holds characters a header cannot".into()))?;
                request.headers_mut().insert(http::header::AUTHORIZATION, value);
                Ok(())
            }
            Auth::SigV4 { credentials, region } => {
                use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
                let creds = credentials
                    .provide_credentials()
                    .await
                    .map_err(|e| SetupError::Signing(format!("no AWS credentials: {e}")))?;
                let identity = creds.into();
                let params = aws_sigv4::sign::v4::SigningParams::builder()
                    .identity(&identity)
                    .region(region)
                    .name("es")
                    .time(SystemTime::now())
                    .settings(SigningSettings::default())
                    .build()
                    .map_err(|e| SetupError::Signing(e.to_string()))?
                    .into();
                let headers: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                    .collect();
                let signable = SignableRequest::new(
                    request.method().as_str(),
                    request.uri().to_string(),
                    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    SignableBody::Bytes(body),
                )
                .map_err(|e| SetupError::Signing(e.to_string()))?;
                let (instructions, _) = sign(signable, &params)
                    .map_err(|e| SetupError::Signing(e.to_string()))?
                    .into_parts();
                instructions.apply_to_request_http1x(request);
                Ok(())
            }
        }
    }
}

impl OpenSearchHttp for HttpClient {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, SetupError> {
        let base = match req.target {
            Target::Api => &self.api,
            Target::Dashboards => &self.dashboards,
        };
        let url = format!("{base}{}", req.path);
        let transport = |message: String| SetupError::Transport {
            path: req.path.clone(),
            message,
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| transport(e.to_string()))?;
        let host = uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
        let body = req.body.clone().unwrap_or_default();
        let mut builder = http::Request::builder()
            .method(req.method)
            .uri(uri)
            .header(http::header::HOST, host)
            .header(http::header::ACCEPT, "application/json");
        if req.body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        if req.target == Target::Dashboards {
            // Dashboards refuses state-changing calls without it (cross-site request forgery guard),
            // and the security plugin puts shared objects in the global tenant with it.
            builder = builder.header("osd-xsrf", "true").header("securitytenant", "global");
        }
        let mut request = builder
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(|e| transport(e.to_string()))?;
        self.sign(&mut request, &body).await?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| transport(format!("no answer in {} s", self.timeout.as_secs())))?
            .map_err(|e| transport(error_chain(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(e.to_string()))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse { status, body })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

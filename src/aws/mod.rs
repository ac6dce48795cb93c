//! The AWS edge: [`SdkBackend`], the AWS SDK for Rust set up with awsgate's own credentials
//! (the standard `aws-config` chain, including `AWS_ENDPOINT_URL`), its [`Clients`] that each
//! tool's call uses, and the mapping of SDK answers and errors into what the gate records.

#[cfg(feature = "bench-backend")]
mod instant;
mod sessions;

use std::time::Duration;

use aws_config::{BehaviorVersion, retry::RetryConfig, timeout::TimeoutConfig};
use aws_credential_types::provider::future::ProvideCredentials as CredentialsFuture;
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::date_time::{DateTime, Format};
use aws_types::request_id::RequestId;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::scrub::{Scrubber, Secret};

/// A successful AWS answer, already in the tool's output shape.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsResponse {
    /// The structured result, with AWS field names.
    pub body: Value,
    /// The AWS request id.
    pub request_id: Option<String>,
    /// The caller's role session the call was made in, when the policy names accounts.
    pub session: Option<SessionRef>,
}

#[cfg(feature = "bench-backend")]
pub use instant::InstantAws;
pub use sessions::{OnBehalf, RoleSessions, SessionRef, session_policy};

/// One `[[aws.account]]`: a role awsgate assumes in it for each caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Its name in the policy.
    pub name: String,
    /// Its twelve-digit id (from the role's ARN).
    pub id: String,
    /// The role assumed.
    pub role_arn: String,
    /// Where the role's external id is kept, when it has one.
    pub external_id_file: Option<std::path::PathBuf>,
    /// How long a role session lasts.
    #[serde(with = "crate::clock::human_duration")]
    pub session_duration: Duration,
    /// Whether each session is scoped to the one call it is for.
    pub scope: SessionScope,
}

/// What a role session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionScope {
    /// Whatever the role allows: one session per caller.
    #[default]
    Caller,
    /// Exactly the call's IAM actions on exactly its resource ARNs, through an inline session
    /// policy: even a mistake in awsgate's own policy engine cannot make the credentials do
    /// more. Sessions for identical scopes are reused while valid.
    Call,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallError {
    /// AWS answered with an error.
    #[error("{code}: {message}")]
    Aws {
        /// The AWS error code, e.g. `NoSuchBucket`.
        code: String,
        /// AWS's message.
        message: String,
        /// The AWS request id.
        request_id: Option<String>,
    },
    /// AWS could not be reached in time (timeout, connection refused, DNS).
    #[error("{0}")]
    Unreachable(String),
    /// The call reached AWS but its answer is not something this tool returns.
    #[error("{0}")]
    Unsupported(String),
    /// No role session could be had for the call, so nothing was sent to the service.
    #[error("{0}; nothing was sent to the service")]
    NoSession(String),
}

impl CallError {
    /// The error code recorded in the audit log.
    pub fn code(&self) -> &str {
        match self {
            CallError::Aws { code, .. } => code,
            CallError::Unreachable(_) => "Unreachable",
            CallError::Unsupported(_) => "Unsupported",
            CallError::NoSession(_) => "RoleSessionRefused",
        }
    }

    /// The AWS request id, when AWS answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            CallError::Aws { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// Why the AWS configuration could not be set up.
#[derive(Debug, Error)]
pub enum SetupError {
    /// No region in env, profile or IMDS.
    #[error("no AWS region is configured: set `AWS_REGION` (or a region in your AWS profile)")]
    NoRegion,
}

/// AWS SDK clients for every service in the catalogue.
#[derive(Debug, Clone)]
pub struct Clients {
    /// The region they call.
    pub region: String,
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// EC2.
    pub ec2: aws_sdk_ec2::Client,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
}

impl Clients {
    /// The clients of every service, from `config`, calling `region`.
    pub fn from_config(config: &aws_config::SdkConfig, region: &str, path_style: bool) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build();
        Clients {
            region: region.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
        }
    }
}

/// The clients with awsgate's own credentials, the region they call, and the role sessions
/// of the accounts a policy names.
#[derive(Debug, Clone)]
pub struct SdkBackend {
    region: String,
    clients: Clients,
    sessions: std::sync::Arc<RoleSessions>,
}

impl SdkBackend {
    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The clients with awsgate's own credentials.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The role sessions.
    pub fn sessions(&self) -> &RoleSessions {
        &self.sessions
    }

    /// Clients with awsgate's own credentials calling `region`.
    pub fn own_clients(&self, region: &str) -> Clients {
        if region == self.region {
            self.clients.clone()
        } else {
            self.sessions.own_clients(region)
        }
    }
}

/// How awsgate calls AWS: `[aws] connect_timeout`, `call_timeout`, `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallSettings {
    /// Waiting for a connection.
    #[serde(with = "crate::clock::human_duration")]
    pub connect_timeout: Duration,
    /// One call, retries included.
    #[serde(with = "crate::clock::human_duration")]
    pub call_timeout: Duration,
    /// Attempts per call (throttling and transient errors are retried with backoff).
    pub max_attempts: u32,
}

impl Default for CallSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(45),
            max_attempts: 3,
        }
    }
}

/// The loaded backend and the credential values the scrubber must hide.
#[derive(Debug)]
pub struct Configured {
    /// The backend.
    pub backend: SdkBackend,
    /// Scrubs awsgate's own secret access key and session token: those resolved at start,
    /// and every set the SDK resolves later (rotations), which it learns as they come.
    pub scrubber: Scrubber,
    /// Whether `AWS_ENDPOINT_URL` (or a profile's endpoint) overrides AWS.
    pub endpoint_override: Option<String>,
}

impl SdkBackend {
    /// Loads the standard AWS configuration chain and builds the clients, with `settings`'
    /// timeouts and retries (standard retry mode: exponential backoff with jitter, throttling
    /// and transient errors retried).
    pub async fn load(settings: CallSettings) -> Result<Configured, SetupError> {
        let attempts = settings.max_attempts.max(1);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(settings.connect_timeout)
                    .operation_attempt_timeout(settings.call_timeout / attempts)
                    .operation_timeout(settings.call_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(attempts))
            .load()
            .await;
        let region = config.region().ok_or(SetupError::NoRegion)?.to_string();
        let endpoint_override = config.endpoint_url().map(str::to_owned);
        let scrubber = Scrubber::default();
        let config = match config.credentials_provider() {
            Some(inner) => config
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(Learning {
                    inner,
                    scrubber: scrubber.clone(),
                }))
                .build(),
            None => config,
        };
        match config.credentials_provider() {
            Some(provider) => match provider.provide_credentials().await {
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    "no AWS credentials could be resolved ({}); calls will fail until they can",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ),
            },
            None => tracing::warn!("no AWS credentials provider is configured; calls will fail"),
        }
        let path_style = endpoint_override.is_some();
        Ok(Configured {
            backend: SdkBackend {
                region: region.clone(),
                clients: Clients::from_config(&config, &region, path_style),
                sessions: std::sync::Arc::new(RoleSessions::new(
                    config,
                    scrubber.clone(),
                    path_style,
                )),
            },
            scrubber,
            endpoint_override,
        })
    }
}

/// The credentials provider the SDK uses, wrapped so that every set of credentials it
/// resolves — at start and at each rotation — is added to the scrubber before use.
#[derive(Debug)]
struct Learning {
    inner: SharedCredentialsProvider,
    scrubber: Scrubber,
}

impl ProvideCredentials for Learning {
    fn provide_credentials<'a>(&'a self) -> CredentialsFuture<'a>
    where
        Self: 'a,
    {
        CredentialsFuture::new(async move {
            let creds = self.inner.provide_credentials().await?;
            let mut learnt = vec![Secret::new(creds.secret_access_key())];
            learnt.extend(creds.session_token().map(Secret::new));
            self.scrubber.learn(learnt);
            Ok(creds)
        })
    }
}

/// Turns any SDK error into a [`CallError`] with the AWS code, message and request id.
pub fn sdk_error<E, R>(err: SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
    SdkError<E, R>: RequestId,
{
    match &err {
        SdkError::TimeoutError(_) => CallError::Unreachable("AWS did not answer in time".into()),
        SdkError::DispatchFailure(f) => CallError::Unreachable(if f.is_timeout() {
            "AWS did not answer in time".into()
        } else {
            "could not reach AWS (connection failed)".into()
        }),
        SdkError::ConstructionFailure(_) => {
            CallError::Unsupported("awsgate could not build the AWS request".into())
        }
        SdkError::ResponseError(_) => CallError::Unsupported(
            "AWS answered, but its answer could not be read (not the shape the API defines)".into(),
        ),
        _ => CallError::Aws {
            code: err.code().unwrap_or("Unknown").to_owned(),
            message: err
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| "AWS returned an error without a message".into()),
            request_id: err.request_id().map(str::to_owned),
        },
    }
}

/// How long an agent is told to wait after AWS throttled a call through every retry.
pub const THROTTLED_RETRY_SECS: u64 = 5;

/// Whether an AWS error code means "slow down" (the SDK retries these with backoff first).
pub fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded"
            | "RequestThrottled"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "EC2ThrottledException"
    )
}

/// A timestamp as RFC 3339.
pub fn timestamp(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
}

/// Builds the response from an output struct of the catalogue.
pub fn respond(body: impl Serialize, request_id: Option<&str>) -> Result<AwsResponse, CallError> {
    let body = serde_json::to_value(body)
        .map_err(|e| CallError::Unsupported(format!("cannot encode the AWS response: {e}")))?;
    Ok(AwsResponse {
        body,
        request_id: request_id.map(str::to_owned),
        session: None,
    })
}

/// `Some(s)` for non-empty text.
pub fn text(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Credentials that change at every resolution, as an instance role's do at each rotation.
    #[derive(Debug, Default)]
    struct Rotating(AtomicU32);

    impl ProvideCredentials for Rotating {
        fn provide_credentials<'a>(&'a self) -> CredentialsFuture<'a>
        where
            Self: 'a,
        {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            CredentialsFuture::ready(Ok(aws_sdk_s3::config::Credentials::new(
                "ASIAROTATINGKEY00001",
                format!("rotatingSecretNumber{n:04}/abcdefghijklmnopqrst"),
                Some(format!("IQoJb3JpZ2luX2VjRotatingSessionToken{n:04}")),
                None,
                "test",
            )))
        }
    }

    /// Regression (review finding): the scrubber learnt awsgate's credentials once at start,
    /// so rotated ones were never scrubbed.
    #[tokio::test]
    async fn every_credential_the_sdk_resolves_is_learnt_by_the_scrubber() {
        let scrubber = Scrubber::default();
        let learning = Learning {
            inner: SharedCredentialsProvider::new(Rotating::default()),
            scrubber: scrubber.clone(),
        };
        for n in 0..3 {
            let creds = learning.provide_credentials().await.unwrap();
            let said = format!(
                "leaked {} and {}",
                creds.secret_access_key(),
                creds.session_token().unwrap()
            );
            assert_eq!(
                scrubber.text(&said),
                "leaked [MASKED:awsgate-credential] and [MASKED:awsgate-credential]",
                "rotation {n}"
            );
        }
    }
}

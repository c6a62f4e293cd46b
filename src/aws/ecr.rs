//! The token calls: ECR's GetAuthorizationToken for a private registry (with `registryIds`, or
//! without for the caller's own registry), ECR Public's for the public one, and the FIPS and
//! dual-stack endpoints a host names.

use aws_credential_types::Credentials;

use aws_sdk_ecr::config::SharedInterceptor;

use super::attempts::Attempts;
use super::classify::{Context, bad_response, classify, to_unix};
use super::seam::{FetchRequest, Target};
use super::setup::load_config;
use super::sts::{credential_source, principal_credentials};
use crate::auth_token::IssuedToken;
use crate::error::Error;
use crate::partition::PUBLIC_API_REGION;
use crate::registry::{PrivateRegistry, Registry};
use crate::secret::Secret;

/// How the trace names the token calls.
const GET_TOKEN: &str = "ECR GetAuthorizationToken";
const GET_PUBLIC_TOKEN: &str = "ECR Public GetAuthorizationToken";

/// Fetches the tokens `request` asks for: the SDK configured for its region, the principal's
/// credentials, then ECR or ECR Public.
pub(super) async fn fetch_tokens(request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
    let region = match request.target {
        Target::Registry(Registry::Private(r)) => r.region.as_str(),
        Target::Registry(Registry::Public(_)) => PUBLIC_API_REGION,
        Target::Default { region } => region,
    };
    let label = request.target.label();
    let cx = Context { registry: &label, region, identity: request.identity, timeout: request.timeout };
    let config = load_config(region, request.timeout, request.identity).await?;
    let credentials = principal_credentials(&config, request.principal, &cx).await?;
    request.trace.note(|| {
        let source = credential_source(&credentials, request.principal);
        format!("credentials: access key id {} from {source}", credentials.access_key_id())
    });
    // An endpoint the user configured wins: the SDK refuses it together with FIPS or dual-stack.
    let honour_host_flags = !request.identity.endpoint_configured;
    let attempts = |call| Attempts::when_tracing(request.trace, call).map(SharedInterceptor::new);
    match request.target {
        Target::Registry(Registry::Private(registry)) => {
            let mut conf = private_client_builder(&config, credentials, registry, honour_host_flags);
            if let Some(attempts) = attempts(GET_TOKEN) {
                conf.push_interceptor(attempts);
            }
            fetch_private(conf.build(), registry, &cx).await
        }
        Target::Default { .. } => {
            let mut conf = aws_sdk_ecr::config::Builder::from(&config).credentials_provider(credentials);
            if let Some(attempts) = attempts(GET_TOKEN) {
                conf.push_interceptor(attempts);
            }
            fetch_default(conf.build(), &cx).await
        }
        Target::Registry(Registry::Public(public)) => {
            let mut conf = aws_sdk_ecrpublic::config::Builder::from(&config)
                .credentials_provider(credentials)
                .use_dual_stack(honour_host_flags && public.dual_stack);
            if let Some(attempts) = attempts(GET_PUBLIC_TOKEN) {
                conf.push_interceptor(attempts);
            }
            let conf = conf.build();
            let output = aws_sdk_ecrpublic::Client::from_conf(conf)
                .get_authorization_token()
                .send()
                .await
                .map_err(|e| classify(&e, &cx))?;
            let data = output.authorization_data().ok_or_else(|| bad_response(&cx, "no authorizationData"))?;
            let token = data.authorization_token().ok_or_else(|| bad_response(&cx, "no authorizationToken"))?;
            Ok(vec![IssuedToken {
                authorization_token: Secret::new(token.to_string()),
                expires_at: data.expires_at().and_then(to_unix),
                proxy_endpoint: None,
            }])
        }
    }
}

/// The ECR client settings for one private registry: the host's region, and the FIPS and
/// dual-stack endpoints when the host names them and no endpoint was configured explicitly. A
/// builder, so that the trace's interceptor can still be added.
pub(super) fn private_client_builder(
    config: &aws_config::SdkConfig,
    credentials: Credentials,
    registry: &PrivateRegistry,
    honour_host_flags: bool,
) -> aws_sdk_ecr::config::Builder {
    let mut builder = aws_sdk_ecr::config::Builder::from(config).credentials_provider(credentials);
    if honour_host_flags && registry.fips {
        builder = builder.use_fips(true);
    }
    if honour_host_flags && registry.dual_stack {
        builder = builder.use_dual_stack(true);
    }
    builder
}

async fn fetch_private(
    conf: aws_sdk_ecr::Config,
    registry: &PrivateRegistry,
    cx: &Context<'_>,
) -> Result<Vec<IssuedToken>, Error> {
    // `registryIds` is deprecated in the SDK (it does not change the token's scope), but it makes
    // the answer name the requested account, which is then checked.
    #[allow(deprecated)]
    let output = aws_sdk_ecr::Client::from_conf(conf)
        .get_authorization_token()
        .registry_ids(&registry.account)
        .send()
        .await
        .map_err(|e| classify(&e, cx))?;
    issued_tokens(&output, cx)
}

/// The caller's own registry in the configuration's region: GetAuthorizationToken with no
/// `registryIds`, with the SDK's own endpoint settings (there is no host yet to take flags from).
async fn fetch_default(conf: aws_sdk_ecr::Config, cx: &Context<'_>) -> Result<Vec<IssuedToken>, Error> {
    let output =
        aws_sdk_ecr::Client::from_conf(conf).get_authorization_token().send().await.map_err(|e| classify(&e, cx))?;
    issued_tokens(&output, cx)
}

/// The tokens of a private GetAuthorizationToken answer; none is a bad answer.
fn issued_tokens(
    output: &aws_sdk_ecr::operation::get_authorization_token::GetAuthorizationTokenOutput,
    cx: &Context<'_>,
) -> Result<Vec<IssuedToken>, Error> {
    let issued: Vec<IssuedToken> = output
        .authorization_data()
        .iter()
        .filter_map(|data| {
            Some(IssuedToken {
                authorization_token: Secret::new(data.authorization_token()?.to_string()),
                expires_at: data.expires_at().and_then(to_unix),
                proxy_endpoint: data.proxy_endpoint().map(str::to_string),
            })
        })
        .collect();
    if issued.is_empty() {
        return Err(bad_response(cx, "no authorizationData with a token"));
    }
    Ok(issued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use std::sync::{Arc, Mutex};

    /// An HTTP connector that records each request's URL and fails it.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl HttpConnector for Recorder {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            self.0.lock().unwrap().push(request.uri().to_string());
            HttpConnectorFuture::ready(Err(ConnectorError::other("recorded, not sent".into(), None)))
        }
    }

    /// The URL that the ECR client built for `host` sends GetAuthorizationToken to.
    fn called_url(host: &str, honour_host_flags: bool) -> String {
        let Ok(Registry::Private(registry)) = crate::registry::parse(host) else { panic!("{host}") };
        let recorder = Recorder::default();
        let connector = recorder.clone();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(crate::aws::setup::behavior_version())
            .region(aws_config::Region::new(registry.region.clone()))
            .http_client(http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone())))
            .build();
        let credentials = Credentials::new("AKIDTEST", "not-a-secret", None, None, "test");
        let conf = private_client_builder(&sdk, credentials, &registry, honour_host_flags).build();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        #[allow(deprecated)]
        let result = runtime.block_on(
            aws_sdk_ecr::Client::from_conf(conf).get_authorization_token().registry_ids(&registry.account).send(),
        );
        assert!(result.is_err());
        let urls = recorder.0.lock().unwrap();
        urls.first().cloned().unwrap_or_default()
    }

    #[test]
    fn a_fips_host_calls_the_fips_endpoint() {
        let url = called_url("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", true);
        assert_eq!(url, "https://api.ecr-fips.us-east-1.amazonaws.com/");
    }

    #[test]
    fn a_dual_stack_host_calls_the_dual_stack_endpoint() {
        let url = called_url("123456789012.dkr-ecr.eu-west-1.on.aws", true);
        assert_eq!(url, "https://ecr.eu-west-1.api.aws/");
    }

    #[test]
    fn a_plain_host_calls_the_regional_endpoint_of_its_partition() {
        assert_eq!(
            called_url("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", true),
            "https://api.ecr.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            called_url("123456789012.dkr.ecr.eu-west-1.amazonaws.com", true),
            "https://api.ecr.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn a_configured_endpoint_switches_the_host_flags_off() {
        let url = called_url("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", false);
        assert_eq!(url, "https://api.ecr.us-east-1.amazonaws.com/");
    }
}

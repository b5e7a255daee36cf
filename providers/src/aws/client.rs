//! The AWS side of a scan: SDK configuration (standard credential chain, endpoint
//! overrides, timeouts, retries), one client per region, API call counting, error
//! classification, and the scan of regions in parallel.

use super::error::{ListErrorKind, NO_CREDENTIALS};
use super::ListError;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use driftd_core::model::{Cloud, Resource};
use driftd_core::snapshot::{Scan, ScanFailure, Snapshot};
use driftd_core::Error;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Regions; empty: the region of the AWS config (AWS_REGION, profile).
    pub regions: Vec<String>,
    /// Every region the account has enabled (ec2:DescribeRegions).
    pub all_regions: bool,
    /// Accounts to scan; empty: the credentials' own account only.
    pub accounts: Vec<AssumeRole>,
    /// Terraform types not to read (not permitted, or not wanted): not covered.
    pub skip_types: Vec<String>,
    /// Read these resources only (a re-read after events), in their regions; empty: every
    /// resource of every type.
    pub only: Vec<Wanted>,
}

/// One resource to read again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wanted {
    /// `None`: in whichever account is scanned.
    pub account: Option<String>,
    pub region: String,
    pub tf_type: String,
    pub id: String,
}

/// Of `only`, the ids wanted in one account and region, by type.
fn wanted_in(only: &[Wanted], account: &str, region: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for w in only.iter().filter(|w| w.region == region && w.account.as_deref().is_none_or(|a| a == account)) {
        out.entry(w.tf_type.clone()).or_default().push(w.id.clone());
    }
    out
}

/// An account to scan: through sts:AssumeRole, or (no role) the credentials' own.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

/// Counts every attempt the SDK makes (retries included): the report's `api_calls`.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicU64>);

impl CallCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "driftd::CallCounter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        if crate::trace::enabled() {
            if let Some(meta) = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>() {
                crate::trace::record(&iam_action(meta.service(), meta.name()));
            }
        }
        Ok(())
    }
}

/// A type's lister: every live resource of that type in one region.
pub type Lister =
    for<'a> fn(&'a RegionCx) -> Pin<Box<dyn Future<Output = Result<Vec<Resource>, ListError>> + Send + 'a>>;

/// SDK service and operation names to an IAM action: ("Auto Scaling", "DescribeAutoScalingGroups")
/// -> "autoscaling:DescribeAutoScalingGroups".
pub fn iam_action(service: &str, operation: &str) -> String {
    let prefix: String = service.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    format!("{prefix}:{operation}")
}

/// Everything one region's listers need.
pub struct RegionCx {
    pub region: String,
    pub account: String,
    pub ec2: aws_sdk_ec2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub eks: aws_sdk_eks::Client,
    pub calls: CallCounter,
    /// Where EC2 calls go, for messages.
    pub endpoint: String,
    pub autoscaling_endpoint: String,
    pub eks_endpoint: String,
    /// A re-read: the ids wanted, by type (a lister may filter its calls by them; the
    /// scan keeps only these). `None`: everything.
    pub only: Option<HashMap<String, Vec<String>>>,
}

impl RegionCx {
    /// The ids of `tf_type` a re-read wants; `None` when every resource is read.
    pub fn only(&self, tf_type: &str) -> Option<&[String]> {
        self.only.as_ref().map(|o| o.get(tf_type).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// The SDK configuration of a run: the standard chain (env, profile, web identity,
/// instance role), `AWS_ENDPOINT_URL*`, a timeout on every operation, and the standard
/// retry mode (exponential backoff with jitter on throttling and transient errors).
/// The region the AWS config gives (AWS_REGION, AWS_DEFAULT_REGION, the profile), if any.
pub async fn default_region() -> Option<String> {
    sdk_config().await.region().map(|r| r.to_string())
}

pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                // Unreachable is decided by the connect timeout (3 s x 3 attempts < 30 s);
                // a reachable endpoint may take its time over a 1000-instance page.
                .connect_timeout(Duration::from_secs(3))
                .read_timeout(Duration::from_secs(45))
                .operation_attempt_timeout(Duration::from_secs(60))
                .operation_timeout(Duration::from_secs(150))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(200)))
        .load()
        .await
}

/// The endpoint a service's calls go to, for messages (never with credentials).
pub fn endpoint_for(service: &str, region: &str) -> String {
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    std::env::var(specific)
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| format!("https://{service}.{region}.amazonaws.com"))
}

/// Scan every region concurrently. A region that fails is reported in its scan (the
/// check then exits 3); credentials or STS failing fails the whole provider.
pub async fn scan(opts: &AwsOptions, taken_at: String) -> Result<Snapshot, Error> {
    for t in &opts.skip_types {
        if !super::TYPES.iter().any(|s| s.spec.tf_type == t) {
            return Err(Error::input("aws.skip_types", format!("{t:?} is not an AWS type driftd reads")));
        }
    }
    let base = sdk_config().await;
    let mut snapshot = Snapshot::new(taken_at);
    if opts.accounts.is_empty() {
        scan_account(&base, opts, &mut snapshot).await?;
    }
    for role in &opts.accounts {
        scan_account(&account_config(&base, role).await, opts, &mut snapshot).await?;
    }
    Ok(snapshot)
}

/// The SDK configuration of one account: the credentials' own (no role), or the role's
/// through sts:AssumeRole.
pub(crate) async fn account_config(base: &SdkConfig, role: &AssumeRole) -> SdkConfig {
    let Some(role_arn) = &role.role_arn else { return base.clone() };
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(role.session_name.clone().unwrap_or_else(|| "driftd".into()))
        .configure(base);
    if let Some(id) = &role.external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    base.to_builder().credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(provider)).build()
}

/// One account: its id (sts:GetCallerIdentity), its regions, every region in parallel.
async fn scan_account(config: &SdkConfig, opts: &AwsOptions, snapshot: &mut Snapshot) -> Result<(), Error> {
    let default_region = config.region().map(|r| r.to_string());
    let home = match (&default_region, opts.regions.first()) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => {
            return Err(Error::input(
                "--provider aws",
                "no AWS region: nothing declared names one; set AWS_REGION, a profile region, or --region",
            ))
        }
    };
    let calls = CallCounter::default();
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(config).region(Region::new(home.clone())).interceptor(calls.clone()).build(),
    );
    let identity = match sts.get_caller_identity().send().await {
        Ok(identity) => identity,
        Err(e) => {
            let e = ListError::from_sdk("sts:GetCallerIdentity", &home, &endpoint_for("sts", &home), e);
            let e = match e.kind {
                ListErrorKind::BadCredentials if e.message != NO_CREDENTIALS => {
                    let source = credential_source(config).await;
                    e.with_credential_source(&source)
                }
                _ => e,
            };
            return Err(e.into_error());
        }
    };
    let account = identity.account().unwrap_or_default().to_string();
    let regions: Vec<String> = if !opts.only.is_empty() {
        let mut wanted: Vec<String> = opts
            .only
            .iter()
            .filter(|w| w.account.as_deref().is_none_or(|a| a == account))
            .map(|w| w.region.clone())
            .collect();
        wanted.sort();
        wanted.dedup();
        wanted
    } else if opts.all_regions {
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(config)
                .region(Region::new(home.clone()))
                .interceptor(calls.clone())
                .build(),
        );
        let resp = ec2.describe_regions().send().await.map_err(|e| {
            ListError::from_sdk("ec2:DescribeRegions", &home, &endpoint_for("ec2", &home), e).into_error()
        })?;
        let mut names: Vec<String> =
            resp.regions().iter().filter_map(|r| r.region_name().map(str::to_string)).collect();
        names.sort();
        names
    } else if opts.regions.is_empty() {
        vec![home.clone()]
    } else {
        opts.regions.clone()
    };
    let tasks: Vec<_> = regions
        .into_iter()
        .map(|region| {
            let calls = CallCounter::default();
            let ec2_config = aws_sdk_ec2::config::Builder::from(config)
                .region(Region::new(region.clone()))
                .interceptor(calls.clone());
            let asg_config = aws_sdk_autoscaling::config::Builder::from(config)
                .region(Region::new(region.clone()))
                .interceptor(calls.clone());
            let eks_config = aws_sdk_eks::config::Builder::from(config)
                .region(Region::new(region.clone()))
                .interceptor(calls.clone());
            let cx = RegionCx {
                ec2: aws_sdk_ec2::Client::from_conf(ec2_config.build()),
                autoscaling: aws_sdk_autoscaling::Client::from_conf(asg_config.build()),
                eks: aws_sdk_eks::Client::from_conf(eks_config.build()),
                endpoint: endpoint_for("ec2", &region),
                autoscaling_endpoint: endpoint_for("autoscaling", &region),
                eks_endpoint: endpoint_for("eks", &region),
                only: (!opts.only.is_empty()).then(|| wanted_in(&opts.only, &account, &region)),
                calls,
                region,
                account: account.clone(),
            };
            tokio::spawn(scan_region(cx, opts.skip_types.clone()))
        })
        .collect();
    let mut scans = Vec::new();
    let mut resources = Vec::new();
    for task in tasks {
        let (scan, found) = task.await.map_err(|e| Error::unreachable("aws", format!("region task failed: {e}")))?;
        scans.push(scan);
        resources.extend(found);
    }
    // GPU facts once per account for every instance type any region saw. Without them
    // every type is still compared; the run says what is missing and exits 3.
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(config).region(Region::new(home.clone())).interceptor(calls.clone()).build(),
    );
    if let Err(e) = attach_gpu_facts(&ec2, &home, &mut resources).await {
        if let Some(first) = scans.first_mut() {
            first.failures.push(ScanFailure { tf_type: None, message: format!("no GPU facts: {e}") });
        }
    }
    if let Some(first) = scans.first_mut() {
        // The account's own calls (identity, regions, instance types) count with its first region.
        first.api_calls += calls.get();
    }
    snapshot.scans.extend(scans);
    snapshot.resources.extend(resources);
    Ok(())
}

/// Where the credentials of `config` come from, in words ("environment variables
/// (AWS_ACCESS_KEY_ID)", "profile ml-prod in the shared config files"): resolved again only
/// to explain a rejection, never printed with any key.
async fn credential_source(config: &SdkConfig) -> String {
    use aws_sdk_sts::config::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else { return "no credential provider".into() };
    let Ok(creds) = provider.provide_credentials().await else { return "the default credential chain".into() };
    // The SDK names the provider only in its (redacting) Debug output.
    let debug = format!("{creds:?}");
    let name = debug.split("provider_name: \"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
    match name {
        "EnvironmentVariable" | "Environment" => "environment variables (AWS_ACCESS_KEY_ID)".into(),
        "ProfileFile" => format!(
            "profile {} in the shared config files",
            std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into())
        ),
        "WebIdentityToken" => "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
        "EcsContainer" => "container credentials".into(),
        "IMDSv2" => "the instance role (IMDS)".into(),
        "" => "the default credential chain".into(),
        other => format!("the {other} provider"),
    }
}

/// DescribeInstanceTypes for the distinct instance types of the types whose spec names
/// `gpu_facts_from` (100 per call), as `gpu` facts on each (none for types without GPUs).
async fn attach_gpu_facts(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    resources: &mut [Resource],
) -> Result<(), ListError> {
    let registry = crate::registry();
    let size_of = |r: &Resource| -> Option<String> {
        let attr = registry.get(&r.tf_type)?.gpu_facts_from?;
        driftd_core::path::get(&r.attributes, attr)?.as_str().filter(|t| !t.is_empty()).map(str::to_string)
    };
    let types: std::collections::BTreeSet<String> = resources.iter().filter_map(size_of).collect();
    let types: Vec<String> = types.into_iter().collect();
    let mut facts: HashMap<String, serde_json::Value> = HashMap::new();
    for chunk in types.chunks(100) {
        let resp = ec2
            .describe_instance_types()
            .set_instance_types(Some(chunk.iter().map(|t| t.as_str().into()).collect()))
            .send()
            .await
            .map_err(|e| ListError::from_sdk("ec2:DescribeInstanceTypes", region, &endpoint_for("ec2", region), e))?;
        for info in resp.instance_types() {
            let Some(name) = info.instance_type().map(|t| t.as_str().to_string()) else { continue };
            let Some(g) = info.gpu_info() else { continue };
            let Some(first) = g.gpus().first() else { continue };
            let count: i32 = g.gpus().iter().filter_map(|d| d.count()).sum();
            facts.insert(
                name.clone(),
                serde_json::json!({
                    "count": count,
                    "model": first.name(),
                    "manufacturer": first.manufacturer(),
                    "memory_gib": first.memory_info().and_then(|m| m.size_in_mib()).map(|m| m / 1024),
                    "family": name.split('.').next(),
                }),
            );
        }
    }
    for r in resources.iter_mut() {
        if let Some(t) = size_of(r) {
            r.gpu = facts.get(&t).cloned();
        }
    }
    Ok(())
}

/// Every type of one region, at most four API calls in flight (API economy, and room
/// under EC2's request-rate limits for other tools). A type that cannot be read is not
/// covered and named with its error; every other type is still read and compared.
async fn scan_region(cx: RegionCx, skip: Vec<String>) -> (Scan, Vec<Resource>) {
    let started = Instant::now();
    let started_at = driftd_core::snapshot::now_utc();
    let cx = Arc::new(cx);
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let read: Vec<&super::AwsType> = super::TYPES
        .iter()
        .filter(|t| !skip.iter().any(|s| s == t.spec.tf_type))
        .filter(|t| cx.only.as_ref().is_none_or(|only| only.contains_key(t.spec.tf_type)))
        .collect();
    let tasks: Vec<_> = read
        .iter()
        .map(|t| {
            let (cx, gate, list) = (cx.clone(), gate.clone(), t.list);
            tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("semaphore open");
                list(&cx).await
            })
        })
        .collect();
    let mut resources = Vec::new();
    let mut failures = Vec::new();
    for (t, task) in read.iter().zip(tasks) {
        let result = task.await.unwrap_or_else(|e| Err(ListError::task(&cx.region, e)));
        // A lister that cannot filter its calls by id lists the type; the re-read keeps
        // the wanted ones.
        let result = result.map(|found| match cx.only(t.spec.tf_type) {
            Some(ids) => found.into_iter().filter(|r| ids.contains(&r.id)).collect(),
            None => found,
        });
        match result {
            Ok(found) => resources.extend(found.into_iter().map(|mut r| {
                // Recorded in the snapshot for its readers; the comparer applies the same rules.
                r.owner = driftd_core::owner::owner_of(t.spec, &r);
                r
            })),
            Err(e) => failures.push(ScanFailure { tf_type: Some(t.spec.tf_type.to_string()), message: e.to_string() }),
        }
    }
    // Nothing read at all (unreachable, no permission for anything): one error for the
    // region, said once when every type failed the same way.
    let error = driftd_core::snapshot::whole_scope_error(&mut failures, read.len());
    let scan = Scan {
        only_ids: cx.only.as_ref().map(|o| o.values().flatten().cloned().collect()),
        provider: Cloud::Aws,
        account: Some(cx.account.clone()),
        region: Some(cx.region.clone()),
        types: read.iter().map(|t| t.spec.tf_type.to_string()).collect(),
        resources: resources.len(),
        api_calls: cx.calls.get(),
        started_at: Some(started_at),
        duration_ms: Some(started.elapsed().as_millis() as u64),
        error,
        failures,
    };
    (scan, resources)
}

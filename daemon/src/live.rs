//! Where live resources and declarations come from: `--provider` and `--state`
//! arguments resolved to snapshots and state inputs.

use crate::plan::LivePlan;
use driftd_core::check::LiveInput;
use driftd_core::model::Cloud;
use driftd_core::model::{Warning, WarningKind};
use driftd_core::snapshot::Snapshot;
use driftd_core::terraform::discover::{RootModule, StateLocation};
use driftd_core::tfstate::{self, StateInput};
use driftd_core::{Error, ErrorKind};
use std::path::PathBuf;

/// Resolve every `--provider` to a live input. With none given, every cloud the
/// declarations use (this build scans AWS and Azure). Snapshot files are streamed later,
/// by the check itself.
/// What is declared, as far as choosing what to scan goes.
#[derive(Debug, Default)]
pub struct Declared {
    pub clouds: Vec<Cloud>,
    /// The AWS regions of declared resources (from their ARNs and zones), sorted.
    pub aws_regions: Vec<String>,
}

impl Declared {
    pub fn of(states: &[StateInput]) -> Declared {
        let mut clouds: Vec<Cloud> = states.iter().flat_map(|s| s.resources.iter().map(|r| r.provider)).collect();
        clouds.sort();
        clouds.dedup();
        let mut aws_regions: Vec<String> = states
            .iter()
            .flat_map(|s| &s.resources)
            .filter(|r| r.provider == Cloud::Aws)
            .filter_map(|r| r.region.clone())
            .collect();
        aws_regions.sort();
        aws_regions.dedup();
        Declared { clouds, aws_regions }
    }
}

/// The live inputs, and notes on choices made for the user (to print or log).
pub fn live_inputs(args: &LivePlan, declared: &Declared) -> Result<(Vec<LiveInput>, Vec<String>), Error> {
    let declared_clouds = &declared.clouds;
    let mut notes = Vec::new();
    let mut providers = args.providers.clone();
    if providers.is_empty() {
        providers.extend(declared_clouds.iter().filter(|c| **c != Cloud::Other).map(|c| c.as_str().to_string()));
    }
    // A re-read after events reads that cloud alone, and only where this plan scans it.
    if !args.aws_only.is_empty() || !args.azure_only.is_empty() {
        providers
            .retain(|p| (p == "aws" && !args.aws_only.is_empty()) || (p == "azure" && !args.azure_only.is_empty()));
    }
    // Validate every name first: a typo must not surface after a long scan.
    for p in &providers {
        let known = matches!(p.as_str(), "none" | "aws" | "azure")
            || p.strip_prefix("snapshot:").is_some_and(|f| !f.is_empty());
        if !known {
            return Err(Error::input(
                format!("--provider {p}"),
                "unknown provider; use aws, azure, snapshot:FILE or none",
            ));
        }
    }
    let mut inputs = Vec::new();
    for p in &providers {
        match p.as_str() {
            "none" => {}
            "aws" => {
                let rt = runtime()?;
                let mut regions = args.regions.clone();
                // The AWS config's own region, asked once, where no region is given and the
                // declarations (or a re-read) need to know which regions are scanned.
                let configured = match regions.is_empty()
                    && !args.all_regions
                    && (!declared.aws_regions.is_empty() || !args.aws_only.is_empty())
                {
                    true => rt.block_on(driftd_providers::aws::default_region()),
                    false => None,
                };
                // No region anywhere: the regions the declared resources are in.
                if regions.is_empty() && !args.all_regions && !declared.aws_regions.is_empty() && configured.is_none() {
                    regions.clone_from(&declared.aws_regions);
                    notes.push(format!(
                        "no AWS region configured: scanning the regions the declared resources are in ({}); --region or AWS_REGION to choose",
                        regions.join(", ")
                    ));
                }
                // A re-read keeps to the regions the scheduled scans read: elsewhere a
                // resource would be found by events and lost by the next scan.
                let mut only = args.aws_only.clone();
                if !only.is_empty() && !args.all_regions {
                    let scanned = match regions.is_empty() {
                        true => configured.into_iter().collect(),
                        false => regions.clone(),
                    };
                    only.retain(|w| scanned.contains(&w.region));
                    if only.is_empty() {
                        continue;
                    }
                }
                let opts = driftd_providers::aws::AwsOptions {
                    only,
                    regions,
                    all_regions: args.all_regions,
                    skip_types: args.aws.skip_types.clone(),
                    accounts: args.aws.assume_roles(),
                };
                let snapshot = rt.block_on(driftd_providers::aws::scan(&opts, crate::now()))?;
                inputs.push(LiveInput::Snapshot(snapshot));
            }
            "azure" => {
                let opts = driftd_providers::azure::AzureOptions {
                    subscriptions: if args.subscriptions.is_empty() {
                        args.azure.subscriptions.clone()
                    } else {
                        args.subscriptions.clone()
                    },
                    // The daemon's targets have no clap env fallback: read it here too.
                    endpoint: args
                        .azure_endpoint
                        .clone()
                        .or_else(|| std::env::var("DRIFTD_AZURE_ENDPOINT").ok().filter(|e| !e.is_empty())),
                    skip_types: args.azure.skip_types.clone(),
                    only: args.azure_only.clone(),
                };
                let snapshot = runtime()?.block_on(driftd_providers::azure::scan(&opts, crate::now()))?;
                inputs.push(LiveInput::Snapshot(snapshot));
            }
            other => {
                if let Some(file) = other.strip_prefix("snapshot:") {
                    inputs.push(LiveInput::File(PathBuf::from(file)));
                }
            }
        }
    }
    Ok((inputs, notes))
}

/// Read every live input whole (for `driftd snapshot`, which writes them out merged).
pub fn read_all(inputs: Vec<LiveInput>, now: &str) -> Result<Snapshot, Error> {
    let mut snapshot = Snapshot::new(now.to_string());
    for input in inputs {
        match input {
            LiveInput::Snapshot(s) => snapshot.merge(s),
            LiveInput::File(path) => snapshot.merge(Snapshot::read_file(&path)?),
        }
    }
    Ok(snapshot)
}

/// The daemon's state reader: local files and every backend this build has.
pub struct States;

impl driftd_core::terraform::declarations::StateReader for States {
    fn read(&self, sources: &[String]) -> Result<Vec<StateInput>, Error> {
        read_states(sources)
    }

    fn read_roots(&self, roots: &[RootModule]) -> Result<(Vec<StateInput>, Vec<Warning>), Error> {
        read_root_states(roots)
    }
}

/// Read every `--state`: local paths and globs here; remote backends by scheme
/// (`driftd_providers::STATE_BACKENDS`).
pub fn read_states(args: &[String]) -> Result<Vec<StateInput>, Error> {
    let mut out = Vec::new();
    for arg in args {
        if let Some(backend) = driftd_providers::state_backend(arg) {
            out.push(runtime()?.block_on((backend.read)(arg))?);
            continue;
        }
        if let Some((scheme, _)) = arg.split_once("://") {
            let shown = driftd_core::error::redact_url(arg);
            let usages: Vec<&str> = driftd_providers::STATE_BACKENDS.iter().map(|b| b.usage).collect();
            return Err(Error::input(
                shown,
                format!(
                    "{scheme}:// is not a state source driftd reads: use a path, {}; or pull it (`terraform state pull > state.json`) and pass the file",
                    usages.join(", ")
                ),
            ));
        }
        for path in tfstate::expand_local(arg)? {
            out.push(tfstate::read_file(&path)?);
        }
    }
    Ok(out)
}

/// The state of every discovered root module, attributed to it. A state that cannot be
/// read (unreachable, access denied, not written yet, a backend driftd does not read) is
/// a scan error naming the root module: the report is made, and the check exits 3,
/// since that root module's resources would otherwise read as unmanaged. A state that
/// is read but malformed is an input error (exit 2), as with `--state`.
pub fn read_root_states(roots: &[RootModule]) -> Result<(Vec<StateInput>, Vec<Warning>), Error> {
    let mut states = Vec::new();
    let mut warnings = Vec::new();
    let mut failed = |root: &RootModule, why: String| {
        warnings.push(Warning::new(
            WarningKind::ScanError,
            format!("root module {}: {why}; its resources may show as unmanaged", root.name),
            Some(root.dir.display().to_string()),
        ))
    };
    for root in roots {
        let read = match &root.state {
            StateLocation::Unsupported(why) => {
                failed(root, why.clone());
                continue;
            }
            StateLocation::Local(path) if !path.is_file() => {
                failed(root, format!("no state at {} (not applied yet, or kept elsewhere)", path.display()));
                continue;
            }
            StateLocation::Local(path) => tfstate::read_file(path),
            StateLocation::Source(src) => read_states(std::slice::from_ref(src))
                .and_then(|mut s| s.pop().ok_or_else(|| Error::input(src, "no state"))),
        };
        match read {
            Ok(state) => states.push(state.in_root_module(&root.name)),
            Err(e) if e.kind == ErrorKind::Unreachable => failed(root, e.to_string()),
            Err(e) => return Err(e),
        }
    }
    Ok((states, warnings))
}

/// The runtime cloud SDKs run on (the check itself is synchronous).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::input("driftd", format!("cannot start the async runtime: {e}")))
}

//! What one check does, typed and built in one place: from `driftd check`'s flags over
//! `[check]` (`RunPlan::for_check`), or from a daemon `[[target]]`
//! (`RunPlan::for_target`). The check and the daemon's scans take a plan, never flags
//! plus the whole config, so `[check]` reaches `driftd check` only.

use crate::cli::{CheckArgs, LiveArgs, PolicyArgs};
use crate::config::values::{FailOn, Format};
use crate::config::{AwsConfig, AzureConfig, Config, TargetConfig};
use driftd_core::cost::PriceTable;
use driftd_core::model::Severity;
use driftd_core::terraform::declarations::Request;
use driftd_core::Error;
use std::path::PathBuf;
use std::time::Duration;

/// What is compared with what, and which policies run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// States, code and monorepos: what is declared.
    pub declared: Request,
    pub live: LivePlan,
    pub policies: PolicyPlan,
    /// `None`: `./.driftignore` when present.
    pub driftignore: Option<PathBuf>,
    pub prices: PriceTable,
    /// Whether and how the clouds' price APIs are asked (`[prices]`).
    pub price_apis: crate::prices::PriceApis,
    /// `[cost_allocation]`: which tags name a resource's team.
    pub allocation: driftd_core::allocation::CostAllocation,
}

/// Where live resources come from, with the providers' settings (`[aws]`, `[azure]`).
#[derive(Debug, Clone, Default)]
pub struct LivePlan {
    pub providers: Vec<String>,
    pub regions: Vec<String>,
    pub all_regions: bool,
    pub subscriptions: Vec<String>,
    pub azure_endpoint: Option<String>,
    pub aws: AwsConfig,
    pub azure: AzureConfig,
    /// A re-read after events: these AWS resources only. Empty: everything.
    pub aws_only: Vec<driftd_providers::aws::Wanted>,
    /// A re-read after events: these Azure (type, id) only. Empty: everything.
    pub azure_only: Vec<(String, String)>,
}

/// The policies of a run: the built-in pack unless dropped, then each folder.
#[derive(Debug, Clone)]
pub struct PolicyPlan {
    pub builtin: bool,
    pub dirs: Vec<PathBuf>,
    /// One evaluation (one policy on one resource).
    pub time_limit: Duration,
    /// `[policy.config]`, read by policies as `data.driftd.config`.
    pub config: serde_json::Value,
}

/// How `driftd check` reports and exits.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub format: Format,
    pub output: Option<PathBuf>,
    /// `None`: never fail on findings.
    pub fail_on: Option<Severity>,
    pub max_findings: Option<usize>,
    pub patch_out: Option<PathBuf>,
}

impl LivePlan {
    /// Does this plan scan this cloud (`aws`, `azure`) itself, by name or as a cloud its
    /// declarations use, not from a snapshot file?
    pub fn reads(&self, cloud: &str) -> bool {
        self.providers.is_empty() || self.providers.iter().any(|p| p == cloud)
    }

    /// `driftd snapshot`: its flags.
    pub fn new(args: &LiveArgs, config: &Config) -> LivePlan {
        LivePlan {
            providers: args.providers.clone(),
            regions: args.regions.clone(),
            all_regions: args.all_regions,
            subscriptions: args.subscriptions.clone(),
            azure_endpoint: args.azure_endpoint.clone(),
            ..LivePlan::sections(config)
        }
    }

    /// The providers' settings every plan shares, and no sources yet.
    fn sections(config: &Config) -> LivePlan {
        LivePlan { aws: config.aws.clone(), azure: config.azure.clone(), ..LivePlan::default() }
    }
}

impl PolicyPlan {
    pub fn new(builtin: bool, dirs: Vec<PathBuf>, config: &Config) -> PolicyPlan {
        PolicyPlan {
            builtin,
            dirs,
            time_limit: Duration::from_millis(config.policy.time_limit_ms),
            config: config.policy.config.clone(),
        }
    }

    /// `driftd check` and `driftd policy list`: flags, else `[check]`.
    pub fn for_check(args: &PolicyArgs, config: &Config) -> PolicyPlan {
        let dirs = if args.policies.is_empty() { &config.check.policies } else { &args.policies };
        PolicyPlan::new(!(args.no_builtin_policies || config.check.no_builtin_policies), dirs.clone(), config)
    }
}

impl RunPlan {
    /// `driftd check`: flags win; `[check]` fills in what they left unset.
    pub fn for_check(args: &CheckArgs, config: &Config) -> Result<(RunPlan, ReportPlan), Error> {
        let c = &config.check;
        let live = LivePlan {
            providers: flag_or(&args.live.providers, &c.provider),
            regions: flag_or(&args.live.regions, &c.region),
            all_regions: args.live.all_regions,
            subscriptions: flag_or(&args.live.subscriptions, &c.subscription),
            azure_endpoint: args.live.azure_endpoint.clone().or_else(|| c.azure_endpoint.clone()),
            ..LivePlan::sections(config)
        };
        let plan = RunPlan {
            declared: Request {
                states: flag_or(&args.states, &c.state),
                tf: flag_or(&args.tf, &c.tf),
                discover: args.discover.clone(),
                var_files: args.var_files.clone(),
                vars: args.vars.clone(),
            },
            live,
            policies: PolicyPlan::for_check(&args.policy, config),
            driftignore: args.driftignore.clone().or_else(|| c.driftignore.clone()),
            prices: config.price_table(),
            price_apis: config.price_apis(),
            allocation: config.cost_allocation(),
        };
        let format = match &args.format {
            Some(name) => Format::parse(name).map_err(|e| Error::input("--format", e))?,
            None => match c.format {
                Some(format) => format,
                None => Format::parse("text").map_err(|e| Error::input("--format", e))?,
            },
        };
        let fail_on = match &args.fail_on {
            Some(s) => FailOn::parse(s).map_err(|e| Error::input("--fail-on", e))?,
            None => c.fail_on.unwrap_or(FailOn(Some(Severity::Low))),
        };
        let report = ReportPlan {
            format,
            output: args.output.clone().or_else(|| c.output.clone()),
            fail_on: fail_on.0,
            max_findings: args.max_findings,
            patch_out: args.patch_out.clone(),
        };
        Ok((plan, report))
    }

    /// A daemon `[[target]]`: its own keys, and the config's shared sections (`[aws]`,
    /// `[azure]`, `[policy]`, `[prices]`), never `[check]`.
    pub fn for_target(t: &TargetConfig, config: &Config) -> RunPlan {
        RunPlan {
            declared: Request { states: t.state.clone(), tf: t.tf.clone(), ..Request::default() },
            live: LivePlan {
                providers: t.provider.clone(),
                regions: t.region.clone(),
                subscriptions: t.subscription.clone(),
                azure_endpoint: t.azure_endpoint.clone(),
                ..LivePlan::sections(config)
            },
            policies: PolicyPlan::new(!t.no_builtin_policies, t.policies.clone(), config),
            driftignore: t.driftignore.clone(),
            prices: config.price_table(),
            price_apis: config.price_apis(),
            allocation: config.cost_allocation(),
        }
    }
}

/// A list flag given on the command line wins over its `[check]` key as a whole.
fn flag_or<T: Clone>(flag: &[T], key: &[T]) -> Vec<T> {
    if flag.is_empty() { key } else { flag }.to_vec()
}

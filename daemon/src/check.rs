//! `driftd check`: the CI gate. Exit 0 clean, 1 findings at or above `--fail-on`,
//! 2 usage/config/input error, 3 live or declared state could not be read.

use crate::alerts::{inputs_key, scope_of, Alerts};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::live;
use crate::plan::RunPlan;
use driftd_core::check as core_check;
use driftd_core::ignore::DriftIgnore;
use driftd_core::model::WarningKind;
use driftd_core::report::RenderOptions;
use driftd_core::terraform::declarations::{self, Declarations};
use driftd_core::Error;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

pub fn run(args: CheckArgs) -> Result<u8, Error> {
    let started = Instant::now();
    let started_at = crate::now();
    let config = Config::load(args.config.as_deref())?;
    let (plan, out) = RunPlan::for_check(&args, &config)?;
    let declared = &plan.declared;
    if declared.states.is_empty()
        && plan.live.providers.is_empty()
        && declared.tf.is_empty()
        && declared.discover.is_empty()
    {
        return Err(Error::input(
            "driftd check",
            "nothing to check: give --state (Terraform state or plan), --tf (Terraform code), --discover (a monorepo) and/or --provider",
        ));
    }
    // Notifiers' secrets and the store first: a missing token fails before any scan.
    let alerts = match args.notify {
        true => Some(Alerts::open(&config, &config_location(&args))?),
        false => None,
    };

    let result = check(&plan, started, std::io::stderr().is_terminal(), None);
    if let Some(alerts) = &alerts {
        let inputs = inputs_key(&plan);
        let named = args.scope.clone().or_else(|| config.store.scope.clone());
        let scope = match (named, &result) {
            (Some(name), _) => name,
            (None, Ok(report)) => scope_of(report),
            // Nothing was compared: the failure goes where these arguments' checks go.
            (None, Err(_)) => alerts.scope_of_inputs(&inputs)?.unwrap_or_else(|| inputs.clone()),
        };
        let recorded = alerts.record(&scope, &started_at, result.as_ref(), None)?;
        alerts.remember_inputs(&scope, &inputs)?;
        eprintln!(
            "driftd: notify: {} new, {} changed, {} resolved in {scope:?}; {} messages queued",
            recorded.new, recorded.changed, recorded.resolved, recorded.queued
        );
    }
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            if let Some(alerts) = &alerts {
                deliver(alerts);
            }
            return Err(e);
        }
    };

    for note in &report.notes {
        eprintln!("driftd: {note}");
    }
    for w in report.warnings.iter().filter(|w| w.kind == WarningKind::ScanError) {
        eprintln!("driftd: {}", w.message);
    }

    let to_terminal = out.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let opts = RenderOptions {
        color: to_terminal && !no_color,
        fail_on: out.fail_on,
        max_findings: out.max_findings,
        source_root: std::env::current_dir().ok(),
    };
    let mut buf = Vec::new();
    report.render(out.format.0, &opts, &mut buf).map_err(|e| Error::input("report", e.to_string()))?;
    if let Some(path) = &out.patch_out {
        // In the report's finding order; empty when nothing can be fixed in code, so a CI
        // step can always apply it.
        let patches: String = report.findings.iter().filter_map(|f| f.remediation.patch.as_deref()).collect();
        std::fs::write(path, patches).map_err(|e| output_error(path, &e))?;
    }
    match &out.output {
        Some(path) => std::fs::write(path, &buf).map_err(|e| output_error(path, &e))?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error of the check.
            let _ = out.write_all(&buf).and_then(|_| out.flush());
        }
    }
    if let Some(alerts) = &alerts {
        deliver(alerts);
    }

    Ok(if report.incomplete() {
        3
    } else if report.failing(out.fail_on) > 0 {
        1
    } else {
        0
    })
}

/// A report or patch that cannot be written: a missing folder is named as such.
fn output_error(path: &std::path::Path, e: &std::io::Error) -> Error {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    match folder {
        Some(folder) if e.kind() == std::io::ErrorKind::NotFound && !folder.is_dir() => Error::input(
            path.display().to_string(),
            format!("cannot write here: the folder {} does not exist (create it first)", folder.display()),
        ),
        _ => Error::io(path, e),
    }
}

fn config_location(args: &CheckArgs) -> String {
    match &args.config {
        Some(p) => p.display().to_string(),
        None => crate::config::DEFAULT_FILE.to_string(),
    }
}

/// Delivery problems never change the check's exit code (the drift is in the report and
/// the messages stay queued); they are said on stderr.
fn deliver(alerts: &Alerts) {
    match alerts.deliver_now() {
        Ok((d, pending)) => {
            let mut line = format!("driftd: notify: {} sent", d.sent);
            if d.skipped > 0 {
                line.push_str(&format!(", {} skipped", d.skipped));
            }
            if pending > 0 {
                line.push_str(&format!(", {pending} still queued (sent by the next run)"));
            }
            if d.dead > 0 {
                line.push_str(&format!(", {} dead-lettered (driftd outbox list; driftd outbox retry)", d.dead));
            }
            eprintln!("{line}");
        }
        Err(e) => eprintln!("driftd: notify: {e}"),
    }
}

/// The check itself: sources in, report out.
/// `progress`: show a spinner with the phase and elapsed time on stderr (an interactive
/// terminal only; CI logs and the daemon get nothing extra).
/// `cache`: where fetched prices are kept (the daemon's store); a check alone has none.
pub fn check(
    plan: &RunPlan,
    started: Instant,
    progress: bool,
    cache: Option<&dyn crate::prices::PriceCache>,
) -> Result<driftd_core::report::Report, Error> {
    let spinner = progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let phase = |msg: &'static str| {
        if let Some(s) = &spinner {
            s.set_message(msg);
        }
    };
    let result = check_phases(plan, started, &phase, cache);
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    result
}

fn check_phases(
    plan: &RunPlan,
    started: Instant,
    phase: &dyn Fn(&'static str),
    cache: Option<&dyn crate::prices::PriceCache>,
) -> Result<driftd_core::report::Report, Error> {
    phase("reading Terraform state");
    let ignore = match &plan.driftignore {
        Some(path) => Some(DriftIgnore::read_file(path)?),
        None => {
            let default = PathBuf::from(".driftignore");
            default.is_file().then(|| DriftIgnore::read_file(&default)).transpose()?
        }
    };
    let Declarations { states, code, sources, warnings: code_warnings, code_only } =
        declarations::gather(&plan.declared, &live::States, phase)?;
    let mut live = plan.live.clone();
    // Code alone is checked on its own unless a cloud is named: a pull request's gate
    // needs no credentials.
    if code_only && live.providers.is_empty() {
        live.providers = vec!["none".into()];
    }
    let declared = live::Declared::of(&states);
    phase("reading live resources");
    let (live, notes) = live::live_inputs(&live, &declared)?;
    let policies = crate::policy::engine(&plan.policies)?;
    let registry = driftd_providers::registry();
    let mut prices = plan.prices.clone();
    if plan.price_apis.fetch {
        phase("pricing");
        let wanted = crate::prices::wanted(&live, &states, &registry);
        crate::prices::resolve(&plan.price_apis, &mut prices, &wanted, cache);
    }
    phase("comparing and running policies");

    let mut report = core_check::run(core_check::Input {
        states,
        live,
        registry,
        prices,
        ignore,
        today: crate::today(),
        generated_at: crate::now(),
        sources,
        policies: policies.map(|e| Box::new(e) as Box<dyn driftd_core::policy::PolicyEngine>),
        code,
        allocation: plan.allocation.clone(),
    })?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.warnings.extend(code_warnings);
    report.notes = notes;
    Ok(report)
}

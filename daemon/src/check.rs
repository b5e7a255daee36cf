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
use driftd_core::Error;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

pub fn run(args: CheckArgs) -> Result<u8, Error> {
    let started = Instant::now();
    let started_at = crate::now();
    let config = Config::load(args.config.as_deref())?;
    let (plan, out) = RunPlan::for_check(&args, &config)?;
    if plan.states.is_empty() && plan.live.providers.is_empty() && plan.tf.is_empty() && plan.discover.is_empty() {
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

    let result = check(&plan, started, std::io::stderr().is_terminal());
    if let Some(alerts) = &alerts {
        let inputs = inputs_key(&plan);
        let named = args.scope.clone().or_else(|| config.store.scope.clone());
        let scope = match (named, &result) {
            (Some(name), _) => name,
            (None, Ok(report)) => scope_of(report),
            // Nothing was compared: the failure goes where these arguments' checks go.
            (None, Err(_)) => alerts.scope_of_inputs(&inputs)?.unwrap_or_else(|| inputs.clone()),
        };
        let recorded = alerts.record(&scope, &started_at, result.as_ref())?;
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
pub fn check(plan: &RunPlan, started: Instant, progress: bool) -> Result<driftd_core::report::Report, Error> {
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
    let result = check_phases(plan, started, &phase);
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    result
}

fn check_phases(
    plan: &RunPlan,
    started: Instant,
    phase: &dyn Fn(&'static str),
) -> Result<driftd_core::report::Report, Error> {
    phase("reading Terraform state");
    let ignore = match &plan.driftignore {
        Some(path) => Some(DriftIgnore::read_file(path)?),
        None => {
            let default = PathBuf::from(".driftignore");
            default.is_file().then(|| DriftIgnore::read_file(&default)).transpose()?
        }
    };
    let Declarations { states, code, sources, warnings: code_warnings, code_only } = declarations(plan, phase)?;
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
    phase("comparing and running policies");

    let mut report = core_check::run(core_check::Input {
        states,
        live,
        registry: driftd_providers::registry(),
        prices: plan.prices.clone(),
        ignore,
        today: crate::today(),
        generated_at: crate::now(),
        sources,
        policies: policies.map(|e| Box::new(e) as Box<dyn driftd_core::policy::PolicyEngine>),
        code,
    })?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.warnings.extend(code_warnings);
    report.notes = notes;
    Ok(report)
}

/// What is declared: states (given, or found in root modules' backends), the code's
/// own declarations beside them, and the sources for `declared_at` and patches.
struct Declarations {
    states: Vec<driftd_core::tfstate::StateInput>,
    code: Vec<driftd_core::tfcode::Evaluated>,
    sources: Option<driftd_core::tf::Sources>,
    warnings: Vec<driftd_core::model::Warning>,
    /// No state: the code is what is declared.
    code_only: bool,
}

fn declarations(args: &RunPlan, phase: &dyn Fn(&'static str)) -> Result<Declarations, Error> {
    for dir in &args.tf {
        if dir.is_file() {
            let folder = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            return Err(Error::input(
                dir.display().to_string(),
                format!(
                    "--tf takes a folder (a root module, or a repository to discover), not a file: --tf {}",
                    folder.display()
                ),
            ));
        }
    }
    let mut states = live::read_states(&args.states)?;
    let mut code_warnings = Vec::new();
    // `--tf` on a folder with no code of its own is a monorepo: discover its root modules.
    let (tf_dirs, mut discover_dirs): (Vec<PathBuf>, Vec<PathBuf>) =
        args.tf.iter().cloned().partition(|d| !driftd_core::tf::has_no_tf_files(d));
    discover_dirs.extend(args.discover.iter().cloned());
    let mut roots = Vec::new();
    // `--tf` on a folder of modules or examples with no backend (what a pull request
    // touches): each top-most folder of code is evaluated on its own, inputs unknown.
    let mut standalone: Vec<(String, PathBuf)> = Vec::new();
    for dir in &discover_dirs {
        let found = driftd_core::tfroots::discover(dir)?;
        if found.is_empty() {
            if !args.tf.contains(dir) {
                return Err(Error::input(
                    dir.display().to_string(),
                    "no root module here: none has a backend or cloud block, and no terragrunt.hcl has remote_state",
                ));
            }
            let folders = driftd_core::tf::code_folders(dir)?;
            if folders.is_empty() {
                return Err(driftd_core::tf::no_tf_files(dir));
            }
            standalone.extend(folders);
            continue;
        }
        roots.extend(found);
    }
    if !roots.is_empty() {
        phase("reading the root modules' states");
        let (discovered, warnings) = live::read_root_states(&roots)?;
        states.extend(discovered);
        code_warnings.extend(warnings);
    }
    // No state: the code is what is declared (a pull request before apply).
    let code_only = states.is_empty() && (!tf_dirs.is_empty() || !standalone.is_empty());
    let sources = match tf_dirs.is_empty() && roots.is_empty() {
        true => None,
        false => {
            let mut code: Vec<(Option<String>, PathBuf)> = tf_dirs.iter().map(|d| (None, d.clone())).collect();
            code.extend(roots.iter().filter(|r| !r.terragrunt).map(|r| (Some(r.name.clone()), r.dir.clone())));
            let import_dir = tf_dirs.first().cloned();
            Some(match code_only {
                // Evaluation parses (and so checks) every file; patches parse again only
                // when there is something to patch.
                true => driftd_core::tf::Sources::on_demand(&code, import_dir),
                false => driftd_core::tf::Sources::load_roots(&code, import_dir)?,
            })
        }
    };
    let cli = driftd_core::tfcode::CommandLineVars { files: args.var_files.clone(), values: args.vars.clone() };
    let mut code = Vec::new();
    if code_only {
        phase("evaluating Terraform code");
        let named = standalone.iter().map(|(name, dir)| (Some(name.as_str()), dir));
        for (name, dir) in tf_dirs.iter().map(|d| (None, d)).chain(named) {
            let (input, warnings) = driftd_core::tfcode::declarations(dir, &cli)?;
            states.push(match name {
                Some(name) => input.in_root_module(name),
                None => input,
            });
            code_warnings.extend(warnings);
        }
    } else if sources.is_some() {
        // Beside a state the code only adds `code_differs` notes: code that cannot be
        // evaluated here (a variable CI sets elsewhere) costs the notes, never the check.
        phase("evaluating Terraform code");
        let no_cli = driftd_core::tfcode::CommandLineVars::default();
        let dirs = tf_dirs.iter().map(|d| (None, d, &cli));
        let root_dirs = roots.iter().filter(|r| !r.terragrunt).map(|r| (Some(r.name.as_str()), &r.dir, &no_cli));
        for (root, dir, vars) in dirs.chain(root_dirs) {
            match driftd_core::tfcode::evaluate(dir, vars) {
                Ok(mut evaluated) => {
                    // What the code could not know limits the notes: say so.
                    code_warnings.append(&mut evaluated.warnings);
                    if let Some(root) = root {
                        evaluated.input = evaluated.input.in_root_module(root);
                    }
                    code.push(evaluated);
                }
                Err(e) => code_warnings.push(driftd_core::model::Warning::new(
                    driftd_core::model::WarningKind::NotCompared,
                    format!("the code was not evaluated, so it is not compared with the state: {e}"),
                    Some(dir.display().to_string()),
                )),
            }
        }
    }
    Ok(Declarations { states, code, sources, warnings: code_warnings, code_only })
}

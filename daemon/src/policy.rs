//! `driftd policy list` and `driftd policy test`, and building the policy engine a
//! check uses.

use crate::cli::{PolicyListArgs, PolicyTestArgs};
use crate::config::Config;
use crate::plan::PolicyPlan;
use driftd_core::Error;
use driftd_policies::{RegoEngine, Scope, Source};
use std::time::Duration;

/// The policies of a run: the built-in pack unless dropped, then each folder.
pub fn sources(plan: &PolicyPlan) -> Result<Vec<Source>, Error> {
    let mut out = Vec::new();
    if plan.builtin {
        out.extend(driftd_policies::builtin_sources(false));
    }
    for dir in &plan.dirs {
        out.extend(driftd_policies::read_dir(dir, false)?);
    }
    Ok(out)
}

pub fn engine(plan: &PolicyPlan) -> Result<Option<RegoEngine>, Error> {
    let sources = sources(plan)?;
    if sources.is_empty() {
        return Ok(None);
    }
    RegoEngine::load(&sources, &plan.config, plan.time_limit).map(Some)
}

pub fn list(args: PolicyListArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let Some(engine) = engine(&PolicyPlan::for_check(&args.policy, &config))? else {
        println!("no policies");
        return Ok(0);
    };
    if args.format == "markdown" {
        print!("{}", driftd_policies::markdown(engine.policies()));
        return Ok(0);
    }
    let width = engine.policies().iter().map(|p| p.id.len()).max().unwrap_or(2).max(2);
    println!("{:<width$}  {:<8}  {:<8}  {:<60}  FILE", "ID", "SEVERITY", "SCOPE", "TITLE");
    let mut policies = engine.policies().to_vec();
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    for p in policies {
        let scope = if p.scope == Scope::Fleet { "fleet" } else { "resource" };
        println!("{:<width$}  {:<8}  {:<8}  {:<60}  {}", p.id, p.severity.as_str(), scope, p.title, p.file);
    }
    Ok(0)
}

pub fn test(args: PolicyTestArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let sources = if args.dirs.is_empty() {
        driftd_policies::builtin_sources(true)
    } else {
        let mut out = Vec::new();
        for dir in &args.dirs {
            out.extend(driftd_policies::read_dir(dir, true)?);
        }
        out
    };
    let limit = Duration::from_millis(config.policy.time_limit_ms);
    let results = driftd_policies::run_tests(&sources, &config.policy.config, limit)?;
    let failed = results.iter().filter(|r| !r.passed).count();
    for r in &results {
        let ms = r.duration.as_secs_f64() * 1000.0;
        match &r.detail {
            None => println!("PASS  {}  ({}, {ms:.1} ms)", r.name, r.file),
            Some(why) => println!("FAIL  {}  ({}): {why}", r.name, r.file),
        }
    }
    println!("policy tests: {} passed, {failed} failed", results.len() - failed);
    if results.is_empty() {
        return Err(Error::input("driftd policy test", "no test_* rules found"));
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

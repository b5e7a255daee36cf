//! `driftd code DIR`: what driftd evaluates from Terraform code, as JSON, to see why a
//! resource was (or was not) checked; `bench/tf_real_corpus.py` compares it with checkov.

use crate::cli::CodeArgs;
use driftd_core::error::Error;
use driftd_core::terraform::eval::{evaluate, CommandLineVars};
use serde_json::json;

pub fn run(args: CodeArgs) -> Result<u8, Error> {
    let cli = CommandLineVars { files: args.var_files, values: args.vars };
    let code = evaluate(&args.dir, &cli)?;
    let resources: Vec<_> = code
        .input
        .resources
        .iter()
        .map(|d| {
            json!({
                "address": d.address,
                "type": d.tf_type,
                "declared_at": d.declared_at,
                "unknown": d.unknown,
                "ignore_changes": d.ignore_changes,
            })
        })
        .collect();
    let out = json!({
        "dir": args.dir.display().to_string(),
        "resources": resources,
        "empty_blocks": code.empty_blocks,
        "unevaluated": code.unevaluated,
        "modules_not_evaluated": code.modules_not_evaluated,
        "warnings": code.warnings,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(0)
}

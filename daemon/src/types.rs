//! `driftd types`: the covered types, their compared attributes and severities.
//! `--format markdown` writes `docs/types.md` (a test in `providers/` keeps it current).

use crate::cli::TypesArgs;
use driftd_core::spec::{describe_norms, markdown, TypeSpec};

pub fn run(args: TypesArgs) -> u8 {
    let specs = driftd_providers::registry().all();
    let text = match args.format.as_str() {
        "markdown" => markdown(specs),
        _ => text(specs),
    };
    print!("{text}");
    0
}

fn text(specs: &[&TypeSpec]) -> String {
    let mut out = String::new();
    for s in specs {
        out.push_str(&format!("{} ({})\n  {}\n", s.tf_type, s.cloud, s.doc));
        for a in s.compared {
            out.push_str(&format!("    {:<8} {:<48} {}\n", a.severity, a.path, describe_norms(a.norms)));
        }
        out.push_str(&format!("    never compared: {}\n", s.computed_only.join(", ")));
    }
    out
}

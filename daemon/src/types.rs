//! `driftd types`: the covered types, their compared attributes and severities.
//! `--format markdown` writes `docs/types.md` (a test in `providers/` keeps it current).

use crate::cli::TypesArgs;
use driftd_core::spec::{describe_norms, markdown, TypeSpec};

pub fn run(args: TypesArgs) -> u8 {
    let specs = driftd_providers::registry().all();
    let text = match args.format.as_str() {
        "markdown" => markdown(specs),
        "json" => json(specs),
        _ => text(specs),
    };
    print!("{text}");
    0
}

/// `{"types": [{type, cloud, doc, compared: [{path, severity, normalisation}], never_compared, missing, unmanaged, priced}]}`.
fn json(specs: &[&TypeSpec]) -> String {
    let types: Vec<serde_json::Value> = specs
        .iter()
        .map(|s| {
            serde_json::json!({
                "type": s.tf_type,
                "cloud": s.cloud,
                "doc": s.doc,
                "compared": s.compared.iter().map(|a| serde_json::json!({
                    "path": a.path,
                    "severity": a.severity,
                    "normalisation": describe_norms(a.norms),
                })).collect::<Vec<_>>(),
                "never_compared": s.computed_only,
                "missing": s.missing,
                "unmanaged": s.unmanaged,
                "priced": s.cost.is_some(),
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&serde_json::json!({ "types": types })).unwrap_or_default();
    out.push('\n');
    out
}

fn text(specs: &[&TypeSpec]) -> String {
    let mut out = String::new();
    for s in specs {
        out.push_str(&format!("{} ({})\n  {}\n", s.tf_type, s.cloud, s.doc));
        let width = s.compared.iter().map(|a| a.path.len()).max().unwrap_or(0);
        for a in s.compared {
            let line = format!("    {:<8} {:<width$}  {}", a.severity, a.path, describe_norms(a.norms));
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str(&format!("    never compared: {}\n", s.computed_only.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--format json` lists every registered type with its compared paths.
    #[test]
    fn json_lists_every_type_and_its_compared_paths() {
        let specs = driftd_providers::registry().all();
        let v: serde_json::Value = serde_json::from_str(&json(specs)).unwrap();
        let types = v["types"].as_array().unwrap();
        assert_eq!(types.len(), specs.len());
        for (t, s) in types.iter().zip(specs) {
            assert_eq!(t["type"], s.tf_type);
            let paths: Vec<&str> =
                t["compared"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
            assert_eq!(paths, s.compared.iter().map(|a| a.path).collect::<Vec<_>>());
        }
        let instance = types.iter().find(|t| t["type"] == "aws_instance").unwrap();
        assert_eq!(instance["cloud"], "aws");
        assert_eq!(instance["priced"], true);
    }

    #[test]
    fn columns_line_up_without_trailing_spaces() {
        let out = text(driftd_providers::registry().all());
        for line in out.lines() {
            assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
        }
        // Within a type, every attribute row starts its path at the same column.
        for block in out.split("\n").collect::<Vec<_>>().split(|l| !l.starts_with("    ") || l.starts_with("    never"))
        {
            let columns: Vec<usize> = block.iter().map(|l| l[4..].find(' ').unwrap()).collect();
            let starts: Vec<usize> = block
                .iter()
                .zip(&columns)
                .map(|(l, c)| 4 + c + l[4 + c..].len() - l[4 + c..].trim_start().len())
                .collect();
            assert!(starts.windows(2).all(|w| w[0] == w[1]), "{block:#?}");
        }
    }
}

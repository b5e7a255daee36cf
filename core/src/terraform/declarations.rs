//! What a check compares against the cloud, gathered from its sources: states given as
//! `--state`, root modules found under `--discover` (or a `--tf` folder with no code of
//! its own) with their states, and `.tf` code, evaluated on its own when there is no
//! state (a pull request before apply), else beside the state for `code_differs` notes.
//! Reading a state from a backend (S3, Azure Blob, HTTP, HCP Terraform) needs the
//! providers' clients: the caller passes a [`StateReader`].

use crate::error::{Error, Result};
use crate::terraform::discover::RootModule;
use std::path::PathBuf;

/// Where the declarations come from (a check's plan).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// State sources: paths, globs, `s3://`, `azurerm://`, `http(s)://`, `remote://`.
    pub states: Vec<String>,
    /// Code folders: a root module, or a folder of root modules to discover.
    pub tf: Vec<PathBuf>,
    /// Monorepos whose root modules are found.
    pub discover: Vec<PathBuf>,
    pub var_files: Vec<PathBuf>,
    pub vars: Vec<String>,
}

/// Reads states wherever they are.
pub trait StateReader {
    fn read(&self, sources: &[String]) -> Result<Vec<crate::tfstate::StateInput>>;
    /// Each root module's state from its backend; one that cannot be read is a warning.
    fn read_roots(&self, roots: &[RootModule])
        -> Result<(Vec<crate::tfstate::StateInput>, Vec<crate::model::Warning>)>;
}

/// What is declared: states (given, or found in root modules' backends), the code's
/// own declarations beside them, and the sources for `declared_at` and patches.
pub struct Declarations {
    pub states: Vec<crate::tfstate::StateInput>,
    pub code: Vec<crate::terraform::eval::Evaluated>,
    pub sources: Option<crate::terraform::patch::Sources>,
    pub warnings: Vec<crate::model::Warning>,
    /// No state: the code is what is declared.
    pub code_only: bool,
}

/// Gathers what is declared. `phase` names each step as it starts (for a progress line).
pub fn gather(args: &Request, states_from: &dyn StateReader, phase: &dyn Fn(&'static str)) -> Result<Declarations> {
    // Each file is read and parsed once, whichever of discovery, evaluation,
    // `declared_at` and patches reads it first.
    let parsed = std::sync::Arc::new(crate::terraform::files::ParsedFiles::default());
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
    let mut states = states_from.read(&args.states)?;
    let mut code_warnings = Vec::new();
    // `--tf` on a folder with no code of its own is a monorepo: discover its root modules.
    let (tf_dirs, mut discover_dirs): (Vec<PathBuf>, Vec<PathBuf>) =
        args.tf.iter().cloned().partition(|d| !crate::terraform::files::has_no_tf_files(d));
    discover_dirs.extend(args.discover.iter().cloned());
    let mut roots = Vec::new();
    // `--tf` on a folder of modules or examples with no backend (what a pull request
    // touches): each top-most folder of code is evaluated on its own, inputs unknown.
    let mut standalone: Vec<(String, PathBuf)> = Vec::new();
    for dir in &discover_dirs {
        let found = crate::terraform::discover::discover_with(dir, &parsed)?;
        if found.is_empty() {
            if !args.tf.contains(dir) {
                return Err(Error::input(
                    dir.display().to_string(),
                    "no root module here: none has a backend or cloud block, and no terragrunt.hcl has remote_state",
                ));
            }
            let folders = crate::terraform::files::code_folders(dir)?;
            if folders.is_empty() {
                return Err(crate::terraform::files::no_tf_files(dir));
            }
            standalone.extend(folders);
            continue;
        }
        roots.extend(found);
    }
    if !roots.is_empty() {
        phase("reading the root modules' states");
        let (discovered, warnings) = states_from.read_roots(&roots)?;
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
                true => crate::terraform::patch::Sources::on_demand(&code, import_dir, parsed.clone()),
                false => crate::terraform::patch::Sources::load_roots(&code, import_dir, parsed.clone())?,
            })
        }
    };
    let cli = crate::terraform::eval::CommandLineVars { files: args.var_files.clone(), values: args.vars.clone() };
    let mut code = Vec::new();
    if code_only {
        phase("evaluating Terraform code");
        let named = standalone.iter().map(|(name, dir)| (Some(name.as_str()), dir));
        for (name, dir) in tf_dirs.iter().map(|d| (None, d)).chain(named) {
            let evaluated = crate::terraform::eval::evaluate_with(dir, &cli, &parsed)?;
            let (input, warnings) = (evaluated.input, evaluated.warnings);
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
        let no_cli = crate::terraform::eval::CommandLineVars::default();
        let dirs = tf_dirs.iter().map(|d| (None, d, &cli));
        let root_dirs = roots.iter().filter(|r| !r.terragrunt).map(|r| (Some(r.name.as_str()), &r.dir, &no_cli));
        for (root, dir, vars) in dirs.chain(root_dirs) {
            match crate::terraform::eval::evaluate_with(dir, vars, &parsed) {
                Ok(mut evaluated) => {
                    // What the code could not know limits the notes: say so.
                    code_warnings.append(&mut evaluated.warnings);
                    if let Some(root) = root {
                        evaluated.input = evaluated.input.in_root_module(root);
                    }
                    code.push(evaluated);
                }
                Err(e) => code_warnings.push(crate::model::Warning::new(
                    crate::model::WarningKind::NotCompared,
                    format!("the code was not evaluated, so it is not compared with the state: {e}"),
                    Some(dir.display().to_string()),
                )),
            }
        }
    }
    Ok(Declarations { states, code, sources, warnings: code_warnings, code_only })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::files::PARSES;

    struct LocalStates;

    impl StateReader for LocalStates {
        fn read(&self, sources: &[String]) -> Result<Vec<crate::tfstate::StateInput>> {
            sources.iter().map(|s| crate::tfstate::read_file(std::path::Path::new(s))).collect()
        }
        fn read_roots(
            &self,
            _: &[RootModule],
        ) -> Result<(Vec<crate::tfstate::StateInput>, Vec<crate::model::Warning>)> {
            Ok((Vec::new(), Vec::new()))
        }
    }

    /// Code beside a state is evaluated (for `code_differs`) and loaded for `declared_at`
    /// and patches: each of its files is parsed once for both.
    #[test]
    fn each_file_is_parsed_once_for_evaluation_and_patches() {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/demo");
        let request = Request {
            states: vec![demo.join("terraform.tfstate").display().to_string()],
            tf: vec![demo.join("infra")],
            ..Request::default()
        };
        let files = walk_tf(&demo.join("infra"));
        assert!(files >= 3, "{files} files");
        let before = PARSES.with(|p| p.get());
        let declared = gather(&request, &LocalStates, &|_| {}).unwrap();
        assert_eq!(declared.code.len(), 1, "the code was evaluated");
        assert!(declared.sources.is_some(), "and loaded for patches");
        assert_eq!(PARSES.with(|p| p.get()) - before, files, "each of {files} files parsed once");
    }

    fn walk_tf(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| match p.is_dir() {
                true => walk_tf(&p),
                false => usize::from(p.extension().is_some_and(|e| e == "tf")),
            })
            .sum()
    }
}

//! Root module discovery (`--discover DIR`, or `--tf` on a directory with no `.tf` of its
//! own): every directory under DIR whose code has a `backend` or `cloud` block, and every
//! Terragrunt unit (`terragrunt.hcl` with `remote_state`, its own or an included one's),
//! with where its state lives. The states are then read by the providers and compared
//! against one live scan: N root modules cost one scan, not N refresh-only plans.
//!
//! Backends read: `s3`, `azurerm`, `local`. Backends named as not supported yet: `http`,
//! `remote`, `cloud` (HCP Terraform), and any other; a backend whose bucket or key comes
//! from `-backend-config` at init time (a partial configuration) is named as such.

use crate::error::{Error, Result};
use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, FuncCall};
use hcl::{Body, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Directories never searched: provider and module caches, VCS metadata.
const SKIPPED_DIRS: &[&str] = &[".terraform", ".terragrunt-cache", ".git", "node_modules"];

/// One root module and where its state is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootModule {
    /// The directory, as found under the searched one.
    pub dir: PathBuf,
    /// The directory relative to the searched one (`live/prod/training`): how reports name it.
    pub name: String,
    pub state: StateLocation,
    /// A Terragrunt unit (its Terraform code is elsewhere, in `terraform.source`).
    pub terragrunt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// What `--state` takes: `s3://bucket/key`, `azurerm://account/container/blob`, or a path.
    Source(String),
    /// A local backend's path: a state not yet written there is "not applied yet".
    Local(PathBuf),
    /// The state cannot be read by this driftd: why, to be said in the report.
    Unsupported(String),
}

/// Every root module under `dir`, in path order.
pub fn discover(dir: &Path) -> Result<Vec<RootModule>> {
    discover_with(dir, &crate::terraform::files::ParsedFiles::default())
}

/// As [`discover`], with files parsed once for the whole check.
pub fn discover_with(dir: &Path, parsed: &crate::terraform::files::ParsedFiles) -> Result<Vec<RootModule>> {
    if !dir.is_dir() {
        return Err(Error::input(
            dir.display().to_string(),
            "not a directory: --discover takes a repository or folder",
        ));
    }
    let mut tf_dirs = Vec::new();
    let mut terragrunt_files = Vec::new();
    walk(dir, &mut tf_dirs, &mut terragrunt_files, 0)?;
    let mut roots = Vec::new();
    for d in tf_dirs {
        if let Some(state) = backend_of(&d, parsed)? {
            roots.push(RootModule { name: relative_name(dir, &d), dir: d, state, terragrunt: false });
        }
    }
    // Each terragrunt.hcl parsed once, by canonical path: units and the files they include.
    let mut parsed: BTreeMap<PathBuf, (PathBuf, Body)> = BTreeMap::new();
    for f in &terragrunt_files {
        parsed.insert(crate::terraform::files::canonical(f), (f.clone(), terragrunt_body(f)?));
    }
    // A terragrunt.hcl that another one includes is configuration shared by its units, not a unit.
    let included: BTreeSet<PathBuf> = parsed
        .values()
        .flat_map(|(f, body)| includes(f, body))
        .map(|p| crate::terraform::files::canonical(&p))
        .collect();
    for (key, (file, body)) in &parsed {
        if included.contains(key) {
            continue;
        }
        let unit_dir = file.parent().unwrap_or(dir).to_path_buf();
        if let Some(state) = terragrunt_state(file, body, &parsed)? {
            roots.push(RootModule { name: relative_name(dir, &unit_dir), dir: unit_dir, state, terragrunt: true });
        }
    }
    roots.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(roots)
}

fn walk(dir: &Path, tf_dirs: &mut Vec<PathBuf>, terragrunt: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 24 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let mut has_tf = false;
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if p.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) && !p.is_symlink() {
                walk(&p, tf_dirs, terragrunt, depth + 1)?;
            }
        } else if name == "terragrunt.hcl" {
            terragrunt.push(p);
        } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
            has_tf = true;
        }
    }
    if has_tf {
        tf_dirs.push(dir.to_path_buf());
    }
    Ok(())
}

fn relative_name(base: &Path, dir: &Path) -> String {
    match dir.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => dir.display().to_string(),
    }
}

/// The state location of a module directory with a `backend` or `cloud` block; `None`
/// for a module without one (a child module, or code run with the default local state).
fn backend_of(dir: &Path, parsed: &crate::terraform::files::ParsedFiles) -> Result<Option<StateLocation>> {
    for file in crate::terraform::files::tf_files(dir)? {
        let shown = file.display().to_string();
        let body = crate::terraform::eval::parse_file(&file, parsed)?;
        for terraform in body.blocks().filter(|b| b.identifier.as_str() == "terraform") {
            if let Some(cloud) = terraform.body.blocks().find(|b| b.identifier.as_str() == "cloud") {
                let config = literals(&cloud.body, "cloud", &shown)?;
                let workspaces = match cloud.body.blocks().find(|b| b.identifier.as_str() == "workspaces") {
                    Some(w) => literals(&w.body, "cloud", &shown)?,
                    None => hcl::Map::new(),
                };
                return Ok(Some(hcp_location("cloud", &config, &workspaces, &shown)));
            }
            let Some(backend) = terraform.body.blocks().find(|b| b.identifier.as_str() == "backend") else {
                continue;
            };
            let kind = backend.labels.first().map(|l| l.as_str().to_string()).unwrap_or_default();
            let config = literals(&backend.body, &kind, &shown)?;
            if kind == "remote" {
                let workspaces = match backend.body.blocks().find(|b| b.identifier.as_str() == "workspaces") {
                    Some(w) => literals(&w.body, "remote", &shown)?,
                    None => hcl::Map::new(),
                };
                return Ok(Some(hcp_location("remote", &config, &workspaces, &shown)));
            }
            return Ok(Some(location(&kind, &config, dir, &shown)));
        }
    }
    Ok(None)
}

/// A block's attributes: backend settings are literals in Terraform (no variables), so
/// anything else is refused there too.
fn literals(body: &Body, kind: &str, shown: &str) -> Result<hcl::Map<String, Value>> {
    let ctx = Context::new();
    let mut config = hcl::Map::new();
    for a in body.attributes() {
        let v = a.expr.evaluate(&ctx).map_err(|e| Error::input(shown, format!("backend {kind:?}: {}: {e}", a.key)))?;
        config.insert(a.key.to_string(), v);
    }
    Ok(config)
}

/// The workspace of a `cloud` block or a `remote` backend, as `remote://HOST/ORG/NAME`.
/// Unset settings come from the environment as Terraform takes them for `cloud`
/// (`TF_CLOUD_HOSTNAME`, `TF_CLOUD_ORGANIZATION`, `TF_WORKSPACE`).
fn hcp_location(
    kind: &str,
    config: &hcl::Map<String, Value>,
    workspaces: &hcl::Map<String, Value>,
    shown: &str,
) -> StateLocation {
    let get = |m: &hcl::Map<String, Value>, k: &str| {
        m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty() && kind == "cloud");
    let host =
        get(config, "hostname").or_else(|| env("TF_CLOUD_HOSTNAME")).unwrap_or_else(|| "app.terraform.io".into());
    let Some(org) = get(config, "organization").or_else(|| env("TF_CLOUD_ORGANIZATION")) else {
        return StateLocation::Unsupported(format!(
            "{shown}: the {kind:?} block names no organization (TF_CLOUD_ORGANIZATION at init time?); give this root module's state with --state remote://{host}/ORG/WORKSPACE"
        ));
    };
    match get(workspaces, "name").or_else(|| env("TF_WORKSPACE")) {
        Some(name) => StateLocation::Source(format!("remote://{host}/{org}/{name}")),
        None => StateLocation::Unsupported(format!(
            "{shown}: the {kind:?} block picks its workspaces by {} rather than by name; give the one to check with --state remote://{host}/{org}/WORKSPACE",
            if workspaces.contains_key("tags") { "tags" } else if workspaces.contains_key("prefix") { "prefix" } else { "selection at init time" }
        )),
    }
}

fn unsupported(kind: &str, shown: &str) -> StateLocation {
    StateLocation::Unsupported(format!(
        "{shown}: the {kind:?} backend is not supported by driftd yet; pull its state (`terraform state pull > state.json`) and give it with --state"
    ))
}

/// Where a backend of `kind` with `config` keeps the default workspace's state.
fn location(kind: &str, config: &hcl::Map<String, Value>, dir: &Path, shown: &str) -> StateLocation {
    let get = |k: &str| config.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    // A URL from these settings, in order; any of them missing is a partial backend.
    let url = |scheme: &str, settings: &[&str]| {
        let missing: Vec<&str> = settings.iter().copied().filter(|k| get(k).is_none()).collect();
        if missing.is_empty() {
            let parts: Vec<&str> = settings.iter().filter_map(|k| get(k)).collect();
            return StateLocation::Source(format!("{scheme}://{}", parts.join("/")));
        }
        StateLocation::Unsupported(format!(
            "{shown}: the {kind:?} backend leaves {} to -backend-config at init time; give this root module's state with --state",
            missing.join(" and ")
        ))
    };
    match kind {
        "s3" => url("s3", &["bucket", "key"]),
        "azurerm" => url("azurerm", &["storage_account_name", "container_name", "key"]),
        "local" => StateLocation::Local(crate::terraform::files::clean_path(&dir.join(get("path").unwrap_or("terraform.tfstate")))),
        // Credentials stay out of the location (it is reported): the reader takes them
        // from TF_HTTP_USERNAME and TF_HTTP_PASSWORD, as Terraform recommends.
        "http" => match get("address").map(str::to_string).or_else(|| std::env::var("TF_HTTP_ADDRESS").ok()) {
            Some(address) if address.starts_with("http://") || address.starts_with("https://") => {
                StateLocation::Source(address)
            }
            Some(_) => StateLocation::Unsupported(format!("{shown}: the \"http\" backend's address is not http(s)://")),
            None => StateLocation::Unsupported(format!(
                "{shown}: the \"http\" backend leaves address to TF_HTTP_ADDRESS or -backend-config at init time; give this root module's state with --state"
            )),
        },
        other => unsupported(other, shown),
    }
}

fn terragrunt_body(file: &Path) -> Result<Body> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, &e))?;
    let shown = file.display().to_string();
    crate::terraform::files::parse_body(&shown, &text)?;
    hcl::parse(&text).map_err(|e| Error::input(&shown, format!("HCL: {e}")))
}

/// The files a terragrunt.hcl includes (`include { path = find_in_parent_folders() }`).
fn includes(file: &Path, body: &Body) -> Vec<PathBuf> {
    let ctx = Context::new();
    body.blocks()
        .filter(|b| b.identifier.as_str() == "include")
        .filter_map(|b| b.body.attributes().find(|a| a.key.as_str() == "path"))
        .filter_map(|a| {
            let mut e = a.expr.clone();
            terragrunt_calls(&mut e, file, file).ok()?;
            let path = e.evaluate(&ctx).ok()?.as_str()?.to_string();
            let p = PathBuf::from(path);
            Some(if p.is_absolute() { p } else { file.parent()?.join(p) })
        })
        .collect()
}

/// The state of a Terragrunt unit: its own `remote_state`, else the first included
/// file's, evaluated as Terragrunt would for this unit.
/// `parsed`: the terragrunt.hcl files already read; an included file of another name
/// (`root.hcl`) is read here.
fn terragrunt_state(
    file: &Path,
    body: &Body,
    parsed: &BTreeMap<PathBuf, (PathBuf, Body)>,
) -> Result<Option<StateLocation>> {
    if let Some(state) = remote_state(file, file, body)? {
        return Ok(Some(state));
    }
    for parent in includes(file, body) {
        let read;
        let parent_body = match parsed.get(&crate::terraform::files::canonical(&parent)) {
            Some((_, b)) => b,
            None => {
                read = terragrunt_body(&parent)?;
                &read
            }
        };
        if let Some(state) = remote_state(&parent, file, parent_body)? {
            return Ok(Some(state));
        }
    }
    Ok(None)
}

/// `remote_state { backend = "s3" config = { ... } }` of `defined_in`, evaluated for the
/// unit `unit` (`path_relative_to_include()` is the unit's path from `defined_in`'s folder).
fn remote_state(defined_in: &Path, unit: &Path, body: &Body) -> Result<Option<StateLocation>> {
    let Some(block) = body.blocks().find(|b| b.identifier.as_str() == "remote_state") else {
        return Ok(None);
    };
    let shown = defined_in.display().to_string();
    let mut ctx = Context::new();
    let mut locals = hcl::Map::new();
    for a in body.blocks().filter(|b| b.identifier.as_str() == "locals").flat_map(|b| b.body.attributes()) {
        let mut e = a.expr.clone();
        terragrunt_calls(&mut e, defined_in, unit)
            .map_err(|err| Error::input(&shown, format!("local.{}: {err}", a.key)))?;
        ctx.declare_var("local", Value::Object(locals.clone()));
        if let Ok(v) = e.evaluate(&ctx) {
            locals.insert(a.key.to_string(), v);
        }
    }
    ctx.declare_var("local", Value::Object(locals));
    let attr = |key: &str| -> Result<Option<Value>> {
        let Some(a) = block.body.attributes().find(|a| a.key.as_str() == key) else { return Ok(None) };
        let mut e = a.expr.clone();
        terragrunt_calls(&mut e, defined_in, unit)
            .map_err(|err| Error::input(&shown, format!("remote_state.{key}: {err}")))?;
        e.evaluate(&ctx).map(Some).map_err(|err| Error::input(&shown, format!("remote_state.{key}: {err}")))
    };
    let backend = attr("backend")?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let config = match attr("config")? {
        Some(Value::Object(o)) => o,
        _ => hcl::Map::new(),
    };
    let unit_dir = unit.parent().unwrap_or(Path::new("."));
    Ok(Some(location(&backend, &config, unit_dir, &shown)))
}

/// Replace the Terragrunt functions a `remote_state` uses with their values for `unit`.
/// Any other Terragrunt function (`get_aws_account_id()`, `run_cmd(...)`) is an error
/// naming it: it needs the cloud or a shell, which discovery does not run.
fn terragrunt_calls(e: &mut Expression, defined_in: &Path, unit: &Path) -> std::result::Result<(), String> {
    let unit_dir = unit.parent().unwrap_or(Path::new("."));
    let defined_dir = defined_in.parent().unwrap_or(Path::new("."));
    let mut failure = None;
    crate::terraform::eval::map_calls(e, &mut |call: &FuncCall| {
        let arg = |i: usize| call.args.get(i).and_then(|a| a.evaluate(&Context::new()).ok());
        let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
        let value = match call.name.name.as_str() {
            "path_relative_to_include" => {
                let rel = pathdiff(
                    crate::terraform::files::canonical(unit_dir),
                    crate::terraform::files::canonical(defined_dir),
                );
                Value::from(if rel.is_empty() { ".".to_string() } else { rel })
            }
            "path_relative_from_include" => Value::from(pathdiff(
                crate::terraform::files::canonical(defined_dir),
                crate::terraform::files::canonical(unit_dir),
            )),
            "get_terragrunt_dir" => Value::from(crate::terraform::files::canonical(unit_dir).display().to_string()),
            "get_parent_terragrunt_dir" => {
                Value::from(crate::terraform::files::canonical(defined_dir).display().to_string())
            }
            "find_in_parent_folders" => {
                let name = text(arg(0)).unwrap_or_else(|| "terragrunt.hcl".into());
                // An absolute path, as Terragrunt returns.
                let found = crate::terraform::files::canonical(unit_dir)
                    .ancestors()
                    .skip(1)
                    .map(|d| d.join(&name))
                    .find(|p| p.is_file());
                match found {
                    Some(p) => Value::from(p.display().to_string()),
                    None => {
                        failure = Some(format!(
                            "find_in_parent_folders({name:?}): no such file above {}",
                            unit_dir.display()
                        ));
                        return None;
                    }
                }
            }
            "get_env" => {
                let name = text(arg(0)).unwrap_or_default();
                match std::env::var(&name).ok().or_else(|| text(arg(1))) {
                    Some(v) => Value::from(v),
                    None => {
                        failure = Some(format!("get_env({name:?}): not set and no default"));
                        return None;
                    }
                }
            }
            _ => return None,
        };
        Some(Expression::from(value))
    });
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

/// `to` relative to `from`, with `/` separators (both absolute or both relative).
fn pathdiff(to: PathBuf, from: PathBuf) -> String {
    let to: Vec<_> = to.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().to_string()));
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn finds_roots_by_backend_and_terragrunt_units_by_remote_state() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "live/prod/main.tf", "terraform {\n  backend \"s3\" {\n    bucket = \"tfstate\"\n    key    = \"prod/gpu.tfstate\"\n    region = \"us-east-1\"\n  }\n}\n");
        write(d, "live/az/main.tf", "terraform {\n  backend \"azurerm\" {\n    storage_account_name = \"acct\"\n    container_name = \"tfstate\"\n    key = \"gpu.tfstate\"\n  }\n}\n");
        write(d, "live/dev/main.tf", "terraform {\n  backend \"local\" {\n    path = \"state/dev.tfstate\"\n  }\n}\n");
        write(d, "live/hcp/main.tf", "terraform {\n  cloud {\n    organization = \"acme\"\n  }\n}\n");
        write(d, "live/partial/main.tf", "terraform {\n  backend \"s3\" {}\n}\n");
        write(d, "modules/gpu/main.tf", "variable \"x\" {}\n");
        write(d, "live/prod/.terraform/modules/gpu/main.tf", "terraform {\n  backend \"s3\" {}\n}\n");
        write(
            d,
            "terragrunt/terragrunt.hcl",
            "remote_state {\n  backend = \"s3\"\n  config = {\n    bucket = \"tg-${local.env}\"\n    key    = \"${path_relative_to_include()}/terraform.tfstate\"\n  }\n}\nlocals {\n  env = get_env(\"DRIFTD_TEST_UNSET_ENV\", \"prod\")\n}\n",
        );
        write(d, "terragrunt/batch/terragrunt.hcl", "include \"root\" {\n  path = find_in_parent_folders()\n}\nterraform {\n  source = \"../../modules/gpu\"\n}\n");
        let roots = discover(d).unwrap();
        let got: Vec<(&str, &StateLocation, bool)> =
            roots.iter().map(|r| (r.name.as_str(), &r.state, r.terragrunt)).collect();
        assert_eq!(got.len(), 6, "{got:#?}");
        assert_eq!(got[0], ("live/az", &StateLocation::Source("azurerm://acct/tfstate/gpu.tfstate".into()), false));
        assert_eq!(got[1].0, "live/dev");
        assert_eq!(got[1].1, &StateLocation::Local(d.join("live/dev/state/dev.tfstate")));
        assert!(
            matches!(got[2].1, StateLocation::Unsupported(m) if m.contains("picks its workspaces by selection at init time")),
            "{:?}",
            got[2]
        );
        assert!(
            matches!(got[3].1, StateLocation::Unsupported(m) if m.contains("leaves bucket and key to -backend-config")),
            "{:?}",
            got[3]
        );
        assert_eq!(got[4], ("live/prod", &StateLocation::Source("s3://tfstate/prod/gpu.tfstate".into()), false));
        assert_eq!(
            got[5],
            ("terragrunt/batch", &StateLocation::Source("s3://tg-prod/batch/terraform.tfstate".into()), true)
        );
    }

    /// http, remote and cloud backends become the state sources `--state` takes; what
    /// they leave to init time is named.
    #[test]
    fn http_remote_and_cloud_backends_are_read_and_unknown_terragrunt_functions_named() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "a/main.tf", "terraform {\n  backend \"http\" {\n    address = \"https://state.example/a\"\n  }\n}\n");
        write(d, "b/main.tf", "terraform {\n  backend \"remote\" {\n    organization = \"acme\"\n    workspaces {\n      name = \"gpu-prod\"\n    }\n  }\n}\n");
        write(d, "c/main.tf", "terraform {\n  cloud {\n    hostname = \"tfe.acme.internal\"\n    organization = \"acme\"\n    workspaces {\n      name = \"gpu-batch\"\n    }\n  }\n}\n");
        write(d, "d/main.tf", "terraform {\n  backend \"remote\" {\n    organization = \"acme\"\n    workspaces {\n      prefix = \"gpu-\"\n    }\n  }\n}\n");
        write(d, "e/main.tf", "terraform {\n  cloud {\n    organization = \"acme\"\n    workspaces {\n      tags = [\"gpu\"]\n    }\n  }\n}\n");
        let roots = discover(d).unwrap();
        assert_eq!(roots[0].state, StateLocation::Source("https://state.example/a".into()));
        assert_eq!(roots[1].state, StateLocation::Source("remote://app.terraform.io/acme/gpu-prod".into()));
        assert_eq!(roots[2].state, StateLocation::Source("remote://tfe.acme.internal/acme/gpu-batch".into()));
        assert!(
            matches!(&roots[3].state, StateLocation::Unsupported(m) if m.contains("by prefix") && m.contains("remote://app.terraform.io/acme/WORKSPACE")),
            "{:?}",
            roots[3]
        );
        assert!(matches!(&roots[4].state, StateLocation::Unsupported(m) if m.contains("by tags")), "{:?}", roots[4]);
        std::fs::remove_dir_all(d.join("d")).unwrap();
        std::fs::remove_dir_all(d.join("e")).unwrap();
        write(d, "tg/terragrunt.hcl", "remote_state {\n  backend = \"s3\"\n  config = {\n    bucket = \"b\"\n    key = \"${find_in_parent_folders(\"nope.hcl\")}/x\"\n  }\n}\n");
        let err = discover(d).unwrap_err();
        assert!(err.location.ends_with("tg/terragrunt.hcl"), "{err:?}");
        assert!(err.message.contains("find_in_parent_folders(\"nope.hcl\")"), "{err:?}");
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "x/main.tf", "terraform {\n  backend \"s3\" {\n    bucket = \n}\n");
        let err = discover(tmp.path()).unwrap_err();
        assert!(err.location.contains("x/main.tf:"), "{err:?}");
    }
}

//! The built-in pack is every `.rego` file in `gpu/`: a new policy is its file and its
//! `_test.rego`, with no list to keep. Writes `$OUT_DIR/builtin.rs` with both lists.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=gpu");
    let mut files: Vec<String> = std::fs::read_dir("gpu")
        .expect("policies/gpu")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rego"))
        .collect();
    files.sort();
    let list = |tests: bool| {
        let mut out = String::new();
        for name in files.iter().filter(|n| n.ends_with("_test.rego") == tests) {
            let _ = writeln!(
                out,
                "    (\"policies/gpu/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/gpu/{name}\"))),"
            );
        }
        out
    };
    let code = format!(
        "pub const BUILTIN: &[(&str, &str)] = &[\n{}];\n\npub const BUILTIN_TESTS: &[(&str, &str)] = &[\n{}];\n",
        list(false),
        list(true)
    );
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin.rs");
    std::fs::write(out, code).expect("write builtin.rs");
}

//! Rego policy loading, as `--policies DIR` does (the guard, then regorus).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = driftd_policies::Source { path: "fuzz.rego".into(), text: text.to_string(), builtin: false };
    let _ = driftd_policies::RegoEngine::load(&[source], &serde_json::json!({}), std::time::Duration::from_millis(500));
});

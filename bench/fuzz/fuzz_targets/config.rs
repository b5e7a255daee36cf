//! The TOML config (`driftd.toml`), parsed and validated as `driftd config check` does
//! without reading secrets: tables, `[[target]]`s, `[[notify]]` routes and durations.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = driftd::config::Config::parse("driftd.toml", text);
    }
});

//! `.driftignore` files.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = driftd_core::ignore::DriftIgnore::parse(".driftignore", text);
    }
});

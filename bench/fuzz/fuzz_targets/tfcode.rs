//! `.tf` code evaluated as `--tf DIR` does: the input is one `main.tf` in a folder of its
//! own (evaluation reads files, so each input is written out).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("main.tf"), data).is_err() {
        return;
    }
    let _ = driftd_core::terraform::eval::declarations(dir.path(), &Default::default());
});

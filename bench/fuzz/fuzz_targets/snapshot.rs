//! `driftd.snapshot/v1` files, parsed whole and streamed.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = driftd_core::snapshot::Snapshot::parse("fuzz.json", data);
    let _ = driftd_core::snapshot::stream("fuzz.json", data, &mut |_| {});
});

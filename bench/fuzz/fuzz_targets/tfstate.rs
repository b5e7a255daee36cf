//! Terraform state and plan JSON (raw v4, `show -json`, plan), every encoding the reader
//! takes: any bytes give a state or an error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = driftd_core::tfstate::parse("fuzz.tfstate", data);
});

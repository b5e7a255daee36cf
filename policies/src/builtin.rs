//! The built-in GPU pack, compiled into the binary: every `.rego` file of `policies/gpu/`
//! (`build.rs` lists them), its `*_test.rego` files apart. A new policy is its file and
//! its tests; ids never change once released.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

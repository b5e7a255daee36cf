//! Benchmark baseline: read and parse a state file and a snapshot file with serde_json
//! into untyped values, nothing else. `bench/compare_100k.sh` compares `driftd check`
//! against this.

// The allocator of the driftd binary, so that the two are compared on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut total = 0usize;
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        total += v.as_object().map_or(0, |o| o.len());
    }
    println!("{total}");
}

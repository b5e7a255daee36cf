//! The API's query strings, sent in-process through the daemon's router to
//! `/api/v1/findings`, `/api/v1/scans` (GET, and POST to trigger) over a store holding the demo
//! fleet's findings. Besides crashes it fails on any answer other than 200, 202, 400 or
//! 404, or a body that is not JSON: a 500 here is a query the store could not run.
#![no_main]
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Served {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

/// One store for the whole run, filled once by `driftd check --notify` on the demo fleet.
fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
        let dir = tempfile::tempdir().expect("temporary folder");
        let config = dir.path().join("driftd.toml");
        // `--notify` needs a notifier: one whose port refuses at once, with delivery cut
        // short, since only the store matters here.
        std::fs::write(
            &config,
            format!(
                "[store]\npath = {:?}\n[outbox]\ndeliver_for = \"1s\"\n[[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\n",
                dir.path().join("driftd.db")
            ),
        )
        .unwrap();
        let cli = <driftd::cli::Cli as clap::Parser>::try_parse_from([
            "driftd".as_ref(),
            "check".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--state".as_ref(),
            demo.join("terraform.tfstate").as_os_str(),
            "--provider".as_ref(),
            std::ffi::OsString::from(format!("snapshot:{}", demo.join("live.json").display())).as_os_str(),
            "--notify".as_ref(),
            "--output".as_ref(),
            dir.path().join("report.txt").as_os_str(),
        ])
        .expect("check arguments");
        // Exit 1: drift found, which is what fills the store.
        assert_eq!(driftd::dispatch(cli), std::process::ExitCode::from(1), "demo check did not find drift");
        let daemon = driftd::run::Daemon::serving_only(&config).expect("daemon over the demo store");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Served { runtime, router: driftd::run::http::router(Arc::new(daemon)), _dir: dir }
    })
}

libfuzzer_sys::fuzz_target!(
    // Filled before the first input, so the demo check does not count against -timeout.
    init: {
        served();
    },
    |data: &[u8]| {
    let Some((&which, query)) = data.split_first() else { return };
    let Ok(query) = std::str::from_utf8(query) else { return };
    let (method, path) = match which % 3 {
        0 => ("GET", "/api/v1/findings"),
        1 => ("GET", "/api/v1/scans"),
        _ => ("POST", "/api/v1/scans"),
    };
    // What a client cannot send (not a valid request target) never reaches the handlers.
    let Ok(request) = Request::builder().method(method).uri(format!("{path}?{query}")).body(Body::empty()) else {
        return;
    };
    let served = served();
    let (status, body) = served.runtime.block_on(async {
        let response = served.router.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        (status, axum::body::to_bytes(response.into_body(), 64 << 20).await.expect("body"))
    });
    assert!(
        [StatusCode::OK, StatusCode::ACCEPTED, StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND].contains(&status),
        "{method} {path}?{query}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok(), "{method} {path}?{query}: body not JSON");
    }
);

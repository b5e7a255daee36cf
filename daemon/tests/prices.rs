//! Prices from the clouds' price APIs, end to end through the real binary: the AWS Price
//! List Query API and the Azure Retail Prices API answered by a local server in their
//! documented shapes (`common/price_apis.rs`), spot prices from moto's
//! `DescribeSpotPriceHistory`; the bundled table when the APIs cannot be reached; the
//! daemon's cache of them in its store.

mod common;

use common::arm::{ArmServer, Fleet, Subscription};
use common::azure_fleet::{sub_id, Vm};
use common::daemon::{free_port, wait_for, Daemon};
use common::moto::{Moto, CONFIG};
use common::price_apis::PriceApis;
use common::{driftd_env, fleet, Run};
use serde_json::Value;

fn report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: stdout {}\nstderr {}", run.stdout, run.stderr))
}

/// The finding about resource `id`.
fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .unwrap_or_else(|| panic!("no finding about {id}: {report}"))
}

/// A p5.48xlarge launched by hand in eu-west-1 and one in us-east-1, and a g5.xlarge
/// bought as spot in us-east-1: (eu, us, spot) instance ids. No state: all unmanaged.
fn aws_fleet(moto: &Moto) -> (String, String, String) {
    fleet::rt().block_on(async {
        let mut ids = Vec::new();
        for region in ["eu-west-1", "us-east-1"] {
            let ec2 = aws_sdk_ec2::Client::new(&moto.sdk(region).await);
            let ami = fleet::ami(&ec2).await;
            ids.push(fleet::launch(&ec2, &ami, &format!("by-hand-{region}"), "p5.48xlarge", "", &[]).await);
        }
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let ami = fleet::ami(&ec2).await;
        let spot = ec2
            .run_instances()
            .image_id(ami)
            .instance_type(aws_sdk_ec2::types::InstanceType::G5Xlarge)
            .min_count(1)
            .max_count(1)
            .instance_market_options(
                aws_sdk_ec2::types::InstanceMarketOptionsRequest::builder()
                    .market_type(aws_sdk_ec2::types::MarketType::Spot)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ids.push(spot.instances()[0].instance_id().unwrap().to_string());
        (ids[0].clone(), ids[1].clone(), ids[2].clone())
    })
}

fn aws_check(moto: &Moto, extra_env: &[(&'static str, String)], format: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("driftd.toml"), CONFIG).unwrap();
    let mut env = moto.env();
    env.extend(extra_env.iter().cloned());
    driftd_env(
        dir.path(),
        &[
            "check",
            "--provider",
            "aws",
            "--region",
            "eu-west-1,us-east-1",
            "--no-builtin-policies",
            "--fail-on",
            "never",
            "--format",
            format,
        ],
        &env,
    )
}

/// Acceptance: a finding in eu-west-1 is priced with eu-west-1's price from the Price List
/// API and says so; us-east-1's differs; spot capacity is priced from the spot price
/// history; every report format names the price.
#[test]
fn each_finding_is_priced_for_its_region_from_the_price_list_api_and_says_so() {
    let moto = Moto::start();
    let (eu, us, spot) = aws_fleet(&moto);
    let apis = PriceApis::start();
    apis.aws("eu-west-1", "p5.48xlarge", 63.296).aws("us-east-1", "p5.48xlarge", 54.912);
    let traced = tempfile::tempdir().unwrap();
    let trace = traced.path().join("actions.txt");
    let mut env = apis.env();
    env.push(("DRIFTD_TRACE_API_CALLS", trace.display().to_string()));
    let run = aws_check(&moto, &env, "json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The calls pricing makes, and the reader policy grants them.
    let called = std::fs::read_to_string(&trace).unwrap();
    let policy = std::fs::read_to_string(common::root().join("deploy/aws/iam-policy.json")).unwrap();
    for action in ["pricing:GetProducts", "ec2:DescribeSpotPriceHistory"] {
        assert!(called.lines().any(|l| l == action), "{action} not called: {called}");
        assert!(policy.contains(&format!("\"{action}\"")), "deploy/aws/iam-policy.json does not grant {action}");
    }
    let r = report(&run);
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();

    let eu_cost = &finding(&r, &eu)["cost"];
    assert_eq!(eu_cost["live_per_hour_usd"], 63.3);
    assert_eq!(eu_cost["price"]["source"], "aws_price_list");
    assert_eq!(eu_cost["price"]["region"], "eu-west-1");
    assert_eq!(eu_cost["price"]["purchase"], "on_demand");
    assert_eq!(eu_cost["price"]["as_of"], today.as_str());
    assert_eq!(eu_cost["price"]["stale"], false);
    let us_cost = &finding(&r, &us)["cost"];
    assert_eq!(
        (us_cost["live_per_hour_usd"].as_f64(), us_cost["price"]["region"].as_str()),
        (Some(54.91), Some("us-east-1"))
    );
    assert_ne!(eu_cost["live_per_hour_usd"], us_cost["live_per_hour_usd"]);

    // moto's spot price history: $0.00001 an hour, dated 2006, so stale.
    let spot_cost = &finding(&r, &spot)["cost"];
    assert_eq!(spot_cost["price"]["source"], "aws_spot_price_history");
    assert_eq!(spot_cost["price"]["purchase"], "spot");
    assert_eq!(spot_cost["price"]["stale"], true);
    assert_eq!(spot_cost["live_per_hour_usd"], 0.0);

    let fetched = r["prices"]["fetched"].as_array().unwrap();
    let list = fetched.iter().find(|f| f["source"] == "aws_price_list").unwrap();
    assert_eq!(list["regions"], serde_json::json!(["eu-west-1", "us-east-1"]));
    assert!(r["prices"]["unavailable"].as_array().unwrap().is_empty(), "{}", r["prices"]);
    // Each query's answer came in two pages (the Windows product first): both were read.
    let (asked, paged) = apis.aws_requests();
    assert!(asked >= 4 && paged >= 2, "GetProducts requests {asked}, of them for a next page {paged}");

    let said = "AWS Price List API, eu-west-1, on-demand";
    for format in ["text", "markdown", "junit", "sarif"] {
        let run = aws_check(&moto, &apis.env(), format);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(said), "{format} does not name the price: {}", run.stdout);
    }
}

/// Acceptance: with the price APIs unreachable the scan succeeds, the bundled table
/// prices every finding (us-east-1's price, whatever the region) and the report says so.
#[test]
fn with_the_price_apis_unreachable_the_bundled_table_prices_and_the_report_says_so() {
    let moto = Moto::start();
    let (eu, _, _) = aws_fleet(&moto);
    let unreachable = [("AWS_ENDPOINT_URL_PRICING", "http://127.0.0.1:9".to_string())];
    let run = aws_check(&moto, &unreachable, "json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = report(&run);
    assert!(r["warnings"].as_array().unwrap().iter().all(|w| w["kind"] != "scan_error"), "{}", r["warnings"]);
    let unavailable = r["prices"]["unavailable"].as_array().unwrap();
    assert!(
        unavailable
            .iter()
            .any(|u| u.as_str().unwrap().starts_with("AWS Price List API: cannot reach http://127.0.0.1:9")),
        "{unavailable:?}"
    );
    let cost = &finding(&r, &eu)["cost"];
    assert_eq!(cost["live_per_hour_usd"], 55.04);
    assert_eq!(cost["price"]["source"], "bundled");
    assert_eq!(cost["price"]["region"], "us-east-1");
    let text = aws_check(&moto, &unreachable, "text");
    let costs = text.stdout.lines().find(|l| l.trim_start().starts_with("costs:")).unwrap();
    assert!(costs.contains("from the bundled table") && costs.contains("AWS Price List API: cannot reach"), "{costs}");
}

/// Azure VMs in westeurope priced from the Retail Prices API (its pages followed): the
/// pay-as-you-go Linux meter, and the Spot meter for a Spot VM; with `[prices] fetch =
/// false`, the bundled table and no request at all.
#[test]
fn azure_vms_are_priced_from_the_retail_prices_api_by_region_and_priority() {
    let sub = sub_id(1);
    let regular = Vm::new(&sub, "nd-train-0", "Standard_ND96isr_H100_v5");
    let mut spot = Vm::new(&sub, "nd-spot-0", "Standard_ND96isr_H100_v5");
    spot.priority = "Spot".into();
    let vms: Vec<Value> = [&regular, &spot]
        .iter()
        .map(|vm| {
            let mut v = vm.arm();
            v["location"] = "westeurope".into();
            v
        })
        .collect();
    let mut fleet = Fleet::default();
    fleet.subscriptions.insert(sub.clone(), Subscription { vms, ..Default::default() });
    let server = ArmServer::start(fleet);
    let apis = PriceApis::start();
    apis.azure("westeurope", "Standard_ND96isr_H100_v5", 110.24, 38.58);
    let dir = tempfile::tempdir().unwrap();
    let check = |config: &str| {
        std::fs::write(dir.path().join("driftd.toml"), config).unwrap();
        let mut env = server.env();
        env.extend(apis.env());
        let args = ["check", "--provider", "azure", "--format", "json", "--no-builtin-policies", "--fail-on", "never"];
        report(&driftd_env(dir.path(), &args, &env))
    };
    let r = check("");
    let cost = &finding(&r, &regular.id())["cost"];
    assert_eq!(cost["live_per_hour_usd"], 110.24);
    assert_eq!(cost["price"]["source"], "azure_retail_prices");
    assert_eq!(cost["price"]["region"], "westeurope");
    assert_eq!(cost["price"]["purchase"], "on_demand");
    let cost = &finding(&r, &spot.id())["cost"];
    assert_eq!((cost["live_per_hour_usd"].as_f64(), cost["price"]["purchase"].as_str()), (Some(38.58), Some("spot")));
    let (asked, paged) = apis.azure_requests();
    assert!(asked >= 2 && paged >= 1, "Retail Prices requests {asked}, of them next pages {paged}");

    let r = check("[prices]\nfetch = false\n");
    let cost = &finding(&r, &regular.id())["cost"];
    assert_eq!((cost["price"]["source"].as_str(), cost["price"]["region"].as_str()), (Some("bundled"), Some("eastus")));
    assert_eq!(apis.azure_requests().0, asked, "fetch = false asked the API");
}

/// `driftd run` scanning the fleet's two regions every second (with `extra` config),
/// once it has recorded three scans.
fn daemon_after_three_scans(dir: &std::path::Path, extra: &str, env: &[(&'static str, String)]) -> Daemon {
    let port = free_port();
    let config = format!(
        "{CONFIG}{extra}[daemon]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"driftd.db\"\n\n\
         [[target]]\nname = \"gpu\"\nprovider = [\"aws\"]\nregion = [\"eu-west-1\", \"us-east-1\"]\ninterval = \"1s\"\nno_builtin_policies = true\n"
    );
    std::fs::write(dir.join("driftd.toml"), config).unwrap();
    let d = Daemon::start(dir, "driftd.toml", port, env);
    wait_for(60, "three scans", || {
        let scans = d.json("/api/v1/scans", &[]);
        (scans["scans"].as_array().map_or(0, Vec::len) >= 3).then_some(())
    });
    d
}

/// The daemon keeps what the APIs gave in its store: later scans within `[prices]
/// refresh` ask no API again, and the findings it serves say which price they used.
#[test]
fn the_daemon_caches_prices_in_its_store_between_scans() {
    let moto = Moto::start();
    let (eu, _, _) = aws_fleet(&moto);
    let apis = PriceApis::start();
    apis.aws("eu-west-1", "p5.48xlarge", 63.296).aws("us-east-1", "p5.48xlarge", 54.912);
    let dir = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.extend(apis.env());
    let d = daemon_after_three_scans(dir.path(), "[prices]\nrefresh = \"1h\"\n", &env);
    // Once each: p5.48xlarge in two regions (two pages each), and g5.xlarge in us-east-1
    // (no such product here; its spot price comes from the spot price history).
    assert_eq!(apis.aws_requests(), (5, 2), "GetProducts asked again within refresh");
    let f = open_finding_of(&d, &eu);
    assert_eq!(f["cost"]["price"]["source"], "aws_price_list");
    assert_eq!(f["cost"]["price"]["region"], "eu-west-1");
    d.terminate(20);
    let db = rusqlite::Connection::open(dir.path().join("driftd.db")).unwrap();
    let rows: i64 =
        db.query_row("SELECT count(*) FROM prices WHERE origin = 'aws_price_list'", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 2);
}

/// The open finding of the resource `id`, as the daemon's API has it.
fn open_finding_of(d: &Daemon, id: &str) -> Value {
    let findings = d.json("/api/v1/findings", &[]);
    let found = findings["findings"].as_array().unwrap().iter().find(|f| f["finding"]["resource"]["id"] == id);
    found.unwrap_or_else(|| panic!("no open finding of {id}: {findings}"))["finding"].clone()
}

/// A price API that refuses (access denied) is not asked again at every scan: the daemon
/// leaves it alone for an hour, prices from the bundled table, and logs why once.
#[test]
fn the_daemon_does_not_ask_a_refusing_price_api_at_every_scan() {
    use common::receiver::{Receiver, Reply};
    let moto = Moto::start();
    let (eu, _, _) = aws_fleet(&moto);
    let denied = Receiver::start(|_| Reply {
        status: 400,
        headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
        body:
            r#"{"__type":"AccessDeniedException","Message":"User is not authorized to perform: pricing:GetProducts"}"#
                .into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push(("AWS_ENDPOINT_URL_PRICING", denied.url.clone()));
    let d = daemon_after_three_scans(dir.path(), "", &env);
    // The first scan's three sizes-and-regions, once each: access denied is not retried.
    assert_eq!(denied.received().len(), 3);
    let f = open_finding_of(&d, &eu);
    assert_eq!(
        (f["cost"]["price"]["source"].as_str(), f["cost"]["live_per_hour_usd"].as_f64()),
        (Some("bundled"), Some(55.04))
    );
    let log = d.log();
    assert_eq!(log.matches("a price API could not be read").count(), 1, "{log}");
    assert!(log.contains("AccessDeniedException"), "{log}");
    d.terminate(20);
}

//! The benchmark against a real gateway, briefly and slowly: what is checked is its
//! accounting (every approved reply counted, verified, and found in the store), never speed.

use clap::{Parser, Subcommand};
use tidegate_bench::{BenchArgs, Report};
use tidegate_server::Config;

const ADMIN_TOKEN: &str = "bench-test-admin-token";

/// The command line as `tidegate` shapes it.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Bench(BenchArgs),
}

fn bench_args(extra: &[&str]) -> BenchArgs {
    let mut line = vec!["tidegate", "bench"];
    line.extend_from_slice(extra);
    let Command::Bench(args) = Cli::try_parse_from(line)
        .expect("valid bench arguments")
        .command;
    args
}

fn assert_accounted(report: &Report) {
    let summary = report.render();
    assert!(report.passed(), "{summary}");
    let counts = &report.counts;
    assert!(counts.approved > 0, "{summary}");
    assert_eq!(counts.errors(), 0, "{summary}");
    assert_eq!(counts.connect_errors, 0, "{summary}");
    assert_eq!(counts.signature_failures, 0, "{summary}");
    assert!(counts.refused.is_empty(), "{summary}");
    assert_eq!(counts.sent, counts.approved + counts.pending, "{summary}");
    assert_eq!(report.resolution.unresolved, 0, "{summary}");
    let store = report.store.as_ref().expect("the store was checked");
    assert_eq!(
        store.approved_after - store.approved_before,
        store.approved_replies,
        "{summary}"
    );
    assert_eq!(
        store.approved_replies,
        counts.approved + report.resolution.approved,
        "{summary}"
    );
    assert!(report.latency_ms.count > 0, "{summary}");
    assert!(report.successes_in_window > 0, "{summary}");
    assert_eq!(
        report
            .timeline
            .iter()
            .map(|second| second.successes)
            .sum::<u64>(),
        counts.approved,
        "{summary}"
    );
}

/// A sandbox gateway on a temporary database (kept alive by the returned directory).
async fn start_gateway() -> (tidegate_server::RunningServer, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: format!("sqlite:{}", dir.path().join("tidegate.db").display()),
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        ..Config::default()
    };
    let server = tidegate_server::start(config)
        .await
        .expect("gateway starts");
    let url = format!("http://{}", server.local_addr());
    (server, dir, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_closed_loops_account_for_every_payment() {
    let (server, _dir, url) = start_gateway().await;
    let common = [
        "--url",
        &url,
        "--admin-token",
        ADMIN_TOKEN,
        "--warmup",
        "0.5",
        "--duration",
        "1.5",
        "--quiet",
    ];

    let open = bench_args(
        &[
            &common[..],
            &["--rate", "200", "--connections", "8", "--verify-replays"],
        ]
        .concat(),
    );
    let report = tidegate_bench::measure(open).await.expect("open loop runs");
    assert_accounted(&report);
    assert_eq!(report.mode, "open");
    assert!(report.service_ms.is_some() && report.send_lag_ms.is_some());
    // 200/s for 2 s, give or take the last due payments.
    assert!(
        (300..=400).contains(&report.counts.sent),
        "{}",
        report.render()
    );
    let replays = report.replays.as_ref().expect("replays were checked");
    assert_eq!(replays.replayed, report.counts.approved);
    assert_eq!(replays.confirmed, replays.replayed, "{}", report.render());

    let closed = bench_args(&[&common[..], &["--connections", "4"]].concat());
    let report = tidegate_bench::measure(closed)
        .await
        .expect("closed loop runs");
    assert_accounted(&report);
    assert_eq!(report.mode, "closed");
    assert!(report.replays.is_none());

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pingpong_payments_are_accounted_for_too() {
    let (server, _dir, url) = start_gateway().await;
    let line = [
        "--dialect",
        "pingpong",
        "--url",
        &url,
        "--admin-token",
        ADMIN_TOKEN,
        "--warmup",
        "0.5",
        "--duration",
        "1",
        "--rate",
        "50",
        "--connections",
        "4",
        "--verify-replays",
        "--quiet",
    ];
    let report = tidegate_bench::measure(bench_args(&line))
        .await
        .expect("the PingPong run runs");
    assert_accounted(&report);
    assert_eq!(report.dialect, "pingpong");
    // 50/s for 1.5 s, give or take the last due payments.
    assert!(
        (60..=90).contains(&report.counts.sent),
        "{}",
        report.render()
    );
    let replays = report.replays.as_ref().expect("replays were checked");
    assert_eq!(replays.replayed, report.counts.approved);
    assert_eq!(replays.confirmed, replays.replayed, "{}", report.render());
    server.stop().await;
}

#[test]
fn the_ceiling_is_a_subcommand_and_kill_tests_need_a_spawned_gateway() {
    let Command::Bench(args) =
        Cli::try_parse_from(["tidegate", "bench", "ceiling", "--listen", "127.0.0.1:0"])
            .expect("parses")
            .command;
    assert!(matches!(
        args.mode,
        Some(tidegate_bench::BenchMode::Ceiling(_))
    ));
    assert!(Cli::try_parse_from(["tidegate", "bench", "--kill-after", "5"]).is_err());
    assert!(Cli::try_parse_from([
        "tidegate",
        "bench",
        "--spawn",
        "x",
        "--url",
        "http://127.0.0.1:1"
    ])
    .is_err());
    assert!(
        Cli::try_parse_from(["tidegate", "bench", "--spawn", "x", "--kill-after", "5"]).is_ok()
    );
}

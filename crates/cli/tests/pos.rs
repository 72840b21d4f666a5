//! `tidegate pos` and `tidegate notices listen` as a cashier and a developer use them: a real
//! gateway on port 0 with its own database, the binary run as a subprocess, outcomes read from
//! its output and exit status.

#![allow(clippy::field_reassign_with_default)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tempfile::TempDir;
use tidegate_server::{Config, RunningServer};

const BIN: &str = env!("CARGO_BIN_EXE_tidegate");

/// A sandbox gateway with test timings.
struct Gateway {
    server: RunningServer,
    url: String,
    _dir: TempDir,
}

async fn gateway_with(tweak: impl FnOnce(&mut Config)) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = format!("sqlite:{}", dir.path().join("tidegate.db").display());
    config.payments.sweep_interval_ms = 50;
    config.payments.poll_interval_ms = 50;
    config.sandbox.pin_delay_ms = 600;
    config.sandbox.unknown_resolves_after_ms = 800;
    config.notices.oceanpayment_retry_schedule_ms = vec![100, 100, 100];
    config.notices.poll_interval_ms = 50;
    tweak(&mut config);
    let server = tidegate_server::start(config)
        .await
        .expect("gateway starts");
    let url = format!("http://{}", server.local_addr());
    Gateway {
        server,
        url,
        _dir: dir,
    }
}

async fn gateway() -> Gateway {
    gateway_with(|_| {}).await
}

/// What a finished command printed, and its exit status.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The value of a `name: value` line on stdout.
    fn field(&self, name: &str) -> &str {
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Test timings for the till: short polls and voids.
const FAST: [&str; 6] = [
    "--poll-interval",
    "100ms",
    "--void-interval",
    "100ms",
    "--void-timeout",
    "3s",
];

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("TIDEGATE_PROFILE")
        .env_remove("TIDEGATE_GATEWAY")
        .env_remove("TIDEGATE_SECURE_CODE")
        .stdin(Stdio::null());
    command
}

/// Runs the binary to completion without blocking the gateway's runtime.
async fn exec(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = command(&args).output().expect("tidegate runs");
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("run task")
}

async fn pos(gateway: &str, args: &[&str]) -> Run {
    let mut all = vec!["pos"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--gateway", gateway]);
    all.extend_from_slice(&FAST);
    exec(&all).await
}

/// A running child whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tidegate starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            stdout: Vec::new(),
        }
    }

    /// Waits (up to 20 s) for a stdout line starting with `prefix` and returns the rest.
    async fn line_starting(&mut self, prefix: &str) -> String {
        for _ in 0..400 {
            while let Ok(line) = self.lines.try_recv() {
                self.stdout.push(line.clone());
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_owned();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no line starting with {prefix:?} in {:?}", self.stdout);
    }

    /// Waits for the child to exit and returns everything it printed.
    async fn finish(mut self) -> Run {
        let mut child = std::mem::replace(
            &mut self.child,
            Command::new("true").spawn().expect("placeholder"),
        );
        let lines = std::mem::replace(&mut self.lines, mpsc::channel().1);
        let mut stdout = std::mem::take(&mut self.stdout);
        tokio::task::spawn_blocking(move || {
            let status = child.wait().expect("exits");
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            stdout.extend(lines.iter());
            Run {
                status: status.code().unwrap_or(-1),
                stdout: stdout.join("\n"),
                stderr,
            }
        })
        .await
        .expect("wait task")
    }
}

async fn customer(gateway: &Gateway, payment_id: &str, action: &str) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/sandbox/payments/{payment_id}/{action}",
            gateway.url
        ))
        .send()
        .await
        .expect("sandbox route");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn a_scanned_code_approved_or_declined_at_once() {
    let gateway = gateway().await;
    let run = pos(
        &gateway.url,
        &[
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "12.30",
            "--currency",
            "CNY",
        ],
    )
    .await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "approved");
    assert_eq!(run.field("details"), "80000:Transaction Approved");
    assert_eq!(run.field("payment").len(), 21);
    assert!(run.field("order").starts_with("POS-"));

    let run = pos(
        &gateway.url,
        &[
            "scan",
            "--code",
            "284567890123450051",
            "--amount",
            "0.51",
            "--order",
            "DECLINE-1",
        ],
    )
    .await;
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "declined");
    assert_eq!(run.field("details"), "80022:Not Sufficient Funds");
    assert_eq!(run.field("order"), "DECLINE-1");
}

#[tokio::test]
async fn a_pin_entry_is_polled_until_paid_or_cancelled() {
    let gateway = gateway().await;
    let run = pos(
        &gateway.url,
        &["scan", "--code", "134567890123451000", "--amount", "12.30"],
    )
    .await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "approved");
    assert!(
        run.stderr
            .contains("pending: 29001:Waiting for the customer"),
        "{}",
        run.stderr
    );

    let run = pos(
        &gateway.url,
        &["scan", "--code", "134567890123451001", "--amount", "12.30"],
    )
    .await;
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("details"), "80101:Customer canceled transaction");
}

#[tokio::test]
async fn an_acquirer_timeout_still_unknown_at_the_deadline_ends_in_a_void() {
    let gateway = gateway_with(|config| config.sandbox.unknown_resolves_after_ms = 60_000).await;
    let run = pos(
        &gateway.url,
        &[
            "scan",
            "--code",
            "134567890123459000",
            "--amount",
            "12.30",
            "--timeout",
            "800ms",
        ],
    )
    .await;
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "voided");
    assert_eq!(run.field("details"), "80053:Authorisation Void");
    assert!(run.stderr.contains("pending: 80700"), "{}", run.stderr);
    assert!(run.stderr.contains("voiding the order"), "{}", run.stderr);
}

/// Reads a QR code back from the half-block drawing on stdout, as a camera would.
fn decode_drawing(stdout: &str) -> String {
    let drawing: Vec<Vec<char>> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("qr: "))
        .skip(1)
        .take_while(|line| {
            !line.is_empty() && line.chars().all(|c| matches!(c, ' ' | '▀' | '▄' | '█'))
        })
        .map(|line| line.chars().collect())
        .collect();
    assert!(!drawing.is_empty(), "no drawing in {stdout}");
    let width = drawing[0].len();
    let mut modules = Vec::new();
    for line in &drawing {
        let top: Vec<bool> = line.iter().map(|c| matches!(c, '▀' | '█')).collect();
        let bottom: Vec<bool> = line.iter().map(|c| matches!(c, '▄' | '█')).collect();
        modules.push(top);
        modules.push(bottom);
    }
    let scale = 6;
    let side = width * scale;
    let height = modules.len() * scale;
    decode_grey(side, height, |x, y| {
        if modules[y / scale][x / scale] {
            0
        } else {
            255
        }
    })
}

fn decode_grey(width: usize, height: usize, pixel: impl FnMut(usize, usize) -> u8) -> String {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("decodes").1
}

fn decode_png(path: &std::path::Path) -> String {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("png written"));
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let width = usize::try_from(info.width).expect("width");
    let height = usize::try_from(info.height).expect("height");
    decode_grey(width, height, |x, y| buffer[y * width + x])
}

#[tokio::test]
async fn a_qr_code_is_drawn_scannable_and_paid_by_the_customer() {
    let gateway = gateway().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("qr.png");
    let svg = dir.path().join("qr.svg");
    let (png_arg, svg_arg) = (png.display().to_string(), svg.display().to_string());
    let mut till = Running::start(&[
        "pos",
        "qr",
        "--method",
        "wechat",
        "--amount",
        "12.30",
        "--gateway",
        &gateway.url,
        "--png",
        &png_arg,
        "--svg",
        &svg_arg,
        "--poll-interval",
        "100ms",
    ]);
    let payload = till.line_starting("qr: ").await;
    assert!(
        payload.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{payload}"
    );
    let payment_id = till.line_starting("payment: ").await;
    customer(&gateway, &payment_id, "pay").await;
    let run = till.finish().await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "approved");

    assert_eq!(
        decode_drawing(&run.stdout),
        payload,
        "the terminal drawing scans"
    );
    assert_eq!(decode_png(&png), payload, "the PNG scans");
    let svg = std::fs::read_to_string(&svg).expect("svg written");
    assert!(svg.contains("<svg") && svg.contains("<path"));
}

#[tokio::test]
async fn an_unpaid_qr_code_expires() {
    let gateway = gateway_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let run = pos(
        &gateway.url,
        &[
            "qr",
            "--method",
            "alipay",
            "--amount",
            "5.00",
            "--timeout",
            "20s",
        ],
    )
    .await;
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("details"), "80100:Transaction was not finished");
    assert!(run.field("qr").starts_with("https://qr.alipay.com/"));
}

#[tokio::test]
async fn a_qr_payment_learned_from_its_notice() {
    let gateway = gateway().await;
    let mut till = Running::start(&[
        "pos",
        "qr",
        "--method",
        "alipay",
        "--amount",
        "3.00",
        "--gateway",
        &gateway.url,
        "--listen",
        "127.0.0.1:0",
        "--timeout",
        "20s",
    ]);
    let notice_url = till.line_starting("notices: ").await;
    assert!(notice_url.starts_with("http://127.0.0.1:"));
    let payment_id = till.line_starting("payment: ").await;
    customer(&gateway, &payment_id, "pay").await;
    let run = till.finish().await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "oceanpayment payment: order {}, payment {payment_id}, approved",
            run.field("order")
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("pending: ").count(),
        1,
        "only the pay answer, no polling: {}",
        run.stderr
    );
}

/// A server answering every request with `body`.
async fn fake_gateway(body: String) -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::post;
    let app = axum::Router::new().fallback(post(move || {
        let body = body.clone();
        async move { ([("content-type", "application/xml; charset=utf-8")], body) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    (
        url,
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }),
    )
}

#[tokio::test]
async fn a_reply_with_one_character_changed_is_not_believed() {
    let reply = tidegate_wire::oceanpayment::PaymentReply {
        notice_type: "transaction".into(),
        account: "995149".into(),
        terminal: "99514901".into(),
        order_number: "TAMPER-1".into(),
        order_currency: "CNY".into(),
        order_amount: "12.30".into(),
        payment_id: "260101093000123000001".into(),
        payment_auth_type: "0".into(),
        payment_status: "0".into(),
        payment_details: "80012:Payment Declined".into(),
        ..Default::default()
    }
    .encode("12345678");
    let tampered = reply.replacen("<payment_status>0<", "<payment_status>1<", 1);
    let (url, _server) = fake_gateway(tampered).await;
    let run = exec(&[
        "pos",
        "scan",
        "--code",
        "134567890123450000",
        "--amount",
        "12.30",
        "--order",
        "TAMPER-1",
        "--gateway",
        &url,
        "--timeout",
        "300ms",
        "--poll-interval",
        "100ms",
        "--void-interval",
        "100ms",
        "--void-timeout",
        "300ms",
    ])
    .await;
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.field("outcome"), "unknown");
    assert!(
        run.stderr.contains("signature does not verify"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn wrong_credentials_and_bad_usage_exit_3() {
    let gateway = gateway().await;
    let run = pos(
        &gateway.url,
        &[
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "1.00",
            "--secure-code",
            "87654321",
        ],
    )
    .await;
    assert_eq!(run.status, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("20013:Incorrect sign value"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was charged"), "{}", run.stderr);

    for args in [
        &["pos", "scan", "--amount", "1.00"][..],
        &[
            "pos",
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "1.001",
        ],
        &["pos", "scan", "--code", "999", "--amount", "1.00"],
        &["pos", "qr", "--method", "paypal", "--amount", "1"],
        &[
            "pos",
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "1",
            "--currency",
            "XYZ",
        ],
        &[
            "pos",
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "1",
            "--poll-interval",
            "soon",
        ],
        &["pos"],
    ] {
        let refused = exec(args).await;
        assert_eq!(refused.status, 3, "{args:?}: {}", refused.stderr);
    }
    for args in [
        &["pos", "--help"][..],
        &["pos", "scan", "--help"],
        &["pos", "qr", "--help"],
    ] {
        let help = exec(args).await;
        assert_eq!(help.status, 0, "{args:?}: {}", help.stderr);
        assert!(
            help.stdout.contains("Usage: tidegate pos"),
            "{}",
            help.stdout
        );
    }
}

#[tokio::test]
async fn credentials_come_from_a_profile_and_flags_win() {
    let gateway = gateway().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("till.toml");
    std::fs::write(
        &profile,
        format!("gateway = \"{}\"\ndialect = \"oceanpayment\"\n[oceanpayment]\naccount = \"995149\"\nterminal = \"99514901\"\nsecure_code = \"87654321\"\n", gateway.url),
    )
    .expect("profile written");
    let profile = profile.display().to_string();
    let scan = [
        "pos",
        "scan",
        "--code",
        "134567890123450000",
        "--amount",
        "1.00",
        "--profile",
        &profile,
    ];
    let run1 = exec(&scan).await;
    assert_eq!(
        run1.status, 3,
        "the profile's secureCode is wrong: {}",
        run1.stderr
    );
    let mut fixed = scan.to_vec();
    fixed.extend_from_slice(&["--secure-code", "12345678"]);
    let run2 = exec(&fixed).await;
    assert_eq!(
        run2.status, 0,
        "the flag wins: {}{}",
        run2.stdout, run2.stderr
    );

    std::fs::write(dir.path().join("bad.toml"), "secure_code = \"x\"\n").expect("written");
    let bad = dir.path().join("bad.toml").display().to_string();
    let run3 = exec(&[
        "pos",
        "scan",
        "--code",
        "134567890123450000",
        "--amount",
        "1",
        "--profile",
        &bad,
    ])
    .await;
    assert_eq!(run3.status, 3);
    assert!(run3.stderr.contains("is not valid"), "{}", run3.stderr);
}

#[tokio::test]
async fn the_notice_receiver_verifies_and_acknowledges_both_dialects() {
    let gateway = gateway().await;
    let mut listener = Running::start(&["notices", "listen", "--listen", "127.0.0.1:0"]);
    let url = listener.line_starting("listening on ").await;

    // Oceanpayment: a real notice from the gateway, acknowledged with receive-ok.
    let run = pos(
        &gateway.url,
        &[
            "scan",
            "--code",
            "134567890123450000",
            "--amount",
            "12.30",
            "--notice-url",
            &url,
        ],
    )
    .await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let payment_id = run.field("payment").to_owned();
    let line = listener.line_starting("oceanpayment payment: ").await;
    assert_eq!(
        line,
        format!(
            "order {}, payment {payment_id}, approved (80000:Transaction Approved)",
            run.field("order")
        )
    );
    let mut delivered = false;
    for _ in 0..100 {
        let notices = gateway
            .server
            .engine()
            .notices_of_payment(&payment_id)
            .await
            .expect("notices");
        if notices
            .first()
            .is_some_and(|(notice, _)| notice.status.as_str() == "delivered")
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the gateway counted the notice as acknowledged");

    // PingPong: a notification signed with the sandbox store's salt, answered 2xx `OK`; a
    // forged one is answered `FAIL`.
    let envelope = |salt: &str| {
        tidegate_wire::pingpong::NotificationEnvelope {
            acc_id: "2018092714313010016291".into(),
            client_id: "2018092714313010016".into(),
            sign_type: tidegate_wire::pingpong::SignType::Sha256,
            biz_content: r#"{"transactionId":"260101093000123000009","merchantTransactionId":"PP-1","amount":"12.30","currency":"CNY","notifyType":"RECHARGE","status":"SUCCESS"}"#.into(),
        }
        .encode(salt)
    };
    let client = reqwest::Client::new();
    let genuine = client
        .post(&url)
        .header("content-type", "application/json")
        .body(envelope("F78BC96A55548B2319EE68E0"))
        .send()
        .await
        .expect("sent");
    assert_eq!(genuine.status().as_u16(), 200);
    assert_eq!(genuine.text().await.expect("body"), "OK");
    let line = listener.line_starting("pingpong payment: ").await;
    assert_eq!(
        line,
        "order PP-1, transaction 260101093000123000009, approved (000000:Transaction succeeded)"
    );

    let forged = client
        .post(&url)
        .header("content-type", "application/json")
        .body(envelope("not the salt"))
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status().as_u16(), 400);
    assert_eq!(forged.text().await.expect("body"), "FAIL");
}

#[tokio::test]
async fn sign_pingpong_prints_the_published_signature() {
    // PingPong's published unifiedPay example (tests/fixtures/SOURCE.md), signed with the
    // public sandbox salt.
    let biz_content = include_str!("fixtures/pingpong-unifiedpay-biz-content.json").trim_end();
    let signed = exec(&["sign", "pingpong", "--biz-content", biz_content]).await;
    assert_eq!(signed.status, 0, "{}", signed.stderr);
    assert_eq!(
        signed.stdout.trim(),
        "898A3CBE981B3E2BF4E2B8D1A817D7E23EF93BC4293993EE545E36F4C87F2E79"
    );
    let md5 = exec(&[
        "sign",
        "pingpong",
        "--biz-content",
        "{}",
        "--sign-type",
        "MD5",
    ])
    .await;
    assert_eq!(md5.stdout.trim().len(), 32);
}

#[tokio::test]
async fn the_pingpong_dialect_end_to_end() {
    let gateway = gateway_with(|config| config.sandbox.unknown_resolves_after_ms = 60_000).await;
    let scan = |code: &'static str| {
        [
            "scan",
            "--dialect",
            "pingpong",
            "--code",
            code,
            "--amount",
            "12.30",
            "--timeout",
            "800ms",
        ]
    };
    let approved = pos(&gateway.url, &scan("134567890123450000")).await;
    assert_eq!(approved.status, 0, "{}{}", approved.stdout, approved.stderr);
    assert_eq!(approved.field("details"), "000000:Transaction succeeded");
    let declined = pos(&gateway.url, &scan("284567890123450059")).await;
    assert_eq!(declined.status, 1, "{}{}", declined.stdout, declined.stderr);
    assert_eq!(declined.field("details"), "301059:Suspected fraud");
    let voided = pos(&gateway.url, &scan("134567890123459000")).await;
    assert_eq!(voided.status, 2, "{}{}", voided.stdout, voided.stderr);
    assert_eq!(voided.field("outcome"), "voided");
    assert_eq!(voided.field("details"), "105000:Transaction closed");

    // A QR code paid by the customer, learned from the gateway's real notification.
    let mut till = Running::start(&[
        "pos",
        "qr",
        "--dialect",
        "pingpong",
        "--method",
        "wechat",
        "--amount",
        "8.00",
        "--gateway",
        &gateway.url,
        "--listen",
        "127.0.0.1:0",
        "--timeout",
        "20s",
    ]);
    let payment_id = till.line_starting("payment: ").await;
    customer(&gateway, &payment_id, "pay").await;
    let run = till.finish().await;
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let expected = format!(
        "pingpong payment: order {}, transaction {payment_id}, approved",
        run.field("order")
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

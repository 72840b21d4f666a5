//! The `tidegate` binary as an operator and a till use it: serve, kill -9, restart; manage
//! terminals; sign requests.

#![allow(clippy::format_collect)]

use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_tidegate");

/// A `tidegate serve` child process on port 0.
struct Served {
    child: Child,
    base_url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let config = dir.join("tidegate.toml");
    std::fs::write(
        &config,
        "[payments]\nsweep_interval_ms = 50\npoll_interval_ms = 50\n[sandbox]\nunknown_resolves_after_ms = 1500\n",
    )
    .expect("config written");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--database")
        .arg(format!("sqlite:{}", dir.join("data/tidegate.db").display()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tidegate serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();
    Served { child, base_url }
}

fn signed_payment(
    order_number: &str,
    code: &str,
    secure_code: &str,
    account: &str,
    terminal: &str,
) -> Vec<(String, String)> {
    let mut hasher = Sha256::new();
    for part in [account, terminal, order_number, "CNY", "8.80"] {
        hasher.update(part);
    }
    hasher.update(secure_code);
    let sign_value: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    [
        ("account", account),
        ("terminal", terminal),
        ("order_number", order_number),
        ("order_currency", "CNY"),
        ("order_amount", "8.80"),
        ("pay_accountNumber", code),
        ("signValue", sign_value.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn tag(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    body.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map(|(value, _)| value.to_owned())
        .unwrap_or_default()
}

async fn pay(base_url: &str, form: &[(String, String)]) -> String {
    reqwest::Client::new()
        .post(format!("{base_url}/gateway/directservice/pay"))
        .form(form)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body")
}

#[tokio::test]
async fn a_killed_gateway_loses_nothing_it_acknowledged_and_resolves_the_rest_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = serve(dir.path());
    let mut acknowledged = Vec::new();
    for n in 0..20 {
        let form = signed_payment(
            &format!("kill-{n}"),
            "134567890123450000",
            "12345678",
            "995149",
            "99514901",
        );
        let body = pay(&served.base_url, &form).await;
        assert_eq!(tag(&body, "payment_status"), "1", "{body}");
        acknowledged.push((form, tag(&body, "payment_id")));
    }
    let unknown_form = signed_payment(
        "kill-unknown",
        "134567890123459000",
        "12345678",
        "995149",
        "99514901",
    );
    let unknown = pay(&served.base_url, &unknown_form).await;
    assert_eq!(tag(&unknown, "payment_status"), "-1");

    // SIGKILL: no shutdown hook runs.
    drop(served);

    let served = serve(dir.path());
    for (form, payment_id) in &acknowledged {
        let body = pay(&served.base_url, form).await;
        assert_eq!(&tag(&body, "payment_id"), payment_id);
        assert_eq!(tag(&body, "payment_status"), "1");
    }
    let mut status = String::new();
    for _ in 0..100 {
        let body = pay(&served.base_url, &unknown_form).await;
        assert_eq!(tag(&body, "payment_id"), tag(&unknown, "payment_id"));
        status = tag(&body, "payment_status");
        if status != "-1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status, "1",
        "the unknown result was resolved by the restarted gateway"
    );
}

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .arg("--database")
        .arg(format!("sqlite:{}", dir.join("data/tidegate.db").display()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn field(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .map_or_else(
            || panic!("no {name} in {stdout}"),
            |value| value.trim().to_owned(),
        )
}

#[tokio::test]
async fn a_new_merchant_terminal_takes_payments_with_its_one_time_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr) = run(dir.path(), &["merchant", "add", "--name", "Harbour Tea"]);
    assert!(ok, "{stderr}");
    let account = field(&stdout, "account");
    let terminal = field(&stdout, "terminal");
    let secure_code = field(&stdout, "secureCode");
    assert_eq!(account.len(), 6);
    assert_eq!(terminal, format!("{account}01"));
    assert_eq!(secure_code.len(), 16);

    let (ok, stdout, _) = run(dir.path(), &["terminal", "add", "--account", &account]);
    assert!(ok);
    assert_eq!(field(&stdout, "terminal"), format!("{account}02"));
    let (ok, _, stderr) = run(
        dir.path(),
        &[
            "terminal",
            "add",
            "--account",
            &account,
            "--terminal",
            &terminal,
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("exists already"), "{stderr}");

    let (ok, stdout, _) = run(dir.path(), &["terminal", "list"]);
    assert!(ok);
    assert!(stdout.contains(&terminal) && stdout.contains("99514901"));
    assert!(!stdout.contains(&secure_code), "secrets are never listed");

    let database = std::fs::read(dir.path().join("data/tidegate.db")).expect("database file");
    assert!(
        !database
            .windows(secure_code.len())
            .any(|w| w == secure_code.as_bytes()),
        "stored encrypted"
    );

    let served = serve(dir.path());
    let form = signed_payment(
        "merchant-1",
        "284567890123450000",
        &secure_code,
        &account,
        &terminal,
    );
    let body = pay(&served.base_url, &form).await;
    assert_eq!(tag(&body, "payment_status"), "1", "{body}");
    let wrong = signed_payment(
        "merchant-2",
        "284567890123450000",
        "12345678",
        &account,
        &terminal,
    );
    assert_eq!(
        tag(&pay(&served.base_url, &wrong).await, "payment_details"),
        "20013:Incorrect sign value"
    );
}

#[test]
fn sign_prints_what_the_gateway_verifies() {
    let output = Command::new(BIN)
        .args([
            "sign",
            "pay",
            "--order-number",
            "A1",
            "--currency",
            "CNY",
            "--amount",
            "12.30",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let mut hasher = Sha256::new();
    hasher.update("99514999514901A1CNY12.3012345678");
    let expected: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), expected);

    // Published vector: order query of account 995378, terminal 99537801, order ae866.
    let output = Command::new(BIN)
        .args([
            "sign",
            "raw",
            "--secure-code",
            "12345678",
            "995378",
            "99537801",
            "ae866",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "2e27426ca627e4734ca9c43bd18e593c4af1848688486a3c167d39f7f75cf7b2"
    );
}

#[tokio::test]
async fn notices_are_listed_and_resent_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = serve(dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let notice_url = format!("http://{}/notice", closed.local_addr().expect("addr"));
    drop(closed);
    let mut form = signed_payment(
        "notice-cli",
        "134567890123450000",
        "12345678",
        "995149",
        "99514901",
    );
    form.push(("noticeUrl".into(), notice_url));
    let body = pay(&served.base_url, &form).await;
    let payment_id = tag(&body, "payment_id");
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(served);

    let (ok, stdout, stderr) = run(dir.path(), &["notices", "list", "--payment", &payment_id]);
    assert!(ok, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(listed[0]["payment_id"], payment_id.as_str());
    assert_eq!(listed[0]["attempt_log"][0]["error"], "connection failed");
    let notice_id = listed[0]["notice_id"].as_str().expect("id").to_owned();

    let (ok, stdout, _) = run(dir.path(), &["notices", "resend", &notice_id]);
    assert!(ok);
    assert!(stdout.contains("is due again"), "{stdout}");
    let (ok, _, stderr) = run(dir.path(), &["notices", "resend", "000000000000000000000"]);
    assert!(!ok);
    assert!(stderr.contains("no notice"), "{stderr}");
}

#[tokio::test]
async fn a_new_pingpong_store_takes_payments_with_its_one_time_salt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr) = run(
        dir.path(),
        &[
            "merchant",
            "add",
            "--name",
            "Kowloon Noodles",
            "--dialect",
            "pingpong",
        ],
    );
    assert!(ok, "{stderr}");
    let client_id = field(&stdout, "clientId");
    let acc_id = field(&stdout, "accId");
    let salt = field(&stdout, "salt");
    assert_eq!(client_id.len(), 19);
    assert_eq!(acc_id, format!("{client_id}001"));
    assert_eq!(salt.len(), 24);
    let (ok, stdout, _) = run(
        dir.path(),
        &[
            "terminal",
            "add",
            "--dialect",
            "pingpong",
            "--account",
            &client_id,
        ],
    );
    assert!(ok);
    assert_eq!(field(&stdout, "accId"), format!("{client_id}002"));

    let served = serve(dir.path());
    let biz = r#"{"merchantTransactionId":"pp-cli-1","requestId":"R-1","amount":"3.00","currency":"CNY","paymentMethod":{"type":"Wechat-Offline","scanCodeId":"134567890123450000"}}"#;
    let content =
        format!("accId={acc_id}&bizContent={biz}&clientId={client_id}&signType=SHA256&version=1.0");
    let mut hasher = Sha256::new();
    hasher.update(format!("{salt}{content}"));
    let sign: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let body = serde_json::json!({
        "accId": acc_id, "clientId": client_id, "signType": "SHA256", "sign": sign, "version": "1.0", "bizContent": biz,
    });
    let text = reqwest::Client::new()
        .post(format!("{}/v4/payment/unifiedPay", served.base_url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    let reply: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(reply["code"], "000000", "{reply}");
}

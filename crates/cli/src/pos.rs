//! `tidegate pos`: a till in the terminal. It runs the protocol WeChat Pay and Alipay require
//! (pay, poll while pending, void when time runs out) against a gateway, shows its progress and
//! exits with the outcome: 0 approved, 1 declined, 2 voided or unknown, 3 usage or
//! configuration error.

use crate::listen::Receiver;
use crate::profile::{parse_duration, Dialect, GatewayArgs, Resolved};
use crate::progress::Display;
use crate::qr::{write_files, Modules};
use clap::{Args, Subcommand, ValueEnum};
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tidegate_client::till::{
    Outcome, Progress, Report, Status, Till, TillApi, TillConfig, TillOrder,
};
use tidegate_client::{oceanpayment, pingpong, ClientError};
use tidegate_core::{AuthCode, Currency, Money, Presentment, Wallet};
use tokio::sync::mpsc;

/// Exit status of a usage or configuration error.
pub const USAGE_ERROR: u8 = 3;

/// The till's commands.
#[derive(Subcommand)]
pub enum PosCommand {
    /// Scan the customer's wallet code and take the payment (customer-presented).
    Scan(ScanArgs),
    /// Show a QR code for the customer to scan and wait for the payment (merchant-presented).
    Qr(QrArgs),
}

/// `tidegate pos scan`: a customer-presented payment.
#[derive(Args)]
pub struct ScanArgs {
    /// The customer's WeChat Pay or Alipay payment code, as scanned.
    #[arg(long)]
    code: String,
    /// Where the gateway should POST the result.
    #[arg(long, value_name = "URL")]
    notice_url: Option<String>,
    #[command(flatten)]
    sale: SaleArgs,
    /// Void the order if it is still pending after this long [default: 45s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
}

/// The wallet of a merchant-presented QR code.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Method {
    /// WeChat Pay.
    Wechat,
    /// Alipay.
    Alipay,
}

/// `tidegate pos qr`: a merchant-presented payment.
#[derive(Args)]
pub struct QrArgs {
    /// The wallet whose QR code to show.
    #[arg(long, value_enum)]
    method: Method,
    /// Also write the QR code as a PNG image.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Also write the QR code as an SVG image.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Wait for the result on a local notice receiver at this address (its URL becomes the
    /// notice URL) instead of polling.
    #[arg(long, value_name = "ADDR", conflicts_with = "notice_url")]
    listen: Option<SocketAddr>,
    /// Where the gateway should POST the result.
    #[arg(long, value_name = "URL")]
    notice_url: Option<String>,
    #[command(flatten)]
    sale: SaleArgs,
    /// Void the order if the customer has not paid after this long [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
}

/// What every sale needs.
#[derive(Args)]
pub struct SaleArgs {
    /// The amount, e.g. 12.30.
    #[arg(long)]
    amount: String,
    /// The currency (ISO 4217).
    #[arg(long, default_value = "CNY")]
    currency: String,
    /// The order number [default: POS- and the time].
    #[arg(long)]
    order: Option<String>,
    /// Notes echoed in replies and notices.
    #[arg(long, default_value = "")]
    notes: String,
    /// The till's device id.
    #[arg(long, default_value = "tidegate-pos")]
    device_id: String,
    /// How often to query a pending payment.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    poll_interval: Duration,
    /// How long to wait between void attempts that were not definitive.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    void_interval: Duration,
    /// How long to keep retrying the void before reporting the outcome unknown.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2m")]
    void_timeout: Duration,
    #[command(flatten)]
    gateway: GatewayArgs,
}

/// Runs a `tidegate pos` command to its exit status.
pub async fn run(command: PosCommand) -> ExitCode {
    let prepared = match command {
        PosCommand::Scan(args) => prepare_scan(args),
        PosCommand::Qr(args) => prepare_qr(args),
    };
    match prepared {
        Ok(sale) => sell(sale).await,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(USAGE_ERROR)
        }
    }
}

/// A sale ready to run: the order, the gateway, the timings and the QR code's outputs.
struct Sale {
    order: TillOrder,
    resolved: Resolved,
    request_timeout: Duration,
    config: TillConfig,
    png: Option<PathBuf>,
    svg: Option<PathBuf>,
    listen: Option<SocketAddr>,
}

fn prepare_scan(args: ScanArgs) -> anyhow::Result<Sale> {
    let code =
        AuthCode::parse(args.code.trim()).map_err(|error| anyhow::anyhow!("--code: {error}"))?;
    let mut sale = prepare(
        args.sale,
        Presentment::CustomerPresented(code),
        args.notice_url,
    )?;
    if let Some(timeout) = args.timeout {
        sale.config.timeout = timeout;
    }
    Ok(sale)
}

fn prepare_qr(args: QrArgs) -> anyhow::Result<Sale> {
    let wallet = match args.method {
        Method::Wechat => Wallet::WeChatPay,
        Method::Alipay => Wallet::Alipay,
    };
    let mut sale = prepare(
        args.sale,
        Presentment::MerchantPresented(wallet),
        args.notice_url,
    )?;
    if let Some(timeout) = args.timeout {
        sale.config.qr_timeout = timeout;
    }
    sale.png = args.png;
    sale.svg = args.svg;
    sale.listen = args.listen;
    Ok(sale)
}

fn prepare(
    args: SaleArgs,
    presentment: Presentment,
    notice_url: Option<String>,
) -> anyhow::Result<Sale> {
    let resolved = args.gateway.resolve()?;
    let currency = Currency::parse(args.currency.trim()).ok_or_else(|| {
        anyhow::anyhow!("--currency: {:?} is not an ISO 4217 code", args.currency)
    })?;
    let amount = Money::parse_decimal(
        args.amount.trim(),
        currency,
        usize::from(currency.exponent()),
    )
    .map_err(|error| anyhow::anyhow!("--amount: {error}"))?;
    let order_number = args.order.unwrap_or_else(default_order_number);
    let mut order = TillOrder::new(order_number, amount, presentment)
        .with_notes(args.notes)
        .with_device_id(args.device_id);
    order.notice_url = notice_url;
    let config = TillConfig {
        poll_interval: args.poll_interval,
        void_interval: args.void_interval,
        void_timeout: args.void_timeout,
        ..TillConfig::default()
    };
    Ok(Sale {
        order,
        resolved,
        request_timeout: args.gateway.request_timeout,
        config,
        png: None,
        svg: None,
        listen: None,
    })
}

/// `POS-` and the current time to the millisecond: unique enough for one till.
fn default_order_number() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("POS-{millis}")
}

async fn sell(mut sale: Sale) -> ExitCode {
    let (oceanpayment, pingpong) = (
        sale.resolved.oceanpayment.clone(),
        sale.resolved.pingpong.clone(),
    );
    let (forward, mut notices) = mpsc::channel(4);
    let _receiver = match sale.listen {
        Some(address) => match start_receiver(
            address,
            &sale.order.order_number,
            oceanpayment.clone(),
            pingpong.clone(),
            forward,
        )
        .await
        {
            Ok(receiver) => {
                sale.order.notice_url = Some(receiver.notice_url());
                println!("notices: {}", receiver.notice_url());
                Some(receiver)
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                return ExitCode::from(USAGE_ERROR);
            }
        },
        None => None,
    };
    let notices = sale.listen.is_some().then_some(&mut notices);
    println!("order: {}", sale.order.order_number);
    let gateway = sale.resolved.gateway.clone();
    let outcome = match sale.resolved.dialect {
        Dialect::Oceanpayment => match oceanpayment::OceanpaymentClient::with_timeout(
            &gateway,
            oceanpayment,
            sale.request_timeout,
        ) {
            Ok(client) => run_till(client, &sale, notices).await,
            Err(error) => Err(error),
        },
        Dialect::Pingpong => {
            match pingpong::PingPongClient::with_timeout(&gateway, pingpong, sale.request_timeout) {
                Ok(client) => run_till(client, &sale, notices).await,
                Err(error) => Err(error),
            }
        }
    };
    report(outcome)
}

/// Starts the notice receiver and forwards the statuses of this order's notices to the till.
async fn start_receiver(
    address: SocketAddr,
    order_number: &str,
    oceanpayment: oceanpayment::Credentials,
    pingpong: pingpong::Credentials,
    forward: mpsc::Sender<Status>,
) -> anyhow::Result<Receiver> {
    let (sink, mut received) = mpsc::unbounded_channel();
    let receiver = Receiver::start(address, oceanpayment, pingpong, sink).await?;
    let order_number = order_number.to_owned();
    tokio::spawn(async move {
        while let Some(notice) = received.recv().await {
            eprintln!("notice: {}", notice.line);
            if let (true, Some(status)) = (notice.order_number == order_number, notice.status) {
                let _ = forward.send(status).await;
            }
        }
    });
    Ok(receiver)
}

async fn run_till<A: TillApi + Sync>(
    api: A,
    sale: &Sale,
    notices: Option<&mut mpsc::Receiver<Status>>,
) -> Result<Outcome, ClientError> {
    let till = Till::new(api, sale.config);
    let display = Display::start();
    let mut payment_shown = false;
    let mut progress = |step: Progress| {
        match &step {
            Progress::QrCode(payload) => show_qr(&display, payload, sale),
            Progress::Pending { report, .. } if !payment_shown && !report.payment_id.is_empty() => {
                payment_shown = true;
                display.print_above(&format!("payment: {}\n", report.payment_id));
            }
            Progress::Pending { .. }
            | Progress::Paying { .. }
            | Progress::NoAnswer { .. }
            | Progress::Voiding { .. }
            | Progress::VoidNotDone { .. } => {}
        }
        display.show(&step);
    };
    let outcome = match notices {
        Some(notices) => {
            till.run_with_notices(&sale.order, notices, &mut progress)
                .await
        }
        None => till.run(&sale.order, &mut progress).await,
    };
    display.finish();
    outcome.inspect(|outcome| {
        let payment_id = payment_id(outcome);
        if !payment_shown && !payment_id.is_empty() {
            println!("payment: {payment_id}");
        }
    })
}

fn show_qr(display: &Display, payload: &str, sale: &Sale) {
    display.print_above(&format!("qr: {payload}\n"));
    match Modules::encode(payload) {
        Ok(modules) => {
            display.print_above(&modules.to_terminal(std::io::stdout().is_terminal()));
            if let Err(error) = write_files(&modules, sale.png.as_deref(), sale.svg.as_deref()) {
                eprintln!("error: {error:#}");
            }
        }
        Err(error) => eprintln!("error: cannot draw the QR code: {error:#}"),
    }
}

fn payment_id(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Approved(report) | Outcome::Declined(report) | Outcome::Voided(report) => {
            &report.payment_id
        }
        Outcome::Unknown { payment_id, .. } => payment_id,
    }
}

/// Prints the outcome and picks the exit status.
fn report(outcome: Result<Outcome, ClientError>) -> ExitCode {
    let details = |report: &Report| {
        if report.code.is_empty() {
            report.message.clone()
        } else {
            format!("{}:{}", report.code, report.message)
        }
    };
    match outcome {
        Ok(Outcome::Approved(report)) => {
            println!("outcome: approved\ndetails: {}", details(&report));
            ExitCode::SUCCESS
        }
        Ok(Outcome::Declined(report)) => {
            println!("outcome: declined\ndetails: {}", details(&report));
            ExitCode::from(1)
        }
        Ok(Outcome::Voided(report)) => {
            println!("outcome: voided\ndetails: {}", details(&report));
            ExitCode::from(2)
        }
        Ok(Outcome::Unknown { reason, .. }) => {
            println!("outcome: unknown\ndetails: {reason}");
            eprintln!("The payment's outcome is unknown: look the order up and void it before giving the goods.");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error}");
            if let ClientError::Refused { .. } = error {
                eprintln!(
                    "Nothing was charged. Check the gateway URL, the dialect and the credentials."
                );
            }
            ExitCode::from(USAGE_ERROR)
        }
    }
}

//! The `tidegate` command.

mod listen;
mod merchants;
mod pos;
mod profile;
mod progress;
mod qr;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tidegate_engine::{Engine, EngineError};
use tidegate_server::Config;
use tidegate_wire::oceanpayment::sign;

/// Tidegate: a self-hosted payment gateway that speaks the Oceanpayment merchant API.
#[derive(Parser)]
#[command(name = "tidegate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (sandbox mode with an embedded SQLite database by default).
    Serve(ServeArgs),
    /// Manage merchant accounts.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Manage terminals.
    #[command(subcommand)]
    Terminal(TerminalCommand),
    /// Measure a gateway under load: payments/s, latency, and that nothing is lost.
    Bench(tidegate_bench::BenchArgs),
    /// Inspect and resend merchant notices.
    #[command(subcommand)]
    Notices(NoticesCommand),
    /// Print the signValue of a request, for testing with curl.
    #[command(subcommand)]
    Sign(SignCommand),
    /// A till in the terminal: take a payment against a gateway (exit status 0 approved,
    /// 1 declined, 2 voided or unknown, 3 usage or configuration error).
    #[command(subcommand)]
    Pos(Box<pos::PosCommand>),
}

#[derive(Subcommand)]
enum NoticesCommand {
    /// List a payment's notices with every delivery attempt, as JSON.
    List {
        /// The payment.
        #[arg(long)]
        payment: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Make a notice due again now; a running gateway delivers it within its poll interval.
    Resend {
        /// The notice id (from `tidegate notices list`).
        notice_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Receive notices of both dialects: verify, print and acknowledge each one (use its URL,
    /// printed first, as the noticeUrl while developing).
    Listen {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        #[command(flatten)]
        credentials: profile::CredentialArgs,
    },
}

/// Where the configuration and the database are.
#[derive(Args, Clone)]
struct StoreArgs {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE", env = "TIDEGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL, e.g. sqlite:tidegate-data/tidegate.db [default: from config, else that].
    #[arg(long, value_name = "URL", env = "TIDEGATE_DATABASE_URL")]
    database: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on [default: from config, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR", env = "TIDEGATE_LISTEN")]
    listen: Option<std::net::SocketAddr>,
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Create a merchant account with its first terminal (Oceanpayment) or store (PingPong);
    /// prints its secret (secureCode or salt) once.
    Add {
        /// The merchant's display name.
        #[arg(long)]
        name: String,
        /// Account number (Oceanpayment: 6 digits; PingPong: the clientId); generated if omitted.
        #[arg(long)]
        account: Option<String>,
        /// Which API the merchant's tills speak.
        #[arg(long, value_enum, default_value_t = merchants::Dialect::Oceanpayment)]
        dialect: merchants::Dialect,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TerminalCommand {
    /// Add a terminal (PingPong: a store) to an account (created if new); prints its secret
    /// once.
    Add {
        /// The merchant account (PingPong: the clientId).
        #[arg(long)]
        account: String,
        /// Terminal number (PingPong: the accId); the account followed by the next free
        /// two-digit (PingPong: three-digit) number if omitted.
        #[arg(long)]
        terminal: Option<String>,
        /// The merchant's display name, used if the account is new.
        #[arg(long, default_value = "")]
        name: String,
        /// Which API the terminal's tills speak.
        #[arg(long, value_enum, default_value_t = merchants::Dialect::Oceanpayment)]
        dialect: merchants::Dialect,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List terminals (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum SignCommand {
    /// signValue of an in-person payment (POST /gateway/directservice/pay).
    Pay {
        /// Merchant account.
        #[arg(long, default_value = "995149")]
        account: String,
        /// Terminal.
        #[arg(long, default_value = "99514901")]
        terminal: String,
        /// order_number.
        #[arg(long)]
        order_number: String,
        /// order_currency.
        #[arg(long)]
        currency: String,
        /// order_amount, exactly as it will be sent.
        #[arg(long)]
        amount: String,
        /// billing_firstName, if sent.
        #[arg(long, default_value = "")]
        first_name: String,
        /// billing_lastName, if sent.
        #[arg(long, default_value = "")]
        last_name: String,
        /// billing_email, if sent.
        #[arg(long, default_value = "")]
        email: String,
        /// The terminal's secureCode [default: the sandbox demo terminal's].
        #[arg(
            long,
            env = "TIDEGATE_SECURE_CODE",
            default_value = "12345678",
            hide_env_values = true
        )]
        secure_code: String,
    },
    /// The envelope sign of a PingPong request carrying this bizContent.
    Pingpong {
        /// The bizContent JSON text, exactly as it will be sent.
        #[arg(long)]
        biz_content: String,
        /// The signature algorithm.
        #[arg(long, value_enum, default_value = "SHA256")]
        sign_type: profile::SignTypeArg,
        /// The store id.
        #[arg(long, default_value = "2018092714313010016291")]
        acc_id: String,
        /// The merchant id.
        #[arg(long, default_value = "2018092714313010016")]
        client_id: String,
        /// The store's salt [default: the public sandbox store's].
        #[arg(
            long,
            env = "TIDEGATE_PINGPONG_SALT",
            default_value = "F78BC96A55548B2319EE68E0",
            hide_env_values = true
        )]
        salt: String,
    },
    /// signValue of arbitrary values, concatenated in the order given, secureCode last.
    Raw {
        /// The terminal's secureCode.
        #[arg(long, env = "TIDEGATE_SECURE_CODE", hide_env_values = true)]
        secure_code: String,
        /// Field values in signing order.
        values: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Pos(command) = cli.command {
        return runtime.block_on(pos::run(*command));
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a command-line error (or the help or version asked for) and picks the exit status:
/// `tidegate pos` reserves 1 and 2 for payment outcomes, so its usage errors exit 3.
fn usage_error(error: &clap::Error) -> std::process::ExitCode {
    let _ = error.print();
    let status = error.exit_code();
    let is_pos = std::env::args_os()
        .nth(1)
        .is_some_and(|command| command == "pos");
    if status != 0 && is_pos {
        return std::process::ExitCode::from(pos::USAGE_ERROR);
    }
    std::process::ExitCode::from(u8::try_from(status).unwrap_or(2))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Bench(args) => match tidegate_bench::run(args).await? {
            code if code == std::process::ExitCode::SUCCESS => Ok(()),
            _ => bail!("the benchmark's checks failed (see its report)"),
        },
        Command::Merchant(MerchantCommand::Add {
            name,
            account,
            dialect,
            store,
        }) => {
            let engine = engine(&store).await?;
            let account = match account {
                Some(account) => account,
                None => merchants::free_account(&engine, dialect).await?,
            };
            merchants::add_terminal(&engine, dialect, &account, None, &name).await
        }
        Command::Terminal(TerminalCommand::Add {
            account,
            terminal,
            name,
            dialect,
            store,
        }) => {
            let engine = engine(&store).await?;
            merchants::add_terminal(&engine, dialect, &account, terminal, &name).await
        }
        Command::Terminal(TerminalCommand::List { store }) => {
            let engine = engine(&store).await?;
            for (account, terminal, name) in engine.list_terminals().await? {
                println!("{account}\t{terminal}\t{name}");
            }
            Ok(())
        }
        Command::Notices(command) => notices(command).await,
        Command::Sign(command) => {
            sign_command(command);
            Ok(())
        }
        // Run by `main` itself, for its own exit statuses.
        Command::Pos(_) => Ok(()),
    }
}

/// Runs a `tidegate notices` command.
async fn notices(command: NoticesCommand) -> anyhow::Result<()> {
    match command {
        NoticesCommand::List { payment, store } => {
            let engine = engine(&store).await?;
            let notices = engine.notices_of_payment(&payment).await?;
            let listed: Vec<_> = notices
                .iter()
                .map(|(notice, attempts)| tidegate_server::notice_json(notice, attempts))
                .collect();
            println!("{}", serde_json::to_string_pretty(&listed)?);
            Ok(())
        }
        NoticesCommand::Resend { notice_id, store } => {
            let engine = engine(&store).await?;
            match engine.resend_notice(&notice_id).await {
                Ok(notice) => {
                    println!(
                        "notice {} is due again ({} attempts so far)",
                        notice.created.notice_id, notice.attempts
                    );
                    Ok(())
                }
                Err(EngineError::NotFound) => bail!("no notice {notice_id}"),
                Err(error) => Err(error.into()),
            }
        }
        NoticesCommand::Listen {
            listen,
            credentials,
        } => {
            let (oceanpayment, pingpong) = credentials.resolve()?;
            listen::listen(listen, oceanpayment, pingpong).await
        }
    }
}

/// Prints the signature a `tidegate sign` command asks for.
fn sign_command(command: SignCommand) {
    match command {
        SignCommand::Pay {
            account,
            terminal,
            order_number,
            currency,
            amount,
            first_name,
            last_name,
            email,
            secure_code,
        } => {
            let parts = [
                &account,
                &terminal,
                &order_number,
                &currency,
                &amount,
                &first_name,
                &last_name,
                &email,
            ];
            let parts: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
            println!("{}", sign::sign(&parts, &secure_code).to_ascii_lowercase());
        }
        SignCommand::Pingpong {
            biz_content,
            sign_type,
            acc_id,
            client_id,
            salt,
        } => {
            let credentials = tidegate_client::pingpong::Credentials::new(acc_id, client_id, salt)
                .with_sign_type(sign_type.sign_type());
            println!("{}", credentials.sign_envelope(&biz_content));
        }
        SignCommand::Raw {
            secure_code,
            values,
        } => {
            let parts: Vec<&str> = values.iter().map(String::as_str).collect();
            println!("{}", sign::sign(&parts, &secure_code).to_ascii_lowercase());
        }
    }
}

fn load_config(store: &StoreArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(store.config.as_deref())?;
    if let Some(database) = &store.database {
        config.database_url.clone_from(database);
    }
    Ok(config)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = load_config(&args.store)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let server = tidegate_server::start(config).await?;
    // The first line on stdout names the bound address, so scripts using port 0 can find it.
    println!("listening on http://{}", server.local_addr());
    shutdown_signal().await;
    tracing::info!("shutdown requested; finishing in-flight requests");
    server.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

async fn engine(store: &StoreArgs) -> anyhow::Result<Engine> {
    let config = load_config(store)?;
    let (engine, _) = tidegate_server::open_engine(&config).await?;
    Ok(engine)
}

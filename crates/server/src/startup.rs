//! Bringing a gateway up and down.

use crate::config::{Config, ConfigError, Mode};
use crate::oceanpayment::notice::OceanpaymentNotices;
use crate::pingpong::PingPongNotices;
use crate::{app, AppState};
use secrecy::SecretString;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tidegate_acquirers::sandbox::SandboxAcquirer;
use tidegate_engine::notifier::Notifier;
use tidegate_engine::NoticeFormats;
use tidegate_engine::{Engine, EngineError, SecretSealer};
use tidegate_store::sqlite::SqliteStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Oceanpayment's published test credentials, so existing test setups work unchanged.
const DEMO_ACCOUNT: &str = "995149";
const DEMO_TERMINAL: &str = "99514901";
const DEMO_SECURE_CODE: &str = "12345678";

/// PingPong's published sandbox store: clientId, accId and salt.
const DEMO_CLIENT_ID: &str = "2018092714313010016";
const DEMO_ACC_ID: &str = "2018092714313010016291";
const DEMO_SALT: &str = "F78BC96A55548B2319EE68E0";

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("cannot open database: {0}")]
    Store(#[from] tidegate_store::StoreError),
    /// The engine refused (e.g. the master key cannot read stored secrets).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The master key is missing or malformed, or its file could not be read or written.
    #[error("master key: {0}")]
    MasterKey(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A gateway that is serving requests.
pub struct RunningServer {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    resolver: JoinHandle<()>,
    notifier: JoinHandle<()>,
    engine: Engine,
}

impl RunningServer {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The engine behind the routes.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops accepting requests, lets in-flight ones finish, stops the resolver.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.resolver.await;
        let _ = self.notifier.await;
        tracing::info!("gateway stopped");
    }
}

/// Opens the store and builds the engine (and, in sandbox mode, the sandbox acquirer and the
/// demo terminal) without serving anything: what the management commands use.
pub async fn open_engine(
    config: &Config,
) -> Result<(Engine, Option<Arc<SandboxAcquirer>>), StartError> {
    if config.mode == Mode::Production {
        return Err(StartError::Config(ConfigError::Invalid(
            "production mode needs a production acquirer connector and none is available yet; \
             run with mode = \"sandbox\""
                .into(),
        )));
    }
    let path = config.sqlite_path()?;
    let store = SqliteStore::open(&path)?;
    let has_secrets = !tidegate_store::Store::terminals(&store).await?.is_empty();
    let sealer = master_key(config, &path, has_secrets)?;
    let sandbox = Arc::new(SandboxAcquirer::new(config.sandbox_acquirer()));
    let mut formats: NoticeFormats = HashMap::new();
    let oceanpayment = OceanpaymentNotices {
        retry_schedule: config.retry_schedule("oceanpayment"),
    };
    formats.insert("oceanpayment".to_owned(), Arc::new(oceanpayment));
    let pingpong = PingPongNotices {
        retry_schedule: config.retry_schedule("pingpong"),
    };
    formats.insert("pingpong".to_owned(), Arc::new(pingpong));
    let engine = Engine::new(
        Arc::new(store),
        sandbox.clone(),
        sealer,
        config.engine(),
        formats,
    );
    let secure_code = SecretString::from(DEMO_SECURE_CODE.to_owned());
    if engine
        .ensure_terminal(
            DEMO_ACCOUNT,
            DEMO_TERMINAL,
            "Sandbox demo merchant",
            &secure_code,
        )
        .await?
    {
        tracing::info!(
            account = DEMO_ACCOUNT,
            terminal = DEMO_TERMINAL,
            "sandbox: created the demo terminal (secureCode is Oceanpayment's public test code)"
        );
    } else {
        tracing::info!(
            account = DEMO_ACCOUNT,
            terminal = DEMO_TERMINAL,
            "sandbox: demo terminal present"
        );
    }
    let salt = SecretString::from(DEMO_SALT.to_owned());
    if engine
        .ensure_terminal(DEMO_CLIENT_ID, DEMO_ACC_ID, "Sandbox demo store", &salt)
        .await?
    {
        tracing::info!(
            client_id = DEMO_CLIENT_ID,
            acc_id = DEMO_ACC_ID,
            "sandbox: created the PingPong demo store (salt is PingPong's public sandbox salt)"
        );
    }
    Ok((engine, Some(sandbox)))
}

/// Starts a gateway as configured and returns once it is listening.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let (engine, sandbox) = open_engine(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            address: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        address: config.listen,
        source,
    })?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let resolver = engine.spawn_resolver(shutdown_rx.clone());
    let notifier = Notifier::new(engine.clone(), config.notifier()).spawn(shutdown_rx.clone());
    let state = AppState {
        engine: engine.clone(),
        sandbox,
        max_body_bytes: config.max_body_bytes,
        url_policy: config.url_policy(),
        admin_token: config
            .admin_token
            .clone()
            .map(|token| Arc::new(SecretString::from(token))),
    };
    let router = app(state);
    let mut server_shutdown = shutdown_rx;
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = server_shutdown.wait_for(|stop| *stop).await;
        });
        if let Err(error) = serve.await {
            tracing::error!(%error, "server failed");
        }
    });
    tracing::info!(address = %local_addr, mode = ?config.mode, database = %config.database_url, "tidegate listening");
    Ok(RunningServer {
        local_addr,
        shutdown,
        server,
        resolver,
        notifier,
        engine,
    })
}

/// The configured master key, or in sandbox mode the key file beside the database (created on
/// first start), so that `tidegate serve` needs no set-up.
fn master_key(
    config: &Config,
    database_path: &Path,
    has_secrets: bool,
) -> Result<SecretSealer, StartError> {
    if let Some(key) = &config.master_key {
        return SecretSealer::from_hex(key)
            .map_err(|error| StartError::MasterKey(error.to_string()));
    }
    if config.mode != Mode::Sandbox {
        return Err(StartError::MasterKey(
            "set master_key or TIDEGATE_MASTER_KEY".into(),
        ));
    }
    let key_path = database_path.with_file_name("master.key");
    let key = match std::fs::read_to_string(&key_path) {
        Ok(key) => key,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && has_secrets => {
            // A new key could not read the secrets already sealed in this database, and the
            // secrets sealed under it could not be read by a gateway holding the old key.
            return Err(StartError::MasterKey(format!(
                "{} is missing but the database holds sealed secrets; restore the key file or set \
                 TIDEGATE_MASTER_KEY",
                key_path.display()
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretSealer::generate_key_hex()
                .map_err(|e| StartError::MasterKey(e.to_string()))?;
            write_private_file(&key_path, &key).map_err(|e| {
                StartError::MasterKey(format!("cannot write {}: {e}", key_path.display()))
            })?;
            tracing::warn!(
                path = %key_path.display(),
                "sandbox: generated a master key for secrets at rest; set TIDEGATE_MASTER_KEY in production"
            );
            key
        }
        Err(error) => {
            return Err(StartError::MasterKey(format!(
                "cannot read {}: {error}",
                key_path.display()
            )))
        }
    };
    SecretSealer::from_hex(&key)
        .map_err(|error| StartError::MasterKey(format!("{}: {error}", key_path.display())))
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

//! A server the benchmark starts itself: `tidegate serve` on a temporary database (or the
//! ceiling), on port 0, killed with SIGKILL and restarted on the same database on demand.
//!
//! Everything here blocks (process start-up, waiting for the first line): callers run it on
//! the blocking pool, not on the load generator's thread.

use anyhow::{bail, Context as _};
use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Which server to start.
#[derive(Debug, Clone)]
pub(crate) enum Program {
    /// `PATH serve`.
    Gateway {
        /// `--config` for the gateway.
        config: Option<PathBuf>,
        /// Its RUST_LOG.
        log: String,
        /// Its admin token (TIDEGATE_ADMIN_TOKEN).
        admin_token: Option<String>,
    },
    /// `PATH bench ceiling`.
    Ceiling,
}

/// A running server process and its data directory.
pub(crate) struct Spawned {
    /// The binary.
    path: PathBuf,
    /// What it runs.
    program: Program,
    /// The database (and the server's log); removed on drop unless kept.
    dir: Option<TempDir>,
    /// The current process.
    child: Child,
    /// Where the current process listens.
    addr: SocketAddr,
}

impl Spawned {
    /// Starts `program` from `path` in a new temporary directory.
    pub(crate) fn start(path: &Path, program: Program) -> anyhow::Result<Spawned> {
        let dir = tempfile::Builder::new()
            .prefix("tidegate-bench-")
            .tempdir()
            .context("creating a temporary directory")?;
        let (child, addr) = launch(path, &program, dir.path())?;
        Ok(Spawned {
            path: path.to_owned(),
            program,
            dir: Some(dir),
            child,
            addr,
        })
    }

    /// Where the server listens now.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The current process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The data directory.
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(TempDir::path)
    }

    /// SIGKILL: the process gets no chance to flush or finish anything. Returns at once; the
    /// process is reaped by [`Spawned::restart`].
    pub(crate) fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("sending SIGKILL to the server")
    }

    /// Reaps the killed process and starts a new one on the same data; returns its address.
    pub(crate) fn restart(&mut self) -> anyhow::Result<SocketAddr> {
        self.child.wait().context("waiting for the killed server")?;
        let dir = self
            .dir
            .as_ref()
            .map(TempDir::path)
            .context("the data directory is gone")?;
        let (child, addr) = launch(&self.path, &self.program, dir)?;
        self.child = child;
        self.addr = addr;
        Ok(addr)
    }

    /// Keeps the data directory after the run; returns where it is.
    pub(crate) fn keep(&mut self) -> Option<PathBuf> {
        self.dir.take().map(TempDir::keep)
    }

    /// The last lines of the server's log, to explain a failure.
    pub(crate) fn log_tail(&self) -> String {
        let Some(dir) = self.dir() else {
            return String::new();
        };
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // The server's data is temporary, so nothing is lost by not shutting it down
        // gracefully; a failure here means it has already exited.
        drop(self.child.kill());
        drop(self.child.wait());
    }
}

/// Starts the process and waits for its `listening on http://ADDR` line.
fn launch(path: &Path, program: &Program, dir: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    let mut command = Command::new(path);
    match program {
        Program::Gateway {
            config,
            log,
            admin_token,
        } => {
            command
                .args(["serve", "--listen", "127.0.0.1:0", "--database"])
                .arg(format!("sqlite:{}", dir.join("tidegate.db").display()))
                .env("RUST_LOG", log);
            if let Some(config) = config {
                command.arg("--config").arg(config);
            }
            match admin_token {
                Some(token) => command.env("TIDEGATE_ADMIN_TOKEN", token),
                None => command.env_remove("TIDEGATE_ADMIN_TOKEN"),
            };
        }
        Program::Ceiling => {
            command.args(["bench", "ceiling", "--listen", "127.0.0.1:0"]);
        }
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .context("creating the server's log file")?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", path.display()))?;
    let stdout = child.stdout.take().context("the server's stdout")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("tidegate-bench-stdout".to_owned())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            drop(sender.send(first));
            // Keep draining, so the server never blocks on a full pipe; ends when it exits.
            drop(reader.read_to_end(&mut Vec::new()));
        })
        .context("starting the stdout reader")?;
    let started = Instant::now();
    let line = match receiver.recv_timeout(START_TIMEOUT) {
        Ok(Ok(line)) => line,
        Ok(Err(error)) => {
            drop(child.kill());
            return Err(error).context("reading the server's first line");
        }
        Err(_) => {
            drop(child.kill());
            bail!(
                "{} printed no address within {START_TIMEOUT:?}",
                path.display()
            );
        }
    };
    let Some(addr) = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|addr| addr.parse().ok())
    else {
        drop(child.kill());
        let status = child
            .wait()
            .ok()
            .map(|status| status.to_string())
            .unwrap_or_default();
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        bail!(
            "{} did not start ({status}; first line {:?}, after {:?}); its log:\n{log}",
            path.display(),
            line.trim(),
            started.elapsed()
        );
    };
    Ok((child, addr))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    /// A stand-in server: prints the address line `tidegate serve` prints, then idles.
    fn fake_server(dir: &Path) -> PathBuf {
        let path = dir.join("fake-server");
        std::fs::write(
            &path,
            "#!/bin/sh\necho 'listening on http://127.0.0.1:9'\nexec sleep 30\n",
        )
        .expect("script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("executable");
        path
    }

    #[test]
    fn the_data_directory_goes_with_the_server_unless_kept() {
        let scripts = tempfile::tempdir().expect("tempdir");
        let program = fake_server(scripts.path());

        let spawned = Spawned::start(&program, Program::Ceiling).expect("starts");
        assert_eq!(spawned.addr(), SocketAddr::from(([127, 0, 0, 1], 9)));
        let dir = spawned.dir().expect("a data directory").to_owned();
        assert!(dir.exists());
        drop(spawned);
        assert!(!dir.exists());

        let mut kept = Spawned::start(&program, Program::Ceiling).expect("starts");
        let dir = kept.keep().expect("kept");
        drop(kept);
        assert!(dir.exists());
        std::fs::remove_dir_all(dir).expect("cleaned up");
    }

    #[test]
    fn a_killed_server_restarts_on_the_same_directory() {
        let scripts = tempfile::tempdir().expect("tempdir");
        let mut spawned =
            Spawned::start(&fake_server(scripts.path()), Program::Ceiling).expect("starts");
        let (first, dir) = (spawned.pid(), spawned.dir().map(Path::to_owned));
        spawned.kill().expect("killed");
        spawned.restart().expect("restarted");
        assert_ne!(spawned.pid(), first);
        assert_eq!(spawned.dir().map(Path::to_owned), dir);
    }
}

//! Showing a till's progress on stderr: a spinner with the elapsed time on a terminal, one
//! plain line per step otherwise (logs, pipes, tests).

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tidegate_client::till::Progress;
use tokio::task::JoinHandle;

/// Frames of the spinner.
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// How often the spinner is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The progress display of one till run.
pub struct Display {
    started: Instant,
    line: Arc<Mutex<String>>,
    spinner: Option<JoinHandle<()>>,
}

impl Display {
    /// A spinner when stderr is a terminal, plain lines otherwise.
    pub fn start() -> Display {
        let started = Instant::now();
        let line = Arc::new(Mutex::new("sending the payment".to_owned()));
        let spinner = std::io::stderr().is_terminal().then(|| {
            let line = Arc::clone(&line);
            tokio::spawn(async move {
                for frame in FRAMES.iter().cycle() {
                    let text = line.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    let elapsed = started.elapsed().as_secs_f64();
                    // \x1b[2K clears the line, so a shorter text leaves nothing behind.
                    eprint!("\r\u{1b}[2K{frame} {text} ({elapsed:.1}s)");
                    let _ = std::io::stderr().flush();
                    tokio::time::sleep(TICK).await;
                }
            })
        });
        Display {
            started,
            line,
            spinner,
        }
    }

    /// Shows one step of the protocol.
    pub fn show(&self, step: &Progress) {
        let text = describe(step);
        if self.spinner.is_some() {
            text.clone_into(&mut self.line.lock().unwrap_or_else(PoisonError::into_inner));
        } else {
            eprintln!("[{:6.1}s] {text}", self.started.elapsed().as_secs_f64());
        }
    }

    /// Text printed above the spinner (a QR code, say) without garbling it.
    pub fn print_above(&self, text: &str) {
        if self.spinner.is_some() {
            eprint!("\r\u{1b}[2K");
            let _ = std::io::stderr().flush();
        }
        print!("{text}");
        let _ = std::io::stdout().flush();
    }

    /// Stops the spinner and clears its line.
    pub fn finish(self) {
        if let Some(spinner) = &self.spinner {
            spinner.abort();
            eprint!("\r\u{1b}[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

fn describe(step: &Progress) -> String {
    match step {
        Progress::Paying { resend: false } => "sending the payment".to_owned(),
        Progress::Paying { resend: true } => {
            "the gateway has no payment yet: sending the identical request again".to_owned()
        }
        Progress::QrCode(_) => "waiting for the customer to scan the QR code".to_owned(),
        Progress::Pending { report, .. } => format!("pending: {}:{}", report.code, report.message),
        Progress::NoAnswer { error, .. } => format!("no trusted answer ({error}); asking again"),
        Progress::Voiding { attempt: 1 } => "still not final: voiding the order".to_owned(),
        Progress::Voiding { attempt } => format!("voiding the order, attempt {attempt}"),
        Progress::VoidNotDone { reason } => format!("void not confirmed ({reason}); retrying"),
    }
}

//! A real notice receiver on port 0, as a merchant's server would run one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 `receive-ok`.
    Ack,
    /// This status and body.
    Reply(u16, &'static str),
    /// Waits this long, then 200 `receive-ok`.
    Slow(Duration),
}

/// One notice as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub content_type: String,
    pub body: String,
    pub answered_at: Option<Instant>,
}

#[derive(Clone, Default)]
struct Shared {
    answers: Arc<Mutex<Vec<Answer>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver. Answers follow `answers` in turn; the last one repeats.
pub struct Receiver {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(answers: Vec<Answer>) -> Receiver {
        let shared = Shared {
            answers: Arc::new(Mutex::new(answers)),
            ..Shared::default()
        };
        let app = Router::new()
            .route("/notice", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/notice", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, shared, task }
    }

    /// Changes how later notices are answered.
    pub fn answer_with(&self, answers: Vec<Answer>) {
        *self.shared.answers.lock().expect("lock") = answers;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until at least `count` notices arrived (up to 10 s) and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..400 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {count} notices, got {}", self.received().len());
    }
}

async fn receive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let index = {
        let mut received = shared.received.lock().expect("lock");
        received.push(Received {
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
            answered_at: None,
        });
        received.len() - 1
    };
    let answer = {
        let mut answers = shared.answers.lock().expect("lock");
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers[0].clone()
        }
    };
    let reply = match answer {
        Answer::Ack => (StatusCode::OK, "receive-ok"),
        Answer::Reply(status, body) => (StatusCode::from_u16(status).expect("status"), body),
        Answer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, "receive-ok")
        }
    };
    shared.received.lock().expect("lock")[index].answered_at = Some(Instant::now());
    reply
}

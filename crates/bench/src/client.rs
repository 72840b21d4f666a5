//! One keep-alive HTTP/1.1 connection, driven by hyper's connection-level client: no pool, no
//! redirects, no per-request URL parsing, nothing a till's own client would not also do.

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// The headers and target every request of a run shares, built once.
pub(crate) struct RequestTemplate {
    /// The request target (path).
    pub(crate) uri: Uri,
    /// `Host`.
    pub(crate) host: header::HeaderValue,
    /// `Content-Type`.
    pub(crate) content_type: header::HeaderValue,
}

impl RequestTemplate {
    /// POSTs to `path` on `host`, bodies of `content_type`.
    pub(crate) fn new(
        path: &'static str,
        host: &str,
        content_type: &'static str,
    ) -> anyhow::Result<RequestTemplate> {
        Ok(RequestTemplate {
            uri: Uri::from_static(path),
            host: header::HeaderValue::from_str(host)
                .context("the host is not a valid Host header")?,
            content_type: header::HeaderValue::from_static(content_type),
        })
    }

    /// A POST of `body`; the header values are shared, not copied.
    pub(crate) fn post(&self, body: Bytes) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        headers.insert(header::HOST, self.host.clone());
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        request
    }
}

/// An open HTTP/1.1 connection. One request at a time, as HTTP/1.1 without pipelining allows.
pub(crate) struct Connection {
    /// hyper's handle; the connection itself runs as a task of the current runtime.
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Connects to `addr` with Nagle off (requests are small and latency is what is measured).
    pub(crate) async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("starting HTTP/1.1")?;
        // Ends by itself when the sender is dropped or the peer closes; its error, if any, also
        // surfaces through the request that was in flight.
        tokio::spawn(async move {
            drop(connection.await);
        });
        Ok(Connection { sender })
    }

    /// Sends `request` and reads the whole reply: its status and body.
    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await.context("the connection closed")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the reply")?
            .to_bytes();
        Ok((status, body))
    }
}

/// `GET path` with a bearer token over a connection of its own; status and body.
pub(crate) async fn get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<(u16, Bytes)> {
    let mut connection = Connection::open(addr).await?;
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.uri_mut() = path.parse().context("not a request target")?;
    let headers = request.headers_mut();
    headers.insert(
        header::HOST,
        header::HeaderValue::from_str(host).context("not a Host header")?,
    );
    headers.insert(
        header::AUTHORIZATION,
        header::HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the admin token is not a header value")?,
    );
    connection.send(request).await
}

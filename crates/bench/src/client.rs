//! One keep-alive HTTP/1.1 connection, spoken directly over the socket: the request goes out in
//! one write, the reply's head is parsed with `httparse` and its body read by its
//! `Content-Length`. No pool, no redirects, no chunked bodies (the gateway never sends one).
//!
//! The load generator shares two cores with the gateway it measures, so its cost per request
//! is taken from the gateway: hyper's client connection (a task per connection and a channel
//! hop per request) cost it a third of a core at 10,000 requests/s over 1,024 connections.

use anyhow::{bail, Context as _};
use bytes::{Bytes, BytesMut};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The most headers a reply may carry.
const MAX_HEADERS: usize = 32;

/// The longest reply head accepted, so a broken peer cannot make the generator buffer forever.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The longest reply body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Room read at a time.
const READ_CHUNK: usize = 8 * 1024;

/// The request line and headers every request of a run shares, rendered once.
pub(crate) struct RequestTemplate {
    /// `POST path HTTP/1.1`, `Host`, `Content-Type` and the `Content-Length` name, whose value
    /// each request appends.
    head: Vec<u8>,
}

impl RequestTemplate {
    /// POSTs to `path` on `host`, bodies of `content_type`.
    pub(crate) fn new(
        path: &'static str,
        host: &str,
        content_type: &'static str,
    ) -> anyhow::Result<RequestTemplate> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: ",
            header_value(host).context("the host is not a valid Host header")?
        );
        Ok(RequestTemplate {
            head: head.into_bytes(),
        })
    }
}

/// `value` if it can stand in a header line.
fn header_value(value: &str) -> anyhow::Result<&str> {
    if value.bytes().any(|byte| byte.is_ascii_control()) {
        bail!("control characters in {value:?}");
    }
    Ok(value)
}

/// An open HTTP/1.1 connection. One request at a time, as HTTP/1.1 without pipelining allows.
pub(crate) struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    read: BytesMut,
    /// The request being written, reused between requests.
    write: Vec<u8>,
}

impl Connection {
    /// Connects to `addr` with Nagle off (requests are small and latency is what is measured).
    pub(crate) async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        Ok(Connection {
            stream,
            read: BytesMut::with_capacity(READ_CHUNK),
            write: Vec::with_capacity(2 * 1024),
        })
    }

    /// POSTs `body` as `template` says and reads the whole reply: its status and body.
    pub(crate) async fn post(
        &mut self,
        template: &RequestTemplate,
        body: &[u8],
    ) -> anyhow::Result<(u16, Bytes)> {
        self.write.clear();
        self.write.extend_from_slice(&template.head);
        self.write
            .extend_from_slice(body.len().to_string().as_bytes());
        self.write.extend_from_slice(b"\r\n\r\n");
        self.write.extend_from_slice(body);
        self.exchange().await
    }

    /// Writes the request in `self.write` and reads the reply.
    async fn exchange(&mut self) -> anyhow::Result<(u16, Bytes)> {
        self.stream
            .write_all(&self.write)
            .await
            .context("sending the request")?;
        let (status, head_len, body_len) = self.read_head().await?;
        while self.read.len() < head_len + body_len {
            self.fill().await?;
        }
        drop(self.read.split_to(head_len));
        Ok((status, self.read.split_to(body_len).freeze()))
    }

    /// Reads until the reply's head is complete: its status, its length and the body's.
    async fn read_head(&mut self) -> anyhow::Result<(u16, usize, usize)> {
        loop {
            if let Some(head) = parse_head(&self.read)? {
                return Ok(head);
            }
            if self.read.len() >= MAX_HEAD_BYTES {
                bail!("the reply's head is longer than {MAX_HEAD_BYTES} bytes");
            }
            self.fill().await?;
        }
    }

    /// Reads what the peer has sent; an end of stream is an error (a reply is still owed).
    async fn fill(&mut self) -> anyhow::Result<()> {
        self.read.reserve(READ_CHUNK);
        let read = self
            .stream
            .read_buf(&mut self.read)
            .await
            .context("reading the reply")?;
        if read == 0 {
            bail!("the connection closed before the reply was complete");
        }
        Ok(())
    }
}

/// The status, head length and body length of the reply at the start of `bytes`, or `None`
/// if its head is not complete yet.
fn parse_head(bytes: &[u8]) -> anyhow::Result<Option<(u16, usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head_len) =
        response.parse(bytes).context("an unreadable reply head")?
    else {
        return Ok(None);
    };
    let status = response.code.context("a reply without a status")?;
    let mut body_len = None;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|value| value.trim().parse::<usize>().ok())
                .context("an unreadable Content-Length")?;
            body_len = Some(value);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a reply with Transfer-Encoding, which this client does not read");
        }
    }
    let body_len = body_len.context("a reply without Content-Length")?;
    if body_len > MAX_BODY_BYTES {
        bail!("a reply body of {body_len} bytes");
    }
    Ok(Some((status, head_len, body_len)))
}

/// `GET path` with a bearer token over a connection of its own; status and body.
pub(crate) async fn get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<(u16, Bytes)> {
    let mut connection = Connection::open(addr).await?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
        header_value(path).context("not a request target")?,
        header_value(host).context("not a Host header")?,
        header_value(token).context("the admin token is not a header value")?,
    );
    connection.write = request.into_bytes();
    connection.exchange().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_read_once_complete() {
        let reply = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(parse_head(&reply[..20]).expect("a partial head"), None);
        let (status, head_len, body_len) = parse_head(reply)
            .expect("a valid head")
            .expect("a complete head");
        assert_eq!((status, body_len), (200, 5));
        assert_eq!(&reply[head_len..], b"hello");
    }

    #[test]
    fn replies_it_cannot_frame_are_errors() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(parse_head(chunked).is_err());
        let unframed = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\n\r\n";
        assert!(parse_head(unframed).is_err());
        let garbage = b"HTTP/1.1 2x0 OK\r\n\r\n";
        assert!(parse_head(garbage).is_err());
    }

    #[test]
    fn header_lines_cannot_be_smuggled_in() {
        assert!(RequestTemplate::new("/pay", "host\r\nX-Evil: 1", "text/plain").is_err());
    }
}

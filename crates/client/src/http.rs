//! Posting a request body to the gateway and reading the whole answer.

use crate::ClientError;
use std::time::Duration;

/// How long one call may take by default: longer than the gateway's own acquirer timeout
/// (30 s), so a slow acquirer shows up as the gateway's answer rather than as a lost one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(40);

/// The gateway's base URL and an HTTP client for it.
#[derive(Clone, Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    base_url: String,
}

/// A complete answer: its HTTP status and body text.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Http {
    /// A client for the gateway at `base_url` (`http://` or `https://`, any path prefix kept).
    pub(crate) fn new(base_url: &str, timeout: Duration) -> Result<Http, ClientError> {
        let base_url = base_url.trim_end_matches('/');
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ClientError::InvalidRequest(format!(
                "gateway URL must start with http:// or https://: {base_url}"
            )));
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            // A redirected POST would turn into a GET and lose its body: better to fail loudly.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClientError::InvalidRequest(format!("HTTP client: {error}")))?;
        Ok(Http {
            client,
            base_url: base_url.to_owned(),
        })
    }

    /// The base URL, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs `body` to `path` and reads the whole answer, whatever its status.
    pub(crate) async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<Answer, ClientError> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|error| ClientError::Transport(describe(&error)))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| ClientError::Transport(describe(&error)))?;
        let body = String::from_utf8(bytes.to_vec())
            .map_err(|_| ClientError::malformed(status, "the body is not UTF-8"))?;
        Ok(Answer { status, body })
    }
}

/// The error with its causes, which reqwest keeps in its source chain.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An `application/x-www-form-urlencoded` body of `fields`, in order.
pub(crate) fn form_body(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_accepted_and_a_trailing_slash_is_dropped() {
        let http = Http::new("http://127.0.0.1:8080/", DEFAULT_TIMEOUT).expect("valid URL");
        assert_eq!(http.base_url(), "http://127.0.0.1:8080");
        assert!(Http::new("https://gateway.example/prefix", DEFAULT_TIMEOUT).is_ok());
        assert!(matches!(
            Http::new("127.0.0.1:8080", DEFAULT_TIMEOUT),
            Err(ClientError::InvalidRequest(_))
        ));
    }

    #[test]
    fn form_bodies_escape_what_forms_must() {
        assert_eq!(
            form_body(&[("a", "1 2"), ("b", "x&y=z+")]),
            "a=1+2&b=x%26y%3Dz%2B"
        );
    }
}

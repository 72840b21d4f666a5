//! Starting gateways and speaking the Oceanpayment dialect as a till does.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;
use tempfile::TempDir;
use tidegate_server::{Config, RunningServer};

/// The sandbox demo terminal's credentials (Oceanpayment's public test credentials).
pub const ACCOUNT: &str = "995149";
pub const TERMINAL: &str = "99514901";
pub const SECURE_CODE: &str = "12345678";

/// Codes that select sandbox outcomes (see the README's sandbox table).
pub const WECHAT_APPROVE: &str = "134567890123450000";
pub const ALIPAY_APPROVE: &str = "284567890123450000";

/// A running gateway with its own database directory.
pub struct Gateway {
    server: Option<RunningServer>,
    pub base_url: String,
    pub dir: TempDir,
    pub client: reqwest::Client,
}

/// Test timings: short enough for a quick suite, long enough to observe pending states.
pub fn test_config(dir: &TempDir) -> Config {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = format!("sqlite:{}", dir.path().join("tidegate.db").display());
    config.payments.sweep_interval_ms = 50;
    config.payments.poll_interval_ms = 50;
    config.payments.acquirer_timeout_ms = 2_000;
    config.sandbox.pin_delay_ms = 600;
    config.sandbox.unknown_resolves_after_ms = 800;
    config.admin_token = Some(ADMIN_TOKEN.to_owned());
    config.notices.oceanpayment_retry_schedule_ms = vec![100, 100, 100];
    config.notices.timeout_ms = 1_000;
    config.notices.poll_interval_ms = 50;
    config
}

/// The admin API's bearer token in tests.
pub const ADMIN_TOKEN: &str = "test-admin-token";

impl Gateway {
    /// A sandbox gateway with test timings.
    pub async fn start() -> Gateway {
        Gateway::start_with(|_| {}).await
    }

    /// A sandbox gateway with test timings adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(&dir);
        tweak(&mut config);
        Gateway::start_in(dir, config).await
    }

    /// A gateway over an existing database directory (for restarts).
    pub async fn start_in(dir: TempDir, config: Config) -> Gateway {
        let server = tidegate_server::start(config)
            .await
            .expect("gateway starts");
        let base_url = format!("http://{}", server.local_addr());
        Gateway {
            server: Some(server),
            base_url,
            dir,
            client: reqwest::Client::new(),
        }
    }

    /// Stops the gateway and hands back its database directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        self.dir
    }

    /// POSTs a form and returns the status and body.
    pub async fn post_form(&self, path: &str, fields: &[(String, String)]) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .form(fields)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// POSTs an in-person payment and parses the XML reply.
    pub async fn pay(&self, fields: &[(String, String)]) -> Reply {
        let (status, body) = self.post_form("/gateway/directservice/pay", fields).await;
        Reply::parse(status, &body)
    }

    /// POSTs to a sandbox customer route and returns status and JSON.
    pub async fn sandbox(&self, payment_id: &str, action: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!(
                "{}/sandbox/payments/{payment_id}/{action}",
                self.base_url
            ))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        (status, serde_json::from_str(&body).expect("json"))
    }

    /// GETs or POSTs an admin route with the test token; returns status and JSON.
    pub async fn admin(&self, method: &str, path: &str) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.base_url);
        let request = match method {
            "POST" => self.client.post(url),
            _ => self.client.get(url),
        };
        let response = request.bearer_auth(ADMIN_TOKEN).send().await.expect("sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Waits until the payment's notices satisfy `done` (up to 10 s); returns the admin view.
    pub async fn notices_until(
        &self,
        payment_id: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        for _ in 0..400 {
            let (status, body) = self
                .admin("GET", &format!("/admin/payments/{payment_id}/notices"))
                .await;
            assert_eq!(status, 200, "{body}");
            if done(&body["notices"]) {
                return body["notices"].clone();
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("notices never reached the expected state: {last}");
    }

    /// Repeats the identical request until the reply's payment_status is final (or gives up).
    pub async fn pay_until_final(&self, fields: &[(String, String)]) -> Reply {
        for _ in 0..100 {
            let reply = self.pay(fields).await;
            if reply.field("payment_status") != "-1" {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("payment never became final");
    }
}

/// A builder for signed in-person payment forms.
#[derive(Clone)]
pub struct PayForm {
    fields: Vec<(String, String)>,
    secure_code: String,
}

impl PayForm {
    /// A customer-presented payment with `code`, sandbox demo credentials, 12.30 CNY.
    pub fn customer_presented(order_number: &str, code: &str) -> PayForm {
        PayForm::base(order_number).set("pay_accountNumber", code)
    }

    /// A merchant-presented QR payment for `methods`.
    pub fn merchant_presented(order_number: &str, methods: &str) -> PayForm {
        PayForm::base(order_number).set("methods", methods)
    }

    fn base(order_number: &str) -> PayForm {
        let fields = [
            ("account", ACCOUNT),
            ("terminal", TERMINAL),
            ("order_number", order_number),
            ("order_currency", "CNY"),
            ("order_amount", "12.30"),
            ("order_notes", "till 7"),
            ("methods", ""),
        ];
        PayForm {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            secure_code: SECURE_CODE.to_owned(),
        }
    }

    /// Sets (or adds) a field.
    pub fn set(mut self, name: &str, value: &str) -> PayForm {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(field) => value.clone_into(&mut field.1),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Removes a field.
    pub fn without(mut self, name: &str) -> PayForm {
        self.fields.retain(|(k, _)| k != name);
        self
    }

    /// Signs with another secureCode.
    pub fn secure_code(mut self, secure_code: &str) -> PayForm {
        secure_code.clone_into(&mut self.secure_code);
        self
    }

    /// The fields with signValue computed as a merchant plugin does (lower-case hex).
    pub fn signed(&self) -> Vec<(String, String)> {
        let value = |name: &str| {
            self.fields
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let names = [
            "account",
            "terminal",
            "order_number",
            "order_currency",
            "order_amount",
            "billing_firstName",
            "billing_lastName",
            "billing_email",
        ];
        let parts: Vec<&str> = names.iter().map(|name| value(name)).collect();
        let mut fields = self.fields.clone();
        fields.push(("signValue".into(), sha256_hex(&parts, &self.secure_code)));
        fields
    }

    /// The fields without any signValue.
    pub fn unsigned(&self) -> Vec<(String, String)> {
        self.fields.clone()
    }
}

/// Lower-case hex SHA-256 of the concatenated parts followed by the secureCode.
pub fn sha256_hex(parts: &[&str], secure_code: &str) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hasher.update(secure_code.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A parsed `<response>` reply.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub fields: Vec<(String, String)>,
}

impl Reply {
    /// Parses the XML as a merchant plugin does: every child element of the root, in order.
    pub fn parse(status: u16, body: &str) -> Reply {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(body);
        let mut fields = Vec::new();
        let mut depth = 0;
        let mut current: Option<String> = None;
        let mut text = String::new();
        loop {
            match reader
                .read_event()
                .unwrap_or_else(|e| panic!("reply is not XML ({e}): {body}"))
            {
                Event::Start(start) => {
                    depth += 1;
                    if depth == 2 {
                        current = Some(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                        text.clear();
                    }
                }
                Event::Empty(empty) if depth == 1 => {
                    fields.push((
                        String::from_utf8_lossy(empty.name().as_ref()).into_owned(),
                        String::new(),
                    ));
                }
                Event::Text(t) => text.push_str(&t.unescape().expect("escaped text")),
                Event::End(_) => {
                    if depth == 2 {
                        fields.push((
                            current.take().expect("open element"),
                            std::mem::take(&mut text),
                        ));
                    }
                    depth -= 1;
                }
                Event::Eof => break,
                Event::Empty(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {}
            }
        }
        Reply {
            status,
            body: body.to_owned(),
            fields,
        }
    }

    /// One field's text ("" if absent).
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The numeric code of payment_details.
    pub fn code(&self) -> &str {
        self.field("payment_details")
            .split(':')
            .next()
            .unwrap_or("")
    }

    /// True if the reply's signValue verifies with the result formula, compared upper-case as
    /// the official plugins do.
    pub fn signature_valid(&self, secure_code: &str) -> bool {
        let names = [
            "account",
            "terminal",
            "order_number",
            "order_currency",
            "order_amount",
            "order_notes",
            "card_number",
            "payment_id",
            "payment_authType",
            "payment_status",
            "payment_details",
            "payment_risk",
        ];
        let parts: Vec<&str> = names.iter().map(|name| self.field(name)).collect();
        sha256_hex(&parts, secure_code).to_uppercase() == self.field("signValue").to_uppercase()
    }
}

/// A unique order number for a test.
pub fn order(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{tag}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Payments per state, read from the gateway's own store through a second connection.
pub async fn counts(gateway: &Gateway) -> HashMap<String, i64> {
    let server = gateway.server.as_ref().expect("running");
    server
        .engine()
        .count_by_state()
        .await
        .expect("counts")
        .into_iter()
        .collect()
}

/// A form for any Oceanpayment call, signed over `signed` (field names in signing order) with
/// the demo secureCode, as the official plugins do.
pub fn signed_form(fields: &[(&str, &str)], signed: &[&str]) -> Vec<(String, String)> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| *v)
    };
    let parts: Vec<&str> = signed.iter().map(|name| value(name)).collect();
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    form.push(("signValue".into(), sha256_hex(&parts, SECURE_CODE)));
    form
}

/// Verifies a signValue over the named fields of a parsed reply, upper-case compare.
pub fn verifies(fields: &[(String, String)], signed: &[&str], sign_value: &str) -> bool {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let parts: Vec<&str> = signed.iter().map(|name| value(name)).collect();
    sha256_hex(&parts, SECURE_CODE).to_uppercase() == sign_value.to_uppercase()
}

/// The `<paymentInfo>` blocks of an order query reply, each as its fields in order.
pub fn payment_infos(body: &str) -> Vec<Vec<(String, String)>> {
    body.split("<paymentInfo>")
        .skip(1)
        .map(|block| {
            let block = block.split("</paymentInfo>").next().unwrap_or("");
            Reply::parse(200, &format!("<response>{block}</response>")).fields
        })
        .collect()
}

//! The PingPong Checkout v4 dialect, as a PingPong till calls it: envelopes signed with the
//! store's salt (SHA256 or MD5), every path, notifications to a real receiver.

use crate::harness::Gateway;
use crate::receiver::{Answer, Receiver};
use md5::Md5;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ACC_ID: &str = "2018092714313010016291";
const CLIENT_ID: &str = "2018092714313010016";
const SALT: &str = "F78BC96A55548B2319EE68E0";
const WECHAT: &str = "134567890123450000";
const ALIPAY: &str = "284567890123450000";

/// SHA256 or MD5 of salt + sorted non-blank `k=v` pairs joined by `&`, upper-case hex.
fn sign(fields: &[(&str, &str)], salt: &str, sign_type: &str) -> String {
    let mut pairs: Vec<&(&str, &str)> = fields
        .iter()
        .filter(|(k, v)| *k != "sign" && !v.trim().is_empty())
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let content = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let input = format!("{salt}{content}");
    let digest: Vec<u8> = if sign_type == "MD5" {
        Md5::digest(input.as_bytes()).to_vec()
    } else {
        Sha256::digest(input.as_bytes()).to_vec()
    };
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// A signed request envelope around `biz`.
fn envelope(biz: &Value, sign_type: &str, salt: &str) -> Value {
    let biz_content = biz.to_string();
    let fields = [
        ("accId", ACC_ID),
        ("clientId", CLIENT_ID),
        ("signType", sign_type),
        ("version", "1.0"),
        ("bizContent", biz_content.as_str()),
    ];
    let signature = sign(&fields, salt, sign_type);
    json!({
        "accId": ACC_ID, "clientId": CLIENT_ID, "signType": sign_type, "sign": signature,
        "version": "1.0", "bizContent": biz_content,
    })
}

/// A reply: HTTP status, envelope, parsed bizContent.
struct PpReply {
    status: u16,
    envelope: Value,
    biz: Value,
}

impl PpReply {
    fn code(&self) -> &str {
        self.envelope["code"].as_str().unwrap_or("")
    }

    /// True if the reply's sign verifies over `accId bizContent clientId code description signType`.
    fn signed(&self) -> bool {
        let text = |name: &str| self.envelope[name].as_str().unwrap_or("").to_owned();
        let names = [
            "accId",
            "bizContent",
            "clientId",
            "code",
            "description",
            "signType",
        ];
        let values: Vec<String> = names.iter().map(|n| text(n)).collect();
        let fields: Vec<(&str, &str)> = names
            .iter()
            .zip(&values)
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        let sign_type = text("signType");
        !text("sign").is_empty() && sign(&fields, SALT, &sign_type) == text("sign")
    }
}

async fn call(gateway: &Gateway, path: &str, body: &Value) -> PpReply {
    let response = gateway
        .client
        .post(format!("{}{path}", gateway.base_url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let envelope: Value =
        serde_json::from_str(&response.text().await.expect("body")).expect("JSON reply");
    let biz = serde_json::from_str(envelope["bizContent"].as_str().unwrap_or("{}"))
        .expect("bizContent JSON");
    PpReply {
        status,
        envelope,
        biz,
    }
}

async fn pp(gateway: &Gateway, path: &str, biz: &Value) -> PpReply {
    call(gateway, path, &envelope(biz, "SHA256", SALT)).await
}

fn order(tag: &str) -> String {
    crate::harness::order(&format!("pp-{tag}"))
}

fn barcode(
    order: &str,
    request_id: &str,
    method: &str,
    code: &str,
    amount: Value,
    currency: &str,
) -> Value {
    json!({
        "merchantTransactionId": order, "requestId": request_id, "amount": amount, "currency": currency,
        "captureDelayHours": 0, "remark": "till 3",
        "paymentMethod": { "type": method, "scanCodeId": code },
    })
}

#[tokio::test]
async fn a_wechat_barcode_is_approved_with_a_signed_reply() {
    let gateway = Gateway::start().await;
    let order = order("wx");
    let reply = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order,
            "R-wx",
            "Wechat-Offline",
            WECHAT,
            json!("12.30"),
            "CNY",
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.code(), "000000", "{}", reply.envelope);
    assert!(reply.signed(), "reply sign verifies with the salt");
    assert_eq!(reply.envelope["accId"], ACC_ID);
    assert_eq!(reply.biz["status"], "SUCCESS");
    assert_eq!(reply.biz["merchantTransactionId"], order.as_str());
    assert_eq!(reply.biz["requestId"], "R-wx");
    assert_eq!(reply.biz["amount"], "12.30");
    assert_eq!(reply.biz["currency"], "CNY");
    assert_eq!(reply.biz["paymentMethod"]["type"], "Wechat-Offline");
    assert_eq!(reply.biz["transactionId"].as_str().map(str::len), Some(21));

    // One engine: the payment is visible like any other.
    let payment_id = reply.biz["transactionId"].as_str().expect("id");
    let (status, payment) = gateway
        .admin("GET", &format!("/admin/payments/{payment_id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(payment["dialect"], "pingpong");
    assert_eq!(payment["state"], "approved");
}

#[tokio::test]
async fn md5_signed_requests_get_md5_signed_replies() {
    let gateway = Gateway::start().await;
    let biz = barcode(
        &order("md5"),
        "R-md5",
        "AlipayCN-Offline",
        ALIPAY,
        json!(1),
        "CNY",
    );
    let reply = call(
        &gateway,
        "/v4/payment/unifiedPay",
        &envelope(&biz, "MD5", SALT),
    )
    .await;
    assert_eq!(reply.code(), "000000", "{}", reply.envelope);
    assert_eq!(reply.envelope["signType"], "MD5");
    assert!(reply.signed());
    assert_eq!(reply.biz["amount"], "1.00");
}

#[tokio::test]
async fn alipay_hk_pays_in_hkd() {
    let gateway = Gateway::start().await;
    let reply = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order("hk"),
            "R-hk",
            "AlipayHK-Offline",
            ALIPAY,
            json!("8.80"),
            "HKD",
        ),
    )
    .await;
    assert_eq!(reply.code(), "000000");
    assert_eq!(reply.biz["paymentMethod"]["type"], "AlipayHK-Offline");
    let wrong = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order("hk2"),
            "R-hk2",
            "AlipayHK-Offline",
            ALIPAY,
            json!("880"),
            "JPY",
        ),
    )
    .await;
    assert_eq!(wrong.code(), "106000", "{}", wrong.envelope);
}

#[tokio::test]
async fn declines_carry_the_issuer_result() {
    let gateway = Gateway::start().await;
    let reply = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order("decline"),
            "R-d",
            "Wechat-Offline",
            "134567890123450051",
            json!("5"),
            "CNY",
        ),
    )
    .await;
    assert_eq!(reply.code(), "301051");
    assert_eq!(reply.biz["status"], "FAILED");
    assert_eq!(reply.biz["issuerInfo"]["issuerResultCode"], "301051");
    assert!(reply.signed());
}

#[tokio::test]
async fn a_pin_payment_is_processing_until_the_query_says_success() {
    let gateway = Gateway::start().await;
    let order = order("pin");
    let reply = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order,
            "R-pin",
            "Wechat-Offline",
            "134567890123451000",
            json!("3"),
            "CNY",
        ),
    )
    .await;
    assert_eq!(reply.code(), "002000");
    assert_eq!(reply.biz["status"], "PROCESSING");
    let mut status = String::new();
    for _ in 0..100 {
        let query = pp(
            &gateway,
            "/v4/payment/query",
            &json!({ "merchantTransactionId": order }),
        )
        .await;
        assert_eq!(query.code(), "001000");
        assert!(query.signed());
        status = query.biz["status"].as_str().unwrap_or("").to_owned();
        if status != "PROCESSING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "SUCCESS");
    let by_id = pp(
        &gateway,
        "/v4/payment/query",
        &json!({ "transactionId": reply.biz["transactionId"] }),
    )
    .await;
    assert_eq!(by_id.biz["merchantTransactionId"], order.as_str());
}

#[tokio::test]
async fn a_qr_payment_waits_for_the_customer() {
    let gateway = Gateway::start().await;
    let order = order("qr");
    let biz = json!({
        "merchantTransactionId": order, "requestId": "R-qr", "amount": "20.00", "currency": "CNY",
        "cashierDeviceId": "till-7", "paymentMethod": { "type": "Wechat-Offline" },
    });
    let reply = pp(&gateway, "/v4/payment/unifiedPay", &biz).await;
    assert_eq!(reply.code(), "002000", "{}", reply.envelope);
    assert_eq!(reply.biz["action"]["type"], "QR_CODE");
    assert!(reply.biz["action"]["qrCode"]
        .as_str()
        .is_some_and(|q| q.starts_with("weixin://wxpay/bizpayurl?pr=")));
    assert!(reply.biz["action"]["qrCodeExpired"].as_str().is_some());
    let payment_id = reply.biz["transactionId"].as_str().expect("id").to_owned();
    let (status, _) = gateway.sandbox(&payment_id, "pay").await;
    assert_eq!(status, 200);
    let query = pp(
        &gateway,
        "/v4/payment/query",
        &json!({ "merchantTransactionId": order }),
    )
    .await;
    assert_eq!(query.biz["status"], "SUCCESS");
}

#[tokio::test]
async fn an_unpaid_qr_closes_when_it_expires() {
    let gateway = Gateway::start_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let order = order("qr-exp");
    let biz = json!({
        "merchantTransactionId": order, "requestId": "R-qe", "amount": "2", "currency": "CNY",
        "cashierDeviceId": "till-7", "paymentMethod": { "type": "AlipayCN-Offline" },
    });
    assert_eq!(
        pp(&gateway, "/v4/payment/unifiedPay", &biz).await.code(),
        "002000"
    );
    let mut status = String::new();
    for _ in 0..100 {
        let query = pp(
            &gateway,
            "/v4/payment/query",
            &json!({ "merchantTransactionId": order }),
        )
        .await;
        status = query.biz["status"].as_str().unwrap_or("").to_owned();
        if status != "PROCESSING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "CLOSED");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut too_soon = biz.clone();
    too_soon["merchantTransactionId"] = json!(crate::harness::order("pp-soon"));
    too_soon["timeExpire"] = json!((now + 10).to_string());
    let refused = pp(&gateway, "/v4/payment/unifiedPay", &too_soon).await;
    assert_eq!(refused.code(), "102000");
    assert!(
        refused.envelope["description"]
            .as_str()
            .is_some_and(|d| d.contains("timeExpire")),
        "{}",
        refused.envelope
    );
}

#[tokio::test]
async fn bad_signatures_and_unknown_stores_are_refused_unsigned() {
    let gateway = Gateway::start().await;
    let biz = barcode(
        &order("bad"),
        "R-bad",
        "Wechat-Offline",
        WECHAT,
        json!("1"),
        "CNY",
    );
    let wrong_salt = call(
        &gateway,
        "/v4/payment/unifiedPay",
        &envelope(&biz, "SHA256", "WRONGSALT"),
    )
    .await;
    assert_eq!(wrong_salt.code(), "104000");
    assert_eq!(wrong_salt.envelope["sign"], "");
    let mut other_store = envelope(&biz, "SHA256", SALT);
    other_store["clientId"] = json!("2018092714313010099");
    assert_eq!(
        call(&gateway, "/v4/payment/unifiedPay", &other_store)
            .await
            .code(),
        "103000"
    );
    let mut tampered = envelope(&biz, "SHA256", SALT);
    tampered["bizContent"] = json!(biz.to_string().replace("\"1\"", "\"100\""));
    assert_eq!(
        call(&gateway, "/v4/payment/unifiedPay", &tampered)
            .await
            .code(),
        "104000"
    );
}

#[tokio::test]
async fn bad_parameters_name_the_field() {
    let gateway = Gateway::start().await;
    let mut no_amount = barcode(
        &order("p1"),
        "R-p1",
        "Wechat-Offline",
        WECHAT,
        json!("1"),
        "CNY",
    );
    no_amount.as_object_mut().expect("object").remove("amount");
    let reply = pp(&gateway, "/v4/payment/unifiedPay", &no_amount).await;
    assert_eq!(reply.code(), "102000");
    assert!(
        reply.envelope["description"]
            .as_str()
            .is_some_and(|d| d.contains("amount")),
        "{}",
        reply.envelope
    );
    assert!(
        reply.signed(),
        "refusals of authenticated requests are signed"
    );
    let card = barcode(&order("p2"), "R-p2", "scheme", WECHAT, json!("1"), "CNY");
    assert_eq!(
        pp(&gateway, "/v4/payment/unifiedPay", &card).await.code(),
        "102000"
    );
    let wrong_wallet = barcode(
        &order("p3"),
        "R-p3",
        "Wechat-Offline",
        ALIPAY,
        json!("1"),
        "CNY",
    );
    assert_eq!(
        pp(&gateway, "/v4/payment/unifiedPay", &wrong_wallet)
            .await
            .code(),
        "102000"
    );
}

#[tokio::test]
async fn a_repeated_request_id_replays_and_a_paid_order_is_a_duplicate() {
    let gateway = Gateway::start().await;
    let order = order("replay");
    let biz = barcode(
        &order,
        "R-1",
        "Wechat-Offline",
        WECHAT,
        json!("9.90"),
        "CNY",
    );
    let first = pp(&gateway, "/v4/payment/unifiedPay", &biz).await;
    let again = pp(&gateway, "/v4/payment/unifiedPay", &biz).await;
    assert_eq!(again.code(), "000000");
    assert_eq!(again.biz["transactionId"], first.biz["transactionId"]);
    let mut changed = biz.clone();
    changed["amount"] = json!("99.00");
    let reused = pp(&gateway, "/v4/payment/unifiedPay", &changed).await;
    assert_eq!(
        reused.biz["transactionId"], first.biz["transactionId"],
        "one requestId is one payment"
    );
    assert_eq!(reused.biz["amount"], "9.90");
    let new_request = barcode(
        &order,
        "R-2",
        "Wechat-Offline",
        "134567890123457000",
        json!("9.90"),
        "CNY",
    );
    assert_eq!(
        pp(&gateway, "/v4/payment/unifiedPay", &new_request)
            .await
            .code(),
        "107000"
    );
    let unknown = pp(
        &gateway,
        "/v4/payment/query",
        &json!({ "merchantTransactionId": "nope" }),
    )
    .await;
    assert_eq!(unknown.code(), "107001");
}

#[tokio::test]
async fn refunds_are_partial_idempotent_bounded_and_queryable() {
    let gateway = Gateway::start().await;
    let order = order("refund");
    pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &order,
            "R-r",
            "AlipayCN-Offline",
            ALIPAY,
            json!("10.00"),
            "CNY",
        ),
    )
    .await;
    let refund = |id: &str, amount: &str| {
        json!({
            "merchantTransactionId": order, "merchantRefundId": id, "amount": amount, "currency": "CNY", "remark": "damaged",
        })
    };
    let first = pp(&gateway, "/v4/payment/refund", &refund("MR-1", "4.00")).await;
    assert_eq!(first.code(), "000000", "{}", first.envelope);
    assert_eq!(first.biz["status"], "SUCCESS");
    let replay = pp(&gateway, "/v4/payment/refund", &refund("MR-1", "4.00")).await;
    assert_eq!(replay.biz["refundId"], first.biz["refundId"]);
    assert_eq!(
        pp(&gateway, "/v4/payment/refund", &refund("MR-2", "6.00"))
            .await
            .code(),
        "000000"
    );
    assert_eq!(
        pp(&gateway, "/v4/payment/refund", &refund("MR-3", "0.01"))
            .await
            .code(),
        "108000"
    );

    let by_number = pp(
        &gateway,
        "/v4/refund/query",
        &json!({ "merchantTransactionId": order, "merchantRefundId": "MR-2" }),
    )
    .await;
    assert_eq!(by_number.code(), "001000");
    assert_eq!(by_number.biz["amount"], "6.00");
    let by_id = pp(
        &gateway,
        "/v4/refund/query",
        &json!({ "merchantTransactionId": order, "refundId": first.biz["refundId"] }),
    )
    .await;
    assert_eq!(by_id.biz["merchantRefundId"], "MR-1");
    let missing = pp(
        &gateway,
        "/v4/refund/query",
        &json!({ "merchantTransactionId": order, "merchantRefundId": "MR-9" }),
    )
    .await;
    assert_eq!(missing.code(), "107001");
}

#[tokio::test]
async fn voids_close_pending_payments_and_reverse_paid_ones() {
    let gateway = Gateway::start().await;
    let pending = order("void-pending");
    pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(
            &pending,
            "R-vp",
            "Wechat-Offline",
            "134567890123451000",
            json!("2"),
            "CNY",
        ),
    )
    .await;
    let void = pp(
        &gateway,
        "/v4/payment/void",
        &json!({ "merchantTransactionId": pending, "merchantVoidId": "V-1" }),
    )
    .await;
    assert_eq!(void.code(), "000000", "{}", void.envelope);
    assert_eq!(void.biz["status"], "SUCCESS");
    assert_eq!(void.biz["merchantVoidId"], "V-1");
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    let query = pp(
        &gateway,
        "/v4/payment/query",
        &json!({ "merchantTransactionId": pending }),
    )
    .await;
    assert_eq!(
        query.biz["status"], "CLOSED",
        "a late approval cannot succeed"
    );
    let void_query = pp(
        &gateway,
        "/v4/void/query",
        &json!({ "merchantTransactionId": pending, "merchantVoidId": "V-1" }),
    )
    .await;
    assert_eq!(void_query.code(), "001000");
    assert_eq!(void_query.biz["status"], "SUCCESS");

    let paid = order("void-paid");
    pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(&paid, "R-vq", "Wechat-Offline", WECHAT, json!("2"), "CNY"),
    )
    .await;
    let wrong_amount = pp(&gateway, "/v4/payment/void", &json!({ "merchantTransactionId": paid, "merchantVoidId": "V-2", "amount": "1.00", "currency": "CNY" })).await;
    assert_eq!(wrong_amount.code(), "102000");
    let reversed = pp(&gateway, "/v4/payment/void", &json!({ "merchantTransactionId": paid, "merchantVoidId": "V-3", "amount": "2.00", "currency": "CNY" })).await;
    assert_eq!(reversed.biz["status"], "SUCCESS");
    let no_void = pp(
        &gateway,
        "/v4/void/query",
        &json!({ "merchantTransactionId": order("never"), "merchantVoidId": "V-4" }),
    )
    .await;
    assert_eq!(no_void.code(), "107001");
}

#[tokio::test]
async fn notifications_are_signed_acknowledged_and_retried() {
    let gateway = Gateway::start_with(|config| {
        config.notices.pingpong_retry_schedule_ms = vec![100, 100, 100];
    })
    .await;
    let receiver = Receiver::start(vec![Answer::Reply(200, "FAIL"), Answer::Reply(200, "")]).await;
    let order = order("notify");
    let mut biz = barcode(
        &order,
        "R-n",
        "Wechat-Offline",
        WECHAT,
        json!("7.00"),
        "CNY",
    );
    biz["notificationUrl"] = json!(receiver.url);
    let reply = pp(&gateway, "/v4/payment/unifiedPay", &biz).await;
    let payment_id = reply.biz["transactionId"].as_str().expect("id").to_owned();

    let received = receiver.wait_for(2).await;
    assert_eq!(received[0].content_type, "application/json; charset=utf-8");
    let notification: Value = serde_json::from_str(&received[1].body).expect("JSON");
    let text = |name: &str| notification[name].as_str().unwrap_or("").to_owned();
    let names = ["accId", "bizContent", "clientId", "signType", "version"];
    let values: Vec<String> = names.iter().map(|n| text(n)).collect();
    let fields: Vec<(&str, &str)> = names
        .iter()
        .zip(&values)
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    assert_eq!(
        sign(&fields, SALT, "SHA256"),
        text("sign"),
        "signed like a request"
    );
    let content: Value = serde_json::from_str(&text("bizContent")).expect("bizContent");
    assert_eq!(content["notifyType"], "RECHARGE");
    assert_eq!(content["status"], "SUCCESS");
    assert_eq!(content["transactionId"], payment_id.as_str());
    let notices = gateway
        .notices_until(&payment_id, |n| n[0]["status"] == "delivered")
        .await;
    assert_eq!(
        notices[0]["attempts"], 2,
        "a 200 with body FAIL is not an acknowledgement"
    );

    receiver.answer_with(vec![Answer::Ack]);
    let refund = json!({
        "merchantTransactionId": order, "merchantRefundId": "NR-1", "amount": "2.00", "currency": "CNY",
        "notificationUrl": receiver.url,
    });
    pp(&gateway, "/v4/payment/refund", &refund).await;
    let received = receiver.wait_for(3).await;
    let notification: Value = serde_json::from_str(&received[2].body).expect("JSON");
    let content: Value =
        serde_json::from_str(notification["bizContent"].as_str().expect("biz")).expect("JSON");
    assert_eq!(content["notifyType"], "REFUND");
    assert_eq!(content["merchantRefundId"], "NR-1");
}

#[tokio::test]
async fn closed_orders_are_not_notified() {
    let gateway = Gateway::start_with(|config| config.payments.qr_ttl_seconds = 1).await;
    let receiver = Receiver::start(vec![Answer::Ack]).await;
    let order = order("quiet");
    let biz = json!({
        "merchantTransactionId": order, "requestId": "R-quiet", "amount": "2", "currency": "CNY",
        "cashierDeviceId": "till-7", "paymentMethod": { "type": "Wechat-Offline" }, "notificationUrl": receiver.url,
    });
    let reply = pp(&gateway, "/v4/payment/unifiedPay", &biz).await;
    let payment_id = reply.biz["transactionId"].as_str().expect("id").to_owned();
    for _ in 0..100 {
        let query = pp(
            &gateway,
            "/v4/payment/query",
            &json!({ "transactionId": payment_id }),
        )
        .await;
        if query.biz["status"] == "CLOSED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn an_order_paid_with_one_wallet_cannot_be_paid_with_another() {
    let gateway = Gateway::start().await;
    let order = order("two-wallets");
    assert_eq!(
        pp(
            &gateway,
            "/v4/payment/unifiedPay",
            &barcode(&order, "R-a", "Wechat-Offline", WECHAT, json!("5"), "CNY")
        )
        .await
        .code(),
        "000000"
    );
    let second = pp(
        &gateway,
        "/v4/payment/unifiedPay",
        &barcode(&order, "R-b", "AlipayCN-Offline", ALIPAY, json!("5"), "CNY"),
    )
    .await;
    assert_eq!(second.code(), "107000");
}

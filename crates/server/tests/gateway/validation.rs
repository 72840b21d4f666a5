//! Every validation code: the reply a till gets for each bad field.

use crate::harness::{order, Gateway, PayForm, SECURE_CODE, WECHAT_APPROVE};

fn valid() -> PayForm {
    PayForm::customer_presented(&order("v"), WECHAT_APPROVE)
}

/// (what is wrong, the form, the expected payment_details code, whether the reply is signed)
// One row per rule reads best as one table, however long.
#[allow(clippy::too_many_lines)]
fn cases() -> Vec<(&'static str, Vec<(String, String)>, &'static str, bool)> {
    let long = |n: usize| "x".repeat(n);
    vec![
        (
            "no account",
            valid().without("account").signed(),
            "20001",
            false,
        ),
        (
            "no terminal",
            valid().without("terminal").signed(),
            "20002",
            false,
        ),
        ("no signValue", valid().unsigned(), "20003", false),
        (
            "unknown terminal",
            valid().set("terminal", "99514999").signed(),
            "20004",
            false,
        ),
        (
            "wrong secureCode",
            valid().secure_code("87654321").signed(),
            "20013",
            false,
        ),
        (
            "malformed signValue",
            {
                let mut f = valid().unsigned();
                f.push(("signValue".into(), "abc".into()));
                f
            },
            "20013",
            false,
        ),
        (
            "no order number",
            valid().set("order_number", "").signed(),
            "20017",
            true,
        ),
        (
            "order number too long",
            valid().set("order_number", &long(51)).signed(),
            "20018",
            true,
        ),
        (
            "no amount",
            valid().set("order_amount", "").signed(),
            "20019",
            true,
        ),
        (
            "amount not a number",
            valid().set("order_amount", "12,30").signed(),
            "20020",
            true,
        ),
        (
            "amount with 3 decimals",
            valid().set("order_amount", "12.301").signed(),
            "20020",
            true,
        ),
        (
            "negative amount",
            valid().set("order_amount", "-1.00").signed(),
            "20020",
            true,
        ),
        (
            "zero amount",
            valid().set("order_amount", "0.00").signed(),
            "20021",
            true,
        ),
        (
            "decimals a currency lacks",
            valid()
                .set("order_currency", "JPY")
                .set("order_amount", "100.50")
                .signed(),
            "20021",
            true,
        ),
        (
            "no currency",
            valid().set("order_currency", "").signed(),
            "20022",
            true,
        ),
        (
            "unknown currency",
            valid().set("order_currency", "ABC").signed(),
            "20023",
            true,
        ),
        (
            "first name too long",
            valid().set("billing_firstName", &long(51)).signed(),
            "20045",
            true,
        ),
        (
            "last name too long",
            valid().set("billing_lastName", &long(51)).signed(),
            "20047",
            true,
        ),
        (
            "email too long",
            valid()
                .set("billing_email", &format!("{}@example.com", long(45)))
                .signed(),
            "20049",
            true,
        ),
        (
            "email malformed",
            valid().set("billing_email", "not-an-email").signed(),
            "20050",
            true,
        ),
        (
            "phone too long",
            valid().set("billing_phone", &long(51)).signed(),
            "20052",
            true,
        ),
        (
            "country too long",
            valid().set("billing_country", &long(101)).signed(),
            "20054",
            true,
        ),
        (
            "notice URL too long",
            valid()
                .set("noticeUrl", &format!("https://example.com/{}", long(490)))
                .signed(),
            "20025",
            true,
        ),
        (
            "notice URL not http",
            valid().set("noticeUrl", "ftp://example.com/n").signed(),
            "29106",
            true,
        ),
        (
            "no payment code",
            valid().without("pay_accountNumber").signed(),
            "29101",
            true,
        ),
        (
            "unrecognised code",
            valid().set("pay_accountNumber", "1234").signed(),
            "29102",
            true,
        ),
        (
            "code of the other wallet",
            valid()
                .set("methods", "WeChatPay_Offline")
                .set("pay_accountNumber", "284567890123450000")
                .signed(),
            "29103",
            true,
        ),
        (
            "unknown methods",
            valid().set("methods", "Credit Card").signed(),
            "29104",
            true,
        ),
        (
            "notes too long",
            valid().set("order_notes", &long(501)).signed(),
            "29105",
            true,
        ),
    ]
}

#[tokio::test]
async fn every_bad_field_gets_its_code() {
    let gateway = Gateway::start().await;
    for (what, form, code, signed) in cases() {
        let reply = gateway.pay(&form).await;
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
        assert_eq!(reply.field("payment_status"), "0", "{what}");
        assert_eq!(
            reply.code(),
            code,
            "{what}: {}",
            reply.field("payment_details")
        );
        let message = reply
            .field("payment_details")
            .split_once(':')
            .map_or("", |(_, m)| m);
        assert!(!message.is_empty(), "{what}: a message follows the code");
        assert_eq!(reply.field("payment_id"), "", "{what}: no payment was made");
        if signed {
            assert!(
                reply.signature_valid(SECURE_CODE),
                "{what}: authenticated refusals are signed"
            );
        } else {
            assert_eq!(
                reply.field("signValue"),
                "",
                "{what}: unauthenticated refusals are not signed"
            );
        }
    }
    let counts = crate::harness::counts(&gateway).await;
    assert!(
        counts.values().all(|n| *n == 0),
        "no payment recorded: {counts:?}"
    );
}

#[tokio::test]
async fn upper_case_signatures_are_accepted() {
    let gateway = Gateway::start().await;
    let mut form = valid().signed();
    let signature = form
        .iter_mut()
        .find(|(k, _)| k == "signValue")
        .expect("signed");
    signature.1 = signature.1.to_uppercase();
    assert_eq!(gateway.pay(&form).await.field("payment_status"), "1");
}

#[tokio::test]
async fn billing_fields_are_signed_when_sent() {
    let gateway = Gateway::start().await;
    let form = valid()
        .set("billing_firstName", "Mei")
        .set("billing_lastName", "Chan")
        .set("billing_email", "mei@example.com")
        .signed();
    assert_eq!(gateway.pay(&form).await.field("payment_status"), "1");
    let mut tampered = form.clone();
    tampered
        .iter_mut()
        .find(|(k, _)| k == "billing_lastName")
        .expect("field")
        .1 = "Chen".into();
    assert_eq!(gateway.pay(&tampered).await.code(), "20013");
}

//! Oceanpayment's published signature examples, checked against `sign` and `verify`.

use serde::Deserialize;
use std::collections::HashMap;
use tidegate_core::ErrorKind;
use tidegate_wire::oceanpayment::{
    sign, verify, Credentials, Form, OfflineVoidRequest, OrderQueryRequest, RefundQueryRequest,
    RefundRequest, BUSINESS_ORDERS_LIST_FIELDS, CARD_BINDING_FIELDS, CUSTOMS_FIELDS,
    HOSTED_PAY_REQUEST_FIELDS, OFFLINE_VOID_FIELDS, ORDER_QUERY_FIELDS, PAYMENT_RESULT_FIELDS,
    PAY_REQUEST_FIELDS, PRE_AUTH_FIELDS, QUERY_ORDERS_LIST_FIELDS, REFUND_FIELDS,
    REFUND_QUERY_FIELDS,
};

#[derive(Deserialize)]
struct Fixture {
    formulas_not_published_as_vectors: HashMap<String, Vec<String>>,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    call: String,
    fields_in_order: Vec<String>,
    values: HashMap<String, String>,
    sha256_lower: String,
}

impl Vector {
    /// The field names without the trailing `secureCode`.
    fn signed_fields(&self) -> Vec<&str> {
        self.fields_in_order
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "secureCode")
            .collect()
    }

    fn parts(&self) -> Vec<&str> {
        self.signed_fields()
            .iter()
            .map(|name| self.values[*name].as_str())
            .collect()
    }

    fn secure_code(&self) -> &str {
        &self.values["secureCode"]
    }

    /// The request as a till would send it: every signed field, then the published signature.
    fn form(&self) -> Form {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for name in self.signed_fields() {
            serializer.append_pair(name, &self.values[name]);
        }
        serializer.append_pair("signValue", &self.sha256_lower);
        Form::parse(serializer.finish().as_bytes()).expect("vector form")
    }
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oceanpayment/signatures.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

const FIELD_LISTS: [&[&str]; 12] = [
    PAY_REQUEST_FIELDS,
    HOSTED_PAY_REQUEST_FIELDS,
    PAYMENT_RESULT_FIELDS,
    ORDER_QUERY_FIELDS,
    QUERY_ORDERS_LIST_FIELDS,
    BUSINESS_ORDERS_LIST_FIELDS,
    REFUND_FIELDS,
    REFUND_QUERY_FIELDS,
    PRE_AUTH_FIELDS,
    OFFLINE_VOID_FIELDS,
    CUSTOMS_FIELDS,
    CARD_BINDING_FIELDS,
];

#[test]
fn all_nine_published_vectors_sign() {
    let vectors = fixture().vectors;
    assert_eq!(vectors.len(), 9);
    for vector in &vectors {
        let signature = sign(&vector.parts(), vector.secure_code());
        assert_eq!(signature, signature.to_uppercase(), "{}", vector.call);
        assert_eq!(
            signature.to_lowercase(),
            vector.sha256_lower,
            "{}",
            vector.call
        );
    }
}

#[test]
fn all_nine_published_vectors_verify_in_either_case() {
    for vector in fixture().vectors {
        let parts = vector.parts();
        assert!(
            verify(&vector.sha256_lower, &parts, vector.secure_code()),
            "{}",
            vector.call
        );
        assert!(
            verify(
                &vector.sha256_lower.to_uppercase(),
                &parts,
                vector.secure_code()
            ),
            "{}",
            vector.call
        );
    }
}

#[test]
fn a_one_character_change_fails_verification() {
    for vector in fixture().vectors {
        let parts = vector.parts();
        let mut signature: Vec<char> = vector.sha256_lower.chars().collect();
        signature[10] = if signature[10] == '0' { '1' } else { '0' };
        let signature: String = signature.into_iter().collect();
        assert!(
            !verify(&signature, &parts, vector.secure_code()),
            "{}",
            vector.call
        );

        let account = parts[0];
        let replacement = if account.ends_with('0') { "1" } else { "0" };
        let altered_account = format!("{}{replacement}", &account[..account.len() - 1]);
        let mut altered = parts.clone();
        altered[0] = &altered_account;
        assert!(
            !verify(&vector.sha256_lower, &altered, vector.secure_code()),
            "{}",
            vector.call
        );

        let secure_code = format!(
            "{}9",
            &vector.secure_code()[..vector.secure_code().len() - 1]
        );
        assert!(
            !verify(&vector.sha256_lower, &parts, &secure_code),
            "{}",
            vector.call
        );
    }
}

#[test]
fn every_published_field_order_has_a_named_list() {
    let fixture = fixture();
    for vector in &fixture.vectors {
        let fields = vector.signed_fields();
        assert!(
            FIELD_LISTS.contains(&fields.as_slice()),
            "no list for {}",
            vector.call
        );
    }
    for (call, fields) in &fixture.formulas_not_published_as_vectors {
        let fields: Vec<&str> = fields
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "secureCode")
            .collect();
        assert!(
            FIELD_LISTS.contains(&fields.as_slice()),
            "no list for {call}"
        );
    }
}

fn vector(call_prefix: &str) -> Vector {
    fixture()
        .vectors
        .into_iter()
        .find(|vector| vector.call.starts_with(call_prefix))
        .unwrap_or_else(|| panic!("no vector for {call_prefix}"))
}

/// Verifies a vector's request the way the server does: credentials, then the named list.
fn authenticated(vector: &Vector, fields: &[&str]) -> Form {
    let form = vector.form();
    let credentials = Credentials::from_form(&form).expect("valid credentials");
    assert!(
        verify(
            &credentials.sign_value,
            &form.values(fields),
            vector.secure_code()
        ),
        "{}",
        vector.call
    );
    form
}

#[test]
fn the_published_order_query_verifies_and_parses() {
    let form = authenticated(&vector("order query"), ORDER_QUERY_FIELDS);
    let request = OrderQueryRequest::parse(&form).expect("valid query");
    assert_eq!(request.order_numbers, ["ae866"]);
}

#[test]
fn the_published_refund_verifies_and_parses() {
    let form = authenticated(&vector("refund /service/applyRefund"), REFUND_FIELDS);
    let request = RefundRequest::parse(&form).expect("valid refund");
    assert_eq!(request.payment_id, "231220170723834010513");
    assert_eq!(request.refund_number, None);
    assert!(request.full);
    assert_eq!(request.amount_text, "0.1");
    assert_eq!(request.description, "ProductDamage");
}

#[test]
fn the_published_refund_query_verifies_and_parses() {
    let form = authenticated(&vector("refund query"), REFUND_QUERY_FIELDS);
    let request = RefundQueryRequest::parse(&form).expect("valid refund query");
    assert_eq!(request.refund_id, "0");
}

#[test]
fn the_published_offline_void_verifies_and_parses() {
    let form = authenticated(&vector("offline void"), OFFLINE_VOID_FIELDS);
    let request = OfflineVoidRequest::parse(&form).expect("valid void");
    assert_eq!(request.order_number, "231220170723834010513");
}

#[test]
fn the_published_pre_auth_capture_verifies_but_is_unsupported() {
    let form = authenticated(&vector("pre-auth capture"), PRE_AUTH_FIELDS);
    let error = OfflineVoidRequest::parse(&form).expect_err("captures are not offered");
    assert_eq!(error.kind, ErrorKind::UnsupportedOperation);
    assert_eq!(error.wire_field.as_deref(), Some("payment_authType"));
}

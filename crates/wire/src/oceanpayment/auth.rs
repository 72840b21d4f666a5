//! Voids of in-person orders: `POST /gateway/service/auth` with `payment_authType=3`, by
//! `order_number`, and the endpoint's XML reply.
//!
//! Oceanpayment's endpoint also captures (`payment_authType=1`) and voids (`2`)
//! pre-authorisations by `payment_id`; Tidegate has no pre-authorisations, so those are refused
//! with `UnsupportedOperation`. The offline void is signed over
//! [`OFFLINE_VOID_FIELDS`](crate::oceanpayment::sign::OFFLINE_VOID_FIELDS), the pre-authorisation
//! calls over [`PRE_AUTH_FIELDS`](crate::oceanpayment::sign::PRE_AUTH_FIELDS).
//! [`OfflineVoidRequest::parse`] runs after the signature verified and reports the first
//! failure, always in this order:
//!
//! 1. `account`, `terminal`, `signValue` (the credentials, again);
//! 2. `payment_authType`: required, and `3` (anything else is an unsupported operation);
//! 3. `order_number`: required, at most 50 characters, no control characters;
//! 4. every other field, in the order sent: at most 2000 characters of free text.
//!
//! The reply's root element is `<respon>`, as in Oceanpayment's published example of this
//! endpoint. Oceanpayment publishes no signature formula for it: [`AuthReply`] is signed over
//! [`AUTH_REPLY_FIELDS`], Tidegate's choice.

use crate::oceanpayment::form::Form;
use crate::oceanpayment::pay::Credentials;
use crate::oceanpayment::rules::{check_other_fields, check_printable, required};
use crate::oceanpayment::sign::AUTH_REPLY_FIELDS;
use crate::oceanpayment::xml::{signed_document, SIGN_VALUE};
use tidegate_core::{ErrorKind, Field, GatewayError};

const PAYMENT_AUTH_TYPE: &str = "payment_authType";
const ORDER_NUMBER: &str = "order_number";

/// The `payment_authType` of a void of an in-person order by its order number.
pub const OFFLINE_VOID: &str = "3";

/// A validated void of an in-person order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineVoidRequest {
    /// The merchant account number.
    pub account: String,
    /// The terminal number.
    pub terminal: String,
    /// The order to void, 1 to 50 characters.
    pub order_number: String,
}

impl OfflineVoidRequest {
    /// Validates every field of a void request whose signature has been verified.
    pub fn parse(form: &Form) -> Result<OfflineVoidRequest, GatewayError> {
        let credentials = Credentials::from_form(form)?;
        let operation = required(form, PAYMENT_AUTH_TYPE, Field::Operation)?;
        if operation != OFFLINE_VOID {
            return Err(GatewayError::at(
                ErrorKind::UnsupportedOperation,
                PAYMENT_AUTH_TYPE,
            ));
        }
        let order_number = required(form, ORDER_NUMBER, Field::OrderNumber)?;
        check_printable(ORDER_NUMBER, order_number, Field::OrderNumber, 50)?;
        check_other_fields(form, &[PAYMENT_AUTH_TYPE, ORDER_NUMBER])?;
        Ok(OfflineVoidRequest {
            account: credentials.account,
            terminal: credentials.terminal,
            order_number: order_number.to_owned(),
        })
    }
}

/// The reply of `/gateway/service/auth`, as the wire shows it (all text, empty when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthReply {
    /// The merchant account, echoed.
    pub account: String,
    /// The terminal, echoed.
    pub terminal: String,
    /// The voided order, echoed.
    pub order_number: String,
    /// The gateway's id of the voided payment; empty when no payment was found.
    pub payment_id: String,
    /// The requested operation, echoed (`3`).
    pub payment_auth_type: String,
    /// `1` the void is done: the payment can no longer be paid, or was reversed; `0` refused,
    /// `payment_details` says why.
    pub payment_status: String,
    /// `code:message`.
    pub payment_details: String,
}

impl AuthReply {
    /// The signed `<respon>` document; with an empty `secure_code` `signValue` is empty.
    pub fn encode(&self, secure_code: &str) -> String {
        let elements = [
            ("account", self.account.as_str()),
            ("terminal", &self.terminal),
            (SIGN_VALUE, ""),
            ("order_number", &self.order_number),
            ("payment_id", &self.payment_id),
            ("payment_authType", &self.payment_auth_type),
            ("payment_status", &self.payment_status),
            ("payment_details", &self.payment_details),
        ];
        signed_document("respon", &elements, AUTH_REPLY_FIELDS, secure_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::sign::{sign, OFFLINE_VOID_FIELDS};
    use crate::oceanpayment::xml::read;
    use proptest::prelude::*;

    const SECURE_CODE: &str = "12345678";

    fn void_form(fields: &[(&str, &str)]) -> Form {
        let mut all = vec![("account", "995149"), ("terminal", "99514901")];
        for (name, value) in fields {
            match all.iter_mut().find(|(existing, _)| existing == name) {
                Some(field) => field.1 = value,
                None => all.push((name, value)),
            }
        }
        let value_of = |name: &str| all.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| *v);
        let parts: Vec<&str> = OFFLINE_VOID_FIELDS
            .iter()
            .map(|name| value_of(name))
            .collect();
        let sign_value = sign(&parts, SECURE_CODE);
        all.push(("signValue", &sign_value));
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&all)
            .finish();
        Form::parse(body.as_bytes()).expect("test form")
    }

    fn valid(extra: &[(&str, &str)]) -> Form {
        let mut fields = vec![
            ("payment_authType", "3"),
            ("order_number", "POS-20260101-0002"),
        ];
        fields.extend_from_slice(extra);
        void_form(&fields)
    }

    fn expect_refusal(form: &Form, kind: ErrorKind, wire_field: &str) {
        let error = OfflineVoidRequest::parse(form).expect_err("void should be refused");
        assert_eq!(
            (error.kind, error.wire_field.unwrap_or_default()),
            (kind, wire_field.to_owned())
        );
    }

    #[test]
    fn parses_an_offline_void() {
        assert_eq!(
            OfflineVoidRequest::parse(&valid(&[])),
            Ok(OfflineVoidRequest {
                account: "995149".into(),
                terminal: "99514901".into(),
                order_number: "POS-20260101-0002".into(),
            })
        );
    }

    #[test]
    fn credentials_are_checked_again() {
        expect_refusal(
            &valid(&[("terminal", "")]),
            ErrorKind::MissingField(Field::Terminal),
            "terminal",
        );
    }

    #[test]
    fn payment_auth_type_is_required() {
        expect_refusal(
            &void_form(&[("order_number", "A")]),
            ErrorKind::MissingField(Field::Operation),
            "payment_authType",
        );
        expect_refusal(
            &valid(&[("payment_authType", "")]),
            ErrorKind::MissingField(Field::Operation),
            "payment_authType",
        );
    }

    #[test]
    fn only_the_offline_void_is_supported() {
        for operation in ["1", "2", "0", "4", "03", "3 ", "void"] {
            expect_refusal(
                &valid(&[("payment_authType", operation)]),
                ErrorKind::UnsupportedOperation,
                "payment_authType",
            );
        }
    }

    #[test]
    fn a_pre_authorisation_capture_by_payment_id_is_unsupported() {
        let form = void_form(&[
            ("payment_id", "231220170723834010513"),
            ("payment_authType", "1"),
            ("order_amount", "10"),
        ]);
        expect_refusal(&form, ErrorKind::UnsupportedOperation, "payment_authType");
    }

    #[test]
    fn order_number_is_required() {
        expect_refusal(
            &void_form(&[("payment_authType", "3")]),
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn order_number_has_at_most_50_printable_characters() {
        assert!(OfflineVoidRequest::parse(&valid(&[("order_number", &"商".repeat(50))])).is_ok());
        expect_refusal(
            &valid(&[("order_number", &"1".repeat(51))]),
            ErrorKind::FieldTooLong(Field::OrderNumber),
            "order_number",
        );
        expect_refusal(
            &valid(&[("order_number", "A\tB")]),
            ErrorKind::InvalidFormat(Field::OrderNumber),
            "order_number",
        );
    }

    #[test]
    fn other_fields_have_at_most_2000_characters() {
        assert!(OfflineVoidRequest::parse(&valid(&[("reason", &"r".repeat(2000))])).is_ok());
        expect_refusal(
            &valid(&[("reason", &"r".repeat(2001))]),
            ErrorKind::FieldTooLong(Field::Other),
            "reason",
        );
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        let bad = [
            ("payment_authType", "2"),
            ("order_number", ""),
            ("reason", "\u{1}"),
        ];
        expect_refusal(
            &void_form(&bad),
            ErrorKind::UnsupportedOperation,
            "payment_authType",
        );
        let bad = [
            ("payment_authType", "3"),
            ("order_number", ""),
            ("reason", "\u{1}"),
        ];
        expect_refusal(
            &void_form(&bad),
            ErrorKind::MissingField(Field::OrderNumber),
            "order_number",
        );
        let bad = [
            ("payment_authType", "3"),
            ("order_number", "A"),
            ("reason", "\u{1}"),
        ];
        expect_refusal(
            &void_form(&bad),
            ErrorKind::InvalidFormat(Field::Other),
            "reason",
        );
    }

    fn voided() -> AuthReply {
        AuthReply {
            account: "995149".into(),
            terminal: "99514901".into(),
            order_number: "POS-20260101-0002".into(),
            payment_id: "260101093100456000002".into(),
            payment_auth_type: OFFLINE_VOID.into(),
            payment_status: "1".into(),
            payment_details: "80053:Authorisation Void".into(),
        }
    }

    #[test]
    fn auth_reply() {
        insta::assert_snapshot!(voided().encode(SECURE_CODE));
    }

    #[test]
    fn a_merchant_can_verify_the_reply() {
        let refused = AuthReply {
            payment_id: String::new(),
            payment_status: "0".into(),
            payment_details: "29201:Order not found".into(),
            ..voided()
        };
        for reply in [voided(), refused] {
            let root = read::parse(&reply.encode(SECURE_CODE));
            assert_eq!(root.name, "respon");
            assert_eq!(
                root.tags(),
                [
                    "account",
                    "terminal",
                    "signValue",
                    "order_number",
                    "payment_id",
                    "payment_authType",
                    "payment_status",
                    "payment_details",
                ]
            );
            assert!(root.signature_verifies(AUTH_REPLY_FIELDS, SECURE_CODE));
            assert_eq!(root.text_of("payment_status"), reply.payment_status);
        }
        let tampered = voided()
            .encode(SECURE_CODE)
            .replace("<payment_status>1<", "<payment_status>0<");
        assert!(!read::parse(&tampered).signature_verifies(AUTH_REPLY_FIELDS, SECURE_CODE));
    }

    #[test]
    fn without_a_secure_code_the_signature_is_empty() {
        assert!(voided().encode("").contains("<signValue></signValue>"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(operation in ".{0,8}", order_number in ".{0,80}") {
            let _ = OfflineVoidRequest::parse(&void_form(&[("payment_authType", &operation), ("order_number", &order_number)]));
        }
    }
}

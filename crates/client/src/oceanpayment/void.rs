//! The offline void, `POST /gateway/service/auth` with `payment_authType` 3: how a till closes
//! an order whose outcome it could not learn, or cancels a sale.

use super::{expect_root, verify_signed, Details, OceanpaymentClient};
use crate::xml::Element;
use crate::ClientError;
use tidegate_wire::oceanpayment::{
    AuthReply, AUTH_REPLY_FIELDS, OFFLINE_VOID, OFFLINE_VOID_FIELDS,
};

/// The verified answer to an offline void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidResult {
    reply: AuthReply,
    done: bool,
    details: Details,
}

impl VoidResult {
    /// True when the order can no longer take money: it was voided now or before (details
    /// `80053:Authorisation Void`), or its payment had already failed (the details say how).
    /// False when the void did not happen; [`VoidResult::retry`] says whether to send it again.
    pub fn done(&self) -> bool {
        self.done
    }

    /// True when the void did not happen but may on another try: the acquirer did not confirm
    /// (`29210`) or the gateway was briefly unavailable (`29111`). A till keeps voiding until
    /// the answer is definitive.
    pub fn retry(&self) -> bool {
        !self.done && matches!(self.details.code.as_str(), "29210" | "29111")
    }

    /// `payment_details`: `80053:Authorisation Void`, the payment's failure, or why the void
    /// was refused (e.g. `29201:Order not found`).
    pub fn details(&self) -> &Details {
        &self.details
    }

    /// The voided payment; empty when the order has none.
    pub fn payment_id(&self) -> &str {
        &self.reply.payment_id
    }

    /// Every field of the reply, as the wire showed it.
    pub fn reply(&self) -> &AuthReply {
        &self.reply
    }
}

impl OceanpaymentClient {
    /// Voids the order `order_number`: an open payment is closed at the acquirer so it can
    /// never be paid, an approved one is reversed in full. Voiding again is harmless.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), tidegate_client::ClientError> {
    /// use tidegate_client::oceanpayment::{Credentials, OceanpaymentClient};
    ///
    /// let client = OceanpaymentClient::new("http://127.0.0.1:8080", Credentials::sandbox_demo())?;
    /// let void = client.void("POS-0001").await?;
    /// if void.retry() {
    ///     // the acquirer did not confirm: send it again shortly
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn void(&self, order_number: &str) -> Result<VoidResult, ClientError> {
        let fields = [
            ("order_number", order_number.to_owned()),
            ("payment_authType", OFFLINE_VOID.to_owned()),
        ];
        let (answer, root) = self
            .call("/gateway/service/auth", &fields, OFFLINE_VOID_FIELDS)
            .await?;
        read_void_reply(&root, self.credentials.secure_code(), answer.status)
    }
}

fn read_void_reply(
    root: &Element,
    secure_code: &str,
    http_status: u16,
) -> Result<VoidResult, ClientError> {
    expect_root(root, "respon", http_status)?;
    verify_signed(
        root,
        AUTH_REPLY_FIELDS,
        secure_code,
        "payment_details",
        http_status,
    )?;
    let text = |name: &str| root.value(name).to_owned();
    let reply = AuthReply {
        account: text("account"),
        terminal: text("terminal"),
        order_number: text("order_number"),
        payment_id: text("payment_id"),
        payment_auth_type: text("payment_authType"),
        payment_status: text("payment_status"),
        payment_details: text("payment_details"),
    };
    let done = match reply.payment_status.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(ClientError::malformed(
                http_status,
                format!("payment_status {other:?}"),
            ))
        }
    };
    let details = Details::parse(&reply.payment_details);
    Ok(VoidResult {
        reply,
        done,
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    const SECURE_CODE: &str = "12345678";

    fn reply(status: &str, details: &str) -> AuthReply {
        AuthReply {
            account: "995149".into(),
            terminal: "99514901".into(),
            order_number: "POS-1".into(),
            payment_id: "260101093100456000002".into(),
            payment_auth_type: OFFLINE_VOID.into(),
            payment_status: status.into(),
            payment_details: details.into(),
        }
    }

    fn read(reply: &AuthReply) -> Result<VoidResult, ClientError> {
        read_void_reply(
            &xml::parse(&reply.encode(SECURE_CODE)).expect("XML"),
            SECURE_CODE,
            200,
        )
    }

    #[test]
    fn done_retry_and_refused() {
        let voided = read(&reply("1", "80053:Authorisation Void")).expect("verified");
        assert!(voided.done() && !voided.retry());
        let again = read(&reply(
            "0",
            "29210:Acquirer did not confirm, nothing changed; retry",
        ))
        .expect("verified");
        assert!(!again.done() && again.retry());
        let refused = read(&reply(
            "0",
            "29207:Payment has refunds and cannot be voided",
        ))
        .expect("verified");
        assert!(!refused.done() && !refused.retry());
    }

    #[test]
    fn a_tampered_void_fails_verification() {
        let document = reply(
            "0",
            "29210:Acquirer did not confirm, nothing changed; retry",
        )
        .encode(SECURE_CODE)
        .replace("<payment_status>0<", "<payment_status>1<");
        let root = xml::parse(&document).expect("XML");
        assert!(matches!(
            read_void_reply(&root, SECURE_CODE, 200),
            Err(ClientError::BadSignature)
        ));
    }
}

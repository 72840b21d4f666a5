//! Restarts: nothing acknowledged is lost, and open payments are resolved by the next process.

use crate::harness::{order, test_config, Gateway, PayForm, WECHAT_APPROVE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_survive_a_restart_and_pending_ones_are_resolved_after_it() {
    let gateway = Gateway::start_with(|config| config.sandbox.pin_delay_ms = 1_500).await;
    let approved_form = PayForm::customer_presented(&order("kept"), WECHAT_APPROVE).signed();
    let approved = gateway.pay(&approved_form).await;
    assert_eq!(approved.field("payment_status"), "1");
    let pending_form =
        PayForm::customer_presented(&order("pending"), "134567890123451000").signed();
    let pending = gateway.pay(&pending_form).await;
    assert_eq!(pending.field("payment_status"), "-1");

    let dir = gateway.stop().await;
    let mut config = test_config(&dir);
    config.sandbox.pin_delay_ms = 1_500;
    let gateway = Gateway::start_in(dir, config).await;

    let replayed = gateway.pay(&approved_form).await;
    assert_eq!(replayed.field("payment_id"), approved.field("payment_id"));
    assert_eq!(replayed.field("payment_status"), "1");

    let resolved = gateway.pay_until_final(&pending_form).await;
    assert_eq!(resolved.field("payment_id"), pending.field("payment_id"));
    assert_eq!(resolved.field("payment_status"), "1");
}

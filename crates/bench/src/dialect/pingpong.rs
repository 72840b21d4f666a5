//! The PingPong API. The gateway's PingPong dialect is still being written, so there is
//! nothing to drive yet; this module is where its [`Dialect`](super::Dialect) goes (request
//! encoding and signing, reply reading), and [`build`] is its only entry point.

use super::{Dialect, PaymentParams};
use std::sync::Arc;

/// Refuses for now, naming what does work.
pub(super) fn build(_params: &PaymentParams) -> anyhow::Result<Arc<dyn Dialect>> {
    anyhow::bail!(
        "--dialect pingpong is not yet supported: the gateway's PingPong dialect is still being \
         added; drive the Oceanpayment API (--dialect oceanpayment) for now"
    )
}

//! Integration tests: a real gateway on port 0 with a temporary database, driven over HTTP the
//! way a till drives it.

#![allow(
    clippy::format_collect,
    clippy::field_reassign_with_default,
    clippy::type_complexity,
    clippy::needless_pass_by_value
)]

mod harness;
mod receiver;

mod customer_presented;
mod idempotency;
mod merchant_presented;
mod notices;
mod orders;
mod pingpong;
mod refunds;
mod restart;
mod transport;
mod validation;

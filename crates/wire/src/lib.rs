//! Tidegate's merchant API dialects: the wire formats existing tills and shop plugins speak.
//!
//! Each dialect decodes raw requests into core types, checks field limits, signs and verifies,
//! and encodes replies and notices, mapping core errors to its own codes. Everything here is
//! pure code (no I/O, no async), so every parser can be fuzzed and every encoder snapshot-tested.

pub mod oceanpayment;
pub mod pingpong;

//! Wall-clock time and payment id generation.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tidegate_core::ids::IdClock;
use tidegate_core::PaymentId;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Issues payment ids: timestamp to the millisecond plus a per-process sequence.
///
/// The sequence starts at a random point so that two nodes sharing one database are unlikely
/// to issue the same id in the same millisecond; the primary key catches the rest.
pub(crate) struct IdGenerator {
    sequence: AtomicU32,
}

impl IdGenerator {
    pub(crate) fn new() -> IdGenerator {
        let mut seed = [0_u8; 4];
        // Without OS randomness every node starts at 0, which only raises the odds of a
        // primary-key retry; it is not a correctness problem.
        let _ = getrandom::getrandom(&mut seed);
        IdGenerator {
            sequence: AtomicU32::new(u32::from_le_bytes(seed) % 1_000_000),
        }
    }

    pub(crate) fn next(&self, at_ms: i64) -> PaymentId {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let clock = IdClock {
            year: u16::try_from(at.year()).unwrap_or(0),
            month: u8::from(at.month()),
            day: at.day(),
            hour: at.hour(),
            minute: at.minute(),
            second: at.second(),
            millisecond: at.millisecond(),
        };
        PaymentId::new(clock, sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_within_a_process() {
        let ids = IdGenerator::new();
        let at = now_ms();
        let issued: HashSet<String> = (0..10_000).map(|_| ids.next(at).to_string()).collect();
        assert_eq!(issued.len(), 10_000);
        assert!(issued.iter().all(|id| id.len() == 21));
    }
}

//! The notice outbox, refunds, voids and the version 2 migration, against real database files.

// A test that cannot even set up should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::TempDir;
use tidegate_core::{DeclineReason, PaymentFlow, PaymentState, RefundState};
use tidegate_store::sqlite::SqliteStore;
use tidegate_store::{
    NewNotice, NewPayment, NewRefund, NoticeAttempt, NoticeNext, NoticeRecord, NoticeStatus,
    PaymentRecord, RefundCompletion, RefundRecord, RefundRefusal, RefundReservation, Reservation,
    StateChange, Store, StoreError,
};

const T0: i64 = 1_780_000_000_000;
const ACCOUNT: &str = "150260";
const TERMINAL: &str = "15026001";

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("tidegate.db")
}

fn open(dir: &TempDir) -> SqliteStore {
    SqliteStore::open(&db_path(dir)).expect("open store")
}

/// A second, plain connection to the file, to look at what the store wrote.
fn inspect(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open inspection connection")
}

fn count(path: &Path, sql: &str) -> i64 {
    inspect(path)
        .query_row(sql, [], |row| row.get(0))
        .expect("count")
}

fn payment(payment_id: &str, order_number: &str, amount_minor: i64) -> NewPayment {
    NewPayment {
        payment_id: payment_id.to_owned(),
        account: ACCOUNT.to_owned(),
        terminal: TERMINAL.to_owned(),
        order_number: order_number.to_owned(),
        method: "wechatpay".to_owned(),
        flow: PaymentFlow::CustomerPresented,
        amount_minor,
        currency: "CNY".to_owned(),
        amount_text: format!("{}.{:02}", amount_minor / 100, amount_minor % 100),
        order_notes: String::new(),
        notice_url: Some("https://shop.example/notice".to_owned()),
        payment_code: None,
        payer_masked: None,
        fingerprint: format!("fp-{payment_id}"),
        dialect: "oceanpayment".to_owned(),
        created_at_ms: T0,
        expires_at_ms: None,
        dialect_data: String::new(),
    }
}

fn change(payment_id: &str, expected: PaymentState, new_state: PaymentState) -> StateChange {
    StateChange {
        payment_id: payment_id.to_owned(),
        expected,
        new_state,
        event: format!("to_{}", new_state.as_str()),
        decline_reason: None,
        acquirer_ref: None,
        qr_payload: None,
        at_ms: T0 + 1_000,
        notices: Vec::new(),
    }
}

fn notice(notice_id: &str, payment_id: &str, created_at_ms: i64) -> NewNotice {
    NewNotice {
        notice_id: notice_id.to_owned(),
        payment_id: payment_id.to_owned(),
        refund_id: None,
        kind: "transaction".to_owned(),
        dialect: "oceanpayment".to_owned(),
        url: "https://shop.example/notice".to_owned(),
        created_at_ms,
        reported_state: "approved".to_owned(),
    }
}

fn refund(refund_id: &str, payment_id: &str, amount_minor: i64) -> NewRefund {
    NewRefund {
        refund_id: refund_id.to_owned(),
        payment_id: payment_id.to_owned(),
        refund_number: None,
        amount_minor,
        amount_text: format!("{}.{:02}", amount_minor / 100, amount_minor % 100),
        full: false,
        description: "returned goods".to_owned(),
        created_at_ms: T0 + 10_000,
    }
}

fn attempt(notice_id: &str, at_ms: i64) -> NoticeAttempt {
    NoticeAttempt {
        notice_id: notice_id.to_owned(),
        at_ms,
        http_status: None,
        body_prefix: String::new(),
        latency_ms: 40,
        error: None,
    }
}

fn ids(notices: &[NoticeRecord]) -> Vec<&str> {
    notices
        .iter()
        .map(|notice| notice.created.notice_id.as_str())
        .collect()
}

/// Records a payment and moves it through `states` (the first is `processing`).
async fn payment_in(
    store: &SqliteStore,
    new: NewPayment,
    states: &[PaymentState],
) -> PaymentRecord {
    let id = new.payment_id.clone();
    let Reservation::Created(mut record) = store.reserve_payment(new, 0).await.unwrap() else {
        panic!("payment {id} not created");
    };
    for pair in states.windows(2) {
        record = store
            .apply_change(change(&id, pair[0], pair[1]))
            .await
            .unwrap();
    }
    record
}

/// An approved payment of `amount_minor` on its own order.
async fn approved(store: &SqliteStore, payment_id: &str, amount_minor: i64) -> PaymentRecord {
    let new = payment(payment_id, &format!("ORDER-{payment_id}"), amount_minor);
    payment_in(
        store,
        new,
        &[PaymentState::Processing, PaymentState::Approved],
    )
    .await
}

/// A payment with the given notices written by its approval.
async fn approved_with_notices(store: &SqliteStore, payment_id: &str, notices: Vec<NewNotice>) {
    let new = payment(payment_id, &format!("ORDER-{payment_id}"), 1_000);
    store.reserve_payment(new, 0).await.unwrap();
    let mut approve = change(payment_id, PaymentState::Processing, PaymentState::Approved);
    approve.notices = notices;
    store.apply_change(approve).await.unwrap();
}

async fn created_refund(store: &SqliteStore, new: NewRefund) -> RefundRecord {
    match store.reserve_refund(new).await.unwrap() {
        RefundReservation::Created(record) => record,
        other @ (RefundReservation::Replay(_) | RefundReservation::Refused(_)) => {
            panic!("expected Created, got {other:?}")
        }
    }
}

async fn refused(store: &SqliteStore, new: NewRefund) -> RefundRefusal {
    match store.reserve_refund(new).await.unwrap() {
        RefundReservation::Refused(refusal) => refusal,
        other @ (RefundReservation::Created(_) | RefundReservation::Replay(_)) => {
            panic!("expected Refused, got {other:?}")
        }
    }
}

fn completion(refund_id: &str, new_state: RefundState) -> RefundCompletion {
    RefundCompletion {
        refund_id: refund_id.to_owned(),
        new_state,
        decline_reason: None,
        acquirer_ref: None,
        at_ms: T0 + 20_000,
        notices: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_written_with_their_change_and_not_without_it() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    store
        .reserve_payment(payment(id, "ORDER-1", 1_000), 0)
        .await
        .unwrap();

    let mut approve = change(id, PaymentState::Processing, PaymentState::Approved);
    approve.notices = vec![notice("n-1", id, T0 + 1_000), notice("n-2", id, T0 + 1_000)];
    store.apply_change(approve).await.unwrap();

    let written = store.notices_of_payment(id).await.unwrap();
    assert_eq!(ids(&written), ["n-1", "n-2"]);
    for record in &written {
        assert_eq!(record.status, NoticeStatus::Pending);
        assert_eq!(record.attempts, 0);
        assert_eq!(record.next_attempt_at_ms, T0 + 1_000, "due at creation");
        assert_eq!(
            (record.delivered_at_ms, record.last_error.as_deref()),
            (None, None)
        );
    }
    assert_eq!(store.notice("n-1").await.unwrap().as_ref(), written.first());
    assert_eq!(store.notice("n-9").await.unwrap(), None);

    // A stale change: neither the state nor its notices are written.
    let mut stale = change(id, PaymentState::Processing, PaymentState::Declined);
    stale.decline_reason = Some(DeclineReason::Declined);
    stale.notices = vec![notice("n-3", id, T0 + 2_000)];
    assert!(matches!(
        store.apply_change(stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.notice("n-3").await.unwrap(), None);
    assert_eq!(count(&db_path(&dir), "SELECT COUNT(*) FROM notices"), 2);
    assert_eq!(
        count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events"),
        2
    );

    // A notice id used twice fails the whole change.
    let mut reused = change(id, PaymentState::Approved, PaymentState::Voided);
    reused.notices = vec![notice("n-1", id, T0 + 3_000)];
    assert!(matches!(
        store.apply_change(reused).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.payment(id).await.unwrap().unwrap().state,
        PaymentState::Approved
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_takes_due_notices_once_until_its_lease_lapses() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    // Inserted out of due order, so insertion order cannot pass for due order.
    let notices = vec![
        notice("n-late", id, T0 + 5_000),
        notice("n-second", id, T0 + 10),
        notice("n-first", id, T0),
    ];
    approved_with_notices(&store, id, notices).await;

    assert!(store
        .claim_due_notices(T0 - 1, 30_000, 10)
        .await
        .unwrap()
        .is_empty());
    let now = T0 + 100;
    let claimed = store.claim_due_notices(now, 30_000, 10).await.unwrap();
    assert_eq!(ids(&claimed), ["n-first", "n-second"]);
    for record in &claimed {
        assert_eq!(record.next_attempt_at_ms, now + 30_000, "the claim's end");
        assert_eq!(
            store
                .notice(&record.created.notice_id)
                .await
                .unwrap()
                .as_ref(),
            Some(record)
        );
    }
    assert!(store
        .claim_due_notices(now, 30_000, 10)
        .await
        .unwrap()
        .is_empty());

    // The late one falls due on its own; the claimed ones stay claimed.
    let claimed = store
        .claim_due_notices(T0 + 5_000, 30_000, 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), ["n-late"]);
    assert!(store
        .claim_due_notices(now + 29_999, 30_000, 10)
        .await
        .unwrap()
        .is_empty());

    // Never settled: the claim lapses and they are due again, `limit` at most; due at the same
    // time, they go in insertion order.
    let lapsed = now + 30_000;
    let claimed = store.claim_due_notices(lapsed, 1_000, 1).await.unwrap();
    assert_eq!(ids(&claimed), ["n-second"]);
    let claimed = store.claim_due_notices(lapsed, 1_000, 10).await.unwrap();
    assert_eq!(ids(&claimed), ["n-first"]);
    assert!(store
        .claim_due_notices(lapsed, 1_000, 0)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_never_get_the_same_notice() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    let id = "260101000000000000001";
    let notices: Vec<NewNotice> = (0..120)
        .map(|n| notice(&format!("n-{n:03}"), id, T0 + n % 7))
        .collect();
    approved_with_notices(&store, id, notices).await;

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_due_notices(T0 + 100, 60_000, 5).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|notice| notice.created.notice_id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for notice_id in worker.await.unwrap() {
            total += 1;
            assert!(seen.insert(notice_id.clone()), "{notice_id} claimed twice");
        }
    }
    assert_eq!((total, seen.len()), (120, 120));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_update_the_notice_and_are_listed_in_order() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved_with_notices(
        &store,
        id,
        vec![notice("n-1", id, T0), notice("n-2", id, T0)],
    )
    .await;

    let mut refused = attempt("n-1", T0 + 100);
    refused.error = Some("connection refused".to_owned());
    let record = store
        .record_notice_attempt(refused.clone(), NoticeNext::RetryAt(T0 + 60_000))
        .await
        .unwrap();
    assert_eq!(record.status, NoticeStatus::Pending);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.next_attempt_at_ms, T0 + 60_000);
    assert_eq!(record.last_error.as_deref(), Some("connection refused"));

    let mut rejected = attempt("n-1", T0 + 60_000);
    rejected.http_status = Some(500);
    rejected.body_prefix = "é".repeat(300);
    let record = store
        .record_notice_attempt(rejected.clone(), NoticeNext::GiveUp)
        .await
        .unwrap();
    assert_eq!(record.status, NoticeStatus::GivenUp);
    assert_eq!(record.attempts, 2);
    assert_eq!(record.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(record.delivered_at_ms, None);
    assert_eq!(store.notice("n-1").await.unwrap(), Some(record));
    assert!(store
        .claim_due_notices(T0 + 999_999, 1_000, 10)
        .await
        .unwrap()
        .iter()
        .all(|notice| notice.created.notice_id != "n-1"));

    let listed = store.notice_attempts("n-1").await.unwrap();
    let numbers: Vec<i64> = listed.iter().map(|record| record.attempt_no).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(listed[0].attempt, refused);
    assert_eq!(listed[1].attempt.http_status, Some(500));
    assert_eq!(
        listed[1].attempt.body_prefix,
        "é".repeat(256),
        "kept to 256 characters"
    );
    assert_eq!(listed[1].attempt.at_ms, T0 + 60_000);
    assert!(store.notice_attempts("n-2").await.unwrap().is_empty());

    let mut acknowledged = attempt("n-2", T0 + 200);
    acknowledged.http_status = Some(200);
    acknowledged.body_prefix = "receive-ok".to_owned();
    let record = store
        .record_notice_attempt(acknowledged, NoticeNext::Delivered)
        .await
        .unwrap();
    assert_eq!(record.status, NoticeStatus::Delivered);
    assert_eq!(record.attempts, 1);
    assert_eq!(
        record.delivered_at_ms,
        Some(T0 + 240),
        "when the answer came"
    );
    assert_eq!(record.last_error, None);

    // A worker whose claim lapsed reports a failure after another delivered: still delivered.
    let mut late = attempt("n-2", T0 + 150);
    late.error = Some("timed out".to_owned());
    let record = store
        .record_notice_attempt(late, NoticeNext::RetryAt(T0 + 90_000))
        .await
        .unwrap();
    assert_eq!(record.status, NoticeStatus::Delivered);
    assert_eq!(record.delivered_at_ms, Some(T0 + 240));
    assert_eq!(record.attempts, 2);
    assert_eq!(record.last_error.as_deref(), Some("timed out"));

    assert!(matches!(
        store
            .record_notice_attempt(attempt("n-9", T0), NoticeNext::Delivered)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.notice_attempts("n-9").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_notice_is_due_again_and_keeps_its_attempts() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved_with_notices(
        &store,
        id,
        vec![notice("n-1", id, T0), notice("n-2", id, T0)],
    )
    .await;
    let mut failed = attempt("n-1", T0);
    failed.http_status = Some(404);
    store
        .record_notice_attempt(failed, NoticeNext::GiveUp)
        .await
        .unwrap();
    store
        .record_notice_attempt(attempt("n-2", T0), NoticeNext::Delivered)
        .await
        .unwrap();
    let later = T0 + 3_600_000;
    assert!(store
        .claim_due_notices(later, 1_000, 10)
        .await
        .unwrap()
        .is_empty());

    for notice_id in ["n-1", "n-2"] {
        let record = store.resend_notice(notice_id, later).await.unwrap();
        assert_eq!(record.status, NoticeStatus::Pending);
        assert_eq!(record.next_attempt_at_ms, later);
        assert_eq!(record.attempts, 1, "attempts are kept");
        assert_eq!(record.delivered_at_ms, None);
    }
    assert_eq!(
        store
            .notice("n-1")
            .await
            .unwrap()
            .unwrap()
            .last_error
            .as_deref(),
        Some("HTTP 404")
    );
    assert!(store
        .claim_due_notices(later - 1, 1_000, 10)
        .await
        .unwrap()
        .is_empty());
    let claimed = store.claim_due_notices(later, 1_000, 10).await.unwrap();
    assert_eq!(ids(&claimed), ["n-1", "n-2"]);
    let record = store
        .record_notice_attempt(attempt("n-1", later), NoticeNext::Delivered)
        .await;
    assert_eq!(record.unwrap().attempts, 2);
    assert_eq!(store.notice_attempts("n-1").await.unwrap().len(), 2);

    assert!(matches!(
        store.resend_notice("n-9", later).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_and_refunds_survive_a_restart() {
    let dir = TempDir::new().unwrap();
    let id = "260101000000000000001";
    let (notice_before, attempts_before, refund_before) = {
        let store = open(&dir);
        approved_with_notices(&store, id, vec![notice("n-1", id, T0)]).await;
        let mut failed = attempt("n-1", T0);
        failed.error = Some("timed out".to_owned());
        store
            .record_notice_attempt(failed, NoticeNext::RetryAt(T0 + 5_000))
            .await
            .unwrap();
        let refund = created_refund(&store, refund("r-1", id, 300)).await;
        (
            store.notice("n-1").await.unwrap().unwrap(),
            store.notice_attempts("n-1").await.unwrap(),
            refund,
        )
    };

    let store = open(&dir);
    assert_eq!(
        store.notices_of_payment(id).await.unwrap(),
        vec![notice_before]
    );
    assert_eq!(store.notice_attempts("n-1").await.unwrap(), attempts_before);
    assert_eq!(
        store.refund("r-1").await.unwrap(),
        Some(refund_before.clone())
    );
    assert_eq!(store.open_refunds(10).await.unwrap(), vec![refund_before]);
    let claimed = store
        .claim_due_notices(T0 + 5_000, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), ["n-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_number_replays_its_refund() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    approved(&store, "260101000000000000001", 1_000).await;
    approved(&store, "260101000000000000002", 1_000).await;

    let mut first = refund("r-1", "260101000000000000001", 300);
    first.refund_number = Some("RF-1".to_owned());
    let created = created_refund(&store, first).await;
    assert_eq!(created.state, RefundState::Processing);
    assert_eq!(created.updated_at_ms, created.created.created_at_ms);
    assert_eq!(store.refund("r-1").await.unwrap(), Some(created.clone()));

    // Same number, other id and amount: the first refund, and nothing new.
    let mut again = refund("r-2", "260101000000000000001", 999_999);
    again.refund_number = Some("RF-1".to_owned());
    assert_eq!(
        store.reserve_refund(again.clone()).await.unwrap(),
        RefundReservation::Replay(created.clone())
    );
    // Still a replay once settled.
    store
        .complete_refund(completion("r-1", RefundState::Succeeded))
        .await
        .unwrap();
    let RefundReservation::Replay(settled) = store.reserve_refund(again).await.unwrap() else {
        panic!("expected Replay");
    };
    assert_eq!(
        (settled.created.refund_id.as_str(), settled.state),
        ("r-1", RefundState::Succeeded)
    );

    // The number belongs to its payment; refunds without one never replay each other.
    let mut other_payment = refund("r-3", "260101000000000000002", 300);
    other_payment.refund_number = Some("RF-1".to_owned());
    created_refund(&store, other_payment).await;
    created_refund(&store, refund("r-4", "260101000000000000001", 100)).await;
    created_refund(&store, refund("r-5", "260101000000000000001", 100)).await;
    let listed: Vec<String> = store
        .refunds_of_payment("260101000000000000001")
        .await
        .unwrap()
        .into_iter()
        .map(|refund| refund.created.refund_id)
        .collect();
    assert_eq!(listed, ["r-1", "r-4", "r-5"]);

    // The same refund id twice is a caller's bug, not a replay.
    assert!(matches!(
        store
            .reserve_refund(refund("r-4", "260101000000000000001", 100))
            .await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_follow_the_payment_rules() {
    use PaymentState::{Declined, Pending, Processing};
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved(&store, id, 1_000).await;

    assert_eq!(
        refused(&store, refund("r-x", "260101000000000000999", 100)).await,
        RefundRefusal::PaymentNotFound
    );
    payment_in(
        &store,
        payment("260101000000000000002", "ORDER-P", 1_000),
        &[Processing, Pending],
    )
    .await;
    assert_eq!(
        refused(&store, refund("r-x", "260101000000000000002", 100)).await,
        RefundRefusal::NotRefundable { state: Pending }
    );
    payment_in(
        &store,
        payment("260101000000000000003", "ORDER-D", 1_000),
        &[Processing, Declined],
    )
    .await;
    assert_eq!(
        refused(&store, refund("r-x", "260101000000000000003", 100)).await,
        RefundRefusal::NotRefundable { state: Declined }
    );

    // A full refund must be of the whole amount.
    let mut wrong_amount = refund("r-x", id, 999);
    wrong_amount.full = true;
    assert_eq!(
        refused(&store, wrong_amount).await,
        RefundRefusal::FullAmountMismatch {
            refundable_minor: 1_000
        }
    );
    assert_eq!(
        refused(&store, refund("r-x", id, 1_001)).await,
        RefundRefusal::ExceedsRefundable {
            refundable_minor: 1_000
        }
    );

    created_refund(&store, refund("r-1", id, 400)).await;
    // ...and nothing refunded before, even if the amount is the whole payment's.
    let mut full_after_partial = refund("r-x", id, 1_000);
    full_after_partial.full = true;
    assert_eq!(
        refused(&store, full_after_partial).await,
        RefundRefusal::FullAmountMismatch {
            refundable_minor: 600
        }
    );
    assert_eq!(
        refused(&store, refund("r-x", id, 601)).await,
        RefundRefusal::ExceedsRefundable {
            refundable_minor: 600
        }
    );
    created_refund(&store, refund("r-2", id, 600)).await;
    assert_eq!(
        refused(&store, refund("r-x", id, 1)).await,
        RefundRefusal::ExceedsRefundable {
            refundable_minor: 0
        }
    );
    assert_eq!(store.refund("r-x").await.unwrap(), None);
    assert_eq!(count(&db_path(&dir), "SELECT COUNT(*) FROM refunds"), 2);

    // A full refund of a fresh payment.
    approved(&store, "260101000000000000004", 1_000).await;
    let mut full = refund("r-3", "260101000000000000004", 1_000);
    full.full = true;
    assert!(created_refund(&store, full).await.created.full);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refunds_never_exceed_the_payment() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    let id = "260101000000000000001";
    approved(&store, id, 1_000).await;

    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let store = Arc::clone(&store);
            let new = refund(&format!("r-{n:02}"), id, 100);
            tokio::spawn(async move { store.reserve_refund(new).await })
        })
        .collect();
    let (mut created, mut exceeded) = (0, 0);
    for task in tasks {
        let reservation = task.await.unwrap().unwrap();
        if matches!(reservation, RefundReservation::Created(_)) {
            created += 1;
        } else {
            let expected = RefundRefusal::ExceedsRefundable {
                refundable_minor: 0,
            };
            assert_eq!(reservation, RefundReservation::Refused(expected));
            exceeded += 1;
        }
    }
    assert_eq!((created, exceeded), (10, 10));
    let sum = count(&db_path(&dir), "SELECT SUM(amount_minor) FROM refunds");
    assert_eq!(sum, 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refund_releases_its_amount() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved(&store, id, 1_000).await;
    let mut full = refund("r-1", id, 1_000);
    full.full = true;
    created_refund(&store, full.clone()).await;
    full.refund_id = "r-2".to_owned();
    assert_eq!(
        refused(&store, full.clone()).await,
        RefundRefusal::FullAmountMismatch {
            refundable_minor: 0
        }
    );

    let mut failed = completion("r-1", RefundState::Failed);
    failed.decline_reason = Some(DeclineReason::Declined);
    store.complete_refund(failed).await.unwrap();
    let again = created_refund(&store, full).await;
    assert_eq!(again.created.refund_id, "r-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_a_refund_is_a_compare_and_set_with_its_notices() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved(&store, id, 1_000).await;
    created_refund(&store, refund("r-1", id, 300)).await;

    let mut succeeded = completion("r-1", RefundState::Succeeded);
    succeeded.acquirer_ref = Some("wx-refund-1".to_owned());
    let mut refund_notice = notice("n-r1", id, T0 + 20_000);
    refund_notice.refund_id = Some("r-1".to_owned());
    refund_notice.kind = "refund".to_owned();
    succeeded.notices = vec![refund_notice.clone()];
    let done = store.complete_refund(succeeded).await.unwrap();
    assert_eq!(done.state, RefundState::Succeeded);
    assert_eq!(done.acquirer_ref.as_deref(), Some("wx-refund-1"));
    assert_eq!(
        (done.updated_at_ms, done.decline_reason),
        (T0 + 20_000, None)
    );
    assert_eq!(store.refund("r-1").await.unwrap(), Some(done.clone()));
    let written = store.notice("n-r1").await.unwrap().unwrap();
    assert_eq!(written.created, refund_notice);

    // A second verdict (a retry, or recovery racing the live answer) changes nothing.
    let mut late = completion("r-1", RefundState::Failed);
    late.decline_reason = Some(DeclineReason::Declined);
    late.at_ms = T0 + 30_000;
    late.notices = vec![notice("n-r1-late", id, T0 + 30_000)];
    assert_eq!(store.complete_refund(late).await.unwrap(), done);
    assert_eq!(store.notice("n-r1-late").await.unwrap(), None);

    assert!(matches!(
        store
            .complete_refund(completion("r-9", RefundState::Succeeded))
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_refunds_are_processing_ones_oldest_first() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    approved(&store, id, 10_000).await;
    // Created newest first, so insertion order cannot pass for age order.
    for n in 0..5_i64 {
        let mut new = refund(&format!("r-{n}"), id, 100);
        new.created_at_ms = T0 + 10_000 - n * 1_000;
        created_refund(&store, new).await;
    }
    store
        .complete_refund(completion("r-1", RefundState::Succeeded))
        .await
        .unwrap();
    store
        .complete_refund(completion("r-3", RefundState::Failed))
        .await
        .unwrap();

    let open: Vec<String> = store
        .open_refunds(10)
        .await
        .unwrap()
        .into_iter()
        .map(|refund| refund.created.refund_id)
        .collect();
    assert_eq!(open, ["r-4", "r-2", "r-0"]);
    assert_eq!(store.open_refunds(2).await.unwrap().len(), 2);
    let of_payment: Vec<String> = store
        .refunds_of_payment(id)
        .await
        .unwrap()
        .into_iter()
        .map(|refund| refund.created.refund_id)
        .collect();
    assert_eq!(of_payment, ["r-4", "r-3", "r-2", "r-1", "r-0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_by_order_are_newest_first_and_of_one_terminal() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    for (n, created_at_ms) in [(1, T0), (2, T0 + 2_000), (3, T0 + 1_000), (4, T0 + 2_000)] {
        let mut new = payment(&format!("26010100000000000000{n}"), "ORDER-1", 1_000);
        new.created_at_ms = created_at_ms;
        store.reserve_payment(new, i64::MAX).await.unwrap();
    }
    let mut elsewhere = payment("260101000000000000005", "ORDER-1", 1_000);
    elsewhere.terminal = "15026002".to_owned();
    store.reserve_payment(elsewhere, 0).await.unwrap();
    store
        .reserve_payment(payment("260101000000000000006", "ORDER-2", 1_000), 0)
        .await
        .unwrap();

    let listed: Vec<String> = store
        .payments_by_order(ACCOUNT, TERMINAL, "ORDER-1")
        .await
        .unwrap()
        .iter()
        .map(|payment| payment.payment_id().to_owned())
        .collect();
    // Equal times: the later inserted first.
    assert_eq!(
        listed,
        [
            "260101000000000000004",
            "260101000000000000002",
            "260101000000000000003",
            "260101000000000000001"
        ]
    );
    let other = store
        .payments_by_order(ACCOUNT, "15026002", "ORDER-1")
        .await
        .unwrap();
    assert_eq!(other.len(), 1);
    assert!(store
        .payments_by_order("150261", TERMINAL, "ORDER-1")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_with_refunds_cannot_be_voided() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    let before = approved(&store, id, 1_000).await;
    created_refund(&store, refund("r-1", id, 100)).await;
    let events = count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events");

    let mut void = change(id, PaymentState::Approved, PaymentState::Voided);
    void.notices = vec![notice("n-void", id, T0 + 5_000)];
    assert!(matches!(
        store.apply_change(void.clone()).await,
        Err(StoreError::HasRefunds)
    ));
    assert_eq!(store.payment(id).await.unwrap(), Some(before.clone()));
    assert_eq!(store.notice("n-void").await.unwrap(), None);
    assert_eq!(
        count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events"),
        events
    );

    // Succeeded refunds block it too; once every refund failed, the void goes through.
    store
        .complete_refund(completion("r-1", RefundState::Succeeded))
        .await
        .unwrap();
    assert!(matches!(
        store.apply_change(void.clone()).await,
        Err(StoreError::HasRefunds)
    ));
    let other = "260101000000000000002";
    approved(&store, other, 1_000).await;
    created_refund(&store, refund("r-2", other, 100)).await;
    store
        .complete_refund(completion("r-2", RefundState::Failed))
        .await
        .unwrap();
    let mut void_other = change(other, PaymentState::Approved, PaymentState::Voided);
    void_other.notices = vec![notice("n-void-2", other, T0 + 5_000)];
    let voided = store.apply_change(void_other).await.unwrap();
    assert_eq!(voided.state, PaymentState::Voided);
    assert!(store.notice("n-void-2").await.unwrap().is_some());
    // A voided payment takes no refunds.
    assert_eq!(
        refused(&store, refund("r-3", other, 100)).await,
        RefundRefusal::NotRefundable {
            state: PaymentState::Voided
        }
    );

    // An unfinished payment voids without looking at refunds.
    let open = "260101000000000000003";
    payment_in(
        &store,
        payment(open, "ORDER-3", 1_000),
        &[PaymentState::Processing],
    )
    .await;
    let voided = store.apply_change(change(open, PaymentState::Processing, PaymentState::Voided));
    assert_eq!(voided.await.unwrap().state, PaymentState::Voided);
    let counts = store.count_by_state().await.unwrap();
    assert!(counts.contains(&("voided".to_owned(), 2)), "{counts:?}");
}

/// A database as a release with only the first migration left it: one approved payment, one
/// still processing, and their events.
fn database_at_version_1(path: &Path) {
    let connection = inspect(path);
    connection
        .execute_batch(include_str!("../migrations/0001_init.sql"))
        .unwrap();
    connection
        .execute_batch(
            "CREATE TABLE schema_migrations (
                 version       INTEGER NOT NULL PRIMARY KEY,
                 applied_at_ms INTEGER NOT NULL
             ) STRICT;
             INSERT INTO schema_migrations VALUES (1, 1780000000000);",
        )
        .unwrap();
    for (id, state) in [
        ("260101000000000000001", "approved"),
        ("260101000000000000002", "processing"),
    ] {
        connection
            .execute(
                "INSERT INTO payments VALUES (?1, '150260', '15026001', 'ORDER-1', 'wechatpay',
                 'customer_presented', 1000, 'CNY', '10.00', '', NULL, NULL, NULL, ?1,
                 'oceanpayment', 1780000000000, NULL, ?2, NULL, 'wx-1', NULL, 1780000001000, 1)",
                [id, state],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO payment_events (payment_id, at_ms, event, from_state, to_state)
                 VALUES (?1, 1780000000000, 'created', NULL, 'processing')",
                [id],
            )
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_is_migrated_with_its_data() {
    let dir = TempDir::new().unwrap();
    let path = db_path(&dir);
    database_at_version_1(&path);

    let store = open(&dir);
    let approved_id = "260101000000000000001";
    let kept = store.payment(approved_id).await.unwrap().unwrap();
    assert_eq!((kept.state, kept.version), (PaymentState::Approved, 1));
    assert_eq!(kept.acquirer_ref.as_deref(), Some("wx-1"));
    assert_eq!(store.open_payments(10).await.unwrap().len(), 1);
    // Same creation time: the later inserted comes first, as before the rebuild.
    let by_order = store
        .payments_by_order(ACCOUNT, TERMINAL, "ORDER-1")
        .await
        .unwrap();
    let listed: Vec<&str> = by_order.iter().map(PaymentRecord::payment_id).collect();
    assert_eq!(listed, ["260101000000000000002", approved_id]);

    let mut void = change(approved_id, PaymentState::Approved, PaymentState::Voided);
    void.notices = vec![notice("n-1", approved_id, T0)];
    assert_eq!(
        store.apply_change(void).await.unwrap().state,
        PaymentState::Voided
    );
    assert_eq!(
        store.notices_of_payment(approved_id).await.unwrap().len(),
        1
    );
    assert_eq!(store.connection_settings().await.unwrap().foreign_keys, 1);
    drop(store);

    assert_eq!(count(&path, "SELECT COUNT(*) FROM schema_migrations"), 6);
    assert_eq!(
        count(&path, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
        0
    );
    let connection = inspect(&path);
    let integrity: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    // The log keeps its order and new events carry on after the copied rows.
    let events: Vec<(i64, String)> = connection
        .prepare("SELECT event_id, to_state FROM payment_events ORDER BY event_id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [(1, "processing"), (2, "processing"), (3, "voided")];
    let expected: Vec<(i64, String)> = expected
        .iter()
        .map(|(id, state)| (*id, (*state).to_owned()))
        .collect();
    assert_eq!(events, expected);
    for index in [
        "payments_by_order",
        "payments_open",
        "payment_events_by_payment",
        "notices_due",
    ] {
        let sql =
            format!("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = '{index}'");
        assert_eq!(count(&path, &sql), 1, "{index}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_that_would_leave_broken_references_is_not_applied() {
    let dir = TempDir::new().unwrap();
    let path = db_path(&dir);
    database_at_version_1(&path);
    // An event of a payment that does not exist, as only a write with foreign keys off leaves.
    let connection = inspect(&path);
    connection
        .pragma_update(None, "foreign_keys", "OFF")
        .unwrap();
    connection
        .execute(
            "INSERT INTO payment_events (payment_id, at_ms, event, from_state, to_state)
             VALUES ('260101000000000000999', 1, 'created', NULL, 'processing')",
            [],
        )
        .unwrap();
    drop(connection);

    match SqliteStore::open(&path) {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("payment_events"), "{message}");
        }
        Ok(_) => panic!("opened a database with a broken reference"),
        Err(other) => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(
        count(&path, "SELECT MAX(version) FROM schema_migrations"),
        1
    );
    assert_eq!(
        count(
            &path,
            "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'notices'"
        ),
        0,
        "rolled back"
    );
}

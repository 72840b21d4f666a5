//! The `SQLite` store against real database files, one temporary directory per test.

// A test that cannot even set up should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tidegate_core::{DeclineReason, PaymentFlow, PaymentState};
use tidegate_store::sqlite::SqliteStore;
use tidegate_store::{
    NewPayment, NewTerminal, PaymentRecord, Reservation, StateChange, Store, StoreError,
};

const T0: i64 = 1_780_000_000_000;

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

fn payment(payment_id: &str, order_number: &str, fingerprint: &str) -> NewPayment {
    NewPayment {
        payment_id: payment_id.to_owned(),
        account: "150260".to_owned(),
        terminal: "15026001".to_owned(),
        order_number: order_number.to_owned(),
        method: "wechatpay".to_owned(),
        flow: PaymentFlow::CustomerPresented,
        amount_minor: 1230,
        currency: "CNY".to_owned(),
        amount_text: "12.30".to_owned(),
        order_notes: "table 7".to_owned(),
        notice_url: Some("https://shop.example/notice".to_owned()),
        payment_code: Some("134567890123456789".to_owned()),
        payer_masked: Some("134567******456789".to_owned()),
        fingerprint: fingerprint.to_owned(),
        dialect: "oceanpayment".to_owned(),
        created_at_ms: T0,
        expires_at_ms: Some(T0 + 120_000),
        dialect_data: r#"{"requestId":"R-1"}"#.to_owned(),
    }
}

fn change(payment_id: &str, expected: PaymentState, new_state: PaymentState) -> StateChange {
    StateChange {
        payment_id: payment_id.to_owned(),
        expected,
        new_state,
        event: "test_change".to_owned(),
        decline_reason: None,
        acquirer_ref: None,
        qr_payload: None,
        at_ms: T0 + 1_000,
        notices: Vec::new(),
    }
}

fn terminal(account: &str, terminal: &str, merchant_name: &str) -> NewTerminal {
    NewTerminal {
        account: account.to_owned(),
        terminal: terminal.to_owned(),
        merchant_name: merchant_name.to_owned(),
        secure_code_sealed: vec![1, 2, 3, 4],
        created_at_ms: T0,
    }
}

/// The reservation's outcome by name, with its payment.
fn outcome(reservation: Reservation) -> (&'static str, PaymentRecord) {
    match reservation {
        Reservation::Created(record) => ("created", record),
        Reservation::Replay(record) => ("replay", record),
        Reservation::Duplicate(record) => ("duplicate", record),
    }
}

async fn created(store: &SqliteStore, new: NewPayment) -> PaymentRecord {
    let (kind, record) = outcome(store.reserve_payment(new, 0).await.unwrap());
    assert_eq!(kind, "created", "{record:?}");
    record
}

async fn move_to(store: &SqliteStore, payment_id: &str, states: &[PaymentState]) {
    for pair in states.windows(2) {
        store
            .apply_change(change(payment_id, pair[0], pair[1]))
            .await
            .expect("apply change");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_creates_directories_and_file_and_migrates_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/deeper/tidegate.db");
    let store = SqliteStore::open(&path).unwrap();
    assert!(path.is_file());
    store.ping().await.unwrap();
    drop(store);

    let tables = [
        "merchants",
        "terminals",
        "payments",
        "payment_events",
        "refunds",
        "notices",
        "notice_attempts",
        "schema_migrations",
    ];
    for table in tables {
        let sql =
            format!("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '{table}'");
        assert_eq!(count(&path, &sql), 1, "{table}");
    }
    assert_eq!(count(&path, "SELECT COUNT(*) FROM schema_migrations"), 6);

    let store = SqliteStore::open(&path).unwrap();
    store.ping().await.unwrap();
    drop(store);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM schema_migrations"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_connection_is_wal_and_fsyncs_every_commit() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let settings = store.connection_settings().await.unwrap();
    assert_eq!(settings.journal_mode, "wal");
    assert_eq!(settings.synchronous, 2, "synchronous=FULL");
    assert_eq!(settings.foreign_keys, 1);
    assert_eq!(settings.busy_timeout_ms, 5000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_url_takes_sqlite_paths_and_refuses_the_rest() {
    let dir = TempDir::new().unwrap();
    let one = dir.path().join("one.db");
    let two = dir.path().join("two.db");
    SqliteStore::open_url(&format!("sqlite://{}", one.display()))
        .unwrap()
        .ping()
        .await
        .unwrap();
    SqliteStore::open_url(&format!("sqlite:{}", two.display()))
        .unwrap()
        .ping()
        .await
        .unwrap();
    assert!(one.is_file() && two.is_file());

    for url in [
        "postgres://tidegate:hunter2@db/tidegate",
        "sqlite::memory:",
        "sqlite:",
        "one.db",
    ] {
        match SqliteStore::open_url(url) {
            Err(StoreError::Unavailable(message)) => {
                assert!(!message.contains("hunter2"), "{message}");
            }
            Ok(_) => panic!("{url} was accepted"),
            Err(other) => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_replays_the_first_payment() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let first = created(&store, payment("260101000000000000001", "ORDER-1", "fp-a")).await;
    assert_eq!(first.state, PaymentState::Processing);
    assert_eq!(first.version, 0);
    assert_eq!(
        store.payment(first.payment_id()).await.unwrap(),
        Some(first.clone())
    );

    let retry = payment("260101000000000000002", "ORDER-1", "fp-a");
    let (kind, record) = outcome(store.reserve_payment(retry, 0).await.unwrap());
    assert_eq!((kind, record), ("replay", first));
    assert_eq!(store.payment("260101000000000000002").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_or_paid_order_refuses_a_different_request() {
    use PaymentState::{Approved, Pending, Processing};
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    for (index, path) in [
        vec![Processing],
        vec![Processing, Pending],
        vec![Processing, Approved],
    ]
    .into_iter()
    .enumerate()
    {
        let order = format!("ORDER-{index}");
        let first_id = format!("2601010000000000001{index}0");
        created(&store, payment(&first_id, &order, "fp-first")).await;
        move_to(&store, &first_id, &path).await;

        let other_id = format!("2601010000000000001{index}1");
        let retry = payment(&other_id, &order, "fp-other");
        let (kind, record) = outcome(store.reserve_payment(retry, T0 - 1).await.unwrap());
        assert_eq!(kind, "duplicate", "{path:?}");
        assert_eq!(record.payment_id(), first_id);
        assert_eq!(Some(&record.state), path.last());
        // Another method on the same order is a different payment.
        let mut alipay = payment(&format!("2601010000000000001{index}2"), &order, "fp-alipay");
        alipay.method = "alipay".to_owned();
        assert!(matches!(
            store.reserve_payment(alipay, T0 - 1).await.unwrap(),
            Reservation::Created(_)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_order_can_be_paid_again() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    created(&store, payment("260101000000000000001", "ORDER-1", "fp-a")).await;
    let mut decline = change(
        "260101000000000000001",
        PaymentState::Processing,
        PaymentState::Declined,
    );
    decline.decline_reason = Some(DeclineReason::InsufficientFunds);
    store.apply_change(decline).await.unwrap();

    let again = payment("260101000000000000002", "ORDER-1", "fp-b");
    assert!(matches!(
        store.reserve_payment(again, 0).await.unwrap(),
        Reservation::Created(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_older_than_the_window_is_no_duplicate() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    created(&store, payment("260101000000000000001", "ORDER-1", "fp-a")).await;
    move_to(
        &store,
        "260101000000000000001",
        &[PaymentState::Processing, PaymentState::Approved],
    )
    .await;

    let later = payment("260101000000000000002", "ORDER-1", "fp-b");
    let (kind, record) = outcome(store.reserve_payment(later.clone(), T0).await.unwrap());
    assert_eq!(
        (kind, record.payment_id()),
        ("duplicate", "260101000000000000001")
    );
    assert!(matches!(
        store.reserve_payment(later, T0 + 1).await.unwrap(),
        Reservation::Created(_)
    ));
}

/// Fifty tills send the same order at once; `fingerprint` names each request's fingerprint.
async fn reserve_concurrently(
    fingerprint: impl Fn(usize) -> String,
) -> (TempDir, Vec<Reservation>) {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    let tasks: Vec<_> = (0..50)
        .map(|index| {
            let store = Arc::clone(&store);
            let new = payment(
                &format!("2601010000000000{index:05}"),
                "ORDER-RACE",
                &fingerprint(index),
            );
            tokio::spawn(async move { store.reserve_payment(new, 0).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().unwrap());
    }
    let stats = store.write_stats();
    assert_eq!(stats.jobs, 50);
    assert!(
        stats.batches <= 50 && stats.largest_batch <= 50,
        "{stats:?}"
    );
    (dir, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_create_exactly_one_payment() {
    let (dir, results) = reserve_concurrently(|_| "fp-same".to_owned()).await;
    let created: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Reservation::Created(record) => Some(record.payment_id().to_owned()),
            Reservation::Replay(_) | Reservation::Duplicate(_) => None,
        })
        .collect();
    assert_eq!(created.len(), 1);
    let replays = results
        .iter()
        .filter(|r| matches!(r, Reservation::Replay(record) if record.payment_id() == created[0]))
        .count();
    assert_eq!(replays, 49);
    assert_eq!(count(&db_path(&dir), "SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(
        count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_conflicting_requests_create_exactly_one_payment() {
    let (dir, results) = reserve_concurrently(|index| format!("fp-{index}")).await;
    let created: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Reservation::Created(record) => Some(record.payment_id().to_owned()),
            Reservation::Replay(_) | Reservation::Duplicate(_) => None,
        })
        .collect();
    assert_eq!(created.len(), 1);
    let duplicates = results
        .iter()
        .filter(
            |r| matches!(r, Reservation::Duplicate(record) if record.payment_id() == created[0]),
        )
        .count();
    assert_eq!(duplicates, 49);
    assert_eq!(count(&db_path(&dir), "SELECT COUNT(*) FROM payments"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_change_bumps_the_version_and_logs_an_event() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    created(&store, payment(id, "ORDER-1", "fp-a")).await;

    let mut to_pending = change(id, PaymentState::Processing, PaymentState::Pending);
    to_pending.acquirer_ref = Some("wx-4200001".to_owned());
    to_pending.event = "acquirer_pending".to_owned();
    let pending = store.apply_change(to_pending).await.unwrap();
    assert_eq!(pending.state, PaymentState::Pending);
    assert_eq!(pending.version, 1);
    assert_eq!(pending.updated_at_ms, T0 + 1_000);
    assert_eq!(pending.acquirer_ref.as_deref(), Some("wx-4200001"));

    let mut to_approved = change(id, PaymentState::Pending, PaymentState::Approved);
    to_approved.at_ms = T0 + 2_000;
    let approved = store.apply_change(to_approved).await.unwrap();
    assert_eq!(approved.version, 2);
    assert_eq!(
        approved.acquirer_ref.as_deref(),
        Some("wx-4200001"),
        "kept when None"
    );
    assert_eq!(store.payment(id).await.unwrap(), Some(approved));

    let events: Vec<(String, Option<String>, String)> = inspect(&db_path(&dir))
        .prepare("SELECT event, from_state, to_state FROM payment_events ORDER BY event_id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        ("created", None, "processing"),
        ("acquirer_pending", Some("processing"), "pending"),
        ("test_change", Some("pending"), "approved"),
    ];
    let expected: Vec<(String, Option<String>, String)> = expected
        .iter()
        .map(|(event, from, to)| {
            (
                (*event).to_owned(),
                from.map(str::to_owned),
                (*to).to_owned(),
            )
        })
        .collect();
    assert_eq!(events, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_change_conflicts_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    created(&store, payment(id, "ORDER-1", "fp-a")).await;
    move_to(
        &store,
        id,
        &[PaymentState::Processing, PaymentState::Approved],
    )
    .await;

    let mut stale = change(id, PaymentState::Processing, PaymentState::Declined);
    stale.decline_reason = Some(DeclineReason::Declined);
    match store.apply_change(stale).await {
        Err(StoreError::Conflict { current }) => {
            assert_eq!(current.state, PaymentState::Approved);
            assert_eq!(current.version, 1);
            assert_eq!(current.decline_reason, None);
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(
        count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events"),
        2
    );

    let missing = change(
        "260101000000000000999",
        PaymentState::Processing,
        PaymentState::Approved,
    );
    assert!(matches!(
        store.apply_change(missing).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_payments_are_unfinished_and_oldest_first() {
    use PaymentState::{Approved, Cancelled, Declined, Expired, Pending, Processing};
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    // Created newest first, so insertion order cannot pass for age order.
    let paths = [
        vec![Processing],
        vec![Processing, Pending],
        vec![Processing, Approved],
        vec![Processing, Declined],
        vec![Processing, Pending],
        vec![Processing, Cancelled],
        vec![Processing, Pending, Expired],
        vec![Processing],
    ];
    for (index, path) in paths.iter().enumerate() {
        let id = format!("26010100000000000000{index}");
        let mut new = payment(&id, &format!("ORDER-{index}"), "fp");
        new.created_at_ms = T0 - i64::try_from(index).unwrap() * 1_000;
        created(&store, new).await;
        move_to(&store, &id, path).await;
    }

    let open: Vec<_> = store.open_payments(100).await.unwrap();
    let ids: Vec<&str> = open.iter().map(PaymentRecord::payment_id).collect();
    assert_eq!(
        ids,
        [
            "260101000000000000007",
            "260101000000000000004",
            "260101000000000000001",
            "260101000000000000000"
        ]
    );
    assert_eq!(store.open_payments(2).await.unwrap().len(), 2);

    let counts = store.count_by_state().await.unwrap();
    let expected = [
        ("processing", 2),
        ("pending", 2),
        ("approved", 1),
        ("declined", 1),
        ("cancelled", 1),
        ("expired", 1),
        ("voided", 0),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(state, n)| ((*state).to_owned(), *n))
        .collect();
    assert_eq!(counts, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_are_added_once_and_listed() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let added = store
        .add_terminal(terminal("150260", "15026001", "Harbour Noodles"))
        .await
        .unwrap();
    assert_eq!(added.merchant_name, "Harbour Noodles");
    assert!(added.active);
    assert_eq!(added.secure_code_sealed, vec![1, 2, 3, 4]);

    // A second terminal of the account keeps the account's name.
    let second = store
        .add_terminal(terminal("150260", "15026002", "Renamed"))
        .await
        .unwrap();
    assert_eq!(second.merchant_name, "Harbour Noodles");
    store
        .add_terminal(terminal("150001", "15000101", "Kiosk Co"))
        .await
        .unwrap();

    assert!(matches!(
        store
            .add_terminal(terminal("150260", "15026001", "Harbour Noodles"))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.terminal("150260", "15026001").await.unwrap(),
        Some(added)
    );
    assert_eq!(store.terminal("150260", "15026009").await.unwrap(), None);
    let keys: Vec<(String, String)> = store
        .terminals()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.account, t.terminal))
        .collect();
    let expected = [
        ("150001", "15000101"),
        ("150260", "15026001"),
        ("150260", "15026002"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, t)| ((*a).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(keys, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_restart() {
    let dir = TempDir::new().unwrap();
    let id = "260101000000000000001";
    let (approved, added) = {
        let store = open(&dir);
        let added = store
            .add_terminal(terminal("150260", "15026001", "Harbour Noodles"))
            .await
            .unwrap();
        created(&store, payment(id, "ORDER-1", "fp-a")).await;
        let mut approve = change(id, PaymentState::Processing, PaymentState::Approved);
        approve.acquirer_ref = Some("wx-1".to_owned());
        (store.apply_change(approve).await.unwrap(), added)
    };

    let store = open(&dir);
    assert_eq!(store.payment(id).await.unwrap(), Some(approved));
    assert_eq!(store.terminals().await.unwrap(), vec![added]);
    let retry = payment("260101000000000000002", "ORDER-1", "fp-a");
    let (kind, record) = outcome(store.reserve_payment(retry, 0).await.unwrap());
    assert_eq!((kind, record.payment_id()), ("replay", id));
}

// The scenario (a locked database, a batch of mixed jobs, each checked) reads best in one piece.
#[allow(clippy::too_many_lines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_job_leaves_the_rest_of_its_batch_alone() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    created(&store, payment("260101000000000000001", "ORDER-1", "fp-a")).await;
    move_to(
        &store,
        "260101000000000000001",
        &[PaymentState::Processing, PaymentState::Approved],
    )
    .await;
    store
        .add_terminal(terminal("150260", "15026001", "Harbour Noodles"))
        .await
        .unwrap();

    // Hold the write lock from outside so the writer stalls on its next BEGIN while the jobs
    // below pile up behind it; they then all land in one batch.
    let blocker = inspect(&db_path(&dir));
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let before = store.write_stats();
    let stalled = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.ping().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let conflicting = tokio::spawn({
        let store = Arc::clone(&store);
        let stale = change(
            "260101000000000000001",
            PaymentState::Processing,
            PaymentState::Declined,
        );
        async move { store.apply_change(stale).await }
    });
    let valid = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            store
                .reserve_payment(payment("260101000000000000002", "ORDER-2", "fp-b"), 0)
                .await
        }
    });
    let zero_amount = tokio::spawn({
        let store = Arc::clone(&store);
        let mut bad = payment("260101000000000000003", "ORDER-3", "fp-c");
        bad.amount_minor = 0;
        async move { store.reserve_payment(bad, 0).await }
    });
    let reused_id = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            store
                .reserve_payment(payment("260101000000000000001", "ORDER-4", "fp-d"), 0)
                .await
        }
    });
    let second_terminal = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            store
                .add_terminal(terminal("150260", "15026001", "Again"))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.execute_batch("ROLLBACK").unwrap();

    stalled.await.unwrap().unwrap();
    assert!(matches!(
        conflicting.await.unwrap(),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(valid.await.unwrap(), Ok(Reservation::Created(_))));
    assert!(matches!(
        zero_amount.await.unwrap(),
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        reused_id.await.unwrap(),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        second_terminal.await.unwrap(),
        Err(StoreError::AlreadyExists)
    ));

    let after = store.write_stats();
    assert_eq!(after.jobs - before.jobs, 6);
    assert_eq!(
        after.batches - before.batches,
        2,
        "the five jobs shared one transaction"
    );
    assert!(store
        .payment("260101000000000000002")
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.payment("260101000000000000003").await.unwrap(), None);
    let unchanged = store
        .payment("260101000000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unchanged.state, unchanged.version),
        (PaymentState::Approved, 1)
    );
    assert_eq!(
        count(&db_path(&dir), "SELECT COUNT(*) FROM payment_events"),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_name_in_the_database_is_reported_not_guessed() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    created(&store, payment(id, "ORDER-1", "fp-a")).await;
    inspect(&db_path(&dir))
        .execute(
            "UPDATE payments SET flow = 'teleport' WHERE payment_id = ?1",
            [id],
        )
        .unwrap();
    match store.payment(id).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("corrupt row"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_cannot_start_fails_whole_and_the_writer_carries_on() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    // Another process holding the write lock past the busy timeout (5 s).
    let blocker = inspect(&db_path(&dir));
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let id = "260101000000000000001";
    match store
        .reserve_payment(payment(id, "ORDER-1", "fp-a"), 0)
        .await
    {
        Err(StoreError::Unavailable(message)) => assert!(message.contains("locked"), "{message}"),
        Ok(reservation) => panic!("reserved while locked out: {reservation:?}"),
        Err(other) => panic!("expected Unavailable, got {other:?}"),
    }
    blocker.execute_batch("ROLLBACK").unwrap();

    assert_eq!(store.payment(id).await.unwrap(), None);
    created(&store, payment(id, "ORDER-1", "fp-a")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_reads_back_exactly_as_recorded() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("tidegate.db")).unwrap();
    let new = payment("261123000000000000077", "ORDER-77", "fp-77");
    created(&store, new.clone()).await;
    let stored = store
        .payment("261123000000000000077")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.created, new,
        "every recorded field, dialect data included"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_code_is_erased_once_the_payment_is_final() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("tidegate.db")).unwrap();
    let mut new = payment("261123000000000000078", "ORDER-78", "fp-78");
    new.payment_code = Some("134567890123450000".to_owned());
    created(&store, new).await;
    move_to(
        &store,
        "261123000000000000078",
        &[PaymentState::Processing, PaymentState::Pending],
    )
    .await;
    let pending = store
        .payment("261123000000000000078")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pending.created.payment_code.as_deref(),
        Some("134567890123450000"),
        "kept while open"
    );
    move_to(
        &store,
        "261123000000000000078",
        &[PaymentState::Pending, PaymentState::Approved],
    )
    .await;
    let approved = store
        .payment("261123000000000000078")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.created.payment_code, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_checks_refuse_names_outside_the_list() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let id = "260101000000000000001";
    created(&store, payment(id, "ORDER-1", "fp-a")).await;
    move_to(
        &store,
        id,
        &[PaymentState::Processing, PaymentState::Voided],
    )
    .await;
    let connection = inspect(&db_path(&dir));

    let refused = connection.execute(
        "UPDATE payments SET state = 'teleported' WHERE payment_id = ?1",
        [id],
    );
    assert!(
        refused.is_err_and(|error| error.to_string().contains("CHECK")),
        "an unknown payment state was stored"
    );
    for (from_state, to_state) in [("processing", "lost"), ("gone", "approved")] {
        let refused = connection.execute(
            "INSERT INTO payment_events (payment_id, at_ms, event, from_state, to_state)
             VALUES (?1, 1, 'test', ?2, ?3)",
            [id, from_state, to_state],
        );
        assert!(
            refused.is_err_and(|error| error.to_string().contains("CHECK")),
            "an event {from_state} -> {to_state} was stored"
        );
    }
    // Every state the store writes is still accepted, as the state change above shows.
    assert_eq!(
        store.payment(id).await.unwrap().unwrap().state,
        PaymentState::Voided
    );
}

/// Payments recorded under steady concurrent load make the WAL start over instead of growing
/// for as long as the load lasts (the background checkpoint alone never catches up with it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_under_steady_load() {
    const WRITERS: usize = 16;
    const MOST_PAYMENTS: usize = 60_000;
    // Twice the size at which a restart is asked for (8,192 frames of 4 KiB plus headers).
    const WAL_BOUND_BYTES: u64 = 2 * 8192 * (4096 + 24);

    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let store = Arc::clone(&store);
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                loop {
                    if store.write_stats().wal_restarts >= 2 {
                        return;
                    }
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if index >= MOST_PAYMENTS {
                        return;
                    }
                    let id = format!("26010100{index:013}");
                    created(&store, payment(&id, &format!("ORDER-{index}"), "fp")).await;
                    move_to(
                        &store,
                        &id,
                        &[PaymentState::Processing, PaymentState::Approved],
                    )
                    .await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }

    let stats = store.write_stats();
    let written = next.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        stats.wal_restarts >= 2,
        "the WAL never started over in {written} payments: {stats:?}"
    );
    let wal = std::fs::metadata(dir.path().join("tidegate.db-wal"))
        .unwrap()
        .len();
    assert!(wal <= WAL_BOUND_BYTES, "the WAL holds {wal} bytes");
    drop(store);
    // Everything written is in the database.
    let approved = count(
        &db_path(&dir),
        "SELECT COUNT(*) FROM payments WHERE state = 'approved'",
    );
    assert_eq!(
        usize::try_from(approved).unwrap(),
        written.min(MOST_PAYMENTS)
    );
}

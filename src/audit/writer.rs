//! The single writer of the audit log: a thread that owns the write connection, fed by a
//! channel. It commits waiting events together (group commit) and acknowledges each only once
//! it is durable, so the caller can rely on "recorded" meaning "on disk".

use std::{sync::mpsc, thread};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::store::{
    Db, Location, StoreError,
    sql::{Dialect, Param, Sql, SqlError, SqlExt as _},
};

use super::{
    chain::{self, GENESIS, Linked},
    checkpoint::{CheckpointConfig, Checkpointer},
    schema, session_index, stored,
};
use crate::ids::{CallId, SessionId};

/// The kinds of audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `awsgate serve` started (its policy version and identity mode).
    ServerStarted,
    /// A server session started.
    SessionStarted,
    /// A call was decided (and, if allowed, is about to reach AWS).
    CallDecided,
    /// An allowed call has its outcome.
    CallCompleted,
    /// A changed policy file was put in force.
    PolicyReloaded,
    /// A changed policy file was invalid; the previous policy stays in force.
    PolicyRejected,
    /// A caller's token was refused (the reason, never the token).
    AuthRefused,
    /// An administrator revoked a subject, token or client.
    RevocationAdded,
    /// An administrator lifted a revocation.
    RevocationUndone,
    /// A call asked for approval.
    ApprovalRequested,
    /// An approver approved (the quorum may need more).
    ApprovalVoted,
    /// The quorum approved.
    ApprovalGranted,
    /// An approver denied.
    ApprovalDenied,
    /// Nobody decided in time.
    ApprovalExpired,
    /// A call used a granted approval.
    ApprovalConsumed,
    /// Someone exported or replayed recorded calls (who, with which filters).
    AuditViewed,
    /// The writer's queue stayed full and events were refused (how many).
    AuditOverloaded,
    /// Someone signed in to the web console.
    ConsoleSignedIn,
    /// Someone signed out of the web console.
    ConsoleSignedOut,
}

impl EventKind {
    /// The name stored in the `kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::ServerStarted => "server.started",
            EventKind::SessionStarted => "session.started",
            EventKind::CallDecided => "call.decided",
            EventKind::CallCompleted => "call.completed",
            EventKind::PolicyReloaded => "policy.reloaded",
            EventKind::PolicyRejected => "policy.rejected",
            EventKind::AuthRefused => "auth.refused",
            EventKind::RevocationAdded => "revocation.added",
            EventKind::RevocationUndone => "revocation.undone",
            EventKind::ApprovalRequested => "approval.requested",
            EventKind::ApprovalVoted => "approval.voted",
            EventKind::ApprovalGranted => "approval.granted",
            EventKind::ApprovalDenied => "approval.denied",
            EventKind::ApprovalExpired => "approval.expired",
            EventKind::ApprovalConsumed => "approval.consumed",
            EventKind::AuditViewed => "audit.viewed",
            EventKind::AuditOverloaded => "audit.overloaded",
            EventKind::ConsoleSignedIn => "console.signed_in",
            EventKind::ConsoleSignedOut => "console.signed_out",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The MCP session, if any.
    pub session: Option<SessionId>,
    /// The call, if any.
    pub call_id: Option<CallId>,
    /// The event's data.
    pub data: Value,
}

struct Job {
    event: Prepared,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

/// An event made ready on the caller's thread before it joins the queue: its canonical JSON
/// and, when it is kept compressed, the compressed form. Only what depends on the events before
/// it (sequence number, time, hash) is left to the one writer thread.
struct Prepared {
    kind: EventKind,
    session: Option<SessionId>,
    call_id: Option<CallId>,
    data: String,
    compressed: Option<Vec<u8>>,
}

impl Prepared {
    fn new(event: Event, dialect: Dialect) -> Self {
        let data = chain::canonical_json(&event.data);
        let compressed = stored::compressed(event.kind.as_str(), &data, dialect);
        Self {
            kind: event.kind,
            session: event.session,
            call_id: event.call_id,
            data,
            compressed,
        }
    }

    /// The `data` column's value.
    fn stored(&self) -> Param<'_> {
        match &self.compressed {
            Some(blob) => Param::Blob(blob),
            None => Param::Text(&self.data),
        }
    }
}

enum Message {
    Append(Job),
    /// Commit what is queued, write a final checkpoint, stop.
    Shutdown(oneshot::Sender<()>),
}

/// Events waiting for the writer, at most: under a burst callers wait for room (then are
/// refused) instead of memory growing without bound.
pub const QUEUE_CAPACITY: usize = 4096;

/// How long a caller waits for room in a full queue before its event is refused.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the writer reports to `/metrics`.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Events sent and not yet taken by the writer.
    queued: std::sync::atomic::AtomicI64,
    /// How long each commit (one transaction of a batch) took.
    commits: std::sync::Mutex<crate::metrics::Histogram>,
}

impl WriterStats {
    /// Events waiting for the writer now.
    pub fn queued(&self) -> i64 {
        self.queued
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0)
    }

    /// The commit latencies so far.
    pub fn commits(&self) -> crate::metrics::Histogram {
        self.commits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn queue(&self, n: i64) {
        self.queued
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Handle to the audit log writer. Cheap to clone; the writer thread stops when the last
/// handle is dropped, after committing everything already sent.
#[derive(Debug, Clone)]
pub struct AuditLog {
    sender: mpsc::SyncSender<Message>,
    /// How the database keeps event data (large answers compressed on SQLite, text on
    /// Postgres).
    dialect: Dialect,
    capacity: usize,
    stats: std::sync::Arc<WriterStats>,
    /// Events refused because the queue stayed full, not yet recorded as `audit.overloaded`.
    overflowed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The newest event's position and hash (the genesis before the first event).
pub(crate) fn head(sql: &mut dyn Sql) -> Result<(i64, String), SqlError> {
    match sql.query_opt(schema::HEAD, &[])? {
        Some(row) => Ok((row.int(0)?, row.text(1)?)),
        None => Ok((0, GENESIS.to_owned())),
    }
}

impl AuditLog {
    /// Opens the log at `db` and starts its writer thread.
    pub fn open(db: impl Into<Location>) -> Result<Self, StoreError> {
        Self::open_with(db, None)
    }

    /// Opens the log with a queue of `capacity` events (tests use a small one).
    pub fn open_with_capacity(
        db: impl Into<Location>,
        capacity: usize,
    ) -> Result<Self, StoreError> {
        Self::start(&db.into(), None, capacity)
    }

    /// Opens the log and, with `checkpoints`, writes signed checkpoints as configured.
    pub fn open_with(
        db: impl Into<Location>,
        checkpoints: Option<CheckpointConfig>,
    ) -> Result<Self, StoreError> {
        Self::start(&db.into(), checkpoints, QUEUE_CAPACITY)
    }

    fn start(
        location: &Location,
        checkpoints: Option<CheckpointConfig>,
        capacity: usize,
    ) -> Result<Self, StoreError> {
        let open_error = |detail: String| StoreError::Open {
            path: location.to_string(),
            detail,
        };
        let conn = Db::open(location)?;
        let dialect = conn.dialect();
        let start = conn.read(head).map_err(|e| open_error(e.0))?;
        let (sender, receiver) = mpsc::sync_channel(capacity.max(1));
        let checkpointer = checkpoints.map(Checkpointer::new);
        let stats = std::sync::Arc::new(WriterStats::default());
        let writer_stats = stats.clone();
        thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(&conn, receiver, start, checkpointer, &writer_stats))
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Self {
            sender,
            dialect,
            capacity: capacity.max(1),
            stats,
            overflowed: std::sync::Arc::default(),
        })
    }

    /// The writer's queue depth and commit latencies, for `/metrics`.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Appends an event and waits until it is committed; returns its sequence number.
    pub async fn append(&self, event: Event) -> Result<i64, StoreError> {
        let (reply, done) = oneshot::channel();
        let event = Prepared::new(event, self.dialect);
        self.enqueue(Message::Append(Job { event, reply })).await?;
        self.report_overflow();
        done.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Puts `message` in the queue, waiting up to [`QUEUE_WAIT`] for room.
    async fn enqueue(&self, mut message: Message) -> Result<(), StoreError> {
        let deadline = std::time::Instant::now() + QUEUE_WAIT;
        let appends = i64::from(matches!(message, Message::Append(_)));
        loop {
            match self.sender.try_send(message) {
                Ok(()) => {
                    self.stats.queue(appends);
                    return Ok(());
                }
                Err(mpsc::TrySendError::Disconnected(_)) => return Err(StoreError::WriterGone),
                Err(mpsc::TrySendError::Full(back)) => {
                    if std::time::Instant::now() >= deadline {
                        self.overflowed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(
                            capacity = self.capacity,
                            "the audit queue stayed full: an event was refused"
                        );
                        return Err(StoreError::Overloaded(self.capacity));
                    }
                    message = back;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }
        }
    }

    /// Once there is room again, records how many events the full queue refused.
    fn report_overflow(&self) {
        let refused = self
            .overflowed
            .swap(0, std::sync::atomic::Ordering::Relaxed);
        if refused == 0 {
            return;
        }
        let (reply, _ignored) = oneshot::channel();
        let event = Event {
            kind: EventKind::AuditOverloaded,
            session: None,
            call_id: None,
            data: serde_json::json!({"refused": refused, "capacity": self.capacity}),
        };
        let event = Prepared::new(event, self.dialect);
        let sent = self.sender.try_send(Message::Append(Job { event, reply }));
        if sent.is_ok() {
            self.stats.queue(1);
        } else {
            self.overflowed
                .fetch_add(refused, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Commits everything queued, writes a final checkpoint (when configured) and stops the
    /// writer; later appends fail (and their calls are refused).
    pub async fn shutdown(&self) {
        let (reply, done) = oneshot::channel();
        if self.enqueue(Message::Shutdown(reply)).await.is_ok() {
            let _ = done.await;
        }
    }
}

/// Most events committed in one transaction.
const MAX_BATCH: usize = 512;

fn run(
    conn: &Db,
    messages: mpsc::Receiver<Message>,
    mut head_now: (i64, String),
    mut checkpoints: Option<Checkpointer>,
    stats: &WriterStats,
) {
    // Opening the database brought the session index up to date.
    let mut indexed = std::time::Instant::now();
    loop {
        let first = match &checkpoints {
            Some(cp) => match messages.recv_timeout(cp.interval()) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(cp) = checkpoints.as_mut() {
                        cp.maybe(head_now.0, &head_now.1, false);
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match messages.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        let mut batch = Vec::new();
        let mut shutdown = None;
        match first {
            Message::Append(job) => batch.push(job),
            Message::Shutdown(reply) => shutdown = Some(reply),
        }
        while shutdown.is_none() && batch.len() < MAX_BATCH {
            match messages.try_recv() {
                Ok(Message::Append(job)) => batch.push(job),
                Ok(Message::Shutdown(reply)) => shutdown = Some(reply),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            stats.queue(-i64::try_from(batch.len()).unwrap_or(0));
            let started = std::time::Instant::now();
            let index = session_index::due(conn.dialect(), indexed, started);
            let committed = conn.write(|sql| commit(sql, &batch, index));
            stats
                .commits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .observe(started.elapsed().as_secs_f64());
            match committed {
                Ok((seqs, new_head)) => {
                    head_now = new_head;
                    if index {
                        indexed = started;
                    }
                    for (job, seq) in batch.into_iter().zip(seqs) {
                        let _ = job.reply.send(Ok(seq));
                    }
                    if let Some(cp) = checkpoints.as_mut() {
                        cp.maybe(head_now.0, &head_now.1, false);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit log write failed; the calls waiting on it are refused");
                    for job in batch {
                        let _ = job.reply.send(Err(crate::store::write_error(&e)));
                    }
                }
            }
        }
        if let Some(reply) = shutdown {
            if let Some(cp) = checkpoints.as_mut() {
                cp.maybe(head_now.0, &head_now.1, true);
            }
            let _ = reply.send(());
            return;
        }
    }
    if let Some(cp) = checkpoints.as_mut() {
        cp.maybe(head_now.0, &head_now.1, true);
    }
}

/// Appends the batch inside the database's write lock. The head is read inside the
/// transaction rather than trusted from memory: another process — `awsgate revoke`, an
/// approver's CLI, another replica on the same Postgres — may have appended since, and the
/// chain must run through its events too. With `index`, the session index is brought up to
/// date in the same transaction.
fn commit(
    sql: &mut dyn Sql,
    batch: &[Job],
    index: bool,
) -> Result<(Vec<i64>, (i64, String)), SqlError> {
    let (mut seq, mut prev) = head(sql)?;
    let mut seqs = Vec::with_capacity(batch.len());
    for job in batch {
        seq += 1;
        let ts = crate::clock::now_rfc3339();
        let e = &job.event;
        let session = e.session.as_ref().map(SessionId::as_str);
        let call_id = e.call_id.as_ref().map(CallId::as_str);
        let hash = chain::link(
            &prev,
            Linked {
                seq,
                ts: &ts,
                kind: e.kind.as_str(),
                session,
                call_id,
                data: &e.data,
            },
        );
        sql.execute(
            schema::INSERT,
            &[
                seq.into(),
                ts.as_str().into(),
                e.kind.as_str().into(),
                session.into(),
                call_id.into(),
                e.stored(),
                prev.as_str().into(),
                hash.as_str().into(),
            ],
        )?;
        prev = hash;
        seqs.push(seq);
    }
    if index {
        sql.batch(session_index::FILL)?;
    }
    Ok((seqs, (seq, prev)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Event {
        Event {
            kind: EventKind::AuditViewed,
            session: None,
            call_id: None,
            data: serde_json::json!({"n": n}),
        }
    }

    /// A commit that brings the session index up to date covers its own call decisions too;
    /// one that does not leaves them after the watermark, where readers look by kind.
    #[test]
    fn a_commit_may_index_the_sessions_calls_it_appends() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path().join("audit.db")).unwrap();
        let job = |kind, session: &str, call: &str| Job {
            event: Prepared::new(
                Event {
                    kind,
                    session: Some(SessionId::new(session.to_owned())),
                    call_id: Some(CallId::new(call.to_owned())),
                    data: serde_json::json!({}),
                },
                Dialect::Sqlite,
            ),
            reply: oneshot::channel().0,
        };
        let indexed = |db: &Db| {
            db.read(|c| {
                let rows = c.query(
                    "SELECT session, s.seq, t.seq FROM session_calls s, session_calls_through t ORDER BY s.seq",
                    &[],
                )?;
                rows.iter()
                    .map(|r| Ok((r.text(0)?, r.int(1)?, r.int(2)?)))
                    .collect::<Result<Vec<_>, SqlError>>()
            })
            .unwrap()
        };
        let first = [
            job(EventKind::CallDecided, "ses_a", "c1"),
            job(EventKind::CallCompleted, "ses_a", "c1"),
        ];
        db.write(|sql| commit(sql, &first, false)).unwrap();
        assert!(indexed(&db).is_empty());
        let second = [job(EventKind::CallDecided, "ses_b", "c2")];
        db.write(|sql| commit(sql, &second, true)).unwrap();
        assert_eq!(
            indexed(&db),
            [("ses_a".to_owned(), 1, 3), ("ses_b".to_owned(), 3, 3)]
        );
    }

    /// Regression (review finding): the writer's channel was unbounded, so a burst grew memory
    /// without limit. A full queue makes callers wait, then refuses them, and says so.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_full_queue_makes_callers_wait_then_refuses_and_records_how_many() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let log = AuditLog::open_with_capacity(&path, 2).unwrap();
        log.append(event(0)).await.unwrap();
        // Another process holds the write lock: the writer stalls on its next commit.
        let blocker = rusqlite::Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        // One event first, so the writer is already stalled on its commit when the burst
        // comes (otherwise, on a loaded machine, it may take part of the burst into that
        // batch, and fewer are left to be refused).
        let stalled = {
            let log = log.clone();
            tokio::spawn(async move { log.append(event(1)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let burst: Vec<_> = (2..=9)
            .map(|n| {
                let log = log.clone();
                tokio::spawn(async move { log.append(event(n)).await })
            })
            .collect();
        tokio::time::sleep(QUEUE_WAIT + std::time::Duration::from_millis(500)).await;
        blocker.execute_batch("COMMIT").unwrap();
        stalled.await.unwrap().unwrap();
        let mut refused = 0;
        for task in burst {
            match task.await.unwrap() {
                Ok(_) => {}
                Err(StoreError::Overloaded(2)) => refused += 1,
                Err(e) => panic!("unexpected: {e}"),
            }
        }
        assert!(
            refused >= 4,
            "most of the burst waited, then was refused: {refused}"
        );
        log.append(event(99)).await.unwrap();
        log.shutdown().await;
        let conn = rusqlite::Connection::open(&path).unwrap();
        let recorded: String = conn
            .query_row(
                "SELECT data FROM events WHERE kind = 'audit.overloaded'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            recorded.contains(&format!("\"refused\":{refused}")),
            "{recorded}"
        );
    }
}

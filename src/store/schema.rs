//! The database's schema, in one place: every table (events, approvals, revocations, budgets)
//! for SQLite (pragmas, `user_version`) and for Postgres (versioned migrations, see
//! [`super::postgres`]). The statements each part runs live beside that part (`audit/schema.rs`,
//! `approvals/sql.rs`, `identity/revocation.rs`, `limits/budget.rs`).

/// Connection settings: WAL so readers never block the writer; `synchronous = FULL` so a
/// committed event survives a crash or power loss (the write-ahead guarantee depends on it);
/// a page cache of 512 KiB per connection instead of SQLite's 2 MiB: appends touch only the
/// right edge of each table and the operating system caches the file anyway, while a stdio
/// server's resident memory grew by 2.7 MiB over its first 1,000 calls (0.9 MiB with this).
pub const PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 5000;
PRAGMA cache_size = -512;
";

/// Schema version stored in `PRAGMA user_version`. 2: a large `call.completed` event's
/// `data` may be a deflated blob (see `audit::stored`), which awsgate before 2 cannot read;
/// a version 1 database is read as it is and marked 2 when this awsgate opens it to write.
/// 3: the session index held call decisions only (schemas 1 and 2 indexed every event by
/// `(session, kind, seq)`). 4: the session index is a table of its own, `session_calls`,
/// which the audit writer fills in bulk about once a second (see `audit::session_index`)
/// instead of an index of `events` that every commit updated: each live session's entries sat
/// on a leaf page of their own, so a commit of events from many sessions rewrote one index
/// page per session besides the table's (a model of the writer, 64 sessions, commits of 33
/// events: 38 pages written per commit with the index, 17 with the table filled every 330
/// commits). An older database gets the table, filled, and loses the index when this awsgate
/// opens it to write; a reader of an older database uses its index.
pub const SCHEMA_VERSION: i64 = 4;

/// The event table: append-only (triggers refuse UPDATE and DELETE), hash-chained; the
/// session index (`session_calls`: the call decisions up to `session_calls_through.seq`, by
/// session; `audit verify` checks it against the events); and the revocation list (its
/// changes are also events).
pub const CREATE: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq       INTEGER PRIMARY KEY,
    ts        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    session   TEXT,
    call_id   TEXT,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_call ON events (call_id, kind);
DROP INDEX IF EXISTS events_of_session;
DROP INDEX IF EXISTS events_by_session_kind;
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, seq);
CREATE TABLE IF NOT EXISTS session_calls (
    session TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_calls_through (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO session_calls_through (one, seq) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS events_are_not_updated BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_are_not_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TABLE IF NOT EXISTS revocations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('subject', 'token_id', 'client')),
    value      TEXT NOT NULL,
    reason     TEXT,
    revoked_by TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    undone_by  TEXT,
    undone_at  TEXT
);
CREATE INDEX IF NOT EXISTS revocations_in_force ON revocations (kind, value) WHERE undone_at IS NULL;
CREATE TABLE IF NOT EXISTS approvals (
    id             TEXT PRIMARY KEY,
    call_id        TEXT NOT NULL,
    requester_user TEXT NOT NULL,
    requester      TEXT NOT NULL,
    tool           TEXT NOT NULL,
    args           TEXT NOT NULL,
    args_digest    TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    requirements   TEXT NOT NULL,
    reason         TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
    decided_at     INTEGER,
    usable_until   INTEGER,
    consumed_by    TEXT,
    consumed_at    INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_by_call ON approvals (requester_user, args_digest, policy_version, state);
CREATE TABLE IF NOT EXISTS limit_budgets (
    limit_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    PRIMARY KEY (limit_id, key, window_start)
);
CREATE TABLE IF NOT EXISTS confirmations (
    handle   TEXT PRIMARY KEY,
    binding  TEXT NOT NULL,
    asked_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS console_sessions (
    id_digest  TEXT PRIMARY KEY,
    principal  TEXT NOT NULL,
    token_id   TEXT,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS console_flows (
    state_digest TEXT PRIMARY KEY,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    started_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS approval_votes (
    approval_id TEXT NOT NULL REFERENCES approvals (id),
    approver    TEXT NOT NULL,
    groups      TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
    reason      TEXT,
    at          INTEGER NOT NULL,
    PRIMARY KEY (approval_id, approver)
);
";

/// Version 4 of the Postgres schema: the session index holds call decisions only (why: see
/// [`SCHEMA_VERSION`]). Built inside the migration's transaction, which holds off appends
/// while it runs.
pub const POSTGRES_V4: &str = "
CREATE INDEX events_of_session ON events (session, seq) WHERE kind = 'call.decided';
DROP INDEX events_by_session_kind;
";

/// Version 3 of the Postgres schema: console sign-ins and OpenID Connect sign-ins in progress
/// move from one server's memory to the database (digests of the session ids and `state`s), so
/// any replica serves a signed-in person and takes the identity provider's redirect.
pub const POSTGRES_V3: &str = "
CREATE TABLE console_flows (
    state_digest TEXT PRIMARY KEY,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    started_at   BIGINT NOT NULL
);
CREATE TABLE console_sessions (
    id_digest  TEXT PRIMARY KEY,
    principal  TEXT NOT NULL,
    token_id   TEXT,
    csrf       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
";

/// Version 2 of the Postgres schema: confirmation handles (protocol 2026-07-28) move from
/// one server's memory to the database, so a client may answer through another replica.
pub const POSTGRES_V2: &str = "
CREATE TABLE confirmations (
    handle   TEXT PRIMARY KEY,
    binding  TEXT NOT NULL,
    asked_at BIGINT NOT NULL
);
";

/// Version 1 of the Postgres schema: the same tables (integers as `BIGINT`; event data is
/// always text, which Postgres compresses itself when large), append-only events through a
/// trigger that only `audit prune` lifts, for its own transaction (`SET LOCAL
/// awsgate.pruning = 'on'`).
pub const POSTGRES_V1: &str = "
CREATE TABLE events (
    seq       BIGINT PRIMARY KEY,
    ts        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    session   TEXT,
    call_id   TEXT,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX events_by_call ON events (call_id, kind);
CREATE INDEX events_by_session_kind ON events (session, kind, seq);
CREATE INDEX events_by_kind ON events (kind, seq);
CREATE FUNCTION awsgate_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('awsgate.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END $$;
CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION awsgate_events_append_only();
CREATE TABLE revocations (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('subject', 'token_id', 'client')),
    value      TEXT NOT NULL,
    reason     TEXT,
    revoked_by TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    undone_by  TEXT,
    undone_at  TEXT
);
CREATE INDEX revocations_in_force ON revocations (kind, value) WHERE undone_at IS NULL;
CREATE TABLE approvals (
    id             TEXT PRIMARY KEY,
    call_id        TEXT NOT NULL,
    requester_user TEXT NOT NULL,
    requester      TEXT NOT NULL,
    tool           TEXT NOT NULL,
    args           TEXT NOT NULL,
    args_digest    TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    requirements   TEXT NOT NULL,
    reason         TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
    decided_at     BIGINT,
    usable_until   BIGINT,
    consumed_by    TEXT,
    consumed_at    BIGINT
);
CREATE INDEX approvals_by_call ON approvals (requester_user, args_digest, policy_version, state);
CREATE TABLE limit_budgets (
    limit_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    PRIMARY KEY (limit_id, key, window_start)
);
CREATE TABLE approval_votes (
    approval_id TEXT NOT NULL REFERENCES approvals (id),
    approver    TEXT NOT NULL,
    groups      TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
    reason      TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (approval_id, approver)
);
";

//! `tools/bench load`: awsgate under load over real HTTP. The real binary (built with the
//! `bench-backend` feature) serves MCP; this load generator keeps N MCP sessions, each on its
//! own keep-alive connection, with tokens of 8 principals, and calls `s3_list_objects` as fast
//! as the answers come. Against (a) the in-process stand-in for AWS, which measures awsgate
//! itself, and (b) moto, with the durable audit log on. Then: keep-alive vs fresh connections,
//! memory per idle session, memory over a long soak, and peak memory of a stdio session.
//!
//! Arguments after `--`: `--backend instant|moto|both`, `--sessions 1,16,64,256`,
//! `--seconds 5` (or `--calls N` per session), `--repeat 1` (runs of each throughput level,
//! summarised when more than one), `--soak 100000`,
//! `--only throughput|keepalive|memory|replicas`, `--protocol 2025-11-25|2026-07-28` (the
//! throughput table's: sessions opened with `initialize`, or stateless requests that carry
//! their protocol version and capabilities in `_meta`). `replicas` (run when `AWSGATE_BENCH_POSTGRES`
//! names a Postgres server, as `tools/bench load` sets it) compares one server on SQLite with
//! one and two replicas on one Postgres, sessions split across the replicas.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs
)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::Full;
use serde_json::{Value, json};

#[path = "load/wire.rs"]
mod wire;
use wire::{Endpoint, Wire};

/// The generator shares the server's two cores: mimalloc (the server's allocator too) keeps its
/// own cost per call down — glibc's `malloc` was about a sixth of its CPU — so that more of the
/// machine measures awsgate. Both builds of a before/after run meet the same generator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PRINCIPALS: usize = 8;
const BUCKET: &str = "logs";

#[derive(Debug, Clone)]
struct Options {
    backends: Vec<Backend>,
    sessions: Vec<usize>,
    seconds: u64,
    /// A fixed number of calls per session instead of `seconds` (the stress run's 64 × 1,000).
    calls: Option<usize>,
    soak: usize,
    only: Option<String>,
    /// Another awsgate binary (built with `bench-backend`) measured beside this build at each
    /// level of the throughput table: a before/after in one run.
    baseline: Option<PathBuf>,
    /// The protocol the throughput table's clients speak.
    protocol: Protocol,
    /// How many times the throughput table runs each level (each build, in turn): the
    /// machine's speed varies from minute to minute, so one run says little about "reliably".
    repeat: usize,
}

/// How a load-generating client speaks MCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// 2025-11-25: `initialize`, then every request on its `Mcp-Session-Id`.
    Sessions,
    /// 2026-07-28: no session; each request names its version and capabilities in `_meta`.
    Stateless,
}

impl Protocol {
    fn version(self) -> &'static str {
        match self {
            Protocol::Sessions => "2025-11-25",
            Protocol::Stateless => "2026-07-28",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Instant,
    Moto,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Instant => "in-process stand-in",
            Backend::Moto => "moto",
        }
    }
}

fn options() -> Options {
    let mut o = Options {
        backends: vec![Backend::Instant, Backend::Moto],
        sessions: vec![1, 16, 64, 256],
        seconds: 5,
        calls: None,
        soak: 100_000,
        only: None,
        baseline: None,
        protocol: Protocol::Sessions,
        repeat: 1,
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().map(String::as_str).unwrap_or_default();
        match flag.as_str() {
            "--backend" => {
                o.backends = match value {
                    "instant" => vec![Backend::Instant],
                    "moto" => vec![Backend::Moto],
                    _ => vec![Backend::Instant, Backend::Moto],
                }
            }
            "--sessions" => o.sessions = value.split(',').filter_map(|n| n.parse().ok()).collect(),
            "--seconds" => o.seconds = value.parse().unwrap_or(5),
            "--calls" => o.calls = value.parse().ok(),
            "--soak" => o.soak = value.parse().unwrap_or(100_000),
            "--only" => o.only = Some(value.to_owned()),
            "--baseline" => o.baseline = Some(PathBuf::from(value)),
            "--repeat" => o.repeat = value.parse().unwrap_or(1).max(1),
            "--protocol" => {
                o.protocol = match value {
                    "2026-07-28" => Protocol::Stateless,
                    _ => Protocol::Sessions,
                }
            }
            // A criterion-style filter (`tools/bench load`) names the whole benchmark.
            _ => {}
        }
    }
    o
}

/// Keys, tokens and a policy that allows the benchmark's tools to everyone.
struct Setup {
    dir: tempfile::TempDir,
    tokens: Vec<String>,
}

impl Setup {
    fn new() -> Self {
        use awsgate::identity::devtoken::{self, KeyKind};
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = devtoken::keygen(KeyKind::Ed25519).unwrap();
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&jwks, serde_json::to_string(&key.jwks()).unwrap()).unwrap();
        let now = devtoken::now();
        let tokens = (0..PRINCIPALS)
            .map(|i| {
                key.sign(&json!({"iss": "https://idp.bench", "aud": "awsgate",
                    "sub": format!("agent-{i}"), "groups": ["agents"], "azp": "load",
                    "iat": now, "exp": now + 7200}))
                    .unwrap()
            })
            .collect();
        let policy = format!(
            "[identity]\nmode = \"jwt\"\nissuer = \"https://idp.bench\"\naudience = \"awsgate\"\n\
             jwks = \"{}\"\n\n[[rule]]\nid = \"agents-read\"\nprincipals = [\"group:agents\"]\n\
             tools = [\"s3_list_objects\", \"sts_get_caller_identity\"]\neffect = \"allow\"\n",
            jwks.display()
        );
        std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
        Self { dir, tokens }
    }

    fn policy(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }
}

/// `awsgate serve` as a child process.
struct Server {
    child: Child,
    url: String,
    db: PathBuf,
}

impl Server {
    fn http(setup: &Setup, backend: Backend, name: &str) -> Self {
        let db = setup.dir.path().join(format!("{name}.db"));
        Self::http_on(setup, backend, db)
    }

    /// A server on the database `db` (a file, or a `postgres://` URL as a path).
    fn http_on(setup: &Setup, backend: Backend, db: PathBuf) -> Self {
        Self::http_with(Path::new(env!("CARGO_BIN_EXE_awsgate")), setup, backend, db)
    }

    /// [`Server::http_on`] with another awsgate binary.
    fn http_with(bin: &Path, setup: &Setup, backend: Backend, db: PathBuf) -> Self {
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--transport", "http", "--listen", "127.0.0.1:0"])
            .args([
                "--max-connections",
                "4096",
                "--max-connections-per-client",
                "4096",
            ])
            .arg("--policy")
            .arg(setup.policy())
            .arg("--db")
            .arg(&db)
            .env("RUST_LOG", "warn")
            .env("AWSGATE_STATE_DIR", setup.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if backend == Backend::Instant {
            cmd.arg("--bench-instant-aws");
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("awsgate exited before listening")
                .unwrap();
            if let Some(rest) = line.strip_prefix("awsgate: listening on ") {
                break rest.trim().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Self { child, url, db }
    }

    fn rss_kib(&self) -> (u64, u64) {
        rss_of(self.child.id())
    }

    fn stop(mut self) -> PathBuf {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.db.clone()
    }
}

/// CPU time a process has used so far (user + system), from `/proc/PID/stat`.
fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks of 1/100 s on Linux.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The machine's CPU time so far, in clock ticks over all cores: (all of it, stolen by the
/// host), from the `cpu` line of `/proc/stat`.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|t| t.parse().ok())
        .collect();
    (ticks.iter().sum(), ticks.get(7).copied().unwrap_or(0))
}

/// (current, peak) resident memory of a process, in KiB.
fn rss_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One MCP session over HTTP (for 2026-07-28, one client's stream of stateless requests).
struct Session {
    wire: Arc<Wire>,
    endpoint: Endpoint,
    /// `Bearer <token>`, formatted once.
    authorization: HeaderValue,
    id: Option<HeaderValue>,
    protocol: Protocol,
}

impl Session {
    /// `initialize` and `notifications/initialized` on a connection of its own (kept alive)
    /// or on a shared one.
    async fn open(url: &str, token: &str, wire: Option<Arc<Wire>>) -> Self {
        Self::open_as(Protocol::Sessions, url, token, wire).await
    }

    /// [`Session::open`] speaking `protocol`; a stateless client has nothing to open.
    async fn open_as(protocol: Protocol, url: &str, token: &str, wire: Option<Arc<Wire>>) -> Self {
        let endpoint = Endpoint::parse(url);
        let wire = match wire {
            Some(wire) => wire,
            None => Arc::new(Wire::kept(&endpoint).await),
        };
        let mut s = Self {
            wire,
            endpoint,
            authorization: HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
            id: None,
            protocol,
        };
        if protocol == Protocol::Stateless {
            return s;
        }
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "load", "version": "1"}}});
        let answer = s.wire.send(s.request(&init)).await;
        let id = answer.session_id.expect("initialize opens a session");
        s.id = Some(HeaderValue::from_str(&id).unwrap());
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        s.wire.send(s.request(&initialized)).await;
        s
    }

    /// A JSON-RPC message as this session's POST.
    fn request(&self, body: &Value) -> http::Request<Full<Bytes>> {
        let mut request = self
            .endpoint
            .post()
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("authorization", &self.authorization)
            .header("mcp-protocol-version", self.protocol.version());
        if let Some(id) = &self.id {
            request = request.header("mcp-session-id", id);
        }
        if self.protocol == Protocol::Stateless {
            // 2026-07-28 (SEP-2243): the method and tool name repeated as headers.
            if let Some(method) = body["method"].as_str() {
                request = request.header("mcp-method", method);
            }
            if let Some(name) = body["params"]["name"].as_str() {
                request = request.header("mcp-name", name);
            }
        }
        request
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    }

    /// One governed call on the session's own wire.
    async fn call(&self, id: u64) -> Duration {
        self.call_on(&self.wire, id).await
    }

    /// One governed call on `wire`; panics unless it succeeded, so a failing run cannot look
    /// fast.
    async fn call_on(&self, wire: &Wire, id: u64) -> Duration {
        let mut body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "s3_list_objects", "arguments": {"bucket": BUCKET}}});
        if self.protocol == Protocol::Stateless {
            body["params"]["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": self.protocol.version(),
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "load", "version": "1"},
            });
        }
        let request = self.request(&body);
        let started = Instant::now();
        let answer = wire.send(request).await;
        let took = started.elapsed();
        let text = std::str::from_utf8(&answer.body).unwrap();
        assert!(
            text.contains("\"structuredContent\"") && !text.contains("\"isError\":true"),
            "call failed: {text}"
        );
        took
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// What one load level measured.
struct Level {
    calls: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// CPU the server used per call, and the share of the two cores each side used.
    server_cpu_per_call: Duration,
    server_cores: f64,
    generator_cores: f64,
    /// The share of the machine's CPU time its host took for others meanwhile (steal time):
    /// on a shared virtual machine, what the figures above could not use.
    steal: f64,
}

/// N sessions (principals taken in turn), each calling for `seconds` (or `calls` times) on
/// its own connection.
async fn level(
    url: &str,
    server_pid: u32,
    protocol: Protocol,
    tokens: &[String],
    n: usize,
    seconds: u64,
    calls: Option<usize>,
) -> Level {
    level_on(&[(url, server_pid)], protocol, tokens, n, seconds, calls).await
}

/// [`level`] with sessions split across several servers (session `i` on server `i % len`);
/// server CPU is summed over them.
async fn level_on(
    servers: &[(&str, u32)],
    protocol: Protocol,
    tokens: &[String],
    n: usize,
    seconds: u64,
    calls: Option<usize>,
) -> Level {
    let mut sessions = Vec::with_capacity(n);
    for i in 0..n {
        let (url, _) = servers[i % servers.len()];
        sessions.push(Arc::new(
            Session::open_as(protocol, url, &tokens[i % tokens.len()], None).await,
        ));
    }
    // One warm-up call per session, then everybody starts together.
    for s in &sessions {
        s.call(1).await;
    }
    let pids: Vec<String> = servers.iter().map(|(_, pid)| pid.to_string()).collect();
    let server_cpu_now = || pids.iter().map(|p| cpu_of(p)).sum::<Duration>();
    let (server_before, generator_before) = (server_cpu_now(), cpu_of("self"));
    let machine_before = machine_ticks();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = sessions
        .iter()
        .map(|s| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut took = Vec::new();
                let mut id = 2;
                while calls.map_or(Instant::now() < deadline, |c| took.len() < c) {
                    took.push(s.call(id).await);
                    id += 1;
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    let server_cpu = server_cpu_now().saturating_sub(server_before);
    let generator_cpu = cpu_of("self").saturating_sub(generator_before);
    let machine = machine_ticks();
    all.sort();
    Level {
        calls: all.len(),
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        server_cpu_per_call: server_cpu / u32::try_from(all.len().max(1)).unwrap_or(u32::MAX),
        server_cores: server_cpu.as_secs_f64() / elapsed.as_secs_f64(),
        generator_cores: generator_cpu.as_secs_f64() / elapsed.as_secs_f64(),
        steal: machine.1.saturating_sub(machine_before.1) as f64
            / machine.0.saturating_sub(machine_before.0).max(1) as f64,
    }
}

/// Completed calls in the audit log (a file or a Postgres URL), and whether `audit verify`
/// passes.
fn audited(db: &Path) -> (u64, bool) {
    use awsgate::store::sql::SqlExt as _;
    let location: awsgate::store::Location = db.display().to_string().parse().unwrap();
    let completed = awsgate::store::Db::open_existing(location)
        .unwrap()
        .read(|conn| {
            conn.query_one(
                "SELECT count(*) FROM events WHERE kind = 'call.completed'",
                &[],
            )?
            .int(0)
        })
        .unwrap();
    let completed = u64::try_from(completed).unwrap();
    let verified = Command::new(env!("CARGO_BIN_EXE_awsgate"))
        .args(["audit", "verify", "--db"])
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    (completed, verified)
}

async fn seed_moto() {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket(BUCKET).send().await;
    for key in ["2026/11/30/app.log", "2026/12/01/app.log"] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(vec![b'x'; 1024].into())
            .send()
            .await
            .unwrap();
    }
}

async fn throughput(o: &Options, setup: &Setup) {
    println!(
        "\n## Governed calls over HTTP keep-alive (s3_list_objects, durable audit log, {PRINCIPALS} principals, protocol {})\n",
        o.protocol.version()
    );
    println!(
        "| backend | build | sessions | calls/s | p50 | p99 | calls | audited | verify | peak RSS | server CPU per call | cores used: server / load generator | host steal |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // With a baseline, each level runs it first and this build right after.
    let this = PathBuf::from(env!("CARGO_BIN_EXE_awsgate"));
    let builds: Vec<(&str, PathBuf)> = o
        .baseline
        .iter()
        .map(|b| ("baseline", b.clone()))
        .chain([("this", this)])
        .collect();
    for &backend in &o.backends {
        if backend == Backend::Moto {
            if std::env::var("AWS_ENDPOINT_URL").is_err() {
                println!(
                    "| moto | – | – | skipped: AWS_ENDPOINT_URL is not set (tools/bench starts moto) |||||"
                );
                continue;
            }
            seed_moto().await;
        }
        for &n in &o.sessions {
            let mut runs: Vec<Vec<Level>> = builds.iter().map(|_| Vec::new()).collect();
            for round in 0..o.repeat {
                let mut rates = Vec::new();
                for ((build, bin), runs) in builds.iter().zip(&mut runs) {
                    let name = format!("{backend:?}-{n}-{build}-{round}.db");
                    let server =
                        Server::http_with(bin, setup, backend, setup.dir.path().join(name));
                    let l = level(
                        &server.url,
                        server.child.id(),
                        o.protocol,
                        &setup.tokens,
                        n,
                        o.seconds,
                        o.calls,
                    )
                    .await;
                    let (_, peak_kib) = server.rss_kib();
                    let db = server.stop();
                    let (completed, verified) = audited(&db);
                    // Each session's warm-up call is in the log too.
                    let expected = l.calls + n;
                    println!(
                        "| {} | {build} | {n} | {:.0} | {} | {} | {} | {completed}/{expected} | {} | {:.1} MiB | {:.0} µs | {:.2} / {:.2} | {:.0}% |",
                        backend.label(),
                        l.per_second,
                        ms(l.p50),
                        ms(l.p99),
                        l.calls,
                        if verified { "ok" } else { "FAILED" },
                        peak_kib as f64 / 1024.0,
                        l.server_cpu_per_call.as_secs_f64() * 1e6,
                        l.server_cores,
                        l.generator_cores,
                        l.steal * 100.0
                    );
                    rates.push((l.per_second, l.server_cpu_per_call));
                    runs.push(l);
                }
                if let [(before, before_cpu), (after, after_cpu)] = rates[..] {
                    println!(
                        "| {} | this ÷ baseline | {n} | {:.2}× | | | | | | | {:.2}× | | |",
                        backend.label(),
                        after / before,
                        after_cpu.as_secs_f64() / before_cpu.as_secs_f64().max(1e-9)
                    );
                }
            }
            if o.repeat > 1 {
                for ((build, _), runs) in builds.iter().zip(&runs) {
                    println!(
                        "| {} | {build}, {} runs | {n} | {} | | | | | | | | | |",
                        backend.label(),
                        o.repeat,
                        summary(runs)
                    );
                }
            }
        }
    }
}

/// The goal at 64 sessions, against the in-process stand-in.
const GOAL_CALLS_PER_SECOND: f64 = 5000.0;
const GOAL_P99: Duration = Duration::from_millis(50);

/// Repeated runs of one level in one cell: calls/s least, median and most, the worst p99, the
/// host's steal time, and how many runs met the goal's figures.
fn summary(runs: &[Level]) -> String {
    let mut rates: Vec<f64> = runs.iter().map(|l| l.per_second).collect();
    rates.sort_by(f64::total_cmp);
    let worst_p99 = runs.iter().map(|l| l.p99).max().unwrap_or_default();
    let steal =
        |pick: fn(f64, f64) -> f64| runs.iter().map(|l| l.steal * 100.0).fold(f64::NAN, pick);
    let met = runs
        .iter()
        .filter(|l| l.per_second >= GOAL_CALLS_PER_SECOND && l.p99 <= GOAL_P99)
        .count();
    format!(
        "calls/s {:.0} / {:.0} / {:.0} (least / median / most), worst p99 {}, steal {:.0}–{:.0}%; ≥ {GOAL_CALLS_PER_SECOND:.0} calls/s with p99 ≤ {} ms in {met} of {}",
        rates.first().copied().unwrap_or(0.0),
        rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        rates.last().copied().unwrap_or(0.0),
        ms(worst_p99),
        steal(f64::min),
        steal(f64::max),
        GOAL_P99.as_millis(),
        runs.len()
    )
}

/// The HTTP keep-alive stall: the same call on one kept-alive connection and on a fresh
/// connection each time, alternated.
async fn keepalive(setup: &Setup) {
    let server = Server::http(setup, Backend::Instant, "keepalive");
    let session = Session::open(&server.url, &setup.tokens[0], None).await;
    let fresh = Wire::Fresh(Endpoint::parse(&server.url));
    let (mut kept, mut new) = (Vec::new(), Vec::new());
    for i in 0..400 {
        kept.push(session.call(2 * i + 10).await);
        new.push(session.call_on(&fresh, 2 * i + 11).await);
    }
    kept.sort();
    new.sort();
    server.stop();
    println!(
        "\n## One call on a kept-alive connection vs. a fresh connection (400 each, alternated)\n"
    );
    println!("| connection | p50 | p90 |");
    println!("|---|---|---|");
    println!(
        "| kept alive | {} | {} |",
        ms(percentile(&kept, 0.5)),
        ms(percentile(&kept, 0.9))
    );
    println!(
        "| fresh | {} | {} |",
        ms(percentile(&new, 0.5)),
        ms(percentile(&new, 0.9))
    );
    let gap = percentile(&kept, 0.5).as_secs_f64() - percentile(&new, 0.5).as_secs_f64();
    println!(
        "\nkept-alive p50 minus fresh p50: {:+.2} ms (goal: at most +1 ms)",
        gap * 1e3
    );
}

/// Memory: idle sessions over HTTP, a long soak, and a stdio session of 1,000 calls.
async fn memory(o: &Options, setup: &Setup) {
    println!("\n## Memory (resident set, in-process stand-in for AWS)\n");
    println!("| what | measured |");
    println!("|---|---|");
    let server = Server::http(setup, Backend::Instant, "idle");
    // The idle sessions are opened one after another on the first one's connection.
    let first = Session::open(&server.url, &setup.tokens[0], None).await;
    first.call(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (before, _) = server.rss_kib();
    let mut idle = Vec::new();
    for i in 0..1000 {
        idle.push(
            Session::open(
                &server.url,
                &setup.tokens[i % PRINCIPALS],
                Some(first.wire.clone()),
            )
            .await,
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (after, _) = server.rss_kib();
    println!(
        "| HTTP server after one session | {:.1} MiB |",
        before as f64 / 1024.0
    );
    println!(
        "| 1,000 more idle sessions | +{:.1} MiB ({:.1} KiB per session) |",
        after.saturating_sub(before) as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1000.0
    );
    drop(idle);
    server.stop();

    let server = Server::http(setup, Backend::Instant, "soak");
    let mut sessions = Vec::new();
    for i in 0..64 {
        sessions.push(Arc::new(
            Session::open(&server.url, &setup.tokens[i % PRINCIPALS], None).await,
        ));
    }
    let per_session = o.soak / 64;
    let mut samples = Vec::new();
    let rounds = 10;
    for _ in 0..rounds {
        let tasks: Vec<_> = sessions
            .iter()
            .map(|s| {
                let s = s.clone();
                tokio::spawn(async move {
                    for id in 0..per_session / rounds {
                        s.call(id as u64 + 2).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        samples.push(server.rss_kib().0);
    }
    let done = per_session / rounds * rounds * 64;
    let db = server.stop();
    let (completed, verified) = audited(&db);
    let mib = |k: u64| format!("{:.1}", k as f64 / 1024.0);
    println!(
        "| soak: {done} calls over 64 sessions, RSS after each tenth (MiB) | {} |",
        samples
            .iter()
            .map(|&k| mib(k))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| soak: growth from the first tenth to the last | {:+.1} MiB; audited {completed}, verify {} |",
        (samples.last().copied().unwrap_or(0) as f64
            - samples.first().copied().unwrap_or(0) as f64)
            / 1024.0,
        if verified { "ok" } else { "FAILED" }
    );
    let (peak, calls) = stdio_peak(setup).await;
    println!(
        "| stdio: peak RSS over a session of {calls} calls (goal ≤ 25 MB) | {:.1} MiB ({:.1} MB) |",
        peak as f64 / 1024.0,
        peak as f64 * 1024.0 / 1e6
    );
}

/// Peak RSS of `awsgate serve` over stdio through a session of 1,000 calls (rmcp's client).
async fn stdio_peak(setup: &Setup) -> (u64, usize) {
    use rmcp::{ServiceExt, model::CallToolRequestParams, transport::TokioChildProcess};
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_awsgate"));
    cmd.args(["serve", "--bench-instant-aws", "--policy"])
        .arg(setup.policy())
        .arg("--db")
        .arg(setup.dir.path().join("stdio.db"))
        .env("AWSGATE_TOKEN", &setup.tokens[0])
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null());
    let transport = TokioChildProcess::new(cmd).unwrap();
    let pid = transport.id().unwrap();
    let client = ().serve(transport).await.unwrap();
    let calls = 1000;
    for _ in 0..calls {
        let args = json!({"bucket": BUCKET}).as_object().cloned();
        let mut params = CallToolRequestParams::new("s3_list_objects");
        params.arguments = args;
        let r = client.call_tool(params).await.unwrap();
        assert_eq!(r.is_error, Some(false), "{r:?}");
    }
    let (_, peak) = rss_of(pid);
    client.cancel().await.unwrap();
    (peak, calls)
}

/// A new database on the benchmark's Postgres server; its URL.
/// (Without TLS: on loopback it would only add its own cost to what is measured.)
fn fresh_postgres(base: &str, name: &str) -> String {
    let base = base.split('?').next().unwrap_or(base).to_owned();
    let create = format!("CREATE DATABASE {name}");
    let url = format!("{base}?sslmode=disable");
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute(&create).unwrap();
    })
    .join()
    .unwrap();
    format!(
        "{}/{name}?sslmode=disable",
        base.rsplit_once('/').unwrap().0
    )
}

/// One server on SQLite beside one and two replicas on one Postgres, at each session count,
/// against the in-process stand-in (what is measured is awsgate and its database).
async fn replicas(o: &Options, setup: &Setup) {
    println!(
        "\n## Several replicas: SQLite vs Postgres (in-process stand-in for AWS, durable audit)\n"
    );
    let Ok(base) = std::env::var("AWSGATE_BENCH_POSTGRES") else {
        println!("skipped: AWSGATE_BENCH_POSTGRES is not set (tools/bench load starts Postgres)");
        return;
    };
    println!(
        "| database | replicas | sessions | calls/s | p50 | p99 | audited | verify | server CPU per call |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in &o.sessions {
        for (database, replicas) in [("SQLite", 1), ("Postgres", 1), ("Postgres", 2)] {
            let db = match database {
                "SQLite" => setup.dir.path().join(format!("replicas-{n}.db")),
                _ => PathBuf::from(fresh_postgres(&base, &format!("bench_{n}_{replicas}"))),
            };
            let servers: Vec<Server> = (0..replicas)
                .map(|_| Server::http_on(setup, Backend::Instant, db.clone()))
                .collect();
            let targets: Vec<(&str, u32)> = servers
                .iter()
                .map(|s| (s.url.as_str(), s.child.id()))
                .collect();
            let l = level_on(
                &targets,
                Protocol::Sessions,
                &setup.tokens,
                n,
                o.seconds,
                o.calls,
            )
            .await;
            for s in servers {
                s.stop();
            }
            let (completed, verified) = audited(&db);
            println!(
                "| {database} | {replicas} | {n} | {:.0} | {} | {} | {completed}/{} | {} | {:.0} µs |",
                l.per_second,
                ms(l.p50),
                ms(l.p99),
                l.calls + n,
                if verified { "ok" } else { "FAILED" },
                l.server_cpu_per_call.as_secs_f64() * 1e6,
            );
        }
    }
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let setup = Setup::new();
    println!(
        "# tools/bench load — {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    runtime.block_on(async {
        let wants = |what: &str| o.only.as_deref().is_none_or(|only| only == what);
        if wants("throughput") {
            throughput(&o, &setup).await;
        }
        if wants("keepalive") {
            keepalive(&setup).await;
        }
        if wants("memory") {
            memory(&o, &setup).await;
        }
        if wants("replicas") {
            replicas(&o, &setup).await;
        }
    });
}

//! The Postgres backend: the connection URL (its password never printed), connections that
//! reconnect after the server restarts, the versioned schema migrations, the write lock that
//! serialises writers across replicas, and TLS (rustls, certificates always verified).
//!
//! The driver is the blocking `postgres` crate. It runs its own small runtime, which may not
//! be entered from a tokio worker, so a statement issued from async code runs on a scoped
//! helper thread ([`off_runtime`]); the audit writer's own thread runs them directly.

use std::{
    collections::HashMap,
    fmt,
    sync::{Mutex, PoisonError},
};

use super::{
    StoreError,
    sql::{PgSql, Sql, SqlError},
};

/// The key of the advisory lock every writing transaction takes: one writer at a time across
/// every replica, as SQLite's `BEGIN IMMEDIATE` gives one writer across processes.
pub const WRITE_LOCK: i64 = 0x6177_7367_6174_6501;

/// The key of the lock held while migrating the schema (two replicas starting together).
const MIGRATE_LOCK: i64 = 0x6177_7367_6174_6502;

/// A Postgres connection URL. `Display` and `Debug` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Url {
    raw: String,
    shown: String,
}

impl Url {
    /// Parses `postgres://user:password@host:port/db?sslmode=…&sslrootcert=…`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut parsed = url::Url::parse(raw).map_err(|e| format!("invalid Postgres URL: {e}"))?;
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        let url = Self {
            raw: raw.to_owned(),
            shown: parsed.to_string(),
        };
        url.config()?;
        Ok(url)
    }

    /// The driver's configuration and the TLS settings.
    fn config(&self) -> Result<(postgres::Config, Tls), String> {
        let mut parsed =
            url::Url::parse(&self.raw).map_err(|e| format!("invalid Postgres URL: {e}"))?;
        let mut mode = None;
        let mut root = None;
        let mut rest = Vec::new();
        for (k, v) in parsed.query_pairs() {
            match &*k {
                "sslmode" => mode = Some(v.into_owned()),
                "sslrootcert" => root = Some(v.into_owned()),
                _ => rest.push((k.into_owned(), v.into_owned())),
            }
        }
        parsed.set_query(None);
        if !rest.is_empty() {
            parsed.query_pairs_mut().extend_pairs(rest);
        }
        let mut config: postgres::Config = parsed
            .as_str()
            .parse()
            .map_err(|e| format!("invalid Postgres URL {}: {e}", self.shown))?;
        let ssl = match mode.as_deref() {
            None | Some("prefer") => postgres::config::SslMode::Prefer,
            Some("disable") => postgres::config::SslMode::Disable,
            Some("require" | "verify-ca" | "verify-full") => postgres::config::SslMode::Require,
            Some(other) => {
                return Err(format!(
                    "unknown sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
                ));
            }
        };
        config.ssl_mode(ssl);
        if config.get_application_name().is_none() {
            config.application_name("awsgate");
        }
        // An unreachable server refuses calls after this, rather than holding them.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(5));
        }
        Ok((config, Tls::new(root.as_deref())?))
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Runs `f` where the blocking driver may run: here when this thread is not a tokio
/// worker, else on a scoped helper thread (which may borrow from the caller).
fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, SqlError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(f());
    }
    std::thread::scope(|s| s.spawn(f).join())
        .map_err(|_| SqlError("the database helper thread failed".to_owned()))
}

/// A connection idle longer than this is checked (one round trip) before it is used: the
/// server may have closed it meanwhile (a restart, a failover, an idle timeout).
const CHECK_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// One open connection and the statements prepared on it.
struct Conn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
    used: std::time::Instant,
}

impl Conn {
    /// Whether this connection can still be used.
    fn usable(&mut self) -> bool {
        // Reads what the server sent meanwhile without sending anything: a server that closed
        // the connection (a terminated backend, a shutdown) has said so by now.
        {
            use postgres::fallible_iterator::FallibleIterator as _;
            let _ = self.client.notifications().iter().count();
        }
        if self.client.is_closed() {
            return false;
        }
        self.used.elapsed() < CHECK_AFTER_IDLE
            || self
                .client
                .is_valid(std::time::Duration::from_secs(2))
                .is_ok()
    }
}

impl Conn {
    fn connect(url: &Url) -> Result<Self, SqlError> {
        let (config, tls) = url.config().map_err(SqlError)?;
        let client = config
            .connect(tls)
            .map_err(|e| SqlError(format!("cannot connect to {url}: {}", with_causes(&e))))?;
        Ok(Self {
            client,
            statements: HashMap::new(),
            used: std::time::Instant::now(),
        })
    }

    fn sql(&mut self) -> PgSql<'_, postgres::Client> {
        PgSql {
            client: &mut self.client,
            statements: &mut self.statements,
        }
    }
}

/// An error with the causes the driver keeps behind it ("error performing TLS handshake:
/// invalid peer certificate: …").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        said.push_str(": ");
        said.push_str(&c.to_string());
        cause = c.source();
    }
    said
}

/// One connection to a Postgres database, opened on first use and replaced after the
/// server closed it (a restart, a failover): a connection that fails mid-use fails that use
/// (the caller refuses its call), one found closed after being idle is replaced before use.
pub struct Pool {
    url: Url,
    slot: Mutex<Option<Conn>>,
}

impl Pool {
    /// Connects and brings the schema up to date.
    pub fn open(url: &Url) -> Result<Self, StoreError> {
        let pool = Self {
            url: url.clone(),
            slot: Mutex::new(None),
        };
        pool.run(|conn| migrate(&mut conn.client))
            .map_err(|e| StoreError::Open {
                path: url.to_string(),
                detail: e.0,
            })?;
        Ok(pool)
    }

    /// Runs `f` on the connection. When the server ended the connection (a `FATAL` error: a
    /// terminated backend, a shutdown — which aborts whatever was running, so nothing of `f`
    /// was committed), `f` runs once more on a new connection.
    fn run<R: Send>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        let mut guard = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        let slot: &mut Option<Conn> = &mut guard;
        let url = &self.url;
        off_runtime(move || {
            let mut attempt = 0;
            loop {
                attempt += 1;
                if !slot.as_mut().is_some_and(Conn::usable) {
                    *slot = Some(Conn::connect(url)?);
                }
                let Some(conn) = slot.as_mut() else {
                    return Err(SqlError("no connection".to_owned()));
                };
                let result = f(conn);
                conn.used = std::time::Instant::now();
                let ended = result.as_ref().is_err_and(SqlError::ended_connection);
                if ended || conn.client.is_closed() {
                    *slot = None;
                }
                if !(ended && attempt == 1) {
                    return result;
                }
                tracing::warn!("the database ended awsgate's connection; reconnecting");
            }
        })?
    }

    /// Runs `f` outside a transaction.
    pub fn read<R: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Sql) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        self.run(|conn| f(&mut conn.sql()))
    }

    /// Runs `f` in a transaction holding [`WRITE_LOCK`].
    pub fn write<R: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Sql) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        self.run(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let result = f(&mut PgSql {
                client: &mut tx,
                statements: &mut conn.statements,
            })?;
            tx.commit()?;
            Ok(result)
        })
    }
}

/// The driver's runtime may not be dropped on a tokio worker: connections dropped there go
/// to a thread of their own.
impl Drop for Pool {
    fn drop(&mut self) {
        let conn = self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if conn.is_none() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("postgres-close".into())
            .spawn(move || drop(conn));
    }
}

/// The schema, one migration per version; a database is brought up to the newest at start.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, super::schema::POSTGRES_V1),
    (2, super::schema::POSTGRES_V2),
    (3, super::schema::POSTGRES_V3),
    (4, super::schema::POSTGRES_V4),
];

/// The newest schema version this awsgate knows.
pub fn schema_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

fn migrate(client: &mut postgres::Client) -> Result<(), SqlError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])?;
    let result = apply_migrations(client);
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK]);
    result?;
    unlocked?;
    Ok(())
}

fn apply_migrations(client: &mut postgres::Client) -> Result<(), SqlError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS awsgate_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let current: i64 = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM awsgate_schema", &[])?
        .try_get(0)?;
    let newest = schema_version();
    if current > newest {
        return Err(SqlError(format!(
            "it was written by a newer awsgate (schema {current}, this awsgate knows {newest}); upgrade awsgate"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO awsgate_schema (version, applied_at) VALUES ($1, $2)",
            &[version, &crate::clock::now_rfc3339()],
        )?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

/// TLS for Postgres connections: rustls with the system's roots (or `sslrootcert`), the
/// server's certificate and name always verified.
#[derive(Clone)]
pub struct Tls {
    config: std::sync::Arc<rustls::ClientConfig>,
}

impl Tls {
    fn new(root_file: Option<&str>) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        match root_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("cannot read sslrootcert `{path}`: {e}"))?;
                for cert in <rustls::pki_types::CertificateDer<'_> as rustls::pki_types::pem::PemObject>::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| format!("sslrootcert `{path}`: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("sslrootcert `{path}`: {e}"))?;
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: std::sync::Arc::new(config),
        })
    }
}

mod tls {
    //! The glue between tokio-rustls and the driver's TLS traits.

    use std::{
        future::Future,
        io,
        pin::Pin,
        task::{Context, Poll},
    };

    use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// A connector for one server name.
    pub struct Connect {
        connector: tokio_rustls::TlsConnector,
        name: ServerName<'static>,
    }

    /// An encrypted connection.
    pub struct Stream<S>(tokio_rustls::client::TlsStream<S>);

    impl<S> MakeTlsConnect<S> for super::Tls
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        type Stream = Stream<S>;
        type TlsConnect = Connect;
        type Error = io::Error;

        fn make_tls_connect(&mut self, domain: &str) -> io::Result<Connect> {
            let name = ServerName::try_from(domain.to_owned())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            Ok(Connect {
                connector: tokio_rustls::TlsConnector::from(self.config.clone()),
                name,
            })
        }
    }

    impl<S> TlsConnect<S> for Connect
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        type Stream = Stream<S>;
        type Error = io::Error;
        type Future = Pin<Box<dyn Future<Output = io::Result<Stream<S>>> + Send>>;

        fn connect(self, stream: S) -> Self::Future {
            Box::pin(async move {
                let tls = self.connector.connect(self.name, stream).await?;
                Ok(Stream(tls))
            })
        }
    }

    impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Stream<S> {
        fn channel_binding(&self) -> ChannelBinding {
            ChannelBinding::none()
        }
    }

    impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let url = Url::parse("postgres://awsgate:s3cret@db.internal:5432/awsgate?sslmode=require")
            .unwrap();
        assert!(!url.to_string().contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(url.to_string().contains("db.internal"));
    }

    #[test]
    fn an_unknown_sslmode_is_refused() {
        let err = Url::parse("postgres://a@h/db?sslmode=sometimes").unwrap_err();
        assert!(err.contains("unknown sslmode"), "{err}");
    }
}

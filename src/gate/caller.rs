//! Who is calling (step 1's result, established by the transport) and where an
//! authentication attempt came from.

use crate::{identity::Principal, ids::SessionId};

/// How the caller reached awsgate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// MCP over the process's stdin/stdout.
    Stdio,
    /// MCP over streamable HTTP.
    Http,
}

impl Transport {
    /// The name recorded in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
        }
    }
}

/// Who is calling, through which session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified (or, in local mode, OS-given) principal.
    pub principal: Principal,
    /// The MCP session.
    pub session: SessionId,
    /// The transport.
    pub transport: Transport,
    /// The verified token's `jti`, in jwt mode.
    pub token_id: Option<String>,
}

/// Where an authentication attempt came from, for the record of a refusal.
#[derive(Debug, Clone)]
pub struct AuthAttempt {
    /// The transport.
    pub transport: Transport,
    /// The MCP session, when there is one.
    pub session: Option<SessionId>,
    /// The peer address (HTTP).
    pub remote: Option<String>,
    /// What was asked: `tools/call iam_list_users`, `POST /mcp`.
    pub what: String,
}

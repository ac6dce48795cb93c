//! The one integration-test binary: the real `awsgate` binary, driven by rmcp's real MCP
//! client over stdio, against the real AWS SDK and the `moto` AWS emulator (started by
//! `tools/test`, which sets `AWS_ENDPOINT_URL`), with real SQLite files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "test code: a failed expectation should fail the test loudly"
)]

mod accounts;
mod answers;
mod approvals;
mod cli;
mod clients;
mod confirm;
mod console;
mod crash;
mod faults;
mod hardening;
mod hostile;
mod identity;
mod keepalive;
mod limits;
mod operations;
mod policy;
mod replay;
mod replicas;
mod schemas;
mod security;
mod seed;
mod stdio;
mod storage;
mod support;

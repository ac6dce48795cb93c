//! awsgate: an MCP server that governs what AI agents may do in AWS.
//!
//! Every `tools/call` passes one pipeline ([`gate::Gate`]): identity → catalogue → policy →
//! write-ahead audit → AWS → secret scrubbing → audit. The modules below are the steps; the
//! binary (`src/main.rs`) only parses the command line and calls [`commands`].

pub mod approvals;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod console;
pub mod delivery;
pub mod gate;
pub mod http;
pub mod identity;
pub mod ids;
pub mod keyfile;
pub mod limits;
pub mod masking;
pub mod mcp;
pub mod metrics;
pub mod peer;
pub mod policy;
pub mod printable;
pub mod reload;
pub mod review;
pub mod scrub;
pub mod selector;
pub mod store;
pub mod suggest;
pub mod tools;
pub mod trace;

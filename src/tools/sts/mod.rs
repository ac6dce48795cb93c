//! STS tools. None returns credentials: there is no AssumeRole or GetSessionToken tool.

pub mod get_caller_identity;

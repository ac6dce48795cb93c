//! Limits on what a caller can make awsgate do. Today: how many refusals of one peer or
//! principal are recorded per minute, so a caller with no rights cannot fill the audit log.

mod refusals;

pub use refusals::RefusalLimiter;

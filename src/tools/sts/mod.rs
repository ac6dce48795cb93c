//! STS tools. None returns credentials: there is no AssumeRole or GetSessionToken tool.

pub mod decode_authorization_message;
pub mod get_access_key_info;
pub mod get_caller_identity;

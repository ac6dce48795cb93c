//! Newtypes for the identifiers that flow through the pipeline and into the audit log, so a
//! session id cannot be passed where a call id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered identifier with this type's prefix.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Wraps an identifier read back from storage or given by a user.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// One MCP session: a stdio server process, or one HTTP session.
    SessionId,
    "ses_"
);
id_type!(
    /// One `tools/call`, from decision to outcome.
    CallId,
    "call_"
);
id_type!(
    /// One approval request.
    ApprovalId,
    "apr_"
);

/// The `id` of a policy rule, as the admin wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    /// Wraps a rule id from a policy file.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The rule id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_carry_their_prefix_and_differ() {
        let a = CallId::generate();
        let b = CallId::generate();
        assert!(a.as_str().starts_with("call_"));
        assert!(SessionId::generate().as_str().starts_with("ses_"));
        assert_ne!(a, b);
    }
}

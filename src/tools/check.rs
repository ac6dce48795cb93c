//! The limits of a tool's arguments, enforced from its input schema: a range, a length or an
//! item count is written once, as a schema attribute on the argument type, and the same
//! schema the agent reads is the one its arguments are checked against.

use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

/// A tool's input schema, compiled when a call first needs it: of a catalogue of 60+ tools a
/// server keeps compiled only the ones its agents call.
#[derive(Debug)]
pub(super) struct Limits {
    /// The same schema the catalogue lists (shared, not copied).
    schema: Arc<Map<String, Value>>,
    /// `None` inside when the schema does not compile.
    validator: OnceLock<Option<jsonschema::Validator>>,
}

/// The longest error text repeated to the agent, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

impl Limits {
    /// The limits `schema` sets; compiled on the first [`Limits::check`].
    pub(super) fn of(schema: Arc<Map<String, Value>>) -> Self {
        Self {
            schema,
            validator: OnceLock::new(),
        }
    }

    /// The compiled schema. One that does not compile (a bug in a tool's type, caught by the
    /// catalogue's tests) refuses every call rather than letting arguments through.
    pub(super) fn validator(&self) -> Option<&jsonschema::Validator> {
        self.validator
            .get_or_init(|| {
                let compiled = jsonschema::validator_for(&Value::Object((*self.schema).clone()));
                if let Err(e) = &compiled {
                    tracing::error!(error = %e, "a tool's input schema does not compile; its calls are refused");
                }
                compiled.ok()
            })
            .as_ref()
    }

    /// `Err` with what is wrong, in the agent's terms, when `args` break a limit.
    pub(super) fn check(&self, args: &Value) -> Result<(), String> {
        let Some(validator) = self.validator() else {
            return Err("this tool cannot check its arguments; it is unavailable".into());
        };
        match validator.iter_errors(args).next() {
            None => Ok(()),
            Some(e) => Err(self.explain(&e)),
        }
    }

    fn explain(&self, e: &jsonschema::ValidationError<'_>) -> String {
        use jsonschema::error::ValidationErrorKind as Kind;
        let field = field_name(&e.instance_path().to_string());
        let said = match e.kind() {
            Kind::Minimum { .. } | Kind::Maximum { .. } => self.range(&field, e.instance()),
            Kind::MinLength { limit: 1 } => format!("`{field}` must not be empty"),
            Kind::MinLength { limit } => {
                format!("`{field}` must have at least {limit} characters")
            }
            Kind::MaxLength { limit } => {
                format!("`{field}` must have at most {limit} characters")
            }
            Kind::MinItems { limit } => format!("`{field}` must list at least {limit} items"),
            Kind::MaxItems { limit } => format!("`{field}` must list at most {limit} items"),
            Kind::Pattern { pattern } => format!("`{field}` must match `{pattern}`"),
            Kind::Enum { .. } => format!("`{field}` is not one of the accepted values"),
            _ => format!("`{field}`: {e}"),
        };
        crate::printable::bounded(&said, MAX_MESSAGE_CHARS).into_owned()
    }

    /// "`max_keys` must be between 1 and 1000, got 0", from the property's own bounds.
    fn range(&self, field: &str, got: &Value) -> String {
        let bound = |name: &str| {
            self.schema
                .get("properties")
                .and_then(|p| p.get(field))
                .and_then(|p| p.get(name))
                .cloned()
        };
        match (bound("minimum"), bound("maximum")) {
            (Some(min), Some(max)) => {
                format!("`{field}` must be between {min} and {max}, got {got}")
            }
            (Some(min), None) => format!("`{field}` must be at least {min}, got {got}"),
            (None, Some(max)) => format!("`{field}` must be at most {max}, got {got}"),
            (None, None) => format!("`{field}` is out of range: {got}"),
        }
    }
}

/// `/instance_ids/0` → `instance_ids[0]`.
fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        if part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    if out.is_empty() {
        "arguments".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn limits() -> Limits {
        let schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
                "name": {"type": "string", "minLength": 1, "maxLength": 3},
                "ids": {"type": "array", "items": {"type": "string", "pattern": "^i-"}, "maxItems": 2},
            }
        });
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        Limits::of(Arc::new(schema))
    }

    #[test]
    fn a_schema_that_does_not_compile_refuses_every_call() {
        let Value::Object(schema) = json!({"type": "object", "properties": {"n": {"type": 7}}})
        else {
            unreachable!()
        };
        let l = Limits::of(Arc::new(schema));
        assert!(l.validator().is_none());
        assert_eq!(
            l.check(&json!({})),
            Err("this tool cannot check its arguments; it is unavailable".into())
        );
    }

    #[test]
    fn every_limit_is_named_in_the_agents_terms() {
        let l = limits();
        assert_eq!(l.check(&json!({"n": 5, "name": "ab"})), Ok(()));
        assert_eq!(
            l.check(&json!({"n": 0})),
            Err("`n` must be between 1 and 10, got 0".into())
        );
        assert_eq!(
            l.check(&json!({"n": 11})),
            Err("`n` must be between 1 and 10, got 11".into())
        );
        assert_eq!(
            l.check(&json!({"name": ""})),
            Err("`name` must not be empty".into())
        );
        assert_eq!(
            l.check(&json!({"name": "abcd"})),
            Err("`name` must have at most 3 characters".into())
        );
        assert_eq!(
            l.check(&json!({"ids": ["i-1", "i-2", "i-3"]})),
            Err("`ids` must list at most 2 items".into())
        );
        assert_eq!(
            l.check(&json!({"ids": ["db-1"]})),
            Err("`ids[0]` must match `^i-`".into())
        );
    }
}

//! `when` conditions: CEL expressions compiled once at load and evaluated per call.
//!
//! An expression may use only [`VARIABLES`]; anything else is refused at load, so a typo in a
//! variable name cannot silently make a rule never (or always) match.

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Program, Value as CelValue};
use serde_json::{Value, json};

use super::CallFacts;

/// The standard CEL environment, built once: building it registers every standard function,
/// which costs far more than evaluating a typical condition.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// The variables a `when` expression may use.
pub const VARIABLES: [&str; 6] = ["principal", "tool", "args", "resources", "region", "now"];

/// A compiled `when` expression.
#[derive(Clone)]
pub struct Condition {
    source: String,
    program: Arc<Program>,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

/// Why an expression was refused at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionError {
    /// The expression does not parse; `line` and `column` are 1-based, within the expression.
    Syntax {
        /// Line within the expression.
        line: usize,
        /// Column within the expression.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The expression uses a variable awsgate does not provide.
    UnknownVariable {
        /// The name used.
        name: String,
        /// The closest known variable, if any is close.
        suggestion: Option<&'static str>,
    },
}

impl std::fmt::Display for ConditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConditionError::Syntax { message, .. } => {
                write!(f, "invalid CEL expression: {message}")
            }
            ConditionError::UnknownVariable { name, suggestion } => {
                write!(f, "unknown variable `{name}` in CEL expression")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(f, "; the variables are {}", VARIABLES.join(", ")),
                }
            }
        }
    }
}

impl Condition {
    /// Compiles `source`, checking that it only uses known variables.
    pub fn compile(source: &str) -> Result<Self, ConditionError> {
        let program = ENV.compile(source).map_err(|errors| {
            let first = errors.errors.first();
            let (line, column) = first.map_or((1, 1), |e| (e.pos.0, e.pos.1));
            ConditionError::Syntax {
                line: usize::try_from(line).unwrap_or(1).max(1),
                column: usize::try_from(column).unwrap_or(1).max(1),
                message: first.map_or_else(|| "syntax error".to_owned(), |e| e.msg.clone()),
            }
        })?;
        let references = program.references();
        let bound = macro_bound_names(source);
        let mut unknown: Vec<&str> = references
            .variables()
            .into_iter()
            .filter(|v| !VARIABLES.contains(v) && !bound.iter().any(|b| b == v))
            .collect();
        unknown.sort_unstable();
        if let Some(name) = unknown.first() {
            let suggestion = crate::suggest::closest(name, VARIABLES, crate::suggest::THRESHOLD);
            return Err(ConditionError::UnknownVariable {
                name: (*name).to_owned(),
                suggestion,
            });
        }
        Ok(Self {
            source: source.to_owned(),
            program: Arc::new(program),
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against a request's variables. Anything but a boolean result is an error.
    pub fn eval(&self, vars: &Context<'_, '_>) -> Result<bool, String> {
        match self.program.execute(vars) {
            Ok(CelValue::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "the expression gave {:?}, not true or false",
                other.type_of()
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Names bound by CEL's comprehension macros (`list.all(x, …)`, `exists`, `exists_one`, `map`,
/// `filter`): they are local to the expression, not request variables.
fn macro_bound_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for mac in [".all(", ".exists(", ".exists_one(", ".map(", ".filter("] {
        for (at, _) in source.match_indices(mac) {
            let rest = source
                .get(at + mac.len()..)
                .unwrap_or_default()
                .trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = rest.get(name.len()..).unwrap_or_default().trim_start();
            if !name.is_empty() && after.starts_with(',') {
                names.push(name);
            }
        }
    }
    names
}

/// The variables of a request, built once per evaluation (and only if some rule has `when`).
pub fn variables(req: &CallFacts<'_>) -> Result<Context<'static, 'static>, String> {
    let mut ctx = Context::with_env(ENV.clone());
    let principal = json!({
        "user": req.principal.user,
        "groups": req.principal.groups,
        "client": req.principal.client,
    });
    let bad = |e: cel::SerializationError| e.to_string();
    ctx.add_variable("principal", principal).map_err(bad)?;
    ctx.add_variable("tool", req.tool.name()).map_err(bad)?;
    ctx.add_variable("args", req.args.clone()).map_err(bad)?;
    ctx.add_variable("resources", Value::from(req.resources.to_vec()))
        .map_err(bad)?;
    ctx.add_variable("region", req.region).map_err(bad)?;
    ctx.add_variable_from_value("now", CelValue::Timestamp(req.now.fixed_offset()));
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{identity::Principal, tools::ToolId};

    fn eval(source: &str, args: Value) -> Result<bool, String> {
        let principal = Principal {
            user: "alice".into(),
            groups: vec!["sre".into()],
            client: None,
        };
        let resources = vec!["arn:aws:s3:::logs/a".to_owned()];
        let req = CallFacts {
            principal: &principal,
            tool: ToolId::S3GetObject,
            args: &args,
            resources: &resources,
            region: "eu-west-1",
            account: None,
            now: chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
                .unwrap()
                .to_utc(),
        };
        Condition::compile(source).unwrap().eval(&variables(&req)?)
    }

    #[test]
    fn expressions_see_every_variable() {
        assert_eq!(
            eval(
                "'sre' in principal.groups && principal.user == 'alice'",
                json!({})
            ),
            Ok(true)
        );
        assert_eq!(eval("principal.client == null", json!({})), Ok(true));
        assert_eq!(
            eval(
                "tool == 's3_get_object' && region.startsWith('eu-')",
                json!({})
            ),
            Ok(true)
        );
        assert_eq!(
            eval("args.key.endsWith('.txt')", json!({"key": "a.txt"})),
            Ok(true)
        );
        assert_eq!(
            eval(
                "resources.all(r, r.startsWith('arn:aws:s3:::logs/'))",
                json!({})
            ),
            Ok(true)
        );
        assert_eq!(
            eval("now < timestamp('2027-01-01T00:00:00Z')", json!({})),
            Ok(true)
        );
        assert_eq!(
            eval("now.getHours() >= 9 && now.getHours() < 17", json!({})),
            Ok(true)
        );
    }

    #[test]
    fn evaluation_problems_are_errors_not_panics() {
        assert!(eval("args.missing == 1", json!({})).is_err());
        assert!(
            eval("args.n", json!({"n": 3}))
                .unwrap_err()
                .contains("not true or false")
        );
        assert!(eval("1 / 0 == 1", json!({})).is_err());
    }

    #[test]
    fn malformed_expressions_are_located() {
        let err = Condition::compile("args.x <= ").unwrap_err();
        assert!(
            matches!(
                err,
                ConditionError::Syntax {
                    line: 1,
                    column: 11,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = Condition::compile("args.x == 1 &&\n  (").unwrap_err();
        assert!(
            matches!(err, ConditionError::Syntax { line: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn comprehension_variables_are_not_request_variables() {
        assert!(Condition::compile("resources.all(r, r.startsWith('arn:aws:s3:::logs-'))").is_ok());
        assert!(Condition::compile("principal.groups.exists(g, g == 'sre')").is_ok());
        assert!(Condition::compile("resources.all(r, x == r)").is_err());
    }

    #[test]
    fn unknown_variables_are_refused_with_a_suggestion() {
        assert_eq!(
            Condition::compile("princpal.user == 'x'")
                .unwrap_err()
                .to_string(),
            "unknown variable `princpal` in CEL expression; did you mean `principal`?"
        );
        assert_eq!(
            Condition::compile("user == 'x'").unwrap_err().to_string(),
            "unknown variable `user` in CEL expression; the variables are principal, tool, args, resources, region, now"
        );
    }
}

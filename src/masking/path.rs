//! JSON paths for mask rules' `fields`: `$.Reservations[*].Instances[*].PublicIpAddress`,
//! `$.Users[0].Arn`, `$['odd key']`, `$.*`. A small, predictable subset of JSONPath.

use std::fmt;

/// One step of a path being walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// An object member.
    Key(&'a str),
    /// An array element.
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    AnyKey,
    Index(usize),
    AnyIndex,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    source: String,
    segments: Vec<Segment>,
}

impl JsonPath {
    /// Parses `$` followed by `.name`, `.*`, `[N]`, `[*]` or `['name']` steps.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut rest = source
            .strip_prefix('$')
            .ok_or_else(|| "a path starts with `$`".to_owned())?;
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix(".*") {
                segments.push(Segment::AnyKey);
                rest = r;
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let (name, r) = r.split_at(end);
                if name.is_empty() {
                    return Err("empty name after `.`".to_owned());
                }
                segments.push(Segment::Key(name.to_owned()));
                rest = r;
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| "unclosed `[`".to_owned())?;
                let (inside, r) = r.split_at(end);
                rest = r.get(1..).unwrap_or_default();
                let quoted = inside
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
                segments.push(match (inside, quoted) {
                    ("*", _) => Segment::AnyIndex,
                    (_, Some(name)) => Segment::Key(name.to_owned()),
                    _ => Segment::Index(inside.parse().map_err(|_| {
                        format!("`[{inside}]` is not `[*]`, an index or a quoted name")
                    })?),
                });
            } else {
                return Err(format!(
                    "unexpected `{}`",
                    rest.chars().next().unwrap_or(' ')
                ));
            }
        }
        if segments.is_empty() {
            return Err("the path `$` alone would mask the whole result".to_owned());
        }
        Ok(Self {
            source: source.to_owned(),
            segments,
        })
    }

    /// Whether the path of a walked value matches.
    pub fn matches(&self, steps: &[Step<'_>]) -> bool {
        self.segments.len() == steps.len()
            && self
                .segments
                .iter()
                .zip(steps)
                .all(|(seg, step)| match (seg, step) {
                    (Segment::Key(k), Step::Key(s)) => k == s,
                    (Segment::AnyKey, Step::Key(_)) => true,
                    (Segment::Index(i), Step::Index(j)) => i == j,
                    (Segment::AnyIndex, Step::Index(_)) => true,
                    _ => false,
                })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Appends one step of a path's shape, with array positions as `[*]`: a path renders as
/// `$.Reservations[*].Instances[*].PublicIpAddress`. Findings are counted per shape, so a
/// thousand masked addresses are one finding with a count, not a thousand.
pub fn render_step(step: Step<'_>, out: &mut String) {
    match step {
        Step::Key(k)
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            out.push('.');
            out.push_str(k);
        }
        Step::Key(k) => {
            out.push_str("['");
            out.push_str(k);
            out.push_str("']");
        }
        Step::Index(_) => out.push_str("[*]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(steps: &[Step<'_>]) -> String {
        let mut out = String::from("$");
        for step in steps {
            render_step(*step, &mut out);
        }
        out
    }

    #[test]
    fn paths_parse_and_match() {
        let p = JsonPath::parse("$.Reservations[*].Instances[*].PublicIpAddress").unwrap();
        let steps = [
            Step::Key("Reservations"),
            Step::Index(0),
            Step::Key("Instances"),
            Step::Index(3),
            Step::Key("PublicIpAddress"),
        ];
        assert!(p.matches(&steps));
        assert!(!p.matches(&steps[..4]));
        assert!(JsonPath::parse("$.Users[0].Arn").unwrap().matches(&[
            Step::Key("Users"),
            Step::Index(0),
            Step::Key("Arn")
        ]));
        assert!(!JsonPath::parse("$.Users[1].Arn").unwrap().matches(&[
            Step::Key("Users"),
            Step::Index(0),
            Step::Key("Arn")
        ]));
        assert!(
            JsonPath::parse("$['odd key'].*")
                .unwrap()
                .matches(&[Step::Key("odd key"), Step::Key("x")])
        );
        assert_eq!(
            render(&steps),
            "$.Reservations[*].Instances[*].PublicIpAddress"
        );
        assert_eq!(render(&[Step::Key("a b")]), "$['a b']");
    }

    #[test]
    fn bad_paths_are_refused() {
        for bad in ["Users", "$", "$.", "$[x]", "$.a[", "$..a"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }
}

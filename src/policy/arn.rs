//! ARN patterns with IAM's meaning: `*` stands for any run of characters (`/` included, and
//! none at all), `?` for exactly one character, and every other character — `[`, `{`, `\`
//! and `,` too — for itself. S3 keys may contain any of them, so nothing else may be syntax.
//!
//! A call's own ARNs may hold wildcards as well (`…:instance/*` when no ids were given), so
//! besides matching a concrete ARN, patterns are compared with patterns:
//! [`ArnPattern::covers`] (every ARN the call may touch matches: what an `allow` needs) and
//! [`ArnPattern::overlaps`] (some ARN the call may touch matches: enough for `deny`,
//! `approve` and `confirm`). In a call's ARN a `*` stands for an unknown id (an account, an
//! instance, the rest of an IAM path): any run of characters but `:`, which no id contains;
//! a `?` for one such character. A `*` or `?` in a call's ARN always counts as a wildcard,
//! even where it is a literal character of an S3 key: the answers then err on the safe side.

use std::fmt;

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A character standing for itself.
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters.
    Any,
}

fn tokens(text: &str) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// An ARN pattern from a rule's `resources`.
#[derive(Clone, PartialEq, Eq)]
pub struct ArnPattern {
    text: String,
    toks: Vec<Tok>,
}

impl fmt::Debug for ArnPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArnPattern({:?})", self.text)
    }
}

impl ArnPattern {
    /// The pattern as written.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            toks: tokens(text),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the concrete ARN `arn` matches (its `*` and `?` are plain characters).
    pub fn matches(&self, arn: &str) -> bool {
        let subject: Vec<Tok> = arn.chars().map(Tok::Lit).collect();
        glob_match(&self.toks, &subject)
    }

    /// Whether every ARN the call ARN `call` may stand for matches this pattern.
    /// Conservative: where that cannot be shown by matching token for token, the answer is no.
    pub fn covers(&self, call: &str) -> bool {
        glob_match(&self.toks, &tokens(call))
    }

    /// Whether some ARN the call ARN `call` may stand for matches this pattern.
    pub fn overlaps(&self, call: &str) -> bool {
        let theirs = tokens(call);
        let wild = |t: &Tok| matches!(t, Tok::Any | Tok::One);
        if !theirs.iter().any(wild) {
            return glob_match(&self.toks, &theirs);
        }
        intersect(&self.toks, &theirs)
    }
}

/// Standard wildcard matching of `pattern` over `subject`, where the subject's tokens may be
/// wildcards themselves: the pattern's `*` absorbs any run of subject tokens; its `?` takes
/// one character or one `?` (not a `*`, which may stand for several); a literal takes only
/// itself. Greedy with backtracking to the last `*`: O(len × len) at worst.
fn glob_match(pattern: &[Tok], subject: &[Tok]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&have) = subject.get(s) {
        match pattern.get(p) {
            Some(Tok::Any) => {
                star = Some((p, s));
                p += 1;
            }
            Some(&want) if takes(want, have) => {
                p += 1;
                s += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|t| *t == Tok::Any))
}

/// Whether pattern token `want` (not `*`) takes subject token `have` in every case.
fn takes(want: Tok, have: Tok) -> bool {
    match (want, have) {
        (Tok::Lit(a), Tok::Lit(b)) => a == b,
        (Tok::One, Tok::Lit(_) | Tok::One) => true,
        _ => false,
    }
}

/// Whether some ARN matches both the rule pattern `a` and the call pattern `b` (whose
/// wildcards never stand for `:`): a walk over pairs of positions, each step either skipping
/// a `*` (it stands for nothing) or producing one character both accept. Every step moves
/// forward in at least one pattern, so one pass in order decides it.
fn intersect(a: &[Tok], b: &[Tok]) -> bool {
    let width = b.len() + 1;
    let mut reach = vec![false; (a.len() + 1) * width];
    if let Some(first) = reach.first_mut() {
        *first = true;
    }
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            if !reach.get(i * width + j).copied().unwrap_or(false) {
                continue;
            }
            let (ta, tb) = (a.get(i).copied(), b.get(j).copied());
            let mut mark = |x: usize, y: usize| {
                if let Some(cell) = reach.get_mut(x * width + y) {
                    *cell = true;
                }
            };
            if ta == Some(Tok::Any) {
                mark(i + 1, j);
            }
            if tb == Some(Tok::Any) {
                mark(i, j + 1);
            }
            if let (Some(x), Some(y)) = (ta, tb) {
                let compatible = match (x, y) {
                    (Tok::Lit(c), Tok::Lit(d)) => c == d,
                    (Tok::Lit(c), _) => c != ':',
                    (Tok::Any, Tok::Any) => false, // producing a character here is a loop
                    _ => true,
                };
                if compatible {
                    let ni = if x == Tok::Any { i } else { i + 1 };
                    let nj = if y == Tok::Any { j } else { j + 1 };
                    mark(ni, nj);
                }
            }
        }
    }
    reach.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn p(text: &str) -> ArnPattern {
        ArnPattern::new(text)
    }

    #[test]
    fn stars_and_question_marks_are_the_only_wildcards() {
        assert!(p("arn:aws:s3:::logs-*").matches("arn:aws:s3:::logs-app/2026/a.txt"));
        assert!(p("arn:aws:s3:::b/?.txt").matches("arn:aws:s3:::b/a.txt"));
        assert!(!p("arn:aws:s3:::b/?.txt").matches("arn:aws:s3:::b/ab.txt"));
        // IAM has no character classes, alternatives or escapes: these are literal.
        let archive = p("arn:aws:s3:::logs/[archive]/*");
        assert!(archive.matches("arn:aws:s3:::logs/[archive]/x"));
        assert!(!archive.matches("arn:aws:s3:::logs/a/x"));
        assert!(p("arn:aws:s3:::b/{a,b}").matches("arn:aws:s3:::b/{a,b}"));
        assert!(!p("arn:aws:s3:::b/{a,b}").matches("arn:aws:s3:::b/a"));
        assert!(p(r"arn:aws:s3:::b/a\*").matches(r"arn:aws:s3:::b/a\anything"));
        assert!(!p(r"arn:aws:s3:::b/a\*").matches("arn:aws:s3:::b/a*"));
    }

    #[test]
    fn a_call_reaching_every_instance_overlaps_a_deny_on_one() {
        let one = p("arn:aws:ec2:*:*:instance/i-0123456789abcdef0");
        let all = "arn:aws:ec2:eu-west-1:*:instance/*";
        assert!(one.overlaps(all));
        assert!(!one.covers(all));
        assert!(p("arn:aws:ec2:*:*:instance/*").covers(all));
        assert!(!p("arn:aws:ec2:*:*:instance/i-1*").covers(all));
        assert!(p("arn:aws:ec2:*:*:instance/i-1*").overlaps(all));
        assert!(!p("arn:aws:ec2:*:*:volume/*").overlaps(all));
        // The rule's `*` crosses `:`; the call's unknown ids do not contain one.
        assert!(p("arn:aws:ec2:*").overlaps(all));
        assert!(!p("arn:aws:s3:::logs-*").overlaps("arn:*:ec2:*:*:instance/*"));
        // IAM paths: listing under /ops/ reaches the users there.
        let admin = p("arn:aws:iam::*:user/ops/admin");
        assert!(admin.overlaps("arn:aws:iam::*:user/ops/*"));
        assert!(!admin.overlaps("arn:aws:iam::*:user/dev/*"));
    }

    #[test]
    fn a_question_mark_does_not_cover_a_star() {
        assert!(!p("arn:aws:s3:::b/?").covers("arn:aws:s3:::b/*"));
        assert!(p("arn:aws:s3:::b/?").covers("arn:aws:s3:::b/?"));
        assert!(p("arn:aws:s3:::b/?").overlaps("arn:aws:s3:::b/*"));
    }

    #[test]
    fn both_sides_with_wildcards_intersect_as_languages() {
        assert!(p("a*c").overlaps("ab*"));
        assert!(!p("a*c").overlaps("b*"));
        assert!(p("*x*").overlaps("*y*"));
        assert!(!p("a?").overlaps("a??*"));
        assert!(p("a?*").overlaps("a??"));
        assert!(!p("x*").overlaps("y*"));
    }

    fn arn_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("arn:aws:s3:::[a-z0-9\\[\\]{}\\\\,./-]{1,24}").unwrap()
    }

    fn pattern_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[ab*?/]{0,8}").unwrap()
    }

    proptest! {
        #[test]
        fn a_pattern_equal_to_an_arn_matches_it_and_nothing_else(
            arn in arn_text(), other in arn_text()
        ) {
            let pattern = p(&arn);
            prop_assert!(pattern.matches(&arn));
            prop_assert_eq!(pattern.matches(&other), arn == other);
        }

        #[test]
        fn overlap_and_cover_agree_with_matching_on_concrete_arns(
            pattern in pattern_text(), arn in "[ab/]{0,8}"
        ) {
            let pattern = p(&pattern);
            prop_assert_eq!(pattern.overlaps(&arn), pattern.matches(&arn));
            prop_assert_eq!(pattern.covers(&arn), pattern.matches(&arn));
        }

        #[test]
        fn overlap_is_symmetric_and_cover_implies_overlap(
            a in pattern_text(), b in pattern_text()
        ) {
            prop_assert_eq!(p(&a).overlaps(&b), p(&b).overlaps(&a));
            if p(&a).covers(&b) {
                prop_assert!(p(&a).overlaps(&b));
            }
        }

        #[test]
        fn cover_is_sound_on_every_instance_tried(
            outer in pattern_text(), inner in pattern_text(), fill in "[ab/]{0,3}"
        ) {
            // One instance of `inner` (each wildcard replaced by a concrete run): a cover must
            // match it, and a pattern matching it must overlap `inner`.
            let instance: String = inner
                .chars()
                .map(|c| match c {
                    '*' => fill.clone(),
                    '?' => "a".to_owned(),
                    c => c.to_string(),
                })
                .collect();
            if p(&outer).covers(&inner) {
                prop_assert!(p(&outer).matches(&instance), "{outer} covers {inner} but not {instance}");
            }
            if p(&outer).matches(&instance) {
                prop_assert!(p(&outer).overlaps(&inner));
            }
        }
    }
}

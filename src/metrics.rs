//! Counters and histograms an operator scrapes (`/metrics`, Prometheus text format 0.0.4):
//! calls by tool, decision and status; pipeline and AWS latency; refused authentications by
//! reason; policy reloads. Kept in memory per process; rendering is pure.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{Mutex, PoisonError},
    time::Duration,
};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram with fixed buckets (1 ms to 10 s).
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Counts one observation of `seconds`.
    pub fn observe(&mut self, seconds: f64) {
        for (bound, n) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str) {
        for (bound, n) in BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

#[derive(Debug, Default)]
struct State {
    calls: BTreeMap<(String, String, String), u64>,
    pipeline: Histogram,
    aws: Histogram,
    refusals: BTreeMap<String, u64>,
    reloads: BTreeMap<String, u64>,
}

/// The metrics of one awsgate process.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// A gauge read at scrape time: name, help, value.
pub type Gauge<'a> = (&'a str, &'a str, f64);

/// A histogram kept elsewhere (the audit writer's), read at scrape time: name, help, value.
pub type Kept<'a> = (&'a str, &'a str, Histogram);

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A call finished: its tool, decision, status, and the time the whole pipeline took.
    pub fn call(&self, tool: &str, decision: &str, status: &str, took: Duration) {
        self.with(|s| {
            let key = (label(tool), decision.to_owned(), status.to_owned());
            *s.calls.entry(key).or_default() += 1;
            s.pipeline.observe(took.as_secs_f64());
        });
    }

    /// AWS answered (or failed) after `took`.
    pub fn aws(&self, took: Duration) {
        self.with(|s| s.aws.observe(took.as_secs_f64()));
    }

    /// An authentication was refused, for `reason` (the refusal's code).
    pub fn refused(&self, reason: &str) {
        self.with(|s| *s.refusals.entry(label(reason)).or_default() += 1);
    }

    /// A policy file change was applied (`applied`) or refused (`rejected`).
    pub fn reload(&self, result: &str) {
        self.with(|s| *s.reloads.entry(result.to_owned()).or_default() += 1);
    }

    /// Everything, in the Prometheus text format, with `gauges` and `kept` histograms read by
    /// the caller.
    pub fn render(&self, gauges: &[Gauge<'_>], kept: &[Kept<'_>]) -> String {
        let s = self.with(|s| {
            (
                s.calls.clone(),
                s.pipeline.clone(),
                s.aws.clone(),
                s.refusals.clone(),
                s.reloads.clone(),
            )
        });
        let (calls, pipeline, aws, refusals, reloads) = s;
        let mut out = String::new();
        header(
            &mut out,
            "awsgate_calls_total",
            "counter",
            "Tool calls by tool, policy decision and how they ended.",
        );
        for ((tool, decision, status), n) in &calls {
            let _ = writeln!(
                out,
                "awsgate_calls_total{{tool=\"{tool}\",decision=\"{decision}\",status=\"{status}\"}} {n}"
            );
        }
        header(
            &mut out,
            "awsgate_call_duration_seconds",
            "histogram",
            "Time from a call's arrival to its answer, the whole pipeline.",
        );
        pipeline.render(&mut out, "awsgate_call_duration_seconds");
        header(
            &mut out,
            "awsgate_aws_duration_seconds",
            "histogram",
            "Time AWS took to answer the calls that reached it.",
        );
        aws.render(&mut out, "awsgate_aws_duration_seconds");
        header(
            &mut out,
            "awsgate_auth_refusals_total",
            "counter",
            "Refused authentications by reason.",
        );
        for (reason, n) in &refusals {
            let _ = writeln!(
                out,
                "awsgate_auth_refusals_total{{reason=\"{reason}\"}} {n}"
            );
        }
        header(
            &mut out,
            "awsgate_policy_reloads_total",
            "counter",
            "Policy file changes, applied or rejected.",
        );
        for (result, n) in &reloads {
            let _ = writeln!(
                out,
                "awsgate_policy_reloads_total{{result=\"{result}\"}} {n}"
            );
        }
        for (name, help, value) in gauges {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        for (name, help, histogram) in kept {
            header(&mut out, name, "histogram", help);
            histogram.render(&mut out, name);
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value that cannot break the format (quotes, backslashes, newlines), at most 100
/// characters: tool names are the caller's words when the tool is unknown.
fn label(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '_' } else { c })
        .take(100)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_labels_and_timed() {
        let m = Metrics::default();
        m.call("s3_list_buckets", "allow", "ok", Duration::from_millis(3));
        m.call("s3_list_buckets", "allow", "ok", Duration::from_millis(30));
        m.call(
            "s3_delete_object",
            "deny",
            "denied",
            Duration::from_micros(400),
        );
        let mut commits = Histogram::default();
        commits.observe(0.002);
        let kept = [("awsgate_audit_commit_seconds", "Commits.", commits)];
        let text = m.render(&[("awsgate_approvals_pending", "Pending.", 2.0)], &kept);
        assert!(text.contains("awsgate_audit_commit_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains(
            "awsgate_calls_total{tool=\"s3_list_buckets\",decision=\"allow\",status=\"ok\"} 2\n"
        ));
        assert!(text.contains("awsgate_call_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("awsgate_call_duration_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("awsgate_call_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("awsgate_call_duration_seconds_count 3\n"));
        assert!(
            text.contains("# TYPE awsgate_approvals_pending gauge\nawsgate_approvals_pending 2\n")
        );
    }

    #[test]
    fn hostile_tool_names_cannot_break_the_format() {
        let m = Metrics::default();
        m.call("evil\"} 999\nx{", "none", "unknown_tool", Duration::ZERO);
        let text = m.render(&[], &[]);
        let line = text
            .lines()
            .find(|l| l.starts_with("awsgate_calls_total{"))
            .unwrap();
        assert_eq!(
            line,
            "awsgate_calls_total{tool=\"evil_} 999x{\",decision=\"none\",status=\"unknown_tool\"} 1"
        );
    }
}

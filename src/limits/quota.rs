//! `rate = "60/min"` and `budget = "10/day"` as written in `[[limit]]` tables: a count of
//! calls and the period it is spread over (rates) or counted in (budgets).

use std::{fmt, time::Duration};

/// A number of calls per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    /// Calls allowed in one period.
    pub calls: u32,
    /// The period.
    pub period: Period,
}

/// The periods a quota is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// `s`, `sec`, `second`.
    Second,
    /// `min`, `minute`.
    Minute,
    /// `h`, `hour`.
    Hour,
    /// `d`, `day`.
    Day,
}

impl Period {
    /// Its length.
    pub const fn length(self) -> Duration {
        Duration::from_secs(match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3600,
            Period::Day => 86_400,
        })
    }

    const fn name(self) -> &'static str {
        match self {
            Period::Second => "second",
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }
}

impl Quota {
    /// The period's name (`minute`).
    pub const fn period_name(&self) -> &'static str {
        self.period.name()
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.calls == 1 { "" } else { "s" };
        write!(f, "{} call{plural} per {}", self.calls, self.period.name())
    }
}

/// Parses `N/unit` (`60/min`, `10/day`, `5/s`); spaces around either part are allowed.
pub fn parse(text: &str) -> Result<Quota, String> {
    let usage = "write calls per period, e.g. `60/min`, `1000/hour`, `10/day`";
    let Some((count, unit)) = text.split_once('/') else {
        return Err(format!("`{text}` is not a quota: {usage}"));
    };
    let calls: u32 = count
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a whole number of calls: {usage}", count.trim()))?;
    if calls == 0 {
        return Err(format!(
            "a quota of 0 calls refuses every call: write a `deny` rule instead ({usage})"
        ));
    }
    let period = match unit.trim() {
        "s" | "sec" | "second" => Period::Second,
        "m" | "min" | "minute" => Period::Minute,
        "h" | "hr" | "hour" => Period::Hour,
        "d" | "day" => Period::Day,
        other => {
            return Err(format!(
                "unknown period `{other}`: use `s`, `min`, `hour` or `day`"
            ));
        }
    };
    Ok(Quota { calls, period })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_parse_in_the_usual_spellings() {
        let q = |calls, period| Ok(Quota { calls, period });
        assert_eq!(parse("60/min"), q(60, Period::Minute));
        assert_eq!(parse(" 10 / day "), q(10, Period::Day));
        assert_eq!(parse("5/s"), q(5, Period::Second));
        assert_eq!(parse("1000/hour"), q(1000, Period::Hour));
        assert_eq!(parse("1/day").unwrap().to_string(), "1 call per day");
        assert_eq!(parse("60/min").unwrap().to_string(), "60 calls per minute");
    }

    #[test]
    fn bad_quotas_say_how_to_write_one() {
        for (text, says) in [
            ("60", "is not a quota"),
            ("x/min", "whole number"),
            ("-1/min", "whole number"),
            ("0/min", "deny"),
            ("5/week", "unknown period `week`"),
            ("99999999999/min", "whole number"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}

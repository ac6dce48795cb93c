//! Time as awsgate writes it: RFC 3339 in UTC for the database and what people read, seconds
//! since the epoch for comparisons (approval expiry, token claims), and durations written the
//! way admins write them (`15m`).

/// Now, as RFC 3339 in UTC: the form of every timestamp in the audit database.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Seconds since the epoch as RFC 3339 (empty if out of range).
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Now, in seconds since the epoch (approval times, token claims).
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Serializes a duration as an admin writes it (`15m`, `1h 30m`).
pub(crate) mod human_duration {
    /// `15m` for fifteen minutes.
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_utc_and_out_of_range_reads_empty() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_083_200), "2026-12-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "");
    }
}

//! "Did you mean …?": the closest known name to a misspelt one, for every error that names
//! something the user typed (tools, effects, CEL variables, detectors).

/// How similar (Jaro-Winkler, 0 to 1) a known name must be to be suggested.
pub const THRESHOLD: f64 = 0.8;

/// The candidate most similar to `typed`, if any reaches `threshold`.
pub fn closest<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    threshold: f64,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (c, strsim::jaro_winkler(typed, c)))
        .filter(|(_, score)| *score >= threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name_above_the_threshold() {
        assert_eq!(closest("alow", ["allow", "deny"], THRESHOLD), Some("allow"));
        assert_eq!(closest("xyz", ["allow", "deny"], THRESHOLD), None);
        assert_eq!(closest("emial", ["email", "jwt"], THRESHOLD), Some("email"));
    }
}

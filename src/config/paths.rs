//! Where awsgate keeps its state when the user does not say: the XDG state folder.

use std::path::PathBuf;

/// `$XDG_STATE_HOME/awsgate/audit.db`, else `~/.local/state/awsgate/audit.db`; `None` when
/// neither variable gives an absolute path.
pub fn default_db_path(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |v: Option<String>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(state) = absolute(env("XDG_STATE_HOME")) {
        return Some(state.join("awsgate").join("audit.db"));
    }
    absolute(env("HOME")).map(|home| home.join(".local/state/awsgate/audit.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn xdg_state_home_wins() {
        let p = default_db_path(env(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/s/awsgate/audit.db")));
    }

    #[test]
    fn falls_back_to_home_and_ignores_relative_paths() {
        let p = default_db_path(env(&[("XDG_STATE_HOME", "rel"), ("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/h/.local/state/awsgate/audit.db")));
        assert_eq!(default_db_path(env(&[])), None);
    }
}

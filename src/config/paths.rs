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

/// The folder of awsgate's keys (masking key, checkpoint key) and checkpoints: beside a
/// SQLite database; for Postgres, `AWSGATE_STATE_DIR`, else the default state folder (every
/// replica must see the same masking key, so replicas share this folder or a copy of it).
pub fn state_dir(
    db: &crate::store::Location,
    env: impl Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    if let Some(dir) = env("AWSGATE_STATE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    match db.sqlite_path() {
        Some(path) => Some(path.parent().map(PathBuf::from).unwrap_or_default()),
        None => default_db_path(env).and_then(|p| p.parent().map(PathBuf::from)),
    }
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

    #[test]
    fn keys_live_beside_the_file_or_in_the_state_folder() {
        let file: crate::store::Location = "/srv/awsgate/audit.db".parse().unwrap();
        let pg: crate::store::Location = "postgres://a@db/awsgate".parse().unwrap();
        let home = env(&[("HOME", "/h")]);
        assert_eq!(state_dir(&file, &home), Some(PathBuf::from("/srv/awsgate")));
        assert_eq!(
            state_dir(&pg, &home),
            Some(PathBuf::from("/h/.local/state/awsgate"))
        );
        let shared = env(&[("HOME", "/h"), ("AWSGATE_STATE_DIR", "/shared")]);
        assert_eq!(state_dir(&pg, &shared), Some(PathBuf::from("/shared")));
    }
}

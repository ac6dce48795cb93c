//! Where a stdio server finds its caller's token: `AWSGATE_TOKEN`, or `--token-file FILE`,
//! which is re-read whenever it changes so a rotated token works without a restart.

use std::{
    fmt,
    path::PathBuf,
    sync::{Mutex, PoisonError},
    time::SystemTime,
};

use super::AuthError;

/// The token of a stdio session.
pub enum TokenSource {
    /// No token was given (fine in local mode; every call is refused in jwt mode).
    None,
    /// A token fixed for the process (`AWSGATE_TOKEN`).
    Fixed(String),
    /// A file holding the token, re-read when its modification time or size changes.
    File {
        /// The file.
        path: PathBuf,
        /// The last contents read, with the file's (mtime, size) then.
        cache: Mutex<Option<((SystemTime, u64), String)>>,
    },
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token itself.
        match self {
            TokenSource::None => f.write_str("TokenSource::None"),
            TokenSource::Fixed(_) => f.write_str("TokenSource::Fixed(<redacted>)"),
            TokenSource::File { path, .. } => write!(f, "TokenSource::File({})", path.display()),
        }
    }
}

impl TokenSource {
    /// A source reading `path`.
    pub fn file(path: PathBuf) -> Self {
        TokenSource::File {
            path,
            cache: Mutex::new(None),
        }
    }

    /// The token now.
    pub fn current(&self) -> Result<String, AuthError> {
        match self {
            TokenSource::None => Err(AuthError::MissingToken(
                "the policy uses jwt identity: start awsgate with AWSGATE_TOKEN or --token-file"
                    .into(),
            )),
            TokenSource::Fixed(token) => Ok(token.clone()),
            TokenSource::File { path, cache } => {
                let unreadable = |e: std::io::Error| {
                    AuthError::MissingToken(format!("cannot read `{}`: {e}", path.display()))
                };
                let meta = std::fs::metadata(path).map_err(unreadable)?;
                let stamp = (meta.modified().map_err(unreadable)?, meta.len());
                let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some((seen, token)) = cache.as_ref()
                    && *seen == stamp
                {
                    return Ok(token.clone());
                }
                if meta.len() > 64 * 1024 {
                    return Err(AuthError::TooLarge {
                        bytes: usize::try_from(meta.len()).unwrap_or(usize::MAX),
                    });
                }
                let token = std::fs::read_to_string(path)
                    .map_err(unreadable)?
                    .trim()
                    .to_owned();
                if token.is_empty() {
                    return Err(AuthError::MissingToken(format!(
                        "`{}` is empty",
                        path.display()
                    )));
                }
                *cache = Some((stamp, token.clone()));
                Ok(token)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let source = TokenSource::file(path.clone());
        assert_eq!(source.current().unwrap(), "first");
        std::fs::write(&path, "second-token\n").unwrap();
        assert_eq!(source.current().unwrap(), "second-token");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(source.current(), Err(AuthError::MissingToken(_))));
        std::fs::remove_file(&path).unwrap();
        assert!(source.current().is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let text = format!("{:?}", TokenSource::Fixed("eyJsecret".into()));
        assert!(!text.contains("eyJ"));
    }
}

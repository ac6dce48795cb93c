//! Keys awsgate creates once in its state folder (the masking key, the checkpoint signing
//! key): 32 random bytes, stored as hex in an owner-only file.

use std::{io, path::Path};

/// Reads the 32-byte key in `dir/name`, creating it (random, owner-only) the first time.
/// `what` names the key in the error for a file that holds something else.
pub fn load_or_create(dir: &Path, name: &str, what: &str) -> io::Result<[u8; 32]> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("`{}` is not a {what} (64 hex digits)", path.display()),
                )
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
            std::fs::create_dir_all(dir)?;
            write_private(&path, hex::encode(bytes).as_bytes())?;
            Ok(bytes)
        }
        Err(e) => Err(e),
    }
}

/// Writes a new file only its owner can read.
#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Writes a new file; owner-only permissions are a Unix feature.
#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path(), "k.key", "test key").unwrap();
        assert_eq!(
            load_or_create(dir.path(), "k.key", "test key").unwrap(),
            first
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("k.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("bad.key"), "nope").unwrap();
        let err = load_or_create(dir.path(), "bad.key", "test key").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is not a test key (64 hex digits)"),
            "{err}"
        );
    }
}

//! Keys awsgate creates once in its state folder (the masking key, the checkpoint signing
//! key): 32 random bytes, stored as hex in an owner-only file.

use std::{io, path::Path};

/// Reads the 32-byte key in `dir/name`, creating it (random, owner-only) the first time.
/// `what` names the key in errors. A key file readable by group or others is refused: the
/// key is only worth something while nobody else has it.
pub fn load_or_create(dir: &Path, name: &str, what: &str) -> io::Result<[u8; 32]> {
    let path = dir.join(name);
    match read(&path, what) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
            std::fs::create_dir_all(dir)?;
            match publish(dir, &path, hex::encode(bytes).as_bytes()) {
                Ok(()) => Ok(bytes),
                // Another process created it first: use that one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(&path, what),
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}

fn read(path: &Path, what: &str) -> io::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)?;
    check_private(path, what)?;
    hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("`{}` is not a {what} (64 hex digits)", path.display()),
            )
        })
}

#[cfg(unix)]
fn check_private(path: &Path, what: &str) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the {what} `{}` can be read by others (mode {mode:o}): `chmod 600` it, and replace it if it may have leaked",
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &str) -> io::Result<()> {
    Ok(())
}

/// Puts `bytes` at `path` all at once or not at all: written to a private temporary file,
/// synced, then linked into place — which fails with `AlreadyExists` rather than replace a
/// key another process published first — and the folder synced.
fn publish(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let result = (|| {
        let mut f = create_private(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(&temp, path)
    })();
    let _ = std::fs::remove_file(&temp);
    result?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Replaces `dir/name` with `bytes` all at once (temporary file, sync, rename; the usual
/// permissions): for files whose content is public and derived, such as the checkpoint public key, which readers may open while
/// a starting server rewrites them.
pub fn replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
    let temp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, dir.join(name))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A new file only its owner can read.
#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// A new file; owner-only permissions are a Unix feature.
#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(dir.path().join("bad.key"), private).unwrap();
        }
        let err = load_or_create(dir.path(), "bad.key", "test key").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is not a test key (64 hex digits)"),
            "{err}"
        );
    }

    /// Regression (review finding): two processes starting at once could fail, or read a
    /// half-written key.
    #[test]
    fn processes_starting_at_once_all_get_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| load_or_create(dir.path(), "race.key", "test key")))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary files are left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path(), "k.key", "masking key").unwrap();
        let path = dir.path().join("k.key");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(dir.path(), "k.key", "masking key").unwrap_err();
        assert!(
            err.to_string().contains("can be read by others (mode 644)"),
            "{err}"
        );
    }
}

//! Regressions of the hardening review: a log written by an earlier build still verifies.

use crate::support;

/// The chain hashes lengths as `u64` now (it hashed `usize`, which a 32-bit build sizes
/// differently); `tests/fixtures/chain-2026-12-01.db` was written by the build before that
/// change (revocations added and lifted, an export recorded) and must verify unchanged.
#[test]
fn a_log_written_before_lengths_were_hashed_as_u64_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chain-2026-12-01.db");
    std::fs::copy(fixture, &db).unwrap();
    let out = support::awsgate()
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("intact: 4 event(s) verified"), "{said}");
}

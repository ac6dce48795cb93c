//! Link-time settings for the `awsgate` binary: on Linux with glibc, pack its relative
//! relocations (`-z pack-relative-relocs`) when this toolchain can.
//!
//! A position-independent binary lists every pointer the loader must adjust at start; for
//! awsgate that table is ~3 MiB, and the loader reads all of it each time the binary starts —
//! pages that then stay resident for the life of every stdio server. Packed (glibc 2.36's
//! `DT_RELR`), the table is a few dozen KiB; the binary is still position-independent.
//!
//! The flag is used only when a probe program links and runs with it here, so an older linker
//! or C library gets a normal binary instead of a failed build. A binary linked with it needs
//! glibc 2.36 or later where it runs: `AWSGATE_PACK_RELOCS=0` builds one without it, for
//! copying to older systems.

use std::{env, path::PathBuf, process::Command};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AWSGATE_PACK_RELOCS");
    let target = env::var("TARGET").unwrap_or_default();
    let host = env::var("HOST").unwrap_or_default();
    let wanted = env::var("AWSGATE_PACK_RELOCS").map_or(true, |v| v != "0");
    // The probe runs what it links, so it only answers for the machine it runs on.
    if wanted && target == host && target.ends_with("-linux-gnu") && probe() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

const FLAG: &str = "link-arg=-Wl,-z,pack-relative-relocs";

/// Whether a small program with a relocated table links with the flag, with no warning, and
/// runs.
fn probe() -> bool {
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let source = out.join("relr_probe.rs");
    let binary = out.join("relr_probe");
    let program = "static T: [&str; 3] = [\"a\", \"b\", \"c\"];\n\
                   fn main() { std::process::exit(T[std::env::args().count() % 3].len() as i32 - 1) }\n";
    if std::fs::write(&source, program).is_err() {
        return false;
    }
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let linked = Command::new(rustc)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .args(["-C", FLAG])
        .output()
        .is_ok_and(|o| o.status.success() && o.stderr.is_empty());
    linked && Command::new(&binary).status().is_ok_and(|s| s.success())
}

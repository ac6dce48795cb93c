//! Link-time settings for the `awsgate` binary on Linux with glibc: pack its relative
//! relocations (`-z pack-relative-relocs`), and in release builds place the code a session runs
//! together (`link/hot-text.ld`).
//!
//! A position-independent binary lists every pointer the loader must adjust at start; for
//! awsgate that table is ~3 MiB, and the loader reads all of it each time the binary starts —
//! pages that then stay resident for the life of every stdio server. Packed (glibc 2.36's
//! `DT_RELR`), the table is a few dozen KiB; the binary is still position-independent.
//!
//! The kernel maps a binary's code in 64 KiB windows, so the code a server keeps resident is
//! set by how many windows the functions it runs are spread over: 3.5–7 MB of functions over
//! ~14 MiB of windows when they lie where the compiler put them. `link/hot-text.ld`, written by
//! `tools/layout` from a profile of a stdio session, places those functions first.
//!
//! Each setting is used only when a probe program links with it here with no warning and runs,
//! so another linker or C library gets a normal binary instead of a failed build. A binary with
//! packed relocations needs glibc 2.36 or later where it runs: `AWSGATE_PACK_RELOCS=0` builds
//! one without them, for copying to older systems; `AWSGATE_HOT_TEXT=0` leaves the code where
//! the compiler put it.

use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
};

const PACK_RELOCS: &str = "-Wl,-z,pack-relative-relocs";
const HOT_TEXT: &str = "link/hot-text.ld";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={HOT_TEXT}");
    println!("cargo:rerun-if-env-changed=AWSGATE_PACK_RELOCS");
    println!("cargo:rerun-if-env-changed=AWSGATE_HOT_TEXT");
    let target = env::var("TARGET").unwrap_or_default();
    let host = env::var("HOST").unwrap_or_default();
    // The probes run what they link, so they only answer for the machine they run on.
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    if wanted("AWSGATE_PACK_RELOCS") && links_and_runs("relr_probe", PACK_RELOCS) {
        println!("cargo:rustc-link-arg-bins={PACK_RELOCS}");
    }
    // `PROFILE` is `release` for every profile that inherits from it (bench too).
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let manifest = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Some(script) = manifest.map(|dir| dir.join(HOT_TEXT))
        && release
        && wanted("AWSGATE_HOT_TEXT")
        && script.is_file()
    {
        let arg = script_arg(&script);
        if links_and_runs("hot_text_probe", &arg) {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}

/// Whether the setting named by `var` is wanted (it is unless set to `0`).
fn wanted(var: &str) -> bool {
    env::var(var).map_or(true, |v| v != "0")
}

/// The linker argument that adds `script` to the default linker script.
fn script_arg(script: &Path) -> String {
    format!("-Wl,-T,{}", script.display())
}

/// Whether a small program with a relocated table links with `link_arg`, with no warning, and
/// runs.
fn links_and_runs(name: &str, link_arg: &str) -> bool {
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let source = out.join(format!("{name}.rs"));
    let binary = out.join(name);
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
        .args(["-C", &format!("link-arg={link_arg}")])
        .output()
        .is_ok_and(|o| o.status.success() && o.stderr.is_empty());
    linked && Command::new(&binary).status().is_ok_and(|s| s.success())
}

//! Embeds the built web app (`frontend/dist`) with memory-serve. When the directory is
//! missing, an empty asset list is generated so the crate still builds and `/` explains
//! how to build the frontend. `BEDRUD_FRONTEND_DIST` overrides the directory.

use std::path::{Path, PathBuf};

const ASSET_FILE: &str = "memory_serve_assets.rs";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BEDRUD_FRONTEND_DIST");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let frontend = manifest_dir.join("../../frontend");
    let dist = match std::env::var("BEDRUD_FRONTEND_DIST") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => frontend.join("dist"),
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());

    let code = if dist.join("index.html").is_file() {
        println!("cargo::rerun-if-changed={}", dist.display());
        let dist = dist.canonicalize().unwrap_or(dist);
        let label = dist.to_string_lossy().into_owned();
        let assets = memory_serve::assets_to_code(&label, &dist, &out_dir, true, |_| {});
        format!("&[(\"default\", {assets})]")
    } else {
        // Watch the frontend folder (it exists in the repository) so a later
        // `npm run build` re-runs this script; a missing path would re-run it every build.
        if frontend.is_dir() {
            println!("cargo::rerun-if-changed={}", frontend.display());
        }
        "&[]".to_owned()
    };
    write_if_changed(&out_dir.join(ASSET_FILE), &code);
}

/// Leaves the file (and its mtime) alone when the content is unchanged.
fn write_if_changed(path: &Path, code: &str) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(code) {
        return;
    }
    if let Err(e) = std::fs::write(path, code) {
        panic!("cannot write {}: {e}", path.display());
    }
}

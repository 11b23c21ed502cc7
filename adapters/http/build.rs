//! Embeds the built web app (`frontend/dist`) with memory-serve.
//!
//! When `frontend/dist` is missing or older than the app's sources, the web app is built
//! first with npm (`npm ci` when `node_modules` is missing or stale, then `npm run build`),
//! so a fresh-machine `cargo build --release` ships the app. `BEDRUD_SKIP_WEB_BUILD=1` skips
//! that step; when npm is absent and no dist exists the build fails with a clear message.
//! With no dist at all (skipped), an empty asset list is generated so the crate still builds
//! and `/` explains how to build the frontend. `BEDRUD_FRONTEND_DIST` overrides the directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const ASSET_FILE: &str = "memory_serve_assets.rs";

/// The files and folders whose changes require a new web build.
const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "svelte.config.js",
    "tsconfig.json",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BEDRUD_FRONTEND_DIST");
    println!("cargo::rerun-if-env-changed=BEDRUD_SKIP_WEB_BUILD");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let frontend = manifest_dir.join("../../frontend");
    let custom_dist = std::env::var("BEDRUD_FRONTEND_DIST")
        .ok()
        .filter(|d| !d.is_empty());
    let dist = match &custom_dist {
        Some(dir) => PathBuf::from(dir),
        None => frontend.join("dist"),
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());

    for source in SOURCES {
        let path = frontend.join(source);
        if path.exists() {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
    let skip = std::env::var("BEDRUD_SKIP_WEB_BUILD").is_ok_and(|v| v == "1");
    if !skip && custom_dist.is_none() && frontend.join("package.json").is_file() {
        build_web_app(&frontend, &dist);
    }

    let code = if dist.join("index.html").is_file() {
        println!("cargo::rerun-if-changed={}", dist.display());
        let dist = dist.canonicalize().unwrap_or(dist);
        let label = dist.to_string_lossy().into_owned();
        let assets = memory_serve::assets_to_code(&label, &dist, &out_dir, true, |_| {});
        format!("&[(\"default\", {assets})]")
    } else {
        "&[]".to_owned()
    };
    write_if_changed(&out_dir.join(ASSET_FILE), &code);
}

/// The newest modification time below `path`.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let mut best = meta.modified().ok();
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            best = best.max(newest(&entry.path()));
        }
    }
    best
}

fn build_web_app(frontend: &Path, dist: &Path) {
    let built = std::fs::metadata(dist.join("index.html"))
        .and_then(|m| m.modified())
        .ok();
    let sources = SOURCES
        .iter()
        .filter_map(|s| newest(&frontend.join(s)))
        .max();
    if built.is_some() && built >= sources {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        if built.is_some() {
            println!("cargo::warning=npm not found: embedding the existing (older) frontend/dist");
            return;
        }
        panic!(
            "the web app is not built and npm was not found. Install Node.js 20+ with npm \
             (the build then runs `npm ci && npm run build` in frontend/), or build without \
             the web app with BEDRUD_SKIP_WEB_BUILD=1"
        );
    }
    let lock = frontend.join("package-lock.json");
    let installed = frontend.join("node_modules/.package-lock.json");
    let stale_modules = match (newest(&lock), newest(&installed)) {
        (Some(lock), Some(installed)) => lock > installed,
        _ => true,
    };
    if stale_modules {
        run(npm, &["ci", "--no-audit", "--no-fund"], frontend);
    }
    run(npm, &["run", "build"], frontend);
}

fn run(program: &str, args: &[&str], dir: &Path) {
    let status = Command::new(program).args(args).current_dir(dir).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`{program} {}` in {} failed ({s}); fix the web app or set BEDRUD_SKIP_WEB_BUILD=1",
            args.join(" "),
            dir.display()
        ),
        Err(e) => panic!("cannot run `{program}`: {e}"),
    }
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

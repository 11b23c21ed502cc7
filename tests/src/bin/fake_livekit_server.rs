//! A stand-in for the `livekit-server` binary in tests: reads the same `livekit.yaml`
//! (`--config FILE`, `--config-body YAML`, or `LIVEKIT_CONFIG` with the YAML itself), serves the fake RoomService
//! and control endpoints on its `port`, and exits on SIGTERM/SIGINT or `POST /_fake/crash`.
//! `FAKE_LIVEKIT_START_DELAY_MS` delays listening (a slow start, for supervisor tests).
//! Unlike LiveKit, it also exits when its parent dies, so that a test that fails
//! half-way never leaves it running.
#![forbid(unsafe_code)]

use anyhow::Context;
use bedrud_tests::fake_livekit::{FakeConfig, FakeLivekit};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = read_config()?;
    exit_with_parent();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let delay = std::env::var("FAKE_LIVEKIT_START_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if delay > 0 {
        println!("fake LiveKit server: starting in {delay} ms");
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(delay)) => {}
            _ = term.recv() => {
                println!("fake LiveKit server stopping before it started");
                return Ok(());
            }
        }
    }
    let server = FakeLivekit::start_with(config).await?;
    // LiveKit-like start-up line, for supervisors that watch the output.
    println!(
        "starting LiveKit server (fake) portHttp={} addr={}",
        server.addr().port(),
        server.addr()
    );
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    println!("fake LiveKit server stopping");
    server.stop();
    Ok(())
}

/// Exits as soon as the process that started us is gone (we were re-parented).
fn exit_with_parent() {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if std::os::unix::process::parent_id() != parent {
                std::process::exit(0);
            }
        }
    });
}

fn read_config() -> anyhow::Result<FakeConfig> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--config-body" {
            return FakeConfig::from_livekit_yaml(
                &args.next().context("--config-body needs YAML")?,
            );
        }
        let path = if arg == "--config" {
            args.next().context("--config needs a file")?
        } else if let Some(path) = arg.strip_prefix("--config=") {
            path.to_string()
        } else {
            continue;
        };
        let text = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
        return FakeConfig::from_livekit_yaml(&text);
    }
    if let Ok(text) = std::env::var("LIVEKIT_CONFIG") {
        return FakeConfig::from_livekit_yaml(&text);
    }
    anyhow::bail!("usage: fake-livekit-server --config livekit.yaml")
}

//! A stand-in for the `livekit-server` binary in tests: reads the same `livekit.yaml`
//! (`--config FILE`, `--config-body YAML`, or `LIVEKIT_CONFIG` with the YAML itself), serves the fake RoomService
//! and control endpoints on its `port`, and exits on SIGTERM/SIGINT or `POST /_fake/crash`.
#![forbid(unsafe_code)]

use anyhow::Context;
use bedrud_tests::fake_livekit::{FakeConfig, FakeLivekit};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = read_config()?;
    let server = FakeLivekit::start_with(config).await?;
    // LiveKit-like start-up line, for supervisors that watch the output.
    println!(
        "starting LiveKit server (fake) portHttp={} addr={}",
        server.addr().port(),
        server.addr()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    println!("fake LiveKit server stopping");
    server.stop();
    Ok(())
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

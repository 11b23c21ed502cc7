//! How a fake LiveKit is set up: in code, or from a LiveKit `livekit.yaml`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;

/// Address, keys and webhook targets of a fake LiveKit.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Where to listen (`127.0.0.1:0` by default).
    pub bind: SocketAddr,
    /// API key → secret.
    pub keys: BTreeMap<String, String>,
    /// The key that signs webhooks (default: the first key).
    pub webhook_api_key: Option<String>,
    /// Where webhooks go.
    pub webhook_urls: Vec<String>,
    /// `POST /_fake/crash` exits the process (standalone server only).
    pub exit_on_crash: bool,
}

impl FakeConfig {
    /// One key pair on `127.0.0.1:0`, no webhooks.
    pub fn new(api_key: &str, api_secret: &str) -> Self {
        FakeConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            keys: BTreeMap::from([(api_key.to_string(), api_secret.to_string())]),
            webhook_api_key: None,
            webhook_urls: Vec::new(),
            exit_on_crash: false,
        }
    }

    /// Sends webhooks to `url`.
    pub fn webhook_url(mut self, url: &str) -> Self {
        self.webhook_urls.push(url.to_string());
        self
    }

    /// Reads the parts of a `livekit.yaml` the fake understands: `port`, `bind_addresses`
    /// (first one), `keys`, `webhook.api_key`, `webhook.urls`.
    pub fn from_livekit_yaml(text: &str) -> anyhow::Result<Self> {
        let yaml: LivekitYaml = serde_yaml::from_str(text).context("parse livekit.yaml")?;
        let ip: IpAddr = match yaml.bind_addresses.first() {
            Some(a) if !a.is_empty() => a.parse().with_context(|| format!("bind address {a}"))?,
            _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        if yaml.keys.is_empty() {
            anyhow::bail!("livekit.yaml has no keys");
        }
        let keys = yaml
            .keys
            .into_iter()
            .map(|(k, v)| (yaml_text(k), yaml_text(v)))
            .collect::<BTreeMap<_, _>>();
        let webhook = yaml.webhook.unwrap_or_default();
        Ok(FakeConfig {
            bind: SocketAddr::new(ip, yaml.port.unwrap_or(7880)),
            keys,
            webhook_api_key: webhook.api_key.filter(|k| !k.is_empty()),
            webhook_urls: webhook.urls,
            exit_on_crash: true,
        })
    }
}

/// YAML scalars as text (a key such as `12345` parses as a number).
fn yaml_text(v: serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct LivekitYaml {
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    bind_addresses: Vec<String>,
    #[serde(default)]
    keys: serde_yaml::Mapping,
    #[serde(default)]
    webhook: Option<WebhookYaml>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct WebhookYaml {
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rendered_livekit_yaml() {
        let text = "port: 7999\nbind_addresses:\n  - 127.0.0.1\nrtc:\n  tcp_port: 7881\nkeys:\n  APIabc: s3cret\n  12345: other\nwebhook:\n  api_key: APIabc\n  urls:\n    - http://127.0.0.1:8090/api/livekit/webhook\nlogging:\n  level: info\n";
        let c = FakeConfig::from_livekit_yaml(text).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:7999");
        assert_eq!(c.keys.get("APIabc").map(String::as_str), Some("s3cret"));
        assert_eq!(c.keys.get("12345").map(String::as_str), Some("other"));
        assert_eq!(c.webhook_api_key.as_deref(), Some("APIabc"));
        assert_eq!(
            c.webhook_urls,
            vec!["http://127.0.0.1:8090/api/livekit/webhook"]
        );
    }

    #[test]
    fn keys_are_required() {
        assert!(FakeConfig::from_livekit_yaml("port: 7880\n").is_err());
    }
}

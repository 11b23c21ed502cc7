//! The livekit.yaml Bedrud renders for its embedded LiveKit (API §6.3, §7 `[livekit]`).

use std::fmt;

/// What goes into a rendered livekit.yaml.
#[derive(Clone, PartialEq, Eq)]
pub struct LivekitYamlConfig {
    /// Signalling / HTTP API port (`livekit.port`).
    pub port: u16,
    /// Addresses the signalling port binds to; empty = LiveKit's default (every interface).
    pub bind_addresses: Vec<String>,
    /// ICE over TCP (`livekit.rtc_tcp_port`).
    pub rtc_tcp_port: u16,
    /// First UDP port for media (`livekit.rtc_port_range_start`).
    pub rtc_port_range_start: u16,
    /// Last UDP port for media (`livekit.rtc_port_range_end`).
    pub rtc_port_range_end: u16,
    /// The public IP LiveKit advertises (`livekit.node_ip`); empty = LiveKit picks one.
    pub node_ip: String,
    /// API key (`livekit.api_key`, generated when empty).
    pub api_key: String,
    /// API secret (`livekit.api_secret`, generated when empty).
    pub api_secret: String,
    /// Where LiveKit posts webhooks: see [`webhook_url`].
    pub webhook_url: String,
    /// LiveKit's embedded TURN server, when configured.
    pub turn: Option<TurnConfig>,
    /// LiveKit's own log level (`debug`, `info`, `warn`, `error`).
    pub log_level: String,
}

/// LiveKit's embedded TURN server (`turn:` in livekit.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnConfig {
    /// The TURN domain (must match the certificate).
    pub domain: String,
    /// TURN/TLS port; 0 = not rendered.
    pub tls_port: u16,
    /// TURN/UDP port; 0 = not rendered.
    pub udp_port: u16,
    /// Certificate for TURN/TLS; empty = not rendered.
    pub cert_file: String,
    /// Key for TURN/TLS; empty = not rendered.
    pub key_file: String,
    /// TLS is terminated by a load balancer in front of LiveKit.
    pub external_tls: bool,
}

impl fmt::Debug for LivekitYamlConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LivekitYamlConfig")
            .field("port", &self.port)
            .field("bind_addresses", &self.bind_addresses)
            .field("rtc_tcp_port", &self.rtc_tcp_port)
            .field("rtc_port_range_start", &self.rtc_port_range_start)
            .field("rtc_port_range_end", &self.rtc_port_range_end)
            .field("node_ip", &self.node_ip)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("webhook_url", &self.webhook_url)
            .field("turn", &self.turn)
            .field("log_level", &self.log_level)
            .finish()
    }
}

/// The webhook URL of an embedded LiveKit (API §6.3): bedrud's own listener on loopback,
/// `server.port` without TLS, `server.loopback_port` with TLS.
pub fn webhook_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/api/livekit/webhook")
}

/// A YAML double-quoted scalar (JSON strings are valid YAML double-quoted scalars).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Renders the livekit.yaml for `config`. Contains the API secret: write it with mode 0600.
pub fn render_livekit_yaml(config: &LivekitYamlConfig) -> String {
    let mut y = String::new();
    y.push_str(
        "# Rendered by bedrud from its [livekit] settings; set livekit.config_path to use\n",
    );
    y.push_str("# your own file instead. Contains the API secret: keep it private.\n");
    y.push_str(&format!("port: {}\n", config.port));
    let binds: Vec<&str> = config
        .bind_addresses
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    if !binds.is_empty() {
        y.push_str("bind_addresses:\n");
        for addr in binds {
            y.push_str(&format!("  - {}\n", quote(addr)));
        }
    }
    y.push_str("rtc:\n");
    y.push_str(&format!("  tcp_port: {}\n", config.rtc_tcp_port));
    y.push_str(&format!(
        "  port_range_start: {}\n",
        config.rtc_port_range_start
    ));
    y.push_str(&format!(
        "  port_range_end: {}\n",
        config.rtc_port_range_end
    ));
    if !config.node_ip.trim().is_empty() {
        y.push_str(&format!("  node_ip: {}\n", quote(config.node_ip.trim())));
    }
    y.push_str("keys:\n");
    y.push_str(&format!(
        "  {}: {}\n",
        quote(&config.api_key),
        quote(&config.api_secret)
    ));
    y.push_str("webhook:\n");
    y.push_str(&format!("  api_key: {}\n", quote(&config.api_key)));
    y.push_str("  urls:\n");
    y.push_str(&format!("    - {}\n", quote(&config.webhook_url)));
    if let Some(turn) = &config.turn {
        y.push_str("turn:\n");
        y.push_str("  enabled: true\n");
        y.push_str(&format!("  domain: {}\n", quote(&turn.domain)));
        if turn.tls_port > 0 {
            y.push_str(&format!("  tls_port: {}\n", turn.tls_port));
        }
        if turn.udp_port > 0 {
            y.push_str(&format!("  udp_port: {}\n", turn.udp_port));
        }
        if !turn.cert_file.is_empty() {
            y.push_str(&format!("  cert_file: {}\n", quote(&turn.cert_file)));
        }
        if !turn.key_file.is_empty() {
            y.push_str(&format!("  key_file: {}\n", quote(&turn.key_file)));
        }
        y.push_str(&format!("  external_tls: {}\n", turn.external_tls));
    }
    let level = match config.log_level.trim() {
        "" => "info",
        other => other,
    };
    y.push_str("logging:\n");
    y.push_str(&format!("  level: {}\n", quote(level)));
    y
}

/// The top-level `port:` of a livekit.yaml (e.g. a user-supplied one), if it has one.
pub fn yaml_port(text: &str) -> Option<u16> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("port:")?;
        let value = rest.split('#').next()?.trim().trim_matches(['"', '\'']);
        value.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LivekitYamlConfig {
        LivekitYamlConfig {
            port: 7880,
            bind_addresses: vec!["127.0.0.1".into()],
            rtc_tcp_port: 7881,
            rtc_port_range_start: 50000,
            rtc_port_range_end: 60000,
            node_ip: String::new(),
            api_key: "APIkey123".into(),
            api_secret: "a \"quoted\": secret # not a comment".into(),
            webhook_url: webhook_url(8090),
            turn: None,
            log_level: String::new(),
        }
    }

    fn parse(text: &str) -> serde_yaml::Value {
        serde_yaml::from_str(text).expect("valid YAML")
    }

    #[test]
    fn renders_ports_keys_and_the_webhook() {
        let y = parse(&render_livekit_yaml(&sample()));
        assert_eq!(y["port"], 7880);
        assert_eq!(y["bind_addresses"][0], "127.0.0.1");
        assert_eq!(y["rtc"]["tcp_port"], 7881);
        assert_eq!(y["rtc"]["port_range_start"], 50000);
        assert_eq!(y["rtc"]["port_range_end"], 60000);
        assert!(y["rtc"].get("node_ip").is_none());
        assert_eq!(
            y["keys"]["APIkey123"],
            "a \"quoted\": secret # not a comment"
        );
        assert_eq!(y["webhook"]["api_key"], "APIkey123");
        assert_eq!(
            y["webhook"]["urls"][0],
            "http://127.0.0.1:8090/api/livekit/webhook"
        );
        assert_eq!(y["logging"]["level"], "info");
        assert!(y.get("turn").is_none());
    }

    #[test]
    fn renders_node_ip_turn_and_no_binds_when_asked() {
        let config = LivekitYamlConfig {
            bind_addresses: vec![" ".into()],
            node_ip: "203.0.113.7".into(),
            turn: Some(TurnConfig {
                domain: "turn.example.com".into(),
                tls_port: 5349,
                udp_port: 3478,
                cert_file: "/etc/cert.pem".into(),
                key_file: String::new(),
                external_tls: false,
            }),
            log_level: "debug".into(),
            ..sample()
        };
        let y = parse(&render_livekit_yaml(&config));
        assert!(y.get("bind_addresses").is_none());
        assert_eq!(y["rtc"]["node_ip"], "203.0.113.7");
        assert_eq!(y["turn"]["enabled"], true);
        assert_eq!(y["turn"]["domain"], "turn.example.com");
        assert_eq!(y["turn"]["tls_port"], 5349);
        assert_eq!(y["turn"]["udp_port"], 3478);
        assert_eq!(y["turn"]["cert_file"], "/etc/cert.pem");
        assert!(y["turn"].get("key_file").is_none());
        assert_eq!(y["logging"]["level"], "debug");
    }

    #[test]
    fn debug_hides_the_secret() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("quoted"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn reads_the_top_level_port() {
        assert_eq!(yaml_port(&render_livekit_yaml(&sample())), Some(7880));
        assert_eq!(
            yaml_port("rtc:\n  port: 1\nport: \"7999\" # signalling\n"),
            Some(7999)
        );
        assert_eq!(yaml_port("keys:\n  a: b\n"), None);
    }
}

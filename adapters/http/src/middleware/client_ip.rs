//! Client IP resolution (API §2.9): the socket peer, or — when the peer is a trusted
//! proxy — the right-most untrusted address of the configured forwarding header.

use std::net::IpAddr;

/// One trusted network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(raw: &str) -> Result<Network, String> {
        let raw = raw.trim();
        let invalid = || format!("invalid trusted proxy {raw:?}: expected an IP or a CIDR");
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| invalid())?,
            None => max,
        };
        if prefix > max {
            return Err(invalid());
        }
        Ok(Network { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The parsed `server.trusted_proxies` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses IPs and CIDRs (`10.0.0.0/8`, `::1`, `fd00::/8`); blank entries are skipped.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| Network::parse(e))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` belongs to a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client address: `peer`, unless `peer` is trusted, in which case the right-most
    /// address of `forwarded` (the header values, in order) that is not trusted. When
    /// every forwarded address is trusted the left-most one is the client; when none
    /// parses, the peer.
    pub fn resolve<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let peer = peer.map(|p| p.to_canonical());
        match peer {
            Some(p) if self.contains(p) => {}
            other => return other,
        }
        let chain: Vec<IpAddr> = forwarded
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(parse_forwarded_addr)
            .collect();
        chain
            .iter()
            .rev()
            .find(|ip| !self.contains(**ip))
            .or_else(|| chain.first())
            .copied()
            .or(peer)
    }
}

/// One entry of a forwarding header: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`.
fn parse_forwarded_addr(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = raw.strip_prefix('[') {
        let (inner, _) = rest.split_once(']')?;
        return inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = raw.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("valid list")
    }

    #[test]
    fn parses_ips_and_cidrs() {
        let t = trusted(&["10.0.0.0/8", "192.168.1.1", "fd00::/8", "::1", " "]);
        assert!(t.contains(ip("10.200.3.4")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("192.168.1.1")));
        assert!(!t.contains(ip("192.168.1.2")));
        assert!(t.contains(ip("fd12::1")));
        assert!(t.contains(ip("::1")));
        assert!(
            t.contains(ip("::ffff:10.1.1.1")),
            "mapped v4 is canonicalised"
        );
        assert!(trusted(&["0.0.0.0/0"]).contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nope", "1.2.3.4/x", "::/129"] {
            assert!(TrustedProxies::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let t = trusted(&["10.0.0.1"]);
        assert_eq!(
            t.resolve(Some(ip("203.0.113.9")), ["1.1.1.1"]),
            Some(ip("203.0.113.9"))
        );
        let none = TrustedProxies::default();
        assert_eq!(
            none.resolve(Some(ip("203.0.113.9")), ["1.1.1.1"]),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn trusted_peer_gives_the_rightmost_untrusted_address() {
        let t = trusted(&["10.0.0.0/8"]);
        // The client forged 6.6.6.6; the first proxy appended the real 198.51.100.7.
        assert_eq!(
            t.resolve(Some(ip("10.0.0.2")), ["6.6.6.6, 198.51.100.7", "10.0.0.5"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            t.resolve(Some(ip("10.0.0.2")), ["[2001:db8::1]:443, 10.1.1.1:8080"]),
            Some(ip("2001:db8::1"))
        );
    }

    #[test]
    fn trusted_peer_edge_cases() {
        let t = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            t.resolve(Some(ip("10.0.0.2")), ["10.0.0.9, 10.0.0.8"]),
            Some(ip("10.0.0.9")),
            "all trusted: the left-most"
        );
        assert_eq!(
            t.resolve(Some(ip("10.0.0.2")), ["garbage"]),
            Some(ip("10.0.0.2")),
            "nothing parses: the peer"
        );
        assert_eq!(t.resolve(Some(ip("10.0.0.2")), []), Some(ip("10.0.0.2")));
        assert_eq!(t.resolve(None, ["1.2.3.4"]), None, "no peer, no trust");
    }
}

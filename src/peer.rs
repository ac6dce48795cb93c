//! How clients are counted when limits apply to "one client": by IPv4 address, or by the
//! /64 of an IPv6 address (one host usually holds a whole /64, so counting single IPv6
//! addresses would bound nothing). Shared by the HTTP connection caps and the limit on
//! recorded authentication refusals.

use std::net::{IpAddr, SocketAddr};

/// The key a client is counted under: its IPv4 address, or the /64 of its IPv6 address (one
/// host usually holds a whole /64, so per-address counting would not bound it).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = s.get(..4).unwrap_or_default();
                format!(
                    "{}::/64",
                    prefix
                        .iter()
                        .map(|x| format!("{x:x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                )
            }
        },
    }
}

/// The client key of a peer written as `address:port` (or a bare address); text that is
/// neither is its own key.
pub fn peer_key(remote: &str) -> String {
    if let Ok(addr) = remote.parse::<SocketAddr>() {
        return client_key(addr.ip());
    }
    if let Ok(ip) = remote.parse::<IpAddr>() {
        return client_key(ip);
    }
    remote.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.7");
        assert_eq!(client_key("10.0.0.7".parse().unwrap()), "10.0.0.7");
    }

    #[test]
    fn peers_are_keyed_without_their_port() {
        assert_eq!(peer_key("10.0.0.9:5000"), "10.0.0.9");
        assert_eq!(peer_key("[2001:db8:1:2::7]:443"), "2001:db8:1:2::/64");
        assert_eq!(peer_key("2001:db8:1:2::8"), "2001:db8:1:2::/64");
        assert_eq!(peer_key("somewhere"), "somewhere");
    }
}

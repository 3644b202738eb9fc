//! Keys for client addresses.

use std::net::IpAddr;

/// The limit key of a client address. An IPv6 client usually holds a whole /64, so
/// its key is that prefix: otherwise one client could mint a fresh key, and a fresh
/// budget, per request.
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v6_clients_are_keyed_by_their_64_prefix() {
        let a = address_key("2001:db8:1:2:aaaa::1".parse().ok());
        let b = address_key("2001:db8:1:2:bbbb::9".parse().ok());
        assert_eq!(a, b);
        assert_eq!(a, "ip:2001:db8:1:2::/64");
        assert_ne!(a, address_key("2001:db8:1:3::1".parse().ok()));
        assert_eq!(address_key("::ffff:10.0.0.1".parse().ok()), "ip:10.0.0.1");
        assert_eq!(address_key("10.0.0.1".parse().ok()), "ip:10.0.0.1");
    }
}

//! Keys for client addresses.

use std::net::IpAddr;

/// The block of addresses one client is counted by. An IPv6 client usually holds a
/// whole /64, so it is that prefix: otherwise one client could mint a fresh key,
/// and a fresh budget, per request. IPv4-mapped addresses count as IPv4.
pub fn client_block(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
        v4 => v4,
    }
}

/// The limit key of a client address: its [`client_block`].
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip.map(client_block) {
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => format!("ip:{v6}/64"),
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
        assert_eq!(address_key("2001:db8::1".parse().ok()), "ip:2001:db8::/64");
        assert_ne!(a, address_key("2001:db8:1:3::1".parse().ok()));
        assert_eq!(address_key("::ffff:10.0.0.1".parse().ok()), "ip:10.0.0.1");
        assert_eq!(address_key("10.0.0.1".parse().ok()), "ip:10.0.0.1");
    }
}

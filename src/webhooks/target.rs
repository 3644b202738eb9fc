//! Where a webhook may deliver. A URL is http(s) with a host and no credentials;
//! unless `webhooks.allow_private_targets`, every address its host resolves to must
//! be public: not loopback, private, link-local (cloud metadata included), CGNAT,
//! multicast, reserved, unspecified, nor any of these inside IPv6 (mapped,
//! compatible, NAT64, 6to4). The URL is parsed as browsers do (WHATWG), so `127.1`,
//! `2130706433` and `0x7f.0.0.1` are the loopback address they are. The check runs
//! at creation and again at each delivery, inside the resolver the HTTP client
//! connects through: the address checked is the address connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use url::{Host, Url};

/// Longest webhook URL, in bytes.
pub const URL_MAX: usize = 2048;

/// A webhook URL, parsed and normalised; the reason when it cannot be one.
pub fn parse(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > URL_MAX {
        return Err(format!("longer than {URL_MAX} bytes"));
    }
    let url = Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; use the webhook's secret".into());
    }
    if url.host().is_none() {
        return Err("must name a host".into());
    }
    Ok(url)
}

/// The addresses a URL's host stands for, each checked. Blocking (DNS).
pub fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => (name, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {name}: {e}"))?
            .collect(),
        None => return Err("must name a host".into()),
    };
    if addresses.is_empty() {
        return Err("the host has no address".into());
    }
    check(&addresses, allow_private)?;
    Ok(addresses)
}

/// Refuses the lot if any address is not public (a host with one internal address
/// among public ones could be steered to it).
pub fn check(addresses: &[SocketAddr], allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    match addresses.iter().find(|a| !is_public(a.ip())) {
        Some(a) => Err(format!(
            "resolves to {}, an internal address (loopback, private, link-local or reserved)",
            a.ip()
        )),
        None => Ok(()),
    }
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let internal = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast: unknown relays
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !internal
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96) carry an
    // IPv4 address in their last 32 bits; 6to4 (2002::/16) in bits 16..48.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765).
    if s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0 {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    let internal = ip.is_loopback()
        || ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] & 0xfff0) == 0x3ff0 // documentation (3fff::/20)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64: who knows where
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to anywhere
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]); // discard-only
    !internal
}

/// The HTTP client's resolver: resolves as usual, then refuses internal addresses
/// (unless allowed), so a name cannot resolve to a public address at the check and
/// an internal one at the connection.
#[derive(Debug)]
pub struct CheckedResolver {
    pub allow_private: bool,
}

impl ureq::unversioned::resolver::Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let resolved = ureq::unversioned::resolver::DefaultResolver::default()
            .resolve(uri, config, timeout)?;
        check(&resolved, self.allow_private).map_err(|why| ureq::Error::Other(why.into()))?;
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> bool {
        match parse(raw) {
            Err(_) => true,
            Ok(url) => resolve(&url, false).is_err(),
        }
    }

    #[test]
    fn every_spelling_of_an_internal_address_is_refused() {
        for raw in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://0x7f000001/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://0/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:0:127.0.0.1]/",
            "http://[::ffff:0:a9fe:a9fe]/",
            "http://[64:ff9b:1::7f00:1]/",
            "http://[64:ff9b:1::808:808]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[2001::1]/",
            "http://192.88.99.1/",
            "http://[2001:2::1]/",
            "http://[3fff::1]/",
        ] {
            assert!(refused(raw), "{raw} was allowed");
        }
    }

    #[test]
    fn what_is_not_a_web_url_is_refused() {
        for raw in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://x/",
            "http://user:pass@93.184.215.14/",
            "not a url",
            "http://",
        ] {
            assert!(parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "1.1.1.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let url = parse("https://93.184.215.14:8443/hook").unwrap();
        assert_eq!(resolve(&url, false).unwrap()[0].port(), 8443);
        // Allowed on purpose (tests, a private network).
        let url = parse("http://127.0.0.1:9/").unwrap();
        assert!(resolve(&url, true).is_ok());
    }
}

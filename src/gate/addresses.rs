//! Connections open per client address, so that one client cannot take every slot.
//!
//! An entry exists only while its address has a connection open, so the map never
//! holds more entries than the connection cap. IPv6 clients count by /64, the block
//! one client usually holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct PerAddress {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection counted against its address; uncounted when dropped.
pub struct Counted {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    pub fn new(max: usize) -> PerAddress {
        PerAddress {
            max: max.max(1),
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts a new connection from `ip`, unless its address is at the limit.
    pub fn admit(&self, ip: IpAddr) -> Option<Counted> {
        let key = crate::limiter::client_block(ip);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Counted {
            key,
            open: self.open.clone(),
        })
    }

    /// Addresses with a connection open.
    pub fn addresses(&self) -> usize {
        self.open.lock().map(|o| o.len()).unwrap_or(0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_address_and_forgets_closed_ones() {
        let limit = PerAddress::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let first = limit.admit(a).unwrap();
        let _second = limit.admit(a).unwrap();
        assert!(limit.admit(a).is_none(), "a third from one address waits");
        assert!(limit.admit("10.0.0.2".parse().unwrap()).is_some());
        drop(first);
        assert!(
            limit.admit(a).is_some(),
            "a closed connection frees its place"
        );
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::2:3".parse().unwrap();
        let _x = limit.admit(v6a).unwrap();
        let _y = limit.admit(v6b).unwrap();
        assert!(limit.admit(v6a).is_none(), "one /64 is one address");
    }

    #[test]
    fn the_map_holds_only_open_addresses() {
        let limit = PerAddress::new(1);
        let held: Vec<_> = (0..100u8)
            .map(|i| limit.admit(IpAddr::from([10, 0, 0, i])).unwrap())
            .collect();
        assert_eq!(limit.addresses(), 100);
        drop(held);
        assert_eq!(limit.addresses(), 0);
    }
}

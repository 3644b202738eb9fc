//! The real client address of each request that came through the gate.
//!
//! Rocket sees every gated connection coming from loopback; the gate records which
//! of its upstream sockets (by local port) carries which client, and this fairing
//! puts the client's address back on the request before anything reads it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{uri::Origin, Method};
use rocket::request::{FromRequest, Outcome};
use rocket::{Data, Request};

use crate::error::ApiError;

/// Upstream local port → client address. One entry per open gated connection, so
/// its size is bounded by the connection cap.
#[derive(Clone, Default)]
pub struct Peers(Arc<Mutex<HashMap<u16, SocketAddr>>>);

impl Peers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u16, SocketAddr>> {
        // Plain map of addresses: usable even if a holder panicked.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert(&self, upstream_port: u16, client: SocketAddr) {
        self.lock().insert(upstream_port, client);
    }

    /// Forgets `upstream_port` if it still maps to `client`: once a connection's
    /// sockets are closed its port may already serve a newer connection, whose
    /// entry must stay.
    pub fn remove(&self, upstream_port: u16, client: SocketAddr) {
        let mut map = self.lock();
        if map.get(&upstream_port) == Some(&client) {
            map.remove(&upstream_port);
        }
    }

    pub fn get(&self, upstream_port: u16) -> Option<SocketAddr> {
        self.lock().get(&upstream_port).copied()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub const UNGATED_PATH: &str = "/__veza/ungated";

/// Restores each gated request's client address; a request that reached Rocket's
/// internal port without the gate is answered 403.
pub struct PeerAddress(pub Peers);

struct Ungated;

#[rocket::async_trait]
impl Fairing for PeerAddress {
    fn info(&self) -> Info {
        Info {
            name: "client address from the gate",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let Some(remote) = req.remote() else { return };
        match self.0.get(remote.port()) {
            Some(client) if remote.ip().is_loopback() => req.set_remote(client),
            _ => {
                req.local_cache(|| Some(Ungated));
                req.set_method(Method::Get);
                req.set_uri(Origin::const_new(UNGATED_PATH, None));
            }
        }
    }
}

/// Guard of the internal 403 route: only requests the fairing rerouted pass.
pub struct WasUngated;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for WasUngated {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.local_cache(|| None::<Ungated>) {
            Some(_) => Outcome::Success(WasUngated),
            None => Outcome::Forward(rocket::http::Status::NotFound),
        }
    }
}

#[rocket::get("/__veza/ungated")]
pub fn ungated(_guard: WasUngated) -> ApiError {
    ApiError::PermissionDenied("connect through Veza's public address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_connection_does_not_remove_its_ports_next_owner() {
        let peers = Peers::default();
        let (first, second): (SocketAddr, SocketAddr) = (
            "10.0.0.1:5000".parse().unwrap(),
            "10.0.0.2:6000".parse().unwrap(),
        );
        peers.insert(40000, first);
        // The port is reused by a new connection before the first one cleans up.
        peers.insert(40000, second);
        peers.remove(40000, first);
        assert_eq!(peers.get(40000), Some(second));
        peers.remove(40000, second);
        assert!(peers.is_empty());
    }
}

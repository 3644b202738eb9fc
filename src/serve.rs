//! Serving on a socket: Rocket on an internal loopback port, behind the
//! connection gate on the public address (see [`crate::gate`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::gate::{peers::Peers, Gate, GateLimits};
use crate::{Config, StartError};

/// Serves `config` until shutdown (SIGTERM, SIGINT): binds the public address,
/// starts Rocket on loopback, and runs the gate between them.
pub async fn serve(mut config: Config) -> Result<(), StartError> {
    let public = SocketAddr::new(config.address, config.port);
    // Bound before the data directory is touched: a port in use leaves nothing behind.
    let listener = TcpListener::bind(public).await.map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "; another program uses this port (choose another with `port` or VEZA_PORT)"
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "; this machine has no such address (check `address` or VEZA_ADDRESS)"
            }
            std::io::ErrorKind::PermissionDenied => {
                "; ports below 1024 need privileges (use a port above 1023 behind a proxy)"
            }
            _ => "",
        };
        StartError(format!("cannot listen on {public}: {e}{hint}"))
    })?;
    let data_dir = config.data_dir.clone();
    let limits = gate_limits(&config);
    // Links and the node's name use the public socket, not Rocket's internal one.
    config.public_url = Some(config.public_base());
    config.node.id = Some(config.node_id());
    config.address = std::net::Ipv4Addr::LOCALHOST.into();
    config.port = 0;

    let peers = Peers::default();
    let (port_tx, port_rx) = oneshot::channel();
    let port_tx = std::sync::Mutex::new(Some(port_tx));
    let rocket = crate::build(config, Some(peers.clone()))?
        .attach(AdHoc::on_liftoff("internal port", move |rocket| {
            Box::pin(async move {
                if let Some(tx) = port_tx.lock().ok().and_then(|mut tx| tx.take()) {
                    let _ = tx.send(rocket.config().port);
                }
            })
        }))
        .ignite()
        .await
        .map_err(|e| StartError(format!("cannot start: {e}")))?;

    let routes: Vec<_> = rocket
        .routes()
        .map(|r| (r.method, r.uri.path().to_string()))
        .collect();
    let allowed = Arc::new(move |path: &str| {
        crate::http::catchers::methods_on(routes.iter().map(|(m, p)| (*m, p.as_str())), path)
    });
    let (gate, note) = Gate::new(limits, peers, allowed);
    if let Some(note) = note {
        log::warn!("{note}");
    }
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());
    let Ok(port) = port_rx.await else {
        return match server.await {
            Ok(Err(e)) => Err(StartError(format!("the server stopped: {e}"))),
            _ => Err(StartError("the server stopped before starting".into())),
        };
    };
    let upstream = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
    log::info!(
        "veza {} listening on http://{public}, data in {} (at most {} connections)",
        env!("CARGO_PKG_VERSION"),
        data_dir.display(),
        gate.max_connections()
    );
    Arc::new(gate).run(listener, upstream, shutdown).await;
    match server.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(StartError(format!("the server stopped: {e}"))),
        Err(e) => Err(StartError(format!("the server failed: {e}"))),
    }
}

fn gate_limits(config: &Config) -> GateLimits {
    let secs = Duration::from_secs;
    GateLimits {
        max_connections: config.limits.max_connections,
        max_per_address: config.limits.max_connections_per_address,
        head_timeout: secs(config.limits.head_timeout_secs),
        keep_alive: secs(config.limits.keep_alive_secs),
        body_stall: secs(config.limits.body_stall_secs),
        body_min_rate: config.limits.body_min_bytes_per_sec,
        bodies: crate::gate::framing::BodyLimits {
            multipart: config.limits.upload_max_bytes + crate::http::upload::FORM_OVERHEAD,
            multipart_named: config.limits.upload_max_bytes,
            other: config.limits.json_max_bytes,
        },
        write_stall: secs(config.limits.body_stall_secs),
        tunnel_idle: secs(config.limits.tunnel_idle_secs),
        node: config.node_id().into(),
    }
}

//! The connection gate: Veza's own accept loop in front of Rocket.
//!
//! Rocket 0.5 reads request heads with no timeout and accepts connections without
//! a cap, so a crowd of clients that send half a head and then nothing would hold
//! the process's file descriptors forever. The gate owns the public socket:
//! - at most `max_connections` are open at once, and `max_per_address` from one
//!   client address; the rest get 503 and are closed;
//! - a head must be complete within `head_timeout` of its first byte (or of the
//!   connection's start), a body may not stall for `body_stall`, and a connection
//!   idle between requests closes after `keep_alive`;
//! - an upstream connection to Rocket (on an internal loopback port) is opened
//!   only once a first complete head has arrived, so a stalled client costs one
//!   descriptor, not three;
//! - unknown methods, heads over 64 KiB and malformed framing are answered in the
//!   error envelope here.
//!
//! Bytes pass through unchanged; the gate only follows the request framing
//! ([`framing`]) to know which timeout applies.

pub mod addresses;
pub mod framing;
pub mod peers;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::{timeout, Instant};

use crate::error::ApiError;
use framing::{Phase, Refusal, RequestFraming};

use peers::Peers;

/// Descriptors kept free for the database, uploads and the listener itself.
const RESERVED_DESCRIPTORS: u64 = 64;
/// Descriptors one gated connection may use: the client's, and both ends of the
/// loopback connection to Rocket.
const DESCRIPTORS_PER_CONNECTION: u64 = 3;
/// How often a connection with no deadline looks at its state again.
const RECHECK: Duration = Duration::from_secs(1);
const BUFFER_BYTES: usize = 16 * 1024;
/// A connection refused before its request body was read is closed gracefully:
/// the answer is written, the sending side shut, and what the client still sends
/// is read and dropped for at most this long and this many bytes. Closing with
/// unread input would reset the connection, and the client's stack would throw
/// away the answer it had not read yet (nginx's lingering close does the same).
const LINGER_TIME: Duration = Duration::from_secs(5);
/// Without a byte for this long, a lingering client is done.
const LINGER_QUIET: Duration = Duration::from_secs(2);
const LINGER_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct GateLimits {
    pub max_connections: usize,
    pub max_per_address: usize,
    pub head_timeout: Duration,
    pub keep_alive: Duration,
    pub body_stall: Duration,
    /// After `body_stall` of grace, a body must keep arriving at this average rate
    /// (bytes a second), so a trickle of a byte every few seconds cannot hold a
    /// connection for ever.
    pub body_min_rate: u64,
    /// Bodies larger than these are refused before `100 Continue`.
    pub bodies: framing::BodyLimits,
    /// A client that does not read what it is sent for this long is dropped.
    pub write_stall: Duration,
    /// An upgraded (WebSocket) connection with no traffic either way for this long
    /// is closed.
    pub tunnel_idle: Duration,
    /// The node's name, in `X-Veza-Node` on the gate's own answers too.
    pub node: Arc<str>,
}

/// The methods allowed on a path, for the `Allow` header of a 405.
pub type AllowedMethods = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

pub struct Gate {
    limits: GateLimits,
    peers: Peers,
    allowed: AllowedMethods,
    slots: Arc<Semaphore>,
    per_address: addresses::PerAddress,
}

impl Gate {
    /// A gate whose connection cap also fits under the process's descriptor limit,
    /// raised to its hard limit first. Returns the gate and, when the cap had to be
    /// lowered, a line saying so.
    pub fn new(
        mut limits: GateLimits,
        peers: Peers,
        allowed: AllowedMethods,
    ) -> (Gate, Option<String>) {
        let mut note = None;
        if let Ok(descriptors) = rlimit::increase_nofile_limit(u64::MAX) {
            let fits =
                descriptors.saturating_sub(RESERVED_DESCRIPTORS) / DESCRIPTORS_PER_CONNECTION;
            let fits = (fits as usize).max(1);
            if fits < limits.max_connections {
                note = Some(format!(
                    "limits.max_connections lowered from {} to {fits} to fit the limit of \
                     {descriptors} open files",
                    limits.max_connections
                ));
                limits.max_connections = fits;
            }
        }
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let per_address = addresses::PerAddress::new(limits.max_per_address);
        let gate = Gate {
            limits,
            peers,
            allowed,
            slots,
            per_address,
        };
        (gate, note)
    }

    pub fn max_connections(&self) -> usize {
        self.limits.max_connections
    }

    /// Accepts connections until `stop` resolves, forwarding each to `upstream`.
    pub async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        upstream: SocketAddr,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                biased;
                _ = &mut stop => return,
                accepted = listener.accept() => accepted,
            };
            let (client, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: wait a
                    // little instead of spinning on the error.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let Some(counted) = self.per_address.admit(peer.ip()) else {
                refuse_now(
                    client,
                    &ApiError::Unavailable("too many connections from your address"),
                    &self.limits.node,
                );
                continue;
            };
            let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                refuse_now(
                    client,
                    &ApiError::Unavailable("too many connections"),
                    &self.limits.node,
                );
                continue;
            };
            let gate = self.clone();
            tokio::spawn(async move {
                let _ = client.set_nodelay(true);
                gate.connection(client, peer, upstream).await;
                drop((permit, counted));
            });
        }
    }

    async fn connection(&self, client: TcpStream, peer: SocketAddr, upstream: SocketAddr) {
        let (mut client_rd, mut client_wr) = client.into_split();
        let mut framing = RequestFraming::with_limits(self.limits.bodies);
        // Bytes of the first request(s), forwarded once the upstream is open, and
        // bytes read beyond an upgrade request, which wait for the server's answer.
        let mut pending = Vec::new();
        let mut leftover = Vec::new();
        let started = Instant::now();
        let mut completed = 0;
        // Until a first head is complete there is no upstream connection.
        while completed == 0 && matches!(framing.phase(), Phase::Idle | Phase::Head) {
            let read = timeout_at(
                started + self.limits.head_timeout,
                read_chunk(&mut client_rd),
            );
            let buf = match read.await {
                Some(Ok(buf)) if buf.is_empty() => return,
                Some(Err(_)) => return,
                Some(Ok(buf)) => buf,
                None => {
                    if framing.phase() == Phase::Head {
                        self.answer(&mut client_wr, ApiError::RequestTimeout).await;
                        linger(&mut client_rd).await;
                    }
                    return;
                }
            };
            match framing.feed(&buf) {
                Ok(fed) => {
                    completed += fed.completed;
                    pending.extend_from_slice(&buf[..fed.consumed]);
                    leftover.extend_from_slice(&buf[fed.consumed..]);
                }
                Err(refusal) => {
                    self.refuse(&mut client_wr, refusal).await;
                    linger(&mut client_rd).await;
                    return;
                }
            }
        }
        let Ok(upstream) = TcpStream::connect(upstream).await else {
            self.answer(
                &mut client_wr,
                ApiError::Unavailable("the server is stopping"),
            )
            .await;
            return;
        };
        let _ = upstream.set_nodelay(true);
        let port = upstream.local_addr().map(|a| a.port()).unwrap_or(0);
        self.peers.insert(port, peer);
        let (upstream_rd, mut upstream_wr) = upstream.into_split();
        let forwarded = write_within(&mut upstream_wr, &pending, self.limits.write_stall).await;
        drop(pending); // not held for the connection's life
        if forwarded {
            let shared = Shared::new(framing, completed > 0);
            self.relay(
                client_rd,
                client_wr,
                upstream_rd,
                upstream_wr,
                &shared,
                leftover,
            )
            .await;
        }
        self.peers.remove(port, peer);
    }

    async fn relay(
        &self,
        mut client_rd: OwnedReadHalf,
        mut client_wr: OwnedWriteHalf,
        upstream_rd: OwnedReadHalf,
        upstream_wr: OwnedWriteHalf,
        shared: &Shared,
        leftover: Vec<u8>,
    ) {
        let mut refused = None;
        let unfinished = {
            let to_server = self.client_to_server(&mut client_rd, upstream_wr, shared, leftover);
            let to_client = self.server_to_client(upstream_rd, &mut client_wr, shared);
            tokio::pin!(to_server, to_client);
            tokio::select! {
                end = &mut to_server => match end {
                    ClientEnd::Closed | ClientEnd::ServerStopped => {
                        // Let the answer in flight reach the client: it half-closed,
                        // or the server stopped taking its body after answering.
                        let _ = timeout(self.limits.write_stall, &mut to_client).await;
                        matches!(end, ClientEnd::ServerStopped)
                    }
                    ClientEnd::Gone => false,
                    ClientEnd::Refused(refusal) => {
                        // Answered here only when no answer of Rocket's is due,
                        // so the two cannot interleave.
                        refused = shared.answer_settled().then_some(refusal);
                        refused.is_some()
                    }
                },
                // The server closed: a request it did not read to the end (an early
                // refusal) still has bytes coming from the client.
                _ = &mut to_client => !matches!(shared.phase(), Phase::Idle | Phase::Tunnel),
            }
        };
        if let Some(refusal) = refused {
            self.refuse(&mut client_wr, refusal).await;
        }
        if unfinished {
            let _ = client_wr.shutdown().await;
            linger(&mut client_rd).await;
        }
    }

    /// Forwards the client's bytes, applying the timeout of its phase, until the
    /// client or the server stops.
    async fn client_to_server(
        &self,
        client_rd: &mut OwnedReadHalf,
        mut upstream_wr: OwnedWriteHalf,
        shared: &Shared,
        mut held: Vec<u8>,
    ) -> ClientEnd {
        loop {
            if shared.phase() == Phase::UpgradeWait {
                if timeout(self.limits.write_stall, shared.answered.notified())
                    .await
                    .is_err()
                {
                    return ClientEnd::Gone;
                }
                continue;
            }
            let buf = if !held.is_empty() {
                let n = held.len().min(BUFFER_BYTES);
                held.drain(..n).collect::<Vec<u8>>()
            } else {
                let deadline = shared.deadline(&self.limits);
                let wait = deadline.unwrap_or_else(|| Instant::now() + RECHECK);
                match timeout_at(wait, read_chunk(client_rd)).await {
                    Some(Ok(buf)) if buf.is_empty() => {
                        let _ = upstream_wr.shutdown().await;
                        return ClientEnd::Closed;
                    }
                    Some(Ok(buf)) => buf,
                    Some(Err(_)) => return ClientEnd::Gone,
                    None if deadline.is_some() => return ClientEnd::Gone,
                    None => continue,
                }
            };
            let fed = match shared.feed(&buf) {
                Ok(fed) => fed,
                Err(refusal) => return ClientEnd::Refused(refusal),
            };
            held.splice(0..0, buf[fed.consumed..].iter().copied());
            if !write_within(
                &mut upstream_wr,
                &buf[..fed.consumed],
                self.limits.write_stall,
            )
            .await
            {
                return ClientEnd::ServerStopped;
            }
        }
    }

    /// Forwards Rocket's answers; a client that stops reading is dropped.
    async fn server_to_client(
        &self,
        mut upstream_rd: OwnedReadHalf,
        client_wr: &mut OwnedWriteHalf,
        shared: &Shared,
    ) {
        loop {
            let buf = match read_chunk(&mut upstream_rd).await {
                Ok(buf) if buf.is_empty() => return,
                Err(_) => return,
                Ok(buf) => buf,
            };
            shared.answer_started(&buf);
            let written = write_within(client_wr, &buf, self.limits.write_stall).await;
            shared.answer_written();
            if !written {
                return;
            }
        }
    }

    async fn refuse(&self, client: &mut OwnedWriteHalf, refusal: Refusal) {
        let error = match refusal {
            Refusal::HeadTooLarge => ApiError::HeadTooLarge,
            Refusal::Malformed(why) => ApiError::MalformedRequest(why),
            Refusal::UnknownMethod { path } => ApiError::MethodNotAllowed {
                allow: (self.allowed)(path.split('?').next().unwrap_or("/")),
            },
            Refusal::BodyTooLarge { limit } => ApiError::PayloadTooLarge { limit_bytes: limit },
        };
        self.answer(client, error).await;
    }

    /// Writes `error` as a complete response and closes.
    async fn answer(&self, client: &mut OwnedWriteHalf, error: ApiError) {
        let response = error_response(&error, &self.limits.node);
        let _ = write_within(client, response.as_bytes(), Duration::from_secs(1)).await;
        let _ = client.shutdown().await;
    }
}

/// How the client's direction of a relay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ClientEnd {
    /// The client closed its sending side cleanly.
    Closed,
    /// The server stopped taking the client's bytes (it answered early and closed).
    ServerStopped,
    /// The client broke the connection or missed a deadline.
    Gone,
    /// The client's next request cannot be forwarded.
    Refused(Refusal),
}

/// Reads and drops what the client still sends, within [`LINGER_TIME`] and
/// [`LINGER_BYTES`], until it closes or stays quiet for [`LINGER_QUIET`]; see
/// [`LINGER_TIME`] for why.
async fn linger(client_rd: &mut OwnedReadHalf) {
    let until = Instant::now() + LINGER_TIME;
    let mut drained = 0u64;
    while drained < LINGER_BYTES {
        let quiet = (Instant::now() + LINGER_QUIET).min(until);
        match timeout_at(quiet, read_chunk(client_rd)).await {
            Some(Ok(buf)) if !buf.is_empty() => drained += buf.len() as u64,
            _ => return,
        }
    }
}

/// The state both directions of a gated connection look at.
struct Shared {
    state: Mutex<State>,
    /// Signalled when the server answered an upgrade request.
    answered: Notify,
}

struct State {
    framing: RequestFraming,
    /// A request was forwarded and no byte of an answer has come back since.
    awaiting_answer: bool,
    /// An answer is being written to the client right now.
    writing: bool,
    /// The last byte either way.
    last_activity: Instant,
    /// When the head being read began.
    head_started: Instant,
    /// When the body being read began, and how much of it has come.
    body_started: Instant,
    body_bytes: u64,
}

impl Shared {
    fn new(framing: RequestFraming, awaiting_answer: bool) -> Shared {
        let now = Instant::now();
        Shared {
            state: Mutex::new(State {
                framing,
                awaiting_answer,
                writing: false,
                last_activity: now,
                head_started: now,
                body_started: now,
                body_bytes: 0,
            }),
            answered: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn phase(&self) -> Phase {
        self.lock().framing.phase()
    }

    fn feed(&self, bytes: &[u8]) -> Result<framing::Fed, Refusal> {
        let mut state = self.lock();
        let now = Instant::now();
        let was = state.framing.phase();
        let fed = state.framing.feed(bytes)?;
        if was == Phase::Idle && state.framing.phase() != Phase::Idle || fed.completed > 0 {
            state.head_started = now;
        }
        if fed.completed > 0 {
            state.awaiting_answer = true;
        }
        if state.framing.phase() == Phase::Body {
            if was != Phase::Body || fed.completed > 0 {
                state.body_started = now;
                state.body_bytes = 0;
            } else {
                state.body_bytes += fed.consumed as u64;
            }
        }
        state.last_activity = now;
        Ok(fed)
    }

    fn answer_started(&self, bytes: &[u8]) {
        let mut state = self.lock();
        if state.framing.phase() == Phase::UpgradeWait {
            let switched = bytes.starts_with(b"HTTP/1.1 101");
            state.framing.upgrade_answered(switched);
            self.answered.notify_one();
        }
        state.awaiting_answer = false;
        state.writing = true;
        state.last_activity = Instant::now();
    }

    /// No answer of the server's is due or being written.
    fn answer_settled(&self) -> bool {
        let state = self.lock();
        !state.awaiting_answer && !state.writing
    }

    fn answer_written(&self) {
        let mut state = self.lock();
        state.writing = false;
        state.last_activity = Instant::now();
    }

    /// When the client must have sent its next bytes by, if there is such a time.
    fn deadline(&self, limits: &GateLimits) -> Option<Instant> {
        let state = self.lock();
        match state.framing.phase() {
            Phase::Idle if state.awaiting_answer || state.writing => None,
            Phase::Idle => Some(state.last_activity + limits.keep_alive),
            Phase::Head => Some(state.head_started + limits.head_timeout),
            Phase::Body => {
                // A stall cuts the body off; so does a rate too low on average once
                // the grace of `body_stall` is spent.
                let earned = Duration::from_secs(state.body_bytes / limits.body_min_rate.max(1));
                let stalled = state.last_activity + limits.body_stall;
                Some(stalled.min(state.body_started + limits.body_stall + earned))
            }
            Phase::UpgradeWait => None,
            Phase::Tunnel if state.writing => None,
            Phase::Tunnel => Some(state.last_activity + limits.tunnel_idle),
        }
    }
}

/// The next bytes a socket has (empty at its end). The buffer is taken only once
/// bytes are there and freed after use: an idle connection (a quiet WebSocket)
/// holds no buffer while it waits.
async fn read_chunk(rd: &mut OwnedReadHalf) -> std::io::Result<Vec<u8>> {
    loop {
        rd.readable().await?;
        let mut buf = Vec::with_capacity(BUFFER_BYTES);
        match rd.try_read_buf(&mut buf) {
            Ok(_) => return Ok(buf),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

async fn timeout_at<F: std::future::Future>(deadline: Instant, f: F) -> Option<F::Output> {
    tokio::time::timeout_at(deadline, f).await.ok()
}

/// Writes all of `bytes` unless the peer stops taking them for `stall`.
async fn write_within(w: &mut OwnedWriteHalf, bytes: &[u8], stall: Duration) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        match timeout(stall, w.write(&bytes[at..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return false,
            Ok(Ok(n)) => at += n,
        }
    }
    true
}

/// Answers `error` with one non-blocking write and closes: used when the server is
/// at its connection cap, where waiting on a client is what must not happen. The
/// write goes straight to the socket: tokio's `try_write` on a socket just accepted
/// answers "would block" until the reactor has seen it writable, which under load
/// it may not have yet, and the client would get a bare close instead of the 503.
fn refuse_now(client: TcpStream, error: &ApiError, node: &str) {
    use std::io::{Read, Write};
    if let Ok(mut socket) = client.into_std() {
        let _ = socket.write(error_response(error, node).as_bytes());
        // Take what the client sent already (its request head), so the close is a
        // FIN after the answer rather than a reset that may discard it.
        let _ = socket.read(&mut [0u8; 8192]);
        let _ = socket.shutdown(std::net::Shutdown::Write);
    }
}

/// A complete HTTP/1.1 response carrying `error` in the envelope, from `node`.
pub fn error_response(error: &ApiError, node: &str) -> String {
    let request_id = crate::http::request_id::RequestId::fresh();
    let body = error.envelope(&request_id);
    let status = error.status();
    let mut extra = String::new();
    if let ApiError::MethodNotAllowed { allow } = error {
        extra = format!("Allow: {}\r\n", allow.join(", "));
    }
    format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-Request-Id: {request_id}\r\nX-Content-Type-Options: nosniff\r\n\
         X-Veza-Node: {node}\r\nCache-Control: no-store\r\nConnection: close\r\n{extra}\r\n{body}",
        status.code,
        status.reason_lossy(),
        body.len()
    )
}

//! One client's WebSocket: the `ready` frame, then the frames the hub queues for
//! it, the client's own frames (`ping`, `typing`, `presence.visible`, `auth`), and the rules that keep a
//! client from costing more than its share:
//! - a frame over 64 KiB closes the connection with 1009;
//! - more frames than [`FLOOD_BURST`] at once (refilled at [`FLOOD_RATE`] a second)
//!   close it with 1008;
//! - a client that lets its queue fill up (it is not reading) is closed with 1008
//!   and forgotten; a write that cannot complete within [`WRITE_STALL`] ends it;
//! - the server pings every [`PING_EVERY`]; a client silent for [`SILENT_FOR`]
//!   (no frame, no pong) is gone;
//! - shutdown closes every connection with 1001, so clients reconnect elsewhere;
//! - the end of the session that opened it closes it with [`SESSION_ENDED`], and
//!   the expiry of its access token with [`TOKEN_EXPIRED`], unless the client sent
//!   a fresher token of the same session in an `auth` frame.

use std::sync::Arc;
use std::time::Duration;

use rocket::futures::{SinkExt, StreamExt};
use rocket_ws::frame::{CloseCode, CloseFrame};
use rocket_ws::result::Error as WsError;
use rocket_ws::stream::DuplexStream;
use rocket_ws::Message;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::auth::jwt::JwtKeys;
use crate::db::Db;
use crate::domain::Actor;
use crate::event::Event;
use crate::realtime::{presence, Hub};
use crate::store::messages::Container;

/// The largest frame or message a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames a client may send at once...
const FLOOD_BURST: f64 = 40.0;
/// ...and a second, sustained.
const FLOOD_RATE: f64 = 10.0;
/// Typing notices relayed per connection a second (the rest are dropped quietly).
const TYPING_EVERY: Duration = Duration::from_millis(500);
pub const PING_EVERY: Duration = Duration::from_secs(30);
const SILENT_FOR: Duration = Duration::from_secs(75);
const WRITE_STALL: Duration = Duration::from_secs(5);
/// Frames waiting in a connection's queue are written together, up to this many
/// bytes per write: under load a listener costs one write for many frames.
const WRITE_BATCH_BYTES: usize = 16 * 1024;
/// Frames taken from the queue for one write at most.
const WRITE_BATCH_FRAMES: usize = 64;
/// How long a connection whose input is broken stays open after its close frame.
const LINGER: Duration = Duration::from_millis(500);
/// How long a closing connection waits for the client's own close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// Close code: the session that opened the connection has ended (logout, password
/// change, deactivation, a reused refresh token). Sign in again.
pub const SESSION_ENDED: u16 = 4001;
/// Close code: the access token expired and no fresher one came in an `auth` frame.
/// Refresh the token and reconnect.
pub const TOKEN_EXPIRED: u16 = 4002;
/// Close code: the user holds too many connections already.
pub const TOO_MANY_CONNECTIONS: u16 = 4008;

/// The socket settings: frames capped, writes not buffered beyond a bound.
pub fn config() -> rocket_ws::Config {
    rocket_ws::Config {
        max_message_size: Some(MAX_FRAME_BYTES),
        max_frame_size: Some(MAX_FRAME_BYTES),
        // Frames queued together go out in one write (see `write_frames`).
        write_buffer_size: WRITE_BATCH_BYTES,
        max_write_buffer_size: 1024 * 1024,
        ..rocket_ws::Config::default()
    }
}

/// What a connection needs, owned (it outlives the request).
pub struct Context {
    pub db: Db,
    pub journal: crate::journal::Journal,
    pub hub: Arc<Hub>,
    pub jwt: Arc<JwtKeys>,
    pub actor: Actor,
    pub username: String,
    /// The session that opened the connection, and when its access token expires
    /// (Unix seconds).
    pub session_id: i64,
    pub token_expires: u64,
    pub shutdown: rocket::Shutdown,
}

/// Why a connection ends, and the close frame it gets.
enum End {
    Quietly,
    Close(CloseCode, &'static str),
}

/// Serves one connection until it ends.
pub async fn serve(stream: DuplexStream, cx: Context) {
    let user_id = cx.actor.id;
    let Ok(registration) = cx.hub.connect(user_id, cx.session_id) else {
        let (mut sink, _) = stream.split();
        let close = close_message(
            CloseCode::Library(TOO_MANY_CONNECTIONS),
            "too many open connections",
        );
        let _ = tokio::time::timeout(WRITE_STALL, sink.send(close)).await;
        return;
    };
    let id = registration.id;
    // Before `ready`: every change committed after this write reaches the
    // connection live, every earlier one is in what the client reads next.
    let end = match presence::connected(&cx.journal, &cx.hub, user_id).await {
        Ok(()) => run(stream, &cx, registration).await,
        Err(e) => {
            log::warn!("real-time connection of user {user_id} not set up: {e:?}");
            let (mut sink, _) = stream.split();
            let close = close_message(CloseCode::Again, "try again");
            let _ = tokio::time::timeout(WRITE_STALL, sink.send(close)).await;
            End::Quietly
        }
    };
    if cx.hub.disconnect(user_id, id) {
        presence::disconnected(&cx.journal, &cx.hub, user_id).await;
    }
    if let End::Close(code, _) = end {
        log::debug!("real-time connection of user {user_id} closed: {code}");
    }
}

async fn run(
    stream: DuplexStream,
    cx: &Context,
    mut registration: crate::realtime::hub::Registration,
) -> End {
    let (mut sink, mut incoming) = stream.split();
    // Read after registering: a session ended before this read is seen here, one
    // ended after it rings `ended`.
    let ready = match ready_frame(cx).await {
        Ready::Frame(frame) => frame,
        Ready::SessionEnded => {
            let close = close_message(CloseCode::Library(SESSION_ENDED), "the session has ended");
            let _ = tokio::time::timeout(WRITE_STALL, sink.send(close)).await;
            return End::Quietly;
        }
        Ready::Failed => return End::Quietly,
    };
    if sink.send(Message::Text(ready)).await.is_err() {
        return End::Quietly;
    }
    let shutdown = cx.shutdown.clone();
    tokio::pin!(shutdown);
    let mut allowance = FLOOD_BURST;
    let mut refilled = Instant::now();
    let mut last_heard = Instant::now();
    let mut last_typing: Option<Instant> = None;
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    // One timer for the connection's life, moved when an `auth` frame renews it
    // (not a new one for every frame that wakes the loop).
    let expiry = tokio::time::sleep_until(instant_of(cx.token_expires));
    tokio::pin!(expiry);
    let end = loop {
        tokio::select! {
            _ = &mut shutdown => break End::Close(CloseCode::Away, "the server is going away"),
            _ = registration.ended.notified() => {
                break End::Close(CloseCode::Library(SESSION_ENDED), "the session has ended");
            }
            _ = &mut expiry => {
                break End::Close(CloseCode::Library(TOKEN_EXPIRED), "the access token has expired");
            }
            _ = registration.overflowed.notified() => {
                break End::Close(CloseCode::Policy, "frames are not being read");
            }
            frame = registration.frames.recv() => {
                let Some(frame) = frame else { break End::Quietly };
                if !write_frames(&mut sink, frame, &mut registration.frames).await {
                    break End::Quietly;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENT_FOR {
                    break End::Quietly;
                }
                if !write(&mut sink, Message::Ping(Vec::new())).await {
                    break End::Quietly;
                }
            }
            message = incoming.next() => {
                last_heard = Instant::now();
                let now = Instant::now();
                allowance = (allowance + now.duration_since(refilled).as_secs_f64() * FLOOD_RATE).min(FLOOD_BURST);
                refilled = now;
                allowance -= 1.0;
                if allowance < 0.0 {
                    break End::Close(CloseCode::Policy, "too many frames");
                }
                let text = match message {
                    None | Some(Ok(Message::Close(_))) => break End::Quietly,
                    Some(Err(WsError::Capacity(_))) => {
                        break End::Close(CloseCode::Size, "frames are limited to 64 KiB");
                    }
                    Some(Err(_)) => break End::Quietly,
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        let error = error_frame("binary frames are not understood; send JSON text");
                        if !write(&mut sink, Message::Text(error)).await {
                            break End::Quietly;
                        }
                        continue;
                    }
                };
                let answer = match handle(cx, registration.id, &text, &mut last_typing).await {
                    Handled::Answer(answer) => Some(answer),
                    Handled::Renewed { expires, answer } => {
                        expiry.as_mut().reset(instant_of(expires));
                        Some(answer)
                    }
                    Handled::Quiet => None,
                };
                if let Some(answer) = answer {
                    if !write(&mut sink, Message::Text(answer)).await {
                        break End::Quietly;
                    }
                }
            }
        }
    };
    if let End::Close(code, reason) = &end {
        let close = close_message(*code, reason);
        if matches!(
            tokio::time::timeout(WRITE_STALL, sink.send(close)).await,
            Ok(Ok(()))
        ) {
            // The closing handshake: read (and drop) what the client still sends
            // until its close frame. Closing a socket with unread input would reset
            // the connection and lose the close frame on its way.
            let started = Instant::now();
            let answered = tokio::time::timeout(CLOSE_WAIT, async {
                while let Some(Ok(message)) = incoming.next().await {
                    if matches!(message, Message::Close(_)) {
                        return true;
                    }
                }
                false
            })
            .await;
            if !matches!(answered, Ok(true)) {
                // The stream is broken (an oversize frame): give the client a
                // moment to read the close frame before the socket goes.
                tokio::time::sleep(LINGER.saturating_sub(started.elapsed())).await;
            }
        }
    }
    end
}

fn close_message(code: CloseCode, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

/// The tokio instant of a Unix time in seconds.
fn instant_of(unix_secs: u64) -> Instant {
    let left = unix_secs.saturating_sub(crate::time::unix_now());
    Instant::now() + Duration::from_secs(left)
}

/// Writes one message; false when the client is gone or not reading.
async fn write<S>(sink: &mut S, message: Message) -> bool
where
    S: rocket::futures::Sink<Message> + Unpin,
{
    matches!(
        tokio::time::timeout(WRITE_STALL, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// Writes `first` and the frames queued behind it (a bounded batch) with one
/// flush; false when the client is gone or not reading.
async fn write_frames<S>(
    sink: &mut S,
    first: crate::realtime::hub::Frame,
    queue: &mut tokio::sync::mpsc::Receiver<crate::realtime::hub::Frame>,
) -> bool
where
    S: rocket::futures::Sink<Message> + Unpin,
{
    let batch = async {
        sink.feed(Message::Text(first.to_string())).await?;
        for _ in 1..WRITE_BATCH_FRAMES {
            match queue.try_recv() {
                Ok(frame) => sink.feed(Message::Text(frame.to_string())).await?,
                Err(_) => break,
            }
        }
        sink.flush().await
    };
    matches!(tokio::time::timeout(WRITE_STALL, batch).await, Ok(Ok(())))
}

enum Ready {
    Frame(String),
    SessionEnded,
    Failed,
}

/// The `ready` frame, if the session is still live.
async fn ready_frame(cx: &Context) -> Ready {
    let (user_id, session_id) = (cx.actor.id, cx.session_id);
    let found = cx
        .db
        .read(move |c| {
            if crate::store::sessions::live_session_user(c, session_id, user_id)?.is_none() {
                return Ok(None);
            }
            crate::store::users::require(c, user_id).map(Some)
        })
        .await;
    match found {
        Ok(Some(user)) => {
            let user = user.visible_to(user_id, false);
            Ready::Frame(json!({"type": "ready", "data": {"user": user}}).to_string())
        }
        Ok(None) => Ready::SessionEnded,
        Err(_) => Ready::Failed,
    }
}

/// What a client frame calls for.
enum Handled {
    Answer(String),
    /// A fresher access token of the same session: the connection lives until it
    /// expires.
    Renewed {
        expires: u64,
        answer: String,
    },
    Quiet,
}

fn error_frame(message: &str) -> String {
    json!({"type": "error", "data": {"message": message}}).to_string()
}

/// Answers one client frame: `ping` → `pong`; `typing` relayed to the others of
/// the room or conversation; `presence.visible` recorded (a user reading is not
/// pushed); `auth` renews the connection's token; anything else an `error` frame.
async fn handle(
    cx: &Context,
    connection: u64,
    text: &str,
    last_typing: &mut Option<Instant>,
) -> Handled {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return Handled::Answer(error_frame("frames are JSON objects with a \"type\""));
    };
    if frame["type"].as_str() == Some("auth") {
        return renew(cx, frame["token"].as_str()).await;
    }
    let answer = match frame["type"].as_str() {
        Some("ping") => Some(json!({"type": "pong", "data": {}}).to_string()),
        Some("typing") => {
            let place = match (frame["room_id"].as_i64(), frame["conversation_id"].as_i64()) {
                (Some(room), None) => Container::Room(room),
                (None, Some(conversation)) => Container::Conversation(conversation),
                _ => {
                    return Handled::Answer(error_frame(
                        "typing needs a room_id or a conversation_id (one of them)",
                    ))
                }
            };
            if last_typing.is_some_and(|at| at.elapsed() < TYPING_EVERY) {
                return Handled::Quiet; // a few a second are enough; the rest are dropped
            }
            *last_typing = Some(Instant::now());
            typing(cx, place).await
        }
        Some("presence.visible") => match frame["visible"].as_bool() {
            Some(visible) => {
                cx.hub.set_visible(cx.actor.id, connection, visible);
                None
            }
            None => Some(error_frame(
                "presence.visible needs \"visible\": true or false",
            )),
        },
        Some(other) => Some(error_frame(&format!(
            "unknown frame type `{}`; send ping, typing, presence.visible or auth",
            other.chars().take(32).collect::<String>()
        ))),
        None => Some(error_frame("frames are JSON objects with a \"type\"")),
    };
    answer.map_or(Handled::Quiet, Handled::Answer)
}

/// `{"type": "auth", "token"}`: a valid access token of this connection's own
/// session, still live, carries the connection to that token's expiry.
async fn renew(cx: &Context, token: Option<&str>) -> Handled {
    let refuse = |why: &str| Handled::Answer(error_frame(&format!("auth refused: {why}")));
    let Some(token) = token else {
        return refuse("the frame needs a \"token\"");
    };
    let claims = match cx.jwt.verify(token.trim()) {
        Ok(claims) => claims,
        Err(why) => return refuse(why),
    };
    if claims.sid != cx.session_id || claims.user_id() != Some(cx.actor.id) {
        return refuse("the token belongs to another session");
    }
    let (session_id, user_id) = (cx.session_id, cx.actor.id);
    let live = cx
        .db
        .read(move |c| crate::store::sessions::live_session_user(c, session_id, user_id))
        .await;
    match live {
        Ok(Some(_)) => Handled::Renewed {
            expires: claims.exp,
            answer: json!({"type": "auth.ok", "data": {
                "expires_at": crate::time::rfc3339_of_unix(claims.exp)
            }})
            .to_string(),
        },
        Ok(None) => refuse("the session has ended"),
        Err(_) => refuse("the session could not be checked; try again"),
    }
}

/// Announces a typing notice where the user may write; an error frame otherwise.
async fn typing(cx: &Context, place: Container) -> Option<String> {
    let actor = cx.actor;
    let allowed = cx
        .db
        .read(move |c| crate::domain::access::container(c, place, actor)?.require_can_write())
        .await;
    match allowed {
        Ok(()) => {
            cx.journal.announce(Event::Typing {
                container: place,
                user_id: actor.id,
                username: cx.username.clone(),
            });
            None
        }
        Err(_) => Some(error_frame("you cannot type there")),
    }
}

//! A WebSocket client for tests, over a real socket to the real server.

use std::time::Duration;

use rocket::futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub struct Ws {
    pub stream: WebSocketStream<TcpStream>,
}

/// How a connection ended, seen from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(Option<u16>),
    Dropped,
}

impl Ws {
    /// Connects with `?token=`; the first frame (`ready`) is read and returned.
    pub async fn connect(port: u16, token: &str) -> (Ws, Value) {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/api/v1/ws?token={token}");
        let (stream, _) = tokio_tungstenite::client_async(url, stream)
            .await
            .expect("upgrade");
        let mut ws = Ws { stream };
        let ready = ws.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        (ws, ready)
    }

    /// The next text frame as JSON (pings skipped); panics after 5 s.
    pub async fn next(&mut self) -> Value {
        self.next_within(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    /// The next text frame within `wait`, if any.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match message {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(other) => panic!("unexpected message {other:?}"),
                Err(e) => panic!("socket error {e}"),
            }
        }
    }

    /// The next text frame of type `kind` as the server wrote it, skipping others;
    /// panics after 5 s.
    pub async fn expect_raw(&mut self, kind: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame within 5 s"))
                .expect("the socket is open");
            if let Ok(Message::Text(text)) = message {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["type"] == kind {
                    return text.to_string();
                }
            }
        }
    }

    /// The next frame of type `kind`, skipping others (presence, typing, …).
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Asserts no frame of type `kind` arrives within `wait`.
    pub async fn none_of(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Some(frame) = self
            .next_within(deadline - tokio::time::Instant::now())
            .await
        {
            assert_ne!(frame["type"], kind, "unexpected {frame}");
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_owned()))
            .await
            .expect("send");
    }

    /// Reads until the connection ends; how it ended.
    pub async fn ended(&mut self, wait: Duration) -> Ended {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => panic!("the connection did not end within {wait:?}"),
                Ok(None) | Ok(Some(Err(_))) => return Ended::Dropped,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ended::Closed(frame.map(|f| u16::from(f.code)))
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// The raw answer to an upgrade request carrying `auth` (a header line or none).
pub fn upgrade_answer(port: u16, path: &str, auth: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{auth}\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).to_string()
}

/// The raw answer to an upgrade request with `?token=`.
pub fn upgrade_with_token(port: u16, token: &str) -> String {
    upgrade_answer(port, &format!("/api/v1/ws?token={token}"), "")
}

/// The close code numbers the tests look for.
pub fn code(code: CloseCode) -> Option<u16> {
    Some(u16::from(code))
}

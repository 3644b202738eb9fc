//! Where each request of a client's byte stream begins and ends.
//!
//! The gate forwards bytes to Rocket unchanged; it only needs to know which phase
//! the client is in (between requests, inside a head, inside a body, or tunnelled
//! after an upgrade) to apply the right timeout. Heads are parsed with `httparse`;
//! bodies are counted by `Content-Length` or followed through chunked encoding.

/// The largest request head accepted (431 above).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;
/// The longest chunk-size or trailer line.
const MAX_LINE_BYTES: usize = 4096;

/// The methods Rocket serves; any other is answered 405 by the gate itself.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "TRACE", "CONNECT", "PATCH",
];

/// Why a client's stream cannot be forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    HeadTooLarge,
    Malformed(&'static str),
    UnknownMethod {
        path: String,
    },
    /// A request that waits for `100 Continue` declared a body larger than any
    /// Veza reads; `limit` is the limit to tell the client.
    BodyTooLarge {
        limit: u64,
    },
}

/// The largest bodies Veza reads. A request with `Expect: 100-continue` over them
/// is refused by the gate before the client sends a byte of its body: Rocket reads
/// the first bytes of every body before routing, which would make hyper send
/// `100 Continue` to every request, however large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// A `multipart/form-data` body (an upload, with its form around the file)...
    pub multipart: u64,
    /// ...and the file limit to name in the refusal.
    pub multipart_named: u64,
    /// Any other body (JSON).
    pub other: u64,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            multipart: u64::MAX,
            multipart_named: u64::MAX,
            other: u64::MAX,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Between requests: no byte of the next head yet.
    Idle,
    /// Some of a head has arrived.
    Head,
    /// The head is complete; body bytes are still to come.
    Body,
    /// An upgrade was asked for; waiting for the server's answer.
    UpgradeWait,
    /// Upgraded (WebSocket): bytes pass through unparsed.
    Tunnel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    SizeLine,
    Data(u64),
    DataEnd,
    Trailer,
}

#[derive(Debug)]
enum State {
    Idle,
    Head,
    Body(u64),
    Chunked(Chunked),
    UpgradeWait,
    Tunnel,
}

/// What feeding some bytes produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Requests whose last byte was in these bytes.
    pub completed: usize,
    /// Bytes of the input that belong to the client's requests; after an upgrade
    /// request the rest waits for the server's answer.
    pub consumed: usize,
}

#[derive(Debug)]
pub struct RequestFraming {
    state: State,
    /// The head (or chunk line) being assembled.
    line: Vec<u8>,
    upgrade_requested: bool,
    limits: BodyLimits,
}

impl Default for RequestFraming {
    fn default() -> Self {
        RequestFraming::with_limits(BodyLimits::default())
    }
}

impl RequestFraming {
    pub fn with_limits(limits: BodyLimits) -> Self {
        RequestFraming {
            state: State::Idle,
            line: Vec::new(),
            upgrade_requested: false,
            limits,
        }
    }

    pub fn phase(&self) -> Phase {
        match self.state {
            State::Idle => Phase::Idle,
            State::Head => Phase::Head,
            State::Body(_) | State::Chunked(_) => Phase::Body,
            State::UpgradeWait => Phase::UpgradeWait,
            State::Tunnel => Phase::Tunnel,
        }
    }

    /// The server answered the upgrade request: tunnel when it switched protocols.
    pub fn upgrade_answered(&mut self, switched: bool) {
        if matches!(self.state, State::UpgradeWait) {
            self.state = if switched { State::Tunnel } else { State::Idle };
        }
    }

    /// Follows `bytes` through the request framing.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Fed, Refusal> {
        let mut fed = Fed::default();
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            match self.state {
                State::UpgradeWait => break,
                State::Tunnel => {
                    at = bytes.len();
                    break;
                }
                State::Idle | State::Head => {
                    at += self.head_bytes(rest, &mut fed)?;
                }
                State::Body(remaining) => {
                    let take = remaining.min(rest.len() as u64);
                    at += take as usize;
                    self.state = State::Body(remaining - take);
                    if remaining == take {
                        self.request_done(&mut fed);
                    }
                }
                State::Chunked(step) => {
                    at += self.chunked_bytes(step, rest, &mut fed)?;
                }
            }
        }
        fed.consumed = at;
        Ok(fed)
    }

    fn request_done(&mut self, fed: &mut Fed) {
        fed.completed += 1;
        self.state = if std::mem::take(&mut self.upgrade_requested) {
            State::UpgradeWait
        } else {
            State::Idle
        };
    }

    /// Consumes head bytes; returns how many.
    fn head_bytes(&mut self, rest: &[u8], fed: &mut Fed) -> Result<usize, Refusal> {
        if matches!(self.state, State::Idle) {
            // Empty lines between requests are allowed (RFC 9112 §2.2).
            let blank = rest
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            if blank == rest.len() {
                return Ok(blank);
            }
            self.state = State::Head;
            self.line.clear();
            return Ok(blank);
        }
        // Look for the end of the head from a few bytes back, so a `\r\n\r\n` split
        // across reads is found.
        let start = self.line.len().saturating_sub(3);
        let before = self.line.len();
        let room = MAX_HEAD_BYTES + 1 - before.min(MAX_HEAD_BYTES + 1);
        let take = rest.len().min(room);
        self.line.extend_from_slice(&rest[..take]);
        let Some(end) = find(&self.line[start..], b"\r\n\r\n").map(|i| start + i + 4) else {
            if self.line.len() > MAX_HEAD_BYTES {
                return Err(Refusal::HeadTooLarge);
            }
            return Ok(take);
        };
        if end > MAX_HEAD_BYTES {
            return Err(Refusal::HeadTooLarge);
        }
        let used = end - before;
        let head = std::mem::take(&mut self.line);
        let body = parse_head(&head[..end], &self.limits)?;
        self.upgrade_requested = body.upgrade;
        self.state = match body.framing {
            BodyFraming::Length(0) => {
                self.request_done(fed);
                return Ok(used);
            }
            BodyFraming::Length(n) => State::Body(n),
            BodyFraming::Chunked => State::Chunked(Chunked::SizeLine),
        };
        Ok(used)
    }

    fn chunked_bytes(
        &mut self,
        step: Chunked,
        rest: &[u8],
        fed: &mut Fed,
    ) -> Result<usize, Refusal> {
        match step {
            Chunked::Data(remaining) => {
                let take = remaining.min(rest.len() as u64);
                self.state = State::Chunked(if remaining == take {
                    Chunked::DataEnd
                } else {
                    Chunked::Data(remaining - take)
                });
                Ok(take as usize)
            }
            Chunked::SizeLine | Chunked::DataEnd | Chunked::Trailer => {
                let Some(line_end) = rest.iter().position(|b| *b == b'\n') else {
                    self.line.extend_from_slice(rest);
                    if self.line.len() > MAX_LINE_BYTES {
                        return Err(Refusal::Malformed("chunk line too long"));
                    }
                    return Ok(rest.len());
                };
                self.line.extend_from_slice(&rest[..line_end]);
                let line = std::mem::take(&mut self.line);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                self.state = match step {
                    Chunked::SizeLine => match chunk_size(line)? {
                        0 => State::Chunked(Chunked::Trailer),
                        n => State::Chunked(Chunked::Data(n)),
                    },
                    Chunked::DataEnd if line.is_empty() => State::Chunked(Chunked::SizeLine),
                    Chunked::DataEnd => return Err(Refusal::Malformed("chunk data overruns")),
                    _ if line.is_empty() => {
                        self.request_done(fed);
                        return Ok(line_end + 1);
                    }
                    _ => State::Chunked(Chunked::Trailer),
                };
                Ok(line_end + 1)
            }
        }
    }
}

fn chunk_size(line: &[u8]) -> Result<u64, Refusal> {
    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
    let text = std::str::from_utf8(digits)
        .map_err(|_| Refusal::Malformed("bad chunk size"))?
        .trim();
    if text.is_empty() || text.len() > 15 {
        return Err(Refusal::Malformed("bad chunk size"));
    }
    u64::from_str_radix(text, 16).map_err(|_| Refusal::Malformed("bad chunk size"))
}

enum BodyFraming {
    Length(u64),
    Chunked,
}

struct HeadFacts {
    framing: BodyFraming,
    upgrade: bool,
}

fn parse_head(head: &[u8], limits: &BodyLimits) -> Result<HeadFacts, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Refusal::Malformed("incomplete head")),
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal::HeadTooLarge),
        Err(_) => return Err(Refusal::Malformed("the request head is not HTTP/1.x")),
    }
    let method = request.method.unwrap_or_default();
    if !KNOWN_METHODS.contains(&method) {
        let path = request.path.unwrap_or("/").to_owned();
        return Err(Refusal::UnknownMethod { path });
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut upgrade = false;
    let mut connection_upgrade = false;
    let mut expect_continue = false;
    let mut multipart = false;
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value).unwrap_or("");
        if header.name.eq_ignore_ascii_case("expect") {
            expect_continue |= value.trim().eq_ignore_ascii_case("100-continue");
        } else if header.name.eq_ignore_ascii_case("content-type") {
            multipart |= value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data");
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .trim()
                .parse()
                .map_err(|_| Refusal::Malformed("bad Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Refusal::Malformed("conflicting Content-Length"));
            }
            length = Some(n);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            if !chunked {
                return Err(Refusal::Malformed("unsupported Transfer-Encoding"));
            }
        } else if header.name.eq_ignore_ascii_case("upgrade") {
            upgrade = true;
        } else if header.name.eq_ignore_ascii_case("connection") {
            connection_upgrade |= value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
        }
    }
    if chunked && length.is_some() {
        // Both framings at once is how requests are smuggled (RFC 9112 §6.3).
        return Err(Refusal::Malformed("both Content-Length and chunked"));
    }
    if expect_continue {
        let (max, named) = if multipart {
            (limits.multipart, limits.multipart_named)
        } else {
            (limits.other, limits.other)
        };
        if length.is_some_and(|n| n > max) {
            return Err(Refusal::BodyTooLarge { limit: named });
        }
    }
    Ok(HeadFacts {
        framing: if chunked {
            BodyFraming::Chunked
        } else {
            BodyFraming::Length(length.unwrap_or(0))
        },
        upgrade: upgrade && connection_upgrade,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(framing: &mut RequestFraming, parts: &[&[u8]]) -> usize {
        parts
            .iter()
            .map(|p| framing.feed(p).expect("valid").completed)
            .sum()
    }

    #[test]
    fn pipelined_requests_with_bodies_split_anywhere() {
        let stream: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
            POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
            POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n\
            GET /d HTTP/1.1\r\n\r\n";
        for split in 1..stream.len() {
            let mut f = RequestFraming::default();
            let (a, b) = stream.split_at(split);
            assert_eq!(feed_all(&mut f, &[a, b]), 4, "split at {split}");
            assert_eq!(f.phase(), Phase::Idle);
        }
        let mut f = RequestFraming::default();
        let singles: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(feed_all(&mut f, &singles), 4);
    }

    #[test]
    fn phases_follow_the_request() {
        let mut f = RequestFraming::default();
        assert_eq!(f.phase(), Phase::Idle);
        f.feed(b"\r\n").unwrap();
        assert_eq!(f.phase(), Phase::Idle);
        f.feed(b"POST / HTTP/1.1\r\n").unwrap();
        assert_eq!(f.phase(), Phase::Head);
        f.feed(b"Content-Length: 10\r\n\r\n12345").unwrap();
        assert_eq!(f.phase(), Phase::Body);
        assert_eq!(f.feed(b"67890").unwrap().completed, 1);
        assert_eq!(f.phase(), Phase::Idle);
    }

    #[test]
    fn upgrades_wait_for_the_answer() {
        let mut f = RequestFraming::default();
        let req = b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00";
        let fed = f.feed(req).unwrap();
        assert_eq!(fed.completed, 1);
        assert_eq!(
            fed.consumed,
            req.len() - 2,
            "frame bytes wait for the answer"
        );
        assert_eq!(f.phase(), Phase::UpgradeWait);
        f.upgrade_answered(true);
        assert_eq!(f.phase(), Phase::Tunnel);
        assert_eq!(f.feed(b"\x81\x00anything").unwrap().consumed, 10);
        let mut f = RequestFraming::default();
        f.feed(req).unwrap();
        f.upgrade_answered(false);
        assert_eq!(f.phase(), Phase::Idle);
    }

    #[test]
    fn refusals() {
        let refuse = |bytes: &[u8]| RequestFraming::default().feed(bytes).unwrap_err();
        assert_eq!(
            refuse(b"FOO /api/v1/rooms HTTP/1.1\r\n\r\n"),
            Refusal::UnknownMethod {
                path: "/api/v1/rooms".into()
            }
        );
        assert!(matches!(
            refuse(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Refusal::Malformed(_)
        ));
        assert!(matches!(
            refuse(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Refusal::Malformed(_)
        ));
        assert!(matches!(
            refuse(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            Refusal::Malformed(_)
        ));
        assert!(matches!(
            refuse(b"\x16\x03\x01 tls\r\n\r\n"),
            Refusal::Malformed(_)
        ));
        let big = [
            b"GET / HTTP/1.1\r\nX: ".as_slice(),
            &vec![b'a'; MAX_HEAD_BYTES],
        ]
        .concat();
        assert_eq!(refuse(&big), Refusal::HeadTooLarge);
        let mut f = RequestFraming::default();
        f.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        assert!(f.feed(b"zz\r\n").is_err());
    }

    #[test]
    fn a_body_waiting_for_100_continue_is_held_to_the_limits() {
        let limits = BodyLimits {
            multipart: 2000,
            multipart_named: 1000,
            other: 100,
        };
        let feed = |head: &str| RequestFraming::with_limits(limits).feed(head.as_bytes());
        let upload = |length: u64, expect: &str| {
            format!(
                "POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\n\
                 {expect}Content-Length: {length}\r\n\r\n"
            )
        };
        let expect = "Expect: 100-continue\r\n";
        assert_eq!(
            feed(&upload(2001, expect)),
            Err(Refusal::BodyTooLarge { limit: 1000 })
        );
        assert!(feed(&upload(2000, expect)).is_ok());
        assert!(
            feed(&upload(5000, "")).is_ok(),
            "without Expect, Rocket answers"
        );
        let json = |length: u64| {
            format!("POST /j HTTP/1.1\r\nEXPECT: 100-Continue\r\nContent-Length: {length}\r\n\r\n")
        };
        assert_eq!(feed(&json(101)), Err(Refusal::BodyTooLarge { limit: 100 }));
        assert!(feed(&json(100)).is_ok());
    }
}

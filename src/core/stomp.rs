//! STOMP 1.2 frames: an encoder and a streaming decoder, sans-IO (no I/O, no timers).
//!
//! Neither side panics on any input: the module denies `clippy::indexing_slicing` and reads
//! bytes only through `get`. Decoding rules (STOMP 1.2, plus what RabbitMQ does):
//! - a frame is `COMMAND EOL *(name:value EOL) EOL body NUL`, where EOL is LF or CRLF;
//! - a bare EOL between frames is a heart-beat ([`Decoded::Heartbeat`]); the EOLs RabbitMQ sends
//!   after the NUL of `CONNECTED` and `RECEIPT` come out as heart-beats too;
//! - with `content-length` (the first occurrence), the body is exactly that many bytes (NULs
//!   included) and must be followed by NUL; without it the body ends at the first NUL;
//! - header names and values are unescaped (`\\` `\n` `\r` `\c`), except in `CONNECT` and
//!   `CONNECTED` frames; any other escape is [`DecodeError::InvalidEscape`];
//! - repeated headers are all kept, in order; [`Frame::header`] returns the first (it wins).
#![deny(clippy::indexing_slicing)]

use crate::core::envelope::FrameKind;
use crate::core::text::digits;

const LF: u8 = b'\n';
const CR: u8 = b'\r';
const NUL: u8 = 0;

/// A STOMP command. Unknown commands decode as [`Command::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CONNECT` (client; headers are not escaped).
    Connect,
    /// `STOMP` (client; the 1.2 name of `CONNECT`, escaped like other frames).
    Stomp,
    /// `CONNECTED` (server; headers are not escaped).
    Connected,
    /// `SEND` (client).
    Send,
    /// `SUBSCRIBE` (client).
    Subscribe,
    /// `UNSUBSCRIBE` (client).
    Unsubscribe,
    /// `ACK` (client).
    Ack,
    /// `NACK` (client).
    Nack,
    /// `BEGIN` (client).
    Begin,
    /// `COMMIT` (client).
    Commit,
    /// `ABORT` (client).
    Abort,
    /// `DISCONNECT` (client).
    Disconnect,
    /// `MESSAGE` (server).
    Message,
    /// `RECEIPT` (server).
    Receipt,
    /// `ERROR` (server).
    Error,
    /// Any other command: uppercase ASCII letters that are not one of the names above (the
    /// encoder writes it verbatim; anything else does not decode back).
    Other(String),
}

impl Command {
    /// The command as it appears on the wire, e.g. `"SEND"`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Connect => "CONNECT",
            Self::Stomp => "STOMP",
            Self::Connected => "CONNECTED",
            Self::Send => "SEND",
            Self::Subscribe => "SUBSCRIBE",
            Self::Unsubscribe => "UNSUBSCRIBE",
            Self::Ack => "ACK",
            Self::Nack => "NACK",
            Self::Begin => "BEGIN",
            Self::Commit => "COMMIT",
            Self::Abort => "ABORT",
            Self::Disconnect => "DISCONNECT",
            Self::Message => "MESSAGE",
            Self::Receipt => "RECEIPT",
            Self::Error => "ERROR",
            Self::Other(s) => s,
        }
    }

    /// The command named `s` (case-sensitive); [`Command::Other`] when it is not a known one.
    pub fn parse(s: &str) -> Self {
        match s {
            "CONNECT" => Self::Connect,
            "STOMP" => Self::Stomp,
            "CONNECTED" => Self::Connected,
            "SEND" => Self::Send,
            "SUBSCRIBE" => Self::Subscribe,
            "UNSUBSCRIBE" => Self::Unsubscribe,
            "ACK" => Self::Ack,
            "NACK" => Self::Nack,
            "BEGIN" => Self::Begin,
            "COMMIT" => Self::Commit,
            "ABORT" => Self::Abort,
            "DISCONNECT" => Self::Disconnect,
            "MESSAGE" => Self::Message,
            "RECEIPT" => Self::Receipt,
            "ERROR" => Self::Error,
            _ => Self::Other(s.into()),
        }
    }

    /// Whether header names and values are escaped in this frame (all but `CONNECT` and
    /// `CONNECTED`, as STOMP 1.2 says).
    pub fn escapes_headers(&self) -> bool {
        !matches!(self, Self::Connect | Self::Connected)
    }
}

/// One STOMP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command.
    pub command: Command,
    /// Headers in wire order, unescaped; repeats are kept (the first one wins).
    pub headers: Vec<(String, String)>,
    /// The body (text or binary).
    pub body: Vec<u8>,
}

impl Frame {
    /// A frame with no headers and an empty body.
    pub fn new(command: Command) -> Self {
        Self { command, headers: Vec::new(), body: Vec::new() }
    }

    /// Appends a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of the first header named `name` (STOMP 1.2: repeated headers, first wins).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// When [`encode_with`] adds a `content-length` header. It never adds one when the frame
/// already has one: that header is written as given, and must be right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentLength {
    /// Only when the body needs it to be framed or kept intact: it contains a NUL byte or
    /// is not UTF-8 (binary). What [`encode`] does.
    IfNeeded,
    /// For every non-empty body, like @stomp/stompjs (RabbitMQ then flags the message as
    /// bytes rather than text for JMS clients).
    Always,
}

/// Encodes `frame` with [`ContentLength::IfNeeded`].
pub fn encode(frame: &Frame) -> Vec<u8> {
    encode_with(frame, ContentLength::IfNeeded)
}

/// Encodes `frame`: command, headers, blank line, body, NUL; LF line endings.
///
/// Header names and values are escaped (`\` `LF` `CR` `:` as `\\` `\n` `\r` `\c`), except in
/// `CONNECT`/`CONNECTED` frames, which STOMP 1.2 leaves unescaped: there CR and LF are
/// dropped from names and values and `:` from names, so a header can never split the frame
/// or inject another header. A `content-length` is added as `length` says.
pub fn encode_with(frame: &Frame, length: ContentLength) -> Vec<u8> {
    let body = &frame.body;
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(frame.command.as_str().as_bytes());
    out.push(LF);
    let escape = frame.command.escapes_headers();
    for (name, value) in &frame.headers {
        put(&mut out, name, escape, true);
        out.push(b':');
        put(&mut out, value, escape, false);
        out.push(LF);
    }
    let add = match length {
        ContentLength::IfNeeded => body.contains(&NUL) || std::str::from_utf8(body).is_err(),
        ContentLength::Always => !body.is_empty(),
    };
    if add && frame.header("content-length").is_none() {
        out.extend_from_slice(b"content-length:");
        out.extend_from_slice(digits(body.len() as u64).as_bytes());
        out.push(LF);
    }
    out.push(LF);
    out.extend_from_slice(body);
    out.push(NUL);
    out
}

fn put(out: &mut Vec<u8>, s: &str, escape: bool, name: bool) {
    for &c in s.as_bytes() {
        let e = match c {
            b'\\' => b'\\',
            LF => b'n',
            CR => b'r',
            b':' => b'c',
            _ => {
                out.push(c);
                continue;
            }
        };
        if escape {
            out.extend_from_slice(&[b'\\', e]);
        } else if c == b'\\' || (c == b':' && !name) {
            out.push(c);
        }
    }
}

/// What the [`Decoder`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame.
    Frame(Frame),
    /// A bare EOL (LF or CRLF) between frames: a heart-beat, or an EOL trailing a frame.
    Heartbeat,
}

/// Why the byte stream is not STOMP. Each variant carries the offending detail.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The command line holds something other than uppercase ASCII letters (or a CR that is
    /// not part of CRLF): its bytes up to and including the first bad one.
    InvalidCommand {
        /// The command line up to the first bad byte, inclusive.
        line: Vec<u8>,
    },
    /// A header line without `:`.
    MissingColon {
        /// The header line, without its EOL.
        line: Vec<u8>,
    },
    /// A header with a backslash not followed by `\`, `n`, `r` or `c` (e.g. `\t`).
    InvalidEscape {
        /// The header line, without its EOL.
        line: Vec<u8>,
    },
    /// A header name or value that is not UTF-8 (after unescaping).
    NonUtf8 {
        /// The header line, without its EOL.
        line: Vec<u8>,
    },
    /// A `content-length` that is not a decimal number.
    InvalidContentLength {
        /// The header value.
        value: String,
    },
    /// The byte after a `content-length` body is not NUL.
    MissingNul {
        /// The declared `content-length`.
        content_length: usize,
    },
    /// A frame (command through NUL) longer than the decoder's limit.
    FrameTooLarge {
        /// The limit given to [`Decoder::new`].
        limit: usize,
        /// The frame's size in bytes, or a lower bound when it had not ended yet.
        size: usize,
    },
}

struct Head {
    command: Command,
    headers: Vec<(String, String)>,
    body_start: usize,
    length: Option<usize>,
}

/// A streaming STOMP decoder: [`push`](Decoder::push) bytes as WebSocket messages arrive, then
/// drain it as an [`Iterator`] until it yields `None` (more bytes needed). Frames may be split
/// across pushes or packed several to a push.
///
/// Frames longer than the limit are an error as soon as that is known (a declared
/// `content-length`, or that many bytes buffered without the frame ending), so buffering
/// stays bounded if the iterator is drained after each push.
///
/// An error is yielded once; the decoder then stays failed (no resync: after garbage, frame
/// boundaries cannot be trusted): it yields `None` and ignores pushes until
/// [`reset`](Decoder::reset). The connection should be closed.
pub struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    max: usize,
    head: Option<Head>,
    scan: usize,
    failed: bool,
}

impl Decoder {
    /// A decoder accepting frames of up to `max_frame` bytes (command through NUL).
    pub fn new(max_frame: usize) -> Self {
        Self { buf: Vec::new(), pos: 0, max: max_frame, head: None, scan: 0, failed: false }
    }

    /// Appends received bytes (ignored once the decoder has failed).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos.min(self.buf.len()));
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Whether an error was yielded (and the decoder now ignores input).
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Drops buffered bytes and any failure, for a new connection.
    pub fn reset(&mut self) {
        *self = Self::new(self.max);
    }
}

impl Iterator for Decoder {
    type Item = Result<Decoded, DecodeError>;

    /// The next frame or heart-beat, an error, or `None` when more bytes are needed.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let avail = self.buf.get(self.pos..).unwrap_or_default();
        let item = match parse(avail, self.max, &mut self.head, &mut self.scan) {
            Ok(Some((item, used))) => {
                self.pos = self.pos.saturating_add(used);
                self.head = None;
                self.scan = 0;
                if self.pos >= self.buf.len() {
                    self.buf.clear();
                    self.pos = 0;
                }
                Ok(item)
            }
            Ok(None) if avail.len() < self.max => return None,
            Ok(None) => Err(DecodeError::FrameTooLarge { limit: self.max, size: avail.len() + 1 }),
            Err(e) => Err(e),
        };
        if item.is_err() {
            self.failed = true;
            self.buf = Vec::new();
            self.pos = 0;
            self.head = None;
        }
        Some(item)
    }
}

type Parsed = Result<Option<(Decoded, usize)>, DecodeError>;

/// One frame or heart-beat from the start of `b`, with the bytes it used; `None` if `b` ends
/// first. `head` caches the parsed command and headers, `scan` where the NUL search resumes.
fn parse(b: &[u8], max: usize, head: &mut Option<Head>, scan: &mut usize) -> Parsed {
    if head.is_none() {
        let Some(lf) = command_line(b)? else { return Ok(None) };
        let cmd = b.get(..lf).unwrap_or_default();
        let cmd = cmd.strip_suffix(b"\r").unwrap_or(cmd);
        if cmd.is_empty() {
            return Ok(Some((Decoded::Heartbeat, lf + 1)));
        }
        let command = Command::parse(std::str::from_utf8(cmd).unwrap_or_default());
        let unescape = command.escapes_headers();
        let mut at = lf + 1;
        let mut headers = Vec::new();
        loop {
            let Some((line, next)) = line(b, at) else { return Ok(None) };
            at = next;
            if line.is_empty() {
                break;
            }
            let Some(colon) = line.iter().position(|&c| c == b':') else {
                return Err(DecodeError::MissingColon { line: line.to_vec() });
            };
            let name = text(line.get(..colon).unwrap_or_default(), unescape, line)?;
            let value = text(line.get(colon + 1..).unwrap_or_default(), unescape, line)?;
            headers.push((name, value));
        }
        let length = match headers.iter().find(|(k, _)| k == "content-length") {
            Some((_, v)) => Some(content_length(v)?),
            None => None,
        };
        *head = Some(Head { command, headers, body_start: at, length });
        *scan = at;
    }
    let Some(h) = head.as_ref() else { return Ok(None) };
    let end = match h.length {
        Some(n) => {
            let end = h.body_start.saturating_add(n);
            if end >= max {
                return Err(DecodeError::FrameTooLarge { limit: max, size: end.saturating_add(1) });
            }
            match b.get(end) {
                None => return Ok(None),
                Some(&NUL) => end,
                Some(_) => return Err(DecodeError::MissingNul { content_length: n }),
            }
        }
        None => {
            let from = (*scan).max(h.body_start);
            match b.get(from..).and_then(|r| r.iter().position(|&c| c == NUL)) {
                Some(i) => from + i,
                None => {
                    *scan = b.len();
                    return Ok(None);
                }
            }
        }
    };
    if end >= max {
        return Err(DecodeError::FrameTooLarge { limit: max, size: end + 1 });
    }
    let Some(h) = head.take() else { return Ok(None) };
    let body = b.get(h.body_start..end).unwrap_or_default().to_vec();
    let frame = Frame { command: h.command, headers: h.headers, body };
    Ok(Some((Decoded::Frame(frame), end + 1)))
}

/// The index of the LF ending the command line, checking its bytes as they arrive (so a
/// non-STOMP peer fails fast, wherever its bytes are split).
fn command_line(b: &[u8]) -> Result<Option<usize>, DecodeError> {
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'A'..=b'Z' => {}
            LF => return Ok(Some(i)),
            CR if matches!(b.get(i + 1), None | Some(&LF)) => {}
            _ => {
                let line = b.get(..=i).unwrap_or_default().to_vec();
                return Err(DecodeError::InvalidCommand { line });
            }
        }
    }
    Ok(None)
}

/// The line starting at `from` without its EOL, and where the next one starts.
fn line(b: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = b.get(from..)?;
    let i = rest.iter().position(|&c| c == LF)?;
    let line = rest.get(..i)?;
    Some((line.strip_suffix(b"\r").unwrap_or(line), from + i + 1))
}

fn text(raw: &[u8], unescape: bool, line: &[u8]) -> Result<String, DecodeError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&c) = it.next() {
        out.push(match c {
            b'\\' if unescape => match it.next() {
                Some(b'\\') => b'\\',
                Some(b'n') => LF,
                Some(b'r') => CR,
                Some(b'c') => b':',
                _ => return Err(DecodeError::InvalidEscape { line: line.to_vec() }),
            },
            _ => c,
        });
    }
    String::from_utf8(out).map_err(|_| DecodeError::NonUtf8 { line: line.to_vec() })
}

/// A decimal `content-length`; one too big for `usize` saturates (and fails the size limit).
fn content_length(v: &str) -> Result<usize, DecodeError> {
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(DecodeError::InvalidContentLength { value: v.into() });
    }
    let n = v.bytes().fold(0u64, |n, c| n.saturating_mul(10).saturating_add(u64::from(c - b'0')));
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

impl DecodeError {
    /// A short description, for `error` events (no `core::fmt`: the wasm stays small).
    pub fn describe(&self) -> String {
        match self {
            Self::InvalidCommand { .. } => "invalid STOMP command line".into(),
            Self::MissingColon { .. } => "STOMP header line without ':'".into(),
            Self::InvalidEscape { .. } => "invalid escape in a STOMP header".into(),
            Self::NonUtf8 { .. } => "STOMP header is not UTF-8".into(),
            Self::InvalidContentLength { value } => {
                ["invalid STOMP content-length: ", value.as_str()].concat()
            }
            Self::MissingNul { .. } => "STOMP body not followed by NUL".into(),
            Self::FrameTooLarge { limit, .. } => {
                ["STOMP frame larger than maxMessageBytes (", &digits(*limit as u64), ")"].concat()
            }
        }
    }
}

// ---------- the client session: the STOMP side of the protocol seam ----------

/// The receipt id the client's `DISCONNECT` asks for; its `RECEIPT` is [`FrameKind::Bye`].
pub const BYE_RECEIPT: &str = "bye";

/// The `CONNECT` frame: `accept-version:1.2`, `heart-beat:cx,cy` (what the client can send,
/// what it wants to receive, in ms), then `headers` in order (`login`, `passcode`, `host` and
/// any custom ones; a header named `accept-version` or `heart-beat` there replaces ours).
pub fn connect_frame(headers: &[(String, String)], heart_beat: (u32, u32)) -> Frame {
    let mut f = Frame::new(Command::Connect);
    let has = |n: &str| headers.iter().any(|(k, _)| k == n);
    if !has("accept-version") {
        f.headers.push(("accept-version".into(), "1.2".into()));
    }
    if !has("heart-beat") {
        let hb = [digits(heart_beat.0.into()), ",".into(), digits(heart_beat.1.into())].concat();
        f.headers.push(("heart-beat".into(), hb));
    }
    f.headers.extend(headers.iter().cloned());
    f
}

/// STOMP 1.2 heart-beat negotiation: the client asked `cx,cy`, the server answered `header`
/// (`sx,sy`; missing or malformed = `0,0`). Returns `(send_ms, recv_ms)`: the client beats
/// every `max(cx, sy)` ms (0 = never) and expects the server's every `max(sx, cy)` ms (0 =
/// never).
pub fn negotiate(cx: u32, cy: u32, header: Option<&str>) -> (u32, u32) {
    let (sx, sy) = header
        .and_then(|h| {
            let (a, b) = h.split_once(',')?;
            Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?))
        })
        .unwrap_or((0, 0));
    let both = |a: u32, b: u32| if a == 0 || b == 0 { 0 } else { a.max(b) };
    (both(cx, sy), both(sx, cy))
}

/// How many of the server's beat intervals may pass in silence before the client declares it
/// dead (network jitter, a busy broker): `2`, as @stomp/stompjs.
pub const BEAT_TOLERANCE: u32 = 2;

/// Classifies a decoded server frame for the engine. `connected`: whether this connection
/// already got its `CONNECTED`. `ask`: the client's `heart-beat` (`cx`, `cy`).
///
/// - `CONNECTED` → [`FrameKind::Ready`] with the negotiated beats (the receive side times
///   [`BEAT_TOLERANCE`]);
/// - `MESSAGE` → [`FrameKind::Event`];
/// - `RECEIPT` → [`FrameKind::Reply`] for a numeric `receipt-id` (a request of ours),
///   [`FrameKind::Bye`] for [`BYE_RECEIPT`], else [`FrameKind::Control`];
/// - `ERROR` before `CONNECTED` → [`FrameKind::Refused`]; with a numeric `receipt-id` →
///   [`FrameKind::Reply`] with `error`; else [`FrameKind::ServerError`];
/// - anything else → [`FrameKind::Control`].
pub fn classify(frame: &Frame, connected: bool, ask: (u32, u32)) -> FrameKind {
    let receipt = || frame.header("receipt-id").and_then(|v| v.parse::<u64>().ok());
    match frame.command {
        Command::Connected => {
            let (send, recv) = negotiate(ask.0, ask.1, frame.header("heart-beat"));
            FrameKind::Ready { beat: Some((send, recv.saturating_mul(BEAT_TOLERANCE))) }
        }
        Command::Message => FrameKind::Event,
        Command::Receipt => match receipt() {
            Some(id) => FrameKind::Reply { id, error: false },
            None if frame.header("receipt-id") == Some(BYE_RECEIPT) => FrameKind::Bye,
            None => FrameKind::Control,
        },
        Command::Error if !connected => FrameKind::Refused(error_text(frame)),
        Command::Error => match receipt() {
            Some(id) => FrameKind::Reply { id, error: true },
            None => FrameKind::ServerError,
        },
        _ => FrameKind::Control,
    }
}

/// A one-line description of an `ERROR` frame: its `message` header, and the body's first
/// line when it is text (at most 200 bytes).
pub fn error_text(frame: &Frame) -> String {
    let mut s =
        ["the broker sent ERROR: ", frame.header("message").unwrap_or("(no message)")].concat();
    let body = std::str::from_utf8(&frame.body).unwrap_or_default();
    let line = body.lines().next().unwrap_or_default().trim();
    if !line.is_empty() {
        s.push_str(" (");
        let mut end = line.len().min(200);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        s.push_str(line.get(..end).unwrap_or_default());
        s.push(')');
    }
    s
}

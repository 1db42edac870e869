//! SockJS (protocol 0.3, as the npm `sockjs` server and Spring speak it): sans-IO framing
//! and the session rules. The README's "SockJS" section is the user-facing summary.
//!
//! - A session lives at `<base>/<server>/<session>/<transport>`: `server` three digits,
//!   `session` a random string; every attempt starts a new session ([`session_path`]).
//! - The server's frames ([`decode`]): `o` (the session opened), `h` (a heartbeat: the peer
//!   is alive), `a[...]` (a JSON array of messages, each a string), `c[code,"reason"]` (the
//!   session closed; the code goes through the close policy like a WebSocket close code).
//! - The client sends JSON arrays of strings ([`encode`]); over HTTP one `xhr_send` POST may
//!   carry several messages.
//! - `GET <base>/info` ([`Info::parse`]) says whether WebSocket is allowed (`"websocket":
//!   false` skips it) and whether the load balancer needs cookies (`cookie_needed`).
//! - Transports, in sockjs-client's order ([`ORDER`]), leaving out the iframe, htmlfile,
//!   XDR and JSONP ones: `websocket`, `xhr-streaming`, `eventsource`, `xhr-polling`; the
//!   engine's fallback and upgrade rules ([`crate::core::transport`]) choose among them.

use crate::core::json::{json, members, quote, strings};
use crate::core::text::{digits, parse_decimal};
use crate::core::transport::Transport;

/// A frame from a SockJS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `o`: the session is open.
    Open,
    /// `h`: a heartbeat.
    Heartbeat,
    /// `a[...]`: messages, in order.
    Messages(Vec<String>),
    /// `c[code,"reason"]`: the session is closed.
    Close {
        /// The code (e.g. 3000 from the application, 2010 "Another connection still open",
        /// 1002 "Connection interrupted").
        code: u16,
        /// The reason.
        reason: String,
    },
}

/// Why a frame is not SockJS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Empty.
    Empty,
    /// The first character is none of `o`, `h`, `a`, `c`.
    UnknownType,
    /// `o` or `h` followed by something.
    TrailingData,
    /// `a` not followed by a JSON array of strings.
    BadMessages,
    /// `c` not followed by `[code, "reason"]` with a code from 0 to 65535.
    BadClose,
}

impl Error {
    /// A description for `error` events.
    pub fn describe(self) -> &'static str {
        match self {
            Error::Empty => "empty SockJS frame",
            Error::UnknownType => "unknown SockJS frame type (expected o, h, a or c)",
            Error::TrailingData => "SockJS frame o/h with trailing data",
            Error::BadMessages => "SockJS a-frame is not a JSON array of strings",
            Error::BadClose => "SockJS c-frame is not [code, \"reason\"]",
        }
    }
}

/// Decodes one frame. (Over the HTTP transports the driver splits the stream into frames
/// first: one per line for xhr-streaming and xhr-polling, one per event for eventsource.)
///
/// # Errors
/// [`Error`] for anything that is not a SockJS frame.
pub fn decode(frame: &str) -> Result<Frame, Error> {
    let rest = frame.get(1..).unwrap_or_default();
    match frame.as_bytes().first() {
        None => Err(Error::Empty),
        Some(b'o' | b'h') if !rest.trim().is_empty() => Err(Error::TrailingData),
        Some(b'o') => Ok(Frame::Open),
        Some(b'h') => Ok(Frame::Heartbeat),
        Some(b'a') => strings(rest).map(Frame::Messages).ok_or(Error::BadMessages),
        Some(b'c') => close(rest).ok_or(Error::BadClose),
        Some(_) => Err(Error::UnknownType),
    }
}

fn close(rest: &str) -> Option<Frame> {
    let items = crate::core::json::items(rest)?;
    let [code, reason] = items.as_slice() else { return None };
    let code = parse_decimal(rest.get(code.clone())?.trim())?;
    if !(0.0..=65535.0).contains(&code) || code.fract() != 0.0 {
        return None;
    }
    let reason = strings(&["[", rest.get(reason.clone())?, "]"].concat())?.pop()?;
    Some(Frame::Close { code: code as u16, reason })
}

/// The frame the client sends for `messages`: a JSON array of strings.
pub fn encode(messages: &[&str]) -> String {
    let mut out = String::from("[");
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(m));
    }
    out.push(']');
    out
}

/// The SockJS transports this client implements, in sockjs-client's order (without the
/// iframe, htmlfile, XDR and JSONP ones). With SockJS, [`Transport::WebSocket`] is SockJS's
/// `websocket` transport (frames as WebSocket messages).
pub const ORDER: [Transport; 4] =
    [Transport::WebSocket, Transport::XhrStreaming, Transport::EventSource, Transport::XhrPolling];

/// The last segment of a SockJS transport's receiving URL: `websocket`, `xhr_streaming`,
/// `eventsource`, `xhr`; `None` for a transport that is not SockJS's.
pub fn segment(t: Transport) -> Option<&'static str> {
    Some(match t {
        Transport::WebSocket => "websocket",
        Transport::XhrStreaming => "xhr_streaming",
        Transport::EventSource => "eventsource",
        Transport::XhrPolling => "xhr",
        _ => return None,
    })
}

/// The path of a session's `segment` under the endpoint's base URL: `/<server>/<session>/<segment>`,
/// `server` as three digits (`server % 1000`). `session` must be URL-safe (the caller makes
/// it from `[a-z0-9]`).
pub fn session_path(server: u32, session: &str, segment: &str) -> String {
    let s = digits(u64::from(server % 1000));
    let pad = &"00"[..3usize.saturating_sub(s.len()).min(2)];
    ["/", pad, &s, "/", session, "/", segment].concat()
}

/// What `GET <base>/info` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Whether the server accepts the `websocket` transport (default true).
    pub websocket: bool,
    /// Whether the server needs its `JSESSIONID` cookie on every request (sticky sessions
    /// behind a load balancer): the HTTP transports send credentials.
    pub cookie_needed: bool,
}

impl Info {
    /// Parses the JSON body of `/info`; missing members take their defaults.
    ///
    /// # Errors
    /// `Err(())` when the body is not a JSON object.
    #[allow(clippy::result_unit_err)]
    pub fn parse(body: &str) -> Result<Info, ()> {
        json(body).filter(|(c, _)| *c == b'{').ok_or(())?;
        let mut info = Info { websocket: true, cookie_needed: false };
        for (k, v) in members(body).ok_or(())? {
            match &*k {
                "websocket" => info.websocket = v.trim() != "false",
                "cookie_needed" => info.cookie_needed = v.trim() == "true",
                _ => {}
            }
        }
        Ok(info)
    }

    /// Whether this server allows transport `t` (WebSocket only when `websocket` is not
    /// false; the others always).
    pub fn allows(&self, t: Transport) -> bool {
        t != Transport::WebSocket || self.websocket
    }
}

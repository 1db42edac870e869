//! Engine.IO v4 and Socket.IO v5 packets, sans-IO (no I/O, no timers, no JSON parser): the
//! codec a Socket.IO client sits on.
//!
//! Nothing here panics on any input: the module denies `clippy::indexing_slicing` and reads
//! bytes only through `get`. JSON is never parsed into values (the wasm build leaves serde_json
//! out): a non-recursive scanner checks that JSON text is well-formed (RFC 8259, as
//! `JSON.parse` accepts it) and finds the bounds of values. Decoding rules:
//! - **Engine.IO packet** (one WebSocket text frame, or one record of a polling body):
//!   `<type digit 0–6><data>`; anything else is [`Error::EioType`]. A WebSocket *binary* frame
//!   is a binary `message` as is: there is nothing to decode;
//! - **polling body**: records joined by `\x1e`; a record `b<base64>` is a binary message
//!   (canonical RFC 4648 base64, padding optional); the first bad record fails the body;
//! - **open packet**: a JSON object with `sid` (string), `upgrades` (array of strings),
//!   `pingInterval` and `pingTimeout` (non-negative numbers) and `maxPayload` (a non-negative
//!   integer; optional: Socket.IO 3 servers omit it); keys in any order, unknown keys skipped,
//!   the last of repeated keys wins;
//! - **Socket.IO packet** (the data of an Engine.IO `message`):
//!   `<type 0–6>[<attachments>-][<nsp>,][<id>][<json>]`. Attachments (decimal, `u32`) are
//!   present exactly for the binary types; a namespace starts with `/` and runs to the first
//!   `,` (or the end), omitted means `/`; the id is decimal (`u64`). The JSON must be
//!   well-formed and, per type: `CONNECT` an object or absent; `DISCONNECT` absent; `EVENT` /
//!   `BINARY_EVENT` a non-empty array whose first element is a string (not one of the names
//!   socket.io reserves: [`RESERVED_EVENTS`]) or a number; `ACK` / `BINARY_ACK` an array;
//!   `CONNECT_ERROR` an object (or a string, from old servers). Stricter than socket.io-parser:
//!   counts and ids are plain ASCII digits, `EVENT` and `ACK` need their JSON, an ack needs an
//!   id and `CONNECT`/`DISCONNECT`/`CONNECT_ERROR` take none;
//! - **attachments**: after a binary packet with N attachments the next N binary messages are
//!   its buffers ([`Reassembly`]); text meanwhile is [`Error::UnexpectedText`].
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::ops::Range;

pub use crate::core::json::quote;
use crate::core::json::{digits_end, first_item, items, json, members, strings, unquote};
use crate::core::text::{digits, num, parse_decimal};

/// The Engine.IO protocol revision (`EIO=4` in the connection URL's query).
pub const EIO_VERSION: u32 = 4;
/// The record separator between the packets of a polling body.
pub const SEPARATOR: char = '\u{1e}';
/// The `ping` with data `probe` a client sends on the new WebSocket of an upgrade.
pub const PING_PROBE: &str = "2probe";
/// The server's answer to [`PING_PROBE`].
pub const PONG_PROBE: &str = "3probe";
/// The `upgrade` packet that completes an upgrade, sent after [`PONG_PROBE`] arrived.
pub const UPGRADE: &str = "5";
/// The `pong` a client answers each server `ping` (`2`) with.
pub const PONG: &str = "3";
/// The most attachments a default [`Reassembly`] accepts per packet (socket.io-parser's).
pub const MAX_ATTACHMENTS: u32 = 10;
/// Event names socket.io reserves: an `EVENT` carrying one is invalid.
pub const RESERVED_EVENTS: [&str; 6] =
    ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

/// Why a packet, payload or argument is not valid. Each variant carries the offending detail.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An Engine.IO packet whose first character is not a type digit `0`–`6`.
    EioType {
        /// The first character (`None`: the packet is empty).
        found: Option<char>,
    },
    /// An `open` packet whose data is not a well-formed JSON object.
    OpenNotObject,
    /// An `open` packet without a required key.
    MissingField {
        /// The JSON key, e.g. `"sid"`.
        field: &'static str,
    },
    /// An `open` packet key with a value of the wrong type or range.
    InvalidField {
        /// The JSON key, e.g. `"pingInterval"`.
        field: &'static str,
    },
    /// Invalid base64 (a polling body's `b` record).
    Base64 {
        /// The byte offset of the offending character (or the length, for a bad length).
        at: usize,
    },
    /// A text packet to put in a polling body contains the separator `\x1e`.
    SeparatorInData,
    /// A Socket.IO packet whose first character is not a type digit `0`–`6`.
    SioType {
        /// The first character (`None`: the packet is empty).
        found: Option<char>,
    },
    /// A binary type without `<digits>-`, a count over `u32`, or a count on another type.
    InvalidAttachments,
    /// More attachments than the [`Reassembly`] limit.
    TooManyAttachments {
        /// The packet's count.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// A namespace to encode that does not start with `/` or contains `,`.
    InvalidNamespace,
    /// An ack id too large for `u64`.
    InvalidId,
    /// An `ACK` / `BINARY_ACK` without an id.
    MissingId,
    /// An id on a `CONNECT`, `DISCONNECT` or `CONNECT_ERROR`.
    UnexpectedId,
    /// JSON that is malformed, present when it must not be, absent when it must be, or of
    /// the wrong shape for the packet type.
    InvalidPayload {
        /// The packet type.
        kind: SioType,
    },
    /// An `EVENT` named with one of [`RESERVED_EVENTS`].
    ReservedEvent {
        /// The name.
        name: String,
    },
    /// A text message while a binary packet still waits for attachments (the packet is
    /// dropped: the [`Reassembly`] was reset).
    UnexpectedText {
        /// How many attachments were still missing.
        missing: u32,
    },
    /// A binary message while no binary packet waits for attachments.
    UnexpectedBinary,
    /// An event array that is not `[name, ...args, "<offset>"]` ([`strip_offset`]).
    NoOffset,
}

impl Error {
    /// A short description, for `error` events (no `core::fmt`: the wasm stays small).
    pub fn describe(&self) -> String {
        let s = match self {
            Self::EioType { .. } => "invalid Engine.IO packet type",
            Self::OpenNotObject => "Engine.IO open packet is not a JSON object",
            Self::MissingField { field } => {
                return ["Engine.IO open packet without ", field].concat();
            }
            Self::InvalidField { field } => return ["invalid Engine.IO open ", field].concat(),
            Self::Base64 { .. } => "invalid base64 in an Engine.IO payload",
            Self::SeparatorInData => "Engine.IO packet contains the record separator",
            Self::SioType { .. } => "invalid Socket.IO packet type",
            Self::InvalidAttachments => "invalid Socket.IO attachment count",
            Self::TooManyAttachments { limit, .. } => {
                return ["more than ", &digits((*limit).into()), " Socket.IO attachments"].concat();
            }
            Self::InvalidNamespace => "invalid Socket.IO namespace",
            Self::InvalidId => "invalid Socket.IO ack id",
            Self::MissingId => "Socket.IO ack without an id",
            Self::UnexpectedId => "Socket.IO packet type takes no id",
            Self::InvalidPayload { .. } => "invalid Socket.IO payload",
            Self::ReservedEvent { name } => {
                return ["reserved Socket.IO event name: ", name].concat();
            }
            Self::UnexpectedText { .. } => "Socket.IO text while attachments are pending",
            Self::UnexpectedBinary => "Socket.IO binary data without a binary packet",
            Self::NoOffset => "Socket.IO event without a trailing offset",
        };
        s.into()
    }
}

// ---------- Engine.IO ----------

/// An Engine.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EioType {
    /// `0`: the handshake (server → client, data: [`Handshake`] JSON).
    Open,
    /// `1`: the transport can be closed.
    Close,
    /// `2`: heartbeat (server → client; `2probe` client → server during an upgrade).
    Ping,
    /// `3`: heartbeat answer.
    Pong,
    /// `4`: a message (for Socket.IO: one Socket.IO packet).
    Message,
    /// `5`: completes an upgrade.
    Upgrade,
    /// `6`: no-op (ends a pending poll during an upgrade).
    Noop,
}

impl EioType {
    /// The type's number (`Open` = 0 … `Noop` = 6).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The type numbered `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        use EioType::*;
        [Open, Close, Ping, Pong, Message, Upgrade, Noop].get(usize::from(code)).copied()
    }
}

/// One Engine.IO text packet: a type and its data (borrowed; possibly empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EioPacket<'a> {
    /// The type.
    pub kind: EioType,
    /// What follows the type digit.
    pub data: &'a str,
}

impl<'a> EioPacket<'a> {
    /// A packet of type `kind` carrying `data`.
    pub fn new(kind: EioType, data: &'a str) -> Self {
        Self { kind, data }
    }

    /// A `message` packet carrying `data` (e.g. an encoded Socket.IO packet).
    pub fn message(data: &'a str) -> Self {
        Self::new(EioType::Message, data)
    }

    /// Decodes a WebSocket text frame (or one text record of a polling body).
    pub fn decode(text: &'a str) -> Result<Self, Error> {
        let kind = text.as_bytes().first().and_then(|c| c.checked_sub(b'0'));
        let kind = kind.and_then(EioType::from_code);
        match (kind, text.get(1..)) {
            (Some(kind), Some(data)) => Ok(Self { kind, data }),
            _ => Err(Error::EioType { found: text.chars().next() }),
        }
    }

    /// The packet as a WebSocket text frame: the type digit, then the data.
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(self.data.len() + 1);
        s.push(char::from(b'0' + self.kind.code()));
        s.push_str(self.data);
        s
    }
}

/// One record of a polling body: a text packet or a binary message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    /// A text packet.
    Packet(EioPacket<'a>),
    /// A binary message (`b<base64>` on the wire).
    Binary(Cow<'a, [u8]>),
}

/// Decodes a polling body (an HTTP long-polling response) into its records, in order. An
/// empty body is [`Error::EioType`] (it holds one empty record).
pub fn decode_payload(body: &str) -> Result<Vec<Record<'_>>, Error> {
    body.split(SEPARATOR)
        .map(|r| match r.strip_prefix('b') {
            Some(b64) => Ok(Record::Binary(Cow::Owned(base64_decode(b64)?))),
            None => EioPacket::decode(r).map(Record::Packet),
        })
        .collect()
}

/// Encodes records as a polling body (an HTTP long-polling `POST`): each text packet as
/// [`EioPacket::encode`], each binary message as `b<base64>`, joined by `\x1e`. A text
/// packet containing `\x1e` is [`Error::SeparatorInData`] (it would split). No records give
/// an empty body, which does not decode: send at least one.
pub fn encode_payload(records: &[Record<'_>]) -> Result<String, Error> {
    let mut out = String::new();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        match r {
            Record::Packet(p) if p.data.contains(SEPARATOR) => return Err(Error::SeparatorInData),
            Record::Packet(p) => out.push_str(&p.encode()),
            Record::Binary(b) => {
                out.push('b');
                out.push_str(&base64_encode(b));
            }
        }
    }
    Ok(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 alphabet `A–Z a–z 0–9 + /`) with `=` padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().zip([16, 8, 0]).fold(0u32, |n, (&b, s)| n | u32::from(b) << s);
        for k in 0..4 {
            let sym = B64.get(((n >> (18 - 6 * k)) & 63) as usize).copied().unwrap_or(b'A');
            out.push(if k <= chunk.len() { char::from(sym) } else { '=' });
        }
    }
    out
}

/// Decodes standard base64 (RFC 4648). Padding is optional, but when present the length must
/// be a multiple of 4; the unused bits of the last character must be zero (canonical form).
/// Anything else (another character, `=` inside, a length of 4n+1) is [`Error::Base64`].
pub fn base64_decode(s: &str) -> Result<Vec<u8>, Error> {
    let b = s.as_bytes();
    let body = match b {
        [rest @ .., b'=', b'='] | [rest @ .., b'='] => rest,
        _ => b,
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, &c) in body.iter().enumerate() {
        let v = B64.iter().position(|&x| x == c).ok_or(Error::Base64 { at: i })?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if (body.len() != b.len() && b.len() % 4 != 0) || body.len() % 4 == 1 {
        return Err(Error::Base64 { at: b.len() });
    }
    if acc != 0 {
        return Err(Error::Base64 { at: body.len().saturating_sub(1) });
    }
    Ok(out)
}

/// The data of the Engine.IO `open` packet: the session and the heartbeat the server sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The session id (the `sid` query parameter of later requests).
    pub sid: String,
    /// The transports the session can upgrade to (e.g. `["websocket"]`).
    pub upgrades: Vec<String>,
    /// How often the server pings, in ms (`pingInterval`).
    pub ping_interval_ms: f64,
    /// How long the server waits for the pong, in ms (`pingTimeout`). The client should
    /// consider the connection dead after `pingInterval + pingTimeout` without a ping.
    pub ping_timeout_ms: f64,
    /// The most bytes per polling body the server accepts (`maxPayload`); `None` from
    /// servers that do not send it (Socket.IO 3).
    pub max_payload: Option<u64>,
}

impl Handshake {
    /// Reads the data of an `open` packet (see the module doc for the rules).
    pub fn parse(json: &str) -> Result<Self, Error> {
        const KEYS: [&str; 5] = ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"];
        let mut raw: [Option<&str>; 5] = [None; 5];
        for (k, v) in members(json).ok_or(Error::OpenNotObject)? {
            if let Some(slot) = KEYS.iter().position(|n| *n == k).and_then(|i| raw.get_mut(i)) {
                *slot = Some(v);
            }
        }
        let [sid, upgrades, interval, timeout, max] = raw;
        let need = |v: Option<_>, field| v.ok_or(Error::MissingField { field });
        let bad = |field| Error::InvalidField { field };
        let ms = |v: &str, field| parse_decimal(v).ok_or(bad(field));
        Ok(Self {
            sid: unquote(need(sid, "sid")?).ok_or(bad("sid"))?.into_owned(),
            upgrades: strings(need(upgrades, "upgrades")?).ok_or(bad("upgrades"))?,
            ping_interval_ms: ms(need(interval, "pingInterval")?, "pingInterval")?,
            ping_timeout_ms: ms(need(timeout, "pingTimeout")?, "pingTimeout")?,
            max_payload: match max {
                None => None,
                Some(v) => Some(
                    ms(v, "maxPayload")
                        .ok()
                        .filter(|n| n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0)
                        .ok_or(bad("maxPayload"))? as u64,
                ),
            },
        })
    }

    /// The handshake as `open` packet data (numbers written as `text::num` does: integers
    /// exactly); what a server would send, for tests and reference servers.
    pub fn to_json(&self) -> String {
        let ups: Vec<String> = self.upgrades.iter().map(|u| quote(u)).collect();
        let mut s = ["{\"sid\":", &quote(&self.sid), ",\"upgrades\":[", &ups.join(",")].concat();
        s.push_str("],\"pingInterval\":");
        s.push_str(&num(self.ping_interval_ms));
        s.push_str(",\"pingTimeout\":");
        s.push_str(&num(self.ping_timeout_ms));
        if let Some(m) = self.max_payload {
            s.push_str(",\"maxPayload\":");
            s.push_str(&digits(m));
        }
        s.push('}');
        s
    }
}

// ---------- Socket.IO ----------

/// A Socket.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SioType {
    /// `0`: connect to a namespace (client: optional auth object; server: `{"sid":…}`).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event: `["name", ...args]`.
    Event,
    /// `3`: an ack: `[...args]` with the event's id.
    Ack,
    /// `4`: the namespace refused the connection (`{"message":…,"data":…}`).
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an ack with binary attachments.
    BinaryAck,
}

impl SioType {
    /// The type's number (`Connect` = 0 … `BinaryAck` = 6).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The type numbered `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        use SioType::*;
        let all = [Connect, Disconnect, Event, Ack, ConnectError, BinaryEvent, BinaryAck];
        all.get(usize::from(code)).copied()
    }

    /// Whether packets of this type carry binary attachments (`BinaryEvent`, `BinaryAck`).
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

/// A Socket.IO packet header, borrowed from its text: everything but the binary attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SioPacket<'a> {
    /// The type.
    pub kind: SioType,
    /// How many binary messages follow (0 for non-binary types).
    pub attachments: u32,
    /// The namespace (`"/"` when the packet omits it).
    pub nsp: &'a str,
    /// The ack id.
    pub id: Option<u64>,
    /// The JSON payload as text, unparsed (`""` when absent). Binary attachments appear in
    /// it as `{"_placeholder":true,"num":<index>}`.
    pub data: &'a str,
}

impl<'a> SioPacket<'a> {
    /// A packet without attachments or id.
    pub fn new(kind: SioType, nsp: &'a str, data: &'a str) -> Self {
        Self { kind, attachments: 0, nsp, id: None, data }
    }

    /// Sets the ack id (builder style).
    pub fn with_id(mut self, id: u64) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the attachment count (builder style; binary types only).
    pub fn with_attachments(mut self, n: u32) -> Self {
        self.attachments = n;
        self
    }

    /// Decodes the text of a Socket.IO packet (see the module doc for the rules).
    pub fn decode(text: &'a str) -> Result<Self, Error> {
        Ok(parse(text)?.packet(text))
    }

    /// Encodes the packet: `<type>[<attachments>-][<nsp>,][<id>][<data>]` (the namespace
    /// only when it is not `/`). Fails with the error decoding would give, or
    /// [`Error::InvalidNamespace`] / [`Error::InvalidAttachments`]: what encodes decodes back
    /// to an equal packet.
    pub fn encode(&self) -> Result<String, Error> {
        if !self.nsp.starts_with('/') || self.nsp.contains(',') {
            return Err(Error::InvalidNamespace);
        }
        if !self.kind.is_binary() && self.attachments != 0 {
            return Err(Error::InvalidAttachments);
        }
        check(self.kind, self.id, self.data)?;
        let mut s = String::with_capacity(self.data.len() + self.nsp.len() + 16);
        s.push(char::from(b'0' + self.kind.code()));
        if self.kind.is_binary() {
            s.push_str(&digits(self.attachments.into()));
            s.push('-');
        }
        if self.nsp != "/" {
            s.push_str(self.nsp);
            s.push(',');
        }
        if let Some(id) = self.id {
            s.push_str(&digits(id));
        }
        s.push_str(self.data);
        Ok(s)
    }
}

/// A parsed header: positions in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    kind: SioType,
    attachments: u32,
    nsp: Range<usize>,
    id: Option<u64>,
    data: usize,
}

impl Header {
    fn packet<'a>(&self, text: &'a str) -> SioPacket<'a> {
        SioPacket {
            kind: self.kind,
            attachments: self.attachments,
            nsp: text.get(self.nsp.clone()).filter(|n| !n.is_empty()).unwrap_or("/"),
            id: self.id,
            data: text.get(self.data..).unwrap_or_default(),
        }
    }
}

fn parse(text: &str) -> Result<Header, Error> {
    let b = text.as_bytes();
    let kind = b.first().and_then(|c| c.checked_sub(b'0')).and_then(SioType::from_code);
    let kind = kind.ok_or(Error::SioType { found: text.chars().next() })?;
    let mut i = 1;
    let mut attachments = 0;
    if kind.is_binary() {
        let e = digits_end(b, i);
        let n = int(b.get(i..e)).and_then(|n| u32::try_from(n).ok());
        attachments = n.filter(|_| b.get(e) == Some(&b'-')).ok_or(Error::InvalidAttachments)?;
        i = e + 1;
    }
    let mut nsp = i..i;
    if b.get(i) == Some(&b'/') {
        let end = b.get(i..).and_then(|r| r.iter().position(|&c| c == b',')).map(|p| i + p);
        nsp = i..end.unwrap_or(b.len());
        i = end.map_or(b.len(), |e| e + 1);
    }
    let e = digits_end(b, i);
    let id = if e > i { Some(int(b.get(i..e)).ok_or(Error::InvalidId)?) } else { None };
    check(kind, id, text.get(e..).unwrap_or_default())?;
    Ok(Header { kind, attachments, nsp, id, data: e })
}

/// The payload rules of the module doc, then the id rules.
fn check(kind: SioType, id: Option<u64>, data: &str) -> Result<(), Error> {
    use SioType::*;
    let bad = Error::InvalidPayload { kind };
    let ok = match json(data) {
        None if !data.is_empty() => return Err(bad),
        None => matches!(kind, Connect | Disconnect),
        Some((b'{', _)) => matches!(kind, Connect | ConnectError),
        Some((b'"', _)) => kind == ConnectError,
        Some((b'[', r)) if matches!(kind, Event | BinaryEvent) => {
            let first = first_item(data.as_bytes(), r.start).ok_or(bad.clone())?;
            let name = data.get(first).unwrap_or_default();
            if name.starts_with('"') {
                let name = unquote(name).unwrap_or_default();
                if RESERVED_EVENTS.contains(&&*name) {
                    return Err(Error::ReservedEvent { name: name.into_owned() });
                }
                true
            } else {
                name.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            }
        }
        Some((b'[', _)) => matches!(kind, Ack | BinaryAck),
        Some(_) => false,
    };
    match (ok, kind, id) {
        (false, ..) => Err(bad),
        (_, Ack | BinaryAck, None) => Err(Error::MissingId),
        (_, Connect | Disconnect | ConnectError, Some(_)) => Err(Error::UnexpectedId),
        _ => Ok(()),
    }
}

/// A decimal number from ASCII digits (`None`: empty or over `u64`).
fn int(d: Option<&[u8]>) -> Option<u64> {
    let d = d.filter(|d| !d.is_empty())?;
    d.iter().try_fold(0u64, |n, &c| n.checked_mul(10)?.checked_add(u64::from(c - b'0')))
}

/// What [`Reassembly::text`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fed<'a> {
    /// A complete packet (no attachments follow), borrowed from the text fed.
    Packet(SioPacket<'a>),
    /// A binary packet's header: this many binary messages must follow.
    Awaiting(u32),
}

/// A binary packet with all its attachments, in order (`attachments[i]` replaces the
/// placeholder with `"num":i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPacket<B> {
    text: String,
    header: Header,
    /// The binary messages, in arrival order.
    pub attachments: Vec<B>,
}

impl<B> BinaryPacket<B> {
    /// The packet's header (its `data` holds the placeholders).
    pub fn packet(&self) -> SioPacket<'_> {
        self.header.packet(&self.text)
    }

    /// The header's text as received.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Reassembles binary packets: feed it every Socket.IO message in order, text ones to
/// [`text`](Self::text), binary ones to [`binary`](Self::binary). Generic over the buffer
/// type (`Vec<u8>`, a JS `Uint8Array` handle …): buffers are only moved, never read.
#[derive(Debug, Clone)]
pub struct Reassembly<B> {
    limit: u32,
    pending: Option<(u32, BinaryPacket<B>)>,
}

impl<B> Default for Reassembly<B> {
    /// A reassembly accepting [`MAX_ATTACHMENTS`] attachments per packet.
    fn default() -> Self {
        Self::new(MAX_ATTACHMENTS)
    }
}

impl<B> Reassembly<B> {
    /// A reassembly accepting up to `max_attachments` attachments per packet.
    pub fn new(max_attachments: u32) -> Self {
        Self { limit: max_attachments, pending: None }
    }

    /// Feeds a text message. A binary packet with attachments is kept until they arrive
    /// ([`Fed::Awaiting`]); any other packet (a binary one with 0 attachments too) is
    /// returned at once. Text while attachments are pending resets and fails with
    /// [`Error::UnexpectedText`].
    pub fn text<'a>(&mut self, text: &'a str) -> Result<Fed<'a>, Error> {
        if let Some((missing, _)) = self.pending.take() {
            return Err(Error::UnexpectedText { missing });
        }
        let header = parse(text)?;
        let n = header.attachments;
        if n > self.limit {
            return Err(Error::TooManyAttachments { count: n, limit: self.limit });
        }
        if n == 0 {
            return Ok(Fed::Packet(header.packet(text)));
        }
        let attachments = Vec::new();
        self.pending = Some((n, BinaryPacket { text: text.into(), header, attachments }));
        Ok(Fed::Awaiting(n))
    }

    /// Feeds a binary message: the packet once it was the last attachment, `None` while
    /// more must come; [`Error::UnexpectedBinary`] when no packet waits for one.
    pub fn binary(&mut self, data: B) -> Result<Option<BinaryPacket<B>>, Error> {
        let Some((missing, mut p)) = self.pending.take() else {
            return Err(Error::UnexpectedBinary);
        };
        p.attachments.push(data);
        if missing > 1 {
            self.pending = Some((missing - 1, p));
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// How many attachments the pending packet still waits for (0: none pending).
    pub fn missing(&self) -> u32 {
        self.pending.as_ref().map_or(0, |(n, _)| *n)
    }

    /// Drops a pending packet (for a new connection).
    pub fn reset(&mut self) {
        self.pending = None;
    }
}

// ---------- payload helpers ----------

/// An event array split: the name, and where its arguments are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventParts<'a> {
    /// The event name, unescaped (a numeric name as its JSON text).
    pub name: Cow<'a, str>,
    /// The byte range of the arguments in the array text: from the first argument to the end
    /// of the last, commas included (`"Jude",1` in `["hey","Jude",1]`); empty when none.
    /// `[` + that + `]` is the arguments array.
    pub args: Range<usize>,
}

/// Splits an `EVENT` payload (`["name", ...args]`) into the name and the arguments' range.
/// [`Error::InvalidPayload`] unless it is valid as an `EVENT`'s data.
pub fn split_event(data: &str) -> Result<EventParts<'_>, Error> {
    check(SioType::Event, None, data)?;
    let bad = Error::InvalidPayload { kind: SioType::Event };
    let items = items(data).ok_or(bad.clone())?;
    let name = items.first().and_then(|r| data.get(r.clone())).ok_or(bad.clone())?;
    let name = if name.starts_with('"') { unquote(name).ok_or(bad)? } else { name.into() };
    let end = items.last().map_or(0, |r| r.end);
    let start = items.get(1).map_or(end, |r| r.start);
    Ok(EventParts { name, args: start..end })
}

/// Connection state recovery: a server with `connectionStateRecovery` (its `CONNECT` answer
/// carries a `pid`) appends the packet's offset (a string) to every event it emits without an
/// ack id, except volatile ones (socket.io-adapter's `broadcast`). Returns the array without
/// its last element, and that element unescaped (the offset to keep, for the next `CONNECT`'s
/// `{"pid":…,"offset":…}`). [`Error::NoOffset`] unless `data` is a well-formed array of at
/// least 2 elements ending with a string. Apply only to `EVENT`s without an id; nothing in
/// the wire tells a volatile event (no offset) apart, so `NoOffset` means "none here".
pub fn strip_offset(data: &str) -> Result<(String, Cow<'_, str>), Error> {
    let items = items(data).unwrap_or_default();
    let (Some(last), Some(prev)) = (items.last(), items.len().checked_sub(2)) else {
        return Err(Error::NoOffset);
    };
    let offset = data.get(last.clone()).and_then(unquote).ok_or(Error::NoOffset)?;
    let cut = items.get(prev).map_or(0, |r| r.end);
    Ok(([data.get(..cut).unwrap_or_default(), "]"].concat(), offset))
}

/// An `EVENT` payload: `[<name as a JSON string>,<args...>]`. `args` must each be JSON text
/// already (they are not checked here; [`SioPacket::encode`] checks the whole).
pub fn event_array(name: &str, args: &[&str]) -> String {
    let mut s =
        String::with_capacity(name.len() + 4 + args.iter().map(|a| a.len() + 1).sum::<usize>());
    s.push('[');
    s.push_str(&quote(name));
    for a in args {
        s.push(',');
        s.push_str(a);
    }
    s.push(']');
    s
}

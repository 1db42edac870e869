//! Wire protocol v1: JSON text frames.
//!
//! - event, either direction: `{"type": "<name>", "data": <any JSON>}`
//! - request, client → server: `{"type": "<name>", "id": <integer>, "data": <any>}`
//! - reply, server → client: `{"replyTo": <id>, "data": <any>}` or
//!   `{"replyTo": <id>, "error": {"message": "...", "code": "..."}}`
//! - heartbeat: `{"type":"ping"}` → `{"type":"pong"}`; neither reaches message handlers.
//! - a text frame that is not a JSON object with a string `type` (or a `replyTo`) is *raw*;
//!   binary frames are always raw.
//!
//! Encoding is string concatenation around already-serialized `data` (the JS side uses
//! `JSON.stringify`), so the engine needs no JSON library. Classification takes the few
//! envelope fields the caller read (JS: `JSON.parse` + `Reflect.get`; Rust:
//! [`decode`] with serde_json).

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Frame {
    /// Its length in bytes (UTF-8 for text).
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(s) => s.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// Whether it has no payload.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A frame as the engine stores and hands back to the driver. The engine only needs its
/// size (for queue limits and metrics) and a way to make heartbeat frames from text; the
/// JS driver uses a JS string here so payloads never cross into wasm memory.
pub trait WireFrame: Clone {
    /// Its size in bytes (the JS driver counts UTF-16 code units of text).
    fn wire_len(&self) -> usize;
    /// A text frame.
    fn text(s: String) -> Self;
    /// Reliable mode: this frame with `"seq": seq` added, or `None` when it cannot carry one
    /// (it is then sent as it is). Default `None`.
    fn with_seq(&self, seq: u64) -> Option<Self> {
        let _ = seq;
        None
    }
    /// The channel it belongs to (see [`Engine::open_channel`](crate::core::Engine::open_channel)):
    /// 0, the default, is always open.
    fn channel(&self) -> u32 {
        0
    }
}

impl WireFrame for Frame {
    fn wire_len(&self) -> usize {
        self.len()
    }
    fn text(s: String) -> Self {
        Frame::Text(s)
    }
    fn with_seq(&self, seq: u64) -> Option<Self> {
        match self {
            Frame::Text(s) => super::reliable::with_seq(s, seq).map(Frame::Text),
            Frame::Binary(_) => None,
        }
    }
}

/// What an inbound frame is, as far as the engine cares: the protocol seam's inbound half.
/// Every protocol (v1, raw, a custom codec, STOMP) classifies its frames into these; the
/// engine's reconnect, heartbeat, queue and request logic only ever sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// A typed event for message handlers.
    Event,
    /// A heartbeat ping from the server (answered with a pong, not delivered).
    Ping,
    /// A heartbeat pong (not delivered).
    Pong,
    /// A reply to request `id`; `error` when it carries an `error` member.
    Reply {
        /// The request id.
        id: u64,
        /// Whether it is an error reply.
        error: bool,
    },
    /// Not an envelope: delivered to `raw` listeners.
    Raw,
    /// Looks like an envelope but breaks the protocol (e.g. a non-integer `replyTo`).
    Malformed(&'static str),
    /// A protocol frame for the protocol alone (a STOMP heart-beat, a receipt that is not
    /// ours): proof of life, not delivered, not counted in `messages_in`.
    Control,
    /// The handshake's answer (STOMP `CONNECTED`): the session is open. `beat` is the
    /// negotiated heartbeat `(send_ms, recv_ms)` (0 = that direction off), which puts the
    /// heartbeat in the beat role; `None` keeps the configured probe role.
    Ready {
        /// The negotiated `(send_ms, recv_ms)`, if the protocol negotiates one.
        beat: Option<(u32, u32)>,
    },
    /// The peer refused the handshake (e.g. a STOMP `ERROR` before `CONNECTED`): the attempt
    /// failed, with this description.
    Refused(String),
    /// An error frame from the peer (STOMP `ERROR`): delivered as a
    /// [`Delivery::ServerError`](super::machine::Delivery::ServerError).
    ServerError,
    /// The answer to the goodbye (the `DISCONNECT` receipt): the socket may close now.
    Bye,
}

/// A top-level envelope member as read by the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// The member is missing (or `undefined`).
    Absent,
    /// A string.
    Str(&'a str),
    /// A number.
    Num(f64),
    /// Anything else (`null`, boolean, object, array).
    Other,
}

/// Classifies a JSON object from its `type` and `replyTo` members and whether it has an
/// `error` member. Non-objects are [`FrameKind::Raw`] without calling this.
pub fn classify(ty: Field<'_>, reply_to: Field<'_>, has_error: bool) -> FrameKind {
    match reply_to {
        Field::Absent => {}
        Field::Num(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
            return FrameKind::Reply { id: n as u64, error: has_error };
        }
        _ => return FrameKind::Malformed("replyTo must be a non-negative integer"),
    }
    match ty {
        Field::Str("ping") => FrameKind::Ping,
        Field::Str("pong") => FrameKind::Pong,
        Field::Str(_) => FrameKind::Event,
        _ => FrameKind::Raw,
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Encodes an event. `data_json` must already be JSON; empty means `null`.
pub fn encode_event(ty: &str, data_json: &str) -> String {
    encode(ty, None, data_json)
}

/// Encodes a request with id `id`. `data_json` must already be JSON; empty means `null`.
pub fn encode_request(ty: &str, id: u64, data_json: &str) -> String {
    encode(ty, Some(id), data_json)
}

fn encode(ty: &str, id: Option<u64>, data_json: &str) -> String {
    let data = if data_json.is_empty() { "null" } else { data_json };
    let mut out = String::with_capacity(ty.len() + data.len() + 32);
    out.push_str("{\"type\":");
    push_json_string(&mut out, ty);
    if let Some(id) = id {
        out.push_str(",\"id\":");
        out.push_str(&super::text::digits(id));
    }
    out.push_str(",\"data\":");
    out.push_str(data);
    out.push('}');
    out
}

/// A text frame decoded with serde_json (used by the Rust API and native tests; the JS
/// driver uses `JSON.parse` instead).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// What it is.
    pub kind: FrameKind,
    /// The parsed JSON, when it parsed.
    pub value: Option<serde_json::Value>,
}

/// Decodes and classifies a text frame. Never fails: anything that is not an envelope is
/// [`FrameKind::Raw`].
pub fn decode(text: &str) -> Decoded {
    use serde_json::Value;
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Decoded { kind: FrameKind::Raw, value: None };
    };
    let kind = match &value {
        Value::Object(map) => {
            let field = |k: &str| match map.get(k) {
                None => Field::Absent,
                Some(Value::String(s)) => Field::Str(s),
                Some(Value::Number(n)) => n.as_f64().map_or(Field::Other, Field::Num),
                Some(_) => Field::Other,
            };
            classify(field("type"), field("replyTo"), map.contains_key("error"))
        }
        _ => FrameKind::Raw,
    };
    Decoded { kind, value: Some(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_events_and_requests() {
        assert_eq!(
            encode_event("chat", r#"{"text":"hi"}"#),
            r#"{"type":"chat","data":{"text":"hi"}}"#
        );
        assert_eq!(encode_event("x", ""), r#"{"type":"x","data":null}"#);
        assert_eq!(encode_request("add", 7, "[1,2]"), r#"{"type":"add","id":7,"data":[1,2]}"#);
        let weird = "q\"\\\n\r\t\u{1}é😀";
        let enc = encode_event(weird, "1");
        let back: serde_json::Value = serde_json::from_str(&enc).unwrap_or_default();
        assert_eq!(back["type"], weird);
    }

    #[test]
    fn classifies() {
        let k = |s: &str| decode(s).kind;
        assert_eq!(k(r#"{"type":"chat","data":1}"#), FrameKind::Event);
        assert_eq!(k(r#"{"type":"pong"}"#), FrameKind::Pong);
        assert_eq!(k(r#"{"type":"ping"}"#), FrameKind::Ping);
        assert_eq!(k(r#"{"replyTo":3,"data":1}"#), FrameKind::Reply { id: 3, error: false });
        assert_eq!(k(r#"{"replyTo":3,"error":{}}"#), FrameKind::Reply { id: 3, error: true });
        assert!(matches!(k(r#"{"replyTo":"3"}"#), FrameKind::Malformed(_)));
        assert!(matches!(k(r#"{"replyTo":1.5}"#), FrameKind::Malformed(_)));
        assert!(matches!(k(r#"{"replyTo":-1}"#), FrameKind::Malformed(_)));
        for raw in ["hello", "[1,2]", "42", r#"{"type":42}"#, r#"{"foo":1}"#, "not json {", ""] {
            assert_eq!(k(raw), FrameKind::Raw, "{raw}");
        }
    }
}

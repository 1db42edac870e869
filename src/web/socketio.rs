//! The Socket.IO driver half (feature `socketio`): Engine.IO v4 over WebSocket and Socket.IO v5
//! for one namespace, on the codec of [`crate::core::socketio`]. Only classification and the
//! session live here; the engine does reconnect, heartbeat deadlines, queue and requests:
//! - the Engine.IO `open` packet is the transport's real open: the driver feeds
//!   [`Engine::on_open`](crate::core::Engine::on_open) only then, so the session handshake
//!   ([`Action::Handshake`](crate::core::Action)) runs with `pingInterval`/`maxPayload` known;
//! - the handshake asks the facade for the `auth` of this attempt ([`Sink::sio_auth`]); the
//!   facade answers with [`Driver::sio_connect`] (at once, or later for an async `auth`), which
//!   sends `CONNECT` with `{pid, offset}` merged in front of the app's auth (socket.io-client's
//!   `Object.assign({pid, offset}, auth)`: the app's keys win);
//! - the namespace's `CONNECT` answer opens the session (`FrameKind::Ready`) in the beat role
//!   `(0, pingInterval + pingTimeout)`: the server pings, a silence that long is a dead peer;
//! - server pings (`2`) are answered by the engine with the session's pong (`3`);
//! - `CONNECT_ERROR` is delivered (the facade's `connect_error`), then the engine closes: no
//!   reconnect, as socket.io-client after a middleware refusal; `DISCONNECT` closes with reason
//!   `io server disconnect` (no reconnect either);
//! - events (offset stripped when recovery is on), acks (= replies to the engine's requests,
//!   the ack id being the request id) and connect errors reach the facade as `Note::Sio` with
//!   `[json text, attachments (an Array of ArrayBuffers, or undefined), ack id or undefined]`
//!   (a server `DISCONNECT` is note 2 too, while connected: the close reason);
//!   the facade parses and puts the binary attachments back in place of their placeholders.

use std::rc::Rc;

use js_sys::{JsString, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{
    json_parse, now, Ctx, Driver, Inbound, Inner, JsFrame, Kind, Note, Port, Proto, Shared,
};
use crate::core::socketio::{
    quote, strip_offset, EioPacket, EioType, Fed, Handshake, Reassembly, SioPacket, SioType,
};
use crate::core::{Delivery, Engine, FrameKind};

/// The Socket.IO session of one driver.
pub(crate) struct SioState {
    /// The namespace (`/` or `/name`).
    nsp: String,
    /// The connection the fields below describe.
    conn: u64,
    /// Whether this connection's Engine.IO `open` packet arrived.
    opened: bool,
    reasm: Reassembly<JsValue>,
    /// `pingInterval + pingTimeout` of the latest `open` packet, in ms.
    beat_ms: u32,
    /// The latest `maxPayload` (NaN before the first `open`).
    max_payload: f64,
    /// The namespace socket id of the latest `CONNECT` answer.
    id: String,
    /// Connection state recovery: the session id and the offset of the latest event.
    pid: Option<String>,
    offset: Option<String>,
    /// Whether the latest `CONNECT` restored the session.
    recovered: bool,
    /// The facade's Engine.IO transport options for the Port (`src/eio.js`), or undefined.
    eio: JsValue,
}

impl SioState {
    /// A session for namespace `nsp` (checked by the facade: starts with `/`, no `,`), with
    /// the facade's Engine.IO transport options `eio` (see `src/eio.js`; undefined: WebSocket
    /// only).
    pub fn new(nsp: String, eio: JsValue) -> Self {
        Self {
            nsp,
            conn: 0,
            opened: false,
            reasm: Reassembly::default(),
            beat_ms: 0,
            max_payload: f64::NAN,
            id: String::new(),
            pid: None,
            offset: None,
            recovered: false,
            eio,
        }
    }

    /// The driver's Port: Engine.IO's (polling and its upgrade to WebSocket, `src/eio.js`).
    pub(super) fn port(
        &self,
        input: &Closure<dyn Fn(u32, f64, f64, JsValue)>,
        q: &js_sys::Array,
    ) -> Port {
        eport(input, q, &self.eio)
    }
}

#[wasm_bindgen(module = "/src/eio.js")]
extern "C" {
    /// A Port (`src/glue.js`) whose transports are Engine.IO's: HTTP long-polling with the
    /// upgrade to WebSocket inside the session, or a WebSocket, as the options `eio` say.
    fn eport(
        input: &Closure<dyn Fn(u32, f64, f64, JsValue)>,
        q: &js_sys::Array,
        eio: &JsValue,
    ) -> Port;
}

/// A text frame.
fn text(s: &str) -> JsFrame {
    JsFrame { value: JsValue::from_str(s), len: s.len() }
}

fn get_str(o: &JsValue, k: &str) -> Option<String> {
    Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.as_string())
}

impl Driver {
    /// `[id, recovered, maxPayload]` of the latest namespace connection (read by the facade
    /// while it dispatches `connect`).
    pub fn sio_info(&self) -> js_sys::Array {
        let i = self.shared.inner.borrow();
        match &i.proto {
            Proto::Sio(st) => js_sys::Array::of3(
                &JsValue::from_str(&st.id),
                &JsValue::from_bool(st.recovered),
                &JsValue::from_f64(st.max_payload),
            ),
            _ => js_sys::Array::new(),
        }
    }

    /// Sends the namespace `CONNECT` of connection `conn` with the app's `auth` (a JSON
    /// object's text), if that connection is still handshaking; auth that is not a JSON
    /// object fails the attempt.
    pub fn sio_connect(&self, conn: u64, auth: &str) {
        {
            let mut i = self.shared.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return };
            if engine.conn() != conn || !engine.handshaking() {
                return;
            }
            let mut data = String::new();
            if let Some(pid) = &st.pid {
                data = ["{\"pid\":", &quote(pid)].concat();
                if let Some(off) = &st.offset {
                    data.push_str(",\"offset\":");
                    data.push_str(&quote(off));
                }
                let rest = auth.trim_start().get(1..).unwrap_or_default().trim_start();
                if !rest.starts_with('}') {
                    data.push(',');
                }
                data.push_str(rest);
            } else {
                data.push_str(auth);
            }
            let now = now();
            match SioPacket::new(SioType::Connect, &st.nsp, &data).encode() {
                Ok(p) => {
                    engine.control(text(&EioPacket::message(&p).encode()), now);
                }
                Err(_) => {
                    let why = "auth must be a JSON object".to_string();
                    engine.on_frame(conn, 0, FrameKind::Refused(why), now);
                }
            }
        }
        self.shared.pump(Ctx::Method);
    }

    /// `disconnect()`: closes, keeping the queue; emits queue until [`sio_resume`](Self::sio_resume)
    /// ([`Engine::disconnect`]).
    pub fn sio_disconnect(&self) {
        self.with(|e, now| e.disconnect(1000, "io client disconnect", now));
    }

    /// `connect()`: starts connecting if closed, or at once if still closing
    /// ([`Engine::resume`]).
    pub fn sio_resume(&self) {
        self.with(|e, now| e.resume(1000, "io client disconnect", now));
    }

    /// Fails the handshake of connection `conn` (an async `auth` rejected) with `why`.
    pub fn sio_fail(&self, conn: u64, why: String) {
        self.shared.inner.borrow_mut().engine.on_protocol_error(conn, why, now());
        self.shared.pump(Ctx::Method);
    }
}

impl Shared {
    /// Whether the protocol is Socket.IO.
    pub(super) fn sio(&self) -> bool {
        matches!(self.inner.borrow().proto, Proto::Sio(_))
    }

    /// The session handshake: asks the facade for this attempt's `auth` (user code, no
    /// borrow held); it answers with [`Driver::sio_connect`].
    pub(super) fn sio_handshake(self: &Rc<Self>, conn: u64) {
        if let Err(why) = self.sink.sio_auth(conn) {
            self.inner.borrow_mut().engine.on_frame(conn, 0, FrameKind::Refused(why), now());
        }
    }

    /// A delivered Socket.IO payload for the facade.
    pub(super) fn sio_deliver(&self, d: Delivery, data: JsValue, conn: u64) {
        let (k, id) = match d {
            Delivery::Event => (0, f64::NAN),
            Delivery::Reply { id, .. } => (1, id as f64),
            Delivery::ServerError => (2, f64::NAN),
            _ => return,
        };
        self.sink.note(Note::Sio { k, id, conn, v: data });
    }

    /// An inbound WebSocket message (text: one Engine.IO packet; binary: an attachment).
    pub(super) fn on_sio(self: &Rc<Self>, conn: u64, data: JsValue, now: f64) {
        let mut ping = false;
        {
            let mut i = self.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return };
            if engine.conn() != conn {
                return;
            }
            if st.conn != conn {
                st.conn = conn;
                st.opened = false;
                st.reasm.reset();
            }
            let mut inbound = self.inbound.borrow_mut();
            let mp = st.max_payload;
            let mut deliver = |engine: &mut Engine<Kind, JsFrame>, len: usize, c: Classified| {
                let (kind, payload, close) = c;
                if matches!(kind, FrameKind::Ready { .. }) {
                    // Emits queued before this connection's maxPayload was known: one over it
                    // would make the server close the connection.
                    engine.drop_queued(
                        |f| too_big(f, mp),
                        "a queued emit makes a WebSocket frame over the server's maxPayload: dropped (drop reason \"too-big\")",
                    );
                }
                if engine.on_frame(conn, len, kind, now) != Delivery::Ignore {
                    let data = payload.unwrap_or(JsValue::UNDEFINED);
                    inbound.push_back(Inbound { data, parsed: None, conn });
                }
                // After the delivery: a connect error reaches the app before the close.
                if let Some(reason) = close {
                    engine.close(1000, reason, now);
                }
            };
            let Some(s) = data.as_string() else {
                let len = data.dyn_ref::<js_sys::ArrayBuffer>().map_or(0, |b| b.byte_length());
                match st.reasm.binary(data) {
                    Ok(None) => deliver(engine, len as usize, CONTROL),
                    Ok(Some(p)) => {
                        let atts: js_sys::Array = p.attachments.iter().collect();
                        let c = packet(engine, st, p.packet(), atts.into());
                        deliver(engine, len as usize, c);
                    }
                    Err(e) => engine.on_protocol_error(conn, e.describe(), now),
                }
                drop(inbound);
                drop(i);
                return self.pump(Ctx::Callback);
            };
            let len = s.len();
            match EioPacket::decode(&s) {
                Err(e) => engine.on_protocol_error(conn, e.describe(), now),
                Ok(p) => match p.kind {
                    EioType::Open if !st.opened => match Handshake::parse(p.data) {
                        Ok(h) => {
                            st.opened = true;
                            let beat = h.ping_interval_ms + h.ping_timeout_ms;
                            st.beat_ms = beat.clamp(1.0, 4_294_967_295.0) as u32;
                            st.max_payload = h.max_payload.map_or(f64::NAN, |m| m as f64);
                            engine.on_open(conn, now);
                        }
                        Err(e) => engine.on_connect_failed(conn, e.describe(), now),
                    },
                    EioType::Ping => {
                        ping = true;
                        // Answered during the namespace handshake too (a slow middleware
                        // must not look like a dead client to the server).
                        if engine.handshaking() {
                            engine.control(text("3"), now);
                        }
                        deliver(engine, len, (FrameKind::Ping, None, None));
                    }
                    EioType::Message if st.opened => match st.reasm.text(p.data) {
                        Ok(Fed::Packet(pk)) => {
                            let c = packet(engine, st, pk, JsValue::UNDEFINED);
                            deliver(engine, len, c);
                        }
                        Ok(Fed::Awaiting(_)) => deliver(engine, len, CONTROL),
                        Err(e) => engine.on_protocol_error(conn, e.describe(), now),
                    },
                    // close (the socket closes next), pong, upgrade, noop: nothing to do.
                    _ => deliver(engine, len, CONTROL),
                },
            }
        }
        self.pump(Ctx::Callback);
        // The `ping` event: after everything older was performed (the pump ran to the end).
        if ping && !self.freed.get() && self.held.borrow().is_none() {
            self.sink.note(Note::Sio { k: 3, id: f64::NAN, conn, v: JsValue::UNDEFINED });
        }
    }
}

/// A classified packet: its kind, the payload to deliver, and a close (its reason) to feed
/// the engine after it.
type Classified = (FrameKind, Option<JsValue>, Option<&'static str>);
const CONTROL: Classified = (FrameKind::Control, None, None);

/// Classifies a complete Socket.IO packet (updating the session).
fn packet(
    engine: &Engine<Kind, JsFrame>,
    st: &mut SioState,
    p: SioPacket<'_>,
    atts: JsValue,
) -> Classified {
    if p.nsp != st.nsp {
        return CONTROL;
    }
    let payload = |t: &str, id: Option<u64>| {
        let id = id.map_or(JsValue::UNDEFINED, |i| JsValue::from_f64(i as f64));
        Some(js_sys::Array::of3(&JsValue::from_str(t), &atts, &id).into())
    };
    let handshaking = engine.handshaking();
    match p.kind {
        SioType::Connect if handshaking => {
            let obj = json_parse(&JsString::from(p.data)).unwrap_or(JsValue::NULL);
            let Some(id) = get_str(&obj, "sid") else {
                let why = "the CONNECT answer has no sid (a Socket.IO v2 server?)";
                return (FrameKind::Refused(why.into()), None, None);
            };
            let pid = get_str(&obj, "pid");
            st.recovered = pid.is_some() && pid == st.pid;
            if !st.recovered {
                st.offset = None;
            }
            st.pid = pid;
            st.id = id;
            (FrameKind::Ready { beat: Some((0, st.beat_ms)) }, None, None)
        }
        // Delivered (`connect_error`), then closed: no reconnect, as socket.io-client.
        SioType::ConnectError if handshaking => {
            (FrameKind::ServerError, payload(p.data, None), Some("connect error"))
        }
        // Delivered (the facade's disconnect reason), then closed: no reconnect.
        SioType::Disconnect if !handshaking => {
            (FrameKind::ServerError, payload("", None), Some("io server disconnect"))
        }
        SioType::Event | SioType::BinaryEvent => {
            if let (None, Some(_)) = (p.id, &st.pid) {
                if let Ok((rest, off)) = strip_offset(p.data) {
                    st.offset = Some(off.into_owned());
                    return (FrameKind::Event, payload(&rest, None), None);
                }
            }
            (FrameKind::Event, payload(p.data, p.id), None)
        }
        // A late ack (its request timed out or failed) is ignored, as socket.io-client does.
        SioType::Ack | SioType::BinaryAck => match p.id {
            Some(id) if engine.request_pending(id) => {
                (FrameKind::Reply { id, error: false }, payload(p.data, None), None)
            }
            _ => CONTROL,
        },
        _ => CONTROL,
    }
}

/// Whether `f` (a packet: its text, or `[text, ...attachments]`) makes a WebSocket frame over
/// `max_payload` bytes (NaN: no limit known).
fn too_big(f: &JsFrame, max_payload: f64) -> bool {
    // UTF-16 units (text) plus attachment bytes: a frame can be over only if this * 3 is.
    if max_payload.is_nan() || f.len as f64 * 3.0 <= max_payload {
        return false;
    }
    let over = |v: &JsValue| {
        let n = match v.as_string() {
            Some(s) => s.len(),
            None => v.dyn_ref::<js_sys::Uint8Array>().map_or(0, |b| b.byte_length() as usize),
        };
        n as f64 > max_payload
    };
    match f.value.dyn_ref::<js_sys::Array>() {
        Some(a) => a.iter().any(|v| over(&v)),
        None => over(&f.value),
    }
}

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

use std::borrow::Cow;
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
use crate::core::{Delivery, Engine, FrameKind, State};

/// One namespace of the connection: channel `index + 1` of the engine
/// ([`Engine::open_channel`]), so its queued emits wait for its own `CONNECT` answer.
struct Nsp {
    /// `/` or `/name`.
    name: String,
    /// Whether it wants to be connected (a socket that was not disconnected, refused or
    /// kicked): its `CONNECT` goes on every new connection.
    active: bool,
    /// The connection its latest `CONNECT` went on (0: none yet).
    sent_on: u64,
    /// Whether its `CONNECT` was answered on the current connection.
    connected: bool,
    /// The connection a `CONNECT` went on that is not answered yet (0: none). If the
    /// namespace leaves meanwhile, the answer is met with a `DISCONNECT`.
    dangling: u64,
    /// The connection and time of its latest `DISCONNECT`: the server handles a `DISCONNECT`
    /// a tick after reading it, so a `CONNECT` in the same read would find the namespace still
    /// joined and close the whole connection; a rejoin on that connection waits
    /// [`REJOIN_MS`] after it.
    left: (u64, f64),
    /// The namespace socket id of the latest `CONNECT` answer.
    id: String,
    /// Connection state recovery: the session id and the offset of the latest event.
    pid: Option<String>,
    offset: Option<String>,
    /// Whether the latest `CONNECT` restored the session.
    recovered: bool,
    /// Events that came before the `CONNECT` answer (a restored session's missed events
    /// come first): delivered right after the namespace's `connect`, as socket.io-client does.
    early: Vec<JsValue>,
}

/// The Socket.IO session of one driver: one Engine.IO connection, any number of namespaces.
pub(crate) struct SioState {
    /// The namespaces; namespace `i` is engine channel `i + 1`.
    nsps: Vec<Nsp>,
    /// The connection the fields below describe.
    conn: u64,
    /// Whether this connection's Engine.IO `open` packet arrived.
    opened: bool,
    reasm: Reassembly<JsValue>,
    /// `pingInterval + pingTimeout` of the latest `open` packet, in ms.
    beat_ms: u32,
    /// The latest `maxPayload` (NaN before the first `open`).
    max_payload: f64,
    /// The facade's Engine.IO transport options for the Port (`src/eio.js`), or undefined.
    eio: JsValue,
    /// The namespace whose `CONNECT` answer was just classified, if it has early events.
    early: u32,
}

impl SioState {
    /// A session whose first namespace is `nsp` (channel 1, connecting with the connection
    /// when `active`; checked by the facade: starts with `/`, no `,`), with the facade's
    /// Engine.IO transport options `eio` (see `src/eio.js`; undefined: WebSocket only).
    pub fn new(nsp: String, eio: JsValue, active: bool) -> Self {
        let mut st = Self {
            nsps: Vec::new(),
            conn: 0,
            opened: false,
            reasm: Reassembly::default(),
            beat_ms: 0,
            max_payload: f64::NAN,
            eio,
            early: 0,
        };
        st.add(nsp, active);
        st
    }

    /// The channel of namespace `name`, added (inactive unless `active`) if new.
    fn add(&mut self, name: String, active: bool) -> u32 {
        if let Some(i) = self.nsps.iter().position(|n| n.name == name) {
            self.nsps[i].active |= active;
            return i as u32 + 1;
        }
        self.nsps.push(Nsp {
            name,
            active,
            sent_on: 0,
            connected: false,
            dangling: 0,
            left: (0, 0.0),
            id: String::new(),
            pid: None,
            offset: None,
            recovered: false,
            early: Vec::new(),
        });
        self.nsps.len() as u32
    }

    fn nsp(&mut self, ch: u32) -> Option<&mut Nsp> {
        self.nsps.get_mut((ch as usize).wrapping_sub(1))
    }

    /// Namespace `ch` goes inactive (disconnected, its channel closed); whether no namespace
    /// is active any more (then the connection is to close).
    fn off(&mut self, engine: &mut Engine<Kind, JsFrame>, ch: u32) -> bool {
        if let Some(n) = self.nsp(ch) {
            n.active = false;
            n.connected = false;
            n.sent_on = 0;
        }
        engine.close_channel(ch);
        !self.nsps.iter().any(|n| n.active)
    }

    /// Sends namespace `ch`'s `DISCONNECT` on the current connection.
    fn send_disconnect(&mut self, engine: &mut Engine<Kind, JsFrame>, ch: u32, now: f64) {
        let conn = engine.conn();
        let Some(n) = self.nsp(ch) else { return };
        // The Engine.IO message of a Socket.IO DISCONNECT: `41`, then `/name,`.
        let p = if n.name == "/" { "41".into() } else { ["41", &n.name, ","].concat() };
        n.left = (conn, now);
        engine.control(text(&p), now);
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
    /// `[s.slice(o), a, i]`: a payload cut from the JS string of the message (`o` in UTF-16
    /// units), not copied back out of wasm memory.
    fn spk(s: &JsValue, o: u32, a: &JsValue, i: &JsValue) -> JsValue;
}

/// A text frame.
fn text(s: &str) -> JsFrame {
    JsFrame::new(JsValue::from_str(s), s.len())
}

fn get_str(o: &JsValue, k: &str) -> Option<String> {
    Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.as_string())
}

impl Driver {
    /// `[id, recovered, maxPayload]` of namespace channel `ch`'s latest connection (read by
    /// the facade while it dispatches that namespace's `connect`).
    pub fn sio_info(&self, ch: u32) -> js_sys::Array {
        let mut i = self.shared.inner.borrow_mut();
        let Proto::Sio(st) = &mut i.proto else { return js_sys::Array::new() };
        let mp = st.max_payload;
        match st.nsp(ch) {
            Some(n) => js_sys::Array::of3(
                &JsValue::from_str(&n.id),
                &JsValue::from_bool(n.recovered),
                &JsValue::from_f64(mp),
            ),
            None => js_sys::Array::new(),
        }
    }

    /// The channel of namespace `nsp` on this connection (added if new). With `active`, it
    /// connects as [`sio_join`](Self::sio_join) does.
    pub fn sio_add(&self, nsp: &str, active: bool) -> u32 {
        let ch = {
            let mut i = self.shared.inner.borrow_mut();
            let Proto::Sio(st) = &mut i.proto else { return 0 };
            st.add(nsp.to_string(), false)
        };
        if active {
            self.sio_join(ch);
        }
        ch
    }

    /// `socket.connect()` of namespace channel `ch`: it becomes active; if the connection is
    /// open its `CONNECT` goes now (after the facade's `auth`), else with the next open
    /// (starting the connection if it is closed). Returns 0, or the ms to wait before calling
    /// again: the namespace left this connection less than [`REJOIN_MS`] ago (see
    /// `Nsp::left`).
    pub fn sio_join(&self, ch: u32) -> f64 {
        let now = now();
        let ask = {
            let mut i = self.shared.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return 0.0 };
            let conn = engine.conn();
            let Some(n) = st.nsp(ch) else { return 0.0 };
            n.active = true;
            let wait = REJOIN_MS - (now - n.left.1);
            match engine.state() {
                State::Open
                    if !n.connected && n.sent_on != conn && n.left.0 == conn && wait > 0.0 =>
                {
                    return wait;
                }
                State::Open if !n.connected && n.sent_on != conn && n.dangling != conn => {
                    n.sent_on = conn;
                    Some(conn)
                }
                State::Closed | State::Closing => {
                    engine.resume(1000, "io client disconnect", now);
                    None
                }
                _ => None,
            }
        };
        if let Some(conn) = ask {
            self.shared.sio_ask(conn, ch);
        }
        self.shared.pump(Ctx::Method);
        0.0
    }

    /// Sends namespace channel `ch`'s `CONNECT` on connection `conn` with the app's `auth` (a
    /// JSON object's text), if that connection is open and the namespace still waits for
    /// it; auth that is not a JSON object fails the namespace (as [`sio_fail`](Self::sio_fail)).
    pub fn sio_connect(&self, conn: u64, ch: u32, auth: &str) {
        let bad = {
            let mut i = self.shared.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return };
            let Some(n) = st.nsp(ch) else { return };
            if engine.conn() != conn
                || engine.state() != State::Open
                || !n.active
                || n.connected
                || n.sent_on != conn
            {
                return;
            }
            let mut data = String::new();
            if let Some(pid) = &n.pid {
                data = ["{\"pid\":", &quote(pid)].concat();
                if let Some(off) = &n.offset {
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
            match SioPacket::new(SioType::Connect, &n.name, &data).encode() {
                Ok(p) => {
                    n.dangling = conn;
                    engine.control(text(&EioPacket::message(&p).encode()), now());
                    false
                }
                Err(_) => true,
            }
        };
        if bad {
            return self.sio_fail(conn, ch, "auth must be a JSON object".into());
        }
        self.shared.pump(Ctx::Method);
    }

    /// Namespace channel `ch` cannot connect on `conn` (its `auth` threw, rejected or was not
    /// an object): a connect error (note 6) with `why`, and it goes inactive (as after a
    /// middleware refusal: `connect()` tries again); when no namespace is active any more,
    /// the connection closes.
    pub fn sio_fail(&self, conn: u64, ch: u32, why: String) {
        self.shared.sio_fail(conn, ch, why);
        self.shared.pump(Ctx::Method);
    }

    /// `socket.disconnect()` of namespace channel `ch` (`drop_queued`: `free()`, its queued
    /// emits are dropped): its `DISCONNECT` if connected, and it goes inactive (its emits
    /// queue until it connects again). When no namespace is active
    /// any more, the connection closes ([`Engine::disconnect`]: the queue is kept). Returns
    /// whether it was connected (the facade's `disconnect` event is due).
    pub fn sio_leave(&self, ch: u32, drop_queued: bool) -> bool {
        let was = {
            let mut i = self.shared.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return false };
            let Some(n) = st.nsp(ch) else { return false };
            let was = n.connected;
            if was {
                st.send_disconnect(engine, ch, now());
            }
            // `free()`: the namespace's queued emits go too (`drop` events, reason closed).
            if drop_queued {
                engine.drop_channel(ch);
            }
            if st.off(engine, ch) {
                engine.disconnect(1000, "io client disconnect", now());
            }
            was
        };
        self.shared.pump(Ctx::Method);
        was
    }
}

impl Shared {
    /// Whether the protocol is Socket.IO.
    pub(super) fn sio(&self) -> bool {
        matches!(self.inner.borrow().proto, Proto::Sio(_))
    }

    /// The Engine.IO `open` packet of `conn` arrived (the engine's handshake step): queued
    /// emits over its `maxPayload` are dropped, and the session opens in the beat role
    /// `(0, pingInterval + pingTimeout)`. The namespaces' `CONNECT`s follow the `Open` event
    /// ([`sio_opened`](Self::sio_opened)).
    pub(super) fn sio_handshake(self: &Rc<Self>, conn: u64) {
        let mut i = self.inner.borrow_mut();
        let Inner { engine, proto, .. } = &mut *i;
        let Proto::Sio(st) = proto else { return };
        let mp = st.max_payload;
        // Emits queued before this connection's maxPayload was known: one over it would make
        // the server close the connection.
        engine.drop_queued(
            |f| too_big(f, mp),
            "a queued emit makes a WebSocket frame over the server's maxPayload: dropped (drop reason \"too-big\")",
        );
        for n in &mut st.nsps {
            n.connected = false;
            n.early.clear();
        }
        engine.on_frame(conn, 0, FrameKind::Ready { beat: Some((0, st.beat_ms)) }, now());
    }

    /// After the `Open` event of `conn` was handed to the facade: every active namespace's
    /// `CONNECT` (each asks the facade for its `auth`: user code, no borrow held).
    pub(super) fn sio_opened(self: &Rc<Self>, conn: u64) {
        let asks: Vec<u32> = {
            let mut i = self.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return };
            if engine.conn() != conn || engine.state() != State::Open {
                return;
            }
            (1..=st.nsps.len() as u32)
                .filter(|&ch| {
                    st.nsp(ch).is_some_and(|n| {
                        let go = n.active && !n.connected && n.sent_on != conn;
                        if go {
                            n.sent_on = conn;
                        }
                        go
                    })
                })
                .collect()
        };
        for ch in asks {
            self.sio_ask(conn, ch);
        }
    }

    /// Asks the facade for namespace `ch`'s `auth` on `conn`; it answers with
    /// [`Driver::sio_connect`] (or [`Driver::sio_fail`]).
    fn sio_ask(self: &Rc<Self>, conn: u64, ch: u32) {
        if let Err(why) = self.sink.sio_auth(conn, ch) {
            self.sio_fail(conn, ch, why);
        }
    }

    /// Namespace `ch` cannot connect on `conn` ([`Driver::sio_fail`]; no pump).
    fn sio_fail(&self, conn: u64, ch: u32, why: String) {
        {
            let mut i = self.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            let Proto::Sio(st) = proto else { return };
            let Some(n) = st.nsp(ch) else { return };
            if engine.conn() != conn || n.connected || !n.active {
                return;
            }
            if st.off(engine, ch) {
                engine.disconnect(1000, "io client disconnect", now());
            }
        }
        let v = JsValue::from_str(&why);
        self.sink.note(Note::Sio { k: 6, id: f64::NAN, conn, v, ch });
    }

    /// A delivered Socket.IO payload for the facade (`tag`: `ch * 8 + k`, see [`Note::Sio`]).
    pub(super) fn sio_deliver(&self, d: Delivery, data: JsValue, tag: Option<JsValue>, conn: u64) {
        let tag = tag.and_then(|t| t.as_f64()).unwrap_or(0.0) as u32;
        let (k, ch, id) = match d {
            Delivery::Reply { id, .. } => (1, 0, id as f64),
            Delivery::Event | Delivery::ServerError => (tag % 8, tag / 8, f64::NAN),
            _ => return,
        };
        self.sink.note(Note::Sio { k, id, conn, v: data, ch });
    }

    /// An inbound message (text: one Engine.IO packet; binary: an attachment).
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
            let mut deliver = |engine: &mut Engine<Kind, JsFrame>, len: usize, c: Classified| {
                let (kind, payload, tag, close) = c;
                if engine.on_frame(conn, len, kind, now) != Delivery::Ignore {
                    let data = payload.unwrap_or(JsValue::UNDEFINED);
                    let parsed = Some(JsValue::from_f64(f64::from(tag)));
                    inbound.push_back(Inbound { data, parsed, conn });
                }
                // After the delivery: the namespace's note reaches the app before the close.
                if let Some(reason) = close {
                    engine.disconnect(1000, reason, now);
                }
            };
            let Some(s) = data.as_string() else {
                let len = data.dyn_ref::<js_sys::ArrayBuffer>().map_or(0, |b| b.byte_length());
                match st.reasm.binary(data) {
                    Ok(None) => deliver(engine, len as usize, CONTROL),
                    Ok(Some(p)) => {
                        let atts: js_sys::Array = p.attachments.iter().collect();
                        let c = packet(engine, st, p.packet(), atts.into(), now, None);
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
                        deliver(engine, len, (FrameKind::Ping, None, 0, None));
                    }
                    EioType::Message if st.opened => match st.reasm.text(p.data) {
                        Ok(Fed::Packet(pk)) => {
                            let c =
                                packet(engine, st, pk, JsValue::UNDEFINED, now, Some((&data, &s)));
                            deliver(engine, len, c);
                            // Events that came before the namespace's `CONNECT` answer.
                            let ch = std::mem::take(&mut st.early);
                            if let Some(n) = st.nsp(ch) {
                                for v in std::mem::take(&mut n.early) {
                                    deliver(engine, 0, (FrameKind::Event, Some(v), ch * 8, None));
                                }
                            }
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
            self.sink.note(Note::Sio { k: 3, id: f64::NAN, conn, v: JsValue::UNDEFINED, ch: 0 });
        }
    }
}

/// How long (ms) a namespace waits after its `DISCONNECT` before a `CONNECT` on the same
/// connection (see `Nsp::left`).
const REJOIN_MS: f64 = 150.0;

/// A classified packet: its kind, the payload to deliver, its tag (`ch * 8 + note kind`),
/// and a close (its reason) to feed the engine after it (the last active namespace left).
type Classified = (FrameKind, Option<JsValue>, u32, Option<&'static str>);
const CONTROL: Classified = (FrameKind::Control, None, 0, None);

/// Classifies a complete Socket.IO packet (updating its namespace; a `CONNECT` answer opens
/// the namespace's channel, which sends its queued emits).
fn packet(
    engine: &mut Engine<Kind, JsFrame>,
    st: &mut SioState,
    p: SioPacket<'_>,
    atts: JsValue,
    now: f64,
    src: Option<(&JsValue, &str)>,
) -> Classified {
    let Some(i) = st.nsps.iter().position(|n| n.name == p.nsp) else { return CONTROL };
    let ch = i as u32 + 1;
    let conn = engine.conn();
    let payload = |t: &str, id: Option<u64>| {
        let id = id.map_or(JsValue::UNDEFINED, |i| JsValue::from_f64(i as f64));
        // `t` a suffix of the message text `s` (the common case: an event as it came): cut it
        // from the JS string; else (an offset stripped) a new string.
        if let Some((js, s)) = src {
            let (a, b) = (s.as_ptr() as usize, t.as_ptr() as usize);
            if b >= a && b + t.len() == a + s.len() {
                let off = s.get(..b - a).map_or(0, |h| h.encode_utf16().count());
                return Some(spk(js, off as u32, &atts, &id));
            }
        }
        Some(js_sys::Array::of3(&JsValue::from_str(t), &atts, &id).into())
    };
    let Some(n) = st.nsp(ch) else { return CONTROL };
    let waiting = n.active && !n.connected && n.sent_on == conn;
    if matches!(p.kind, SioType::Connect | SioType::ConnectError) && n.dangling == conn {
        n.dangling = 0;
        // The answer to a CONNECT of a namespace that left meanwhile: leave on the server too.
        if !waiting {
            if p.kind == SioType::Connect {
                st.send_disconnect(engine, ch, now);
            }
            return CONTROL;
        }
    }
    match p.kind {
        SioType::Connect if waiting => {
            let obj = json_parse(&JsString::from(p.data)).unwrap_or(JsValue::NULL);
            let Some(id) = get_str(&obj, "sid") else {
                // Not a v5 answer: the namespace cannot connect (a connect error).
                let why = "\"the CONNECT answer has no sid (a Socket.IO v2 server?)\"";
                let close = st.off(engine, ch).then_some("connect error");
                return (FrameKind::ServerError, payload(why, None), ch * 8 + 2, close);
            };
            let pid = get_str(&obj, "pid");
            n.recovered = pid.is_some() && pid == n.pid;
            if !n.recovered {
                n.offset = None;
            }
            n.pid = pid;
            n.id = id;
            n.connected = true;
            if !n.early.is_empty() {
                // Delivered after this `connect` note (see `on_sio`).
                st.early = ch;
            }
            // The namespace's backlog goes now, before what its `connect` listeners emit.
            engine.open_channel(ch, now);
            (FrameKind::ServerError, None, ch * 8 + 4, None)
        }
        // Delivered (`connect_error`); the namespace stays disconnected, as socket.io-client.
        SioType::ConnectError if waiting => {
            let close = st.off(engine, ch).then_some("connect error");
            (FrameKind::ServerError, payload(p.data, None), ch * 8 + 2, close)
        }
        // Delivered (the socket's `disconnect`, "io server disconnect"): no reconnect.
        SioType::Disconnect if n.connected => {
            let close = st.off(engine, ch).then_some("io server disconnect");
            (FrameKind::ServerError, None, ch * 8 + 5, close)
        }
        SioType::Event | SioType::BinaryEvent if n.connected || waiting => {
            let mut data = Cow::Borrowed(p.data);
            let mut id = p.id;
            if let (None, Some(_)) = (p.id, &n.pid) {
                if let Ok((rest, off)) = strip_offset(p.data) {
                    n.offset = Some(off.into_owned());
                    data = Cow::Owned(rest);
                    id = None;
                }
            }
            let Some(v) = payload(&data, id) else { return CONTROL };
            if n.connected {
                return (FrameKind::Event, Some(v), ch * 8, None);
            }
            n.early.push(v);
            CONTROL
        }
        // A late ack (its request timed out or failed) is ignored, as socket.io-client does.
        SioType::Ack | SioType::BinaryAck => match p.id {
            Some(id) if engine.request_pending(id) => {
                (FrameKind::Reply { id, error: false }, payload(p.data, None), 0, None)
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

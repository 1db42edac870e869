//! The SockJS driver half (feature `sockjs`): SockJS is a transport, so every protocol (v1,
//! raw, a custom codec, STOMP) runs over it unchanged, on the framing and rules of
//! [`crate::core::sockjs`]:
//! - each attempt first asks the endpoint's `GET <url>/info` (the Port fetches, input 14);
//!   a transport the server does not allow (`"websocket": false`) is skipped at once
//!   ([`Engine::on_unavailable`](crate::core::Engine::on_unavailable)); otherwise the
//!   attempt opens a new session `<url>/<server>/<session>/<transport>` (random ids);
//! - the Port's transports (`src/sockjs.js`) report the session open on the `o` frame and
//!   hand every later frame over as it is: `h` proves the peer alive, each message of an
//!   `a[...]` frame goes through the protocol's classification as a WebSocket message would,
//!   and `c[code,"reason"]` closes the connection with that code and reason (the close
//!   policy decides about reconnecting, as for a WebSocket close code);
//! - sends: the Port wraps them in SockJS's JSON arrays (and batches them into `xhr_send`
//!   POSTs over HTTP); SockJS carries text only.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::{now, Ctx, Port, Shared};
use crate::core::sockjs::{decode, segment, session_path, Frame, Info};
use crate::core::FrameKind;

#[wasm_bindgen(module = "/src/sockjs.js")]
extern "C" {
    /// A Port (`src/glue.js`) whose transports are SockJS's (`src/sockjs.js`).
    fn sport(input: &Closure<dyn Fn(u32, f64, f64, JsValue)>, q: &js_sys::Array) -> Port;
    /// Fetches `url` (an endpoint's `/info`) for `conn`; reports input 14 with the HTTP status
    /// (0: no answer) and the body text (undefined unless 2xx).
    #[wasm_bindgen(method, js_name = i)]
    fn info(this: &Port, conn: f64, url: &str);
    /// Ends the session's transport now with `code`/`reason` (a `c` frame, or a lost session):
    /// it stops sending, reports what never left (input 12) and closes (input 2), in a
    /// microtask, so the close goes through the usual path (`shouldReconnect` included).
    #[wasm_bindgen(method, js_name = fin)]
    fn finish(this: &Port, code: u16, reason: &str, clean: bool);
    /// The upgrade probe (as `Port.r`) to session URL `url`.
    #[wasm_bindgen(method, js_name = pu)]
    fn probe_url(this: &Port, conn: f64, url: &str, transport: u32);
}

/// The SockJS Port.
pub(super) fn port(input: &Closure<dyn Fn(u32, f64, f64, JsValue)>, q: &js_sys::Array) -> Port {
    sport(input, q)
}

/// `url` with `path` appended to its path (before its query and fragment).
fn with_path(url: &str, path: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let (base, rest) = url.split_at(cut);
    [base.trim_end_matches('/'), path, rest].concat()
}

/// A random session id: 8 characters of `[a-z0-9]` (as sockjs-client's).
fn session_id() -> String {
    const ABC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..8).map(|_| ABC[(js_sys::Math::random() * 36.0) as usize % 36] as char).collect()
}

impl Shared {
    /// Whether the URL is a SockJS endpoint.
    pub(super) fn sockjs(&self) -> bool {
        self.inner.borrow().sockjs.is_some()
    }

    /// The first step of a SockJS attempt on `conn` to endpoint `url`: its `/info`.
    pub(super) fn sockjs_open(self: &Rc<Self>, conn: u64, url: &str) {
        self.inner.borrow_mut().sockjs = Some(url.to_string());
        self.port.info(conn as f64, &with_path(url, "/info"));
    }

    /// Input 14: the `/info` answer of `conn` (`status` 0: none; `body` the text if 2xx).
    /// Opens the session's transport, skips a transport the server does not allow, or fails
    /// the attempt.
    pub(super) fn on_sockjs_info(self: &Rc<Self>, conn: u64, status: f64, body: JsValue) {
        let now = now();
        let open = {
            let mut i = self.inner.borrow_mut();
            let wanted = i.engine.conn() == conn
                && i.engine.state() == crate::core::State::Connecting
                && !self.freed.get();
            if !wanted {
                return;
            }
            let t = i.engine.transport();
            let base = i.sockjs.clone().unwrap_or_default();
            match body.as_string().map(|b| Info::parse(&b)) {
                None if status == 0.0 => Err("SockJS: GET /info got no answer".to_string()),
                None => Err(["SockJS: GET /info answered HTTP ", &status.to_string()].concat()),
                Some(Err(())) => Err("SockJS: /info is not a JSON object".to_string()),
                Some(Ok(info)) if !info.allows(t) => {
                    let why = "SockJS: the server does not allow websocket (/info says \"websocket\": false)";
                    i.engine.on_unavailable(conn, why.into(), now);
                    Ok(None)
                }
                Some(Ok(info)) => {
                    let server = (js_sys::Math::random() * 1000.0) as u32;
                    let path =
                        session_path(server, &session_id(), segment(t).unwrap_or("websocket"));
                    // Code + 8: the server needs its cookie (credentials on every request).
                    let code = t.code() + if info.cookie_needed { 8 } else { 0 };
                    Ok(Some((with_path(&base, &path), code)))
                }
            }
        };
        match open {
            Err(why) => self.inner.borrow_mut().engine.on_attempt_failed(conn, why, now),
            Ok(None) => {}
            Ok(Some((url, code))) => match self.port.open(conn as f64, &url, code) {
                None => self.inner.borrow_mut().socket = Some(conn),
                Some(msg) => self.connect_failed(conn, msg),
            },
        }
        self.pump(Ctx::Callback);
    }

    /// The upgrade probe of `transport` while open on a later one: a new session of its own
    /// (opened, then closed at once; the engine moves to it when it opens).
    pub(super) fn sockjs_probe(self: &Rc<Self>, conn: u64, transport: crate::core::Transport) {
        let base = self.inner.borrow().sockjs.clone().unwrap_or_default();
        let server = (js_sys::Math::random() * 1000.0) as u32;
        let seg = segment(transport).unwrap_or("websocket");
        let url = with_path(&base, &session_path(server, &session_id(), seg));
        self.port.probe_url(conn as f64, &url, transport.code());
    }

    /// A SockJS frame from `conn`'s transport (text; the `o` frame is the transport's open).
    pub(super) fn on_sockjs(self: &Rc<Self>, conn: u64, data: JsValue, now: f64) {
        let Some(text) = data.as_string() else {
            let why = "SockJS frames are text: got a binary message".to_string();
            self.inner.borrow_mut().engine.on_protocol_error(conn, why, now);
            return self.pump(Ctx::Callback);
        };
        match decode(&text) {
            Ok(Frame::Messages(list)) => {
                for m in list {
                    self.on_data(conn, JsValue::from_str(&m), now);
                }
                return;
            }
            Ok(Frame::Heartbeat) => {
                self.inner.borrow_mut().engine.on_frame(conn, text.len(), FrameKind::Control, now);
            }
            // A second `o` (the transport consumes the first): the server lost the session (it
            // expired, or the server restarted) and started a new one: what was in flight is
            // gone. A connection loss: reconnect.
            Ok(Frame::Open) => {
                if self.has_socket(conn) {
                    self.port.finish(
                        1006,
                        "SockJS session lost (the server opened a new one)",
                        false,
                    );
                }
            }
            // The transport ends with the frame's code and reason; its close comes back as
            // input 2 (the close policy and `shouldReconnect` judge it).
            Ok(Frame::Close { code, reason }) => {
                if self.has_socket(conn) {
                    self.port.finish(code, &reason, true);
                }
            }
            Err(e) => {
                self.inner.borrow_mut().engine.on_protocol_error(conn, e.describe().into(), now);
            }
        }
        self.pump(Ctx::Callback);
    }
}

//! One browser `WebSocket` and its four listeners, owned together.
//!
//! The listener closures live in this struct; dropping it detaches them (so a dead
//! socket's late events never reach the engine) and closes the socket if still open.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Callbacks a [`Socket`] reports to.
pub(crate) struct Handlers {
    pub open: Box<dyn Fn()>,
    pub message: Box<dyn Fn(MessageEvent)>,
    pub close: Box<dyn Fn(CloseEvent)>,
}

/// An owned `WebSocket` with its listeners.
pub(crate) struct Socket {
    pub conn: u64,
    ws: WebSocket,
    _open: Closure<dyn Fn(Event)>,
    _message: Closure<dyn Fn(MessageEvent)>,
    _close: Closure<dyn Fn(CloseEvent)>,
}

impl Socket {
    /// Opens `url` with `protocols`.
    ///
    /// # Errors
    /// The browser's exception text (e.g. a `SyntaxError` for a bad URL).
    pub fn open(conn: u64, url: &str, protocols: &[String], h: Handlers) -> Result<Self, String> {
        let ws = if protocols.is_empty() {
            WebSocket::new(url)
        } else {
            let arr = js_sys::Array::new();
            for p in protocols {
                arr.push(&JsValue::from_str(p));
            }
            WebSocket::new_with_str_sequence(url, &arr)
        }
        .map_err(|e| describe(&e))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        // `Fn` closures: wasm-bindgen refuses to re-enter an `FnMut` one, and a closure
        // dropped while it runs is freed by wasm-bindgen when the call returns.
        let Handlers { open, message, close } = h;
        let open = Closure::<dyn Fn(Event)>::new(move |_e: Event| open());
        let message = Closure::<dyn Fn(MessageEvent)>::new(message);
        let close = Closure::<dyn Fn(CloseEvent)>::new(close);
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok(Self { conn, ws, _open: open, _message: message, _close: close })
    }

    /// Sends a string or `Uint8Array` as it is (no copy through wasm memory). Returns
    /// whether the socket took it: browsers silently discard a frame sent on a CLOSING or
    /// CLOSED socket, so the state is checked first (in the same JS call).
    pub fn send(&self, data: &JsValue) -> bool {
        try_send(&self.ws, data)
    }

    /// Starts the closing handshake, keeping the listeners.
    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let state = self.ws.ready_state();
        if state == WebSocket::CONNECTING || state == WebSocket::OPEN {
            let _ = self.ws.close_with_code_and_reason(1000, "");
        }
    }
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// `ws.send(d)` on an OPEN socket, taking any JS value (web-sys only has typed sends
    /// that copy out of wasm memory); `false` when the socket is not OPEN or `send` threw.
    #[wasm_bindgen(js_name = trySend)]
    fn try_send(ws: &WebSocket, data: &JsValue) -> bool;
    /// A short description of a thrown JS value: `"Name: message"` for an `Error`, a string
    /// as it is, else `"unknown error"` (built in JS: one call).
    pub(crate) fn describe(e: &JsValue) -> String;
}

//! One browser `WebSocket` and its four listeners, owned together.
//!
//! The listener closures live in this struct; dropping it detaches them (so a dead
//! socket's late events never reach the engine) and closes the socket if still open.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Callbacks a [`Socket`] reports to.
pub(crate) struct Handlers {
    pub open: Box<dyn FnMut()>,
    pub message: Box<dyn FnMut(MessageEvent)>,
    pub close: Box<dyn FnMut(CloseEvent)>,
}

/// An owned `WebSocket` with its listeners.
pub(crate) struct Socket {
    pub conn: u64,
    ws: WebSocket,
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
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
        let Handlers { mut open, message, close } = h;
        let open = Closure::<dyn FnMut(Event)>::new(move |_e: Event| open());
        let message = Closure::<dyn FnMut(MessageEvent)>::new(message);
        let close = Closure::<dyn FnMut(CloseEvent)>::new(close);
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok(Self { conn, ws, _open: open, _message: message, _close: close })
    }

    /// Sends a string or `Uint8Array` as it is (no copy through wasm memory).
    pub fn send(&self, data: &JsValue) {
        // Sending on a CLOSING/CLOSED socket is a silent no-op in browsers; the close
        // event that follows tells the engine.
        let _ = self.ws.unchecked_ref::<AnyWs>().send(data);
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

#[wasm_bindgen]
extern "C" {
    /// `WebSocket` with a `send` that takes any JS value (web-sys only has typed ones that
    /// copy out of wasm memory).
    #[wasm_bindgen(js_name = WebSocket)]
    type AnyWs;
    #[wasm_bindgen(method, js_name = send, catch)]
    fn send(this: &AnyWs, data: &JsValue) -> Result<(), JsValue>;
}

/// A short description of a thrown JS value.
pub(crate) fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name: String = err.name().into();
        let msg: String = err.message().into();
        format!("{name}: {msg}")
    } else {
        e.as_string().unwrap_or_else(|| "unknown error".into())
    }
}

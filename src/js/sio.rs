//! The wasm methods of the Socket.IO facade (`src/socketio-client.js`, feature `socketio`).
//! Packets are encoded in JS (one `JSON.stringify` per emit, binary placeholders put in
//! place there) and sent through the generic `t` / `rf` / `cf` methods; these are the few
//! Socket.IO-specific ones.

use wasm_bindgen::prelude::*;

use super::Core;

#[wasm_bindgen]
impl Core {
    /// `[id, recovered, maxPayload]` of the latest namespace connection (`maxPayload` NaN when
    /// the server did not send one).
    pub fn si(&self) -> js_sys::Array {
        self.with(js_sys::Array::new(), |d| d.sio_info())
    }

    /// Sends the namespace `CONNECT` of connection `conn` with `auth` (a JSON object's text;
    /// the recovery `pid`/`offset` are merged in front); ignored when that connection is no
    /// longer handshaking.
    pub fn ca(&self, conn: f64, auth: &str) {
        self.with((), |d| d.sio_connect(conn as u64, auth));
    }

    /// Fails the handshake of connection `conn` (the `auth` function's Promise rejected).
    pub fn cx(&self, conn: f64, why: String) {
        self.with((), |d| d.sio_fail(conn as u64, why));
    }

    /// `disconnect()`: closes, keeping the queue (emits queue until `co`).
    pub fn dc(&self) {
        self.with((), |d| d.sio_disconnect());
    }

    /// `connect()`: connects if closed, or restarts at once if closing.
    pub fn co(&self) {
        self.with((), |d| d.sio_resume());
    }
}

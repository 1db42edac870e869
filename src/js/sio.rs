//! The wasm methods of the Socket.IO facade (`src/socketio-client.js`, feature `socketio`).
//! Packets are encoded in JS (one `JSON.stringify` per emit, binary placeholders put in
//! place there) and sent through the generic `t` / `rf` / `cf` methods with the namespace's
//! channel; these are the few Socket.IO-specific ones. A namespace is a channel number (the
//! first, from the constructor, is 1).

use wasm_bindgen::prelude::*;

use super::Core;

#[wasm_bindgen]
impl Core {
    /// `[id, recovered, maxPayload]` of namespace channel `ch`'s latest connection
    /// (`maxPayload` NaN when the server did not send one).
    pub fn si(&self, ch: u32) -> js_sys::Array {
        self.with(js_sys::Array::new(), |d| d.sio_info(ch))
    }

    /// The channel of namespace `nsp` (added if new); with `active` it connects.
    pub fn sn(&self, nsp: &str, active: bool) -> u32 {
        self.with(0, |d| d.sio_add(nsp, active))
    }

    /// Sends namespace channel `ch`'s `CONNECT` on connection `conn` with `auth` (a JSON
    /// object's text; the recovery `pid`/`offset` are merged in front); ignored when that
    /// connection is no longer open or the namespace no longer waits for it.
    pub fn ca(&self, conn: f64, ch: u32, auth: &str) {
        self.with((), |d| d.sio_connect(conn as u64, ch, auth));
    }

    /// Fails namespace channel `ch` on connection `conn` (its `auth` threw, rejected or was
    /// not an object): note 6 with `why`.
    pub fn cx(&self, conn: f64, ch: u32, why: String) {
        self.with((), |d| d.sio_fail(conn as u64, ch, why));
    }

    /// `socket.disconnect()` of namespace channel `ch` (`drop`: `free()`, its queued emits
    /// are dropped); whether it was connected.
    pub fn dc(&self, ch: u32, drop: bool) -> bool {
        self.with(false, |d| d.sio_leave(ch, drop))
    }

    /// Whether request `id` is still in the queue (not sent yet).
    pub fn iq(&self, id: f64) -> bool {
        self.with(false, |d| d.read(|e, _| e.request_queued(id as u64)))
    }

    /// `socket.connect()` of namespace channel `ch`: 0, or the ms to wait before calling
    /// again (the namespace left this connection a moment ago).
    pub fn co(&self, ch: u32) -> f64 {
        self.with(0.0, |d| d.sio_join(ch))
    }
}

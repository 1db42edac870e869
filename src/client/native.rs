//! The driver's stand-in on targets other than wasm32, so that the Rust API type-checks
//! there (a Leptos SSR build, rust-analyzer's default check): the same names and signatures
//! as `crate::web`'s, over an uninhabited [`Driver`]. `build()` returns
//! [`Error::Unsupported`](crate::Error::Unsupported) before one could exist, so none of
//! these bodies can run: each is an empty `match` on the impossible value, never a panic.

use crate::core::envelope::WireFrame;
use crate::core::{Engine, SendError, Sent};

/// No value: a [`Driver`] cannot be made off wasm32.
#[derive(Debug)]
pub(crate) enum Never {}

/// What a queued frame is (as in the driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A `{"type","data"}` event or request envelope.
    Envelope,
    /// A raw frame.
    Raw,
}

/// A frame (no payload: nothing is ever sent off wasm32).
#[derive(Debug, Clone)]
pub(crate) struct JsFrame;

impl WireFrame for JsFrame {
    fn wire_len(&self) -> usize {
        0
    }
    fn text(_: String) -> Self {
        JsFrame
    }
}

/// The owning handle of the browser driver; uninhabited here.
#[derive(Debug)]
pub(crate) struct Driver(Never);

/// A confirmed standing frame (as in the driver).
#[cfg(feature = "stomp")]
pub(crate) type Confirm<'a> = (Option<f64>, &'a dyn Fn(u64) -> JsFrame);

#[allow(clippy::unused_self, dead_code)]
impl Driver {
    pub fn read<R>(&self, _: impl FnOnce(&Engine<Kind, JsFrame>, f64) -> R) -> R {
        match self.0 {}
    }
    pub fn send(&self, _: JsFrame, _: Kind) -> Result<Sent, SendError> {
        match self.0 {}
    }
    pub fn request(
        &self,
        _: Option<f64>,
        _: impl FnOnce(u64) -> JsFrame,
        _: impl FnOnce(u64),
    ) -> Result<(u64, Sent), SendError> {
        match self.0 {}
    }
    pub fn subscribe(&self, _: u64, _: JsFrame) -> bool {
        match self.0 {}
    }
    pub fn unsubscribe(&self, _: u64) -> bool {
        match self.0 {}
    }
    pub fn close(&self, _: u16, _: &str) {
        match self.0 {}
    }
    pub fn reconnect(&self) {
        match self.0 {}
    }
    pub fn connect(&self) {
        match self.0 {}
    }
    #[cfg(any(feature = "stomp", feature = "socketio"))]
    pub fn control(&self, _: u64, _: JsFrame) -> bool {
        match self.0 {}
    }
    #[cfg(feature = "socketio")]
    pub fn sio_add(&self, _: &str, _: bool) -> u32 {
        match self.0 {}
    }
    #[cfg(feature = "socketio")]
    pub fn sio_join(&self, _: u32) -> f64 {
        match self.0 {}
    }
    #[cfg(feature = "socketio")]
    pub fn sio_leave(&self, _: u32, _: bool) -> bool {
        match self.0 {}
    }
    #[cfg(feature = "stomp")]
    pub fn stand(&self, _: u64, _: JsFrame, _: Option<Confirm<'_>>) -> u64 {
        match self.0 {}
    }
    #[cfg(feature = "stomp")]
    pub fn unstand(&self, _: u64, _: Option<JsFrame>) -> bool {
        match self.0 {}
    }
}

/// A STOMP frame as the driver sends it (no payload here).
#[cfg(feature = "stomp")]
pub(crate) fn stomp_frame(_: &crate::core::stomp::Frame) -> JsFrame {
    JsFrame
}

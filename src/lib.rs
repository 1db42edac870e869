//! # steadysocket
//!
//! A browser WebSocket client that stays connected: automatic reconnect with jittered
//! backoff, heartbeats that detect dead peers, a bounded queue while disconnected, and a
//! typed JSON message layer with request/response.
//!
//! Layers (data flows one way):
//! - [`core`]: the sans-IO engine (pure Rust, tested natively);
//! - `web` (wasm32 only): the browser driver owning the `WebSocket`, timers and listeners;
//! - `js` (wasm32 only): the `#[wasm_bindgen]` facade for JavaScript.
#![cfg_attr(not(test), deny(missing_docs))]

pub mod core;
pub mod error;

pub use error::{Error, OptionError, OptionErrorKind};

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub mod js;

#[cfg(target_arch = "wasm32")]
pub mod client;

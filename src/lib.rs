//! # steadysocket
//!
//! A browser WebSocket client that stays connected: automatic reconnect with jittered
//! backoff, heartbeats that detect dead peers, a bounded queue while disconnected, and a
//! typed JSON message layer with request/response.
//!
//! Layers (data flows one way):
//! - [`core`]: the sans-IO engine (pure Rust, tested natively);
//! - `web` (wasm32 only): the browser driver owning the `WebSocket`, timers and listeners;
//! - `js` (wasm32 only): the `#[wasm_bindgen]` facade for JavaScript;
//! - `client` (feature `rust-api`, on by default): the Rust API for Yew/Leptos front ends. It
//!   compiles on every target and connects on wasm32 only (elsewhere `build()` returns
//!   [`Error::Unsupported`]).
#![cfg_attr(not(test), deny(missing_docs))]

pub mod core;
pub mod error;

pub use error::{Error, OptionError, OptionErrorKind, RequestErrorKind};

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub mod js;

// Every target: its types check natively (Leptos SSR, rust-analyzer); it connects on wasm32.
#[cfg(feature = "rust-api")]
pub mod client;

// The npm build's allocator (feature `small-alloc`): smaller than dlmalloc, and safe to name
// here (the `unsafe` lives in lol_alloc). wasm32 is single-threaded, so the lock never spins.
#[cfg(all(target_arch = "wasm32", feature = "small-alloc"))]
#[global_allocator]
static ALLOC: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

//! The sans-IO engine: every decision steadysocket makes, as pure Rust.
//!
//! No web-sys, no timers, no globals: time is an input (`now`, in ms) and the engine answers
//! with [`Action`]s. It compiles and is tested natively; the browser driver (`web`) only feeds
//! it inputs and performs its actions. One concept per file:
//!
//! - [`backoff`]: exponential growth, jitter, cap, seedable RNG
//! - [`heartbeat`]: ping schedule, pong deadline, RTT
//! - [`outbox`]: the bounded offline queue
//! - [`requests`]: correlation ids and deadlines
//! - [`policy`]: the close-code table and `retryAfterMs`
//! - [`envelope`]: the wire format
//! - [`machine`]: the state machine composing them
//! - [`reliable`]: reliable mode (seqs, acks, resume): a protocol v1 extension
//! - [`stomp`]: STOMP 1.2 frames: encoder and streaming decoder
//! - [`socketio`]: Engine.IO v4 / Socket.IO v5 packets: codecs, attachments, payload surgery
//! - [`transport`]: the transport choice: fallback and upgrade rules
//! - `endpoints`: the endpoint choice of an endpoint list: rotation, skips, stickiness
//! - [`validate`]: option and argument checks shared by the JS and Rust facades

pub mod backoff;
pub(crate) mod endpoints;
pub mod envelope;
pub mod heartbeat;
pub mod idmap;
pub(crate) mod json;
pub mod machine;
pub mod outbox;
pub mod policy;
pub mod reliable;
pub mod requests;
pub mod socketio;
pub mod sockjs;
pub mod stomp;
pub mod text;
pub mod transport;
pub mod validate;

pub use backoff::BackoffConfig;
pub use envelope::{Frame, FrameKind};
pub use heartbeat::{HeartbeatConfig, Rtt};
pub use machine::{
    Action, Config, Delivery, DropReason, Engine, ErrorKind, Event, Metrics, Msg, ReconnectConfig,
    SendError, Sent, State,
};
pub use outbox::{OutboxConfig, Overflow};
pub use policy::ClosePolicy;
pub use reliable::ReliableConfig;
pub use requests::Failure;
pub use transport::Transport;

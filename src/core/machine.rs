//! The connection state machine: composes backoff, heartbeat, outbox, requests and the
//! close policy. Sans-IO: inputs are method calls carrying `now` (ms, any monotonic clock);
//! outputs are [`Action`]s drained with [`Engine::poll_action`], plus one deadline from
//! [`Engine::poll_timeout`] at which [`Engine::on_timer`] must be called.
//!
//! ```text
//!            ┌──────────── open ────────────┐
//!  new ─► connecting ─fail/timeout─► reconnecting ─timer/online/visible─► connecting
//!            │                            ▲
//!            └─open─► open ─lost/dead─────┘      close() ─► closing ─► closed
//!                       └─policy says stop / attempts exhausted ─────────► closed
//! ```

use std::collections::VecDeque;
use std::fmt;

use super::backoff::{Backoff, BackoffConfig};
use super::endpoints::Endpoints;
use super::envelope::{encode_request, Frame, FrameKind, WireFrame};
use super::heartbeat::{Beat, Heartbeat, HeartbeatConfig, Rtt};
use super::outbox::{Entry, Outbox, OutboxConfig, Push};
use super::policy::{bound_retry_after, ClosePolicy};
use super::reliable::{Inbound, Reliable, ReliableConfig};
use super::requests::{Failure, Requests};
use super::text::digits;
use super::transport::{Transport, Transports};

/// Connection states, as reported in `state` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A connection attempt is in progress.
    Connecting,
    /// Connected: sends go straight to the socket.
    Open,
    /// Waiting for the next attempt (or for the network to come back).
    Reconnecting,
    /// `close()` was called; waiting for the closing handshake.
    Closing,
    /// Terminal: closed by the user, by the close policy, or after the attempts ran out.
    /// Only [`Engine::reconnect`] leaves it.
    Closed,
}

impl State {
    /// The JS spelling: `"connecting"`, `"open"`, `"reconnecting"`, `"closing"`, `"closed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Open => "open",
            State::Reconnecting => "reconnecting",
            State::Closing => "closing",
            State::Closed => "closed",
        }
    }
}

/// Reconnect settings (the `reconnect` option in JS).
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectConfig {
    /// Delays between attempts.
    pub backoff: BackoffConfig,
    /// How long, in ms, a connection must stay open before the retry counter resets.
    /// Default `5000`.
    pub stable_ms: f64,
    /// Which server close codes stop reconnection.
    pub policy: ClosePolicy,
    /// Ceiling, in ms, on a server's `retryAfterMs` advice (JS `reconnect.maxRetryAfterMs`):
    /// larger advice is clamped to it, so a server cannot silence a client forever.
    /// Default `300000` (5 minutes).
    pub max_retry_after_ms: f64,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffConfig::default(),
            stable_ms: 5000.0,
            policy: ClosePolicy::default(),
            max_retry_after_ms: 300_000.0,
        }
    }
}

/// Everything the engine can be configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Reconnect settings; `None` disables reconnection. Default: enabled, see
    /// [`ReconnectConfig`].
    pub reconnect: Option<ReconnectConfig>,
    /// Heartbeat settings; `None` disables heartbeats. Default: enabled, see
    /// [`HeartbeatConfig`].
    pub heartbeat: Option<HeartbeatConfig>,
    /// The offline queue.
    pub queue: OutboxConfig,
    /// How long, in ms, an attempt may take to open before it counts as failed.
    /// Default `10000`.
    pub connect_timeout_ms: f64,
    /// Default per-request deadline, in ms, counted from the call. Default `10000`.
    pub request_timeout_ms: f64,
    /// Inbound frames larger than this (bytes) are refused with an `error` event; the
    /// connection survives. Default `16777216` (16 MiB).
    pub max_message_bytes: usize,
    /// How long, in ms, `close()` waits for the closing handshake. Default `3000`.
    pub close_timeout_ms: f64,
    /// Seed of the jitter RNG. Default `0x5eed` (the JS facade seeds from `Math.random`).
    pub seed: u64,
    /// What the wire protocol asks of the session (handshake, goodbye, pong). Default:
    /// protocol v1's ([`Session::default`]).
    pub session: Session,
    /// Backpressure `(high, low)` in bytes of the socket's own buffer (as the driver reports
    /// it with [`Engine::set_socket_buffered`]) plus what is in flight to it: above `high`,
    /// new messages wait in the queue (its limits and overflow policy bound memory) until
    /// the socket's buffer drains to `low` or below ([`Event::Drain`]). Default `None` (off).
    pub water_marks: Option<(usize, usize)>,
    /// Report sends that may have been lost: messages (not requests) transmitted since the
    /// last heartbeat pong are *unconfirmed* (a pong proves the peer read everything sent
    /// before its ping); a ping goes out within [`CONFIRM_MS`] of a send; when the connection
    /// is lost, each unconfirmed message is reported with [`Event::Lost`]. Needs the probe
    /// heartbeat and a peer whose pongs are recognized ([`FrameKind::Pong`]). Default `false`.
    pub confirm_sends: bool,
    /// Reliable mode (protocol v1's extension: seqs, acks, resume; JS `delivery:
    /// "at-least-once"`); it turns the session's handshake on. Default `None` (at most once).
    pub reliable: Option<ReliableConfig>,
    /// The transports, in order of preference (see [`super::transport`] for the fallback and
    /// upgrade rules). Default `[WebSocket]`.
    pub transports: Vec<Transport>,
    /// While open on a transport that is not the first of [`transports`](Self::transports),
    /// probe the first this long (ms) after the open (doubling after each failed probe, up
    /// to [`PROBE_MAX_MS`](super::transport::PROBE_MAX_MS)) and move to it when a probe
    /// opens; `0` disables upgrades. Default `10000`.
    pub upgrade_probe_ms: f64,
    /// With an endpoint list ([`Engine::endpoint_for`]): how long (ms) an endpoint that
    /// refused an attempt, or whose open connection died, is skipped. Default `30000`.
    pub endpoint_skip_ms: f64,
    /// The URL is a SockJS endpoint ([`super::sockjs`]): every attempt is a new SockJS session
    /// and [`transports`](Self::transports) are SockJS's (`websocket`, `xhr-streaming`,
    /// `eventsource`, `xhr-polling`). The engine itself does not look at it; the driver and
    /// [`Config::validate`] do. Default `false`.
    pub sockjs: bool,
}

/// With [`Config::confirm_sends`]: a ping goes out at most this long (ms) after a send that
/// is not yet confirmed.
pub const CONFIRM_MS: f64 = 1000.0;

/// With [`Config::confirm_sends`]: at most this many unconfirmed messages are remembered (the
/// oldest is forgotten beyond; only a peer that never answers pings gets there).
pub const CONFIRM_MAX: usize = 4096;

/// How often (ms) the socket's buffer is checked while above the high water mark.
pub const DRAIN_POLL_MS: f64 = 20.0;

/// An upgrade waits at most this long (ms) for pending requests to settle and the old
/// transport to drain before it switches anyway (requests then still pending fail with
/// `connection-lost`).
pub const UPGRADE_WAIT_MS: f64 = 5000.0;

/// The protocol seam's engine half: what a wire protocol needs from the session lifecycle.
/// The protocol itself (encoding and classifying frames) lives with the driver; the engine
/// only sees [`FrameKind`]s and these switches.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Run a handshake when the transport opens: the engine asks for its frames with
    /// [`Action::Handshake`], stays `connecting`, and opens the session when a
    /// [`FrameKind::Ready`] arrives (a [`FrameKind::Refused`], a close or the timeout fails the
    /// attempt). Default `false`.
    pub handshake: bool,
    /// How long, in ms, the handshake may take. Default `10000`.
    pub handshake_timeout_ms: f64,
    /// Say goodbye on `close()`: [`Action::Goodbye`] first, then the socket closes when the
    /// answer ([`FrameKind::Bye`]) or the peer's close comes, or after `close_timeout_ms`.
    /// Default `false`.
    pub goodbye: bool,
    /// The frame answering a peer's [`FrameKind::Ping`]; `None`: pings are not answered.
    /// Default v1's `{"type":"pong"}`.
    pub pong: Option<String>,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            handshake: false,
            handshake_timeout_ms: 10_000.0,
            goodbye: false,
            pong: Some(r#"{"type":"pong"}"#.into()),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            reconnect: Some(ReconnectConfig::default()),
            heartbeat: Some(HeartbeatConfig::default()),
            queue: OutboxConfig::default(),
            connect_timeout_ms: 10_000.0,
            request_timeout_ms: 10_000.0,
            max_message_bytes: 16 << 20,
            close_timeout_ms: 3000.0,
            seed: 0x5eed,
            session: Session::default(),
            water_marks: None,
            confirm_sends: false,
            transports: vec![Transport::WebSocket],
            upgrade_probe_ms: 10_000.0,
            endpoint_skip_ms: 30_000.0,
            reliable: None,
            sockjs: false,
        }
    }
}

/// Why a queued message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Evicted or refused by the queue's overflow policy.
    Overflow,
    /// Its `ttlMs` (or its request's deadline) passed while queued.
    Expired,
    /// The socket closed for good while it was queued.
    Closed,
    /// It was handed to a socket that no longer accepted it (already closing or closed), so
    /// it was not transmitted (see [`Engine::on_transmit_failed`]). It is not re-sent.
    ConnectionLost,
    /// Its frame is over a size limit the peer announced in the handshake (Socket.IO's
    /// `maxPayload`; see [`Engine::drop_queued`]): sent, it would close the connection.
    TooBig,
}

impl DropReason {
    /// The JS spelling: `"overflow"`, `"expired"`, `"closed"`, `"connection-lost"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Overflow => "overflow",
            DropReason::Expired => "expired",
            DropReason::Closed => "closed",
            DropReason::ConnectionLost => "connection-lost",
            DropReason::TooBig => "too-big",
        }
    }
}

/// Kinds of `error` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A connection attempt failed before opening.
    Connect,
    /// A connection attempt did not open within `connectTimeoutMs`.
    ConnectTimeout,
    /// The URL provider failed or returned an invalid URL.
    Url,
    /// An inbound frame exceeded `maxMessageBytes`.
    MessageTooBig,
    /// An inbound frame broke the wire protocol.
    Protocol,
    /// `maxAttempts` retries failed in a row; the socket is now closed.
    ReconnectFailed,
    /// The server closed with a code listed in `reconnect.stopOnCodes`; the socket is now
    /// closed.
    ReconnectStopped,
    /// A user event handler threw (reported by the driver).
    Handler,
    /// No sign of life from the peer within the heartbeat's deadline; the connection is
    /// dropped (and reconnects if enabled).
    HeartbeatTimeout,
    /// The protocol's handshake failed (refused, closed, or no answer within
    /// `handshakeTimeoutMs`); counts as a failed attempt.
    Handshake,
}

impl ErrorKind {
    /// The JS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::ConnectTimeout => "connect-timeout",
            ErrorKind::Url => "url",
            ErrorKind::MessageTooBig => "message-too-big",
            ErrorKind::Protocol => "protocol",
            ErrorKind::ReconnectFailed => "reconnect-failed",
            ErrorKind::ReconnectStopped => "reconnect-stopped",
            ErrorKind::Handler => "handler",
            ErrorKind::HeartbeatTimeout => "heartbeat-timeout",
            ErrorKind::Handshake => "handshake",
        }
    }
}

/// Events for the application.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<M, F = Frame> {
    /// Every state transition.
    State {
        /// The previous state.
        from: State,
        /// The new state.
        to: State,
    },
    /// A connection opened.
    Open {
        /// Whether an earlier connection had opened before.
        reconnected: bool,
        /// Retries it took since the last stable connection (0 = first try).
        attempt: u32,
    },
    /// An open connection closed (or `close()` was called).
    Close {
        /// The close code (1006 when no close frame was received).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
        /// Whether a reconnect will follow.
        will_reconnect: bool,
    },
    /// The next attempt is scheduled.
    Reconnecting {
        /// The retry number (1-based) since the last stable connection.
        attempt: u32,
        /// Delay until the attempt, in ms; `None` while waiting for the network (offline).
        delay_ms: Option<f64>,
    },
    /// Something went wrong; the socket keeps going unless a `state` event says otherwise.
    /// Whenever reconnection stops for a reason other than [`Engine::close`] or
    /// [`Engine::shutdown`] (with reconnection enabled), one `Error` of kind
    /// [`ErrorKind::ReconnectFailed`] or [`ErrorKind::ReconnectStopped`] says why; it comes
    /// after the `Close` event (if any) and before the final `State { to: Closed }`.
    Error {
        /// What kind of problem.
        kind: ErrorKind,
        /// A human-readable description.
        message: String,
    },
    /// A message was dropped without being transmitted: from the queue, or because the
    /// socket did not accept its frame ([`DropReason::ConnectionLost`]).
    Dropped {
        /// The caller's data for it.
        meta: M,
        /// Its frame.
        frame: F,
        /// Why.
        reason: DropReason,
        /// The request it carried, if any.
        request: Option<u64>,
    },
    /// A queued message was transmitted (messages sent while open get `Sent::Sent` from
    /// `send` instead). Every queued message ends in exactly one `Sent` or `Dropped`; a
    /// message sent while open whose frame the socket refused ends in one `Dropped`.
    Sent {
        /// The caller's data for it.
        meta: M,
        /// Its frame.
        frame: F,
        /// The request it carried, if any.
        request: Option<u64>,
    },
    /// A heartbeat pong gave a new round-trip sample.
    Rtt(Rtt),
    /// The socket's buffer drained to the low water mark after going above the high one:
    /// held messages are being sent, new ones go straight out again.
    Drain,
    /// A connection opened on another transport than the previous open (the first open
    /// included): a fallback or an upgrade.
    Transport(Transport),
    /// A connection opened to another endpoint of the list than the previous open (the
    /// first open included): its index ([`Engine::endpoint_for`]).
    Endpoint(usize),
    /// A message that was transmitted but never confirmed (no heartbeat pong after it) when
    /// its connection was lost: it may not have reached the peer ([`Config::confirm_sends`]).
    Lost {
        /// The caller's data for it.
        meta: M,
        /// Its frame.
        frame: F,
    },
    /// Reliable mode: the server acknowledged every message with a seq up to `upto` (the
    /// messages it covers have left the queue: see [`Engine::last_seq`]).
    Acked {
        /// The cumulative ack.
        upto: u64,
    },
    /// Reliable mode: server messages `from..=to` were lost for good (the server's replay
    /// buffer no longer had them); `to` is `None` when the server lost the whole session
    /// (e.g. it expired), so an unknown number from `from` on may be lost. Comes before the
    /// messages after the gap.
    Gap {
        /// The first missing server seq.
        from: u64,
        /// The last missing server seq, if known.
        to: Option<u64>,
    },
    /// A request failed (its promise should reject).
    RequestFailed {
        /// The request id.
        id: u64,
        /// Why.
        failure: Failure,
    },
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<M, F = Frame> {
    /// Try to open transport `transport` to the URL of connection `conn` in the background,
    /// without disturbing it, then report with [`Engine::on_probe`]: the upgrade probe. The
    /// probe is closed as soon as it opens.
    Probe {
        /// The connection whose URL to use.
        conn: u64,
        /// The transport to try.
        transport: Transport,
    },
    /// Open a new socket for connection `conn` (resolving the URL first if needed). Any
    /// previous socket has already been closed by a [`Action::CloseSocket`].
    Connect {
        /// The connection id; pass it back with every input about this socket.
        conn: u64,
    },
    /// Send a frame on connection `conn`.
    ///
    /// If the transport does not accept it (the socket is already closing or closed, or
    /// there is no socket for `conn` any more), the driver must hand `conn`, `frame` and `msg`
    /// back to [`Engine::on_transmit_failed`] **before** polling the next action, so the
    /// message is reported dropped (`connection-lost`) instead of sent.
    Transmit {
        /// The connection id.
        conn: u64,
        /// The frame.
        frame: F,
        /// The user message it carries (a `send`/`request`, direct or from the backlog);
        /// `None` for heartbeat ping/pong frames.
        msg: Option<Msg<M>>,
        /// [`Engine::out_serial`] as of this frame (a plain message's own serial): the tag an
        /// HTTP transport reports back with [`Engine::on_delivered`]/[`Engine::on_undelivered`].
        tag: u64,
    },
    /// Close connection `conn` with `code`/`reason`.
    CloseSocket {
        /// The connection id.
        conn: u64,
        /// The close code (1000 or 3000–4999).
        code: u16,
        /// The close reason.
        reason: String,
        /// `true` for a user `close()`: keep listening and report the socket's `close`
        /// event. `false`: the engine has moved on; detach the socket's listeners.
        await_close: bool,
    },
    /// After performing the actions before it (so `open` handlers have run and their sends
    /// went first), call [`Engine::flush`] to transmit the backlog.
    Flush,
    /// The transport of `conn` opened and the protocol has a handshake: build its frames (per
    /// attempt: e.g. fresh credentials) and hand each to [`Engine::control`].
    Handshake {
        /// The connection id.
        conn: u64,
    },
    /// `close()` on a protocol with a goodbye: build it (e.g. STOMP `DISCONNECT` with a
    /// receipt) and hand it to [`Engine::control`].
    Goodbye {
        /// The connection id.
        conn: u64,
    },
    /// Hand an event to the application.
    Emit(Event<M, F>),
    /// Hand the payload of an inbound frame to the application, as [`Engine::on_frame`]
    /// returned (never [`Delivery::Ignore`]). Frames are delivered in arrival order; the
    /// driver keeps their payloads in a FIFO of its own.
    Deliver(Delivery),
}

impl<M, F> Action<M, F> {
    /// Whether this is a status or message notification (`State`, `Open`, `Close`,
    /// `Reconnecting`, `Error`, `Rtt` events, and deliveries of inbound events or raw
    /// frames), as opposed to socket I/O and outcome settlements (`Sent`, `Dropped`,
    /// `RequestFailed`, replies). A driver whose owner has gone away performs the latter
    /// only: the application hears how each message and request ended, nothing more.
    pub fn is_status(&self) -> bool {
        match self {
            Action::Emit(e) => !matches!(
                e,
                Event::Sent { .. }
                    | Event::Dropped { .. }
                    | Event::RequestFailed { .. }
                    | Event::Acked { .. }
            ),
            Action::Deliver(d) => !matches!(d, Delivery::Reply { .. }),
            _ => false,
        }
    }
}

/// The user message a [`Action::Transmit`] carries, handed back to
/// [`Engine::on_transmit_failed`] when the transport refuses the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg<M> {
    /// The caller's data for it (as given to `send`/`request`).
    pub meta: M,
    /// The request it carries, if any.
    pub request: Option<u64>,
}

/// What to do with an inbound frame's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing (heartbeat, refused, or stale).
    Ignore,
    /// Deliver to message handlers (a typed event).
    Event,
    /// Deliver to `raw` listeners.
    Raw,
    /// Settle request `id` with this reply (reject when `error`).
    Reply {
        /// The request id.
        id: u64,
        /// Whether the reply is an error reply.
        error: bool,
    },
    /// An error frame from the peer ([`FrameKind::ServerError`]): report it as an `error`
    /// event built from the payload.
    ServerError,
}

/// The result of an accepted `send` or `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Handed to the socket now (if the socket refuses it, an [`Event::Dropped`] with
    /// [`DropReason::ConnectionLost`] follows: see [`Engine::on_transmit_failed`]).
    Sent,
    /// Queued until the connection opens.
    Queued,
    /// Dropped at once by the overflow policy (a `Dropped` event says so too).
    Dropped,
}

impl Sent {
    /// The JS spelling: `"sent"`, `"queued"`, `"dropped"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sent::Sent => "sent",
            Sent::Queued => "queued",
            Sent::Dropped => "dropped",
        }
    }
}

/// Why `send`/`request` refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The socket is closing or closed.
    Closed,
    /// The queue is full and the overflow policy is `error`.
    QueueFull,
}

/// Counters and gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Connection attempts made.
    pub attempts: u64,
    /// Successful re-opens after the first open.
    pub reconnects: u64,
    /// Total time not open (excluding time after a final close), in ms.
    pub downtime_ms: f64,
    /// Frames received (heartbeats excluded).
    pub messages_in: u64,
    /// Frames transmitted (heartbeats and frames the socket refused excluded).
    pub messages_out: u64,
    /// Bytes received (all frames).
    pub bytes_in: u64,
    /// Bytes transmitted (all frames, refused ones excluded).
    pub bytes_out: u64,
    /// Messages queued now.
    pub queued: usize,
    /// Bytes queued now.
    pub queued_bytes: usize,
    /// Messages dropped so far (any [`DropReason`]).
    pub dropped: u64,
    /// Requests pending now.
    pub pending_requests: usize,
    /// Round-trip times (kept across reconnects until a new sample arrives).
    pub rtt: Rtt,
    /// Reliable mode: duplicate server messages dropped so far.
    pub duplicates: u64,
    /// Reliable mode: messages transmitted again after a reconnect so far.
    pub resent: u64,
    /// Reliable mode: messages transmitted and awaiting the server's ack now (included in
    /// `queued`).
    pub unacked: usize,
}

/// A standing frame (see [`Engine::stand`]).
struct Standing<F> {
    key: u64,
    frame: F,
    /// Sent instead of `frame` the next time (once): the variant asking for a receipt, and
    /// the request id that receipt settles.
    first: Option<(F, u64)>,
}

struct Reconnect {
    backoff: Backoff,
    stable_ms: f64,
    policy: ClosePolicy,
    max_retry_after_ms: f64,
}

/// Close code sent when the engine abandons a socket (IANA 3008, "Timeout").
pub const CODE_TIMEOUT: u16 = 3008;
/// Close code reported for a connection that ended without a close frame.
pub const CODE_ABNORMAL: u16 = 1006;

/// The engine. `M` is caller data kept with each queued message (returned in `Dropped`).
pub struct Engine<M, F = Frame> {
    reconnect: Option<Reconnect>,
    heartbeat_cfg: Option<HeartbeatConfig>,
    connect_timeout_ms: f64,
    request_timeout_ms: f64,
    max_message_bytes: usize,
    close_timeout_ms: f64,
    session: Session,

    state: State,
    /// In `Connecting`: the transport is open and the handshake is running.
    handshaking: bool,
    /// In `Open`: the application's own handshake runs (an `open` handler's Promise, see
    /// [`Engine::hold`]): user messages queue behind the backlog until [`Engine::release`].
    gated: bool,
    /// Never started (`autoConnect: false`), or closed by [`Engine::disconnect`]: `closed`,
    /// but messages queue until [`Engine::connect`].
    idle: bool,
    /// Subscriptions: sent on every open when the backlog is (after the `open` handlers and
    /// any open gate, before the backlog), and at once when registered after that.
    subs: Vec<(u64, F)>,
    /// Whether this connection's backlog went out (so a new subscription goes at once).
    flushed: bool,
    water_marks: Option<(usize, usize)>,
    /// The socket's own buffer, as last reported, plus bytes handed to it since.
    buffered: usize,
    /// Above the high water mark: new messages wait in the queue; the next drain check.
    congested: Option<f64>,
    confirm_sends: bool,
    /// Transmitted messages not yet confirmed by a pong (or, over HTTP, by the transport):
    /// (serial, meta, frame).
    unconfirmed: VecDeque<(u64, M, F)>,
    /// The transport choice (fallback, upgrade).
    transports: Transports,
    /// The endpoint choice (endpoint lists).
    endpoints: Endpoints,
    /// When to send the next upgrade probe.
    probe_at: Option<f64>,
    /// An upgrade probe is out.
    probe_out: bool,
    /// Upgrading: new messages wait in the queue until pending requests settle and the
    /// transport drains, or this deadline; the next check.
    upgrading: Option<(f64, f64)>,
    /// Serial of the last transmitted message.
    out_serial: u64,
    /// The connection whose transport reports deliveries like an HTTP transport does
    /// ([`Engine::track_deliveries`]); 0: none.
    tracked: u64,
    /// The serial the outstanding ping confirms when its pong comes.
    ping_mark: Option<u64>,
    /// When to ping to confirm the unconfirmed messages.
    confirm_at: Option<f64>,
    /// Frames sent on every (re)open before the backlog (subscriptions), by key, in order.
    standing: Vec<Standing<F>>,
    /// `close()` said goodbye: the code and reason to close with once it is answered.
    bye: Option<(u16, String)>,
    /// Whether the peer ever answered a heartbeat probe (for the timeout's advice).
    answered: bool,
    conn: u64,
    /// Deadline of the current state: connect timeout, retry time, or close timeout.
    deadline: Option<f64>,
    opened_at: f64,
    ever_opened: bool,
    heartbeat: Option<Heartbeat>,
    rtt: Rtt,
    outbox: Outbox<M, F>,
    requests: Requests,
    online: bool,
    hidden: bool,
    retry_after: Option<f64>,
    down_since: Option<f64>,
    metrics: Metrics,
    actions: VecDeque<Action<M, F>>,
    /// Reliable mode's sequence state.
    reliable: Option<Reliable>,
    /// The channels open on this connection besides 0 (see [`Engine::open_channel`]).
    channels: Vec<u32>,
    /// Reliable mode: the highest persisted seq put back by [`Engine::restore`] (an ack may
    /// cover such entries before they are transmitted again).
    restored: u64,
}

impl<M, F: WireFrame> fmt::Debug for Engine<M, F> {
    /// A summary (no floats, no message data): state, connection, queue and request counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("state", &self.state)
            .field("conn", &self.conn)
            .field("queued", &self.outbox.len())
            .field("pending_requests", &self.requests.len())
            .field("pending_actions", &self.actions.len())
            .field("timer_armed", &self.deadline.is_some())
            .field("online", &self.online)
            .field("hidden", &self.hidden)
            .finish_non_exhaustive()
    }
}

impl<M: Clone, F: WireFrame> Engine<M, F> {
    /// A new engine; its first action is `Connect`. `config` must be valid
    /// (see [`Config::validate`]), but nothing here panics on odd values.
    pub fn new(config: Config, now: f64) -> Self {
        Self::with_start(config, now, true)
    }

    /// [`new`](Self::new) (`connect` true) or [`new_idle`](Self::new_idle) (`connect`
    /// false): one body, so a driver that chooses at run time compiles it once.
    pub fn with_start(config: Config, now: f64, connect: bool) -> Self {
        let Config {
            reconnect,
            heartbeat,
            queue,
            connect_timeout_ms,
            request_timeout_ms,
            max_message_bytes,
            close_timeout_ms,
            seed,
            mut session,
            water_marks,
            confirm_sends,
            reliable,
            transports,
            upgrade_probe_ms,
            endpoint_skip_ms,
            sockjs: _,
        } = config;
        session.handshake |= reliable.is_some();
        // Reliable mode acks every message: nothing is left to report as possibly lost.
        let confirm_sends = confirm_sends && reliable.is_none();
        let mut e = Self {
            reconnect: reconnect.map(|r| Reconnect {
                backoff: Backoff::new(r.backoff, seed),
                stable_ms: r.stable_ms,
                policy: r.policy,
                max_retry_after_ms: r.max_retry_after_ms,
            }),
            heartbeat_cfg: heartbeat,
            connect_timeout_ms,
            request_timeout_ms,
            max_message_bytes,
            close_timeout_ms,
            session,
            state: State::Connecting,
            handshaking: false,
            gated: false,
            idle: false,
            subs: Vec::new(),
            flushed: false,
            water_marks,
            buffered: 0,
            congested: None,
            confirm_sends,
            unconfirmed: VecDeque::new(),
            transports: Transports::new(transports, upgrade_probe_ms),
            endpoints: Endpoints::new(endpoint_skip_ms),
            probe_at: None,
            probe_out: false,
            upgrading: None,
            out_serial: 0,
            tracked: 0,
            ping_mark: None,
            confirm_at: None,
            standing: Vec::new(),
            bye: None,
            answered: false,
            conn: 0,
            deadline: None,
            opened_at: now,
            ever_opened: false,
            heartbeat: None,
            rtt: Rtt::default(),
            outbox: Outbox::new(queue),
            requests: Requests::new(),
            online: true,
            hidden: false,
            retry_after: None,
            down_since: Some(now),
            metrics: Metrics::default(),
            actions: VecDeque::new(),
            reliable: reliable.map(Reliable::new),
            channels: Vec::new(),
            restored: 0,
        };
        if connect {
            e.start_attempt(now);
        } else {
            e.state = State::Closed;
            e.idle = true;
            e.down_since = None;
        }
        e
    }

    /// A new engine that does not connect until [`connect`](Self::connect) (or
    /// [`reconnect`](Self::reconnect)): its state is `closed`, but `send`/`request` queue
    /// (within the queue's limits and TTL; request deadlines run) instead of failing.
    /// `close`/`shutdown` before that drop the queue (`closed`).
    pub fn new_idle(config: Config, now: f64) -> Self {
        Self::with_start(config, now, false)
    }

    /// Starts connecting if `closed` (never started, or closed since); otherwise nothing.
    pub fn connect(&mut self, now: f64) {
        if self.state == State::Closed {
            self.reconnect(now);
        }
    }

    /// Closes at once (the socket closed with `code` and `reason`, not awaited; a clean
    /// `Close` event) and returns to the idle start of [`new_idle`](Self::new_idle)
    /// (Socket.IO's `disconnect()`): the queue is kept, and `send`/`request` keep queueing
    /// (within the queue's limits and TTL) until [`connect`](Self::connect). Requests in
    /// flight fail with `closed`; queued ones wait. `close`/`shutdown` afterwards drop the
    /// queue (`closed`). Nothing when already `closed`.
    pub fn disconnect(&mut self, code: u16, reason: &str, now: f64) {
        if self.state == State::Closed {
            return;
        }
        if self.state != State::Reconnecting {
            self.drop_socket(code, reason);
        }
        self.heartbeat_stop();
        self.unconfirmed.clear();
        self.ping_mark = None;
        self.confirm_at = None;
        self.emit(Event::Close {
            code,
            reason: reason.to_string(),
            was_clean: true,
            will_reconnect: false,
        });
        self.deadline = None;
        self.handshaking = false;
        self.bye = None;
        self.retry_after = None;
        if let Some(t) = self.down_since.take() {
            self.metrics.downtime_ms += (now - t).max(0.0);
        }
        for id in self.requests.lose_connection(self.conn) {
            self.emit(Event::RequestFailed { id, failure: Failure::Closed });
        }
        self.idle = true;
        self.set_state(State::Closed);
    }

    /// [`connect`](Self::connect), also while `closing`: the closing socket is abandoned (its
    /// `Close` event now, clean, with `code` and `reason`) and a new attempt starts at once.
    pub fn resume(&mut self, code: u16, reason: &str, now: f64) {
        if self.state == State::Closing {
            self.drop_socket(code, reason);
            self.finish(code, reason.to_string(), true, now);
        }
        self.connect(now);
    }

    /// Drops every queued message whose frame `reject` refuses (a frame over a limit the peer
    /// announced in the handshake, e.g. Socket.IO's `maxPayload`: sent, it would close the
    /// connection) as [`DropReason::TooBig`] (its request fails [`Failure::TooBig`]), after
    /// an `error` event of kind [`ErrorKind::MessageTooBig`] with `why`. Returns how many.
    pub fn drop_queued(&mut self, reject: impl FnMut(&F) -> bool, why: &str) -> usize {
        let gone = self.outbox.remove_where(reject);
        let n = gone.len();
        if n > 0 {
            self.error(ErrorKind::MessageTooBig, why.to_string());
        }
        for e in gone {
            self.dropped(e, DropReason::TooBig);
        }
        n
    }

    /// Whether request `id` is still in the queue (not transmitted yet).
    pub fn request_queued(&self, id: u64) -> bool {
        self.outbox.holds_request(id)
    }

    /// Whether request `id` still waits for its reply (a reply to any other id is late or
    /// unknown).
    pub fn request_pending(&self, id: u64) -> bool {
        self.requests.is_pending(id)
    }

    // ----- queries -----

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The current connection id.
    pub fn conn(&self) -> u64 {
        self.conn
    }

    /// Messages queued.
    pub fn queued(&self) -> usize {
        self.outbox.len()
    }

    /// The inbound size limit, in bytes.
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }

    /// The default request timeout, in ms.
    pub fn request_timeout_ms(&self) -> f64 {
        self.request_timeout_ms
    }

    /// RTT statistics. The last values are kept across reconnects until a new sample
    /// arrives, and smoothing continues from the previous `smoothed`/`jitter`.
    pub fn rtt(&self) -> Rtt {
        self.heartbeat.as_ref().map_or(self.rtt, Heartbeat::rtt)
    }

    /// A snapshot of the metrics at `now`.
    pub fn metrics(&self, now: f64) -> Metrics {
        let mut m = self.metrics;
        if let Some(t) = self.down_since {
            m.downtime_ms += (now - t).max(0.0);
        }
        m.queued = self.outbox.len();
        m.queued_bytes = self.outbox.bytes();
        m.pending_requests = self.requests.len();
        m.unacked = self.outbox.in_flight();
        m.rtt = self.rtt();
        m
    }

    /// The next action to perform, if any.
    pub fn poll_action(&mut self) -> Option<Action<M, F>> {
        self.actions.pop_front()
    }

    /// When [`on_timer`](Self::on_timer) must next be called (`None`: no timer needed).
    pub fn poll_timeout(&self) -> Option<f64> {
        let hb = match (&self.heartbeat, self.state) {
            (Some(h), State::Open) => Some(h.deadline()),
            _ => None,
        };
        let open = self.state == State::Open;
        let drain = self.congested.filter(|_| open);
        let confirm = self.confirm_at.filter(|_| open);
        let ack = match (&self.reliable, self.state) {
            (Some(r), State::Open) => r.ack_due,
            _ => None,
        };
        let probe = self.probe_at.filter(|_| open && !self.probe_out);
        let upgrade = self.upgrading.filter(|_| open).map(|(_, check)| check);
        [
            probe,
            upgrade,
            self.deadline,
            hb,
            self.requests.next_deadline(),
            self.outbox.next_expiry(),
            drain,
            confirm,
            ack,
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min)
    }

    // ----- inputs from the socket -----

    /// The transport of connection `conn` opened: the session opens now, or, if the protocol
    /// has a handshake, when its [`FrameKind::Ready`] arrives.
    pub fn on_open(&mut self, conn: u64, now: f64) {
        if conn != self.conn || self.state != State::Connecting || self.handshaking {
            return;
        }
        if self.session.handshake {
            self.handshaking = true;
            self.deadline = Some(now + self.session.handshake_timeout_ms);
            self.actions.push_back(Action::Handshake { conn });
            return;
        }
        self.ready(None, now);
    }

    /// Whether the transport is open and the protocol's handshake is running (the public
    /// state is still `connecting`).
    pub fn handshaking(&self) -> bool {
        self.handshaking
    }

    /// Holds the backlog of the open connection behind the application's own handshake (the
    /// JS facade: an `open` handler returned a Promise). Until [`release`](Self::release),
    /// the backlog stays queued and new `send`/`request` calls queue behind it; frames sent
    /// with [`send_on`](Self::send_on)/[`request_on`](Self::request_on), heartbeats,
    /// standing and control frames still go out. The gate fails the connection (like a
    /// failed attempt: the backoff is not reset) if not released within the session's
    /// `handshake_timeout_ms`. Call it while performing the `Open` event, before the
    /// [`Action::Flush`] behind it. Returns the connection id to release, or `None` when not
    /// open.
    pub fn hold(&mut self, now: f64) -> Option<u64> {
        if self.state != State::Open {
            return None;
        }
        if !self.gated {
            self.gated = true;
            self.deadline = Some(now + self.session.handshake_timeout_ms);
        }
        Some(self.conn)
    }

    /// Ends the gate of connection `conn` (ignored if that connection is gone): `Ok` sends
    /// the backlog (an [`Action::Flush`]); `Err(why)` fails the connection: an `error` event
    /// of kind [`ErrorKind::Handshake`] with `why`, the socket closed, a `close` event, and
    /// a reconnect with the backoff not reset.
    pub fn release(&mut self, conn: u64, result: Result<(), String>, now: f64) {
        if conn != self.conn || self.state != State::Open || !self.gated {
            return;
        }
        self.gated = false;
        self.deadline = None;
        match result {
            Ok(()) => self.actions.push_back(Action::Flush),
            Err(why) => self.gate_failed(why, 1000, now),
        }
    }

    /// The socket's own buffered byte count (the driver reports it before each send and each
    /// timer input when water marks are set; see [`Config::water_marks`]).
    pub fn set_socket_buffered(&mut self, bytes: usize) {
        self.buffered = bytes;
    }

    /// Whether new messages are held because the socket's buffer is above the high water
    /// mark (until [`Event::Drain`]).
    pub fn congested(&self) -> bool {
        self.congested.is_some() && self.state == State::Open
    }

    /// Registers (or replaces, keeping its place) subscription `key`: `frame` is sent on every
    /// open together with the backlog, before it (after the `open` handlers and any open
    /// gate), and now if this connection's backlog already went. Returns whether it was sent
    /// now. Not a queued message: never in the queue, no `sent`/`drop` events, not in
    /// `messages_out` (bytes are counted).
    pub fn subscribe(&mut self, key: u64, frame: F, now: f64) -> bool {
        let now_too = self.state == State::Open && !self.holding() && self.flushed;
        if now_too {
            self.push_frame(frame.clone(), None, now);
        }
        match self.subs.iter_mut().find(|s| s.0 == key) {
            Some(s) => s.1 = frame,
            None => self.subs.push((key, frame)),
        }
        now_too
    }

    /// Forgets subscription `key`; whether it existed.
    pub fn unsubscribe(&mut self, key: u64) -> bool {
        let n = self.subs.len();
        self.subs.retain(|s| s.0 != key);
        self.subs.len() != n
    }

    /// The transport the current (or next) attempt uses: the driver opens this one for
    /// [`Action::Connect`].
    pub fn transport(&self) -> Transport {
        self.transports.current()
    }

    /// The serial of the last message transmitted (0 before any): an HTTP transport tags
    /// each frame it accepts with it, for [`on_delivered`](Self::on_delivered) and
    /// [`on_undelivered`](Self::on_undelivered).
    pub fn out_serial(&self) -> u64 {
        self.out_serial
    }

    /// An endpoint list of `n` URLs (JS `url: [...]`, or a provider returning a list): the
    /// index of the one the current attempt uses. Call it once per attempt, when performing
    /// [`Action::Connect`]. Rules: after a failure (a refused attempt, or an open connection
    /// that died) the next endpoint in list order, skipping those that failed in the last
    /// [`Config::endpoint_skip_ms`] (all skipped: the one free first); after an open, that
    /// endpoint again (sticky); a working connection is never dropped to go back to the
    /// first. An open to another endpoint than the last is an [`Event::Endpoint`].
    pub fn endpoint_for(&mut self, n: usize, now: f64) -> usize {
        self.endpoints.pick(n, now)
    }

    /// The endpoint index of the current (or last) attempt (0 without a list).
    pub fn endpoint(&self) -> usize {
        self.endpoints.current()
    }

    /// The transport of `conn` (the current one) reports what it delivered and what it
    /// surely did not, as an HTTP transport does ([`on_delivered`](Self::on_delivered),
    /// [`on_undelivered`](Self::on_undelivered)), though it is not one: JS `shared`, a
    /// follower tab's link to the leader tab. Call it before its open. The connection then
    /// runs no heartbeat (the transport watches the link itself).
    pub fn track_deliveries(&mut self, conn: u64) {
        if conn == self.conn {
            self.tracked = conn;
        }
    }

    /// The transport of `conn` delivered every frame it accepted up to the one tagged
    /// `serial` (an HTTP `POST` was answered): those messages are confirmed.
    pub fn on_delivered(&mut self, conn: u64, serial: u64) {
        if conn == self.conn {
            while self.unconfirmed.front().is_some_and(|u| u.0 <= serial) {
                self.unconfirmed.pop_front();
            }
        }
    }

    /// The transport of `conn` could not deliver the frames it accepted after the one
    /// tagged `serial`, and knows they did not arrive (an HTTP `POST` was refused, or never
    /// sent): those messages go back to the front of the queue, in order, to be sent on the
    /// next connection (the close follows). Requests among them fail with the connection as
    /// usual.
    pub fn on_undelivered(&mut self, conn: u64, serial: u64, now: f64) {
        if conn != self.conn {
            return;
        }
        while self.unconfirmed.back().is_some_and(|u| u.0 > serial) {
            let Some((_, meta, frame)) = self.unconfirmed.pop_back() else { break };
            self.metrics.messages_out = self.metrics.messages_out.saturating_sub(1);
            if let Some(e) = self.outbox.unshift(frame, meta, now) {
                // No room left (the queue filled meanwhile): reported as lost.
                self.emit(Event::Lost { meta: e.meta, frame: e.frame });
            }
        }
    }

    /// The upgrade probe sent for `conn` ([`Action::Probe`]) opened (`ok`) or failed. When it
    /// opened and `conn` is still open, the upgrade starts: new messages wait in the queue
    /// until pending requests have settled and the transport has drained (at most
    /// [`UPGRADE_WAIT_MS`]), then the connection closes (1000, `"upgrade"`) and the next
    /// attempt, at once, uses the probed transport.
    pub fn on_probe(&mut self, conn: u64, ok: bool, now: f64) {
        self.probe_out = false;
        if conn != self.conn || self.state != State::Open {
            return;
        }
        if ok {
            self.probe_at = None;
            if self.upgrading.is_none() {
                self.upgrading = Some((now + UPGRADE_WAIT_MS, now));
            }
            self.try_upgrade(now);
        } else {
            self.transports.probe_failed();
            self.probe_at = self.transports.probe().map(|(_, d)| now + d);
        }
    }

    /// Opens channel `ch` on this connection (a multiplexed sub-session, e.g. a Socket.IO
    /// namespace whose `CONNECT` was answered): its queued messages go now, in order, and new
    /// ones go straight out. Channel 0 is always open; the others close with the connection
    /// (every new session starts with only channel 0 open). Messages of a closed channel wait
    /// in the queue (within its limits and TTL) without holding back other channels'.
    /// Not for reliable mode (its window is one ordered stream).
    pub fn open_channel(&mut self, ch: u32, now: f64) {
        if ch != 0 && self.state == State::Open && !self.channels.contains(&ch) {
            self.channels.push(ch);
            self.flush(now);
        }
    }

    /// Drops channel `ch`'s queued messages ([`DropReason::Closed`]; their requests fail
    /// [`Failure::Closed`]): the sub-session is gone for good. Returns how many.
    #[cfg(feature = "socketio")]
    pub fn drop_channel(&mut self, ch: u32) -> usize {
        let gone = self.outbox.remove_where(|f| f.channel() == ch);
        let n = gone.len();
        for e in gone {
            self.dropped(e, DropReason::Closed);
        }
        n
    }

    /// Closes channel `ch`: its new messages queue until it opens again.
    pub fn close_channel(&mut self, ch: u32) {
        self.channels.retain(|&c| c != ch);
    }

    /// Whether channel `ch` is open (0 always is).
    pub fn channel_open(&self, ch: u32) -> bool {
        ch == 0 || self.channels.contains(&ch)
    }

    /// Upgrading: switches when nothing is pending (or the wait is over).
    fn try_upgrade(&mut self, now: f64) {
        let Some((until, _)) = self.upgrading else { return };
        if !self.requests.in_flight_on(self.conn)
            && self.buffered == 0
            && self.unconfirmed.is_empty()
            || now >= until
        {
            self.upgrading = None;
            self.probe_at = None;
            self.transports.upgrade();
            self.restart("upgrade", now);
        }
    }

    /// New messages wait in the queue: an open gate ([`hold`](Self::hold)) or an upgrade.
    fn holding(&self) -> bool {
        self.gated || self.upgrading.is_some()
    }

    /// Whether the backlog is held by [`hold`](Self::hold).
    pub fn gated(&self) -> bool {
        self.gated
    }

    fn gate_failed(&mut self, why: String, code: u16, now: f64) {
        self.gated = false;
        self.error(ErrorKind::Handshake, why);
        self.drop_socket(code, "open handler failed");
        // A failed attempt: the connection never became usable, so the backoff grows.
        self.opened_at = now;
        self.lose_connection(CODE_ABNORMAL, "open handler failed".into(), false, None, now);
    }

    /// Sends `frame` on connection `conn` through the gate of [`hold`](Self::hold) (the
    /// application's handshake messages). If `conn` is not the open connection any more, the
    /// message is dropped (`connection-lost`, a `drop` event) and `Dropped` is returned.
    ///
    /// # Errors
    /// [`SendError::Closed`] when closing/closed.
    pub fn send_on(&mut self, conn: u64, frame: F, meta: M, now: f64) -> Result<Sent, SendError> {
        self.submit_on(conn, frame, None, meta, now)
    }

    /// [`send`](Self::send) (`via` `None`) or [`send_on`](Self::send_on) (`via` the
    /// connection).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_via(
        &mut self,
        via: Option<u64>,
        frame: F,
        meta: M,
        now: f64,
    ) -> Result<Sent, SendError> {
        match via {
            None => self.submit(frame, None, meta, now),
            Some(conn) => self.submit_on(conn, frame, None, meta, now),
        }
    }

    /// As [`request_with`](Self::request_with), through the gate, on connection `conn` (see
    /// [`send_on`](Self::send_on)); if `conn` is gone the request fails `connection-lost`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn request_on(
        &mut self,
        conn: u64,
        timeout_ms: Option<f64>,
        meta: M,
        now: f64,
        encode: impl FnOnce(u64) -> F,
    ) -> Result<(u64, Sent), SendError> {
        self.request_via(Some(conn), timeout_ms, meta, now, encode)
    }

    fn submit_on(
        &mut self,
        conn: u64,
        frame: F,
        request: Option<u64>,
        meta: M,
        now: f64,
    ) -> Result<Sent, SendError> {
        match self.state {
            State::Closing | State::Closed => Err(SendError::Closed),
            State::Open if conn == self.conn => {
                self.transmit(frame, Msg { meta, request }, now);
                Ok(Sent::Sent)
            }
            _ => {
                self.drop_msg(meta, frame, request, DropReason::ConnectionLost);
                Ok(Sent::Dropped)
            }
        }
    }

    /// The session opened: heartbeat, standing frames, `Open`, then the backlog.
    fn ready(&mut self, beat: Option<(u32, u32)>, now: f64) {
        self.handshaking = false;
        self.channels.clear();
        self.flushed = false;
        self.buffered = 0;
        self.congested = None;
        self.unconfirmed.clear();
        self.ping_mark = None;
        self.confirm_at = None;
        self.deadline = None;
        self.opened_at = now;
        if let Some(t) = self.down_since.take() {
            self.metrics.downtime_ms += (now - t).max(0.0);
        }
        let reconnected = self.ever_opened;
        self.ever_opened = true;
        if reconnected {
            self.metrics.reconnects += 1;
        }
        let rtt = self.rtt;
        // A tracked connection (a `shared` follower's link to the leader tab) has no
        // heartbeat: its transport watches the link, and acks confirm what was sent.
        let beats = self.tracked != self.conn;
        self.heartbeat = self.heartbeat_cfg.clone().filter(|_| beats).map(|c| {
            match beat {
                Some((send, recv)) => {
                    Heartbeat::beating(c, Some(f64::from(send)), Some(f64::from(recv)), now)
                }
                None => Heartbeat::new(c, now),
            }
            .with_rtt(rtt)
        });
        if let Some(r) = &mut self.reliable {
            r.ack_due = None;
            self.metrics.resent += self.outbox.rewind() as u64;
        }
        if let Some(i) = self.endpoints.opened() {
            self.emit(Event::Endpoint(i));
        }
        if let Some(t) = self.transports.opened() {
            self.emit(Event::Transport(t));
        }
        self.probe_at = self.transports.probe().map(|(_, d)| now + d);
        self.probe_out = false;
        self.upgrading = None;
        self.set_state(State::Open);
        self.send_standing(now);
        let attempt = self.reconnect.as_ref().map_or(0, |r| r.backoff.retries());
        self.emit(Event::Open { reconnected, attempt });
        self.actions.push_back(Action::Flush);
    }

    /// Transmits the backlog (in order) if open. Call it when performing [`Action::Flush`].
    pub fn flush(&mut self, now: f64) {
        if self.state != State::Open || self.holding() {
            return;
        }
        if !self.flushed {
            self.flushed = true;
            for i in 0..self.subs.len() {
                if let Some((_, f)) = self.subs.get(i) {
                    let f = f.clone();
                    self.push_frame(f, None, now);
                }
            }
        }
        if self.congested.is_some() {
            return;
        }
        self.expire_queue(now);
        if self.reliable.is_some() {
            return self.transmit_unsent(now);
        }
        // Stops when the socket's buffer goes above the high water mark (the rest waits for
        // the drain).
        // Entries of closed channels are set aside and put back in front, in order. (Only
        // Socket.IO has channels: compiled in with it only, for size.)
        #[cfg(feature = "socketio")]
        let mut held = Vec::new();
        while self.congested.is_none() {
            let Some(e) = self.outbox.pop_front() else { break };
            #[cfg(feature = "socketio")]
            if !self.channel_open(e.frame.channel()) {
                held.push(e);
                continue;
            }
            let frame = e.frame.clone();
            let request = e.request();
            self.transmit(e.frame, Msg { meta: e.meta.clone(), request }, now);
            // Right behind its Transmit: `on_transmit_failed` withdraws it from there.
            self.emit(Event::Sent { meta: e.meta, frame, request });
        }
        #[cfg(feature = "socketio")]
        self.outbox.restore_front(held);
    }

    /// The transport did not accept the frame of an [`Action::Transmit`] (its socket was
    /// already closing or closed, or there is no socket for `conn` any more). Pass back the
    /// action's `conn`, `frame` and `msg`.
    ///
    /// Contract: the driver performs actions one at a time, in order, and calls this
    /// **before** polling the next action.
    ///
    /// Effects, as events placed at the **front** of the action queue (in this order), so
    /// they come out next:
    /// - a user message (`msg` is `Some`) ends as [`Event::Dropped`] with
    ///   [`DropReason::ConnectionLost`]; if it came from the backlog, the [`Event::Sent`]
    ///   queued right behind its `Transmit` is withdrawn, so it is never reported sent;
    /// - if it carried a request that is still pending, the request fails with
    ///   [`Failure::ConnectionLost`] ([`Event::RequestFailed`], once);
    /// - a heartbeat ping/pong (`msg` is `None`) reports nothing.
    ///
    /// The frame is taken out of `messages_out`/`bytes_out` and counted in `dropped`. The
    /// connection's fate is not decided here: the socket's close event follows with the real
    /// code (the driver reports it with [`on_close`](Self::on_close)).
    pub fn on_transmit_failed(&mut self, conn: u64, frame: F, msg: Option<Msg<M>>, now: f64) {
        let _ = (conn, now);
        self.metrics.bytes_out = self.metrics.bytes_out.saturating_sub(frame.wire_len() as u64);
        let Some(Msg { meta, request }) = msg else { return };
        self.metrics.messages_out = self.metrics.messages_out.saturating_sub(1);
        let mut rest = std::mem::take(&mut self.actions);
        if matches!(rest.front(), Some(Action::Emit(Event::Sent { request: r, .. })) if *r == request)
        {
            rest.pop_front();
        }
        self.drop_msg(meta, frame, request, DropReason::ConnectionLost);
        self.actions.extend(rest);
    }

    /// Connection `conn` closed (or failed to open). `code` is the close code (1006 when
    /// there was no close frame).
    pub fn on_close(&mut self, conn: u64, code: u16, reason: &str, was_clean: bool, now: f64) {
        self.on_close_with(conn, code, reason, was_clean, true, now);
    }

    /// As [`on_close`](Self::on_close), with the application's verdict on a connection that
    /// was open: `keep` false (its `shouldReconnect` returned false) stops reconnecting as a
    /// code in `stopOnCodes` does. Ask it only when [`state`](Self::state) is `Open`.
    pub fn on_close_with(
        &mut self,
        conn: u64,
        code: u16,
        reason: &str,
        was_clean: bool,
        keep: bool,
        now: f64,
    ) {
        if conn != self.conn {
            return;
        }
        match self.state {
            State::Connecting if std::mem::take(&mut self.handshaking) => {
                let mut msg = [
                    "the server closed the connection during the handshake (close code ",
                    &digits(code.into()),
                ]
                .concat();
                if !reason.is_empty() {
                    msg.push_str(": ");
                    msg.push_str(reason);
                }
                msg.push(')');
                self.attempt_failed(ErrorKind::Handshake, msg, now);
            }
            State::Connecting => {
                // A refusal with advice (an HTTP transport's 429/503 + Retry-After: 1013 and
                // `{"retryAfterMs": n}`) delays the next attempt as a server close does.
                if let Some(r) = &self.reconnect {
                    self.retry_after = super::policy::retry_after_ms(reason)
                        .and_then(|v| bound_retry_after(v, r.max_retry_after_ms));
                }
                let msg = if code == CODE_ABNORMAL {
                    "connection attempt failed".to_string()
                } else {
                    ["connection attempt failed (close code ", &digits(code.into()), ")"].concat()
                };
                self.attempt_failed(ErrorKind::Connect, msg, now);
            }
            State::Open => {
                let mut stopped = (!keep).then_some(", and shouldReconnect returned false");
                if let Some(r) = &self.reconnect {
                    let d = r.policy.decide(code, reason);
                    if !d.reconnect {
                        stopped = Some(", which is in reconnect.stopOnCodes");
                    }
                    self.retry_after =
                        d.retry_after_ms.and_then(|v| bound_retry_after(v, r.max_retry_after_ms));
                }
                self.lose_connection(code, reason.to_string(), was_clean, stopped, now);
            }
            State::Closing => self.finish(code, reason.to_string(), was_clean, now),
            State::Reconnecting | State::Closed => {}
        }
    }

    /// Resolving the URL for connection `conn` failed (the driver's URL provider threw or
    /// returned an invalid URL). Counts as a failed attempt.
    pub fn on_connect_failed(&mut self, conn: u64, message: String, now: f64) {
        if conn == self.conn && self.state == State::Connecting {
            self.attempt_failed(ErrorKind::Url, message, now);
        }
    }

    /// Connecting `conn` failed before its transport opened for a reason the driver found
    /// (e.g. a SockJS `/info` that did not answer): a failed attempt, `error` kind
    /// [`ErrorKind::Connect`] with `message`.
    pub fn on_attempt_failed(&mut self, conn: u64, message: String, now: f64) {
        if conn == self.conn && self.state == State::Connecting {
            self.attempt_failed(ErrorKind::Connect, message, now);
        }
    }

    /// The transport of connecting `conn` cannot be used with this server (e.g. a SockJS
    /// `/info` says `"websocket": false`): an `error` of kind [`ErrorKind::Connect`] with
    /// `message`, and the next transport of the list is tried at once (no backoff, not a
    /// failed attempt); on the last transport it is a failed attempt.
    pub fn on_unavailable(&mut self, conn: u64, message: String, now: f64) {
        if conn != self.conn || self.state != State::Connecting {
            return;
        }
        if !self.transports.skip() {
            return self.attempt_failed(ErrorKind::Connect, message, now);
        }
        self.error(ErrorKind::Connect, message);
        self.drop_socket(1000, "transport unavailable");
        self.start_attempt(now);
    }

    /// A frame of `len` bytes arrived on `conn`, classified as `kind`. Returns what to do
    /// with its payload.
    ///
    /// Unless it is [`Delivery::Ignore`], the same delivery is also queued as
    /// [`Action::Deliver`], behind every action this frame caused (e.g. an `error` event), so
    /// a driver that pumps actions in order hands the payload to the application in FIFO
    /// order with every other event.
    pub fn on_frame(&mut self, conn: u64, len: usize, kind: FrameKind, now: f64) -> Delivery {
        let d = self.frame_delivery(conn, len, kind, now);
        if d != Delivery::Ignore {
            self.actions.push_back(Action::Deliver(d));
        }
        d
    }

    fn frame_delivery(&mut self, conn: u64, len: usize, kind: FrameKind, now: f64) -> Delivery {
        let live = matches!(self.state, State::Open | State::Closing)
            || (self.state == State::Connecting && self.handshaking);
        if conn != self.conn || !live {
            return Delivery::Ignore;
        }
        self.metrics.bytes_in += len as u64;
        if let Some(h) = &mut self.heartbeat {
            // Something came back while a probe was out: the peer answers probes.
            self.answered |= h.probing();
            h.on_inbound(now);
        }
        if len > self.max_message_bytes {
            let max = self.max_message_bytes;
            self.error(
                ErrorKind::MessageTooBig,
                [
                    "inbound message of ",
                    &digits(len as u64),
                    " bytes exceeds maxMessageBytes (",
                    &digits(max as u64),
                    ")",
                ]
                .concat(),
            );
            return Delivery::Ignore;
        }
        match kind {
            FrameKind::Pong => {
                self.answered = true;
                if let Some(mark) = self.ping_mark.take() {
                    while self.unconfirmed.front().is_some_and(|u| u.0 <= mark) {
                        self.unconfirmed.pop_front();
                    }
                    self.confirm_at = (!self.unconfirmed.is_empty()).then_some(now + CONFIRM_MS);
                }
                if let Some(h) = &mut self.heartbeat {
                    if h.on_pong(now) {
                        let rtt = h.rtt();
                        self.emit(Event::Rtt(rtt));
                    }
                }
                Delivery::Ignore
            }
            FrameKind::Ping => {
                if let (State::Open, Some(pong)) = (self.state, &self.session.pong) {
                    let pong = F::text(pong.clone());
                    self.push_frame(pong, None, now);
                }
                Delivery::Ignore
            }
            FrameKind::Control => Delivery::Ignore,
            FrameKind::Ready { beat } => {
                if self.handshaking {
                    self.ready(beat, now);
                }
                Delivery::Ignore
            }
            FrameKind::Refused(why) => {
                if self.handshaking {
                    self.drop_socket(1000, "handshake refused");
                    self.attempt_failed(ErrorKind::Handshake, why, now);
                }
                Delivery::Ignore
            }
            FrameKind::ServerError => {
                self.metrics.messages_in += 1;
                Delivery::ServerError
            }
            FrameKind::Bye => {
                if let (State::Closing, Some((code, reason))) = (self.state, self.bye.take()) {
                    self.actions.push_back(Action::CloseSocket {
                        conn: self.conn,
                        code,
                        reason,
                        await_close: true,
                    });
                }
                Delivery::Ignore
            }
            FrameKind::Event => {
                self.metrics.messages_in += 1;
                Delivery::Event
            }
            FrameKind::Raw => {
                self.metrics.messages_in += 1;
                Delivery::Raw
            }
            FrameKind::Reply { id, error } => {
                self.metrics.messages_in += 1;
                if self.requests.complete(id) {
                    Delivery::Reply { id, error }
                } else {
                    self.error(
                        ErrorKind::Protocol,
                        ["reply to unknown or settled request id ", &digits(id)].concat(),
                    );
                    Delivery::Ignore
                }
            }
            FrameKind::Malformed(why) => {
                self.metrics.messages_in += 1;
                self.error(ErrorKind::Protocol, ["malformed frame: ", why].concat());
                Delivery::Ignore
            }
        }
    }

    /// The protocol cannot go on with connection `conn` (e.g. the STOMP byte stream is
    /// broken, so frame boundaries cannot be trusted): an `error` event of kind
    /// [`ErrorKind::Protocol`] with `message`, then the connection is dropped like a lost one
    /// (reconnecting if enabled); during a handshake it is a refused attempt.
    pub fn on_protocol_error(&mut self, conn: u64, message: String, now: f64) {
        if conn != self.conn {
            return;
        }
        match self.state {
            State::Connecting if self.handshaking => {
                let _ = self.frame_delivery(conn, 0, FrameKind::Refused(message), now);
            }
            State::Open => {
                self.error(ErrorKind::Protocol, message);
                self.actions.push_back(Action::CloseSocket {
                    conn,
                    code: 1000,
                    reason: "protocol error".into(),
                    await_close: false,
                });
                self.lose_connection(CODE_ABNORMAL, "protocol error".into(), false, None, now);
            }
            _ => {}
        }
    }

    /// The timer armed for [`poll_timeout`](Self::poll_timeout) fired (possibly late).
    pub fn on_timer(&mut self, now: f64) {
        for id in self.requests.expire(now) {
            if let Some(e) = self.outbox.remove_request(id) {
                self.dropped(e, DropReason::Expired);
            }
            self.emit(Event::RequestFailed { id, failure: Failure::Timeout });
        }
        self.expire_queue(now);
        if self.state == State::Open {
            if let Some(r) = self.reliable.as_mut().filter(|r| r.ack_due.is_some_and(|d| now >= d))
            {
                if let Some(f) = r.take_ack() {
                    self.push_frame(F::text(f), None, now);
                }
            }
        }
        let due = self.deadline.is_some_and(|d| now >= d);
        match self.state {
            State::Connecting if due => {
                let handshaking = std::mem::take(&mut self.handshaking);
                self.actions.push_back(Action::CloseSocket {
                    conn: self.conn,
                    code: CODE_TIMEOUT,
                    reason: if handshaking { "handshake timeout" } else { "connect timeout" }
                        .into(),
                    await_close: false,
                });
                if handshaking {
                    let ms = self.session.handshake_timeout_ms;
                    let hint = if self.reliable.is_some() {
                        "; delivery \"at-least-once\" needs a server that implements reliable mode \
                         (README: Reliable mode (protocol extension), \
                         https://github.com/steadysocket/steadysocket#reliable-mode-protocol-extension)"
                    } else {
                        ""
                    };
                    self.attempt_failed(
                        ErrorKind::Handshake,
                        [
                            "no handshake answer within handshakeTimeoutMs (",
                            &super::text::num(ms),
                            " ms)",
                            hint,
                        ]
                        .concat(),
                        now,
                    );
                } else {
                    let ms = self.connect_timeout_ms;
                    self.attempt_failed(
                        ErrorKind::ConnectTimeout,
                        ["no open within connectTimeoutMs (", &super::text::num(ms), " ms)"]
                            .concat(),
                        now,
                    );
                }
            }
            State::Reconnecting if due => self.start_attempt(now),
            State::Closing if due => {
                if self.bye.take().is_some() {
                    // The goodbye was never answered: close without waiting any longer.
                    self.drop_socket(1000, String::new());
                }
                self.finish(CODE_ABNORMAL, "close timeout".into(), false, now)
            }
            State::Open if due && self.gated => {
                let ms = self.session.handshake_timeout_ms;
                self.deadline = None;
                self.gate_failed(
                    [
                        "an open handler's Promise did not settle within handshakeTimeoutMs (",
                        &super::text::num(ms),
                        " ms); send its own messages with the open event's send/request (the socket's send/request wait for it)",
                    ]
                    .concat(),
                    CODE_TIMEOUT,
                    now,
                );
            }
            State::Open => {
                if self.probe_at.is_some_and(|t| now >= t) && !self.probe_out {
                    if let Some((transport, _)) = self.transports.probe() {
                        self.probe_out = true;
                        self.actions.push_back(Action::Probe { conn: self.conn, transport });
                    }
                }
                if let Some((until, check)) = self.upgrading {
                    if now >= check {
                        self.upgrading = Some((until, now + DRAIN_POLL_MS));
                        self.try_upgrade(now);
                        if self.state != State::Open {
                            return;
                        }
                    }
                }
                if let (Some(at), Some((_, low))) = (self.congested, self.water_marks) {
                    if now >= at {
                        if self.buffered <= low {
                            self.congested = None;
                            self.emit(Event::Drain);
                            self.actions.push_back(Action::Flush);
                        } else {
                            self.congested = Some(now + DRAIN_POLL_MS);
                        }
                    }
                }
                if self.confirm_at.is_some_and(|t| now >= t) {
                    self.confirm_at = None;
                    if !self.unconfirmed.is_empty() {
                        if self.heartbeat.as_ref().is_some_and(Heartbeat::probing) {
                            // A ping is out: its pong confirms what it can; ask again after.
                            self.confirm_at = Some(now + CONFIRM_MS);
                        } else {
                            self.probe(now);
                        }
                    }
                }
                let beat = self.heartbeat.as_ref().map_or(Beat::Idle, |h| h.poll(now));
                match beat {
                    Beat::Idle => {}
                    Beat::Ping => self.probe(now),
                    Beat::Dead => {
                        let message = self.dead_peer_advice();
                        self.error(ErrorKind::HeartbeatTimeout, message);
                        self.drop_socket(CODE_TIMEOUT, "heartbeat timeout");
                        self.lose_connection(
                            CODE_ABNORMAL,
                            "heartbeat timeout".into(),
                            false,
                            None,
                            now,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    // ----- inputs from the environment -----

    /// The browser went online: attempt now with the delay reset, or probe if open.
    pub fn on_online(&mut self, now: f64) {
        self.online = true;
        match self.state {
            State::Reconnecting => {
                if let Some(r) = &mut self.reconnect {
                    r.backoff.reset();
                }
                self.start_attempt(now);
            }
            State::Open => self.probe(now),
            _ => {}
        }
    }

    /// The browser went offline: the connection is suspect (probe it); no attempts until
    /// online.
    pub fn on_offline(&mut self, now: f64) {
        self.online = false;
        match self.state {
            State::Open => self.probe(now),
            State::Reconnecting if self.deadline.is_some() => {
                self.deadline = None;
                let attempt = self.reconnect.as_ref().map_or(0, |r| r.backoff.retries());
                self.emit(Event::Reconnecting { attempt, delay_ms: None });
            }
            _ => {}
        }
    }

    /// The page became hidden (`false`) or visible (`true`).
    pub fn on_visibility(&mut self, visible: bool, now: f64) {
        if !visible {
            self.hidden = true;
        } else if std::mem::take(&mut self.hidden) {
            self.on_resume(now);
        }
    }

    /// The page came back (visible after hidden, or `pageshow` from the back/forward
    /// cache): probe now if open, attempt now if waiting.
    pub fn on_resume(&mut self, now: f64) {
        match self.state {
            State::Open => self.probe(now),
            State::Reconnecting if self.online => self.start_attempt(now),
            _ => {}
        }
    }

    // ----- inputs from the application -----

    /// Sends `frame` (already encoded), or queues it while not open.
    ///
    /// # Errors
    /// [`SendError::Closed`] when closing/closed; [`SendError::QueueFull`] when the queue is
    /// full and the overflow policy is `error`.
    pub fn send(&mut self, frame: F, meta: M, now: f64) -> Result<Sent, SendError> {
        self.submit(frame, None, meta, now)
    }

    /// Starts a request: encodes `{"type","id","data"}` from `ty` and `data_json`, then
    /// sends or queues it. The deadline is `timeout_ms` (default: `requestTimeoutMs`) from
    /// `now`; the facades check it first with [`request_timeout`](super::validate::request_timeout)
    /// (a `NaN` or `0` here would time out at once). Returns the request id; the reply
    /// arrives as [`Delivery::Reply`], failure as [`Event::RequestFailed`].
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn request(
        &mut self,
        ty: &str,
        data_json: &str,
        timeout_ms: Option<f64>,
        meta: M,
        now: f64,
    ) -> Result<(u64, Sent), SendError> {
        self.request_with(timeout_ms, meta, now, |id| F::text(encode_request(ty, id, data_json)))
    }

    /// The id the next request will get, if nothing else starts one first (a driver whose
    /// encoder runs user code encodes with it before the engine step, then checks it).
    pub fn next_request_id(&self) -> u64 {
        self.requests.peek()
    }

    /// As [`request`](Self::request), with the frame built by `encode` from the request id
    /// (the JS driver builds it in JS).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn request_with(
        &mut self,
        timeout_ms: Option<f64>,
        meta: M,
        now: f64,
        encode: impl FnOnce(u64) -> F,
    ) -> Result<(u64, Sent), SendError> {
        self.request_via(None, timeout_ms, meta, now, encode)
    }

    /// [`request_with`](Self::request_with) (`via` `None`) or
    /// [`request_on`](Self::request_on) (`via` the connection): one body for both, so a
    /// driver with one call site compiles it once.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn request_via(
        &mut self,
        via: Option<u64>,
        timeout_ms: Option<f64>,
        meta: M,
        now: f64,
        encode: impl FnOnce(u64) -> F,
    ) -> Result<(u64, Sent), SendError> {
        if matches!(self.state, State::Closing | State::Closed) && (via.is_some() || !self.idle) {
            return Err(SendError::Closed);
        }
        let id = self.requests.start(now + timeout_ms.unwrap_or(self.request_timeout_ms));
        let frame = encode(id);
        let r = match via {
            None => self.submit(frame, Some(id), meta, now),
            Some(conn) => self.submit_on(conn, frame, Some(id), meta, now),
        };
        match r {
            Ok(sent) => Ok((id, sent)),
            Err(e) => {
                self.requests.remove(id);
                Err(e)
            }
        }
    }

    /// Closes for good: no reconnect afterwards. Queued messages are dropped (`closed`),
    /// pending requests fail with `closed`. Idempotent. The facades check `code` and
    /// `reason` first with [`close_code`](super::validate::close_code) and
    /// [`close_reason`](super::validate::close_reason).
    pub fn close(&mut self, code: u16, reason: &str, now: f64) {
        match self.state {
            State::Closed if self.idle => {
                self.idle = false;
                self.finalize(now);
            }
            State::Closing | State::Closed => {}
            State::Open => {
                self.heartbeat_stop();
                if self.session.goodbye {
                    self.bye = Some((code, reason.to_string()));
                    self.actions.push_back(Action::Goodbye { conn: self.conn });
                } else {
                    self.actions.push_back(Action::CloseSocket {
                        conn: self.conn,
                        code,
                        reason: reason.to_string(),
                        await_close: true,
                    });
                }
                self.deadline = Some(now + self.close_timeout_ms);
                self.set_state(State::Closing);
            }
            State::Connecting | State::Reconnecting => {
                if self.state == State::Connecting {
                    self.drop_socket(code, reason);
                }
                self.finish(code, reason.to_string(), true, now);
            }
        }
    }

    /// Closes at once, without waiting for a closing handshake (the owner is going away):
    /// the socket is abandoned, queued messages are dropped (`closed`), pending requests fail
    /// (`closed`), and the state ends `closed`. Idempotent.
    pub fn shutdown(&mut self, now: f64) {
        if self.state == State::Closed {
            if std::mem::take(&mut self.idle) {
                self.finalize(now);
            }
            return;
        }
        if matches!(self.state, State::Connecting | State::Open | State::Closing) {
            self.drop_socket(1000, String::new());
        }
        self.finish(1000, String::new(), true, now);
    }

    /// Drops the current connection (if any) and attempts now with the backoff reset. From
    /// `closed`, starts again.
    pub fn reconnect(&mut self, now: f64) {
        self.restart("reconnect", now);
    }

    /// [`reconnect`](Self::reconnect) with `reason` for the close.
    fn restart(&mut self, reason: &str, now: f64) {
        if let Some(r) = &mut self.reconnect {
            r.backoff.reset();
        }
        match self.state {
            State::Open => {
                self.drop_socket(1000, reason);
                self.heartbeat_stop();
                self.down_since = Some(now);
                self.report_lost();
                for id in self.requests.lose_connection(self.conn) {
                    self.emit(Event::RequestFailed { id, failure: Failure::ConnectionLost });
                }
                self.emit(Event::Close {
                    code: 1000,
                    reason: reason.into(),
                    was_clean: true,
                    will_reconnect: true,
                });
            }
            State::Connecting => self.drop_socket(1000, reason),
            State::Closing => return,
            State::Closed => self.down_since = Some(now),
            State::Reconnecting => {}
        }
        self.start_attempt(now);
    }

    /// Registers a *standing* frame under `key` (e.g. a subscription): it is transmitted on
    /// every (re)open of the session, in registration order, right after the handshake and
    /// before the `Open` event and the backlog; and now, if the session is open. Replaces an
    /// earlier frame with the same key (keeping its place). Returns whether it was transmitted
    /// now. Standing frames are control frames: not counted in `messages_out`, never queued,
    /// never reported `sent`/`drop`.
    pub fn stand(&mut self, key: u64, frame: F, now: f64) -> bool {
        self.stand_entry(Standing { key, frame, first: None }, now)
    }

    /// As [`stand`](Self::stand), asking the peer to confirm it once: the first transmission
    /// (now if open, else at the next open) is `encode(id)` instead of `frame`, where `id` is a
    /// new request (deadline `timeout_ms`, default `requestTimeoutMs`) that the peer's receipt
    /// settles ([`FrameKind::Reply`]); it fails like any request (`connection-lost` if the
    /// connection dies after sending it, `closed`, `timeout`). Returns `None` when closing or
    /// closed (nothing registered).
    pub fn stand_confirmed(
        &mut self,
        key: u64,
        frame: F,
        timeout_ms: Option<f64>,
        now: f64,
        encode: impl FnOnce(u64) -> F,
    ) -> Option<u64> {
        if matches!(self.state, State::Closing | State::Closed) {
            return None;
        }
        let id = self.requests.start(now + timeout_ms.unwrap_or(self.request_timeout_ms));
        let first = Some((encode(id), id));
        self.stand_entry(Standing { key, frame, first }, now);
        Some(id)
    }

    fn stand_entry(&mut self, mut entry: Standing<F>, now: f64) -> bool {
        let open = self.state == State::Open;
        if open {
            self.transmit_standing(&mut entry, now);
        }
        match self.standing.iter_mut().find(|s| s.key == entry.key) {
            Some(s) => *s = entry,
            None => self.standing.push(entry),
        }
        open
    }

    fn transmit_standing(&mut self, s: &mut Standing<F>, now: f64) {
        let frame = match s.first.take() {
            // Its receipt's request may have failed (timeout, closed) before it was ever sent:
            // then the plain frame goes, so no receipt comes back for an id nobody awaits.
            Some((f, id)) if self.requests.is_pending(id) => {
                self.requests.transmitted(id, self.conn);
                f
            }
            _ => s.frame.clone(),
        };
        self.push_frame(frame, None, now);
    }

    fn send_standing(&mut self, now: f64) {
        let mut standing = std::mem::take(&mut self.standing);
        for s in &mut standing {
            self.transmit_standing(s, now);
        }
        self.standing = standing;
    }

    /// Forgets the standing frame `key`; transmits `frame` (e.g. an `UNSUBSCRIBE`) if the
    /// session is open. Returns whether a frame with that key existed.
    pub fn unstand(&mut self, key: u64, frame: Option<F>, now: f64) -> bool {
        let Some(i) = self.standing.iter().position(|s| s.key == key) else { return false };
        self.standing.remove(i);
        if let (State::Open, Some(f)) = (self.state, frame) {
            self.push_frame(f, None, now);
        }
        true
    }

    /// Transmits a protocol control frame now (an `ACK`, a handshake or goodbye frame) if the
    /// session can carry it: open, closing, or handshaking. Never queued: returns `false` (and
    /// sends nothing) otherwise. Not counted in `messages_out`.
    pub fn control(&mut self, frame: F, now: f64) -> bool {
        let ok = matches!(self.state, State::Open | State::Closing)
            || (self.state == State::Connecting && self.handshaking);
        if ok {
            self.push_frame(frame, None, now);
        }
        ok
    }

    /// As [`control`](Self::control), only for a session that is open and came through
    /// connection `conn` (an `ACK` must never reach another connection than the message's).
    pub fn control_on(&mut self, conn: u64, frame: F, now: f64) -> bool {
        conn == self.conn && self.state == State::Open && self.control(frame, now)
    }

    /// The heartbeat timeout's message: what happened and, when the peer never answered a
    /// probe, how to configure or disable the ping.
    fn dead_peer_advice(&self) -> String {
        let num = super::text::num;
        match self.heartbeat.as_ref().map(|h| (h.beat(), h.config())) {
            Some((Some((_, recv)), _)) => {
                ["no frame from the server for ", &num(recv), " ms (the negotiated heart-beat)"]
                    .concat()
            }
            Some((None, c)) if !self.answered => [
                "no frame within heartbeat.timeoutMs (",
                &num(c.timeout_ms),
                " ms) after the ping ",
                &c.ping,
                "; the server has never answered one: if it does not implement this ping, set \
                 heartbeat.ping to a message it answers (and heartbeat.pong to match the answer), \
                 or disable it with heartbeat: false",
            ]
            .concat(),
            Some((None, c)) => {
                ["no frame within heartbeat.timeoutMs (", &num(c.timeout_ms), " ms) after a ping"]
                    .concat()
            }
            None => "heartbeat timeout".into(),
        }
    }

    // ----- internals -----

    fn emit(&mut self, e: Event<M, F>) {
        self.actions.push_back(Action::Emit(e));
    }

    fn error(&mut self, kind: ErrorKind, message: String) {
        self.emit(Event::Error { kind, message });
    }

    fn set_state(&mut self, to: State) {
        if to != self.state {
            if to != State::Open {
                self.gated = false;
            }
            let from = std::mem::replace(&mut self.state, to);
            self.emit(Event::State { from, to });
        }
    }

    fn start_attempt(&mut self, now: f64) {
        self.handshaking = false;
        self.idle = false;
        self.conn += 1;
        self.metrics.attempts += 1;
        self.deadline = Some(now + self.connect_timeout_ms);
        self.set_state(State::Connecting);
        self.actions.push_back(Action::Connect { conn: self.conn });
    }

    /// Closes the current connection's socket without waiting for the closing handshake.
    fn drop_socket(&mut self, code: u16, reason: impl Into<String>) {
        self.actions.push_back(Action::CloseSocket {
            conn: self.conn,
            code,
            reason: reason.into(),
            await_close: false,
        });
    }

    fn heartbeat_stop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            self.rtt = h.rtt();
        }
    }

    fn submit(
        &mut self,
        frame: F,
        request: Option<u64>,
        meta: M,
        now: f64,
    ) -> Result<Sent, SendError> {
        let accepts = !matches!(self.state, State::Closing | State::Closed) || self.idle;
        if self.reliable.is_some() && accepts {
            return self.submit_reliable(frame, request, meta, now);
        }
        match self.state {
            State::Closed if self.idle => self.enqueue(frame, request, meta, now),
            State::Closing | State::Closed => Err(SendError::Closed),
            State::Open
                if !self.holding()
                    && self.congested.is_none()
                    && self.channel_open(frame.channel()) =>
            {
                self.transmit(frame, Msg { meta, request }, now);
                Ok(Sent::Sent)
            }
            State::Open | State::Connecting | State::Reconnecting => {
                self.enqueue(frame, request, meta, now)
            }
        }
    }

    fn enqueue(
        &mut self,
        frame: F,
        request: Option<u64>,
        meta: M,
        now: f64,
    ) -> Result<Sent, SendError> {
        let push = self.outbox.push(frame, request, meta, now);
        self.pushed(push, false)
    }

    /// Reports a queue push: evictions and a dropped message as [`DropReason::Overflow`];
    /// `Full` is [`SendError::QueueFull`], or with `drop_full` a drop too.
    fn pushed(&mut self, push: Push<M, F>, drop_full: bool) -> Result<Sent, SendError> {
        match push {
            Push::Queued(evicted) => {
                for e in evicted {
                    self.dropped(e, DropReason::Overflow);
                }
                Ok(Sent::Queued)
            }
            Push::Full(_) if !drop_full => Err(SendError::QueueFull),
            Push::Dropped(e) | Push::Full(e) => {
                self.dropped(e, DropReason::Overflow);
                Ok(Sent::Dropped)
            }
        }
    }

    /// Reliable mode: the message gets the next seq and joins the outbox (its window); if
    /// open, everything not transmitted yet goes now, in order.
    fn submit_reliable(
        &mut self,
        frame: F,
        request: Option<u64>,
        meta: M,
        now: f64,
    ) -> Result<Sent, SendError> {
        let seq = self.reliable.as_ref().map_or(0, |r| r.last_out) + 1;
        let frame = frame.with_seq(seq).unwrap_or(frame);
        let push = self.outbox.push_seq(frame, request, meta, seq, now);
        let sent = self.pushed(push, false)?;
        if let Some(r) = &mut self.reliable {
            r.last_out = seq;
        }
        if sent == Sent::Queued && self.state == State::Open && !self.holding() {
            self.transmit_unsent(now);
            return Ok(Sent::Sent);
        }
        Ok(sent)
    }

    /// Reliable mode: transmits every outbox entry not transmitted on this connection yet, in
    /// order. They stay queued until acked; a refused transmit reports nothing (`msg` is
    /// `None`): the message is re-sent after the reconnect.
    fn transmit_unsent(&mut self, now: f64) {
        while let Some((frame, request, _)) = self.outbox.next_unsent() {
            if let Some(id) = request {
                // Connection 0: it survives connection losses (re-sent, reply replayed).
                self.requests.transmitted(id, 0);
            }
            self.metrics.messages_out += 1;
            self.push_frame(frame, None, now);
        }
    }

    /// Reliable mode: the sequence number of the latest message accepted by `send` or
    /// `request` (0 before the first; always 0 in at-most-once mode). Its ack comes as an
    /// [`Event::Acked`] with `upto` >= it; if it is dropped, its frame (in the
    /// Whether reliable mode is on ([`Config::reliable`]).
    pub fn reliable(&self) -> bool {
        self.reliable.is_some()
    }

    /// Reliable mode: whether the message with `seq` is still in the queue (not yet
    /// acknowledged, not dropped).
    /// [`Event::Dropped`]) starts with `{"seq":N,`.
    pub fn holds_seq(&self, seq: u64) -> bool {
        self.outbox.holds_seq(seq)
    }

    /// Reliable mode: the seq of the latest message accepted (see [`Engine::holds_seq`]).
    pub fn last_seq(&self) -> u64 {
        self.reliable.as_ref().map_or(0, |r| r.last_out)
    }

    /// Reliable mode: the highest server seq received (0 before the first, and in
    /// at-most-once mode). A page that persists its queue keeps it to resume the session
    /// later ([`resume_session`](Self::resume_session)).
    pub fn last_in(&self) -> u64 {
        self.reliable.as_ref().map_or(0, |r| r.last_in)
    }

    /// Reliable mode: continues session `session` of an earlier page (a persisted queue):
    /// its id, the last server seq it received (`last_in`, sent in the next `hello` so the
    /// server replays only what follows) and the last seq it assigned (`last_out`: new
    /// messages are numbered after it, so the server's de-duplication stays right). Call it
    /// before the first connection (an idle engine, see [`new_idle`](Self::new_idle)); later
    /// it takes effect at the next handshake. Returns `false` (and changes nothing) in
    /// at-most-once mode or for an invalid session id
    /// ([`ReliableConfig::valid_session`](super::ReliableConfig::valid_session)).
    pub fn resume_session(&mut self, session: &str, last_in: u64, last_out: u64) -> bool {
        let Some(r) = self.reliable.as_mut() else { return false };
        if !super::ReliableConfig::valid_session(session) {
            return false;
        }
        session.clone_into(&mut r.config.session);
        r.last_in = last_in;
        r.acked_in = last_in;
        r.last_out = r.last_out.max(last_out);
        true
    }

    /// Puts back a message persisted by an earlier page (a persisted queue) at the back of
    /// the queue, as if queued at time `at` (on this engine's clock; it may be in the past):
    /// its TTL counts from `at`, so one already expired is dropped at once
    /// ([`Event::Dropped`] with [`DropReason::Expired`]). The overflow policy applies as for
    /// [`send`](Self::send) (evictions are [`Event::Dropped`] with
    /// [`DropReason::Overflow`]); with policy `error` a message that does not fit is dropped
    /// too (`overflow`), never refused. Reliable mode: `seq > 0` is the message's persisted
    /// seq (the frame gets it, and new messages are numbered after it); `seq == 0` takes the
    /// next seq as `send` does. If open, it goes out as a send would (after the backlog).
    /// Restore in the original order, before anything new is sent (the expiry check looks
    /// at the front of the queue).
    ///
    /// Returns [`Sent::Queued`] when accepted (transmitted at once if open: a backlog's
    /// [`Event::Sent`] says so in at-most-once mode), [`Sent::Dropped`] when dropped.
    ///
    /// # Errors
    /// [`SendError::Closed`] when closing/closed (not idle).
    pub fn restore(
        &mut self,
        frame: F,
        meta: M,
        at: f64,
        seq: u64,
        now: f64,
    ) -> Result<Sent, SendError> {
        if matches!(self.state, State::Closing | State::Closed) && !self.idle {
            return Err(SendError::Closed);
        }
        let seq = match &mut self.reliable {
            Some(r) if seq > 0 => {
                r.last_out = r.last_out.max(seq);
                self.restored = self.restored.max(seq);
                seq
            }
            Some(r) => {
                r.last_out += 1;
                r.last_out
            }
            None => 0,
        };
        let frame = if seq > 0 { frame.with_seq(seq).unwrap_or(frame) } else { frame };
        if self.outbox.ttl_ms().is_some_and(|ttl| at + ttl <= now) {
            self.drop_msg(meta, frame, None, DropReason::Expired);
            return Ok(Sent::Dropped);
        }
        let push = self.outbox.push_seq(frame, None, meta, seq, at);
        let sent = self.pushed(push, true).unwrap_or(Sent::Dropped);
        if sent == Sent::Queued && self.state == State::Open {
            self.flush(now);
        }
        Ok(sent)
    }

    /// Reliable mode: the `hello` frame for the handshake of the current connection (the
    /// driver performs [`Action::Handshake`] with it: `control(F::text(hello))`). `None` in
    /// at-most-once mode.
    pub fn hello(&mut self) -> Option<String> {
        self.reliable.as_mut().map(Reliable::hello)
    }

    /// Reliable mode: a server message with seq `seq` arrived on `conn` (call it before
    /// [`on_frame`](Self::on_frame)). Returns whether to go on with it: `false` for a
    /// duplicate (drop it: feed nothing more) or a stale connection. A skipped range is
    /// reported as an [`Event::Gap`]; acks are scheduled (batched) here.
    pub fn on_seq(&mut self, conn: u64, seq: u64, now: f64) -> bool {
        let live = conn == self.conn
            && (matches!(self.state, State::Open | State::Closing)
                || (self.state == State::Connecting && self.handshaking));
        let Some(r) = self.reliable.as_mut().filter(|_| live) else { return live };
        match r.inbound(seq, now) {
            Inbound::Duplicate => {
                self.metrics.duplicates += 1;
                false
            }
            Inbound::Fresh { gap, ack_now } => {
                let ack = if ack_now { r.take_ack() } else { None };
                if let Some((from, to)) = gap {
                    self.emit(Event::Gap { from, to: Some(to) });
                }
                if let (Some(f), State::Open) = (ack, self.state) {
                    self.push_frame(F::text(f), None, now);
                }
                true
            }
        }
    }

    /// Reliable mode: the server's cumulative ack `upto` arrived on `conn` (an `ack` frame, or
    /// a `welcome`'s `ack`): the messages it covers leave the queue ([`Event::Acked`]).
    pub fn on_ack(&mut self, conn: u64, upto: u64, now: f64) {
        let _ = now;
        if conn != self.conn || self.reliable.is_none() {
            return;
        }
        let acked = self.outbox.ack(upto, self.restored);
        // (An acked request stays pending until its reply, which the server replays if lost.)
        if let Some(last) = acked.last() {
            let upto = last.seq();
            self.emit(Event::Acked { upto });
        }
    }

    /// Reliable mode: the handshake's answer (`welcome`) on `conn`: `ack` as in
    /// [`on_ack`](Self::on_ack); `resumed` false (the server did not know the session) after
    /// server messages were received reports an open-ended [`Event::Gap`]; `gap` the range
    /// the server could not replay. Then the session opens (as [`FrameKind::Ready`]).
    pub fn on_welcome(
        &mut self,
        conn: u64,
        ack: u64,
        resumed: bool,
        gap: Option<(u64, u64)>,
        now: f64,
    ) {
        if conn != self.conn || !self.handshaking {
            return;
        }
        self.on_ack(conn, ack, now);
        if let Some(r) = &mut self.reliable {
            let mut lost = None;
            if let Some((from, to)) = gap.filter(|(f, t)| f <= t && *t > r.last_in) {
                lost = Some((from.max(r.last_in + 1), Some(to)));
                r.last_in = to;
            } else if !resumed && r.last_in > 0 {
                lost = Some((r.last_in + 1, None));
            }
            if let Some((from, to)) = lost {
                self.emit(Event::Gap { from, to });
            }
        }
        let _ = self.frame_delivery(conn, 0, FrameKind::Ready { beat: None }, now);
    }

    fn transmit(&mut self, frame: F, msg: Msg<M>, now: f64) {
        if let Some(id) = msg.request {
            self.requests.transmitted(id, self.conn);
        } else if self.reliable.is_none()
            && (self.transports.current().is_http() || self.tracked == self.conn)
        {
            // Over HTTP the transport confirms (each POST is answered) or reports what it
            // could not deliver: `on_delivered`/`on_undelivered`.
            self.out_serial += 1;
            self.unconfirmed.push_back((self.out_serial, msg.meta.clone(), frame.clone()));
        } else if self.confirm_sends && self.heartbeat.is_some() {
            // A request settles (or fails connection-lost) by itself; a plain message waits
            // for the next pong.
            self.out_serial += 1;
            if self.unconfirmed.len() >= CONFIRM_MAX {
                // A peer that never answers pings cannot confirm: bound the memory.
                self.unconfirmed.pop_front();
            }
            self.unconfirmed.push_back((self.out_serial, msg.meta.clone(), frame.clone()));
            if self.confirm_at.is_none() {
                self.confirm_at = Some(now + CONFIRM_MS);
            }
        }
        self.metrics.messages_out += 1;
        self.push_frame(frame, Some(msg), now);
    }

    fn push_frame(&mut self, frame: F, msg: Option<Msg<M>>, now: f64) {
        self.metrics.bytes_out += frame.wire_len() as u64;
        if let Some((high, _)) = self.water_marks {
            self.buffered = self.buffered.saturating_add(frame.wire_len());
            if self.buffered > high && self.congested.is_none() {
                self.congested = Some(now + DRAIN_POLL_MS);
            }
        }
        if let Some(h) = &mut self.heartbeat {
            h.on_outbound(now);
        }
        self.actions.push_back(Action::Transmit {
            conn: self.conn,
            frame,
            msg,
            tag: self.out_serial,
        });
    }

    fn probe(&mut self, now: f64) {
        let ping = match &self.heartbeat {
            Some(h) if !h.probing() => h.config().ping.clone(),
            _ => return,
        };
        self.push_frame(F::text(ping), None, now);
        if let Some(h) = &mut self.heartbeat {
            h.on_ping_sent(now);
        }
        self.ping_mark = Some(self.out_serial);
    }

    /// The connection is gone: every unconfirmed message is reported [`Event::Lost`].
    fn report_lost(&mut self) {
        self.ping_mark = None;
        self.confirm_at = None;
        while let Some((_, meta, frame)) = self.unconfirmed.pop_front() {
            self.emit(Event::Lost { meta, frame });
        }
    }

    fn dropped(&mut self, e: Entry<M, F>, reason: DropReason) {
        let request = e.request();
        self.drop_msg(e.meta, e.frame, request, reason);
    }

    fn drop_msg(&mut self, meta: M, frame: F, request: Option<u64>, reason: DropReason) {
        self.metrics.dropped += 1;
        self.emit(Event::Dropped { meta, frame, reason, request });
        if let Some(id) = request {
            if self.requests.remove(id) {
                let failure = match reason {
                    DropReason::Closed => Failure::Closed,
                    DropReason::ConnectionLost => Failure::ConnectionLost,
                    DropReason::TooBig => Failure::TooBig,
                    DropReason::Overflow | DropReason::Expired => Failure::Dropped,
                };
                self.emit(Event::RequestFailed { id, failure });
            }
        }
    }

    fn expire_queue(&mut self, now: f64) {
        for e in self.outbox.expire(now) {
            self.dropped(e, DropReason::Expired);
        }
    }

    /// An attempt failed before opening.
    fn attempt_failed(&mut self, kind: ErrorKind, message: String, now: f64) {
        self.error(kind, message);
        self.endpoints.failed(now);
        if self.transports.attempt_failed() {
            // Falling back: the next transport starts with a fresh backoff.
            if let Some(r) = &mut self.reconnect {
                r.backoff.reset();
            }
        }
        self.schedule_retry(now);
    }

    /// An open connection ended (server close, drop, heartbeat, ...). `stopped`: the close
    /// policy says do not come back.
    fn lose_connection(
        &mut self,
        code: u16,
        reason: String,
        was_clean: bool,
        stopped: Option<&str>,
        now: f64,
    ) {
        self.heartbeat_stop();
        self.channels.clear();
        self.deadline = None;
        self.down_since = Some(now);
        self.endpoints.failed(now);
        self.report_lost();
        for id in self.requests.lose_connection(self.conn) {
            self.emit(Event::RequestFailed { id, failure: Failure::ConnectionLost });
        }
        let opened_for = now - self.opened_at;
        // (will reconnect, why not: `None` = reconnection disabled, nothing to report)
        let mut give_up = None;
        let mut will_reconnect = false;
        if let Some(r) = self.reconnect.as_mut() {
            if let Some(why) = stopped {
                give_up = Some((
                    ErrorKind::ReconnectStopped,
                    ["server closed with code ", &digits(code.into()), why].concat(),
                ));
            } else {
                if opened_for >= r.stable_ms {
                    r.backoff.reset();
                }
                let n = r.backoff.retries();
                will_reconnect = r.backoff.config().max_attempts.is_none_or(|m| n < m);
                if !will_reconnect {
                    give_up = Some((ErrorKind::ReconnectFailed, gave_up(n)));
                }
            }
        }
        self.emit(Event::Close { code, reason, was_clean, will_reconnect });
        if will_reconnect {
            self.schedule_retry(now);
        } else {
            if let Some((kind, message)) = give_up {
                self.error(kind, message);
            }
            self.finalize(now);
        }
    }

    fn schedule_retry(&mut self, now: f64) {
        let Some(r) = &mut self.reconnect else {
            self.finalize(now);
            return;
        };
        if !self.online {
            self.deadline = None;
            let attempt = r.backoff.retries();
            self.set_state(State::Reconnecting);
            self.emit(Event::Reconnecting { attempt, delay_ms: None });
            return;
        }
        match r.backoff.next_delay() {
            Some(d) => {
                let attempt = r.backoff.retries();
                let delay = d.max(self.retry_after.take().unwrap_or(0.0));
                self.deadline = Some(now + delay);
                self.set_state(State::Reconnecting);
                self.emit(Event::Reconnecting { attempt, delay_ms: Some(delay) });
            }
            None => {
                let message = gave_up(r.backoff.retries());
                self.error(ErrorKind::ReconnectFailed, message);
                self.finalize(now);
            }
        }
    }

    /// User close completed: emit `close`, then finalize.
    fn finish(&mut self, code: u16, reason: String, was_clean: bool, now: f64) {
        self.heartbeat_stop();
        // A clean close proves the peer read everything sent before it; otherwise what was
        // not confirmed may not have arrived.
        if was_clean {
            self.unconfirmed.clear();
            self.ping_mark = None;
            self.confirm_at = None;
        } else {
            self.report_lost();
        }
        self.emit(Event::Close { code, reason, was_clean, will_reconnect: false });
        self.finalize(now);
    }

    /// Enter `closed`: drop the queue, fail all requests, disarm every timer.
    fn finalize(&mut self, now: f64) {
        self.deadline = None;
        self.handshaking = false;
        self.bye = None;
        self.retry_after = None;
        if let Some(t) = self.down_since.take() {
            self.metrics.downtime_ms += (now - t).max(0.0);
        }
        for e in self.outbox.drain() {
            self.dropped(e, DropReason::Closed);
        }
        for id in self.requests.drain() {
            self.emit(Event::RequestFailed { id, failure: Failure::Closed });
        }
        self.set_state(State::Closed);
    }
}

fn gave_up(n: u32) -> String {
    ["gave up after ", &digits(n.into()), " reconnect attempts"].concat()
}

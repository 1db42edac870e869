//! The transport seam's engine half: which transport the next attempt uses, when to fall
//! back to the next one, and when to probe a preferred one again (the upgrade).
//!
//! The rules (README, "Transports"):
//! - attempts use the first transport of the preference list;
//! - a transport that has never opened in this session and fails [`FALLBACK_AFTER`] attempts
//!   in a row is left for the next one in the list (the last one is kept);
//! - once a transport has opened it is remembered: later failures (a server restart) do not
//!   move the session off it;
//! - while the session is open on a transport that is not the first, the first is probed in
//!   the background (`probe_ms` after the open, then doubling up to [`PROBE_MAX_MS`]); when a
//!   probe opens, the session moves to it (the engine's upgrade: a reconnect without backoff,
//!   after pending requests have settled).

/// Attempts in a row that fail before opening before a never-opened transport is left.
pub const FALLBACK_AFTER: u32 = 2;

/// The longest interval between two upgrade probes (ms).
pub const PROBE_MAX_MS: f64 = 300_000.0;

/// A transport: how frames reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// The browser's `WebSocket` (the default).
    WebSocket,
    /// HTTP streaming down (`text/event-stream` over `fetch`), batched `POST`s up.
    Sse,
    /// A held `GET` (long polling) down, batched `POST`s up.
    LongPolling,
    /// SockJS `xhr-streaming`: a streaming `POST` down, `xhr_send` `POST`s up (SockJS only:
    /// see [`super::sockjs`]; with SockJS, [`WebSocket`](Self::WebSocket) is SockJS's
    /// `websocket` transport).
    XhrStreaming,
    /// SockJS `eventsource`: `text/event-stream` down, `xhr_send` `POST`s up (SockJS only).
    EventSource,
    /// SockJS `xhr-polling`: one `POST` per frame down, `xhr_send` `POST`s up (SockJS only).
    XhrPolling,
}

/// Every transport, in code order.
const ALL: [Transport; 6] = [
    Transport::WebSocket,
    Transport::Sse,
    Transport::LongPolling,
    Transport::XhrStreaming,
    Transport::EventSource,
    Transport::XhrPolling,
];

impl Transport {
    /// Its name in the JS API and in events: `websocket`, `sse`, `long-polling`, and SockJS's
    /// `xhr-streaming`, `eventsource`, `xhr-polling`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::Sse => "sse",
            Transport::LongPolling => "long-polling",
            Transport::XhrStreaming => "xhr-streaming",
            Transport::EventSource => "eventsource",
            Transport::XhrPolling => "xhr-polling",
        }
    }

    /// The transport named `s` (see [`as_str`](Self::as_str)).
    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The transport of code `c` (see [`code`](Self::code)).
    pub fn from_code(c: u32) -> Option<Self> {
        ALL.get(c as usize).copied()
    }

    /// Whether it is one of SockJS's HTTP transports (`xhr-streaming`, `eventsource`,
    /// `xhr-polling`).
    pub fn is_sockjs(self) -> bool {
        matches!(self, Transport::XhrStreaming | Transport::EventSource | Transport::XhrPolling)
    }

    /// Whether frames travel over HTTP requests (each `POST` is confirmed or fails).
    pub fn is_http(self) -> bool {
        self != Transport::WebSocket
    }

    /// Its code on the driver's port: 0 websocket, 1 sse, 2 long-polling, 3 xhr-streaming,
    /// 4 eventsource, 5 xhr-polling.
    pub fn code(self) -> u32 {
        self as u32
    }
}

/// The session's transport choice.
#[derive(Debug, Clone)]
pub(crate) struct Transports {
    list: Vec<Transport>,
    /// Index of the transport attempts use.
    at: usize,
    /// Failed attempts in a row on `list[at]`.
    fails: u32,
    /// Per index: opened at least once in this session.
    opened: Vec<bool>,
    /// The transport of the last open (to report changes).
    last_open: Option<Transport>,
    /// The first probe delay; 0 disables upgrades.
    probe_ms: f64,
    /// The next probe delay.
    next_probe_ms: f64,
}

impl Transports {
    /// `list` must be non-empty and without duplicates (checked by `Config::validate`).
    pub fn new(list: Vec<Transport>, probe_ms: f64) -> Self {
        let n = list.len();
        Transports {
            list,
            at: 0,
            fails: 0,
            opened: vec![false; n],
            last_open: None,
            probe_ms,
            next_probe_ms: probe_ms,
        }
    }

    /// The transport the current (or next) attempt uses.
    pub fn current(&self) -> Transport {
        self.list.get(self.at).copied().unwrap_or(Transport::WebSocket)
    }

    /// An attempt failed before opening. Returns whether the session falls back to the next
    /// transport.
    pub fn attempt_failed(&mut self) -> bool {
        self.fails += 1;
        let never = !self.opened.get(self.at).copied().unwrap_or(true);
        if never && self.fails >= FALLBACK_AFTER && self.at + 1 < self.list.len() {
            self.at += 1;
            self.fails = 0;
            return true;
        }
        false
    }

    /// The current attempt opened. Returns the transport if it differs from the last open's.
    pub fn opened(&mut self) -> Option<Transport> {
        self.fails = 0;
        if let Some(o) = self.opened.get_mut(self.at) {
            *o = true;
        }
        let t = self.current();
        (self.last_open != Some(t)).then(|| {
            self.last_open = Some(t);
            t
        })
    }

    /// The transport to probe while open on the current one (the first of the list, when
    /// the session is on a later one and upgrades are on), and the delay before the probe.
    pub fn probe(&self) -> Option<(Transport, f64)> {
        (self.at > 0 && self.probe_ms > 0.0).then(|| (self.list[0], self.next_probe_ms))
    }

    /// The current transport cannot be used (e.g. a SockJS server's `/info` says
    /// `"websocket": false`): attempts move to the next one now. Returns whether there is a
    /// next one (the last one is kept).
    pub fn skip(&mut self) -> bool {
        if self.at + 1 < self.list.len() {
            self.at += 1;
            self.fails = 0;
            return true;
        }
        false
    }

    /// A probe failed: the next one waits twice as long (up to [`PROBE_MAX_MS`]).
    pub fn probe_failed(&mut self) {
        self.next_probe_ms = (self.next_probe_ms * 2.0).min(PROBE_MAX_MS);
    }

    /// A probe of the first transport opened: attempts use it from now on.
    pub fn upgrade(&mut self) -> Transport {
        self.at = 0;
        self.fails = 0;
        self.next_probe_ms = self.probe_ms;
        self.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_after_two_failures_then_sticks() {
        let mut t = Transports::new(vec![Transport::WebSocket, Transport::Sse], 1000.0);
        assert_eq!(t.current(), Transport::WebSocket);
        assert!(!t.attempt_failed());
        assert!(t.attempt_failed());
        assert_eq!(t.current(), Transport::Sse);
        // The last one is kept however often it fails.
        assert!(!t.attempt_failed() && !t.attempt_failed() && !t.attempt_failed());
        assert_eq!(t.opened(), Some(Transport::Sse));
        assert_eq!(t.opened(), None, "no change, no report");
        assert_eq!(t.probe(), Some((Transport::WebSocket, 1000.0)));
        t.probe_failed();
        assert_eq!(t.probe(), Some((Transport::WebSocket, 2000.0)));
        assert_eq!(t.upgrade(), Transport::WebSocket);
        assert_eq!(t.opened(), Some(Transport::WebSocket));
        // WebSocket has opened: failures (a server restart) keep it.
        for _ in 0..5 {
            assert!(!t.attempt_failed());
        }
        assert_eq!(t.current(), Transport::WebSocket);
        assert_eq!(t.probe(), None);
    }

    #[test]
    fn names_round_trip_and_probes_can_be_off() {
        for t in [Transport::WebSocket, Transport::Sse, Transport::LongPolling] {
            assert_eq!(Transport::parse(t.as_str()), Some(t));
        }
        assert_eq!(Transport::parse("polling"), None);
        let mut t = Transports::new(vec![Transport::WebSocket, Transport::LongPolling], 0.0);
        t.attempt_failed();
        t.attempt_failed();
        t.opened();
        assert_eq!(t.probe(), None);
        let mut t = Transports::new(vec![Transport::WebSocket], 10.0);
        for _ in 0..4 {
            t.probe_failed();
        }
        assert!(!t.attempt_failed() && !t.attempt_failed());
        assert!(t.next_probe_ms <= PROBE_MAX_MS);
    }
}

//! Reliable mode (protocol v1 extension, opt-in): at-least-once delivery with
//! de-duplication by sequence numbers, and resume after a reconnect. The pure parts live
//! here; the engine ([`machine`](super::machine)) calls them from a few small hooks.
//!
//! The wire extension (README, "Reliable mode (protocol extension)"):
//! - on every transport open the client sends `{"type":"hello","data":{"session":S,"ack":M}}`
//!   (its session id and the last server seq it received) and waits for
//!   `{"type":"welcome","data":{"ack":N,"resumed":bool,"gap":null|{"from":a,"to":b}}}`;
//! - client messages carry `"seq"` (1, 2, … in send order); the server processes each seq once
//!   and acks cumulatively with `{"type":"ack","data":N}`;
//! - server events and replies carry `"seq"`; the client drops duplicates and acks
//!   cumulatively with `{"type":"ack","data":M}`.
//!
//! Outbound window: transmitted-but-unacknowledged messages stay in the outbox (counted
//! against its limits, TTL and overflow policy) until acked, and are re-sent in order after a
//! reconnect. Invariant: every accepted message ends acked or dropped, never processed twice
//! by the server while its session lives there.

use super::text::digits;

/// Reliable-mode settings (JS `delivery: "at-least-once"`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReliableConfig {
    /// The session id presented in every `hello`: 1–64 characters of `A-Z a-z 0-9 - _`,
    /// stable for the socket's life (the JS facade picks a random one). No default.
    pub session: String,
    /// How long, in ms, the client may wait before acknowledging received server messages
    /// (acks are cumulative and batched). Default `50`.
    pub ack_delay_ms: f64,
    /// Acknowledge at once when this many server messages are unacknowledged. Default `64`.
    pub ack_every: u64,
}

impl ReliableConfig {
    /// Reliable mode with session id `session` and the default ack batching.
    pub fn new(session: impl Into<String>) -> Self {
        Self { session: session.into(), ack_delay_ms: 50.0, ack_every: 64 }
    }

    /// Whether `session` is a valid session id (1–64 of `A-Z a-z 0-9 - _`).
    pub fn valid_session(session: &str) -> bool {
        (1..=64).contains(&session.len())
            && session.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

/// The sequence state of one reliable session (client side).
#[derive(Debug, Clone)]
pub(crate) struct Reliable {
    pub config: ReliableConfig,
    /// The last seq assigned to an outbound message (0: none yet).
    pub last_out: u64,
    /// The highest server seq received (0: none yet).
    pub last_in: u64,
    /// The highest server seq acknowledged to the server (in an `ack` or a `hello`).
    pub acked_in: u64,
    /// When the pending inbound ack is due.
    pub ack_due: Option<f64>,
}

/// What [`Reliable::inbound`] decided about a server seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inbound {
    /// New: deliver it (`gap`: seqs between the last one and it were skipped).
    Fresh { gap: Option<(u64, u64)>, ack_now: bool },
    /// Already seen: drop it.
    Duplicate,
}

impl Reliable {
    pub fn new(config: ReliableConfig) -> Self {
        Self { config, last_out: 0, last_in: 0, acked_in: 0, ack_due: None }
    }

    /// The `hello` handshake frame (it acknowledges everything received so far).
    pub fn hello(&mut self) -> String {
        self.acked_in = self.last_in;
        self.ack_due = None;
        hello(&self.config.session, self.last_in)
    }

    /// Checks server seq `seq` arriving at `now`.
    pub fn inbound(&mut self, seq: u64, now: f64) -> Inbound {
        if seq <= self.last_in {
            return Inbound::Duplicate;
        }
        let gap = (seq > self.last_in + 1).then(|| (self.last_in + 1, seq - 1));
        self.last_in = seq;
        let ack_now = seq - self.acked_in >= self.config.ack_every.max(1);
        if !ack_now && self.ack_due.is_none() {
            self.ack_due = Some(now + self.config.ack_delay_ms);
        }
        Inbound::Fresh { gap, ack_now }
    }

    /// The cumulative ack frame for everything received; clears the pending deadline.
    pub fn take_ack(&mut self) -> Option<String> {
        self.ack_due = None;
        if self.last_in <= self.acked_in {
            return None;
        }
        self.acked_in = self.last_in;
        Some(ack_frame(self.last_in))
    }
}

/// `{"type":"hello","data":{"session":S,"ack":M}}` (`session` is plain ASCII: see
/// [`ReliableConfig::valid_session`]).
pub fn hello(session: &str, ack: u64) -> String {
    [r#"{"type":"hello","data":{"session":""#, session, r#"","ack":"#, &digits(ack), "}}"].concat()
}

/// `{"type":"ack","data":N}`.
pub fn ack_frame(n: u64) -> String {
    [r#"{"type":"ack","data":"#, &digits(n), "}"].concat()
}

/// A v1 JSON object frame with `"seq":N` as its first member, or `None` when `frame` is
/// not a JSON object text (`{…}`).
pub fn with_seq(frame: &str, seq: u64) -> Option<String> {
    let rest = frame.strip_prefix('{')?;
    let rest = rest.trim_start();
    let sep = if rest.starts_with('}') { "" } else { "," };
    Some([r#"{"seq":"#, &digits(seq), sep, rest].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(hello("a-1", 0), r#"{"type":"hello","data":{"session":"a-1","ack":0}}"#);
        assert_eq!(ack_frame(42), r#"{"type":"ack","data":42}"#);
        assert_eq!(with_seq(r#"{"type":"x"}"#, 7).as_deref(), Some(r#"{"seq":7,"type":"x"}"#));
        assert_eq!(with_seq("{}", 1).as_deref(), Some(r#"{"seq":1}"#));
        assert_eq!(with_seq("[1]", 1), None);
        assert!(ReliableConfig::valid_session("Ab_9-z"));
        assert!(!ReliableConfig::valid_session(""));
        assert!(!ReliableConfig::valid_session("a\"b"));
        assert!(!ReliableConfig::valid_session(&"x".repeat(65)));
    }

    #[test]
    fn inbound_dedupe_gap_and_ack_batching() {
        let mut r = Reliable::new(ReliableConfig { ack_every: 3, ..ReliableConfig::new("s") });
        assert_eq!(r.inbound(1, 0.0), Inbound::Fresh { gap: None, ack_now: false });
        assert_eq!(r.ack_due, Some(50.0));
        assert_eq!(r.inbound(1, 1.0), Inbound::Duplicate);
        assert_eq!(r.inbound(4, 2.0), Inbound::Fresh { gap: Some((2, 3)), ack_now: true });
        assert_eq!(r.take_ack().as_deref(), Some(r#"{"type":"ack","data":4}"#));
        assert_eq!(r.take_ack(), None);
        assert_eq!(r.hello(), r#"{"type":"hello","data":{"session":"s","ack":4}}"#);
    }
}

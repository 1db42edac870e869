//! `Engine::restore` and `Engine::resume_session`: a queue persisted by an earlier page put
//! back by the next one (the JS `persist` option). What's tested:
//! - restored messages keep their order and go before later sends, on the first open;
//! - the TTL counts from the original queueing time: an expired one is dropped at once
//!   (`expired`), a nearly expired one at its deadline;
//! - the overflow policy: drop-oldest evicts (`overflow`), `error` drops instead of refusing;
//! - a closed engine refuses (`Closed`); an open one transmits at once (`Sent`);
//! - reliable mode: persisted seqs kept, new ones numbered after the highest, the resumed
//!   session's id and `last_in` in the `hello`, entries the `welcome` acks leave unsent;
//! - `resume_session` refuses an invalid id and does nothing in at-most-once mode.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use steadysocket::core::{
    Action, Config, DropReason, Engine, Event, Frame, OutboxConfig, Overflow, ReliableConfig,
    SendError, Sent, State,
};

/// An engine and what came out of it.
struct T {
    e: Engine<u32>,
    /// Text frames transmitted, in order.
    out: Vec<String>,
    events: Vec<Event<u32>>,
    conn: Option<u64>,
}

impl T {
    fn new(cfg: Config) -> Self {
        let mut t = T { e: Engine::new_idle(cfg, 0.0), out: vec![], events: vec![], conn: None };
        t.pump(0.0);
        t
    }

    fn pump(&mut self, now: f64) {
        while let Some(a) = self.e.poll_action() {
            match a {
                Action::Connect { conn } => self.conn = Some(conn),
                Action::Transmit { frame: Frame::Text(s), .. } => self.out.push(s),
                Action::Transmit { .. } => panic!("binary"),
                Action::Handshake { .. } => {
                    let h = self.e.hello().expect("reliable");
                    assert!(self.e.control(Frame::Text(h), now));
                }
                Action::Flush => self.e.flush(now),
                Action::Emit(ev) => self.events.push(ev),
                _ => {}
            }
        }
    }

    fn restore(&mut self, n: u32, at: f64, seq: u64, now: f64) -> Result<Sent, SendError> {
        let r = self.e.restore(Frame::Text(msg(n)), n, at, seq, now);
        self.pump(now);
        r
    }

    fn send(&mut self, n: u32, now: f64) -> Result<Sent, SendError> {
        let r = self.e.send(Frame::Text(msg(n)), n, now);
        self.pump(now);
        r
    }

    fn open(&mut self, now: f64) {
        self.e.connect(now);
        self.pump(now);
        let c = self.conn.expect("connect");
        self.e.on_open(c, now);
        self.pump(now);
    }

    fn drops(&self) -> Vec<(u32, DropReason)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Dropped { meta, reason, .. } => Some((*meta, *reason)),
                _ => None,
            })
            .collect()
    }
}

fn msg(n: u32) -> String {
    format!(r#"{{"type":"m","data":{n}}}"#)
}

fn quiet() -> Config {
    Config { heartbeat: None, ..Config::default() }
}

fn ttl(ms: f64) -> Config {
    Config { queue: OutboxConfig { ttl_ms: Some(ms), ..Default::default() }, ..quiet() }
}

fn reliable() -> Config {
    Config { reliable: Some(ReliableConfig::new("new-session")), ..quiet() }
}

#[test]
fn order_kept_before_later_sends() {
    let mut t = T::new(quiet());
    for n in 1..=3 {
        assert_eq!(t.restore(n, -100.0, 0, 10.0), Ok(Sent::Queued));
    }
    assert_eq!(t.send(4, 10.0), Ok(Sent::Queued));
    assert_eq!(t.e.queued(), 4);
    t.open(20.0);
    assert_eq!(t.out, [msg(1), msg(2), msg(3), msg(4)]);
    let sent = t.events.iter().filter(|e| matches!(e, Event::Sent { .. })).count();
    assert_eq!(sent, 4, "each queued message reports sent");
}

#[test]
fn ttl_counts_from_the_original_time() {
    let mut t = T::new(ttl(1000.0));
    let now = 5000.0;
    // Queued at 3000 (2 s ago): expired; at 4500: expires at 5500; at 4900: at 5900.
    assert_eq!(t.restore(1, 3000.0, 0, now), Ok(Sent::Dropped));
    assert_eq!(t.drops(), [(1, DropReason::Expired)], "dropped at once, before anything else");
    assert_eq!(t.restore(2, 4500.0, 0, now), Ok(Sent::Queued));
    assert_eq!(t.restore(3, 4900.0, 0, now), Ok(Sent::Queued));
    assert_eq!(t.e.poll_timeout(), Some(5500.0), "the timer is armed for the next expiry");
    t.e.on_timer(5500.0);
    t.pump(5500.0);
    assert_eq!(t.drops(), [(1, DropReason::Expired), (2, DropReason::Expired)]);
    t.open(5600.0);
    assert_eq!(t.out, [msg(3)]);
    assert_eq!(t.e.metrics(5600.0).dropped, 2);
}

#[test]
fn overflow_policies_apply() {
    let q = |overflow| OutboxConfig { max_messages: 2, overflow, ..Default::default() };
    let mut t = T::new(Config { queue: q(Overflow::DropOldest), ..quiet() });
    for n in 1..=3 {
        assert_eq!(t.restore(n, 0.0, 0, 0.0), Ok(Sent::Queued));
    }
    assert_eq!(t.drops(), [(1, DropReason::Overflow)]);
    let mut t = T::new(Config { queue: q(Overflow::Error), ..quiet() });
    assert_eq!(t.restore(1, 0.0, 0, 0.0), Ok(Sent::Queued));
    assert_eq!(t.restore(2, 0.0, 0, 0.0), Ok(Sent::Queued));
    assert_eq!(t.restore(3, 0.0, 0, 0.0), Ok(Sent::Dropped), "never refused: dropped");
    assert_eq!(t.drops(), [(3, DropReason::Overflow)]);
    let mut t = T::new(Config { queue: q(Overflow::DropNewest), ..quiet() });
    t.restore(1, 0.0, 0, 0.0).unwrap();
    t.restore(2, 0.0, 0, 0.0).unwrap();
    assert_eq!(t.restore(3, 0.0, 0, 0.0), Ok(Sent::Dropped));
    assert_eq!(t.drops(), [(3, DropReason::Overflow)]);
}

#[test]
fn closed_refuses_open_transmits() {
    let mut t = T::new(quiet());
    t.e.close(1000, "", 0.0);
    t.pump(0.0);
    assert_eq!(t.e.state(), State::Closed);
    assert_eq!(t.restore(1, 0.0, 0, 0.0), Err(SendError::Closed));
    let mut t = T::new(quiet());
    t.open(0.0);
    assert_eq!(t.restore(1, 0.0, 7, 1.0), Ok(Sent::Queued));
    assert_eq!(t.out, [msg(1)], "a seq means nothing in at-most-once mode");
    assert!(t.events.iter().any(|e| matches!(e, Event::Sent { meta: 1, .. })));
    assert_eq!(t.e.queued(), 0);
}

#[test]
fn reliable_resumes_seqs_and_session() {
    let mut t = T::new(reliable());
    assert!(!t.e.resume_session("bad id!", 1, 1), "invalid id refused");
    assert!(t.e.resume_session("old-1", 7, 12));
    // Persisted: seqs 10 and 12 (11 was acked and deleted); one with no seq yet.
    assert_eq!(t.restore(1, 0.0, 10, 0.0), Ok(Sent::Queued));
    assert_eq!(t.restore(2, 0.0, 12, 0.0), Ok(Sent::Queued));
    assert_eq!(t.restore(3, 0.0, 0, 0.0), Ok(Sent::Queued));
    assert_eq!(t.e.last_seq(), 13);
    assert_eq!(t.send(4, 0.0), Ok(Sent::Queued));
    assert_eq!(t.e.last_seq(), 14);
    t.open(1.0);
    assert_eq!(t.out, [r#"{"type":"hello","data":{"session":"old-1","ack":7}}"#]);
    assert_eq!(t.e.state(), State::Connecting, "waiting for the welcome");
    // The server had processed up to 10: that one is acked without being sent again.
    let c = t.conn.unwrap();
    t.e.on_welcome(c, 10, true, None, 2.0);
    t.pump(2.0);
    assert!(t.events.contains(&Event::Acked { upto: 10 }));
    assert_eq!(
        t.out[1..],
        [
            r#"{"seq":12,"type":"m","data":2}"#,
            r#"{"seq":13,"type":"m","data":3}"#,
            r#"{"seq":14,"type":"m","data":4}"#
        ]
    );
    t.e.on_ack(c, 14, 3.0);
    t.pump(3.0);
    assert_eq!(t.e.queued(), 0);
    assert_eq!(t.e.last_in(), 7);
}

#[test]
fn resume_session_needs_reliable_mode() {
    let mut e: Engine<u32> = Engine::new_idle(quiet(), 0.0);
    assert!(!e.resume_session("s", 1, 1));
    assert_eq!(e.last_in(), 0);
    assert_eq!(e.last_seq(), 0);
}

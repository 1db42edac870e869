//! Property and fuzz tests of the sans-IO engine over random input sequences (opens, closes
//! with random codes and reasons, drops, late timers, online/offline, visibility, sends,
//! requests, replies, garbage frames, manual reconnects). Invariants:
//! - every accepted message is transmitted exactly once, in order, or reported dropped
//!   exactly once (checked after a final `close()`);
//! - every request settles exactly once (reply or failure);
//! - reconnect delays stay within `[min·(1−jitter), max]` (or the server's `retryAfterMs`);
//! - no timer is armed in `closed`;
//! - a silent peer is declared dead within interval + timeout of the last inbound frame,
//!   plus twice the worst timer lateness;
//! - arbitrary inbound bytes never panic; malformed envelopes become `error` events.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::{HashMap, HashSet};

use common::{frame_number, frame_request_id, Sim};
use proptest::prelude::*;
use steadysocket::core::envelope::decode;
use steadysocket::core::heartbeat::HeartbeatConfig;
use steadysocket::core::{
    BackoffConfig, Config, Delivery, ErrorKind, Event, FrameKind, OutboxConfig, Overflow,
    ReconnectConfig, Sent, State,
};

const MAX_LATE: f64 = 3000.0;
const INTERVAL: f64 = 1000.0;
const TIMEOUT: f64 = 500.0;

#[derive(Debug, Clone)]
enum Op {
    Open,
    ServerClose(u16, bool),
    Drop,
    CloseHandshake,
    Send,
    Request(u8),
    Reply(u8, bool),
    BogusReply(u64),
    Inbound,
    Garbage(Vec<u8>),
    Advance(u16, u16),
    Online,
    Offline,
    Hidden,
    Visible,
    Resume,
    Reconnect,
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Open),
        2 => (prop_oneof![Just(1000u16), Just(1001), Just(1008), Just(1011), Just(4000), Just(4050), Just(4100), 3000u16..5000], any::<bool>())
            .prop_map(|(c, r)| Op::ServerClose(c, r)),
        3 => Just(Op::Drop),
        1 => Just(Op::CloseHandshake),
        8 => Just(Op::Send),
        4 => (1u8..40).prop_map(Op::Request),
        4 => (any::<u8>(), any::<bool>()).prop_map(|(i, e)| Op::Reply(i, e)),
        1 => (0u64..100).prop_map(Op::BogusReply),
        3 => Just(Op::Inbound),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Op::Garbage),
        10 => (0u16..4000, prop_oneof![3 => Just(0u16), 1 => 0u16..(MAX_LATE as u16)]).prop_map(|(d, l)| Op::Advance(d, l)),
        1 => Just(Op::Online),
        1 => Just(Op::Offline),
        1 => Just(Op::Hidden),
        1 => Just(Op::Visible),
        1 => Just(Op::Resume),
        1 => Just(Op::Reconnect),
        1 => Just(Op::Close),
    ]
}

fn config(
    overflow: Overflow,
    max_messages: usize,
    ttl: Option<f64>,
    max_attempts: Option<u32>,
    seed: u64,
) -> Config {
    Config {
        reconnect: Some(ReconnectConfig {
            backoff: BackoffConfig {
                min_delay_ms: 100.0,
                max_delay_ms: 2000.0,
                factor: 2.0,
                jitter: 0.5,
                max_attempts,
            },
            stable_ms: 1500.0,
            ..Default::default()
        }),
        heartbeat: Some(HeartbeatConfig {
            interval_ms: INTERVAL,
            timeout_ms: TIMEOUT,
            ..Default::default()
        }),
        queue: OutboxConfig { max_messages, max_bytes: 4096, overflow, ttl_ms: ttl },
        connect_timeout_ms: 2500.0,
        request_timeout_ms: 4000.0,
        seed,
        ..Default::default()
    }
}

struct World {
    sim: Sim,
    next_msg: u32,
    accepted: Vec<u32>,
    /// Accepted with `Sent::Queued`: each must end in exactly one `Sent` or `Dropped` event.
    queued: HashSet<u32>,
    requests: HashMap<u64, u32>,
    settled: HashMap<u64, u32>,
    checked_events: usize,
    /// Latest proof of life while open: max(open time, last inbound).
    last_life: f64,
    retry_after_seen: bool,
}

impl World {
    fn new(cfg: Config) -> Self {
        World {
            sim: Sim::new(cfg),
            next_msg: 0,
            accepted: vec![],
            queued: HashSet::new(),
            requests: HashMap::new(),
            settled: HashMap::new(),
            checked_events: 0,
            last_life: 0.0,
            retry_after_seen: false,
        }
    }

    fn settle(&mut self, id: u64) {
        *self.settled.entry(id).or_default() += 1;
    }

    fn in_flight(&self) -> Vec<u64> {
        let conn = self.sim.e.conn();
        let mut ids: Vec<u64> = self
            .sim
            .sent
            .iter()
            .filter(|(c, _)| *c == conn)
            .filter_map(|(_, f)| frame_request_id(f))
            .filter(|id| !self.settled.contains_key(id))
            .collect();
        ids.sort_unstable();
        ids
    }

    fn apply(&mut self, op: &Op) {
        let state = self.sim.e.state();
        match op {
            Op::Open if state == State::Connecting => {
                self.sim.open();
                self.last_life = self.sim.now;
            }
            Op::ServerClose(code, retry) if matches!(state, State::Open | State::Connecting) => {
                let reason = if *retry { r#"{"retryAfterMs":2500}"# } else { "" };
                self.retry_after_seen |= *retry;
                self.sim.server_close(*code, reason)
            }
            Op::Drop if matches!(state, State::Open | State::Connecting) => self.sim.drop_conn(),
            Op::CloseHandshake if state == State::Closing => self.sim.server_close(1000, "bye"),
            Op::Send => {
                let n = self.next_msg;
                self.next_msg += 1;
                if let Ok(sent) = self.sim.send(n) {
                    self.accepted.push(n);
                    if sent == Sent::Queued {
                        self.queued.insert(n);
                    }
                }
            }
            Op::Request(t) => {
                let n = self.next_msg;
                self.next_msg += 1;
                if let Ok((id, sent)) = self.sim.request(n, Some(f64::from(*t) * 100.0)) {
                    self.accepted.push(n);
                    if sent == Sent::Queued {
                        self.queued.insert(n);
                    }
                    self.requests.insert(id, n);
                }
            }
            Op::Reply(i, err) => {
                let ids = self.in_flight();
                if !ids.is_empty() {
                    let id = ids[usize::from(*i) % ids.len()];
                    let text = if *err {
                        format!(r#"{{"replyTo":{id},"error":{{"message":"x"}}}}"#)
                    } else {
                        format!(r#"{{"replyTo":{id},"data":1}}"#)
                    };
                    if let Delivery::Reply { id: got, .. } = self.sim.inbound(&text) {
                        assert_eq!(got, id);
                        self.settle(id);
                    }
                    if self.sim.e.state() == State::Open {
                        self.last_life = self.sim.now;
                    }
                }
            }
            Op::BogusReply(id) => {
                let id = id + 1_000_000;
                assert_eq!(self.sim.inbound(&format!(r#"{{"replyTo":{id}}}"#)), Delivery::Ignore);
            }
            Op::Inbound => {
                let d = self.sim.inbound(r#"{"type":"pong"}"#);
                assert_eq!(d, Delivery::Ignore);
                if self.sim.e.state() == State::Open {
                    self.last_life = self.sim.now;
                }
            }
            Op::Garbage(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                let kind = decode(&text).kind;
                let before = self.sim.events.len();
                let conn = self.sim.e.conn();
                let d = self.sim.e.on_frame(conn, text.len(), kind.clone(), self.sim.now);
                self.sim.pump();
                if let Delivery::Reply { id, .. } = d {
                    self.settle(id);
                }
                if matches!(kind, FrameKind::Malformed(_))
                    && matches!(state, State::Open | State::Closing)
                {
                    assert!(self.sim.events[before..]
                        .iter()
                        .any(|e| matches!(e, Event::Error { kind: ErrorKind::Protocol, .. })));
                }
                if self.sim.e.state() == State::Open {
                    self.last_life = self.sim.now;
                }
            }
            Op::Advance(dt, late) => {
                let target = self.sim.now + f64::from(*dt);
                self.sim.advance_late(target, f64::from(*late));
            }
            Op::Online => {
                self.sim.e.on_online(self.sim.now);
                self.sim.pump();
            }
            Op::Offline => {
                self.sim.e.on_offline(self.sim.now);
                self.sim.pump();
            }
            Op::Hidden => self.sim.e.on_visibility(false, self.sim.now),
            Op::Visible => {
                self.sim.e.on_visibility(true, self.sim.now);
                self.sim.pump();
            }
            Op::Resume => {
                self.sim.e.on_resume(self.sim.now);
                self.sim.pump();
            }
            Op::Reconnect => {
                self.sim.e.reconnect(self.sim.now);
                self.sim.pump();
            }
            Op::Close => self.sim.close(),
            _ => {}
        }
        self.check_step();
    }

    fn check_step(&mut self) {
        let s = &self.sim;
        // No timer in closed.
        if s.e.state() == State::Closed {
            assert_eq!(s.e.poll_timeout(), None, "timer armed in closed");
        }
        // A silent peer is noticed in time.
        if s.e.state() == State::Open {
            let bound = self.last_life + INTERVAL + TIMEOUT + 2.0 * MAX_LATE;
            assert!(
                s.now <= bound,
                "open at {} but last sign of life at {}",
                s.now,
                self.last_life
            );
        }
        // New events: delays in bounds; failures settle requests.
        let new: Vec<Event<u32>> = s.events[self.checked_events..].to_vec();
        self.checked_events = s.events.len();
        for ev in new {
            match ev {
                Event::Reconnecting { delay_ms: Some(d), .. } => {
                    let ok = (50.0..=2000.0).contains(&d) || (self.retry_after_seen && d == 2500.0);
                    assert!(ok, "delay {d} out of bounds");
                }
                Event::RequestFailed { id, .. } => self.settle(id),
                _ => {}
            }
        }
    }

    fn finish(mut self) {
        self.sim.close();
        if self.sim.e.state() == State::Closing {
            self.sim.server_close(1000, "");
        }
        self.check_step();
        assert_eq!(self.sim.e.state(), State::Closed);
        assert_eq!(self.sim.e.poll_timeout(), None);
        // Exactly once: transmitted or dropped.
        let sent = self.sim.sent_numbers();
        let dropped: Vec<u32> = self
            .sim
            .events
            .iter()
            .filter_map(|e| if let Event::Dropped { meta, .. } = e { Some(*meta) } else { None })
            .collect();
        let mut seen = HashSet::new();
        for n in sent.iter().chain(dropped.iter()) {
            assert!(seen.insert(*n), "message {n} transmitted/dropped twice");
        }
        let accepted: HashSet<u32> = self.accepted.iter().copied().collect();
        assert_eq!(seen, accepted, "every accepted message is transmitted or dropped");
        assert!(sent.windows(2).all(|w| w[0] < w[1]), "transmitted out of order: {sent:?}");
        // Queued messages end in exactly one Sent or Dropped event; direct sends in neither.
        let sent_events: Vec<u32> = self
            .sim
            .events
            .iter()
            .filter_map(|e| if let Event::Sent { meta, .. } = e { Some(*meta) } else { None })
            .collect();
        for n in &self.accepted {
            let outcomes = sent_events.iter().chain(dropped.iter()).filter(|m| *m == n).count();
            let in_sent = sent_events.contains(n);
            if self.queued.contains(n) {
                assert_eq!(outcomes, 1, "queued message {n}: {outcomes} Sent/Dropped events");
            } else {
                assert!(!in_sent, "message {n} was sent directly but got a Sent event");
            }
        }
        // Every request settled exactly once.
        for id in self.requests.keys() {
            assert_eq!(
                self.settled.get(id),
                Some(&1),
                "request {id} settled {:?} times",
                self.settled.get(id)
            );
        }
        let _ = frame_number;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn engine_invariants_hold(
        ops in proptest::collection::vec(op(), 1..250),
        overflow in prop_oneof![Just(Overflow::DropOldest), Just(Overflow::DropNewest), Just(Overflow::Error)],
        max_messages in 0usize..8,
        ttl in proptest::option::of(100.0f64..5000.0),
        max_attempts in proptest::option::of(0u32..6),
        seed in any::<u64>(),
    ) {
        let mut w = World::new(config(overflow, max_messages, ttl, max_attempts, seed));
        for o in &ops {
            w.apply(o);
        }
        w.finish();
    }

    #[test]
    fn arbitrary_inbound_never_panics(frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..50)) {
        let mut sim = Sim::new(Config::default());
        sim.open();
        for bytes in &frames {
            let text = String::from_utf8_lossy(bytes);
            let d = sim.inbound(&text);
            prop_assert!(matches!(d, Delivery::Ignore | Delivery::Raw | Delivery::Event));
        }
        prop_assert_eq!(sim.e.state(), State::Open);
    }

    #[test]
    fn json_shaped_garbage_never_panics(
        ty in prop_oneof![Just("\"pong\"".to_string()), Just("42".into()), Just("null".into()), "\"[a-z]{0,5}\""],
        reply in prop_oneof![Just(None), Just(Some("\"x\"".to_string())), Just(Some("-1".into())), Just(Some("1e300".into())), (0u64..5).prop_map(|n| Some(n.to_string()))],
        err in any::<bool>(),
    ) {
        let mut sim = Sim::new(Config::default());
        sim.open();
        let mut text = format!("{{\"type\":{ty}");
        if let Some(r) = reply { text.push_str(&format!(",\"replyTo\":{r}")); }
        if err { text.push_str(",\"error\":{}"); }
        text.push('}');
        let kind = decode(&text).kind;
        let before = sim.events.len();
        sim.inbound(&text);
        if matches!(kind, FrameKind::Malformed(_)) {
            let reported = sim.events[before..].iter().any(|e| matches!(e, Event::Error { kind: ErrorKind::Protocol, .. }));
            prop_assert!(reported, "malformed frame not reported: {}", text);
        }
        prop_assert_eq!(sim.e.state(), State::Open);
    }
}

#[test]
fn sent_variants_are_reported() {
    // Sanity for the harness: all three outcomes appear in a simple run.
    let mut w = World::new(config(Overflow::DropNewest, 1, None, None, 1));
    w.apply(&Op::Send);
    w.apply(&Op::Send);
    assert_eq!(w.sim.send(99), Ok(Sent::Dropped));
    w.apply(&Op::Open);
    w.apply(&Op::Send);
    assert_eq!(w.sim.sent_numbers(), [0, 2]);
}

//! Reliable mode (protocol v1 extension) in the sans-IO engine, against a model server that
//! implements the extension (sessions, dedupe by seq, cumulative acks, a bounded replay
//! buffer, gaps). What's tested:
//! - the handshake: `hello` on every open, `connecting` until `welcome`, the timeout's advice;
//! - seqs on outbound messages in send order (queued ones included), re-sent after a drop,
//!   acked ones not; the server app sees each once, in order;
//! - requests survive a drop (no `connection-lost`), their replies are replayed;
//! - inbound duplicates dropped, acks batched, gaps reported;
//! - property: under random drops, partial deliveries, sends, server events and timers,
//!   every accepted message is processed by the server app exactly once (in order) or
//!   reported dropped (never twice), acked ones were processed, the client app sees each
//!   server event at most once in order and every missing one inside a reported gap, and
//!   the queue never exceeds its limit.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::collections::{HashSet, VecDeque};

use proptest::prelude::*;
use serde_json::{json, Value};
use steadysocket::core::envelope::encode_event;
use steadysocket::core::{
    Action, BackoffConfig, Config, Delivery, Engine, ErrorKind, Event, Frame, FrameKind,
    OutboxConfig, Overflow, ReconnectConfig, ReliableConfig, Sent, State,
};

/// The model server's session (one client).
#[derive(Default)]
struct Server {
    /// Highest client seq processed.
    seen: u64,
    /// Last server seq assigned.
    out: u64,
    /// (seq, frame) not acked by the client yet, bounded by `cap`.
    buffer: VecDeque<(u64, String)>,
    cap: usize,
    /// The connection the session is attached to (welcomed).
    conn: Option<u64>,
    known: bool,
    /// What the app behind the server processed: message numbers, in order.
    app: Vec<u64>,
}

struct World {
    e: Engine<u64>,
    now: f64,
    s: Server,
    /// The connection whose transport is up (both ends).
    up: Option<u64>,
    pending_connect: Option<u64>,
    to_server: VecDeque<String>,
    to_client: VecDeque<String>,
    /// Payloads waiting for their `Deliver`.
    inbound: VecDeque<Value>,
    /// Server event numbers the client app got, in order.
    got: Vec<u64>,
    replies: Vec<u64>,
    acked_upto: u64,
    dropped: HashSet<u64>,
    accepted: Vec<(u64, u64)>, // (message number, seq)
    gaps: Vec<(u64, Option<u64>)>,
    errors: Vec<ErrorKind>,
    failed_requests: Vec<u64>,
    hellos: usize,
    max_queued: usize,
}

fn config(cap: usize) -> Config {
    Config {
        heartbeat: None,
        reconnect: Some(ReconnectConfig {
            backoff: BackoffConfig { min_delay_ms: 100.0, jitter: 0.0, ..Default::default() },
            ..Default::default()
        }),
        queue: OutboxConfig {
            max_messages: cap,
            overflow: Overflow::DropOldest,
            ..Default::default()
        },
        reliable: Some(ReliableConfig::new("s1")),
        ..Default::default()
    }
}

impl World {
    fn new(cfg: Config, replay_cap: usize) -> Self {
        let mut w = World {
            e: Engine::new(cfg, 0.0),
            now: 0.0,
            s: Server { cap: replay_cap, ..Default::default() },
            up: None,
            pending_connect: None,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
            inbound: VecDeque::new(),
            got: vec![],
            replies: vec![],
            acked_upto: 0,
            dropped: HashSet::new(),
            accepted: vec![],
            gaps: vec![],
            errors: vec![],
            failed_requests: vec![],
            hellos: 0,
            max_queued: 0,
        };
        w.pump();
        w
    }

    fn pump(&mut self) {
        while let Some(a) = self.e.poll_action() {
            match a {
                Action::Connect { conn } => self.pending_connect = Some(conn),
                Action::Probe { .. } => {}
                Action::Transmit { conn, frame, msg, .. } => {
                    let Frame::Text(t) = &frame else { panic!("binary") };
                    if self.up == Some(conn) {
                        self.to_server.push_back(t.clone());
                    } else {
                        self.e.on_transmit_failed(conn, frame, msg, self.now);
                    }
                }
                Action::CloseSocket { conn, .. } => {
                    if self.up == Some(conn) {
                        self.kill();
                    }
                }
                Action::Handshake { conn } => {
                    self.hellos += 1;
                    let h = self.e.hello().expect("reliable");
                    assert!(self.e.control(Frame::Text(h), self.now), "hello on {conn}");
                }
                Action::Flush => self.e.flush(self.now),
                Action::Goodbye { .. } => {}
                Action::Emit(ev) => match ev {
                    Event::Acked { upto } => {
                        assert!(upto > self.acked_upto, "acks grow");
                        self.acked_upto = upto;
                    }
                    Event::Dropped { meta, .. } => {
                        assert!(self.dropped.insert(meta), "dropped twice")
                    }
                    Event::Gap { from, to } => self.gaps.push((from, to)),
                    Event::Error { kind, .. } => self.errors.push(kind),
                    Event::RequestFailed { id, .. } => self.failed_requests.push(id),
                    Event::Sent { .. } => panic!("no sent events in reliable mode"),
                    _ => {}
                },
                Action::Deliver(d) => {
                    let v = self.inbound.pop_front().expect("payload");
                    match d {
                        Delivery::Event => self.got.push(v["data"].as_u64().expect("n")),
                        Delivery::Reply { .. } => self.replies.push(v["data"].as_u64().expect("n")),
                        other => panic!("{other:?}"),
                    }
                }
            }
            self.max_queued = self.max_queued.max(self.e.queued());
        }
    }

    /// The connection dies (both directions' frames in flight are lost).
    fn kill(&mut self) {
        if let Some(c) = self.up.take() {
            self.to_server.clear();
            self.to_client.clear();
            self.s.conn = None;
            self.e.on_close(c, 1006, "", false, self.now);
        }
    }

    fn open(&mut self) {
        if let Some(c) = self.pending_connect.take() {
            if self.e.conn() == c && self.e.state() == State::Connecting {
                self.up = Some(c);
                self.e.on_open(c, self.now);
                self.pump();
            }
        }
    }

    fn send(&mut self, n: u64) {
        let f = Frame::Text(encode_event("m", &n.to_string()));
        match self.e.send(f, n, self.now) {
            Ok(Sent::Dropped) | Err(_) => {}
            Ok(_) => self.accepted.push((n, self.e.last_seq())),
        }
        self.pump();
    }

    fn server_emit(&mut self, n: u64) {
        self.s.out += 1;
        let f = json!({"seq": self.s.out, "type": "e", "data": n}).to_string();
        self.s.buffer.push_back((self.s.out, f.clone()));
        while self.s.buffer.len() > self.s.cap {
            self.s.buffer.pop_front();
        }
        if self.s.conn.is_some() {
            self.to_client.push_back(f);
        }
    }

    fn server_reply(&mut self, id: u64, n: u64) {
        self.s.out += 1;
        let f = json!({"seq": self.s.out, "replyTo": id, "data": n}).to_string();
        self.s.buffer.push_back((self.s.out, f.clone()));
        while self.s.buffer.len() > self.s.cap {
            self.s.buffer.pop_front();
        }
        if self.s.conn.is_some() {
            self.to_client.push_back(f);
        }
    }

    fn at_server(&mut self, k: usize) {
        for _ in 0..k {
            let Some(t) = self.to_server.pop_front() else { return };
            let v: Value = serde_json::from_str(&t).expect("json");
            let Some(conn) = self.up else { return };
            match v["type"].as_str() {
                Some("hello") => {
                    let ack = v["data"]["ack"].as_u64().expect("ack");
                    assert_eq!(v["data"]["session"], "s1");
                    let resumed = self.s.known;
                    self.s.known = true;
                    self.s.buffer.retain(|(s, _)| *s > ack);
                    let first = self.s.buffer.front().map_or(self.s.out + 1, |(s, _)| *s);
                    let gap = (first > ack + 1).then(|| json!({"from": ack + 1, "to": first - 1}));
                    self.to_client.push_back(
                        json!({"type":"welcome","data":{"ack": self.s.seen, "resumed": resumed, "gap": gap}})
                            .to_string(),
                    );
                    for (_, f) in &self.s.buffer {
                        self.to_client.push_back(f.clone());
                    }
                    self.s.conn = Some(conn);
                }
                Some("ack") => {
                    let a = v["data"].as_u64().expect("ack");
                    self.s.buffer.retain(|(s, _)| *s > a);
                }
                _ => {
                    let seq = v["seq"].as_u64().expect("seq on every message");
                    if seq > self.s.seen {
                        self.s.seen = seq;
                        if let Some(id) = v["id"].as_u64() {
                            let n = v["data"].as_u64().expect("n");
                            self.s.app.push(n);
                            self.server_reply(id, n);
                        } else {
                            self.s.app.push(v["data"].as_u64().expect("n"));
                        }
                    }
                    self.to_client.push_back(json!({"type":"ack","data": self.s.seen}).to_string());
                }
            }
        }
    }

    fn at_client(&mut self, k: usize) {
        for _ in 0..k {
            let Some(t) = self.to_client.pop_front() else { return };
            let Some(conn) = self.up else { return };
            let v: Value = serde_json::from_str(&t).expect("json");
            let len = t.len();
            match v["type"].as_str() {
                Some("welcome") => {
                    let d = &v["data"];
                    let gap = d["gap"]
                        .as_object()
                        .map(|g| (g["from"].as_u64().unwrap_or(0), g["to"].as_u64().unwrap_or(0)));
                    let resumed = d["resumed"].as_bool().unwrap_or(false);
                    self.e.on_welcome(conn, d["ack"].as_u64().unwrap_or(0), resumed, gap, self.now);
                }
                Some("ack") => {
                    self.e.on_ack(conn, v["data"].as_u64().unwrap_or(0), self.now);
                    self.e.on_frame(conn, len, FrameKind::Control, self.now);
                }
                _ => {
                    let seq = v["seq"].as_u64().expect("seq");
                    if self.e.on_seq(conn, seq, self.now) {
                        let kind = match v["replyTo"].as_u64() {
                            Some(id) => FrameKind::Reply { id, error: false },
                            None => FrameKind::Event,
                        };
                        if self.e.on_frame(conn, len, kind, self.now) != Delivery::Ignore {
                            self.inbound.push_back(v);
                        }
                    }
                }
            }
            self.pump();
        }
        self.pump();
    }

    fn advance(&mut self, ms: f64) {
        let end = self.now + ms;
        while let Some(t) = self.e.poll_timeout().filter(|t| *t <= end) {
            self.now = self.now.max(t);
            self.e.on_timer(self.now);
            self.pump();
        }
        self.now = end;
    }

    /// Brings everything to rest on a working connection.
    fn settle(&mut self) {
        for _ in 0..50 {
            self.open();
            self.at_server(usize::MAX);
            self.at_client(usize::MAX);
            self.advance(200.0);
            if self.up.is_some()
                && self.e.state() == State::Open
                && self.to_server.is_empty()
                && self.to_client.is_empty()
                && self.e.queued() == 0
                && self.e.poll_timeout().is_none()
            {
                return;
            }
        }
        panic!("did not settle: {:?}", self.e);
    }

    /// At rest: nothing pending is left unreported.
    fn check_done(&self) {
        self.check();
        let app: HashSet<u64> = self.s.app.iter().copied().collect();
        for &(n, _) in &self.accepted {
            assert!(app.contains(&n) || self.dropped.contains(&n), "message {n} lost silently");
        }
    }

    fn check(&self) {
        // The server app: each message at most once, in send order.
        assert!(
            self.s.app.windows(2).all(|w| w[0] < w[1]),
            "server app order/dupes: {:?}",
            self.s.app
        );
        let app: HashSet<u64> = self.s.app.iter().copied().collect();
        for &(n, seq) in &self.accepted {
            if seq <= self.acked_upto && !self.dropped.contains(&n) {
                assert!(app.contains(&n), "message {n} acked but not processed");
            }
        }
        // The client app: each server event at most once, in order; the missing ones in gaps.
        assert!(self.got.windows(2).all(|w| w[0] < w[1]), "client order/dupes: {:?}", self.got);
    }
}

#[test]
fn hello_welcome_then_open() {
    let mut w = World::new(config(100), 100);
    w.open();
    assert_eq!(w.e.state(), State::Connecting);
    assert_eq!(
        w.to_server.front().map(String::as_str),
        Some(r#"{"type":"hello","data":{"session":"s1","ack":0}}"#)
    );
    w.send(1);
    w.at_server(1);
    w.at_client(1);
    assert_eq!(w.e.state(), State::Open);
    assert_eq!(w.to_server.front().map(String::as_str), Some(r#"{"seq":1,"type":"m","data":1}"#));
}

#[test]
fn handshake_timeout_names_reliable_mode() {
    let mut w = World::new(config(100), 100);
    w.open();
    w.advance(10_001.0);
    assert_eq!(w.errors, [ErrorKind::Handshake]);
}

#[test]
fn unacked_messages_are_resent_and_processed_once() {
    let mut w = World::new(config(100), 100);
    w.settle();
    for n in 1..=5 {
        w.send(n);
    }
    assert_eq!(w.e.metrics(w.now).unacked, 5);
    // The server processes 1..=3, its acks are lost, then the connection dies.
    w.at_server(3);
    w.to_client.clear();
    w.kill();
    assert_eq!(w.e.queued(), 5, "unacked messages stay queued");
    w.send(6);
    w.settle();
    assert_eq!(w.s.app, [1, 2, 3, 4, 5, 6]);
    assert_eq!(w.acked_upto, 6);
    assert!(w.e.metrics(w.now).resent >= 2);
    assert_eq!(w.hellos, 2);
    w.check_done();
}

#[test]
fn requests_survive_a_drop_and_their_reply_is_replayed() {
    let mut w = World::new(config(100), 100);
    w.settle();
    let (id, _) =
        w.e.request_with(None, 7, w.now, |id| {
            Frame::Text(format!(r#"{{"type":"r","id":{id},"data":7}}"#))
        })
        .expect("request");
    w.accepted.push((7, w.e.last_seq()));
    w.pump();
    w.at_server(1); // processed; the reply and ack are lost
    w.to_client.clear();
    w.kill();
    w.settle();
    assert!(w.failed_requests.is_empty(), "no connection-lost in reliable mode");
    assert_eq!(w.replies, [7], "reply {id} replayed once");
    assert_eq!(w.s.app, [7]);
}

#[test]
fn duplicates_dropped_and_gaps_reported() {
    let mut w = World::new(config(100), 3);
    w.settle();
    w.server_emit(1);
    w.at_client(1);
    w.to_client.push_back(json!({"seq":1,"type":"e","data":1}).to_string());
    w.at_client(1);
    assert_eq!(w.got, [1]);
    assert_eq!(w.e.metrics(w.now).duplicates, 1);
    w.kill();
    for n in 2..=7 {
        w.server_emit(n); // seqs 2..=7 while away; the buffer keeps 5..=7
    }
    w.settle();
    assert_eq!(w.gaps, [(2, Some(4))]);
    assert_eq!(w.got, [1, 5, 6, 7]);
}

#[test]
fn window_counts_against_the_queue_limit() {
    let mut w = World::new(config(3), 100);
    w.settle();
    for n in 1..=5 {
        w.send(n);
    }
    assert!(w.e.queued() <= 3);
    assert_eq!(w.dropped, HashSet::from([1, 2]));
    w.settle();
    w.check_done();
}

#[derive(Debug, Clone)]
enum Op {
    Send,
    Emit,
    ToServer(usize),
    ToClient(usize),
    Drop,
    Open,
    Wait(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Send),
        3 => Just(Op::Emit),
        3 => (0usize..6).prop_map(Op::ToServer),
        3 => (0usize..6).prop_map(Op::ToClient),
        1 => Just(Op::Drop),
        2 => Just(Op::Open),
        2 => (0u16..400).prop_map(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn exactly_once_or_dropped(ops in proptest::collection::vec(op(), 1..120), cap in 2usize..20, replay in 1usize..10) {
        let mut w = World::new(config(cap), replay);
        let (mut n, mut k) = (0, 0);
        for o in ops {
            match o {
                Op::Send => { n += 1; w.send(n); }
                Op::Emit => { k += 1; w.server_emit(k); }
                Op::ToServer(c) => w.at_server(c),
                Op::ToClient(c) => w.at_client(c),
                Op::Drop => w.kill(),
                Op::Open => w.open(),
                Op::Wait(ms) => w.advance(f64::from(ms)),
            }
            w.pump();
            prop_assert!(w.e.queued() <= cap);
            w.check();
        }
        w.settle();
        w.check_done();
        prop_assert!(w.max_queued <= cap);
        // After settling, every accepted message is processed or dropped; every server
        // event is delivered or inside a reported gap.
        let got: HashSet<u64> = w.got.iter().copied().collect();
        for e in 1..=k {
            let in_gap = w.gaps.iter().any(|&(f, t)| e >= f && t.is_none_or(|t| e <= t));
            prop_assert!(got.contains(&e) || in_gap, "event {} lost silently", e);
        }
        prop_assert_eq!(w.acked_upto, w.accepted.iter().filter(|(n, _)| !w.dropped.contains(n)).map(|p| p.1).max().unwrap_or(w.acked_upto).max(w.acked_upto));
    }
}

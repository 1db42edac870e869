//! The engine's application-level controls, with the simulated driver:
//! - the open gate (`hold`/`release`): the backlog and new sends wait for the app's own
//!   handshake; `send_on`/`request_on` go through it; heartbeats keep running; rejection
//!   and timeout fail the connection like an attempt (backoff not reset); stale releases
//!   and stale `send_on`/`request_on` are harmless
//! - the idle start (`new_idle`, `autoConnect: false`): queued until `connect`, dropped by
//!   `close`/`shutdown`
//! - `on_close_with(keep = false)` (`shouldReconnect` returning false)
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::Sim;
use steadysocket::core::envelope::encode_event;
use steadysocket::core::heartbeat::HeartbeatConfig;
use steadysocket::core::machine::{Session, CODE_TIMEOUT};
use steadysocket::core::{
    Action, BackoffConfig, Config, DropReason, Engine, ErrorKind, Event, Failure, Frame,
    ReconnectConfig, SendError, Sent, State,
};

fn quiet() -> Config {
    Config {
        heartbeat: None,
        reconnect: Some(ReconnectConfig {
            backoff: BackoffConfig { min_delay_ms: 1000.0, jitter: 0.0, ..Default::default() },
            ..Default::default()
        }),
        session: Session { handshake_timeout_ms: 5000.0, ..Session::default() },
        ..Default::default()
    }
}

fn frame(n: u32) -> Frame {
    Frame::Text(encode_event("m", &n.to_string()))
}

fn errors(s: &Sim) -> Vec<(ErrorKind, String)> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::Error { kind, message } => Some((*kind, message.clone())),
            _ => None,
        })
        .collect()
}

fn closes(s: &Sim) -> Vec<(u16, String, bool)> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::Close { code, reason, will_reconnect, .. } => {
                Some((*code, reason.clone(), *will_reconnect))
            }
            _ => None,
        })
        .collect()
}

fn sent_events(s: &Sim) -> Vec<u32> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::Sent { meta, .. } => Some(*meta),
            _ => None,
        })
        .collect()
}

/// A sim whose open handler sends message 10 synchronously, then holds the gate; the held
/// connection id is stored in the returned cell.
fn gated() -> (Sim, Rc<Cell<Option<u64>>>) {
    let held = Rc::new(Cell::new(None));
    let mut s = Sim::new(quiet());
    let h = held.clone();
    s.on_open = Some(Box::new(move |e: &mut Engine<u32>, now| {
        assert_eq!(e.send(frame(10), 10, now), Ok(Sent::Sent));
        h.set(e.hold(now));
    }));
    (s, held)
}

#[test]
fn the_gate_holds_the_backlog_and_new_sends_until_released() {
    let (mut s, held) = gated();
    assert_eq!(s.send(1), Ok(Sent::Queued));
    assert_eq!(s.send(2), Ok(Sent::Queued));
    s.open();
    let conn = held.get().expect("held while open");
    assert_eq!(conn, s.e.conn());
    assert!(s.e.gated());
    assert_eq!(s.e.state(), State::Open);
    // Only what the open handler sent synchronously went out; the backlog waits.
    assert_eq!(s.sent_numbers(), vec![10]);
    assert_eq!(s.e.queued(), 2);
    // A new send waits behind the backlog; the handshake's own message goes through.
    assert_eq!(s.send(3), Ok(Sent::Queued));
    assert_eq!(s.e.send_on(conn, frame(11), 11, s.now), Ok(Sent::Sent));
    let (id, sent) =
        s.e.request_on(conn, None, 12, s.now, |id| {
            Frame::Text(steadysocket::core::envelope::encode_request("r", id, "12"))
        })
        .expect("request_on");
    assert_eq!(sent, Sent::Sent);
    s.pump();
    assert_eq!(s.sent_numbers(), vec![10, 11, 12]);
    // A second hold while held keeps the same gate.
    assert_eq!(s.e.hold(s.now), Some(conn));
    s.advance(1000.0);
    s.e.release(conn, Ok(()), s.now);
    s.pump();
    assert!(!s.e.gated());
    assert_eq!(s.sent_numbers(), vec![10, 11, 12, 1, 2, 3]);
    assert_eq!(sent_events(&s), vec![1, 2, 3]);
    assert_eq!(s.e.queued(), 0);
    // After release, sends go straight out; a second release is ignored.
    assert_eq!(s.send(4), Ok(Sent::Sent));
    s.e.release(conn, Err("late".into()), s.now);
    s.pump();
    assert!(errors(&s).is_empty());
    assert_eq!(s.e.state(), State::Open);
    // The handshake's request is a normal request (its reply settles it).
    assert!(s.e.metrics(s.now).pending_requests == 1, "request {id} pending");
}

#[test]
fn a_rejected_gate_fails_the_connection_like_an_attempt_and_keeps_the_backlog() {
    let (mut s, held) = gated();
    s.send(1).expect("queued");
    s.open();
    s.send(2).expect("queued behind the gate");
    let conn = held.get().expect("held");
    s.e.release(conn, Err("auth refused".into()), s.now);
    s.pump();
    assert_eq!(errors(&s), vec![(ErrorKind::Handshake, "auth refused".into())]);
    assert_eq!(s.closes.last().map(|c| (c.0, c.1)), Some((conn, 1000)));
    assert_eq!(closes(&s), vec![(1006, "open handler failed".into(), true)]);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert_eq!(s.e.queued(), 2, "nothing lost: the backlog waits for the next connection");
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0)]);
    // The next connection's gate times out after handshakeTimeoutMs (= stableMs here): the
    // backoff grows anyway (a failed attempt, not a stable connection).
    s.advance(1000.0);
    s.open();
    let conn2 = held.get().expect("held again");
    assert_ne!(conn, conn2);
    s.advance(4999.0);
    assert_eq!(s.e.state(), State::Open);
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Reconnecting);
    let errs = errors(&s);
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[1].0, ErrorKind::Handshake);
    assert!(errs[1].1.contains("handshakeTimeoutMs (5000 ms)"), "{}", errs[1].1);
    assert!(errs[1].1.contains("open event's send/request"), "{}", errs[1].1);
    assert_eq!(s.closes.last().map(|c| (c.0, c.1)), Some((conn2, CODE_TIMEOUT)));
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0), Some(2000.0)]);
    // Third time it is released: the whole backlog goes out once, in order.
    s.advance(2000.0);
    s.open();
    let conn3 = held.get().expect("held");
    s.e.release(conn3, Ok(()), s.now);
    s.pump();
    assert_eq!(s.sent_numbers(), vec![10, 10, 10, 1, 2]);
}

#[test]
fn heartbeats_run_while_gated_and_a_dead_peer_still_drops_the_connection() {
    let cfg = Config {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1000.0,
            timeout_ms: 500.0,
            ..HeartbeatConfig::default()
        }),
        session: Session { handshake_timeout_ms: 60_000.0, ..Session::default() },
        ..quiet()
    };
    let mut s = Sim::new(cfg);
    s.on_open = Some(Box::new(|e: &mut Engine<u32>, now| {
        e.hold(now);
    }));
    s.open();
    assert!(s.e.gated());
    s.advance(1000.0);
    assert_eq!(s.pings_sent(), 1, "the heartbeat pings through the gate");
    s.advance(600.0);
    assert_eq!(errors(&s)[0].0, ErrorKind::HeartbeatTimeout);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert!(!s.e.gated(), "the gate dies with its connection");
}

#[test]
fn stale_gate_calls_are_harmless() {
    let (mut s, held) = gated();
    s.open();
    let old = held.get().expect("held");
    s.drop_conn();
    s.advance(1000.0);
    s.on_open = None;
    s.open();
    assert_eq!(s.e.state(), State::Open);
    assert!(!s.e.gated());
    // The old connection's handler settles late: nothing happens to the new one.
    s.e.release(old, Err("late rejection".into()), s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Open);
    assert!(errors(&s).is_empty());
    // Its sends through the gate are dropped as connection-lost, never sent on the new one.
    s.events.clear();
    assert_eq!(s.e.send_on(old, frame(7), 7, s.now), Ok(Sent::Dropped));
    let (id, _) =
        s.e.request_on(old, None, 8, s.now, |id| {
            Frame::Text(steadysocket::core::envelope::encode_request("r", id, "8"))
        })
        .expect("request_on");
    s.pump();
    assert!(!s.sent_numbers().contains(&7) && !s.sent_numbers().contains(&8));
    let drops: Vec<_> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Dropped { meta, reason, .. } => Some((*meta, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(drops, vec![(7, DropReason::ConnectionLost), (8, DropReason::ConnectionLost)]);
    assert!(s.events.contains(&Event::RequestFailed { id, failure: Failure::ConnectionLost }));
    // Not open: nothing to hold; closed: send_on refuses like send.
    s.close();
    assert_eq!(s.e.hold(s.now), None);
    assert_eq!(s.e.send_on(old, frame(9), 9, s.now), Err(SendError::Closed));
}

#[test]
fn an_idle_engine_queues_until_connect_and_close_drops_the_queue() {
    let mut s = Sim::new(quiet());
    s.e = Engine::new_idle(quiet(), 0.0);
    s.connects.clear();
    s.pump();
    assert!(s.connects.is_empty());
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.e.metrics(0.0).attempts, 0);
    assert_eq!(s.send(1), Ok(Sent::Queued));
    let (id, sent) = s.request(2, Some(60_000.0)).expect("queued request");
    assert_eq!(sent, Sent::Queued);
    s.advance(500.0);
    assert!(s.connects.is_empty(), "no attempt before connect()");
    s.e.connect(s.now);
    s.pump();
    assert_eq!(s.connects, vec![s.e.conn()]);
    assert_eq!(s.e.state(), State::Connecting);
    s.e.connect(s.now); // not closed: nothing
    s.pump();
    assert_eq!(s.connects.len(), 1);
    s.open();
    assert_eq!(s.sent_numbers(), vec![1, 2]);
    assert_eq!(s.e.metrics(s.now).pending_requests, 1, "request {id}");
    // close() then connect() starts again.
    s.close();
    s.server_close(1000, "bye");
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.send(3), Err(SendError::Closed), "a closed (not idle) socket refuses");
    s.e.connect(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);

    // close() before connect(): the queue is dropped (closed) and requests fail.
    for shutdown in [false, true] {
        let mut s = Sim::new(quiet());
        s.e = Engine::new_idle(quiet(), 0.0);
        s.send(1).expect("queued");
        let (id, _) = s.request(2, None).expect("queued");
        if shutdown {
            s.e.shutdown(s.now);
        } else {
            s.e.close(1000, "", s.now);
        }
        s.pump();
        let drops = s
            .events
            .iter()
            .filter(|e| matches!(e, Event::Dropped { reason: DropReason::Closed, .. }))
            .count();
        assert_eq!(drops, 2);
        assert!(s.events.contains(&Event::RequestFailed { id, failure: Failure::Closed }));
        assert_eq!(s.send(3), Err(SendError::Closed));
        assert!(
            !s.events.iter().any(|e| matches!(e, Event::Close { .. })),
            "never opened: no close event"
        );
    }
}

#[test]
fn should_reconnect_false_stops_like_a_stop_code() {
    let mut s = Sim::new(quiet());
    s.open();
    s.send(1).expect("sent");
    let c = s.e.conn();
    s.dead.insert(c);
    s.e.on_close_with(c, 4500, "go away", true, false, s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(closes(&s), vec![(4500, "go away".into(), false)]);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, ErrorKind::ReconnectStopped);
    assert_eq!(errs[0].1, "server closed with code 4500, and shouldReconnect returned false");
    // keep = true is on_close: reconnects.
    let mut s = Sim::new(quiet());
    s.open();
    let c = s.e.conn();
    s.e.on_close_with(c, 4500, "", true, true, s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Reconnecting);
    assert!(s.e.poll_action().is_none());
    let _ = Action::<u32>::Flush;
}

// ---------- subscriptions (issue 13) ----------

fn sub(n: u32) -> Frame {
    Frame::Text(format!("SUB{n}"))
}

fn texts(s: &Sim) -> Vec<String> {
    s.sent
        .iter()
        .map(|(_, f)| match f {
            Frame::Text(t) => t.clone(),
            Frame::Binary(b) => format!("<{} bytes>", b.len()),
        })
        .collect()
}

#[test]
fn subscriptions_go_after_open_handlers_and_the_gate_before_the_backlog_on_every_open() {
    let held = Rc::new(Cell::new(None));
    let mut s = Sim::new(quiet());
    let h = held.clone();
    s.on_open = Some(Box::new(move |e: &mut Engine<u32>, now| {
        e.send(frame(10), 10, now).expect("open handler send");
        h.set(e.hold(now));
    }));
    assert!(!s.e.subscribe(1, sub(1), s.now), "not open: registered only");
    s.send(1).expect("queued");
    s.open();
    // Gated: the handler's message only.
    assert_eq!(texts(&s), vec![encode_event("m", "10")]);
    // Registered while gated: waits for the flush too.
    assert!(!s.e.subscribe(2, sub(2), s.now));
    s.e.release(held.get().expect("held"), Ok(()), s.now);
    s.pump();
    assert_eq!(
        texts(&s),
        vec![encode_event("m", "10"), "SUB1".into(), "SUB2".into(), encode_event("m", "1")]
    );
    // After the flush: at once; replacing keeps the place; unsubscribe forgets.
    assert!(s.e.subscribe(3, sub(3), s.now));
    s.pump();
    assert!(s.e.subscribe(1, Frame::Text("SUB1b".into()), s.now));
    s.pump();
    assert!(s.e.unsubscribe(2));
    assert!(!s.e.unsubscribe(2));
    // A reconnect re-sends them (in registration order) before the backlog, every time.
    s.on_open = None;
    s.drop_conn();
    s.send(4).expect("queued while down");
    s.sent.clear();
    s.advance(1000.0);
    s.open();
    assert_eq!(texts(&s), vec!["SUB1b".to_string(), "SUB3".into(), encode_event("m", "4")]);
    assert_eq!(s.e.metrics(s.now).messages_out, 3, "subscriptions are not counted as messages");
}

// ---------- backpressure (issue 13) ----------

fn marked() -> Config {
    Config { water_marks: Some((100, 40)), ..quiet() }
}

#[test]
fn above_the_high_water_mark_sends_wait_in_the_queue_until_the_drain() {
    let mut s = Sim::new(marked());
    s.open();
    // Each frame is ~25 bytes: the 5th crosses 100.
    let mut results = vec![];
    for n in 1..=8 {
        s.e.set_socket_buffered(
            s.sent.iter().map(|(_, f)| steadysocket::core::envelope::WireFrame::wire_len(f)).sum(),
        );
        results.push(s.send(n).expect("accepted"));
    }
    assert!(s.e.congested());
    let sent_now = results.iter().filter(|r| **r == Sent::Sent).count();
    assert!((4..=5).contains(&sent_now), "{results:?}");
    assert!(results[sent_now..].iter().all(|r| *r == Sent::Queued), "{results:?}");
    assert_eq!(s.e.queued(), 8 - sent_now);
    // Still above the low mark at the next check: nothing moves.
    s.e.set_socket_buffered(90);
    s.advance(20.0);
    assert!(s.e.congested());
    assert_eq!(s.sent_numbers().len(), sent_now);
    // Drained to the low mark: a Drain event, then the held messages go, in order, until the
    // buffer is above the high mark again.
    s.e.set_socket_buffered(40);
    s.advance(20.0);
    assert!(s.events.iter().any(|e| matches!(e, Event::Drain)));
    let after = s.sent_numbers();
    assert!(after.len() > sent_now, "{after:?}");
    assert_eq!(after, (1..=after.len() as u32).collect::<Vec<_>>(), "in order");
    // Eventually everything goes (the socket keeps draining).
    for _ in 0..10 {
        s.e.set_socket_buffered(0);
        s.advance(20.0);
    }
    assert_eq!(s.sent_numbers(), (1..=8).collect::<Vec<_>>());
    assert!(!s.e.congested());
    // The queue limits still bound memory while congested (drop-oldest by default).
    let small = Config {
        queue: steadysocket::core::OutboxConfig { max_messages: 3, ..Default::default() },
        ..marked()
    };
    let mut s = Sim::new(small);
    s.open();
    s.e.set_socket_buffered(1000);
    for n in 1..=50 {
        s.send(n).expect("accepted");
    }
    assert!(s.e.queued() <= 3);
    let drops = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Dropped { reason: DropReason::Overflow, .. }))
        .count();
    assert!(drops >= 46, "{drops}");
}

// ---------- possibly lost sends (issue 13, default mode) ----------

#[test]
fn sends_not_confirmed_by_a_pong_are_reported_lost_when_the_connection_dies() {
    let cfg = Config {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 25_000.0,
            timeout_ms: 10_000.0,
            ..HeartbeatConfig::default()
        }),
        confirm_sends: true,
        ..quiet()
    };
    let mut s = Sim::new(cfg);
    s.open();
    s.send(1).expect("sent");
    s.send(2).expect("sent");
    // A ping goes out within CONFIRM_MS of the first unconfirmed send.
    s.advance(steadysocket::core::machine::CONFIRM_MS);
    assert_eq!(s.pings_sent(), 1);
    s.send(3).expect("sent after the ping");
    // The pong confirms 1 and 2 (sent before the ping), not 3.
    s.inbound(r#"{"type":"pong"}"#);
    s.send(4).expect("sent");
    // A request is not tracked: it fails connection-lost by itself.
    let (id, _) = s.request(5, None).expect("request");
    s.drop_conn();
    let lost: Vec<u32> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Lost { meta, .. } => Some(*meta),
            _ => None,
        })
        .collect();
    assert_eq!(lost, vec![3, 4]);
    assert!(s.events.contains(&Event::RequestFailed { id, failure: Failure::ConnectionLost }));
    // The next connection starts clean.
    s.events.clear();
    s.advance(1000.0);
    s.open();
    s.drop_conn();
    assert!(!s.events.iter().any(|e| matches!(e, Event::Lost { .. })));
    // Off by default.
    let mut s = Sim::new(quiet());
    s.open();
    s.send(1).expect("sent");
    s.drop_conn();
    assert!(!s.events.iter().any(|e| matches!(e, Event::Lost { .. })));
}

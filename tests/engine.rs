//! Simulated-clock scenarios for the sans-IO engine, one per behaviour:
//! - states and transitions; initial connect; reconnect after a drop within the delay window
//! - backoff growth on refused attempts, the cap, `stableMs`, `connectTimeoutMs`, `maxAttempts`
//! - close policy: 1008 / 4000–4099 stop, others reconnect, configurable table, `retryAfterMs`
//! - `online`/`offline`, visibility and `pageshow` inputs
//! - heartbeat: dead-peer detection time, late ticks, proof of life, RTT
//! - outbox: order across reconnect, open-handler sends first, overflow policies, TTL
//! - requests: reply, remote error, timeout (queued time counts), connection-lost, closed
//! - `maxMessageBytes`, malformed frames, user `close()`, `reconnect()`, metrics
//! - transmit failures (direct, backlog, request, heartbeat): dropped `connection-lost`, never sent
//! - give-up always reported (`reconnect-failed`, `reconnect-stopped`), RTT across reconnects,
//!   `retryAfterMs` clamped, handlers calling back in (FIFO), `Debug`
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::Sim;
use steadysocket::core::heartbeat::HeartbeatConfig;
use steadysocket::core::{
    Action, BackoffConfig, ClosePolicy, Config, Delivery, DropReason, ErrorKind, Event, Failure,
    Frame, FrameKind, Msg, OutboxConfig, Overflow, ReconnectConfig, SendError, Sent, State,
};

fn no_jitter() -> Config {
    Config {
        reconnect: Some(ReconnectConfig {
            backoff: BackoffConfig { jitter: 0.0, ..Default::default() },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn quiet() -> Config {
    Config { heartbeat: None, ..no_jitter() }
}

fn errors(sim: &Sim) -> Vec<ErrorKind> {
    sim.events
        .iter()
        .filter_map(|e| if let Event::Error { kind, .. } = e { Some(*kind) } else { None })
        .collect()
}

fn failures(sim: &Sim) -> Vec<(u64, Failure)> {
    sim.events
        .iter()
        .filter_map(|e| {
            if let Event::RequestFailed { id, failure } = e {
                Some((*id, *failure))
            } else {
                None
            }
        })
        .collect()
}

fn drops(sim: &Sim) -> Vec<(u32, DropReason)> {
    sim.events
        .iter()
        .filter_map(|e| {
            if let Event::Dropped { meta, reason, .. } = e {
                Some((*meta, *reason))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn connects_opens_and_sends() {
    let mut s = Sim::new(quiet());
    assert_eq!(s.connects, [1]);
    assert_eq!(s.e.state(), State::Connecting);
    s.open();
    assert_eq!(s.states(), [State::Open]);
    assert!(s.events.contains(&Event::Open { reconnected: false, attempt: 0 }));
    assert_eq!(s.send(1), Ok(Sent::Sent));
    assert_eq!(s.sent_numbers(), [1]);
}

#[test]
fn reconnects_after_drop_within_jitter_window() {
    let mut s = Sim::new(Config { heartbeat: None, ..Default::default() });
    s.open();
    s.take_events();
    s.drop_conn();
    let delays = s.reconnect_delays();
    let d = delays[0].unwrap_or(f64::NAN);
    assert!((125.0..=250.0).contains(&d), "first delay {d} outside [125, 250]");
    assert_eq!(s.states(), [State::Reconnecting]);
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Close { code: 1006, will_reconnect: true, .. })));
    s.advance(d - 1.0);
    assert_eq!(s.e.state(), State::Reconnecting, "no attempt before the delay");
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Connecting);
    s.open();
    assert!(s.events.contains(&Event::Open { reconnected: true, attempt: 1 }));
    assert_eq!(s.e.metrics(s.now).reconnects, 1);
}

#[test]
fn refused_attempts_back_off_exponentially_up_to_the_cap() {
    let mut s = Sim::new(quiet());
    for _ in 0..8 {
        s.drop_conn(); // the attempt fails before opening
        s.run_until_state(State::Connecting, 60_000.0);
    }
    let delays: Vec<f64> = s.reconnect_delays().into_iter().flatten().collect();
    assert_eq!(delays, [250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 10000.0, 10000.0]);
    assert_eq!(errors(&s).iter().filter(|k| **k == ErrorKind::Connect).count(), 8);
    assert_eq!(s.e.metrics(s.now).attempts, 9);
}

#[test]
fn counter_resets_only_after_stable_connection() {
    let mut s = Sim::new(quiet());
    s.drop_conn();
    s.run_until_state(State::Connecting, 1e6);
    s.drop_conn();
    s.run_until_state(State::Connecting, 1e6);
    // Opens, then the server drops it at once: no reset, the next delay keeps growing.
    s.open();
    s.advance(100.0);
    s.drop_conn();
    s.run_until_state(State::Connecting, 1e6);
    s.open();
    s.advance(5000.0); // stable
    s.drop_conn();
    let delays: Vec<f64> = s.reconnect_delays().into_iter().flatten().collect();
    assert_eq!(delays, [250.0, 500.0, 1000.0, 250.0]);
}

#[test]
fn connect_timeout_counts_as_failed_attempt() {
    let mut s = Sim::new(quiet());
    s.advance(9_999.0);
    assert_eq!(s.e.state(), State::Connecting);
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert_eq!(errors(&s), [ErrorKind::ConnectTimeout]);
    assert_eq!(s.closes, [(1, 3008, "connect timeout".to_string(), false)]);
    // A late open of the abandoned socket is ignored.
    s.e.on_open(1, s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Reconnecting);
}

#[test]
fn max_attempts_then_closed() {
    let mut cfg = quiet();
    if let Some(r) = &mut cfg.reconnect {
        r.backoff.max_attempts = Some(2);
    }
    let mut s = Sim::new(cfg);
    s.send(1).ok();
    for _ in 0..3 {
        s.drop_conn();
        s.run_until_state(State::Connecting, 1e6);
    }
    assert_eq!(s.e.state(), State::Closed);
    assert!(errors(&s).contains(&ErrorKind::ReconnectFailed));
    assert_eq!(drops(&s), [(1, DropReason::Closed)]);
    assert_eq!(s.e.poll_timeout(), None);
    assert_eq!(s.send(2), Err(SendError::Closed));
}

#[test]
fn close_policy_default_table() {
    for (code, reconnects) in [
        (1000, true),
        (1001, true),
        (1011, true),
        (1008, false),
        (4000, false),
        (4099, false),
        (4100, true),
    ] {
        let mut s = Sim::new(quiet());
        s.open();
        s.server_close(code, "");
        let expect = if reconnects { State::Reconnecting } else { State::Closed };
        assert_eq!(s.e.state(), expect, "code {code}");
        assert!(s.events.iter().any(|e| matches!(e, Event::Close { code: c, will_reconnect, .. } if *c == code && *will_reconnect == reconnects)));
        if !reconnects {
            assert_eq!(s.e.poll_timeout(), None);
            assert_eq!(errors(&s), [ErrorKind::ReconnectStopped], "code {code}");
        } else {
            assert!(errors(&s).is_empty());
        }
    }
}

#[test]
fn close_policy_is_configurable_and_retry_after_is_honoured() {
    let mut cfg = quiet();
    if let Some(r) = &mut cfg.reconnect {
        r.policy = ClosePolicy { stop_codes: vec![(1000, 1000)] };
    }
    let mut s = Sim::new(cfg.clone());
    s.open();
    s.server_close(1008, r#"{"retryAfterMs":3000}"#);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert_eq!(s.reconnect_delays(), [Some(3000.0)]);
    s.advance(2999.0);
    assert_eq!(s.e.state(), State::Reconnecting);
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Connecting);
    s.open();
    s.server_close(1000, "");
    assert_eq!(s.e.state(), State::Closed);
}

#[test]
fn offline_pauses_and_online_attempts_now_with_reset_delay() {
    let mut s = Sim::new(quiet());
    for _ in 0..3 {
        s.drop_conn();
        s.run_until_state(State::Connecting, 1e6);
    }
    s.drop_conn();
    assert_eq!(s.e.state(), State::Reconnecting);
    s.e.on_offline(s.now);
    s.pump();
    assert_eq!(s.reconnect_delays().last(), Some(&None));
    assert_eq!(s.e.poll_timeout(), None, "no attempts while offline");
    s.advance(60_000.0);
    assert_eq!(s.e.state(), State::Reconnecting);
    s.e.on_online(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting, "attempt at once when online");
    s.drop_conn();
    assert_eq!(s.reconnect_delays().last(), Some(&Some(250.0)), "delay reset by online");
    // Failing while offline waits for the network.
    s.run_until_state(State::Connecting, 1e6);
    s.e.on_offline(s.now);
    s.drop_conn();
    assert_eq!(s.reconnect_delays().last(), Some(&None));
}

#[test]
fn offline_and_visible_probe_an_open_connection() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.e.on_offline(s.now);
    s.pump();
    assert_eq!(s.pings_sent(), 1, "offline makes the connection suspect: probe");
    s.advance(9_999.0);
    assert_eq!(s.e.state(), State::Open);
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Reconnecting, "no answer to the probe: dead");

    let mut s = Sim::new(no_jitter());
    s.open();
    s.e.on_visibility(true, s.now);
    s.pump();
    assert_eq!(s.pings_sent(), 0, "visible without having been hidden: nothing");
    s.e.on_visibility(false, s.now);
    s.e.on_visibility(true, s.now);
    s.pump();
    assert_eq!(s.pings_sent(), 1);
    s.inbound(r#"{"type":"pong"}"#);
    s.e.on_resume(s.now);
    s.pump();
    assert_eq!(s.pings_sent(), 2, "pageshow probes too");
}

#[test]
fn visible_while_reconnecting_attempts_now() {
    let mut s = Sim::new(quiet());
    for _ in 0..4 {
        s.drop_conn();
        s.run_until_state(State::Connecting, 1e6);
    }
    s.drop_conn();
    s.e.on_visibility(false, s.now);
    s.e.on_visibility(true, s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
}

#[test]
fn silent_peer_is_declared_dead_within_interval_plus_timeout() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.inbound(r#"{"type":"x","data":1}"#);
    let last_in = s.now;
    let took = s.run_until_state(State::Reconnecting, 1e6).unwrap_or(f64::INFINITY);
    assert_eq!(took, 35_000.0, "interval 25 s + timeout 10 s after the last inbound");
    assert_eq!(s.pings_sent(), 1);
    assert!(s.closes.contains(&(1, 3008, "heartbeat timeout".into(), false)));
    assert!(s.events.iter().any(|e| matches!(e, Event::Close { code: 1006, reason, will_reconnect: true, .. } if reason == "heartbeat timeout")));
    assert!(s.now - last_in <= 35_000.0);
}

#[test]
fn sending_client_still_detects_a_dead_server() {
    let mut s = Sim::new(no_jitter());
    s.open();
    for i in 0..100 {
        s.advance(1000.0);
        if s.e.state() != State::Open {
            break;
        }
        s.send(i).ok();
    }
    assert_eq!(s.e.state(), State::Reconnecting);
    assert!(s.now <= 35_000.0, "declared dead at {}", s.now);
}

#[test]
fn late_timer_probes_instead_of_false_dead_verdict() {
    let mut s = Sim::new(no_jitter());
    s.open();
    // The tab is throttled: the 25 s ping tick fires 60 s late.
    s.advance_late(25_000.0, 60_000.0);
    assert_eq!(s.now, 85_000.0);
    assert_eq!(s.e.state(), State::Open, "a late tick must not declare death");
    assert_eq!(s.pings_sent(), 1);
    s.advance(500.0);
    s.inbound(r#"{"type":"pong"}"#);
    assert_eq!(s.e.rtt().latest, Some(500.0));
    s.advance(30_000.0);
    assert_eq!(s.e.state(), State::Open);
}

#[test]
fn any_inbound_is_proof_of_life_and_rtt_is_measured() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.advance(25_000.0);
    assert_eq!(s.pings_sent(), 1);
    s.advance(9_000.0);
    assert_eq!(s.inbound("hello raw"), Delivery::Raw);
    s.advance(5_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(s.e.rtt().latest, None, "only a pong gives an RTT sample");
    s.inbound(r#"{"type":"pong"}"#);
    assert_eq!(s.e.rtt().latest, Some(14_000.0));
    assert!(
        matches!(s.events.last(), Some(Event::Rtt(r)) if r.latest == Some(14_000.0)),
        "an rtt event per sample"
    );
    let n = s.events.len();
    s.inbound(r#"{"type":"pong"}"#);
    assert_eq!(s.events.len(), n, "an unsolicited pong gives no sample and no event");
    assert!(s.e.rtt().smoothed.is_some() && s.e.rtt().jitter.is_some());
}

#[test]
fn queue_order_across_reconnect_and_open_handler_sends_go_first() {
    let mut s = Sim::new(quiet());
    s.on_open = Some(Box::new(|e, now| {
        let f =
            steadysocket::core::Frame::Text(steadysocket::core::envelope::encode_event("m", "100"));
        assert_eq!(e.send(f, 100, now), Ok(Sent::Sent));
    }));
    for n in 1..=3 {
        assert_eq!(s.send(n), Ok(Sent::Queued));
    }
    s.open();
    assert_eq!(s.sent_numbers(), [100, 1, 2, 3]);
    s.on_open = None;
    s.drop_conn();
    for n in 4..=6 {
        assert_eq!(s.send(n), Ok(Sent::Queued));
    }
    assert_eq!(s.e.queued(), 3);
    s.run_until_state(State::Connecting, 1e6);
    s.open();
    s.send(7).ok();
    assert_eq!(s.sent_numbers(), [100, 1, 2, 3, 4, 5, 6, 7]);
    let sent_events: Vec<u32> = s
        .events
        .iter()
        .filter_map(|e| if let Event::Sent { meta, .. } = e { Some(*meta) } else { None })
        .collect();
    assert_eq!(
        sent_events,
        [1, 2, 3, 4, 5, 6],
        "one Sent event per queued message, none for direct sends"
    );
    assert!(drops(&s).is_empty());
}

#[test]
fn overflow_policies() {
    let with = |overflow, max_messages| Config {
        queue: OutboxConfig { max_messages, overflow, ..Default::default() },
        ..quiet()
    };
    let mut s = Sim::new(with(Overflow::DropOldest, 2));
    for n in 1..=4 {
        assert_eq!(s.send(n), Ok(Sent::Queued));
    }
    assert_eq!(drops(&s), [(1, DropReason::Overflow), (2, DropReason::Overflow)]);
    s.open();
    assert_eq!(s.sent_numbers(), [3, 4]);

    let mut s = Sim::new(with(Overflow::DropNewest, 2));
    let got: Vec<_> = (1..=4).map(|n| s.send(n)).collect();
    assert_eq!(got, [Ok(Sent::Queued), Ok(Sent::Queued), Ok(Sent::Dropped), Ok(Sent::Dropped)]);
    assert_eq!(drops(&s), [(3, DropReason::Overflow), (4, DropReason::Overflow)]);

    let mut s = Sim::new(with(Overflow::Error, 2));
    let got: Vec<_> = (1..=3).map(|n| s.send(n)).collect();
    assert_eq!(got, [Ok(Sent::Queued), Ok(Sent::Queued), Err(SendError::QueueFull)]);
    assert!(drops(&s).is_empty(), "refused, not dropped");

    // Bytes bound: a 29-byte frame each, 64 bytes fit two.
    let mut s =
        Sim::new(Config { queue: OutboxConfig { max_bytes: 64, ..Default::default() }, ..quiet() });
    for n in 10..=12 {
        s.send(n).ok();
    }
    assert_eq!(drops(&s), [(10, DropReason::Overflow)]);
    assert!(s.e.metrics(s.now).queued_bytes <= 64);
}

#[test]
fn ttl_expiry_is_reported() {
    let mut s = Sim::new(Config {
        queue: OutboxConfig { ttl_ms: Some(1000.0), ..Default::default() },
        ..quiet()
    });
    s.send(1).ok();
    s.advance(500.0);
    s.send(2).ok();
    s.advance(500.0);
    assert_eq!(drops(&s), [(1, DropReason::Expired)]);
    s.advance(499.0);
    s.open();
    assert_eq!(s.sent_numbers(), [2]);
}

#[test]
fn requests_resolve_fail_and_time_out() {
    let mut s = Sim::new(quiet());
    // Queued time counts toward the deadline.
    let (a, sent) = s.request(1, Some(1000.0)).unwrap_or((0, Sent::Dropped));
    assert_eq!(sent, Sent::Queued);
    s.advance(1000.0);
    assert_eq!(failures(&s), [(a, Failure::Timeout)]);
    assert_eq!(drops(&s), [(1, DropReason::Expired)], "its queued frame is reported too");
    s.open();
    assert!(s.sent_numbers().is_empty());

    let (b, _) = s.request(2, None).unwrap();
    assert_eq!(
        s.inbound(&format!(r#"{{"replyTo":{b},"data":3}}"#)),
        Delivery::Reply { id: b, error: false }
    );
    let (c, _) = s.request(3, None).unwrap();
    assert_eq!(
        s.inbound(&format!(r#"{{"replyTo":{c},"error":{{"message":"no","code":"x"}}}}"#)),
        Delivery::Reply { id: c, error: true }
    );
    // A second reply for the same id, and an unknown id: protocol errors, not deliveries.
    assert_eq!(s.inbound(&format!(r#"{{"replyTo":{c},"data":1}}"#)), Delivery::Ignore);
    assert_eq!(s.inbound(r#"{"replyTo":424242,"data":1}"#), Delivery::Ignore);
    assert_eq!(errors(&s), [ErrorKind::Protocol, ErrorKind::Protocol]);

    // Transmitted, then the connection dies: connection-lost, no re-send.
    let (d, _) = s.request(4, None).unwrap();
    s.drop_conn();
    assert!(failures(&s).contains(&(d, Failure::ConnectionLost)));
    // Queued, then closed: closed.
    let (e, _) = s.request(5, None).unwrap();
    s.close();
    assert!(failures(&s).contains(&(e, Failure::Closed)));
    assert_eq!(s.request(6, None), Err(SendError::Closed));
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn request_in_flight_during_user_close_can_still_be_answered() {
    let mut s = Sim::new(quiet());
    s.open();
    let (a, _) = s.request(1, None).unwrap();
    let (b, _) = s.request(2, None).unwrap();
    s.close();
    assert_eq!(s.e.state(), State::Closing);
    assert_eq!(
        s.inbound(&format!(r#"{{"replyTo":{a},"data":null}}"#)),
        Delivery::Reply { id: a, error: false }
    );
    s.server_close(1000, "bye");
    assert_eq!(failures(&s), [(b, Failure::Closed)]);
    assert_eq!(s.e.state(), State::Closed);
}

#[test]
fn max_message_bytes_refuses_frame_but_keeps_connection() {
    let mut s = Sim::new(Config { max_message_bytes: 100, ..quiet() });
    s.open();
    assert_eq!(s.inbound_kind(101, FrameKind::Event), Delivery::Ignore);
    assert_eq!(errors(&s), [ErrorKind::MessageTooBig]);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(s.inbound_kind(100, FrameKind::Event), Delivery::Event);
}

#[test]
fn malformed_and_raw_frames() {
    let mut s = Sim::new(quiet());
    s.open();
    assert_eq!(s.inbound(r#"{"replyTo":"x","data":1}"#), Delivery::Ignore);
    assert_eq!(errors(&s), [ErrorKind::Protocol]);
    for raw in ["not json {", "[1,2,3]", r#"{"foo":1}"#, r#"{"type":42}"#] {
        assert_eq!(s.inbound(raw), Delivery::Raw, "{raw}");
    }
    assert_eq!(s.inbound_kind(4, FrameKind::Raw), Delivery::Raw);
    // A server ping is answered and not delivered.
    assert_eq!(s.inbound(r#"{"type":"ping"}"#), Delivery::Ignore);
    assert!(
        matches!(&s.sent.last(), Some((_, steadysocket::core::Frame::Text(t))) if t == r#"{"type":"pong"}"#)
    );
    assert_eq!(s.e.state(), State::Open);
}

#[test]
fn user_close_from_every_state() {
    // Open: closing, then closed on the close event.
    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    assert_eq!(s.e.state(), State::Closing);
    assert_eq!(s.closes, [(1, 1000, "bye".into(), true)]);
    assert_eq!(s.send(1), Err(SendError::Closed));
    s.server_close(1000, "bye");
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.states(), [State::Open, State::Closing, State::Closed]);
    assert_eq!(s.e.poll_timeout(), None);
    s.close(); // idempotent
    assert_eq!(s.states().len(), 3);

    // The server never completes the handshake: closed after closeTimeoutMs.
    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    s.advance(3000.0);
    assert_eq!(s.e.state(), State::Closed);

    // Reconnecting with a backlog: dropped as closed, no more timers.
    let mut s = Sim::new(quiet());
    s.drop_conn();
    s.send(1).ok();
    s.send(2).ok();
    s.close();
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(drops(&s), [(1, DropReason::Closed), (2, DropReason::Closed)]);
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn disconnect_keeps_the_queue_until_connect_and_resume_restarts_a_closing_socket() {
    // Open: disconnect → closed at once (clean Close); sends queue (not refused); a request
    // in flight fails `closed`, a queued one waits; connect(); the backlog goes in order.
    let mut s = Sim::new(quiet());
    s.open();
    let (inflight, _) = s.request(9, None).unwrap();
    s.e.disconnect(1000, "bye", s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Closed);
    assert!(s.events.iter().any(|e| matches!(e, Event::Close { will_reconnect: false, .. })));
    assert_eq!(s.send(1), Ok(Sent::Queued));
    let (queued, _) = s.request(2, None).unwrap();
    s.e.connect(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    assert_eq!(failures(&s), [(inflight, Failure::Closed)]);
    assert!(drops(&s).is_empty());
    s.open();
    assert_eq!(s.sent_numbers(), [9, 1, 2]);
    assert!(s.e.request_pending(queued));

    // resume() while closing (after close()): abandons the socket, attempts at once.
    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    assert_eq!(s.e.state(), State::Closing);
    s.e.resume(1000, "bye", s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    s.open();
    assert_eq!(s.e.state(), State::Open);

    // close() after disconnect() drops the queue after all; drop_queued drops too-big frames.
    let mut s = Sim::new(quiet());
    s.open();
    s.e.disconnect(1000, "bye", s.now);
    s.pump();
    s.send(4).ok();
    s.send(5).ok();
    assert_eq!(s.e.drop_queued(|f| common::frame_number(f) == Some(5), "too big"), 1);
    s.pump();
    s.close();
    assert_eq!(drops(&s), [(5, DropReason::TooBig), (4, DropReason::Closed)]);
    assert_eq!(errors(&s), [ErrorKind::MessageTooBig]);
}

#[test]
fn shutdown_finalizes_at_once() {
    let mut s = Sim::new(quiet());
    s.open();
    let (a, _) = s.request(1, None).unwrap();
    s.close();
    assert_eq!(s.e.state(), State::Closing);
    s.e.shutdown(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(failures(&s), [(a, Failure::Closed)]);
    assert_eq!(s.e.poll_timeout(), None);
    let mut s = Sim::new(quiet());
    s.drop_conn();
    s.send(7).unwrap();
    s.e.shutdown(s.now);
    s.pump();
    assert_eq!(drops(&s), [(7, DropReason::Closed)]);
    s.e.shutdown(s.now); // idempotent
    s.pump();
    assert_eq!(drops(&s).len(), 1);
}

#[test]
fn manual_reconnect() {
    let mut s = Sim::new(quiet());
    s.open();
    let (a, _) = s.request(1, None).unwrap();
    s.e.reconnect(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    assert_eq!(s.closes, [(1, 1000, "reconnect".into(), false)]);
    assert_eq!(failures(&s), [(a, Failure::ConnectionLost)]);
    s.open();
    // From closed: starts again.
    s.close();
    s.server_close(1000, "");
    assert_eq!(s.e.state(), State::Closed);
    s.e.reconnect(s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    assert!(s.e.poll_timeout().is_some());
}

#[test]
fn reconnect_disabled_closes_on_loss() {
    let mut s = Sim::new(Config { reconnect: None, heartbeat: None, ..Default::default() });
    s.open();
    s.drop_conn();
    assert_eq!(s.e.state(), State::Closed);
    assert!(s.events.iter().any(|e| matches!(e, Event::Close { will_reconnect: false, .. })));
}

#[test]
fn url_provider_failure_counts_as_attempt() {
    let mut s = Sim::new(quiet());
    s.e.on_connect_failed(1, "provider threw".into(), s.now);
    s.pump();
    assert_eq!(errors(&s), [ErrorKind::Url]);
    assert_eq!(s.e.state(), State::Reconnecting);
}

#[test]
fn metrics_track_traffic_and_downtime() {
    let mut s = Sim::new(quiet());
    s.send(1).ok();
    s.advance(400.0);
    s.open();
    s.send(2).ok();
    s.inbound(r#"{"type":"x","data":null}"#);
    s.advance(1000.0);
    s.drop_conn();
    s.advance(100.0);
    let m = s.e.metrics(s.now);
    assert_eq!((m.messages_out, m.messages_in), (2, 1));
    assert_eq!(m.downtime_ms, 500.0);
    assert_eq!(m.attempts, 1);
    assert!(m.bytes_out > 0 && m.bytes_in > 0);
}

#[test]
fn stale_inputs_from_old_connections_are_ignored() {
    let mut s = Sim::new(quiet());
    s.open();
    s.drop_conn();
    s.run_until_state(State::Connecting, 1e6);
    s.e.on_close(1, 1000, "", true, s.now);
    s.e.on_open(1, s.now);
    assert_eq!(s.e.on_frame(1, 10, FrameKind::Event, s.now), Delivery::Ignore);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    assert!(
        s.e.poll_action().is_none() || !matches!(s.e.poll_action(), Some(Action::Connect { .. }))
    );
}

#[test]
fn heartbeat_disabled_never_pings() {
    let mut s = Sim::new(quiet());
    s.open();
    s.advance(1e6);
    assert_eq!(s.pings_sent(), 0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(s.e.poll_timeout(), None);
    let _ = HeartbeatConfig::default();
}

// ----- transmit failures: nothing vanishes silently -----

fn sent_events(sim: &Sim) -> Vec<u32> {
    sim.events
        .iter()
        .filter_map(|e| if let Event::Sent { meta, .. } = e { Some(*meta) } else { None })
        .collect()
}

#[test]
fn refused_direct_send_is_dropped_as_connection_lost() {
    let mut s = Sim::new(quiet());
    s.open();
    assert_eq!(s.send(1), Ok(Sent::Sent));
    s.socket_closing(); // the server's close frame arrived; the close event has not
    assert_eq!(s.send(2), Ok(Sent::Sent), "the engine cannot know yet");
    assert_eq!(s.sent_numbers(), [1]);
    assert_eq!(s.refused_numbers(), [2]);
    assert_eq!(drops(&s), [(2, DropReason::ConnectionLost)]);
    assert!(sent_events(&s).is_empty());
    let m = s.e.metrics(s.now);
    assert_eq!((m.messages_out, m.dropped), (1, 1), "the refused frame is not counted as out");
    assert_eq!(m.bytes_out, s.sent.iter().map(|(_, f)| f.len() as u64).sum::<u64>());
    assert_eq!(s.e.state(), State::Open, "the close event decides the connection's fate");
    s.drop_conn();
    assert_eq!(s.e.state(), State::Reconnecting);
    assert_eq!(drops(&s).len(), 1, "reported once");
}

#[test]
fn refused_backlog_frames_get_no_sent_event_but_a_drop() {
    let mut s = Sim::new(quiet());
    for n in 1..=3 {
        assert_eq!(s.send(n), Ok(Sent::Queued));
    }
    // The socket starts closing right after the first backlog frame went out.
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Sent { meta: 1, .. }) {
            let c = ctx.e.conn();
            ctx.dead.insert(c);
        }
    }));
    s.open();
    assert_eq!(s.sent_numbers(), [1]);
    assert_eq!(sent_events(&s), [1]);
    assert_eq!(drops(&s), [(2, DropReason::ConnectionLost), (3, DropReason::ConnectionLost)]);
    // Each drop comes out where its Sent would have: right after its refused transmit.
    let tail: Vec<_> = s.events.iter().rev().take(2).collect();
    assert!(tail.iter().all(|e| matches!(e, Event::Dropped { .. })), "{tail:?}");
    assert_eq!(s.e.queued(), 0);
    assert_eq!(s.e.metrics(s.now).messages_out, 1);

    // The whole backlog refused: no Sent event at all.
    let mut s = Sim::new(quiet());
    s.send(7).ok();
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Open { .. }) {
            let c = ctx.e.conn();
            ctx.dead.insert(c);
        }
    }));
    s.open();
    assert!(sent_events(&s).is_empty());
    assert_eq!(drops(&s), [(7, DropReason::ConnectionLost)]);
}

#[test]
fn refused_request_frame_fails_the_request_once() {
    // Sent directly while open.
    let mut s = Sim::new(quiet());
    s.open();
    s.socket_closing();
    let (a, sent) = s.request(1, None).unwrap_or((0, Sent::Dropped));
    assert_eq!(sent, Sent::Sent);
    assert_eq!(failures(&s), [(a, Failure::ConnectionLost)]);
    assert!(matches!(
        s.events.iter().find(|e| matches!(e, Event::Dropped { .. })),
        Some(Event::Dropped { meta: 1, reason: DropReason::ConnectionLost, request: Some(r), .. }) if *r == a
    ));
    assert_eq!(s.e.metrics(s.now).pending_requests, 0);
    s.drop_conn();
    s.advance(60_000.0);
    assert_eq!(failures(&s), [(a, Failure::ConnectionLost)], "exactly once");

    // From the backlog.
    let mut s = Sim::new(quiet());
    let (b, _) = s.request(2, None).unwrap_or((0, Sent::Dropped));
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Open { .. }) {
            let c = ctx.e.conn();
            ctx.dead.insert(c);
        }
    }));
    s.open();
    s.on_emit = None;
    s.drop_conn();
    s.advance(60_000.0);
    assert_eq!(failures(&s), [(b, Failure::ConnectionLost)]);
    assert_eq!(drops(&s), [(2, DropReason::ConnectionLost)]);
    assert!(sent_events(&s).is_empty());
    s.close();
    assert_eq!(failures(&s).len(), 1);
}

#[test]
fn refused_heartbeat_frames_report_nothing() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.socket_closing();
    s.advance(25_000.0);
    assert_eq!(s.attempts.len(), 1, "the ping was attempted");
    assert!(s.sent.is_empty());
    assert!(drops(&s).is_empty() && errors(&s).is_empty());
    assert_eq!(s.e.metrics(s.now).bytes_out, 0);
    assert_eq!(s.e.metrics(s.now).dropped, 0);
    assert_eq!(s.inbound(r#"{"type":"ping"}"#), Delivery::Ignore); // the pong is refused too
    assert!(drops(&s).is_empty());
}

#[test]
fn transmit_actions_carry_their_message() {
    let mut s = Sim::new(no_jitter());
    s.send(1).ok();
    s.open();
    s.send(2).ok();
    let (id, _) = s.request(3, None).unwrap_or((0, Sent::Dropped));
    s.advance(25_000.0);
    let msgs: Vec<Option<Msg<u32>>> = s.attempts.iter().map(|a| a.msg.clone()).collect();
    assert_eq!(
        msgs,
        [
            Some(Msg { meta: 1, request: None }),
            Some(Msg { meta: 2, request: None }),
            Some(Msg { meta: 3, request: Some(id) }),
            None,
        ]
    );
}

// ----- give-up is always reported -----

fn tail_kinds(sim: &Sim) -> Vec<&'static str> {
    sim.events
        .iter()
        .filter_map(|e| match e {
            Event::Close { .. } => Some("close"),
            Event::Error { kind: ErrorKind::ReconnectFailed, .. } => Some("reconnect-failed"),
            Event::Error { kind: ErrorKind::ReconnectStopped, .. } => Some("reconnect-stopped"),
            Event::State { to: State::Closed, .. } => Some("closed"),
            _ => None,
        })
        .collect()
}

#[test]
fn accept_then_drop_exhausting_max_attempts_reports_reconnect_failed() {
    let mut cfg = quiet();
    if let Some(r) = &mut cfg.reconnect {
        r.backoff.max_attempts = Some(2);
    }
    let mut s = Sim::new(cfg);
    s.send(1).ok();
    for _ in 0..3 {
        s.open();
        s.drop_conn();
        s.run_until_state(State::Connecting, 1e6);
    }
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(tail_kinds(&s), ["close", "close", "close", "reconnect-failed", "closed"]);
    assert!(s.events.iter().any(|e| matches!(e, Event::Error { message, .. } if message == "gave up after 2 reconnect attempts")));
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn zero_attempts_and_heartbeat_death_report_reconnect_failed() {
    let mut cfg = no_jitter();
    if let Some(r) = &mut cfg.reconnect {
        r.backoff.max_attempts = Some(0);
    }
    let mut s = Sim::new(cfg.clone());
    s.open();
    s.drop_conn();
    assert_eq!(tail_kinds(&s), ["close", "reconnect-failed", "closed"]);

    let mut s = Sim::new(cfg.clone());
    s.open();
    s.run_until_state(State::Closed, 1e6);
    assert_eq!(
        tail_kinds(&s),
        ["close", "reconnect-failed", "closed"],
        "dead peer, no attempts left"
    );

    // Never opened: the attempt fails, no retries allowed.
    let mut s = Sim::new(cfg);
    s.drop_conn();
    assert_eq!(errors(&s), [ErrorKind::Connect, ErrorKind::ReconnectFailed]);
    assert_eq!(s.e.state(), State::Closed);
}

#[test]
fn stop_code_reports_reconnect_stopped_between_close_and_closed() {
    let mut s = Sim::new(quiet());
    s.send(9).ok();
    s.open();
    s.send(1).ok();
    s.server_close(4001, "go away");
    assert_eq!(tail_kinds(&s), ["close", "reconnect-stopped", "closed"]);
    let msg = s.events.iter().find_map(|e| match e {
        Event::Error { kind: ErrorKind::ReconnectStopped, message } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(
        msg.as_deref(),
        Some("server closed with code 4001, which is in reconnect.stopOnCodes")
    );
}

#[test]
fn no_give_up_error_for_user_close_shutdown_or_disabled_reconnect() {
    let mut s = Sim::new(Config { reconnect: None, heartbeat: None, ..Default::default() });
    s.open();
    s.server_close(4000, "");
    assert_eq!(tail_kinds(&s), ["close", "closed"]);
    let mut s = Sim::new(Config { reconnect: None, heartbeat: None, ..Default::default() });
    s.drop_conn();
    assert_eq!(errors(&s), [ErrorKind::Connect]);
    assert_eq!(s.e.state(), State::Closed);

    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    s.server_close(4000, "");
    let mut t = Sim::new(quiet());
    t.drop_conn();
    t.e.shutdown(t.now);
    t.pump();
    for sim in [&s, &t] {
        assert_eq!(sim.e.state(), State::Closed);
        assert!(!errors(sim)
            .iter()
            .any(|k| matches!(k, ErrorKind::ReconnectFailed | ErrorKind::ReconnectStopped)));
    }
}

// ----- RTT survives reconnects -----

#[test]
fn rtt_survives_reconnects_and_keeps_smoothing() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.advance(25_000.0);
    s.advance(40.0);
    s.inbound(r#"{"type":"pong"}"#);
    let first = s.e.rtt();
    assert_eq!((first.latest, first.smoothed, first.jitter), (Some(40.0), Some(40.0), Some(20.0)));
    s.drop_conn();
    assert_eq!(s.e.rtt(), first, "kept while reconnecting");
    s.run_until_state(State::Connecting, 1e6);
    s.open();
    assert_eq!(s.e.rtt(), first, "kept after the reconnect, until a new sample");
    assert_eq!(s.e.metrics(s.now).rtt, first);
    s.advance(25_000.0);
    s.advance(80.0);
    s.inbound(r#"{"type":"pong"}"#);
    let r = s.e.rtt();
    assert_eq!((r.latest, r.smoothed, r.jitter), (Some(80.0), Some(45.0), Some(25.0)));
}

// ----- server advice is bounded -----

#[test]
fn retry_after_is_clamped_and_bad_advice_ignored() {
    let delay_after = |max_retry_after_ms: Option<f64>, reason: &str| {
        let mut cfg = quiet();
        if let (Some(r), Some(m)) = (&mut cfg.reconnect, max_retry_after_ms) {
            r.max_retry_after_ms = m;
        }
        let mut s = Sim::new(cfg);
        s.open();
        s.server_close(1001, reason);
        s.reconnect_delays()
    };
    assert_eq!(delay_after(None, r#"{"retryAfterMs":1e300}"#), [Some(300_000.0)]);
    assert_eq!(delay_after(Some(5000.0), r#"{"retryAfterMs":1e300}"#), [Some(5000.0)]);
    assert_eq!(delay_after(Some(5000.0), r#"{"retryAfterMs":3000}"#), [Some(3000.0)]);
    assert_eq!(delay_after(Some(0.0), r#"{"retryAfterMs":3000}"#), [Some(250.0)]);
    for bad in [
        r#"{"retryAfterMs":-5}"#,
        r#"{"retryAfterMs":NaN}"#,
        r#"{"retryAfterMs":"3000"}"#,
        r#"{"retryAfterMs":1e999}"#,
        r#"{"retryAfterMs":Infinity}"#,
    ] {
        assert_eq!(delay_after(None, bad), [Some(250.0)], "{bad}");
    }
}

// ----- handlers that call back in (a FIFO pump) -----

#[test]
fn send_from_a_sent_handler_goes_after_the_backlog() {
    let mut s = Sim::new(quiet());
    for n in 1..=3 {
        s.send(n).ok();
    }
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Sent { meta: 1, .. }) {
            let f = Frame::Text(steadysocket::core::envelope::encode_event("m", "99"));
            assert_eq!(ctx.e.send(f, 99, ctx.now), Ok(Sent::Sent));
        }
    }));
    s.open();
    assert_eq!(s.sent_numbers(), [1, 2, 3, 99]);
}

#[test]
fn close_from_a_close_handler_keeps_the_state_chain() {
    let mut s = Sim::new(quiet());
    s.open();
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Close { .. }) {
            ctx.e.close(1000, "", ctx.now);
        }
    }));
    s.drop_conn();
    let chain: Vec<(State, State)> = s
        .events
        .iter()
        .filter_map(|e| if let Event::State { from, to } = e { Some((*from, *to)) } else { None })
        .collect();
    assert_eq!(
        chain,
        [
            (State::Connecting, State::Open),
            (State::Open, State::Reconnecting),
            (State::Reconnecting, State::Closed)
        ]
    );
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn free_from_a_drop_handler_fired_by_close() {
    let mut s = Sim::new(quiet());
    s.drop_conn();
    s.send(1).ok();
    s.send(2).ok();
    s.on_emit = Some(Box::new(|ctx, ev| {
        if matches!(ev, Event::Dropped { .. }) {
            ctx.e.shutdown(ctx.now);
        }
    }));
    s.close();
    assert_eq!(drops(&s), [(1, DropReason::Closed), (2, DropReason::Closed)]);
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.states().last(), Some(&State::Closed));
}

#[test]
fn engine_debug_is_a_summary() {
    let mut s = Sim::new(quiet());
    s.send(1).ok();
    let d = format!("{:?}", s.e);
    assert!(d.starts_with("Engine { state: Connecting, conn: 1, queued: 1,"), "{d}");
}

#[test]
fn inbound_payloads_are_delivered_in_fifo_order_behind_their_events() {
    let mut sim = Sim::new(quiet());
    sim.open();
    sim.take_events();
    assert_eq!(sim.inbound(r#"{"type":"a","data":1}"#), Delivery::Event);
    assert_eq!(sim.inbound("not json"), Delivery::Raw);
    // Ignored frames (ping/pong, refused) are not delivered.
    assert_eq!(sim.inbound(r#"{"type":"pong"}"#), Delivery::Ignore);
    assert_eq!(sim.delivered, vec![Delivery::Event, Delivery::Raw]);
    // A reply to an unknown id: an error event, nothing delivered.
    assert_eq!(sim.inbound(r#"{"replyTo":99,"data":1}"#), Delivery::Ignore);
    assert_eq!(sim.delivered.len(), 2);
    // The Deliver action comes after what the frame itself queued: queue an action, then
    // feed a frame without pumping, and check the order of the action queue.
    let c = sim.e.conn();
    sim.e.close(1000, "", sim.now);
    let _ = sim.e.on_frame(c, 10, FrameKind::Event, sim.now);
    let mut saw_close = false;
    while let Some(a) = sim.e.poll_action() {
        match a {
            Action::CloseSocket { .. } => saw_close = true,
            Action::Deliver(d) => {
                assert!(saw_close, "Deliver overtook an older action");
                assert_eq!(d, Delivery::Event);
            }
            _ => {}
        }
    }
    assert!(saw_close);
}

#[test]
fn status_actions_are_told_apart_from_outcomes() {
    use steadysocket::core::Failure;
    let status: Vec<Action<u32>> = vec![
        Action::Emit(Event::State { from: State::Open, to: State::Closed }),
        Action::Emit(Event::Open { reconnected: false, attempt: 0 }),
        Action::Emit(Event::Error { kind: ErrorKind::Protocol, message: String::new() }),
        Action::Deliver(Delivery::Event),
        Action::Deliver(Delivery::Raw),
    ];
    for a in &status {
        assert!(a.is_status(), "{a:?}");
    }
    let outcomes: Vec<Action<u32>> = vec![
        Action::Emit(Event::RequestFailed { id: 1, failure: Failure::Closed }),
        Action::Emit(Event::Dropped {
            meta: 1,
            frame: Frame::Text(String::new()),
            reason: DropReason::Closed,
            request: None,
        }),
        Action::Deliver(Delivery::Reply { id: 1, error: false }),
        Action::Flush,
        Action::Connect { conn: 1 },
    ];
    for a in &outcomes {
        assert!(!a.is_status(), "{a:?}");
    }
}

#[test]
fn a_zero_sized_queue_holds_nothing() {
    for (overflow, want) in [
        (Overflow::DropOldest, Ok(Sent::Dropped)),
        (Overflow::DropNewest, Ok(Sent::Dropped)),
        (Overflow::Error, Err(SendError::QueueFull)),
    ] {
        let mut sim = Sim::new(Config {
            queue: OutboxConfig { max_messages: 0, overflow, ..Default::default() },
            ..quiet()
        });
        assert_eq!(sim.send(1), want, "{overflow:?}");
        assert_eq!(sim.e.queued(), 0);
        sim.open();
        assert_eq!(sim.sent_numbers(), Vec::<u32>::new());
        assert_eq!(sim.send(2), Ok(Sent::Sent), "open: no queue involved");
    }
}

#[test]
fn a_message_larger_than_the_byte_limit_is_dropped_whatever_the_policy() {
    for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
        let mut sim = Sim::new(Config {
            queue: OutboxConfig { max_bytes: 5, overflow, ..Default::default() },
            ..quiet()
        });
        assert_eq!(sim.send(1), Ok(Sent::Dropped), "{overflow:?}");
    }
}

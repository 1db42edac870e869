//! The transport seam's engine half (`core::transport`, README "Transports"), simulated:
//! - fallback: a never-opened transport that fails 2 attempts in a row is left for the next;
//!   the `Transport` event comes before `Open`; the opened one is kept across failures;
//! - upgrade: probes while open on a later transport (doubling after failures), then the
//!   switch waits for in-flight requests, holds new sends in the queue, closes with
//!   `"upgrade"` and opens the first transport at once, with no loss and nothing twice;
//! - HTTP delivery reports: `on_delivered` confirms, `on_undelivered` puts messages back at
//!   the front of the queue in order (re-sent once on the next connection), and what was
//!   neither confirmed nor known undelivered is reported `Lost`;
//! - a WebSocket connection marked with `track_deliveries` (JS `shared`: a follower tab's link
//!   to the leader) reports the same way; only that connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use steadysocket::core::{Config, Event, ReconnectConfig, State, Transport};

fn config(list: &[Transport]) -> Config {
    let mut r = ReconnectConfig::default();
    r.backoff.min_delay_ms = 10.0;
    r.backoff.max_delay_ms = 50.0;
    Config {
        transports: list.to_vec(),
        upgrade_probe_ms: 1000.0,
        heartbeat: None,
        reconnect: Some(r),
        ..Config::default()
    }
}

fn transports(events: &[Event<u32>]) -> Vec<Transport> {
    events
        .iter()
        .filter_map(|e| if let Event::Transport(t) = e { Some(*t) } else { None })
        .collect()
}

/// Fails attempts until `t` is the transport in use, then opens.
fn open_on(s: &mut Sim, t: Transport) {
    for _ in 0..10 {
        s.run_until_state(State::Connecting, 10_000.0).unwrap();
        if s.e.transport() == t {
            s.open();
            return;
        }
        s.drop_conn();
    }
    panic!("never reached {t:?}");
}

#[test]
fn falls_back_after_two_failures_and_keeps_what_opened() {
    let mut s = Sim::new(config(&[Transport::WebSocket, Transport::Sse, Transport::LongPolling]));
    assert_eq!(s.e.transport(), Transport::WebSocket);
    s.drop_conn();
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    assert_eq!(s.e.transport(), Transport::WebSocket, "one failure is not enough");
    s.drop_conn();
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    assert_eq!(s.e.transport(), Transport::Sse);
    s.open();
    let ev = s.take_events();
    let t = ev.iter().position(|e| matches!(e, Event::Transport(Transport::Sse))).unwrap();
    let o = ev.iter().position(|e| matches!(e, Event::Open { .. })).unwrap();
    assert!(t < o, "transport before open: {ev:?}");
    // A server restart: SSE has opened, so it is kept however often it fails now.
    s.drop_conn();
    for _ in 0..5 {
        s.run_until_state(State::Connecting, 10_000.0).unwrap();
        assert_eq!(s.e.transport(), Transport::Sse);
        s.drop_conn();
    }
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    s.open();
    assert_eq!(transports(&s.take_events()), [], "no change, no event");
}

#[test]
fn upgrade_waits_for_requests_and_loses_nothing() {
    let mut s = Sim::new(config(&[Transport::WebSocket, Transport::LongPolling]));
    open_on(&mut s, Transport::LongPolling);
    let sse_conn = s.e.conn();
    // First probe 1000 ms after the open; a failed one doubles the delay.
    s.advance(999.0);
    assert!(s.probes.is_empty());
    s.advance(1.0);
    assert_eq!(s.probes, [(sse_conn, Transport::WebSocket)]);
    s.e.on_probe(sse_conn, false, s.now);
    s.pump();
    s.advance(1999.0);
    assert_eq!(s.probes.len(), 1);
    s.advance(1.0);
    assert_eq!(s.probes.len(), 2);
    // A request in flight, then the probe opens: new sends wait in the queue.
    let (id, _) = s.request(1, None).unwrap();
    s.send(2).unwrap();
    s.e.on_delivered(sse_conn, u64::MAX);
    s.e.on_probe(sse_conn, true, s.now);
    s.pump();
    assert_eq!(s.send(3), Ok(steadysocket::core::Sent::Queued));
    assert_eq!(s.e.state(), State::Open, "waits for the request");
    s.inbound(&format!(r#"{{"replyTo":{id},"data":1}}"#));
    s.advance(steadysocket::core::machine::DRAIN_POLL_MS);
    assert!(s.closes.iter().any(|c| c.0 == sse_conn && c.2 == "upgrade"), "{:?}", s.closes);
    assert_eq!(s.e.state(), State::Connecting);
    assert_eq!(s.e.transport(), Transport::WebSocket);
    s.open();
    assert_eq!(transports(&s.take_events()), [Transport::LongPolling, Transport::WebSocket]);
    assert_eq!(s.sent_numbers(), [1, 2, 3], "each once, in order");
    // Back on the first transport: no more probes.
    let n = s.probes.len();
    s.advance(60_000.0);
    assert_eq!(s.probes.len(), n);
}

#[test]
fn upgrade_gives_up_waiting_after_the_limit() {
    let mut s = Sim::new(config(&[Transport::WebSocket, Transport::Sse]));
    open_on(&mut s, Transport::Sse);
    let c = s.e.conn();
    let (id, _) = s.request(1, Some(60_000.0)).unwrap();
    s.e.on_probe(c, true, s.now);
    s.pump();
    s.advance(steadysocket::core::machine::UPGRADE_WAIT_MS);
    assert_eq!(s.e.transport(), Transport::WebSocket);
    let failed = s.take_events().into_iter().any(|e| {
        matches!(e, Event::RequestFailed { id: i, failure: steadysocket::core::Failure::ConnectionLost } if i == id)
    });
    assert!(failed, "the request still in flight fails connection-lost");
}

#[test]
fn http_delivery_reports_requeue_or_report_lost() {
    let mut s = Sim::new(config(&[Transport::Sse]));
    s.open();
    let c = s.e.conn();
    for n in 1..=4 {
        s.send(n).unwrap();
    }
    // Tags are the messages' serials: 1..=4.
    assert_eq!(s.tags.iter().map(|t| t.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
    s.e.on_delivered(c, 1); // POST 1 answered
                            // POST 2 (message 2) got no answer; 3 and 4 never left: surely undelivered.
    s.e.on_undelivered(c, 2, s.now);
    s.pump();
    assert_eq!(s.e.queued(), 2);
    s.drop_conn();
    let lost: Vec<u32> = s
        .take_events()
        .into_iter()
        .filter_map(|e| if let Event::Lost { meta, .. } = e { Some(meta) } else { None })
        .collect();
    assert_eq!(lost, [2], "only the unanswered POST may be lost");
    s.send(5).unwrap();
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    s.open();
    assert_eq!(s.sent_numbers(), [1, 2, 3, 4, 3, 4, 5], "3 and 4 again, before 5");
}

#[test]
fn a_tracked_websocket_connection_reports_like_http_and_only_that_connection() {
    // JS `shared`: a follower tab's link to the leader is opened as a WebSocket but reports
    // deliveries (`track_deliveries`): unacked messages go back to the queue, in order.
    let mut s = Sim::new(config(&[Transport::WebSocket]));
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    let c = s.e.conn();
    s.e.track_deliveries(c);
    s.open();
    for n in 1..=3 {
        s.send(n).unwrap();
    }
    assert_eq!(s.tags.iter().map(|t| t.0).collect::<Vec<_>>(), [1, 2, 3]);
    s.e.on_delivered(c, 1);
    s.e.on_undelivered(c, 1, s.now);
    s.pump();
    assert_eq!(s.e.queued(), 2, "2 and 3 are queued again");
    s.drop_conn();
    assert!(
        !s.take_events().iter().any(|e| matches!(e, Event::Lost { .. })),
        "nothing lost: every message was acked or queued again"
    );
    // The next connection is not tracked unless the driver says so: no tags are kept.
    s.run_until_state(State::Connecting, 10_000.0).unwrap();
    s.e.track_deliveries(c); // a stale conn: ignored
    s.open();
    assert_eq!(s.sent_numbers(), [1, 2, 3, 2, 3], "2 and 3 again, once, in order");
    s.send(4).unwrap();
    s.drop_conn();
    let lost = s.take_events().iter().filter(|e| matches!(e, Event::Lost { .. })).count();
    assert_eq!(lost, 0, "an untracked connection without a heartbeat confirms nothing");
}

#[test]
fn bad_transport_lists_are_refused() {
    let mut c = config(&[]);
    assert_eq!(c.validate().unwrap_err().path, "transports");
    c.transports = vec![Transport::Sse, Transport::Sse];
    assert_eq!(c.validate().unwrap_err().path, "transports[1]");
    c.transports = vec![Transport::Sse];
    c.upgrade_probe_ms = -1.0;
    assert_eq!(c.validate().unwrap_err().path, "upgradeProbeMs");
}

#[test]
fn retry_advice_on_a_refused_open_delays_the_next_attempt() {
    let mut s = Sim::new(config(&[Transport::Sse]));
    let c = s.e.conn();
    s.dead.insert(c);
    s.e.on_close(c, 1013, r#"{"retryAfterMs":1000}"#, false, s.now);
    s.pump();
    let delays = s.reconnect_delays();
    assert!(delays.last().copied().flatten().is_some_and(|d| d >= 1000.0), "{delays:?}");
}

#[test]
fn an_unclean_close_reports_unconfirmed_sends_lost_a_clean_one_does_not() {
    for clean in [false, true] {
        let mut s = Sim::new(config(&[Transport::Sse]));
        s.open();
        s.send(1).unwrap();
        s.close();
        let c = s.e.conn();
        s.e.on_close(c, if clean { 1000 } else { 1006 }, "", clean, s.now);
        s.pump();
        let lost = s.take_events().iter().filter(|e| matches!(e, Event::Lost { .. })).count();
        assert_eq!(lost, usize::from(!clean), "clean {clean}");
    }
}

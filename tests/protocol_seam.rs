//! The protocol seam of the sans-IO engine (`Session`, `Action::Handshake`/`Goodbye`, the
//! seam's `FrameKind`s, standing and control frames, the heartbeat's beat role), pinned
//! down adversarially with the simulated driver:
//! - handshake: `connecting` until `Ready`, sends queued meanwhile and flushed after the
//!   standing frames and the `Open` event; stray `Ready`s; frames during the handshake
//! - handshake failures: timeout, `Refused`, a close; backoff, retry, downtime, `attempt`
//! - the beat role: beats on outbound silence, death on inbound silence, directions off,
//!   no heartbeat configured, late ticks
//! - the probe role's timeout advice
//! - standing frames: order, replacement, `unstand`, `stand_confirmed` and its receipt
//! - control frames, the goodbye, the configurable pong, `ServerError` and `Control` frames
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
    Action, BackoffConfig, Config, Delivery, Engine, ErrorKind, Event, Failure, Frame, FrameKind,
    ReconnectConfig, Sent, State,
};

// ---------- configs and helpers ----------

fn no_jitter() -> Config {
    Config {
        reconnect: Some(ReconnectConfig {
            backoff: BackoffConfig { min_delay_ms: 1000.0, jitter: 0.0, ..Default::default() },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// No heartbeat, no jitter, default (v1) session.
fn quiet() -> Config {
    Config { heartbeat: None, ..no_jitter() }
}

/// `quiet()` with a handshake (timeout 5 s) and a connect timeout of 1 s.
fn hs() -> Config {
    Config {
        connect_timeout_ms: 1000.0,
        session: Session { handshake: true, handshake_timeout_ms: 5000.0, ..Session::default() },
        ..quiet()
    }
}

/// `quiet()` with a goodbye.
fn bye() -> Config {
    Config { session: Session { goodbye: true, ..Session::default() }, ..quiet() }
}

/// A STOMP-like beat: heartbeat on with a `\n` ping (the probe settings are irrelevant in the
/// beat role) and a handshake.
fn beating() -> Config {
    Config {
        heartbeat: Some(HeartbeatConfig { ping: "\n".into(), ..HeartbeatConfig::default() }),
        ..hs()
    }
}

fn ready(s: &mut Sim, beat: Option<(u32, u32)>) -> Delivery {
    s.inbound_kind(9, FrameKind::Ready { beat })
}

fn text(t: &str) -> Frame {
    Frame::Text(t.into())
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

fn count(s: &Sim, t: &str) -> usize {
    texts(s).iter().filter(|x| *x == t).count()
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

fn opens(s: &Sim) -> Vec<(bool, u32)> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::Open { reconnected, attempt } => Some((*reconnected, *attempt)),
            _ => None,
        })
        .collect()
}

fn failures(s: &Sim) -> Vec<(u64, Failure)> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::RequestFailed { id, failure } => Some((*id, *failure)),
            _ => None,
        })
        .collect()
}

fn m(n: u32) -> String {
    encode_event("m", &n.to_string())
}

/// A handshaking sim whose transport opened at `t`.
fn handshaking_at(t: f64) -> Sim {
    let mut s = Sim::new(hs());
    s.advance_to(t);
    s.open();
    s
}

/// One step of a hand-driven engine: performs `input`, then drains every action, logging
/// it (`T:` transmit, `E:Open`, `E:State:<to>`, `Flush`, ...). An `Open` event runs
/// `on_open`; a `Flush` flushes. Used where the order of actions matters.
fn drive(
    e: &mut Engine<u32>,
    now: f64,
    input: impl FnOnce(&mut Engine<u32>),
    mut on_open: impl FnMut(&mut Engine<u32>),
) -> Vec<String> {
    input(e);
    let mut log = vec![];
    while let Some(a) = e.poll_action() {
        match a {
            Action::Transmit { frame: Frame::Text(t), .. } => log.push(format!("T:{t}")),
            Action::Transmit { .. } => log.push("T:<binary>".into()),
            Action::Flush => {
                log.push("Flush".into());
                e.flush(now);
            }
            Action::Emit(Event::Open { .. }) => {
                log.push("E:Open".into());
                on_open(e);
            }
            Action::Emit(Event::State { to, .. }) => log.push(format!("E:State:{}", to.as_str())),
            Action::Emit(Event::Sent { meta, .. }) => log.push(format!("E:Sent:{meta}")),
            Action::Emit(ev) => log.push(format!("E:{ev:?}")),
            Action::Handshake { conn } => log.push(format!("Handshake:{conn}")),
            Action::Goodbye { conn } => log.push(format!("Goodbye:{conn}")),
            Action::Connect { conn } => log.push(format!("Connect:{conn}")),
            Action::Probe { conn, .. } => log.push(format!("Probe:{conn}")),
            Action::CloseSocket { code, .. } => log.push(format!("CloseSocket:{code}")),
            Action::Deliver(d) => log.push(format!("Deliver:{d:?}")),
        }
    }
    log
}

// ---------- handshake ----------

#[test]
fn handshake_keeps_connecting_and_asks_for_its_frames_once() {
    let mut s = handshaking_at(100.0);
    assert_eq!(s.e.state(), State::Connecting);
    assert!(s.e.handshaking());
    assert_eq!(s.handshakes, vec![s.e.conn()]);
    assert!(!s.states().contains(&State::Open));
    assert!(opens(&s).is_empty());
    // The handshake frame went out on this connection, as a control frame.
    assert_eq!(s.sent, vec![(s.e.conn(), text("HELLO"))]);
    let m0 = s.e.metrics(s.now);
    assert_eq!(m0.messages_out, 0, "a handshake frame is not a message");
    assert_eq!(m0.bytes_out, 5);
    // A repeated open (a confused driver) does not handshake again.
    s.open();
    assert_eq!(s.handshakes.len(), 1);
    assert_eq!(count(&s, "HELLO"), 1);
    // Ready opens the session.
    assert_eq!(ready(&mut s, None), Delivery::Ignore);
    assert_eq!(s.e.state(), State::Open);
    assert!(!s.e.handshaking());
    assert_eq!(opens(&s), vec![(false, 0)]);
    assert_eq!(s.handshakes.len(), 1);
    assert!(s.delivered.is_empty(), "Ready is not delivered");
}

#[test]
fn sends_during_the_handshake_are_queued_then_flushed_after_ready_in_order() {
    let mut s = handshaking_at(0.0);
    assert_eq!(s.send(1), Ok(Sent::Queued));
    assert_eq!(s.send(2), Ok(Sent::Queued));
    let (id, sent) = s.request(3, None).expect("accepted");
    assert_eq!(sent, Sent::Queued);
    assert_eq!(s.e.queued(), 3);
    assert_eq!(s.sent_numbers(), Vec::<u32>::new(), "nothing user-level before Ready");
    s.advance(1000.0);
    assert_eq!(s.sent_numbers(), Vec::<u32>::new());
    // The standing frame is registered while handshaking: sent at Ready, before the backlog.
    assert!(!s.e.stand(1, text("SUB"), s.now));
    assert_eq!(count(&s, "SUB"), 0);
    s.on_open = Some(Box::new(|e, now| {
        assert_eq!(e.send(Frame::Text(m(100)), 100, now), Ok(Sent::Sent));
    }));
    ready(&mut s, None);
    assert_eq!(s.sent_numbers(), vec![100, 1, 2, 3], "open-handler sends first, then the backlog");
    let t = texts(&s);
    assert_eq!(t[0], "HELLO");
    assert_eq!(t[1], "SUB", "standing frames before the open handler's and the backlog");
    assert_eq!(s.e.queued(), 0);
    assert_eq!(s.e.metrics(s.now).messages_out, 4);
    // The backlog's request is now pending on this connection: its reply settles it.
    assert_eq!(
        s.inbound_kind(10, FrameKind::Reply { id, error: false }),
        Delivery::Reply { id, error: false }
    );
}

#[test]
fn ready_transmits_standing_frames_then_open_then_backlog() {
    let mut e: Engine<u32> = Engine::new(hs(), 0.0);
    let c = e.conn();
    assert_eq!(e.poll_action(), Some(Action::Connect { conn: c }));
    let log = drive(&mut e, 0.0, |e| e.on_open(c, 0.0), |_| {});
    assert_eq!(log, vec![format!("Handshake:{c}")], "no state change, no Open: {log:?}");
    e.control(text("HELLO"), 0.0);
    e.send(text(&m(1)), 1, 0.0).expect("queued");
    e.stand(7, text("SUB-7"), 0.0);
    e.stand(8, text("SUB-8"), 0.0);
    let log = drive(
        &mut e,
        10.0,
        |e| {
            assert_eq!(
                e.poll_action(),
                Some(Action::Transmit { conn: c, frame: text("HELLO"), msg: None, tag: 0 })
            );
            assert_eq!(e.on_frame(c, 9, FrameKind::Ready { beat: None }, 10.0), Delivery::Ignore);
        },
        |e| {
            e.send(text(&m(2)), 2, 10.0).expect("sent");
        },
    );
    let m1 = format!("T:{}", m(1));
    let m2 = format!("T:{}", m(2));
    assert_eq!(
        log,
        vec![
            "E:Transport(WebSocket)".to_string(),
            "E:State:open".into(),
            "T:SUB-7".into(),
            "T:SUB-8".into(),
            "E:Open".into(),
            // The open handler's send was queued behind the Flush, but the flush's transmits
            // come after it: on the wire, the handler's message goes first.
            "Flush".into(),
            m2,
            m1,
            "E:Sent:1".into(),
        ]
    );
}

#[test]
fn ready_when_not_handshaking_is_ignored() {
    // Open (no handshake configured): a Ready changes nothing.
    let mut s = Sim::new(quiet());
    s.open();
    let before = s.events.len();
    assert_eq!(ready(&mut s, Some((1000, 1000))), Delivery::Ignore);
    assert_eq!(s.events.len(), before, "no second Open: {:?}", &s.events[before..]);
    assert_eq!(s.e.state(), State::Open);
    // A second Ready after the handshake: no second Open, no second standing transmission.
    let mut s = handshaking_at(0.0);
    s.e.stand(1, text("SUB"), 0.0);
    ready(&mut s, None);
    ready(&mut s, None);
    assert_eq!(opens(&s).len(), 1);
    assert_eq!(count(&s, "SUB"), 1);
    // Before the transport opened (connecting, not handshaking): ignored too.
    let mut s = Sim::new(hs());
    ready(&mut s, None);
    assert_eq!(s.e.state(), State::Connecting);
    assert!(opens(&s).is_empty());
    // While reconnecting: ignored.
    let mut s = handshaking_at(0.0);
    s.advance(5000.0);
    assert_eq!(s.e.state(), State::Reconnecting);
    ready(&mut s, None);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert!(opens(&s).is_empty());
}

#[test]
fn frames_arriving_during_the_handshake_are_handled() {
    let mut s = handshaking_at(0.0);
    assert_eq!(s.inbound(&encode_event("hi", "1")), Delivery::Event);
    assert_eq!(s.inbound("raw"), Delivery::Raw);
    assert_eq!(s.inbound_kind(3, FrameKind::ServerError), Delivery::ServerError);
    assert_eq!(s.delivered, vec![Delivery::Event, Delivery::Raw, Delivery::ServerError]);
    assert_eq!(s.e.metrics(s.now).messages_in, 3);
    // A reply for a request still queued (never sent) cannot be ours: a protocol error, and
    // the request stays pending.
    let (id, _) = s.request(1, None).expect("queued");
    assert_eq!(s.inbound_kind(5, FrameKind::Reply { id, error: false }), Delivery::Ignore);
    assert_eq!(errors(&s).last().map(|e| e.0), Some(ErrorKind::Protocol));
    assert_eq!(s.e.metrics(s.now).pending_requests, 1);
    assert!(failures(&s).is_empty());
    // Still handshaking.
    assert!(s.e.handshaking());
    assert_eq!(s.e.state(), State::Connecting);
    // Ready sends it; its reply now settles it.
    ready(&mut s, None);
    assert_eq!(s.sent_numbers(), vec![1]);
    assert_eq!(
        s.inbound_kind(5, FrameKind::Reply { id, error: false }),
        Delivery::Reply { id, error: false }
    );
    assert_eq!(s.e.metrics(s.now).messages_in, 5);
}

// ---------- handshake failures ----------

#[test]
fn handshake_timeout_fails_the_attempt_and_the_next_attempt_handshakes_again() {
    let mut s = handshaking_at(500.0);
    // The connect timeout (1 s) no longer applies once the transport opened.
    s.advance_to(5499.0);
    assert_eq!(s.e.state(), State::Connecting);
    assert!(s.e.handshaking());
    assert!(errors(&s).is_empty(), "{:?}", errors(&s));
    assert!(s.closes.is_empty());
    s.advance_to(5500.0);
    let conn = s.e.conn();
    assert_eq!(s.e.state(), State::Reconnecting);
    assert!(!s.e.handshaking());
    assert_eq!(
        errors(&s),
        vec![(
            ErrorKind::Handshake,
            "no handshake answer within handshakeTimeoutMs (5000 ms)".to_string()
        )]
    );
    assert_eq!(s.closes, vec![(conn, CODE_TIMEOUT, "handshake timeout".to_string(), false)]);
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0)]);
    assert!(s.e.metrics(s.now).downtime_ms >= 5500.0);
    // Late answers to the dead attempt are ignored.
    let before = s.events.len();
    s.e.on_frame(conn, 9, FrameKind::Ready { beat: None }, s.now);
    s.pump();
    assert_eq!(s.events.len(), before);
    // The retry opens and handshakes again, on the new connection.
    s.advance(1000.0);
    assert_eq!(s.e.state(), State::Connecting);
    assert_eq!(s.connects.len(), 2);
    s.open();
    assert_eq!(s.handshakes, vec![conn, conn + 1]);
    assert_eq!(count(&s, "HELLO"), 2);
    ready(&mut s, None);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(opens(&s), vec![(false, 1)], "first open, after one failed attempt");
    // Downtime counted until Ready: 0 → 5500 → 6500.
    assert_eq!(s.e.metrics(s.now).downtime_ms, 6500.0);
}

#[test]
fn connect_timeout_still_applies_before_the_transport_opens() {
    let mut s = Sim::new(hs());
    s.advance(1000.0);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::ConnectTimeout));
    assert!(s.handshakes.is_empty());
    assert_eq!(s.closes[0].2, "connect timeout");
}

#[test]
fn refused_fails_the_attempt_with_its_message_and_retries() {
    let mut s = handshaking_at(0.0);
    let conn = s.e.conn();
    s.send(1).expect("queued");
    s.advance(200.0);
    assert_eq!(s.inbound_kind(40, FrameKind::Refused("bad credentials".into())), Delivery::Ignore);
    assert_eq!(s.e.state(), State::Reconnecting);
    assert_eq!(errors(&s), vec![(ErrorKind::Handshake, "bad credentials".to_string())]);
    assert_eq!(s.closes, vec![(conn, 1000, "handshake refused".to_string(), false)]);
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0)]);
    assert!(s.delivered.is_empty());
    assert_eq!(s.e.queued(), 1, "the backlog waits for the next session");
    // The socket's close event, after the engine moved on: nothing more.
    let before = s.events.len();
    s.e.on_close(conn, 1000, "handshake refused", true, s.now);
    s.pump();
    assert_eq!(s.events.len(), before);
    // Retry: handshakes again; a second refusal doubles the delay.
    s.advance(1000.0);
    s.open();
    assert_eq!(s.handshakes.len(), 2);
    s.inbound_kind(40, FrameKind::Refused("still no".into()));
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0), Some(2000.0)]);
    s.advance(2000.0);
    s.open();
    ready(&mut s, None);
    assert_eq!(opens(&s), vec![(false, 2)]);
    assert_eq!(s.sent_numbers(), vec![1]);
    assert_eq!(s.e.metrics(s.now).attempts, 3);
}

#[test]
fn refused_when_not_handshaking_is_ignored() {
    let mut s = handshaking_at(0.0);
    ready(&mut s, None);
    let before = s.events.len();
    s.inbound_kind(4, FrameKind::Refused("late".into()));
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(s.events.len(), before);
    assert!(s.closes.is_empty());
}

#[test]
fn a_close_during_the_handshake_fails_the_attempt_naming_the_code() {
    let mut s = handshaking_at(0.0);
    s.server_close(4001, "unauthorized");
    assert_eq!(s.e.state(), State::Reconnecting);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, ErrorKind::Handshake);
    assert!(errs[0].1.contains("4001") && errs[0].1.contains("unauthorized"), "{}", errs[0].1);
    assert!(errs[0].1.contains("handshake"), "{}", errs[0].1);
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Close { .. })),
        "the session never opened: no close event"
    );
    // Without a reason, the message still names the code.
    s.advance(1000.0);
    s.open();
    s.drop_conn();
    let errs = errors(&s);
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[1].0, ErrorKind::Handshake);
    assert!(errs[1].1.contains("1006"), "{}", errs[1].1);
    assert!(!errs[1].1.contains(": )"), "{}", errs[1].1);
    assert_eq!(s.reconnect_delays(), vec![Some(1000.0), Some(2000.0)]);
    // A failed attempt is not a reconnect.
    s.advance(2000.0);
    s.open();
    ready(&mut s, None);
    assert_eq!(opens(&s), vec![(false, 2)]);
    assert_eq!(s.e.metrics(s.now).reconnects, 0);
}

#[test]
fn reconnected_and_attempt_after_a_handshake_failure_following_an_open() {
    let mut s = handshaking_at(0.0);
    ready(&mut s, None);
    s.advance(10_000.0); // stable
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    s.advance(5000.0); // handshake timeout
    assert_eq!(errors(&s).last().map(|e| e.0), Some(ErrorKind::Handshake));
    s.run_until_state(State::Connecting, 10_000.0).expect("retry");
    s.open();
    ready(&mut s, None);
    assert_eq!(opens(&s), vec![(false, 0), (true, 2)]);
    assert_eq!(s.e.metrics(s.now).reconnects, 1);
}

#[test]
fn downtime_keeps_counting_until_ready() {
    let mut s = handshaking_at(300.0);
    s.advance_to(1300.0);
    assert_eq!(s.e.metrics(s.now).downtime_ms, 1300.0, "transport open, session not");
    ready(&mut s, None);
    s.advance(700.0);
    assert_eq!(s.e.metrics(s.now).downtime_ms, 1300.0);
}

#[test]
fn close_and_reconnect_during_the_handshake() {
    // close(): no goodbye (the session never opened), the socket is abandoned.
    let mut s = Sim::new(Config { session: Session { goodbye: true, ..hs().session }, ..hs() });
    s.open();
    s.send(1).expect("queued");
    s.close();
    assert_eq!(s.e.state(), State::Closed);
    assert!(s.goodbyes.is_empty());
    assert_eq!(s.closes.len(), 1);
    assert!(!s.e.handshaking());
    // Nothing answers a later Ready, and no timer is left.
    ready(&mut s, None);
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.e.poll_timeout(), None);
    // reconnect() mid-handshake: a fresh attempt, handshaking again once open.
    let mut s = handshaking_at(0.0);
    s.e.reconnect(s.now);
    s.pump();
    assert!(!s.e.handshaking());
    assert_eq!(s.e.state(), State::Connecting);
    // The old connection's Ready is stale.
    s.e.on_frame(s.e.conn() - 1, 9, FrameKind::Ready { beat: None }, s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Connecting);
    s.open();
    assert_eq!(s.handshakes.len(), 2);
}

// ---------- the beat role ----------

fn beats(s: &Sim) -> usize {
    count(s, "\n")
}

#[test]
fn beat_role_beats_after_outbound_silence_only() {
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((1000, 60_000)));
    s.advance(999.0);
    assert_eq!(beats(&s), 0);
    s.advance(1.0);
    assert_eq!(beats(&s), 1);
    s.advance(1000.0);
    assert_eq!(beats(&s), 2);
    // Traffic flows: no beats.
    for n in 0..10 {
        s.advance(600.0);
        s.send(n).expect("sent");
    }
    assert_eq!(beats(&s), 2);
    // Control frames are outbound traffic too.
    for _ in 0..5 {
        s.advance(900.0);
        assert!(s.e.control(text("ACK"), s.now));
    }
    assert_eq!(beats(&s), 2);
    s.advance(1000.0);
    assert_eq!(beats(&s), 3);
    // Beats are neither messages nor probes; inbound traffic does not delay them.
    assert_eq!(s.e.metrics(s.now).messages_out, 10);
    s.inbound_kind(1, FrameKind::Control);
    s.advance(1000.0);
    assert_eq!(beats(&s), 4);
    assert_eq!(s.pings_sent(), 0, "the configured ping is the beat; v1's ping is not sent");
}

#[test]
fn beat_role_declares_dead_after_inbound_silence() {
    let mut s = Sim::new(beating());
    s.open();
    let conn = s.e.conn();
    ready(&mut s, Some((1000, 3000)));
    // Inbound every 2.9 s: alive.
    for _ in 0..5 {
        s.advance(2900.0);
        s.inbound_kind(1, FrameKind::Control);
    }
    assert_eq!(s.e.state(), State::Open);
    let t0 = s.now;
    s.advance(2999.0);
    assert_eq!(s.e.state(), State::Open);
    s.advance(1.0);
    assert_eq!(s.now - t0, 3000.0);
    assert_ne!(s.e.state(), State::Open);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, ErrorKind::HeartbeatTimeout);
    assert!(errs[0].1.contains("negotiated heart-beat"), "{}", errs[0].1);
    assert!(errs[0].1.contains("3000"), "{}", errs[0].1);
    assert!(s.closes.contains(&(conn, CODE_TIMEOUT, "heartbeat timeout".into(), false)));
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Close { code: 1006, will_reconnect: true, .. })));
    assert_eq!(s.e.state(), State::Reconnecting);
    // The error comes before the close event.
    let ei = s.events.iter().position(|e| matches!(e, Event::Error { .. })).expect("error");
    let ci = s.events.iter().position(|e| matches!(e, Event::Close { .. })).expect("close");
    assert!(ei < ci);
    // Reconnects and handshakes again.
    s.advance(1000.0);
    s.open();
    assert_eq!(s.handshakes.len(), 2);
}

#[test]
fn beat_role_zero_disables_a_direction() {
    // send 0: the client never beats, but still watches the peer.
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((0, 3000)));
    s.advance(2999.0);
    assert_eq!(beats(&s), 0);
    s.advance(1.0);
    assert_eq!(beats(&s), 0);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::HeartbeatTimeout));
    // recv 0: the client beats but never declares the peer dead.
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((1000, 0)));
    s.advance(60_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(beats(&s), 60);
    assert!(errors(&s).is_empty());
    // Both 0: nothing at all, and no timer needed for it.
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((0, 0)));
    s.advance(600_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(beats(&s), 0);
    assert!(s.e.poll_timeout().is_none_or(|d| d > 1e12), "{:?}", s.e.poll_timeout());
}

#[test]
fn no_heartbeat_configured_means_no_beats_even_if_negotiated() {
    let mut s = Sim::new(hs());
    s.open();
    ready(&mut s, Some((1000, 3000)));
    s.advance(120_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(s.sent.len(), 1, "only the handshake: {:?}", texts(&s));
    assert!(errors(&s).is_empty());
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn ready_without_beat_keeps_the_probe_role() {
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, None);
    s.advance(24_999.0);
    assert_eq!(beats(&s), 0);
    s.advance(1.0);
    assert_eq!(beats(&s), 1, "the probe at interval_ms (25 s)");
    s.advance(10_000.0);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::HeartbeatTimeout));
}

#[test]
fn beat_role_late_ticks_never_declare_dead_while_frames_keep_arriving() {
    let mut bad = vec![];
    for late in [0.0, 100.0, 500.0, 900.0, 1500.0, 2500.0, 10_000.0, 60_000.0] {
        for (send, recv) in [(1000, 3000), (0, 3000), (500, 2000), (10_000, 20_000)] {
            let mut s = Sim::new(beating());
            s.open();
            ready(&mut s, Some((send, recv)));
            // The server beats every second; our timers fire `late` ms late.
            for i in 0..30 {
                s.advance_late(s.now + 1000.0, late);
                if s.e.state() != State::Open {
                    bad.push((late, send, recv, i));
                    break;
                }
                s.inbound_kind(1, FrameKind::Control);
            }
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn beat_role_late_tick_beats_before_judging() {
    // Hand-driven: one tick, 10 s late, after outbound and inbound silence.
    let mut e: Engine<u32> = Engine::new(beating(), 0.0);
    let c = e.conn();
    e.on_open(c, 0.0);
    e.on_frame(c, 9, FrameKind::Ready { beat: Some((1000, 3000)) }, 0.0);
    while e.poll_action().is_some() {}
    let log = drive(&mut e, 10_000.0, |e| e.on_timer(10_000.0), |_| {});
    assert_eq!(log, vec!["T:\n".to_string()], "the beat, nothing else");
    assert_eq!(e.state(), State::Open);
}

#[test]
fn beat_role_a_dead_peer_is_still_detected_after_a_late_tick() {
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((1000, 3000)));
    // The first beat tick fires 10 s late: beat, no verdict yet (frames may be queued).
    s.advance_late(1000.0, 10_000.0);
    assert_eq!(s.now, 11_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert_eq!(beats(&s), 1);
    // The peer really is silent: dead 3 s after that real beat, even with late ticks.
    s.advance_late(13_999.0, 0.0);
    assert_eq!(s.e.state(), State::Open);
    s.advance_late(14_000.0, 0.0);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::HeartbeatTimeout));
    assert_eq!(s.e.state(), State::Reconnecting);
    // Late ticks all along (a frozen tab that never gets frames): still detected, once the
    // peer's clock was restarted one time.
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((1000, 3000)));
    s.advance_late(120_000.0, 60_000.0);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::HeartbeatTimeout));
}

// ---------- the probe role's timeout advice ----------

#[test]
fn probe_role_timeout_advises_when_the_peer_never_answered() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.advance(25_000.0);
    assert_eq!(s.pings_sent(), 1);
    s.advance(10_000.0);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, ErrorKind::HeartbeatTimeout);
    let msg = &errs[0].1;
    assert!(msg.contains("never answered"), "{msg}");
    assert!(msg.contains("heartbeat.ping"), "{msg}");
    assert!(msg.contains("heartbeat: false"), "{msg}");
    assert!(msg.contains("10000"), "{msg}");
    assert!(msg.contains(r#"{"type":"ping"}"#), "names the ping: {msg}");
    assert!(s.events.iter().any(|e| matches!(e, Event::Close { will_reconnect: true, .. })));
}

#[test]
fn probe_role_timeout_is_short_once_a_pong_was_seen() {
    let mut s = Sim::new(no_jitter());
    s.open();
    s.advance(25_000.0);
    s.advance(100.0);
    s.inbound(r#"{"type":"pong"}"#);
    // Dies on a later connection: the peer answered once, so no advice.
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    s.advance(35_000.0);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, ErrorKind::HeartbeatTimeout);
    assert_eq!(errs[0].1, "no frame within heartbeat.timeoutMs (10000 ms) after a ping");
}

#[test]
fn probe_role_any_frame_answering_a_probe_counts_as_answered() {
    // A server that answers probes with some other frame (not a v1 pong) still answers.
    let mut s = Sim::new(no_jitter());
    s.open();
    s.advance(25_000.0);
    s.advance(50.0);
    s.inbound("some answer");
    s.advance(35_000.0);
    let errs = errors(&s);
    assert_eq!(errs.len(), 1);
    assert!(!errs[0].1.contains("never answered"), "{}", errs[0].1);
}

// ---------- standing frames ----------

#[test]
fn stand_while_open_transmits_now_and_on_every_reopen_before_the_backlog() {
    let mut s = Sim::new(quiet());
    s.open();
    assert!(s.e.stand(1, text("SUB-1"), s.now));
    s.pump();
    assert!(s.e.stand(2, text("SUB-2"), s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["SUB-1", "SUB-2"]);
    assert_eq!(s.e.metrics(s.now).messages_out, 0, "standing frames are not messages");
    assert!(s.events.iter().all(|e| !matches!(e, Event::Sent { .. })));
    for round in 1..=3 {
        s.drop_conn();
        s.send(10 * round).expect("queued");
        s.run_until_state(State::Connecting, 100_000.0).expect("retry");
        s.open();
        let t = texts(&s);
        let k = t.len();
        assert_eq!(&t[k - 3..k - 1], ["SUB-1", "SUB-2"], "round {round}: {t:?}");
        assert_eq!(t[k - 1], m(10 * round));
    }
    assert_eq!(count(&s, "SUB-1"), 4);
}

#[test]
fn stand_while_disconnected_transmits_at_next_open() {
    let mut s = Sim::new(quiet());
    assert!(!s.e.stand(1, text("SUB"), s.now));
    s.pump();
    assert!(s.sent.is_empty());
    s.open();
    assert_eq!(texts(&s), vec!["SUB"]);
    // While reconnecting too.
    s.drop_conn();
    assert!(!s.e.stand(2, text("SUB-2"), s.now));
    s.pump();
    assert_eq!(s.sent.len(), 1);
    s.advance(1000.0);
    s.open();
    assert_eq!(texts(&s), vec!["SUB", "SUB", "SUB-2"]);
}

#[test]
fn stand_replacement_keeps_its_position() {
    let mut s = Sim::new(quiet());
    s.e.stand(1, text("A"), 0.0);
    s.e.stand(2, text("B"), 0.0);
    s.e.stand(3, text("C"), 0.0);
    assert!(!s.e.stand(1, text("A2"), 0.0));
    s.open();
    assert_eq!(texts(&s), vec!["A2", "B", "C"]);
    // Replacing while open transmits the new frame now, and keeps its place.
    assert!(s.e.stand(2, text("B2"), s.now));
    s.pump();
    assert_eq!(texts(&s).last().map(String::as_str), Some("B2"));
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    let t = texts(&s);
    assert_eq!(&t[t.len() - 3..], ["A2", "B2", "C"]);
}

#[test]
fn unstand_sends_its_frame_only_if_open_and_forgets_the_entry() {
    let mut s = Sim::new(quiet());
    s.e.stand(1, text("SUB-1"), 0.0);
    s.e.stand(2, text("SUB-2"), 0.0);
    // Not open: forgotten, nothing sent.
    assert!(s.e.unstand(1, Some(text("UNSUB-1")), 0.0));
    s.pump();
    assert!(s.sent.is_empty());
    s.open();
    assert_eq!(texts(&s), vec!["SUB-2"]);
    // Open: the frame goes out now, not counted as a message.
    assert!(s.e.unstand(2, Some(text("UNSUB-2")), s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["SUB-2", "UNSUB-2"]);
    assert_eq!(s.e.metrics(s.now).messages_out, 0);
    // Unknown key: false, nothing sent even with a frame.
    assert!(!s.e.unstand(2, Some(text("UNSUB-2")), s.now));
    assert!(!s.e.unstand(99, Some(text("X")), s.now));
    s.pump();
    assert_eq!(s.sent.len(), 2);
    // Without a frame: only forgets.
    s.e.stand(3, text("SUB-3"), s.now);
    assert!(s.e.unstand(3, None, s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["SUB-2", "UNSUB-2", "SUB-3"]);
    // Reopen: nothing standing any more.
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    assert_eq!(s.sent.len(), 3, "{:?}", texts(&s));
}

#[test]
fn stand_confirmed_while_open_sends_the_receipt_variant_once_and_its_receipt_resolves() {
    let mut s = Sim::new(quiet());
    s.open();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let expect_id = s.e.next_request_id();
    let id =
        s.e.stand_confirmed(5, text("SUB"), None, s.now, |id| {
            c.set(c.get() + 1);
            Frame::Text(format!("SUB+receipt:{id}"))
        })
        .expect("registered");
    s.pump();
    assert_eq!(id, expect_id);
    assert_eq!(calls.get(), 1, "encode is called exactly once");
    assert_eq!(texts(&s), vec![format!("SUB+receipt:{id}")]);
    assert_eq!(s.e.metrics(s.now).pending_requests, 1);
    assert_eq!(s.e.metrics(s.now).messages_out, 0);
    assert_eq!(
        s.inbound_kind(9, FrameKind::Reply { id, error: false }),
        Delivery::Reply { id, error: false }
    );
    assert_eq!(s.delivered, vec![Delivery::Reply { id, error: false }]);
    assert_eq!(s.e.metrics(s.now).pending_requests, 0);
    // Later reopens send the plain frame.
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    assert_eq!(texts(&s).last().map(String::as_str), Some("SUB"));
    assert_eq!(texts(&s).len(), 2);
    assert!(failures(&s).is_empty());
    assert_eq!(calls.get(), 1);
}

#[test]
fn stand_confirmed_fails_connection_lost_when_the_connection_dies_after_sending_it() {
    let mut s = Sim::new(quiet());
    s.open();
    let id =
        s.e.stand_confirmed(5, text("SUB"), None, s.now, |id| Frame::Text(format!("SUB#{id}")))
            .expect("registered");
    s.pump();
    s.drop_conn();
    assert_eq!(failures(&s), vec![(id, Failure::ConnectionLost)]);
    s.advance(1000.0);
    s.open();
    assert_eq!(texts(&s), vec![format!("SUB#{id}"), "SUB".into()]);
    // The late receipt is for a settled request.
    assert_eq!(s.inbound_kind(9, FrameKind::Reply { id, error: false }), Delivery::Ignore);
}

#[test]
fn stand_confirmed_while_disconnected_sends_the_receipt_variant_at_the_next_open() {
    let mut s = handshaking_at(0.0);
    let id =
        s.e.stand_confirmed(5, text("SUB"), Some(60_000.0), s.now, |id| {
            Frame::Text(format!("SUB#{id}"))
        })
        .expect("registered while handshaking");
    s.pump();
    assert_eq!(texts(&s), vec!["HELLO"]);
    ready(&mut s, None);
    assert_eq!(texts(&s), vec!["HELLO".to_string(), format!("SUB#{id}")]);
    // Its deadline is its own (60 s), counted from the call.
    s.advance(59_999.0);
    assert!(failures(&s).is_empty());
    s.advance(1.0);
    assert_eq!(failures(&s), vec![(id, Failure::Timeout)]);
    // Still standing; plain from now on.
    s.drop_conn();
    s.advance(1000.0);
    s.open();
    ready(&mut s, None);
    assert_eq!(texts(&s).last().map(String::as_str), Some("SUB"));
    assert_eq!(texts(&s).iter().filter(|t| t.starts_with("SUB#")).count(), 1);
}

#[test]
fn stand_confirmed_when_closing_or_closed_returns_none_and_registers_nothing() {
    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    assert_eq!(s.e.state(), State::Closing);
    let called = Rc::new(Cell::new(false));
    let c = called.clone();
    assert_eq!(
        s.e.stand_confirmed(1, text("SUB"), None, s.now, |_| {
            c.set(true);
            text("SUB#")
        }),
        None
    );
    s.server_close(1000, "");
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.e.stand_confirmed(2, text("SUB"), None, s.now, |_| text("SUB#")), None);
    assert!(!called.get());
    assert_eq!(s.e.metrics(s.now).pending_requests, 0);
    // Nothing registered: a restart sends nothing standing.
    let before = s.sent.len();
    s.e.reconnect(s.now);
    s.pump();
    s.open();
    assert_eq!(s.sent.len(), before, "{:?}", texts(&s));
}

// ---------- control frames ----------

#[test]
fn control_is_refused_unless_the_session_can_carry_it() {
    // Connecting, transport not open.
    let mut s = Sim::new(quiet());
    assert!(!s.e.control(text("ACK"), s.now));
    assert!(!s.e.control_on(s.e.conn(), text("ACK"), s.now));
    s.pump();
    assert!(s.sent.is_empty());
    // Open.
    s.open();
    assert!(s.e.control(text("ACK"), s.now));
    assert!(s.e.control_on(s.e.conn(), text("ACK2"), s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["ACK", "ACK2"]);
    let mt = s.e.metrics(s.now);
    assert_eq!(mt.messages_out, 0);
    assert_eq!(mt.bytes_out, 7);
    // Reconnecting.
    let old = s.e.conn();
    s.drop_conn();
    assert!(!s.e.control(text("ACK"), s.now));
    // Open again: an ACK for a message of the old connection must not go out.
    s.advance(1000.0);
    s.open();
    assert!(!s.e.control_on(old, text("ACK-old"), s.now));
    assert!(s.e.control_on(s.e.conn(), text("ACK-new"), s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["ACK", "ACK2", "ACK-new"]);
    // Closing: control yes (e.g. the goodbye), control_on no.
    s.close();
    assert!(!s.e.control_on(s.e.conn(), text("ACK"), s.now));
    assert!(s.e.control(text("LAST"), s.now));
    s.server_close(1000, "");
    // Closed.
    assert!(!s.e.control(text("X"), s.now));
    assert!(!s.e.control_on(s.e.conn(), text("X"), s.now));
    s.pump();
    // (LAST was handed to the socket; the sim's socket was already closing and refused it.)
    let handed: Vec<_> = s.attempts.iter().map(|a| a.frame.clone()).collect();
    assert_eq!(handed, ["ACK", "ACK2", "ACK-new", "LAST"].map(text));
}

#[test]
fn control_on_is_refused_during_the_handshake() {
    let mut s = handshaking_at(0.0);
    assert!(!s.e.control_on(s.e.conn(), text("ACK"), s.now));
    assert!(s.e.control(text("MORE-HANDSHAKE"), s.now));
    s.pump();
    assert_eq!(texts(&s), vec!["HELLO", "MORE-HANDSHAKE"]);
}

// ---------- goodbye ----------

#[test]
fn goodbye_then_bye_closes_the_socket_with_the_users_code() {
    let mut s = Sim::new(bye());
    s.open();
    let conn = s.e.conn();
    s.e.close(4321, "done", s.now);
    s.pump();
    assert_eq!(s.e.state(), State::Closing);
    assert_eq!(s.goodbyes, vec![conn]);
    assert_eq!(texts(&s), vec!["BYE"]);
    assert!(s.closes.is_empty(), "no CloseSocket before the goodbye is answered");
    assert_eq!(s.send(1), Err(steadysocket::core::SendError::Closed));
    // Frames still arrive while closing.
    assert_eq!(s.inbound("raw"), Delivery::Raw);
    assert_eq!(s.inbound_kind(3, FrameKind::Bye), Delivery::Ignore);
    assert_eq!(s.closes, vec![(conn, 4321, "done".to_string(), true)]);
    assert_eq!(s.e.state(), State::Closing);
    // A second Bye: nothing more.
    s.inbound_kind(3, FrameKind::Bye);
    assert_eq!(s.closes.len(), 1);
    s.server_close(4321, "done");
    assert_eq!(s.e.state(), State::Closed);
    assert!(s.events.iter().any(|e| matches!(
        e,
        Event::Close { code: 4321, was_clean: true, will_reconnect: false, .. }
    )));
    s.advance(600_000.0);
    assert_eq!(s.connects.len(), 1, "no reconnect after a goodbye");
    assert!(errors(&s).is_empty(), "{:?}", errors(&s));
}

#[test]
fn goodbye_the_peer_closing_first_closes() {
    let mut s = Sim::new(bye());
    s.open();
    s.close();
    s.server_close(1000, "");
    assert_eq!(s.e.state(), State::Closed);
    assert!(s.closes.is_empty());
    // A late Bye: nothing.
    s.inbound_kind(3, FrameKind::Bye);
    assert!(s.closes.is_empty());
    s.advance(600_000.0);
    assert_eq!(s.connects.len(), 1);
}

#[test]
fn goodbye_unanswered_times_out() {
    let mut s = Sim::new(bye());
    s.open();
    let conn = s.e.conn();
    s.close();
    s.advance(2999.0);
    assert_eq!(s.e.state(), State::Closing);
    assert!(s.closes.is_empty());
    s.advance(1.0);
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.closes.len(), 1);
    assert_eq!((s.closes[0].0, s.closes[0].3), (conn, false), "stop waiting: {:?}", s.closes);
    assert!(s.events.iter().any(|e| matches!(
        e,
        Event::Close { code: 1006, was_clean: false, will_reconnect: false, .. }
    )));
    s.advance(600_000.0);
    assert_eq!(s.connects.len(), 1);
    assert_eq!(s.e.poll_timeout(), None);
}

#[test]
fn goodbye_answered_but_socket_never_closes_times_out_without_a_second_close() {
    let mut s = Sim::new(bye());
    s.open();
    s.close();
    s.inbound_kind(3, FrameKind::Bye);
    assert_eq!(s.closes.len(), 1);
    s.advance(3000.0);
    assert_eq!(s.e.state(), State::Closed);
    assert_eq!(s.closes.len(), 1, "{:?}", s.closes);
}

#[test]
fn goodbye_stops_the_heartbeat_and_is_not_said_without_a_session() {
    let mut s = Sim::new(Config { heartbeat: Some(HeartbeatConfig::default()), ..bye() });
    s.open();
    s.close();
    s.advance(2900.0);
    assert_eq!(s.pings_sent(), 0);
    // Not open: close() abandons the socket, no goodbye.
    let mut s = Sim::new(bye());
    s.close();
    assert!(s.goodbyes.is_empty());
    assert_eq!(s.e.state(), State::Closed);
    // Without goodbye configured: a Bye is meaningless.
    let mut s = Sim::new(quiet());
    s.open();
    s.close();
    assert!(s.goodbyes.is_empty());
    assert_eq!(s.closes.len(), 1);
    s.inbound_kind(3, FrameKind::Bye);
    assert_eq!(s.closes.len(), 1);
}

#[test]
fn bye_while_open_is_ignored() {
    let mut s = Sim::new(bye());
    s.open();
    assert_eq!(s.inbound_kind(3, FrameKind::Bye), Delivery::Ignore);
    assert!(s.closes.is_empty());
    assert_eq!(s.e.state(), State::Open);
    assert!(s.delivered.is_empty());
}

// ---------- pong, ServerError, Control ----------

#[test]
fn pong_none_leaves_pings_unanswered() {
    let mut s =
        Sim::new(Config { session: Session { pong: None, ..Session::default() }, ..quiet() });
    s.open();
    assert_eq!(s.inbound(r#"{"type":"ping"}"#), Delivery::Ignore);
    assert_eq!(s.inbound_kind(4, FrameKind::Ping), Delivery::Ignore);
    assert!(s.sent.is_empty());
    assert!(s.delivered.is_empty());
}

#[test]
fn pong_some_answers_with_exactly_that_frame() {
    let mut s = Sim::new(Config {
        session: Session { pong: Some("PONG \u{e9}\n".into()), ..Session::default() },
        ..quiet()
    });
    s.open();
    s.inbound_kind(4, FrameKind::Ping);
    s.inbound_kind(4, FrameKind::Ping);
    assert_eq!(texts(&s), vec!["PONG \u{e9}\n", "PONG \u{e9}\n"]);
    assert_eq!(s.e.metrics(s.now).messages_out, 0);
    // Default: v1's pong.
    let mut s = Sim::new(quiet());
    s.open();
    s.inbound(r#"{"type":"ping"}"#);
    assert_eq!(texts(&s), vec![r#"{"type":"pong"}"#]);
}

#[test]
fn server_error_is_delivered_and_counted() {
    let mut s = Sim::new(quiet());
    s.open();
    assert_eq!(s.inbound_kind(20, FrameKind::ServerError), Delivery::ServerError);
    assert_eq!(s.delivered, vec![Delivery::ServerError]);
    let mt = s.e.metrics(s.now);
    assert_eq!((mt.messages_in, mt.bytes_in), (1, 20));
    assert_eq!(s.e.state(), State::Open, "a server error does not drop the connection");
    assert!(errors(&s).is_empty(), "the driver builds the error event from the payload");
    // Too big: refused like any frame.
    let mut s = Sim::new(Config { max_message_bytes: 10, ..quiet() });
    s.open();
    assert_eq!(s.inbound_kind(11, FrameKind::ServerError), Delivery::Ignore);
    assert_eq!(errors(&s).first().map(|e| e.0), Some(ErrorKind::MessageTooBig));
}

#[test]
fn control_frames_are_proof_of_life_but_not_delivered() {
    let mut s = Sim::new(no_jitter());
    s.open();
    assert_eq!(s.inbound_kind(1, FrameKind::Control), Delivery::Ignore);
    assert!(s.delivered.is_empty());
    let mt = s.e.metrics(s.now);
    assert_eq!((mt.messages_in, mt.bytes_in), (0, 1));
    // Probe role: a control frame answers the probe.
    s.advance(25_000.0);
    assert_eq!(s.pings_sent(), 1);
    s.advance(9_000.0);
    s.inbound_kind(1, FrameKind::Control);
    s.advance(5_000.0);
    assert_eq!(s.e.state(), State::Open);
    assert!(errors(&s).is_empty());
    // Beat role: control frames keep the peer alive.
    let mut s = Sim::new(beating());
    s.open();
    ready(&mut s, Some((0, 3000)));
    for _ in 0..20 {
        s.advance(2000.0);
        s.inbound_kind(1, FrameKind::Control);
    }
    assert_eq!(s.e.state(), State::Open);
}

#[test]
fn error_kind_spellings() {
    assert_eq!(ErrorKind::HeartbeatTimeout.as_str(), "heartbeat-timeout");
    assert_eq!(ErrorKind::Handshake.as_str(), "handshake");
}

#[test]
fn session_defaults_are_protocol_v1() {
    let d = Session::default();
    assert!(!d.handshake);
    assert!(!d.goodbye);
    assert_eq!(d.handshake_timeout_ms, 10_000.0);
    assert_eq!(d.pong.as_deref(), Some(r#"{"type":"pong"}"#));
    assert_eq!(Config::default().session, d);
}

#[test]
fn next_request_id_predicts_the_next_request() {
    let mut s = Sim::new(quiet());
    s.open();
    for n in 0..5 {
        let next = s.e.next_request_id();
        assert_eq!(next, s.e.next_request_id(), "peeking does not consume");
        let (id, _) = s.request(n, None).expect("sent");
        assert_eq!(id, next);
    }
}

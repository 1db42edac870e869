//! Channels (`Engine::open_channel`): sub-sessions multiplexed on one connection, e.g.
//! Socket.IO namespaces. A closed channel's messages wait in the queue, in order, without
//! holding back other channels'; opening it sends them at once, before anything sent after;
//! every channel but 0 closes with the connection.
//! (Only Socket.IO has channels: the engine compiles them with the `socketio` feature.)
#![cfg(feature = "socketio")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use steadysocket::core::envelope::WireFrame;
use steadysocket::core::{Action, Config, Engine, Sent, State};

/// A frame that is just its channel and a number.
#[derive(Debug, Clone, PartialEq)]
struct F(u32, u32);

impl WireFrame for F {
    fn wire_len(&self) -> usize {
        8
    }
    fn text(_: String) -> Self {
        F(0, 0)
    }
    fn channel(&self) -> u32 {
        self.0
    }
}

struct T {
    e: Engine<(), F>,
    conn: u64,
    out: Vec<F>,
}

impl T {
    fn new() -> Self {
        let c = Config { heartbeat: None, ..Config::default() };
        let mut t = T { e: Engine::new(c, 0.0), conn: 0, out: Vec::new() };
        t.pump();
        t
    }
    fn pump(&mut self) {
        while let Some(a) = self.e.poll_action() {
            match a {
                Action::Connect { conn } => self.conn = conn,
                Action::Transmit { frame, .. } => self.out.push(frame),
                Action::Flush => self.e.flush(0.0),
                _ => {}
            }
        }
    }
    fn open(&mut self) {
        self.e.on_open(self.conn, 0.0);
        self.pump();
        assert_eq!(self.e.state(), State::Open);
    }
    fn send(&mut self, ch: u32, n: u32) -> Sent {
        let r = self.e.send(F(ch, n), (), 0.0).unwrap();
        self.pump();
        r
    }
    fn take(&mut self) -> Vec<F> {
        std::mem::take(&mut self.out)
    }
}

#[test]
fn a_closed_channel_queues_without_holding_back_the_others() {
    let mut t = T::new();
    t.send(1, 1);
    t.send(0, 2);
    t.send(2, 3);
    t.send(1, 4);
    t.open();
    assert_eq!(t.take(), [F(0, 2)], "only channel 0 is open at first");
    assert_eq!(t.send(0, 5), Sent::Sent);
    assert_eq!(t.send(1, 6), Sent::Queued, "channel 1 is not open yet");
    t.e.open_channel(1, 0.0);
    t.pump();
    // Channel 1's backlog goes in order, at once, before anything sent after the opening.
    assert_eq!(t.take(), [F(0, 5), F(1, 1), F(1, 4), F(1, 6)]);
    assert_eq!(t.send(1, 7), Sent::Sent);
    assert_eq!(t.take(), [F(1, 7)]);
    assert_eq!(t.e.queued(), 1, "channel 2's message still waits");
    t.e.open_channel(2, 0.0);
    t.pump();
    assert_eq!(t.take(), [F(2, 3)]);
    // Closing a channel: its new messages wait again.
    t.e.close_channel(2);
    assert_eq!(t.send(2, 8), Sent::Queued);
    assert!(!t.e.channel_open(2) && t.e.channel_open(1) && t.e.channel_open(0));
}

#[test]
fn channels_close_with_the_connection() {
    let mut t = T::new();
    t.open();
    t.e.open_channel(3, 0.0);
    t.pump();
    assert!(t.e.channel_open(3));
    let conn = t.conn;
    t.e.on_close(conn, 1006, "", false, 0.0);
    t.pump();
    assert!(!t.e.channel_open(3));
    assert_eq!(t.send(3, 1), Sent::Queued);
    // Reconnected: channel 3 stays closed until opened again.
    for _ in 0..100 {
        t.e.on_timer(t.e.poll_timeout().unwrap_or(0.0));
        t.pump();
        if t.e.state() == State::Connecting {
            break;
        }
    }
    t.open();
    assert_eq!(t.take(), [], "channel 3 is closed on the new connection");
    t.e.open_channel(3, 0.0);
    t.pump();
    assert_eq!(t.take(), [F(3, 1)]);
    // Opening an open channel or one while not open does nothing.
    t.e.open_channel(3, 0.0);
    t.pump();
    assert_eq!(t.take(), []);
}

//! A simulated driver for the sans-IO engine: a fake clock, recorded actions, and timers
//! that fire (optionally late) as the clock advances. Like the browser driver it performs
//! actions strictly first-in, first-out; handlers called while an `Emit` is performed may
//! call back into the engine (their actions go to the back of the queue). A `Transmit` to a
//! connection whose socket is closing or closed (see [`Sim::dead`]) is refused and handed
//! back with `on_transmit_failed` before the next action is polled.
#![allow(dead_code)]

use std::collections::HashSet;

use steadysocket::core::envelope::{decode, encode_event};
use steadysocket::core::{
    Action, Config, Delivery, DropReason, Engine, Event, Frame, FrameKind, Msg, Sent, State,
};

/// A stand-in for a JS `open` handler.
pub type OpenHook = Box<dyn FnMut(&mut Engine<u32>, f64)>;

/// What a handler sees while the pump performs an `Emit`.
pub struct Ctx<'a> {
    pub e: &'a mut Engine<u32>,
    pub now: f64,
    /// The pump's step counter at this `Emit` (see [`Sim::tick`]).
    pub tick: u64,
    /// Connections whose socket is closing or closed (a handler may add one: a fault).
    pub dead: &'a mut HashSet<u64>,
}

/// A stand-in for JS event handlers: called for every `Emit` performed, after it is recorded.
pub type EmitHook = Box<dyn FnMut(&mut Ctx<'_>, &Event<u32>)>;

/// One `Transmit` the pump performed.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub conn: u64,
    pub frame: Frame,
    pub msg: Option<Msg<u32>>,
    /// Whether the socket accepted it.
    pub ok: bool,
    /// The tick of the latest `Flush` performed before it.
    pub after_flush: u64,
}

/// The simulated world around one engine. Message metadata is a `u32` message number.
pub struct Sim {
    pub e: Engine<u32>,
    /// Inbound payloads handed to the application (`Action::Deliver`), in order.
    pub delivered: Vec<Delivery>,
    pub now: f64,
    /// Frames transmitted, with the connection they went to.
    pub sent: Vec<(u64, Frame)>,
    pub events: Vec<Event<u32>>,
    pub connects: Vec<u64>,
    /// (conn, code, reason, await_close)
    pub closes: Vec<(u64, u16, String, bool)>,
    /// Called when an `Open` event is performed (before the backlog flush), like a JS
    /// `open` handler.
    pub on_open: Option<OpenHook>,
    /// Called for every `Emit` performed.
    pub on_emit: Option<EmitHook>,
    /// Connections whose socket is closing or closed: transmits to them are refused. A
    /// connection joins on `CloseSocket`, on a close/drop input, and on [`Sim::socket_closing`].
    pub dead: HashSet<u64>,
    /// Every `Transmit` performed, accepted or refused, in order.
    pub attempts: Vec<Attempt>,
    /// A step counter: +1 per action performed (and per [`Sim::step`]).
    pub tick: u64,
    /// The tick of the latest `Flush` performed.
    pub last_flush: u64,
    /// Upgrade probes asked for (`Action::Probe`): (conn, transport).
    pub probes: Vec<(u64, steadysocket::core::Transport)>,
    /// The tag of every accepted `Transmit`, with its message number (if any).
    pub tags: Vec<(u64, Option<u32>)>,
    /// Connections whose handshake was asked for (`Action::Handshake`); the sim answers with
    /// the control frame `HELLO`.
    pub handshakes: Vec<u64>,
    /// Connections whose goodbye was asked for (`Action::Goodbye`); the sim answers with the
    /// control frame `BYE`.
    pub goodbyes: Vec<u64>,
}

impl Sim {
    pub fn new(config: Config) -> Self {
        let mut s = Sim {
            e: Engine::new(config, 0.0),
            delivered: vec![],
            now: 0.0,
            sent: vec![],
            events: vec![],
            connects: vec![],
            closes: vec![],
            on_open: None,
            on_emit: None,
            dead: HashSet::new(),
            attempts: vec![],
            tick: 0,
            last_flush: 0,
            handshakes: vec![],
            goodbyes: vec![],
            probes: vec![],
            tags: vec![],
        };
        s.pump();
        s
    }

    /// Advances the step counter (an input from outside the pump); returns the new tick.
    pub fn step(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// Performs every pending action, in order, like the browser driver.
    pub fn pump(&mut self) {
        let mut next = None;
        while let Some(a) = next.take().or_else(|| self.e.poll_action()) {
            self.tick += 1;
            match a {
                Action::Connect { conn } => self.connects.push(conn),
                Action::Probe { conn, transport } => self.probes.push((conn, transport)),
                Action::Transmit { conn, frame, msg, tag } => {
                    // The message data travels with its frame.
                    let (n, id) = (frame_number(&frame), frame_request_id(&frame));
                    match &msg {
                        Some(m) => assert_eq!((Some(m.meta), m.request), (n, id), "{frame:?}"),
                        None => assert_eq!(n, None, "a user frame without its message"),
                    }
                    let ok = !self.dead.contains(&conn);
                    let after_flush = self.last_flush;
                    self.attempts.push(Attempt {
                        conn,
                        frame: frame.clone(),
                        msg: msg.clone(),
                        ok,
                        after_flush,
                    });
                    if ok {
                        self.tags.push((tag, msg.as_ref().map(|m| m.meta)));
                        self.sent.push((conn, frame));
                    } else {
                        let meta = msg.as_ref().map(|m| m.meta);
                        self.e.on_transmit_failed(conn, frame, msg, self.now);
                        // The drop comes out next, where its Sent would have been.
                        next = self.e.poll_action();
                        if let Some(n) = meta {
                            assert!(
                                matches!(&next, Some(Action::Emit(Event::Dropped { meta, reason: DropReason::ConnectionLost, .. })) if *meta == n),
                                "after refused message {n}: {next:?}"
                            );
                        }
                    }
                }
                Action::CloseSocket { conn, code, reason, await_close } => {
                    self.dead.insert(conn);
                    self.closes.push((conn, code, reason, await_close))
                }
                Action::Flush => {
                    self.last_flush = self.tick;
                    self.e.flush(self.now);
                }
                Action::Emit(ev) => {
                    let is_open = matches!(ev, Event::Open { .. });
                    self.events.push(ev.clone());
                    if is_open {
                        if let Some(mut f) = self.on_open.take() {
                            f(&mut self.e, self.now);
                            self.on_open = Some(f);
                        }
                    }
                    if let Some(mut f) = self.on_emit.take() {
                        let mut ctx = Ctx {
                            e: &mut self.e,
                            now: self.now,
                            tick: self.tick,
                            dead: &mut self.dead,
                        };
                        f(&mut ctx, &ev);
                        self.on_emit = Some(f);
                    }
                }
                Action::Deliver(d) => self.delivered.push(d),
                Action::Handshake { conn } => {
                    self.handshakes.push(conn);
                    self.e.control(Frame::Text("HELLO".into()), self.now);
                }
                Action::Goodbye { conn } => {
                    self.goodbyes.push(conn);
                    self.e.control(Frame::Text("BYE".into()), self.now);
                }
            }
        }
    }

    /// The current socket starts closing (the server's close frame arrived; the close
    /// event has not): transmits to it are refused from now on.
    pub fn socket_closing(&mut self) {
        self.dead.insert(self.e.conn());
    }

    /// Messages whose transmit the socket refused, in order.
    pub fn refused_numbers(&self) -> Vec<u32> {
        self.attempts.iter().filter(|a| !a.ok).filter_map(|a| Some(a.msg.as_ref()?.meta)).collect()
    }

    /// Advances the clock to `t`, firing every timer due on the way `late` ms late.
    pub fn advance_late(&mut self, t: f64, late: f64) {
        let mut fired = 0u32;
        while let Some(d) = self.e.poll_timeout() {
            if d > t.max(self.now) {
                break;
            }
            fired += 1;
            assert!(fired < 10_000, "timer livelock: deadline {d} keeps firing at {}", self.now);
            self.now = self.now.max(d + late);
            self.e.on_timer(self.now);
            self.pump();
        }
        self.now = self.now.max(t);
    }

    pub fn advance_to(&mut self, t: f64) {
        self.advance_late(t, 0.0);
    }

    pub fn advance(&mut self, dt: f64) {
        self.advance_to(self.now + dt);
    }

    /// Fires timers until the state is `s` (or `limit` ms pass); returns the time it took.
    pub fn run_until_state(&mut self, s: State, limit: f64) -> Option<f64> {
        let start = self.now;
        while self.e.state() != s {
            let d = self.e.poll_timeout()?;
            if d - start > limit {
                return None;
            }
            self.advance_to(d);
        }
        Some(self.now - start)
    }

    pub fn open(&mut self) {
        let c = self.e.conn();
        self.e.on_open(c, self.now);
        self.pump();
    }

    pub fn server_close(&mut self, code: u16, reason: &str) {
        let c = self.e.conn();
        self.dead.insert(c);
        self.e.on_close(c, code, reason, code != 1006, self.now);
        self.pump();
    }

    pub fn drop_conn(&mut self) {
        self.server_close(1006, "");
    }

    /// An inbound text frame, decoded and classified like the driver does.
    pub fn inbound(&mut self, text: &str) -> Delivery {
        let c = self.e.conn();
        let kind = decode(text).kind;
        let d = self.e.on_frame(c, text.len(), kind, self.now);
        self.pump();
        d
    }

    pub fn inbound_kind(&mut self, len: usize, kind: FrameKind) -> Delivery {
        let c = self.e.conn();
        let d = self.e.on_frame(c, len, kind, self.now);
        self.pump();
        d
    }

    pub fn send(&mut self, n: u32) -> Result<Sent, steadysocket::core::SendError> {
        let r = self.e.send(Frame::Text(encode_event("m", &n.to_string())), n, self.now);
        self.pump();
        r
    }

    pub fn request(
        &mut self,
        n: u32,
        timeout: Option<f64>,
    ) -> Result<(u64, Sent), steadysocket::core::SendError> {
        let r = self.e.request("r", &n.to_string(), timeout, n, self.now);
        self.pump();
        r
    }

    pub fn close(&mut self) {
        self.e.close(1000, "bye", self.now);
        self.pump();
    }

    /// Message numbers of transmitted `m`/`r` frames, in order.
    pub fn sent_numbers(&self) -> Vec<u32> {
        self.sent.iter().filter_map(|(_, f)| frame_number(f)).collect()
    }

    pub fn pings_sent(&self) -> usize {
        self.sent
            .iter()
            .filter(|(_, f)| matches!(f, Frame::Text(t) if t == r#"{"type":"ping"}"#))
            .count()
    }

    pub fn states(&self) -> Vec<State> {
        self.events
            .iter()
            .filter_map(|e| if let Event::State { to, .. } = e { Some(*to) } else { None })
            .collect()
    }

    pub fn reconnect_delays(&self) -> Vec<Option<f64>> {
        self.events
            .iter()
            .filter_map(|e| {
                if let Event::Reconnecting { delay_ms, .. } = e {
                    Some(*delay_ms)
                } else {
                    None
                }
            })
            .collect()
    }

    pub fn take_events(&mut self) -> Vec<Event<u32>> {
        std::mem::take(&mut self.events)
    }
}

/// The message number carried in `data` of an `m` event or `r` request frame.
pub fn frame_number(f: &Frame) -> Option<u32> {
    let Frame::Text(t) = f else { return None };
    let v = decode(t).value?;
    match v.get("type")?.as_str()? {
        "m" | "r" => v.get("data")?.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
}

/// The request id in an `r` request frame.
pub fn frame_request_id(f: &Frame) -> Option<u64> {
    let Frame::Text(t) = f else { return None };
    decode(t).value?.get("id")?.as_u64()
}

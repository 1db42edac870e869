//! Heartbeat: when to ping, when to declare the peer dead, and RTT statistics.
//!
//! Rules (all deadlines are computed from timestamps, never from counted ticks):
//! - A ping is due `interval_ms` after the later of "last frame sent" and "last frame
//!   received" stops moving, i.e. at `min(last_out, last_in) + interval_ms`: silence in either
//!   direction triggers a probe, so a client that only sends still notices a dead server.
//! - After a ping is sent at time `p`, the peer is dead if nothing at all arrives before
//!   `p + timeout_ms`. Any inbound frame is proof of life.
//! - A tick that fires late never jumps to "dead": a late "ping due" tick sends the probe
//!   and waits `timeout_ms` from that real send time.
//!
//! That is the *probe* role (the client pings and awaits any frame: protocol v1, raw with a
//! ping). A protocol may negotiate the *beat* role instead ([`Heartbeat::beating`]): the client
//! sends its beat after `send_ms` of outbound silence, and inbound silence of `recv_ms` means
//! the peer is dead (STOMP's `heart-beat`; with `send_ms` off it is the role where only the
//! server pings, as in Engine.IO). Same timestamps, same late-tick safety: a tick that fires
//! late after outbound silence sends the beat first, and death is only declared from inbound
//! silence measured against real timestamps: a beat sent after the peer's deadline had
//! already passed (a late tick; frames may be waiting behind it) restarts the peer's clock
//! from that real send time, once until the next inbound frame.

/// Heartbeat settings (the `heartbeat` option in JS).
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatConfig {
    /// Silence, in ms, after which a ping is sent. Default `25000`.
    pub interval_ms: f64,
    /// How long, in ms, to wait for any inbound frame after a ping. Default `10000`.
    pub timeout_ms: f64,
    /// The exact text frame sent as a ping. Default `{"type":"ping"}`.
    pub ping: String,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self { interval_ms: 25_000.0, timeout_ms: 10_000.0, ping: r#"{"type":"ping"}"#.into() }
    }
}

/// What the heartbeat wants done at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Nothing to do yet.
    Idle,
    /// Send a ping now.
    Ping,
    /// No sign of life within the timeout after a ping: the connection is dead.
    Dead,
}

/// Round-trip-time statistics (RFC 6298 style smoothing).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rtt {
    /// The latest ping→pong sample, in ms.
    pub latest: Option<f64>,
    /// Smoothed RTT (`srtt = 7/8·srtt + 1/8·sample`), in ms.
    pub smoothed: Option<f64>,
    /// RTT variation (`rttvar = 3/4·rttvar + 1/4·|srtt − sample|`), in ms.
    pub jitter: Option<f64>,
}

impl Rtt {
    fn sample(&mut self, rtt: f64) {
        self.latest = Some(rtt);
        match (self.smoothed, self.jitter) {
            (Some(s), Some(j)) => {
                self.jitter = Some(0.75 * j + 0.25 * (s - rtt).abs());
                self.smoothed = Some(0.875 * s + 0.125 * rtt);
            }
            _ => {
                self.smoothed = Some(rtt);
                self.jitter = Some(rtt / 2.0);
            }
        }
    }
}

/// Per-connection heartbeat state.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    config: HeartbeatConfig,
    /// The beat role's `(send_ms, recv_ms)` (`None`: the probe role). `INFINITY` = off.
    beat: Option<(f64, f64)>,
    last_out: f64,
    last_in: f64,
    /// When the outstanding probe was sent; cleared by any inbound frame.
    probe_at: Option<f64>,
    /// When the ping used for the next RTT sample was sent; cleared by a pong.
    rtt_ping_at: Option<f64>,
    rtt: Rtt,
}

impl Heartbeat {
    /// A heartbeat for a connection that opened at `now`.
    pub fn new(config: HeartbeatConfig, now: f64) -> Self {
        Self {
            config,
            beat: None,
            last_out: now,
            last_in: now,
            probe_at: None,
            rtt_ping_at: None,
            rtt: Rtt::default(),
        }
    }

    /// A heartbeat in the beat role: send `config.ping` after `send_ms` of outbound silence;
    /// the peer is dead after `recv_ms` of inbound silence. `None` (or a non-positive value)
    /// turns that direction off. With both off, the heartbeat never fires.
    pub fn beating(
        config: HeartbeatConfig,
        send_ms: Option<f64>,
        recv_ms: Option<f64>,
        now: f64,
    ) -> Self {
        let on = |v: Option<f64>| v.filter(|v| *v > 0.0).unwrap_or(f64::INFINITY);
        Self { beat: Some((on(send_ms), on(recv_ms))), ..Self::new(config, now) }
    }

    /// Whether this heartbeat is in the beat role, and at which `(send_ms, recv_ms)`
    /// (`INFINITY` = that direction is off).
    pub fn beat(&self) -> Option<(f64, f64)> {
        self.beat
    }

    /// Seeds the RTT statistics (those of an earlier connection), so the values survive a
    /// reconnect and smoothing continues from them.
    pub fn with_rtt(mut self, rtt: Rtt) -> Self {
        self.rtt = rtt;
        self
    }

    /// The settings.
    pub fn config(&self) -> &HeartbeatConfig {
        &self.config
    }

    /// Restarts the schedule for a fresh connection, keeping RTT statistics.
    pub fn restart(&mut self, now: f64) {
        self.last_out = now;
        self.last_in = now;
        self.probe_at = None;
        self.rtt_ping_at = None;
    }

    /// Records an outbound frame.
    pub fn on_outbound(&mut self, now: f64) {
        self.last_out = self.last_out.max(now);
    }

    /// Records an inbound frame: proof of life.
    pub fn on_inbound(&mut self, now: f64) {
        self.last_in = self.last_in.max(now);
        self.probe_at = None;
    }

    /// Records a pong (after [`on_inbound`](Self::on_inbound)): takes an RTT sample if a
    /// ping was outstanding; returns whether it did.
    pub fn on_pong(&mut self, now: f64) -> bool {
        match self.rtt_ping_at.take() {
            Some(sent) => {
                self.rtt.sample((now - sent).max(0.0));
                true
            }
            None => false,
        }
    }

    /// Records that a ping was sent at `now`.
    pub fn on_ping_sent(&mut self, now: f64) {
        self.on_outbound(now);
        if let Some((_, recv)) = self.beat {
            // A late beat: the peer's deadline passed while we were not running, so inbound
            // frames may be queued behind this tick. Judge the peer from now (once).
            if self.probe_at.is_none() && now > self.last_in + recv {
                self.probe_at = Some(now);
            }
            return;
        }
        if self.probe_at.is_none() {
            self.probe_at = Some(now);
        }
        if self.rtt_ping_at.is_none() {
            self.rtt_ping_at = Some(now);
        }
    }

    /// Whether a probe is outstanding (never in the beat role).
    pub fn probing(&self) -> bool {
        self.beat.is_none() && self.probe_at.is_some()
    }

    /// The next time [`poll`](Self::poll) has something to do (`INFINITY`: never).
    pub fn deadline(&self) -> f64 {
        if let Some((send, recv)) = self.beat {
            return (self.last_out + send).min(self.peer_clock() + recv);
        }
        match self.probe_at {
            Some(p) => p + self.config.timeout_ms,
            None => self.last_out.min(self.last_in) + self.config.interval_ms,
        }
    }

    /// What to do at `now`.
    pub fn poll(&self, now: f64) -> Beat {
        if let Some((send, recv)) = self.beat {
            return if now >= self.last_out + send {
                // Outbound silence first: a late tick beats before judging the peer.
                Beat::Ping
            } else if now >= self.peer_clock() + recv {
                Beat::Dead
            } else {
                Beat::Idle
            };
        }
        if now < self.deadline() {
            Beat::Idle
        } else if self.probe_at.is_some() {
            Beat::Dead
        } else {
            Beat::Ping
        }
    }

    /// Beat role: when the peer's inbound silence started counting (the last inbound frame,
    /// or a late beat after it).
    fn peer_clock(&self) -> f64 {
        self.probe_at.map_or(self.last_in, |p| p.max(self.last_in))
    }

    /// RTT statistics so far.
    pub fn rtt(&self) -> Rtt {
        self.rtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb() -> Heartbeat {
        Heartbeat::new(HeartbeatConfig::default(), 0.0)
    }

    #[test]
    fn ping_after_interval_then_dead_after_timeout() {
        let mut h = hb();
        assert_eq!(h.poll(24_999.0), Beat::Idle);
        assert_eq!(h.poll(25_000.0), Beat::Ping);
        h.on_ping_sent(25_000.0);
        assert_eq!(h.deadline(), 35_000.0);
        assert_eq!(h.poll(34_999.0), Beat::Idle);
        assert_eq!(h.poll(35_000.0), Beat::Dead);
    }

    #[test]
    fn any_inbound_is_proof_of_life() {
        let mut h = hb();
        h.on_ping_sent(25_000.0);
        h.on_inbound(30_000.0);
        assert_eq!(h.poll(35_000.0), Beat::Idle);
        assert_eq!(h.deadline(), 50_000.0);
    }

    #[test]
    fn late_tick_probes_instead_of_declaring_dead() {
        let mut h = hb();
        // The timer was due at 25 s but the tab was throttled: it fires at 95 s.
        assert_eq!(h.poll(95_000.0), Beat::Ping);
        h.on_ping_sent(95_000.0);
        assert_eq!(h.poll(95_001.0), Beat::Idle);
        assert_eq!(h.deadline(), 105_000.0);
    }

    #[test]
    fn inbound_silence_triggers_ping_even_while_sending() {
        let mut h = hb();
        for t in (0..30).map(|s| f64::from(s) * 1000.0) {
            h.on_outbound(t);
        }
        assert_eq!(h.poll(25_000.0), Beat::Ping);
    }

    #[test]
    fn beat_role_sends_on_outbound_silence_and_dies_on_inbound_silence() {
        let cfg = HeartbeatConfig { ping: "\n".into(), ..HeartbeatConfig::default() };
        let mut h = Heartbeat::beating(cfg.clone(), Some(1000.0), Some(3000.0), 0.0);
        assert!(!h.probing());
        assert_eq!(h.deadline(), 1000.0);
        assert_eq!(h.poll(999.0), Beat::Idle);
        assert_eq!(h.poll(1000.0), Beat::Ping);
        h.on_ping_sent(1000.0);
        assert!(!h.probing());
        assert_eq!(h.deadline(), 2000.0);
        h.on_ping_sent(2000.0);
        assert_eq!(h.deadline(), 3000.0);
        h.on_outbound(2900.0);
        assert_eq!(h.poll(3000.0), Beat::Dead);
        // Inbound resets the peer's clock.
        h.on_inbound(3000.0);
        assert_eq!(h.poll(3000.0), Beat::Idle);
        // A late tick after long outbound silence beats before judging: the caller beats,
        // and the next tick (real inbound silence) decides.
        assert_eq!(h.poll(10_000.0), Beat::Ping);
        // A beat sent late, after the peer's deadline passed, restarts the peer's clock from
        // the real send time (frames may be waiting behind the late tick), once.
        h.on_ping_sent(10_000.0);
        assert_eq!(h.deadline(), 11_000.0);
        assert_eq!(h.poll(10_000.0), Beat::Idle);
        assert_eq!(h.poll(12_999.0), Beat::Ping);
        h.on_ping_sent(12_999.0);
        assert_eq!(h.poll(12_999.0), Beat::Idle);
        h.on_ping_sent(20_000.0);
        assert_eq!(h.poll(20_000.0), Beat::Dead, "once: a second late beat does not restart it");
        h.on_inbound(20_000.0);
        assert_eq!(h.deadline(), 21_000.0);
        assert_eq!(h.poll(22_999.0), Beat::Ping);
        // Only the server beats (send off): never Ping.
        let h = Heartbeat::beating(cfg.clone(), None, Some(5000.0), 0.0);
        assert_eq!(h.deadline(), 5000.0);
        assert_eq!(h.poll(4999.0), Beat::Idle);
        assert_eq!(h.poll(5000.0), Beat::Dead);
        // Both off: never fires.
        let h = Heartbeat::beating(cfg, Some(0.0), None, 0.0);
        assert_eq!(h.deadline(), f64::INFINITY);
        assert_eq!(h.poll(1e12), Beat::Idle);
    }

    #[test]
    fn rtt_smoothing() {
        let mut h = hb();
        h.on_ping_sent(100.0);
        h.on_inbound(140.0);
        h.on_pong(140.0);
        assert_eq!(h.rtt().latest, Some(40.0));
        assert_eq!(h.rtt().smoothed, Some(40.0));
        assert_eq!(h.rtt().jitter, Some(20.0));
        h.on_ping_sent(1000.0);
        h.on_inbound(1080.0);
        h.on_pong(1080.0);
        assert_eq!(h.rtt().latest, Some(80.0));
        assert_eq!(h.rtt().smoothed, Some(45.0));
        assert_eq!(h.rtt().jitter, Some(25.0));
        // A pong with no ping outstanding takes no sample.
        h.on_pong(2000.0);
        assert_eq!(h.rtt().latest, Some(80.0));
    }

    #[test]
    fn seeded_rtt_survives_and_smoothing_continues() {
        let mut old = hb();
        old.on_ping_sent(0.0);
        old.on_pong(40.0);
        let mut h = Heartbeat::new(HeartbeatConfig::default(), 5000.0).with_rtt(old.rtt());
        assert_eq!(h.rtt(), old.rtt());
        h.on_ping_sent(6000.0);
        h.on_pong(6080.0);
        assert_eq!(h.rtt().latest, Some(80.0));
        assert_eq!(h.rtt().smoothed, Some(45.0));
        assert_eq!(h.rtt().jitter, Some(25.0));
    }
}

//! Endpoint lists (JS `url: [a, b, c]`, or a URL provider returning a list): which endpoint
//! each attempt uses.
//!
//! Rules (README "Running against a cluster"):
//! - attempts go through the list with the backoff: after an endpoint fails (refused, or an
//!   open connection to it died), the next attempt uses the next endpoint in list order;
//! - an endpoint that failed is skipped for `skip_ms` (unless every endpoint is skipped: then
//!   the one whose skip ends first);
//! - sticky: after a connection to an endpoint opened, attempts start from it again (a
//!   reconnect after a lost network goes back to the last good node first only if it is not
//!   skipped); a working connection is never dropped to go back to the first endpoint: the
//!   first is used again when the rotation reaches it.

/// The endpoint choice of one socket.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    /// How long (ms) an endpoint that failed is skipped.
    skip_ms: f64,
    /// Per endpoint: skipped until then (ms, the engine's clock).
    until: Vec<f64>,
    /// The endpoint the next attempt starts looking from.
    start: usize,
    /// The endpoint of the current (or last) attempt.
    at: usize,
    /// The endpoint of the last open, if any.
    good: Option<usize>,
    /// An attempt chose an endpoint since the last failure or open (only those count).
    chosen: bool,
}

impl Endpoints {
    pub fn new(skip_ms: f64) -> Self {
        Self { skip_ms, until: Vec::new(), start: 0, at: 0, good: None, chosen: false }
    }

    /// The endpoint for an attempt at `now`, of a list of `n` (`n` >= 1).
    pub fn pick(&mut self, n: usize, now: f64) -> usize {
        let n = n.max(1);
        self.until.resize(n, f64::NEG_INFINITY);
        let start = self.start % n;
        let free = (0..n).map(|i| (start + i) % n).find(|&i| self.until[i] <= now);
        let i = free.unwrap_or_else(|| {
            // Every one is skipped: the one free first (ties: list order from `start`).
            (0..n).map(|i| (start + i) % n).fold(start, |b, i| {
                if self.until[i] < self.until[b] {
                    i
                } else {
                    b
                }
            })
        });
        self.at = i;
        self.chosen = true;
        i
    }

    /// The current attempt's endpoint failed (or its open connection died) at `now`.
    pub fn failed(&mut self, now: f64) {
        if !self.chosen {
            return;
        }
        self.chosen = false;
        if let Some(u) = self.until.get_mut(self.at) {
            *u = now + self.skip_ms;
        }
        self.start = self.at + 1;
    }

    /// The current attempt opened: its endpoint, if it differs from the last open's.
    pub fn opened(&mut self) -> Option<usize> {
        if !self.chosen {
            return None;
        }
        if let Some(u) = self.until.get_mut(self.at) {
            *u = f64::NEG_INFINITY;
        }
        self.start = self.at;
        (self.good != Some(self.at)).then(|| {
            self.good = Some(self.at);
            self.at
        })
    }

    /// The endpoint of the current (or last) attempt.
    pub fn current(&self) -> usize {
        self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_skips_and_sticks() {
        let mut e = Endpoints::new(1000.0);
        assert_eq!(e.pick(3, 0.0), 0);
        e.failed(0.0); // 0 refused: skipped until 1000
        assert_eq!(e.pick(3, 10.0), 1);
        assert_eq!(e.opened(), Some(1));
        // A reconnect after a network blip: back to 1 (sticky).
        assert_eq!(e.pick(3, 20.0), 1);
        assert_eq!(e.opened(), None, "same endpoint: no event");
        e.failed(30.0); // 1 died: skipped until 1030
        assert_eq!(e.pick(3, 40.0), 2);
        e.failed(40.0); // 2 refused too: every one skipped; 0 frees first (1000)
        assert_eq!(e.pick(3, 50.0), 0);
        e.failed(50.0); // 0 again: until 1050; 1 frees first now (1030)
        assert_eq!(e.pick(3, 60.0), 1);
        e.failed(60.0);
        assert_eq!(e.pick(3, 2000.0), 2, "after the skips: list order from the next one");
    }

    #[test]
    fn one_endpoint_and_a_changing_list() {
        let mut e = Endpoints::new(1000.0);
        for t in 0..3 {
            assert_eq!(e.pick(1, f64::from(t)), 0);
            e.failed(f64::from(t));
        }
        assert_eq!(e.pick(2, 5.0), 1, "the list grew: the new one is free");
        e.failed(5.0);
        e.failed(6.0); // no attempt in between: counts once
        assert_eq!(e.pick(0, 7.0), 0, "an empty list counts as one");
    }
}

//! Request correlation ids and deadlines.
//!
//! Each request gets a fresh integer id and a deadline counted from the call (time spent
//! queued included). A request is either *queued* (its frame waits in the outbox) or
//! *in flight* on one connection; when that connection dies it fails with
//! `connection-lost` (no silent re-send).
//!
//! Deadlines live in a min-heap with lazy deletion; the heap's top is kept live (every
//! mutation pops stale tops), so [`Requests::next_deadline`] is O(1).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::idmap::IdMap;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No reply before the deadline.
    Timeout,
    /// It was transmitted, then its connection died before the reply.
    ConnectionLost,
    /// The socket was closed (by the user, or for good) before a reply.
    Closed,
    /// Its frame was dropped from the queue before transmission (overflow or TTL).
    Dropped,
    /// Its frame was over the peer's size limit and never sent ([`DropReason::TooBig`](super::DropReason::TooBig)).
    TooBig,
}

impl Failure {
    /// The JS `error.kind`: `"timeout"`, `"connection-lost"`, `"closed"`, `"dropped"` or
    /// `"too-big"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::ConnectionLost => "connection-lost",
            Failure::Closed => "closed",
            Failure::Dropped => "dropped",
            Failure::TooBig => "too-big",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    deadline: u64,
    /// The connection it was transmitted on; `None` while queued.
    conn: Option<u64>,
}

/// Time as an ordered key. Times are non-negative, for which the IEEE bit pattern orders
/// like the number; anything else is clamped to 0.
fn key(t: f64) -> u64 {
    if t > 0.0 {
        t.to_bits()
    } else {
        0
    }
}

/// The table of pending requests.
#[derive(Debug, Default)]
pub struct Requests {
    next_id: u64,
    pending: IdMap<Pending>,
    deadlines: BinaryHeap<Reverse<(u64, u64)>>,
}

impl Requests {
    /// An empty table; ids start at 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new request due by `deadline`; returns its id. Ids run 1..=u32::MAX and
    /// then wrap (skipping any still pending), so queued entries can store them in 4 bytes.
    pub fn start(&mut self, deadline: f64) -> u64 {
        loop {
            self.next_id = if self.next_id >= u64::from(u32::MAX) { 1 } else { self.next_id + 1 };
            if self.pending.get(self.next_id).is_none() {
                break;
            }
        }
        let id = self.next_id;
        let k = key(deadline);
        self.pending.insert(id, Pending { deadline: k, conn: None });
        self.deadlines.push(Reverse((k, id)));
        id
    }

    /// Whether `id` is still pending (not settled, failed or removed).
    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.get(id).is_some()
    }

    /// The id the next [`start`](Self::start) will return (if nothing changes before it).
    pub fn peek(&self) -> u64 {
        let mut id = self.next_id;
        loop {
            id = if id >= u64::from(u32::MAX) { 1 } else { id + 1 };
            if self.pending.get(id).is_none() {
                return id;
            }
        }
    }

    /// Marks request `id` as transmitted on connection `conn`.
    pub fn transmitted(&mut self, id: u64, conn: u64) {
        if let Some(p) = self.pending.get_mut(id) {
            p.conn = Some(conn);
        }
    }

    /// Completes `id` if it is in flight; returns whether it was.
    pub fn complete(&mut self, id: u64) -> bool {
        match self.pending.get(id) {
            Some(p) if p.conn.is_some() => self.remove(id),
            _ => false,
        }
    }

    /// Forgets `id` (failed or completed); returns whether it was pending.
    pub fn remove(&mut self, id: u64) -> bool {
        let was = self.pending.remove(id).is_some();
        self.prune();
        was
    }

    /// Pops heap tops that no longer match a pending request.
    fn prune(&mut self) {
        while let Some(Reverse((k, id))) = self.deadlines.peek().copied() {
            if self.pending.get(id).is_some_and(|p| p.deadline == k) {
                break;
            }
            self.deadlines.pop();
        }
    }

    /// Removes and returns the ids of requests in flight on `conn`.
    pub fn lose_connection(&mut self, conn: u64) -> Vec<u64> {
        let ids = self.pending.remove_where(|p| p.conn == Some(conn));
        self.prune();
        ids
    }

    /// Whether a request is in flight on `conn`.
    pub fn in_flight_on(&self, conn: u64) -> bool {
        self.pending.any(|p| p.conn == Some(conn))
    }

    /// Removes and returns every pending id.
    pub fn drain(&mut self) -> Vec<u64> {
        self.deadlines.clear();
        self.pending.drain_ids()
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<f64> {
        self.deadlines.peek().map(|Reverse((k, _))| f64::from_bits(*k))
    }

    /// Removes and returns the ids whose deadline is `<= now`, earliest first.
    pub fn expire(&mut self, now: f64) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(Reverse((k, id))) = self.deadlines.peek().copied() {
            if k > key(now) {
                break;
            }
            self.deadlines.pop();
            if self.pending.remove(id).is_some() {
                out.push(id);
            }
            self.prune();
        }
        out
    }

    /// Requests pending.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether none are pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let mut r = Requests::new();
        let a = r.start(100.0);
        let b = r.start(50.0);
        let c = r.start(200.0);
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(r.next_deadline(), Some(50.0));
        assert!(!r.complete(a), "a queued request cannot complete");
        r.transmitted(a, 7);
        r.transmitted(c, 8);
        assert!(r.complete(a));
        assert!(!r.complete(a), "completes once");
        assert_eq!(r.expire(49.0), Vec::<u64>::new());
        assert_eq!(r.expire(150.0), vec![b]);
        assert_eq!(r.lose_connection(8), vec![c]);
        assert!(r.is_empty());
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn next_deadline_skips_settled_requests() {
        let mut r = Requests::new();
        let a = r.start(10.0);
        let b = r.start(20.0);
        r.start(30.0);
        r.transmitted(a, 1);
        r.transmitted(b, 1);
        assert!(r.complete(a));
        assert_eq!(r.next_deadline(), Some(20.0));
        assert_eq!(r.lose_connection(1), vec![b]);
        assert_eq!(r.next_deadline(), Some(30.0));
    }

    #[test]
    fn ids_wrap_within_32_bits_skipping_pending_ones() {
        let mut r = Requests::new();
        let first = r.start(1.0);
        r.next_id = u64::from(u32::MAX) - 1;
        assert_eq!(r.start(1.0), u64::from(u32::MAX));
        assert_eq!(first, 1);
        assert_eq!(r.start(1.0), 2, "wraps to 1, which is still pending, so 2");
    }

    #[test]
    fn drain_and_negative_times() {
        let mut r = Requests::new();
        r.start(-5.0);
        r.start(f64::NAN);
        assert_eq!(r.expire(0.0).len(), 2);
        r.start(10.0);
        assert_eq!(r.drain().len(), 1);
        assert_eq!(r.next_deadline(), None);
    }
}

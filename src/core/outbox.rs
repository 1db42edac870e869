//! The bounded queue of messages waiting for an open connection.
//!
//! Bounded by count **and** bytes; overflow policy `drop-oldest` | `drop-newest` | `error`;
//! optional time-to-live. Every removal is returned to the caller so the engine can report
//! it: nothing leaves the queue silently.
//!
//! Entries carry a caller-owned `meta` value (the JS driver stores the original `type` and
//! `data` there, so `drop` events can hand them back) and an optional request id. A later
//! delivery-guarantee layer can keep transmitted entries here until acknowledged.

use std::collections::VecDeque;
use std::num::NonZeroU32;

use super::envelope::{Frame, WireFrame};

/// What to do when a message does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Evict the oldest queued messages until the new one fits (each reported as dropped).
    /// The default.
    #[default]
    DropOldest,
    /// Drop the new message (reported as dropped); the queue is unchanged.
    DropNewest,
    /// Refuse the new message: `send` fails with a queue-full error.
    Error,
}

impl Overflow {
    /// The JS spelling: `"drop-oldest"`, `"drop-newest"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Overflow::DropOldest => "drop-oldest",
            Overflow::DropNewest => "drop-newest",
            Overflow::Error => "error",
        }
    }

    /// Parses the JS spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "drop-oldest" => Some(Overflow::DropOldest),
            "drop-newest" => Some(Overflow::DropNewest),
            "error" => Some(Overflow::Error),
            _ => None,
        }
    }
}

/// Queue settings (the `queue` option in JS).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxConfig {
    /// Most messages held at once. Default `1000`.
    pub max_messages: usize,
    /// Most bytes (sum of frame lengths) held at once. Default `1048576` (1 MiB).
    pub max_bytes: usize,
    /// Overflow policy. Default [`Overflow::DropOldest`].
    pub overflow: Overflow,
    /// Time-to-live of a queued message, in ms (`None` = no expiry). Default `None`.
    pub ttl_ms: Option<f64>,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            max_messages: 1000,
            max_bytes: 1 << 20,
            overflow: Overflow::DropOldest,
            ttl_ms: None,
        }
    }
}

/// One queued message.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<M, F = Frame> {
    /// The encoded frame to transmit.
    pub frame: F,
    /// When it expires (from `ttl_ms`); `INFINITY` = never. (Compact on purpose: one
    /// entry per queued message.)
    expires_at: f64,
    /// The request this frame carries, if it is a request (request ids fit in 32 bits:
    /// see `Requests::start`), keeping an entry at 24 bytes.
    request: Option<NonZeroU32>,
    /// Reliable mode: the message's sequence number (0: none).
    seq: u64,
    /// Caller-owned data handed back when the entry is dropped.
    pub meta: M,
}

impl<M, F> Entry<M, F> {
    /// The request this frame carries, if it is a request.
    pub fn request(&self) -> Option<u64> {
        self.request.map(|r| u64::from(r.get()))
    }

    /// Its reliable-mode sequence number (0: none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When it expires, if ever.
    pub fn expires_at(&self) -> Option<f64> {
        (self.expires_at != f64::INFINITY).then_some(self.expires_at)
    }
}

/// The result of [`Outbox::push`].
#[derive(Debug, PartialEq)]
pub enum Push<M, F = Frame> {
    /// Queued; these older entries were evicted to make room (`drop-oldest`).
    Queued(Vec<Entry<M, F>>),
    /// Not queued and dropped (`drop-newest`, or a message larger than the whole queue).
    Dropped(Entry<M, F>),
    /// Not queued: the policy is `error`. The entry is handed back untouched.
    Full(Entry<M, F>),
}

/// The bounded FIFO.
#[derive(Debug)]
pub struct Outbox<M, F = Frame> {
    config: OutboxConfig,
    queue: Chunked<Entry<M, F>>,
    bytes: usize,
    /// Reliable mode: how many entries at the front were transmitted and await their ack
    /// (they still count against the limits).
    sent: usize,
}

impl<M, F: WireFrame> Outbox<M, F> {
    /// An empty queue.
    pub fn new(config: OutboxConfig) -> Self {
        Self { config, queue: Chunked::default(), bytes: 0, sent: 0 }
    }

    /// Reliable mode: whether the message with `seq` is still held (queued, or transmitted
    /// and awaiting its ack).
    pub fn holds_seq(&self, seq: u64) -> bool {
        seq != 0 && self.queue.iter().any(|e| e.seq == seq)
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The queue's TTL in ms (`None`: messages never expire).
    pub fn ttl_ms(&self) -> Option<f64> {
        self.config.ttl_ms
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds `frame` at the back, applying the overflow policy.
    pub fn push(&mut self, frame: F, request: Option<u64>, meta: M, now: f64) -> Push<M, F> {
        self.push_seq(frame, request, meta, 0, now)
    }

    /// As [`push`](Self::push), for a reliable-mode message with sequence number `seq`.
    pub fn push_seq(
        &mut self,
        frame: F,
        request: Option<u64>,
        meta: M,
        seq: u64,
        now: f64,
    ) -> Push<M, F> {
        let expires_at = self.config.ttl_ms.map_or(f64::INFINITY, |ttl| now + ttl);
        let entry = Entry {
            frame,
            expires_at,
            request: request.and_then(|r| u32::try_from(r).ok()).and_then(NonZeroU32::new),
            seq,
            meta,
        };
        let size = entry.frame.wire_len();
        let fits = |q: &Self| {
            q.queue.len() < q.config.max_messages && q.bytes + size <= q.config.max_bytes
        };
        if fits(self) {
            self.push_back(entry);
            return Push::Queued(Vec::new());
        }
        let can_ever_fit = self.config.max_messages > 0 && size <= self.config.max_bytes;
        match self.config.overflow {
            Overflow::Error => Push::Full(entry),
            Overflow::DropNewest => Push::Dropped(entry),
            Overflow::DropOldest if !can_ever_fit => Push::Dropped(entry),
            Overflow::DropOldest => {
                let mut evicted = Vec::new();
                while !fits(self) {
                    match self.pop_front() {
                        Some(old) => evicted.push(old),
                        None => break,
                    }
                }
                self.push_back(entry);
                Push::Queued(evicted)
            }
        }
    }

    fn push_back(&mut self, entry: Entry<M, F>) {
        self.bytes += entry.frame.wire_len();
        self.queue.push_back(entry);
    }

    /// Puts a message that was transmitted but not delivered back at the front (before
    /// everything queued since, so calling it newest-first restores the send order). Its
    /// TTL counts from `now`. Returns it when the queue's limits leave no room.
    pub fn unshift(&mut self, frame: F, meta: M, now: f64) -> Option<Entry<M, F>> {
        let expires_at = self.config.ttl_ms.map_or(f64::INFINITY, |ttl| now + ttl);
        let entry = Entry { frame, expires_at, request: None, seq: 0, meta };
        let size = entry.frame.wire_len();
        if self.queue.len() >= self.config.max_messages || self.bytes + size > self.config.max_bytes
        {
            return Some(entry);
        }
        self.bytes += size;
        self.queue.push_front(entry);
        self.sent = 0;
        None
    }

    /// Takes the oldest entry.
    pub fn pop_front(&mut self) -> Option<Entry<M, F>> {
        let e = self.queue.pop_front()?;
        self.bytes -= e.frame.wire_len();
        self.sent = self.sent.saturating_sub(1);
        Some(e)
    }

    /// Puts entries taken with [`pop_front`](Self::pop_front) back at the front, in their
    /// order (they were in the queue: no limit is checked).
    pub fn restore_front(&mut self, entries: Vec<Entry<M, F>>) {
        for e in entries.into_iter().rev() {
            self.bytes += e.frame.wire_len();
            self.queue.push_front(e);
        }
    }

    /// Reliable mode: entries transmitted and awaiting their ack.
    pub fn in_flight(&self) -> usize {
        self.sent
    }

    /// Reliable mode: the next entry not transmitted yet (marked transmitted now), as copies
    /// of its frame, request and meta.
    pub fn next_unsent(&mut self) -> Option<(F, Option<u64>, M)>
    where
        M: Clone,
    {
        let e = self.queue.get(self.sent)?;
        let out = (e.frame.clone(), e.request(), e.meta.clone());
        self.sent += 1;
        Some(out)
    }

    /// Reliable mode: removes the transmitted entries with a seq up to `seq` (the peer's
    /// cumulative ack), oldest first; also untransmitted ones up to `restored` (seqs an
    /// earlier page transmitted: a persisted queue, see `Engine::restore`).
    pub fn ack(&mut self, seq: u64, restored: u64) -> Vec<Entry<M, F>> {
        let mut out = Vec::new();
        while self
            .queue
            .front()
            .is_some_and(|e| e.seq <= seq && (self.sent > 0 || e.seq <= restored))
        {
            if let Some(e) = self.pop_front() {
                out.push(e);
            }
        }
        out
    }

    /// Reliable mode: a new connection: every entry is to be transmitted again. Returns how
    /// many were in flight.
    pub fn rewind(&mut self) -> usize {
        std::mem::take(&mut self.sent)
    }

    /// The earliest expiry time, if any entry can expire.
    pub fn next_expiry(&self) -> Option<f64> {
        // One TTL for the whole queue and FIFO order: the front expires first.
        self.queue.front().and_then(Entry::expires_at)
    }

    /// Removes and returns every entry expired at `now`, oldest first.
    pub fn expire(&mut self, now: f64) -> Vec<Entry<M, F>> {
        let mut out = Vec::new();
        while self.queue.front().is_some_and(|e| e.expires_at <= now) {
            if let Some(e) = self.pop_front() {
                out.push(e);
            }
        }
        out
    }

    /// Whether the entry carrying request `id` is queued.
    pub fn holds_request(&self, id: u64) -> bool {
        self.queue.iter().any(|e| e.request() == Some(id))
    }

    /// Removes the entry carrying request `id`, if queued.
    pub fn remove_request(&mut self, id: u64) -> Option<Entry<M, F>> {
        let pos = self.queue.iter().position(|e| e.request() == Some(id))?;
        let e = self.queue.remove(pos)?;
        self.bytes -= e.frame.wire_len();
        if pos < self.sent {
            self.sent -= 1;
        }
        Some(e)
    }

    /// Removes and returns the entries whose frame `f` picks, oldest first.
    pub fn remove_where(&mut self, mut f: impl FnMut(&F) -> bool) -> Vec<Entry<M, F>> {
        let picked: Vec<usize> =
            self.queue.iter().enumerate().filter(|(_, e)| f(&e.frame)).map(|(i, _)| i).collect();
        let mut out = Vec::with_capacity(picked.len());
        for &pos in picked.iter().rev() {
            if let Some(e) = self.queue.remove(pos) {
                self.bytes -= e.frame.wire_len();
                if pos < self.sent {
                    self.sent -= 1;
                }
                out.push(e);
            }
        }
        out.reverse();
        out
    }

    /// Removes everything, oldest first.
    pub fn drain(&mut self) -> Vec<Entry<M, F>> {
        self.bytes = 0;
        self.sent = 0;
        self.queue.drain()
    }
}

/// A FIFO in fixed-size chunks: memory grows by one chunk at a time and is never copied,
/// so a queue of 10 000 entries costs ~10 000 entries (a `VecDeque` peaks at 3× while it
/// doubles). Only the operations the outbox needs.
#[derive(Debug)]
struct Chunked<T> {
    chunks: VecDeque<VecDeque<T>>,
    len: usize,
}

const CHUNK: usize = 256;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self { chunks: VecDeque::new(), len: 0 }
    }
}

impl<T> Chunked<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push_back(&mut self, v: T) {
        match self.chunks.back_mut() {
            Some(c) if c.len() < CHUNK => c.push_back(v),
            _ => {
                let mut c = VecDeque::with_capacity(CHUNK);
                c.push_back(v);
                self.chunks.push_back(c);
            }
        }
        self.len += 1;
    }

    fn push_front(&mut self, v: T) {
        match self.chunks.front_mut() {
            Some(c) if c.len() < CHUNK => c.push_front(v),
            _ => {
                let mut c = VecDeque::with_capacity(CHUNK);
                c.push_front(v);
                self.chunks.push_front(c);
            }
        }
        self.len += 1;
    }

    fn pop_front(&mut self) -> Option<T> {
        let first = self.chunks.front_mut()?;
        let v = first.pop_front();
        if first.is_empty() {
            self.chunks.pop_front();
        }
        if v.is_some() {
            self.len -= 1;
        }
        v
    }

    fn front(&self) -> Option<&T> {
        self.chunks.front().and_then(VecDeque::front)
    }

    /// The element at `pos` (in FIFO order).
    fn get(&self, mut pos: usize) -> Option<&T> {
        for c in &self.chunks {
            if pos < c.len() {
                return c.get(pos);
            }
            pos -= c.len();
        }
        None
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// Removes the element at `pos` (in FIFO order).
    fn remove(&mut self, mut pos: usize) -> Option<T> {
        for i in 0..self.chunks.len() {
            let c = &mut self.chunks[i];
            if pos < c.len() {
                let v = c.remove(pos);
                if c.is_empty() {
                    self.chunks.remove(i);
                }
                if v.is_some() {
                    self.len -= 1;
                }
                return v;
            }
            pos -= c.len();
        }
        None
    }

    fn drain(&mut self) -> Vec<T> {
        self.len = 0;
        std::mem::take(&mut self.chunks).into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> Frame {
        Frame::Text("x".repeat(n))
    }

    fn ob(max_messages: usize, max_bytes: usize, overflow: Overflow) -> Outbox<u32> {
        Outbox::new(OutboxConfig { max_messages, max_bytes, overflow, ttl_ms: None })
    }

    #[test]
    fn drop_oldest_evicts_by_count_and_bytes() {
        let mut q = ob(2, 100, Overflow::DropOldest);
        assert_eq!(q.push(text(10), None, 1, 0.0), Push::Queued(vec![]));
        assert_eq!(q.push(text(10), None, 2, 0.0), Push::Queued(vec![]));
        let Push::Queued(ev) = q.push(text(10), None, 3, 0.0) else { panic!("not queued") };
        assert_eq!(ev.iter().map(|e| e.meta).collect::<Vec<_>>(), [1]);
        let Push::Queued(ev) = q.push(text(85), None, 4, 0.0) else { panic!("not queued") };
        assert_eq!(ev.iter().map(|e| e.meta).collect::<Vec<_>>(), [2]);
        assert_eq!((q.len(), q.bytes()), (2, 95));
        // Larger than the whole queue: the new one is dropped, the queue kept.
        assert!(matches!(q.push(text(101), None, 5, 0.0), Push::Dropped(e) if e.meta == 5));
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn drop_newest_and_error() {
        let mut q = ob(1, 100, Overflow::DropNewest);
        q.push(text(1), None, 1, 0.0);
        assert!(matches!(q.push(text(1), None, 2, 0.0), Push::Dropped(e) if e.meta == 2));
        let mut q = ob(1, 100, Overflow::Error);
        q.push(text(1), None, 1, 0.0);
        assert!(matches!(q.push(text(1), None, 2, 0.0), Push::Full(e) if e.meta == 2));
        assert_eq!(q.pop_front().map(|e| e.meta), Some(1));
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn ttl_expiry_in_order() {
        let mut q: Outbox<u32> =
            Outbox::new(OutboxConfig { ttl_ms: Some(100.0), ..Default::default() });
        q.push(text(1), None, 1, 0.0);
        q.push(text(1), None, 2, 50.0);
        assert_eq!(q.next_expiry(), Some(100.0));
        assert!(q.expire(99.0).is_empty());
        assert_eq!(q.expire(100.0).iter().map(|e| e.meta).collect::<Vec<_>>(), [1]);
        assert_eq!(q.next_expiry(), Some(150.0));
        assert_eq!(q.expire(1000.0).len(), 1);
        assert!(q.is_empty() && q.bytes() == 0);
    }

    #[test]
    fn remove_request_and_drain() {
        let mut q = ob(10, 100, Overflow::DropOldest);
        q.push(text(3), None, 1, 0.0);
        q.push(text(4), Some(9), 2, 0.0);
        q.push(text(5), None, 3, 0.0);
        assert_eq!(q.remove_request(9).map(|e| e.meta), Some(2));
        assert_eq!(q.remove_request(9), None);
        assert_eq!(q.bytes(), 8);
        assert_eq!(q.drain().iter().map(|e| e.meta).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn chunked_fifo_across_chunk_boundaries() {
        let mut c = Chunked::default();
        for i in 0..(3 * CHUNK + 7) {
            c.push_back(i);
        }
        assert_eq!(c.len(), 3 * CHUNK + 7);
        assert_eq!(c.remove(CHUNK), Some(CHUNK));
        assert_eq!(c.remove(10 * CHUNK), None);
        for want in 0..CHUNK {
            assert_eq!(c.pop_front(), Some(want));
        }
        assert_eq!(c.front(), Some(&(CHUNK + 1)));
        assert_eq!(c.iter().count(), 2 * CHUNK + 6);
        let rest = c.drain();
        assert_eq!(rest.len(), 2 * CHUNK + 6);
        assert!(rest.windows(2).all(|w| w[0] < w[1]));
        assert!(c.is_empty() && c.pop_front().is_none());
    }

    #[test]
    fn reliable_window() {
        let mut q = ob(3, 100, Overflow::DropOldest);
        for i in 1..=3 {
            q.push_seq(text(1), None, i, u64::from(i), 0.0);
        }
        assert_eq!(q.next_unsent().map(|x| x.2), Some(1));
        assert_eq!(q.next_unsent().map(|x| x.2), Some(2));
        assert_eq!(q.in_flight(), 2);
        // Not transmitted yet: never acked, whatever the ack says.
        assert_eq!(q.ack(9, 0).iter().map(|e| e.seq()).collect::<Vec<_>>(), [1, 2]);
        assert_eq!((q.len(), q.in_flight()), (1, 0));
        q.push_seq(text(1), None, 4, 4, 0.0);
        q.push_seq(text(1), None, 5, 5, 0.0);
        let Push::Queued(ev) = q.push_seq(text(1), None, 6, 6, 0.0) else { panic!() };
        assert_eq!(ev.len(), 1); // the window counts against the limits
        assert_eq!(q.next_unsent().map(|x| x.2), Some(4));
        assert_eq!(q.rewind(), 1);
        assert_eq!(q.next_unsent().map(|x| x.2), Some(4));
        assert_eq!(q.remove_request(99), None);
        assert_eq!(q.drain().len(), 3);
        assert_eq!(q.in_flight(), 0);
    }

    #[test]
    fn unshift_restores_order_within_limits() {
        let mut q = ob(3, 1 << 20, Overflow::Error);
        assert!(matches!(q.push(text(1), None, 3, 0.0), Push::Queued(_)));
        assert!(q.unshift(text(1), 2, 0.0).is_none());
        assert!(q.unshift(text(1), 1, 0.0).is_none());
        assert_eq!(q.unshift(text(1), 0, 0.0).map(|e| e.meta), Some(0), "full: handed back");
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_front().map(|e| e.meta)).collect();
        assert_eq!(order, [1, 2, 3]);
    }

    #[test]
    fn zero_capacity_queue_never_holds() {
        let mut q = ob(0, 100, Overflow::DropOldest);
        assert!(matches!(q.push(text(1), None, 1, 0.0), Push::Dropped(_)));
        assert!(q.is_empty());
    }
}

//! Reliable mode on `/ws` (the protocol v1 extension; README, "Reliable mode (protocol
//! extension)"). A connection whose first frame is `{"type":"hello","data":{"session":S,
//! "ack":M}}` joins session S:
//! - it is answered `{"type":"welcome","data":{"ack":N,"resumed":bool,"gap":null|{"from","to"}}}`
//!   (N: the highest client seq processed for S), then every buffered server message with a
//!   seq > M is replayed, in order;
//! - client messages carrying `"seq"` are processed once per (session, seq): a seq not above
//!   the highest processed one is a duplicate (acked, not processed, not logged); each is
//!   acked with `{"type":"ack","data":N}`;
//! - every server event and reply on the connection gets the session's next `"seq"` and
//!   waits in a bounded replay buffer (`/control/session?replay=N` sets it for every session, default 1000) until the
//!   client's `{"type":"ack","data":M}` covers it. Sent while the session has no connection,
//!   it is only buffered (and replayed on resume);
//! - sessions without a connection expire after 2 minutes.
//!
//! With `--log-file`, sessions are durable (see `Config::log_file`): the file is their journal,
//! written before anything is acknowledged or sent, and reloaded by a server started on it, so
//! a server killed with SIGKILL and restarted neither processes a message twice nor forgets an
//! event it had stamped.
//!
//! `/control/push?tag=T&count=N[&type=X]` sends N numbered events `{"type":X,"data":{"i":k}}`
//! (k = 1..=N, default type `pushed`) to every session of connections tagged T, connected or
//! not: a way to make server messages pile up while a client is away.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::Message;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::ws::{Frame, Item};
use crate::{BadParam, Query, Shared};

/// Idle sessions (no connection) live this long.
const TTL: Duration = Duration::from_secs(120);
/// At most this many sessions are kept (the oldest idle one goes first).
const MAX_SESSIONS: usize = 10_000;
/// The default replay buffer size.
pub(crate) const DEFAULT_REPLAY: usize = 1000;

/// One reliable session.
pub(crate) struct Session {
    /// The id the client chose.
    id: String,
    /// Where it is journaled (`Config::log_file`).
    journal: Journal,
    tag: Option<String>,
    /// Highest client seq processed.
    seen: u64,
    /// Last server seq assigned.
    out: u64,
    /// Server messages not acked by the client: (seq, frame).
    buffer: VecDeque<(u64, String)>,
    /// The connection it is attached to (its id and outbound queue).
    attached: Option<(u64, mpsc::UnboundedSender<Item>)>,
    idle_since: Instant,
    /// The replay buffer size.
    cap: usize,
}

/// A session shared by its connections' readers and writers.
pub(crate) type SessionRef = Arc<Mutex<Session>>;

/// The `--log-file`, if any: the sessions' journal.
pub(crate) type Journal = Arc<Mutex<Option<std::fs::File>>>;

/// Appends `entry` as one line to `journal` (if open), with one `write` call: a SIGKILL
/// leaves it whole or absent.
pub(crate) fn write_line(journal: &Journal, entry: &Value) {
    let mut file = journal.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(file) = file.as_mut() {
        let mut line = entry.to_string();
        line.push('\n');
        let _ = std::io::Write::write_all(file, line.as_bytes());
    }
}

/// A session's id.
pub(crate) fn id(s: &SessionRef) -> String {
    lock(s).id.clone()
}

/// A session as the journal left it.
#[derive(Default)]
pub(crate) struct Reloaded {
    id: String,
    tag: Option<String>,
    seen: u64,
    out: u64,
    buffer: VecDeque<(u64, String)>,
}

/// Reads the sessions journaled in `path` (none if it does not exist). Lines that do not
/// parse (a torn last line) are skipped.
pub(crate) fn reload(path: &std::path::Path) -> std::io::Result<Vec<Reloaded>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found: HashMap<String, Reloaded> = HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(id), Some(seq)) =
            (v.get("session").and_then(Value::as_str), v.get("seq").and_then(Value::as_u64))
        else {
            continue;
        };
        let r = found
            .entry(id.to_owned())
            .or_insert_with(|| Reloaded { id: id.to_owned(), ..Default::default() });
        r.tag = v.get("tag").and_then(Value::as_str).map(str::to_owned);
        match v.get("dir").and_then(Value::as_str) {
            Some("in") => r.seen = r.seen.max(seq),
            Some("sent") => {
                let Some(frame) = v.get("frame").and_then(Value::as_str) else { continue };
                r.out = r.out.max(seq);
                r.buffer.push_back((seq, frame.to_owned()));
                while r.buffer.len() > DEFAULT_REPLAY {
                    r.buffer.pop_front();
                }
            }
            _ => {}
        }
    }
    Ok(found.into_values().collect())
}

/// Installs reloaded sessions (idle, waiting for their clients).
pub(crate) fn restore(shared: &Shared, reloaded: Vec<Reloaded>) {
    let mut inner = shared.lock();
    let cap = inner.sessions.replay;
    for r in reloaded {
        let s = Session {
            id: r.id.clone(),
            journal: shared.log_file.clone(),
            tag: r.tag,
            seen: r.seen,
            out: r.out,
            buffer: r.buffer,
            attached: None,
            idle_since: Instant::now(),
            cap,
        };
        inner.sessions.map.insert(r.id, Arc::new(Mutex::new(s)));
    }
}

fn lock(s: &SessionRef) -> MutexGuard<'_, Session> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// All sessions, and the replay buffer size.
pub(crate) struct Sessions {
    map: HashMap<String, SessionRef>,
    replay: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions { map: HashMap::new(), replay: DEFAULT_REPLAY }
    }
}

/// Whether a server frame gets a seq: events and replies (not pongs, acks, welcomes).
fn stamp(text: &str, seq: u64) -> Option<String> {
    let mut v: Value = serde_json::from_str(text).ok()?;
    let o = v.as_object_mut()?;
    let ty = o.get("type").and_then(Value::as_str);
    let event = ty.is_some_and(|t| !matches!(t, "pong" | "ping" | "ack" | "welcome"));
    if !event && !o.contains_key("replyTo") {
        return None;
    }
    o.insert("seq".into(), json!(seq));
    Some(v.to_string())
}

/// Sends `item` for a connection of session `s` (`own`: that connection's queue): an event
/// or reply gets the session's next seq, joins the replay buffer and goes to the session's
/// current connection (if any); anything else goes to `own` as it is.
pub(crate) fn send(s: &SessionRef, mut item: Item, own: &mpsc::UnboundedSender<Item>) {
    let Frame::Msg(Message::Text(t)) = &item.frame else {
        let _ = own.send(item);
        return;
    };
    let mut g = lock(s);
    let Some(stamped) = stamp(t.as_str(), g.out + 1) else {
        drop(g);
        let _ = own.send(item);
        return;
    };
    g.out += 1;
    let seq = g.out;
    // Journaled before it can reach the client: a restarted server never reuses the seq.
    let line = json!({"dir": "sent", "session": g.id, "seq": seq, "tag": g.tag, "frame": stamped});
    write_line(&g.journal, &line);
    g.buffer.push_back((seq, stamped.clone()));
    while g.buffer.len() > g.cap {
        g.buffer.pop_front();
    }
    item.frame = Frame::Msg(Message::Text(stamped.into()));
    if let Some((_, tx)) = &g.attached {
        let _ = tx.send(item);
    }
}

/// What a frame from the client was, for the reliable layer.
pub(crate) enum Seen {
    /// Not a reliable-mode frame (or the connection has no session): handle as usual.
    Plain,
    /// Consumed here (a hello, an ack, a duplicate).
    Done,
    /// A fresh message with this seq: handle it, then call [`processed`].
    Fresh(u64),
}

/// The reliable layer's look at a client frame on connection `conn` (`own`: its queue;
/// `slot`: its session, set by the hello).
pub(crate) fn inbound(
    shared: &Shared,
    conn: u64,
    tag: Option<&str>,
    slot: &std::sync::OnceLock<SessionRef>,
    own: &mpsc::UnboundedSender<Item>,
    raw: &str,
) -> Seen {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else { return Seen::Plain };
    let ty = map.get("type").and_then(Value::as_str);
    if ty == Some("hello") && slot.get().is_none() {
        let data = map.get("data");
        let id = data.and_then(|d| d.get("session")).and_then(Value::as_str);
        let ack = data.and_then(|d| d.get("ack")).and_then(Value::as_u64).unwrap_or(0);
        let Some(id) = id else { return Seen::Plain };
        let s = hello(shared, conn, tag, id, ack, own);
        let _ = slot.set(s);
        return Seen::Done;
    }
    let Some(s) = slot.get() else { return Seen::Plain };
    if ty == Some("ack") {
        if let Some(a) = map.get("data").and_then(Value::as_u64) {
            lock(s).buffer.retain(|(seq, _)| *seq > a);
        }
        return Seen::Done;
    }
    let Some(seq) = map.get("seq").and_then(Value::as_u64) else { return Seen::Plain };
    let mut g = lock(s);
    if seq <= g.seen {
        let _ = own.send(control(ack(g.seen)));
        return Seen::Done;
    }
    g.seen = seq;
    Seen::Fresh(seq)
}

/// After a fresh message was handled: its ack.
pub(crate) fn processed(slot: &std::sync::OnceLock<SessionRef>, own: &mpsc::UnboundedSender<Item>) {
    if let Some(s) = slot.get() {
        let seen = lock(s).seen;
        let _ = own.send(control(ack(seen)));
    }
}

fn ack(n: u64) -> String {
    json!({"type": "ack", "data": n}).to_string()
}

fn control(text: String) -> Item {
    Item::now(Frame::Msg(Message::Text(text.into())))
}

/// Attaches connection `conn` to session `id` (made if new), answers the welcome and
/// replays what the client has not seen.
fn hello(
    shared: &Shared,
    conn: u64,
    tag: Option<&str>,
    id: &str,
    ack: u64,
    own: &mpsc::UnboundedSender<Item>,
) -> SessionRef {
    let now = Instant::now();
    let (s, resumed) = {
        let mut inner = shared.lock();
        let sessions = &mut inner.sessions;
        sessions.map.retain(|_, s| {
            let g = lock(s);
            g.attached.is_some() || now.duration_since(g.idle_since) < TTL
        });
        if sessions.map.len() >= MAX_SESSIONS && !sessions.map.contains_key(id) {
            let oldest = sessions
                .map
                .iter()
                .filter(|(_, s)| lock(s).attached.is_none())
                .min_by_key(|(_, s)| lock(s).idle_since)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                sessions.map.remove(&k);
            }
        }
        match sessions.map.get(id) {
            Some(s) => (s.clone(), true),
            None => {
                // A new session continues the client's numbering, so its dedupe stays right.
                let s = Arc::new(Mutex::new(Session {
                    id: id.to_owned(),
                    journal: shared.log_file.clone(),
                    tag: tag.map(str::to_owned),
                    seen: 0,
                    out: ack,
                    buffer: VecDeque::new(),
                    attached: None,
                    idle_since: now,
                    cap: sessions.replay,
                }));
                sessions.map.insert(id.to_owned(), s.clone());
                (s, false)
            }
        }
    };
    let mut g = lock(&s);
    g.buffer.retain(|(seq, _)| *seq > ack);
    let first = g.buffer.front().map_or(g.out + 1, |(seq, _)| *seq);
    let gap = (resumed && first > ack + 1).then(|| json!({"from": ack + 1, "to": first - 1}));
    let welcome =
        json!({"type": "welcome", "data": {"ack": g.seen, "resumed": resumed, "gap": gap}});
    let _ = own.send(control(welcome.to_string()));
    for (_, f) in &g.buffer {
        let _ = own.send(control(f.clone()));
    }
    g.attached = Some((conn, own.clone()));
    g.tag = tag.map(str::to_owned);
    drop(g);
    s
}

/// Connection `conn` ended: its session (if attached to it) waits for a resume.
pub(crate) fn detach(slot: &std::sync::OnceLock<SessionRef>, conn: u64) {
    if let Some(s) = slot.get() {
        let mut g = lock(s);
        if g.attached.as_ref().is_some_and(|(c, _)| *c == conn) {
            g.attached = None;
            g.idle_since = Instant::now();
        }
    }
}

/// `/control/session` and `/control/push`.
pub(crate) fn control_route(
    shared: &Shared,
    name: &str,
    q: &Query,
    tag: Option<&str>,
) -> Result<Value, BadParam> {
    match name {
        "session" => {
            let mut inner = shared.lock();
            if let Some(n) = q.int("replay", 0, 1_000_000)? {
                inner.sessions.replay = n as usize;
                for s in inner.sessions.map.values() {
                    lock(s).cap = n as usize;
                }
            }
            let sessions: Vec<Value> = inner
                .sessions
                .map
                .iter()
                .filter(|(_, s)| crate::tag_matches(tag, lock(s).tag.as_deref()))
                .map(|(id, s)| {
                    let g = lock(s);
                    json!({"id": id, "tag": g.tag, "seen": g.seen, "out": g.out,
                           "buffered": g.buffer.len(), "attached": g.attached.is_some()})
                })
                .collect();
            Ok(json!({"replay": inner.sessions.replay, "sessions": sessions}))
        }
        _ => {
            let count = q.required_int("count", 1, 100_000)?;
            let ty = q.get("type").unwrap_or("pushed").to_owned();
            let targets: Vec<SessionRef> = {
                let inner = shared.lock();
                inner
                    .sessions
                    .map
                    .values()
                    .filter(|s| crate::tag_matches(tag, lock(s).tag.as_deref()))
                    .cloned()
                    .collect()
            };
            let (dead, _) = mpsc::unbounded_channel();
            for s in &targets {
                for i in 1..=count {
                    let frame = json!({"type": ty, "data": {"i": i}}).to_string();
                    send(s, control(frame), &dead);
                }
            }
            Ok(json!({"sessions": targets.len(), "pushed": count}))
        }
    }
}

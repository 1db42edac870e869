//! `/ws` (wire protocol v1) and `/ws/raw` (plain echo) connections.
//!
//! `/ws` also serves the HTTP transports (see `http`): a request without `Upgrade: websocket`
//! that has a `transport` parameter (or is a POST) goes there, and its session is registered and
//! handled by the same code as a WebSocket connection ([`register`], [`Conn`],
//! [`handle_message`], [`unregister`]).
//!
//! Each connection runs in one task: a reader future and a writer future raced (`select!`)
//! against a control channel. Dropping both futures stops all reading and writing while the
//! socket halves stay alive (half-open); dropping the halves closes TCP with no close frame.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, RawQuery, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{sleep, sleep_until, timeout, Instant};

use crate::{json as json_response, unix_ms, BadParam, Inner, Kind, Query, Shared, HISTORY_CAP};

/// Registry entry for an open connection.
pub(crate) struct ConnEntry {
    pub tag: Option<String>,
    pub kind: Kind,
    pub outbox: Outbox,
    pub ctl: mpsc::UnboundedSender<Ctl>,
    /// `(room, name)` after a `join`.
    pub room: Option<(String, String)>,
    /// Set once a half-open control froze this connection.
    pub frozen: bool,
    /// Opened with `?stream=1`: receives the numbered ticks (`Config::stream_every_ms`).
    pub stream: bool,
    /// How the connection reaches its client.
    pub transport: Transport,
}

/// The transport of a connection: a WebSocket or one of the HTTP transports (`http`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    WebSocket,
    Sse,
    Polling,
}

impl Transport {
    /// The name used in `/control/stats?list=1` and in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::Sse => "sse",
            Transport::Polling => "polling",
        }
    }
}

/// Commands that stop a connection's reader and writer.
pub(crate) enum Ctl {
    /// Close TCP without a close frame; ack once the socket is closed.
    Drop(oneshot::Sender<()>),
    /// Stop reading and writing, ack, then drop after the duration.
    HalfOpen(Duration, oneshot::Sender<()>),
    /// Stop reading (keep writing) for the duration, ack at once, then read again: a slow
    /// consumer (the client's send buffer grows, then drains).
    Stall(Duration, oneshot::Sender<()>),
}

/// What the writer sends.
pub(crate) enum Frame {
    Msg(Message),
    /// `count` burst events with `size` pad characters, generated lazily.
    Burst {
        count: u64,
        size: usize,
    },
}

/// One queued outbound frame, due at `at` (now + the delay in force when queued).
pub(crate) struct Item {
    pub at: Instant,
    pub frame: Frame,
    /// Fired once the frame was written (dropped unwritten if the connection ends first).
    pub ack: Option<oneshot::Sender<()>>,
}

impl Item {
    /// A frame due now, with no ack.
    pub fn now(frame: Frame) -> Self {
        Item { at: Instant::now(), frame, ack: None }
    }
}

/// Sending side of a connection's outbound queue.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Item>,
    tag: Option<String>,
    /// Reliable mode: the session its hello joined (events and replies get seqs).
    session: Arc<std::sync::OnceLock<crate::session::SessionRef>>,
}

impl Outbox {
    /// Queues `frame` with the current delay for this connection's tag; `ack` fires once written.
    pub fn push(&self, inner: &Inner, frame: Frame, ack: Option<oneshot::Sender<()>>) {
        let at = Instant::now() + inner.delay_for(self.tag.as_deref());
        // A send error means the connection is gone; the ack is then dropped, which callers see.
        let item = Item { at, frame, ack };
        match self.session.get() {
            Some(s) => crate::session::send(s, item, &self.tx),
            None => drop(self.tx.send(item)),
        }
    }
}

pub(crate) fn text(s: impl Into<String>) -> Frame {
    Frame::Msg(Message::Text(s.into().into()))
}

pub(crate) fn event(ty: &str, data: Value) -> Frame {
    text(json!({ "type": ty, "data": data }).to_string())
}

pub(crate) fn close(code: u16, reason: &str) -> Frame {
    Frame::Msg(Message::Close(Some(CloseFrame { code, reason: reason.into() })))
}

/// `/ws`: wire protocol v1 over a WebSocket upgrade; without one, a request with a `transport`
/// parameter (or any POST) is an HTTP-transport request (`http`), anything else gets the
/// upgrade extractor's rejection (as before the HTTP transports existed).
pub(crate) async fn protocol_endpoint(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let q = parts.uri.query().map(str::to_owned);
    match WebSocketUpgrade::from_request_parts(&mut parts, &shared).await {
        Ok(ws) => upgrade(shared, q, ws, Kind::Protocol),
        Err(rejection) => {
            let query = Query::parse(q.as_deref());
            if parts.method == Method::POST || query.get("transport").is_some() {
                crate::http::handle(shared, parts.method, query, body).await
            } else {
                rejection.into_response()
            }
        }
    }
}

/// `GET /ws/raw`: plain echo.
pub(crate) async fn upgrade_raw(
    State(shared): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    upgrade(shared, q, ws, Kind::Raw)
}

/// The connection parameters of a `/ws` or `/ws/raw` URL.
pub(crate) struct Params {
    pub tag: Option<String>,
    /// `auth=TOKEN`: events and requests are refused until an `auth` request with the token.
    pub auth: Option<String>,
    /// `stream=1` (on `/ws` only): the numbered ticks.
    pub stream: bool,
}

impl Params {
    /// Parses the parameters.
    pub fn parse(query: &Query, kind: Kind) -> Result<Params, BadParam> {
        let tag = query.tag()?;
        let auth = query.get("auth").map(str::to_owned);
        let stream = kind == Kind::Protocol && query.get("stream") == Some("1");
        Ok(Params { tag, auth, stream })
    }
}

/// The 503 of `/control/refuse` (counted as refused).
pub(crate) fn refused(shared: &Shared) -> Response {
    shared.count(&shared.refused);
    json_response(503, json!({ "error": "refusing connections" }))
}

fn upgrade(shared: Arc<Shared>, q: Option<String>, ws: WebSocketUpgrade, kind: Kind) -> Response {
    let query = Query::parse(q.as_deref());
    let Params { tag, auth, stream } = match Params::parse(&query, kind) {
        Ok(params) => params,
        Err(bad) => return bad.response(),
    };
    {
        let now = Instant::now();
        let inner = shared.lock();
        // `/control/block-ws`: a proxy that does not pass WebSocket upgrades through.
        if kind == Kind::Protocol && inner.block_ws.active(tag.as_deref(), now) {
            drop(inner);
            return json_response(403, json!({ "error": "websocket upgrades blocked" }));
        }
        if inner.refuse.active(tag.as_deref(), now) {
            drop(inner);
            return refused(&shared);
        }
    }
    // Let oversized messages through tungstenite so we can answer them with a clean 1009 close;
    // far larger ones still fail in tungstenite (then the close is best effort).
    let max = shared.config.max_message_bytes;
    let hard_max = max.saturating_mul(2).max(max.saturating_add(1 << 20));
    // Register before answering 101, so a control call made as soon as the client sees
    // `open` always finds this connection (no window between upgrade and registration).
    let pre = register(&shared, kind, Transport::WebSocket, Params { tag, auth, stream });
    let id = pre.as_ref().map(|p| p.id);
    let failed = shared.clone();
    // `/ws` selects the subprotocol `steadysocket.v1` when the client offers it.
    let ws = if kind == Kind::Protocol { ws.protocols(["steadysocket.v1"]) } else { ws };
    ws.max_message_size(hard_max)
        .max_frame_size(hard_max)
        .on_failed_upgrade(move |_| {
            if let Some(id) = id {
                failed.lock().conns.remove(&id);
            }
        })
        .on_upgrade(move |socket| run(socket, shared, pre))
        .into_response()
}

/// A connection registered before its upgrade completed (`None`: the server is full).
pub(crate) struct Pre {
    pub id: u64,
    pub kind: Kind,
    pub tag: Option<String>,
    pub auth: Option<String>,
    pub outbox: Outbox,
    pub out_rx: mpsc::UnboundedReceiver<Item>,
    pub ctl_rx: mpsc::UnboundedReceiver<Ctl>,
}

/// Registers a connection (`None`: already `max_connections` open).
pub(crate) fn register(
    shared: &Arc<Shared>,
    kind: Kind,
    transport: Transport,
    params: Params,
) -> Option<Pre> {
    let Params { tag, auth, stream } = params;
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let outbox = Outbox { tx: out_tx, tag: tag.clone(), session: Default::default() };
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let mut inner = shared.lock();
    if inner.conns.len() >= shared.config.max_connections {
        return None;
    }
    let entry = ConnEntry {
        tag: tag.clone(),
        kind,
        outbox: outbox.clone(),
        ctl: ctl_tx,
        room: None,
        frozen: false,
        stream,
        transport,
    };
    inner.conns.insert(id, entry);
    Some(Pre { id, kind, tag, auth, outbox, out_rx, ctl_rx })
}

/// Per-connection context used by the reader.
pub(crate) struct Conn {
    shared: Arc<Shared>,
    id: u64,
    tag: Option<String>,
    outbox: Outbox,
    /// The token an `auth` request must present before anything else is accepted.
    auth: Option<String>,
    authed: Arc<std::sync::atomic::AtomicBool>,
    /// Ids of the requests this server sent the client (`ask`).
    asked: std::sync::atomic::AtomicU64,
}

impl Conn {
    /// The reader's context for a registered connection.
    pub fn new(shared: Arc<Shared>, pre: &Pre) -> Conn {
        Conn {
            shared,
            id: pre.id,
            tag: pre.tag.clone(),
            outbox: pre.outbox.clone(),
            auth: pre.auth.clone(),
            authed: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            asked: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The connection ended: it leaves the registry (and its room), and its reliable-mode
    /// session (if any) waits for a resume.
    pub fn unregister(&self) {
        unregister(&self.shared, self.id);
        crate::session::detach(&self.outbox.session, self.id);
    }

    fn send(&self, frame: Frame) {
        self.outbox.push(&self.shared.lock(), frame, None);
    }

    fn reply(&self, id: &Value, result: Result<Value, (String, &str)>) {
        self.send(text(reply_json(id, result).to_string()));
    }
}

fn reply_json(id: &Value, result: Result<Value, (String, &str)>) -> Value {
    match result {
        Ok(data) => json!({ "replyTo": id, "data": data }),
        Err((message, code)) => {
            json!({ "replyTo": id, "error": { "message": message, "code": code } })
        }
    }
}

async fn run(socket: WebSocket, shared: Arc<Shared>, pre: Option<Pre>) {
    let (mut sink, mut stream) = socket.split();
    let Some(pre) = pre else {
        shared.count(&shared.refused);
        let frame = CloseFrame { code: 1013, reason: "server full".into() };
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            // Wait (bounded) for the client's close reply so it sees a clean close.
            let _ = timeout(Duration::from_secs(5), async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        return;
    };
    shared.count(&shared.accepted);

    let conn = Conn::new(shared, &pre);
    let Pre { kind, mut out_rx, mut ctl_rx, .. } = pre;
    let ended = loop {
        let ctl = tokio::select! {
            () = read_loop(&mut stream, &conn, kind) => None,
            () = write_loop(&mut sink, &mut out_rx) => None,
            ctl = ctl_rx.recv() => ctl,
        };
        let Some(Ctl::Stall(d, ack)) = ctl else { break ctl };
        let _ = ack.send(());
        // Not reading; writing goes on (cancelled when the stall ends: a frame started is
        // flushed by the next write).
        tokio::select! {
            () = sleep(d) => {}
            () = write_loop(&mut sink, &mut out_rx) => {}
        }
    };
    // Reader and writer are gone now: nothing reads or writes this socket any more.
    let mut acks = Vec::new();
    match ended {
        Some(Ctl::Drop(ack)) => acks.push(ack),
        Some(Ctl::HalfOpen(after, ack)) => {
            let _ = ack.send(());
            acks = half_open(after, &mut ctl_rx).await;
        }
        Some(Ctl::Stall(..)) | None => {}
    }
    // Unregister first, so a client that sees the socket close also sees it gone from stats.
    conn.unregister();
    drop((sink, stream)); // closes TCP; no close frame if none was sent
    for ack in acks {
        let _ = ack.send(());
    }
}

/// The frozen time of a half-open connection: waits `after` (or until a `Ctl::Drop`, whose ack
/// is returned, to fire once the connection is gone); other controls are acked at once.
pub(crate) async fn half_open(
    after: Duration,
    ctl_rx: &mut mpsc::UnboundedReceiver<Ctl>,
) -> Vec<oneshot::Sender<()>> {
    let mut acks = Vec::new();
    let deadline = sleep(after);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            ctl = ctl_rx.recv() => match ctl {
                Some(Ctl::Drop(ack)) => { acks.push(ack); break; }
                Some(Ctl::HalfOpen(_, ack) | Ctl::Stall(_, ack)) => { let _ = ack.send(()); }
                None => break,
            },
        }
    }
    acks
}

/// Removes a connection (and its HTTP-transport session, if any) from the registry and tells
/// its room it left.
fn unregister(shared: &Shared, id: u64) {
    let mut inner = shared.lock();
    inner.http.retain(|_, s| s.conn != id);
    if let Some(entry) = inner.conns.remove(&id) {
        if let Some((room, name)) = entry.room {
            broadcast(
                &inner,
                &room,
                "presence",
                json!({"room": room, "name": name, "joined": false}),
            );
        }
    }
}

/// Sends event `ty` with `data` to every member of `room`.
fn broadcast(inner: &Inner, room: &str, ty: &str, data: Value) {
    let frame = json!({ "type": ty, "data": data }).to_string();
    for entry in inner.conns.values() {
        if entry.room.as_ref().is_some_and(|(r, _)| r == room) {
            entry.outbox.push(inner, text(frame.clone()), None);
        }
    }
}

/// Writes queued frames in order, each no earlier than its due time.
async fn write_loop(
    sink: &mut SplitSink<WebSocket, Message>,
    rx: &mut mpsc::UnboundedReceiver<Item>,
) {
    let mut broken = false;
    while let Some(item) = rx.recv().await {
        sleep_until(item.at).await;
        if !broken {
            let result = match item.frame {
                Frame::Msg(msg) => sink.send(msg).await,
                Frame::Burst { count, size } => send_burst(sink, count, size).await,
            };
            // After a close frame or an I/O error nothing more can be sent; keep draining
            // (unwritten frames drop their acks) and let the reader notice the end.
            broken = result.is_err();
            if let (false, Some(ack)) = (broken, item.ack) {
                let _ = ack.send(());
            }
        }
    }
}

async fn send_burst(
    sink: &mut SplitSink<WebSocket, Message>,
    count: u64,
    size: usize,
) -> Result<(), axum::Error> {
    let pad = "x".repeat(size);
    for i in 0..count {
        let frame = format!(r#"{{"type":"burst","data":{{"i":{i},"pad":"{pad}"}}}}"#);
        sink.feed(Message::Text(frame.into())).await?;
    }
    sink.flush().await
}

async fn read_loop(stream: &mut SplitStream<WebSocket>, conn: &Conn, kind: Kind) {
    let mut tasks = JoinSet::new();
    let mut closing = false;
    loop {
        let msg = match stream.next().await {
            Some(Ok(msg)) => msg,
            Some(Err(err)) => {
                if !closing && is_capacity_error(&err) {
                    // Best effort: the oversized frame is unread, so the close may race a reset.
                    let (ack, written) = oneshot::channel();
                    conn.outbox.push(
                        &conn.shared.lock(),
                        close(1009, "message too big"),
                        Some(ack),
                    );
                    let _ = timeout(Duration::from_secs(2), written).await;
                }
                return;
            }
            None => return,
        };
        while tasks.try_join_next().is_some() {}
        if closing {
            continue; // keep reading until the close handshake completes
        }
        closing = handle_message(conn, msg, kind, &mut tasks);
    }
}

/// Handles one message from the client (`tasks`: where delayed replies run). Returns true if
/// the server started closing (then later messages must be ignored).
pub(crate) fn handle_message(
    conn: &Conn,
    msg: Message,
    kind: Kind,
    tasks: &mut JoinSet<()>,
) -> bool {
    let len = match &msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 0,
    };
    if len > conn.shared.config.max_message_bytes {
        conn.send(close(1009, "message too big"));
        return true;
    }
    match msg {
        Message::Text(t) if kind == Kind::Protocol => handle_text(conn, t.as_str(), tasks),
        Message::Text(t) => {
            conn.send(Frame::Msg(Message::Text(t)));
            false
        }
        Message::Binary(b) => {
            conn.send(Frame::Msg(Message::Binary(b)));
            false
        }
        Message::Close(_) => true,
        Message::Ping(_) | Message::Pong(_) => false, // tungstenite answers pings itself
    }
}

/// Sends the numbered ticks to `?stream=1` connections (see `Config::stream_every_ms`).
pub(crate) async fn ticker(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(Duration::from_millis(shared.config.stream_every_ms));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = shared.config.stream_start;
    loop {
        every.tick().await;
        let inner = shared.lock();
        let to: Vec<(&u64, &ConnEntry)> =
            inner.conns.iter().filter(|(_, e)| e.stream && !e.frozen).collect();
        if to.is_empty() {
            continue;
        }
        let frame = json!({ "type": "tick", "data": { "n": n } }).to_string();
        for (_, entry) in &to {
            entry.outbox.push(&inner, text(frame.clone()), None);
        }
        let conns: Vec<u64> = to.iter().map(|(id, _)| **id).collect();
        shared.log_line(&json!({ "dir": "out", "type": "tick", "n": n, "conns": conns }));
        drop(inner);
        n += 1;
    }
}

fn is_capacity_error(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(e) = e.downcast_ref::<tungstenite::Error>() {
            return matches!(e, tungstenite::Error::Capacity(_));
        }
        source = e.source();
    }
    false
}

/// Handles one text frame on `/ws`. Returns true if the server started closing.
fn handle_text(conn: &Conn, raw: &str, tasks: &mut JoinSet<()>) -> bool {
    // Reliable mode (`session`): hello, acks, and dedupe by seq come first.
    let (slot, own) = (&conn.outbox.session, &conn.outbox.tx);
    match crate::session::inbound(&conn.shared, conn.id, conn.tag.as_deref(), slot, own, raw) {
        crate::session::Seen::Done => false,
        crate::session::Seen::Plain => handle_plain(conn, raw, None, tasks),
        crate::session::Seen::Fresh(seq) => {
            let closing = handle_plain(conn, raw, Some(seq), tasks);
            crate::session::processed(slot, own);
            closing
        }
    }
}

/// Handles one text frame (`seq`: its reliable-mode seq, logged with it).
fn handle_plain(conn: &Conn, raw: &str, seq: Option<u64>, tasks: &mut JoinSet<()>) -> bool {
    let parsed: Option<serde_json::Map<String, Value>> = match serde_json::from_str(raw) {
        Ok(Value::Object(map)) if map.get("type").is_some_and(Value::is_string) => Some(map),
        _ => None,
    };
    let Some(mut map) = parsed else {
        match serde_json::from_str::<Value>(raw) {
            // The client's reply to an `ask`: logged and reported back as an `answer` event.
            Ok(reply) if reply.get("replyTo").is_some() => {
                conn.shared.lock().push_log(
                    json!({ "tag": conn.tag, "type": "reply", "data": reply, "conn": conn.id }),
                );
                conn.send(event("answer", reply));
            }
            _ => conn.send(text(raw)), // not a protocol frame: raw echo
        }
        return false;
    };
    let ty = map.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let data = map.remove("data").unwrap_or(Value::Null);
    if ty != "ping" {
        let id = map.get("id").cloned().unwrap_or(Value::Null);
        let mut line = json!({
            "dir": "in", "type": ty, "id": id, "data": data, "tag": conn.tag, "conn": conn.id,
        });
        if let (Some(seq), Some(s)) = (seq, conn.outbox.session.get()) {
            // The session journal's dedupe record, in the same write as the effect.
            line["session"] = crate::session::id(s).into();
            line["seq"] = seq.into();
        }
        conn.shared.log_line(&line);
    }
    match map.get("id") {
        Some(id) if id.is_i64() || id.is_u64() => {
            if let Some(seq) = seq {
                // Reliable mode logs requests too: each processed message once.
                conn.shared.lock().push_log(json!({ "tag": conn.tag, "type": ty, "data": data,
                    "conn": conn.id, "seq": seq, "id": id }));
            }
            request(conn, id.clone(), &ty, data, tasks);
            false
        }
        _ => handle_event(conn, &ty, data, raw, seq),
    }
}

fn handle_event(conn: &Conn, ty: &str, data: Value, raw: &str, seq: Option<u64>) -> bool {
    if ty == "ping" {
        let mut pong = json!({ "type": "pong" });
        if !data.is_null() {
            pong["data"] = data;
        }
        conn.send(text(pong.to_string()));
        return false;
    }
    if conn.auth.is_some() && !conn.authed.load(Ordering::Relaxed) {
        conn.send(event("error", json!({ "message": "not authenticated", "refused": ty })));
        return false;
    }
    if ty == "ask" {
        // Sends the client a request {"type", "id", "data"} (its reply comes back as `answer`).
        let n = conn.asked.fetch_add(1, Ordering::Relaxed) + 1;
        let id = data.get("id").cloned().unwrap_or(json!(n));
        let ask_ty = data.get("type").cloned().unwrap_or(json!("ask"));
        let ask_data = data.get("data").cloned().unwrap_or(Value::Null);
        conn.send(text(json!({ "type": ask_ty, "id": id, "data": ask_data }).to_string()));
        return false;
    }
    let shared = &conn.shared;
    let mut inner = shared.lock();
    let mut entry = json!({ "tag": conn.tag, "type": ty, "data": data, "conn": conn.id });
    if let Some(seq) = seq {
        entry["seq"] = seq.into();
    }
    inner.push_log(entry);
    let bad = |inner: &Inner, message: &str| {
        conn.outbox.push(inner, event("error", json!({ "message": message })), None);
        false
    };
    match ty {
        "join" => {
            let (Some(room), Some(name)) = (str_field(&data, "room"), str_field(&data, "name"))
            else {
                return bad(&inner, "join needs string `room` and `name`");
            };
            let previous = inner.conns.get_mut(&conn.id).and_then(|e| e.room.take());
            if let Some((old, old_name)) = previous {
                broadcast(
                    &inner,
                    &old,
                    "presence",
                    json!({"room": old, "name": old_name, "joined": false}),
                );
            }
            if let Some(entry) = inner.conns.get_mut(&conn.id) {
                entry.room = Some((room.to_owned(), name.to_owned()));
            }
            broadcast(
                &inner,
                room,
                "presence",
                json!({"room": room, "name": name, "joined": true}),
            );
        }
        "say" => {
            let Some(text) = str_field(&data, "text") else {
                return bad(&inner, "say needs a string `text`");
            };
            let Some((room, name)) = inner.conns.get(&conn.id).and_then(|e| e.room.clone()) else {
                return bad(&inner, "join a room first");
            };
            inner.seq += 1;
            let cid = data.get("cid").cloned().unwrap_or(Value::Null);
            let chat = json!({
                "room": room, "name": name, "text": text,
                "ts": unix_ms(), "cid": cid, "seq": inner.seq,
            });
            let history = inner.history.entry(room.clone()).or_default();
            if history.len() >= HISTORY_CAP {
                history.pop_front();
            }
            history.push_back(chat.clone());
            broadcast(&inner, &room, "chat", chat);
        }
        "close" => {
            let code =
                data.get("code").and_then(Value::as_u64).filter(|&c| crate::sendable_close_code(c));
            let reason = data.get("reason").map_or(Some(""), Value::as_str);
            match (code, reason) {
                (Some(code), Some(reason)) if reason.len() <= crate::MAX_REASON_BYTES => {
                    conn.outbox.push(&inner, close(code as u16, reason), None);
                    return true;
                }
                _ => {
                    return bad(
                        &inner,
                        "close needs a valid `code` and a `reason` of at most 123 bytes",
                    )
                }
            }
        }
        "burst" => {
            let count = data.get("count").and_then(Value::as_u64).filter(|&n| n <= 100_000);
            let size = data.get("size").and_then(Value::as_u64).filter(|&n| n <= 65_536);
            let (Some(count), Some(size)) = (count, size) else {
                return bad(&inner, "burst needs `count` <= 100000 and `size` <= 65536");
            };
            conn.outbox.push(&inner, Frame::Burst { count, size: size as usize }, None);
        }
        _ => conn.outbox.push(&inner, text(raw), None),
    }
    false
}

fn str_field<'a>(data: &'a Value, name: &str) -> Option<&'a str> {
    data.get(name).and_then(Value::as_str)
}

fn bad_request(message: &str) -> Result<Value, (String, &'static str)> {
    Err((message.to_owned(), "bad-request"))
}

fn request(conn: &Conn, id: Value, ty: &str, data: Value, tasks: &mut JoinSet<()>) {
    if let Some(token) = &conn.auth {
        if ty == "auth" {
            let ok = data.get("token").and_then(Value::as_str) == Some(token.as_str());
            let result =
                if ok { Ok(json!(true)) } else { Err(("bad token".into(), "unauthorized")) };
            // `delayMs`: the check takes that long (an async lookup); until it is done, the
            // connection stays unauthenticated.
            let ms = data.get("delayMs").and_then(Value::as_u64).unwrap_or(0).min(10_000);
            let (shared, outbox, authed) =
                (conn.shared.clone(), conn.outbox.clone(), conn.authed.clone());
            tasks.spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                authed.store(ok, Ordering::Relaxed);
                outbox.push(&shared.lock(), text(reply_json(&id, result).to_string()), None);
            });
            return;
        }
        if !conn.authed.load(Ordering::Relaxed) {
            return conn.reply(&id, Err(("not authenticated".into(), "unauthenticated")));
        }
    }
    let result = match ty {
        "echo" => Ok(data),
        "add" => add(&data),
        "slow" => {
            let ms = data.get("ms").and_then(Value::as_u64).filter(|&ms| ms <= 600_000);
            let Some(ms) = ms else {
                return conn.reply(&id, bad_request("slow needs integer `ms` <= 600000"));
            };
            let value = data.get("value").cloned().unwrap_or(Value::Null);
            let (shared, outbox) = (conn.shared.clone(), conn.outbox.clone());
            tasks.spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                let reply = reply_json(&id, Ok(value)).to_string();
                outbox.push(&shared.lock(), text(reply), None);
            });
            return;
        }
        "fail" => Err((
            str_field(&data, "message").unwrap_or("requested failure").to_owned(),
            str_field(&data, "code").unwrap_or("failed"),
        )),
        "big" => match data.get("bytes").and_then(Value::as_u64).filter(|&n| n <= 64 << 20) {
            Some(n) => Ok(Value::String("x".repeat(n as usize))),
            None => bad_request("big needs integer `bytes` <= 67108864"),
        },
        "getHistory" => match str_field(&data, "room") {
            Some(room) => {
                let inner = conn.shared.lock();
                let messages: Vec<Value> = inner
                    .history
                    .get(room)
                    .map(|h| h.iter().cloned().collect())
                    .unwrap_or_default();
                Ok(json!({ "messages": messages }))
            }
            None => bad_request("getHistory needs a string `room`"),
        },
        "whoami" => Ok(json!({ "conn": conn.id, "tag": conn.tag })),
        other => Err((format!("unknown request type: {other}"), "unknown-type")),
    };
    conn.reply(&id, result);
}

fn add(data: &Value) -> Result<Value, (String, &'static str)> {
    let (Some(a), Some(b)) = (data.get("a"), data.get("b")) else {
        return bad_request("add needs numbers `a` and `b`");
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        if let Some(sum) = x.checked_add(y) {
            return Ok(sum.into());
        }
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => serde_json::Number::from_f64(x + y)
            .map(Value::Number)
            .ok_or_else(|| ("add overflowed".to_owned(), "bad-request")),
        _ => bad_request("add needs numbers `a` and `b`"),
    }
}

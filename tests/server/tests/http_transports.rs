//! The HTTP transports on `/ws` (SSE and long-polling): open, batches both ways (text and
//! binary, in order), requests, held polls (answered by a frame, empty after the hold time,
//! `wait=0`, a newer poll answering the older), batch numbering (duplicates, 409, 404), client
//! and server close, liveness, the fault controls on HTTP sessions (drop, half-open, stall,
//! close, garbage, delay, refuse, `block-ws`), reliable mode, stream ticks, `stats?list=1` and
//! the `--log-file` line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;

/// How an SSE response ended.
#[derive(Debug, PartialEq, Eq)]
enum SseEnd {
    /// The terminating chunk arrived.
    Clean,
    /// The connection closed (or was reset) mid-body.
    Aborted,
}

/// A streaming SSE response read incrementally over a raw HTTP/1.1 connection.
struct Sse {
    stream: TcpStream,
    status: u16,
    headers: Vec<(String, String)>,
    /// Undecoded bytes after the head (chunked encoding).
    raw: Vec<u8>,
    /// Decoded body not yet parsed into events.
    body: String,
    end: Option<SseEnd>,
}

impl Sse {
    async fn open(addr: SocketAddr, target: &str) -> Sse {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req =
            format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut sse = Sse {
            stream,
            status: 0,
            headers: Vec::new(),
            raw: Vec::new(),
            body: String::new(),
            end: None,
        };
        let split = loop {
            if let Some(i) = sse.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            assert!(sse.read_more().await, "connection closed before the head");
        };
        let head = String::from_utf8(sse.raw[..split].to_vec()).unwrap();
        sse.raw.drain(..split + 4);
        let mut lines = head.split("\r\n");
        sse.status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        sse.headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        sse
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Reads more bytes; false at EOF or on an error.
    async fn read_more(&mut self) -> bool {
        let mut buf = [0u8; 16384];
        match timeout(T, self.stream.read(&mut buf)).await.expect("read timed out") {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
        }
    }

    /// Decodes the complete chunks in `raw`.
    fn decode(&mut self) {
        while self.end.is_none() {
            let Some(line) = self.raw.windows(2).position(|w| w == b"\r\n") else { return };
            let size_text = std::str::from_utf8(&self.raw[..line]).unwrap();
            let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
            if self.raw.len() < line + 2 + size + 2 {
                return;
            }
            if size == 0 {
                self.end = Some(SseEnd::Clean);
            }
            let data = self.raw[line + 2..line + 2 + size].to_vec();
            self.body.push_str(std::str::from_utf8(&data).unwrap());
            self.raw.drain(..line + 2 + size + 2);
        }
    }

    /// The next event `(name, data)` (`message` when unnamed); `None` once the body ended.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            self.decode();
            while let Some(i) = self.body.find("\n\n") {
                let block: String = self.body.drain(..i + 2).collect();
                let (mut name, mut data) = ("message".to_owned(), Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push(v);
                    }
                }
                if !data.is_empty() {
                    return Some((name, data.join("\n")));
                }
            }
            if self.end.is_some() {
                return None;
            }
            if !self.read_more().await {
                self.end = Some(SseEnd::Aborted);
                return None;
            }
        }
    }

    /// The next event, which must exist; its data parsed.
    async fn event(&mut self) -> (String, Value) {
        let (name, data) = self.next().await.expect("the stream ended");
        (name, serde_json::from_str(&data).unwrap())
    }

    /// Reads data events until `count` frames arrived (panics on another event).
    async fn frames(&mut self, count: usize) -> Vec<Value> {
        let mut frames = Vec::new();
        while frames.len() < count {
            let (name, batch) = self.event().await;
            assert_eq!(name, "message", "{batch}");
            frames.extend(batch.as_array().unwrap().iter().map(parse_frame));
        }
        assert_eq!(frames.len(), count, "{frames:?}");
        frames
    }

    /// Reads to the end of the stream (no further events allowed); how it ended.
    async fn end(&mut self) -> SseEnd {
        if let Some(event) = self.next().await {
            panic!("expected the end, got {event:?}");
        }
        self.end.take().unwrap()
    }

    /// The session id from the `open` event.
    async fn open_sid(&mut self) -> String {
        assert_eq!(self.status, 200);
        let (name, data) = self.event().await;
        assert_eq!(name, "open");
        data["sid"].as_str().unwrap().to_owned()
    }
}

/// A batch element: a text frame parsed as JSON if it is JSON, binary frames as they are.
fn parse_frame(frame: &Value) -> Value {
    match frame.as_str() {
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| frame.clone()),
        None => frame.clone(),
    }
}

/// A batch of JSON text frames.
fn batch(frames: &[Value]) -> String {
    Value::from(frames.iter().map(|f| Value::from(f.to_string())).collect::<Vec<_>>()).to_string()
}

impl Server {
    async fn sse(&self, query: &str) -> (Sse, String) {
        let mut sse = Sse::open(self.addr, &format!("/ws?{query}&transport=sse")).await;
        let sid = sse.open_sid().await;
        (sse, sid)
    }

    async fn polling(&self, query: &str) -> String {
        let res = http(self.addr, "GET", &format!("/ws?{query}&transport=polling")).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), Some("application/json"));
        json_body(&res)["sid"].as_str().unwrap().to_owned()
    }

    /// POSTs batch `n` (a raw body); returns status and JSON body.
    async fn post(&self, sid: &str, n: u64, body: &str) -> (u16, Value) {
        let target = format!("/ws?transport=sse&sid={sid}&n={n}");
        let res = http_body(self.addr, "POST", &target, body).await.expect("no response");
        (res.status, json_body(&res))
    }

    /// POSTs batch `n` of JSON frames and expects `{"ok":true}`.
    async fn post_ok(&self, sid: &str, n: u64, frames: &[Value]) {
        assert_eq!(self.post(sid, n, &batch(frames)).await, (200, json!({"ok": true})));
    }

    /// A poll, in the background (`None`: no response, the connection failed).
    fn poll(&self, sid: &str, wait0: bool) -> JoinHandle<Option<(u16, Value)>> {
        let wait = if wait0 { "&wait=0" } else { "" };
        let target = format!("/ws?transport=polling&sid={sid}{wait}");
        let addr = self.addr;
        tokio::spawn(async move {
            http_body(addr, "GET", &target, "").await.map(|res| (res.status, json_body(&res)))
        })
    }

    /// A poll's answer: status 200, the body, with frames parsed.
    async fn poll_now(&self, sid: &str, wait0: bool) -> Value {
        let (status, body) = self.poll(sid, wait0).await.unwrap().expect("no poll answer");
        assert_eq!(status, 200, "{body}");
        parsed(body)
    }

    /// Waits until `stats?tag=` counts `n` connections.
    async fn wait_connections(&self, tag: &str, n: u64) {
        timeout(T, async {
            while self.ok(&format!("stats?tag={tag}")).await["connections"] != n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("connection count never reached");
    }
}

fn json_body(res: &HttpResponse) -> Value {
    serde_json::from_slice(&res.body).unwrap_or(Value::Null)
}

/// A poll answer with its text frames parsed.
fn parsed(mut answer: Value) -> Value {
    if let Some(frames) = answer["frames"].as_array() {
        answer["frames"] = frames.iter().map(parse_frame).collect();
    }
    answer
}

/// Asserts a background request is still pending after a short while.
async fn assert_pending<R>(task: &mut JoinHandle<R>) {
    let quiet = timeout(Duration::from_millis(150), &mut *task).await;
    assert!(quiet.is_err(), "answered too early");
}

#[tokio::test]
async fn sse_open_echo_request_and_batch_order() {
    let s = start().await;
    let (mut sse, sid) = s.sse("tag=s1").await;
    assert_eq!(sse.header("content-type"), Some("text/event-stream"));
    assert_eq!(sse.header("cache-control"), Some("no-store"));
    assert_eq!(sid.len(), 32, "{sid}");
    let body = Value::from(vec![
        Value::from(json!({"type": "note", "data": {"x": 1}}).to_string()),
        Value::from(json!({"type": "echo", "id": 1, "data": "hi"}).to_string()),
        Value::from(json!({"type": "ping", "data": 7}).to_string()),
        Value::from("not json {"),
        Value::from(json!({"type": "whoami", "id": 2}).to_string()),
    ]);
    assert_eq!(s.post(&sid, 1, &body.to_string()).await, (200, json!({"ok": true})));
    let frames = sse.frames(5).await;
    assert_eq!(frames[0], json!({"type": "note", "data": {"x": 1}}));
    assert_eq!(frames[1], json!({"replyTo": 1, "data": "hi"}));
    assert_eq!(frames[2], json!({"type": "pong", "data": 7}));
    assert_eq!(frames[3], json!("not json {"));
    assert_eq!(frames[4]["data"]["tag"], "s1");
    let stats = s.ok("stats?tag=s1&list=1").await;
    assert_eq!(stats["connections"], 1);
    assert_eq!(stats["conns"][0]["transport"], "sse");
    assert_eq!(stats["conns"][0]["conn"], frames[4]["data"]["conn"]);
}

#[tokio::test]
async fn polling_holds_answers_and_empties() {
    let s = start_with(|c| c.poll_hold_ms = 300).await;
    let sid = s.polling("tag=p1").await;
    assert_eq!(s.ok("stats?tag=p1&list=1").await["conns"][0]["transport"], "polling");
    assert_eq!(s.poll_now(&sid, true).await, json!({"frames": []})); // wait=0: at once
                                                                     // A held poll is answered by the next frame.
    let mut held = s.poll(&sid, false);
    assert_pending(&mut held).await;
    s.post_ok(&sid, 1, &[json!({"type": "note", "data": 1})]).await;
    let (status, answer) = held.await.unwrap().unwrap();
    assert_eq!((status, parsed(answer)), (200, json!({"frames": [{"type": "note", "data": 1}]})));
    // Nothing to send: an empty answer after the hold time.
    let started = Instant::now();
    assert_eq!(s.poll_now(&sid, false).await, json!({"frames": []}));
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    // A newer poll answers the older one at once.
    let mut older = s.poll(&sid, false);
    assert_pending(&mut older).await;
    let newer = s.poll(&sid, false);
    let (status, answer) = older.await.unwrap().unwrap();
    assert_eq!((status, answer), (200, json!({"frames": []})));
    s.post_ok(&sid, 2, &[json!({"type": "ping"})]).await;
    let (_, answer) = newer.await.unwrap().unwrap();
    assert_eq!(parsed(answer), json!({"frames": [{"type": "pong"}]}));
}

#[tokio::test]
async fn batch_numbers_dedupe_gaps_and_unknown_sessions() {
    let s = start().await;
    let sid = s.polling("tag=n1").await;
    let note = |i: u64| json!({"type": "note", "data": i});
    s.post_ok(&sid, 1, &[note(1)]).await;
    let dup = s.post(&sid, 1, &batch(&[note(1)])).await;
    assert_eq!(dup, (200, json!({"ok": true, "duplicate": true})));
    assert_eq!(s.post(&sid, 3, &batch(&[note(3)])).await.0, 409);
    s.post_ok(&sid, 2, &[note(2)]).await;
    let log = s.ok("log?tag=n1&type=note").await;
    let data: Vec<&Value> = log["events"].as_array().unwrap().iter().map(|e| &e["data"]).collect();
    assert_eq!(data, [&json!(1), &json!(2)], "{log}");
    let answer = s.poll_now(&sid, true).await;
    assert_eq!(answer, json!({"frames": [note(1), note(2)]}));

    // Malformed requests.
    for body in ["{}", "[1]", r#"[{"b":"!!"}]"#, r#"[{"b":"AA==","x":1}]"#, "nope"] {
        assert_eq!(s.post(&sid, 3, body).await.0, 400, "{body}");
    }
    let res = http_body(s.addr, "POST", &format!("/ws?sid={sid}"), "[]").await.unwrap();
    assert_eq!(res.status, 400); // no n
    assert_eq!(http(s.addr, "GET", "/ws?transport=carrier-pigeon").await.status, 400);
    assert_eq!(http(s.addr, "GET", "/ws").await.status, 400); // a plain GET: not an upgrade

    // Unknown sessions.
    assert_eq!(s.post("nope", 1, "[]").await.0, 404);
    assert_eq!(s.poll("nope", true).await.unwrap().unwrap().0, 404);
    // Closing is idempotent: an unknown (or ended) session is closed already.
    let res = http_body(s.addr, "POST", "/ws?sid=nope&close=1", "").await.unwrap();
    assert_eq!(res.status, 200);
    assert!(String::from_utf8_lossy(&res.body).contains("\"ended\":true"));
    let (_, sse_sid) = s.sse("tag=n1").await;
    assert_eq!(s.poll(&sse_sid, true).await.unwrap().unwrap().0, 404); // not a polling session
}

#[tokio::test]
async fn client_close_ends_the_session() {
    let s = start().await;
    let (mut sse, sid) = s.sse("tag=c0").await;
    let res = http_body(s.addr, "POST", &format!("/ws?sid={sid}&close=1"), "").await.unwrap();
    assert_eq!((res.status, json_body(&res)), (200, json!({"ok": true})));
    assert_eq!(s.ok("stats?tag=c0").await["connections"], 0);
    assert_eq!(sse.end().await, SseEnd::Clean);
    assert_eq!(s.post(&sid, 1, "[]").await.0, 404);

    let sid = s.polling("tag=c0").await;
    let held = s.poll(&sid, false);
    let target = format!("/ws?transport=polling&sid={sid}&close=1");
    assert_eq!(http_body(s.addr, "POST", &target, "").await.unwrap().status, 200);
    assert_eq!(s.ok("stats?tag=c0").await["connections"], 0);
    // The held poll (if it got there in time) is answered, or the session was gone already.
    let (status, _) = held.await.unwrap().unwrap();
    assert!(status == 200 || status == 404, "{status}");
}

#[tokio::test]
async fn server_close_is_a_close_event_or_field() {
    let s = start().await;
    let (mut sse, sse_sid) = s.sse("tag=c1").await;
    let poll_sid = s.polling("tag=c1").await;
    let held = s.poll(&poll_sid, false);
    assert_eq!(s.ok("close?code=4001&reason=bye%20now&tag=c1").await, json!({"closed": 2}));
    assert_eq!(sse.event().await, ("close".to_owned(), json!({"code": 4001, "reason": "bye now"})));
    assert_eq!(sse.end().await, SseEnd::Clean);
    let (status, answer) = held.await.unwrap().unwrap();
    assert_eq!(
        (status, answer),
        (200, json!({"frames": [], "close": {"code": 4001, "reason": "bye now"}}))
    );
    assert_eq!(s.poll_now_status(&poll_sid).await, 404);
    assert_eq!(s.post(&sse_sid, 1, "[]").await.0, 404);
    assert_eq!(s.ok("stats?tag=c1").await["connections"], 0);

    // A `close` event from the client: the frames before it, then the close.
    let (mut sse, sid) = s.sse("tag=c2").await;
    let frames = [json!({"type": "ping"}), json!({"type": "close", "data": {"code": 4002}})];
    s.post_ok(&sid, 1, &frames).await;
    assert_eq!(sse.frames(1).await, [json!({"type": "pong"})]);
    assert_eq!(sse.event().await, ("close".to_owned(), json!({"code": 4002, "reason": ""})));
    assert_eq!(sse.end().await, SseEnd::Clean);
}

impl Server {
    async fn poll_now_status(&self, sid: &str) -> u16 {
        self.poll(sid, true).await.unwrap().expect("no poll answer").0
    }
}

#[tokio::test]
async fn drop_aborts_the_stream_and_held_polls() {
    let s = start().await;
    let (mut sse, sse_sid) = s.sse("tag=d1").await;
    let poll_sid = s.polling("tag=d1").await;
    let mut held = s.poll(&poll_sid, false);
    assert_pending(&mut held).await;
    let (mut other, _) = s.sse("tag=d2").await;
    assert_eq!(s.ok("drop?tag=d1").await, json!({"dropped": 2}));
    assert_eq!(sse.end().await, SseEnd::Aborted);
    assert!(held.await.unwrap().is_none(), "the held poll must fail, not be answered");
    assert_eq!(s.post(&sse_sid, 1, "[]").await.0, 404);
    assert_eq!(s.post(&poll_sid, 1, "[]").await.0, 404);
    assert_eq!(s.poll_now_status(&poll_sid).await, 404);
    assert_eq!(s.ok("stats").await["connections"], 1);
    // Other tags are untouched.
    s.ok("garbage?tag=d2").await;
    assert_eq!(other.frames(8).await[7], json!({"type": "garbage-done", "data": null}));
}

#[tokio::test]
async fn halfopen_hangs_then_drops() {
    let s = start().await;
    let (mut sse, sid) = s.sse("tag=h1").await;
    assert_eq!(s.ok("halfopen?ms=400&tag=h1").await, json!({"halfOpen": 1}));
    let started = Instant::now();
    let addr = s.addr;
    let body = batch(&[json!({"type": "ping"})]);
    let target = format!("/ws?transport=sse&sid={sid}&n=1");
    let mut post = tokio::spawn(async move { http_body(addr, "POST", &target, &body).await });
    assert_pending(&mut post).await;
    assert_eq!(sse.end().await, SseEnd::Aborted); // nothing delivered, then dropped
    assert!(post.await.unwrap().is_none(), "the hanging POST must fail");
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(s.ok("stats?tag=h1").await["connections"], 0);
}

#[tokio::test]
async fn stall_holds_posts_but_delivery_goes_on() {
    let s = start().await;
    let (mut sse, sid) = s.sse("tag=st").await;
    assert_eq!(s.ok("stall?ms=600&tag=st").await, json!({"stalled": 1}));
    let started = Instant::now();
    let addr = s.addr;
    let body = batch(&[json!({"type": "ping", "data": 1})]);
    let target = format!("/ws?transport=sse&sid={sid}&n=1");
    let post = tokio::spawn(async move { http_body(addr, "POST", &target, &body).await });
    // Delivering goes on: the garbage arrives (with its binary frame) while POSTs wait.
    assert_eq!(s.ok("garbage?tag=st").await, json!({"sent": 1}));
    let garbage = sse.frames(8).await;
    assert_eq!(garbage[0], json!("not json {"));
    assert_eq!(garbage[6], json!({"b": "AP8B/g=="}));
    assert_eq!(garbage[7], json!({"type": "garbage-done", "data": null}));
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    assert_eq!(sse.frames(1).await, [json!({"type": "pong", "data": 1})]);
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    let res = post.await.unwrap().unwrap();
    assert_eq!((res.status, json_body(&res)), (200, json!({"ok": true})));
}

#[tokio::test]
async fn delay_holds_frames_until_due() {
    let s = start().await;
    let sid = s.polling("tag=dl").await;
    s.ok("delay?ms=300&tag=dl").await;
    let started = Instant::now();
    s.post_ok(&sid, 1, &[json!({"type": "ping"})]).await;
    assert_eq!(s.poll_now(&sid, true).await, json!({"frames": []})); // not due yet
    assert_eq!(s.poll_now(&sid, false).await, json!({"frames": [{"type": "pong"}]}));
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
}

#[tokio::test]
async fn block_ws_forbids_upgrades_but_not_http() {
    let s = start().await;
    assert_eq!(s.ok("block-ws?ms=600000&tag=b1").await, json!({"blockingWsForMs": 600000}));
    match s.try_ws("/ws?tag=b1").await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        Err(e) => panic!("expected HTTP 403, got {e}"),
        Ok(_) => panic!("expected HTTP 403, got a connection"),
    }
    ping_ok(&mut s.ws("/ws?tag=b2").await).await; // other tags
    s.ws("/ws/raw?tag=b1").await; // only `/ws`
    let (mut sse, sid) = s.sse("tag=b1").await;
    s.post_ok(&sid, 1, &[json!({"type": "ping"})]).await;
    assert_eq!(sse.frames(1).await, [json!({"type": "pong"})]);
    s.ok("block-ws?ms=0&tag=b1").await;
    ping_ok(&mut s.ws("/ws?tag=b1").await).await;

    // Untagged: all; reset ends it.
    s.ok("block-ws?ms=600000").await;
    assert!(s.try_ws("/ws?tag=b2").await.is_err());
    assert_eq!(s.ok("reset").await, json!({"ok": true}));
    ping_ok(&mut s.ws("/ws?tag=b2").await).await;
    assert_eq!(s.control("block-ws").await.0, 400); // ms is required
}

#[tokio::test]
async fn refuse_and_a_full_server_answer_503() {
    let s = start_with(|c| c.max_connections = 1).await;
    s.ok("refuse?ms=600000&tag=r1").await;
    for transport in ["sse", "polling"] {
        let res = http(s.addr, "GET", &format!("/ws?tag=r1&transport={transport}")).await;
        assert_eq!((res.status, res.header("retry-after")), (503, None), "{transport}");
    }
    assert_eq!(s.ok("stats").await["refused"], 2);
    let _sid = s.polling("tag=r2").await;
    let res = http(s.addr, "GET", "/ws?tag=r2&transport=sse").await;
    assert_eq!((res.status, res.header("retry-after")), (503, Some("1")));
    assert_eq!(json_body(&res), json!({"error": "server full"}));
}

#[tokio::test]
async fn binary_frames_and_bursts() {
    let s = start().await;
    let sid = s.polling("tag=bin").await;
    let body = json!([{"b": "AAEC/w=="}, "raw", {"b": ""}]).to_string();
    assert_eq!(s.post(&sid, 1, &body).await, (200, json!({"ok": true})));
    let answer = s.poll_now(&sid, true).await;
    assert_eq!(answer, json!({"frames": [{"b": "AAEC/w=="}, "raw", {"b": ""}]}));
    s.post_ok(&sid, 2, &[json!({"type": "burst", "data": {"count": 3, "size": 2}})]).await;
    let answer = s.poll_now(&sid, false).await;
    let burst: Vec<Value> =
        (0..3).map(|i| json!({"type": "burst", "data": {"i": i, "pad": "xx"}})).collect();
    assert_eq!(answer, json!({"frames": burst}));
}

#[tokio::test]
async fn reliable_mode_over_sse() {
    let s = start().await;
    let (mut sse, sid) = s.sse("tag=rel").await;
    s.post_ok(&sid, 1, &[json!({"type": "hello", "data": {"session": "sH", "ack": 0}})]).await;
    let welcome = sse.frames(1).await;
    assert_eq!(
        welcome,
        [json!({"type": "welcome", "data": {"ack": 0, "resumed": false, "gap": null}})]
    );
    let note = json!({"seq": 1, "type": "note", "data": 1});
    s.post_ok(&sid, 2, std::slice::from_ref(&note)).await;
    let frames = sse.frames(2).await;
    assert_eq!((frames[0]["seq"].as_u64(), &frames[0]["data"]), (Some(1), &json!(1)));
    assert_eq!(frames[1], json!({"type": "ack", "data": 1}));
    s.post_ok(&sid, 3, &[note]).await; // a duplicate seq: acked, not processed
    assert_eq!(sse.frames(1).await, [json!({"type": "ack", "data": 1})]);
    let sessions = s.ok("session?tag=rel").await;
    assert_eq!(sessions["sessions"][0]["attached"], true);
    drop(sse);
    s.wait_connections("rel", 0).await; // the client closed the stream: the session detaches
    assert_eq!(s.ok("session?tag=rel").await["sessions"][0]["attached"], false);
}

#[tokio::test]
async fn liveness_ends_idle_polling_sessions() {
    let s = start_with(|c| c.poll_idle_ms = 200).await;
    let sid = s.polling("tag=idle").await;
    let started = Instant::now();
    s.wait_connections("idle", 0).await;
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
    assert_eq!(s.poll_now_status(&sid).await, 404);
}

#[tokio::test]
async fn stream_ticks_and_auth_over_http() {
    let s = start_with(|c| c.stream_every_ms = 20).await;
    let (mut sse, sid) = s.sse("tag=tk&stream=1").await;
    // Ticks start once the server has handled a frame from the connection.
    s.post_ok(&sid, 1, &[json!({"type": "note"})]).await;
    let ticks: Vec<Value> =
        sse.frames(3).await.into_iter().filter(|f| f["type"] == "tick").take(2).collect();
    assert_eq!(ticks[0]["type"], "tick");
    assert_eq!(ticks[1]["data"]["n"].as_u64(), ticks[0]["data"]["n"].as_u64().map(|n| n + 1));

    let sid = s.polling("tag=au&auth=t0k").await;
    let frames =
        [json!({"type": "note"}), json!({"type": "auth", "id": 1, "data": {"token": "t0k"}})];
    s.post_ok(&sid, 1, &frames).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let answer = s.poll_now(&sid, false).await;
        got.extend(answer["frames"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(got[0]["data"]["message"], "not authenticated");
    assert_eq!(got[1], json!({"replyTo": 1, "data": true}));
    s.post_ok(&sid, 2, &[json!({"type": "echo", "id": 2, "data": 5})]).await;
    assert_eq!(s.poll_now(&sid, false).await, json!({"frames": [{"replyTo": 2, "data": 5}]}));
}

#[tokio::test]
async fn log_file_records_posted_events() {
    let log = make_root().join("events.log");
    let path = log.clone();
    let s = start_with(move |c| c.log_file = Some(path)).await;
    let (_sse, sid) = s.sse("tag=lf").await;
    s.post_ok(&sid, 1, &[json!({"type": "note", "data": {"k": 1}})]).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let line: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&line["dir"], &line["type"], &line["data"], &line["tag"]),
        (&json!("in"), &json!("note"), &json!({"k": 1}), &json!("lf"))
    );
    assert!(line["conn"].is_u64(), "{line}");
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[tokio::test]
async fn oversized_frame_closes_with_1009() {
    let s = start_with(|c| c.max_message_bytes = 16).await;
    let (mut sse, sid) = s.sse("tag=big").await;
    let frames = [Value::from("y".repeat(16)), Value::from("y".repeat(17)), Value::from("after")];
    assert_eq!(s.post(&sid, 1, &Value::from(frames.to_vec()).to_string()).await.0, 200);
    assert_eq!(sse.frames(1).await, [json!("y".repeat(16))]); // exactly the limit is fine
    let close = json!({"code": 1009, "reason": "message too big"});
    assert_eq!(sse.event().await, ("close".to_owned(), close));
    assert_eq!(sse.end().await, SseEnd::Clean);
}

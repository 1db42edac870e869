//! Shared helpers: an in-process server per test on port 0, a WebSocket client with timeouts,
//! and a tiny HTTP/1.1 client over `TcpStream`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use steadysocket_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Upper bound for any single await in the tests.
pub const T: Duration = Duration::from_secs(5);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Server {
    pub addr: SocketAddr,
    pub root: PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A fresh static root: www/{index.html,app.js,sub/index.html}, pkg/{x.wasm,x.js}, secret.txt.
pub fn make_root() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let root =
        std::env::temp_dir().join(format!("steadysocket-server-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("www/sub")).unwrap();
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("www/index.html"), "<h1>index</h1>").unwrap();
    std::fs::write(root.join("www/app.js"), "export const x = 1;").unwrap();
    std::fs::write(root.join("www/sub/index.html"), "<h1>sub</h1>").unwrap();
    std::fs::write(root.join("pkg/x.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(root.join("pkg/x.js"), "// glue").unwrap();
    std::fs::write(root.join("secret.txt"), "secret").unwrap();
    root
}

pub async fn start() -> Server {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Server {
    let root = make_root();
    let mut config = Config { port: 0, root: root.clone(), ..Config::default() };
    tweak(&mut config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, serve) = steadysocket_server::bind(config, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    tokio::spawn(serve);
    Server { addr, root, _stop: stop }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Server {
    pub async fn ws(&self, path: &str) -> Ws {
        self.try_ws(path).await.unwrap()
    }

    pub async fn try_ws(&self, path: &str) -> Result<Ws, tungstenite::Error> {
        let url = format!("ws://{}{path}", self.addr);
        timeout(T, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect timed out")
            .map(|(ws, _)| ws)
    }

    /// POSTs `/control/{path}`; returns status and parsed JSON body.
    pub async fn control(&self, path: &str) -> (u16, Value) {
        let res = http(self.addr, "POST", &format!("/control/{path}")).await;
        (res.status, serde_json::from_slice(&res.body).unwrap())
    }

    /// POSTs a control and asserts a 200.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.control(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

pub async fn send(ws: &mut Ws, v: Value) {
    timeout(T, ws.send(Message::text(v.to_string()))).await.unwrap().unwrap();
}

/// The next message (panics on timeout, error or end of stream).
pub async fn recv(ws: &mut Ws) -> Message {
    timeout(T, ws.next()).await.expect("recv timed out").expect("stream ended").expect("ws error")
}

/// The next message, parsed as JSON text.
pub async fn recv_json(ws: &mut Ws) -> Value {
    match recv(ws).await {
        Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Sends a request and returns the reply.
pub async fn request(ws: &mut Ws, id: u64, ty: &str, data: Value) -> Value {
    send(ws, serde_json::json!({"type": ty, "id": id, "data": data})).await;
    let reply = recv_json(ws).await;
    assert_eq!(reply["replyTo"], id, "{reply}");
    reply
}

/// Asserts a pong (with `data`) comes back for a ping.
pub async fn ping_ok(ws: &mut Ws) {
    send(ws, serde_json::json!({"type": "ping", "data": 7})).await;
    assert_eq!(recv_json(ws).await, serde_json::json!({"type": "pong", "data": 7}));
}

/// Asserts the stream ends (within `T`) without ever delivering a close frame.
pub async fn expect_abrupt_end(ws: &mut Ws) {
    loop {
        match timeout(T, ws.next()).await.expect("connection stayed open") {
            None | Some(Err(_)) => return,
            Some(Ok(Message::Close(f))) => panic!("got a close frame: {f:?}"),
            Some(Ok(_)) => {}
        }
    }
}

/// Reads until a close frame, completes the close handshake, and returns (code, reason).
pub async fn expect_close(ws: &mut Ws) -> (u16, String) {
    loop {
        match recv(ws).await {
            Message::Close(Some(f)) => {
                // Poll on so the client answers the close and the server sees the handshake end.
                while let Some(Ok(_)) = timeout(T, ws.next()).await.expect("no end after close") {}
                return (f.code.into(), f.reason.as_str().to_owned());
            }
            Message::Close(None) => panic!("close frame without code"),
            _ => {}
        }
    }
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Minimal HTTP/1.1 request (`Connection: close`, body read to EOF). `target` is sent verbatim.
pub async fn http(addr: SocketAddr, method: &str, target: &str) -> HttpResponse {
    http_body(addr, method, target, "").await.expect("no response")
}

/// Like [`http`] with a `text/plain` body; `None` if the server closed the connection (or reset
/// it) before a complete response head.
pub async fn http_body(
    addr: SocketAddr,
    method: &str,
    target: &str,
    body: &str,
) -> Option<HttpResponse> {
    timeout(T, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let len = body.len();
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://other.test\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        if stream.read_to_end(&mut raw).await.is_err() && raw.is_empty() {
            return None; // reset
        }
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Some(HttpResponse { status, headers, body: raw[split + 4..].to_vec() })
    })
    .await
    .expect("http timed out")
}

/// Sends any message (with the test timeout).
pub async fn send_msg(ws: &mut Ws, msg: Message) {
    timeout(T, ws.send(msg)).await.unwrap().unwrap();
}

/// `ws.send_text("...")` for raw text frames.
pub trait SendText {
    async fn send_text(&mut self, text: &str);
}

impl SendText for Ws {
    async fn send_text(&mut self, text: &str) {
        send_msg(self, Message::text(text)).await;
    }
}

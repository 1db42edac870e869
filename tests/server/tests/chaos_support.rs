//! What the chaos suite (`scripts/chaos.sh`) needs from the server: `log_file` (`--log-file`)
//! gets one JSON line per event/request received on `/ws` (pings left out) and per tick sent;
//! `stream_every_ms` sends numbered ticks only to `/ws?stream=1` connections, counting up from
//! `stream_start` with no gaps, and not while none is connected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn log_file_and_numbered_stream() {
    let dir = make_root();
    let log = dir.join("chaos.log");
    let path = log.clone();
    let s = start_with(move |c| {
        c.log_file = Some(path);
        c.stream_every_ms = 20;
        c.stream_start = 41;
    })
    .await;
    // A plain connection gets no ticks: its first frame is the reply to its request.
    let mut plain = s.ws("/ws?tag=p").await;
    let mut ws = s.ws("/ws?tag=s&stream=1").await;
    send(&mut ws, json!({"type": "num", "data": {"n": 1}})).await;
    send(&mut ws, json!({"type": "ping"})).await;
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        let v = recv_json(&mut ws).await;
        if v["type"] == "tick" {
            ticks.push(v["data"]["n"].as_u64().unwrap());
        }
    }
    assert_eq!(ticks, [41, 42, 43]);
    assert_eq!(request(&mut plain, 7, "echo", json!({"n": 2})).await["data"], json!({"n": 2}));
    drop(ws);
    let logged = lines(&log);
    let ins: Vec<_> = logged.iter().filter(|l| l["dir"] == "in").collect();
    assert_eq!(ins.len(), 2, "{logged:?}");
    assert_eq!(ins[0]["type"], "num");
    assert_eq!(ins[0]["data"], json!({"n": 1}));
    assert_eq!(ins[0]["tag"], "s");
    assert_eq!((ins[1]["type"].as_str(), ins[1]["id"].as_u64()), (Some("echo"), Some(7)));
    let outs: Vec<u64> =
        logged.iter().filter(|l| l["dir"] == "out").map(|l| l["n"].as_u64().unwrap()).collect();
    assert!(outs.len() >= 3 && outs.windows(2).all(|w| w[1] == w[0] + 1), "{outs:?}");
    assert_eq!(outs[0], 41);
    let _ = std::fs::remove_dir_all(&dir);
}

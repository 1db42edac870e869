//! Reliable mode on `/ws` (the protocol v1 extension): hello/welcome, dedupe by
//! (session, seq) with cumulative acks, seqs on server events and replies, replay after a
//! resume, gaps when the replay buffer was too small, `/control/push` and `/control/session`,
//! and that a v1 `hello` event without a session is still an ordinary event.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

async fn hello(ws: &mut Ws, session: &str, ack: u64) -> Value {
    send(ws, json!({"type": "hello", "data": {"session": session, "ack": ack}})).await;
    let w = recv_json(ws).await;
    assert_eq!(w["type"], "welcome", "{w}");
    w["data"].clone()
}

#[tokio::test]
async fn dedupe_acks_and_seqs() {
    let s = start().await;
    let mut ws = s.ws("/ws?tag=rel1").await;
    assert_eq!(hello(&mut ws, "sA", 0).await, json!({"ack": 0, "resumed": false, "gap": null}));
    send(&mut ws, json!({"seq": 1, "type": "note", "data": 1})).await;
    let echo = recv_json(&mut ws).await;
    assert_eq!((echo["seq"].as_u64(), &echo["data"]), (Some(1), &json!(1)), "{echo}");
    assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": 1}));
    // A duplicate is acked, not processed (no echo, not logged).
    send(&mut ws, json!({"seq": 1, "type": "note", "data": 1})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": 1}));
    send(&mut ws, json!({"seq": 2, "type": "echo", "id": 5, "data": "x"})).await;
    let reply = recv_json(&mut ws).await;
    assert_eq!((reply["replyTo"].as_u64(), reply["seq"].as_u64()), (Some(5), Some(2)));
    assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": 2}));
    let log = s.ok("log?tag=rel1").await;
    let seqs: Vec<u64> = log["events"]
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().filter_map(|e| e["seq"].as_u64()).collect());
    assert_eq!(seqs, [1, 2], "{log}");
    // Resume on a new connection: the client saw server seq 1 only: 2 is replayed.
    drop(ws);
    let mut ws = s.ws("/ws?tag=rel1").await;
    assert_eq!(hello(&mut ws, "sA", 1).await, json!({"ack": 2, "resumed": true, "gap": null}));
    assert_eq!(recv_json(&mut ws).await["seq"], 2);
    send(&mut ws, json!({"type": "ack", "data": 2})).await;
    ping_ok(&mut ws).await;
}

#[tokio::test]
async fn gap_when_the_replay_buffer_is_too_small() {
    let s = start().await;
    let mut ws = s.ws("/ws?tag=rel2").await;
    hello(&mut ws, "sB", 0).await;
    drop(ws);
    s.ok("session?replay=3").await;
    let pushed = s.ok("push?tag=rel2&count=10&type=n").await;
    assert_eq!(pushed["sessions"], 1);
    let mut ws = s.ws("/ws?tag=rel2").await;
    let w = hello(&mut ws, "sB", 0).await;
    assert_eq!(w["gap"], json!({"from": 1, "to": 7}));
    for want in 8..=10 {
        let m = recv_json(&mut ws).await;
        assert_eq!((m["seq"].as_u64(), m["data"]["i"].as_u64()), (Some(want), Some(want)));
    }
    let st = s.ok("session?tag=rel2").await;
    assert_eq!(st["sessions"][0]["buffered"], 3, "{st}");
    // An unknown session continues the client's numbering.
    let mut ws2 = s.ws("/ws?tag=rel3").await;
    assert_eq!(hello(&mut ws2, "sNew", 41).await["resumed"], false);
    send(&mut ws2, json!({"seq": 1, "type": "t", "data": null})).await;
    assert_eq!(recv_json(&mut ws2).await["seq"], 42);
}

#[tokio::test]
async fn hello_without_session_is_an_ordinary_event() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    let hello = json!({"type": "hello", "data": {"x": 1}});
    send(&mut ws, hello.clone()).await;
    assert_eq!(recv_json(&mut ws).await, hello);
}

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

/// With a log file, sessions outlive the server: a server started on the same file knows
/// which seqs were processed (a re-sent one is not processed again) and replays what it had
/// stamped but the client had not acked, with no seq reused.
#[tokio::test]
async fn sessions_survive_a_restart_with_a_log_file() {
    let dir = make_root();
    let log = dir.join("journal.log");
    let path = log.clone();
    let a = start_with(move |c| c.log_file = Some(path)).await;
    let mut ws = a.ws("/ws?tag=dur").await;
    hello(&mut ws, "sD", 0).await;
    for seq in 1..=2u64 {
        send(&mut ws, json!({"seq": seq, "type": "note", "data": seq})).await;
        assert_eq!(recv_json(&mut ws).await["seq"], seq); // the echo
        assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": seq}));
    }
    a.ok("push?tag=dur&count=3&type=n").await;
    for want in 3..=5u64 {
        assert_eq!(recv_json(&mut ws).await["seq"], want);
    }
    // The server "dies" (never used again); the client saw server seqs up to 3 only.
    drop(ws);
    let path = log.clone();
    let b = start_with(move |c| c.log_file = Some(path)).await;
    let mut ws = b.ws("/ws?tag=dur").await;
    assert_eq!(hello(&mut ws, "sD", 3).await, json!({"ack": 2, "resumed": true, "gap": null}));
    for want in 4..=5u64 {
        let m = recv_json(&mut ws).await;
        assert_eq!((m["seq"].as_u64(), m["data"]["i"].as_u64()), (Some(want), Some(want - 2)));
    }
    // A re-sent seq 2 is a duplicate; seq 3 is new, and its echo gets seq 6.
    send(&mut ws, json!({"seq": 2, "type": "note", "data": 2})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": 2}));
    send(&mut ws, json!({"seq": 3, "type": "note", "data": 3})).await;
    assert_eq!(recv_json(&mut ws).await["seq"], 6);
    assert_eq!(recv_json(&mut ws).await, json!({"type": "ack", "data": 3}));
    let text = std::fs::read_to_string(&log).unwrap();
    let processed: Vec<u64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["dir"] == "in" && v["session"] == "sD")
        .filter_map(|v| v["seq"].as_u64())
        .collect();
    assert_eq!(processed, [1, 2, 3], "each seq processed once across the restart");
    let _ = std::fs::remove_dir_all(&dir);
}

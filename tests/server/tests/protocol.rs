//! Wire protocol v1 on `/ws` and echo on `/ws/raw`: ping/pong, event echo, raw text/binary echo,
//! every request handler (echo, add, slow, fail, big, getHistory, whoami, unknown type), rooms
//! (join/presence/say/chat/history), burst, client-requested close, the event log,
//! max message size (1009) and max connections (1013); the non-v1 peers `/ws/silent` and
//! `/ws/events`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn ping_pong_and_event_echo() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"type": "pong"}));
    ping_ok(&mut ws).await;
    let hello = json!({"type": "hello", "data": {"x": [1, 2]}});
    send(&mut ws, hello.clone()).await;
    assert_eq!(recv_json(&mut ws).await, hello);
}

#[tokio::test]
async fn non_protocol_frames_are_echoed_verbatim() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    for raw in ["not json {", "[1,2,3]", r#"{"type":42}"#, r#"{"foo":1}"#] {
        ws.send_text(raw).await;
        assert_eq!(recv(&mut ws).await, Message::text(raw));
    }
    send_msg(&mut ws, Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(recv(&mut ws).await, Message::binary(vec![1u8, 2, 3]));
}

#[tokio::test]
async fn request_handlers() {
    let s = start().await;
    let mut ws = s.ws("/ws?tag=req").await;
    assert_eq!(request(&mut ws, 1, "echo", json!({"k": "v"})).await["data"], json!({"k": "v"}));
    assert_eq!(request(&mut ws, 2, "add", json!({"a": 2, "b": 40})).await["data"], 42);
    assert_eq!(request(&mut ws, 3, "add", json!({"a": 0.5, "b": 1})).await["data"], 1.5);
    let bad = request(&mut ws, 4, "add", json!({"a": "x", "b": 1})).await;
    assert_eq!(bad["error"]["code"], "bad-request");
    let fail = request(&mut ws, 5, "fail", json!(null)).await;
    assert_eq!(fail["error"], json!({"message": "requested failure", "code": "failed"}));
    let fail = request(&mut ws, 6, "fail", json!({"message": "m", "code": "c"})).await;
    assert_eq!(fail["error"], json!({"message": "m", "code": "c"}));
    let big = request(&mut ws, 7, "big", json!({"bytes": 100_000})).await;
    let big = big["data"].as_str().unwrap();
    assert!(big.len() == 100_000 && big.bytes().all(|b| b == b'x'));
    let too_big = request(&mut ws, 8, "big", json!({"bytes": (64 << 20) + 1})).await;
    assert_eq!(too_big["error"]["code"], "bad-request");
    let who = request(&mut ws, 9, "whoami", json!(null)).await;
    assert!(who["data"]["conn"].is_u64());
    assert_eq!(who["data"]["tag"], "req");
    let unknown = request(&mut ws, 10, "nope", json!(null)).await;
    assert_eq!(
        unknown["error"],
        json!({"message": "unknown request type: nope", "code": "unknown-type"})
    );
    let history = request(&mut ws, 11, "getHistory", json!({"room": "empty"})).await;
    assert_eq!(history["data"], json!({"messages": []}));
}

#[tokio::test]
async fn slow_request_does_not_block_the_connection() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    send(&mut ws, json!({"type": "slow", "id": 1, "data": {"ms": 300, "value": "late"}})).await;
    assert_eq!(request(&mut ws, 2, "echo", json!("early")).await["data"], "early");
    assert_eq!(recv_json(&mut ws).await, json!({"replyTo": 1, "data": "late"}));
}

#[tokio::test]
async fn rooms_broadcast_and_history() {
    let s = start().await;
    let mut alice = s.ws("/ws").await;
    let mut bob = s.ws("/ws").await;

    send(&mut alice, json!({"type": "say", "data": {"text": "too early"}})).await;
    assert_eq!(
        recv_json(&mut alice).await,
        json!({"type": "error", "data": {"message": "join a room first"}})
    );

    send(&mut alice, json!({"type": "join", "data": {"room": "r", "name": "alice"}})).await;
    let joined =
        json!({"type": "presence", "data": {"room": "r", "name": "alice", "joined": true}});
    assert_eq!(recv_json(&mut alice).await, joined);
    send(&mut bob, json!({"type": "join", "data": {"room": "r", "name": "bob"}})).await;
    let bob_joined =
        json!({"type": "presence", "data": {"room": "r", "name": "bob", "joined": true}});
    assert_eq!(recv_json(&mut alice).await, bob_joined);
    assert_eq!(recv_json(&mut bob).await, bob_joined);

    send(&mut alice, json!({"type": "say", "data": {"text": "hi", "cid": "c1"}})).await;
    send(&mut bob, json!({"type": "say", "data": {"text": "yo"}})).await;
    let mut seqs = Vec::new();
    for ws in [&mut alice, &mut bob] {
        let first = recv_json(ws).await;
        let second = recv_json(ws).await;
        assert_eq!(first["type"], "chat");
        let d = &first["data"];
        assert_eq!(
            (&d["room"], &d["name"], &d["text"], &d["cid"]),
            (&json!("r"), &json!("alice"), &json!("hi"), &json!("c1"))
        );
        assert!(d["ts"].as_u64().unwrap() > 1_600_000_000_000);
        assert_eq!(second["data"]["cid"], json!(null));
        assert!(second["data"]["seq"].as_u64() > d["seq"].as_u64());
        seqs.push((d["seq"].clone(), second["data"]["seq"].clone()));
    }
    assert_eq!(seqs[0], seqs[1]);

    let history = request(&mut bob, 1, "getHistory", json!({"room": "r"})).await;
    let messages = history["data"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["text"], "hi");
    assert_eq!(messages[1]["text"], "yo");

    // Leaving (here: disconnecting) tells the room.
    alice.close(None).await.unwrap();
    let left = json!({"type": "presence", "data": {"room": "r", "name": "alice", "joined": false}});
    assert_eq!(recv_json(&mut bob).await, left);
}

#[tokio::test]
async fn burst_and_client_requested_close() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    send(&mut ws, json!({"type": "burst", "data": {"count": 3, "size": 10}})).await;
    for i in 0..3 {
        assert_eq!(
            recv_json(&mut ws).await,
            json!({"type": "burst", "data": {"i": i, "pad": "xxxxxxxxxx"}})
        );
    }
    send(&mut ws, json!({"type": "close", "data": {"code": 4001, "reason": "bye"}})).await;
    assert_eq!(expect_close(&mut ws).await, (4001, "bye".to_owned()));
}

#[tokio::test]
async fn raw_endpoint_echoes_text_and_binary() {
    let s = start().await;
    let mut ws = s.ws("/ws/raw").await;
    ws.send_text(r#"{"type":"ping"}"#).await;
    assert_eq!(recv(&mut ws).await, Message::text(r#"{"type":"ping"}"#));
    send_msg(&mut ws, Message::binary(vec![0u8, 255])).await;
    assert_eq!(recv(&mut ws).await, Message::binary(vec![0u8, 255]));
}

#[tokio::test]
async fn event_log_records_typed_events() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    ping_ok(&mut a).await; // pings are not logged
    send(&mut a, json!({"type": "note", "data": 1})).await;
    recv_json(&mut a).await;
    send(&mut b, json!({"type": "other"})).await;
    recv_json(&mut b).await;
    let conn = request(&mut a, 1, "whoami", json!(null)).await["data"]["conn"].clone();

    let log = s.ok("log?tag=a").await;
    assert_eq!(log, json!({"events": [{"tag": "a", "type": "note", "data": 1, "conn": conn}]}));
    assert_eq!(s.ok("log?type=other").await["events"][0]["tag"], "b");
    assert_eq!(s.ok("log").await["events"].as_array().unwrap().len(), 2);
    s.ok("log/clear?tag=a").await;
    assert_eq!(s.ok("log").await["events"].as_array().unwrap().len(), 1);
    s.ok("log/clear").await;
    assert_eq!(s.ok("log").await, json!({"events": []}));
}

#[tokio::test]
async fn oversized_message_closes_with_1009() {
    let s = start_with(|c| c.max_message_bytes = 1024).await;
    for path in ["/ws", "/ws/raw"] {
        let mut ws = s.ws(path).await;
        ws.send_text(&"y".repeat(1024)).await; // exactly the limit is fine
        recv(&mut ws).await;
        ws.send_text(&"y".repeat(1025)).await;
        assert_eq!(expect_close(&mut ws).await, (1009, "message too big".to_owned()));
    }
}

#[tokio::test]
async fn max_connections_closes_with_1013() {
    let s = start_with(|c| c.max_connections = 1).await;
    let mut first = s.ws("/ws").await;
    let mut second = s.ws("/ws").await;
    assert_eq!(expect_close(&mut second).await, (1013, "server full".to_owned()));
    ping_ok(&mut first).await;
    let stats = s.ok("stats").await;
    assert_eq!((stats["connections"].as_u64(), stats["refused"].as_u64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn silent_peer_never_sends() {
    use futures_util::StreamExt;
    let s = start().await;
    let mut ws = s.ws("/ws/silent").await;
    send(&mut ws, json!({"type": "ping"})).await;
    ws.send_text("ping").await;
    send_msg(&mut ws, Message::binary(vec![1u8])).await;
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), ws.next()).await;
    assert!(quiet.is_err(), "the silent peer sent {quiet:?}");
}

#[tokio::test]
async fn events_peer_speaks_its_own_shape() {
    let s = start().await;
    let mut ws = s.ws("/ws/events").await;
    send(&mut ws, json!({"event": "ping"})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"event": "pong"}));
    send(&mut ws, json!({"event": "echo", "ref": 3, "payload": {"k": [1]}})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"reply": 3, "payload": {"k": [1]}}));
    send(&mut ws, json!({"event": "nope", "ref": 4})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"reply": 4, "error": "unknown event: nope"}));
    send(&mut ws, json!({"event": "pingme"})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"event": "ping"}));
    send(&mut ws, json!({"event": "pong"})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"event": "ponged"}));
    let other = json!({"event": "greet", "payload": 1});
    send(&mut ws, other.clone()).await;
    assert_eq!(recv_json(&mut ws).await, other);
    for raw in ["not json", r#"{"type":"ping"}"#, "[1]"] {
        ws.send_text(raw).await;
        assert_eq!(recv(&mut ws).await, Message::text(raw));
    }
    send_msg(&mut ws, Message::binary(vec![0u8, 255])).await;
    assert_eq!(recv(&mut ws).await, Message::binary(vec![0u8, 255]));
}

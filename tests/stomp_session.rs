//! The STOMP side of the protocol seam (`core::stomp` session helpers): the `CONNECT` frame,
//! heart-beat negotiation, classification of server frames into `FrameKind`s, `ERROR`
//! descriptions, `DecodeError::describe`; and a proptest: classification never panics.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use steadysocket::core::stomp::{
    classify, connect_frame, error_text, negotiate, Command, DecodeError, Frame, BEAT_TOLERANCE,
    BYE_RECEIPT,
};
use steadysocket::core::FrameKind;

fn h(k: &str, v: &str) -> (String, String) {
    (k.into(), v.into())
}

const ASK: (u32, u32) = (10_000, 10_000);

/// `(cx, cy, server heart-beat header, expected (send, recv))`.
type Case<'a> = (u32, u32, Option<&'a str>, (u32, u32));

#[test]
fn connect_frame_header_order() {
    let f = connect_frame(&[], (4000, 5000));
    assert_eq!(f.command, Command::Connect);
    assert_eq!(f.headers, vec![h("accept-version", "1.2"), h("heart-beat", "4000,5000")]);
    assert!(f.body.is_empty());
    let f = connect_frame(
        &[h("login", "u"), h("passcode", "p"), h("host", "/"), h("x-custom", "1")],
        (0, 0),
    );
    assert_eq!(
        f.headers,
        vec![
            h("accept-version", "1.2"),
            h("heart-beat", "0,0"),
            h("login", "u"),
            h("passcode", "p"),
            h("host", "/"),
            h("x-custom", "1"),
        ]
    );
    let f = connect_frame(&[], (u32::MAX, 1));
    assert_eq!(f.header("heart-beat"), Some("4294967295,1"));
}

#[test]
fn connect_frame_overrides_replace_ours() {
    let f = connect_frame(&[h("login", "u"), h("accept-version", "1.1,1.2")], ASK);
    assert_eq!(
        f.headers,
        vec![h("heart-beat", "10000,10000"), h("login", "u"), h("accept-version", "1.1,1.2"),]
    );
    let f = connect_frame(&[h("heart-beat", "0,0")], ASK);
    assert_eq!(f.headers, vec![h("accept-version", "1.2"), h("heart-beat", "0,0")]);
    assert_eq!(f.headers.iter().filter(|(k, _)| k == "heart-beat").count(), 1);
    // Case-sensitive names: "Heart-Beat" is a custom header, ours stays.
    let f = connect_frame(&[h("Heart-Beat", "1,1")], ASK);
    assert_eq!(f.header("heart-beat"), Some("10000,10000"));
    assert_eq!(f.headers.len(), 3);
}

#[test]
fn negotiate_table() {
    let cases: &[Case<'_>] = &[
        (10_000, 10_000, Some("5000,20000"), (20_000, 10_000)),
        (10_000, 10_000, Some("20000,5000"), (10_000, 20_000)),
        (10_000, 0, Some("5000,20000"), (20_000, 0)),
        (0, 10_000, Some("5000,20000"), (0, 10_000)),
        (0, 0, Some("5000,20000"), (0, 0)),
        (10_000, 10_000, Some("0,0"), (0, 0)),
        (10_000, 10_000, Some("0,20000"), (20_000, 0)),
        (10_000, 10_000, Some("5000,0"), (0, 10_000)),
        (10_000, 10_000, None, (0, 0)),
        (10_000, 10_000, Some(""), (0, 0)),
        (10_000, 10_000, Some("10"), (0, 0)),
        (10_000, 10_000, Some("x,y"), (0, 0)),
        (10_000, 10_000, Some("1,y"), (0, 0)),
        (10_000, 10_000, Some("x,1"), (0, 0)),
        (10_000, 10_000, Some(","), (0, 0)),
        (10_000, 10_000, Some("-1,5"), (0, 0)),
        (10_000, 10_000, Some("1,2,3"), (0, 0)),
        (10_000, 10_000, Some("99999999999,1"), (0, 0)),
        (10_000, 10_000, Some(" 500 , 30000 "), (30_000, 10_000)),
        (1, 1, Some("4294967295,4294967295"), (u32::MAX, u32::MAX)),
    ];
    for &(cx, cy, hdr, want) in cases {
        assert_eq!(negotiate(cx, cy, hdr), want, "negotiate({cx}, {cy}, {hdr:?})");
    }
}

fn connected(hb: Option<&str>) -> Frame {
    let f = Frame::new(Command::Connected).with_header("version", "1.2");
    match hb {
        Some(v) => f.with_header("heart-beat", v),
        None => f,
    }
}

#[test]
fn classify_connected_negotiates_with_tolerance() {
    assert_eq!(BEAT_TOLERANCE, 2);
    assert_eq!(
        classify(&connected(Some("5000,20000")), false, ASK),
        FrameKind::Ready { beat: Some((20_000, 20_000)) }
    );
    assert_eq!(
        classify(&connected(Some("0,0")), false, ASK),
        FrameKind::Ready { beat: Some((0, 0)) }
    );
    assert_eq!(classify(&connected(None), false, ASK), FrameKind::Ready { beat: Some((0, 0)) });
    assert_eq!(
        classify(&connected(Some("garbage")), false, ASK),
        FrameKind::Ready { beat: Some((0, 0)) }
    );
    // The receive side saturates instead of overflowing.
    assert_eq!(
        classify(&connected(Some("4294967295,0")), false, (0, 1)),
        FrameKind::Ready { beat: Some((0, u32::MAX)) }
    );
    // A second CONNECTED is still Ready (the engine ignores it when not handshaking).
    assert_eq!(classify(&connected(None), true, ASK), FrameKind::Ready { beat: Some((0, 0)) });
}

#[test]
fn classify_message_and_receipts() {
    let msg = Frame::new(Command::Message).with_header("receipt-id", "7");
    assert_eq!(classify(&msg, true, ASK), FrameKind::Event);
    assert_eq!(classify(&msg, false, ASK), FrameKind::Event);
    let receipt = |id: &str| Frame::new(Command::Receipt).with_header("receipt-id", id);
    assert_eq!(classify(&receipt("7"), true, ASK), FrameKind::Reply { id: 7, error: false });
    assert_eq!(classify(&receipt("0"), true, ASK), FrameKind::Reply { id: 0, error: false });
    assert_eq!(classify(&receipt(BYE_RECEIPT), true, ASK), FrameKind::Bye);
    assert_eq!(BYE_RECEIPT, "bye");
    for id in ["BYE", "bye ", "abc", "", "-1", "1.5", "7x", "18446744073709551616"] {
        assert_eq!(classify(&receipt(id), true, ASK), FrameKind::Control, "receipt-id {id:?}");
    }
    assert_eq!(classify(&Frame::new(Command::Receipt), true, ASK), FrameKind::Control);
    // The first receipt-id wins.
    let two = receipt("bye").with_header("receipt-id", "3");
    assert_eq!(classify(&two, true, ASK), FrameKind::Bye);
}

fn error(message: Option<&str>, receipt: Option<&str>, body: &str) -> Frame {
    let mut f = Frame::new(Command::Error).with_body(body);
    if let Some(m) = message {
        f = f.with_header("message", m);
    }
    if let Some(r) = receipt {
        f = f.with_header("receipt-id", r);
    }
    f
}

#[test]
fn classify_error_before_and_after_connected() {
    let e = error(Some("Bad CONNECT"), None, "Access refused for user 'guest'\nmore");
    assert_eq!(
        classify(&e, false, ASK),
        FrameKind::Refused(
            "the broker sent ERROR: Bad CONNECT (Access refused for user 'guest')".into()
        )
    );
    // Before CONNECTED, even with a receipt-id, it refuses the handshake.
    let e = error(Some("x"), Some("5"), "");
    assert_eq!(classify(&e, false, ASK), FrameKind::Refused("the broker sent ERROR: x".into()));
    // After: with a numeric receipt-id it fails that request, else a server error.
    assert_eq!(classify(&e, true, ASK), FrameKind::Reply { id: 5, error: true });
    assert_eq!(classify(&error(Some("x"), None, ""), true, ASK), FrameKind::ServerError);
    assert_eq!(classify(&error(None, Some("bye"), ""), true, ASK), FrameKind::ServerError);
    assert_eq!(classify(&error(None, Some("n"), ""), true, ASK), FrameKind::ServerError);
}

#[test]
fn classify_everything_else_is_control() {
    let others = [
        Command::Connect,
        Command::Stomp,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Other("WHATEVER".into()),
    ];
    for c in others {
        for connected in [false, true] {
            let f = Frame::new(c.clone()).with_header("receipt-id", "1");
            assert_eq!(classify(&f, connected, ASK), FrameKind::Control, "{c:?}");
        }
    }
}

#[test]
fn error_text_forms() {
    assert_eq!(error_text(&error(None, None, "")), "the broker sent ERROR: (no message)");
    assert_eq!(error_text(&error(Some("m"), None, "  \n body")), "the broker sent ERROR: m");
    assert_eq!(
        error_text(&error(Some("m"), None, "  first  \r\nx")),
        "the broker sent ERROR: m (first)"
    );
    // A binary (non-UTF-8) body is left out.
    let bin = Frame::new(Command::Error).with_header("message", "m").with_body(vec![0xff, 0xfe]);
    assert_eq!(error_text(&bin), "the broker sent ERROR: m");
}

#[test]
fn error_text_truncates_on_a_char_boundary() {
    // 'a' then 150 two-byte chars: byte 200 falls inside a char.
    let body = format!("a{}", "\u{e9}".repeat(150));
    let t = error_text(&error(Some("m"), None, &body));
    assert_eq!(t, format!("the broker sent ERROR: m (a{})", "\u{e9}".repeat(99)));
    // Exactly at a boundary: 200 bytes kept.
    let body = "\u{e9}".repeat(150);
    let t = error_text(&error(Some("m"), None, &body));
    assert_eq!(t, format!("the broker sent ERROR: m ({})", "\u{e9}".repeat(100)));
    // Four-byte chars.
    let body = format!("ab{}", "\u{1f600}".repeat(60));
    let t = error_text(&error(Some("m"), None, &body));
    assert_eq!(t, format!("the broker sent ERROR: m (ab{})", "\u{1f600}".repeat(49)));
    // Short bodies are whole.
    let t = error_text(&error(Some("m"), None, &"z".repeat(200)));
    assert!(t.ends_with(&format!("({})", "z".repeat(200))));
}

#[test]
fn decode_error_describe() {
    let cases = [
        (DecodeError::InvalidCommand { line: b"x".to_vec() }, "invalid STOMP command line"),
        (DecodeError::MissingColon { line: vec![] }, "STOMP header line without ':'"),
        (DecodeError::InvalidEscape { line: vec![] }, "invalid escape in a STOMP header"),
        (DecodeError::NonUtf8 { line: vec![0xff] }, "STOMP header is not UTF-8"),
        (
            DecodeError::InvalidContentLength { value: "12a".into() },
            "invalid STOMP content-length: 12a",
        ),
        (DecodeError::MissingNul { content_length: 3 }, "STOMP body not followed by NUL"),
        (
            DecodeError::FrameTooLarge { limit: 1024, size: 5000 },
            "STOMP frame larger than maxMessageBytes (1024)",
        ),
    ];
    for (e, want) in cases {
        assert_eq!(e.describe(), want);
    }
}

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        prop::sample::select(vec![
            "CONNECT",
            "STOMP",
            "CONNECTED",
            "SEND",
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "ACK",
            "NACK",
            "BEGIN",
            "COMMIT",
            "ABORT",
            "DISCONNECT",
            "MESSAGE",
            "RECEIPT",
            "ERROR",
        ])
        .prop_map(Command::parse),
        "[A-Z]{0,12}".prop_map(|s| Command::parse(&s)),
    ]
}

fn any_header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("receipt-id".to_string()),
        Just("heart-beat".to_string()),
        Just("message".to_string()),
        ".{0,8}",
    ];
    let value = prop_oneof!["[0-9]{0,25}", "[0-9 ,x-]{0,12}", Just("bye".to_string()), ".{0,16}",];
    (name, value)
}

proptest! {
    #[test]
    fn classify_never_panics(
        command in any_command(),
        headers in prop::collection::vec(any_header(), 0..6),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            ".{0,300}".prop_map(String::into_bytes),
        ],
        connected in any::<bool>(),
        ask in (any::<u32>(), any::<u32>()),
    ) {
        let f = Frame { command: command.clone(), headers, body };
        let kind = classify(&f, connected, ask);
        match command {
            Command::Connected => {
                let ok = matches!(kind, FrameKind::Ready { beat: Some(_) });
                prop_assert!(ok, "{:?}", kind);
            }
            Command::Message => prop_assert_eq!(kind, FrameKind::Event),
            Command::Error if !connected => {
                prop_assert_eq!(kind, FrameKind::Refused(error_text(&f)));
            }
            Command::Error => {
                let ok = matches!(kind, FrameKind::Reply { error: true, .. } | FrameKind::ServerError);
                prop_assert!(ok, "{:?}", kind);
            }
            Command::Receipt => {
                let ok = matches!(
                    kind,
                    FrameKind::Reply { error: false, .. } | FrameKind::Bye | FrameKind::Control
                );
                prop_assert!(ok, "{:?}", kind);
            }
            _ => prop_assert_eq!(kind, FrameKind::Control),
        }
        let t = error_text(&f);
        prop_assert!(t.starts_with("the broker sent ERROR: "));
        prop_assert!(!t.contains('\n'));
    }

    #[test]
    fn negotiate_never_panics_and_respects_off(
        cx in any::<u32>(), cy in any::<u32>(), hdr in proptest::option::of(".{0,24}")
    ) {
        let (send, recv) = negotiate(cx, cy, hdr.as_deref());
        if cx == 0 { prop_assert_eq!(send, 0); }
        if cy == 0 { prop_assert_eq!(recv, 0); }
        prop_assert!(send == 0 || send >= cx);
        prop_assert!(recv == 0 || recv >= cy);
    }
}

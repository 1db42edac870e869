//! SockJS framing and session rules (`core::sockjs`), natively: every frame type, the close
//! frame's code and reason, bad frames refused with a reason (never a panic), the client's
//! JSON arrays, session paths, `/info`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use steadysocket::core::sockjs::{
    decode, encode, segment, session_path, Error, Frame, Info, ORDER,
};
use steadysocket::core::Transport;

#[test]
fn frames() {
    assert_eq!(decode("o"), Ok(Frame::Open));
    assert_eq!(decode("h"), Ok(Frame::Heartbeat));
    assert_eq!(decode(r#"a["x","y"]"#), Ok(Frame::Messages(vec!["x".into(), "y".into()])));
    assert_eq!(decode("a[]"), Ok(Frame::Messages(vec![])));
    // Escapes as sockjs sends them: \u2028, surrogate pairs, a lone surrogate (U+FFFD).
    assert_eq!(
        decode(r#"a["\u2028 \ud83d\ude00 \ud800 \"q\" \\ \n"]"#),
        Ok(Frame::Messages(vec!["\u{2028} 😀 \u{fffd} \"q\" \\ \n".into()]))
    );
    assert_eq!(
        decode(r#"c[3000,"Go away!"]"#),
        Ok(Frame::Close { code: 3000, reason: "Go away!".into() })
    );
    assert_eq!(
        decode(r#"c[2010,"Another connection still open"]"#),
        Ok(Frame::Close { code: 2010, reason: "Another connection still open".into() })
    );
    assert_eq!(decode(r#"c[ 1000 , "é" ]"#), Ok(Frame::Close { code: 1000, reason: "é".into() }));
}

#[test]
fn bad_frames_are_refused_with_a_reason() {
    assert_eq!(decode(""), Err(Error::Empty));
    assert_eq!(decode("x"), Err(Error::UnknownType));
    assert_eq!(decode("oo"), Err(Error::TrailingData));
    assert_eq!(decode("h1"), Err(Error::TrailingData));
    for bad in ["a", "a[", "a[1]", r#"a["x",2]"#, r#"a{"x":1}"#, r#"a["x"]x"#] {
        assert_eq!(decode(bad), Err(Error::BadMessages), "{bad}");
    }
    for bad in [
        "c",
        "c[]",
        "c[3000]",
        r#"c["3000","x"]"#,
        r#"c[70000,"x"]"#,
        r#"c[-1,"x"]"#,
        r#"c[1.5,"x"]"#,
        "c[3000,1]",
        r#"c[1,"x",2]"#,
    ] {
        assert_eq!(decode(bad), Err(Error::BadClose), "{bad}");
    }
    for e in
        [Error::Empty, Error::UnknownType, Error::TrailingData, Error::BadMessages, Error::BadClose]
    {
        assert!(e.describe().contains("SockJS"));
    }
}

#[test]
fn client_arrays_session_paths_and_info() {
    assert_eq!(
        encode(&["a", "b\"c", "\u{2028}\n"]),
        r#"["a","b\"c","\u2028\n"]"#.replace("\\u2028", "\u{2028}")
    );
    assert_eq!(encode(&[]), "[]");
    assert_eq!(session_path(7, "abc12345", "xhr"), "/007/abc12345/xhr");
    assert_eq!(session_path(42, "s", "websocket"), "/042/s/websocket");
    assert_eq!(session_path(1999, "s", "eventsource"), "/999/s/eventsource");
    assert_eq!(
        ORDER,
        [
            Transport::WebSocket,
            Transport::XhrStreaming,
            Transport::EventSource,
            Transport::XhrPolling
        ]
    );
    let segs: Vec<_> = ORDER.iter().map(|t| segment(*t).unwrap()).collect();
    assert_eq!(segs, ["websocket", "xhr_streaming", "eventsource", "xhr"]);
    assert_eq!(segment(Transport::Sse), None);
    let i =
        Info::parse(r#"{"websocket":false,"origins":["*:*"],"cookie_needed":true,"entropy":123}"#)
            .unwrap();
    assert_eq!(i, Info { websocket: false, cookie_needed: true });
    assert!(!i.allows(Transport::WebSocket) && i.allows(Transport::XhrPolling));
    let d = Info::parse("{}").unwrap();
    assert!(d.websocket && !d.cookie_needed && d.allows(Transport::WebSocket));
    assert!(Info::parse("[]").is_err() && Info::parse("nope").is_err());
    for t in ORDER {
        assert_eq!(Transport::parse(t.as_str()), Some(t));
        assert_eq!(Transport::from_code(t.code()), Some(t));
    }
}

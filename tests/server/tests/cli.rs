//! The `steadysocket-server` binary: the exact "listening" line on stdout, the atomic
//! `--port-file`, serving from `--root`, clean exit on SIGTERM (even with a WebSocket open), and exit code 2 on bad args.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_steadysocket-server");

#[test]
fn prints_port_writes_port_file_serves_and_exits_on_sigterm() {
    let root = common::make_root();
    let port_file = root.join("port");
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--root"])
        .arg(&root)
        .arg("--port-file")
        .arg(&port_file)
        .arg("--max-connections=5")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        tx.send(line).unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        tx.send(rest).unwrap();
    });
    let line = rx.recv_timeout(common::T).expect("no listening line");
    let port: u16 = std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap();
    assert_eq!(line, format!("steadysocket-server listening on http://127.0.0.1:{port}\n"));

    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(common::T)).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("<h1>index</h1>"), "{response}");

    // An open WebSocket must not keep the server from exiting.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ws = runtime
        .block_on(tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws")))
        .unwrap();

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || done_tx.send(child.wait().unwrap()));
    let exit = done_rx.recv_timeout(common::T).expect("server did not exit on SIGTERM");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(rx.recv_timeout(common::T).unwrap(), "", "exactly one stdout line");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn bad_arguments_exit_2() {
    for args in
        [&["--port", "notaport"][..], &["--bogus"], &["--port"], &["--max-connections", "-1"]]
    {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

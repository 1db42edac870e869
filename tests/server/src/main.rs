//! `steadysocket-server`: the steadysocket reference test/demo server (see the library docs).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use steadysocket_server::Config;

const USAGE: &str = "usage: steadysocket-server [--port N] [--root DIR] [--port-file PATH] \
[--max-message-bytes N] [--max-connections N] [--log-file PATH] [--stream-every-ms N] \
[--stream-start N] [--poll-hold-ms N] [--poll-idle-ms N]";

struct Args {
    config: Config,
    port_file: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = Config::default();
    let mut port_file = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value =
            || inline.clone().or_else(|| args.next()).ok_or(format!("{flag} needs a value"));
        let number =
            |v: String| v.parse::<usize>().map_err(|_| format!("{flag}: not a number: {v}"));
        match flag.as_str() {
            "--port" => {
                let v = value()?;
                config.port = v.parse().map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--root" => config.root = PathBuf::from(value()?),
            "--port-file" => port_file = Some(PathBuf::from(value()?)),
            "--max-message-bytes" => config.max_message_bytes = number(value()?)?,
            "--max-connections" => config.max_connections = number(value()?)?,
            "--log-file" => config.log_file = Some(PathBuf::from(value()?)),
            "--stream-every-ms" => config.stream_every_ms = number(value()?)? as u64,
            "--stream-start" => config.stream_start = number(value()?)? as u64,
            "--poll-hold-ms" => config.poll_hold_ms = number(value()?)? as u64,
            "--poll-idle-ms" => config.poll_idle_ms = number(value()?)? as u64,
            _ => return Err(format!("unknown argument: {flag}")),
        }
    }
    Ok(Args { config, port_file })
}

/// Writes `port` to `path` atomically (temp file in the same directory, then rename).
fn write_port_file(path: &std::path::Path, port: u16) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    std::fs::write(&tmp, format!("{port}\n"))?;
    std::fs::rename(&tmp, path)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => drop(s.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().is_some_and(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(argv) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("steadysocket-server: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (addr, server) = match steadysocket_server::bind(args.config, shutdown_signal()).await {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("steadysocket-server: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.port_file {
        if let Err(e) = write_port_file(path, addr.port()) {
            eprintln!("steadysocket-server: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "steadysocket-server listening on http://127.0.0.1:{}", addr.port());
    let _ = stdout.flush();
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steadysocket-server: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Static file serving: `/` and directory index.html, `/pkg/*` from ROOT/pkg, Content-Type
//! (html, js, wasm), the COOP/COEP/CORP/Cache-Control/CORS headers on every response, 404s,
//! and refusal of `..` traversal (plain and percent-encoded).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

const COMMON: [(&str, &str); 5] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    ("cross-origin-resource-policy", "cross-origin"),
    ("cache-control", "no-store"),
    ("access-control-allow-origin", "*"),
];

fn assert_common_headers(res: &HttpResponse) {
    for (name, value) in COMMON {
        assert_eq!(res.header(name), Some(value), "{name}");
    }
}

#[tokio::test]
async fn serves_files_with_types_and_isolation_headers() {
    let s = start().await;
    for (path, body, ty) in [
        ("/", "<h1>index</h1>", "text/html; charset=utf-8"),
        ("/index.html", "<h1>index</h1>", "text/html; charset=utf-8"),
        ("/sub/", "<h1>sub</h1>", "text/html; charset=utf-8"),
        ("/sub", "<h1>sub</h1>", "text/html; charset=utf-8"),
        ("/app.js", "export const x = 1;", "text/javascript; charset=utf-8"),
        ("/pkg/x.js", "// glue", "text/javascript; charset=utf-8"),
        ("/pkg/x.wasm", "\0asm\x01\0\0\0", "application/wasm"),
    ] {
        let res = http(s.addr, "GET", path).await;
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(res.body, body.as_bytes(), "{path}");
        assert_eq!(res.header("content-type"), Some(ty), "{path}");
        assert_common_headers(&res);
    }
}

#[tokio::test]
async fn missing_files_and_traversal_are_404() {
    let s = start().await;
    for path in [
        "/missing.html",
        "/pkg/missing.wasm",
        "/../secret.txt",
        "/pkg/../secret.txt",
        "/pkg/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/sub/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
    ] {
        let res = http(s.addr, "GET", path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&res.body).contains("secret"), "{path}");
        assert_common_headers(&res);
    }
}

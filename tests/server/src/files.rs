//! Static files: `/pkg/*` from `ROOT/pkg/`, everything else from `ROOT/www/`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, Method, Uri};
use axum::response::Response;
use serde_json::json;

use crate::{json, Shared};

/// Fallback handler: serves a file, `index.html` for directories, 404 for anything else.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return json(405, json!({ "error": "method not allowed" }));
    }
    let Some(mut path) = resolve(&shared.config.root, uri.path()) else {
        return not_found();
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, content_type(&path))
            .body(bytes.into())
            .unwrap_or_default(),
        Err(_) => not_found(),
    }
}

fn not_found() -> Response {
    json(404, json!({ "error": "not found" }))
}

/// Maps a URL path to a file under `root`, or `None` if it tries to escape (`..`, `\`, NUL).
fn resolve(root: &std::path::Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut segments = decoded.split('/').filter(|s| !s.is_empty() && *s != ".").peekable();
    let mut path = if segments.peek() == Some(&"pkg") {
        segments.next();
        root.join("pkg")
    } else {
        root.join("www")
    };
    for segment in segments {
        if segment == ".." || segment.contains(['\\', '\0']) {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// Decodes `%XX` escapes; `None` for malformed escapes or non-UTF-8 results.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "ts" | "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rejects_traversal() {
        let root = std::path::Path::new("/r");
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/r/www")));
        assert_eq!(resolve(root, "/pkg/a.js"), Some(PathBuf::from("/r/pkg/a.js")));
        assert_eq!(resolve(root, "/a/./b%20c"), Some(PathBuf::from("/r/www/a/b c")));
        assert_eq!(resolve(root, "/../x"), None);
        assert_eq!(resolve(root, "/pkg/%2e%2e/x"), None);
        assert_eq!(resolve(root, "/a%2f..%2f..%2fx"), None);
        assert_eq!(resolve(root, "/a%5c..%5cx"), None);
        assert_eq!(resolve(root, "/%zz"), None);
    }
}

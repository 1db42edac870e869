//! The three inbound JSON paths of DESIGN.md §5, compared in the browser on the same 10k
//! envelopes (~100 B and ~1 KB). What's tested: all three decode every envelope to the same
//! `type` and `data` (correctness); the timings are printed for BENCHMARKS.md:
//! 1. the text copied into wasm, then serde_json;
//! 2. `JSON.parse` in JS, then serde-wasm-bindgen into Rust values;
//! 3. `JSON.parse` in JS, Rust reading only the envelope fields with `Reflect` (shipped).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::{JsString, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn log(s: &str);
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    ty: String,
    data: serde_json::Value,
}

fn frames(n: usize, pad: usize) -> Vec<JsString> {
    (0..n)
        .map(|i| {
            let s = format!(
                r#"{{"type":"chat","data":{{"i":{i},"text":"{}","ok":true}}}}"#,
                "x".repeat(pad)
            );
            JsString::from(s)
        })
        .collect()
}

fn run(label: &str, frames: &[JsString]) {
    let n = frames.len();
    // Path 1: copy the text into wasm, parse with serde_json.
    let t0 = now();
    let mut p1 = Vec::with_capacity(n);
    for f in frames {
        let text = String::from(f);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        p1.push((v["type"].as_str().unwrap().to_string(), v["data"]["i"].as_u64().unwrap()));
    }
    let t1 = now();
    // Path 2: JSON.parse in JS, serde-wasm-bindgen into Rust.
    let mut p2 = Vec::with_capacity(n);
    for f in frames {
        let v = JSON::parse(&String::from(f)).unwrap();
        let e: Envelope = serde_wasm_bindgen::from_value(v).unwrap();
        p2.push((e.ty, e.data["i"].as_u64().unwrap()));
    }
    let t2 = now();
    // Path 3 (shipped): JSON.parse in JS, Reflect for the envelope fields only; `data`
    // stays a JS value for the JS handler.
    let parse: js_sys::Function = Reflect::get(&js_sys::global(), &"JSON".into())
        .and_then(|j| Reflect::get(&j, &"parse".into()))
        .unwrap()
        .unchecked_into();
    let mut p3 = Vec::with_capacity(n);
    let (k_type, k_data, k_i) = (JsValue::from("type"), JsValue::from("data"), JsValue::from("i"));
    for f in frames {
        let v = parse.call1(&JsValue::NULL, f).unwrap();
        let ty = Reflect::get(&v, &k_type).unwrap().as_string().unwrap();
        let data = Reflect::get(&v, &k_data).unwrap();
        p3.push((ty, Reflect::get(&data, &k_i).unwrap().as_f64().unwrap() as u64));
    }
    let t3 = now();
    assert_eq!(p1, p2);
    assert_eq!(p2, p3);
    let us = |a: f64, b: f64| (b - a) * 1000.0 / n as f64;
    let (a, b, c) = (us(t0, t1), us(t1, t2), us(t2, t3));
    log(&format!(
        "JSON paths {label} ({n} msgs): 1 serde_json {a:.2} us/msg, 2 JSON.parse+serde-wasm-bindgen {b:.2} us/msg, 3 JSON.parse+Reflect {c:.2} us/msg; ratios vs path 3: {:.2}x, {:.2}x, 1.00x",
        a / c,
        b / c
    ));
}

#[wasm_bindgen_test]
fn three_json_paths_agree_and_are_timed() {
    // Warm up, then measure.
    run("warm-up", &frames(1000, 60));
    run("~100 B", &frames(10_000, 60));
    run("~1 KB", &frames(10_000, 960));
}

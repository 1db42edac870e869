//! Clock, one re-armable timer, and the window/document listeners (`online`, `offline`,
//! `visibilitychange`, `pageshow`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Milliseconds from a monotonic clock (`performance.now()`, else `Date.now()`).
pub(crate) fn now() -> f64 {
    thread_local! {
        static PERF: Option<web_sys::Performance> = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok());
    }
    PERF.with(|p| p.as_ref().map_or_else(js_sys::Date::now, web_sys::Performance::now))
}

/// One `setTimeout` slot with a single callback closure created once and reused for every
/// arm (no per-arm allocation, nothing leaked). Cancelled on drop.
pub(crate) struct Timer {
    callback: Closure<dyn FnMut()>,
    id: Option<JsValue>,
    /// The deadline it is armed for.
    pub armed_at: Option<f64>,
}

impl Timer {
    pub fn new(f: impl FnMut() + 'static) -> Self {
        Self { callback: Closure::new(f), id: None, armed_at: None }
    }

    /// Arms for `deadline` (ms on the [`now`] clock), replacing any earlier arm.
    pub fn arm(&mut self, deadline: f64, now: f64) {
        self.cancel();
        // setTimeout's delay is a 32-bit signed int; longer waits fire early and re-arm.
        let delay = (deadline - now).clamp(0.0, 2_147_483_647.0).ceil();
        self.id = Some(set_timeout(self.callback.as_ref().unchecked_ref(), delay));
        self.armed_at = Some(deadline);
    }

    /// Disarms.
    pub fn cancel(&mut self) {
        if let Some(id) = self.id.take() {
            clear_timeout(&id);
        }
        self.armed_at = None;
    }

    /// Marks the timer as fired (its `setTimeout` is spent).
    pub fn fired(&mut self) {
        self.id = None;
        self.armed_at = None;
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// What the environment reports.
pub(crate) enum EnvEvent {
    Online,
    Offline,
    Visible(bool),
    Resume,
}

/// Listeners on `window` and `document`, removed on drop. Absent outside a window (e.g.
/// in a worker only `online`/`offline` on the global scope are used).
pub(crate) struct EnvListeners {
    entries: Vec<Listener>,
}

type Listener = (web_sys::EventTarget, &'static str, Closure<dyn Fn(web_sys::Event)>);

impl EnvListeners {
    /// `Fn` closures, no `RefCell`: a handler that dispatches `online` (or any of these)
    /// from inside another event is delivered, not lost.
    pub fn attach(f: impl Fn(EnvEvent) + 'static) -> Self {
        let f = std::rc::Rc::new(f);
        let mut entries = Vec::new();
        let global: web_sys::EventTarget = js_sys::global().unchecked_into();
        let mut add = |target: &web_sys::EventTarget,
                       name: &'static str,
                       map: fn(&web_sys::Event) -> Option<EnvEvent>| {
            let f = f.clone();
            let cb = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
                if let Some(ev) = map(&e) {
                    f(ev);
                }
            });
            if target.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).is_ok() {
                entries.push((target.clone(), name, cb));
            }
        };
        add(&global, "online", |_| Some(EnvEvent::Online));
        add(&global, "offline", |_| Some(EnvEvent::Offline));
        add(&global, "pageshow", |e| {
            let persisted =
                js_sys::Reflect::get(e, &"persisted".into()).ok().and_then(|v| v.as_bool());
            persisted.unwrap_or(false).then_some(EnvEvent::Resume)
        });
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            add(&doc, "visibilitychange", |e| {
                let doc = e.target()?.dyn_into::<web_sys::Document>().ok()?;
                Some(EnvEvent::Visible(doc.visibility_state() == web_sys::VisibilityState::Visible))
            });
        }
        Self { entries }
    }
}

impl Drop for EnvListeners {
    fn drop(&mut self) {
        for (target, name, cb) in &self.entries {
            let _ = target.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
    }
}

//! Endpoint lists in the engine (`Engine::endpoint_for`, README "Running against a cluster"),
//! simulated:
//! - a refused endpoint is skipped: the next attempt uses the next one in list order, with
//!   the backoff; the open is an `Endpoint` event with its index, and a reconnect after a drop
//!   goes to the next endpoint (the dead one is skipped for `endpoint_skip_ms`);
//! - sticky: a connection that opened is never dropped to go back to the first; once every
//!   endpoint failed, the one free first is used; no `Endpoint` event without a list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use steadysocket::core::{Config, Event, ReconnectConfig, State};

fn config() -> Config {
    let mut r = ReconnectConfig::default();
    r.backoff.min_delay_ms = 10.0;
    r.backoff.max_delay_ms = 40.0;
    Config { heartbeat: None, reconnect: Some(r), endpoint_skip_ms: 5000.0, ..Config::default() }
}

fn endpoints(events: &[Event<u32>]) -> Vec<usize> {
    events.iter().filter_map(|e| if let Event::Endpoint(i) = e { Some(*i) } else { None }).collect()
}

/// The next attempt (connecting): its endpoint of 3.
fn attempt(s: &mut Sim) -> usize {
    s.run_until_state(State::Connecting, 60_000.0).unwrap();
    s.e.endpoint_for(3, s.now)
}

#[test]
fn rotates_past_refusals_and_dead_nodes_and_reports_the_active_one() {
    let mut s = Sim::new(config());
    assert_eq!(attempt(&mut s), 0);
    let c = s.e.conn();
    s.e.on_connect_failed(c, "refused".into(), s.now);
    s.pump();
    assert_eq!(attempt(&mut s), 1, "the refused one is skipped");
    s.open();
    assert_eq!(endpoints(&s.take_events()), [1]);
    s.send(1).unwrap();
    s.drop_conn(); // node 1 dies
    assert_eq!(attempt(&mut s), 2, "failover to the next node");
    s.send(2).unwrap();
    s.open();
    assert_eq!(endpoints(&s.take_events()), [2]);
    assert_eq!(s.sent_numbers(), [1, 2], "nothing lost across the failover");
    // Node 2 dies; 0 is free again only after its skip: 1 is skipped too (died 0 ms ago).
    s.drop_conn();
    let i = attempt(&mut s);
    assert!(i == 0 || i == 1, "every endpoint skipped: the one free first, got {i}");
    assert_eq!(i, 0, "0 was refused first, so it is free first");
}

#[test]
fn sticky_after_an_open_and_no_event_without_a_list() {
    let mut s = Sim::new(config());
    assert_eq!(attempt(&mut s), 0);
    s.open();
    assert_eq!(endpoints(&s.take_events()), [0]);
    // A user reconnect() is not a failure: the same endpoint again, no new event.
    s.e.reconnect(s.now);
    s.pump();
    assert_eq!(attempt(&mut s), 0);
    s.open();
    assert_eq!(endpoints(&s.take_events()), Vec::<usize>::new());
    // Without endpoint_for (a single URL): no Endpoint events at all.
    let mut s = Sim::new(config());
    s.run_until_state(State::Connecting, 1000.0).unwrap();
    s.open();
    s.drop_conn();
    s.run_until_state(State::Connecting, 1000.0).unwrap();
    s.open();
    assert!(endpoints(&s.take_events()).is_empty());
}

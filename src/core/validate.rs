//! Range checks of a [`Config`], naming each option by its JS path.

use super::machine::Config;
use super::text::num;
use crate::error::OptionError;

fn non_negative(path: &str, v: f64) -> Result<(), OptionError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(OptionError::range_error(path, format!("must be a finite number >= 0, got {}", num(v))))
    }
}

fn positive(path: &str, v: f64) -> Result<(), OptionError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(OptionError::range_error(path, format!("must be a finite number > 0, got {}", num(v))))
    }
}

impl Config {
    /// Checks every value's range.
    ///
    /// # Errors
    /// The first invalid option, as an [`OptionError`] of kind `Range` naming its path.
    pub fn validate(&self) -> Result<(), OptionError> {
        if let Some(r) = &self.reconnect {
            let b = &r.backoff;
            non_negative("reconnect.minDelayMs", b.min_delay_ms)?;
            non_negative("reconnect.maxDelayMs", b.max_delay_ms)?;
            if b.max_delay_ms < b.min_delay_ms {
                return Err(OptionError::range_error(
                    "reconnect.maxDelayMs",
                    format!(
                        "must be >= reconnect.minDelayMs ({}), got {}",
                        num(b.min_delay_ms),
                        num(b.max_delay_ms)
                    ),
                ));
            }
            if !(b.factor.is_finite() && b.factor >= 1.0) {
                return Err(OptionError::range_error(
                    "reconnect.factor",
                    format!("must be a finite number >= 1, got {}", num(b.factor)),
                ));
            }
            if !(0.0..=1.0).contains(&b.jitter) {
                return Err(OptionError::range_error(
                    "reconnect.jitter",
                    format!("must be in [0, 1], got {}", num(b.jitter)),
                ));
            }
            non_negative("reconnect.stableMs", r.stable_ms)?;
            for (i, &(lo, hi)) in r.policy.stop_codes.iter().enumerate() {
                if !(1000..=4999).contains(&lo) || !(1000..=4999).contains(&hi) || lo > hi {
                    return Err(OptionError::range_error(
                        format!("reconnect.stopOnCodes[{i}]"),
                        format!("must be a close code (or [from, to] range) within 1000–4999, got {lo}–{hi}"),
                    ));
                }
            }
        }
        if let Some(h) = &self.heartbeat {
            positive("heartbeat.intervalMs", h.interval_ms)?;
            positive("heartbeat.timeoutMs", h.timeout_ms)?;
            if h.ping.is_empty() {
                return Err(OptionError::range_error("heartbeat.ping", "must not be empty"));
            }
        }
        if let Some(ttl) = self.queue.ttl_ms {
            positive("queue.ttlMs", ttl)?;
        }
        positive("connectTimeoutMs", self.connect_timeout_ms)?;
        positive("requestTimeoutMs", self.request_timeout_ms)?;
        positive("closeTimeoutMs", self.close_timeout_ms)?;
        if self.max_message_bytes == 0 {
            return Err(OptionError::range_error(
                "maxMessageBytes",
                "must be an integer >= 1, got 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{BackoffConfig, ClosePolicy, ReconnectConfig};

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn each_bad_value_names_its_path() {
        let rc = |b: BackoffConfig| Config {
            reconnect: Some(ReconnectConfig { backoff: b, ..Default::default() }),
            ..Default::default()
        };
        let cases: Vec<(Config, &str)> = vec![
            (
                rc(BackoffConfig { min_delay_ms: -1.0, ..Default::default() }),
                "reconnect.minDelayMs",
            ),
            (
                rc(BackoffConfig { max_delay_ms: 10.0, ..Default::default() }),
                "reconnect.maxDelayMs",
            ),
            (rc(BackoffConfig { factor: 0.5, ..Default::default() }), "reconnect.factor"),
            (rc(BackoffConfig { jitter: 1.5, ..Default::default() }), "reconnect.jitter"),
            (
                rc(BackoffConfig { min_delay_ms: f64::NAN, ..Default::default() }),
                "reconnect.minDelayMs",
            ),
            (
                Config {
                    reconnect: Some(ReconnectConfig {
                        policy: ClosePolicy { stop_codes: vec![(4000, 3000)] },
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "reconnect.stopOnCodes[0]",
            ),
            (Config { connect_timeout_ms: 0.0, ..Default::default() }, "connectTimeoutMs"),
            (
                Config { request_timeout_ms: f64::INFINITY, ..Default::default() },
                "requestTimeoutMs",
            ),
            (Config { max_message_bytes: 0, ..Default::default() }, "maxMessageBytes"),
        ];
        for (cfg, path) in cases {
            let err = cfg.validate().err().map(|e| e.path);
            assert_eq!(err.as_deref(), Some(path));
        }
    }
}

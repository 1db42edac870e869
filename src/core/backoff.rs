//! Exponential backoff with jitter and a seedable RNG.
//!
//! `delay(n) = min(max_delay_ms, min_delay_ms × factor^n)`, then randomized by `jitter`
//! into `[d·(1−jitter), d]`. `n` is the number of retries already made since the last
//! stable connection (the first retry uses `n = 0`).

/// Backoff settings (the `reconnect` option in JS).
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// Base delay before the first retry, in ms. Default `250`.
    pub min_delay_ms: f64,
    /// Upper bound of the un-jittered delay, in ms. Default `10000`.
    pub max_delay_ms: f64,
    /// Growth factor per retry, `>= 1`. Default `2`.
    pub factor: f64,
    /// Randomization in `[0, 1]`: the delay is drawn from `[d·(1−jitter), d]`. Default `0.5`.
    pub jitter: f64,
    /// Retries allowed in a row before giving up (`None` = forever). Default `None`.
    pub max_attempts: Option<u32>,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            min_delay_ms: 250.0,
            max_delay_ms: 10_000.0,
            factor: 2.0,
            jitter: 0.5,
            max_attempts: None,
        }
    }
}

impl BackoffConfig {
    /// The un-jittered delay before retry number `n` (0-based).
    pub fn base_delay(&self, n: u32) -> f64 {
        let exp = i32::try_from(n).unwrap_or(i32::MAX);
        let d = self.min_delay_ms * self.factor.powi(exp);
        if d.is_finite() {
            d.min(self.max_delay_ms)
        } else {
            self.max_delay_ms
        }
    }
}

/// A small, fast, seedable PRNG (SplitMix64). Not cryptographic; used for jitter only.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (the same seed gives the same sequence).
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next value, uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Stateful backoff: counts retries and draws jittered delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    retries: u32,
    rng: Rng,
}

impl Backoff {
    /// A backoff at retry 0.
    pub fn new(config: BackoffConfig, seed: u64) -> Self {
        Self { config, retries: 0, rng: Rng::new(seed) }
    }

    /// Retries made since the last [`reset`](Self::reset).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The settings.
    pub fn config(&self) -> &BackoffConfig {
        &self.config
    }

    /// Draws the delay for the next retry and counts it; `None` once `max_attempts` retries
    /// were made in a row.
    pub fn next_delay(&mut self) -> Option<f64> {
        if let Some(max) = self.config.max_attempts {
            if self.retries >= max {
                return None;
            }
        }
        let d = self.config.base_delay(self.retries);
        self.retries = self.retries.saturating_add(1);
        Some(d * (1.0 - self.config.jitter * self.rng.next_f64()))
    }

    /// Back to retry 0 (after a stable connection, `online`, or a manual reconnect).
    pub fn reset(&mut self) {
        self.retries = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let cfg = BackoffConfig { jitter: 0.0, ..Default::default() };
        let mut b = Backoff::new(cfg, 1);
        let got: Vec<f64> = (0..8).filter_map(|_| b.next_delay()).collect();
        assert_eq!(got, [250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 10000.0, 10000.0]);
        b.reset();
        assert_eq!(b.next_delay(), Some(250.0));
    }

    #[test]
    fn jitter_stays_in_window_and_is_seeded() {
        let mut a = Backoff::new(BackoffConfig::default(), 7);
        let mut b = Backoff::new(BackoffConfig::default(), 7);
        for n in 0..50 {
            let (da, db) = (a.next_delay(), b.next_delay());
            assert_eq!(da, db, "same seed, same sequence");
            let d = BackoffConfig::default().base_delay(n);
            let got = da.unwrap_or(f64::NAN);
            assert!(got > d * 0.5 - 1e-9 && got <= d, "retry {n}: {got} not in [{}, {d}]", d * 0.5);
        }
    }

    #[test]
    fn max_attempts_stops() {
        let cfg = BackoffConfig { max_attempts: Some(2), ..Default::default() };
        let mut b = Backoff::new(cfg, 3);
        assert!(b.next_delay().is_some());
        assert!(b.next_delay().is_some());
        assert_eq!(b.next_delay(), None);
    }

    #[test]
    fn huge_exponent_does_not_overflow() {
        let cfg = BackoffConfig::default();
        assert_eq!(cfg.base_delay(u32::MAX), 10_000.0);
        let cfg = BackoffConfig { factor: 1.0, ..Default::default() };
        assert_eq!(cfg.base_delay(1000), 250.0);
    }

    #[test]
    fn rng_is_uniformish() {
        let mut r = Rng::new(42);
        let xs: Vec<f64> = (0..10_000).map(|_| r.next_f64()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}

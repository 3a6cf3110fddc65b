//! Exponential backoff with full jitter, bounded by attempts and by the invocation's deadline.

use std::time::Duration;
use tokio::time::Instant;

/// How delivery retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most times one record is sent (the first try included).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; doubles with every retry.
    pub base_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Time a call may take: a retry is only started if the backoff plus this still ends before the
    /// deadline.
    pub call_budget: Duration,
}

impl Default for RetryPolicy {
    /// 8 tries, backoff from 100 ms doubling to 5 s (about 11 s of waiting at most per batch), and 11 s
    /// kept for a call (the Firehose client's attempt timeout is 10 s).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            call_budget: Duration::from_secs(11),
        }
    }
}

/// Why retrying stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// Another try could not finish before the deadline.
    Deadline,
}

impl RetryPolicy {
    /// The wait before try number `attempt + 1` (after `attempt` tries), or why not to retry.
    /// Full jitter: a uniform pick in `[0, min(max, base · 2^(attempt-1))]` (AWS Architecture Blog,
    /// "Exponential Backoff And Jitter"), so that many senders do not retry in step.
    pub fn next_wait(&self, attempt: u32, now: Instant, deadline: Instant) -> Result<Duration, Stop> {
        if attempt >= self.max_attempts {
            return Err(Stop::AttemptsExhausted);
        }
        let ceiling = self
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff);
        let wait = ceiling.mul_f64(fastrand::f64());
        if now + wait + self.call_budget > deadline {
            return Err(Stop::Deadline);
        }
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_its_ceiling() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        let far = now + Duration::from_secs(3600);
        for attempt in 1..8 {
            let ceiling = (p.base_backoff * (1 << (attempt - 1))).min(p.max_backoff);
            for _ in 0..50 {
                let w = p.next_wait(attempt, now, far).unwrap();
                assert!(w <= ceiling, "attempt {attempt}: {w:?} > {ceiling:?}");
            }
        }
        assert_eq!(p.next_wait(8, now, far), Err(Stop::AttemptsExhausted));
    }

    #[test]
    fn no_retry_that_would_end_after_the_deadline() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        assert_eq!(p.next_wait(1, now, now + Duration::from_secs(10)), Err(Stop::Deadline));
        assert!(p.next_wait(1, now, now + Duration::from_secs(12)).is_ok());
    }
}

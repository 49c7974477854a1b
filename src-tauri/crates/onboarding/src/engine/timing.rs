//! How often the engine polls and what it expects: the pace of IBM Cloud, or of a sandbox
//! whose databases take a known time to provision.

use std::time::Duration;

/// How often to poll, and what to expect.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Between polls during the first [`Timing::fast_for`] of waiting for a resource.
    pub poll_fast: Duration,
    /// Between polls after that: never less than 10 s (DESIGN §8).
    pub poll_slow: Duration,
    pub fast_for: Duration,
    /// How long a database usually takes to provision: the estimate shown.
    pub instance_estimate: Duration,
    /// The longest teardown waits for a resource to be removed.
    pub removal_timeout: Duration,
    /// Pauses between create attempts after an answer that leaves unclear whether the
    /// create happened (the engine looks again before each new attempt). Reads are retried
    /// by the HTTP client alone.
    pub retry_pauses: Vec<Duration>,
    /// How long a tag just attached may take to show in Global Search before Onramp stops
    /// counting on it (the service is eventually consistent).
    pub tag_visibility: Duration,
}

impl Timing {
    /// IBM Cloud: Gen 2 takes 15–20 minutes.
    pub fn ibm_cloud() -> Self {
        Timing {
            poll_fast: Duration::from_secs(5),
            poll_slow: Duration::from_secs(15),
            fast_for: Duration::from_secs(60),
            instance_estimate: Duration::from_secs(18 * 60),
            removal_timeout: Duration::from_secs(15 * 60),
            retry_pauses: vec![
                Duration::from_secs(2),
                Duration::from_secs(5),
                Duration::from_secs(15),
            ],
            // The Terraform provider waits up to 30 s, polling every 3 s (contract
            // global-tagging.md §3).
            tag_visibility: Duration::from_secs(30),
        }
    }

    /// The sandbox, whose databases take `provision` to come up.
    pub fn sandbox(provision: Duration) -> Self {
        Timing {
            poll_fast: Duration::from_millis(500),
            poll_slow: Duration::from_secs(10),
            fast_for: Duration::from_secs(60),
            instance_estimate: provision,
            removal_timeout: Duration::from_secs(120),
            retry_pauses: vec![
                Duration::from_millis(200),
                Duration::from_millis(500),
                Duration::from_secs(1),
            ],
            tag_visibility: Duration::from_secs(2),
        }
    }

    /// The pause before the next poll of something waited on for `waited`.
    pub fn poll_interval(&self, waited: Duration, hint: Option<Duration>) -> Duration {
        let base = if waited < self.fast_for {
            self.poll_fast
        } else {
            self.poll_slow.max(Duration::from_secs(10))
        };
        match hint {
            Some(hint) if hint > base => hint.min(Duration::from_secs(60)),
            _ => base,
        }
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_slows_to_at_most_one_per_10s_after_the_first_minute() {
        for timing in [
            Timing::sandbox(Duration::from_secs(30)),
            Timing::ibm_cloud(),
        ] {
            assert!(timing.poll_interval(Duration::from_secs(5), None) < Duration::from_secs(10));
            assert!(timing.poll_interval(Duration::from_secs(61), None) >= Duration::from_secs(10));
            assert_eq!(
                timing.poll_interval(Duration::from_secs(5), Some(Duration::from_secs(600))),
                Duration::from_secs(60),
                "the service's hint is honoured up to a minute"
            );
        }
        let mut odd = Timing::sandbox(Duration::from_secs(1));
        odd.poll_slow = Duration::from_secs(1);
        assert_eq!(
            odd.poll_interval(Duration::from_secs(120), None),
            Duration::from_secs(10)
        );
    }
}

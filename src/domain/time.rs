//! Instants as the platform records them: UTC at microsecond precision (PostgreSQL's), so
//! every backend holds the same value. Reading the clock is not the domain's job (`clock`).

use chrono::{DateTime, SecondsFormat, Utc};

/// A UTC instant, kept at microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// `at`, truncated to microseconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let micros = at.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(at))
    }

    /// RFC 3339 in UTC with microseconds: fixed width, so text order is time order.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_microseconds_only() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(
            Timestamp::from_datetime(at).0.timestamp_subsec_nanos(),
            123_456_000
        );
    }

    #[test]
    fn rfc3339_text_is_fixed_width_and_ordered() {
        let early =
            Timestamp::from_datetime(DateTime::from_timestamp(1_700_000_000, 5_000).unwrap());
        let late = Timestamp::from_datetime(DateTime::from_timestamp(1_700_000_001, 0).unwrap());
        assert_eq!(early.to_rfc3339(), "2023-11-14T22:13:20.000005Z");
        assert_eq!(early.to_rfc3339().len(), late.to_rfc3339().len());
        assert!(early.to_rfc3339() < late.to_rfc3339());
    }
}

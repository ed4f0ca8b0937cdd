//! Webhooks: where a client's events are sent, what a subscription may point at (no server
//! side request forgery), its signing secret, and the retry schedule of a failing delivery.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::client::Environment;
use crate::domain::event::EventType;
use crate::domain::ids::id_type;
use crate::domain::value_enum::value_enum;

id_type!(
    /// A webhook subscription.
    WebhookSubscriptionId
);

id_type!(
    /// One event owed to one subscription (retried until delivered or given up).
    WebhookMessageId
);

id_type!(
    /// One attempt to deliver a message.
    WebhookAttemptId
);

/// The most subscriptions one client may have.
pub const MAX_SUBSCRIPTIONS: i64 = 20;

/// The longest URL a subscription may have.
pub const MAX_URL_LENGTH: usize = 2048;

/// The longest description.
pub const MAX_DESCRIPTION_LENGTH: usize = 500;

/// How much of a receiver's answer an attempt records.
pub const MAX_RECORDED_BODY: usize = 1024;

/// How long a rotated-out secret still signs (beside the new one).
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 60 * 60);

value_enum! {
    /// Where a message stands.
    MessageStatus {
        /// Waiting for its next attempt.
        Pending = "PENDING",
        /// A receiver answered 2xx.
        Delivered = "DELIVERED",
        /// Given up after the retry window; the subscription was disabled.
        Failed = "FAILED",
    }
}

value_enum! {
    /// How an attempt ended.
    WebhookDeliveryOutcome {
        /// The receiver answered 2xx.
        Succeeded = "SUCCEEDED",
        /// Anything else: another status, a timeout, a refused address, no connection.
        Failed = "FAILED",
    }
}

/// Why a URL cannot be a subscription's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("is not an absolute URL")]
    NotAUrl,
    #[error("must be at most {MAX_URL_LENGTH} characters")]
    TooLong,
    #[error("must use https (http is allowed for SANDBOX clients only)")]
    NotHttps,
    #[error("must use http or https")]
    BadScheme,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("must name a host")]
    NoHost,
    #[error("must not point at a loopback, private, link-local or metadata address")]
    PrivateAddress,
    #[error("must not have a fragment")]
    Fragment,
}

/// A subscription URL, checked for its form (the addresses its host resolves to are checked
/// separately, at creation and at every delivery).
pub fn check_url(raw: &str, environment: Environment) -> Result<url::Url, UrlProblem> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(UrlProblem::TooLong);
    }
    let url = url::Url::parse(raw).map_err(|_| UrlProblem::NotAUrl)?;
    match (url.scheme(), environment) {
        ("https", _) | ("http", Environment::Sandbox) => {}
        ("http", Environment::Production) => return Err(UrlProblem::NotHttps),
        _ => return Err(UrlProblem::BadScheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NoHost);
    }
    Ok(url)
}

/// Whether a receiver may be at `ip`: not loopback, private (RFC 1918, unique local),
/// link-local (which holds the cloud metadata address 169.254.169.254), unspecified,
/// broadcast, shared (100.64/10), documentation or multicast; IPv4 inside IPv6 is judged as
/// IPv4.
pub fn public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 (embeds IPv4)
        }
    }
}

/// A new signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32
/// random bytes.
pub fn new_secret(random: [u8; 32]) -> String {
    format!("whsec_{}", STANDARD.encode(random))
}

/// The `webhook-signature` header of a message: `v1,<base64 HMAC-SHA256 of
/// "id.timestamp.body">` by each secret (two during a rotation), space-separated, as the
/// Standard Webhooks specification has it.
pub fn signature_header(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
        signatures.push(
            signer
                .sign(id, timestamp, body.as_bytes())
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(signatures.join(" "))
}

/// The event types a subscription may name: every type but `PING`, which is only ever sent
/// to the subscription that asked for it.
pub fn subscribable(event_type: EventType) -> bool {
    event_type != EventType::Ping
}

/// When a failing delivery is tried again: the delays between attempts (the last one
/// repeats), and how long after its first attempt a message is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
    pub give_up_after: Duration,
}

impl Default for RetrySchedule {
    /// 5 s, 1 min, 5 min, 30 min, 2 h, 5 h, then every 10 h, for 3 days.
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self {
            delays: vec![
                Duration::from_secs(5),
                minutes(1),
                minutes(5),
                minutes(30),
                minutes(120),
                minutes(300),
                minutes(600),
            ],
            give_up_after: Duration::from_secs(3 * 24 * 60 * 60),
        }
    }
}

impl RetrySchedule {
    /// The delay before the next attempt after `attempts` failed ones (1, 2, …), spread by
    /// `jitter` (a fraction in [0, 1): up to 20% either way); `None` when the message has
    /// been failing for `failing_for`, past the window.
    pub fn next_delay(
        &self,
        attempts: u32,
        failing_for: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        if failing_for >= self.give_up_after {
            return None;
        }
        let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        let base = self
            .delays
            .get(index)
            .or(self.delays.last())
            .copied()
            .unwrap_or(Duration::from_secs(5));
        let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        Some(base.mul_f64(spread))
    }

    /// Parses `5s,1m,5m,30m,2h,5h,10h` (each a number and one of ms, s, m, h, d).
    pub fn parse_delays(text: &str) -> Result<Vec<Duration>, String> {
        let delays = text
            .split(',')
            .map(|part| parse_duration(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if delays.is_empty() {
            return Err("the schedule needs at least one delay".into());
        }
        Ok(delays)
    }
}

/// `250ms`, `5s`, `1m`, `2h`, `3d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?}: a number and a unit (ms, s, m, h, d)"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: a number and a unit (ms, s, m, h, d)"))?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: the unit is one of ms, s, m, h, d")),
    };
    number
        .checked_mul(millis)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!public_address(ip(refused)), "{refused} must be refused");
        }
        for allowed in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(public_address(ip(allowed)), "{allowed} is public");
        }
    }

    #[test]
    fn urls_are_checked_for_form() {
        use Environment::{Production, Sandbox};
        assert!(check_url("https://hooks.example.com/x?y=1", Production).is_ok());
        assert!(check_url("http://hooks.example.com/x", Sandbox).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/x", Production),
            Err(UrlProblem::NotHttps)
        );
        assert_eq!(
            check_url("ftp://example.com", Sandbox),
            Err(UrlProblem::BadScheme)
        );
        assert_eq!(
            check_url("https://u:p@example.com/", Sandbox),
            Err(UrlProblem::Credentials)
        );
        assert_eq!(
            check_url("https://example.com/#x", Sandbox),
            Err(UrlProblem::Fragment)
        );
        assert_eq!(check_url("not a url", Sandbox), Err(UrlProblem::NotAUrl));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert_eq!(check_url(&long, Sandbox), Err(UrlProblem::TooLong));
    }

    #[test]
    fn the_schedule_backs_off_repeats_its_last_delay_and_gives_up() {
        let schedule = RetrySchedule::default();
        let mid = 0.5;
        assert_eq!(
            schedule.next_delay(1, Duration::ZERO, mid),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            schedule.next_delay(2, Duration::ZERO, mid),
            Some(Duration::from_secs(60))
        );
        let ten_hours = Duration::from_secs(36_000);
        assert_eq!(schedule.next_delay(7, Duration::ZERO, mid), Some(ten_hours));
        assert_eq!(
            schedule.next_delay(30, Duration::ZERO, mid),
            Some(ten_hours)
        );
        assert_eq!(schedule.next_delay(3, schedule.give_up_after, mid), None);
        let low = schedule.next_delay(1, Duration::ZERO, 0.0).unwrap();
        let high = schedule.next_delay(1, Duration::ZERO, 0.999).unwrap();
        assert!(low >= Duration::from_secs(4) && high < Duration::from_secs(6) && low < high);
    }

    #[test]
    fn schedules_and_durations_parse() {
        assert_eq!(
            RetrySchedule::parse_delays("5s, 1m,2h,3d,250ms").unwrap(),
            vec![
                Duration::from_secs(5),
                Duration::from_secs(60),
                Duration::from_secs(7200),
                Duration::from_secs(259_200),
                Duration::from_millis(250)
            ]
        );
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn a_rotation_signs_twice_and_each_signature_verifies() {
        let old = new_secret([1; 32]);
        let new = new_secret([2; 32]);
        let header = signature_header(&[&new, &old], "msg_1", 1_700_000_000, "{}").unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
        // The specification's own example: secret, id, timestamp, body and signature.
        let example = signature_header(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(example, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_have_the_standard_form() {
        let secret = new_secret([7; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&secret[6..]).unwrap(), vec![7; 32]);
        assert!(!subscribable(EventType::Ping));
        assert!(subscribable(EventType::CustomerCreated));
    }
}

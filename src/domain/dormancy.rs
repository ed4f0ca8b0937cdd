//! Dormancy: an ACTIVE customer that has done nothing of its own for the dormancy period
//! becomes DORMANT, and a DORMANT customer that acts becomes ACTIVE again. What counts as
//! the customer's own activity lives here; the job and the writes that note activity call it.

use chrono::{DateTime, Duration, Utc};

use super::status::CustomerStatus;

/// The customer-initiated acts that count as activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// A transfer requested from one of its accounts.
    TransferRequested,
    /// A transfer from one of its accounts accepted.
    TransferAccepted,
    /// Its client changed its details or its people.
    DetailsChanged,
    /// Its client changed its status.
    StatusChanged,
    AccountOpened,
    PayorCreated,
    PaymentAddressRequested,
    /// Money received into one of its accounts: counts only when configured so.
    PaymentReceived,
}

impl Activity {
    /// How a reactivation's reason names it.
    pub fn describe(self) -> &'static str {
        match self {
            Activity::TransferRequested => "a transfer was requested",
            Activity::TransferAccepted => "a transfer was accepted",
            Activity::DetailsChanged => "its details were changed",
            Activity::StatusChanged => "its status was changed",
            Activity::AccountOpened => "an account was opened",
            Activity::PayorCreated => "a payor was added",
            Activity::PaymentAddressRequested => "a payment address was requested",
            Activity::PaymentReceived => "a payment was received",
        }
    }
}

/// Activity is noted at most once in this long per customer, so that a busy customer's
/// writes do not all queue on its row; `lastActivityAt` is exact to this.
pub const ACTIVITY_RESOLUTION: Duration = Duration::minutes(1);

/// The dormancy rule as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dormancy {
    /// How long without activity makes an ACTIVE customer DORMANT.
    pub period: Duration,
    /// Whether money received counts as the customer's activity (by default it does not: a
    /// customer that only receives has not acted).
    pub payments_received_count: bool,
}

impl Default for Dormancy {
    fn default() -> Self {
        Self {
            period: Duration::days(365),
            payments_received_count: false,
        }
    }
}

impl Dormancy {
    /// Whether this act counts as the customer's activity.
    pub fn counts(&self, activity: Activity) -> bool {
        activity != Activity::PaymentReceived || self.payments_received_count
    }

    /// Customers whose last activity is at or before this instant are due at `now`.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_signed(self.period)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// ACTIVE customers whose last activity is before this instant become dormant before
    /// `dormant_before`.
    pub fn idle_before(&self, dormant_before: DateTime<Utc>) -> DateTime<Utc> {
        self.cutoff(dormant_before)
    }

    /// When a customer in `status` that last acted at `last_activity` becomes DORMANT if
    /// nothing happens: only ACTIVE customers become dormant.
    pub fn dormant_after(
        &self,
        status: CustomerStatus,
        last_activity: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        (status == CustomerStatus::Active)
            .then(|| last_activity.checked_add_signed(self.period))
            .flatten()
    }

    /// Whether the job moves a customer in `status` that last acted at `last_activity` now.
    pub fn is_due(
        &self,
        status: CustomerStatus,
        last_activity: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        self.dormant_after(status, last_activity)
            .is_some_and(|after| after <= now)
    }

    /// The reason recorded when the job moves a customer.
    pub fn reason(&self) -> String {
        format!(
            "no customer activity for {} days (the dormancy period)",
            self.period.num_days()
        )
    }
}

/// Whether activity returns a customer in `status` to ACTIVE: only DORMANT does (a
/// `DORMANT_L2F` customer awaits the platform, which alone moves it).
pub fn reactivates(status: CustomerStatus) -> bool {
    status == CustomerStatus::Dormant
}

/// The reason recorded when activity returns a dormant customer to ACTIVE.
pub fn reactivation_reason(activity: Activity) -> String {
    format!("activity after dormancy: {}", activity.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(days)
    }

    #[test]
    fn only_active_customers_become_dormant_and_not_a_day_early() {
        let rule = Dormancy::default();
        assert!(!rule.is_due(CustomerStatus::Active, at(0), at(364)));
        assert!(rule.is_due(CustomerStatus::Active, at(0), at(365)));
        assert_eq!(
            rule.dormant_after(CustomerStatus::Active, at(10)),
            Some(at(375))
        );
        for status in CustomerStatus::ALL.iter().copied() {
            if status != CustomerStatus::Active {
                assert!(!rule.is_due(status, at(0), at(10_000)), "{status:?}");
                assert_eq!(rule.dormant_after(status, at(0)), None, "{status:?}");
            }
        }
    }

    #[test]
    fn payments_received_count_only_when_configured() {
        let rule = Dormancy::default();
        assert!(!rule.counts(Activity::PaymentReceived));
        assert!(rule.counts(Activity::TransferRequested));
        let counting = Dormancy {
            payments_received_count: true,
            ..rule
        };
        assert!(counting.counts(Activity::PaymentReceived));
    }

    #[test]
    fn only_dormant_reactivates() {
        for status in CustomerStatus::ALL.iter().copied() {
            assert_eq!(reactivates(status), status == CustomerStatus::Dormant);
        }
        assert!(
            reactivation_reason(Activity::TransferRequested).contains("transfer was requested")
        );
        assert!(Dormancy::default().reason().contains("365 days"));
    }
}

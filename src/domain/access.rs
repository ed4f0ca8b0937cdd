//! Access tokens' rules: the scopes a credential may hold, which ones a client's backend may
//! grant to a short-lived token for a browser or app, which scope each API call needs, and
//! how long a token lives.

use chrono::Duration;

use super::value_enum::value_enum;

value_enum! {
    /// What a credential may do. An API key holds every scope; an access token holds those
    /// it was minted with, of the ones a token may be granted.
    #[derive(PartialOrd, Ord)]
    AccessScope {
        /// Read customers: their details, people and status history.
        CustomersRead = "CUSTOMERS_READ",
        /// Read accounts, their transactions and transfers.
        AccountsRead = "ACCOUNTS_READ",
        /// Read payors and payment addresses.
        PayorsRead = "PAYORS_READ",
        /// Read applications and their documents.
        ApplicationsRead = "APPLICATIONS_READ",
        /// Create and edit the customer's own application, upload its documents, submit it.
        ApplicationsWrite = "APPLICATIONS_WRITE",
        /// Request a transfer between one customer's own accounts.
        TransfersWrite = "TRANSFERS_WRITE",
        /// Read the event log and subscribe to it.
        EventsRead = "EVENTS_READ",
        /// Every other change to customers, accounts, payors, applications and money: API
        /// keys only.
        ManageCustomers = "MANAGE_CUSTOMERS",
        /// Webhook subscriptions, access tokens and the sandbox clock: API keys only.
        ManageIntegration = "MANAGE_INTEGRATION",
    }
}

impl AccessScope {
    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// Whether a token may be granted this scope (the rest are an API key's alone).
    pub fn grantable(self) -> bool {
        !matches!(
            self,
            AccessScope::ManageCustomers | AccessScope::ManageIntegration
        )
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of scopes (small and `Copy`, as principals are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Scopes(u16);

impl Scopes {
    /// Every scope: what an API key holds.
    pub fn all() -> Self {
        Self::of(AccessScope::ALL.iter().copied())
    }

    pub fn of(scopes: impl IntoIterator<Item = AccessScope>) -> Self {
        Self(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }

    pub fn contains(self, scope: AccessScope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes, in their order.
    pub fn list(self) -> Vec<AccessScope> {
        AccessScope::ALL
            .iter()
            .copied()
            .filter(|scope| self.contains(*scope))
            .collect()
    }

    /// Comma-separated names (storage).
    pub fn to_text(self) -> String {
        self.list()
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads [`Scopes::to_text`]; unknown names are dropped (a scope renamed away grants
    /// nothing).
    pub fn from_text(text: &str) -> Self {
        Self::of(text.split(',').filter_map(AccessScope::parse))
    }
}

/// How long a token lives when nothing is asked.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::minutes(15);
/// How long a token may live at most.
pub const MAX_TOKEN_TTL: Duration = Duration::hours(24);
/// Customers one token may be limited to at most.
pub const MAX_TOKEN_CUSTOMERS: usize = 100;
/// Live tokens one client may hold at once.
pub const MAX_LIVE_TOKENS: i64 = 10_000;

/// Why a token cannot be minted as asked: the field and the message.
pub type TokenRefusal = (&'static str, String);

/// Checks what a token is asked to allow and for how long; its lifetime.
pub fn check_token(
    scopes: &[AccessScope],
    customer_ids: Option<&[String]>,
    ttl_seconds: Option<i64>,
) -> Result<Duration, TokenRefusal> {
    if scopes.is_empty() {
        return Err(("scopes", "name at least one scope".into()));
    }
    if let Some(scope) = scopes.iter().find(|scope| !scope.grantable()) {
        return Err((
            "scopes",
            format!("{scope} belongs to API keys and cannot be granted to a token"),
        ));
    }
    if let Some(ids) = customer_ids {
        if ids.is_empty() {
            return Err((
                "customerIds",
                "give at least one customerId, or leave it out for every customer".into(),
            ));
        }
        if ids.len() > MAX_TOKEN_CUSTOMERS {
            return Err((
                "customerIds",
                format!("at most {MAX_TOKEN_CUSTOMERS} customers per token"),
            ));
        }
    }
    let ttl = match ttl_seconds {
        None => DEFAULT_TOKEN_TTL,
        Some(seconds) if seconds < 1 => {
            return Err(("ttlSeconds", "a token lives at least one second".into()));
        }
        Some(seconds) => Duration::try_seconds(seconds)
            .filter(|ttl| *ttl <= MAX_TOKEN_TTL)
            .ok_or_else(|| {
                (
                    "ttlSeconds",
                    format!(
                        "a token lives at most {} seconds",
                        MAX_TOKEN_TTL.num_seconds()
                    ),
                )
            })?,
    };
    Ok(ttl)
}

/// Whether an access token limited to customers may name `account_id` as the account an
/// application of `customer_id` opens: one that starts with that customerId and a hyphen
/// (`onboard-1` opens `onboard-1-usd`). AccountIds are unique across the client, so a token
/// free to name any would learn, from the answer, which accountIds other customers hold.
pub fn account_id_within(customer_id: &str, account_id: &str) -> bool {
    account_id
        .strip_prefix(customer_id)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| !suffix.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_only_some_are_grantable() {
        let set = Scopes::of([AccessScope::AccountsRead, AccessScope::EventsRead]);
        assert_eq!(Scopes::from_text(&set.to_text()), set);
        assert_eq!(set.to_text(), "ACCOUNTS_READ,EVENTS_READ");
        assert!(Scopes::all().contains(AccessScope::ManageIntegration));
        assert!(!set.contains(AccessScope::CustomersRead));
        assert_eq!(
            Scopes::from_text("ACCOUNTS_READ,NO_SUCH"),
            Scopes::of([AccessScope::AccountsRead])
        );
        for scope in AccessScope::ALL {
            assert_eq!(AccessScope::parse(scope.as_str()), Some(*scope));
        }
        assert!(!AccessScope::ManageCustomers.grantable());
        assert!(AccessScope::TransfersWrite.grantable());
    }

    #[test]
    fn a_token_is_checked_before_it_is_minted() {
        let read = [AccessScope::CustomersRead];
        assert_eq!(check_token(&read, None, None), Ok(DEFAULT_TOKEN_TTL));
        assert_eq!(
            check_token(&read, None, Some(60)),
            Ok(Duration::seconds(60))
        );
        assert_eq!(check_token(&[], None, None).unwrap_err().0, "scopes");
        assert_eq!(
            check_token(&[AccessScope::ManageIntegration], None, None)
                .unwrap_err()
                .0,
            "scopes"
        );
        assert_eq!(
            check_token(&read, None, Some(0)).unwrap_err().0,
            "ttlSeconds"
        );
        assert_eq!(
            check_token(&read, None, Some(86_401)).unwrap_err().0,
            "ttlSeconds"
        );
        assert!(check_token(&read, None, Some(86_400)).is_ok());
        assert_eq!(
            check_token(&read, Some(&[]), None).unwrap_err().0,
            "customerIds"
        );
        let many: Vec<String> = (0..101).map(|n| n.to_string()).collect();
        assert_eq!(
            check_token(&read, Some(&many), None).unwrap_err().0,
            "customerIds"
        );
    }

    #[test]
    fn a_token_names_accounts_under_its_customers_id() {
        assert!(account_id_within("onboard-1", "onboard-1-usd"));
        assert!(!account_id_within("onboard-1", "onboard-1"));
        assert!(!account_id_within("onboard-1", "onboard-1-"));
        assert!(!account_id_within("onboard-1", "onboard-10-usd"));
        assert!(!account_id_within("onboard-1", "sandbox-corporation-1-usd"));
    }
}

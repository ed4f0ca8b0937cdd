//! The status shared by customers and accounts (DOMAIN.md, Statuses). The `_L2F` forms mean
//! the platform must act; only the operator may change a customer or account in one.

use crate::domain::value_enum::value_enum;

value_enum! {
    /// The lifecycle status of a customer or an account.
    CustomerStatus {
        /// In good standing: may be read, updated and transact.
        Active = "ACTIVE",
        /// Closed for good: read only.
        Closed = "CLOSED",
        /// Under enhanced due diligence: may still transact.
        Edd = "EDD",
        /// Not yet approved: may be updated, may not transact.
        Pending = "PENDING",
        /// Frozen: may be updated, may not transact.
        Frozen = "FROZEN",
        /// Inactive for a long time: may transact.
        Dormant = "DORMANT",
        /// ACTIVE, awaiting action by the platform.
        ActiveL2f = "ACTIVE_L2F",
        /// EDD, awaiting action by the platform.
        EddL2f = "EDD_L2F",
        /// PENDING, awaiting action by the platform.
        PendingL2f = "PENDING_L2F",
        /// FROZEN, awaiting action by the platform.
        FrozenL2f = "FROZEN_L2F",
        /// DORMANT, awaiting action by the platform.
        DormantL2f = "DORMANT_L2F",
    }
}

/// Accounts share the customers' status table.
pub type AccountStatus = CustomerStatus;

/// What a status allows, and which statuses may follow it (DOMAIN.md's table, as data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRule {
    pub status: CustomerStatus,
    pub read: bool,
    pub update: bool,
    pub transact: bool,
    pub next: &'static [CustomerStatus],
}

use CustomerStatus::*;

/// The platform's table for the base statuses. An `_L2F` status follows the rule of its base.
pub const RULES: &[StatusRule] = &[
    StatusRule {
        status: Active,
        read: true,
        update: true,
        transact: true,
        next: &[Edd, Dormant, Closed, Frozen],
    },
    StatusRule {
        status: Closed,
        read: true,
        update: false,
        transact: false,
        next: &[],
    },
    StatusRule {
        status: Edd,
        read: true,
        update: true,
        transact: true,
        next: &[Active, Closed, Frozen],
    },
    StatusRule {
        status: Pending,
        read: true,
        update: true,
        transact: false,
        next: &[Active, Closed],
    },
    StatusRule {
        status: Frozen,
        read: true,
        update: true,
        transact: false,
        next: &[Active, Closed, Edd],
    },
    StatusRule {
        status: Dormant,
        read: true,
        update: true,
        transact: true,
        next: &[Active, Closed, Edd],
    },
];

/// Who asks for a change: a client, or the platform's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Operator,
}

impl CustomerStatus {
    /// Whether this is a status awaiting the platform (`_L2F`).
    pub fn is_l2f(self) -> bool {
        self.base() != self
    }

    /// The status without its `_L2F` suffix.
    pub fn base(self) -> Self {
        match self {
            ActiveL2f => Active,
            EddL2f => Edd,
            PendingL2f => Pending,
            FrozenL2f => Frozen,
            DormantL2f => Dormant,
            other => other,
        }
    }

    /// The `_L2F` form of this status; CLOSED has none.
    pub fn l2f(self) -> Option<Self> {
        match self.base() {
            Active => Some(ActiveL2f),
            Edd => Some(EddL2f),
            Pending => Some(PendingL2f),
            Frozen => Some(FrozenL2f),
            Dormant => Some(DormantL2f),
            _ => None,
        }
    }

    /// The table row for this status (its base's, for an `_L2F` status).
    pub fn rule(self) -> &'static StatusRule {
        let base = self.base();
        // Every base status has a row; the unit tests check the table is complete.
        RULES
            .iter()
            .find(|rule| rule.status == base)
            .unwrap_or(&RULES[1])
    }

    /// The statuses `role` may move a customer (or account) in this status to.
    /// Clients follow the table and never touch an `_L2F` status. The operator may also
    /// move a status into its `_L2F` form and back, and is the only one who may act while a
    /// status is `_L2F` (then only back to its base).
    pub fn allowed_next(self, role: Role) -> Vec<CustomerStatus> {
        match (role, self.is_l2f()) {
            (Role::Client, true) => Vec::new(),
            (Role::Client, false) => self.rule().next.to_vec(),
            (Role::Operator, true) => vec![self.base()],
            (Role::Operator, false) => {
                let mut next = self.rule().next.to_vec();
                next.extend(self.l2f());
                next
            }
        }
    }

    /// Whether `role` may update the details of a customer (or account) in this status.
    pub fn can_update(self, role: Role) -> bool {
        self.rule().update && (!self.is_l2f() || role == Role::Operator)
    }

    /// Whether money may move in or out in this status.
    pub fn can_transact(self) -> bool {
        self.rule().transact
    }

    pub fn can_read(self) -> bool {
        self.rule().read
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// The target is the current status: nothing would change.
    Unchanged,
    /// Not in the table for this role; `allowed` is what the role may do instead.
    NotAllowed { allowed: Vec<CustomerStatus> },
}

/// Checks a status change by `role`: the one rule the API's guard and the store both apply.
pub fn check_transition(
    from: CustomerStatus,
    to: CustomerStatus,
    role: Role,
) -> Result<(), TransitionError> {
    if from == to {
        return Err(TransitionError::Unchanged);
    }
    let allowed = from.allowed_next(role);
    if allowed.contains(&to) {
        Ok(())
    } else {
        Err(TransitionError::NotAllowed { allowed })
    }
}

/// The update rule: `Ok` when `role` may update a customer (or account) in `status`, else
/// the explanation. The API's guard and the store both apply this one function.
pub fn check_update(status: CustomerStatus, role: Role) -> Result<(), String> {
    if status.can_update(role) {
        return Ok(());
    }
    let why =
        blocked_reason(status, role).unwrap_or_else(|| format!("{status} does not allow updates"));
    Err(format!("customer cannot be updated: {why}"))
}

/// Every status in which money may move (the table's transact column, `_L2F` forms included):
/// what the store's conditional updates compare against.
pub fn transacting_statuses() -> Vec<CustomerStatus> {
    CustomerStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.can_transact())
        .collect()
}

/// Which party's status stops money moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannotTransact {
    Customer(CustomerStatus),
    Account(CustomerStatus),
}

impl CannotTransact {
    /// The stable reason code (`extensions.reason`).
    pub fn reason_code(self) -> &'static str {
        match self {
            Self::Customer(_) => "CUSTOMER_STATUS",
            Self::Account(_) => "ACCOUNT_STATUS",
        }
    }
}

impl std::fmt::Display for CannotTransact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Customer(status) => write!(f, "the customer is {status}, which cannot transact"),
            Self::Account(status) => write!(f, "the account is {status}, which cannot transact"),
        }
    }
}

/// The transact rule for one side of a movement: its customer's and its account's status
/// must both allow money to move.
pub fn check_transact(
    customer: CustomerStatus,
    account: CustomerStatus,
) -> Result<(), CannotTransact> {
    if !customer.can_transact() {
        return Err(CannotTransact::Customer(customer));
    }
    if !account.can_transact() {
        return Err(CannotTransact::Account(account));
    }
    Ok(())
}

/// A plain-language reason why `role` cannot update or change a customer in `status`, or
/// `None` when it can.
pub fn blocked_reason(status: CustomerStatus, role: Role) -> Option<String> {
    if status.is_l2f() && role == Role::Client {
        return Some(format!(
            "{status}: awaiting action by the platform; only the platform may update or change \
             the status until it is resolved"
        ));
    }
    if !status.rule().update {
        return Some(format!(
            "{status}: a closed customer can no longer be changed"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_statuses() -> Vec<CustomerStatus> {
        CustomerStatus::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_l2f())
            .collect()
    }

    #[test]
    fn the_table_has_one_row_per_base_status() {
        let mut rows: Vec<_> = RULES.iter().map(|r| r.status).collect();
        rows.sort_by_key(|s| s.as_str());
        let mut bases = base_statuses();
        bases.sort_by_key(|s| s.as_str());
        assert_eq!(rows, bases);
        assert_eq!(
            CustomerStatus::ALL.len(),
            11,
            "six base statuses and five _L2F forms"
        );
    }

    #[test]
    fn l2f_forms_round_trip_and_closed_has_none() {
        for status in base_statuses() {
            match status.l2f() {
                Some(l2f) => {
                    assert!(l2f.is_l2f());
                    assert_eq!(l2f.base(), status);
                    assert!(
                        l2f.as_str().ends_with("_L2F") && l2f.as_str().starts_with(status.as_str())
                    );
                }
                None => assert_eq!(status, Closed),
            }
        }
    }

    /// The whole table, for every (from, to, role): what the platform says, spelled out.
    #[test]
    fn every_transition_for_every_role() {
        let table: &[(CustomerStatus, &[CustomerStatus])] = &[
            (Active, &[Edd, Dormant, Closed, Frozen]),
            (Closed, &[]),
            (Edd, &[Active, Closed, Frozen]),
            (Pending, &[Active, Closed]),
            (Frozen, &[Active, Closed, Edd]),
            (Dormant, &[Active, Closed, Edd]),
        ];
        let mut checked = 0;
        for &from in CustomerStatus::ALL {
            for &to in CustomerStatus::ALL {
                for role in [Role::Client, Role::Operator] {
                    let in_table = !from.is_l2f()
                        && !to.is_l2f()
                        && table
                            .iter()
                            .any(|(f, next)| *f == from && next.contains(&to));
                    let expected = match role {
                        Role::Client => in_table,
                        Role::Operator => {
                            in_table
                                || (!from.is_l2f() && from.l2f() == Some(to))
                                || (from.is_l2f() && to == from.base())
                        }
                    };
                    let result = check_transition(from, to, role);
                    assert_eq!(result.is_ok(), expected, "{from} -> {to} by {role:?}");
                    if from == to {
                        assert_eq!(result, Err(TransitionError::Unchanged));
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 11 * 11 * 2);
    }

    #[test]
    fn clients_never_move_into_out_of_or_within_l2f() {
        for &from in CustomerStatus::ALL {
            for to in from.allowed_next(Role::Client) {
                assert!(!from.is_l2f() && !to.is_l2f(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn refusals_name_what_is_allowed_instead() {
        assert_eq!(
            check_transition(Pending, Frozen, Role::Client),
            Err(TransitionError::NotAllowed {
                allowed: vec![Active, Closed]
            })
        );
        assert_eq!(
            check_transition(FrozenL2f, Active, Role::Client),
            Err(TransitionError::NotAllowed { allowed: vec![] })
        );
        assert_eq!(
            check_transition(FrozenL2f, Active, Role::Operator),
            Err(TransitionError::NotAllowed {
                allowed: vec![Frozen]
            })
        );
    }

    #[test]
    fn update_and_transact_follow_the_table_and_l2f() {
        for &status in CustomerStatus::ALL {
            let base = status.base();
            let row = RULES.iter().find(|r| r.status == base).unwrap();
            assert_eq!(status.can_transact(), row.transact, "{status}");
            assert!(status.can_read());
            assert_eq!(status.can_update(Role::Operator), row.update, "{status}");
            assert_eq!(
                status.can_update(Role::Client),
                row.update && !status.is_l2f(),
                "{status}"
            );
        }
        assert!(!Closed.can_update(Role::Operator));
        assert!(!FrozenL2f.can_update(Role::Client) && FrozenL2f.can_update(Role::Operator));
        assert!(blocked_reason(FrozenL2f, Role::Client).is_some());
        assert!(blocked_reason(FrozenL2f, Role::Operator).is_none());
        assert!(blocked_reason(Closed, Role::Operator).is_some());
        assert!(blocked_reason(Active, Role::Client).is_none());
    }
}

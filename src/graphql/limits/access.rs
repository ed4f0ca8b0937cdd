//! Which scope each part of the API needs from an access token (API keys hold every scope):
//! a mutation by its name, a subscription's events, and everything else by the kind of
//! object a field belongs to or returns, so that no path through the graph reaches an
//! object of a kind the token may not read. One table; a mutation not named here needs
//! `MANAGE_CUSTOMERS`, which only API keys hold.

use crate::domain::access::AccessScope;

/// The scope a mutation needs.
fn mutation_scope(field: &str) -> &'static [AccessScope] {
    use AccessScope::*;
    match field {
        "createApplication"
        | "updateApplication"
        | "addApplicationIndividual"
        | "updateApplicationIndividual"
        | "removeApplicationIndividual"
        | "uploadApplicationDocument"
        | "submitApplication" => &[ApplicationsWrite],
        "createTransfer" => &[TransfersWrite],
        "createWebhookSubscription"
        | "updateWebhookSubscription"
        | "deleteWebhookSubscription"
        | "pingWebhookSubscription"
        | "rotateWebhookSecret"
        | "redeliverEvent"
        | "advanceSandboxClock"
        | "createAccessToken"
        | "revokeAccessToken" => &[ManageIntegration],
        _ => &[ManageCustomers],
    }
}

/// The scopes, any one of which reads objects of a type (by its name, list and non-null
/// marks removed); empty for what any credential of the client may read. The people of an
/// application are `CustomerIndividual`s, the same type as a customer's people, so either
/// reading customers or reading applications reads them.
fn type_scopes(type_name: &str) -> &'static [AccessScope] {
    use AccessScope::*;
    match type_name {
        "CustomerIndividual" => &[CustomersRead, ApplicationsRead],
        "Customer"
        | "CustomerConnection"
        | "CustomerEdge"
        | "StatusHistoryConnection"
        | "StatusHistoryEdge"
        | "StatusChange" => &[CustomersRead],
        "Account"
        | "AccountConnection"
        | "AccountEdge"
        | "AccountStatusChange"
        | "Transaction"
        | "TransactionConnection"
        | "TransactionEdge"
        | "Transfer" => &[AccountsRead],
        "Payor" | "PayorConnection" | "PayorEdge" | "PaymentAddress" => &[PayorsRead],
        "Application"
        | "ApplicationConnection"
        | "ApplicationEdge"
        | "ApplicationDocument"
        | "ApplicationRequirements"
        | "ApplicationStatusChange"
        | "DocumentFile" => &[ApplicationsRead],
        "Event" | "EventConnection" | "EventEdge" => &[EventsRead],
        "WebhookSubscription"
        | "WebhookSubscriptionWithSecret"
        | "WebhookDelivery"
        | "WebhookDeliveryConnection"
        | "WebhookDeliveryEdge"
        | "AccessToken"
        | "AccessTokenWithSecret" => &[ManageIntegration],
        _ => &[],
    }
}

/// `[Account!]!` → `Account`.
fn named(type_ref: &str) -> &str {
    type_ref.trim_matches(|c| matches!(c, '[' | ']' | '!'))
}

/// What resolving `field` of `parent_type`, returning `return_type`, needs: one of the
/// scopes of the object it belongs to and one of those of what it returns (either list may
/// be empty).
pub fn required_scopes(
    parent_type: &str,
    field: &str,
    return_type: &str,
) -> [&'static [AccessScope]; 2] {
    match parent_type {
        "Mutation" => [mutation_scope(field), &[]],
        "Subscription" => [&[AccessScope::EventsRead], &[]],
        _ => [type_scopes(parent_type), type_scopes(named(return_type))],
    }
}

/// A scope `held` lacks for `field`: the first of a requirement none of whose scopes is held.
pub fn missing_scope(
    held: impl Fn(AccessScope) -> bool,
    (parent_type, field, return_type): (&str, &str, &str),
) -> Option<AccessScope> {
    required_scopes(parent_type, field, return_type)
        .into_iter()
        .find(|any_of| !any_of.is_empty() && !any_of.iter().any(|scope| held(*scope)))
        .map(|any_of| any_of[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_need_the_scope_of_what_they_read_or_change() {
        let read = |scopes: &'static [AccessScope]| move |scope| scopes.contains(&scope);
        let customers = read(&[AccessScope::CustomersRead]);
        assert_eq!(
            missing_scope(customers, ("Query", "customers", "CustomerConnection!")),
            None
        );
        assert_eq!(
            missing_scope(customers, ("Customer", "accounts", "AccountConnection!")),
            Some(AccessScope::AccountsRead)
        );
        assert_eq!(
            missing_scope(
                read(&[AccessScope::AccountsRead]),
                ("Customer", "accounts", "AccountConnection!")
            ),
            Some(AccessScope::CustomersRead)
        );
        assert_eq!(
            missing_scope(customers, ("Transfer", "status", "TransferStatus!")),
            Some(AccessScope::AccountsRead)
        );
        assert_eq!(
            missing_scope(customers, ("Query", "node", "Node")),
            None,
            "node itself needs nothing: the fields of what it finds do"
        );
        assert_eq!(
            missing_scope(customers, ("Query", "viewer", "Client")),
            None
        );
        let applications = read(&[AccessScope::ApplicationsRead]);
        assert_eq!(
            missing_scope(
                applications,
                ("Application", "individuals", "[CustomerIndividual!]!")
            ),
            None,
            "an application's people are read with the application"
        );
        assert_eq!(
            missing_scope(
                customers,
                ("Customer", "individuals", "[CustomerIndividual!]!")
            ),
            None
        );
        assert_eq!(
            missing_scope(
                applications,
                ("Customer", "individuals", "[CustomerIndividual!]!")
            ),
            Some(AccessScope::CustomersRead)
        );
        assert_eq!(
            missing_scope(
                read(&[AccessScope::AccountsRead]),
                ("CustomerIndividual", "firstName", "String")
            ),
            Some(AccessScope::CustomersRead),
            "one found by node(id) needs one of the two"
        );
        assert_eq!(
            missing_scope(
                customers,
                ("Mutation", "createTransfer", "TransferPayload!")
            ),
            Some(AccessScope::TransfersWrite)
        );
        assert_eq!(
            missing_scope(
                read(&[AccessScope::ApplicationsWrite]),
                ("Mutation", "submitApplication", "ApplicationPayload!")
            ),
            None
        );
        assert_eq!(
            missing_scope(customers, ("Mutation", "someFutureMutation", "X!")),
            Some(AccessScope::ManageCustomers),
            "a mutation not in the table is an API key's"
        );
        assert_eq!(
            missing_scope(
                customers,
                ("Query", "webhookSubscriptions", "[WebhookSubscription!]!")
            ),
            Some(AccessScope::ManageIntegration)
        );
        assert_eq!(
            missing_scope(customers, ("Subscription", "events", "Event!")),
            Some(AccessScope::EventsRead)
        );
    }
}

//! The event catalogue: every event type, emitted by its change exactly once, about the right
//! subject, customer and account, by the right actor, with the right `changes`; a refused
//! change and a replayed request emit nothing. How events are read and paged is events.rs.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    CHANGE_ACCOUNT_STATUS, CHANGE_CUSTOMER_STATUS, CORPORATION, CORPORATION_ACCOUNT,
    DEPOSIT_MUTATION, INDIVIDUAL, INDIVIDUAL_ACCOUNT, accept_transfer_mutation,
    cancel_transfer_mutation, codes, create_transfer_mutation, deposit, ok, set_customer_status,
};
use crate::applications::{
    act, document_id, individual_details, individual_input, ok_application, update_mutation,
    upload_passport,
};
use crate::harness::{TestApp, both_backends, clocked_backends};

const EVENTS: &str = "query($after: String) { events(first: 100, after: $after) {
    nodes { id sequence type occurredAt subjectId customerId accountId actor reason requestId
            changes { field from to } subject { id } }
    pageInfo { endCursor } } }";

/// Every event of `key`'s client after `after`, paging to the end; and the cursor after the
/// last.
async fn events_of(
    app: &TestApp,
    key: &str,
    mut after: Option<String>,
) -> (Vec<Value>, Option<String>) {
    let mut all = Vec::new();
    loop {
        let page = ok(app, key, EVENTS, json!({ "after": after }), "events").await;
        let nodes = page["nodes"].as_array().cloned().unwrap_or_default();
        if nodes.is_empty() {
            return (all, after);
        }
        all.extend(nodes);
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// [`events_of`] the sandbox client.
async fn all_after(app: &TestApp, after: Option<String>) -> (Vec<Value>, Option<String>) {
    events_of(app, app.key(), after).await
}

/// Runs `action`: what it answered, and the events `key`'s client committed meanwhile (the
/// tests write one change at a time, so these are the action's).
async fn emitted_to<T>(
    app: &TestApp,
    key: &str,
    action: impl Future<Output = T>,
) -> (T, Vec<Value>) {
    let (_, before) = events_of(app, key, None).await;
    let answer = action.await;
    (answer, events_of(app, key, before).await.0)
}

/// [`emitted_to`] the sandbox client.
async fn emitted<T>(app: &TestApp, action: impl Future<Output = T>) -> (T, Vec<Value>) {
    emitted_to(app, app.key(), action).await
}

/// What the catalogue pins down of an event.
fn summary(event: &Value) -> Value {
    json!({ "type": event["type"], "subjectId": event["subjectId"],
            "customerId": event["customerId"], "accountId": event["accountId"],
            "actor": event["actor"], "changes": event["changes"] })
}

/// Asserts the events are exactly `expected`, in order, each about a subject the caller sees.
fn assert_events(events: &[Value], expected: &[Value]) {
    let types: Vec<&Value> = events.iter().map(|e| &e["type"]).collect();
    let wanted: Vec<&Value> = expected.iter().map(|e| &e["type"]).collect();
    assert_eq!(types, wanted, "{events:#?}");
    for (event, want) in events.iter().zip(expected) {
        assert_eq!(&summary(event), want, "{event:#}");
        assert_eq!(event["subject"]["id"], event["subjectId"], "{event:#}");
    }
}

/// Asserts no event carries `value` anywhere (details changes name fields, never values).
fn assert_nowhere(events: &[Value], value: &str) {
    for event in events {
        assert!(
            !event.to_string().contains(value),
            "{value:?} leaked: {event}"
        );
    }
}

/// Whom events are about and who acts: builds the expected summaries.
#[derive(Clone, Copy)]
struct About<'a> {
    subject: &'a str,
    customer: Option<&'a str>,
    account: Option<&'a str>,
    actor: &'a str,
}

impl<'a> About<'a> {
    fn new(subject: &'a str, customer: &'a str, account: Option<&'a str>) -> Self {
        Self {
            subject,
            customer: Some(customer),
            account,
            actor: "CLIENT",
        }
    }

    fn by(self, actor: &'a str) -> Self {
        Self { actor, ..self }
    }

    fn event(&self, event_type: &str, changes: Value) -> Value {
        json!({ "type": event_type, "subjectId": self.subject, "customerId": self.customer,
                "accountId": self.account, "actor": self.actor, "changes": changes })
    }
}

/// `changes` of a status move (`from` is `None` for a new object).
fn status(from: Option<&str>, to: &str) -> Value {
    json!([{ "field": "status", "from": from, "to": to }])
}

/// `changes` naming changed fields, without values.
fn named(fields: &[&str]) -> Value {
    fields
        .iter()
        .map(|f| json!({ "field": f, "from": null, "to": null }))
        .collect()
}

/// The global id of the sandbox client's `customer` or `account` (`field`) it calls `id`.
async fn global_id(app: &TestApp, field: &str, id: &str) -> String {
    global_id_as(app, app.key(), field, id).await
}

/// [`global_id`] of `key`'s client.
async fn global_id_as(app: &TestApp, key: &str, field: &str, id: &str) -> String {
    let query = format!("query($id: String!) {{ {field}({field}Id: $id) {{ id }} }}");
    ok(app, key, &query, json!({ "id": id }), field).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `query` as `key` and returns the error codes and the events it emitted.
async fn refused(
    app: &TestApp,
    key: &str,
    query: &str,
    variables: Value,
) -> (Vec<String>, Vec<Value>) {
    emitted(app, codes(app, key, query, variables)).await
}

const VERDICT: &str =
    "mutation($app: ID!, $doc: ID!) { reviewApplicationDocument(applicationId: $app,
    documentId: $doc, verdict: APPROVED) { application { status } } }";

const REVIEW: &str = "mutation($app: ID!, $doc: ID!, $verdict: DocumentVerdict!, $note: String) {
    reviewApplicationDocument(applicationId: $app, documentId: $doc, verdict: $verdict, note: $note) {
        application { status } } }";

const REQUEST_CHANGES: &str = "mutation($id: ID!) { requestApplicationChanges(id: $id, reason: \"name\",
    fields: [{ fieldName: \"lastName\", description: \"as in the passport\" }]) { application { status } } }";

const SIMULATE_REJECTION: &str = "mutation($id: ID!) { simulateApplicationDecision(id: $id,
    decision: REJECT, reason: \"catalogue\") { application { status } } }";

const UPDATE_CUSTOMER: &str = "mutation($c: String!, $input: UpdateCustomerInput!) {
    updateCustomer(customerId: $c, input: $input, reason: \"catalogue\", updatedBy: \"tests\") {
        customer { version } } }";

const ADD_PERSON: &str = "mutation($c: String!, $input: CustomerIndividualInput!) {
    addCustomerIndividual(customerId: $c, input: $input, reason: \"kyb\", updatedBy: \"tests\") {
        individual { id } } }";

const UPDATE_PERSON: &str = "mutation($c: String!, $p: ID!, $input: CustomerIndividualPatch!) {
    updateCustomerIndividual(customerId: $c, individualId: $p, input: $input, reason: \"kyb\",
        updatedBy: \"tests\") { individual { id } } }";

const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) {
    createCustomer(input: $input) { customer { id } } }";

const CREATE_PAYOR: &str = "mutation($c: String!, $input: CreatePayorInput!, $key: String) {
    createPayor(customerId: $c, input: $input, idempotencyKey: $key) { payor { id } } }";

const UPDATE_PAYOR: &str = "mutation($c: String!, $p: String!, $input: UpdatePayorInput!) {
    updatePayor(customerId: $c, payorId: $p, input: $input) { payor { id } } }";

const REQUEST_ADDRESS: &str = "mutation($a: String!, $p: String!, $amount: Decimal) {
    requestPaymentAddress(accountId: $a, payorId: $p, paymentReference: \"INV-1\", amount: $amount) {
        paymentAddress { id } } }";

const CREATE_APPLICATION: &str = "mutation($input: CreateApplicationInput!, $key: String) {
    createApplication(input: $input, idempotencyKey: $key) {
        application { id status documents { id document individualId } } } }";

const OPEN_ACCOUNT: &str =
    "mutation($c: String!, $id: String!, $key: String) { openAccount(customerId: $c,
    accountToOpen: { accountId: $id, productId: DEPOSIT_BASIC, assetTypeId: \"FIAT_TESTNET_USD\" },
    idempotencyKey: $key) { account { id } } }";

/// Creates a complete individual application (INCOMPLETE until its passport is uploaded).
async fn application(app: &TestApp, customer_id: &str, key: Option<&str>) -> Value {
    let input = individual_input(customer_id, &format!("{customer_id}-acc"));
    let variables = json!({ "input": input, "key": key });
    ok_application(
        app,
        app.key(),
        CREATE_APPLICATION,
        variables,
        "createApplication",
    )
    .await
}

/// A lifecycle mutation (`submitApplication` and the like) as `key`, asserting success.
async fn moved(app: &TestApp, key: &str, mutation: &str, id: &str, extra_args: &str) {
    let body = act(app, key, mutation, id, extra_args).await;
    assert!(body["errors"].is_null(), "{mutation}: {body}");
}

/// Sets `termsAndConditionsAccepted` on the application `id`.
async fn accept_terms(app: &TestApp, id: &str, accepted: bool) {
    let input = json!({ "termsAndConditionsAccepted": accepted });
    let vars = json!({ "id": id, "input": input });
    ok_application(
        app,
        app.key(),
        &update_mutation(),
        vars,
        "updateApplication",
    )
    .await;
}

/// createTransfer of `amount` USD from the individual to the corporation under `key`.
async fn transfer(app: &TestApp, amount: &str, key: &str) -> Value {
    let vars = json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT, "amount": amount, "key": key });
    ok(
        app,
        app.key(),
        &create_transfer_mutation(),
        vars,
        "createTransfer",
    )
    .await["transfer"]
        .clone()
}

both_backends! {
    async fn each_step_of_an_application_emits_its_event_once(app) {
        let operator = app.operator_key().await;
        let op = operator.expose();
        let (created, events) = emitted(&app, application(&app, "cat-app", None)).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let client = About::new(&id, "cat-app", None);
        assert_events(&events, &[client.event("APPLICATION_CREATED", status(None, "INCOMPLETE"))]);

        let passport = document_id(&created, "PASSPORT", None);
        let document = About { subject: &passport, ..client };
        let (_, events) = emitted(&app, upload_passport(&app, app.key(), &created)).await;
        assert_events(&events, &[document.event("DOCUMENT_UPLOADED", json!([])),
            client.event("APPLICATION_READY_FOR_SUBMISSION", status(Some("INCOMPLETE"), "READY_FOR_SUBMISSION"))]);

        let (_, events) = emitted(&app, accept_terms(&app, &id, false)).await;
        assert_events(&events, &[client.event("APPLICATION_INCOMPLETE", status(Some("READY_FOR_SUBMISSION"), "INCOMPLETE"))]);
        let (_, events) = emitted(&app, accept_terms(&app, &id, true)).await;
        assert_events(&events, &[client.event("APPLICATION_READY_FOR_SUBMISSION", status(Some("INCOMPLETE"), "READY_FOR_SUBMISSION"))]);

        let (_, events) = emitted(&app, moved(&app, app.key(), "submitApplication", &id, "")).await;
        assert_events(&events, &[client.event("APPLICATION_SUBMITTED", status(Some("READY_FOR_SUBMISSION"), "SUBMITTED"))]);

        let reviewer = client.by("OPERATOR");
        let (_, events) = emitted(&app, moved(&app, op, "startApplicationProcessing", &id, "")).await;
        assert_events(&events, &[reviewer.event("APPLICATION_PROCESSING", status(Some("SUBMITTED"), "PROCESSING"))]);

        let (_, events) = emitted(&app, ok(&app, op, VERDICT, json!({ "app": id, "doc": passport }), "reviewApplicationDocument")).await;
        let verdict = status(Some("SUBMITTED"), "APPROVED");
        assert_events(&events, &[document.by("OPERATOR").event("DOCUMENT_REVIEWED", verdict)]);

        let (_, events) = emitted(&app, ok(&app, op, REQUEST_CHANGES, json!({ "id": id }), "requestApplicationChanges")).await;
        assert_events(&events, &[reviewer.event("APPLICATION_CHANGE_REQUESTED", status(Some("PROCESSING"), "CHANGES_REQUESTED"))]);

        let edit = json!({ "id": id, "input": { "customerDetails": { "individual": { "lastName": "Hartley-Shaw" } } } });
        let (_, events) = emitted(&app, ok_application(&app, app.key(), &update_mutation(), edit, "updateApplication")).await;
        assert_events(&events, &[client.event("APPLICATION_READY_FOR_SUBMISSION", status(Some("CHANGES_REQUESTED"), "READY_FOR_SUBMISSION"))]);

        moved(&app, app.key(), "submitApplication", &id, "").await;
        moved(&app, op, "startApplicationProcessing", &id, "").await;
        let (_, events) = emitted(&app, moved(&app, op, "approveApplication", &id, ", reason: \"ok\"")).await;
        let customer = global_id(&app, "customer", "cat-app").await;
        let account = global_id(&app, "account", "cat-app-acc").await;
        assert_events(&events, &[
            About::new(&customer, "cat-app", None).by("OPERATOR").event("CUSTOMER_CREATED", status(None, "ACTIVE")),
            About::new(&account, "cat-app", Some("cat-app-acc")).by("OPERATOR").event("ACCOUNT_OPENED", status(None, "ACTIVE")),
            reviewer.event("APPLICATION_APPROVED", status(Some("PROCESSING"), "APPROVED")),
        ]);
    }

    async fn a_simulated_rejection_passes_through_processing_and_refusals_and_replays_emit_nothing(app) {
        let (created, events) = emitted(&app, application(&app, "cat-no", Some("cat-no-key"))).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let client = About::new(&id, "cat-no", None);
        assert_events(&events, &[client.event("APPLICATION_CREATED", status(None, "INCOMPLETE"))]);
        let (replayed, events) = emitted(&app, application(&app, "cat-no", Some("cat-no-key"))).await;
        assert_eq!(replayed["id"], created["id"]);
        assert_events(&events, &[]);

        upload_passport(&app, app.key(), &created).await;
        let (refusal, events) = refused(&app, app.key(), VERDICT, json!({ "app": id, "doc": document_id(&created, "PASSPORT", None) })).await;
        assert_eq!(refusal, ["FORBIDDEN"], "only the platform reviews");
        assert_events(&events, &[]);
        moved(&app, app.key(), "submitApplication", &id, "").await;

        // The sandbox's review goes through PROCESSING in the decision's transaction.
        let (_, events) = emitted(&app, ok(&app, app.key(), SIMULATE_REJECTION, json!({ "id": id }), "simulateApplicationDecision")).await;
        assert_events(&events, &[client.event("APPLICATION_PROCESSING", status(Some("SUBMITTED"), "PROCESSING")),
            client.event("APPLICATION_REJECTED", status(Some("PROCESSING"), "REJECTED"))]);

        let submit = "mutation($id: ID!) { submitApplication(id: $id) { application { status } } }";
        let (refusal, events) = refused(&app, app.key(), submit, json!({ "id": id })).await;
        assert_eq!(refusal, ["INVALID_STATUS_TRANSITION"]);
        assert_events(&events, &[]);
        let (refusal, events) = refused(&app, app.key(), &update_mutation(), json!({ "id": id, "input": { "termsAndConditionsAccepted": false } })).await;
        assert_eq!(refusal, ["APPLICATION_NOT_EDITABLE"]);
        assert_events(&events, &[]);
    }

    async fn customer_and_account_changes_emit_their_events_and_a_cascade_one_per_account_moved(app) {
        let individual = global_id(&app, "customer", INDIVIDUAL).await;
        let customer = About::new(&individual, INDIVIDUAL, None);
        let edit = json!({ "c": INDIVIDUAL, "input": { "individual": { "firstName": "Zebulon", "occupation": "Cartographer" }, "accreditedInvestor": true } });
        let (_, events) = emitted(&app, ok(&app, app.key(), UPDATE_CUSTOMER, edit.clone(), "updateCustomer")).await;
        assert_events(&events, &[customer.event("CUSTOMER_UPDATED", named(&["individual.firstName", "individual.occupation", "accreditedInvestor"]))]);
        assert_eq!(events[0]["reason"], "catalogue");
        assert_nowhere(&events, "Zebulon");
        assert_nowhere(&events, "Cartographer");
        let (_, events) = emitted(&app, ok(&app, app.key(), UPDATE_CUSTOMER, edit, "updateCustomer")).await;
        assert_events(&events, &[]);

        let corporation = global_id(&app, "customer", CORPORATION).await;
        let person = json!({ "individualType": ["OFFICER"], "firstName": "Ada", "lastName": "Lovelace", "taxReferenceNumber": "987654321" });
        let (added, events) = emitted(&app, ok(&app, app.key(), ADD_PERSON, json!({ "c": CORPORATION, "input": person }), "addCustomerIndividual")).await;
        let (_, person_key) = layer2::graphql::node::decode(added["individual"]["id"].as_str().unwrap()).unwrap();
        let field = format!("individuals.{person_key}");
        assert_events(&events, &[About::new(&corporation, CORPORATION, None).event("CUSTOMER_UPDATED", named(&[&field]))]);
        assert_nowhere(&events, "Lovelace");
        assert_nowhere(&events, "987654321");
        let change = json!({ "c": CORPORATION, "p": added["individual"]["id"], "input": { "lastName": "Byron" } });
        let (_, events) = emitted(&app, ok(&app, app.key(), UPDATE_PERSON, change, "updateCustomerIndividual")).await;
        assert_events(&events, &[About::new(&corporation, CORPORATION, None).event("CUSTOMER_UPDATED", named(&[&field]))]);
        assert_nowhere(&events, "Byron");

        // Opened once, however often the request is replayed.
        let open = |account_id: &str| json!({ "c": INDIVIDUAL, "id": account_id, "key": format!("cat-{account_id}") });
        let (opened, events) = emitted(&app, ok(&app, app.key(), OPEN_ACCOUNT, open("cat-second"), "openAccount")).await;
        let second = opened["account"]["id"].as_str().unwrap().to_owned();
        assert_events(&events, &[About::new(&second, INDIVIDUAL, Some("cat-second")).event("ACCOUNT_OPENED", status(None, "ACTIVE"))]);
        let (_, events) = emitted(&app, ok(&app, app.key(), OPEN_ACCOUNT, open("cat-second"), "openAccount")).await;
        assert_events(&events, &[]);

        let third = ok(&app, app.key(), OPEN_ACCOUNT, open("cat-third"), "openAccount").await["account"]["id"].as_str().unwrap().to_owned();
        let (_, events) = emitted(&app, ok(&app, app.key(), CHANGE_ACCOUNT_STATUS, json!({ "a": "cat-third", "s": "FROZEN" }), "changeAccountStatus")).await;
        assert_events(&events, &[About::new(&third, INDIVIDUAL, Some("cat-third")).event("ACCOUNT_STATUS_CHANGED", status(Some("ACTIVE"), "FROZEN"))]);
        assert_eq!(events[0]["reason"], "test");

        // The freeze moves the two active accounts; the one frozen already stays as it is.
        let default = global_id(&app, "account", INDIVIDUAL_ACCOUNT).await;
        let (_, events) = emitted(&app, set_customer_status(&app, app.key(), INDIVIDUAL, "FROZEN")).await;
        assert_events(&events, &[customer.event("CUSTOMER_STATUS_CHANGED", status(Some("ACTIVE"), "FROZEN")),
            About::new(&default, INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT)).event("ACCOUNT_STATUS_CHANGED", status(Some("ACTIVE"), "FROZEN")),
            About::new(&second, INDIVIDUAL, Some("cat-second")).event("ACCOUNT_STATUS_CHANGED", status(Some("ACTIVE"), "FROZEN"))]);

        let (refusal, events) = refused(&app, app.key(), CHANGE_CUSTOMER_STATUS, json!({ "c": INDIVIDUAL, "s": "DORMANT" })).await;
        assert_eq!(refusal, ["INVALID_STATUS_TRANSITION"]);
        assert_events(&events, &[]);
        let (refusal, events) = refused(&app, app.key(), CHANGE_ACCOUNT_STATUS, json!({ "a": "cat-third", "s": "DORMANT" })).await;
        assert_eq!(refusal, ["INVALID_STATUS_TRANSITION"]);
        assert_events(&events, &[]);

        // The thaw returns exactly the accounts the freeze froze.
        let (_, events) = emitted(&app, set_customer_status(&app, app.key(), INDIVIDUAL, "ACTIVE")).await;
        assert_events(&events, &[customer.event("CUSTOMER_STATUS_CHANGED", status(Some("FROZEN"), "ACTIVE")),
            About::new(&default, INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT)).event("ACCOUNT_STATUS_CHANGED", status(Some("FROZEN"), "ACTIVE")),
            About::new(&second, INDIVIDUAL, Some("cat-second")).event("ACCOUNT_STATUS_CHANGED", status(Some("FROZEN"), "ACTIVE"))]);
    }

    async fn payors_addresses_and_payments_emit_their_events_once(app) {
        let jane = json!({ "payorId": "cat-jane", "firstName": "Jane", "lastName": "Doe", "countryCode": "US" });
        let create = json!({ "c": CORPORATION, "input": jane, "key": "cat-payor" });
        let (created, events) = emitted(&app, ok(&app, app.key(), CREATE_PAYOR, create.clone(), "createPayor")).await;
        let payor_id = created["payor"]["id"].as_str().unwrap().to_owned();
        let payor = About::new(&payor_id, CORPORATION, None);
        assert_events(&events, &[payor.event("PAYOR_CREATED", json!([]))]);
        let (_, events) = emitted(&app, ok(&app, app.key(), CREATE_PAYOR, create, "createPayor")).await;
        assert_events(&events, &[]);
        let (refusal, events) = refused(&app, app.key(), CREATE_PAYOR, json!({ "c": CORPORATION, "input": jane })).await;
        assert_eq!(refusal, ["ALREADY_EXISTS"]);
        assert_events(&events, &[]);

        let change = json!({ "c": CORPORATION, "p": "cat-jane", "input": { "firstName": "Janet", "emailAddress": "janet@example.org" } });
        let (_, events) = emitted(&app, ok(&app, app.key(), UPDATE_PAYOR, change, "updatePayor")).await;
        assert_events(&events, &[payor.event("PAYOR_UPDATED", named(&["firstName", "emailAddress"]))]);
        assert_nowhere(&events, "Janet");
        assert_nowhere(&events, "janet@example.org");
        let (refusal, events) = refused(&app, app.key(), UPDATE_PAYOR, json!({ "c": CORPORATION, "p": "cat-jane", "input": { "countryCode": null } })).await;
        assert_eq!(refusal, ["BAD_USER_INPUT"]);
        assert_events(&events, &[]);

        // A lease of 10.00 through the corporation's payment account.
        let lease = json!({ "a": CORPORATION_ACCOUNT, "p": "cat-jane", "amount": "10.00" });
        let (requested, events) = emitted(&app, ok(&app, app.key(), REQUEST_ADDRESS, lease, "requestPaymentAddress")).await;
        let address = requested["paymentAddress"]["id"].as_str().unwrap().to_owned();
        assert_events(&events, &[About::new(&address, CORPORATION, Some(CORPORATION_ACCOUNT)).event("PAYMENT_ADDRESS_CREATED", json!([]))]);

        let pay = |amount: &str, key: &str| json!({ "address": address, "amount": amount, "key": key });
        let (paid, events) = emitted(&app, ok(&app, app.key(), DEPOSIT_MUTATION, pay("4.00", "cat-pay-1"), "simulateIncomingPayment")).await;
        let transaction = paid["transaction"]["id"].as_str().unwrap();
        assert_events(&events, &[About::new(transaction, CORPORATION, Some(CORPORATION_ACCOUNT)).event("PAYMENT_CONFIRMED", status(None, "POSTED"))]);
        let (_, events) = emitted(&app, ok(&app, app.key(), DEPOSIT_MUTATION, pay("4.00", "cat-pay-1"), "simulateIncomingPayment")).await;
        assert_events(&events, &[]);
        let (refusal, events) = refused(&app, app.key(), DEPOSIT_MUTATION, pay("20.00", "cat-pay-2")).await;
        assert_eq!(refusal, ["CUSTOMER_CANNOT_TRANSACT"], "beyond the lease's value");
        assert_events(&events, &[]);

        let (paid, events) = emitted(&app, deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "3.00")).await;
        let transaction = paid["transaction"]["id"].as_str().unwrap();
        assert_events(&events, &[About::new(transaction, INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT)).event("PAYMENT_CONFIRMED", status(None, "POSTED"))]);
    }

    async fn each_end_of_a_transfer_emits_its_event_once_about_its_source(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let (requested, events) = emitted(&app, transfer(&app, "10.00", "cat-t1")).await;
        let id = requested["id"].as_str().unwrap().to_owned();
        let source = About::new(&id, INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT));
        assert_events(&events, &[source.event("TRANSFER_REQUESTED", status(None, "REQUESTED"))]);
        let (_, events) = emitted(&app, transfer(&app, "10.00", "cat-t1")).await;
        assert_events(&events, &[]);

        let accept = json!({ "id": id, "key": "cat-a1" });
        let (_, events) = emitted(&app, ok(&app, app.key(), &accept_transfer_mutation(), accept.clone(), "acceptTransfer")).await;
        assert_events(&events, &[source.event("TRANSFER_EXECUTED", status(Some("REQUESTED"), "EXECUTED"))]);
        let (_, events) = emitted(&app, ok(&app, app.key(), &accept_transfer_mutation(), accept, "acceptTransfer")).await;
        assert_events(&events, &[]);
        let (refusal, events) = refused(&app, app.key(), &cancel_transfer_mutation(), json!({ "id": id })).await;
        assert_eq!(refusal, ["INVALID_STATUS_TRANSITION"]);
        assert_events(&events, &[]);
        let too_much = json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT, "amount": "1000.00", "key": "cat-t9" });
        let (refusal, events) = refused(&app, app.key(), &create_transfer_mutation(), too_much).await;
        assert_eq!(refusal, ["INSUFFICIENT_FUNDS"]);
        assert_events(&events, &[]);

        let cancelled = transfer(&app, "5.00", "cat-t2").await;
        let cancelled_id = cancelled["id"].as_str().unwrap();
        let (_, events) = emitted(&app, ok(&app, app.key(), &cancel_transfer_mutation(), json!({ "id": cancelled_id }), "cancelTransfer")).await;
        assert_events(&events, &[About { subject: cancelled_id, ..source }.event("TRANSFER_CANCELLED", status(Some("REQUESTED"), "CANCELLED"))]);

        // Accepted while the destination cannot transact: rejected, its hold released.
        let rejected = transfer(&app, "5.00", "cat-t3").await;
        let rejected_id = rejected["id"].as_str().unwrap();
        set_customer_status(&app, app.key(), CORPORATION, "FROZEN").await;
        let (answer, events) = emitted(&app, ok(&app, app.key(), &accept_transfer_mutation(), json!({ "id": rejected_id, "key": "cat-a3" }), "acceptTransfer")).await;
        assert_eq!(answer["transfer"]["status"], "REJECTED", "{answer}");
        assert_events(&events, &[About { subject: rejected_id, ..source }.event("TRANSFER_REJECTED", status(Some("REQUESTED"), "REJECTED"))]);
        assert!(events[0]["reason"].as_str().unwrap().starts_with("rejected at acceptance"), "{}", events[0]);
    }

    async fn direct_onboarding_a_simulated_approval_and_a_closure_emit_one_event_per_object(app) {
        // A regulated client creates a customer (PENDING) and its default account at once.
        let (_, regulated) = app.regulated_client().await;
        let key = regulated.expose();
        let input = json!({ "customerId": "cat-direct", "individual": individual_details(),
            "accountToOpen": { "accountId": "cat-direct-acc", "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_MAINNET_EUR" } });
        let (created, events) = emitted_to(&app, key, ok(&app, key, CREATE_CUSTOMER, json!({ "input": input }), "createCustomer")).await;
        let account = global_id_as(&app, key, "account", "cat-direct-acc").await;
        assert_events(&events, &[
            About::new(created["customer"]["id"].as_str().unwrap(), "cat-direct", None).event("CUSTOMER_CREATED", status(None, "PENDING")),
            About::new(&account, "cat-direct", Some("cat-direct-acc")).event("ACCOUNT_OPENED", status(None, "ACTIVE")),
        ]);

        // The sandbox's approval of a SUBMITTED application, as the client.
        let submitted = application(&app, "cat-sim", None).await;
        let id = submitted["id"].as_str().unwrap().to_owned();
        upload_passport(&app, app.key(), &submitted).await;
        moved(&app, app.key(), "submitApplication", &id, "").await;
        let approve = "mutation($id: ID!) { simulateApplicationDecision(id: $id, decision: APPROVE, reason: \"ok\") { application { status } } }";
        let (_, events) = emitted(&app, ok(&app, app.key(), approve, json!({ "id": id }), "simulateApplicationDecision")).await;
        let customer = global_id(&app, "customer", "cat-sim").await;
        let default = global_id(&app, "account", "cat-sim-acc").await;
        let of_application = About::new(&id, "cat-sim", None);
        let (owner, first) = (About::new(&customer, "cat-sim", None), About::new(&default, "cat-sim", Some("cat-sim-acc")));
        assert_events(&events, &[of_application.event("APPLICATION_PROCESSING", status(Some("SUBMITTED"), "PROCESSING")),
            owner.event("CUSTOMER_CREATED", status(None, "ACTIVE")), first.event("ACCOUNT_OPENED", status(None, "ACTIVE")),
            of_application.event("APPLICATION_APPROVED", status(Some("PROCESSING"), "APPROVED"))]);

        // The operator freezes it for the client; the client closes it: each account moves too.
        let opened = ok(&app, app.key(), OPEN_ACCOUNT, json!({ "c": "cat-sim", "id": "cat-sim-2" }), "openAccount").await;
        let second = About::new(opened["account"]["id"].as_str().unwrap(), "cat-sim", Some("cat-sim-2"));
        let operator = app.operator_key().await;
        let client = layer2::graphql::node::encode(layer2::graphql::node::NodeKind::Client, app.sandbox.client.id.0).0;
        let freeze = json!({ "c": "cat-sim", "s": "FROZEN", "client": client });
        let (_, events) = emitted(&app, ok(&app, operator.expose(), CHANGE_CUSTOMER_STATUS, freeze, "changeCustomerStatus")).await;
        let moved_to = |from: &str, to: &str| status(Some(from), to);
        assert_events(&events, &[owner.by("OPERATOR").event("CUSTOMER_STATUS_CHANGED", moved_to("ACTIVE", "FROZEN")),
            first.by("OPERATOR").event("ACCOUNT_STATUS_CHANGED", moved_to("ACTIVE", "FROZEN")),
            second.by("OPERATOR").event("ACCOUNT_STATUS_CHANGED", moved_to("ACTIVE", "FROZEN"))]);
        let (_, events) = emitted(&app, set_customer_status(&app, app.key(), "cat-sim", "CLOSED")).await;
        assert_events(&events, &[owner.event("CUSTOMER_STATUS_CHANGED", moved_to("FROZEN", "CLOSED")),
            first.event("ACCOUNT_STATUS_CHANGED", moved_to("FROZEN", "CLOSED")),
            second.event("ACCOUNT_STATUS_CHANGED", moved_to("FROZEN", "CLOSED"))]);
    }
}

/// A verdict's event names the status the document moved from, like every other status
/// event (null is only for a new object), also when a second verdict replaces a first.
async fn a_document_review_names_the_status_it_moved_from(app: TestApp) {
    let operator = app.operator_key().await;
    let op = operator.expose();
    let created = application(&app, "cat-doc", None).await;
    let id = created["id"].as_str().unwrap().to_owned();
    upload_passport(&app, app.key(), &created).await;
    moved(&app, app.key(), "submitApplication", &id, "").await;
    moved(&app, op, "startApplicationProcessing", &id, "").await;
    let passport = document_id(&created, "PASSPORT", None);
    let reviewer = About::new(&passport, "cat-doc", None).by("OPERATOR");
    let verdict = |verdict: &str| json!({ "app": id, "doc": passport, "verdict": verdict, "note": "checked" });
    let (_, events) = emitted(
        &app,
        ok(
            &app,
            op,
            REVIEW,
            verdict("REJECTED"),
            "reviewApplicationDocument",
        ),
    )
    .await;
    assert_events(
        &events,
        &[reviewer.event("DOCUMENT_REVIEWED", status(Some("SUBMITTED"), "REJECTED"))],
    );
    let (_, events) = emitted(
        &app,
        ok(
            &app,
            op,
            REVIEW,
            verdict("APPROVED"),
            "reviewApplicationDocument",
        ),
    )
    .await;
    assert_events(
        &events,
        &[reviewer.event("DOCUMENT_REVIEWED", status(Some("REJECTED"), "APPROVED"))],
    );
}

mod a_document_review_names_the_status_it_moved_from {
    use crate::harness::{Backend, TestApp};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::start(Backend::Sqlite)
            .await
            .expect("SQLite is always available");
        super::a_document_review_names_the_status_it_moved_from(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        super::a_document_review_names_the_status_it_moved_from(app).await;
    }
}

clocked_backends! {
    async fn the_sweeper_expires_an_overdue_transfer_once_as_the_platform(app, clock, |s| {
        s.expiry_sweep_interval = Duration::from_millis(100);
    }) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let requested = transfer(&app, "25.00", "cat-x1").await;
        let id = requested["id"].as_str().unwrap();
        let (_, before) = all_after(&app, None).await;
        clock.advance(chrono::Duration::seconds(301));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while all_after(&app, before.clone()).await.0.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the sweeper expired the transfer in 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A later write, so that a second expiry would have had its chance to show.
        let paid = deposit(&app, app.key(), CORPORATION_ACCOUNT, "1.00").await;
        let (events, _) = all_after(&app, before).await;
        assert_events(&events, &[
            About::new(id, INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT)).by("SYSTEM")
                .event("TRANSFER_EXPIRED", status(Some("REQUESTED"), "EXPIRED")),
            About::new(paid["transaction"]["id"].as_str().unwrap(), CORPORATION, Some(CORPORATION_ACCOUNT))
                .event("PAYMENT_CONFIRMED", status(None, "POSTED")),
        ]);
        assert_eq!(events[0]["requestId"], Value::Null, "the platform's own change: {}", events[0]);
    }

    async fn the_next_write_on_the_source_expires_an_overdue_transfer_first(app, clock, |s| {
        s.expiry_sweep_interval = Duration::from_secs(3600);
    }) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let overdue = transfer(&app, "25.00", "cat-y1").await;
        clock.advance(chrono::Duration::seconds(301));
        let (next, events) = emitted(&app, transfer(&app, "100.00", "cat-y2")).await;
        assert_events(&events, &[
            About::new(overdue["id"].as_str().unwrap(), INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT)).by("SYSTEM")
                .event("TRANSFER_EXPIRED", status(Some("REQUESTED"), "EXPIRED")),
            About::new(next["id"].as_str().unwrap(), INDIVIDUAL, Some(INDIVIDUAL_ACCOUNT))
                .event("TRANSFER_REQUESTED", status(None, "REQUESTED")),
        ]);
    }
}

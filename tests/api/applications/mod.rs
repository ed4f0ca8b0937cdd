//! Applications over the API: the lifecycle for individuals and corporations, requirements
//! after each edit, review and resubmission, who may do what, documents, and approval.

mod access;
mod lifecycle;
mod limits;
mod review;
mod uploads_hardening;

use serde_json::{Value, json};

use crate::harness::TestApp;

/// What the tests read of an application.
pub const APPLICATION_FIELDS: &str = "id status customerId applicationType version
    customerDetails { individual { firstName lastName taxReferenceNumber passportNumber }
                      corporation { registeredName corporateEntityType } }
    individuals { id individualType firstName lastName percentageOwnership taxReferenceNumber }
    accountToOpen { accountId productId assetTypeId }
    termsAndConditionsAccepted
    requirements { met
        fieldErrors { fieldName fieldStatus description }
        applicationErrors
        documents { id document status description }
        individuals { individualId fieldErrors { fieldName fieldStatus description }
                      documents { id document status description } } }
    documents { id document status description individualId
                file { fileName contentType sizeBytes sha256 } }
    statusHistory { fromStatus toStatus actor reason }
    customer { customerId status }
    decisionReason";

pub fn create_mutation() -> String {
    format!(
        "mutation($input: CreateApplicationInput!) {{
            createApplication(input: $input) {{ application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

pub fn update_mutation() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateApplicationInput!, $v: Int) {{
            updateApplication(id: $id, input: $input, expectedVersion: $v) {{ application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

pub fn upload_mutation() -> String {
    format!(
        "mutation($app: ID!, $doc: ID!, $file: Upload!) {{
            uploadApplicationDocument(applicationId: $app, documentId: $doc, file: $file) {{
                application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

pub fn read_query() -> String {
    format!("query($id: ID!) {{ application(id: $id) {{ {APPLICATION_FIELDS} }} }}")
}

/// A complete individual's details (every KYC field the requirements ask for).
pub fn individual_details() -> Value {
    json!({
        "firstName": "Amelia", "lastName": "Hartley", "emailAddress": "amelia@example.com",
        "telephoneNumber": "+14155550123", "nationality": "US", "dateOfBirth": "1988-04-12",
        "taxReferenceNumber": "123-45-6789",
        "mailingAddress": { "addressLine1": "1 Market St", "city": "San Francisco", "state": "CA",
                            "postalCode": "94105", "countryCode": "US" }
    })
}

pub fn account(account_id: &str) -> Value {
    json!({ "accountId": account_id, "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_TESTNET_USD" })
}

/// A complete individual application's input.
pub fn individual_input(customer_id: &str, account_id: &str) -> Value {
    json!({
        "applicationType": "INDIVIDUAL",
        "customerId": customer_id,
        "customerDetails": { "individual": individual_details() },
        "accountToOpen": account(account_id),
        "termsAndConditionsAccepted": true
    })
}

/// A minimal valid PDF (judged by its bytes).
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A minimal PNG signature and header.
pub fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

/// Runs a mutation as `key` and returns `data.<field>.application`, asserting no errors.
pub async fn ok_application(
    app: &TestApp,
    key: &str,
    query: &str,
    variables: Value,
    field: &str,
) -> Value {
    let (status, body) = app.gql_as(key, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{field}: {body}");
    body["data"][field]["application"].clone()
}

/// Creates an application as `key`.
pub async fn create(app: &TestApp, key: &str, input: Value) -> Value {
    ok_application(
        app,
        key,
        &create_mutation(),
        json!({ "input": input }),
        "createApplication",
    )
    .await
}

/// The id of the document requirement of `document` (for `individual`, or the application's
/// own when `None`).
pub fn document_id(application: &Value, document: &str, individual: Option<&str>) -> String {
    application["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["document"] == document && d["individualId"].as_str() == individual)
        .unwrap_or_else(|| panic!("no {document} requirement in {application}"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Uploads `bytes` for a requirement as `key`; returns the HTTP status and body.
pub async fn upload(
    app: &TestApp,
    key: &str,
    application_id: &str,
    document_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    app.upload_as(
        key,
        &upload_mutation(),
        json!({ "app": application_id, "doc": document_id }),
        name,
        bytes,
    )
    .await
}

/// Uploads a passport for the application's own identity, asserting success.
pub async fn upload_passport(app: &TestApp, key: &str, application: &Value) -> Value {
    let id = application["id"].as_str().expect("id");
    let doc = document_id(application, "PASSPORT", None);
    let (status, body) = upload(app, key, id, &doc, "passport.pdf", pdf()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["uploadApplicationDocument"]["application"].clone()
}

/// Runs a one-argument lifecycle mutation (`submitApplication(id:)` and the like).
pub async fn act(app: &TestApp, key: &str, mutation: &str, id: &str, extra_args: &str) -> Value {
    let query = format!(
        "mutation($id: ID!) {{ {mutation}(id: $id{extra_args}) {{ application {{ {APPLICATION_FIELDS} }} }} }}"
    );
    let (status, body) = app.gql_as(key, &query, json!({ "id": id })).await;
    assert_eq!(status, 200, "{body}");
    body
}

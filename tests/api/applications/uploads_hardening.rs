//! The bounds on uploads: a file's name is stored as a safe basename of at most 255 bytes,
//! one file per request however the request maps it, a server-wide cap on uploads in
//! progress, and `node(id)` of a document requirement before any file is uploaded for it.

use layer2::domain::application::documents::{MAX_FILE_NAME_BYTES, safe_file_name};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::harness::{Backend, both_backends, error_codes};

const BOUNDARY: &str = "layer2-uploads-hardening-boundary";

/// A GraphQL multipart request written out by hand, so that the test decides the map and the
/// file names byte for byte: `files` are (part name, file name, bytes).
async fn multipart(
    app: &TestApp,
    key: &str,
    operations: Value,
    map: Value,
    files: &[(&str, &str, Vec<u8>)],
) -> (u16, Value) {
    let mut body = Vec::new();
    for (name, value) in [("operations", operations), ("map", map)] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        let quoted = file_name.replace('"', "\\\"");
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{quoted}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let response = app
        .http()
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// One upload of `bytes` named `file_name` for a requirement, as `key`.
async fn upload_named(
    app: &TestApp,
    key: &str,
    application: &str,
    document: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let operations = json!({
        "query": upload_mutation(),
        "variables": { "app": application, "doc": document, "file": null },
    });
    let map = json!({ "0": ["variables.file"] });
    multipart(app, key, operations, map, &[("0", file_name, bytes)]).await
}

/// The application's document of `document` (the application's own), as read back.
async fn stored_document(app: &TestApp, key: &str, application: &str, document: &str) -> Value {
    let (_, body) = app
        .gql_as(key, &read_query(), json!({ "id": application }))
        .await;
    body["data"]["application"]["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["document"] == document && d["individualId"].is_null())
        .unwrap_or_else(|| panic!("no {document} in {body}"))
        .clone()
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A 1,000-byte file name of HTML: tags, attributes, quotes, entities, a backtick and
/// two-byte characters, ending in `.pdf`.
fn html_file_name() -> String {
    let unit = "<img src=x onerror=\"alert('é')\">&amp;`";
    let mut stem = unit.repeat(1_000 / unit.len() + 1);
    let mut cut = 996;
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    stem.truncate(cut);
    while stem.len() < 996 {
        stem.push('x');
    }
    format!("{stem}.pdf")
}

both_backends! {
    async fn a_long_html_file_name_is_stored_as_a_safe_name_of_at_most_255_bytes(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("name-1", "name-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let raw = html_file_name();
        assert_eq!(raw.len(), 1_000);

        let passport = document_id(&created, "PASSPORT", None);
        let (status, body) = upload_named(&app, &key, &id, &passport, &raw, pdf()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "{body}");

        let stored = stored_document(&app, &key, &id, "PASSPORT").await;
        let name = stored["file"]["fileName"].as_str().expect("a file name").to_owned();
        assert!(name.len() <= MAX_FILE_NAME_BYTES, "{} bytes: {name}", name.len());
        assert!(!name.contains(['<', '>', '"', '\'', '`', '&']), "{name}");
        assert!(name.starts_with("_img src=x onerror=_alert(_é_)__"), "{name}");
        assert!(name.ends_with(".pdf"), "the extension survives the cut: {name}");
        assert_eq!(name, safe_file_name(&raw), "the domain's rule, applied once");
        assert_eq!(stored["file"]["sha256"], sha256_hex(&pdf()));

        // A path, and a name with nothing usable left.
        let front = document_id(&created, "GOVERNMENT_ID_FRONT", None);
        let (_, body) = upload_named(&app, &key, &id, &front, "C:\\scans\\..\\<front>.png", png()).await;
        assert!(body["errors"].is_null(), "{body}");
        let back = document_id(&created, "GOVERNMENT_ID_BACK", None);
        let (_, body) = upload_named(&app, &key, &id, &back, " ..\u{202E}. ", png()).await;
        assert!(body["errors"].is_null(), "{body}");
        let front = stored_document(&app, &key, &id, "GOVERNMENT_ID_FRONT").await;
        assert_eq!(front["file"]["fileName"], "_front_.png");
        let back = stored_document(&app, &key, &id, "GOVERNMENT_ID_BACK").await;
        assert_eq!(back["file"]["fileName"], "document");
    }

    async fn one_request_stores_one_file_and_refuses_a_second_upload(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("once-1", "once-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let version = created["version"].as_i64().unwrap();
        let passport = document_id(&created, "PASSPORT", None);
        let front = document_id(&created, "GOVERNMENT_ID_FRONT", None);
        let back = document_id(&created, "GOVERNMENT_ID_BACK", None);

        // Two aliased mutations given the same file variable.
        let aliased = "mutation($app: ID!, $a: ID!, $b: ID!, $file: Upload!) {
            first: uploadApplicationDocument(applicationId: $app, documentId: $a, file: $file) {
                application { version } }
            second: uploadApplicationDocument(applicationId: $app, documentId: $b, file: $file) {
                application { version } } }";
        let operations = json!({ "query": aliased,
            "variables": { "app": id, "a": passport, "b": front, "file": null } });
        let (status, body) = multipart(&app, &key, operations, json!({ "0": ["variables.file"] }),
            &[("0", "passport.pdf", pdf())]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["first"]["application"]["version"], version + 1, "{body}");
        assert!(body["data"]["second"].is_null(), "{body}");
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["path"], json!(["second"]), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("one file per request"), "{body}");

        // One file mapped to two variables.
        let two_variables = "mutation($app: ID!, $a: ID!, $b: ID!, $f1: Upload!, $f2: Upload!) {
            first: uploadApplicationDocument(applicationId: $app, documentId: $a, file: $f1) {
                application { version } }
            second: uploadApplicationDocument(applicationId: $app, documentId: $b, file: $f2) {
                application { version } } }";
        let operations = json!({ "query": two_variables,
            "variables": { "app": id, "a": front, "b": back, "f1": null, "f2": null } });
        let map = json!({ "0": ["variables.f1", "variables.f2"] });
        let (status, body) = multipart(&app, &key, operations, map, &[("0", "front.png", png())]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["first"]["application"]["version"], version + 2, "{body}");
        assert!(body["data"]["second"].is_null(), "{body}");
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("one file per request"), "{body}");

        // What is stored: each first file, whole; nothing of either second.
        let stored = stored_document(&app, &key, &id, "PASSPORT").await;
        assert_eq!(stored["status"], "SUBMITTED");
        assert_eq!(stored["file"]["sha256"], sha256_hex(&pdf()));
        let stored = stored_document(&app, &key, &id, "GOVERNMENT_ID_FRONT").await;
        assert_eq!(stored["status"], "SUBMITTED");
        assert_eq!(stored["file"]["sha256"], sha256_hex(&png()));
        assert_eq!(stored["file"]["sizeBytes"], png().len());
        let stored = stored_document(&app, &key, &id, "GOVERNMENT_ID_BACK").await;
        assert_eq!(stored["status"], "MISSING");
        assert!(stored["file"].is_null(), "{stored}");
        let (_, body) = app.gql_as(&key, &read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["version"], version + 2, "two writes in all");

        // The next request has its own upload.
        let (_, body) = upload_named(&app, &key, &id, &back, "back.png", png()).await;
        assert!(body["errors"].is_null(), "{body}");
    }

    async fn a_file_of_several_chunks_reads_back_whole_and_a_smaller_one_replaces_it(app) {
        use base64::Engine;
        use layer2::store::applications::CHUNK_BYTES;
        const CONTENT: &str = "query($id: ID!) { node(id: $id) { ... on ApplicationDocument {
            contentBase64 file { sizeBytes sha256 } } } }";
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("chunks-1", "chunks-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let passport = document_id(&created, "PASSPORT", None);
        let operator = app.operator_key().await;
        // Two whole chunks and a short third; then one short chunk, which must not be
        // followed by what is left of the first file.
        let mut large = pdf();
        large.extend((0..2 * CHUNK_BYTES + 1_000).map(|i| (i % 253) as u8));
        let mut small = pdf();
        small.extend_from_slice(b"a later, smaller file");
        for bytes in [large, small] {
            let (_, body) = upload_named(&app, &key, &id, &passport, "passport.pdf", bytes.clone()).await;
            assert!(body["errors"].is_null(), "{body}");
            let (_, body) = app.gql_as(operator.expose(), CONTENT, json!({ "id": passport })).await;
            assert!(body["errors"].is_null(), "{body}");
            let node = &body["data"]["node"];
            assert_eq!(node["file"], json!({ "sizeBytes": bytes.len(), "sha256": sha256_hex(&bytes) }));
            let read = base64::engine::general_purpose::STANDARD
                .decode(node["contentBase64"].as_str().expect("content"))
                .expect("base64");
            assert!(read == bytes, "{} bytes read back for {} stored", read.len(), bytes.len());
        }
    }

    async fn node_of_a_missing_document_returns_it_to_its_owner_only(app) {
        const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on ApplicationDocument {
            document status description individualId file { fileName } } } }";
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("node-1", "node-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let passport = document_id(&created, "PASSPORT", None);
        let listed = stored_document(&app, &key, &id, "PASSPORT").await;
        assert_eq!(listed["status"], "MISSING");

        let (_, body) = app.gql_as(&key, NODE, json!({ "id": passport })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["node"], json!({ "id": passport, "document": "PASSPORT",
            "status": "MISSING", "description": listed["description"], "individualId": null,
            "file": null }), "{body}");

        // A person's requirement of a corporation.
        let corporate = create(&app, &key, json!({ "applicationType": "CORPORATION", "customerId": "node-2" })).await;
        let add = "mutation($id: ID!, $input: CustomerIndividualPatch!) {
            addApplicationIndividual(applicationId: $id, input: $input) { application {
                individuals { id } documents { id document status individualId } } } }";
        let officer = json!({ "individualType": ["OFFICER"], "firstName": "Ada", "lastName": "King" });
        let (_, body) = app.gql_as(&key, add, json!({ "id": corporate["id"], "input": officer })).await;
        let with_officer = &body["data"]["addApplicationIndividual"]["application"];
        let person = with_officer["individuals"][0]["id"].as_str().expect("person").to_owned();
        let persons_passport = document_id(with_officer, "PASSPORT", Some(&person));
        let (_, body) = app.gql_as(&key, NODE, json!({ "id": persons_passport })).await;
        assert_eq!(body["data"]["node"]["status"], "MISSING", "{body}");
        assert_eq!(body["data"]["node"]["individualId"], person, "{body}");
        let incorporation = document_id(with_officer, "INCORPORATION_DOCUMENTS", None);
        let (_, body) = app.gql_as(&key, NODE, json!({ "id": incorporation })).await;
        assert_eq!(body["data"]["node"]["document"], "INCORPORATION_DOCUMENTS", "{body}");

        // Another client sees nothing, exactly as for any object not its own; the operator sees it.
        let other = app.another_client().await;
        for target in [&passport, &persons_passport, &incorporation] {
            let (_, body) = app.gql_as(other.key.expose(), NODE, json!({ "id": target })).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(body["data"]["node"], Value::Null, "{body}");
        }
        let operator = app.operator_key().await;
        let (_, body) = app.gql_as(operator.expose(), NODE, json!({ "id": passport })).await;
        assert_eq!(body["data"]["node"]["status"], "MISSING", "{body}");

        // An id no application asks for is null too.
        use base64::Engine;
        let stranger = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("ApplicationDocument:{}", uuid::Uuid::now_v7()));
        let (_, body) = app.gql_as(&key, NODE, json!({ "id": stranger })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["node"], Value::Null, "{body}");

        // The same id once a file is uploaded, and after its person is removed, nothing.
        upload_passport(&app, &key, &created).await;
        let (_, body) = app.gql_as(&key, NODE, json!({ "id": passport })).await;
        assert_eq!(body["data"]["node"]["id"], passport, "{body}");
        assert_eq!(body["data"]["node"]["status"], "SUBMITTED", "{body}");
        assert_eq!(body["data"]["node"]["file"]["fileName"], "passport.pdf", "{body}");
        let remove = "mutation($id: ID!, $p: ID!) { removeApplicationIndividual(applicationId: $id,
            individualId: $p) { application { version } } }";
        let (_, body) = app.gql_as(&key, remove, json!({ "id": corporate["id"], "p": person })).await;
        assert!(body["errors"].is_null(), "{body}");
        let (_, body) = app.gql_as(&key, NODE, json!({ "id": persons_passport })).await;
        assert_eq!(body["data"]["node"], Value::Null, "{body}");
    }
}

/// Runs `check` on a server started with `--max-concurrent-uploads` at `slots`, per backend.
macro_rules! with_upload_slots {
    ($(async fn $name:ident($app:ident, $slots:expr) $body:block)*) => {
        $(
            mod $name {
                use super::*;

                async fn start(backend: Backend) -> Option<TestApp> {
                    TestApp::start_configured(backend, |s| s.max_concurrent_uploads = $slots).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = start(Backend::Sqlite).await.expect("SQLite is always available");
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($app) = start(Backend::Postgres).await else {
                        return;
                    };
                    $body
                }
            }
        )*
    };
}

with_upload_slots! {
    // No free slot: every upload is refused at once, before its file is read.
    async fn an_upload_is_refused_at_once_when_every_upload_slot_is_taken(app, 0) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("cap-1", "cap-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let passport = document_id(&created, "PASSPORT", None);
        let (status, body) = upload(&app, &key, &id, &passport, "passport.pdf", pdf()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(error_codes(&body), ["UNAVAILABLE"], "{body}");
        assert!(body["data"].is_null(), "{body}");
        let stored = stored_document(&app, &key, &id, "PASSPORT").await;
        assert_eq!(stored["status"], "MISSING");
        assert!(stored["file"].is_null(), "{stored}");
        let (_, body) = app.gql_as(&key, &read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["version"], created["version"], "nothing written");
        // Everything else goes on.
        create(&app, &key, individual_input("cap-2", "cap-acc-2")).await;
    }

    // One slot: each upload gives it back when it ends, refused or stored.
    async fn an_upload_gives_its_slot_back_when_it_ends(app, 1) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("slot-1", "slot-acc-1")).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let passport = document_id(&created, "PASSPORT", None);
        let (_, body) = upload(&app, &key, &id, &passport, "passport.pdf", b"not a PDF".to_vec()).await;
        assert_eq!(error_codes(&body), ["UNSUPPORTED_DOCUMENT_TYPE"], "{body}");
        for name in ["passport.pdf", "passport-again.pdf"] {
            let (_, body) = upload(&app, &key, &id, &passport, name, pdf()).await;
            assert!(body["errors"].is_null(), "{name}: {body}");
        }
        let stored = stored_document(&app, &key, &id, "PASSPORT").await;
        assert_eq!(stored["file"]["fileName"], "passport-again.pdf");
    }
}

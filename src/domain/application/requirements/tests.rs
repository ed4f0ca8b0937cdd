use chrono::{NaiveDate, Utc};

use super::*;
use crate::domain::account::ProductId;
use crate::domain::application::change_requests::{clear_answered, is_known_field};
use crate::domain::application::documents::requirement_id;
use crate::domain::application::{
    AccountToOpen, ApplicationPerson, ApplicationType, ChangeRequest,
};
use crate::domain::customer::{
    Address, CorporationDetails, IndividualDetails, IndividualType, PersonDetails, Sensitive,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn address() -> Address {
    Address {
        unit_number: None,
        address_line1: "1 Main St".into(),
        address_line2: None,
        address_line3: None,
        city: "Springfield".into(),
        state: Some("IL".into()),
        postal_code: Some("62701".into()),
        country_code: "US".into(),
    }
}

fn complete_individual() -> Draft {
    Draft {
        customer: CustomerDraft::Individual(IndividualDetails {
            first_name: "Amelia".into(),
            last_name: "Hartley".into(),
            email_address: Some("amelia@example.com".into()),
            telephone_number: Some("+14155550123".into()),
            mailing_address: Some(address()),
            tax_reference_number: Some(Sensitive::new("123-45-6789")),
            nationality: Some("US".into()),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 1, 1),
            ..Default::default()
        }),
        individuals: vec![],
        account_to_open: Some(AccountToOpen {
            account_id: "acc-1".into(),
            product_id: ProductId::DepositBasic,
            asset_type_id: "FIAT_MAINNET_USD".into(),
        }),
        terms_and_conditions_accepted: true,
        change_requests: vec![],
    }
}

fn cx<'a>(app: ApplicationId, documents: &'a [DocumentState]) -> Context<'a> {
    Context {
        application: app,
        documents,
        account_id_taken: false,
        today: today(),
    }
}

fn submitted(id: DocumentId) -> DocumentState {
    DocumentState {
        id,
        status: DocumentStatus::Submitted,
        review_note: None,
    }
}

fn names(fields: &[FieldRequirement]) -> Vec<&str> {
    fields.iter().map(|f| f.field_name.as_str()).collect()
}

#[test]
fn an_empty_individual_application_reports_all_ten_fields_and_its_identity_document() {
    let app = ApplicationId::new();
    let r = requirements(&Draft::empty(ApplicationType::Individual), &cx(app, &[]));
    assert_eq!(
        names(&r.field_errors),
        [
            "firstName",
            "lastName",
            "emailAddress",
            "telephoneNumber",
            "mailingAddress",
            "taxReferenceNumber",
            "nationality",
            "dateOfBirth",
            "accountToOpen",
            "termsAndConditionsAccepted",
        ]
    );
    assert!(
        r.field_errors
            .iter()
            .all(|f| f.field_status == FieldStatus::Incomplete)
    );
    // The five identity documents, each explaining the alternatives.
    assert_eq!(r.documents.len(), 5);
    assert!(
        r.documents
            .iter()
            .all(|d| d.status == DocumentStatus::Missing
                && d.description.starts_with("one of: PASSPORT"))
    );
    assert!(!r.met());
}

#[test]
fn a_passport_or_both_sides_of_a_card_prove_identity_but_one_side_does_not() {
    let app = ApplicationId::new();
    let draft = complete_individual();
    let id = |d| requirement_id(app, None, d);
    let passport = [submitted(id(DocumentType::Passport))];
    assert!(requirements(&draft, &cx(app, &passport)).met());
    let one_side = [submitted(id(DocumentType::DriversLicenceFront))];
    let r = requirements(&draft, &cx(app, &one_side));
    assert_eq!(r.documents.len(), 4, "{r:?}");
    let both = [
        submitted(id(DocumentType::GovernmentIdFront)),
        submitted(id(DocumentType::GovernmentIdBack)),
    ];
    assert!(requirements(&draft, &cx(app, &both)).met());
    let rejected = [DocumentState {
        status: DocumentStatus::Rejected,
        ..submitted(id(DocumentType::Passport))
    }];
    assert!(!requirements(&draft, &cx(app, &rejected)).met());
}

#[test]
fn a_requested_change_blocks_until_the_value_changes() {
    let app = ApplicationId::new();
    let passport = [submitted(requirement_id(app, None, DocumentType::Passport))];
    let mut before = complete_individual();
    before.change_requests = vec![ChangeRequest {
        individual_id: None,
        field_name: "mailingAddress.city".into(),
        description: "the city does not match the utility bill".into(),
    }];
    let r = requirements(&before, &cx(app, &passport));
    assert_eq!(r.field_errors.len(), 1);
    assert_eq!(
        r.field_errors[0].field_status,
        FieldStatus::ChangesRequested
    );

    let mut same = before.clone();
    clear_answered(&before, &mut same);
    assert_eq!(same.change_requests.len(), 1, "an edit of nothing keeps it");

    let mut after = before.clone();
    if let CustomerDraft::Individual(d) = &mut after.customer {
        d.mailing_address = Some(Address {
            city: "Chicago".into(),
            ..address()
        });
    }
    clear_answered(&before, &mut after);
    assert!(after.change_requests.is_empty());
    assert!(requirements(&after, &cx(app, &passport)).met());
}

fn person(types: &[IndividualType], bp: Option<u32>) -> ApplicationPerson {
    ApplicationPerson {
        id: ApplicationIndividualId::new(),
        details: PersonDetails {
            individual_type: types.to_vec(),
            ownership_basis_points: bp,
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1980, 12, 10),
            nationality: Some("GB".into()),
            mailing_address: Some(address()),
            ..Default::default()
        },
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn corporation(entity: CorporateEntityType, people: Vec<ApplicationPerson>) -> Draft {
    Draft {
        customer: CustomerDraft::Corporation(CorporationDetails {
            registered_name: "Northwind Robotics, Inc.".into(),
            registered_number: Some("12345".into()),
            registered_address: Some(address()),
            country_of_incorporation: Some("US".into()),
            corporate_entity_type: Some(entity),
            established_on: NaiveDate::from_ymd_opt(2015, 6, 1),
            ..Default::default()
        }),
        individuals: people,
        ..complete_individual()
    }
}

#[test]
fn a_corporation_needs_people_an_officer_and_an_owner_unless_public_or_non_profit() {
    let app = ApplicationId::new();
    let r = requirements(
        &corporation(CorporateEntityType::Llc, vec![]),
        &cx(app, &[]),
    );
    assert_eq!(
        r.application_errors,
        [
            ApplicationErrorCode::MissingPerson,
            ApplicationErrorCode::MissingOfficer,
            ApplicationErrorCode::MissingBeneficialOwner
        ]
    );
    let public = requirements(
        &corporation(
            CorporateEntityType::CCorpPublic,
            vec![person(&[IndividualType::Officer], None)],
        ),
        &cx(app, &[]),
    );
    assert!(public.application_errors.is_empty());
    let non_profit = requirements(
        &corporation(
            CorporateEntityType::NonProfit,
            vec![person(&[IndividualType::Officer], None)],
        ),
        &cx(app, &[]),
    );
    assert!(non_profit.application_errors.is_empty());
}

#[test]
fn every_officer_and_owner_proves_identity_and_incorporation_documents_are_required() {
    let app = ApplicationId::new();
    let officer = person(&[IndividualType::Officer], None);
    let owner = person(&[IndividualType::BeneficialOwner], Some(6_000));
    let controller = person(&[IndividualType::ControlPerson], None);
    let draft = corporation(
        CorporateEntityType::Llc,
        vec![officer.clone(), owner.clone(), controller.clone()],
    );
    let r = requirements(&draft, &cx(app, &[]));
    assert!(r.field_errors.is_empty(), "{:?}", r.field_errors);
    assert_eq!(r.documents.len(), 1);
    assert_eq!(
        r.documents[0].document,
        DocumentType::IncorporationDocuments
    );
    let with_docs: Vec<_> = r
        .individuals
        .iter()
        .map(|p| (p.individual_id, p.documents.len()))
        .collect();
    assert_eq!(with_docs, [(officer.id, 5), (owner.id, 5)]);

    let docs = [
        submitted(requirement_id(
            app,
            None,
            DocumentType::IncorporationDocuments,
        )),
        submitted(requirement_id(
            app,
            Some(officer.id),
            DocumentType::Passport,
        )),
        submitted(requirement_id(app, Some(owner.id), DocumentType::Passport)),
    ];
    assert!(requirements(&draft, &cx(app, &docs)).met());
}

#[test]
fn owners_may_hold_at_most_100_percent_together() {
    let app = ApplicationId::new();
    let draft = corporation(
        CorporateEntityType::Llc,
        vec![
            person(
                &[IndividualType::Officer, IndividualType::BeneficialOwner],
                Some(6_000),
            ),
            person(&[IndividualType::BeneficialOwner], Some(4_001)),
        ],
    );
    let r = requirements(&draft, &cx(app, &[]));
    assert_eq!(names(&r.field_errors), ["individuals.percentageOwnership"]);
}

#[test]
fn a_taken_account_id_blocks() {
    let app = ApplicationId::new();
    let passport = [submitted(requirement_id(app, None, DocumentType::Passport))];
    let r = requirements(
        &complete_individual(),
        &Context {
            account_id_taken: true,
            ..cx(app, &passport)
        },
    );
    assert_eq!(names(&r.field_errors), ["accountToOpen.accountId"]);
}

#[test]
fn invalid_given_values_are_edit_errors_but_missing_ones_are_not() {
    let draft = CustomerDraft::Individual(IndividualDetails {
        email_address: Some("nope".into()),
        ..Default::default()
    });
    let problems = customer_problems(&draft, today());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "emailAddress");
}

#[test]
fn known_fields_are_the_api_names() {
    let draft = complete_individual();
    assert!(is_known_field(&draft, None, "mailingAddress.city"));
    assert!(is_known_field(&draft, None, "taxReferenceNumber"));
    assert!(is_known_field(&draft, None, "accountToOpen.accountId"));
    assert!(!is_known_field(&draft, None, "mailingAddress.planet"));
    assert!(!is_known_field(&draft, None, "shoeSize"));
    let corp = corporation(
        CorporateEntityType::Llc,
        vec![person(&[IndividualType::BeneficialOwner], Some(100))],
    );
    let id = corp.individuals[0].id;
    assert!(is_known_field(&corp, Some(id), "percentageOwnership"));
    assert!(!is_known_field(
        &corp,
        Some(ApplicationIndividualId::new()),
        "firstName"
    ));
}

#[test]
fn supporting_documents_are_optional_until_the_reviewer_asks_to_replace_one() {
    let app = ApplicationId::new();
    let draft = complete_individual();
    let slots = document_slots(app, &draft);
    let bill = slots
        .iter()
        .find(|s| s.document == DocumentType::UtilityBill)
        .expect("a utility bill may be added");
    assert!(!bill.required);
    let passport = submitted(requirement_id(app, None, DocumentType::Passport));
    assert!(requirements(&draft, &cx(app, std::slice::from_ref(&passport))).met());
    let rejected_bill = DocumentState {
        status: DocumentStatus::Rejected,
        ..submitted(bill.id)
    };
    assert!(requirements(&draft, &cx(app, &[passport.clone(), rejected_bill])).met());
    let bill_to_replace = DocumentState {
        status: DocumentStatus::ChangesRequested,
        review_note: Some("older than three months".into()),
        ..submitted(bill.id)
    };
    let r = requirements(&draft, &cx(app, &[passport, bill_to_replace]));
    assert_eq!(r.documents.len(), 1);
    assert_eq!(r.documents[0].description, "older than three months");
}

#[test]
fn every_document_type_has_a_place_in_some_application() {
    let app = ApplicationId::new();
    let corporate = corporation(
        CorporateEntityType::Llc,
        vec![person(&[IndividualType::Officer], None)],
    );
    let mut seen: Vec<DocumentType> = document_slots(app, &complete_individual())
        .into_iter()
        .chain(document_slots(app, &corporate))
        .map(|s| s.document)
        .collect();
    seen.sort();
    seen.dedup();
    let mut all = DocumentType::ALL.to_vec();
    all.sort();
    assert_eq!(seen, all);
}

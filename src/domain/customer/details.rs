//! The details of individual and corporate customers and of a corporation's people, and every
//! rule their values must follow (all problems are collected, none stops the others).

use chrono::NaiveDate;

use super::{
    Address, CorporateEntityType, EmploymentStatus, IndividualType, Sensitive, UsResidencyStatus,
};
use crate::domain::validation::{FieldError, Problems};

/// An individual customer's details.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IndividualDetails {
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub email_address: Option<String>,
    pub telephone_number: Option<String>,
    pub mailing_address: Option<Address>,
    pub tax_reference_number: Option<Sensitive>,
    pub passport_number: Option<Sensitive>,
    pub nationality: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub us_residency_status: Option<UsResidencyStatus>,
    pub employment_status: Option<EmploymentStatus>,
    pub employment_description: Option<String>,
    pub employer_name: Option<String>,
    pub occupation: Option<String>,
}

/// A corporate customer's details (its people are [`PersonDetails`] rows of their own).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorporationDetails {
    pub registered_name: String,
    pub trading_name: Option<String>,
    pub registered_number: Option<String>,
    pub registered_address: Option<Address>,
    pub physical_address: Option<Address>,
    pub telephone_number: Option<String>,
    pub email_address: Option<String>,
    pub website_address: Option<String>,
    pub state_of_incorporation: Option<String>,
    pub country_of_incorporation: Option<String>,
    pub corporate_entity_type: Option<CorporateEntityType>,
    pub corporate_entity_type_description: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub naics: Option<String>,
    pub naics_description: Option<String>,
}

/// A person attached to a corporate customer: officer, owner, control person…
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonDetails {
    pub individual_type: Vec<IndividualType>,
    pub title: Option<String>,
    /// Hundredths of a percent (0 to 10 000), only for beneficial owners.
    pub ownership_basis_points: Option<u32>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub email_address: Option<String>,
    pub telephone_number: Option<String>,
    pub mailing_address: Option<Address>,
    pub tax_reference_number: Option<Sensitive>,
    pub passport_number: Option<Sensitive>,
    pub nationality: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub us_residency_status: Option<UsResidencyStatus>,
}

/// The youngest a customer or attached person may be.
pub const MIN_AGE: u32 = 18;
/// Longest name or free text we accept.
const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 255;
const ID_NUMBER_MAX: usize = 50;

fn at(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Checks an address under `prefix` (e.g. `individual.mailingAddress`).
pub fn check_address(p: &mut Problems, prefix: &str, address: &Address) {
    p.optional_text(
        &at(prefix, "unitNumber"),
        address.unit_number.as_deref(),
        50,
    );
    p.required_text(
        &at(prefix, "addressLine1"),
        &address.address_line1,
        TEXT_MAX,
    );
    p.optional_text(
        &at(prefix, "addressLine2"),
        address.address_line2.as_deref(),
        TEXT_MAX,
    );
    p.optional_text(
        &at(prefix, "addressLine3"),
        address.address_line3.as_deref(),
        TEXT_MAX,
    );
    p.required_text(&at(prefix, "city"), &address.city, NAME_MAX);
    p.optional_text(
        &at(prefix, "postalCode"),
        address.postal_code.as_deref(),
        20,
    );
    p.country(&at(prefix, "countryCode"), Some(&address.country_code));
    p.subdivision(
        &at(prefix, "state"),
        address.state.as_deref(),
        Some(&address.country_code),
    );
}

/// The personal fields shared by individual customers and the people of a corporation.
struct Personal<'a> {
    first_name: &'a str,
    middle_name: Option<&'a str>,
    last_name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    mailing_address: Option<&'a Address>,
    tax_reference_number: Option<&'a Sensitive>,
    passport_number: Option<&'a Sensitive>,
    nationality: Option<&'a str>,
    date_of_birth: Option<NaiveDate>,
}

/// Generates the [`Personal`] view of a details type with the same field names.
macro_rules! personal_view {
    ($ty:ty) => {
        impl $ty {
            fn personal(&self) -> Personal<'_> {
                Personal {
                    first_name: &self.first_name,
                    middle_name: self.middle_name.as_deref(),
                    last_name: &self.last_name,
                    email: self.email_address.as_deref(),
                    phone: self.telephone_number.as_deref(),
                    mailing_address: self.mailing_address.as_ref(),
                    tax_reference_number: self.tax_reference_number.as_ref(),
                    passport_number: self.passport_number.as_ref(),
                    nationality: self.nationality.as_deref(),
                    date_of_birth: self.date_of_birth,
                }
            }
        }
    };
}
personal_view!(IndividualDetails);
personal_view!(PersonDetails);

fn check_person(p: &mut Problems, prefix: &str, person: &Personal<'_>, today: NaiveDate) {
    p.required_text(&at(prefix, "firstName"), person.first_name, NAME_MAX);
    p.optional_text(&at(prefix, "middleName"), person.middle_name, NAME_MAX);
    p.required_text(&at(prefix, "lastName"), person.last_name, NAME_MAX);
    p.email(&at(prefix, "emailAddress"), person.email);
    p.phone(&at(prefix, "telephoneNumber"), person.phone);
    if let Some(address) = person.mailing_address {
        check_address(p, &at(prefix, "mailingAddress"), address);
    }
    p.optional_text(
        &at(prefix, "taxReferenceNumber"),
        person.tax_reference_number.map(Sensitive::reveal),
        ID_NUMBER_MAX,
    );
    p.optional_text(
        &at(prefix, "passportNumber"),
        person.passport_number.map(Sensitive::reveal),
        ID_NUMBER_MAX,
    );
    p.country(&at(prefix, "nationality"), person.nationality);
    p.birth_date(
        &at(prefix, "dateOfBirth"),
        person.date_of_birth,
        today,
        MIN_AGE,
    );
}

impl IndividualDetails {
    /// Every rule an individual's details break, under `prefix`.
    pub fn check(&self, prefix: &str, today: NaiveDate) -> Vec<FieldError> {
        let mut p = Problems::new();
        check_person(&mut p, prefix, &self.personal(), today);
        p.optional_text(
            &at(prefix, "employmentDescription"),
            self.employment_description.as_deref(),
            TEXT_MAX,
        );
        p.optional_text(
            &at(prefix, "employerName"),
            self.employer_name.as_deref(),
            TEXT_MAX,
        );
        p.optional_text(
            &at(prefix, "occupation"),
            self.occupation.as_deref(),
            NAME_MAX,
        );
        if self.employment_status == Some(EmploymentStatus::Other)
            && self.employment_description.is_none()
        {
            p.add(
                at(prefix, "employmentDescription"),
                "is required when employmentStatus is OTHER",
            );
        }
        p.into_errors()
    }

    /// The name to show for this customer.
    pub fn display_name(&self) -> String {
        [
            Some(self.first_name.as_str()),
            self.middle_name.as_deref(),
            Some(self.last_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

impl CorporationDetails {
    /// Every rule a corporation's details break, under `prefix`.
    pub fn check(&self, prefix: &str, today: NaiveDate) -> Vec<FieldError> {
        let mut p = Problems::new();
        p.required_text(
            &at(prefix, "registeredName"),
            &self.registered_name,
            TEXT_MAX,
        );
        p.optional_text(
            &at(prefix, "tradingName"),
            self.trading_name.as_deref(),
            TEXT_MAX,
        );
        p.optional_text(
            &at(prefix, "registeredNumber"),
            self.registered_number.as_deref(),
            ID_NUMBER_MAX,
        );
        for (field, address) in [
            ("registeredAddress", &self.registered_address),
            ("physicalAddress", &self.physical_address),
        ] {
            if let Some(address) = address {
                check_address(&mut p, &at(prefix, field), address);
            }
        }
        p.phone(
            &at(prefix, "telephoneNumber"),
            self.telephone_number.as_deref(),
        );
        p.email(&at(prefix, "emailAddress"), self.email_address.as_deref());
        if let Some(website) = &self.website_address {
            let ok = url::Url::parse(website)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                && website.len() <= TEXT_MAX;
            if !ok {
                p.add(
                    at(prefix, "websiteAddress"),
                    "must be an http(s) URL, e.g. https://example.com",
                );
            }
        }
        p.country(
            &at(prefix, "countryOfIncorporation"),
            self.country_of_incorporation.as_deref(),
        );
        p.subdivision(
            &at(prefix, "stateOfIncorporation"),
            self.state_of_incorporation.as_deref(),
            self.country_of_incorporation.as_deref(),
        );
        p.optional_text(
            &at(prefix, "corporateEntityTypeDescription"),
            self.corporate_entity_type_description.as_deref(),
            TEXT_MAX,
        );
        if self.corporate_entity_type == Some(CorporateEntityType::Other)
            && self.corporate_entity_type_description.is_none()
        {
            p.add(
                at(prefix, "corporateEntityTypeDescription"),
                "is required when corporateEntityType is OTHER",
            );
        }
        p.past_date(&at(prefix, "establishedOn"), self.established_on, today);
        if let Some(naics) = &self.naics
            && (!(2..=6).contains(&naics.len()) || !naics.bytes().all(|b| b.is_ascii_digit()))
        {
            p.add(at(prefix, "naics"), "must be a NAICS code of 2 to 6 digits");
        }
        p.optional_text(
            &at(prefix, "naicsDescription"),
            self.naics_description.as_deref(),
            TEXT_MAX,
        );
        p.into_errors()
    }
}

impl PersonDetails {
    /// Every rule a person's details break on their own, under `prefix`. Ownership across
    /// all owners is [`check_total_ownership`]'s.
    pub fn check(&self, prefix: &str, today: NaiveDate) -> Vec<FieldError> {
        let mut p = Problems::new();
        if self.individual_type.is_empty() {
            p.add(at(prefix, "individualType"), "must name at least one role");
        }
        let owner = self
            .individual_type
            .contains(&IndividualType::BeneficialOwner);
        match self.ownership_basis_points {
            Some(_) if !owner => p.add(
                at(prefix, "percentageOwnership"),
                "is only for a BENEFICIAL_OWNER",
            ),
            Some(bp) if bp > 10_000 => p.add(
                at(prefix, "percentageOwnership"),
                "must be between 0 and 100",
            ),
            None if owner => p.add(
                at(prefix, "percentageOwnership"),
                "is required for a BENEFICIAL_OWNER",
            ),
            _ => {}
        }
        p.optional_text(&at(prefix, "title"), self.title.as_deref(), NAME_MAX);
        check_person(&mut p, prefix, &self.personal(), today);
        p.into_errors()
    }

    /// Roles, sorted and without repeats (stored as a set).
    pub fn normalise(mut self) -> Self {
        self.individual_type.sort();
        self.individual_type.dedup();
        self
    }
}

/// The owners of one corporation hold at most 100% together (ours).
pub fn check_total_ownership(
    field: &str,
    basis_points: impl IntoIterator<Item = u32>,
) -> Vec<FieldError> {
    let total: u64 = basis_points.into_iter().map(u64::from).sum();
    if total > 10_000 {
        vec![FieldError {
            field: field.to_owned(),
            message: format!(
                "the beneficial owners would hold {}.{:02}% together; at most 100% is possible",
                total / 100,
                total % 100
            ),
        }]
    } else {
        Vec::new()
    }
}

/// A percentage with at most two decimals (e.g. 12.5) as basis points, or `None` when it has
/// more precision than that or is out of range.
pub fn percentage_to_basis_points(percentage: f64) -> Option<u32> {
    if !percentage.is_finite() || !(0.0..=100.0).contains(&percentage) {
        return None;
    }
    let scaled = percentage * 100.0;
    let rounded = scaled.round();
    ((scaled - rounded).abs() < 1e-6).then_some(rounded as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn sensitive_values_show_only_their_last_four() {
        assert_eq!(Sensitive::new("123-45-6789").masked(), "****6789");
        assert_eq!(Sensitive::new("123").masked(), "****");
        assert_eq!(
            format!("{:?}", Sensitive::new("123-45-6789")),
            "Sensitive(<redacted>)"
        );
    }

    #[test]
    fn an_individual_reports_every_problem_at_once() {
        let details = IndividualDetails {
            first_name: " ".into(),
            last_name: "Hartley".into(),
            email_address: Some("nope".into()),
            telephone_number: Some("555".into()),
            nationality: Some("XX".into()),
            date_of_birth: NaiveDate::from_ymd_opt(2015, 1, 1),
            employment_status: Some(EmploymentStatus::Other),
            mailing_address: Some(Address {
                unit_number: None,
                address_line1: "1 Main St".into(),
                address_line2: None,
                address_line3: None,
                city: "".into(),
                state: Some("ZZ".into()),
                postal_code: None,
                country_code: "US".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            fields(details.check("individual", today())),
            [
                "individual.firstName",
                "individual.emailAddress",
                "individual.telephoneNumber",
                "individual.mailingAddress.city",
                "individual.mailingAddress.state",
                "individual.nationality",
                "individual.dateOfBirth",
                "individual.employmentDescription",
            ]
        );
    }

    #[test]
    fn a_corporation_of_type_other_needs_a_description() {
        let details = CorporationDetails {
            registered_name: "Northwind Robotics, Inc.".into(),
            corporate_entity_type: Some(CorporateEntityType::Other),
            website_address: Some("ftp://northwind".into()),
            naics: Some("54A".into()),
            state_of_incorporation: Some("DE".into()),
            country_of_incorporation: Some("US".into()),
            established_on: NaiveDate::from_ymd_opt(2030, 1, 1),
            ..Default::default()
        };
        assert_eq!(
            fields(details.check("", today())),
            [
                "websiteAddress",
                "corporateEntityTypeDescription",
                "establishedOn",
                "naics"
            ]
        );
    }

    #[test]
    fn ownership_belongs_to_owners_and_sums_to_at_most_100() {
        let owner = |bp| PersonDetails {
            individual_type: vec![IndividualType::BeneficialOwner],
            ownership_basis_points: bp,
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            ..Default::default()
        };
        assert!(owner(Some(5_000)).check("", today()).is_empty());
        assert_eq!(
            fields(owner(None).check("", today())),
            ["percentageOwnership"]
        );
        assert_eq!(
            fields(owner(Some(10_001)).check("", today())),
            ["percentageOwnership"]
        );
        let officer = PersonDetails {
            individual_type: vec![IndividualType::Officer],
            ..owner(Some(100))
        };
        assert_eq!(fields(officer.check("", today())), ["percentageOwnership"]);
        let nobody = PersonDetails {
            individual_type: vec![],
            ..owner(Some(100))
        };
        assert_eq!(
            fields(nobody.check("", today())),
            ["individualType", "percentageOwnership"]
        );
        assert!(check_total_ownership("x", [6_000, 4_000]).is_empty());
        assert_eq!(fields(check_total_ownership("x", [6_000, 4_001])), ["x"]);
    }

    #[test]
    fn percentages_take_two_decimals_at_most() {
        assert_eq!(percentage_to_basis_points(12.5), Some(1_250));
        assert_eq!(percentage_to_basis_points(33.33), Some(3_333));
        assert_eq!(percentage_to_basis_points(100.0), Some(10_000));
        assert_eq!(percentage_to_basis_points(33.333), None);
        assert_eq!(percentage_to_basis_points(-1.0), None);
        assert_eq!(percentage_to_basis_points(f64::NAN), None);
    }
}

//! Payors: people or companies who pay a customer (no KYC). Their required fields, checked
//! whole so that every problem is reported at once.

use crate::domain::validation::{FieldError, Problems};

/// A payor's details as the client gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayorDetails {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    pub state: Option<String>,
    pub country_code: String,
}

impl PayorDetails {
    /// The API names of the fields whose values differ between `self` and `other`.
    pub fn changed_fields(&self, other: &Self) -> Vec<String> {
        let pairs = [
            ("firstName", &self.first_name, &other.first_name),
            ("middleName", &self.middle_name, &other.middle_name),
            ("lastName", &self.last_name, &other.last_name),
            ("companyName", &self.company_name, &other.company_name),
            ("emailAddress", &self.email_address, &other.email_address),
            ("phoneNumber", &self.phone_number, &other.phone_number),
            ("state", &self.state, &other.state),
        ];
        let mut changed: Vec<String> = pairs
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(name, _, _)| (*name).to_owned())
            .collect();
        if self.country_code != other.country_code {
            changed.push("countryCode".into());
        }
        changed
    }

    /// Whether this payor is a company (it has a company name) rather than a person.
    pub fn is_company(&self) -> bool {
        self.company_name.is_some()
    }

    /// Every broken rule, with field names under `prefix` (e.g. `input.lastName`).
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut p = Problems::new();
        let field = |name: &str| format!("{prefix}{name}");
        if self.is_company() {
            p.optional_text(&field("companyName"), self.company_name.as_deref(), 200);
            p.optional_text(&field("firstName"), self.first_name.as_deref(), 100);
            p.optional_text(&field("lastName"), self.last_name.as_deref(), 100);
        } else {
            for (name, value) in [
                ("firstName", &self.first_name),
                ("lastName", &self.last_name),
            ] {
                match value {
                    Some(value) => p.required_text(&field(name), value, 100),
                    None => p.add(
                        field(name),
                        "is required for a person (give companyName for a company)",
                    ),
                }
            }
        }
        p.optional_text(&field("middleName"), self.middle_name.as_deref(), 100);
        p.email(&field("emailAddress"), self.email_address.as_deref());
        p.phone(&field("phoneNumber"), self.phone_number.as_deref());
        p.country(&field("countryCode"), Some(&self.country_code));
        p.subdivision(
            &field("state"),
            self.state.as_deref(),
            Some(&self.country_code),
        );
        p.into_errors()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(details: &PayorDetails) -> Vec<String> {
        details
            .problems("input.")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_person_needs_both_names_and_a_company_its_name() {
        let person = PayorDetails {
            country_code: "US".into(),
            ..Default::default()
        };
        assert_eq!(fields(&person), ["input.firstName", "input.lastName"]);
        let company = PayorDetails {
            company_name: Some("Acme Corp".into()),
            country_code: "US".into(),
            ..Default::default()
        };
        assert!(fields(&company).is_empty());
    }

    #[test]
    fn country_and_state_must_be_real_and_agree() {
        let payor = PayorDetails {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            state: Some("ZZ".into()),
            country_code: "XX".into(),
            ..Default::default()
        };
        let found = fields(&payor);
        assert!(found.contains(&"input.countryCode".to_owned()), "{found:?}");
        let in_ny = PayorDetails {
            state: Some("NY".into()),
            country_code: "US".into(),
            ..payor
        };
        assert!(fields(&in_ny).is_empty());
    }
}

//! Input types for customers: full details (create) and patches (update), where an absent
//! field stays as it is, `null` clears an optional field, and required fields cannot be cleared.

use async_graphql::{Enum, InputObject, MaybeUndefined};
use chrono::NaiveDate;

use crate::domain::account::ProductId;
use crate::domain::customer::{
    Address, CorporateEntityType, CorporationDetails, EmploymentStatus, IndividualDetails,
    IndividualType, PersonDetails, Sensitive, UsResidencyStatus, percentage_to_basis_points,
};
use crate::domain::validation::FieldError;

/// The details of an individual customer.
#[derive(InputObject, Clone)]
pub struct IndividualDetailsInput {
    /// Given name.
    pub first_name: String,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email_address: Option<String>,
    /// Telephone number in E.164 form, e.g. +14155550123.
    pub telephone_number: Option<String>,
    /// Postal address.
    pub mailing_address: Option<Address>,
    /// Tax reference (e.g. SSN).
    pub tax_reference_number: Option<String>,
    /// Passport number.
    pub passport_number: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// Date of birth (the person must be at least 18).
    pub date_of_birth: Option<NaiveDate>,
    /// Residency status for US tax purposes.
    pub us_residency_status: Option<UsResidencyStatus>,
    /// Employment status.
    pub employment_status: Option<EmploymentStatus>,
    /// What the person does; required when employmentStatus is OTHER.
    pub employment_description: Option<String>,
    /// Employer's name.
    pub employer_name: Option<String>,
    /// Occupation.
    pub occupation: Option<String>,
}

impl From<IndividualDetailsInput> for IndividualDetails {
    fn from(i: IndividualDetailsInput) -> Self {
        Self {
            first_name: i.first_name,
            middle_name: i.middle_name,
            last_name: i.last_name,
            email_address: i.email_address,
            telephone_number: i.telephone_number,
            mailing_address: i.mailing_address,
            tax_reference_number: i.tax_reference_number.map(Sensitive::new),
            passport_number: i.passport_number.map(Sensitive::new),
            nationality: i.nationality,
            date_of_birth: i.date_of_birth,
            us_residency_status: i.us_residency_status,
            employment_status: i.employment_status,
            employment_description: i.employment_description,
            employer_name: i.employer_name,
            occupation: i.occupation,
        }
    }
}

/// The details of a corporate customer.
#[derive(InputObject, Clone)]
pub struct CorporationDetailsInput {
    /// The legal name, as registered.
    pub registered_name: String,
    /// The name it trades under.
    pub trading_name: Option<String>,
    /// Registration (company) number.
    pub registered_number: Option<String>,
    /// Registered office address.
    pub registered_address: Option<Address>,
    /// Where it operates from.
    pub physical_address: Option<Address>,
    /// Telephone number in E.164 form.
    pub telephone_number: Option<String>,
    /// Email address.
    pub email_address: Option<String>,
    /// Website URL (http or https).
    pub website_address: Option<String>,
    /// Subdivision of incorporation (ISO 3166-2 subdivision part, e.g. DE).
    pub state_of_incorporation: Option<String>,
    /// Country of incorporation (ISO 3166-1 alpha-2).
    pub country_of_incorporation: Option<String>,
    /// Legal form.
    pub corporate_entity_type: Option<CorporateEntityType>,
    /// The legal form in words; required when corporateEntityType is OTHER.
    pub corporate_entity_type_description: Option<String>,
    /// Date of establishment.
    pub established_on: Option<NaiveDate>,
    /// NAICS industry code (2 to 6 digits).
    pub naics: Option<String>,
    /// NAICS industry description.
    pub naics_description: Option<String>,
}

impl From<CorporationDetailsInput> for CorporationDetails {
    fn from(c: CorporationDetailsInput) -> Self {
        Self {
            registered_name: c.registered_name,
            trading_name: c.trading_name,
            registered_number: c.registered_number,
            registered_address: c.registered_address,
            physical_address: c.physical_address,
            telephone_number: c.telephone_number,
            email_address: c.email_address,
            website_address: c.website_address,
            state_of_incorporation: c.state_of_incorporation,
            country_of_incorporation: c.country_of_incorporation,
            corporate_entity_type: c.corporate_entity_type,
            corporate_entity_type_description: c.corporate_entity_type_description,
            established_on: c.established_on,
            naics: c.naics,
            naics_description: c.naics_description,
        }
    }
}

/// The account to open with a new customer: its default account.
#[derive(InputObject, Clone)]
pub struct AccountToOpenInput {
    /// The client's own id for the account, unique within the client.
    pub account_id: String,
    /// The kind of account.
    pub product_id: ProductId,
    /// The asset the account holds, e.g. FIAT_MAINNET_USD.
    pub asset_type_id: String,
}

/// A new customer, created directly (regulated clients in PRODUCTION only).
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// The client's own id for the customer, unique within the client.
    pub customer_id: String,
    /// The details of an individual; give this or `corporation`.
    pub individual: Option<IndividualDetailsInput>,
    /// The details of a corporation; give this or `individual`.
    pub corporation: Option<CorporationDetailsInput>,
    /// Whether the customer is an accredited investor (default false).
    pub accredited_investor: Option<bool>,
    /// The customer's default account, opened with it.
    pub account_to_open: AccountToOpenInput,
}

/// Applies one optional field of a patch: absent keeps, null clears, a value sets.
fn patch<T>(target: &mut Option<T>, change: MaybeUndefined<T>) {
    match change {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *target = None,
        MaybeUndefined::Value(value) => *target = Some(value),
    }
}

/// Applies a required field of a patch: absent keeps, a value sets, null is an error.
fn patch_required<T>(
    target: &mut T,
    change: MaybeUndefined<T>,
    field: &str,
    errors: &mut Vec<FieldError>,
) {
    match change {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => errors.push(FieldError {
            field: field.to_owned(),
            message: "is required and cannot be cleared".to_owned(),
        }),
        MaybeUndefined::Value(value) => *target = value,
    }
}

/// Generates a patch input type: every field optional, `null` meaning "clear".
macro_rules! patch_input {
    (
        $(#[$meta:meta])* $name:ident for $target:ty, prefix $prefix:literal {
            required { $($(#[$rdoc:meta])* $rfield:ident : $rty:ty),* $(,)? }
            optional { $($(#[$odoc:meta])* $ofield:ident : $oty:ty),* $(,)? }
            sensitive { $($(#[$sdoc:meta])* $sfield:ident),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(InputObject, Clone, Default)]
        pub struct $name {
            $($(#[$rdoc])* pub $rfield: MaybeUndefined<$rty>,)*
            $($(#[$odoc])* pub $ofield: MaybeUndefined<$oty>,)*
            $($(#[$sdoc])* pub $sfield: MaybeUndefined<String>,)*
        }

        impl $name {
            /// Applies the patch; the names of the fields whose value it changed, or the
            /// required fields it tried to clear.
            pub fn apply(self, target: &mut $target) -> Result<Vec<String>, Vec<FieldError>> {
                let mut errors = Vec::new();
                let mut changed = Vec::new();
                $(
                    let before = target.$rfield.clone();
                    patch_required(&mut target.$rfield, self.$rfield, &format!("{}.{}", $prefix, camel(stringify!($rfield))), &mut errors);
                    if target.$rfield != before {
                        changed.push(format!("{}.{}", $prefix, camel(stringify!($rfield))));
                    }
                )*
                $(
                    let before = target.$ofield.clone();
                    patch(&mut target.$ofield, self.$ofield);
                    if target.$ofield != before {
                        changed.push(format!("{}.{}", $prefix, camel(stringify!($ofield))));
                    }
                )*
                $(
                    let before = target.$sfield.clone();
                    patch(&mut target.$sfield, self.$sfield.map_value(Sensitive::new));
                    if target.$sfield != before {
                        changed.push(format!("{}.{}", $prefix, camel(stringify!($sfield))));
                    }
                )*
                if errors.is_empty() { Ok(changed) } else { Err(errors) }
            }
        }
    };
}

/// `snake_case` to `camelCase`, for field paths in errors and the change log.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

patch_input! {
    /// Changes to an individual customer's details: only the fields given change; `null`
    /// clears an optional field.
    IndividualDetailsPatch for IndividualDetails, prefix "individual" {
        required {
            /// Given name (cannot be cleared).
            first_name: String,
            /// Family name (cannot be cleared).
            last_name: String,
        }
        optional {
            /// Middle name(s).
            middle_name: String,
            /// Email address.
            email_address: String,
            /// Telephone number in E.164 form.
            telephone_number: String,
            /// Postal address (replaced whole).
            mailing_address: Address,
            /// Nationality (ISO 3166-1 alpha-2).
            nationality: String,
            /// Date of birth.
            date_of_birth: NaiveDate,
            /// Residency status for US tax purposes.
            us_residency_status: UsResidencyStatus,
            /// Employment status.
            employment_status: EmploymentStatus,
            /// What the person does.
            employment_description: String,
            /// Employer's name.
            employer_name: String,
            /// Occupation.
            occupation: String,
        }
        sensitive {
            /// Tax reference (e.g. SSN).
            tax_reference_number,
            /// Passport number.
            passport_number,
        }
    }
}

patch_input! {
    /// Changes to a corporate customer's details: only the fields given change; `null`
    /// clears an optional field.
    CorporationDetailsPatch for CorporationDetails, prefix "corporation" {
        required {
            /// The legal name (cannot be cleared).
            registered_name: String,
        }
        optional {
            /// The name it trades under.
            trading_name: String,
            /// Registration (company) number.
            registered_number: String,
            /// Registered office address (replaced whole).
            registered_address: Address,
            /// Where it operates from (replaced whole).
            physical_address: Address,
            /// Telephone number in E.164 form.
            telephone_number: String,
            /// Email address.
            email_address: String,
            /// Website URL.
            website_address: String,
            /// Subdivision of incorporation.
            state_of_incorporation: String,
            /// Country of incorporation.
            country_of_incorporation: String,
            /// Legal form.
            corporate_entity_type: CorporateEntityType,
            /// The legal form in words.
            corporate_entity_type_description: String,
            /// Date of establishment.
            established_on: NaiveDate,
            /// NAICS industry code.
            naics: String,
            /// NAICS industry description.
            naics_description: String,
        }
        sensitive {}
    }
}

/// Changes to a customer: only what is given changes.
#[derive(InputObject, Default)]
pub struct UpdateCustomerInput {
    /// Changes to an individual's details (individual customers only).
    pub individual: Option<IndividualDetailsPatch>,
    /// Changes to a corporation's details (corporate customers only).
    pub corporation: Option<CorporationDetailsPatch>,
    /// Whether the customer is an accredited investor.
    pub accredited_investor: Option<bool>,
}

/// A person to attach to a corporate customer.
#[derive(InputObject, Clone)]
pub struct CustomerIndividualInput {
    /// The person's roles (at least one).
    pub individual_type: Vec<IndividualType>,
    /// Job title, e.g. CEO.
    pub title: Option<String>,
    /// Percentage owned, 0 to 100 with at most two decimals; only for a BENEFICIAL_OWNER.
    pub percentage_ownership: Option<f64>,
    /// Given name.
    pub first_name: String,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email_address: Option<String>,
    /// Telephone number in E.164 form.
    pub telephone_number: Option<String>,
    /// Postal address.
    pub mailing_address: Option<Address>,
    /// Tax reference.
    pub tax_reference_number: Option<String>,
    /// Passport number.
    pub passport_number: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// Date of birth (at least 18 years ago).
    pub date_of_birth: Option<NaiveDate>,
    /// Residency status for US tax purposes.
    pub us_residency_status: Option<UsResidencyStatus>,
}

/// Converts a percentage input to basis points, or the error for `field`.
pub fn basis_points(percentage: Option<f64>, field: &str) -> Result<Option<u32>, FieldError> {
    percentage
        .map(|p| {
            percentage_to_basis_points(p).ok_or_else(|| FieldError {
                field: field.to_owned(),
                message: "must be between 0 and 100 with at most two decimals".to_owned(),
            })
        })
        .transpose()
}

impl CustomerIndividualInput {
    /// The person's details, and the error of a percentage that cannot be represented (the
    /// person's other rules are checked with the rest).
    pub fn into_details(self) -> (PersonDetails, Vec<FieldError>) {
        let (ownership, errors) =
            match basis_points(self.percentage_ownership, "input.percentageOwnership") {
                Ok(bp) => (bp, Vec::new()),
                Err(error) => (None, vec![error]),
            };
        let details = PersonDetails {
            individual_type: self.individual_type,
            title: self.title,
            ownership_basis_points: ownership,
            first_name: self.first_name,
            middle_name: self.middle_name,
            last_name: self.last_name,
            email_address: self.email_address,
            telephone_number: self.telephone_number,
            mailing_address: self.mailing_address,
            tax_reference_number: self.tax_reference_number.map(Sensitive::new),
            passport_number: self.passport_number.map(Sensitive::new),
            nationality: self.nationality,
            date_of_birth: self.date_of_birth,
            us_residency_status: self.us_residency_status,
        }
        .normalise();
        (details, errors)
    }
}

/// Changes to a person of a corporate customer: only the fields given change.
#[derive(InputObject, Clone, Default)]
pub struct CustomerIndividualPatch {
    /// The person's roles (replaced whole; at least one).
    pub individual_type: MaybeUndefined<Vec<IndividualType>>,
    /// Job title.
    pub title: MaybeUndefined<String>,
    /// Percentage owned; only for a BENEFICIAL_OWNER.
    pub percentage_ownership: MaybeUndefined<f64>,
    /// Given name (cannot be cleared).
    pub first_name: MaybeUndefined<String>,
    /// Middle name(s).
    pub middle_name: MaybeUndefined<String>,
    /// Family name (cannot be cleared).
    pub last_name: MaybeUndefined<String>,
    /// Email address.
    pub email_address: MaybeUndefined<String>,
    /// Telephone number in E.164 form.
    pub telephone_number: MaybeUndefined<String>,
    /// Postal address (replaced whole).
    pub mailing_address: MaybeUndefined<Address>,
    /// Tax reference.
    pub tax_reference_number: MaybeUndefined<String>,
    /// Passport number.
    pub passport_number: MaybeUndefined<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: MaybeUndefined<String>,
    /// Date of birth.
    pub date_of_birth: MaybeUndefined<NaiveDate>,
    /// Residency status for US tax purposes.
    pub us_residency_status: MaybeUndefined<UsResidencyStatus>,
}

impl CustomerIndividualPatch {
    /// Applies the patch to a person's details; the errors of fields it cannot apply.
    pub fn apply(self, target: &mut PersonDetails) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        patch_required(
            &mut target.individual_type,
            self.individual_type,
            "individualType",
            &mut errors,
        );
        patch_required(
            &mut target.first_name,
            self.first_name,
            "firstName",
            &mut errors,
        );
        patch_required(
            &mut target.last_name,
            self.last_name,
            "lastName",
            &mut errors,
        );
        patch(&mut target.title, self.title);
        match self.percentage_ownership {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => target.ownership_basis_points = None,
            MaybeUndefined::Value(p) => match basis_points(Some(p), "input.percentageOwnership") {
                Ok(bp) => target.ownership_basis_points = bp,
                Err(error) => errors.push(error),
            },
        }
        patch(&mut target.middle_name, self.middle_name);
        patch(&mut target.email_address, self.email_address);
        patch(&mut target.telephone_number, self.telephone_number);
        patch(&mut target.mailing_address, self.mailing_address);
        patch(
            &mut target.tax_reference_number,
            self.tax_reference_number.map_value(Sensitive::new),
        );
        patch(
            &mut target.passport_number,
            self.passport_number.map_value(Sensitive::new),
        );
        patch(&mut target.nationality, self.nationality);
        patch(&mut target.date_of_birth, self.date_of_birth);
        patch(&mut target.us_residency_status, self.us_residency_status);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Which customers to list; every field is optional and they combine with AND.
#[derive(InputObject, Default)]
pub struct CustomerFilterInput {
    /// Only customers of this type.
    pub customer_type: Option<crate::domain::customer::CustomerType>,
    /// Only customers in one of these statuses.
    pub status: Option<Vec<crate::domain::status::CustomerStatus>>,
    /// Only accredited investors (true) or only others (false).
    pub accredited_investor: Option<bool>,
    /// Only customers created at or after this time.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only customers created before this time.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Only customers whose names or customerId contain this text (case-insensitive).
    pub search: Option<String>,
}

/// What to order customers by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerOrderField {
    /// Creation time (the default).
    #[default]
    CreatedAt,
    /// The client's customerId.
    CustomerId,
}

/// Which way to order.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest or oldest first (the default).
    #[default]
    Asc,
    /// Largest or newest first.
    Desc,
}

/// How to order a customer list.
#[derive(InputObject, Clone, Copy, Default)]
pub struct CustomerOrderInput {
    /// The field to order by.
    #[graphql(default)]
    pub field: CustomerOrderField,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_absent_fields_clears_nulls_and_refuses_clearing_required_ones() {
        let mut details = IndividualDetails {
            first_name: "Amelia".into(),
            last_name: "Hartley".into(),
            middle_name: Some("Rose".into()),
            occupation: Some("Designer".into()),
            ..Default::default()
        };
        let patch = IndividualDetailsPatch {
            middle_name: MaybeUndefined::Null,
            occupation: MaybeUndefined::Value("Architect".into()),
            ..Default::default()
        };
        let changed = patch.apply(&mut details).unwrap();
        assert_eq!(changed, ["individual.middleName", "individual.occupation"]);
        assert_eq!(details.middle_name, None);
        assert_eq!(details.occupation.as_deref(), Some("Architect"));
        assert_eq!(details.first_name, "Amelia");

        let clear_required = IndividualDetailsPatch {
            last_name: MaybeUndefined::Null,
            ..Default::default()
        };
        let errors = clear_required.apply(&mut details).unwrap_err();
        assert_eq!(errors[0].field, "individual.lastName");
    }

    #[test]
    fn camel_case_paths() {
        assert_eq!(
            camel("corporate_entity_type_description"),
            "corporateEntityTypeDescription"
        );
        assert_eq!(camel("address_line1"), "addressLine1");
    }
}

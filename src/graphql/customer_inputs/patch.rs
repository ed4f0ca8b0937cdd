//! Patch inputs: an absent field stays as it is, `null` clears an optional field, and a
//! required field cannot be cleared. Each patch reports the fields whose value it changed.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::NaiveDate;

use crate::domain::customer::{
    CorporateEntityType, CorporationDetails, EmploymentStatus, IndividualDetails, IndividualType,
    PersonDetails, Sensitive, UsResidencyStatus,
};
use crate::domain::validation::FieldError;
use crate::graphql::types::address::Address;

use super::basis_points;

/// Applies one optional field of a patch: absent keeps, null clears, a value sets (converted
/// from its input form, e.g. an `AddressInput`).
fn patch<T, U: Into<T>>(target: &mut Option<T>, change: MaybeUndefined<U>) {
    match change {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *target = None,
        MaybeUndefined::Value(value) => *target = Some(value.into()),
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

//! The reviewer's change requests on fields: which field names exist (in the API's names),
//! and when an edit answers a request (the field's value changed).

use serde_json::Value;

use super::{CustomerDraft, Draft};
use crate::domain::ids::ApplicationIndividualId;

/// The JSON view of the fields a change request can name, in the API's names.
fn fields_view(draft: &Draft, who: Option<ApplicationIndividualId>) -> Option<Value> {
    let mut view = match who {
        None => match &draft.customer {
            CustomerDraft::Individual(d) => serde_json::to_value(d).ok()?,
            CustomerDraft::Corporation(d) => serde_json::to_value(d).ok()?,
        },
        Some(id) => {
            let person = draft.person(id)?;
            let mut v = serde_json::to_value(&person.details).ok()?;
            if let Value::Object(map) = &mut v {
                // Stored in basis points; the API calls it percentageOwnership.
                if let Some(bp) = map.remove("ownershipBasisPoints") {
                    map.insert("percentageOwnership".into(), bp);
                }
            }
            v
        }
    };
    if let (None, Value::Object(map)) = (who, &mut view) {
        map.insert(
            "accountToOpen".into(),
            draft
                .account_to_open
                .as_ref()
                .map(|a| {
                    serde_json::json!({
                        "accountId": a.account_id,
                        "productId": a.product_id,
                        "assetTypeId": a.asset_type_id,
                    })
                })
                .unwrap_or(Value::Null),
        );
        map.insert(
            "termsAndConditionsAccepted".into(),
            Value::Bool(draft.terms_and_conditions_accepted),
        );
    }
    Some(view)
}

fn at_path<'v>(view: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(view, |v, key| match v {
        Value::Object(map) => Some(map.get(key).unwrap_or(&Value::Null)),
        _ => Some(&Value::Null),
    })
}

const ADDRESS_FIELDS: &[&str] = &[
    "unitNumber",
    "addressLine1",
    "addressLine2",
    "addressLine3",
    "city",
    "state",
    "postalCode",
    "countryCode",
];

/// Whether `field_name` names a field of the application (or of the person `who`) that a
/// reviewer can ask to change.
pub fn is_known_field(
    draft: &Draft,
    who: Option<ApplicationIndividualId>,
    field_name: &str,
) -> bool {
    let Some(Value::Object(map)) = fields_view(draft, who) else {
        return false;
    };
    let mut parts = field_name.split('.');
    let (Some(first), second, None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let address =
        first.ends_with("Address") && first != "emailAddress" && first != "websiteAddress";
    match second {
        None => map.contains_key(first),
        Some(sub) if address => map.contains_key(first) && ADDRESS_FIELDS.contains(&sub),
        Some(sub) if first == "accountToOpen" => {
            ["accountId", "productId", "assetTypeId"].contains(&sub)
        }
        Some(_) => false,
    }
}

/// Drops the change requests whose field the edit from `before` to `after` changed: the
/// reviewer's request is answered by a new value. Requests on removed people go with them.
pub fn clear_answered(before: &Draft, after: &mut Draft) {
    let mut requests = std::mem::take(&mut after.change_requests);
    requests.retain(|r| {
        if let Some(id) = r.individual_id
            && after.person(id).is_none()
        {
            return false;
        }
        let old = fields_view(before, r.individual_id);
        let new = fields_view(after, r.individual_id);
        match (old, new) {
            (Some(old), Some(new)) => at_path(&old, &r.field_name) == at_path(&new, &r.field_name),
            _ => false,
        }
    });
    after.change_requests = requests;
}

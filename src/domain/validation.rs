//! Field-level input rules shared by every input that carries them: lengths, E.164 phones,
//! emails, ISO 3166 codes, dates. Each check appends to a list so that all problems of one
//! input are reported together.

use chrono::{Datelike, NaiveDate};

/// One broken rule, at a dotted path into the input (e.g. `mailingAddress.countryCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects field errors under a path prefix.
#[derive(Debug, Default)]
pub struct Problems {
    errors: Vec<FieldError>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.errors.extend(errors);
    }

    /// `Ok` when nothing was found, else every error.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// A required text: present after trimming, at most `max` characters.
    pub fn required_text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "is required");
        } else {
            self.text(field, value, max);
        }
    }

    /// An optional text: when present, not blank and at most `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            if value.trim().is_empty() {
                self.add(field, "must not be blank (send null to leave it empty)");
            } else {
                self.text(field, value, max);
            }
        }
    }

    fn text(&mut self, field: &str, value: &str, max: usize) {
        let length = value.chars().count();
        if length > max {
            self.add(
                field,
                format!("must be at most {max} characters (got {length})"),
            );
        }
        if value.chars().any(|c| c.is_control()) {
            self.add(field, "must not contain control characters");
        }
    }

    /// An E.164 telephone number: `+`, country code, subscriber number; 7 to 15 digits.
    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        let digits = value.strip_prefix('+').unwrap_or("");
        let valid = digits.len() >= 7
            && digits.len() <= 15
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            self.add(
                field,
                "must be an E.164 telephone number, e.g. +14155550123",
            );
        }
    }

    /// An email address (RFC 5322 syntax, with a dotted domain).
    pub fn email(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        let dotted = value
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.'));
        if value.len() > 254 || !dotted || !email_address::EmailAddress::is_valid(value) {
            self.add(field, "must be a valid email address");
        }
    }

    /// An ISO 3166-1 alpha-2 country code (upper case).
    pub fn country(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if !is_country(value) {
            self.add(field, "must be an ISO 3166-1 alpha-2 country code, e.g. US");
        }
    }

    /// The subdivision part of an ISO 3166-2 code (e.g. `NY` for `US-NY`) of `country`.
    pub fn subdivision(&mut self, field: &str, value: Option<&str>, country: Option<&str>) {
        let Some(value) = value else { return };
        match country.filter(|c| is_country(c)) {
            Some(country) => {
                if rust_iso3166::iso3166_2::from_code(&format!("{country}-{value}")).is_none() {
                    self.add(
                        field,
                        format!(
                            "must be an ISO 3166-2 subdivision of {country}, e.g. NY for US-NY"
                        ),
                    );
                }
            }
            None => self.add(field, "needs a valid country code beside it to be checked"),
        }
    }

    /// A date that is not in the future, nor before 1800 (no plausible record is older).
    pub fn past_date(&mut self, field: &str, value: Option<NaiveDate>, today: NaiveDate) {
        if value.is_some_and(|date| date > today) {
            self.add(field, "must not be in the future");
        } else if value.is_some_and(|date| date.year() < 1800) {
            self.add(field, "must not be before 1800");
        }
    }

    /// A date of birth: not in the future, and at least `min_age` years ago.
    pub fn birth_date(
        &mut self,
        field: &str,
        value: Option<NaiveDate>,
        today: NaiveDate,
        min_age: u32,
    ) {
        let Some(born) = value else { return };
        if born > today {
            self.add(field, "must not be in the future");
        } else if age_on(born, today) < min_age {
            self.add(
                field,
                format!("the person must be at least {min_age} years old"),
            );
        } else if age_on(born, today) > 130 {
            self.add(field, "is not a plausible date of birth");
        }
    }
}

/// Whether a text follows the rules for a client's own identifiers (`customerId`,
/// `accountId`, `payorId`): 1 to 100 letters, digits, '-', '_', '.' or ':'.
pub fn is_external_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 100
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Checks a client's own identifier.
pub fn check_external_id(p: &mut Problems, field: &str, value: &str) {
    if !is_external_id(value) {
        p.add(
            field,
            "must be 1 to 100 characters of letters, digits, '-', '_', '.' or ':'",
        );
    }
}

fn is_country(value: &str) -> bool {
    value.len() == 2
        && value.bytes().all(|b| b.is_ascii_uppercase())
        && rust_iso3166::from_alpha2(value).is_some()
}

/// Whole years from `born` to `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(check: impl FnOnce(&mut Problems)) -> Vec<String> {
        let mut problems = Problems::new();
        check(&mut problems);
        problems
            .into_errors()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn phones_must_be_e164() {
        for good in ["+14155550123", "+442071838750", "+33123456789"] {
            assert!(errors(|p| p.phone("p", Some(good))).is_empty(), "{good}");
        }
        for bad in [
            "4155550123",
            "+0123456789",
            "+1 415 555 0123",
            "+1415",
            "+1234567890123456",
            "+1415555012a",
        ] {
            assert_eq!(errors(|p| p.phone("p", Some(bad))), ["p"], "{bad}");
        }
    }

    #[test]
    fn emails_must_be_addresses_with_a_dotted_domain() {
        assert!(errors(|p| p.email("e", Some("amelia.hartley@example.com"))).is_empty());
        for bad in [
            "amelia",
            "a@b",
            "a@@example.com",
            "a b@example.com",
            "@example.com",
        ] {
            assert_eq!(errors(|p| p.email("e", Some(bad))), ["e"], "{bad}");
        }
    }

    #[test]
    fn countries_and_subdivisions_are_iso_3166() {
        assert!(errors(|p| p.country("c", Some("US"))).is_empty());
        for bad in ["us", "USA", "XX", "U"] {
            assert_eq!(errors(|p| p.country("c", Some(bad))), ["c"], "{bad}");
        }
        assert!(errors(|p| p.subdivision("s", Some("NY"), Some("US"))).is_empty());
        assert!(errors(|p| p.subdivision("s", Some("BY"), Some("DE"))).is_empty());
        assert_eq!(
            errors(|p| p.subdivision("s", Some("ZZ"), Some("US"))),
            ["s"]
        );
        assert_eq!(errors(|p| p.subdivision("s", Some("NY"), None)), ["s"]);
    }

    #[test]
    fn birth_dates_need_an_adult_and_no_future() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert!(
            errors(|p| p.birth_date("d", date(2008, 11, 25), today, 18)).is_empty(),
            "18 today"
        );
        assert_eq!(
            errors(|p| p.birth_date("d", date(2008, 11, 26), today, 18)),
            ["d"],
            "18 tomorrow"
        );
        assert_eq!(
            errors(|p| p.birth_date("d", date(2027, 1, 1), today, 18)),
            ["d"]
        );
        assert_eq!(
            errors(|p| p.past_date("d", date(2026, 11, 26), today)),
            ["d"]
        );
    }

    #[test]
    fn texts_have_bounds_and_no_blanks() {
        assert_eq!(errors(|p| p.required_text("t", "  ", 10)), ["t"]);
        assert_eq!(errors(|p| p.required_text("t", "abcdefghijk", 10)), ["t"]);
        assert_eq!(errors(|p| p.optional_text("t", Some(""), 10)), ["t"]);
        assert_eq!(errors(|p| p.optional_text("t", Some("a\u{0}b"), 10)), ["t"]);
        assert!(errors(|p| p.optional_text("t", None, 10)).is_empty());
    }
}

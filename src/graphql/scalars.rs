//! Custom scalars. `Decimal` carries exact amounts as strings both ways: a JSON number could
//! have passed through floating point on the way, so it is refused.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An exact decimal number as a string, e.g. "1250.75"; never a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number written as a string, e.g. "1250.75" (a JSON number is refused:
/// it may have lost precision in floating point on its way).
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => {
                let plain = !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
                if !plain {
                    return Err(InputValueError::custom(
                        "a Decimal is digits with an optional '.', e.g. \"1250.75\"",
                    ));
                }
                rust_decimal::Decimal::from_str_exact(&text)
                    .map(Decimal)
                    .map_err(|_| InputValueError::custom("not an exact decimal within 28 digits"))
            }
            Value::Number(_) => Err(InputValueError::custom(
                "send a Decimal as a string, e.g. \"1250.75\", not as a JSON number",
            )),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_strings_both_ways() {
        let parsed = <Decimal as ScalarType>::parse(Value::String("1250.75".into())).unwrap();
        assert_eq!(parsed.to_value(), Value::String("1250.75".into()));
        let trailing = <Decimal as ScalarType>::parse(Value::String("10.50".into())).unwrap();
        assert_eq!(trailing.to_value(), Value::String("10.50".into()));
    }

    #[test]
    fn numbers_exponents_and_text_are_refused() {
        for bad in [
            Value::Number(serde_json::Number::from_f64(0.1).unwrap()),
            Value::Number(10.into()),
            Value::String("1e3".into()),
            Value::String("ten".into()),
            Value::String("".into()),
            Value::String(" 1".into()),
            Value::String("1.2.3".into()),
            Value::Boolean(true),
        ] {
            assert!(
                <Decimal as ScalarType>::parse(bad.clone()).is_err(),
                "{bad:?}"
            );
        }
    }
}

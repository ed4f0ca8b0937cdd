//! Exact amounts: an asset's amounts are integer minor units (cents for USD with 2 decimal
//! places, satoshis for BTC with 8), shown as decimal text. Never floating point.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Why an amount cannot be used for an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Zero or negative.
    NotPositive,
    /// More decimal places than the asset has.
    TooPrecise { decimals: u32 },
    /// Beyond what an account can hold.
    TooLarge,
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotPositive => f.write_str("must be greater than zero"),
            Self::TooPrecise { decimals } => {
                write!(f, "has more than the asset's {decimals} decimal places")
            }
            Self::TooLarge => f.write_str("is too large"),
        }
    }
}

/// The largest amount one movement may carry, in minor units (10^15: ten trillion dollars,
/// ten million bitcoin). Far below `i64::MAX`, so sums of amounts stay exact.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// The largest balance an account may reach, in minor units (10^18).
pub const MAX_BALANCE: i64 = 1_000_000_000_000_000_000;

/// The minor units of a positive amount of an asset with `decimals` places.
pub fn to_minor_units(value: Decimal, decimals: u32) -> Result<i64, AmountError> {
    if value <= Decimal::ZERO {
        return Err(AmountError::NotPositive);
    }
    // Trailing zeros (10.50 for a 2-place asset is 10.5) are not extra precision.
    if value.normalize().scale() > decimals {
        return Err(AmountError::TooPrecise { decimals });
    }
    let factor = Decimal::from_i128_with_scale(10_i128.pow(decimals), 0);
    value
        .checked_mul(factor)
        .and_then(|minor| minor.to_i64())
        .filter(|minor| *minor <= MAX_AMOUNT)
        .ok_or(AmountError::TooLarge)
}

/// The decimal form of `minor` units of an asset with `decimals` places, with all its
/// places (e.g. 1050 cents is 10.50).
pub fn from_minor_units(minor: i64, decimals: u32) -> Decimal {
    Decimal::new(minor, decimals)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn amounts_become_exact_minor_units() {
        assert_eq!(to_minor_units(d("10.5"), 2), Ok(1_050));
        assert_eq!(to_minor_units(d("10.50"), 2), Ok(1_050));
        assert_eq!(to_minor_units(d("0.01"), 2), Ok(1));
        assert_eq!(to_minor_units(d("0.00000001"), 8), Ok(1));
        assert_eq!(to_minor_units(d("1.234567"), 6), Ok(1_234_567));
        assert_eq!(to_minor_units(d("7"), 0), Ok(7));
    }

    #[test]
    fn zero_negative_too_precise_and_huge_amounts_are_refused() {
        assert_eq!(to_minor_units(d("0"), 2), Err(AmountError::NotPositive));
        assert_eq!(to_minor_units(d("0.00"), 2), Err(AmountError::NotPositive));
        assert_eq!(to_minor_units(d("-1"), 2), Err(AmountError::NotPositive));
        assert_eq!(
            to_minor_units(d("0.001"), 2),
            Err(AmountError::TooPrecise { decimals: 2 })
        );
        assert_eq!(
            to_minor_units(d("92233720368547758.08"), 2),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            to_minor_units(Decimal::from_str("10000000000000.00").unwrap(), 2),
            Ok(MAX_AMOUNT)
        );
        assert_eq!(
            to_minor_units(d("10000000000000.01"), 2),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn minor_units_show_every_place_of_the_asset() {
        assert_eq!(from_minor_units(1_050, 2).to_string(), "10.50");
        assert_eq!(from_minor_units(0, 2).to_string(), "0.00");
        assert_eq!(from_minor_units(1, 8).to_string(), "0.00000001");
        assert_eq!(
            from_minor_units(i64::MAX, 2).to_string(),
            "92233720368547758.07"
        );
    }
}

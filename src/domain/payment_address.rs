//! Payment addresses: where a payor sends money for a customer's PAYMENT_BASIC account. The
//! address's form follows the asset's chain; the lease terms follow the expected amount.

use chrono::{DateTime, Duration, Utc};

/// How long a lease with an expected amount lasts.
pub const LEASE_DAYS: i64 = 7;
/// How many payments a lease with an expected amount accepts (the amount may arrive in parts).
pub const LEASE_TRANSACTION_LIMIT: i64 = 10;

/// Why no address can be made for an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedChain(pub String);

/// A new address for an asset (`{CHAIN}_{NETWORK}_{CURRENCY}`) from 20 random bytes:
/// Ethereum chains get `0x` and 40 hex digits, Bitcoin testnet a bech32 (`tb1q…`) segwit v0
/// address, fiat a virtual account reference (`L2VA` and 20 digits).
pub fn wallet_address(asset_type_id: &str, random: [u8; 20]) -> Result<String, UnsupportedChain> {
    let chain = asset_type_id.split('_').next().unwrap_or_default();
    let network = asset_type_id.split('_').nth(1).unwrap_or_default();
    match (chain, network) {
        ("ETHEREUM", _) => {
            let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
            Ok(format!("0x{hex}"))
        }
        ("BITCOIN", "TESTNET") => bech32::segwit::encode_v0(bech32::hrp::TB, &random)
            .map_err(|_| UnsupportedChain(asset_type_id.to_owned())),
        ("FIAT", _) => {
            // 20 decimal digits from the first 8 bytes (enough for uniqueness; the column's
            // unique index has the last word).
            let mut number = [0u8; 8];
            number.copy_from_slice(&random[..8]);
            Ok(format!("L2VA{:020}", u64::from_be_bytes(number)))
        }
        _ => Err(UnsupportedChain(asset_type_id.to_owned())),
    }
}

/// The terms of an address: a fixed address without an expected amount; with one, a lease
/// that ends after [`LEASE_DAYS`], takes at most [`LEASE_TRANSACTION_LIMIT`] payments and at
/// most the amount in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub enforced: bool,
    pub end_date: Option<DateTime<Utc>>,
    pub transaction_limit: Option<i64>,
    pub value_limit: Option<i64>,
}

impl Lease {
    pub fn for_amount(expected: Option<i64>, now: DateTime<Utc>) -> Self {
        match expected {
            None => Self {
                enforced: false,
                end_date: None,
                transaction_limit: None,
                value_limit: None,
            },
            Some(amount) => Self {
                enforced: true,
                end_date: Some(now + Duration::days(LEASE_DAYS)),
                transaction_limit: Some(LEASE_TRANSACTION_LIMIT),
                value_limit: Some(amount),
            },
        }
    }
}

/// Why a payment through an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseRefusal {
    Ended,
    TransactionLimit,
    ValueLimit,
}

impl LeaseRefusal {
    /// The stable reason code (`extensions.reason`).
    pub fn reason_code(self) -> &'static str {
        match self {
            Self::Ended => "LEASE_ENDED",
            Self::TransactionLimit => "LEASE_TRANSACTION_LIMIT",
            Self::ValueLimit => "LEASE_VALUE_LIMIT",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Ended => "the payment address's lease has ended",
            Self::TransactionLimit => {
                "the payment address has taken all the payments its lease allows"
            }
            Self::ValueLimit => "the payment would exceed the payment address's value limit",
        }
    }
}

/// Whether a lease with `received` payments worth `received_value` takes one more of `amount`
/// at `now`.
pub fn check_lease(
    lease: &Lease,
    received: i64,
    received_value: i64,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<(), LeaseRefusal> {
    if lease.end_date.is_some_and(|end| now >= end) {
        return Err(LeaseRefusal::Ended);
    }
    if lease
        .transaction_limit
        .is_some_and(|limit| received >= limit)
    {
        return Err(LeaseRefusal::TransactionLimit);
    }
    if lease
        .value_limit
        .is_some_and(|limit| received_value.saturating_add(amount) > limit)
    {
        return Err(LeaseRefusal::ValueLimit);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_chain_gets_its_own_address_form() {
        let random = [0xab; 20];
        let eth = wallet_address("ETHEREUM_SEPOLIA_USDC", random).unwrap();
        assert_eq!(eth.len(), 42);
        assert!(eth.starts_with("0x") && eth[2..].chars().all(|c| c.is_ascii_hexdigit()));
        let btc = wallet_address("BITCOIN_TESTNET_BTC", random).unwrap();
        assert!(btc.starts_with("tb1q"), "{btc}");
        assert!(
            bech32::segwit::decode(&btc).is_ok(),
            "a valid bech32 checksum"
        );
        let fiat = wallet_address("FIAT_TESTNET_USD", random).unwrap();
        assert!(fiat.starts_with("L2VA") && fiat.len() == 24, "{fiat}");
        assert!(wallet_address("DOGE_MAINNET_DOGE", random).is_err());
    }

    #[test]
    fn a_lease_ends_and_caps_count_and_value() {
        let now = Utc::now();
        let lease = Lease::for_amount(Some(1000), now);
        assert_eq!(check_lease(&lease, 0, 0, 1000, now), Ok(()));
        assert_eq!(
            check_lease(&lease, 1, 600, 401, now),
            Err(LeaseRefusal::ValueLimit)
        );
        assert_eq!(
            check_lease(&lease, LEASE_TRANSACTION_LIMIT, 0, 1, now),
            Err(LeaseRefusal::TransactionLimit)
        );
        let later = now + Duration::days(LEASE_DAYS);
        assert_eq!(
            check_lease(&lease, 0, 0, 1, later),
            Err(LeaseRefusal::Ended)
        );
        let fixed = Lease::for_amount(None, now);
        assert_eq!(check_lease(&fixed, 1_000, i64::MAX - 1, 1, later), Ok(()));
    }
}

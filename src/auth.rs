//! Credentials to principal: the API key format, its hashing, minting, and the
//! `Authorization: Bearer` check that every GraphQL request passes before anything else runs.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::db::Database;
use crate::db::types::Timestamp;
use crate::domain::client::KeyRole;
use crate::domain::ids::{ApiKeyId, ClientId};
use crate::domain::tenancy::Principal;
use crate::store::{self, StoreError};

const KEY_TAG: &str = "l2_";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 40;

/// A whole API key as the caller sends it: `l2_<8-char id>_<40-char secret>`.
/// Its `Debug` shows only the prefix, so it cannot end up in a log by accident.
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.prefix())
    }
}

impl ApiKeySecret {
    /// A new random key (the OS-seeded CSPRNG behind `rand::rng`).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut part = |len: usize, lower: bool| -> String {
            (&mut rng)
                .sample_iter(Alphanumeric)
                .map(char::from)
                .map(|c| if lower { c.to_ascii_lowercase() } else { c })
                .take(len)
                .collect()
        };
        let prefix = part(PREFIX_LEN, true);
        let secret = part(SECRET_LEN, false);
        Self(format!("{KEY_TAG}{prefix}_{secret}"))
    }

    /// Accepts a token only in the exact key format; anything else is malformed.
    pub fn parse(token: &str) -> Option<Self> {
        let rest = token.strip_prefix(KEY_TAG)?;
        let (prefix, secret) = rest.split_once('_')?;
        let well_formed = prefix.len() == PREFIX_LEN
            && secret.len() == SECRET_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && secret.bytes().all(|b| b.is_ascii_alphanumeric());
        well_formed.then(|| Self(token.to_owned()))
    }

    /// The part that names the key in listings and logs: `l2_<8 chars>`.
    pub fn prefix(&self) -> &str {
        &self.0[..KEY_TAG.len() + PREFIX_LEN]
    }

    /// Hex SHA-256 of the whole key: what the database stores. Keys are 238 bits of
    /// randomness, so a fast hash is enough (no password stretching needed).
    pub fn hash(&self) -> String {
        use std::fmt::Write;
        let digest = Sha256::digest(self.0.as_bytes());
        let mut hex = String::with_capacity(2 * digest.len());
        for byte in digest {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    /// The key itself, to show once at creation.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form of this key for a client (`Some`) or the operator (`None`).
    pub fn to_record(
        &self,
        client_id: Option<ClientId>,
        label: Option<String>,
    ) -> store::api_keys::ApiKey {
        store::api_keys::ApiKey {
            id: ApiKeyId::new(),
            client_id,
            role: if client_id.is_some() {
                KeyRole::Client
            } else {
                KeyRole::Operator
            },
            prefix: self.prefix().to_owned(),
            secret_hash: self.hash(),
            label,
            created_at: Timestamp::now(),
            revoked_at: None,
        }
    }
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <key>` with a key in our format.
    Malformed,
    /// A well-formed key that is not ours, or has been revoked.
    Rejected,
    /// The key could not be checked: the database is unavailable.
    Unavailable,
}

impl AuthError {
    /// The message sent to the caller; it never says whether a key exists.
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "missing API key: send `Authorization: Bearer <api key>`",
            Self::Malformed => "malformed credentials: send `Authorization: Bearer <api key>`",
            Self::Rejected => "unknown or revoked API key",
            Self::Unavailable => "the service is temporarily unavailable; retry shortly",
        }
    }
}

/// Parses `Bearer <key>` (the scheme is case-insensitive, as RFC 7235 says).
pub fn parse_authorization(header: Option<&str>) -> Result<ApiKeySecret, AuthError> {
    let header = header.ok_or(AuthError::Missing)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    ApiKeySecret::parse(token.trim()).ok_or(AuthError::Malformed)
}

/// Resolves an `Authorization` header value to the principal it names.
/// Checks the `Authorization` header against the stored keys (one statement).
pub async fn authenticate(db: &Database, header: Option<&str>) -> Result<Principal, AuthError> {
    let key = parse_authorization(header)?;
    verify(db, &key.hash()).await
}

/// The principal of the key whose secret hashes to `secret_hash`, if it is live.
async fn verify(db: &Database, secret_hash: &str) -> Result<Principal, AuthError> {
    let mut pooled = db.read().await.map_err(|_| AuthError::Unavailable)?;
    let (record, client) = store::api_keys::find_by_hash(&mut pooled.conn(), secret_hash)
        .await
        .map_err(|error| {
            if !matches!(error, StoreError::Unavailable(_)) {
                tracing::error!(?error, "api key lookup failed");
            }
            AuthError::Unavailable
        })?
        .ok_or(AuthError::Rejected)?;
    if record.revoked_at.is_some() {
        return Err(AuthError::Rejected);
    }
    match (record.role, record.client_id, client) {
        (KeyRole::Client, Some(client_id), Some(client)) => {
            Ok(Principal::client(client_id, record.id, client.environment)
                .on_sandbox_clock(client.clock_offset_ms))
        }
        (KeyRole::Operator, None, _) => Ok(Principal::operator(record.id)),
        // The table's CHECK makes this impossible; refuse rather than guess.
        _ => Err(AuthError::Rejected),
    }
}

/// Keys verified in the last few seconds, so that a busy key costs no statement per
/// request. The trade-off: a key revoked on any replica (or by the CLI) keeps working on a
/// replica that verified it for at most the cache's lifetime (5 s by default,
/// `--key-cache-ms`; 0 turns the cache off). Unknown and revoked keys are never kept, so a
/// new key works at once. Entries are keyed by the secret's hash, never the secret.
pub struct KeyCache {
    keys: Option<moka::sync::Cache<String, Principal>>,
}

/// Most keys kept at once; the least recently used go first.
const CACHED_KEYS: u64 = 100_000;

impl KeyCache {
    /// A cache whose entries live `ttl` from when they were verified (none for zero).
    pub fn new(ttl: std::time::Duration) -> Self {
        let keys = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(CACHED_KEYS)
                .time_to_live(ttl)
                .build()
        });
        Self { keys }
    }

    /// [`authenticate`], answered from the cache while a verification is fresh.
    pub async fn authenticate(
        &self,
        db: &Database,
        header: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let key = parse_authorization(header)?;
        let hash = key.hash();
        let Some(keys) = &self.keys else {
            return verify(db, &hash).await;
        };
        if let Some(principal) = keys.get(&hash) {
            return Ok(principal);
        }
        let principal = verify(db, &hash).await?;
        keys.insert(hash, principal);
        Ok(principal)
    }

    /// Forgets every verified key (this replica's revocations take effect at once).
    pub fn clear(&self) {
        if let Some(keys) = &self.keys {
            keys.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_hash_stably() {
        let key = ApiKeySecret::generate();
        let parsed = ApiKeySecret::parse(key.expose()).expect("a generated key parses");
        assert_eq!(parsed.hash(), key.hash());
        assert_eq!(key.hash().len(), 64);
        assert!(key.prefix().starts_with("l2_") && key.prefix().len() == 11);
        assert_ne!(ApiKeySecret::generate().expose(), key.expose());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKeySecret::generate();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.prefix()));
        assert!(!shown.contains(&key.expose()[12..]));
    }

    #[test]
    fn every_bad_header_shape_is_refused() {
        let good = ApiKeySecret::generate();
        assert_eq!(parse_authorization(None).unwrap_err(), AuthError::Missing);
        for bad in [
            "".to_owned(),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            format!("Basic {}", good.expose()),
            format!("Token {}", good.expose()),
            good.expose().to_owned(),
            "Bearer l2_short_abc".to_owned(),
            format!("Bearer {}x", good.expose()),
            format!("Bearer {}", good.expose().replace("l2_", "l3_")),
            format!("Bearer {}", &good.expose()[..good.expose().len() - 1]),
            "Bearer l2_ABCDEFGH_0123456789012345678901234567890123456789".to_owned(),
            "Bearer l2_abcdefgh_01234567890123456789012345678901234567-9".to_owned(),
        ] {
            assert_eq!(
                parse_authorization(Some(&bad)).unwrap_err(),
                AuthError::Malformed,
                "{bad:?}"
            );
        }
        assert!(parse_authorization(Some(&format!("bearer {}", good.expose()))).is_ok());
        assert!(parse_authorization(Some(&format!("Bearer  {} ", good.expose()))).is_ok());
    }
}

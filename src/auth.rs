//! Credentials to principal: the format of API keys and access tokens, their hashing,
//! minting, and the `Authorization: Bearer` check that every GraphQL request passes before
//! anything else runs.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::db::Database;
use crate::db::types::Timestamp;
use crate::domain::access::Scopes;
use crate::domain::client::KeyRole;
use crate::domain::ids::{ApiKeyId, ClientId};
use crate::domain::tenancy::{Grant, Principal};
use crate::store::{self, StoreError};

const KEY_TAG: &str = "l2_";
const TOKEN_TAG: &str = "l2at_";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 40;

/// Which kind of credential a secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A client's (or the operator's) API key: `l2_…`.
    ApiKey,
    /// A short-lived access token a client minted: `l2at_…`.
    AccessToken,
}

/// A whole credential as the caller sends it: an API key `l2_<8-char id>_<40-char secret>`
/// or an access token `l2at_<8-char id>_<40-char secret>`. Its `Debug` shows only the
/// prefix, so it cannot end up in a log by accident.
pub struct Credential(String);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}…)", self.prefix())
    }
}

impl Credential {
    /// A new random API key (the OS-seeded CSPRNG behind `rand::rng`).
    pub fn generate() -> Self {
        Self::generate_tagged(KEY_TAG)
    }

    /// A new random access token.
    pub fn generate_token() -> Self {
        Self::generate_tagged(TOKEN_TAG)
    }

    fn generate_tagged(tag: &str) -> Self {
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
        Self(format!("{tag}{prefix}_{secret}"))
    }

    /// What kind of credential this is.
    pub fn kind(&self) -> CredentialKind {
        if self.0.starts_with(TOKEN_TAG) {
            CredentialKind::AccessToken
        } else {
            CredentialKind::ApiKey
        }
    }

    fn tag(&self) -> &'static str {
        match self.kind() {
            CredentialKind::ApiKey => KEY_TAG,
            CredentialKind::AccessToken => TOKEN_TAG,
        }
    }

    /// Accepts a credential only in the exact format of a key or a token; anything else is
    /// malformed.
    pub fn parse(token: &str) -> Option<Self> {
        let rest = token
            .strip_prefix(TOKEN_TAG)
            .or_else(|| token.strip_prefix(KEY_TAG))?;
        let (prefix, secret) = rest.split_once('_')?;
        let well_formed = prefix.len() == PREFIX_LEN
            && secret.len() == SECRET_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && secret.bytes().all(|b| b.is_ascii_alphanumeric());
        well_formed.then(|| Self(token.to_owned()))
    }

    /// The part that names the credential in listings and logs: `l2_<8 chars>` or
    /// `l2at_<8 chars>`.
    pub fn prefix(&self) -> &str {
        &self.0[..self.tag().len() + PREFIX_LEN]
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
    /// A well-formed key that is not ours, or has been revoked; or a token that is not
    /// ours, has been revoked or has expired.
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
            Self::Rejected => "unknown, revoked or expired credentials",
            Self::Unavailable => "the service is temporarily unavailable; retry shortly",
        }
    }
}

/// Parses `Bearer <key>` (the scheme is case-insensitive, as RFC 7235 says).
pub fn parse_authorization(header: Option<&str>) -> Result<Credential, AuthError> {
    let header = header.ok_or(AuthError::Missing)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    Credential::parse(token.trim()).ok_or(AuthError::Malformed)
}

/// Resolves an `Authorization` header value to the principal it names, checking it against
/// the stored keys and tokens (one statement) at the clock's time.
pub async fn authenticate(
    db: &Database,
    clock: &dyn Clock,
    header: Option<&str>,
) -> Result<Principal, AuthError> {
    let credential = parse_authorization(header)?;
    let principal = verify(db, &credential).await?;
    live(principal, clock)
}

/// The principal, if its credential has not expired at the clock's time (a token's expiry
/// is on its client's clock).
fn live(principal: Principal, clock: &dyn Clock) -> Result<Principal, AuthError> {
    match principal.grant() {
        Some(grant) if clock.now() + principal.clock_ahead() >= grant.expires_at => {
            Err(AuthError::Rejected)
        }
        _ => Ok(principal),
    }
}

/// The principal of a credential, if it is ours and not revoked (expiry is checked apart,
/// so that a cached principal is checked too).
async fn verify(db: &Database, credential: &Credential) -> Result<Principal, AuthError> {
    match credential.kind() {
        CredentialKind::ApiKey => verify_key(db, &credential.hash()).await,
        CredentialKind::AccessToken => verify_token(db, &credential.hash()).await,
    }
}

/// Logs what is not merely the database being away, and says it is unavailable.
fn lookup_failed(error: StoreError) -> AuthError {
    if !matches!(error, StoreError::Unavailable(_)) {
        tracing::error!(?error, "credential lookup failed");
    }
    AuthError::Unavailable
}

/// The principal of the access token whose secret hashes to `secret_hash`.
async fn verify_token(db: &Database, secret_hash: &str) -> Result<Principal, AuthError> {
    let mut pooled = db.read().await.map_err(|_| AuthError::Unavailable)?;
    let (token, client) = store::access_tokens::find_by_hash(&mut pooled.conn(), secret_hash)
        .await
        .map_err(lookup_failed)?
        .ok_or(AuthError::Rejected)?;
    if token.revoked_at.is_some() {
        return Err(AuthError::Rejected);
    }
    let grant = Grant {
        token: token.id,
        scopes: Scopes::from_text(&token.scopes),
        restricted: token.restricted,
        expires_at: token.expires_at.0,
    };
    Ok(
        Principal::token(token.client_id, token.api_key_id, client.environment, grant)
            .on_sandbox_clock(client.clock_offset_ms),
    )
}

/// The principal of the API key whose secret hashes to `secret_hash`, if it is live.
async fn verify_key(db: &Database, secret_hash: &str) -> Result<Principal, AuthError> {
    let mut pooled = db.read().await.map_err(|_| AuthError::Unavailable)?;
    let (record, client) = store::api_keys::find_by_hash(&mut pooled.conn(), secret_hash)
        .await
        .map_err(lookup_failed)?
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

/// Keys and tokens verified in the last few seconds, so that a busy credential costs no
/// statement per request. The trade-off: a key or token revoked on another replica (or a key
/// by the CLI) keeps working on a replica that verified it for at most the cache's lifetime
/// (5 s by default, `--key-cache-ms`; 0 turns the cache off); the replica that revoked it
/// forgets it at once. A token's expiry is checked on every request, cached or not. Unknown
/// and revoked credentials are never kept, so a new one works at once. Entries are keyed by
/// the secret's hash, never the secret.
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
        clock: &dyn Clock,
        header: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let credential = parse_authorization(header)?;
        let Some(keys) = &self.keys else {
            return live(verify(db, &credential).await?, clock);
        };
        let hash = credential.hash();
        if let Some(principal) = keys.get(&hash) {
            return live(principal, clock);
        }
        let principal = verify(db, &credential).await?;
        keys.insert(hash, principal);
        live(principal, clock)
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
        let key = Credential::generate();
        let parsed = Credential::parse(key.expose()).expect("a generated key parses");
        assert_eq!(parsed.hash(), key.hash());
        assert_eq!(key.hash().len(), 64);
        assert!(key.prefix().starts_with("l2_") && key.prefix().len() == 11);
        assert_ne!(Credential::generate().expose(), key.expose());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = Credential::generate();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.prefix()));
        assert!(!shown.contains(&key.expose()[12..]));
    }

    #[test]
    fn every_bad_header_shape_is_refused() {
        let good = Credential::generate();
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

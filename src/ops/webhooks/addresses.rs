//! Where a receiver may be: a subscription's URL is checked for its form and for the
//! addresses its host resolves to, at creation and again at every delivery (DNS changes).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

use crate::domain::client::Environment;
use crate::domain::webhook::{UrlProblem, check_url, public_address};
use crate::ops::{OpError, OpResult};

/// Longest a name lookup may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a receiver cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressProblem {
    #[error("{0}")]
    Url(#[from] UrlProblem),
    #[error("its host does not resolve")]
    Unresolvable,
}

/// The addresses of `url`'s host, if every one may receive webhooks (any address when
/// `allow_private`).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, AddressProblem> {
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(v4)) => vec![SocketAddr::new(IpAddr::V4(v4), port)],
        Some(Host::Ipv6(v6)) => vec![SocketAddr::new(IpAddr::V6(v6), port)],
        Some(Host::Domain(name)) => lookup(name, port).await?,
        None => return Err(UrlProblem::NoHost.into()),
    };
    checked(addresses, allow_private)
}

/// Looks `name` up (bounded in time).
pub async fn lookup(name: &str, port: u16) -> Result<Vec<SocketAddr>, AddressProblem> {
    match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((name, port))).await {
        Ok(Ok(found)) => Ok(found.collect()),
        _ => Err(AddressProblem::Unresolvable),
    }
}

/// `addresses`, if there are any and each may receive webhooks.
pub fn checked(
    addresses: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, AddressProblem> {
    if addresses.is_empty() {
        return Err(AddressProblem::Unresolvable);
    }
    if !allow_private && addresses.iter().any(|a| !public_address(a.ip())) {
        return Err(UrlProblem::PrivateAddress.into());
    }
    Ok(addresses)
}

/// A subscription URL for a client of `environment`, checked for its form and where it
/// resolves; `BAD_USER_INPUT` on `url` otherwise.
pub async fn check_destination(
    raw: &str,
    environment: Environment,
    allow_private: bool,
) -> OpResult<Url> {
    let url =
        check_url(raw.trim(), environment).map_err(|p| OpError::bad_input("url", p.to_string()))?;
    resolve(&url, allow_private)
        .await
        .map_err(|p| OpError::bad_input("url", p.to_string()))?;
    Ok(url)
}

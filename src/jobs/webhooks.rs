//! The webhook deliverer: fans the event log out to subscriptions, claims due messages and
//! POSTs them, signed (Standard Webhooks), recording every attempt through the operations.
//! Every replica may run one: claims are leases, so a message is sent by one deliverer at a
//! time, and one whose deliverer died is claimed again when its lease ends.
//!
//! The HTTP client follows no redirects, uses no proxy, reads at most 1 KiB of an answer, and
//! resolves names itself, refusing a host any of whose addresses is loopback, private,
//! link-local or otherwise not public (unless the server allows private receivers): the
//! address is checked when the connection is made, so a name that changes after the
//! subscription was checked cannot reach inside.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use url::Host;

use crate::domain::webhook::{
    MAX_RECORDED_BODY, WebhookSubscriptionId, public_address, signature_header,
};
use crate::ops::App;
use crate::ops::webhooks::addresses::{self, AddressProblem};
use crate::ops::webhooks::deliver::{self, Claimed, Outcome};
use crate::ops::webhooks::fan_out;
use crate::store::events::Event;
use crate::store::webhooks::{Message, Subscription};

/// The most subscriptions being sent to at once by one deliverer (each one message at a
/// time, so that one slow receiver holds only its own slot).
const CONCURRENCY: usize = 32;

/// Resolves receivers' names, refusing any that reaches a non-public address.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = addresses::lookup(name.as_str(), 0).await?;
            let allowed = addresses::checked(found, allow_private)?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The deliverer's HTTP client.
fn http_client(app: &App) -> Result<reqwest::Client, reqwest::Error> {
    let settings = &app.settings.webhooks;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        .pool_max_idle_per_host(2)
        .user_agent(concat!("layer2-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private_addresses,
        }))
        .build()
}

/// Runs for as long as the server does: after every local commit (at once) and every
/// `poll` (for other replicas' commits and for retries falling due).
pub async fn run(app: App, poll: Duration) {
    let client = match http_client(&app) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook deliverer cannot start: no HTTP client");
            return;
        }
    };
    let mut commits = app.db.commits();
    let mut sending: JoinSet<WebhookSubscriptionId> = JoinSet::new();
    let mut busy: HashSet<WebhookSubscriptionId> = HashSet::new();
    loop {
        if let Err(error) = fan_out::run(&app).await {
            tracing::warn!(?error, "webhook fan-out failed");
        }
        let free = CONCURRENCY.saturating_sub(sending.len());
        if free > 0 {
            match deliver::claim(&app, free * deliver::PER_SUBSCRIPTION, &busy).await {
                Ok(claimed) => {
                    for group in claimed.into_iter().take(free) {
                        busy.insert(group.subscription.id);
                        sending.spawn(send_group(app.clone(), client.clone(), group));
                    }
                }
                Err(error) => tracing::warn!(?error, "claiming webhook deliveries failed"),
            }
        }
        tokio::select! {
            changed = commits.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            Some(done) = sending.join_next(), if !sending.is_empty() => {
                if let Ok(id) = done {
                    busy.remove(&id);
                }
            }
            () = tokio::time::sleep(poll) => {}
        }
        while let Some(done) = sending.try_join_next() {
            if let Ok(id) = done {
                busy.remove(&id);
            }
        }
    }
}

/// Sends one subscription's claimed messages one after another, in sequence order.
async fn send_group(app: App, client: reqwest::Client, group: Claimed) -> WebhookSubscriptionId {
    let id = group.subscription.id;
    for (message, event) in &group.messages {
        let outcome = attempt(&app, &client, &group.subscription, message, event).await;
        if let Err(error) = deliver::record(&app, message, &outcome).await {
            tracing::warn!(?error, message = %message.id, "recording a webhook attempt failed");
        }
    }
    id
}

/// One attempt: the signed POST and what came of it.
async fn attempt(
    app: &App,
    client: &reqwest::Client,
    subscription: &Subscription,
    message: &Message,
    event: &Event,
) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        error: Some(error),
        latency: started.elapsed(),
        ..Outcome::default()
    };
    let request = match signed_request(app, client, subscription, event) {
        Ok(request) => request,
        Err(error) => return failed(error),
    };
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return failed(describe(&error)),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while body.len() < MAX_RECORDED_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_RECORDED_BODY);
    tracing::debug!(message = %message.id, status, "webhook attempt");
    Outcome {
        status: Some(status),
        latency: started.elapsed(),
        body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
        error: None,
    }
}

/// The POST of `event` to `subscription`, with the Standard Webhooks headers.
fn signed_request(
    app: &App,
    client: &reqwest::Client,
    subscription: &Subscription,
    event: &Event,
) -> Result<reqwest::RequestBuilder, String> {
    let url = url::Url::parse(&subscription.url).map_err(|e| format!("bad URL: {e}"))?;
    // Names are checked by the resolver as the connection is made; literal addresses here.
    if let Some(Host::Ipv4(_) | Host::Ipv6(_)) = url.host() {
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => std::net::IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => std::net::IpAddr::V6(v6),
            _ => return Err("no host".into()),
        };
        if !app.settings.webhooks.allow_private_addresses && !public_address(ip) {
            return Err(
                AddressProblem::Url(crate::domain::webhook::UrlProblem::PrivateAddress).to_string(),
            );
        }
    }
    let data = crate::graphql::events::webhook_data(event)
        .map_err(|_| "the event could not be encoded".to_owned())?;
    let occurred = async_graphql::ScalarType::to_value(&event.occurred_at.0);
    let body = serde_json::json!({
        "type": event.event_type.as_str(),
        "timestamp": occurred,
        "data": data,
    })
    .to_string();
    let now = app.clock.now();
    let timestamp = now.timestamp();
    let mut secrets = vec![subscription.secret.as_str()];
    if let (Some(previous), Some(until)) = (
        &subscription.previous_secret,
        subscription.previous_secret_until,
    ) && until.0 > now
    {
        secrets.push(previous.as_str());
    }
    let webhook_id = event.id.0.to_string();
    let signature = signature_header(&secrets, &webhook_id, timestamp, &body)?;
    Ok(client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body))
}

/// What went wrong, without addresses of ours: a timeout, a refused connection, a refused
/// destination.
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut source = error.source();
    while let Some(inner) = source {
        if let Some(problem) = inner.downcast_ref::<AddressProblem>() {
            return format!("destination refused: {problem}");
        }
        source = inner.source();
    }
    if error.is_connect() {
        return "could not connect".into();
    }
    if error.is_redirect() {
        return "redirects are not followed".into();
    }
    "the request failed".into()
}

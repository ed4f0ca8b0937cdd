//! One structured log line per request: method, path, status, duration, and for GraphQL the
//! operation name, caller and error codes. Never headers, bodies, variables or secrets.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::domain::tenancy::{Caller, Principal};

/// What the GraphQL handler tells the log about the operation it ran.
#[derive(Debug, Clone)]
pub struct OperationInfo {
    pub name: Option<String>,
    pub error_codes: Vec<String>,
    pub principal: Option<Principal>,
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let result = next.call(req).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            let info = response
                .response()
                .extensions()
                .get::<OperationInfo>()
                .cloned();
            let operation = info
                .as_ref()
                .and_then(|i| i.name.clone())
                .unwrap_or_default();
            let errors = info
                .as_ref()
                .map(|i| i.error_codes.join(","))
                .unwrap_or_default();
            let caller = match info.and_then(|i| i.principal) {
                Some(p) => match p.caller() {
                    Caller::Client(client_id) => format!("client:{client_id}"),
                    Caller::Operator => "operator".to_owned(),
                },
                None => String::new(),
            };
            tracing::info!(
                target: "layer2::request",
                %method, %path, status, duration_ms, operation, caller, errors,
                "request"
            );
        }
        Err(error) => {
            tracing::warn!(target: "layer2::request", %method, %path, duration_ms, %error, "request failed");
        }
    }
    result
}

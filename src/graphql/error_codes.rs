//! Gives every error async-graphql raises itself a stable `extensions.code`, as ours have:
//! syntax errors, validation errors (unknown fields, limits) and input coercion errors.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

/// Installs [`ErrorCodes`] on a schema.
pub struct ErrorCodesFactory;

impl ExtensionFactory for ErrorCodesFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

struct ErrorCodes;

fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect()
        })
    }

    /// Whatever is still without a code once the request is done: errors inside a field
    /// (with a path) come from async-graphql's coercion of input values; errors outside any
    /// field concern the request itself (no such operation, undefined variables...).
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| {
                let code = if e.path.is_empty() {
                    "GRAPHQL_VALIDATION_FAILED"
                } else {
                    "BAD_USER_INPUT"
                };
                with_code(e, code)
            })
            .collect();
        response
    }
}

#[cfg(test)]
mod tests {
    use crate::graphql::{Limits, build_schema};

    async fn codes(query: &str) -> Vec<String> {
        let response = build_schema(Limits::default()).execute(query).await;
        response
            .errors
            .iter()
            .map(|e| {
                let code = e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
                code.map(|c| c.to_string()).unwrap_or_default()
            })
            .collect()
    }

    #[tokio::test]
    async fn syntax_errors_are_parse_failed() {
        assert_eq!(codes("{ viewer {").await, ["\"GRAPHQL_PARSE_FAILED\""]);
    }

    #[tokio::test]
    async fn unknown_fields_are_validation_failed() {
        assert_eq!(codes("{ nope }").await, ["\"GRAPHQL_VALIDATION_FAILED\""]);
    }

    #[tokio::test]
    async fn request_level_errors_get_a_code() {
        let schema = build_schema(Limits::default());
        let request = async_graphql::Request::new("query A { __typename } query B { __typename }")
            .operation_name("C");
        let response = schema.execute(request).await;
        let code = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .cloned();
        assert_eq!(
            code.map(|c| c.to_string()),
            Some("\"GRAPHQL_VALIDATION_FAILED\"".into())
        );
    }
}

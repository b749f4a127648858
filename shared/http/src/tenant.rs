//! The caller's tenant: from the JWT claims API Gateway's authorizer verified, never from the
//! request body or a header the caller controls.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use callscope_core::domain::TenantId;
use lambda_http::request::RequestContext;

use crate::ApiError;

/// Where the tenant comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAuth {
    /// The verified claim that names the tenant (`TENANT_CLAIM`).
    pub claim: String,
    /// Only for local runs without an authorizer; off unless configured explicitly.
    pub default_tenant: Option<TenantId>,
}

/// The verified tenant of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant(pub TenantId);

impl<S> FromRequestParts<S> for Tenant
where
    TenantAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = TenantAuth::from_ref(state);
        let claim = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .and_then(|jwt| jwt.claims.get(&auth.claim)),
            _ => None,
        };
        match (claim, auth.default_tenant) {
            (Some(raw), _) => TenantId::parse("tenant", raw.as_str())
                .map(Tenant)
                .map_err(|e| ApiError::BadTenant(e.rule)),
            (None, Some(default)) => Ok(Tenant(default)),
            (None, None) => Err(ApiError::NoTenant(auth.claim)),
        }
    }
}

/// Who made the request, for audit lines: the verified JWT's `sub` claim, or `unknown` where no
/// authorizer ran (local runs with a default tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Subject {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let subject = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .and_then(|jwt| jwt.claims.get("sub"))
                .cloned(),
            _ => None,
        };
        Ok(Subject(subject.unwrap_or_else(|| "unknown".to_owned())))
    }
}

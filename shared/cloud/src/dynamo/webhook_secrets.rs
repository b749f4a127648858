//! Tenants' webhook signing secrets in the calls table, beside the settings item but not in it:
//! no settings read (GET /api/v1/settings, the functions' settings caches) ever loads a secret.
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `TENANT#{t}#SETTINGS` | `WEBHOOK_SECRET` | `secret` (S, `whsec_` + 64 hex digits), `created_at` |
//!
//! 32 bytes from the thread-local CSPRNG (ChaCha, seeded from the OS) per rotation. DynamoDB
//! encrypts the table at rest; the API returns a secret only in the answer to its rotation.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::ports::{SigningSecret, StoreError, StoredSecret, WebhookSecrets};
use callscope_core::domain::{TenantId, Timestamp};

use super::{settings_pk, unavailable};

const SECRET_SK: &str = "WEBHOOK_SECRET";

#[derive(Debug, Clone)]
pub struct DynamoWebhookSecrets {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoWebhookSecrets {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }
}

/// A new secret: `whsec_` and 32 random bytes in hex.
pub fn generate() -> SigningSecret {
    let bytes: [u8; 32] = rand::random();
    let mut secret = String::from("whsec_");
    for b in bytes {
        secret.push_str(&format!("{b:02x}"));
    }
    SigningSecret::new(secret)
}

#[async_trait]
impl WebhookSecrets for DynamoWebhookSecrets {
    async fn current(&self, tenant: &TenantId) -> Result<Option<StoredSecret>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(settings_pk(tenant)))
            .key("sk", AttributeValue::S(SECRET_SK.to_owned()))
            // A delivery right after a rotation signs with the new secret.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                unavailable(format!("reading the webhook secret of tenant {tenant}"), e)
            })?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        match (text("secret"), text("created_at")) {
            (Some(secret), Some(created_at)) => Ok(Some(StoredSecret {
                secret: SigningSecret::new(secret),
                created_at: Timestamp::parse("created_at", &created_at).map_err(|e| {
                    StoreError::Unavailable {
                        operation: format!("reading the webhook secret of tenant {tenant}"),
                        detail: e.to_string(),
                    }
                })?,
            })),
            _ => Err(StoreError::Unavailable {
                operation: format!("reading the webhook secret of tenant {tenant}"),
                detail: "the stored item has no secret or created_at".into(),
            }),
        }
    }

    async fn rotate(&self, tenant: &TenantId, at: Timestamp) -> Result<StoredSecret, StoreError> {
        let secret = generate();
        self.client
            // UpdateItem, the one write the API's role may make to settings items.
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(settings_pk(tenant)))
            .key("sk", AttributeValue::S(SECRET_SK.to_owned()))
            .update_expression("SET secret = :secret, created_at = :at")
            .expression_attribute_values(":secret", AttributeValue::S(secret.expose().to_owned()))
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
            .send()
            .await
            .map_err(|e| {
                unavailable(format!("rotating the webhook secret of tenant {tenant}"), e)
            })?;
        Ok(StoredSecret {
            secret,
            created_at: at,
        })
    }
}

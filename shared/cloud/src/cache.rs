//! The Redis (ElastiCache Serverless, Valkey or Redis OSS) cache behind the cache port.
//!
//! Keys: `{namespace}:{tenant}:{resource}:{generations}:{params}` for entries and
//! `{namespace}:{tenant}:gen:{scope}` for generation counters. A bump is `INCR` (+ `EXPIRE`
//! an hour, longer than any entry lives, so counters of calls nobody reads again go away);
//! nothing is ever deleted or scanned. The connection is made lazily with short connect and
//! command timeouts, so a cache that is down or slow costs a request tens of milliseconds, and
//! the connection manager reconnects on its own when the cache returns.

use std::time::Duration;

use async_trait::async_trait;
use callscope_app::ports::{Cache, CacheError, CacheHealth, Scope};
use callscope_core::domain::TenantId;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

/// How long a connection attempt and a command may take. In the VPC a round trip is well
/// under a millisecond; past this the request is answered from DynamoDB instead.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(50);
const COMMAND_TIMEOUT: Duration = Duration::from_millis(50);
/// Generation counters outlive every entry made with them.
const GENERATION_TTL_SECONDS: i64 = 3_600;

#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    namespace: String,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn error(operation: &'static str, error: redis::RedisError) -> CacheError {
    CacheError {
        operation,
        detail: error.to_string(),
    }
}

impl RedisCache {
    /// A cache at `url` (`redis://` or `rediss://` for TLS) whose keys start with `namespace`.
    /// Nothing is connected yet: the first command connects, so a cold start never waits on a
    /// cache that is down.
    pub fn connect_lazily(url: &str, namespace: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|e| error("configure", e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            // A failed attempt is not retried inside the request: the request goes to DynamoDB
            // and the next one tries to connect again.
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| error("configure", e))?;
        Ok(Self {
            connection,
            namespace: namespace.to_owned(),
        })
    }

    fn generation_key(&self, tenant: &TenantId, scope: &Scope) -> String {
        let ns = &self.namespace;
        match scope {
            Scope::Tenant => format!("{ns}:{tenant}:gen:tenant"),
            Scope::Agent(agent) => format!("{ns}:{tenant}:gen:agent:{agent}"),
            Scope::Team(team) => format!("{ns}:{tenant}:gen:team:{team}"),
            Scope::Call(call) => format!("{ns}:{tenant}:gen:call:{call}"),
        }
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn generations(
        &self,
        tenant: &TenantId,
        scopes: &[Scope],
    ) -> Result<Vec<u64>, CacheError> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = scopes
            .iter()
            .map(|s| self.generation_key(tenant, s))
            .collect();
        let values: Vec<Option<u64>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| error("generations", e))?;
        Ok(values.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.connection
            .clone()
            .get(format!("{}:{key}", self.namespace))
            .await
            .map_err(|e| error("get", e))
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        self.connection
            .clone()
            .set_ex::<_, _, ()>(
                format!("{}:{key}", self.namespace),
                value,
                ttl.as_secs().max(1),
            )
            .await
            .map_err(|e| error("put", e))
    }

    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<(), CacheError> {
        let mut pipe = redis::pipe();
        for scope in scopes {
            let key = self.generation_key(tenant, scope);
            pipe.incr(&key, 1)
                .ignore()
                .expire(&key, GENERATION_TTL_SECONDS)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(|e| error("bump", e))
    }

    async fn health(&self) -> CacheHealth {
        let pong: Result<String, _> = redis::cmd("PING")
            .query_async(&mut self.connection.clone())
            .await;
        match pong {
            Ok(_) => CacheHealth::Up,
            Err(e) => CacheHealth::Down(e.to_string()),
        }
    }
}

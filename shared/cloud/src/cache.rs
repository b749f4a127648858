//! The Redis (ElastiCache Serverless, Valkey or Redis OSS) cache behind the cache port.
//!
//! Every key is `namespace:` (letters, digits, `.`, `_`, `-`: checked by the config, so a cache
//! user can be allowed exactly `~namespace:*`) and then parts each written with its length
//! ([`key_of`]), so ids holding `:` can never make two keys alike: the entry's key (tenant,
//! resource, generations, params) for entries, `{tenant}` as a hash tag then `gen, scope…` for
//! generation counters, `tenant, rate, window` for request counts, and `tenant, resource,
//! lock, …` for the short locks of recomputing requests. A bump sets a counter to the server's
//! time in milliseconds, or one more than it was when that is higher — or, inside its scope's
//! coalescing window, schedules that move for the window's end (`current/due`, see
//! [`GenerationState`]) — one script per bump, with `TIME`, kept an hour (longer than any
//! entry lives, so counters of calls nobody reads again go away): a counter that expired or was
//! evicted starts above every generation in use, never back at 1. Readers turn a due time that
//! has passed into the generation by their own clock (Lambda's and ElastiCache's are both kept
//! by the Amazon Time Sync Service; a skew of milliseconds only moves the switch by as much).
//! Nothing is ever deleted or scanned. The connection is made lazily with short connect and
//! command timeouts, so a cache that is down or slow costs a request tens of milliseconds, and
//! the connection manager reconnects on its own when the cache returns.

use std::time::Duration;

use async_trait::async_trait;
use callscope_app::ports::{
    coalesce_window, key_of, Bumps, Cache, CacheError, CacheHealth, GenerationState, Scope,
};
use callscope_core::domain::TenantId;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

/// How long a connection attempt and a command may take. In the VPC a round trip is well
/// under a millisecond; past this the request is answered from DynamoDB instead.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(50);
const COMMAND_TIMEOUT: Duration = Duration::from_millis(50);
/// Generation counters outlive every entry made with them.
const GENERATION_TTL_SECONDS: i64 = 3_600;

/// [`GenerationState::bump`] in Redis: for each key in KEYS, coalescing within ARGV[i + 1]
/// milliseconds, kept ARGV[1] seconds; returns {moved, scheduled, coalesced}. `TIME` before
/// writes needs effects replication, the default since Redis 5 (and Valkey).
const BUMP_SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local moved, scheduled, coalesced = 0, 0, 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[i + 1]) or 0
  local raw = redis.call('GET', key) or '0'
  local slash = string.find(raw, '/', 1, true)
  local current, due = tonumber(raw) or 0, nil
  if slash then
    current = tonumber(string.sub(raw, 1, slash - 1)) or 0
    due = tonumber(string.sub(raw, slash + 1))
  end
  if due and due > now then
    coalesced = coalesced + 1
  else
    local effective = current
    if due then effective = math.max(due, current + 1) end
    if effective == 0 or window == 0 or now >= effective + window then
      local next = now
      if effective >= now then next = effective + 1 end
      redis.call('SET', key, string.format('%d', next), 'EX', ARGV[1])
      moved = moved + 1
    else
      redis.call('SET', key, string.format('%d/%d', effective, effective + window), 'EX', ARGV[1])
      scheduled = scheduled + 1
    end
  end
end
return {moved, scheduled, coalesced}
";

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
        generation_key(&self.namespace, tenant, scope)
    }

    fn entry_key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }
}

/// The key of a scope's generation counter. The tenant is a hash tag (`{…}`), so the counters
/// one request reads (MGET) or one bump sets (a script over several keys) are in one slot:
/// ElastiCache Serverless is a cluster and refuses multi-key commands across slots
/// (CROSSSLOT). Ids never hold braces (they are refused when parsed), so the tag is exactly the
/// tenant.
fn generation_key(namespace: &str, tenant: &TenantId, scope: &Scope) -> String {
    let scope = match scope {
        Scope::Tenant => key_of(&["gen", "tenant"]),
        Scope::Analytics => key_of(&["gen", "analytics"]),
        Scope::Agent(agent) => key_of(&["gen", "agent", agent.as_str()]),
        Scope::Team(team) => key_of(&["gen", "team", team.as_str()]),
        Scope::Call(call) => key_of(&["gen", "call", call.as_str()]),
    };
    format!("{namespace}:{{{}}}:{scope}", key_of(&[tenant.as_str()]))
}

/// The part of a key Redis Cluster hashes to find its slot: between the first `{` and the next
/// `}` when that is not empty, else the whole key.
#[cfg(test)]
fn hash_tag(key: &str) -> &str {
    key.find('{')
        .and_then(|open| {
            let close = key[open + 1..].find('}')?;
            (close > 0).then(|| &key[open + 1..open + 1 + close])
        })
        .unwrap_or(key)
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
        let values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| error("generations", e))?;
        let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
        Ok(values
            .into_iter()
            .map(|raw| raw.map_or(0, |raw| GenerationState::parse(&raw).effective(now)))
            .collect())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.connection
            .clone()
            .get(self.entry_key(key))
            .await
            .map_err(|e| error("get", e))
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        self.connection
            .clone()
            .set_ex::<_, _, ()>(self.entry_key(key), value, ttl.as_secs().max(1))
            .await
            .map_err(|e| error("put", e))
    }

    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<Bumps, CacheError> {
        if scopes.is_empty() {
            return Ok(Bumps::default());
        }
        let keys: Vec<String> = scopes
            .iter()
            .map(|s| self.generation_key(tenant, s))
            .collect();
        let windows: Vec<u128> = scopes
            .iter()
            .map(|s| coalesce_window(s).as_millis())
            .collect();
        let (moved, scheduled, coalesced): (usize, usize, usize) = redis::cmd("EVAL")
            .arg(BUMP_SCRIPT)
            .arg(keys.len())
            .arg(&keys)
            .arg(GENERATION_TTL_SECONDS)
            .arg(windows.iter().map(u128::to_string).collect::<Vec<_>>())
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| error("bump", e))?;
        Ok(Bumps {
            moved,
            scheduled,
            coalesced,
        })
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.entry_key(key))
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| error("lock", e))?;
        Ok(taken.is_some())
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

    async fn count_request(
        &self,
        tenant: &TenantId,
        window: u64,
        ttl: Duration,
    ) -> Result<u64, CacheError> {
        let key = format!(
            "{}:{}",
            self.namespace,
            key_of(&[tenant.as_str(), "rate", &window.to_string()])
        );
        let (count,): (u64,) = redis::pipe()
            .incr(&key, 1)
            .expire(
                &key,
                i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX),
            )
            .ignore()
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| error("count_request", e))?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_keys_of_ids_holding_colons_never_collide() {
        let tenant = |t: &str| TenantId::parse("t", t).expect("tenant");
        let call =
            |c: &str| Scope::Call(callscope_core::domain::CallId::parse("c", c).expect("id"));
        let one = generation_key("ns", &tenant("acme"), &call("call:0:c1"));
        let other = generation_key("ns", &tenant("acme:call:0"), &call("c1"));
        assert_ne!(one, other);
        let agent =
            Scope::Agent(callscope_core::domain::AgentId::parse("a", "gen:call:x").expect("id"));
        assert_ne!(
            generation_key("ns", &tenant("acme"), &agent),
            generation_key("ns", &tenant("acme"), &call("x"))
        );
    }

    #[test]
    fn a_tenants_generation_counters_share_one_cluster_slot_and_tenants_do_not() {
        let tenant = |t: &str| TenantId::parse("t", t).expect("tenant");
        let scopes = [
            Scope::Tenant,
            Scope::Analytics,
            Scope::Agent(callscope_core::domain::AgentId::parse("a", "ana").expect("id")),
            Scope::Team(callscope_core::domain::TeamId::parse("t", "east").expect("id")),
            Scope::Call(callscope_core::domain::CallId::parse("c", "c-1").expect("id")),
        ];
        for name in ["acme", "acme:gen:call"] {
            let keys: Vec<String> = scopes
                .iter()
                .map(|s| generation_key("ns", &tenant(name), s))
                .collect();
            let tags: Vec<&str> = keys.iter().map(|k| hash_tag(k)).collect();
            assert!(tags.iter().all(|t| *t == tags[0]), "{name}: {keys:?}");
            assert_ne!(tags[0], keys[0].as_str(), "{name}: the key has a tag");
        }
        assert_ne!(
            hash_tag(&generation_key("ns", &tenant("acme"), &Scope::Tenant)),
            hash_tag(&generation_key("ns", &tenant("globex"), &Scope::Tenant))
        );
    }
}

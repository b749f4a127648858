#!/usr/bin/env bash
# `make fuzz`: schemathesis against the whole HTTP API as `callscope local serve` answers it,
# from the API's own /openapi.json, with every check schemathesis has but the response-time limit
# (speed is measured by benchmarks, never by a timed assertion; and `--checks all` would beat the
# per-operation `enabled = false` in infra/schemathesis.toml). Run inside
# `infra/local-cloud.sh run` (moto and Redis up, their exports set); the CLI must be built.
#
# Two tenants call with bearer tokens (the local gateway reads the claims without verifying,
# as the deployed JWT authorizer would after verifying): schemathesis removes and forges them
# to check that every secured route refuses (ignored_auth), and reads one tenant's calls as
# the other (object_level_authorization). Hooks (infra/fuzz_hooks.py) shape positive cases by the
# rules between fields the document states in words; infra/schemathesis.toml holds the
# per-operation settings and says why.
#
#   FUZZ_PORT      the port `local serve` listens on (default 3080)
#   FUZZ_TIME      schemathesis's time budget in seconds (default 100)
#   FUZZ_EXAMPLES  most test cases per operation and phase (default 40)
#   FUZZ_SEED      replay a run (its seed is printed at the start)
# Reports (JUnit, and the serve log) land in target/fuzz/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
port="${FUZZ_PORT:-3080}"
budget="${FUZZ_TIME:-100}"
examples="${FUZZ_EXAMPLES:-40}"
callscope="${CARGO_TARGET_DIR:-$root/target}/debug/callscope"
out="$root/target/fuzz"
mkdir -p "$out"

venv="$("$root/infra/local-cloud.sh" fuzz-venv)"

# An unsigned JWT (header.payload.signature) whose tenant_id claim names the tenant.
token() {
  local payload
  payload="$(printf '{"sub":"fuzz","tenant_id":"%s"}' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
  printf 'eyJhbGciOiJub25lIn0.%s.fuzz' "$payload"
}
cat >"$out/auth.json" <<JSON
{"auth": [
  {"name": "acme", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $(token fuzz-acme)"}]},
  {"name": "globex", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $(token fuzz-globex)"}]}
]}
JSON

# No per-tenant rate limit here: the fuzzer's thousands of requests a minute would get 429s and
# leave the routes' logic untested (the limit has its own tests).
"$callscope" local serve --port "$port" \
  --parameter QueryRequestsPerMinute=0 --parameter IngestRequestsPerMinute=0 \
  >"$out/serve.log" 2>&1 &
serve=$!
trap 'kill -INT $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  kill -0 "$serve" 2>/dev/null || { cat "$out/serve.log"; exit 1; }
  sleep 0.5
done

seed=()
[[ -n "${FUZZ_SEED:-}" ]] && seed=(--seed "$FUZZ_SEED")
cd "$out"
# infra/fuzz_hooks.py: the rules between fields that the document states but JSON Schema cannot.
PYTHONPATH="$root/infra" SCHEMATHESIS_HOOKS=fuzz_hooks \
"$venv/bin/schemathesis" --config-file "$root/infra/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --url "http://127.0.0.1:$port" \
  --auth-wfc "$out/auth.json" \
  --max-examples "$examples" \
  --max-time "$budget" \
  --workers 1 \
  --generation-database none \
  --report junit --report-dir "$out" \
  --no-color \
  "${seed[@]}"

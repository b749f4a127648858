#!/usr/bin/env bash
# The local cloud without Docker: moto_server (AWS APIs) on 127.0.0.1:4566 and Redis on
# 127.0.0.1:6379, then the queues and tables of infra/template.yaml.
#
#   infra/local-cloud.sh up        install what is missing, start what is not running, provision
#   infra/local-cloud.sh down      stop only what `up` started
#   infra/local-cloud.sh status    what answers where
#   infra/local-cloud.sh env       the exports clients need: eval "$(infra/local-cloud.sh env)"
#   infra/local-cloud.sh run CMD…  start the services, run CMD with the exports, then stop what
#                                  this call started (what make test and make demo use)
#   infra/local-cloud.sh venv      print the venv path (creating it), for other scripts
#   infra/local-cloud.sh sam-venv  the same, with the SAM CLI (and cargo-lambda, zig)
#   infra/local-cloud.sh lambda-venv  a venv with cargo-lambda and zig only (for `make watch`)
#   infra/local-cloud.sh browser   Debian's chromium + chromium-driver for the dashboard's tests
#   infra/local-cloud.sh fuzz-venv    a venv with schemathesis (for `make fuzz`)
#   infra/local-cloud.sh sql-venv     a venv with DuckDB (for `callscope local sql` and its tests)
#
# The same AWS_ENDPOINT_URL works against LocalStack on a machine with Docker.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="$root/.local"
moto_port="${MOTO_PORT:-4566}"
redis_port="${REDIS_PORT:-6379}"
cache="${CALLSCOPE_CACHE:-$HOME/.cache/callscope}"
mkdir -p "$state" "$cache"

log() { printf 'local-cloud: %s\n' "$*" >&2; }

# Debian packages this script needs on a bare machine (redis-server, python3-venv, chromium).
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages; run: sudo apt-get install -y $*"
    return 1
  fi
  log "installing Debian's $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# Debian's python3 splits venv's pip bootstrap into python3-venv.
ensure_venv_support() {
  "$1" -c 'import ensurepip, venv' 2>/dev/null && return 0
  apt_install python3-venv
}

# A venv outside the work tree, keyed by the requirements, so fresh clones on one machine share it.
venv_for() {
  local key python
  key="$(cat "$@" | sha256sum | cut -c1-12)"
  local dir="$cache/venv-$key" lock
  # One creator at a time: runs started together (parallel worktrees, a test and `make serve`)
  # would otherwise pip-install into the same directory and break each other's files.
  exec {lock}>"$dir.lock"
  flock "$lock"
  if [[ ! -x "$dir/bin/python" || ! -f "$dir/.complete" ]]; then
    python="$(command -v python3)"
    ensure_venv_support "$python"
    log "creating $dir (pip install -r $*)"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
    local args=()
    for f in "$@"; do args+=(-r "$f"); done
    "$dir/bin/pip" install --quiet --disable-pip-version-check "${args[@]}" >&2
    touch "$dir/.complete"
  fi
  exec {lock}>&-
  printf '%s\n' "$dir"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local port="$1" what="$2"
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.2
  done
  log "$what did not start on 127.0.0.1:$port within 20 s; see $state"
  return 1
}

start_moto() {
  if port_open "$moto_port"; then
    log "reusing the AWS emulator already on 127.0.0.1:$moto_port"
    return
  fi
  local venv
  venv="$(venv_for "$root/infra/requirements.txt")"
  log "starting moto_server on 127.0.0.1:$moto_port"
  # Own session and no inherited descriptors, so a CI runner waiting on our output never waits on it.
  # infra/moto_server.py: moto_server without threads (its backends race under concurrency).
  setsid "$venv/bin/python" "$root/infra/moto_server.py" -H 127.0.0.1 -p "$moto_port" \
    </dev/null >"$state/moto-$moto_port.log" 2>&1 &
  echo $! >"$state/moto-$moto_port.pid"
  started+=("moto-$moto_port")
  wait_for_port "$moto_port" moto_server
}

start_redis() {
  # Installed even when another Redis answers: the cache-outage test starts and stops a
  # redis-server of its own.
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  if port_open "$redis_port"; then
    log "reusing the Redis already on 127.0.0.1:$redis_port"
    return
  fi
  log "starting redis-server on 127.0.0.1:$redis_port"
  started+=("redis-$redis_port")
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --pidfile "$state/redis-$redis_port.pid" --logfile "$state/redis-$redis_port.log" --dir "$state"
  wait_for_port "$redis_port" redis-server
}

# The dashboard's browser tests and Lighthouse drive Debian's Chromium (no browser download).
ensure_browser() {
  if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    apt_install chromium chromium-driver
  fi
}

print_env() {
  cat <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
export AWS_REGION=\${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-test}
export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-test}
export REDIS_URL=redis://127.0.0.1:$redis_port
export CALLSCOPE_EMULATOR_TIMEOUT_SECONDS=\${CALLSCOPE_EMULATOR_TIMEOUT_SECONDS:-10}
ENV
}

provision() {
  eval "$(print_env)"
  (cd "$root" && cargo run --quiet -p callscope-cli -- local provision --template infra/template.yaml --prefix "${CALLSCOPE_PREFIX:-callscope-local-}" \
    --parameter "CacheUrl=redis://127.0.0.1:$redis_port" \
    --env-file "$state/functions.env" >"$state/provisioned.json")
  log "provisioned the template's queues and tables; wiring in $state/provisioned.json"
  log "for cargo lambda watch: cargo lambda watch --env-file .local/functions.env"
}

stop_pidfile() {
  local file="$state/$1.pid"
  [[ -f "$file" ]] || return 0
  local pid
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill "$pid"
  fi
  rm -f "$file"
}

# What this invocation started, so `run` stops exactly that and leaves the rest alone.
started=()

run_with_services() {
  start_moto
  start_redis
  trap 'for s in "${started[@]}"; do stop_pidfile "$s"; done' EXIT
  eval "$(print_env)"
  "$@"
}

case "${1:-}" in
  up)
    start_moto
    start_redis
    provision
    ;;
  services)
    start_moto
    start_redis
    ;;
  down)
    stop_pidfile "moto-$moto_port"
    stop_pidfile "redis-$redis_port"
    ;;
  status)
    port_open "$moto_port" && echo "aws emulator: up on 127.0.0.1:$moto_port" || echo "aws emulator: down"
    port_open "$redis_port" && echo "redis: up on 127.0.0.1:$redis_port" || echo "redis: down"
    ;;
  env) print_env ;;
  run)
    shift
    [[ $# -gt 0 ]] || { echo "usage: $0 run COMMAND [ARGS…]" >&2; exit 2; }
    run_with_services "$@"
    ;;
  venv) venv_for "$root/infra/requirements.txt" ;;
  sam-venv) venv_for "$root/infra/requirements.txt" "$root/infra/requirements-lambda.txt" "$root/infra/requirements-sam.txt" ;;
  lambda-venv) venv_for "$root/infra/requirements-lambda.txt" ;;
  browser) ensure_browser ;;
  fuzz-venv) venv_for "$root/infra/requirements-fuzz.txt" ;;
  sql-venv) venv_for "$root/infra/requirements-sql.txt" ;;
  *)
    echo "usage: $0 up|services|down|status|env|run|venv|sam-venv|lambda-venv|browser|fuzz-venv|sql-venv" >&2
    exit 2
    ;;
esac

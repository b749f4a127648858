# callscope — the two commands that matter: `make demo` and `make test`.
# Both start the local cloud (moto_server + Redis, installed on first use) and stop what they started.
SHELL := /bin/bash
.DEFAULT_GOAL := help
LOCAL_CLOUD := infra/local-cloud.sh
# Where cargo builds the CLI: a worktree with its own CARGO_TARGET_DIR runs its own build.
CALLSCOPE := $(or $(CARGO_TARGET_DIR),target)/debug/callscope

.PHONY: help demo serve test lint infra-lint tests unit bench pii-report roles-report profile analyse local-up local-down local-status sam-build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

demo: ## the write path end to end on the local cloud: calls in, analyses and rollups out
	cargo build --quiet --locked -p callscope-cli
	$(LOCAL_CLOUD) run $(CALLSCOPE) local demo

serve: ## the whole API on http://127.0.0.1:3000 with every event source behind it (tenant acme without a token); Ctrl-C stops it
	cargo build --quiet --locked -p callscope-cli
	$(LOCAL_CLOUD) run $(CALLSCOPE) local serve --default-tenant acme

# CALLS=N for another size; the default is sized to finish in about ten minutes on moto.
.PHONY: chaos
chaos: ## the chaos run: calls in (HTTP, queue, S3), erased and re-analysed under injected faults, crashes, cut-offs, duplicates, poison and a Redis outage; prints the account and fails if a call is lost, left behind when erased or counted twice
	cargo build --quiet --locked -p callscope-cli
	$(LOCAL_CLOUD) run $(CALLSCOPE) local chaos $(if $(CALLS),--calls $(CALLS))

test: lint infra-lint dashboard-check tests ui-test fuzz ## everything CI runs: format, clippy, template lint, the dashboard's build and browser tests, unit, property and integration tests, the API fuzzer

lint: ## rustfmt and clippy, warnings are errors; the sample files' Amazon figures agree with their turns; every doc link resolves
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	python3 events/calls/amazon_figures.py check events/calls/*.json
	python3 tools/check-doc-links.py

infra-lint: ## cfn-lint and `sam validate --lint` on infra/template.yaml
	venv="$$($(LOCAL_CLOUD) sam-venv)" && \
	"$$venv/bin/cfn-lint" infra/template.yaml && \
	SAM_CLI_TELEMETRY=0 "$$venv/bin/sam" validate --lint --region us-east-1 --template infra/template.yaml

tests: ## unit, property and integration tests, with the local cloud started for them
	cargo test --workspace --locked --no-run
	$(LOCAL_CLOUD) run cargo test --workspace --locked

# `make fuzz`: schemathesis (infra/requirements-fuzz.txt) against `local serve` on FUZZ_PORT, every
# check, ~2 minutes (FUZZ_TIME seconds of fuzzing); infra/fuzz.sh says what it does.
FUZZ_PORT ?= 3080
.PHONY: fuzz
fuzz: ## schemathesis, every check but response time, against local serve's /openapi.json (~2 min; FUZZ_SEED=… replays; report in target/fuzz/)
	cargo build --quiet --locked -p callscope-cli
	FUZZ_PORT=$(FUZZ_PORT) $(LOCAL_CLOUD) run infra/fuzz.sh

unit: ## unit and property tests only (no services needed)
	cargo test --workspace --locked --exclude callscope-tests

bench: ## criterion benchmarks of the analysis engine, then the adversarial suite (fails on a case over its budget or growing faster than linearly)
	cargo bench -p callscope-core --bench analysis
	cargo bench -p callscope-core --bench adversarial

pii-report: ## recall and precision of PII redaction per type on the labelled set (generated calls + shared/core/data/pii/eval)
	cargo run --quiet --release -p callscope-core --example pii_report

roles-report: ## speaker-role inference on labelled calls with the roles hidden: accuracy per set, against the first-speaker rule
	cargo run --quiet -p callscope-core --example roles_report

profile: ## instructions per analysis stage of the 30-minute call (callgrind: repeatable on a busy machine)
	infra/profile-analysis.sh

analyse: ## analyse one call: make analyse FILE=events/calls/plain_discovery.json
	cargo run --quiet --release -p callscope-cli -- analyse $(FILE)

.PHONY: analyze
analyze: analyse # the American spelling, for muscle memory

local-up: ## start moto + Redis and create the template's queues and tables (prefix callscope-local-)
	$(LOCAL_CLOUD) up

local-down: ## stop what local-up started
	$(LOCAL_CLOUD) down

local-status: ## what answers on the local ports
	$(LOCAL_CLOUD) status

sam-build: ## sam build: the functions for arm64 with cargo-lambda (needs the SAM venv, ~GBs of target/)
	venv="$$($(LOCAL_CLOUD) sam-venv)" && PATH="$$venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam build

# --- The cargo lambda watch loop: terminal 1 `make watch`, terminal 2 `make pump`, terminal 3 curl.
WATCH_PORT ?= 9000
WATCH_TENANT ?= acme
.PHONY: watch pump

watch: ## terminal 1: local cloud up, then `cargo lambda watch` serving every function with the provisioned env (Invoke API and function URLs on 127.0.0.1:9000, or WATCH_PORT)
	$(LOCAL_CLOUD) up
	venv="$$($(LOCAL_CLOUD) lambda-venv)" && PATH="$$venv/bin:$$PATH" \
	  cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) \
	  --env-file .local/functions.env --env-var LOCAL_DEFAULT_TENANT=$(WATCH_TENANT)

pump: ## terminal 2: the template's queues, streams and schedule against what `make watch` serves (PUMP_ARGS=--sweep-now, --until-idle)
	eval "$$($(LOCAL_CLOUD) env)" && \
	  cargo run --quiet --locked -p callscope-cli -- local pump --prefix "$${CALLSCOPE_PREFIX:-callscope-local-}" \
	  --invoke-url http://127.0.0.1:$(WATCH_PORT) $(PUMP_ARGS)

# `make load`: a load run against a `local serve` this target starts on LOAD_PORT and stops again.
LOAD_PORT ?= 3070
LOAD_CALLS ?= 300
LOAD_QUERIES ?= 1000
.PHONY: load
load: ## load run: local serve on LOAD_PORT, then callscope load (LOAD_CALLS=300 LOAD_QUERIES=1000; report in target/load.json, serve log in target/load-serve.log)
	cargo build --quiet --locked -p callscope-cli
	$(LOCAL_CLOUD) run bash -c '$(CALLSCOPE) local serve --default-tenant acme --port $(LOAD_PORT) > target/load-serve.log 2>&1 & serve=$$!; \
	  trap "kill -INT $$serve; wait $$serve" EXIT; \
	  until (exec 3<>/dev/tcp/127.0.0.1/$(LOAD_PORT)) 2>/dev/null; do kill -0 $$serve 2>/dev/null || { cat target/load-serve.log; exit 1; }; sleep 0.5; done; \
	  $(CALLSCOPE) load --base-url http://127.0.0.1:$(LOAD_PORT) --calls $(LOAD_CALLS) --queries $(LOAD_QUERIES) --json target/load.json'

# --- The dashboard (dashboard/): built by esbuild into dashboard/dist, which is committed and
# embedded by the query function, so cargo and sam never need Node.
UI_PORT ?= 3071
UI_PREFIX ?= callscope-ui-
.PHONY: dashboard dashboard-check ui-test lighthouse ui-seed

dashboard: ## rebuild dashboard/dist from dashboard/src (npm ci with the committed lockfile)
	cd dashboard && npm ci --no-audit --no-fund && npm run build

dashboard-check: ## dashboard/dist is exactly what dashboard/src builds to (pinned esbuild; deterministic output)
	cd dashboard && npm ci --no-audit --no-fund && npm run build
	git diff --exit-code -- dashboard/dist
	@test -z "$$(git ls-files --others --exclude-standard -- dashboard/dist)" || { echo "dashboard/dist has files that are not committed:"; git ls-files --others --exclude-standard -- dashboard/dist; exit 1; }

# Starts a local serve on $(UI_PORT) with its own tables ($(UI_PREFIX)), runs CMD against it, stops it.
define with_ui_serve
	cargo build --quiet --locked -p callscope-cli
	$(LOCAL_CLOUD) browser
	cd dashboard && npm ci --no-audit --no-fund
	mkdir -p target/ui
	$(LOCAL_CLOUD) run bash -c '$(CALLSCOPE) local serve --default-tenant acme --port $(UI_PORT) --prefix $(UI_PREFIX) > target/ui/serve.log 2>&1 & serve=$$!; \
	  trap "kill -TERM $$serve; wait $$serve" EXIT; \
	  until (exec 3<>/dev/tcp/127.0.0.1/$(UI_PORT)) 2>/dev/null; do kill -0 $$serve 2>/dev/null || { cat target/ui/serve.log; exit 1; }; sleep 0.5; done; \
	  cd dashboard && export CALLSCOPE_UI_BASE=http://127.0.0.1:$(UI_PORT) CHROME_PATH=/usr/bin/chromium && $(1)'
endef

ui-test: ## the dashboard in headless Chromium against a seeded local serve: numbers equal the API, links, uploads; screenshots in target/ui/
	$(call with_ui_serve,npm test)

lighthouse: ## Lighthouse (offline, local Chromium) on the overview and a call page; fails under 90 in performance, accessibility or best practices
	$(call with_ui_serve,node test/seed.mjs http://127.0.0.1:$(UI_PORT) && npm run lighthouse)

ui-seed: ## seed a running `make serve` with the sample calls and a week of generated ones
	node dashboard/test/seed.mjs http://127.0.0.1:3000

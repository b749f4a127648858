# callscope — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help test lint unit bench analyze

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

test: lint unit ## every check CI runs: format, clippy, unit + property tests

lint: ## rustfmt and clippy, warnings are errors
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit: ## unit and property tests (no services needed)
	cargo test --workspace --locked

bench: ## criterion benchmarks of the analysis engine
	cargo bench -p callscope-core --bench analysis

analyze: ## analyse one call: make analyze FILE=events/calls/plain_discovery.json
	cargo run --quiet --release -p callscope-cli -- analyze $(FILE)

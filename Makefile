# The kit's commands. `make up` and `make test` are the two set-up commands in the README.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
STACK ?= local
# The local database profile for the db-* targets: postgres (plain) or supabase (shaped like a Supabase project).
DB_PROFILE ?= postgres
ENV := . toolchain/env.sh &&
PYTEST := .venv/bin/python -m pytest

.PHONY: help bootstrap db-start db-stop db-url db-destroy stack up preview refresh destroy test test-fast test-slow \
        bench sql validate jobs-summary test-policies test-deploy-stops mutants clean

help:                 ## this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):[^#]*## /\1\t/' \
	  | awk -F'\t' '{ printf "  make %-14s %s\n", $$1, $$2 }'
	@echo "  variables: STACK=$(STACK) JOBS=$(JOBS) TARGET=$(TARGET) SUMMARY_ARGS=..."

bootstrap:            ## build or reuse the Pulumi toolchain and the virtualenv
	@toolchain/bootstrap.sh

db-start:             ## start the kit's own PostgreSQL 15 (data in .local/pg; DB_PROFILE=supabase: .local/pg-supabase)
	@toolchain/localdb.sh --profile $(DB_PROFILE) start

db-stop:              ## stop it
	@toolchain/localdb.sh --profile $(DB_PROFILE) stop

db-url:               ## print a libpq URL to it, as the role one deploys as (on supabase: the non-superuser postgres)
	@toolchain/localdb.sh --profile $(DB_PROFILE) url

db-destroy:           ## stop it and delete its data
	@toolchain/localdb.sh --profile $(DB_PROFILE) destroy

stack: bootstrap      ## select STACK: `local` is created/refreshed for the local database; others must exist, untouched
	@toolchain/stack.sh $(STACK)

# These targets are non-interactive (--yes): they are what `make` and CI run. `pulumi` typed by hand still asks.
# The event log (what a failed up applied) needs PULUMI_DEBUG_COMMANDS, as the Automation API sets it.
up: stack             ## pulumi up on STACK (default local; starts the local database for it)
	@$(ENV) PULUMI_DEBUG_COMMANDS=true pulumi up --yes --skip-preview --non-interactive --stack $(STACK) \
	  --event-log .local/last-up.events \
	  || { .venv/bin/python -m scheduler_kit.stack_state explain .local/last-up.events $(STACK); exit 1; }

preview: stack        ## pulumi preview on STACK against the live database (--refresh): shows drift field by field
	@$(ENV) pulumi preview --refresh --non-interactive --stack $(STACK) --diff

refresh: stack        ## pulumi refresh on STACK: folds the live database into state (prefer `make preview`, then `make up`)
	@$(ENV) pulumi refresh --yes --non-interactive --diff --stack $(STACK)

destroy: stack        ## pulumi destroy on STACK (the local stack drops everything, history included)
	@$(ENV) pulumi destroy --yes --non-interactive --stack $(STACK)

test: bootstrap test-fast test-slow   ## every test: fast unit tests, then the live-database and Pulumi-engine tests

test-fast: bootstrap
	@$(ENV) $(PYTEST) -m "not slow" tests

# The whole policy suite runs a second time, on the Supabase-shaped profile, beside the slow tests (they wait on
# the Pulumi engine much of the time); its report is printed after theirs, and either failing fails the target.
test-slow: bootstrap   ## slow tests on plain PostgreSQL, and the whole policy suite on the Supabase-shaped profile
	@mkdir -p .local; $(ENV) { SCHEDKIT_DB_PROFILE=supabase $(PYTEST) tests/policy > .local/policy-supabase.log 2>&1 & \
	  supabase=$$!; status=0; $(PYTEST) -m slow tests || status=$$?; \
	  wait $$supabase || status=$$?; echo "== the policy suite on the Supabase-shaped profile"; \
	  cat .local/policy-supabase.log; exit $$status; }

bench: bootstrap      ## benchmarks: ratios measured side by side in one run (see README)
	@$(ENV) .venv/bin/python -m bench.scheduler_bench
	@$(ENV) .venv/bin/python -m bench.jobs_bench
	@$(ENV) .venv/bin/python -m bench.access_bench

JOBS ?= jobs.yaml
validate: bootstrap   ## check jobs.yaml: problems with file:line:column, or each schedule in words and its next runs
	@.venv/bin/python -m scheduler_kit.jobs_cli validate $(JOBS)

SUMMARY_ARGS ?=
jobs-summary: bootstrap   ## what jobs.yaml changes against STACK's deployed jobs (Markdown; SUMMARY_ARGS=--json)
	@$(ENV) .venv/bin/python -m scheduler_kit.jobs_cli summary $(JOBS) --stack $(STACK) $(SUMMARY_ARGS)

TARGET ?= postgres
sql: bootstrap        ## write the whole model as one SQL migration: build/scheduler-$(TARGET).sql
	@.venv/bin/python -m scheduler_kit.export_sql --target $(TARGET) -o build/scheduler-$(TARGET).sql

test-deploy-stops: bootstrap   ## a deploy looked at after every step and stopped after sampled ones (minutes)
	@$(ENV) SCHEDKIT_DEPLOY_STOPS=1 $(PYTEST) tests/slow/test_deploy_stops.py

test-policies: bootstrap   ## the policy tests alone; POLICY_TEST_DSN=... audits an already deployed database
	@$(ENV) $(PYTEST) tests/policy

mutants: bootstrap    ## deliberate weakenings of the model, each must be caught by the policy tests
	@$(ENV) .venv/bin/python -m tests.mutants.run

clean:
	rm -rf .pytest_cache .hypothesis build

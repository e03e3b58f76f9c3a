# The kit's commands. `make up` and `make test` are the two set-up commands in the README.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
STACK ?= local
# The local database profile for the db-* targets: postgres (plain) or supabase (shaped like a Supabase project).
DB_PROFILE ?= postgres
ENV := . toolchain/env.sh &&
PYTEST := .venv/bin/python -m pytest

.PHONY: help bootstrap db-start db-stop db-url db-destroy stack up preview refresh destroy test test-fast test-slow \
        bench bench-deploy sql validate jobs-summary jobs-import test-policies test-deploy-stops test-adoption test-review mutants pgtap pgtap-tools \
        policy-analyze policy-allowance matrix review lint clean

help:                 ## this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):[^#]*## /\1\t/' \
	  | awk -F'\t' '{ printf "  make %-14s %s\n", $$1, $$2 }'
	@echo "  variables: STACK=$(STACK) JOBS=$(JOBS) TARGET=$(TARGET) OUT=$(OUT) SUMMARY_ARGS=... BASE=$(BASE) PROFILE=$(PROFILE)"

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

# The CLI runs the pack's executable as the analyzer (see policy-pack/analyzer); POLICY_PACK= runs none.
POLICY_PACK := policy-pack/analyzer
preview: stack        ## pulumi preview on STACK against the live database (--refresh), with the kit's policy pack
	@$(ENV) pulumi preview --refresh --non-interactive --stack $(STACK) --diff $(if $(POLICY_PACK),--policy-pack $(POLICY_PACK))

policy-analyze: stack ## the policy pack on STACK's state, without running the program (pulumi policy analyze)
	@$(ENV) pulumi policy analyze --stack $(STACK) --policy-pack $(POLICY_PACK)

policy-allowance: bootstrap   ## rewrite the pack's pinned grant ceiling from model.py (a reviewed change: see docs/native-checks.md)
	@.venv/bin/python -m scheduler_kit.grant_allowance

refresh: stack        ## pulumi refresh on STACK: folds the live database into state (prefer `make preview`, then `make up`)
	@$(ENV) pulumi refresh --yes --non-interactive --diff --stack $(STACK)

destroy: stack        ## pulumi destroy on STACK (the local stack drops everything, history included)
	@$(ENV) pulumi destroy --yes --non-interactive --stack $(STACK)

test: bootstrap test-fast test-slow   ## every test: fast unit tests, then the live-database and Pulumi-engine tests

test-fast: bootstrap
	@$(ENV) $(PYTEST) -m "not slow" tests

# The whole policy suite runs a second time, on the Supabase-shaped profile, beside the slow tests (they wait on
# the Pulumi engine much of the time); its report is printed after theirs, and either failing fails the target.
# The suites of several deploys each run in CI after `make test` (.ci/run): test-adoption, test-review and
# test-deploy-stops.
# The slow files are spread over two workers (tests/conftest.py groups them); SLOW_WORKERS=0 runs them in one
# process (for a debugger, or `pytest -x` on a first failure), about twice as long.
SLOW_WORKERS ?= 2
test-slow: bootstrap pgtap-tools   ## slow tests on plain PostgreSQL, and the whole policy suite on the Supabase-shaped profile
	@mkdir -p .local; $(ENV) { SCHEDKIT_DB_PROFILE=supabase $(PYTEST) tests/policy > .local/policy-supabase.log 2>&1 & \
	  supabase=$$!; status=0; $(PYTEST) -n $(SLOW_WORKERS) --dist loadgroup -m "slow and not review and not adoption" tests \
	  || status=$$?; \
	  wait $$supabase || status=$$?; echo "== the policy suite on the Supabase-shaped profile"; \
	  cat .local/policy-supabase.log; exit $$status; }

test-review: bootstrap   ## the access review's tests: make review on pull-request-like changes (minutes)
	@$(ENV) $(PYTEST) -m review tests

test-adoption: bootstrap   ## the adoption tests alone (the users' database, both profiles)
	@$(ENV) $(PYTEST) -m adoption tests

bench: bootstrap      ## benchmarks: ratios measured side by side in one run (docs/benchmarks.md)
	@$(ENV) .venv/bin/python -m bench.scheduler_bench
	@$(ENV) .venv/bin/python -m bench.jobs_bench
	@$(ENV) .venv/bin/python -m bench.access_bench
	@$(ENV) .venv/bin/python -m bench.deploy_bench

bench-deploy: bootstrap   ## deploy speed: no-op preview, first up, 1-of-1,000-jobs up, each next to its floor (docs/deploy-speed.md)
	@$(ENV) .venv/bin/python -m bench.deploy_bench

JOBS ?= jobs.yaml
validate: bootstrap   ## check jobs.yaml (problems as file:line:column, or each schedule in words), policies/, the access matrix
	@status=0; .venv/bin/python -m scheduler_kit.jobs_cli validate $(JOBS) || status=$$?; \
	  .venv/bin/python -m scheduler_kit.declarations_check || status=$$?; exit $$status

SUMMARY_ARGS ?=
jobs-summary: bootstrap   ## what jobs.yaml changes against STACK's deployed jobs (Markdown; SUMMARY_ARGS=--json)
	@$(ENV) .venv/bin/python -m scheduler_kit.jobs_cli summary $(JOBS) --stack $(STACK) $(SUMMARY_ARGS)

# OUT=- prints the file; FORCE=1 replaces an existing OUT; STRICT=1 fails when a value had to change or a row was
# left out. DSN=... reads that database instead of STACK's (a password is better given as PGPASSWORD).
OUT ?= jobs.yaml
jobs-import: $(if $(DSN),bootstrap,stack)   ## write OUT (default jobs.yaml) from the job rows STACK's database holds
	@$(ENV) .venv/bin/python -m scheduler_kit.jobs_cli import $(if $(DSN),--dsn "$(DSN)",--stack $(STACK)) \
	  -o $(OUT) $(if $(FORCE),--force) $(if $(STRICT),--strict)

TARGET ?= postgres
KEEP_INVALID_ROWS ?= false
sql: bootstrap        ## write the whole model as one SQL migration: build/scheduler-$(TARGET).sql (KEEP_INVALID_ROWS=true)
	@.venv/bin/python -m scheduler_kit.export_sql --target $(TARGET) -o build/scheduler-$(TARGET).sql \
	  $(if $(filter true,$(KEEP_INVALID_ROWS)),--keep-invalid-rows)

test-deploy-stops: bootstrap   ## a deploy looked at after every step and stopped after sampled ones (minutes)
	@$(ENV) SCHEDKIT_DEPLOY_STOPS=1 $(PYTEST) tests/slow/test_deploy_stops.py

PYTEST_ARGS ?=
test-policies: bootstrap   ## the policy tests alone; POLICY_TEST_DSN=... audits an already deployed database (PYTEST_ARGS=...)
	@$(ENV) $(PYTEST) tests/policy $(PYTEST_ARGS)

mutants: bootstrap    ## deliberate weakenings of the model, each must be caught by the policy tests
	@$(ENV) .venv/bin/python -m tests.mutants.run

pgtap: bootstrap      ## write supabase/tests/scheduler_kit.test.sql, the kit's guarantees as pgTAP (for `supabase test db`)
	@.venv/bin/python -m scheduler_kit.pgtap

pgtap-tools:          ## install pgTAP and pg_prove where missing (Debian packages; as root, else it says what to run)
	@toolchain/pgtap.sh >/dev/null

MATRIX_OUT ?= build/access-matrix
# The local stack's database unless POLICY_TEST_AUTHENTICATOR_DSN (or POLICY_TEST_DSN, the owner: a stand-in for
# authenticator is made) names another; POLICY_TEST_TARGET: its target.
matrix: bootstrap     ## the observed access matrix (JSON, Markdown, HTML in build/access-matrix) of the local stack
	@$(ENV) if [ -z "$${POLICY_TEST_AUTHENTICATOR_DSN:-}$${POLICY_TEST_DSN:-}" ]; then toolchain/localdb.sh start >/dev/null; \
	  POLICY_TEST_AUTHENTICATOR_DSN="$$(toolchain/localdb.sh authenticator-url)"; export POLICY_TEST_AUTHENTICATOR_DSN; fi; \
	  .venv/bin/python -m scheduler_kit.access_matrix --out $(MATRIX_OUT)

BASE ?= origin/main
PROFILE ?= both
# Exit status 1 (undeclared access) or 3 (could not run) shows as make's 2: CI calls the module for the real one.
review: bootstrap     ## access review of the working tree against BASE (a git ref) on PROFILE (both|postgres|supabase)
	@$(ENV) .venv/bin/python -m scheduler_kit.access_review --base $(BASE) --profile $(PROFILE) --out build/review

# After `make up`: pgrls reads the deployed local stack (LINT_DSN=... another database). See docs/linting.md.
lint: bootstrap       ## shellcheck, actionlint (workflows) and pgrls (deployed database, lint/pgrls-allowlist.yaml)
	@toolchain/lint.sh

clean:
	rm -rf .pytest_cache .hypothesis build

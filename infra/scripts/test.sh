#!/usr/bin/env bash
# The whole test suite against real servers: type checks, then pytest with a Kafka broker up
# (pytest starts embedded PostgreSQL itself, or uses LEADS_TEST_POSTGRES_DSN).
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/python -m mypy
# The console's browser tests drive Debian's Chromium (Playwright's own browser download cannot
# work here): install it when missing.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${LEADS_TEST_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }
  else sudo apt-get install -y chromium || { sudo apt-get update && sudo apt-get install -y chromium; }; fi
fi
# Tests wait on PostgreSQL, Kafka and subprocesses more than they compute: three workers keep two
# cores busy (each worker has its own embedded PostgreSQL; topics and databases are per test).
infra/scripts/with-kafka.sh .venv/bin/python -m pytest -n "${LEADS_TEST_WORKERS:-3}" --dist worksteal --durations=15 "$@"

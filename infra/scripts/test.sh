#!/usr/bin/env bash
# The whole test suite against real servers: type checks, then pytest with a Kafka broker up
# (pytest starts embedded PostgreSQL itself, or uses LEADS_TEST_POSTGRES_DSN).
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/python -m mypy
infra/scripts/with-kafka.sh .venv/bin/python -m pytest "$@"

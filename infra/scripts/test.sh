#!/usr/bin/env bash
# The whole test suite against real servers: starts a Kafka broker (unless one is already up,
# which it then leaves running), runs pytest (which starts embedded PostgreSQL itself, or uses
# LEADS_TEST_POSTGRES_DSN), and stops the broker it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
started=no
if ! infra/kafka/kafka.sh status; then
  infra/kafka/kafka.sh up
  started=yes
fi
stop() { if [ "$started" = yes ]; then infra/kafka/kafka.sh down; fi; }
trap stop EXIT
export LEADS_TEST_KAFKA_BOOTSTRAP="${LEADS_TEST_KAFKA_BOOTSTRAP:-127.0.0.1:${LEADS_KAFKA_PORT:-9092}}"
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
